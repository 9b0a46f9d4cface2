//! `temper check`.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use crate::image::{ImageArgs, RunArgs};

/// `temper check` output formats.
#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum CheckFormat {
    /// A pass/fail summary, then the details.
    Table,
    /// temper's own JSON (documented in the README).
    Json,
    /// SARIF 2.1.0.
    Sarif,
    /// The self-contained HTML report (as `temper report` writes it).
    Html,
}

/// `--profile` values.
#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum CheckProfile {
    /// General-purpose images.
    Default,
    /// Distroless images: no shell, no package manager.
    Distroless,
}

/// `temper check`.
#[derive(Args, Debug)]
pub struct CheckArgs {
    /// The image and how to read it.
    #[command(flatten)]
    pub image: ImageArgs,
    /// The cache and output file.
    #[command(flatten)]
    pub run: RunArgs,
    /// Output format.
    #[arg(long, short, value_enum, default_value_t = CheckFormat::Table)]
    pub format: CheckFormat,
    /// Fail when a failed check or a secret is at least this severe
    /// (info, low, medium, high, critical), or never with `none`.
    #[arg(long, value_name = "SEVERITY", default_value = "high")]
    pub fail_on: String,
    /// The exit code when a threshold fails (default 1).
    #[arg(long, value_name = "N")]
    pub exit_code: Option<u8>,
    /// The bar: `distroless` makes a shell or a package manager a high-severity failure.
    #[arg(long, value_enum, default_value_t = CheckProfile::Default)]
    pub profile: CheckProfile,
    /// Largest acceptable uncompressed image size (`1GB`, `500MiB`).
    #[arg(long, value_name = "SIZE", default_value = "1GB")]
    pub max_size: String,
    /// Largest acceptable wasted space: bytes (`50MB`) or a share of the bytes above the base layer (`20%`).
    /// Without it, either 50MB or 20% fails.
    #[arg(long, value_name = "SIZE|PERCENT")]
    pub max_wasted: Option<String>,
    /// Config file with `[secrets]` allow-lists (default: the nearest ./.temper.toml up to the repository root, else $XDG_CONFIG_HOME/temper/config.toml).
    #[arg(long, value_name = "FILE", env = "TEMPER_CONFIG")]
    pub config: Option<PathBuf>,
    /// The Dockerfile the image was built from: SARIF results point at its lines instead of the image.
    #[arg(long, value_name = "FILE")]
    pub dockerfile: Option<PathBuf>,
}
