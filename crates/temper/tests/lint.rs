//! `temper lint` end to end: finding files, stdin, the config, the
//! `.dockerignore` beside a Dockerfile, every output format (SARIF against
//! the official schema, the XML formats well formed) and the exit codes.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn temper(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_temper")).args(args).current_dir(dir).output().unwrap()
}

const OLD: &str = "FROM debian:12\nMAINTAINER Jane <jane@example.invalid>\nCMD [\"/bin/true\"]\n";

/// (file, rule, line, column) of the findings of `rule`.
fn findings(json: &Value, rule: &str) -> Vec<(String, String, u64, u64)> {
    json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == rule)
        .map(|f| (f["file"].as_str().unwrap().to_owned(), f["rule"].as_str().unwrap().to_owned(), f["line"].as_u64().unwrap(), f["column"].as_u64().unwrap()))
        .collect()
}

#[test]
fn directories_are_searched_and_the_threshold_decides_the_exit_code() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("svc/node_modules/x")).unwrap();
    std::fs::write(dir.path().join("Dockerfile"), OLD).unwrap();
    std::fs::write(dir.path().join("svc/app.Dockerfile"), OLD).unwrap();
    std::fs::write(dir.path().join("svc/Dockerfile.md"), "not a Dockerfile").unwrap();
    std::fs::write(dir.path().join("svc/node_modules/x/Dockerfile"), OLD).unwrap();
    let out = temper(dir.path(), &["lint", ".", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["files"], serde_json::json!(["./Dockerfile", "./svc/app.Dockerfile"]));
    assert_eq!(
        findings(&json, "maintainer-deprecated"),
        [("./Dockerfile".into(), "maintainer-deprecated".into(), 2, 1), ("./svc/app.Dockerfile".into(), "maintainer-deprecated".into(), 2, 1)]
    );
    assert!(json["findings"].as_array().unwrap().iter().all(|f| f["hint"].as_str().is_some_and(|h| !h.is_empty())));
    // MAINTAINER is an error: a threshold above errors passes.
    assert_eq!(temper(dir.path(), &["lint", "Dockerfile", "--failure-threshold", "none"]).status.code(), Some(0));
    let bad = temper(dir.path(), &["lint", "Dockerfile", "--failure-threshold", "fatal"]);
    assert_eq!(bad.status.code(), Some(2));
    assert_eq!(temper(dir.path(), &["lint", "missing/Dockerfile"]).status.code(), Some(2));
}

#[test]
fn stdin_and_inline_ignores() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_temper"))
        .args(["lint", "-", "--format", "json", "--failure-threshold", "none"])
        .current_dir(dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"FROM debian:12\n# hadolint ignore=DL4000\nMAINTAINER a\nMAINTAINER b\n").unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(findings(&json, "maintainer-deprecated"), [("-".into(), "maintainer-deprecated".into(), 4, 1)]);
}

#[test]
fn config_overrides_severity_and_ignores_by_either_id() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("Dockerfile"), OLD).unwrap();
    std::fs::write(dir.path().join(".temper.toml"), "[lint.severity]\nDL4000 = \"style\"\n").unwrap();
    let out = temper(dir.path(), &["lint", "Dockerfile", "--format", "json", "--failure-threshold", "info"]);
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    let f = json["findings"].as_array().unwrap().iter().find(|f| f["rule"] == "maintainer-deprecated").unwrap();
    assert_eq!(f["severity"], "style");
    std::fs::write(dir.path().join("other.toml"), "[lint]\nignore = [\"maintainer-deprecated\"]\n").unwrap();
    let out = temper(dir.path(), &["lint", "Dockerfile", "--format", "json", "--config", "other.toml"]);
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(findings(&json, "maintainer-deprecated").is_empty());
    // A rule name the registry lacks is a mistake, said with the file's name.
    std::fs::write(dir.path().join("other.toml"), "[lint]\nignore = [\"DL9999\"]\n").unwrap();
    let out = temper(dir.path(), &["lint", "Dockerfile", "--config", "other.toml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("other.toml"));
}

#[test]
fn a_file_that_does_not_parse_is_a_finding_with_its_position() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("Dockerfile"), "FROM debian:12\nRUNN echo hi\n").unwrap();
    std::fs::write(dir.path().join("Containerfile"), OLD).unwrap();
    let out = temper(dir.path(), &["lint", ".", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(findings(&json, "syntax-error"), [("./Dockerfile".into(), "syntax-error".into(), 2, 1)]);
    // The other file is still linted.
    assert_eq!(findings(&json, "maintainer-deprecated").len(), 1);
}

#[test]
fn tty_shows_the_line_with_the_span_underlined_and_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("Dockerfile"), OLD).unwrap();
    let out = temper(dir.path(), &["lint", "Dockerfile"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("error[maintainer-deprecated (DL4000)]: MAINTAINER is deprecated"), "{text}");
    assert!(text.contains("--> Dockerfile:2:1"), "{text}");
    assert!(text.contains("2 | MAINTAINER Jane <jane@example.invalid>\n  | ^^^^^^^^^^"), "{text}");
    assert!(text.contains("help: Use `LABEL org.opencontainers.image.authors"), "{text}");
}

#[test]
fn sarif_validates_and_names_hadolint_ids() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("Dockerfile"), OLD).unwrap();
    let out = temper(dir.path(), &["lint", "Dockerfile", "--format", "sarif"]);
    let log: Value = serde_json::from_slice(&out.stdout).unwrap();
    let schema: Value = serde_json::from_slice(&std::fs::read(root().join("crates/temper/tests/schemas/sarif-schema-2.1.0.json")).unwrap()).unwrap();
    let validator = jsonschema::options().should_validate_formats(true).build(&schema).unwrap();
    let errors: Vec<String> = validator.iter_errors(&log).map(|e| format!("{e} at {}", e.instance_path())).collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let run = &log["runs"][0];
    let result = run["results"].as_array().unwrap().iter().find(|r| r["ruleId"] == "maintainer-deprecated").unwrap();
    assert_eq!(result["properties"]["hadolint"], "DL4000");
    assert_eq!(result["locations"][0]["physicalLocation"]["region"], serde_json::json!({"startLine": 2, "startColumn": 1, "endLine": 2, "endColumn": 11}));
    let rule = &run["tool"]["driver"]["rules"][result["ruleIndex"].as_u64().unwrap() as usize];
    assert_eq!((rule["id"].as_str(), rule["properties"]["hadolint"].as_str()), (Some("maintainer-deprecated"), Some("DL4000")));
}

#[test]
fn checkstyle_and_junit_are_well_formed() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("Dockerfile"), "FROM debian:12\nMAINTAINER \"<Jane & co>\"\n").unwrap();
    let out = temper(dir.path(), &["lint", "Dockerfile", "--format", "checkstyle"]);
    let text = String::from_utf8(out.stdout).unwrap();
    let doc = roxmltree::Document::parse(&text).unwrap();
    let error = doc.descendants().find(|n| n.has_tag_name("error") && n.attribute("source") == Some("temper.maintainer-deprecated (DL4000)")).unwrap();
    assert_eq!((error.attribute("line"), error.attribute("severity")), (Some("2"), Some("error")));
    let out = temper(dir.path(), &["lint", "Dockerfile", "--format", "junit"]);
    let text = String::from_utf8(out.stdout).unwrap();
    let doc = roxmltree::Document::parse(&text).unwrap();
    let failures = doc.descendants().filter(|n| n.has_tag_name("failure")).count();
    assert_eq!(doc.root_element().attribute("failures"), Some(failures.to_string().as_str()));
    assert!(failures >= 1);
}

/// A Dockerfile that breaks several rules, linted to SARIF and compared
/// with the committed log byte for byte (run with `TEMPER_BLESS=1` to
/// rewrite it after changing a rule), which itself validates against the
/// official schema.
#[test]
fn golden_sarif() {
    let dir = tempfile::tempdir().unwrap();
    let dockerfile = "FROM node:latest\nMAINTAINER Jane\nRUN apt-get update && apt-get install curl | tee /tmp/log\nADD . /app\nWORKDIR app\nRUN npm install\nCMD node server.js\n";
    std::fs::write(dir.path().join("Dockerfile"), dockerfile).unwrap();
    std::fs::write(dir.path().join(".dockerignore"), ".git\n.env\nnode_modules\n").unwrap();
    let out = temper(dir.path(), &["lint", "Dockerfile", "--format", "sarif"]);
    assert_eq!(out.status.code(), Some(1));
    let golden = root().join("crates/temper/tests/golden/lint.sarif");
    if std::env::var_os("TEMPER_BLESS").is_some() {
        std::fs::write(&golden, &out.stdout).unwrap();
    }
    let want = std::fs::read_to_string(&golden).unwrap();
    assert!(String::from_utf8_lossy(&out.stdout) == want, "SARIF differs from {} (TEMPER_BLESS=1 rewrites it)", golden.display());
    let log: Value = serde_json::from_str(&want).unwrap();
    let schema: Value = serde_json::from_slice(&std::fs::read(root().join("crates/temper/tests/schemas/sarif-schema-2.1.0.json")).unwrap()).unwrap();
    let validator = jsonschema::options().should_validate_formats(true).build(&schema).unwrap();
    let errors: Vec<String> = validator.iter_errors(&log).map(|e| format!("{e} at {}", e.instance_path())).collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let ids: std::collections::BTreeSet<&str> = log["runs"][0]["results"].as_array().unwrap().iter().map(|r| r["ruleId"].as_str().unwrap()).collect();
    for id in ["from-latest", "maintainer-deprecated", "apt-get-yes", "apt-get-no-install-recommends", "pipefail-missing", "add-instead-of-copy", "workdir-relative", "cmd-shell-form"] {
        assert!(ids.contains(id), "{id} missing from {ids:?}");
    }
}

/// Issue 12, point 7: the terminal renderer hands the snippet renderer the
/// lines of each finding, not the whole file: 40k findings render in
/// seconds (they took 25 s in a release build when each finding re-read the
/// file). The watchdog is generous (debug build, loaded machine); it
/// catches quadratic rendering, not slowness.
#[test]
fn tty_renders_forty_thousand_findings_in_linear_time() {
    let dir = tempfile::tempdir().unwrap();
    let n = 40_000;
    std::fs::write(dir.path().join("Dockerfile"), format!("FROM alpine:3.20\n{}", "RUN a\n".repeat(n))).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_temper"))
        .args(["lint", "--format", "tty", "--failure-threshold", "none", "Dockerfile"])
        .current_dir(dir.path())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut stdout, &mut text).unwrap();
        text
    });
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while child.try_wait().unwrap().is_none() {
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("lint --format tty of {n} findings took over 120 s: quadratic?");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let text = reader.join().unwrap();
    assert_eq!(text.matches("[run-consecutive (DL3059)]").count(), n - 1);
    // Line numbers come from the line index, not from a count over the file.
    assert!(text.contains(&format!("--> Dockerfile:{}:1\n", n + 1)), "last finding's place");
    assert!(text.contains("--> Dockerfile:3:1\n  |\n3 | RUN a\n  | ^^^\n"), "second finding");
    assert!(text.contains(&format!("{} | RUN a\n", n + 1)), "last finding's line");
}
