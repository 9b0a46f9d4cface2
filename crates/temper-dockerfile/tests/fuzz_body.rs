//! The Dockerfile fuzz body (`fuzz/src/dockerfile.rs`) on stable: every
//! seed in `fuzz/seeds/dockerfile/` parses, and thousands of deterministic
//! mutations of them (byte flips, truncations, splices) do not panic or
//! hang (each runs under a watchdog, `fuzz/src/watchdog.rs`).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

#[path = "../../../fuzz/src/dockerfile.rs"]
mod body;
#[path = "../../../fuzz/src/mutate.rs"]
mod mutate;
#[path = "../../../fuzz/src/watchdog.rs"]
mod watchdog;

use std::path::PathBuf;

use mutate::{XorShift, mutate};
use watchdog::Watchdog;

#[test]
fn dockerfile_body_survives_mutations() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/seeds/dockerfile");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    let inputs: Vec<Vec<u8>> = files.iter().map(|f| std::fs::read(f).unwrap()).collect();
    assert!(inputs.len() >= 4, "seeds");
    let mut dog = Watchdog::new("dockerfile", body::dockerfile);
    for (f, input) in files.iter().zip(&inputs) {
        assert!(dog.run(&format!("seed {}", f.display()), input), "seed {} refused", f.display());
    }
    let mut rng = XorShift(0xd0c_4e5f);
    let iterations = 6000;
    let mut accepted = 0;
    for k in 0..iterations {
        let base = rng.below(inputs.len());
        let input = mutate(&mut rng, &inputs[base], &inputs);
        accepted += usize::from(dog.run(&format!("mutation {k} of seed {}", files[base].display()), &input));
    }
    // Mutations must reach past the first check, and not all be accepted.
    assert!(accepted > iterations / 50 && accepted < iterations, "{accepted} of {iterations} accepted");
}

#[test]
fn hostile_inputs_are_refused_or_bounded() {
    // These are the inputs most likely to run long: each under the watchdog.
    let mut dog = Watchdog::new("dockerfile", body::dockerfile);
    let deep = format!("FROM a\nRUN {}true{}\n", "$(".repeat(5000), ")".repeat(5000));
    assert!(dog.run("nested $(", deep.as_bytes()));
    let braces = format!("FROM a\nENV X={}y{}\n", "${A:-".repeat(5000), "}".repeat(5000));
    assert!(dog.run("nested ${A:-", braces.as_bytes()));
    let mut doubling = String::from("FROM a\nENV A=xxxxxxxxxxxxxxxx\n");
    for _ in 0..40 {
        doubling.push_str("ENV A=$A$A\n");
    }
    assert!(dog.run("doubling ENV", doubling.as_bytes()));
    let data = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    // Found by cargo fuzz: a redirection fd too large for brush-parser.
    let crash = std::fs::read(data.join("crash-fd-overflow.Dockerfile")).unwrap();
    dog.run("crash-fd-overflow.Dockerfile", &crash);
    // Found by cargo fuzz: brush-parser's tokenizer unwraps past the end of
    // this input; the crate catches that panic and leaves the RUN unparsed.
    let crash = std::fs::read(data.join("crash-tokenizer-eof.Dockerfile")).unwrap();
    dog.run("crash-tokenizer-eof.Dockerfile", &crash);
    assert!(dog.run("a huge fd", b"FROM a\nRUN echo 99999999999>x\n"));
    let huge = "#".repeat(temper_dockerfile::MAX_SOURCE_LEN + 1);
    assert!(!dog.run("over MAX_SOURCE_LEN", huge.as_bytes()));
    let many = format!("FROM a\n{}", "COPY <<E /x\nE\n".repeat(temper_dockerfile::MAX_HEREDOCS + 1));
    assert!(!dog.run("over MAX_HEREDOCS", many.as_bytes()));
}
