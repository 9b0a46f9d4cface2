//! `temper cache …`: the per-layer cache.

use std::process::ExitCode;

use anyhow::{Result, anyhow};
use temper_cli::CacheCommand;

use super::print;
use crate::size;

pub fn run(command: CacheCommand) -> Result<ExitCode> {
    match command {
        CacheCommand::Clean { cache_dir } => {
            let dir = cache_dir.or_else(temper_inventory::cache::default_dir).ok_or_else(|| anyhow!("no cache directory: set --cache-dir or HOME"))?;
            let freed = temper_inventory::cache::clean(&dir)?;
            print(&format!("removed {} from {}\n", size::human(freed), dir.display()))?;
            Ok(ExitCode::SUCCESS)
        }
    }
}
