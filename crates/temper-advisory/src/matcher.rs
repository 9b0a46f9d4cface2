//! Whether an installed version is affected, following the OSV
//! specification's evaluation: each `ECOSYSTEM`/`SEMVER` range's events
//! are sorted by version (`introduced: "0"` first) and walked in order —
//! at or above an `introduced`, affected; at or above a `fixed` or
//! `limit`, or above a `last_affected`, not — and an explicit `versions`
//! entry is affected regardless. `GIT` ranges name commits, which an
//! installed package does not carry, and are skipped.

use std::cmp::Ordering;

use crate::osv::{Affected, Event, Range};
use crate::version::{VersionError, VersionScheme};

/// Why a version is affected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hit {
    /// The lowest fixed version above the installed one in the matching
    /// range, when the advisory names one.
    pub fixed: Option<String>,
    /// Matched through the explicit `versions` list rather than a range.
    pub listed: bool,
}

fn bound(event: &Event) -> &str {
    match event {
        Event::Introduced(v) | Event::Fixed(v) | Event::LastAffected(v) | Event::Limit(v) => v,
    }
}

/// Orders event versions; `introduced: "0"` is below everything.
fn cmp_events(scheme: &dyn VersionScheme, a: &Event, b: &Event) -> Result<Ordering, VersionError> {
    match (a, b) {
        (Event::Introduced(x), Event::Introduced(y)) if x == "0" && y == "0" => Ok(Ordering::Equal),
        (Event::Introduced(x), _) if x == "0" => Ok(Ordering::Less),
        (_, Event::Introduced(y)) if y == "0" => Ok(Ordering::Greater),
        _ => scheme.compare(bound(a), bound(b)),
    }
}

/// Whether `version` is in `range`, and the next fixed version if so.
pub fn in_range(scheme: &dyn VersionScheme, version: &str, range: &Range) -> Result<Option<Option<String>>, VersionError> {
    if !matches!(range.kind.as_str(), "ECOSYSTEM" | "SEMVER") {
        return Ok(None);
    }
    let mut events: Vec<&Event> = range.events.iter().collect();
    let mut error = None;
    events.sort_by(|a, b| {
        cmp_events(scheme, a, b).unwrap_or_else(|e| {
            error.get_or_insert(e);
            Ordering::Equal
        })
    });
    if let Some(e) = error {
        return Err(e);
    }
    let mut affected = false;
    for event in &events {
        // Events above the version never change the state: the last one
        // at or below it decides.
        affected = match event {
            Event::Introduced(v) => affected || v == "0" || scheme.compare(version, v)? != Ordering::Less,
            Event::Fixed(v) | Event::Limit(v) => affected && scheme.compare(version, v)? == Ordering::Less,
            Event::LastAffected(v) => affected && scheme.compare(version, v)? != Ordering::Greater,
        };
    }
    if !affected {
        return Ok(None);
    }
    for event in &events {
        if let Event::Fixed(v) = event
            && scheme.compare(v, version)? == Ordering::Greater
        {
            return Ok(Some(Some(v.clone())));
        }
    }
    Ok(Some(None))
}

/// Whether `version` is affected by one `affected[]` entry.
pub fn affected_by(scheme: &dyn VersionScheme, version: &str, affected: &Affected) -> Result<Option<Hit>, VersionError> {
    for range in &affected.ranges {
        if let Some(fixed) = in_range(scheme, version, range)? {
            return Ok(Some(Hit { fixed, listed: false }));
        }
    }
    let listed = affected.versions.iter().any(|v| v == version || scheme.compare(v, version).is_ok_and(|o| o == Ordering::Equal));
    Ok(listed.then_some(Hit { fixed: None, listed: true }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::osv::PackageRef;
    use crate::version::scheme;

    fn range(kind: &str, events: &[(&str, &str)]) -> Range {
        let events = events
            .iter()
            .map(|(k, v)| match *k {
                "introduced" => Event::Introduced((*v).into()),
                "fixed" => Event::Fixed((*v).into()),
                "last_affected" => Event::LastAffected((*v).into()),
                "limit" => Event::Limit((*v).into()),
                other => panic!("{other}"),
            })
            .collect();
        Range { kind: kind.into(), events }
    }

    fn affected(ranges: Vec<Range>, versions: &[&str]) -> Affected {
        Affected {
            package: Some(PackageRef { ecosystem: "x".into(), name: "p".into(), purl: None }),
            ranges,
            versions: versions.iter().map(|v| (*v).into()).collect(),
            severity: vec![],
            ecosystem_specific: None,
            database_specific: None,
        }
    }

    /// `(version, affected?, fixed)` against one entry.
    fn check(scheme_id: &str, entry: &Affected, cases: &[(&str, bool, Option<&str>)]) {
        let s = scheme(scheme_id).unwrap();
        for (version, want, fixed) in cases {
            let got = affected_by(s, version, entry).unwrap();
            assert_eq!(got.is_some(), *want, "{scheme_id} {version}: {got:?}");
            if *want {
                assert_eq!(got.unwrap().fixed.as_deref(), *fixed, "{scheme_id} {version}");
            }
        }
    }

    #[test]
    fn introduced_and_fixed_boundaries() {
        let e = affected(vec![range("ECOSYSTEM", &[("introduced", "2.1"), ("fixed", "2.1.15"), ("introduced", "2.2"), ("fixed", "2.2.8")])], &[]);
        check(
            "pep440",
            &e,
            &[
                ("2.0.9", false, None),
                ("2.1", true, Some("2.1.15")),
                ("2.1.14", true, Some("2.1.15")),
                ("2.1.15", false, None),
                ("2.1.99", false, None),
                ("2.2rc1", false, None),
                ("2.2", true, Some("2.2.8")),
                ("2.2.7", true, Some("2.2.8")),
                ("2.2.8", false, None),
                ("3.0", false, None),
            ],
        );
    }

    #[test]
    fn rubygems_packagist_and_nuget_ranges() {
        // Real shapes: rails (GHSA for actionpack), symfony/http-kernel, Newtonsoft.Json.
        let gem = affected(vec![range("ECOSYSTEM", &[("introduced", "6.0.0"), ("fixed", "6.0.3.1")])], &[]);
        check("rubygems", &gem, &[("5.2.4.3", false, None), ("6.0.0.rc1", false, None), ("6.0.3", true, Some("6.0.3.1")), ("6.0.3.1", false, None)]);
        let php = affected(vec![range("ECOSYSTEM", &[("introduced", "0"), ("fixed", "4.4.50")])], &[]);
        check("composer", &php, &[("v4.4.49", true, Some("4.4.50")), ("4.4.50-RC1", true, Some("4.4.50")), ("4.4.50", false, None), ("4.4.50-patch1", false, None)]);
        let nuget = affected(vec![range("ECOSYSTEM", &[("introduced", "0"), ("fixed", "13.0.1")])], &[]);
        check("nuget", &nuget, &[("12.0.3", true, Some("13.0.1")), ("13.0.1-beta1", true, Some("13.0.1")), ("13.0.1.0", false, None)]);
    }

    #[test]
    fn events_out_of_order_are_sorted_first() {
        let e = affected(vec![range("ECOSYSTEM", &[("fixed", "2.2.8"), ("introduced", "2.2"), ("fixed", "2.1.15"), ("introduced", "2.1")])], &[]);
        check("pep440", &e, &[("2.1.3", true, Some("2.1.15")), ("2.1.20", false, None), ("2.2.1", true, Some("2.2.8"))]);
    }

    #[test]
    fn introduced_zero_and_last_affected() {
        let e = affected(vec![range("SEMVER", &[("introduced", "0"), ("last_affected", "1.2.3")])], &[]);
        check("semver", &e, &[("0.0.1", true, None), ("1.2.3", true, None), ("1.2.4-alpha", false, None), ("1.2.4", false, None)]);
        let open = affected(vec![range("SEMVER", &[("introduced", "1.0.0")])], &[]);
        check("semver", &open, &[("0.9.9", false, None), ("1.0.0-rc.1", false, None), ("1.0.0", true, None), ("9.0.0", true, None)]);
        let limited = affected(vec![range("SEMVER", &[("introduced", "1.0.0"), ("limit", "2.0.0")])], &[]);
        check("semver", &limited, &[("1.5.0", true, None), ("2.0.0", false, None)]);
    }

    #[test]
    fn pre_releases_sit_below_their_release() {
        let e = affected(vec![range("SEMVER", &[("introduced", "0"), ("fixed", "1.0.0")])], &[]);
        check("semver", &e, &[("1.0.0-rc.1", true, Some("1.0.0")), ("1.0.0", false, None), ("1.0.0+build", false, None)]);
        let deb = affected(vec![range("ECOSYSTEM", &[("introduced", "0"), ("fixed", "3.0.15-1~deb12u1")])], &[]);
        check("dpkg", &deb, &[("3.0.14-1", true, Some("3.0.15-1~deb12u1")), ("3.0.15-1~deb11u1", true, Some("3.0.15-1~deb12u1")), ("3.0.15-1~deb12u1", false, None), ("3.0.15-1", false, None)]);
    }

    #[test]
    fn epochs_decide_before_versions() {
        let e = affected(vec![range("ECOSYSTEM", &[("introduced", "0"), ("fixed", "1:2.38.1-5+deb12u1")])], &[]);
        check("dpkg", &e, &[("2.40-1", true, Some("1:2.38.1-5+deb12u1")), ("1:2.38.1-5", true, Some("1:2.38.1-5+deb12u1")), ("1:2.38.1-5+deb12u1", false, None), ("2:0.1", false, None)]);
        let rpm = affected(vec![range("ECOSYSTEM", &[("introduced", "0"), ("fixed", "1:3.0.7-27.el9")])], &[]);
        check("rpm", &rpm, &[("3.0.9-1.el9", true, Some("1:3.0.7-27.el9")), ("1:3.0.7-25.el9", true, Some("1:3.0.7-27.el9")), ("1:3.0.7-27.el9", false, None)]);
    }

    #[test]
    fn explicit_versions_and_git_ranges() {
        let e = affected(vec![range("GIT", &[("introduced", "abc"), ("fixed", "def")])], &["2.2", "2.2.1"]);
        check("pep440", &e, &[("2.2", true, None), ("2.2.0", true, None), ("2.2.1", true, None), ("2.2.2", false, None)]);
    }

    #[test]
    fn unreadable_versions_are_errors_not_matches() {
        let e = affected(vec![range("ECOSYSTEM", &[("introduced", "0"), ("fixed", "1.0.0")])], &[]);
        assert!(affected_by(scheme("semver").unwrap(), "not-a-version", &e).is_err());
        let bad = affected(vec![range("ECOSYSTEM", &[("introduced", "0"), ("fixed", "garbage")])], &[]);
        assert!(affected_by(scheme("semver").unwrap(), "1.0.0", &bad).is_err());
    }
}
