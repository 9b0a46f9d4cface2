//! `temper fleet …`.

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};

use crate::image::{LimitArgs, RegistryArgs};
use crate::scan::MatchingArgs;

/// Fleet output formats.
#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum FleetFormat {
    /// Human-readable tables.
    Table,
    /// Stable JSON.
    Json,
    /// CSV with a header row.
    Csv,
}

/// The fleet store and the output format, taken by every fleet command.
#[derive(Args, Debug)]
pub struct StoreArgs {
    /// The fleet store: a SQLite file (`sqlite:PATH` or PATH) or a PostgreSQL URL (`postgres://user@host:port/db`,
    /// TLS as its libpq parameters ask: `?sslmode=verify-full&sslrootcert=ca.pem`, default sslmode=prefer);
    /// default $XDG_DATA_HOME/temper/fleet.db or ~/.local/share/temper/fleet.db.
    #[arg(long, value_name = "URL", env = "TEMPER_FLEET_STORE")]
    pub store: Option<String>,
    /// Output format.
    #[arg(long, short, value_enum, default_value_t = FleetFormat::Table)]
    pub format: FleetFormat,
}

/// How workers read images: the registry flags, the layer pass's limits
/// and the per-layer cache.
#[derive(Args, Debug)]
pub struct ReadArgs {
    /// The platform and the registry flags.
    #[command(flatten)]
    pub registry: RegistryArgs,
    /// The layer pass's limits; an image past one fails its job.
    #[command(flatten)]
    pub limits: LimitArgs,
    /// The per-layer cache directory (default: $XDG_CACHE_HOME/temper or ~/.cache/temper).
    #[arg(long, value_name = "DIR", env = "TEMPER_CACHE_DIR")]
    pub cache_dir: Option<PathBuf>,
    /// Neither read nor write the per-layer cache.
    #[arg(long)]
    pub no_cache: bool,
    /// Keep the per-layer cache on this machine only. By default, with a PostgreSQL store, the cache has a
    /// second tier in the store, shared by every worker: a layer one worker read is not read again by another
    /// (a SQLite store is on one machine, whose local cache already serves every worker).
    #[arg(long)]
    pub no_shared_cache: bool,
}

/// `temper fleet …`.
#[derive(Subcommand, Debug)]
pub enum FleetCommand {
    /// Track image references (any source syntax), given or read from a file (one a line, `#` comments);
    /// a repository glob (HOST/team/*, HOST/**) tracks every tag of every matching repository of the catalog.
    Add {
        /// References or repository globs to track.
        #[arg(value_name = "REF")]
        references: Vec<String>,
        /// A file of references, one a line.
        #[arg(long, value_name = "FILE")]
        file: Option<PathBuf>,
        /// Only the tags this glob matches, for repository globs (`v*`).
        #[arg(long, value_name = "GLOB")]
        tags: Option<String>,
        /// Mark these images golden: the bases `temper fleet lineage` groups images by.
        #[arg(long)]
        golden: bool,
        /// The store and the output.
        #[command(flatten)]
        store: StoreArgs,
        /// Registry flags, for repository globs.
        #[command(flatten)]
        registry: RegistryArgs,
    },
    /// Group the tracked images by the golden image (`add --golden`) they are built on, from their
    /// `org.opencontainers.image.base.*` annotations or layer prefixes: which are on an old version,
    /// what a rebase onto the newest closes, and which are on no golden image.
    Lineage {
        /// The store and the output.
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Resolve every tracked reference to its digest, queue new digests, then scan the queue here (unless --no-scan).
    Sync {
        /// Only resolve and queue; leave the scans to `temper fleet worker`.
        #[arg(long)]
        no_scan: bool,
        /// The store and the output.
        #[command(flatten)]
        store: StoreArgs,
        /// The advisory database.
        #[command(flatten)]
        matching: MatchingArgs,
        /// Registries and the layer cache.
        #[command(flatten)]
        read: ReadArgs,
    },
    /// Claim and scan queued jobs (any number of workers may share a store); polls until stopped unless --exit-when-idle.
    Worker {
        /// Stop when no job is waiting.
        #[arg(long)]
        exit_when_idle: bool,
        /// The name recorded on claimed jobs (default HOST:PID).
        #[arg(long, value_name = "NAME")]
        name: Option<String>,
        /// Seconds a claim holds unrenewed (a worker renews it every third while it scans); a job whose worker died is taken over after it.
        #[arg(long, value_name = "SECONDS", default_value_t = 900)]
        lease: u64,
        /// Seconds between polls of an empty queue.
        #[arg(long, value_name = "SECONDS", default_value_t = 5)]
        poll: u64,
        /// The store and the output.
        #[command(flatten)]
        store: StoreArgs,
        /// The advisory database.
        #[command(flatten)]
        matching: MatchingArgs,
        /// Registries and the layer cache.
        #[command(flatten)]
        read: ReadArgs,
    },
    /// Match every stored inventory against the advisory database again (no image is read); vanished findings close with their reason.
    Rematch {
        /// The store and the output.
        #[command(flatten)]
        store: StoreArgs,
        /// The advisory database.
        #[command(flatten)]
        matching: MatchingArgs,
    },
    /// List every open finding whose fix has been known longer than its severity's SLA; exit 1 when there is one.
    Report {
        /// Days a known fix may stay unapplied, per severity (critical, high, medium, low, unknown).
        #[arg(long, value_name = "LIMITS", default_value = "critical=7d,high=30d,medium=90d")]
        sla: String,
        /// Judge at this time instead of now: YYYY-MM-DD (midnight UTC) or RFC 3339.
        #[arg(long, value_name = "DATE")]
        now: Option<String>,
        /// The store and the output.
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Show the tracked images, open findings by severity, closed ones by reason, and the queue.
    Status {
        /// The store and the output.
        #[command(flatten)]
        store: StoreArgs,
    },
}
