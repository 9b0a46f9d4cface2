//! Debian versions (`[epoch:]upstream[-revision]`), as dpkg orders them:
//! the epoch first, then upstream and revision each by dpkg's
//! alternating non-digit / digit comparison in which `~` sorts before
//! everything, even the end of the string. The `debversion` crate
//! implements exactly that.

use std::cmp::Ordering;
use std::str::FromStr;

use debversion::Version;

use super::{VersionError, VersionScheme};

pub struct Dpkg;

fn parse(v: &str) -> Result<Version, VersionError> {
    if v.is_empty() || v.chars().any(char::is_whitespace) {
        return Err(VersionError::new("dpkg", v, "empty or contains whitespace"));
    }
    if let Some((epoch, _)) = v.split_once(':')
        && (epoch.is_empty() || !epoch.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(VersionError::new("dpkg", v, "the epoch is not a number"));
    }
    Version::from_str(v).map_err(|e| VersionError::new("dpkg", v, e.to_string()))
}

impl VersionScheme for Dpkg {
    fn id(&self) -> &'static str {
        "dpkg"
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
    fn debian_policy_and_dpkg_vectors() {
        check_vectors(
            &Dpkg,
            &[
                // Debian Policy 5.6.12: `~` before everything, even the end.
                ("1.0~~", "<", "1.0~~a"),
                ("1.0~~a", "<", "1.0~"),
                ("1.0~", "<", "1.0"),
                ("1.0", "<", "1.0a"),
                // Epochs win over everything after them.
                ("1:1.0", ">", "9.9"),
                ("0:1.0", "=", "1.0"),
                ("1:2.38.1-5+deb12u3", ">", "2.40-1"),
                // An absent revision equals a zero one.
                ("1.0", "=", "1.0-0"),
                // Backports and security uploads.
                ("3.0.15-1~deb12u1", "<", "3.0.15-1"),
                ("2.36-9+deb12u7", "<", "2.36-9+deb12u8"),
                ("2.36-9+deb12u10", ">", "2.36-9+deb12u9"),
                ("1.10.0-3+b1", ">", "1.10.0-3"),
                ("7.88.1-10+deb12u5", "<", "7.88.1-10+deb12u12"),
                ("1.2.3", "<", "1.2.10"),
                ("1.2.3-1", "<", "1.2.3-1.1"),
                ("a", "<", "b"),
                ("1.0+dfsg", ">", "1.0"),
                ("1.0.0", ">", "1.0"),
            ],
        );
        assert!(Dpkg.validate("").is_err());
        assert!(Dpkg.validate("1.0 beta").is_err());
        assert!(Dpkg.validate("x:1.0").is_err());
    }
}
