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
#[path = "../../../fuzz/src/split.rs"]
mod split;
#[path = "../../../fuzz/src/watchdog.rs"]
mod watchdog;

use std::path::PathBuf;

use mutate::{XorShift, mutate};
use watchdog::Watchdog;

fn seeds(target: &str) -> (Vec<PathBuf>, Vec<Vec<u8>>) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/seeds").join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    let inputs = files.iter().map(|f| std::fs::read(f).unwrap()).collect();
    (files, inputs)
}

fn run(target: &str, body: fn(&[u8]) -> bool, iterations: usize, seed: u64) {
    let (files, inputs) = seeds(target);
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
