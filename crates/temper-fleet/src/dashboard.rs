//! What the fleet dashboard (`temper serve --dashboard`) shows, read from
//! the store: the overview (images, open findings by severity now and day
//! by day, SLA breaches, images per golden base), a page of the image
//! list, one image, one advisory across the fleet, one golden base with
//! its builds. Every value is plain serializable data; the server renders
//! it as HTML or serves it as JSON, so both show the same thing.
//!
//! Decisions:
//! - History needs no table of its own: a finding is open at time `t` when
//!   it was opened at or before `t` and not closed by then, so the count on
//!   each day is a query over `findings` at that day's end (UTC). Findings
//!   of images that left their reference were closed (`image-gone`) when
//!   they left, so old days still count them and later days do not.
//! - An image's page is the report's page (`temper-report`). The store has
//!   its packages, layers and findings; what else the page shows (labels,
//!   history, sizes, checks, redacted secrets) is kept at scan time as
//!   [`Facts`] (migration 5) rather than the rendered page or the whole
//!   assessment: findings change on every rematch and must come from the
//!   `findings` table, and the page's shape belongs to the report crate.
//! - "Which rebase fixes it": an image on an old version of a golden base
//!   is fixed by a rebase onto the newest version when the finding's
//!   package sits in a base layer and the newest version's inventory lacks
//!   that exact package (purl, so name and version) — the rule of
//!   [`Fleet::lineage`]'s `rebase_closes`, per finding.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use temper_verdict::assessment::Assessment;

use crate::lineage::{Placement, placements};
use crate::sla::{Breach, Sla};
use crate::store::{Backend, Row, Value};
use crate::{Error, Fleet};

/// Seconds in a day.
const DAY: i64 = 86_400;

/// Severities as the store spells them, most severe first.
pub const SEVERITIES: [&str; 5] = ["CRITICAL", "HIGH", "MEDIUM", "LOW", "UNKNOWN"];

/// What an image's page shows beside its packages and findings, kept when
/// it is scanned (`images.facts`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Facts {
    /// The config's creation time, as written.
    #[serde(default)]
    pub created: Option<String>,
    /// The config's user.
    #[serde(default)]
    pub user: String,
    /// The config's labels.
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// Bytes stored (compressed layers).
    #[serde(default)]
    pub compressed: u64,
    /// Bytes unpacked.
    #[serde(default)]
    pub uncompressed: u64,
    /// Each layer, base first.
    #[serde(default)]
    pub layers: Vec<LayerFact>,
    /// Each hardening check.
    #[serde(default)]
    pub checks: Vec<CheckFact>,
    /// Each secret found, redacted.
    #[serde(default)]
    pub secrets: Vec<SecretFact>,
}

/// One layer as scanned.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LayerFact {
    /// Bytes of the files it adds.
    pub size: u64,
    /// Its history entry's `created_by`.
    pub command: Option<String>,
    /// Its diffID.
    pub digest: Option<String>,
}

/// One hardening check's result, as the report shows it and the store
/// keeps it (the report's `CheckRow`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckFact {
    /// Id.
    pub id: String,
    /// What it checks.
    pub title: String,
    /// `info` … `critical`.
    pub severity: String,
    /// `pass`, `fail`, `skip`.
    pub status: String,
    /// Why.
    pub message: String,
    /// Evidence.
    pub details: Vec<String>,
    /// How to fix it.
    pub remediation: String,
}

/// One secret, redacted, as the report shows it and the store keeps it
/// (the report's `SecretRow`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretFact {
    /// Rule id.
    pub rule: String,
    /// What the rule finds.
    pub title: String,
    /// Severity.
    pub severity: String,
    /// Layer.
    pub layer: Option<usize>,
    /// Path and line.
    pub location: String,
    /// The match, masked.
    pub redacted: String,
    /// Still visible in the merged filesystem.
    pub visible: bool,
}

impl CheckFact {
    /// A check's result as shown and kept.
    pub fn of(c: &temper_check::CheckResult) -> CheckFact {
        CheckFact {
            id: c.id.to_owned(),
            title: c.title.to_owned(),
            severity: c.severity.as_str().to_owned(),
            status: format!("{:?}", c.status).to_lowercase(),
            message: c.message.clone(),
            details: c.details.clone(),
            remediation: c.remediation.to_owned(),
        }
    }
}

impl SecretFact {
    /// A secret as shown and kept (its match already redacted).
    pub fn of(s: &temper_verdict::hardening::SecretReport) -> SecretFact {
        SecretFact { rule: s.rule.clone(), title: s.title.clone(), severity: s.severity.as_str().to_owned(), layer: s.layer, location: format!("{}:{}", s.path, s.line), redacted: s.redacted.clone(), visible: s.visible }
    }
}

impl Facts {
    /// The facts of an assessment.
    pub fn of(a: &Assessment) -> Facts {
        let i = &a.image;
        Facts {
            created: i.created.clone(),
            user: i.config.user.clone(),
            labels: i.config.labels.clone(),
            compressed: i.size.compressed,
            uncompressed: i.size.uncompressed,
            layers: a.layers.items.iter().map(|l| LayerFact { size: l.size, command: l.command.clone(), digest: l.digest.clone() }).collect(),
            checks: a.checks.iter().map(CheckFact::of).collect(),
            secrets: a.secrets.iter().map(SecretFact::of).collect(),
        }
    }
}

/// Open findings on one day.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Day {
    /// The day (UTC), `YYYY-MM-DD`.
    pub date: String,
    /// The moment counted: the day's last second, or `now` on the last day.
    pub at: i64,
    /// Open findings by severity (every severity present, zeros too).
    pub open: BTreeMap<String, i64>,
}

/// An SLA breach with the image's id, for links.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BreachRow {
    /// The image's row id.
    pub image: i64,
    /// The breach.
    #[serde(flatten)]
    pub breach: Breach,
}

/// Images on one golden base.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BaseSummary {
    /// The golden reference's id (`/golden/{id}`).
    pub id: i64,
    /// The golden reference.
    pub reference: String,
    /// Its current version, when scanned.
    pub newest: Option<String>,
    /// Current images built on any version of it.
    pub images: i64,
    /// Those on a version other than the newest.
    pub outdated: i64,
}

/// The dashboard's front page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Overview {
    /// The time it is computed at (Unix seconds).
    pub now: i64,
    /// Current images (each reference's digest).
    pub images: i64,
    /// Of those, scanned.
    pub scanned: i64,
    /// Open findings of current images by severity (every severity present).
    pub open: BTreeMap<String, i64>,
    /// Open findings (all images) at the end of each day, oldest first, today last.
    pub history: Vec<Day>,
    /// The SLA the breaches are judged by.
    pub sla: Sla,
    /// Findings past their SLA, most days over first.
    pub breaches: Vec<BreachRow>,
    /// Each golden base, by reference.
    pub bases: Vec<BaseSummary>,
    /// Current, scanned images on no golden base.
    pub unbased: i64,
}

/// One image in a list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ImageRow {
    /// Its row id (`/images/{id}`).
    pub id: i64,
    /// As added.
    pub reference: String,
    /// The digest.
    pub digest: String,
    /// `os/arch[/variant]`.
    pub platform: Option<String>,
    /// Whether its reference still points at this digest.
    pub current: bool,
    /// First seen (Unix seconds).
    pub first_seen: i64,
    /// Scanned at; `None` while queued.
    pub scanned_at: Option<i64>,
    /// Open findings by severity (every severity present).
    pub open: BTreeMap<String, i64>,
}

/// A page of the current images, by reference.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ImageList {
    /// Current images in all.
    pub total: i64,
    /// Rows skipped before this page.
    pub offset: i64,
    /// Most rows a page.
    pub limit: i64,
    /// The page's rows.
    pub images: Vec<ImageRow>,
}

/// A package as stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PackageRecord {
    /// purl type (`deb`, `npm`).
    pub ecosystem: String,
    /// Name.
    pub name: String,
    /// Version.
    pub version: String,
    /// purl.
    pub purl: String,
    /// The layer that added it.
    pub layer: Option<usize>,
    /// Licences.
    pub licenses: Vec<String>,
}

/// An open finding as stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OpenFinding {
    /// The vulnerability (CVE when known).
    pub advisory: String,
    /// The package.
    pub package: String,
    /// Its purl.
    pub purl: String,
    /// Installed version.
    pub installed: String,
    /// The lowest fixed version.
    pub fixed: Option<String>,
    /// Severity, upper case.
    pub severity: String,
    /// Opened at (Unix seconds).
    pub opened_at: i64,
}

/// The golden version an image is built on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct GoldenPlace {
    /// The golden reference's id.
    pub id: i64,
    /// The golden reference.
    pub reference: String,
    /// The version it is on.
    pub digest: String,
    /// The newest version, when scanned.
    pub newest: Option<String>,
    /// Whether it is on the newest.
    pub up_to_date: bool,
}

/// One image, whole.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ImageDetail {
    /// Its row.
    pub image: ImageRow,
    /// The distribution (PRETTY_NAME, else ID VERSION_ID).
    pub os: Option<String>,
    /// The base it names in its annotations or labels.
    pub base_name: Option<String>,
    /// The base digest it names.
    pub base_digest: Option<String>,
    /// The golden base it is built on.
    pub golden: Option<GoldenPlace>,
    /// What its scan kept; `None` for an image scanned before migration 5 or not yet.
    pub facts: Option<Facts>,
    /// Its layers' diffIDs, base first.
    pub layers: Vec<String>,
    /// Its packages.
    pub packages: Vec<PackageRecord>,
    /// Its open findings, most severe first.
    pub findings: Vec<OpenFinding>,
}

/// Whether rebasing an image fixes a finding.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Rebase {
    /// The golden reference's id.
    pub id: i64,
    /// The golden reference.
    pub golden: String,
    /// Its newest version, when scanned.
    pub newest: Option<String>,
    /// The image is on the newest already.
    pub up_to_date: bool,
    /// The package sits in a base layer.
    pub in_base: bool,
    /// A rebase onto the newest version removes the package version.
    pub fixes: bool,
}

/// One image with an advisory open.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AdvisoryImage {
    /// The image's row id.
    pub image: i64,
    /// Its reference.
    pub reference: String,
    /// Its digest.
    pub digest: String,
    /// The package.
    pub package: String,
    /// Its purl.
    pub purl: String,
    /// Installed version.
    pub installed: String,
    /// The lowest fixed version.
    pub fixed: Option<String>,
    /// Severity, upper case.
    pub severity: String,
    /// Opened at (Unix seconds).
    pub opened_at: i64,
    /// Its golden base and what a rebase does; `None` on no golden base.
    pub rebase: Option<Rebase>,
}

/// One advisory across the current images.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AdvisoryView {
    /// The advisory.
    pub advisory: String,
    /// Each current image with it open, by reference.
    pub images: Vec<AdvisoryImage>,
    /// How many of those a rebase fixes.
    pub fixed_by_rebase: i64,
    /// Findings of it closed so far (any image), by reason.
    pub closed: BTreeMap<String, i64>,
}

/// An image by id and reference, for links.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ImageLink {
    /// Row id.
    pub id: i64,
    /// Reference.
    pub reference: String,
}

/// One version (build) of a golden base.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Build {
    /// Its row id (its own image page).
    pub image: i64,
    /// Its digest.
    pub digest: String,
    /// Whether it is the golden reference's current digest.
    pub newest: bool,
    /// First seen (Unix seconds).
    pub first_seen: i64,
    /// Scanned at.
    pub scanned_at: Option<i64>,
    /// Current images on it, by reference.
    pub images: Vec<ImageLink>,
}

/// One golden base.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct GoldenView {
    /// Its id.
    pub id: i64,
    /// The golden reference.
    pub reference: String,
    /// Its versions, newest first.
    pub builds: Vec<Build>,
    /// Current images on a version other than the newest.
    pub outdated: i64,
}

/// Every severity with a zero count.
fn zeros() -> BTreeMap<String, i64> {
    SEVERITIES.iter().map(|s| ((*s).to_owned(), 0)).collect()
}

/// The UTC date of Unix time `t`.
fn date(t: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(t).map_or_else(|_| t.to_string(), |d| d.date().to_string())
}

fn count(db: &mut dyn Backend, sql: &str, params: &[Value]) -> Result<i64, Error> {
    db.query(sql, params)?.first().map_or(Ok(0), |r| r.int(0))
}

/// The rank of a severity for sorting, most severe first.
fn rank(severity: &str) -> usize {
    SEVERITIES.iter().position(|s| *s == severity).unwrap_or(SEVERITIES.len())
}

/// `(id → golden reference id)` of the golden table.
fn golden_ids(db: &mut dyn Backend) -> Result<BTreeMap<String, i64>, Error> {
    db.query("SELECT reference, id FROM golden ORDER BY reference", &[])?.iter().map(|r| Ok((r.text(0)?, r.int(1)?))).collect()
}

fn image_row(r: &Row) -> Result<ImageRow, Error> {
    Ok(ImageRow { id: r.int(0)?, reference: r.text(1)?, digest: r.text(2)?, platform: r.opt_text(3)?, current: r.int(4)? == 1, first_seen: r.int(5)?, scanned_at: r.opt_int(6)?, open: zeros() })
}

/// The columns [`image_row`] reads, of table alias `i`.
const IMAGE_COLUMNS: &str = "i.id, i.reference, i.digest, i.platform, i.current, i.first_seen, i.scanned_at";

impl Fleet {
    /// The overview at Unix time `now`: `days` days of history ending today.
    pub fn overview(&mut self, sla: &Sla, days: usize, now: i64) -> Result<Overview, Error> {
        let breaches = self.sla_breaches(sla, now)?;
        let db = self.db();
        let images = count(db, "SELECT count(*) FROM images WHERE current = 1", &[])?;
        let scanned = count(db, "SELECT count(*) FROM images WHERE current = 1 AND scanned_at IS NOT NULL", &[])?;
        let mut open = zeros();
        for r in db.query("SELECT f.severity, count(*) FROM findings f JOIN images i ON i.id = f.image_id WHERE f.status = 'open' AND i.current = 1 GROUP BY f.severity", &[])? {
            open.insert(r.text(0)?, r.int(1)?);
        }
        let today = now - now.rem_euclid(DAY);
        let mut history = Vec::with_capacity(days);
        for back in (0..days as i64).rev() {
            let at = (today - back * DAY + DAY - 1).min(now);
            let mut counts = zeros();
            for r in db.query("SELECT severity, count(*) FROM findings WHERE opened_at <= $1 AND (closed_at IS NULL OR closed_at > $1) GROUP BY severity", &[at.into()])? {
                counts.insert(r.text(0)?, r.int(1)?);
            }
            history.push(Day { date: date(at), at, open: counts });
        }
        let ids: BTreeMap<(String, String), i64> = db.query("SELECT reference, digest, id FROM images WHERE current = 1", &[])?.iter().map(|r| Ok(((r.text(0)?, r.text(1)?), r.int(2)?))).collect::<Result<_, Error>>()?;
        let breaches = breaches.into_iter().map(|b| BreachRow { image: ids.get(&(b.reference.clone(), b.digest.clone())).copied().unwrap_or(0), breach: b }).collect();
        let placed = placements(db)?;
        let mut bases: BTreeMap<String, BaseSummary> = BTreeMap::new();
        for (reference, id) in golden_ids(db)? {
            let newest = db.query("SELECT digest FROM images WHERE reference = $1 AND current = 1 AND scanned_at IS NOT NULL", &[(&reference).into()])?.first().map(|r| r.text(0)).transpose()?;
            bases.insert(reference.clone(), BaseSummary { id, reference, newest, images: 0, outdated: 0 });
        }
        for p in placed.values() {
            if let Some(base) = bases.get_mut(&p.golden) {
                base.images += 1;
                if p.newest.as_ref().is_some_and(|(_, digest)| *digest != p.base.1) {
                    base.outdated += 1;
                }
            }
        }
        let unbased = count(db, "SELECT count(*) FROM images WHERE current = 1 AND scanned_at IS NOT NULL AND reference NOT IN (SELECT reference FROM golden)", &[])? - placed.len() as i64;
        Ok(Overview { now, images, scanned, open, history, sla: sla.clone(), breaches, bases: bases.into_values().collect(), unbased })
    }

    /// The current images ordered by reference, `limit` from `offset`.
    pub fn image_list(&mut self, offset: i64, limit: i64) -> Result<ImageList, Error> {
        let db = self.db();
        let total = count(db, "SELECT count(*) FROM images WHERE current = 1", &[])?;
        let mut images: Vec<ImageRow> = Vec::new();
        let rows = db.query(
            &format!(
                "SELECT {IMAGE_COLUMNS}, f.severity, count(f.id) FROM (SELECT * FROM images WHERE current = 1 ORDER BY reference, id LIMIT $1 OFFSET $2) i \
                 LEFT JOIN findings f ON f.image_id = i.id AND f.status = 'open' \
                 GROUP BY {IMAGE_COLUMNS}, f.severity ORDER BY i.reference, i.id"
            ),
            &[limit.into(), offset.into()],
        )?;
        for r in rows {
            let id = r.int(0)?;
            if images.last().is_none_or(|last| last.id != id) {
                images.push(image_row(&r)?);
            }
            if let (Some(severity), Some(image)) = (r.opt_text(7)?, images.last_mut()) {
                image.open.insert(severity, r.int(8)?);
            }
        }
        Ok(ImageList { total, offset, limit, images })
    }

    /// Image `id` (current or not), `None` when there is none.
    pub fn image(&mut self, id: i64) -> Result<Option<ImageDetail>, Error> {
        let db = self.db();
        let Some(r) = db.query(&format!("SELECT {IMAGE_COLUMNS}, i.base_name, i.base_digest, i.facts FROM images i WHERE i.id = $1"), &[id.into()])?.into_iter().next() else {
            return Ok(None);
        };
        let mut image = image_row(&r)?;
        let (base_name, base_digest) = (r.opt_text(7)?, r.opt_text(8)?);
        let facts = match r.opt_text(9)? {
            Some(text) => Some(serde_json::from_str::<Facts>(&text).map_err(|e| Error::Store(format!("image {id}: its stored facts do not parse ({e}); scan it again with `temper fleet sync`")))?),
            None => None,
        };
        for r in db.query("SELECT severity, count(*) FROM findings WHERE image_id = $1 AND status = 'open' GROUP BY severity", &[id.into()])? {
            image.open.insert(r.text(0)?, r.int(1)?);
        }
        let layers = db.query("SELECT digest FROM layers WHERE image_id = $1 ORDER BY position", &[id.into()])?.iter().map(|l| l.text(0)).collect::<Result<_, _>>()?;
        let inventory = crate::findings::load_inventory(db, id)?;
        let os = inventory.os.as_ref().map(|o| o.pretty_name.clone().unwrap_or_else(|| format!("{} {}", o.id, o.version_id.as_deref().unwrap_or_default()).trim().to_owned()));
        let packages = inventory
            .packages
            .into_iter()
            .map(|p| PackageRecord { ecosystem: p.package.ecosystem.purl_type().to_owned(), name: p.package.name, version: p.package.version, purl: p.purl, layer: p.layer, licenses: p.package.licenses })
            .collect();
        let mut findings: Vec<OpenFinding> = db
            .query("SELECT advisory, package, purl, installed, fixed, severity, opened_at FROM findings WHERE image_id = $1 AND status = 'open' ORDER BY advisory, purl", &[id.into()])?
            .iter()
            .map(|r| Ok(OpenFinding { advisory: r.text(0)?, package: r.text(1)?, purl: r.text(2)?, installed: r.text(3)?, fixed: r.opt_text(4)?, severity: r.text(5)?, opened_at: r.int(6)? }))
            .collect::<Result<_, Error>>()?;
        findings.sort_by_key(|f| rank(&f.severity));
        let golden = match placements(db)?.remove(&id) {
            Some(p) => Some(GoldenPlace { id: golden_ids(db)?.get(&p.golden).copied().unwrap_or(0), up_to_date: p.newest.as_ref().is_some_and(|n| n.1 == p.base.1), newest: p.newest.map(|n| n.1), digest: p.base.1, reference: p.golden }),
            None => None,
        };
        Ok(Some(ImageDetail { image, os, base_name, base_digest, golden, facts, layers, packages, findings }))
    }

    /// Advisory `advisory` on the current images, `None` when no finding
    /// (open or closed) names it.
    pub fn advisory(&mut self, advisory: &str) -> Result<Option<AdvisoryView>, Error> {
        let db = self.db();
        let mut closed = BTreeMap::new();
        for r in db.query("SELECT close_reason, count(*) FROM findings WHERE advisory = $1 AND status = 'closed' GROUP BY close_reason", &[advisory.into()])? {
            closed.insert(r.opt_text(0)?.unwrap_or_default(), r.int(1)?);
        }
        let rows = db.query(
            &format!(
                "SELECT {IMAGE_COLUMNS}, f.package, f.purl, f.installed, f.fixed, f.severity, f.opened_at FROM findings f JOIN images i ON i.id = f.image_id \
                 WHERE f.advisory = $1 AND f.status = 'open' AND i.current = 1 ORDER BY i.reference, i.id, f.purl"
            ),
            &[advisory.into()],
        )?;
        if rows.is_empty() && closed.is_empty() {
            return Ok(None);
        }
        let placed = placements(db)?;
        let ids = golden_ids(db)?;
        let mut images = Vec::with_capacity(rows.len());
        for r in rows {
            let (image, purl) = (r.int(0)?, r.text(8)?);
            let rebase = match placed.get(&image) {
                Some(p) => Some(rebase(db, p, &purl, ids.get(&p.golden).copied().unwrap_or(0))?),
                None => None,
            };
            images.push(AdvisoryImage {
                image,
                reference: r.text(1)?,
                digest: r.text(2)?,
                package: r.text(7)?,
                purl,
                installed: r.text(9)?,
                fixed: r.opt_text(10)?,
                severity: r.text(11)?,
                opened_at: r.int(12)?,
                rebase,
            });
        }
        let fixed_by_rebase = images.iter().filter(|i| i.rebase.as_ref().is_some_and(|r| r.fixes)).count() as i64;
        Ok(Some(AdvisoryView { advisory: advisory.to_owned(), images, fixed_by_rebase, closed }))
    }

    /// The id of golden reference `reference`, `None` when it is not golden.
    pub fn golden_id(&mut self, reference: &str) -> Result<Option<i64>, Error> {
        self.db().query("SELECT id FROM golden WHERE reference = $1", &[reference.into()])?.first().map(|r| r.int(0)).transpose()
    }

    /// Golden base `id` (its id in the golden table), `None` when there is none.
    pub fn golden_base(&mut self, id: i64) -> Result<Option<GoldenView>, Error> {
        let db = self.db();
        let Some(reference) = db.query("SELECT reference FROM golden WHERE id = $1", &[id.into()])?.first().map(|r| r.text(0)).transpose()? else {
            return Ok(None);
        };
        let placed = placements(db)?;
        let mut builds = Vec::new();
        for r in db.query("SELECT id, digest, current, first_seen, scanned_at FROM images WHERE reference = $1 ORDER BY first_seen DESC, id DESC", &[(&reference).into()])? {
            builds.push(Build { image: r.int(0)?, digest: r.text(1)?, newest: r.int(2)? == 1, first_seen: r.int(3)?, scanned_at: r.opt_int(4)?, images: Vec::new() });
        }
        let mut outdated = 0;
        let names: BTreeMap<i64, String> = db.query("SELECT id, reference FROM images WHERE current = 1", &[])?.iter().map(|r| Ok((r.int(0)?, r.text(1)?))).collect::<Result<_, Error>>()?;
        for p in placed.values().filter(|p| p.golden == reference) {
            if let Some(build) = builds.iter_mut().find(|b| b.image == p.base.0) {
                build.images.push(ImageLink { id: p.image, reference: names.get(&p.image).cloned().unwrap_or_default() });
                if !build.newest {
                    outdated += 1;
                }
            }
        }
        for b in &mut builds {
            b.images.sort_by(|x, y| (&x.reference, x.id).cmp(&(&y.reference, y.id)));
        }
        Ok(Some(GoldenView { id, reference, builds, outdated }))
    }
}

/// What rebasing the image of `p` onto its golden base's newest version
/// does to its finding on `purl`.
fn rebase(db: &mut dyn Backend, p: &Placement, purl: &str, id: i64) -> Result<Rebase, Error> {
    let up_to_date = p.newest.as_ref().is_some_and(|n| n.1 == p.base.1);
    let in_base = count(db, "SELECT count(*) FROM packages WHERE image_id = $1 AND purl = $2 AND layer < $3", &[p.image.into(), purl.into(), (p.base_layers as i64).into()])? > 0;
    let fixes = match &p.newest {
        Some((newest, _)) if in_base && !up_to_date => count(db, "SELECT count(*) FROM packages WHERE image_id = $1 AND purl = $2", &[(*newest).into(), purl.into()])? == 0,
        _ => false,
    };
    Ok(Rebase { id, golden: p.golden.clone(), newest: p.newest.as_ref().map(|n| n.1.clone()), up_to_date, in_base, fixes })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Location;

    /// 2026-11-30T12:00:00Z.
    const NOW: i64 = 1_796_040_000;

    fn insert(db: &mut dyn Backend, sql: &str, params: &[Value]) -> i64 {
        db.query(&format!("{sql} RETURNING id"), params).unwrap()[0].int(0).unwrap()
    }

    fn image(db: &mut dyn Backend, reference: &str, digest: &str, current: bool, layers: &[&str], base: Option<(&str, &str)>) -> i64 {
        let id = insert(
            db,
            "INSERT INTO images (reference, repository, digest, current, first_seen, last_synced, scanned_at, base_name, base_digest) VALUES ($1, $1, $2, $3, $4, $4, $4, $5, $6)",
            &[reference.into(), digest.into(), i64::from(current).into(), (NOW - 20 * DAY).into(), base.map(|b| b.0).into(), base.map(|b| b.1).into()],
        );
        for (i, l) in layers.iter().enumerate() {
            db.execute("INSERT INTO layers (image_id, position, digest) VALUES ($1, $2, $3)", &[id.into(), (i as i64).into(), (*l).into()]).unwrap();
        }
        id
    }

    fn package(db: &mut dyn Backend, image: i64, name: &str, version: &str, layer: i64) {
        let record = serde_json::json!({ "name": name, "version": version, "ecosystem": "npm", "licenses": ["MIT"] }).to_string();
        db.execute(
            "INSERT INTO packages (image_id, ecosystem, name, version, purl, layer, record) VALUES ($1, 'npm', $2, $3, $4, $5, $6)",
            &[image.into(), name.into(), version.into(), format!("pkg:npm/{name}@{version}").into(), layer.into(), record.into()],
        )
        .unwrap();
    }

    #[allow(clippy::too_many_arguments)]
    fn finding(db: &mut dyn Backend, image: i64, advisory: &str, name: &str, version: &str, severity: &str, opened: i64, closed: Option<i64>, fix_known: Option<i64>) {
        db.execute(
            "INSERT INTO findings (image_id, advisory, records, package, purl, installed, fixed, severity, status, opened_at, closed_at, close_reason, fix_known_at, fix_known_source) \
             VALUES ($1, $2, $2, $3, $4, $5, '9.9.9', $6, $7, $8, $9, $10, $11, 'update')",
            &[
                image.into(),
                advisory.into(),
                name.into(),
                format!("pkg:npm/{name}@{version}").into(),
                version.into(),
                severity.into(),
                if closed.is_some() { "closed" } else { "open" }.into(),
                opened.into(),
                closed.into(),
                closed.map(|_| "fixed-upstream").into(),
                fix_known.into(),
            ],
        )
        .unwrap();
    }

    /// A golden base with two builds (lodash 4.17.20, then 4.17.21), an
    /// app on the old one, an app on the new one, an app on no base.
    fn store(dir: &std::path::Path) -> (Fleet, [i64; 5]) {
        let mut fleet = Fleet::open(&Location::Sqlite(dir.join("fleet.db"))).unwrap().with_clock(std::sync::Arc::new(|| NOW));
        fleet.add_golden(&["reg.test/golden:1".to_owned()]).unwrap();
        let db = fleet.db();
        let old = image(db, "reg.test/golden:1", "sha256:g1", false, &["sha256:l-old"], None);
        package(db, old, "lodash", "4.17.20", 0);
        let new = image(db, "reg.test/golden:1", "sha256:g2", true, &["sha256:l-new"], None);
        package(db, new, "lodash", "4.17.21", 0);
        let behind = image(db, "reg.test/app-a:1", "sha256:a", true, &["sha256:l-old", "sha256:a1"], Some(("reg.test/golden:1", "sha256:g1")));
        package(db, behind, "lodash", "4.17.20", 0);
        package(db, behind, "minimist", "1.2.5", 1);
        let fresh = image(db, "reg.test/app-b:1", "sha256:b", true, &["sha256:l-new", "sha256:b1"], None);
        package(db, fresh, "lodash", "4.17.21", 0);
        let alone = image(db, "reg.test/app-c:1", "sha256:c", true, &["sha256:c0"], None);
        package(db, alone, "minimist", "1.2.5", 0);
        // Opened 10 days ago, fix known 40 days ago: critical is 33 days over 7.
        finding(db, behind, "CVE-2099-0001", "lodash", "4.17.20", "CRITICAL", NOW - 10 * DAY, None, Some(NOW - 40 * DAY));
        finding(db, behind, "CVE-2099-0002", "minimist", "1.2.5", "HIGH", NOW - 3 * DAY, None, None);
        finding(db, alone, "CVE-2099-0002", "minimist", "1.2.5", "HIGH", NOW - 3 * DAY, None, None);
        // Open from 5 days ago until 2 days ago.
        finding(db, fresh, "CVE-2099-0003", "lodash", "4.17.21", "LOW", NOW - 5 * DAY, Some(NOW - 2 * DAY), None);
        (fleet, [old, new, behind, fresh, alone])
    }

    #[test]
    fn overview_counts_history_breaches_and_bases() {
        let dir = tempfile::tempdir().unwrap();
        let (mut fleet, _) = store(dir.path());
        let o = fleet.overview(&Sla::default(), 7, NOW).unwrap();
        assert_eq!((o.images, o.scanned), (4, 4), "the golden's current build and three apps");
        assert_eq!(o.open, BTreeMap::from([("CRITICAL".into(), 1), ("HIGH".into(), 2), ("MEDIUM".into(), 0), ("LOW".into(), 0), ("UNKNOWN".into(), 0)]));
        assert_eq!(o.history.len(), 7);
        assert_eq!(o.history.last().map(|d| (d.date.as_str(), d.at)), Some(("2026-11-30", NOW)));
        assert_eq!(o.history[0].date, "2026-11-24");
        let by_day: Vec<(i64, i64, i64)> = o.history.iter().map(|d| (d.open["CRITICAL"], d.open["HIGH"], d.open["LOW"])).collect();
        // Days 24..30: the LOW one is open from the 25th (12:00) until the 28th (12:00); the HIGH ones from the 27th.
        assert_eq!(by_day, vec![(1, 0, 0), (1, 0, 1), (1, 0, 1), (1, 2, 1), (1, 2, 0), (1, 2, 0), (1, 2, 0)]);
        assert_eq!(o.breaches.len(), 1);
        assert_eq!((o.breaches[0].breach.advisory.as_str(), o.breaches[0].breach.days_over), ("CVE-2099-0001", 33));
        assert_eq!(o.breaches[0].image, fleet.image_list(0, 10).unwrap().images.iter().find(|i| i.reference == "reg.test/app-a:1").unwrap().id);
        assert_eq!(o.bases.len(), 1);
        assert_eq!((o.bases[0].reference.as_str(), o.bases[0].images, o.bases[0].outdated, o.bases[0].newest.as_deref()), ("reg.test/golden:1", 2, 1, Some("sha256:g2")));
        assert_eq!(o.unbased, 1);
    }

    #[test]
    fn image_list_pages_by_reference() {
        let dir = tempfile::tempdir().unwrap();
        let (mut fleet, _) = store(dir.path());
        let first = fleet.image_list(0, 2).unwrap();
        assert_eq!(first.total, 4);
        assert_eq!(first.images.iter().map(|i| i.reference.as_str()).collect::<Vec<_>>(), ["reg.test/app-a:1", "reg.test/app-b:1"]);
        assert_eq!((first.images[0].open["CRITICAL"], first.images[0].open["HIGH"], first.images[1].open["LOW"]), (1, 1, 0));
        let second = fleet.image_list(2, 2).unwrap();
        assert_eq!(second.images.iter().map(|i| i.reference.as_str()).collect::<Vec<_>>(), ["reg.test/app-c:1", "reg.test/golden:1"]);
        assert!(fleet.image_list(4, 2).unwrap().images.is_empty());
    }

    #[test]
    fn one_image_with_its_packages_findings_and_golden_place() {
        let dir = tempfile::tempdir().unwrap();
        let (mut fleet, [_, _, behind, ..]) = store(dir.path());
        let d = fleet.image(behind).unwrap().unwrap();
        assert_eq!(d.layers, ["sha256:l-old", "sha256:a1"]);
        assert_eq!(d.packages.iter().map(|p| (p.name.as_str(), p.layer, p.licenses.clone())).collect::<Vec<_>>(), [("lodash", Some(0), vec!["MIT".to_owned()]), ("minimist", Some(1), vec!["MIT".to_owned()])]);
        assert_eq!(d.findings.iter().map(|f| f.advisory.as_str()).collect::<Vec<_>>(), ["CVE-2099-0001", "CVE-2099-0002"], "most severe first");
        let golden = d.golden.unwrap();
        assert_eq!((golden.reference.as_str(), golden.digest.as_str(), golden.up_to_date), ("reg.test/golden:1", "sha256:g1", false));
        assert!(d.facts.is_none(), "not stored for this image");
        assert!(fleet.image(9999).unwrap().is_none());
    }

    #[test]
    fn advisory_says_which_rebase_fixes_it() {
        let dir = tempfile::tempdir().unwrap();
        let (mut fleet, [_, _, behind, _, alone]) = store(dir.path());
        let lodash = fleet.advisory("CVE-2099-0001").unwrap().unwrap();
        assert_eq!(lodash.images.len(), 1);
        let r = lodash.images[0].rebase.clone().unwrap();
        assert_eq!((lodash.images[0].image, r.in_base, r.up_to_date, r.fixes), (behind, true, false, true), "the newest build has lodash 4.17.21");
        assert_eq!(lodash.fixed_by_rebase, 1);
        let minimist = fleet.advisory("CVE-2099-0002").unwrap().unwrap();
        let rows: Vec<(i64, Option<bool>)> = minimist.images.iter().map(|i| (i.image, i.rebase.as_ref().map(|r| r.fixes))).collect();
        assert_eq!(rows, [(behind, Some(false)), (alone, None)], "minimist is in the app's own layer; app-c is on no golden base");
        let closed = fleet.advisory("CVE-2099-0003").unwrap().unwrap();
        assert!(closed.images.is_empty() && closed.closed == BTreeMap::from([("fixed-upstream".to_owned(), 1)]));
        assert!(fleet.advisory("CVE-0000-0000").unwrap().is_none());
    }

    #[test]
    fn golden_base_lists_builds_and_outdated_images() {
        let dir = tempfile::tempdir().unwrap();
        let (mut fleet, [old, new, behind, fresh, _]) = store(dir.path());
        let id = fleet.overview(&Sla::default(), 1, NOW).unwrap().bases[0].id;
        assert_eq!(fleet.golden_id("reg.test/golden:1").unwrap(), Some(id));
        assert_eq!(fleet.golden_id("reg.test/app-a:1").unwrap(), None);
        let g = fleet.golden_base(id).unwrap().unwrap();
        assert_eq!(g.builds.iter().map(|b| (b.image, b.newest)).collect::<Vec<_>>(), [(new, true), (old, false)]);
        assert_eq!(g.builds[0].images, [ImageLink { id: fresh, reference: "reg.test/app-b:1".into() }], "app-b by its layer prefix");
        assert_eq!(g.builds[1].images, [ImageLink { id: behind, reference: "reg.test/app-a:1".into() }], "app-a by its base annotation");
        assert_eq!(g.outdated, 1);
        assert!(fleet.golden_base(id + 100).unwrap().is_none());
    }
}
