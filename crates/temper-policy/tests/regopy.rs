//! temper's Rego (regorus) and rego-cpp (PyPI regopy) agree: for every
//! example policy in `examples/policy/` and every example input in
//! `examples/policy/inputs/`, both give the same messages for every deny
//! and warn rule, so the same allow/deny. regopy is pinned and installed by
//! scripts/policy-peers.sh into `$TEMPER_REGOPY`; without it the test skips,
//! except in CI.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use temper_policy::{Rego, RegoKind};

/// The regopy virtual environment, or `None` (and a note) when it is not installed outside CI.
fn regopy() -> Option<PathBuf> {
    let dir = std::env::var_os("TEMPER_REGOPY").filter(|v| !v.is_empty()).map(PathBuf::from).unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").unwrap()).join(".cache/temper-peers/regopy"));
    let found = dir.join("bin/python").is_file() && dir.join(".temper-pins").is_file();
    let ci = std::env::var("CI").is_ok_and(|v| v == "true");
    assert!(found || !ci, "regopy is not installed at {} (scripts/test.sh installs it; CI must run it)", dir.display());
    if !found {
        eprintln!("SKIPPED: regopy is not installed at {} (run scripts/test.sh while online)", dir.display());
    }
    found.then_some(dir)
}

fn sorted_files(dir: &Path, keep: impl Fn(&str) -> bool) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).filter(|p| p.is_file() && keep(&p.file_name().unwrap().to_string_lossy())).collect();
    files.sort();
    files
}

/// regopy's messages for `rules` of `module` on `input`.
fn regopy_sets(venv: &Path, module: &Path, data: &[PathBuf], input: &Path, rules: &[String]) -> BTreeMap<String, Vec<String>> {
    let work = tempfile::tempdir().unwrap();
    let request = serde_json::json!({ "modules": [module], "data": data, "input": input, "rules": rules });
    let path = work.path().join("request.json");
    std::fs::write(&path, request.to_string()).unwrap();
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/regopy/eval.py");
    let out = Command::new(venv.join("bin/python")).arg(script).arg(&path).output().unwrap();
    assert!(out.status.success(), "regopy on {} with {}: {}", module.display(), input.display(), String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn regorus_and_rego_cpp_agree_on_every_example() {
    let Some(venv) = regopy() else { return };
    let dir = common::root().join("examples/policy");
    let policies = sorted_files(&dir, |n| n.ends_with(".rego") && !n.ends_with("_test.rego"));
    let inputs = sorted_files(&dir.join("inputs"), |n| n.ends_with(".json"));
    let data = sorted_files(&dir.join("data"), |n| n.ends_with(".json"));
    assert!(policies.len() >= 3 && inputs.len() >= 3, "{policies:?} {inputs:?}");
    let (mut denied, mut allowed) = (0, 0);
    for policy in &policies {
        let rego = Rego::load(std::slice::from_ref(policy), &data, &["main".to_owned()]).unwrap();
        let rules = rego.rules();
        assert!(!rules.is_empty(), "{}: no deny or warn rule found", policy.display());
        for input in &inputs {
            let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(input).unwrap()).unwrap();
            common::validate(&doc);
            let ours = rego.evaluate(&doc).unwrap();
            let theirs = regopy_sets(&venv, policy, &data, input, &rules);
            let ours_map: BTreeMap<String, Vec<String>> = ours.iter().map(|o| (o.rule.clone(), o.messages.clone())).collect();
            assert_eq!(ours_map, theirs, "{} on {}", policy.display(), input.display());
            let deny = ours.iter().any(|o| o.kind == RegoKind::Deny && !o.messages.is_empty());
            if deny { denied += 1 } else { allowed += 1 }
        }
    }
    // The comparison covers both verdicts, not only agreeing empty sets.
    assert!(denied >= 3 && allowed >= 3, "denied {denied}, allowed {allowed}");
}
