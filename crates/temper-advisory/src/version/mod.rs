//! Version schemes, one file each, all listed in [`SCHEMES`].
//!
//! A scheme compares two version strings of its ecosystem. It refuses a
//! string it cannot read instead of guessing, so the matcher can report
//! the package as unmatched rather than silently wrong.

mod apk;
mod composer;
mod dpkg;
mod go;
mod maven;
mod nuget;
mod pep440;
mod rpm;
mod rubygems;
mod semver;

use std::cmp::Ordering;

/// Numeric order of two digit strings of any length.
pub(crate) fn numeric(a: &str, b: &str) -> Ordering {
    let a = a.trim_start_matches('0');
    let b = b.trim_start_matches('0');
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

/// A version that is not valid in a scheme.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{version:?} is not a valid {scheme} version: {reason}")]
pub struct VersionError {
    /// The scheme's id.
    pub scheme: &'static str,
    /// The string given.
    pub version: String,
    /// What is wrong with it.
    pub reason: String,
}

impl VersionError {
    pub(crate) fn new(scheme: &'static str, version: &str, reason: impl Into<String>) -> Self {
        VersionError { scheme, version: version.to_owned(), reason: reason.into() }
    }
}

/// One ecosystem's version order.
pub trait VersionScheme: Send + Sync {
    /// Stable id (`dpkg`, `semver`…).
    fn id(&self) -> &'static str;
    /// Whether `version` is valid here.
    fn validate(&self, version: &str) -> Result<(), VersionError> {
        self.compare(version, version).map(|_| ())
    }
    /// The order of two valid versions.
    fn compare(&self, a: &str, b: &str) -> Result<Ordering, VersionError>;
}

/// Every scheme.
pub static SCHEMES: &[&dyn VersionScheme] = &[
    &dpkg::Dpkg,
    &apk::Apk,
    &rpm::Rpm,
    &semver::SemVer,
    &pep440::Pep440,
    &maven::Maven,
    &go::Go,
    &rubygems::RubyGems,
    &composer::Composer,
    &nuget::NuGet,
];

/// The scheme with `id`.
pub fn scheme(id: &str) -> Option<&'static dyn VersionScheme> {
    SCHEMES.iter().copied().find(|s| s.id() == id)
}

/// The scheme for an OSV ecosystem name as OSV spells it (`Debian:12`,
/// `Alpine:v3.20`, `crates.io`, `PyPI`…); `None` for ecosystems whose
/// versions temper cannot order yet.
pub fn for_osv_ecosystem(ecosystem: &str) -> Option<&'static dyn VersionScheme> {
    let family = ecosystem.split(':').next().unwrap_or(ecosystem);
    let id = match family {
        "Debian" | "Ubuntu" => "dpkg",
        "Alpine" | "Wolfi" | "Chainguard" => "apk",
        "Red Hat" | "AlmaLinux" | "Rocky Linux" | "openSUSE" | "SUSE" | "Mageia" | "openEuler" => "rpm",
        "npm" | "crates.io" | "Hex" | "Pub" | "SwiftURL" => "semver",
        "NuGet" => "nuget",
        "RubyGems" => "rubygems",
        "Packagist" => "composer",
        "PyPI" => "pep440",
        "Maven" => "maven",
        "Go" => "go",
        _ => return None,
    };
    scheme(id)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Checks `(a, op, b)` triples, both ways round.
    pub(crate) fn check_vectors(scheme: &dyn VersionScheme, vectors: &[(&str, &str, &str)]) {
        for (a, op, b) in vectors {
            let want = match *op {
                "<" => Ordering::Less,
                "=" => Ordering::Equal,
                ">" => Ordering::Greater,
                other => panic!("bad operator {other}"),
            };
            let got = scheme.compare(a, b).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(got, want, "{}: {a} {op} {b}", scheme.id());
            assert_eq!(scheme.compare(b, a).unwrap_or_else(|e| panic!("{e}")), want.reverse(), "{}: {b} vs {a}", scheme.id());
        }
    }

    #[test]
    fn ecosystems_map_to_schemes() {
        let id = |e: &str| for_osv_ecosystem(e).map(|s| s.id());
        assert_eq!(id("Debian:12"), Some("dpkg"));
        assert_eq!(id("Ubuntu:22.04:LTS"), Some("dpkg"));
        assert_eq!(id("Alpine:v3.20"), Some("apk"));
        assert_eq!(id("Rocky Linux:9"), Some("rpm"));
        assert_eq!(id("RubyGems"), Some("rubygems"));
        assert_eq!(id("Packagist"), Some("composer"));
        assert_eq!(id("NuGet"), Some("nuget"));
        assert_eq!(id("crates.io"), Some("semver"));
        assert_eq!(id("PyPI"), Some("pep440"));
        assert_eq!(id("Go"), Some("go"));
        assert_eq!(id("Maven"), Some("maven"));
        assert_eq!(id("GIT"), None);
        let ids: Vec<&str> = SCHEMES.iter().map(|s| s.id()).collect();
        let mut unique = ids.clone();
        unique.dedup();
        assert_eq!(ids, unique);
    }
}
