//! `temper lint`.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

/// `temper lint` output formats.
#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum LintFormat {
    /// Each finding with its source line, the span underlined, and the fix.
    Tty,
    /// temper's own JSON (documented in the README).
    Json,
    /// SARIF 2.1.0 (each rule names its hadolint id in `properties.hadolint`).
    Sarif,
    /// Checkstyle XML.
    Checkstyle,
    /// JUnit XML.
    Junit,
}

/// `temper lint`.
#[derive(Args, Debug)]
pub struct LintArgs {
    /// Dockerfiles, or directories searched for them; `-` reads stdin.
    #[arg(value_name = "PATH", default_value = ".")]
    pub paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, short, value_enum, default_value_t = LintFormat::Tty)]
    pub format: LintFormat,
    /// Fail when a finding is at least this severe (error, warning, info, style), or never with `none`.
    #[arg(long, value_name = "SEVERITY", default_value = "info")]
    pub failure_threshold: String,
    /// The exit code when a threshold fails (default 1).
    #[arg(long, value_name = "N")]
    pub exit_code: Option<u8>,
    /// Config file with `[lint]` severity overrides, ignored rules and trusted registries (default: the nearest ./.temper.toml up to the repository root, else $XDG_CONFIG_HOME/temper/config.toml).
    #[arg(long, value_name = "FILE", env = "TEMPER_CONFIG")]
    pub config: Option<PathBuf>,
    /// Write to FILE instead of stdout (written whole, or not at all).
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
}
