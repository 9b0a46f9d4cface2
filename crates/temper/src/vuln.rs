//! `temper db …` and `temper scan`: glue between the arguments, the
//! inventory, the advisory database and the renderers.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, anyhow};
use temper_advisory::db::AdvisoryDb;
use temper_finding::Severity;
use temper_inventory::Inventory;

use crate::cli::Format;
use crate::cli_vuln::{DbArgs, ScanArgs, ScanFormat};
use crate::gate::{FailOn, Verdict};
use crate::{open_source, print, progress, render, scan_inventory, term, write_whole};

fn db_path(args: &DbArgs) -> Result<PathBuf> {
    args.path.clone().or_else(temper_advisory::db::default_path).ok_or_else(|| anyhow!("no advisory database path: set --db, TEMPER_DB or HOME"))
}

/// Opens the database for reading; a missing one is an error that says how to make it.
fn open_existing(args: &DbArgs) -> Result<AdvisoryDb> {
    let path = db_path(args)?;
    if !path.exists() {
        return Err(anyhow!("{}: no advisory database; create it with `temper db update` (downloads the configured feeds) or `temper db import PATH…` (OSV files at hand), or pass --advisories PATH", path.display()));
    }
    open_db(&path)
}

/// Opens (or creates) the database at `path`; a file that is not SQLite
/// is named as such, once, with the fix.
fn open_db(path: &std::path::Path) -> Result<AdvisoryDb> {
    AdvisoryDb::open(path).map_err(|e| {
        let sqlite = std::error::Error::source(&e).and_then(|s| s.downcast_ref::<rusqlite::Error>()).and_then(rusqlite::Error::sqlite_error_code);
        if sqlite == Some(rusqlite::ErrorCode::NotADatabase) {
            anyhow!("{}: not an advisory database (not SQLite); point --db at the file `temper db update` or `temper db import` writes, or move this one away", path.display())
        } else {
            e.into()
        }
    })
}

pub fn db_import(paths: &[PathBuf], args: &DbArgs) -> Result<ExitCode> {
    let path = db_path(args)?;
    let mut db = open_db(&path)?;
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
fn db_config(explicit: Option<&std::path::Path>) -> Result<temper_advisory::feed::DbConfig> {
    Ok(crate::config::load(explicit)?.db)
}

pub fn db_update(args: &DbArgs, config: Option<&std::path::Path>, only: &[String]) -> Result<ExitCode> {
    let config = db_config(config)?;
    let mut feeds = config.feeds();
    if !only.is_empty() {
        if let Some(unknown) = only.iter().find(|n| !feeds.iter().any(|f| &f.name == *n)) {
            return Err(anyhow!("--feed {unknown}: no such feed (configured: {})", feeds.iter().map(|f| f.name.as_str()).collect::<Vec<_>>().join(", ")));
        }
        feeds.retain(|f| only.contains(&f.name));
    }
    let path = db_path(args)?;
    let mut db = open_db(&path)?;
    let code = update_feeds(&mut db, &path, &feeds);
    Ok(code)
}

/// Updates every feed; a failed feed keeps its previous records and makes
/// the exit code 2, the others still update.
fn update_feeds(db: &mut AdvisoryDb, path: &std::path::Path, feeds: &[temper_advisory::feed::Feed]) -> ExitCode {
    let tmp = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(std::path::Path::new(".")).to_owned();
    let mut failed = 0;
    let mut out = String::new();
    for feed in feeds {
        let bar = progress::download_bar(&feed.name);
        let result = temper_advisory::feed::update(db, feed, &tmp, &mut |total, read| bar.update(total, read));
        bar.finish();
        match result {
            Ok(temper_advisory::feed::Outcome::NotModified) => out.push_str(&format!("{:<12} not modified\n", feed.name)),
            Ok(temper_advisory::feed::Outcome::Imported(stats)) => {
                let total: usize = stats.records.values().sum();
                out.push_str(&format!("{:<12} {} records{}\n", feed.name, total + stats.kev, if stats.skipped.is_empty() { String::new() } else { format!(", {} skipped", stats.skipped.len()) }));
            }
            Err(e) => {
                failed += 1;
                let _ = writeln!(std::io::stderr(), "temper: error: {}", render::escape(&format!("feed {}: {e}; its previous records are kept", feed.name)));
            }
        }
    }
    let _ = print(&out);
    if failed > 0 { ExitCode::from(2) } else { ExitCode::SUCCESS }
}

pub fn db_status(args: &DbArgs, format: Format) -> Result<ExitCode> {
    let path = db_path(args)?;
    let db = open_existing(args)?;
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

pub fn db_check(args: &DbArgs, config: Option<&std::path::Path>, format: Format) -> Result<ExitCode> {
    let max_days = db_config(config)?.max_age_days();
    let path = db_path(args)?;
    let db = open_existing(args)?;
    let status = db.status()?;
    let check = db.check()?;
    let age_days = status.updated.map(|t| seconds_since(t).max(0) / 86_400);
    let mut problems = Vec::new();
    if check.sqlite != "ok" {
        problems.push(format!("SQLite reports damage: {}", check.sqlite));
    }
    if !check.damaged.is_empty() {
        problems.push(format!("{} stored records no longer parse (first: {})", check.damaged.len(), check.damaged[0]));
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

/// Refuses (or with `allow_partial` warns) when the database holds no
/// record for an ecosystem the inventory needs: "0 findings" would then
/// mean "not checked", not "clean".
fn require_coverage(db: &AdvisoryDb, inventory: &Inventory, allow_partial: bool, source: &str) -> Result<()> {
    let missing = temper_finding::uncovered_families(db, inventory)?;
    if missing.is_empty() {
        return Ok(());
    }
    let packages = |n: usize| if n == 1 { "1 package".to_owned() } else { format!("{n} packages") };
    let list = missing.iter().map(|(f, n)| format!("{f} ({})", packages(*n))).collect::<Vec<_>>().join(", ");
    if allow_partial {
        for (family, n) in &missing {
            term::warn(&format!("{source} holds no {family} records; {} not checked", packages(*n)));
        }
        return Ok(());
    }
    Err(anyhow!(
        "{source} holds no records for {list}, so those packages cannot be checked; run `temper db update` (or import those ecosystems' records), or pass --allow-partial-db to scan anyway with a warning"
    ))
}

/// The inventory of `target` when it is an SBOM file (CycloneDX or SPDX
/// JSON); `None` when it is an image source.
fn sbom_file(target: &str) -> Result<Option<Inventory>> {
    let path = std::path::Path::new(target);
    if !path.is_file() {
        return Ok(None);
    }
    let mut head = [0u8; 512];
    let n = std::fs::File::open(path).and_then(|mut f| std::io::Read::read(&mut f, &mut head)).with_context(|| target.to_owned())?;
    if head[..n].iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Ok(None);
    }
    let meta = std::fs::metadata(path).with_context(|| target.to_owned())?;
    if meta.len() > 512 << 20 {
        return Err(anyhow!("{target}: SBOM over 512 MiB"));
    }
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(path).with_context(|| target.to_owned())?).with_context(|| format!("{target}: not JSON"))?;
    temper_inventory::decode::from_sbom(&doc).map(Some).map_err(|e| anyhow!("{target}: {e}"))
}

/// Seconds from the Unix time `then` to now.
fn seconds_since(then: i64) -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64) - then
}

/// Warns when the database is older than `max_days`.
fn warn_if_stale(db: &AdvisoryDb, max_days: u32, offline: bool) -> Result<()> {
    let max_days = i64::from(max_days);
    if let Some(age) = db.updated()?.map(seconds_since)
        && age > max_days * 86_400
    {
        let days = age / 86_400;
        let hint = if offline { "update it where the network is reachable" } else { "run `temper db update` or scan with --update" };
        term::warn(&format!("the advisory database is {days} days old (max_age_days {max_days}); {hint}"));
    }
    Ok(())
}

fn severities(list: &[String]) -> Result<Vec<Severity>> {
    list.iter().filter(|s| !s.trim().is_empty()).map(|s| s.parse::<Severity>().map_err(|e| anyhow!("--severity: {e}"))).collect()
}

pub fn scan(args: &ScanArgs) -> Result<ExitCode> {
    let wanted = severities(&args.severity)?;
    let fail_on = match (&args.fail_on, args.exit_code) {
        (Some(s), _) => FailOn::parse(s, "--fail-on")?,
        // `--exit-code` alone fails on any finding left after the filters, as Trivy's does.
        (None, Some(_)) => FailOn::AtLeast(Severity::Unknown),
        (None, None) => FailOn::Never,
    };
    // Read even when --advisories makes `[db]` moot: a bad file is an error for every command.
    let config = db_config(args.config.as_deref())?;
    let db = if args.advisories.is_empty() {
        if args.update {
            let path = db_path(&args.db)?;
            let mut db = open_db(&path)?;
            if update_feeds(&mut db, &path, &config.feeds()) != ExitCode::SUCCESS {
                return Err(anyhow!("some feeds failed to update (see above); scan without --update to use the database as it is"));
            }
        }
        let db = open_existing(&args.db)?;
        warn_if_stale(&db, config.max_age_days(), args.offline)?;
        db
    } else {
        let mut db = AdvisoryDb::in_memory()?;
        let stats = db.import(&args.advisories)?;
        for (name, why) in &stats.skipped {
            term::warn(&format!("skipped {name}: {why}"));
        }
        db
    };
    // An image keeps what the CycloneDX output describes it with.
    let mut described = None;
    let (name, digest, platform, inventory) = match sbom_file(&args.image.image)? {
        Some(inventory) => (args.image.image.clone(), None, None, inventory),
        None => {
            let (source, image) = open_source(&args.image)?;
            let crate::Scanned { layers, inventory, .. } = scan_inventory(&image, &args.image, &args.run, false, &[])?;
            let out = (image.name.clone(), image.manifest.as_ref().map(|m| m.digest.to_string()), image.platform().map(|p| p.to_string()), inventory);
            described = Some((render::sbom::subject(&source, &image, &layers), image.config.created.clone()));
            out
        }
    };
    let mut suppressions = temper_finding::vex::Suppressions::default();
    for vex in &args.vex {
        suppressions.add_vex(vex)?;
    }
    match &args.ignore_file {
        Some(file) => suppressions.add_ignore_file(file)?,
        None if std::path::Path::new(".temperignore").is_file() => suppressions.add_ignore_file(std::path::Path::new(".temperignore"))?,
        None => {}
    }
    let source = if args.advisories.is_empty() { format!("the advisory database {}", db_path(&args.db)?.display()) } else { "the --advisories input".to_owned() };
    require_coverage(&db, &inventory, args.allow_partial_db, &source)?;
    let mut matches = temper_finding::match_inventory(&db, &inventory)?;
    matches.suppress(&suppressions, &temper_finding::vex::today());
    matches.findings.retain(|f| (wanted.is_empty() || wanted.contains(&f.severity)) && !(args.ignore_unfixed && f.fixed_versions.is_empty()));
    let text = match args.format {
        ScanFormat::Json => {
            let doc = serde_json::json!({
                "image": name,
                "digest": digest,
                "platform": platform,
                "os": inventory.os,
                "findings": matches.findings,
                "suppressed": matches.suppressed,
                "unmatched": matches.unmatched,
                "packages": inventory.packages.len(),
            });
            serde_json::to_string_pretty(&doc)? + "\n"
        }
        ScanFormat::Table => {
            let mut text = render::scan::table(&inventory, &matches, args.show_suppressed);
            if args.dependency_tree {
                render::dependency_tree::write(&mut text, &inventory, &matches.findings)?;
            }
            text
        }
        ScanFormat::Sarif => serde_json::to_string_pretty(&render::scan::sarif(&matches, &name))? + "\n",
        ScanFormat::Cyclonedx => {
            let (subject, created) = described.ok_or_else(|| anyhow!("--format cyclonedx needs an image target; {name} is an SBOM already"))?;
            let timestamp = temper_inventory::format::Timestamp::resolve(crate::source_date_epoch()?.as_deref(), created.as_deref())?;
            let sbom = temper_inventory::format::Sbom { subject: &subject, inventory: &inventory, timestamp, tool_version: env!("CARGO_PKG_VERSION") };
            temper_inventory::format::cyclonedx::encode_with_vulnerabilities(&sbom, render::scan::cyclonedx_vulnerabilities(&inventory, &matches))?
        }
    };
    match &args.run.output {
        Some(path) => write_whole(path, &text)?,
        None => print(&text)?,
    }
    let mut verdict = Verdict::new(args.exit_code);
    let n = matches.findings.iter().filter(|f| fail_on.fails(f.severity)).count();
    if n > 0 {
        verdict.fail(match (fail_on.level(), &args.fail_on) {
            (Some(level), Some(_)) => format!("{n} finding(s) at or above --fail-on {}", level.as_str().to_ascii_lowercase()),
            _ => format!("{n} finding(s) reported, and --exit-code {} fails on any", args.exit_code.unwrap_or(1)),
        });
    }
    Ok(verdict.finish())
}
