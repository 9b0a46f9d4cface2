//! The advisory fuzz bodies (`fuzz/src/advisory.rs`) on stable: every seed
//! in `fuzz/seeds/{osv_record,versions}/` is accepted, and thousands of
//! deterministic mutations of them do not panic or hang (each runs under a
//! watchdog, `fuzz/src/watchdog.rs`).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

#[path = "../../../fuzz/src/advisory.rs"]
mod bodies;
#[path = "../../../fuzz/src/mutate.rs"]
mod mutate;
#[path = "../../../fuzz/src/replay.rs"]
mod replay;
#[path = "../../../fuzz/src/watchdog.rs"]
mod watchdog;

use replay::run;

#[test]
fn osv_record_body_survives_mutations() {
    run("osv_record", bodies::osv_record, 3000, 0x05e_c0de);
}

#[test]
fn versions_body_survives_mutations() {
    run("versions", bodies::versions, 20_000, 0x7e55_1015);
}
