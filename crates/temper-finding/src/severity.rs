//! Severity of a finding, rated by alias.
//!
//! Go, PyPA and distro records mostly carry no CVSS, while another record
//! of the same vulnerability often does. So a finding takes the CVSS of
//! any record the database holds under one of its ids, in this order: the
//! matched advisories themselves (the package entry's vector before the
//! record's), then GHSA records, then the CVE record's CNA metric, then
//! ADP metrics (CISA's Vulnrichment), then any other record (Bitnami, …).
//! Within one source v4.0 is taken before v3.x before v2; among records of
//! one rank the highest score wins. The finding names where its rating
//! came from ([`SeveritySource`]).
//!
//! Words vendors use (GHSA's `database_specific.severity`, Debian's
//! `urgency`, Ubuntu's priority) are kept apart as [`VendorSeverity`] and
//! never turned into a CVSS band: a band says "a CVSS score in this range".

use std::str::FromStr;

use serde::Serialize;
use temper_advisory::cve::Origin;
use temper_advisory::db::Related;
use temper_advisory::osv::{Affected, Record, Severity as OsvSeverity};

/// How bad a finding is, in the usual five steps.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Severity {
    /// No CVSS score in any record of the vulnerability.
    #[default]
    Unknown,
    /// CVSS 0.1–3.9.
    Low,
    /// CVSS 4.0–6.9.
    Medium,
    /// CVSS 7.0–8.9.
    High,
    /// CVSS 9.0–10.0.
    Critical,
}

impl Severity {
    /// The upper-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Unknown => "UNKNOWN",
            Severity::Low => "LOW",
            Severity::Medium => "MEDIUM",
            Severity::High => "HIGH",
            Severity::Critical => "CRITICAL",
        }
    }

    /// The band of a CVSS v3/v4 base score.
    pub fn from_score(score: f64) -> Severity {
        match score {
            s if s >= 9.0 => Severity::Critical,
            s if s >= 7.0 => Severity::High,
            s if s >= 4.0 => Severity::Medium,
            s if s > 0.0 => Severity::Low,
            _ => Severity::Unknown,
        }
    }
}

impl FromStr for Severity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "unknown" | "negligible" | "unimportant" | "none" => Ok(Severity::Unknown),
            "low" => Ok(Severity::Low),
            "medium" | "moderate" => Ok(Severity::Medium),
            "high" | "important" => Ok(Severity::High),
            "critical" => Ok(Severity::Critical),
            other => Err(format!("unknown severity {other:?} (use low, medium, high or critical)")),
        }
    }
}

/// A CVSS score as computed from its vector.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CvssScore {
    /// `2.0`, `3.1`, `4.0`…
    pub version: String,
    /// The vector as given.
    pub vector: String,
    /// The base score.
    pub score: f64,
}

impl CvssScore {
    /// The band of the score: v2 has no Critical band (NVD's v2 ratings
    /// stop at High, 7.0–10.0).
    pub fn band(&self) -> Severity {
        match Severity::from_score(self.score) {
            Severity::Critical if self.version == "2.0" => Severity::High,
            band => band,
        }
    }
}

/// Which kind of record a rating came from, in the order they are tried.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceKind {
    /// The advisory that matched the package.
    Advisory,
    /// A GitHub Security Advisory of the same vulnerability.
    Ghsa,
    /// The CVE record's CNA container.
    Cna,
    /// An ADP container of the CVE record (CISA's Vulnrichment).
    Adp,
    /// Any other record of the same vulnerability.
    Alias,
}

/// Where a finding's CVSS came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SeveritySource {
    /// The record's id (`GO-2024-2887`, `GHSA-…`, `CVE-…`).
    pub record: String,
    /// What kind of record it is.
    pub kind: SourceKind,
    /// For CVE metrics, the container's short name (`GitHub_M`, `CISA-ADP`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
}

impl std::fmt::Display for SeveritySource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.kind, &self.provider) {
            (SourceKind::Cna | SourceKind::Adp, Some(p)) => write!(f, "{} ({} {p})", self.record, if self.kind == SourceKind::Cna { "CNA" } else { "ADP" }),
            (SourceKind::Cna, None) => write!(f, "{} (CNA)", self.record),
            (SourceKind::Adp, None) => write!(f, "{} (ADP)", self.record),
            _ => f.write_str(&self.record),
        }
    }
}

/// A vendor's own word for a vulnerability, as the vendor wrote it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct VendorSeverity {
    /// The record that says it.
    pub source: String,
    /// The word (`MODERATE`, `high`, `unimportant`).
    pub severity: String,
}

/// The rating of one finding.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Rating {
    /// The CVSS band, or unknown.
    pub severity: Severity,
    /// The score it comes from.
    pub cvss: Option<CvssScore>,
    /// The record it comes from.
    pub source: Option<SeveritySource>,
    /// Vendors' words, sorted.
    pub vendor: Vec<VendorSeverity>,
}

fn score(vector: &str) -> Option<CvssScore> {
    let vector = vector.trim();
    let (version, score) = match cvss::Cvss::from_str(vector) {
        Ok(cvss::Cvss::CvssV30(v)) => ("3.0", v.score().value()),
        Ok(cvss::Cvss::CvssV31(v)) => ("3.1", v.score().value()),
        Ok(cvss::Cvss::CvssV40(v)) => ("4.0", v.score().value()),
        // v2 vectors are written without a prefix.
        _ => ("2.0", cvss::v2::Vector::from_str(vector.strip_prefix("CVSS:2.0/").unwrap_or(vector)).ok()?.score().value()),
    };
    score.is_finite().then(|| CvssScore { version: version.to_owned(), vector: vector.to_owned(), score })
}

/// The preferred score among vectors of one source: newest CVSS version first.
fn preferred<'a>(vectors: impl Iterator<Item = &'a str>) -> Option<CvssScore> {
    let mut scores: Vec<CvssScore> = vectors.filter_map(score).collect();
    scores.sort_by(|a, b| b.version.cmp(&a.version));
    scores.into_iter().next()
}

fn osv_vectors(list: &[OsvSeverity]) -> impl Iterator<Item = &str> {
    list.iter().filter(|s| s.kind.starts_with("CVSS_")).map(|s| s.score.as_str())
}

/// A record's own CVSS for one package entry: the entry's vector before the record's.
fn of_entry(record: &Record, affected: &Affected) -> Option<CvssScore> {
    preferred(osv_vectors(&affected.severity)).or_else(|| preferred(osv_vectors(&record.severity)))
}

/// A record's CVSS when no package entry of it matched: the record's, else
/// the worst of its entries'.
fn of_record(record: &Record) -> Option<CvssScore> {
    preferred(osv_vectors(&record.severity)).or_else(|| record.affected.iter().filter_map(|a| preferred(osv_vectors(&a.severity))).max_by(|a, b| a.score.total_cmp(&b.score)))
}

fn worst<T>(candidates: impl Iterator<Item = (CvssScore, T)>) -> Option<(CvssScore, T)> {
    candidates.max_by(|a, b| a.0.score.total_cmp(&b.0.score))
}

fn words(record: &Record, out: &mut Vec<VendorSeverity>) {
    for w in record.vendor_words().map(str::trim).filter(|w| !w.is_empty() && w.len() <= 32) {
        out.push(VendorSeverity { source: record.id.clone(), severity: w.to_owned() });
    }
}

/// Rates a finding: `matched` are the advisories that matched the package
/// (each with its matching entry), `related` what the database holds
/// under the finding's ids.
pub fn rate(matched: &[(&Record, &Affected)], related: &Related) -> Rating {
    let own_ids: std::collections::BTreeSet<&str> = matched.iter().map(|(r, _)| r.id.as_str()).collect();
    let others = || related.records.iter().filter(|r| !own_ids.contains(r.id.as_str()));
    let source = |record: &str, kind, provider: Option<&String>| SeveritySource { record: record.to_owned(), kind, provider: provider.cloned() };
    let cve = |origin: Origin, kind| {
        let mut by_cve: std::collections::BTreeMap<(&str, Option<&String>), Vec<&str>> = std::collections::BTreeMap::new();
        for (id, m) in related.metrics.iter().filter(|(_, m)| m.origin == origin) {
            by_cve.entry((id.as_str(), m.provider.as_ref())).or_default().push(m.vector.as_str());
        }
        worst(by_cve.into_iter().filter_map(|((id, provider), vectors)| Some((preferred(vectors.into_iter())?, source(id, kind, provider)))))
    };
    let chosen = worst(matched.iter().filter_map(|(r, a)| Some((of_entry(r, a)?, source(&r.id, SourceKind::Advisory, None)))))
        .or_else(|| worst(others().filter(|r| r.id.starts_with("GHSA-")).filter_map(|r| Some((of_record(r)?, source(&r.id, SourceKind::Ghsa, None))))))
        .or_else(|| cve(Origin::Cna, SourceKind::Cna))
        .or_else(|| cve(Origin::Adp, SourceKind::Adp))
        .or_else(|| worst(others().filter(|r| !r.id.starts_with("GHSA-")).filter_map(|r| Some((of_record(r)?, source(&r.id, SourceKind::Alias, None))))));
    let mut vendor = Vec::new();
    for r in matched.iter().map(|(r, _)| *r).chain(related.records.iter()) {
        words(r, &mut vendor);
    }
    vendor.sort();
    vendor.dedup();
    match chosen {
        Some((cvss, source)) => Rating { severity: cvss.band(), cvss: Some(cvss), source: Some(source), vendor },
        None => Rating { vendor, ..Rating::default() },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(json: &str) -> Record {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn cvss_vectors_give_the_score_and_step() {
        // Log4Shell: 10.0.
        let c = score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H").unwrap();
        assert_eq!((c.version.as_str(), c.score), ("3.1", 10.0));
        assert_eq!(Severity::from_score(c.score), Severity::Critical);
        let c = score("CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:N/I:H/A:N").unwrap();
        assert_eq!(c.score, 6.5);
        let c = score("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N").unwrap();
        assert_eq!((c.version.as_str(), c.score), ("4.0", 9.3));
        assert!(score("CVSS:3.1/AV:X").is_none());
        assert_eq!(Severity::from_score(7.0), Severity::High);
        assert_eq!(Severity::from_score(3.9), Severity::Low);
        assert_eq!(Severity::from_score(0.0), Severity::Unknown);
    }

    fn related(records: &[&str], metrics: &[(&str, Origin, &str, &str)]) -> Related {
        Related {
            ids: Default::default(),
            records: records.iter().map(|r| record(r)).collect(),
            metrics: metrics.iter().map(|(id, origin, provider, vector)| ((*id).to_owned(), temper_advisory::cve::Metric { origin: *origin, provider: Some((*provider).to_owned()), vector: (*vector).to_owned() })).collect(),
        }
    }

    const CRITICAL: &str = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H";
    const HIGH: &str = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H";
    const MEDIUM: &str = "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:N/I:H/A:N";
    const LOW: &str = "CVSS:3.1/AV:L/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N";

    #[test]
    fn severity_by_alias_follows_the_source_order() {
        let go = record(r#"{"id":"GO-2024-1","aliases":["CVE-2024-1","GHSA-aaaa"],"affected":[{"package":{"ecosystem":"Go","name":"m"}}]}"#);
        let ghsa = format!(r#"{{"id":"GHSA-aaaa","aliases":["CVE-2024-1"],"severity":[{{"type":"CVSS_V3","score":"{LOW}"}}],"affected":[{{"package":{{"ecosystem":"Go","name":"m"}}}}],"database_specific":{{"severity":"LOW"}}}}"#);
        let bitnami = format!(r#"{{"id":"BIT-m-2024-1","aliases":["CVE-2024-1"],"affected":[{{"package":{{"ecosystem":"Bitnami","name":"m"}},"severity":[{{"type":"CVSS_V3","score":"{CRITICAL}"}}]}}]}}"#);
        let metrics = [("CVE-2024-1", Origin::Adp, "CISA-ADP", HIGH), ("CVE-2024-1", Origin::Cna, "GitHub_M", MEDIUM)];
        let matched = [(&go, &go.affected[0])];

        let all = rate(&matched, &related(&[&ghsa, &bitnami], &metrics));
        assert_eq!((all.severity, all.source.unwrap().to_string()), (Severity::Low, "GHSA-aaaa".to_owned()), "GHSA before the CVE record");
        assert_eq!(all.vendor, [VendorSeverity { source: "GHSA-aaaa".into(), severity: "LOW".into() }], "the word is kept, apart");

        let r = rate(&matched, &related(&[&bitnami], &metrics));
        assert_eq!((r.severity, r.source.unwrap().to_string()), (Severity::Medium, "CVE-2024-1 (CNA GitHub_M)".to_owned()), "the CNA before ADP");
        let r = rate(&matched, &related(&[&bitnami], &metrics[..1]));
        assert_eq!((r.severity, r.source.as_ref().unwrap().kind), (Severity::High, SourceKind::Adp));
        let r = rate(&matched, &related(&[&bitnami], &[]));
        assert_eq!((r.severity, r.source.unwrap().kind), (Severity::Critical, SourceKind::Alias));
        let r = rate(&matched, &related(&[], &[]));
        assert_eq!((r.severity, r.cvss, r.source), (Severity::Unknown, None, None));

        let own = record(&format!(r#"{{"id":"PYSEC-1","affected":[{{"package":{{"ecosystem":"PyPI","name":"a"}}}}],"severity":[{{"type":"CVSS_V3","score":"{MEDIUM}"}}]}}"#));
        let r = rate(&[(&own, &own.affected[0])], &related(&[&bitnami], &metrics));
        assert_eq!((r.severity, r.source.unwrap().kind), (Severity::Medium, SourceKind::Advisory), "the matched record first");
    }

    #[test]
    fn vendor_words_never_become_a_band() {
        let debian = record(r#"{"id":"DEB-1","affected":[{"package":{"ecosystem":"Debian:12","name":"a"}}],"database_specific":{"urgency":"high"}}"#);
        let r = rate(&[(&debian, &debian.affected[0])], &Related::default());
        assert_eq!(r.severity, Severity::Unknown);
        assert_eq!(r.vendor, [VendorSeverity { source: "DEB-1".into(), severity: "high".into() }]);
        let pkg = record(&format!(r#"{{"id":"X","affected":[{{"package":{{"ecosystem":"npm","name":"a"}},"severity":[{{"type":"CVSS_V3","score":"{CRITICAL}"}}]}}],"severity":[{{"type":"CVSS_V3","score":"{LOW}"}}]}}"#));
        assert_eq!(rate(&[(&pkg, &pkg.affected[0])], &Related::default()).severity, Severity::Critical, "the package's own vector wins");
        assert_eq!("important".parse::<Severity>(), Ok(Severity::High));
        assert!("urgent".parse::<Severity>().is_err());
    }

    #[test]
    fn cvss_v2_and_v4_vectors_rate() {
        let v2 = score("AV:N/AC:L/Au:N/C:C/I:C/A:C").unwrap();
        assert_eq!((v2.version.as_str(), v2.score, v2.band()), ("2.0", 10.0, Severity::High), "v2 has no Critical band");
        let v4 = preferred(["CVSS:3.1/AV:L/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N", "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"].into_iter()).unwrap();
        assert_eq!(v4.version, "4.0", "v4 before v3 within one source");
        assert!(score("nonsense").is_none());
    }
}
