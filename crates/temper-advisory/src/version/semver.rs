//! Semantic Versioning 2.0.0 (npm, crates.io, Hex, Pub): numeric
//! major.minor.patch, a pre-release sorts before its release, pre-release
//! identifiers compare numerically when numeric, and build metadata
//! (`+…`) does not take part in the order. A leading `v` or `=` is
//! accepted because npm writes them.

use std::cmp::Ordering;

use semver::Version;

use super::{VersionError, VersionScheme};

pub struct SemVer;

pub(crate) fn parse(scheme: &'static str, v: &str) -> Result<Version, VersionError> {
    let trimmed = v.strip_prefix('=').unwrap_or(v);
    let trimmed = trimmed.strip_prefix('v').unwrap_or(trimmed);
    let mut parsed = Version::parse(trimmed).map_err(|e| VersionError::new(scheme, v, e.to_string()))?;
    parsed.build = semver::BuildMetadata::EMPTY;
    Ok(parsed)
}

impl VersionScheme for SemVer {
    fn id(&self) -> &'static str {
        "semver"
    }
    fn compare(&self, a: &str, b: &str) -> Result<Ordering, VersionError> {
        Ok(parse("semver", a)?.cmp(&parse("semver", b)?))
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::check_vectors;
    use super::*;

    #[test]
    fn semver_spec_vectors() {
        // The precedence chain of SemVer 2.0.0 section 11.
        let chain = ["1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0"];
        let pairs: Vec<(&str, &str, &str)> = chain.windows(2).map(|w| (w[0], "<", w[1])).collect();
        check_vectors(&SemVer, &pairs);
        check_vectors(
            &SemVer,
            &[
                ("1.0.0", "<", "2.0.0"),
                ("2.0.0", "<", "2.1.0"),
                ("2.1.0", "<", "2.1.1"),
                ("1.0.0+build.1", "=", "1.0.0+build.2"),
                ("v1.2.3", "=", "1.2.3"),
                ("4.17.15", "<", "4.17.21"),
                ("0.21.0", "<", "0.21.1"),
                ("1.2.3-0", "<", "1.2.3-a"),
            ],
        );
        assert!(SemVer.validate("1.2").is_err());
        assert!(SemVer.validate("01.2.3").is_err());
    }
}
