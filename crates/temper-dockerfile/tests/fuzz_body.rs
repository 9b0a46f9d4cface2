//! The Dockerfile fuzz body (`fuzz/src/dockerfile.rs`) on stable: every
//! seed in `fuzz/seeds/dockerfile/` parses, and thousands of deterministic
//! mutations of them (byte flips, truncations, splices) do not panic.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

#[path = "../../../fuzz/src/dockerfile.rs"]
mod body;
#[path = "../../../fuzz/src/mutate.rs"]
mod mutate;

use std::path::PathBuf;

use mutate::{XorShift, mutate};

#[test]
fn dockerfile_body_survives_mutations() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/seeds/dockerfile");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    let inputs: Vec<Vec<u8>> = files.iter().map(|f| std::fs::read(f).unwrap()).collect();
    assert!(inputs.len() >= 4, "seeds");
    for (f, input) in files.iter().zip(&inputs) {
        assert!(body::dockerfile(input), "seed {} refused", f.display());
    }
    let mut rng = XorShift(0xd0c_4e5f);
    let iterations = 6000;
    let mut accepted = 0;
    for _ in 0..iterations {
        let base = rng.below(inputs.len());
        let input = mutate(&mut rng, &inputs[base], &inputs);
        accepted += usize::from(body::dockerfile(&input));
    }
    // Mutations must reach past the first check, and not all be accepted.
    assert!(accepted > iterations / 50 && accepted < iterations, "{accepted} of {iterations} accepted");
}

#[test]
fn hostile_inputs_are_refused_or_bounded() {
    let deep = format!("FROM a\nRUN {}true{}\n", "$(".repeat(5000), ")".repeat(5000));
    assert!(body::dockerfile(deep.as_bytes()));
    let braces = format!("FROM a\nENV X={}y{}\n", "${A:-".repeat(5000), "}".repeat(5000));
    assert!(body::dockerfile(braces.as_bytes()));
    let mut doubling = String::from("FROM a\nENV A=xxxxxxxxxxxxxxxx\n");
    for _ in 0..40 {
        doubling.push_str("ENV A=$A$A\n");
    }
    assert!(body::dockerfile(doubling.as_bytes()));
    // Found by cargo fuzz: a redirection fd too large for brush-parser.
    let crash = std::fs::read(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/crash-fd-overflow.Dockerfile")).unwrap();
    body::dockerfile(&crash);
    // Found by cargo fuzz: brush-parser's tokenizer unwraps past the end of
    // this input; the crate catches that panic and leaves the RUN unparsed.
    let crash = std::fs::read(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/crash-tokenizer-eof.Dockerfile")).unwrap();
    body::dockerfile(&crash);
    assert!(body::dockerfile(b"FROM a\nRUN echo 99999999999>x\n"));
    let huge = "#".repeat(temper_dockerfile::MAX_SOURCE_LEN + 1);
    assert!(!body::dockerfile(huge.as_bytes()));
    let many = format!("FROM a\n{}", "COPY <<E /x\nE\n".repeat(temper_dockerfile::MAX_HEREDOCS + 1));
    assert!(!body::dockerfile(many.as_bytes()));
}
