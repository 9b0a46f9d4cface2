//! `temper cache …`.

use std::path::PathBuf;

use clap::Subcommand;

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
