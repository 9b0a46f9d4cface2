//! Every version scheme is a total order on the versions it accepts:
//! reflexive, antisymmetric and transitive, so sorting and range checks
//! cannot contradict themselves. Versions are generated per scheme.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::cmp::Ordering;
use std::sync::atomic::AtomicUsize;
use std::sync::atomic::Ordering::Relaxed;

use proptest::prelude::*;
use temper_advisory::version::{VersionScheme, scheme};

fn laws(s: &dyn VersionScheme, versions: &[String]) -> Result<(), TestCaseError> {
    let valid: Vec<&String> = versions.iter().filter(|v| s.validate(v).is_ok()).collect();
    for a in &valid {
        prop_assert_eq!(s.compare(a, a).unwrap(), Ordering::Equal, "{} {} not equal to itself", s.id(), a);
        for b in &valid {
            let ab = s.compare(a, b).unwrap();
            prop_assert_eq!(ab, s.compare(b, a).unwrap().reverse(), "{}: {} vs {} not antisymmetric", s.id(), a, b);
            for c in &valid {
                let bc = s.compare(b, c).unwrap();
                if ab != Ordering::Greater && bc != Ordering::Greater {
                    let ac = s.compare(a, c).unwrap();
                    prop_assert!(ac != Ordering::Greater, "{}: {} <= {} <= {} but {} > {}", s.id(), a, b, c, a, c);
                    if ab == Ordering::Equal && bc == Ordering::Equal {
                        prop_assert_eq!(ac, Ordering::Equal);
                    }
                }
            }
        }
    }
    Ok(())
}

fn check(id: &str, pattern: &'static str) {
    let s = scheme(id).expect("scheme");
    let (seen, valid) = (AtomicUsize::new(0), AtomicUsize::new(0));
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig { cases: 200, ..ProptestConfig::default() });
    runner
        .run(&proptest::collection::vec(pattern, 2..12), |versions| {
            seen.fetch_add(versions.len(), Relaxed);
            valid.fetch_add(versions.iter().filter(|v| s.validate(v).is_ok()).count(), Relaxed);
            laws(s, &versions)
        })
        .unwrap();
    // The generator must mostly produce versions the scheme accepts, or the laws were never tested.
    assert!(valid.load(Relaxed) * 10 > seen.load(Relaxed) * 8, "{id}: only {} of {} generated versions valid", valid.load(Relaxed), seen.load(Relaxed));
}

#[test]
fn dpkg_is_a_total_order() {
    check("dpkg", "([0-2]:)?[0-9]{1,2}([.+~][0-9a-z]{1,2}){0,3}(-[0-9]{1,2}([.+~][0-9a-z]{1,3}){0,2})?");
}

#[test]
fn apk_is_a_total_order() {
    check("apk", "[0-9]{1,2}(\\.0?[0-9]{1,2}){0,3}[a-c]?(_(alpha|beta|pre|rc|p|git)[0-9]{0,2}){0,2}(-r[0-9]{1,2})?");
}

#[test]
fn rpm_is_a_total_order() {
    check("rpm", "([0-2]:)?[0-9a-c]{1,3}([.~^_][0-9a-c]{1,3}){0,3}(-[0-9]{1,2}([.~^][0-9a-z]{1,3}){0,2})?");
}

#[test]
fn semver_is_a_total_order() {
    check("semver", "[0-9]\\.[0-9]{1,2}\\.[0-9](-(alpha|beta|rc|[1-9])(\\.([1-9]|[a-z]{1,3})){0,2})?(\\+[a-z0-9]{1,3})?");
}

#[test]
fn pep440_is_a_total_order() {
    check("pep440", "([1-2]!)?[0-9]{1,2}(\\.[0-9]{1,2}){0,2}((a|b|rc)[0-9])?(\\.post[0-9])?(\\.dev[0-9])?(\\+[a-z0-9]{1,3})?");
}

#[test]
fn maven_is_a_total_order() {
    // Release words (`ga`, `final`) only at the end: before another item
    // Maven's own ComparableVersion is not transitive (`0` < `0-b` <
    // `0-ga-alpha` < `0`), and temper orders as Maven does.
    check("maven", "[0-9]{1,2}([.-]([0-9]{1,2}|alpha|beta|rc|cr|sp|snapshot|foo|a1|m2|b)|[a-c][0-9]?){0,4}([.-](ga|final))?");
}

#[test]
fn go_is_a_total_order() {
    check("go", "v[0-9]\\.[0-9]{1,2}\\.[0-9](-0\\.20[12][0-9]{3}-[a-f0-9]{4}|-rc\\.[0-9])?(\\+incompatible)?");
}

#[test]
fn rubygems_is_a_total_order() {
    check("rubygems", "[0-9]{1,2}(\\.([0-9]{1,2}|0|a|b|rc|pre|[a-c][0-9])){0,4}(-[0-9a-c]{1,2}(\\.[0-9a-c]{1,2}){0,1})?");
}

#[test]
fn composer_is_a_total_order() {
    check("composer", "v?[0-9]{1,2}(\\.[0-9]{1,2}){0,3}(-(dev|alpha|a|beta|b|RC|rc|stable|patch|pl|p)([.]?[0-9]){0,2}(-dev)?)?");
}

#[test]
fn nuget_is_a_total_order() {
    check("nuget", "[0-9]{1,2}(\\.[0-9]{1,2}){0,3}(-(alpha|Alpha|beta|rc|[1-9])(\\.([0-9]|[a-z]{1,3})){0,2})?(\\+[a-z0-9]{1,3})?");
}
