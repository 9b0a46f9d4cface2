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

use crate::severity::{self, CvssScore, Severity, SeveritySource, VendorSeverity};

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
    /// The record the CVSS score comes from (see [`crate::severity`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub severity_source: Option<SeveritySource>,
    /// Vendors' own words (GHSA, Debian, Ubuntu), apart from the CVSS band.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub vendor_severity: Vec<VendorSeverity>,
    /// In CISA's Known Exploited Vulnerabilities catalog.
    pub kev: bool,
    /// One-line summary.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// When the advisory (and so its fix) was published.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub published: Option<String>,
    /// The OSV ecosystem family and package name the records matched
    /// (Debian: the source package), under which the advisory database
    /// keeps when each fix became known.
    #[serde(skip)]
    pub matched_in: (&'static str, String),
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
#[derive(Clone, Debug, Default, Serialize)]
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
    affected: &'r temper_advisory::osv::Affected,
    fixed: Option<String>,
}

/// What the database holds about each vulnerability, asked once per set of ids.
type RelatedCache = BTreeMap<BTreeSet<String>, temper_advisory::db::Related>;

/// What matching read from the database, kept from one inventory to the
/// next: images on one base share most packages, and reading a package's
/// records (decompressing and parsing each) is most of a match's cost.
/// Valid for one open database; a fleet rematch keeps one for its run.
#[derive(Default)]
pub struct MatchCache {
    candidates: BTreeMap<(&'static str, String), Vec<Record>>,
    related: RelatedCache,
}

impl MatchCache {
    /// Packages whose records are kept at most; past it the cache starts
    /// again, so memory stays bounded over any number of inventories.
    const MAX_PACKAGES: usize = 100_000;
}

/// The OSV ecosystem families the packages of `inventory` are matched in
/// but `db` holds no record of, with how many packages each: a match
/// against such a database would call those packages clean unchecked.
pub fn uncovered_families(db: &AdvisoryDb, inventory: &Inventory) -> Result<Vec<(&'static str, usize)>, DbError> {
    let mut needed: BTreeMap<&'static str, usize> = BTreeMap::new();
    for p in &inventory.packages {
        if let Ok(q) = query(p, inventory.os.as_ref()) {
            *needed.entry(q.family).or_default() += 1;
        }
    }
    let mut out = Vec::new();
    for (family, n) in needed {
        if !db.has_records(family)? {
            out.push((family, n));
        }
    }
    Ok(out)
}

/// Matches every package of `inventory`.
pub fn match_inventory(db: &AdvisoryDb, inventory: &Inventory) -> Result<Matches, DbError> {
    match_inventory_cached(db, inventory, &mut MatchCache::default())
}

/// [`match_inventory`], reading through `cache` and leaving in it what it read.
pub fn match_inventory_cached(db: &AdvisoryDb, inventory: &Inventory, cache: &mut MatchCache) -> Result<Matches, DbError> {
    if cache.candidates.len() > MatchCache::MAX_PACKAGES {
        *cache = MatchCache::default();
    }
    let MatchCache { candidates: cache, related } = cache;
    let mut findings = Vec::new();
    let mut unmatched = Vec::new();
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
                    hits.push(Hit { record, affected, fixed: hit.fixed });
                }
            }
        }
        let matched_as = (q.name != p.package.name || q.version != p.package.version).then(|| format!("{} {}", q.name, q.version));
        findings.extend(merge(p, hits, matched_as, (q.family, q.name.clone()), q.scheme, db, related)?);
    }
    let mut findings = group_copies(findings);
    findings.sort_by(|a, b| b.severity.cmp(&a.severity).then_with(|| (&a.package, &a.version, &a.id, a.layer).cmp(&(&b.package, &b.version, &b.id, b.layer))));
    Ok(Matches { findings, suppressed: Vec::new(), unmatched })
}

/// One finding per vulnerability of one package version: copies of the
/// same package (Go's `stdlib` linked into several binaries, one npm
/// package vendored twice) become one finding listing every path, at the
/// lowest layer that holds one.
fn group_copies(findings: Vec<Finding>) -> Vec<Finding> {
    let mut out: Vec<Finding> = Vec::with_capacity(findings.len());
    let mut index: BTreeMap<(String, String), usize> = BTreeMap::new();
    for f in findings {
        match index.get(&(f.id.clone(), f.purl.clone())) {
            Some(&i) => {
                let kept = &mut out[i];
                kept.paths.extend(f.paths);
                kept.paths.sort();
                kept.paths.dedup();
                kept.layer = kept.layer.min(f.layer);
            }
            None => {
                index.insert((f.id.clone(), f.purl.clone()), out.len());
                out.push(f);
            }
        }
    }
    out
}

/// One finding per group of hits that share an id or alias.
fn merge(p: &InventoryPackage, hits: Vec<Hit>, matched_as: Option<String>, matched_in: (&'static str, String), scheme: &dyn VersionScheme, db: &AdvisoryDb, related: &mut RelatedCache) -> Result<Vec<Finding>, DbError> {
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
        // OSV's Go ranges drop the `v` that Go versions (and the installed
        // one) carry; one spelling in the output.
        let go = p.package.ecosystem == Ecosystem::Golang;
        let mut fixed: Vec<String> = hits.iter().filter_map(|h| h.fixed.clone()).map(|v| if go && !v.starts_with('v') { format!("v{v}") } else { v }).collect();
        fixed.sort_by(|a, b| scheme.compare(a, b).unwrap_or(std::cmp::Ordering::Equal));
        fixed.dedup();
        let vulnerability: BTreeSet<String> = hits.iter().flat_map(|h| h.record.vulnerability_ids()).map(str::to_owned).collect();
        if !related.contains_key(&vulnerability) {
            let found = db.related(vulnerability.iter().map(String::as_str))?;
            related.insert(vulnerability.clone(), found);
        }
        let known = related.get(&vulnerability).map(|r| &r.ids).unwrap_or(&vulnerability);
        let matched: Vec<_> = hits.iter().map(|h| (h.record, h.affected)).collect();
        let rating = related.get(&vulnerability).map(|r| severity::rate(&matched, r)).unwrap_or_default();
        let mut kev = false;
        for cve in known.iter().filter(|i| i.starts_with("CVE-")) {
            kev |= db.kev(cve)?.is_some();
        }
        let mut records: Vec<String> = hits.iter().map(|h| h.record.id.clone()).collect();
        records.sort();
        records.dedup();
        let summary = hits.iter().find_map(|h| h.record.summary.clone().filter(|s| !s.trim().is_empty())).or_else(|| hits.iter().find_map(|h| h.record.details.as_deref().and_then(first_sentence)));
        out.push(Finding {
            aliases: ids.iter().chain(known).filter(|i| **i != id).cloned().collect::<BTreeSet<_>>().into_iter().collect(),
            records,
            package: p.package.name.clone(),
            version: p.package.version.clone(),
            ecosystem: p.package.ecosystem,
            purl: p.purl.clone(),
            matched_as: matched_as.clone(),
            layer: p.layer,
            paths: p.paths.clone(),
            fixed_versions: fixed,
            severity: rating.severity,
            cvss: rating.cvss,
            severity_source: rating.source,
            vendor_severity: rating.vendor,
            kev,
            summary,
            published: hits.iter().filter_map(|h| h.record.published.clone()).min(),
            matched_in: matched_in.clone(),
            id,
        });
    }
    Ok(out)
}

/// The first sentence of an advisory's `details`, as a title for records
/// without a `summary` (PyPA's): the first line that is not a Markdown
/// heading, up to its first full stop followed by white space, at most 160
/// characters.
fn first_sentence(details: &str) -> Option<String> {
    let line = details.lines().map(str::trim).find(|l| !l.is_empty() && !l.starts_with('#'))?;
    let end = line.char_indices().find(|&(i, c)| c == '.' && line[i + 1..].starts_with(char::is_whitespace)).map_or(line.len(), |(i, _)| i + 1);
    let sentence = &line[..end];
    let title: String = if sentence.chars().count() > 160 { sentence.chars().take(159).chain(std::iter::once('…')).collect() } else { sentence.to_owned() };
    (!title.is_empty()).then_some(title)
}

#[cfg(test)]
mod tests {
    use super::first_sentence;

    #[test]
    fn pypi_title_is_the_first_sentence_of_details() {
        assert_eq!(first_sentence("Django 4.2 before 4.2.1 allows SQL injection. Upgrade to 4.2.1.").as_deref(), Some("Django 4.2 before 4.2.1 allows SQL injection."));
        assert_eq!(first_sentence("\n## Impact\nA crafted v1.2 header crashes the parser\nmore").as_deref(), Some("A crafted v1.2 header crashes the parser"), "headings are skipped");
        assert_eq!(first_sentence("Version 1.2.3 of x.y fails").as_deref(), Some("Version 1.2.3 of x.y fails"), "dots inside words do not end it");
        assert_eq!(first_sentence(&"a".repeat(400)).map(|t| t.chars().count()), Some(160));
        assert_eq!(first_sentence("   "), None);
    }
}
