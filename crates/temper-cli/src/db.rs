//! `temper db …`.

use std::path::PathBuf;

use clap::{Args, Subcommand};

/// Where the advisory database is.
#[derive(Args, Debug, Clone)]
pub struct DbArgs {
    /// The advisory database (default: $XDG_DATA_HOME/temper/advisories.db or ~/.local/share/temper/advisories.db).
    #[arg(long = "db", value_name = "FILE", env = "TEMPER_DB")]
    pub path: Option<PathBuf>,
}

/// `temper db …`.
#[derive(Subcommand, Debug)]
pub enum DbCommand {
    /// Import OSV records (JSON files, directories of them, osv.dev all.zip exports), CVE JSON 5 records (severity only) and CISA's KEV catalog.
    Import {
        /// Files, directories or zips.
        #[arg(required = true, value_name = "PATH")]
        paths: Vec<PathBuf>,
        /// The database.
        #[command(flatten)]
        db: DbArgs,
    },
    /// Fetch the configured feeds (osv.dev exports and CISA KEV by default) with conditional requests.
    Update {
        /// The database.
        #[command(flatten)]
        db: DbArgs,
        /// Config file with `[db]` feeds and max_age_days (default: the nearest ./.temper.toml up to the repository root, else $XDG_CONFIG_HOME/temper/config.toml).
        #[arg(long, value_name = "FILE", env = "TEMPER_CONFIG")]
        config: Option<PathBuf>,
        /// Only these feeds (by name); repeatable.
        #[arg(long = "feed", value_name = "NAME")]
        feeds: Vec<String>,
    },
    /// Check the database: records per ecosystem, age, and integrity (exit 1 when empty or stale, 2 when damaged).
    Check {
        /// The database.
        #[command(flatten)]
        db: DbArgs,
        /// Config file (see `temper db update`); gives max_age_days.
        #[arg(long, value_name = "FILE", env = "TEMPER_CONFIG")]
        config: Option<PathBuf>,
        /// Output format.
        #[arg(long, short, value_enum, default_value_t = crate::Format::Table)]
        format: crate::Format,
    },
    /// Show what the database holds and how old it is.
    Status {
        /// The database.
        #[command(flatten)]
        db: DbArgs,
        /// Output format.
        #[arg(long, short, value_enum, default_value_t = crate::Format::Table)]
        format: crate::Format,
    },
}
