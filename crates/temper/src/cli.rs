//! Command-line arguments.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

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
    Scan(crate::cli_vuln::ScanArgs),
    /// Judge how hardened an image is: user, shells, package managers, setuid files, secrets, labels, size.
    Check(CheckArgs),
    /// Lint Dockerfiles for the practices platform teams expect (hadolint's rules and more).
    Lint(LintArgs),
    /// Manage the local advisory database.
    #[command(subcommand)]
    Db(crate::cli_vuln::DbCommand),
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

/// `temper cache …`.
#[derive(Subcommand, Debug)]
pub enum CacheCommand {
    /// Delete the cached layer results.
    Clean {
        /// The cache directory (default: $XDG_CACHE_HOME/temper or ~/.cache/temper).
        #[arg(long, value_name = "DIR")]
        cache_dir: Option<PathBuf>,
    },
}

/// SBOM formats.
#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum SbomFormat {
    /// Human-readable table.
    Table,
    /// temper's own JSON (documented in the README).
    Json,
    /// CycloneDX 1.6 JSON; its time is SOURCE_DATE_EPOCH, else the image's creation time.
    #[value(alias = "cyclonedx-json")]
    Cyclonedx,
    /// SPDX 2.3 JSON; its time is SOURCE_DATE_EPOCH, else the image's creation time.
    #[value(alias = "spdx-json")]
    Spdx,
}

/// The per-layer cache and the output file, shared by the commands that
/// build an inventory.
#[derive(Args, Debug)]
pub struct RunArgs {
    /// The per-layer cache directory (default: $XDG_CACHE_HOME/temper or ~/.cache/temper).
    #[arg(long, value_name = "DIR", env = "TEMPER_CACHE_DIR")]
    pub cache_dir: Option<PathBuf>,
    /// Neither read nor write the per-layer cache.
    #[arg(long)]
    pub no_cache: bool,
    /// Write to FILE instead of stdout (written whole, or not at all).
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// `temper sbom`.
#[derive(Args, Debug)]
pub struct SbomArgs {
    /// The image and how to read it.
    #[command(flatten)]
    pub image: ImageArgs,
    /// Output format.
    #[arg(long, short, value_enum, default_value_t = SbomFormat::Table)]
    pub format: SbomFormat,
    /// Also list packages that later layers deleted or replaced.
    #[arg(long)]
    pub all_layers: bool,
    /// The per-layer cache and where the output goes.
    #[command(flatten)]
    pub run: RunArgs,
}

/// Output formats.
#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum Format {
    /// Human-readable tables.
    Table,
    /// Stable JSON (documented in the README).
    Json,
}

/// How to find and read the image.
#[derive(Args, Debug)]
pub struct ImageArgs {
    /// The image: docker-archive:PATH[:REF|:@N], oci:DIR[:TAG],
    /// oci-archive:PATH[:TAG], dir:PATH, docker-daemon:NAME[:TAG],
    /// podman:NAME[:TAG], [registry:]HOST/REPO[:TAG][@DIGEST], or a path
    /// whose kind is detected.
    pub image: String,
    /// Platform to pick from a multi-platform index (os/arch[/variant]).
    #[arg(long)]
    pub platform: Option<String>,
    /// Registry credentials USER:PASSWORD (default: the docker config).
    #[arg(long, env = "TEMPER_CREDS", hide_env_values = true)]
    pub creds: Option<String>,
    /// Allow plain HTTP and unverified TLS to the registry.
    #[arg(long)]
    pub insecure: bool,
    /// Extra CA certificate (PEM) to trust for registries; repeatable.
    #[arg(long = "ca-cert", value_name = "PEM")]
    pub ca_certs: Vec<PathBuf>,
    /// Docker config file to read credentials from.
    #[arg(long, value_name = "FILE")]
    pub docker_config: Option<PathBuf>,
    /// Largest uncompressed layer accepted (e.g. 32GiB).
    #[arg(long, value_name = "SIZE", default_value = "32GiB")]
    pub max_layer_size: String,
    /// Largest uncompressed image accepted.
    #[arg(long, value_name = "SIZE", default_value = "128GiB")]
    pub max_image_size: String,
    /// Largest decompression ratio accepted (past 64 MiB of output).
    #[arg(long, value_name = "N", default_value_t = 200)]
    pub max_ratio: u64,
    /// Most tar entries accepted over all layers (memory grows with them).
    #[arg(long, value_name = "N", default_value_t = 2_000_000)]
    pub max_entries: u64,
    /// Re-hash every layer blob whole even when the layer cache holds its
    /// results (a cache hit otherwise checks the size and the first and
    /// last MiB); inspect and layers always read blobs whole.
    #[arg(long)]
    pub verify_blobs: bool,
}

/// `temper inspect`.
#[derive(Args, Debug)]
pub struct InspectArgs {
    /// The image and how to read it.
    #[command(flatten)]
    pub image: ImageArgs,
    /// Output format.
    #[arg(long, short, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

/// `temper layers`.
#[derive(Args, Debug)]
pub struct LayersArgs {
    /// The image and how to read it.
    #[command(flatten)]
    pub image: ImageArgs,
    /// Output format.
    #[arg(long, short, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Fail when efficiency is below this (0..1, e.g. 0.9, or 90%).
    #[arg(long, value_name = "RATIO")]
    pub min_efficiency: Option<String>,
    /// Fail when wasted bytes exceed this: a size (20MB) or a percentage of
    /// the bytes above the base layer (10%).
    #[arg(long, value_name = "BYTES|PCT")]
    pub max_wasted: Option<String>,
    /// Fail when the uncompressed image is larger than this (e.g. 500MB).
    #[arg(long, value_name = "SIZE")]
    pub max_size: Option<String>,
    /// Print the file tree of the merged image (or, with --layer, of one layer).
    #[arg(long)]
    pub tree: bool,
    /// With --tree: print only layer N's own entries (base = 0), whiteouts included.
    #[arg(long, value_name = "N", requires = "tree")]
    pub layer: Option<usize>,
    /// How many wasted files the table lists.
    #[arg(long, default_value_t = 10)]
    pub top: usize,
    /// The exit code when a threshold fails (default 1).
    #[arg(long, value_name = "N")]
    pub exit_code: Option<u8>,
}

/// `temper check` output formats.
#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum CheckFormat {
    /// A pass/fail summary, then the details.
    Table,
    /// temper's own JSON (documented in the README).
    Json,
    /// SARIF 2.1.0.
    Sarif,
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

/// `--profile` values.
#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum CheckProfile {
    /// General-purpose images.
    Default,
    /// Distroless images: no shell, no package manager.
    Distroless,
}

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
