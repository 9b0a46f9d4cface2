//! The apt fuzz bodies (`fuzz/src/apt.rs`) on stable: every seed in
//! `fuzz/seeds/apt_*/` is accepted, and thousands of deterministic
//! mutations of them do not panic or hang (each runs under a watchdog,
//! `fuzz/src/watchdog.rs`); the stream bodies read through the short reads
//! of `fuzz/src/split.rs`.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

#[path = "../../../fuzz/src/apt.rs"]
mod bodies;
#[path = "../../../fuzz/src/mutate.rs"]
mod mutate;
#[path = "../../../fuzz/src/replay.rs"]
mod replay;
#[path = "../../../fuzz/src/split.rs"]
mod split;
#[path = "../../../fuzz/src/watchdog.rs"]
mod watchdog;

use replay::run;

#[test]
fn apt_control_body_survives_mutations() {
    run("apt_control", bodies::control, 10_000, 0xc0_2720);
}

#[test]
fn apt_index_body_survives_mutations() {
    run("apt_index", bodies::index, 10_000, 0x1_2de5);
}

#[test]
fn apt_release_body_survives_mutations() {
    run("apt_release", bodies::release, 5000, 0x2e_1ea5e);
}

#[test]
fn apt_sources_body_survives_mutations() {
    run("apt_sources", bodies::sources, 10_000, 0x0502_2ce5);
}

#[test]
fn apt_relation_body_survives_mutations() {
    run("apt_relation", bodies::relation, 10_000, 0x002e_1a7e);
}

#[test]
fn apt_deb_body_survives_mutations() {
    run("apt_deb", bodies::deb, 8000, 0xdeb);
}

#[test]
fn apt_scripts_body_survives_mutations() {
    run("apt_scripts", bodies::scripts, 5000, 0x5c_2195);
}

#[test]
fn apt_status_body_survives_mutations() {
    run("apt_status", bodies::status, 10_000, 0x0057_a705);
}

#[test]
fn apt_keyring_body_survives_mutations() {
    run("apt_keyring", bodies::keyring, 3000, 0x6e7_2196);
}
