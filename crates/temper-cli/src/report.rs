//! `temper report`.

use std::path::PathBuf;

use clap::Args;

use crate::image::{ImageArgs, RunArgs};
use crate::scan::MatchingArgs;

/// `temper report`.
#[derive(Args, Debug)]
pub struct ReportArgs {
    /// The image and how to read it.
    #[command(flatten)]
    pub image: ImageArgs,
    /// The advisories, and what suppresses findings.
    #[command(flatten)]
    pub matching: MatchingArgs,
    /// The Dockerfile the image was built from: its lint, with the lines each finding is about, joins the report.
    #[arg(long, value_name = "FILE")]
    pub dockerfile: Option<PathBuf>,
    /// The per-layer cache and the HTML file to write (`-o report.html`; default stdout).
    #[command(flatten)]
    pub run: RunArgs,
}
