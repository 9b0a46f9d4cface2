//! Findings: the inventory matched against the advisory database, with
//! VEX statements and ignore files applied and the caller's filters.

use std::path::{Path, PathBuf};

use temper_advisory::db::AdvisoryDb;
use temper_finding::vex::Suppressions;
use temper_finding::{Matches, Severity};
use temper_inventory::Inventory;

use crate::Error;

/// Which findings are reported.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    /// Only these severities; all when empty.
    pub severities: Vec<Severity>,
    /// Leave out findings with no fixed version.
    pub ignore_unfixed: bool,
}

/// The VEX documents (OpenVEX or CycloneDX) and the ignore file that
/// suppress findings.
pub fn suppressions(vex: &[PathBuf], ignore_file: Option<&Path>) -> Result<Suppressions, Error> {
    let mut suppressions = Suppressions::default();
    for file in vex {
        suppressions.add_vex(file)?;
    }
    if let Some(file) = ignore_file {
        suppressions.add_ignore_file(file)?;
    }
    Ok(suppressions)
}

/// The findings of `inventory`, suppressions applied (as of today), then
/// `filter`.
pub fn find(db: &AdvisoryDb, inventory: &Inventory, suppressions: &Suppressions, filter: &Filter) -> Result<Matches, Error> {
    find_cached(db, inventory, suppressions, filter, &mut temper_finding::MatchCache::default())
}

/// [`find`] through `cache`, for a caller matching many inventories
/// against one database.
pub fn find_cached(db: &AdvisoryDb, inventory: &Inventory, suppressions: &Suppressions, filter: &Filter, cache: &mut temper_finding::MatchCache) -> Result<Matches, Error> {
    let mut matches = temper_finding::match_inventory_cached(db, inventory, cache)?;
    matches.suppress(suppressions, &temper_finding::vex::today());
    matches.findings.retain(|f| (filter.severities.is_empty() || filter.severities.contains(&f.severity)) && !(filter.ignore_unfixed && f.fixed_versions.is_empty()));
    Ok(matches)
}
