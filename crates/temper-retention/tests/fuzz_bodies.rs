//! The `retention_toml` fuzz body (`fuzz/src/retention.rs`) on stable:
//! every seed in `fuzz/seeds/retention_toml/` parses, and thousands of
//! deterministic mutations of them do not panic or hang (each runs under a
//! watchdog, `fuzz/src/watchdog.rs`); every refusal is one line naming the
//! file, every accepted glob reads back as itself.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

#[path = "../../../fuzz/src/retention.rs"]
mod bodies;
#[path = "../../../fuzz/src/mutate.rs"]
mod mutate;
#[path = "../../../fuzz/src/replay.rs"]
mod replay;
#[path = "../../../fuzz/src/watchdog.rs"]
mod watchdog;

#[test]
fn retention_toml_body_survives_mutations() {
    replay::run("retention_toml", bodies::toml, 3000, 0x7e7e_a110);
}
