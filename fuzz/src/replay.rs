//! The stable replay of a fuzz body, shared by the crates' `fuzz_bodies`
//! tests (included by `#[path]` beside `mutate.rs` and `watchdog.rs`): every
//! seed in `fuzz/seeds/<target>/` must be accepted, then `iterations`
//! deterministic mutations of them run under the watchdog, which fails the
//! test on a panic or a time-out.

use std::path::PathBuf;

use crate::mutate::{XorShift, mutate};
use crate::watchdog::Watchdog;

/// `fuzz/seeds/<target>`, from a crate two levels below the repository root.
pub fn seed_dir(target: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/seeds").join(target)
}

/// The seed files of `target`, sorted, and their bytes.
pub fn seeds(target: &str) -> (Vec<PathBuf>, Vec<Vec<u8>>) {
    let mut files: Vec<PathBuf> = std::fs::read_dir(seed_dir(target)).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    let inputs = files.iter().map(|f| std::fs::read(f).unwrap()).collect();
    (files, inputs)
}

/// Replays `body` (which says whether it accepted its input) over the seeds and their mutations.
pub fn run(target: &str, body: impl Fn(&[u8]) -> bool + Send + 'static, iterations: usize, seed: u64) {
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
