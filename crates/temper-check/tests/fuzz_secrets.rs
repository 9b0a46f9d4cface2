//! The secret-scanner fuzz body (`fuzz/src/secrets.rs`) on stable: every
//! seed in `fuzz/seeds/secrets/` goes through, and thousands of
//! deterministic mutations of them neither panic nor print a finding
//! without its mask.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

#[path = "../../../fuzz/src/secrets.rs"]
mod body;
#[path = "../../../fuzz/src/mutate.rs"]
mod mutate;

use std::path::PathBuf;

use mutate::{XorShift, mutate};

#[test]
fn secrets_body_survives_mutations() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/seeds/secrets");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    let inputs: Vec<Vec<u8>> = files.iter().map(|f| std::fs::read(f).unwrap()).collect();
    // Every seed but the plain one holds a secret.
    for (f, input) in files.iter().zip(&inputs) {
        let plain = f.ends_with("plain");
        assert_eq!(body::secrets(input), !plain, "{}", f.display());
    }
    let mut rng = XorShift(0x05ec_2e75);
    let iterations = 4000;
    let mut found = 0;
    for _ in 0..iterations {
        let base = rng.below(inputs.len());
        let input = mutate(&mut rng, &inputs[base], &inputs);
        found += usize::from(body::secrets(&input));
    }
    assert!(found > iterations / 50 && found < iterations, "{found} of {iterations} found something");
}
