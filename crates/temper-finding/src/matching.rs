//! Matching an inventory against the advisory database.
//!
//! Each package becomes a query in OSV's terms: the ecosystem as OSV
//! spells it (distro packages carry the image's release: `Debian:12`,
//! `Alpine:v3.20`), the name advisories use (Debian and Alpine advisories
//! name *source* packages; PyPI names are normalised), the version that
//! name was built at, and the ecosystem's version scheme. Records that
//! share an id or alias (CVE ↔ GHSA ↔ PYSEC ↔ RUSTSEC ↔ DSA) become one
//! finding per package.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use temper_advisory::db::{AdvisoryDb, DbError, family, index_name};
use temper_advisory::matcher::affected_by;
use temper_advisory::osv::Record;
use temper_advisory::version::{VersionScheme, for_osv_ecosystem};
use temper_inventory::{Ecosystem, Inventory, InventoryPackage, OsRelease};

use crate::severity::{self, CvssScore, Severity};

/// One vulnerability in one package of the image.
#[derive(Clone, Debug, Serialize)]
pub struct Finding {
    /// The id shown: the CVE when there is one, else the first record id.
    pub id: String,
    /// Every other id of the same vulnerability.
    pub aliases: Vec<String>,
    /// The advisory records that matched.
    pub records: Vec<String>,
    /// Package name as installed.
    pub package: String,
    /// Installed version.
    pub version: String,
    /// The package's ecosystem.
    pub ecosystem: Ecosystem,
    /// The package's purl.
    pub purl: String,
    /// The name and version the advisory was matched by, when they differ
    /// from the package's (Debian source packages).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub matched_as: Option<String>,
    /// Index of the layer that introduced the package; `None` when unknown
    /// (a package read from an SBOM).
    pub layer: Option<usize>,
    /// The package's evidence paths.
    pub paths: Vec<String>,
    /// Versions that fix it, lowest first; empty when no fix is known.
    pub fixed_versions: Vec<String>,
    /// Severity.
    pub severity: Severity,
    /// The CVSS score it was computed from, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cvss: Option<CvssScore>,
    /// In CISA's Known Exploited Vulnerabilities catalog.
    pub kev: bool,
    /// One-line summary.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// When the advisory (and so its fix) was published.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub published: Option<String>,
}

/// A package that could not be matched, and why.
#[derive(Clone, Debug, Serialize)]
pub struct Unmatched {
    /// The package's purl.
    pub purl: String,
    /// Why.
    pub reason: String,
}

/// A finding a VEX statement or an ignore entry took out.
#[derive(Clone, Debug, Serialize)]
pub struct Suppressed {
    /// The finding.
    #[serde(flatten)]
    pub finding: Finding,
    /// Who took it out, and why.
    pub suppression: crate::vex::Suppression,
}

/// Everything matching found.
#[derive(Clone, Debug, Serialize)]
pub struct Matches {
    /// Findings, worst first.
    pub findings: Vec<Finding>,
    /// Findings taken out by VEX or the ignore file.
    pub suppressed: Vec<Suppressed>,
    /// Packages that could not be checked.
    pub unmatched: Vec<Unmatched>,
}

impl Matches {
    /// Moves every finding `suppressions` covers on `today` to `suppressed`.
    pub fn suppress(&mut self, suppressions: &crate::vex::Suppressions, today: &str) {
        let (out, kept): (Vec<_>, Vec<_>) = std::mem::take(&mut self.findings).into_iter().map(|f| (suppressions.check(&f, today), f)).partition(|(s, _)| s.is_some());
        self.findings = kept.into_iter().map(|(_, f)| f).collect();
        self.suppressed.extend(out.into_iter().filter_map(|(s, finding)| s.map(|suppression| Suppressed { finding, suppression })));
    }
}

/// What to ask the database for one package.
struct Query {
    family: &'static str,
    release: Option<String>,
    name: String,
    version: String,
    scheme: &'static dyn VersionScheme,
}

/// OSV's name for the distro family of `os`, and the release as OSV
/// writes it in the ecosystem string.
fn distro(os: &OsRelease) -> Option<(&'static str, Option<String>)> {
    let version = os.version_id.clone();
    let major = version.as_deref().map(|v| v.split('.').next().unwrap_or(v).to_owned());
    let minor = version.as_deref().map(|v| v.split('.').take(2).collect::<Vec<_>>().join("."));
    Some(match os.id.as_str() {
        "debian" => ("Debian", major),
        "ubuntu" => ("Ubuntu", version),
        "alpine" => ("Alpine", minor.map(|m| format!("v{m}"))),
        "wolfi" => ("Wolfi", None),
        "chainguard" => ("Chainguard", None),
        "almalinux" => ("AlmaLinux", major),
        "rocky" => ("Rocky Linux", major),
        "rhel" => ("Red Hat", major),
        "opensuse-leap" | "opensuse-tumbleweed" | "opensuse" => ("openSUSE", version),
        "sles" => ("SUSE", version),
        _ => return None,
    })
}

fn query(p: &InventoryPackage, os: Option<&OsRelease>) -> Result<Query, String> {
    let pkg = &p.package;
    // A distro ships it and backports fixes into it: the OS package's
    // advisories apply, the upstream ecosystem's would be false positives.
    if let Some(owner) = &p.owner
        && !matches!(pkg.ecosystem, Ecosystem::Deb | Ecosystem::Apk | Ecosystem::Rpm)
    {
        return Err(format!("installed by the OS package {owner}, whose advisories cover it"));
    }
    let (family, release, name, version) = match pkg.ecosystem {
        Ecosystem::Deb | Ecosystem::Apk | Ecosystem::Rpm => {
            let os = os.ok_or("the image has no OS release, so distro advisories cannot apply")?;
            let (family, release) = distro(os).ok_or_else(|| format!("no advisory source for the distro {:?}", os.id))?;
            // Debian and Alpine advisories name source packages.
            let by_source = pkg.ecosystem != Ecosystem::Rpm;
            let name = if by_source { pkg.source_name.clone().unwrap_or_else(|| pkg.name.clone()) } else { pkg.name.clone() };
            let version = if by_source { pkg.source_version.clone().unwrap_or_else(|| pkg.version.clone()) } else { pkg.version.clone() };
            (family, release, name, version)
        }
        Ecosystem::Npm => ("npm", None, pkg.name.clone(), pkg.version.clone()),
        Ecosystem::Pypi => ("PyPI", None, pkg.name.clone(), pkg.version.clone()),
        Ecosystem::Golang => ("Go", None, pkg.name.clone(), pkg.version.clone()),
        Ecosystem::Cargo => ("crates.io", None, pkg.name.clone(), pkg.version.clone()),
        Ecosystem::Maven => ("Maven", None, pkg.name.clone(), pkg.version.clone()),
        Ecosystem::Gem => ("RubyGems", None, pkg.name.clone(), pkg.version.clone()),
        Ecosystem::Composer => ("Packagist", None, pkg.name.clone(), pkg.version.clone()),
        Ecosystem::Nuget => ("NuGet", None, pkg.name.clone(), pkg.version.clone()),
    };
    let scheme = for_osv_ecosystem(family).ok_or_else(|| format!("no version scheme for {family} yet"))?;
    Ok(Query { family, release, name, version, scheme })
}

/// Whether an `affected[]` ecosystem string applies to the query: same
/// family, and the same release when the string names one. Red Hat's
/// strings name a product and a stream around the release
/// (`Red Hat:enterprise_linux:9::appstream`); only RHEL's own product
/// applies to a RHEL image, matched on the major release.
fn ecosystem_applies(ecosystem: &str, q: &Query) -> bool {
    if family(ecosystem) != q.family {
        return false;
    }
    if q.family == "Red Hat" {
        let mut parts = ecosystem.split(':').skip(1);
        return match (parts.next(), parts.next(), &q.release) {
            (None, _, _) => true,
            (Some("enterprise_linux"), Some(release), Some(mine)) => release.split('.').next() == Some(mine.as_str()),
            _ => false,
        };
    }
    match (ecosystem.split(':').nth(1), &q.release) {
        (None, _) => true,
        (Some(r), Some(mine)) => r == mine,
        (Some(_), None) => false,
    }
}

/// One matched record, before merging by alias.
struct Hit<'r> {
    record: &'r Record,
    fixed: Option<String>,
    severity: Severity,
    cvss: Option<CvssScore>,
}

/// Matches every package of `inventory`.
pub fn match_inventory(db: &AdvisoryDb, inventory: &Inventory) -> Result<Matches, DbError> {
    let mut findings = Vec::new();
    let mut unmatched = Vec::new();
    let mut cache: BTreeMap<(&'static str, String), Vec<Record>> = BTreeMap::new();
    for p in &inventory.packages {
        let q = match query(p, inventory.os.as_ref()) {
            Ok(q) => q,
            Err(reason) => {
                unmatched.push(Unmatched { purl: p.purl.clone(), reason });
                continue;
            }
        };
        if let Err(e) = q.scheme.validate(&q.version) {
            unmatched.push(Unmatched { purl: p.purl.clone(), reason: e.to_string() });
            continue;
        }
        let key = (q.family, index_name(q.family, &q.name));
        if !cache.contains_key(&key) {
            let records = db.candidates(q.family, &q.name)?;
            cache.insert(key.clone(), records);
        }
        let records = cache.get(&key).map(Vec::as_slice).unwrap_or_default();
        let mut hits = Vec::new();
        for record in records {
            for affected in &record.affected {
                let Some(pkg) = &affected.package else { continue };
                if !ecosystem_applies(&pkg.ecosystem, &q) || index_name(q.family, &pkg.name) != key.1 {
                    continue;
                }
                // A record whose own bounds do not parse is skipped for this
                // package; the package's version was checked above.
                if let Ok(Some(hit)) = affected_by(q.scheme, &q.version, affected) {
                    let (severity, cvss) = severity::of(record, affected);
                    hits.push(Hit { record, fixed: hit.fixed, severity, cvss });
                }
            }
        }
        let matched_as = (q.name != p.package.name || q.version != p.package.version).then(|| format!("{} {}", q.name, q.version));
        findings.extend(merge(p, hits, matched_as, q.scheme, db)?);
    }
    findings.sort_by(|a, b| b.severity.cmp(&a.severity).then_with(|| (&a.package, &a.version, &a.id, a.layer).cmp(&(&b.package, &b.version, &b.id, b.layer))));
    Ok(Matches { findings, suppressed: Vec::new(), unmatched })
}

/// One finding per group of hits that share an id or alias.
fn merge(p: &InventoryPackage, hits: Vec<Hit>, matched_as: Option<String>, scheme: &dyn VersionScheme, db: &AdvisoryDb) -> Result<Vec<Finding>, DbError> {
    let mut groups: Vec<(BTreeSet<String>, Vec<Hit>)> = Vec::new();
    for hit in hits {
        let ids: BTreeSet<String> = hit.record.ids().map(str::to_owned).collect();
        let (mut joined, rest): (Vec<_>, Vec<_>) = groups.into_iter().partition(|(g, _)| !g.is_disjoint(&ids));
        let mut group = (ids, vec![hit]);
        for (g, h) in joined.drain(..) {
            group.0.extend(g);
            group.1.extend(h);
        }
        groups = rest;
        groups.push(group);
    }
    let mut out = Vec::new();
    for (ids, hits) in groups {
        let id = ids.iter().find(|i| i.starts_with("CVE-")).or_else(|| hits.first().map(|h| &h.record.id)).cloned().unwrap_or_default();
        let mut fixed: Vec<String> = hits.iter().filter_map(|h| h.fixed.clone()).collect();
        fixed.sort_by(|a, b| scheme.compare(a, b).unwrap_or(std::cmp::Ordering::Equal));
        fixed.dedup();
        let worst = hits.iter().max_by(|a, b| a.severity.cmp(&b.severity).then_with(|| a.cvss.is_some().cmp(&b.cvss.is_some())));
        let mut kev = false;
        for cve in ids.iter().filter(|i| i.starts_with("CVE-")) {
            kev |= db.kev(cve)?.is_some();
        }
        let mut records: Vec<String> = hits.iter().map(|h| h.record.id.clone()).collect();
        records.sort();
        records.dedup();
        out.push(Finding {
            aliases: ids.iter().filter(|i| **i != id).cloned().collect(),
            records,
            package: p.package.name.clone(),
            version: p.package.version.clone(),
            ecosystem: p.package.ecosystem,
            purl: p.purl.clone(),
            matched_as: matched_as.clone(),
            layer: p.layer,
            paths: p.paths.clone(),
            fixed_versions: fixed,
            severity: worst.map_or(Severity::Unknown, |h| h.severity),
            cvss: worst.and_then(|h| h.cvss.clone()),
            kev,
            summary: hits.iter().find_map(|h| h.record.summary.clone()),
            published: hits.iter().filter_map(|h| h.record.published.clone()).min(),
            id,
        });
    }
    Ok(out)
}
