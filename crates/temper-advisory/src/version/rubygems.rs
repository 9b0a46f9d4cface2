//! RubyGems (`Gem::Version`): a version is a dotted list of segments, each
//! a run of digits or of letters (`1.0.0.rc1` is `1 0 0 rc 1`); any letter
//! segment makes it a pre-release, and `-` is short for `.pre.`
//! (`1.0-1` is `1.0.pre.1`). Trailing zeros of the release part and of the
//! pre-release part do not count (`1.0` = `1`, `1.a.0` = `1.a`). Segments
//! compare pairwise, a missing one counting as 0: numbers numerically,
//! letters as byte strings, and a letter segment below any number, so
//! `1.0.a` < `1.0` < `1.0.0.1`.

use std::cmp::Ordering;

use super::{numeric, VersionError, VersionScheme};

pub struct RubyGems;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Number(String),
    Letters(String),
}

fn is_zero(s: &Segment) -> bool {
    matches!(s, Segment::Number(n) if n.bytes().all(|b| b == b'0'))
}

/// Checks the shape `Gem::Version` accepts: digits first, then dotted
/// alphanumeric parts, then an optional `-` pre-release of dotted parts.
fn check(v: &str) -> Result<(), &'static str> {
    let (release, pre) = match v.split_once('-') {
        Some((r, p)) => (r, Some(p)),
        None => (v, None),
    };
    let mut parts = release.split('.');
    if !parts.next().is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit())) {
        return Err("must start with a number");
    }
    if !parts.all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphanumeric())) {
        return Err("segments are letters and digits between dots");
    }
    if let Some(pre) = pre
        && !pre.split('.').all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
    {
        return Err("the pre-release after '-' is letters, digits and '-' between dots");
    }
    Ok(())
}

/// The canonical segments: with `-` read as `.pre.`, the runs of digits
/// or letters; trailing zeros of the release and pre-release parts dropped.
fn segments(v: &str) -> Result<Vec<Segment>, VersionError> {
    let v = v.trim();
    check(v).map_err(|reason| VersionError::new("rubygems", v, reason))?;
    let spelled = v.replace('-', ".pre.");
    let mut all = Vec::new();
    let mut rest = spelled.as_str();
    while let Some(start) = rest.find(|c: char| c.is_ascii_alphanumeric()) {
        rest = &rest[start..];
        let digit = rest.starts_with(|c: char| c.is_ascii_digit());
        let end = rest.find(|c: char| c.is_ascii_digit() != digit || !c.is_ascii_alphanumeric()).unwrap_or(rest.len());
        all.push(if digit { Segment::Number(rest[..end].to_owned()) } else { Segment::Letters(rest[..end].to_owned()) });
        rest = &rest[end..];
    }
    let split = all.iter().position(|s| matches!(s, Segment::Letters(_))).unwrap_or(all.len());
    let pre = all.split_off(split);
    let trim = |mut p: Vec<Segment>| {
        while p.last().is_some_and(is_zero) {
            p.pop();
        }
        p
    };
    let mut out = trim(all);
    out.extend(trim(pre));
    Ok(out)
}

impl VersionScheme for RubyGems {
    fn id(&self) -> &'static str {
        "rubygems"
    }
    fn compare(&self, a: &str, b: &str) -> Result<Ordering, VersionError> {
        let (a, b) = (segments(a)?, segments(b)?);
        let zero = Segment::Number("0".to_owned());
        for i in 0..a.len().max(b.len()) {
            let (x, y) = (a.get(i).unwrap_or(&zero), b.get(i).unwrap_or(&zero));
            let order = match (x, y) {
                (Segment::Number(x), Segment::Number(y)) => numeric(x, y),
                (Segment::Letters(x), Segment::Letters(y)) => x.cmp(y),
                (Segment::Letters(_), Segment::Number(_)) => Ordering::Less,
                (Segment::Number(_), Segment::Letters(_)) => Ordering::Greater,
            };
            if order != Ordering::Equal {
                return Ok(order);
            }
        }
        Ok(Ordering::Equal)
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::check_vectors;
    use super::*;

    #[test]
    fn gem_version_vectors() {
        // The order the Gem::Version documentation and its tests give.
        check_vectors(
            &RubyGems,
            &[
                ("1.0", "=", "1"),
                ("1.0.0", "=", "1"),
                ("1.0.a", "<", "1.0"),
                ("1.0.a", "=", "1.a"),
                ("1.a.0", "=", "1.a"),
                ("1.0.0.1", ">", "1.0"),
                ("1.0.b1", ">", "1.0.a2"),
                ("1.0.rc1", ">", "1.0.b2"),
                ("1.0.rc1", "<", "1.0"),
                ("1.0-1", "=", "1.0.pre.1"),
                ("1.0-1", "<", "1.0"),
                ("1.9.3", "<", "1.10"),
                ("5.2.4.3", "<", "5.2.4.4"),
                ("5.2.4", "<", "5.2.4.1"),
                ("2.0.0.rc2", "<", "2.0.0"),
                ("1.2.3.beta", "<", "1.2.3"),
                ("1.2.3a", "=", "1.2.3.a"),
                ("6.0.3.rc1", ">", "6.0.2.2"),
                ("1.0.A", "<", "1.0.a"),
                (" 1.0 ", "=", "1"),
                ("10000000000000000000000", ">", "9999999999999999999999"),
            ],
        );
        for bad in ["", "a", ".1", "1..2", "1.0-", "1_0", "1.0+b"] {
            assert!(RubyGems.validate(bad).is_err(), "{bad}");
        }
    }
}
