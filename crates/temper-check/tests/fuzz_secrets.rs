//! The secret-scanner fuzz body (`fuzz/src/secrets.rs`) on stable: every
//! seed in `fuzz/seeds/secrets/` goes through, and thousands of
//! deterministic mutations of them neither panic nor print a finding
//! without its mask; each input runs under a watchdog
//! (`fuzz/src/watchdog.rs`), so a hang fails too.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

#[path = "../../../fuzz/src/secrets.rs"]
mod body;
#[path = "../../../fuzz/src/mutate.rs"]
mod mutate;
#[path = "../../../fuzz/src/watchdog.rs"]
mod watchdog;

use std::path::PathBuf;

use mutate::{XorShift, mutate};
use watchdog::Watchdog;

#[test]
fn secrets_body_survives_mutations() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/seeds/secrets");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    let inputs: Vec<Vec<u8>> = files.iter().map(|f| std::fs::read(f).unwrap()).collect();
    let mut dog = Watchdog::new("secrets", body::secrets);
    // Every seed but the plain one holds a secret.
    for (f, input) in files.iter().zip(&inputs) {
        let plain = f.ends_with("plain");
        assert_eq!(dog.run(&format!("seed {}", f.display()), input), !plain, "{}", f.display());
    }
    let mut rng = XorShift(0x05ec_2e75);
    let iterations = 4000;
    let mut found = 0;
    for k in 0..iterations {
        let base = rng.below(inputs.len());
        let input = mutate(&mut rng, &inputs[base], &inputs);
        found += usize::from(dog.run(&format!("mutation {k} of seed {}", files[base].display()), &input));
    }
    assert!(found > iterations / 50 && found < iterations, "{found} of {iterations} found something");
}
