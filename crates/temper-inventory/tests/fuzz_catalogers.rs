//! The cataloger fuzz bodies (`fuzz/src/catalog.rs`) on stable: every seed
//! under `fuzz/seeds/<target>/` must be accepted, and thousands of
//! deterministic mutations of them must not panic.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

#[path = "../../../fuzz/src/catalog.rs"]
mod bodies;
#[path = "../../../fuzz/src/mutate.rs"]
mod mutate;

use std::path::PathBuf;

use mutate::{XorShift, mutate};

fn seeds(target: &str) -> Vec<Vec<u8>> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/seeds").join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())).map(|e| e.unwrap().path()).collect();
    files.sort();
    files.iter().map(|f| std::fs::read(f).unwrap()).collect()
}

#[test]
fn every_cataloger_target_survives_mutations() {
    let registered: Vec<&str> = temper_inventory::catalog::registry().iter().map(|c| c.id()).collect();
    for (target, id, _) in bodies::TARGETS {
        assert!(registered.contains(id), "{target}: cataloger {id} is not registered");
    }
    let names = bodies::TARGETS.iter().map(|(t, _, _)| *t).chain(bodies::PARSERS.iter().map(|(t, _)| *t));
    for target in names {
        let inputs = seeds(target);
        assert!(!inputs.is_empty(), "{target}: no seeds");
        for (i, input) in inputs.iter().enumerate() {
            assert!(bodies::target(target, input), "{target}: seed {i} is refused");
        }
        let mut rng = XorShift(0x5eed_0000 ^ target.len() as u64 ^ (target.as_bytes()[8] as u64) << 20);
        for _ in 0..3000 {
            let base = &inputs[rng.below(inputs.len())];
            let input = mutate(&mut rng, base, &inputs);
            bodies::target(target, &input);
        }
    }
}

#[test]
fn every_cataloger_has_a_fuzz_target() {
    for c in temper_inventory::catalog::registry() {
        assert!(bodies::TARGETS.iter().any(|(_, id, _)| *id == c.id()), "cataloger {} has no fuzz target in fuzz/src/catalog.rs", c.id());
    }
}
