//! The `link_header` fuzz body (`fuzz/src/registry.rs`) on stable: every
//! seed in `fuzz/seeds/link_header/` gives a next link on the registry's
//! origin, and thousands of deterministic mutations of them do not panic
//! or hang (each runs under a watchdog, `fuzz/src/watchdog.rs`), nor lead
//! pagination to another host.
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
fn link_header_body_survives_mutations() {
    replay::run("link_header", bodies::link, 3000, 0x11_4e_ad);
}
