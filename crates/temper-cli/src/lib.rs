//! temper's command-line arguments: one module per subcommand, holding
//! only clap definitions (no I/O, no logic), so the binary parses them and
//! its build script writes the man pages from the very same definitions.

mod build;
mod cache;
mod check;
mod db;
mod fleet;
mod gate;
mod image;
mod inspect;
mod key;
mod layers;
mod lint;
pub mod policy;
mod push;
mod rebase;
mod registry;
mod report;
mod sbom;
mod scan;
mod serve;
mod sign;

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

pub use build::{BuildArgs, BuildFormat};
pub use cache::CacheCommand;
pub use check::{CheckArgs, CheckFormat, CheckProfile};
pub use db::{DbArgs, DbCommand};
pub use fleet::{FleetCommand, FleetFormat, ReadArgs, StoreArgs};
pub use gate::{GateArgs, GateFormat};
pub use image::{ImageArgs, LimitArgs, RegistryArgs, RunArgs};
pub use inspect::InspectArgs;
pub use key::{KeyAlgorithm, KeyCommand, KeyGenerateArgs};
pub use layers::LayersArgs;
pub use lint::{LintArgs, LintFormat};
pub use push::PushArgs;
pub use rebase::{InheritChoice, RebaseArgs};
pub use report::ReportArgs;
pub use registry::{RegistryCommand, RegistryLsArgs, RegistryPruneArgs, RegistryRmArgs, RegistryTagsArgs};
pub use sbom::{SbomArgs, SbomFormat};
pub use scan::{MatchingArgs, ScanArgs, ScanFormat};
pub use serve::{OnTimeoutChoice, ServeArgs};
pub use sign::{AttestArgs, KeylessArgs, SignArgs, SignStorage, TreeArgs, VerifierArgs, VerifyArgs, VerifyAttestationArgs};

/// Secure container-image pipeline: read images from registries, archives,
/// layouts and directories, and tell what their layers hold.
#[derive(Parser, Debug)]
#[command(name = "temper", version, about, propagate_version = true)]
pub struct Cli {
    /// When to colour tables: auto (stdout is a terminal and NO_COLOR is unset or empty), always or never.
    #[arg(long, global = true, value_enum, value_name = "WHEN", default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// No progress bars, warnings or notes on stderr; errors and failed thresholds still print.
    #[arg(long, short, global = true)]
    pub quiet: bool,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Show an image's digest, platform, config, history and layers.
    Inspect(InspectArgs),
    /// Show what each layer adds, modifies and removes, and the space wasted.
    Layers(LayersArgs),
    /// List every package in an image (SBOM).
    Sbom(SbomArgs),
    /// Find known vulnerabilities in an image's packages.
    Scan(ScanArgs),
    /// Judge how hardened an image is: user, shells, package managers, setuid files, secrets, labels, size.
    Check(CheckArgs),
    /// One verdict for an image: its assessment judged by a policy (policy.toml, Rego); exit 0 pass, 1 a rule failed, 2 error.
    Gate(GateArgs),
    /// Write one self-contained HTML page about an image: summary, charts, findings, packages, layers, checks, secrets, lint.
    Report(ReportArgs),
    /// Lint Dockerfiles for the practices platform teams expect (hadolint's rules and more).
    Lint(LintArgs),
    /// Build a golden image from a spec (golden.toml) over a base image, without a daemon, the same bytes every time.
    Build(BuildArgs),
    /// Push an image from any source to a registry (every platform of an index unless --platform).
    Push(PushArgs),
    /// Move an app image onto a new base without a rebuild (its old base's layers swapped for the new one's).
    Rebase(RebaseArgs),
    /// Sign an image in its registry, as cosign does (a .sig tag and a Sigstore bundle referrer).
    Sign(SignArgs),
    /// Verify an image's signatures with public keys, offline but for its registry (exit 3 none, 4 invalid, 5 other key).
    Verify(VerifyArgs),
    /// Attest an image: an in-toto statement (SBOM, provenance, VEX…) signed in a DSSE envelope, attached as cosign does.
    Attest(AttestArgs),
    /// Verify an image's attestations of one type with public keys (exit 3 none, 4 invalid, 5 other key).
    VerifyAttestation(VerifyAttestationArgs),
    /// List what is attached to an image (signatures, attestations, SBOMs; by tag and by referrers), unverified.
    Tree(TreeArgs),
    /// Policies: run Rego policy tests.
    #[command(subcommand)]
    Policy(policy::PolicyCommand),
    /// Serve the Kubernetes admission webhook over HTTPS (--admission): images judged against the policy, tags pinned to digests;
    /// and/or the read-only fleet dashboard (--dashboard) on its own port.
    Serve(ServeArgs),
    /// Registries: list repositories and tags, remove tags, delete manifests, prune by a retention policy.
    #[command(subcommand)]
    Registry(RegistryCommand),
    /// Make signing keys (cosign's formats).
    #[command(subcommand)]
    Key(KeyCommand),
    /// Manage the local advisory database.
    #[command(subcommand)]
    Db(DbCommand),
    /// The fleet inventory: tracked images, their packages and findings, and the scan queue workers share (SQLite or PostgreSQL).
    #[command(subcommand)]
    Fleet(FleetCommand),
    /// Manage the per-layer cache.
    #[command(subcommand)]
    Cache(CacheCommand),
    /// Print a shell completion script (e.g. `temper completions bash > /etc/bash_completion.d/temper`).
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: CompletionShell,
    },
    /// Write the man pages (temper.1, temper-scan.1, …) into a directory, or print temper.1.
    Man {
        /// The directory to write every page into (created if missing).
        #[arg(long, short, value_name = "DIR")]
        output: Option<PathBuf>,
    },
}

/// `--color` values.
#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum ColorChoice {
    /// Colour when stdout is a terminal, unless NO_COLOR is set (CLICOLOR_FORCE forces it).
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

/// Shells `temper completions` writes for.
#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum CompletionShell {
    /// Bash.
    Bash,
    /// Zsh.
    Zsh,
    /// Fish.
    Fish,
    /// PowerShell.
    Powershell,
    /// Elvish.
    Elvish,
}

/// Output formats.
#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum Format {
    /// Human-readable tables.
    Table,
    /// Stable JSON (documented in the README).
    Json,
}
