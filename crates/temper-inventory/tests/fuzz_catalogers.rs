//! The cataloger fuzz bodies (`fuzz/src/catalog.rs`) on stable: every seed
//! under `fuzz/seeds/<target>/` must be accepted, and thousands of
//! deterministic mutations of them must not panic or hang (each input runs
//! under a watchdog, `fuzz/src/watchdog.rs`). Catalogers are handed whole
//! files (the layer pass buffers them), so nothing here is read in pieces.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

#[path = "../../../fuzz/src/catalog.rs"]
mod bodies;
#[path = "../../../fuzz/src/mutate.rs"]
mod mutate;
#[path = "../../../fuzz/src/watchdog.rs"]
mod watchdog;

use std::path::PathBuf;

use mutate::{XorShift, mutate};
use watchdog::Watchdog;

fn seeds(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/seeds").join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())).map(|e| e.unwrap().path()).collect();
    files.sort();
    files.iter().map(|f| (f.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read(f).unwrap())).collect()
}

#[test]
fn every_cataloger_target_survives_mutations() {
    let registered: Vec<&str> = temper_inventory::catalog::registry().iter().map(|c| c.id()).collect();
    for (target, id, _) in bodies::TARGETS {
        assert!(registered.contains(id), "{target}: cataloger {id} is not registered");
    }
    let names = bodies::TARGETS.iter().map(|(t, _, _)| *t).chain(bodies::PARSERS.iter().map(|(t, _)| *t));
    for target in names {
        let named = seeds(target);
        assert!(!named.is_empty(), "{target}: no seeds");
        let mut dog = Watchdog::new(target, move |d| bodies::target(target, d));
        for (name, input) in &named {
            assert!(dog.run(&format!("seed {name}"), input), "{target}: seed {name} is refused");
        }
        let inputs: Vec<Vec<u8>> = named.iter().map(|(_, b)| b.clone()).collect();
        let mut rng = XorShift(0x5eed_0000 ^ target.len() as u64 ^ (target.as_bytes()[8] as u64) << 20);
        for k in 0..3000 {
            let base = rng.below(inputs.len());
            let input = mutate(&mut rng, &inputs[base], &inputs);
            dog.run(&format!("mutation {k} of seed {}", named[base].0), &input);
        }
    }
}

#[test]
fn every_cataloger_has_a_fuzz_target() {
    for c in temper_inventory::catalog::registry() {
        assert!(bodies::TARGETS.iter().any(|(_, id, _)| *id == c.id()), "cataloger {} has no fuzz target in fuzz/src/catalog.rs", c.id());
    }
}
