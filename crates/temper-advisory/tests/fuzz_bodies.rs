//! The advisory fuzz bodies (`fuzz/src/advisory.rs`) on stable: every seed
//! in `fuzz/seeds/{osv_record,versions}/` is accepted, and thousands of
//! deterministic mutations of them do not panic or hang (each runs under a
//! watchdog, `fuzz/src/watchdog.rs`).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

#[path = "../../../fuzz/src/advisory.rs"]
mod bodies;
#[path = "../../../fuzz/src/mutate.rs"]
mod mutate;
#[path = "../../../fuzz/src/watchdog.rs"]
mod watchdog;

use std::path::PathBuf;

use mutate::{XorShift, mutate};
use watchdog::Watchdog;

fn run(target: &str, body: fn(&[u8]) -> bool, iterations: usize, seed: u64) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/seeds").join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    let inputs: Vec<Vec<u8>> = files.iter().map(|f| std::fs::read(f).unwrap()).collect();
    assert!(inputs.len() >= 2, "{target}: seeds");
    let mut dog = Watchdog::new(target, body);
    for (f, input) in files.iter().zip(&inputs) {
        assert!(dog.run(&format!("seed {}", f.display()), input), "{target}: seed {} refused", f.display());
    }
    let mut rng = XorShift(seed);
    let mut accepted = 0;
    for k in 0..iterations {
        let base = rng.below(inputs.len());
        let input = mutate(&mut rng, &inputs[base], &inputs);
        accepted += usize::from(dog.run(&format!("mutation {k} of seed {}", files[base].display()), &input));
    }
    // Mutations must reach past the first check, and not all be accepted.
    assert!(accepted > iterations / 50 && accepted < iterations, "{target}: {accepted} of {iterations} accepted");
}

#[test]
fn osv_record_body_survives_mutations() {
    run("osv_record", bodies::osv_record, 3000, 0x05e_c0de);
}

#[test]
fn versions_body_survives_mutations() {
    run("versions", bodies::versions, 20_000, 0x7e55_1015);
}
