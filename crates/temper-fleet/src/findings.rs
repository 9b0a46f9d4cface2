//! Findings in the store: an image's inventory matched against the
//! advisory database (the same matching, VEX and ignore files as `temper
//! scan`), then reconciled with what the store holds open — new findings
//! opened, vanished ones closed with the reason they vanished.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use temper_advisory::db::{AdvisoryDb, FixKnown};
use temper_finding::vex::Suppressions;
use temper_inventory::{Inventory, InventoryPackage, OsRelease, Package};
use temper_verdict::Reporter;
use temper_verdict::vulnerabilities::Filter;

use crate::Error;
use crate::store::{Backend, Value};

/// Why a finding was closed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CloseReason {
    /// The advisory no longer covers the installed version: its fixed
    /// version is now at or below it (or its ranges were corrected).
    FixedUpstream,
    /// Every advisory record of the finding is withdrawn (OSV `withdrawn`)
    /// or gone from the database.
    AdvisoryWithdrawn,
    /// A VEX statement or an ignore entry covers it.
    Vex,
    /// The image's reference no longer points at this digest.
    ImageGone,
}

impl CloseReason {
    /// As stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            CloseReason::FixedUpstream => "fixed-upstream",
            CloseReason::AdvisoryWithdrawn => "advisory-withdrawn",
            CloseReason::Vex => "vex",
            CloseReason::ImageGone => "image-gone",
        }
    }
}

/// The advisory database and suppressions findings are matched with.
pub struct Matcher<'a> {
    /// The database.
    pub db: &'a AdvisoryDb,
    /// Its name in messages.
    pub source: String,
    /// VEX statements and ignores.
    pub suppressions: &'a Suppressions,
    /// Warn instead of refusing when the database lacks an ecosystem an image has.
    pub allow_partial: bool,
}

/// What matching read from the advisory database, kept from one image to
/// the next within one run (a rematch): images on one base share most
/// packages and their findings.
#[derive(Default)]
pub(crate) struct Lookups {
    matching: temper_finding::MatchCache,
    /// When each (record, family, package)'s fix became known.
    fix_known: BTreeMap<(String, String, String), Option<FixKnown>>,
}

/// One finding as the store keeps it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Found {
    advisory: String,
    records: Vec<String>,
    package: String,
    purl: String,
    installed: String,
    fixed: Option<String>,
    severity: String,
    /// Since when a fix is known: the earliest of its records'.
    fix_known: Option<FixKnown>,
}

/// What matching one inventory gave.
pub(crate) struct Outcome {
    findings: Vec<Found>,
    /// (advisory, purl) of the findings VEX or an ignore entry took out.
    suppressed: BTreeSet<(String, String)>,
}

/// Findings opened and closed by one reconciliation.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Changes {
    /// Findings opened.
    pub opened: usize,
    /// Findings closed, by reason.
    pub closed: BTreeMap<&'static str, usize>,
}

impl Changes {
    /// Adds `other`'s counts.
    pub fn add(&mut self, other: &Changes) {
        self.opened += other.opened;
        for (reason, n) in &other.closed {
            *self.closed.entry(reason).or_default() += n;
        }
    }
}

impl Matcher<'_> {
    /// The findings of `inventory`, as `temper scan` would report them with
    /// no filter, reading the advisory DB through `lookups` (kept across
    /// the images of one run).
    pub(crate) fn find_cached(&self, inventory: &Inventory, reporter: &dyn Reporter, lookups: &mut Lookups) -> Result<Outcome, Error> {
        temper_verdict::advisories::require_coverage(self.db, inventory, self.allow_partial, &self.source, reporter)?;
        let matches = temper_verdict::vulnerabilities::find_cached(self.db, inventory, self.suppressions, &Filter::default(), &mut lookups.matching)?;
        let mut findings = Vec::with_capacity(matches.findings.len());
        for f in &matches.findings {
            let mut fix_known: Option<FixKnown> = None;
            if !f.fixed_versions.is_empty() {
                let (family, name) = &f.matched_in;
                for record in &f.records {
                    let key = (record.clone(), family.to_string(), name.clone());
                    let known = match lookups.fix_known.get(&key) {
                        Some(known) => *known,
                        None => *lookups.fix_known.entry(key).or_insert(self.db.fix_known_since(record, family, name)?),
                    };
                    if let Some(known) = known
                        && fix_known.is_none_or(|k| known.since < k.since)
                    {
                        fix_known = Some(known);
                    }
                }
            }
            findings.push(Found {
                advisory: f.id.clone(),
                records: f.records.clone(),
                package: f.package.clone(),
                purl: f.purl.clone(),
                installed: f.version.clone(),
                fixed: f.fixed_versions.first().cloned(),
                severity: f.severity.as_str().to_owned(),
                fix_known,
            });
        }
        let suppressed = matches.suppressed.iter().map(|s| (s.finding.id.clone(), s.finding.purl.clone())).collect();
        Ok(Outcome { findings, suppressed })
    }

    /// Why a finding matching no longer finds was closed: taken out by
    /// VEX, every record withdrawn or gone, else fixed upstream.
    fn reason(&self, outcome: &Outcome, advisory: &str, purl: &str, records: &[String]) -> Result<CloseReason, Error> {
        if outcome.suppressed.contains(&(advisory.to_owned(), purl.to_owned())) {
            return Ok(CloseReason::Vex);
        }
        for id in records {
            if self.db.withdrawn(id)? == Some(false) {
                return Ok(CloseReason::FixedUpstream);
            }
        }
        Ok(CloseReason::AdvisoryWithdrawn)
    }
}

/// Opens the findings of `outcome` the image lacks, updates those it has,
/// and closes its open ones `outcome` lacks, at time `now`.
pub(crate) fn reconcile(db: &mut dyn Backend, image: i64, outcome: &Outcome, matcher: &Matcher<'_>, now: i64) -> Result<Changes, Error> {
    let mut changes = Changes::default();
    let mut open = BTreeMap::new();
    for row in db.query("SELECT id, advisory, purl, records, fixed, severity, fix_known_at, fix_known_source FROM findings WHERE image_id = $1 AND status = 'open'", &[image.into()])? {
        let stored = (row.text(3)?, row.opt_text(4)?, row.text(5)?, row.opt_int(6)?, row.opt_text(7)?);
        open.insert((row.text(1)?, row.text(2)?), (row.int(0)?, stored));
    }
    let mut seen = BTreeSet::new();
    for f in &outcome.findings {
        let key = (f.advisory.clone(), f.purl.clone());
        if !seen.insert(key.clone()) {
            continue;
        }
        let records = f.records.join(",");
        let known_at = f.fix_known.map(|k| k.since);
        let known_source = f.fix_known.map(|k| k.source.as_str());
        match open.remove(&key) {
            // Unchanged: no write (a rematch leaves most findings as they were).
            Some((_, stored)) if stored == (records.clone(), f.fixed.clone(), f.severity.clone(), known_at, known_source.map(str::to_owned)) => {}
            Some((id, _)) => {
                db.execute(
                    "UPDATE findings SET records = $1, fixed = $2, severity = $3, fix_known_at = $4, fix_known_source = $5 WHERE id = $6",
                    &[records.into(), f.fixed.clone().into(), (&f.severity).into(), known_at.into(), known_source.into(), id.into()],
                )?;
            }
            None => {
                db.execute(
                    "INSERT INTO findings (image_id, advisory, records, package, purl, installed, fixed, severity, status, opened_at, fix_known_at, fix_known_source) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'open', $9, $10, $11)",
                    &[image.into(), (&f.advisory).into(), records.into(), (&f.package).into(), (&f.purl).into(), (&f.installed).into(), f.fixed.clone().into(), (&f.severity).into(), now.into(), known_at.into(), known_source.into()],
                )?;
                changes.opened += 1;
            }
        }
    }
    for ((advisory, purl), (id, (records, ..))) in open {
        let records: Vec<String> = records.split(',').filter(|r| !r.is_empty()).map(str::to_owned).collect();
        let reason = matcher.reason(outcome, &advisory, &purl, &records)?;
        close(db, id, reason, now)?;
        *changes.closed.entry(reason.as_str()).or_default() += 1;
    }
    Ok(changes)
}

/// Closes finding `id`.
pub(crate) fn close(db: &mut dyn Backend, id: i64, reason: CloseReason, now: i64) -> Result<(), Error> {
    db.execute("UPDATE findings SET status = 'closed', closed_at = $1, close_reason = $2 WHERE id = $3", &[now.into(), reason.as_str().into(), id.into()])?;
    Ok(())
}

/// A package as the store keeps it whole (the columns beside it are for
/// queries): what matching needs to run again without the image.
#[derive(Serialize, Deserialize)]
struct Stored {
    #[serde(flatten)]
    package: Package,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    paths: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    owner: Option<String>,
}

/// What a package read back from the store says found it.
const FOUND_BY: &str = "fleet-store";

/// Replaces image `image`'s stored packages with `inventory`'s, and its OS release.
pub(crate) fn store_inventory(db: &mut dyn Backend, image: i64, inventory: &Inventory) -> Result<(), Error> {
    db.execute("DELETE FROM packages WHERE image_id = $1", &[image.into()])?;
    // Many rows a statement: on PostgreSQL each statement is a round trip
    // (two, with its preparation), and an image has hundreds of packages.
    // 100 rows of 7 stay under SQLite's smallest parameter limit (999).
    for chunk in inventory.packages.chunks(100) {
        let mut values: Vec<Value> = Vec::with_capacity(chunk.len() * 7);
        let mut rows = Vec::with_capacity(chunk.len());
        for p in chunk {
            let stored = Stored { package: p.package.clone(), paths: p.paths.clone(), owner: p.owner.clone() };
            let n = values.len();
            rows.push(format!("(${}, ${}, ${}, ${}, ${}, ${}, ${})", n + 1, n + 2, n + 3, n + 4, n + 5, n + 6, n + 7));
            values.extend([image.into(), p.package.ecosystem.purl_type().into(), (&p.package.name).into(), (&p.package.version).into(), (&p.purl).into(), p.layer.map(|l| l as i64).into(), to_json(&stored)?.into()]);
        }
        db.execute(&format!("INSERT INTO packages (image_id, ecosystem, name, version, purl, layer, record) VALUES {}", rows.join(", ")), &values)?;
    }
    let os = inventory.os.as_ref().map(to_json).transpose()?;
    db.execute("UPDATE images SET os = $1 WHERE id = $2", &[os.into(), image.into()])?;
    Ok(())
}

/// Image `image`'s inventory as stored: its packages and OS release.
pub(crate) fn load_inventory(db: &mut dyn Backend, image: i64) -> Result<Inventory, Error> {
    let bad = |what: &str, e: serde_json::Error| Error::Store(format!("image {image}: a stored {what} does not parse ({e}); scan it again with `temper fleet sync`"));
    let os = match db.query("SELECT os FROM images WHERE id = $1", &[image.into()])?.first().map(|r| r.opt_text(0)).transpose()?.flatten() {
        Some(text) => Some(serde_json::from_str::<OsRelease>(&text).map_err(|e| bad("OS release", e))?),
        None => None,
    };
    let mut packages = Vec::new();
    for row in db.query("SELECT purl, layer, record FROM packages WHERE image_id = $1 ORDER BY id", &[image.into()])? {
        let stored: Stored = serde_json::from_str(&row.text(2)?).map_err(|e| bad("package", e))?;
        let layer = row.opt_int(1)?.and_then(|l| usize::try_from(l).ok());
        packages.push(InventoryPackage { package: stored.package, purl: row.text(0)?, layer, diff_id: None, paths: stored.paths, found_by: FOUND_BY, owner: stored.owner });
    }
    Ok(Inventory { os, packages, unknowns: Vec::new(), accounts: None, secrets: Vec::new() })
}

/// `value` as JSON text.
fn to_json<T: Serialize>(value: &T) -> Result<String, Error> {
    serde_json::to_string(value).map_err(|e| Error::Store(format!("cannot encode a value as JSON: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Location;
    use temper_inventory::Ecosystem;

    #[test]
    fn an_inventory_over_many_statements_reads_back_whole_and_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let mut fleet = crate::Fleet::open(&Location::parse(&dir.path().join("f.db").display().to_string())).unwrap();
        let db = fleet.db();
        let image = db.query("INSERT INTO images (reference, repository, digest, current, first_seen, last_synced) VALUES ('r', 'r', 'sha256:00', 1, 0, 0) RETURNING id", &[]).unwrap()[0].int(0).unwrap();
        // 250 rows: two full statements and a part one.
        let packages: Vec<InventoryPackage> = (0..250)
            .map(|i| {
                let package = Package::new(format!("p{i}"), format!("1.{i}"), Ecosystem::Npm);
                InventoryPackage { purl: format!("pkg:npm/p{i}@1.{i}"), package, layer: Some(i % 3), diff_id: None, paths: vec![format!("/app/node_modules/p{i}/package.json")], found_by: FOUND_BY, owner: None }
            })
            .collect();
        let inventory = Inventory { os: None, packages, unknowns: Vec::new(), accounts: None, secrets: Vec::new() };
        store_inventory(db, image, &inventory).unwrap();
        let back = load_inventory(db, image).unwrap();
        let view = |inv: &Inventory| inv.packages.iter().map(|p| (p.purl.clone(), p.package.name.clone(), p.layer, p.paths.clone())).collect::<Vec<_>>();
        assert_eq!(view(&back), view(&inventory));
    }
}
