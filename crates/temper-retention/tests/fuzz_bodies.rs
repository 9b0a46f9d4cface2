//! The `retention_toml` fuzz body (`fuzz/src/retention.rs`) on stable:
//! every seed in `fuzz/seeds/retention_toml/` loads and is planned, and
//! thousands of deterministic mutations of them do not panic or hang
//! (each runs under a watchdog, `fuzz/src/watchdog.rs`); every refusal is
//! one line naming the file, and no plan deletes what a kept tag names.
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
    replay::run("retention_toml", bodies::policy, 3000, 0x7e7e_2026);
}
