//! The `policy_toml` fuzz body (`fuzz/src/policy.rs`) on stable: every seed
//! in `fuzz/seeds/policy_toml/` loads, and thousands of deterministic
//! mutations of them do not panic or hang (each runs under a watchdog,
//! `fuzz/src/watchdog.rs`), and every refusal is one line naming the file.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

#[path = "../../../fuzz/src/policy.rs"]
mod bodies;
#[path = "../../../fuzz/src/mutate.rs"]
mod mutate;
#[path = "../../../fuzz/src/replay.rs"]
mod replay;
#[path = "../../../fuzz/src/watchdog.rs"]
mod watchdog;

#[test]
fn policy_toml_body_survives_mutations() {
    replay::run("policy_toml", bodies::toml, 3000, 0x0090_11c7);
}
