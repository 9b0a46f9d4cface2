//! `temper policy test`: the example policies' tests pass (exit 0), a
//! failing test exits 1 with its FAIL line and the summary, a directory
//! that cannot be loaded exits 2 naming the file.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn temper(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_temper")).current_dir(root()).args(args).output().unwrap()
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn policy_test_runs_the_examples_green() {
    let out = temper(&["policy", "test", "examples/policy"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("PASS examples/policy/root_test.rego: data.main.test_empty_user_is_root\n"), "{stdout}");
    assert!(stdout.ends_with("PASS: 13/13\n"), "{stdout}");
}

#[test]
fn policy_test_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a_test.rego"), "package main\n\nimport rego.v1\n\ntest_ok if true\n\ntest_bad if false\n").unwrap();
    let d = dir.path().to_str().unwrap();
    let out = temper(&["policy", "test", d]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("FAIL ") && stdout.contains("data.main.test_bad\n") && stdout.ends_with("PASS: 1/2\nFAIL: 1/2\n"), "{stdout}");
    let json: serde_json::Value = serde_json::from_slice(&temper(&["policy", "test", d, "--format", "json"]).stdout).unwrap();
    assert_eq!(json["results"].as_array().unwrap().iter().map(|r| r["outcome"].as_str().unwrap()).collect::<Vec<_>>(), ["fail", "pass"]);
    std::fs::write(dir.path().join("broken.rego"), "package main\n\ndeny contains if {\n").unwrap();
    let out = temper(&["policy", "test", d]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("broken.rego:"), "{}", String::from_utf8_lossy(&out.stderr));
}
