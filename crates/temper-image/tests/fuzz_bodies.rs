//! The `registry_link` fuzz body (`fuzz/src/registry.rs`) on stable: every
//! seed in `fuzz/seeds/registry_link/` leads to a next page on the
//! registry's origin, and thousands of deterministic mutations of them do
//! not panic or hang (each runs under a watchdog, `fuzz/src/watchdog.rs`),
//! never leave the origin, and are refused in one printable line.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

#[path = "../../../fuzz/src/registry.rs"]
mod bodies;
#[path = "../../../fuzz/src/mutate.rs"]
mod mutate;
#[path = "../../../fuzz/src/replay.rs"]
mod replay;
#[path = "../../../fuzz/src/watchdog.rs"]
mod watchdog;

#[test]
fn registry_link_body_survives_mutations() {
    replay::run("registry_link", bodies::link, 5000, 0x110c_2026);
}
