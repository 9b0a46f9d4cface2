//! The build's fuzz bodies (`fuzz/src/build.rs`) on stable: every seed in
//! `fuzz/seeds/build_{spec,lock,certificates,cache}/` is accepted, and
//! thousands of deterministic mutations of them do not panic or hang
//! (each runs under a watchdog, `fuzz/src/watchdog.rs`).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

#[path = "../../../fuzz/src/build.rs"]
mod bodies;
#[path = "../../../fuzz/src/mutate.rs"]
mod mutate;
#[path = "../../../fuzz/src/replay.rs"]
mod replay;
#[path = "../../../fuzz/src/watchdog.rs"]
mod watchdog;

use std::path::PathBuf;

use replay::run;

#[test]
fn build_spec_body_survives_mutations() {
    run("build_spec", bodies::spec, 4000, 0x901d_e17);
}

#[test]
fn build_lock_body_survives_mutations() {
    run("build_lock", bodies::lock, 4000, 0x10c_4f11e);
}

#[test]
fn build_certificates_body_survives_mutations() {
    run("build_certificates", bodies::certificates, 3000, 0xce27_ca);
}

#[test]
fn build_cache_body_survives_mutations() {
    let cache = bodies::BaseCache::new();
    run("build_cache", move |data| cache.run(data), 1500, 0xba5e_cac4e);
}

/// Rewrites `fuzz/seeds/build_cache/`: the base cache file the body's
/// base gives, as the build writes it.
#[test]
#[ignore]
fn write_seeds() {
    let cache = bodies::BaseCache::new();
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/seeds/build_cache");
    std::fs::write(dir.join("stored.json"), cache.stored()).unwrap();
}

/// Found by `build_lock`: a lock naming one input twice, with two digests,
/// differed from itself, since each entry was compared with the first of
/// its path; `--locked` then refused a build where nothing moved.
#[test]
fn a_lock_listing_an_input_twice_has_no_change_from_itself() {
    use temper_build::lock::{Lock, LockedBase, LockedInput};
    let input = |digest: &str| LockedInput { path: "a\u{fffd}.pem".into(), digest: digest.into() };
    let lock = Lock { version: 1, base: LockedBase::default(), inputs: vec![input("sha256:1"), input("sha256:2")], packages: Vec::new() };
    assert_eq!(lock.changes_from(&lock), Vec::<String>::new());
    let swapped = Lock { inputs: vec![input("sha256:2"), input("sha256:1")], ..lock.clone() };
    assert_eq!(lock.changes_from(&swapped), Vec::<String>::new(), "the order of a path's digests is no change");
    let moved = Lock { inputs: vec![input("sha256:1"), input("sha256:3")], ..lock.clone() };
    assert_eq!(moved.changes_from(&lock), ["a\u{fffd}.pem changed (sha256:1, sha256:2 locked, sha256:1, sha256:3 now)"]);
}

/// The `build_lock` body's round trip, for the characters TOML and JSON
/// escape differently: a DEL in a base reference (which a spec may hold)
/// was written raw, and the lock then failed to read back.
#[test]
fn a_lock_holding_del_or_control_characters_reads_back() {
    let lock = temper_build::lock::Lock {
        version: 1,
        base: temper_build::lock::LockedBase { reference: "a\u{7f}b\u{0}c\t\"d\\".into(), digest: "sha256:\u{1b}[31m".into(), platforms: vec![temper_build::lock::LockedPlatform { platform: "linux/\u{7f}".into(), digest: "d".into() }] },
        inputs: vec![temper_build::lock::LockedInput { path: "l\u{2028}ine\nbreak".into(), digest: "x".into() }],
        packages: vec![temper_build::lock::LockedPackage { name: "p\u{7f}".into(), version: "1:2~3".into(), architecture: "all".into(), sha256: "sha256:00".into(), size: 7, filename: "pool/a\"b".into(), repository: "http://x y".into(), date: "\u{0}".into() }],
    };
    assert_eq!(temper_build::lock::Lock::parse(&lock.to_toml(), std::path::Path::new("w.lock")).unwrap(), lock);
}

/// Found by `build_certificates`: a subject holding a control character
/// (here a NUL, a newline and an escape) was printed raw in the refusal.
#[test]
fn a_certificate_subject_with_control_characters_stays_on_one_line() {
    let mut p = rcgen::CertificateParams::default();
    p.distinguished_name.push(rcgen::DnType::OrganizationName, "Evil\0Corp");
    p.distinguished_name.push(rcgen::DnType::CommonName, "Evil\nRoot\u{1b}[31m");
    p.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let now = time::OffsetDateTime::now_utc();
    p.not_before = now - time::Duration::days(30);
    p.not_after = now - time::Duration::days(1);
    let pem = p.self_signed(&rcgen::KeyPair::generate().unwrap()).unwrap().pem();
    let e = temper_build::certificates::parse("evil.pem", pem.as_bytes(), now).unwrap_err().to_string();
    assert!(e.starts_with("evil.pem: ") && e.contains("O=Evil\\u{0}Corp") && e.contains("CN=Evil\\nRoot\\u{1b}[31m") && e.contains("expired on"), "{e}");
    assert!(!e.chars().any(char::is_control), "{e:?}");
}

/// The `build_spec` body's one-line rule, for a refused path holding an
/// escape sequence (TOML's `\u001b`): it was quoted raw in the refusal.
#[test]
fn a_refused_image_path_with_control_characters_stays_on_one_line() {
    let spec = "base = \"b\"\n[[files]]\npath = \"/../\\u001b[31mred\\nline\"\ncontent = \"\"\n";
    assert!(bodies::spec(spec.as_bytes()), "the spec parses; its path is refused by image_path");
    let e = temper_build::files::image_path("[[files]]", "/../\u{1b}[31mred\nline").unwrap_err().to_string();
    assert_eq!(e, r#"[[files]] "/../\u{1b}[31mred\nline": not a path inside the image (no `..`, not the root)"#);
}
