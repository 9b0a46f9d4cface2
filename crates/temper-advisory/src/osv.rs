//! The OSV record format (schema 1.x), as far as matching needs it.
//!
//! Unknown fields are ignored and optional ones default, so records from
//! newer schema versions still load; what matching cannot do without (an
//! id, a package's ecosystem and name, well-formed events) is required.

use serde::{Deserialize, Serialize};

/// One advisory.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
pub struct Record {
    /// `GHSA-…`, `PYSEC-…`, `CVE-…`.
    pub id: String,
    /// Last change, RFC 3339.
    #[serde(default)]
    pub modified: Option<String>,
    /// First publication, RFC 3339.
    #[serde(default)]
    pub published: Option<String>,
    /// Set when the record was withdrawn; such records match nothing.
    #[serde(default)]
    pub withdrawn: Option<String>,
    /// The same vulnerability under other ids.
    #[serde(default)]
    pub aliases: Vec<String>,
    /// The upstream vulnerabilities a downstream record (a distro's) is
    /// about (OSV 1.6): the same flaw, so they share its severity.
    #[serde(default)]
    pub upstream: Vec<String>,
    /// One-line summary.
    #[serde(default)]
    pub summary: Option<String>,
    /// Longer description.
    #[serde(default)]
    pub details: Option<String>,
    /// CVSS vectors and the like.
    #[serde(default)]
    pub severity: Vec<Severity>,
    /// What is affected.
    #[serde(default)]
    pub affected: Vec<Affected>,
    /// Source-specific data (GHSA's `severity` word lives here).
    #[serde(default)]
    pub database_specific: Option<serde_json::Value>,
}

/// A severity score.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
pub struct Severity {
    /// `CVSS_V3`, `CVSS_V4`, `CVSS_V2`, `Ubuntu`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The vector or word.
    pub score: String,
}

/// One affected package.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
pub struct Affected {
    /// Which package.
    pub package: Option<PackageRef>,
    /// Version ranges.
    #[serde(default)]
    pub ranges: Vec<Range>,
    /// Explicitly listed versions.
    #[serde(default)]
    pub versions: Vec<String>,
    /// Per-package severity (some distro feeds).
    #[serde(default)]
    pub severity: Vec<Severity>,
    /// Source-specific data.
    #[serde(default)]
    pub ecosystem_specific: Option<serde_json::Value>,
    /// Source-specific data.
    #[serde(default)]
    pub database_specific: Option<serde_json::Value>,
}

/// A package as OSV names it.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
pub struct PackageRef {
    /// `PyPI`, `Debian:12`, `Alpine:v3.20`…
    pub ecosystem: String,
    /// Name in that ecosystem (Debian: the source package).
    pub name: String,
    /// Its purl, when given.
    #[serde(default)]
    pub purl: Option<String>,
}

/// A range of versions.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
pub struct Range {
    /// `ECOSYSTEM`, `SEMVER` or `GIT`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Events, each with exactly one key.
    #[serde(default)]
    pub events: Vec<Event>,
}

/// A range event.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Event {
    /// Affected from this version (`0`: from the beginning).
    Introduced(String),
    /// Not affected from this version.
    Fixed(String),
    /// Affected up to and including this version.
    LastAffected(String),
    /// Not affected from this version (an upper bound of the range).
    Limit(String),
}

impl Record {
    /// The record's id and aliases.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.id.as_str()).chain(self.aliases.iter().map(String::as_str))
    }

    /// Vendors' own words for how bad it is, as written: `severity` (GHSA)
    /// and `urgency` (Debian) in the record's or a package's source-specific
    /// data, and Ubuntu's priority among the severities.
    pub fn vendor_words(&self) -> impl Iterator<Item = &str> {
        let fields = std::iter::once(&self.database_specific).chain(self.affected.iter().flat_map(|a| [&a.database_specific, &a.ecosystem_specific]));
        let named = fields.flatten().flat_map(|v| ["severity", "urgency"].into_iter().filter_map(move |k| v.get(k)?.as_str()));
        let ubuntu = self.severity.iter().chain(self.affected.iter().flat_map(|a| &a.severity)).filter(|s| s.kind == "Ubuntu").map(|s| s.score.as_str());
        named.chain(ubuntu)
    }

    /// Every id of the vulnerability itself: the record's, its aliases and
    /// the upstream ids it is a downstream copy of.
    pub fn vulnerability_ids(&self) -> impl Iterator<Item = &str> {
        self.ids().chain(self.upstream.iter().map(String::as_str))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_real_record_shape() {
        let r: Record = serde_json::from_str(
            r#"{"schema_version":"1.6.0","id":"PYSEC-2019-15","modified":"2021-01-01T00:00:00Z","aliases":["CVE-2019-19118"],
            "affected":[{"package":{"name":"django","ecosystem":"PyPI","purl":"pkg:pypi/django"},
            "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"2.1"},{"fixed":"2.1.15"},{"introduced":"2.2"},{"fixed":"2.2.8"}]}],
            "versions":["2.2","2.2.1"],"unknown_field":1}],"severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:N/I:H/A:N"}]}"#,
        )
        .unwrap();
        assert_eq!(r.ids().collect::<Vec<_>>(), ["PYSEC-2019-15", "CVE-2019-19118"]);
        assert_eq!(r.affected[0].ranges[0].events[3], Event::Fixed("2.2.8".into()));
        assert_eq!(r.severity[0].kind, "CVSS_V3");
        assert!(serde_json::from_str::<Record>(r#"{"affected":[]}"#).is_err());
        assert!(serde_json::from_str::<Record>(r#"{"id":"X","affected":[{"ranges":[{"type":"ECOSYSTEM","events":[{"broken":"1"}]}]}]}"#).is_err());
    }
}
