//! RPM versions (`[epoch:]version[-release]`), ordered as `rpmvercmp`
//! does: epoch numerically, then version and release by alternating
//! alphabetic and numeric segments, where numeric beats alphabetic, `~`
//! sorts before everything (pre-releases) and `^` after the end but
//! before any further segment (post-release snapshots). The `rpm-version`
//! crate implements exactly that.

use std::cmp::Ordering;

use super::{VersionError, VersionScheme};

pub struct Rpm;

fn check(v: &str) -> Result<&str, VersionError> {
    if v.is_empty() || v.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(VersionError::new("rpm", v, "empty or contains whitespace"));
    }
    if let Some((epoch, _)) = v.split_once(':')
        && (epoch.is_empty() || !epoch.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(VersionError::new("rpm", v, "the epoch is not a number"));
    }
    Ok(v)
}

impl VersionScheme for Rpm {
    fn id(&self) -> &'static str {
        "rpm"
    }
    fn compare(&self, a: &str, b: &str) -> Result<Ordering, VersionError> {
        Ok(rpm_version::rpm_evr_compare(check(a)?, check(b)?))
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::check_vectors;
    use super::*;

    #[test]
    fn rpmvercmp_vectors() {
        check_vectors(
            &Rpm,
            &[
                ("1.0", "=", "1.0"),
                ("1.0", "<", "2.0"),
                ("2.0.1", ">", "2.0"),
                ("2.0.1a", ">", "2.0.1"),
                ("5.5p1", "<", "5.5p2"),
                ("5.6p1", ">", "5.5p10"),
                ("10xyz", "<", "10.1xyz"),
                ("xyz10", "<", "xyz10.1"),
                ("1.0aa", "<", "1.0b"),
                ("20101121", ">", "20101120"),
                ("2_0", "=", "2.0"),
                ("a", "<", "b"),
                ("1.0~rc1", "<", "1.0"),
                ("1.0~rc1", "<", "1.0~rc2"),
                ("1.0~rc1~git123", "<", "1.0~rc1"),
                ("1.0^", ">", "1.0"),
                ("1.0^git1", ">", "1.0"),
                ("1.0^git1", "<", "1.01"),
                ("1.0^20160101", "<", "1.0.1"),
                ("1.0~rc1^git1", ">", "1.0~rc1"),
                ("1:1.0", ">", "2.0"),
                ("0:1.0", "=", "1.0"),
                ("1.0-1", "<", "1.0-2"),
                ("3.0.7-27.el9", ">", "3.0.7-25.el9_3"),
                ("1.0-1.el9", "<", "1.0-1.el9_1"),
            ],
        );
        assert!(Rpm.validate("x:1").is_err());
        assert!(Rpm.validate("").is_err());
    }
}
