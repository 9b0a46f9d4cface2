//! `temper scan`.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use crate::db::DbArgs;
use crate::image::{ImageArgs, RunArgs};

/// Scan output formats.
#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum ScanFormat {
    /// Findings grouped by package.
    Table,
    /// Stable JSON (documented in the README).
    Json,
    /// SARIF 2.1.0, for code-scanning dashboards.
    Sarif,
    /// CycloneDX 1.6: the SBOM with a `vulnerabilities` section (images only).
    #[value(alias = "cyclonedx-json")]
    Cyclonedx,
    /// The self-contained HTML report (images only; as `temper report` writes it).
    Html,
}

/// `temper scan`.
#[derive(Args, Debug)]
pub struct ScanArgs {
    /// The image and how to read it.
    #[command(flatten)]
    pub image: ImageArgs,
    /// The advisories, and what suppresses findings.
    #[command(flatten)]
    pub matching: MatchingArgs,
    /// Output format.
    #[arg(long, short, value_enum, default_value_t = ScanFormat::Table)]
    pub format: ScanFormat,
    /// Report only these severities (comma-separated: critical,high,medium,low,unknown).
    #[arg(long, value_name = "LIST", value_delimiter = ',')]
    pub severity: Vec<String>,
    /// Leave out findings with no fixed version.
    #[arg(long)]
    pub ignore_unfixed: bool,
    /// Update the database's feeds before scanning.
    #[arg(long, conflicts_with = "offline")]
    pub update: bool,
    /// The exit code when a threshold fails (default 1); alone, any finding left after the filters fails.
    #[arg(long, value_name = "N")]
    pub exit_code: Option<u8>,
    /// Fail when a finding is at least this severe (unknown, low, medium, high, critical), or never with `none`.
    #[arg(long, value_name = "SEVERITY")]
    pub fail_on: Option<String>,
    /// Also list suppressed findings, with who suppressed them and why.
    #[arg(long)]
    pub show_suppressed: bool,
    /// After the table, show for each vulnerable package the chains of packages that pull it in, up to the file that holds it.
    #[arg(long)]
    pub dependency_tree: bool,
    /// Attest the result to the image with this private key (cosign's
    /// vulnerability predicate, `--type vuln`), in its registry or OCI layout;
    /// the password from TEMPER_PASSWORD or a prompt.
    #[arg(long, value_name = "KEY")]
    pub attest: Option<PathBuf>,
    /// The per-layer cache and where the output goes.
    #[command(flatten)]
    pub run: RunArgs,
}

/// Where findings come from and what suppresses them: shared by `scan`,
/// `report` and `gate`, so all read advisories the same way.
#[derive(Args, Debug)]
pub struct MatchingArgs {
    /// The advisory database.
    #[command(flatten)]
    pub db: DbArgs,
    /// Match against these OSV files, directories or zips instead of the
    /// database (read into memory for this run; repeatable).
    #[arg(long, value_name = "PATH")]
    pub advisories: Vec<PathBuf>,
    /// Go on even when the database has no records for some ecosystem the
    /// image needs (a warning per ecosystem instead of an error).
    #[arg(long)]
    pub allow_partial_db: bool,
    /// Never touch the network but for the image's own registry (the default; makes it explicit, and `scan` then refuses --update).
    #[arg(long)]
    pub offline: bool,
    /// Config file (see `temper db update`): `[db]` max_age_days for the staleness warning, the secret allow-list.
    #[arg(long, value_name = "FILE", env = "TEMPER_CONFIG")]
    pub config: Option<PathBuf>,
    /// A VEX document (OpenVEX or CycloneDX) whose not_affected/fixed statements suppress findings; repeatable.
    #[arg(long, value_name = "FILE")]
    pub vex: Vec<PathBuf>,
    /// Ignore file: one vulnerability id per line, optional `exp:YYYY-MM-DD` and reason (default: ./.temperignore when present).
    #[arg(long, value_name = "FILE")]
    pub ignore_file: Option<PathBuf>,
}
