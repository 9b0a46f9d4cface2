//! `temper db …`: import, update, check and show the advisory database.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Result, anyhow};
use temper_advisory::db::AdvisoryDb;
use temper_advisory::feed::{Feed, Outcome};
use temper_cli::{DbArgs, DbCommand, Format};
use temper_verdict::advisories;

use super::print;
use crate::progress::Terminal;
use crate::{render, term};

pub fn run(command: DbCommand) -> Result<ExitCode> {
    match command {
        DbCommand::Import { paths, db } => import(&paths, &db),
        DbCommand::Status { db, format } => status(&db, format),
        DbCommand::Check { db, config, format } => check(&db, config.as_deref(), format),
        DbCommand::Update { db, config, feeds } => update(&db, config.as_deref(), &feeds),
    }
}

/// The database path `--db` or the default names.
pub fn path(args: &DbArgs) -> Result<PathBuf> {
    Ok(advisories::db_path(args.path.as_deref())?)
}

/// The database the flags name (updated first with `update`), or one in
/// memory holding `advisories`; with the words that name it in messages.
/// `scan` and `gate` match with it.
pub fn for_matching(config: Option<&Path>, advisories: &[PathBuf], db: &DbArgs, update: bool, offline: bool) -> Result<(AdvisoryDb, String)> {
    // Read even when --advisories makes `[db]` moot: a bad file is an error for every command.
    let config = self::config(config)?;
    if !advisories.is_empty() {
        return Ok((advisories::in_memory(advisories, &Terminal)?, "the --advisories input".to_owned()));
    }
    let path = path(db)?;
    if update {
        let mut db = advisories::open(&path)?;
        if !update_feeds(&mut db, &path, &config.feeds()) {
            return Err(anyhow!("some feeds failed to update (see above); scan without --update to use the database as it is"));
        }
    }
    let db = advisories::open_existing(&path)?;
    let max_days = config.max_age_days();
    if let Some(days) = advisories::age_days(&db)?
        && days > i64::from(max_days)
    {
        let hint = if offline { "update it where the network is reachable" } else { "run `temper db update` or scan with --update" };
        term::warn(&format!("the advisory database is {days} days old (max_age_days {max_days}); {hint}"));
    }
    Ok((db, format!("the advisory database {}", path.display())))
}

fn import(paths: &[PathBuf], args: &DbArgs) -> Result<ExitCode> {
    let path = path(args)?;
    let mut db = advisories::open(&path)?;
    let started = std::time::Instant::now();
    let stats = db.import(paths)?;
    for (name, why) in &stats.skipped {
        term::warn(&format!("skipped {name}: {why}"));
    }
    let total: usize = stats.records.values().sum();
    if total == 0 && stats.kev == 0 && stats.cve == 0 {
        let inputs = paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ");
        return Err(anyhow!("{}: no OSV record, CVE record or KEV catalog found; nothing was imported (give OSV JSON files, directories of them or an osv.dev all.zip)", render::escape(&inputs)));
    }
    let mut out = format!("imported {total} records into {} in {:.1} s\n", path.display(), started.elapsed().as_secs_f64());
    for (family, n) in &stats.records {
        out.push_str(&format!("  {family:<12} {n}\n"));
    }
    if stats.kev > 0 {
        out.push_str(&format!("  {:<12} {}\n", "KEV", stats.kev));
    }
    if stats.cve > 0 {
        out.push_str(&format!("  {:<12} {} (CVE JSON 5: severity only)\n", "CVE", stats.cve));
    }
    if !stats.skipped.is_empty() {
        out.push_str(&format!("{} inputs skipped (see the warnings above)\n", stats.skipped.len()));
    }
    print(&out)?;
    Ok(ExitCode::SUCCESS)
}

/// The `[db]` table of the config file; the defaults when there is no file.
pub fn config(explicit: Option<&Path>) -> Result<temper_advisory::feed::DbConfig> {
    Ok(temper_verdict::config::load(explicit)?.db)
}

fn update(args: &DbArgs, config_file: Option<&Path>, only: &[String]) -> Result<ExitCode> {
    let mut feeds = config(config_file)?.feeds();
    if !only.is_empty() {
        if let Some(unknown) = only.iter().find(|n| !feeds.iter().any(|f| &f.name == *n)) {
            return Err(anyhow!("--feed {unknown}: no such feed (configured: {})", feeds.iter().map(|f| f.name.as_str()).collect::<Vec<_>>().join(", ")));
        }
        feeds.retain(|f| only.contains(&f.name));
    }
    let path = path(args)?;
    let mut db = advisories::open(&path)?;
    Ok(if update_feeds(&mut db, &path, &feeds) { ExitCode::SUCCESS } else { ExitCode::from(2) })
}

/// Updates every feed and says how each went; false when one failed (its
/// previous records are kept, the others still update).
pub fn update_feeds(db: &mut AdvisoryDb, path: &Path, feeds: &[Feed]) -> bool {
    let mut ok = true;
    let mut out = String::new();
    for (feed, result) in advisories::update_feeds(db, path, feeds, &Terminal) {
        match result {
            Ok(Outcome::NotModified) => out.push_str(&format!("{:<12} not modified\n", feed.name)),
            Ok(Outcome::Imported(stats)) => {
                let total: usize = stats.records.values().sum();
                out.push_str(&format!("{:<12} {} records{}\n", feed.name, total + stats.kev, if stats.skipped.is_empty() { String::new() } else { format!(", {} skipped", stats.skipped.len()) }));
            }
            Err(e) => {
                ok = false;
                let _ = writeln!(std::io::stderr(), "temper: error: {}", render::escape(&format!("feed {}: {e}; its previous records are kept", feed.name)));
            }
        }
    }
    let _ = print(&out);
    ok
}

fn status(args: &DbArgs, format: Format) -> Result<ExitCode> {
    let path = path(args)?;
    let db = advisories::open_existing(&path)?;
    let status = db.status()?;
    match format {
        Format::Json => {
            let doc = serde_json::json!({ "path": path, "records": status.records, "kev": status.kev, "cve": { "records": status.cve.0, "with_cvss": status.cve.1 }, "updated": status.updated });
            print(&(serde_json::to_string_pretty(&doc)? + "\n"))?;
        }
        Format::Table => print(&render::scan::status(&path, &status))?,
    }
    Ok(ExitCode::SUCCESS)
}

fn check(args: &DbArgs, config_file: Option<&Path>, format: Format) -> Result<ExitCode> {
    let max_days = config(config_file)?.max_age_days();
    let path = path(args)?;
    let db = advisories::open_existing(&path)?;
    let advisories::Health { status, check, age_days, problems, damaged } = advisories::health(&db, max_days)?;
    match format {
        Format::Json => {
            let doc = serde_json::json!({
                "path": path, "records": status.records, "kev": status.kev, "cve": { "records": status.cve.0, "with_cvss": status.cve.1 },
                "updated": status.updated, "age_days": age_days, "max_age_days": max_days,
                "integrity": { "sqlite": check.sqlite, "records_read": check.records, "damaged_records": check.damaged },
                "problems": problems, "ok": problems.is_empty(),
            });
            print(&(serde_json::to_string_pretty(&doc)? + "\n"))?;
        }
        Format::Table => {
            let mut out = render::scan::status(&path, &status);
            out.push_str(&format!("integrity: SQLite {}, {} records read, {} damaged\n", render::escape(&check.sqlite), check.records, check.damaged.len()));
            out.push_str(if problems.is_empty() { "ok\n" } else { "" });
            print(&out)?;
            for p in &problems {
                let _ = writeln!(std::io::stderr(), "temper: {}: {}", path.display(), render::escape(p));
            }
        }
    }
    Ok(if damaged {
        ExitCode::from(2)
    } else if problems.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
