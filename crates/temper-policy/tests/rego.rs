//! Rego policies as conftest users write them: deny, violation and warn
//! rules (and their `_*` forms) in `main`, string and object messages,
//! `data` from JSON and YAML files, other namespaces, errors with the file
//! and line, the execution bound; and `policy test` counting.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use common::image;
use temper_policy::{Policy, Request, RuleStatus, Status, TestOutcome, run_tests};

fn write(dir: &std::path::Path, files: &[(&str, &str)]) {
    for (name, text) in files {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
}

fn load(files: &[(&str, &str)], toml: &str) -> (tempfile::TempDir, Result<Policy, String>) {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), files);
    let p = Policy::from_toml(&dir.path().join("policy.toml"), toml).map_err(|e| e.to_string());
    (dir, p)
}

fn now() -> Request<'static> {
    Request::now()
}

const CONFTEST: &str = r#"package main

import rego.v1

deny contains msg if {
	input.image.config.user == ""
	msg := "runs as root"
}

violation contains {"msg": sprintf("%s is not allowed", [input.image.reference]), "details": {}} if {
	not startswith(input.image.reference, data.registry)
}

warn contains msg if {
	not input.image.config.labels.team
	msg := "no team label"
}

deny_secrets contains s.path if {
	some s in input.secrets
}

denylist := {"x"}
"#;

#[test]
fn deny_violation_and_warn_rules_with_data() {
    let (_d, p) = load(&[("policy/main.rego", CONFTEST), ("data/registry.yaml", "registry: registry.example.com/\n")], "[rego]\nfiles = [\"policy\"]\ndata = [\"data/registry.yaml\"]\n");
    let p = p.unwrap();
    let clean = p.evaluate(&image("registry.example.com/app:1").label("team", "a").build(), now()).unwrap();
    assert_eq!(clean.status, Status::Pass, "{clean:#?}");
    // Every rule is reported, `denylist` (not a deny rule) is not.
    assert_eq!(clean.results.iter().map(|r| r.rule.as_str()).collect::<Vec<_>>(), ["data.main.deny", "data.main.deny_secrets", "data.main.violation", "data.main.warn"]);
    assert!(clean.results.iter().all(|r| r.source.ends_with("main.rego")));

    let warned = p.evaluate(&image("registry.example.com/app:1").build(), now()).unwrap();
    assert_eq!(warned.status, Status::Warn);
    assert_eq!(warned.result("data.main.warn").unwrap().items, ["no team label"]);

    let bad = p.evaluate(&image("docker.io/app:1").root().secret("etc/key", "high").label("team", "a").build(), now()).unwrap();
    assert_eq!(bad.status, Status::Fail);
    assert_eq!(bad.result("data.main.deny").unwrap().items, ["runs as root"]);
    assert_eq!(bad.result("data.main.violation").unwrap().items, ["docker.io/app:1 is not allowed"]);
    assert_eq!(bad.result("data.main.deny_secrets").unwrap().items, ["etc/key"]);
    assert_eq!(bad.result("data.main.deny").unwrap().status, RuleStatus::Fail);
}

#[test]
fn namespaces_choose_the_packages_counted() {
    let other = "package images.prod\n\nimport rego.v1\n\ndeny contains \"always\" if true\n";
    let (_d, p) = load(&[("a.rego", CONFTEST), ("b.rego", other), ("registry.json", "{\"registry\": \"\"}")], "[rego]\nfiles = [\"b.rego\", \"a.rego\"]\ndata = [\"registry.json\"]\nnamespaces = [\"images.prod\"]\n");
    let v = p.unwrap().evaluate(&image("a").root().build(), now()).unwrap();
    assert_eq!(v.results.iter().map(|r| r.rule.as_str()).collect::<Vec<_>>(), ["data.images.prod.deny"]);
    assert_eq!(v.status, Status::Fail);
}

#[test]
fn scopes_can_leave_rego_out() {
    let (_d, p) = load(&[("a.rego", "package main\n\ndeny contains \"no\" if true\n")], "[[scope]]\nimages = [\"trusted/*\"]\nrules = [\"kev\"]\n\n[[scope]]\nimages = [\"**\"]\n\n[rules.kev]\n\n[rego]\nfiles = [\"a.rego\"]\n");
    let p = p.unwrap();
    assert_eq!(p.evaluate(&image("trusted/app").build(), now()).unwrap().status, Status::Pass);
    assert_eq!(p.evaluate(&image("other/app").build(), now()).unwrap().status, Status::Fail);
}

#[test]
fn errors_name_the_file_and_line() {
    let (_d, p) = load(&[("bad.rego", "package main\n\nimport rego.v1\n\ndeny contains msg if {\n\tmsg := \n}\n")], "[rego]\nfiles = [\"bad.rego\"]\n");
    let err = p.unwrap_err();
    assert!(err.contains("bad.rego:6:") || err.contains("bad.rego:7:"), "{err}");
    let (_d, p) = load(&[("d.json", "[1]")], "[rego]\nfiles = [\"d.json\"]\n");
    assert!(p.unwrap_err().contains("d.json"));
    let (_d, p) = load(&[("a.rego", "package main\n"), ("d.json", "[1, 2]")], "[rego]\nfiles = [\"a.rego\"]\ndata = [\"d.json\"]\n");
    assert!(p.unwrap_err().contains("d.json: a data document must be an object"));
    let (_d, p) = load(&[], "[rego]\nfiles = [\"missing.rego\"]\n");
    let err = p.unwrap_err();
    assert!(err.contains("policy.toml:2:10: `rego.files`:") && err.contains("missing.rego"), "{err}");
}

#[test]
fn a_runaway_policy_is_stopped_by_the_execution_limit() {
    // 10^10 iterations into a one-member set: constant memory, bounded by time only.
    let slow = "package main\n\nimport rego.v1\n\ndeny contains \"slow\" if {\n\tcount({1 | some i in numbers.range(1, 100000); some j in numbers.range(1, 100000)}) > 5\n}\n";
    let (_d, p) = load(&[("slow.rego", slow)], "[rego]\nfiles = [\"slow.rego\"]\n");
    let err = p.unwrap().evaluate(&image("a").build(), now()).unwrap_err().to_string();
    assert!(err.contains("slow.rego (data.main.deny)"), "{err}");
}

#[test]
fn policy_test_counts_passes_failures_and_errors() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        &[
            ("p.rego", "package main\n\nimport rego.v1\n\ndeny contains \"root\" if input.user == \"root\"\n"),
            ("p_test.rego", "package main\n\nimport rego.v1\n\ntest_root if { deny == {\"root\"} with input as {\"user\": \"root\"} }\n\ntest_wrong if { count(deny) == 1 with input as {\"user\": \"app\"} }\n\ntest_data if { data.limits.max == 3 }\n\ntest_undefined if { input.nothing }\n\ntest_error if { 1 / 0 == 1 }\n"),
            ("data/limits.yaml", "limits:\n  max: 3\n"),
        ],
    );
    let report = run_tests(dir.path()).unwrap();
    let got: Vec<(String, bool)> = report.results.iter().map(|r| (r.rule.clone(), r.outcome == TestOutcome::Pass)).collect();
    assert_eq!(got, [("data.main.test_data".into(), true), ("data.main.test_error".into(), false), ("data.main.test_root".into(), true), ("data.main.test_undefined".into(), false), ("data.main.test_wrong".into(), false)]);
    assert_eq!((report.passed(), report.failed()), (2, 3));
    assert!(run_tests(&dir.path().join("data")).is_err());
}

#[test]
fn the_example_policy_tests_pass() {
    let report = run_tests(&common::root().join("examples/policy")).unwrap();
    assert!(report.results.len() >= 12, "{report:#?}");
    assert_eq!(report.failed(), 0, "{report:#?}");
}
