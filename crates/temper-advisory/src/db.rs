//! The local advisory database: OSV records in SQLite, indexed by
//! (ecosystem family, package name) and by every id they go by, plus
//! CISA's KEV catalog and the CVSS metrics of CVE JSON 5 records (a
//! severity source looked up by CVE id, never matched).
//!
//! Every import runs in one transaction, so a crash or a refused input
//! leaves the database exactly as it was (SQLite's atomic commit; WAL mode
//! lets scans read while an import writes). The schema version is kept in
//! `PRAGMA user_version`; a database written by another schema version is
//! refused with a message saying how to rebuild it, never misread.
//!
//! The SLA clock starts here: for each (record, ecosystem family,
//! package) the database keeps the date a fixed version first became
//! known ([`AdvisoryDb::fix_known_since`]), set once and never moved by
//! later imports (see [`FixSource`] for where each date comes from).
//!
//! Records come from strangers (feeds, mirrors, zips): each file is
//! bounded in size, a record that does not parse is reported with its
//! path and skipped, and a zip's entries are bounded in size and number.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use rusqlite::{Connection, OptionalExtension, params};

use crate::cve::{self, CveRecord, Metric, Origin};
use crate::osv::Record;

/// The schema this build reads and writes.
pub const SCHEMA_VERSION: i64 = 3;
/// The most ids one vulnerability is followed through when looking for
/// its severity (a record naming hundreds of aliases is not trusted to
/// pull in the whole database).
const MAX_RELATED_IDS: usize = 64;
/// The largest record file read (the biggest real OSV records are ~1 MiB).
const MAX_RECORD_BYTES: u64 = 16 << 20;
/// The most entries read from one zip export.
const MAX_ZIP_ENTRIES: usize = 1_000_000;
/// The most bytes inflated from one zip export.
const MAX_ZIP_BYTES: u64 = 8 << 30;

/// What went wrong with the database or an input.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// SQLite failed.
    #[error("{path}: {source}")]
    Sqlite {
        /// The database file.
        path: PathBuf,
        /// The cause.
        source: rusqlite::Error,
    },
    /// The database was written by another schema version.
    #[error("{path}: advisory database schema {found}, this temper reads {SCHEMA_VERSION}; remove the file and import or update again")]
    Schema {
        /// The database file.
        path: PathBuf,
        /// Its schema version.
        found: i64,
    },
    /// An input could not be read at all.
    #[error("{path}: {reason}")]
    Input {
        /// The input.
        path: PathBuf,
        /// Why.
        reason: String,
    },
}

/// What an import did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ImportStats {
    /// Records stored (new or replaced), per ecosystem family they name (a
    /// record naming npm and RubyGems packages counts under both).
    pub records: BTreeMap<String, usize>,
    /// KEV entries stored.
    pub kev: usize,
    /// CVE JSON 5 records stored (severity sources).
    pub cve: usize,
    /// Inputs skipped, with why.
    pub skipped: Vec<(String, String)>,
}

/// What the database remembers of one feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedState {
    /// The feed's name (`PyPI`, `KEV`).
    pub name: String,
    /// Where it was fetched from.
    pub url: String,
    /// The `ETag` of the last download.
    pub etag: Option<String>,
    /// The `Last-Modified` of the last download.
    pub last_modified: Option<String>,
    /// Unix time of the last check.
    pub fetched: i64,
}

/// Per-source counts and age, for `temper db status`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    /// Records per ecosystem family they name, withdrawn ones left out.
    pub records: BTreeMap<String, usize>,
    /// KEV entries.
    pub kev: usize,
    /// CVE records, and how many of them carry a CVSS metric.
    pub cve: (usize, usize),
    /// Unix time of the last import or update, if any.
    pub updated: Option<i64>,
    /// Feeds and when each was last checked.
    pub feeds: Vec<FeedState>,
}

/// The database.
pub struct AdvisoryDb {
    conn: Connection,
    path: PathBuf,
}

/// The current Unix time in seconds.
fn unix_now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// The ecosystem family of an OSV ecosystem name (`Debian:12` → `Debian`).
pub fn family(ecosystem: &str) -> &str {
    ecosystem.split(':').next().unwrap_or(ecosystem)
}

/// The name under which a package is indexed: PyPI names are compared
/// after PEP 503 normalisation, every other ecosystem as written.
pub fn index_name(family: &str, name: &str) -> String {
    if family == "PyPI" {
        let mut out = String::with_capacity(name.len());
        let mut sep = false;
        for c in name.chars() {
            if matches!(c, '-' | '_' | '.') {
                sep = true;
            } else {
                if sep && !out.is_empty() {
                    out.push('-');
                }
                sep = false;
                out.push(c.to_ascii_lowercase());
            }
        }
        out
    } else {
        name.to_owned()
    }
}

/// The user's default database path: `$XDG_DATA_HOME/temper/advisories.db`
/// or `~/.local/share/temper/advisories.db`.
pub fn default_path() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_DATA_HOME").filter(|v| !v.is_empty()).map(PathBuf::from).or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))?;
    Some(base.join("temper").join("advisories.db"))
}

/// Whether a record says anything about severity: a CVSS vector or a
/// vendor's word, for the record or one of its packages. Only such records
/// are read when rating a finding by alias; the others only link ids.
fn rates(record: &Record) -> bool {
    !record.severity.is_empty() || record.affected.iter().any(|a| !a.severity.is_empty()) || record.vendor_words().next().is_some()
}

/// When a fixed version of one package first became known, and how temper knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct FixKnown {
    /// Unix time.
    pub since: i64,
    /// Where the time comes from.
    pub source: FixSource,
}

/// Where a [`FixKnown`] time comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FixSource {
    /// The record's own date of the fix: a Debian changelog entry's date
    /// (the entry that names the vulnerability, in the upload that fixed it).
    Changelog,
    /// An import or update found the fix where the record, held before,
    /// had none: the date of that update.
    Update,
    /// The record already held the fix when temper first imported it: the
    /// import's date, so the fix may be older (OSV's `published` and
    /// `modified` date the record, not its fix, and are not used).
    FirstImport,
}

impl FixSource {
    /// As stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            FixSource::Changelog => "changelog",
            FixSource::Update => "update",
            FixSource::FirstImport => "first-import",
        }
    }

    /// The inverse of [`FixSource::as_str`].
    pub fn parse(text: &str) -> Option<FixSource> {
        [FixSource::Changelog, FixSource::Update, FixSource::FirstImport].into_iter().find(|s| s.as_str() == text)
    }
}

/// Records (advisory, family, package) the first time it is seen; with its
/// fix date when a fix is already there. A row that exists is left as is.
const PUT_FIX_KNOWN: &str = "INSERT OR IGNORE INTO fix_known (record_id, family, name, first_seen, since, source) VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
/// Dates a fix that appeared in a record held before without one; a date
/// once set never moves.
const FIX_APPEARED: &str = "UPDATE fix_known SET since = ?4, source = ?5 WHERE record_id = ?1 AND family = ?2 AND name = ?3 AND since IS NULL";

/// The date of a record's fix as the record itself gives it: temper's
/// Debian records are made from changelogs (`database_specific.source`
/// says so) and are `published` at the date of the changelog entry naming
/// the vulnerability. No other feed dates its fixes (an OSV record's
/// `published` and `modified` date the record).
fn changelog_date(record: &Record) -> Option<i64> {
    let source = record.database_specific.as_ref()?.get("source")?.as_str()?;
    if !source.starts_with("debian changelog") {
        return None;
    }
    let published = time::OffsetDateTime::parse(record.published.as_deref()?, &time::format_description::well_known::Rfc3339).ok()?;
    Some(published.unix_timestamp())
}

/// Keeps the fix-known dates of `record`'s packages, an import at `now`.
fn record_fixes(record: &Record, now: i64, put: &mut rusqlite::Statement<'_>, appeared: &mut rusqlite::Statement<'_>) -> Result<(), rusqlite::Error> {
    let mut packages: BTreeMap<(String, String), bool> = BTreeMap::new();
    for a in &record.affected {
        let Some(p) = &a.package else { continue };
        let fam = family(&p.ecosystem).to_owned();
        let fixed = a.ranges.iter().flat_map(|r| &r.events).any(|e| matches!(e, crate::osv::Event::Fixed(_)));
        *packages.entry((index_name(&fam, &p.name), fam)).or_default() |= fixed;
    }
    let own = changelog_date(record);
    for ((name, fam), fixed) in packages {
        let (first, later) = match own {
            Some(date) => ((Some(date), Some(FixSource::Changelog.as_str())), (date, FixSource::Changelog)),
            None => ((Some(now), Some(FixSource::FirstImport.as_str())), (now, FixSource::Update)),
        };
        let (since, source) = if fixed { first } else { (None, None) };
        put.execute(params![record.id, fam, name, now, since, source])?;
        if fixed {
            appeared.execute(params![record.id, fam, name, later.0, later.1.as_str()])?;
        }
    }
    Ok(())
}

/// One parsed input file.
enum Parsed {
    Record(Box<Record>, Vec<u8>),
    Kev(Vec<(String, Option<String>)>),
    Cve(CveRecord),
}

/// Records of the same vulnerability, found by id or alias: what rates a
/// finding whose own advisory has no score.
#[derive(Debug, Default)]
pub struct Related {
    /// Every id the vulnerability goes by, as far as the database knows.
    pub ids: std::collections::BTreeSet<String>,
    /// OSV records holding one of those ids (withdrawn ones left out).
    pub records: Vec<Record>,
    /// CVSS metrics of CVE records among those ids: (CVE id, metric).
    pub metrics: Vec<(String, Metric)>,
}

/// What `temper db check` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    /// SQLite's `quick_check` answer (`ok` when sound).
    pub sqlite: String,
    /// Stored records that no longer parse, by id.
    pub damaged: Vec<String>,
    /// Records read.
    pub records: usize,
}

fn parse_bytes(bytes: Vec<u8>) -> Result<Parsed, String> {
    let value: serde_json::Value = serde_json::from_slice(&bytes).map_err(|e| format!("not JSON: {e}"))?;
    if let Some(list) = value.get("vulnerabilities").and_then(|v| v.as_array())
        && value.get("catalogVersion").is_some()
    {
        let kev = list
            .iter()
            .filter_map(|v| Some((v.get("cveID")?.as_str()?.to_owned(), v.get("dateAdded").and_then(|d| d.as_str()).map(str::to_owned))))
            .collect();
        return Ok(Parsed::Kev(kev));
    }
    if cve::is_cve_record(&value) {
        return cve::parse(&value).map(Parsed::Cve);
    }
    let record: Record = serde_json::from_value(value).map_err(|e| format!("not an OSV record: {e}"))?;
    if record.id.is_empty() {
        return Err("the record has an empty id".into());
    }
    Ok(Parsed::Record(Box::new(record), bytes))
}

fn read_bounded(mut r: impl Read, what: &str) -> Result<Vec<u8>, String> {
    let mut buf = Vec::new();
    (&mut r).take(MAX_RECORD_BYTES + 1).read_to_end(&mut buf).map_err(|e| format!("reading {what}: {e}"))?;
    if buf.len() as u64 > MAX_RECORD_BYTES {
        return Err(format!("{what} is over {MAX_RECORD_BYTES} bytes"));
    }
    Ok(buf)
}

/// Expands the inputs into JSON files and zip archives, sorted so imports
/// are deterministic.
fn collect_inputs(paths: &[PathBuf]) -> Result<Vec<PathBuf>, DbError> {
    let mut out = Vec::new();
    for p in paths {
        let meta = std::fs::metadata(p).map_err(|e| DbError::Input { path: p.clone(), reason: e.to_string() })?;
        if meta.is_dir() {
            let mut stack = vec![p.clone()];
            while let Some(dir) = stack.pop() {
                let entries = std::fs::read_dir(&dir).map_err(|e| DbError::Input { path: dir.clone(), reason: e.to_string() })?;
                for entry in entries {
                    let entry = entry.map_err(|e| DbError::Input { path: dir.clone(), reason: e.to_string() })?;
                    let path = entry.path();
                    let kind = entry.file_type().map_err(|e| DbError::Input { path: path.clone(), reason: e.to_string() })?;
                    if kind.is_dir() {
                        stack.push(path);
                    } else if kind.is_file() && path.extension().is_some_and(|x| x == "json" || x == "zip") {
                        out.push(path);
                    }
                }
            }
        } else {
            out.push(p.clone());
        }
    }
    out.sort();
    Ok(out)
}

fn read_json(path: &Path) -> Result<Parsed, String> {
    std::fs::File::open(path).map_err(|e| e.to_string()).and_then(|f| read_bounded(f, "the file")).and_then(parse_bytes)
}

/// Hands each JSON entry of a zip export to `each`, one at a time, so an
/// export of any size is imported in bounded memory.
fn for_each_zip_entry(path: &Path, each: &mut dyn FnMut(String, Result<Parsed, String>) -> Result<(), DbError>) -> Result<(), DbError> {
    let name = path.display().to_string();
    let mut archive = match std::fs::File::open(path).map_err(|e| e.to_string()).and_then(|f| zip::ZipArchive::new(f).map_err(|e| format!("not a zip archive: {e}"))) {
        Ok(a) => a,
        Err(e) => return each(name, Err(e)),
    };
    if archive.len() > MAX_ZIP_ENTRIES {
        return each(name, Err(format!("{} entries, over the limit of {MAX_ZIP_ENTRIES}", archive.len())));
    }
    let mut inflated = 0u64;
    for i in 0..archive.len() {
        let mut entry = match archive.by_index(i) {
            Ok(e) => e,
            Err(e) => {
                each(format!("{name}: entry {i}"), Err(e.to_string()))?;
                continue;
            }
        };
        let Ok(inner) = entry.name().map(|n| n.into_owned()) else {
            each(format!("{name}: entry {i}"), Err("the entry name is not valid UTF-8".into()))?;
            continue;
        };
        if !entry.is_file() || !inner.ends_with(".json") {
            continue;
        }
        let entry_name = format!("{name}!{inner}");
        let bytes = read_bounded(&mut entry, "the entry");
        inflated += bytes.as_ref().map_or(0, |b| b.len() as u64);
        if inflated > MAX_ZIP_BYTES {
            return each(name, Err(format!("inflates to over {MAX_ZIP_BYTES} bytes; the rest is skipped")));
        }
        each(entry_name, bytes.and_then(parse_bytes))?;
    }
    Ok(())
}

/// Prepared statements of one import transaction.
struct Writer<'t> {
    path: &'t Path,
    source: &'t str,
    delete_affected: rusqlite::Statement<'t>,
    delete_aliases: rusqlite::Statement<'t>,
    put_record: rusqlite::Statement<'t>,
    put_affected: rusqlite::Statement<'t>,
    put_alias: rusqlite::Statement<'t>,
    put_kev: rusqlite::Statement<'t>,
    delete_metrics: rusqlite::Statement<'t>,
    put_metric: rusqlite::Statement<'t>,
    put_cve: rusqlite::Statement<'t>,
    delete_rated: rusqlite::Statement<'t>,
    put_rated: rusqlite::Statement<'t>,
    put_fix_known: rusqlite::Statement<'t>,
    fix_appeared: rusqlite::Statement<'t>,
    now: i64,
    stats: ImportStats,
}

impl<'t> Writer<'t> {
    fn new(tx: &'t rusqlite::Transaction<'t>, path: &'t Path, source: &'t str, now: i64) -> Result<Self, rusqlite::Error> {
        Ok(Writer {
            path,
            source,
            delete_affected: tx.prepare("DELETE FROM affected WHERE record_id = ?1")?,
            delete_aliases: tx.prepare("DELETE FROM aliases WHERE record_id = ?1")?,
            put_record: tx.prepare("INSERT OR REPLACE INTO records (id, source, modified, withdrawn, json) VALUES (?1, ?2, ?3, ?4, ?5)")?,
            put_affected: tx.prepare("INSERT INTO affected (family, name, record_id) VALUES (?1, ?2, ?3)")?,
            put_alias: tx.prepare("INSERT INTO aliases (alias, record_id) VALUES (?1, ?2)")?,
            put_kev: tx.prepare("INSERT OR REPLACE INTO kev (cve, date_added) VALUES (?1, ?2)")?,
            delete_metrics: tx.prepare("DELETE FROM cve_metrics WHERE cve = ?1")?,
            put_metric: tx.prepare("INSERT INTO cve_metrics (cve, origin, provider, vector) VALUES (?1, ?2, ?3, ?4)")?,
            put_cve: tx.prepare("INSERT OR REPLACE INTO cve_records (id, source, modified, metrics) VALUES (?1, ?2, ?3, ?4)")?,
            delete_rated: tx.prepare("DELETE FROM rated WHERE record_id = ?1")?,
            put_rated: tx.prepare("INSERT OR REPLACE INTO rated (record_id) VALUES (?1)")?,
            put_fix_known: tx.prepare(PUT_FIX_KNOWN)?,
            fix_appeared: tx.prepare(FIX_APPEARED)?,
            now,
            stats: ImportStats::default(),
        })
    }

    fn put(&mut self, name: String, item: Result<Parsed, String>) -> Result<(), DbError> {
        let sqlite = |source| DbError::Sqlite { path: self.path.to_owned(), source };
        match item {
            Err(reason) => self.stats.skipped.push((name, reason)),
            Ok(Parsed::Kev(entries)) => {
                for (cve, date) in entries {
                    self.put_kev.execute(params![cve, date]).map_err(sqlite)?;
                    self.stats.kev += 1;
                }
            }
            Ok(Parsed::Cve(cve)) => {
                self.delete_metrics.execute([&cve.id]).map_err(sqlite)?;
                for m in &cve.metrics {
                    self.put_metric.execute(params![cve.id, m.origin.as_str(), m.provider, m.vector]).map_err(sqlite)?;
                }
                self.put_cve.execute(params![cve.id, self.source, cve.modified, i64::try_from(cve.metrics.len()).unwrap_or(i64::MAX)]).map_err(sqlite)?;
                self.stats.cve += 1;
            }
            Ok(Parsed::Record(record, raw)) => {
                let mut packages: Vec<(String, String)> = record
                    .affected
                    .iter()
                    .filter_map(|a| a.package.as_ref())
                    .map(|p| {
                        let fam = family(&p.ecosystem).to_owned();
                        let name = index_name(&fam, &p.name);
                        (fam, name)
                    })
                    .collect();
                packages.sort();
                packages.dedup();
                self.delete_affected.execute([&record.id]).map_err(sqlite)?;
                self.delete_aliases.execute([&record.id]).map_err(sqlite)?;
                self.put_record.execute(params![record.id, self.source, record.modified, record.withdrawn.is_some(), raw]).map_err(sqlite)?;
                self.delete_rated.execute([&record.id]).map_err(sqlite)?;
                if rates(&record) {
                    self.put_rated.execute([&record.id]).map_err(sqlite)?;
                }
                for (f, n) in &packages {
                    self.put_affected.execute(params![f, n, record.id]).map_err(sqlite)?;
                }
                record_fixes(&record, self.now, &mut self.put_fix_known, &mut self.fix_appeared).map_err(sqlite)?;
                // Upstream ids are indexed beside aliases: both name the
                // same vulnerability when looking for its severity.
                let mut others: Vec<&String> = record.aliases.iter().chain(&record.upstream).filter(|a| **a != record.id).collect();
                others.sort();
                others.dedup();
                for alias in others {
                    self.put_alias.execute(params![alias, record.id]).map_err(sqlite)?;
                }
                let mut families: Vec<&String> = packages.iter().map(|(f, _)| f).collect();
                families.dedup();
                for f in families {
                    *self.stats.records.entry(f.clone()).or_default() += 1;
                }
            }
        }
        Ok(())
    }
}

impl AdvisoryDb {
    /// Opens (creating if needed) the database at `path`.
    pub fn open(path: &Path) -> Result<AdvisoryDb, DbError> {
        let sqlite = |source| DbError::Sqlite { path: path.to_owned(), source };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| DbError::Input { path: dir.to_owned(), reason: e.to_string() })?;
        }
        Self::init(Connection::open(path).map_err(sqlite)?, path)
    }

    /// A database that lives in memory for this process only (`scan
    /// --advisories`: advisories given on the command line, nothing kept).
    pub fn in_memory() -> Result<AdvisoryDb, DbError> {
        let path = Path::new(":memory:");
        Self::init(Connection::open_in_memory().map_err(|source| DbError::Sqlite { path: path.to_owned(), source })?, path)
    }

    fn init(conn: Connection, path: &Path) -> Result<AdvisoryDb, DbError> {
        let sqlite = |source| DbError::Sqlite { path: path.to_owned(), source };
        conn.busy_timeout(std::time::Duration::from_secs(30)).map_err(sqlite)?;
        // Rating by alias reads many small index pages: mapped, they cost no
        // copy each (SQLite falls back to reads where mapping is unavailable).
        conn.pragma_update(None, "mmap_size", 1i64 << 30).map_err(sqlite)?;
        let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).map_err(sqlite)?;
        let tables: i64 = conn.query_row("SELECT count(*) FROM sqlite_master WHERE type = 'table'", [], |r| r.get(0)).map_err(sqlite)?;
        if version == 0 && tables == 0 {
            conn.pragma_update(None, "journal_mode", "WAL").map_err(sqlite)?;
            conn.execute_batch(
                "BEGIN;
                 CREATE TABLE records (id TEXT PRIMARY KEY, source TEXT NOT NULL, modified TEXT, withdrawn INTEGER NOT NULL, json BLOB NOT NULL);
                 CREATE INDEX records_by_source ON records (source);
                 CREATE TABLE feeds (name TEXT PRIMARY KEY, url TEXT NOT NULL, etag TEXT, last_modified TEXT, fetched INTEGER NOT NULL, records INTEGER NOT NULL);
                 CREATE TABLE affected (family TEXT NOT NULL, name TEXT NOT NULL, record_id TEXT NOT NULL);
                 CREATE INDEX affected_by_package ON affected (family, name);
                 CREATE INDEX affected_by_record ON affected (record_id);
                 CREATE TABLE aliases (alias TEXT NOT NULL, record_id TEXT NOT NULL);
                 CREATE INDEX aliases_by_alias ON aliases (alias);
                 CREATE INDEX aliases_by_record ON aliases (record_id);
                 CREATE TABLE kev (cve TEXT PRIMARY KEY, date_added TEXT);
                 CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
                 PRAGMA user_version = 1;
                 COMMIT;",
            )
            .map_err(sqlite)?;
        }
        let fresh = version == 0 && tables == 0;
        if fresh || version == 1 {
            // Version 2 adds the CVE severity tables and the index of records
            // that carry a severity; a version 1 database keeps its records
            // (their upstream ids are indexed on the next import of them).
            let tx = conn.unchecked_transaction().map_err(sqlite)?;
            tx.execute_batch(
                "CREATE TABLE cve_records (id TEXT PRIMARY KEY, source TEXT NOT NULL, modified TEXT, metrics INTEGER NOT NULL);
                 CREATE INDEX cve_records_by_source ON cve_records (source);
                 CREATE TABLE cve_metrics (cve TEXT NOT NULL, origin TEXT NOT NULL, provider TEXT, vector TEXT NOT NULL);
                 CREATE INDEX cve_metrics_by_cve ON cve_metrics (cve);
                 CREATE TABLE rated (record_id TEXT PRIMARY KEY);",
            )
            .map_err(sqlite)?;
            {
                let mut read = tx.prepare("SELECT id, json FROM records").map_err(sqlite)?;
                let mut put = tx.prepare("INSERT OR REPLACE INTO rated (record_id) VALUES (?1)").map_err(sqlite)?;
                let mut rows = read.query([]).map_err(sqlite)?;
                while let Some(row) = rows.next().map_err(sqlite)? {
                    let (id, json): (String, Vec<u8>) = (row.get(0).map_err(sqlite)?, row.get(1).map_err(sqlite)?);
                    if serde_json::from_slice::<Record>(&json).is_ok_and(|r| rates(&r)) {
                        put.execute([id]).map_err(sqlite)?;
                    }
                }
            }
            tx.execute_batch("PRAGMA user_version = 2;").map_err(sqlite)?;
            tx.commit().map_err(sqlite)?;
        }
        if fresh || version == 1 || version == 2 {
            // Version 3 adds when each fix became known; the records held
            // count as first imported now (their fixes may be older).
            let tx = conn.unchecked_transaction().map_err(sqlite)?;
            tx.execute_batch(
                "CREATE TABLE fix_known (record_id TEXT NOT NULL, family TEXT NOT NULL, name TEXT NOT NULL, first_seen INTEGER NOT NULL, since INTEGER, source TEXT, PRIMARY KEY (record_id, family, name));",
            )
            .map_err(sqlite)?;
            {
                let now = unix_now();
                let mut read = tx.prepare("SELECT json FROM records").map_err(sqlite)?;
                let mut put = tx.prepare(PUT_FIX_KNOWN).map_err(sqlite)?;
                let mut appeared = tx.prepare(FIX_APPEARED).map_err(sqlite)?;
                let mut rows = read.query([]).map_err(sqlite)?;
                while let Some(row) = rows.next().map_err(sqlite)? {
                    let json: Vec<u8> = row.get(0).map_err(sqlite)?;
                    if let Ok(record) = serde_json::from_slice::<Record>(&json) {
                        record_fixes(&record, now, &mut put, &mut appeared).map_err(sqlite)?;
                    }
                }
            }
            tx.execute_batch("PRAGMA user_version = 3;").map_err(sqlite)?;
            tx.commit().map_err(sqlite)?;
        } else if version != SCHEMA_VERSION {
            return Err(DbError::Schema { path: path.to_owned(), found: version });
        }
        Ok(AdvisoryDb { conn, path: path.to_owned() })
    }

    /// Imports OSV JSON files, directories of them (recursively), osv.dev
    /// `all.zip` exports and CISA KEV catalogs, all in one transaction.
    pub fn import(&mut self, paths: &[PathBuf]) -> Result<ImportStats, DbError> {
        self.import_at(paths, unix_now())
    }

    /// [`AdvisoryDb::import`] as if run at Unix time `now`: the date a fix
    /// found by this import becomes known.
    pub fn import_at(&mut self, paths: &[PathBuf], now: i64) -> Result<ImportStats, DbError> {
        let inputs = collect_inputs(paths)?;
        self.write("import", &inputs, now, |_| Ok(()))
    }

    /// Replaces everything feed `feed` brought before with the records in
    /// `file` (a zip export or a JSON file), and remembers the validators
    /// for the next conditional request; all or nothing.
    pub fn import_feed(&mut self, feed: &FeedState, file: &Path) -> Result<ImportStats, DbError> {
        let source = format!("feed:{}", feed.name);
        let inputs = vec![file.to_owned()];
        let feed = feed.clone();
        // The feed's check time dates the fixes it brings.
        let now = feed.fetched;
        self.write(&source.clone(), &inputs, now, move |tx| {
            for table in ["affected", "aliases"] {
                tx.execute(&format!("DELETE FROM {table} WHERE record_id IN (SELECT id FROM records WHERE source = ?1)"), [&source])?;
            }
            tx.execute("DELETE FROM rated WHERE record_id IN (SELECT id FROM records WHERE source = ?1)", [&source])?;
            tx.execute("DELETE FROM records WHERE source = ?1", [&source])?;
            tx.execute("DELETE FROM cve_metrics WHERE cve IN (SELECT id FROM cve_records WHERE source = ?1)", [&source])?;
            tx.execute("DELETE FROM cve_records WHERE source = ?1", [&source])?;
            tx.execute(
                "INSERT OR REPLACE INTO feeds (name, url, etag, last_modified, fetched, records) VALUES (?1, ?2, ?3, ?4, ?5, 0)",
                params![feed.name, feed.url, feed.etag, feed.last_modified, feed.fetched],
            )?;
            Ok(())
        })
    }

    /// What the database remembers of feed `name`.
    pub fn feed_state(&self, name: &str) -> Result<Option<FeedState>, DbError> {
        let sqlite = |source| DbError::Sqlite { path: self.path.clone(), source };
        self.conn
            .query_row("SELECT name, url, etag, last_modified, fetched FROM feeds WHERE name = ?1", [name], |r| {
                Ok(FeedState { name: r.get(0)?, url: r.get(1)?, etag: r.get(2)?, last_modified: r.get(3)?, fetched: r.get(4)? })
            })
            .optional()
            .map_err(sqlite)
    }

    /// Marks feed `name` as checked now without new content (HTTP 304).
    pub fn touch_feed(&self, name: &str, fetched: i64) -> Result<(), DbError> {
        let sqlite = |source| DbError::Sqlite { path: self.path.clone(), source };
        self.conn.execute("UPDATE feeds SET fetched = ?2 WHERE name = ?1", params![name, fetched]).map_err(sqlite)?;
        self.conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('updated', ?1)", [fetched.to_string()]).map_err(sqlite)?;
        Ok(())
    }

    /// One transaction: `before` (clearing what is replaced), then every
    /// input, then the `updated` stamp.
    fn write(&mut self, source: &str, inputs: &[PathBuf], now: i64, before: impl FnOnce(&rusqlite::Transaction<'_>) -> Result<(), rusqlite::Error>) -> Result<ImportStats, DbError> {
        let path = self.path.clone();
        let sqlite = |source| DbError::Sqlite { path: path.clone(), source };
        let tx = self.conn.transaction().map_err(sqlite)?;
        before(&tx).map_err(sqlite)?;
        let stats = {
            let mut writer = Writer::new(&tx, &path, source, now).map_err(sqlite)?;
            // JSON files are parsed in parallel, a bounded batch at a time.
            for batch in inputs.chunks(1024) {
                let (zips, files): (Vec<&PathBuf>, Vec<&PathBuf>) = batch.iter().partition(|p| p.extension().is_some_and(|x| x == "zip"));
                let parsed: Vec<(String, Result<Parsed, String>)> = files.par_iter().map(|p| (p.display().to_string(), read_json(p))).collect();
                for (name, item) in parsed {
                    writer.put(name, item)?;
                }
                for zip in zips {
                    for_each_zip_entry(zip, &mut |name, item| writer.put(name, item))?;
                }
            }
            writer.stats
        };
        let total: usize = stats.records.values().sum::<usize>() + stats.cve;
        tx.execute("UPDATE feeds SET records = ?2 WHERE 'feed:' || name = ?1", params![source, i64::try_from(total).unwrap_or(i64::MAX)]).map_err(sqlite)?;
        tx.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('updated', ?1)", [now.to_string()]).map_err(sqlite)?;
        tx.commit().map_err(sqlite)?;
        Ok(stats)
    }

    /// Records that name the package `name` in the ecosystem `family`
    /// (withdrawn ones left out), in id order.
    pub fn candidates(&self, family: &str, name: &str) -> Result<Vec<Record>, DbError> {
        let sqlite = |source| DbError::Sqlite { path: self.path.clone(), source };
        let mut stmt = self
            .conn
            .prepare_cached("SELECT r.id, r.json FROM affected a JOIN records r ON r.id = a.record_id WHERE a.family = ?1 AND a.name = ?2 AND r.withdrawn = 0 ORDER BY r.id")
            .map_err(sqlite)?;
        let rows = stmt.query_map(params![family, index_name(family, name)], |r| Ok((r.get::<_, String>(0)?, r.get::<_, Vec<u8>>(1)?))).map_err(sqlite)?;
        let mut out = Vec::new();
        for row in rows {
            let (id, json) = row.map_err(sqlite)?;
            // Stored records parsed once already; one that no longer does is
            // a damaged database, reported rather than skipped.
            let record: Record = serde_json::from_slice(&json).map_err(|e| DbError::Input { path: self.path.clone(), reason: format!("record {id} is damaged: {e}") })?;
            out.push(record);
        }
        Ok(out)
    }

    /// Everything the database holds about the vulnerability known by
    /// `ids`: OSV records that carry one of the ids as their own or as an
    /// alias or upstream id, followed through their ids in turn (bounded),
    /// and the CVSS metrics of CVE records among them. Records come in id
    /// order, metrics in the order stored (CNA first).
    pub fn related<'a>(&self, ids: impl IntoIterator<Item = &'a str>) -> Result<Related, DbError> {
        let sqlite = |source| DbError::Sqlite { path: self.path.clone(), source };
        let mut out = Related::default();
        // Breadth first, so the finding's own ids are always followed before
        // the cap is reached by ids of ids.
        let mut queue: std::collections::VecDeque<String> = ids.into_iter().map(str::to_owned).collect();
        let mut seen_records = std::collections::BTreeSet::new();
        // The ids are followed through the index alone, two queries per id;
        // only records that carry a severity are read afterwards (a CVE is
        // aliased by hundreds of distro records that say nothing about it).
        let mut records_of = self
            .conn
            .prepare_cached("SELECT id FROM records WHERE id = ?1 UNION SELECT record_id FROM aliases WHERE alias = ?1")
            .map_err(sqlite)?;
        let mut linked = self
            .conn
            .prepare_cached(
                "SELECT b.alias FROM aliases a JOIN aliases b ON b.record_id = a.record_id WHERE a.alias = ?1
                 UNION SELECT alias FROM aliases WHERE record_id = ?1",
            )
            .map_err(sqlite)?;
        while let Some(id) = queue.pop_front() {
            if out.ids.len() >= MAX_RELATED_IDS || !out.ids.insert(id.clone()) {
                continue;
            }
            for row in records_of.query_map([&id], |r| r.get::<_, String>(0)).map_err(sqlite)? {
                seen_records.insert(row.map_err(sqlite)?);
            }
            for row in linked.query_map([&id], |r| r.get::<_, String>(0)).map_err(sqlite)? {
                let alias = row.map_err(sqlite)?;
                if !out.ids.contains(&alias) {
                    queue.push_back(alias);
                }
            }
        }
        // Withdrawn records still link ids (they name the same vulnerability)
        // but never rate it.
        let mut rated = self.conn.prepare_cached("SELECT r.json FROM rated x JOIN records r ON r.id = x.record_id WHERE x.record_id = ?1 AND r.withdrawn = 0").map_err(sqlite)?;
        for record_id in &seen_records {
            if let Some(json) = rated.query_row([record_id], |r| r.get::<_, Vec<u8>>(0)).optional().map_err(sqlite)? {
                let record: Record = serde_json::from_slice(&json).map_err(|e| DbError::Input { path: self.path.clone(), reason: format!("record {record_id} is damaged: {e}") })?;
                out.records.push(record);
            }
        }
        let mut metrics = self.conn.prepare_cached("SELECT origin, provider, vector FROM cve_metrics WHERE cve = ?1 ORDER BY rowid").map_err(sqlite)?;
        for cve in out.ids.iter().filter(|i| i.starts_with("CVE-")) {
            for row in metrics.query_map([cve], |r| Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?, r.get::<_, String>(2)?))).map_err(sqlite)? {
                let (origin, provider, vector) = row.map_err(sqlite)?;
                if let Some(origin) = Origin::parse(&origin) {
                    out.metrics.push((cve.clone(), Metric { origin, provider, vector }));
                }
            }
        }
        Ok(out)
    }

    /// Checks the database: SQLite's own consistency check, then every
    /// stored record parses.
    pub fn check(&self) -> Result<Check, DbError> {
        let sqlite = |source| DbError::Sqlite { path: self.path.clone(), source };
        let answer: Vec<String> = {
            let mut stmt = self.conn.prepare("PRAGMA quick_check").map_err(sqlite)?;
            stmt.query_map([], |r| r.get::<_, String>(0)).map_err(sqlite)?.collect::<Result<_, _>>().map_err(sqlite)?
        };
        let mut damaged = Vec::new();
        let mut records = 0;
        let mut stmt = self.conn.prepare("SELECT id, json FROM records").map_err(sqlite)?;
        for row in stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, Vec<u8>>(1)?))).map_err(sqlite)? {
            let (id, json) = row.map_err(sqlite)?;
            records += 1;
            if serde_json::from_slice::<Record>(&json).is_err() {
                damaged.push(id);
            }
        }
        Ok(Check { sqlite: answer.join("; "), damaged, records })
    }

    /// Whether the database holds any record (withdrawn ones left out)
    /// naming a package of ecosystem `family`; an indexed look-up, unlike
    /// the counts of [`AdvisoryDb::status`].
    pub fn has_records(&self, family: &str) -> Result<bool, DbError> {
        let sqlite = |source| DbError::Sqlite { path: self.path.clone(), source };
        self.conn
            .prepare_cached("SELECT 1 FROM affected a JOIN records r ON r.id = a.record_id WHERE a.family = ?1 AND r.withdrawn = 0 LIMIT 1")
            .map_err(sqlite)?
            .exists([family])
            .map_err(sqlite)
    }

    /// Whether the record `id` is withdrawn; `None` when the database does
    /// not hold it (any more). The fleet closes a finding whose records are
    /// all withdrawn or gone with that reason.
    pub fn withdrawn(&self, id: &str) -> Result<Option<bool>, DbError> {
        let sqlite = |source| DbError::Sqlite { path: self.path.clone(), source };
        self.conn.query_row("SELECT withdrawn FROM records WHERE id = ?1", [id], |r| r.get::<_, bool>(0)).optional().map_err(sqlite)
    }

    /// Since when a fixed version of `package` (in `ecosystem`, an OSV
    /// ecosystem or its family) is known to record `id`; `None` when the
    /// record gives none or the database does not hold it.
    pub fn fix_known_since(&self, id: &str, ecosystem: &str, package: &str) -> Result<Option<FixKnown>, DbError> {
        let sqlite = |source| DbError::Sqlite { path: self.path.clone(), source };
        let fam = family(ecosystem);
        let row: Option<(i64, String)> = self
            .conn
            .prepare_cached("SELECT since, source FROM fix_known WHERE record_id = ?1 AND family = ?2 AND name = ?3 AND since IS NOT NULL")
            .map_err(sqlite)?
            .query_row(params![id, fam, index_name(fam, package)], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()
            .map_err(sqlite)?;
        Ok(row.and_then(|(since, source)| Some(FixKnown { since, source: FixSource::parse(&source)? })))
    }

    /// Whether `cve` is in the KEV catalog, and since when.
    pub fn kev(&self, cve: &str) -> Result<Option<Option<String>>, DbError> {
        let sqlite = |source| DbError::Sqlite { path: self.path.clone(), source };
        self.conn.query_row("SELECT date_added FROM kev WHERE cve = ?1", [cve], |r| r.get::<_, Option<String>>(0)).optional().map_err(sqlite)
    }

    /// Unix time of the last import or update, if any (cheap, unlike
    /// [`AdvisoryDb::status`]).
    pub fn updated(&self) -> Result<Option<i64>, DbError> {
        let sqlite = |source| DbError::Sqlite { path: self.path.clone(), source };
        let updated: Option<String> = self.conn.query_row("SELECT value FROM meta WHERE key = 'updated'", [], |r| r.get(0)).optional().map_err(sqlite)?;
        Ok(updated.and_then(|u| u.parse().ok()))
    }

    /// Counts and age.
    pub fn status(&self) -> Result<Status, DbError> {
        let sqlite = |source| DbError::Sqlite { path: self.path.clone(), source };
        let mut records = BTreeMap::new();
        let mut stmt = self.conn.prepare("SELECT a.family, count(DISTINCT a.record_id) FROM affected a JOIN records r ON r.id = a.record_id WHERE r.withdrawn = 0 GROUP BY a.family ORDER BY a.family").map_err(sqlite)?;
        for row in stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))).map_err(sqlite)? {
            let (f, n) = row.map_err(sqlite)?;
            records.insert(f, usize::try_from(n).unwrap_or(0));
        }
        let kev: i64 = self.conn.query_row("SELECT count(*) FROM kev", [], |r| r.get(0)).map_err(sqlite)?;
        let (cves, rated): (i64, i64) = self.conn.query_row("SELECT count(*), count(*) FILTER (WHERE metrics > 0) FROM cve_records", [], |r| Ok((r.get(0)?, r.get(1)?))).map_err(sqlite)?;
        let updated: Option<String> = self.conn.query_row("SELECT value FROM meta WHERE key = 'updated'", [], |r| r.get(0)).optional().map_err(sqlite)?;
        let mut feeds = Vec::new();
        let mut stmt = self.conn.prepare("SELECT name, url, etag, last_modified, fetched FROM feeds ORDER BY name").map_err(sqlite)?;
        for row in stmt
            .query_map([], |r| Ok(FeedState { name: r.get(0)?, url: r.get(1)?, etag: r.get(2)?, last_modified: r.get(3)?, fetched: r.get(4)? }))
            .map_err(sqlite)?
        {
            feeds.push(row.map_err(sqlite)?);
        }
        let count = |n: i64| usize::try_from(n).unwrap_or(0);
        Ok(Status { records, kev: count(kev), cve: (count(cves), count(rated)), updated: updated.and_then(|u| u.parse().ok()), feeds })
    }
}
