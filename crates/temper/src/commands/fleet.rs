//! `temper fleet …`: the fleet store's commands. Each turns its flags into
//! `temper-fleet` calls and renders the result as a table, JSON or CSV.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result, anyhow};
use temper_cli::{FleetCommand, FleetFormat, MatchingArgs, ReadArgs, RegistryArgs, StoreArgs};
use temper_fleet::worker::{Assessor, WorkOptions};
use temper_fleet::{Changes, Fleet, Location, Matcher};
use temper_verdict::CacheSettings;

use super::{db, limited, limits, print, source_options};
use crate::progress::Terminal;
use crate::{render, term};

/// The exit code when some references could not be resolved or some
/// images not scanned (each named in a warning): errors are 2, as always.
const PARTLY_FAILED: u8 = 2;

/// The exit code of `fleet report` when a finding is past its SLA (as
/// `gate` fails a policy).
const BREACHED: u8 = 1;

/// `fleet sync` scans its own queue until it is empty, so it never polls.
const NO_POLL: Duration = Duration::ZERO;

pub fn run(command: FleetCommand) -> Result<ExitCode> {
    match command {
        FleetCommand::Add { references, file, tags, golden, store, registry } => add(references, file.as_deref(), tags.as_deref(), golden, &store, &registry),
        FleetCommand::Lineage { store } => lineage(&store),
        FleetCommand::Sync { no_scan, store, matching, read } => sync(no_scan, &store, &matching, &read),
        FleetCommand::Worker { exit_when_idle, name, lease, poll, store, matching, read } => {
            let options = WorkOptions { owner: name.unwrap_or_else(default_owner), lease: Duration::from_secs(lease), exit_when_idle, poll: Duration::from_secs(poll) };
            worker(&options, &store, &matching, &read)
        }
        FleetCommand::Rematch { store, matching } => rematch(&store, &matching),
        FleetCommand::Status { store } => status(&store),
        FleetCommand::Report { sla, now, store } => report(&sla, now.as_deref(), &store),
    }
}

fn open(store: &StoreArgs) -> Result<Fleet> {
    Ok(Fleet::open(&Location::or_default(store.store.as_deref())?)?)
}

/// `HOST:PID`, unique among the workers sharing a store.
fn default_owner() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").ok().map(|h| h.trim().to_owned()).filter(|h| !h.is_empty()).or_else(|| std::env::var("HOSTNAME").ok()).unwrap_or_else(|| "worker".into());
    format!("{host}:{}", std::process::id())
}

/// References from the arguments and `--file` (one a line, blank lines
/// and `#` comments skipped).
fn references(mut given: Vec<String>, file: Option<&std::path::Path>) -> Result<Vec<String>> {
    if let Some(path) = file {
        let text = std::fs::read_to_string(path).with_context(|| format!("--file {}: cannot read the references", path.display()))?;
        given.extend(text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).map(str::to_owned));
    }
    if given.is_empty() {
        return Err(anyhow!("no references: name images (`temper fleet add REF…`) or give --file FILE"));
    }
    Ok(given)
}

fn add(given: Vec<String>, file: Option<&std::path::Path>, tags: Option<&str>, golden: bool, store: &StoreArgs, registry: &RegistryArgs) -> Result<ExitCode> {
    let given = references(given, file)?;
    if tags.is_some() && !given.iter().any(|r| temper_fleet::expand::is_glob(r)) {
        return Err(anyhow!("--tags filters the tags of repository globs; name one (HOST/team/* or HOST/**)"));
    }
    let opts = source_options(registry)?.registry;
    let mut references = Vec::new();
    for spec in &given {
        let expanded = temper_fleet::expand::expand(spec, tags, &opts)?;
        if expanded.is_empty() {
            term::warn(&format!("{}: no repository or tag of the catalog matches", render::escape(spec)));
        }
        references.extend(expanded);
    }
    let mut fleet = open(store)?;
    let outcome = if golden { fleet.add_golden(&references)? } else { fleet.add(&references)? };
    let mut rows = vec![vec!["REFERENCE".to_owned(), "STATUS".to_owned()]];
    rows.extend(outcome.added.iter().map(|r| vec![r.clone(), "added".into()]));
    rows.extend(outcome.known.iter().map(|r| vec![r.clone(), "already tracked".into()]));
    emit(store.format, &serde_json::to_value(&outcome)?, &rows, &[])?;
    Ok(ExitCode::SUCCESS)
}

/// The advisory database and suppressions `matching` names.
fn matching_db(matching: &MatchingArgs) -> Result<(temper_advisory::db::AdvisoryDb, String, temper_finding::vex::Suppressions)> {
    let (db, source) = db::for_matching(matching.config.as_deref(), &matching.advisories, &matching.db, false, true)?;
    let suppressions = super::suppressions(&matching.vex, matching.ignore_file.as_deref())?;
    Ok((db, source, suppressions))
}

/// The per-layer cache `read` asks for: with a PostgreSQL store (shared
/// by design), its second tier in the store unless --no-shared-cache.
fn cache(read: &ReadArgs, store: &StoreArgs) -> Result<CacheSettings> {
    let location = Location::or_default(store.store.as_deref())?;
    let shared: Option<std::sync::Arc<dyn temper_inventory::cache::SharedTier>> = match &location {
        Location::Postgres(_) if !read.no_cache && !read.no_shared_cache => Some(std::sync::Arc::new(temper_fleet::StoreCache::open(&location)?)),
        _ => None,
    };
    Ok(CacheSettings { disabled: read.no_cache, dir: read.cache_dir.clone(), verify_blobs: false, shared })
}

fn sync(no_scan: bool, store: &StoreArgs, matching: &MatchingArgs, read: &ReadArgs) -> Result<ExitCode> {
    let allow_partial_db = matching.allow_partial_db;
    let open_options = limited(source_options(&read.registry)?, &read.limits)?;
    let limits = limits(&read.limits)?;
    // Sync alone reads no layer: the shared tier is connected only to scan.
    let cache = if no_scan { CacheSettings::default() } else { cache(read, store)? };
    let assessor = Assessor { open: &open_options, limits: &limits, cache: &cache, reporter: &Terminal };
    // The database is opened first: a missing one fails before any registry request.
    let matching = if no_scan { None } else { Some(matching_db(matching)?) };
    let mut fleet = open(store)?;
    let synced = fleet.sync(&assessor)?;
    for (reference, why) in &synced.failed {
        term::warn(&format!("{}: not synced: {}", render::escape(reference), render::escape(why)));
    }
    let mut rows = summary(&[("resolved", synced.resolved), ("new images", synced.new_images), ("moved", synced.moved), ("queued", synced.enqueued), ("unresolved", synced.failed.len())]);
    let mut json = serde_json::json!({ "sync": synced });
    let mut failed = !synced.failed.is_empty();
    if let Some((db, source, suppressions)) = &matching {
        let matcher = Matcher { db, source: source.clone(), suppressions, allow_partial: allow_partial_db };
        let options = WorkOptions { owner: default_owner(), lease: Duration::from_secs(900), exit_when_idle: true, poll: NO_POLL };
        let worked = temper_fleet::work(&mut fleet, &assessor, &matcher, &options, &Terminal)?;
        rows.extend(work_rows(worked.scanned, worked.failed.len(), &worked.changes).into_iter().skip(1));
        failed |= !worked.failed.is_empty();
        json["work"] = serde_json::to_value(&worked)?;
    }
    emit(store.format, &json, &rows, &[1])?;
    Ok(if failed { ExitCode::from(PARTLY_FAILED) } else { ExitCode::SUCCESS })
}

fn worker(options: &WorkOptions, store: &StoreArgs, matching: &MatchingArgs, read: &ReadArgs) -> Result<ExitCode> {
    let open_options = limited(source_options(&read.registry)?, &read.limits)?;
    let (limits, cache) = (limits(&read.limits)?, cache(read, store)?);
    let assessor = Assessor { open: &open_options, limits: &limits, cache: &cache, reporter: &Terminal };
    let (db, source, suppressions) = matching_db(matching)?;
    let matcher = Matcher { db: &db, source, suppressions: &suppressions, allow_partial: matching.allow_partial_db };
    let mut fleet = open(store)?;
    let worked = temper_fleet::work(&mut fleet, &assessor, &matcher, options, &Terminal)?;
    emit(store.format, &serde_json::to_value(&worked)?, &work_rows(worked.scanned, worked.failed.len(), &worked.changes), &[1])?;
    Ok(if worked.failed.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(PARTLY_FAILED) })
}

fn rematch(store: &StoreArgs, matching: &MatchingArgs) -> Result<ExitCode> {
    let (db, source, suppressions) = matching_db(matching)?;
    let matcher = Matcher { db: &db, source, suppressions: &suppressions, allow_partial: matching.allow_partial_db };
    let mut fleet = open(store)?;
    let report = fleet.rematch(&matcher, &Terminal)?;
    let mut rows = summary(&[("images", report.images)]);
    rows.extend(change_rows(&report.changes));
    emit(store.format, &serde_json::to_value(&report)?, &rows, &[1])?;
    Ok(ExitCode::SUCCESS)
}

/// Severities, worst first, as the status columns show them.
const SEVERITIES: [&str; 5] = ["CRITICAL", "HIGH", "MEDIUM", "LOW", "UNKNOWN"];

fn status(store: &StoreArgs) -> Result<ExitCode> {
    let mut fleet = open(store)?;
    let status = fleet.status()?;
    // The reference, the longest cell, goes last: a narrow terminal shortens it first.
    let mut rows = vec![["DIGEST", "PLATFORM", "FIRST SEEN", "SCANNED"].into_iter().chain(SEVERITIES).chain(["REFERENCE"]).map(str::to_owned).collect::<Vec<_>>()];
    for image in &status.images {
        let mut row = vec![image.digest.clone(), image.platform.clone().unwrap_or_default(), date(image.first_seen), image.scanned_at.map_or_else(|| "queued".to_owned(), date)];
        row.extend(SEVERITIES.iter().map(|s| image.open.get(*s).copied().unwrap_or(0).to_string()));
        row.push(image.reference.clone());
        rows.push(row);
    }
    let json = serde_json::to_value(&status)?;
    if store.format != FleetFormat::Table {
        return emit(store.format, &json, &rows, &[]).map(|()| ExitCode::SUCCESS);
    }
    // A digest is 71 characters; `sha256:` and 12 hex digits tell images
    // apart. Severities shortened as column heads, so a row fits 100 columns.
    for (head, short) in rows[0].iter_mut().skip(4).zip(["CRIT", "HIGH", "MED", "LOW", "UNK"]) {
        *head = short.to_owned();
    }
    for row in rows.iter_mut().skip(1) {
        row[0] = row[0].get(..19).unwrap_or(&row[0]).to_owned();
    }
    let mut text = format!("{} ({} references, schema {})\n", render::escape(&status.store), status.references, status.schema);
    text.push_str(&render::columns(&rows, &[4, 5, 6, 7, 8]));
    let counts = |m: &std::collections::BTreeMap<String, i64>| if m.is_empty() { "none".to_owned() } else { m.iter().map(|(k, v)| format!("{k} {v}")).collect::<Vec<_>>().join(", ") };
    text.push_str(&format!("open findings: {}\nclosed findings: {}\njobs: {}\n", counts(&status.open), counts(&status.closed), counts(&status.jobs)));
    print(&text)?;
    Ok(ExitCode::SUCCESS)
}

/// `--now`: `YYYY-MM-DD` (midnight UTC) or RFC 3339, as Unix seconds.
fn parse_now(text: &str) -> Result<i64> {
    use time::format_description::well_known::Rfc3339;
    // A bare date is read as that day's midnight in RFC 3339.
    let full = if text.len() == 10 { format!("{text}T00:00:00Z") } else { text.to_owned() };
    let t = time::OffsetDateTime::parse(&full, &Rfc3339).map_err(|_| anyhow!("--now {text:?}: not a date; write YYYY-MM-DD or an RFC 3339 time"))?;
    Ok(t.unix_timestamp())
}

fn report(sla: &str, now: Option<&str>, store: &StoreArgs) -> Result<ExitCode> {
    let sla = temper_fleet::Sla::parse(sla)?;
    let now = match now {
        Some(text) => parse_now(text)?,
        None => temper_fleet::unix_now(),
    };
    let mut fleet = open(store)?;
    let breaches = fleet.sla_breaches(&sla, now)?;
    let code = if breaches.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(BREACHED) };
    let limits = sla.0.iter().map(|(severity, days)| format!("{} {days}d", severity.to_lowercase())).collect::<Vec<_>>().join(", ");
    let mut table = vec![["IMAGE", "PACKAGE", "INSTALLED", "ADVISORY", "FIXED", "SEVERITY", "FIX KNOWN SINCE", "SOURCE", "LIMIT", "DAYS OVER"].map(str::to_owned).to_vec()];
    for b in &breaches {
        table.push(vec![
            b.reference.clone(),
            b.package.clone(),
            b.installed.clone(),
            b.advisory.clone(),
            b.fixed.clone().unwrap_or_default(),
            b.severity.clone(),
            date(b.fix_known_since),
            b.fix_known_source.clone(),
            format!("{}d", b.limit_days),
            b.days_over.to_string(),
        ]);
    }
    if store.format != FleetFormat::Table {
        let json = serde_json::json!({ "now": date(now), "sla": sla.0, "breaches": breaches });
        return emit(store.format, &json, &table, &[]).map(|()| code);
    }
    let mut text = String::new();
    if breaches.is_empty() {
        text.push_str(&format!("no finding past its SLA ({limits}) on {}\n", date(now)));
    } else {
        let escaped: Vec<Vec<String>> = table.iter().map(|row| row.iter().map(|c| render::escape(c).into_owned()).collect()).collect();
        text.push_str(&render::columns(&escaped, &[9]));
        text.push_str(&format!("{} findings past their SLA ({limits}) on {}\n", breaches.len(), date(now)));
    }
    print(&text)?;
    Ok(code)
}

fn lineage(store: &StoreArgs) -> Result<ExitCode> {
    let mut fleet = open(store)?;
    let lineage = fleet.lineage()?;
    let json = serde_json::to_value(&lineage)?;
    let mut rows = vec![["GOLDEN", "DIGEST", "STATE", "IMAGES", "REBASE CLOSES", "REFERENCE"].map(str::to_owned).to_vec()];
    for g in &lineage.groups {
        let state = if g.up_to_date { "newest" } else if g.newest.is_some() { "old" } else { "newest not scanned" };
        for image in &g.images {
            rows.push(vec![g.golden.clone(), g.digest.clone(), state.to_owned(), g.images.len().to_string(), g.rebase_closes.map(|n| n.to_string()).unwrap_or_default(), image.clone()]);
        }
    }
    for u in &lineage.unbased {
        rows.push(vec![String::new(), u.digest.clone(), "no golden base".to_owned(), String::new(), String::new(), u.reference.clone()]);
    }
    if store.format != FleetFormat::Table {
        return emit(store.format, &json, &rows, &[]).map(|()| ExitCode::SUCCESS);
    }
    let short = |d: &str| d.get(..19).unwrap_or(d).to_owned();
    let images = |n: usize| format!("{n} image{}", if n == 1 { "" } else { "s" });
    let mut text = String::new();
    for g in &lineage.groups {
        let at = format!("{}@{}", render::escape(&g.golden), short(&g.digest));
        text.push_str(&match (&g.newest, g.rebase_closes) {
            (Some(newest), Some(closes)) if !g.up_to_date => format!("{} on {at} (old); a rebase onto {}@{} closes {closes} findings\n", images(g.images.len()), render::escape(&g.golden), short(newest)),
            _ if g.up_to_date => format!("{} on {at} (newest)\n", images(g.images.len())),
            _ => format!("{} on {at} (the newest is not scanned yet)\n", images(g.images.len())),
        });
        text.extend(g.images.iter().map(|r| format!("  {}\n", render::escape(r))));
    }
    if !lineage.unbased.is_empty() {
        text.push_str(&format!("{} on no golden image\n", images(lineage.unbased.len())));
        text.extend(lineage.unbased.iter().map(|u| format!("  {}{}\n", render::escape(&u.reference), u.base_name.as_deref().map(|b| format!(" (names base {})", render::escape(b))).unwrap_or_default())));
    }
    if text.is_empty() {
        text.push_str("no scanned images; mark golden images with `temper fleet add --golden REF`, then `temper fleet sync`\n");
    }
    print(&text)?;
    Ok(ExitCode::SUCCESS)
}

/// `YYYY-MM-DD` of a Unix time.
fn date(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix).map(|t| t.date().to_string()).unwrap_or_else(|_| unix.to_string())
}

/// A two-column table of counts.
fn summary(counts: &[(&str, usize)]) -> Vec<Vec<String>> {
    let mut rows = vec![vec!["WHAT".to_owned(), "COUNT".to_owned()]];
    rows.extend(counts.iter().map(|(what, n)| vec![(*what).to_owned(), n.to_string()]));
    rows
}

fn change_rows(changes: &Changes) -> Vec<Vec<String>> {
    let mut rows = vec![vec!["findings opened".to_owned(), changes.opened.to_string()]];
    rows.extend(changes.closed.iter().map(|(reason, n)| vec![format!("findings closed: {reason}"), n.to_string()]));
    rows
}

fn work_rows(scanned: usize, failed: usize, changes: &Changes) -> Vec<Vec<String>> {
    let mut rows = summary(&[("scanned", scanned), ("scan failed", failed)]);
    rows.extend(change_rows(changes));
    rows
}

/// Prints `rows` (a header, then data) as a table or CSV, or `json`.
fn emit(format: FleetFormat, json: &serde_json::Value, rows: &[Vec<String>], right: &[usize]) -> Result<()> {
    match format {
        FleetFormat::Json => print(&(serde_json::to_string_pretty(json)? + "\n")),
        FleetFormat::Table => print(&render::columns(rows, right)),
        FleetFormat::Csv => {
            let mut out = csv::Writer::from_writer(Vec::new());
            for row in rows {
                out.write_record(row)?;
            }
            print(&String::from_utf8(out.into_inner().map_err(|e| anyhow!("CSV output: {e}"))?)?)
        }
    }
}
