//! PEP 440 versions (PyPI): epochs, release segments of any length with
//! trailing zeros insignificant, dev < pre (a/b/rc) < release < post, and
//! local versions after their public version. The `pep440_rs` crate (uv's)
//! implements the ordering and the normalisation of spellings (`1.0RC1`,
//! `1.0-post1`, `v1.0`).

use std::cmp::Ordering;
use std::str::FromStr;

use pep440_rs::Version;

use super::{VersionError, VersionScheme};

pub struct Pep440;

fn parse(v: &str) -> Result<Version, VersionError> {
    Version::from_str(v.trim()).map_err(|e| VersionError::new("pep440", v, e.to_string()))
}

impl VersionScheme for Pep440 {
    fn id(&self) -> &'static str {
        "pep440"
    }
    fn compare(&self, a: &str, b: &str) -> Result<Ordering, VersionError> {
        Ok(parse(a)?.cmp(&parse(b)?))
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::check_vectors;
    use super::*;

    #[test]
    fn pep440_ordering_vectors() {
        // The summary ordering example of PEP 440, in order.
        let chain = ["1.dev0", "1.0.dev456", "1.0a1", "1.0a2.dev456", "1.0a12.dev456", "1.0a12", "1.0b1.dev456", "1.0b2", "1.0b2.post345.dev456", "1.0b2.post345", "1.0rc1.dev456", "1.0rc1", "1.0", "1.0+abc.5", "1.0+abc.7", "1.0+5", "1.0.post456.dev34", "1.0.post456", "1.0.15", "1.1.dev1"];
        let pairs: Vec<(&str, &str, &str)> = chain.windows(2).map(|w| (w[0], "<", w[1])).collect();
        check_vectors(&Pep440, &pairs);
        check_vectors(
            &Pep440,
            &[
                ("1.0", "=", "1.0.0"),
                ("1.0RC1", "=", "1.0rc1"),
                ("1.0-post1", "=", "1.0.post1"),
                ("1!0.5", ">", "2.0"),
                ("2.19.1", "<", "2.20.0"),
                ("2018.8.24", "<", "2018.11.29"),
                ("3.3.2", "<", "39.0.1"),
            ],
        );
        assert!(Pep440.validate("not a version").is_err());
    }
}
