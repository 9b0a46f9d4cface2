//! `temper gate`.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use crate::image::{ImageArgs, RunArgs};
use crate::scan::MatchingArgs;

/// Gate output formats.
#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum GateFormat {
    /// The verdict first, then each rule with its reason and the offending findings.
    Table,
    /// The verdict and the assessment it judged (`schemas/assessment.schema.json`).
    Json,
    /// SARIF 2.1.0: one result per failed or warned rule.
    Sarif,
    /// JUnit XML: one test case per rule, for CI test reports.
    Junit,
    /// The self-contained HTML report (as `temper report` writes it).
    Html,
}

/// `temper gate`.
#[derive(Args, Debug)]
pub struct GateArgs {
    /// The image and how to read it.
    #[command(flatten)]
    pub image: ImageArgs,
    /// Where findings come from and what suppresses them, as `temper scan` takes them.
    #[command(flatten)]
    pub matching: MatchingArgs,
    /// Policy files: `policy.toml` and `.rego` files, `.json`/`.yaml` data for Rego, or
    /// directories of them (repeatable). Without one, the default policy: Critical ≥ 1 or
    /// High ≥ 10 fails, secrets fail, running as root warns.
    #[arg(long, short, value_name = "FILE|DIR")]
    pub policy: Vec<PathBuf>,
    /// The Dockerfile the image was built from: its lint is part of the assessment.
    #[arg(long, value_name = "FILE")]
    pub dockerfile: Option<PathBuf>,
    /// Fail (exit 1) when a rule only warns.
    #[arg(long)]
    pub fail_on_warn: bool,
    /// Output format.
    #[arg(long, short, value_enum, default_value_t = GateFormat::Table)]
    pub format: GateFormat,
    /// The per-layer cache and where the output goes.
    #[command(flatten)]
    pub run: RunArgs,
}
