//! The advisory database as an assessment uses it: where it is, opening
//! it with errors that say how to make it, updating its feeds, how healthy
//! it is, and whether it covers what an inventory needs.

use std::path::{Path, PathBuf};

use temper_advisory::db::{AdvisoryDb, Check, Status};
use temper_advisory::feed::{Feed, FeedError, Outcome};
use temper_inventory::Inventory;

use crate::{Error, Reporter};

/// `explicit` (`--db`, `TEMPER_DB`), else the user data directory's.
pub fn db_path(explicit: Option<&Path>) -> Result<PathBuf, Error> {
    explicit.map(Path::to_owned).or_else(temper_advisory::db::default_path).ok_or_else(|| Error::Input("no advisory database path: set --db, TEMPER_DB or HOME".into()))
}

/// Opens the database for reading; a missing one is an error that says how to make it.
pub fn open_existing(path: &Path) -> Result<AdvisoryDb, Error> {
    if !path.exists() {
        return Err(Error::Input(format!(
            "{}: no advisory database; create it with `temper db update` (downloads the configured feeds) or `temper db import PATH…` (OSV files at hand), or pass --advisories PATH",
            path.display()
        )));
    }
    open(path)
}

/// Opens (or creates) the database at `path`; a file that is not SQLite
/// is named as such, once, with the fix.
pub fn open(path: &Path) -> Result<AdvisoryDb, Error> {
    AdvisoryDb::open(path).map_err(|e| {
        let sqlite = std::error::Error::source(&e).and_then(|s| s.downcast_ref::<rusqlite::Error>()).and_then(rusqlite::Error::sqlite_error_code);
        if sqlite == Some(rusqlite::ErrorCode::NotADatabase) {
            Error::Input(format!("{}: not an advisory database (not SQLite); point --db at the file `temper db update` or `temper db import` writes, or move this one away", path.display()))
        } else {
            e.into()
        }
    })
}

/// A database in memory holding the records of `paths` (OSV files,
/// directories, zips), for a run that names its advisories.
pub fn in_memory(paths: &[PathBuf], reporter: &dyn Reporter) -> Result<AdvisoryDb, Error> {
    let mut db = AdvisoryDb::in_memory()?;
    let stats = db.import(paths)?;
    for (name, why) in &stats.skipped {
        reporter.warn(&format!("skipped {name}: {why}"));
    }
    Ok(db)
}

/// Updates every feed in turn; a failed feed keeps its previous records
/// and the others still update. One result per feed, in order.
pub fn update_feeds<'f>(db: &mut AdvisoryDb, path: &Path, feeds: &'f [Feed], reporter: &dyn Reporter) -> Vec<(&'f Feed, Result<Outcome, FeedError>)> {
    let tmp = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new(".")).to_owned();
    feeds
        .iter()
        .map(|feed| {
            let progress = reporter.download(&feed.name);
            let result = temper_advisory::feed::update(db, feed, &tmp, &mut |total, read| progress.update(total, read));
            (feed, result)
        })
        .collect()
}

/// Seconds from the Unix time `then` to now.
fn seconds_since(then: i64) -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64) - then
}

/// Whole days since the database was last updated; `None` when never.
pub fn age_days(db: &AdvisoryDb) -> Result<Option<i64>, Error> {
    Ok(db.updated()?.map(|t| seconds_since(t).max(0) / 86_400))
}

/// What `temper db check` reports.
pub struct Health {
    /// Records per ecosystem, KEV and CVE counts, last update.
    pub status: Status,
    /// SQLite's integrity check and the records that no longer parse.
    pub check: Check,
    /// Days since the last update.
    pub age_days: Option<i64>,
    /// Each problem found, with its fix.
    pub problems: Vec<String>,
    /// Whether a problem is damage (SQLite's or a record's), not only emptiness or age.
    pub damaged: bool,
}

/// Checks the database: damage, emptiness, and an age over `max_days`.
pub fn health(db: &AdvisoryDb, max_days: u32) -> Result<Health, Error> {
    let status = db.status()?;
    let check = db.check()?;
    let age_days = status.updated.map(|t| seconds_since(t).max(0) / 86_400);
    let mut problems = Vec::new();
    if check.sqlite != "ok" {
        problems.push(format!("SQLite reports damage: {}", check.sqlite));
    }
    if let Some(first) = check.damaged.first() {
        problems.push(format!("{} stored records no longer parse (first: {first})", check.damaged.len()));
    }
    let damaged = !problems.is_empty();
    if status.records.values().all(|n| *n == 0) {
        problems.push("no advisory records: run `temper db update` or `temper db import PATH…`".into());
    }
    match age_days {
        Some(days) if days > i64::from(max_days) => problems.push(format!("{days} days old, over max_age_days {max_days}: run `temper db update`")),
        None => problems.push("never updated".into()),
        _ => {}
    }
    Ok(Health { status, check, age_days, problems, damaged })
}

/// Refuses (or with `allow_partial` warns) when the database holds no
/// record for an ecosystem the inventory needs: "0 findings" would then
/// mean "not checked", not "clean". `source` names the database in the
/// message.
pub fn require_coverage(db: &AdvisoryDb, inventory: &Inventory, allow_partial: bool, source: &str, reporter: &dyn Reporter) -> Result<(), Error> {
    let missing = temper_finding::uncovered_families(db, inventory)?;
    if missing.is_empty() {
        return Ok(());
    }
    let packages = |n: usize| if n == 1 { "1 package".to_owned() } else { format!("{n} packages") };
    if allow_partial {
        for (family, n) in &missing {
            reporter.warn(&format!("{source} holds no {family} records; {} not checked", packages(*n)));
        }
        return Ok(());
    }
    let list = missing.iter().map(|(f, n)| format!("{f} ({})", packages(*n))).collect::<Vec<_>>().join(", ");
    Err(Error::Input(format!(
        "{source} holds no records for {list}, so those packages cannot be checked; run `temper db update` (or import those ecosystems' records), or pass --allow-partial-db to scan anyway with a warning"
    )))
}
