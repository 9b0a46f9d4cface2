//! Issue 13: exit codes with one meaning in every command, SARIF that code
//! scanning accepts, and errors that say what is wrong and what to do. One
//! test per item, named for it.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

#[path = "../../temper-layer/tests/support/mod.rs"]
mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;
use support::{Comp, ImageSpec, OciLayout, file, layer, src};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The binary run in `dir` with no config, cache or database of the user's.
fn temper_in(dir: &Path, args: &[&str]) -> Output {
    let home = tempfile::tempdir().unwrap();
    Command::new(env!("CARGO_BIN_EXE_temper"))
        .args(args)
        .current_dir(dir)
        .env_remove("TEMPER_CONFIG")
        .env_remove("TEMPER_DB")
        .env("XDG_CONFIG_HOME", home.path())
        .env("XDG_DATA_HOME", home.path())
        .env("TEMPER_CACHE_DIR", home.path())
        .output()
        .unwrap()
}

fn temper(args: &[&str]) -> Output {
    temper_in(&root(), args)
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A one-line error, exit 2.
fn error_line(o: &Output) -> String {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.starts_with("temper: error: "), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    err
}

const SCAN_DEMO: [&str; 5] = ["scan", "examples/demo-app", "--advisories", "examples/advisories", "--no-cache"];

/// The example's advisories plus one record that gives expat a medium CVSS
/// vector (5.3), so that severity thresholds have something to cut.
fn advisories_with_a_medium() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for e in std::fs::read_dir(root().join("examples/advisories")).unwrap() {
        let path = e.unwrap().path();
        if path.extension().is_some_and(|x| x == "json") {
            std::fs::copy(&path, dir.path().join(path.file_name().unwrap())).unwrap();
        }
    }
    let record = serde_json::json!({
        "schema_version": "1.6.0", "id": "TEMPER-TEST-MEDIUM", "modified": "2026-01-01T00:00:00Z", "aliases": ["CVE-2099-0001"],
        "summary": "A medium one",
        "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:L"}],
        "affected": [{"package": {"ecosystem": "Debian:12", "name": "expat"}, "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2.5.0-1+deb12u9"}]}]}],
    });
    std::fs::write(dir.path().join("TEMPER-TEST-MEDIUM.json"), record.to_string()).unwrap();
    dir
}

fn scan_with(advisories: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["scan", "examples/demo-app", "--advisories", advisories.to_str().unwrap(), "--no-cache", "--format", "json"];
    args.extend_from_slice(extra);
    temper(&args)
}

#[test]
fn fail_on_none_never_fails() {
    // Every finding of the example is UNKNOWN: `none` read as the lowest
    // severity failed on all 27 of them.
    let mut args = SCAN_DEMO.to_vec();
    args.extend(["--fail-on", "none"]);
    let out = temper(&args);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(out.stderr.is_empty(), "{}", stderr(&out));
    args.extend(["--exit-code", "5"]);
    assert_eq!(temper(&args).status.code(), Some(0), "--fail-on none wins over --exit-code");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("Dockerfile"), "FROM debian:12\nMAINTAINER Jane\n").unwrap();
    let lint = temper_in(dir.path(), &["lint", "Dockerfile", "--failure-threshold", "none", "--exit-code", "3"]);
    assert_eq!(lint.status.code(), Some(0));
    // The real thing still fails.
    let mut args = SCAN_DEMO.to_vec();
    args.extend(["--fail-on", "unknown"]);
    assert_eq!(temper(&args).status.code(), Some(1));
}

#[test]
fn exit_code_is_the_code_whenever_a_threshold_fails() {
    let advisories = advisories_with_a_medium();
    let out = scan_with(advisories.path(), &["--fail-on", "medium", "--exit-code", "5"]);
    assert_eq!(out.status.code(), Some(5), "{}", stderr(&out));
    assert_eq!(stderr(&out), "temper: threshold failed: 1 finding(s) at or above --fail-on medium\n");
    assert_eq!(scan_with(advisories.path(), &["--fail-on", "medium"]).status.code(), Some(1));
    assert_eq!(scan_with(advisories.path(), &["--fail-on", "high", "--exit-code", "5"]).status.code(), Some(0));

    let layers = temper(&["layers", "--max-size", "1MB", "--exit-code", "7", "examples/demo-app"]);
    assert_eq!(layers.status.code(), Some(7));
    assert!(stderr(&layers).starts_with("temper: threshold failed: image size"), "{}", stderr(&layers));

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("Dockerfile"), "FROM debian:12\nMAINTAINER Jane\n").unwrap();
    let lint = temper_in(dir.path(), &["lint", "Dockerfile", "--exit-code", "3"]);
    assert_eq!(lint.status.code(), Some(3));
    assert!(stderr(&lint).starts_with("temper: threshold failed: "), "{}", stderr(&lint));
    // An error is still 2, whatever --exit-code says.
    assert_eq!(temper(&["layers", "--exit-code", "7", "./no/such/image"]).status.code(), Some(2));
}

#[test]
fn exit_code_failures_print_a_reason() {
    let mut args = SCAN_DEMO.to_vec();
    args.extend(["--exit-code", "5"]);
    let out = temper(&args);
    assert_eq!(out.status.code(), Some(5));
    assert_eq!(stderr(&out), "temper: threshold failed: 27 finding(s) reported, and --exit-code 5 fails on any\n");
}

#[test]
fn layers_reports_every_failed_threshold() {
    let out = temper(&["layers", "--min-efficiency", "99%", "--max-wasted", "100KB", "--max-size", "1MB", "examples/demo-app"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 3, "{err}");
    assert!(lines.iter().all(|l| l.starts_with("temper: threshold failed: ")), "{err}");
    assert!(lines[0].contains("efficiency 92.33%") && lines[1].contains("wasted bytes 524288") && lines[2].contains("image size"), "{err}");
}

#[test]
fn passing_threshold_renders_readably() {
    let out = temper(&["layers", "--min-efficiency", "0.5", "--max-wasted", "90%", "--max-size", "1GB", "examples/demo-app"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    let thresholds = text.split_once("\nThresholds\n").unwrap().1;
    assert_eq!(
        thresholds,
        "  PASS  efficiency 92.33% meets the minimum 50.00%\n  PASS  wasted bytes are 85.11% of the bytes above the base layer, within the maximum 90%\n  PASS  image size 3440640 bytes (uncompressed) within the maximum 1000000000\n"
    );
}

/// Every result of a SARIF log has a location that names an artifact, and
/// the log validates against the SARIF 2.1.0 schema.
fn assert_code_scanning_accepts(log: &Value) {
    let schema: Value = serde_json::from_slice(&std::fs::read(root().join("crates/temper/tests/schemas/sarif-schema-2.1.0.json")).unwrap()).unwrap();
    let validator = jsonschema::options().should_validate_formats(true).build(&schema).unwrap();
    let errors: Vec<String> = validator.iter_errors(log).map(|e| format!("{e} at {}", e.instance_path())).collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let results = log["runs"][0]["results"].as_array().unwrap();
    assert!(!results.is_empty());
    for r in results {
        let locations = r["locations"].as_array().unwrap();
        assert!(!locations.is_empty(), "{r:#}");
        for l in locations {
            assert!(l["physicalLocation"]["artifactLocation"]["uri"].as_str().is_some_and(|u| !u.is_empty()) || l["logicalLocations"].is_array(), "{r:#}");
        }
    }
}

#[test]
fn check_sarif_results_all_have_locations() {
    let dir = tempfile::tempdir().unwrap();
    let layout = dir.path().join("oci");
    let token = concat!("ghp_", "Zq8Xk2Lm9Np4Rt7Vw1Yb3Cd6Fg0Hj5Ks8Qe2");
    let spec = ImageSpec::new(vec![
        layer(&[file("etc/passwd", "root:x:0:0:root:/root:/bin/sh\n"), file("bin/sh", "#!")], Comp::Gzip),
        layer(&[file("app/deploy.env", format!("GITHUB_TOKEN={token}\n"))], Comp::Gzip),
    ]);
    OciLayout::single(&layout, &spec, "t");
    let image = src("oci", &layout, Some("t"));

    // Without a Dockerfile: the image reference, the layer and path in the message.
    let out = temper_in(dir.path(), &["check", &image, "--format", "sarif"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let log: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_code_scanning_accepts(&log);
    let results = log["runs"][0]["results"].as_array().unwrap();
    assert!(results.iter().any(|r| r["ruleId"] == "runs-as-root"));
    for r in results {
        assert_eq!(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"], image.as_str(), "{r:#}");
    }
    let secret = results.iter().find(|r| r["ruleId"] == "github-pat").unwrap();
    assert!(secret["message"]["text"].as_str().unwrap().contains("/app/deploy.env:1 in layer 1"), "{secret:#}");

    // With the Dockerfile it was built from: its lines, relative to the working directory.
    std::fs::write(dir.path().join("Dockerfile"), "FROM debian:12 AS base\nRUN echo base\nFROM base\nRUN echo hi\nCOPY deploy.env /app/deploy.env\nUSER root\n").unwrap();
    let out = temper_in(dir.path(), &["check", &image, "--format", "sarif", "--dockerfile", "Dockerfile"]);
    let log: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_code_scanning_accepts(&log);
    let results = log["runs"][0]["results"].as_array().unwrap();
    let line = |rule: &str| {
        let r = results.iter().find(|r| r["ruleId"] == rule).unwrap_or_else(|| panic!("no {rule}"));
        assert_eq!(r["locations"][0]["physicalLocation"]["artifactLocation"], serde_json::json!({"uri": "Dockerfile", "uriBaseId": "%SRCROOT%"}));
        r["locations"][0]["physicalLocation"]["region"]["startLine"].as_u64().unwrap()
    };
    assert_eq!(line("runs-as-root"), 6, "the USER line");
    assert_eq!(line("github-pat"), 5, "the COPY that made layer 1");
    assert_eq!(line("healthcheck"), 3, "no HEALTHCHECK: the final stage's FROM");
    // A Dockerfile that does not parse fails before the image is read.
    std::fs::write(dir.path().join("Broken"), "FROM debian:12\nRUN <<EOF\n").unwrap();
    let err = error_line(&temper_in(dir.path(), &["check", &image, "--format", "sarif", "--dockerfile", "Broken"]));
    assert!(err.contains("--dockerfile Broken:"), "{err}");
}

#[test]
fn lint_sarif_uris_are_relative_and_messages_punctuated() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("svc/my app")).unwrap();
    let dockerfile = dir.path().join("svc/my app/Dockerfile");
    std::fs::write(&dockerfile, "FROM debian:12\nMAINTAINER Jane\n").unwrap();
    for given in [dockerfile.to_str().unwrap(), "./svc/my app/Dockerfile", "svc/../svc/my app/Dockerfile"] {
        let out = temper_in(dir.path(), &["lint", given, "--format", "sarif"]);
        let log: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_code_scanning_accepts(&log);
        for r in log["runs"][0]["results"].as_array().unwrap() {
            assert_eq!(r["locations"][0]["physicalLocation"]["artifactLocation"], serde_json::json!({"uri": "svc/my%20app/Dockerfile", "uriBaseId": "%SRCROOT%"}), "{given}");
        }
    }
    // The message and the fix are two sentences.
    let json: Value = serde_json::from_slice(&temper_in(dir.path(), &["lint", "svc", "--format", "json"]).stdout).unwrap();
    let log: Value = serde_json::from_slice(&temper_in(dir.path(), &["lint", "svc", "--format", "sarif"]).stdout).unwrap();
    let finding = json["findings"].as_array().unwrap().iter().find(|f| f["rule"] == "maintainer-deprecated").unwrap();
    let result = log["runs"][0]["results"].as_array().unwrap().iter().find(|r| r["ruleId"] == "maintainer-deprecated").unwrap();
    let (message, hint) = (finding["message"].as_str().unwrap(), finding["hint"].as_str().unwrap());
    assert!(!message.ends_with('.'), "the test needs a message without a full stop: {message}");
    assert_eq!(result["message"]["text"], format!("{message}. {hint}"));
    // Outside the working directory: an absolute file URI.
    let elsewhere = tempfile::tempdir().unwrap();
    let log: Value = serde_json::from_slice(&temper_in(elsewhere.path(), &["lint", dockerfile.to_str().unwrap(), "--format", "sarif"]).stdout).unwrap();
    let uri = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].as_str().unwrap();
    assert!(uri.starts_with("file:///") && uri.ends_with("/svc/my%20app/Dockerfile"), "{uri}");
}

#[test]
fn errors_escape_raw_bytes() {
    let dir = tempfile::tempdir().unwrap();
    // Bytes that a tar parser would quote back: ESC, BEL, CR, non-UTF-8.
    let junk: Vec<u8> = (0..8192u32).map(|i| [0x1b, 0x07, 0x0d, 0xff, 0xfe, b'A', 0x9b, 0x00][(i % 8) as usize]).collect();
    let name = "evil\x1b]0;pwned\x07\u{202e}.bin";
    std::fs::write(dir.path().join(name), &junk).unwrap();
    let path = dir.path().join(name);
    let out = Command::new(env!("CARGO_BIN_EXE_temper")).arg("inspect").arg(&path).output().unwrap();
    let err = String::from_utf8(out.stderr.clone()).expect("UTF-8 on stderr");
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    let body = err.strip_suffix('\n').unwrap();
    assert!(!body.chars().any(|c| c.is_control()), "raw control characters: {body:?}");
    assert!(body.contains("evil\\x1b]0;pwned\\x07\\u{202e}.bin"), "{body}");
    assert!(body.contains("not a tar archive"), "{body}");
    assert!(!body.contains('\u{fffd}'), "the header's bytes are quoted back: {body}");
    assert!(body.chars().count() <= 1001, "{} characters", body.chars().count());
}

#[test]
fn missing_path_says_no_such_file() {
    let err = error_line(&temper(&["inspect", "/nonexistent/path"]));
    assert!(err.contains("/nonexistent/path: no such file or directory"), "{err}");
    assert!(err.contains("docker-archive:PATH") && err.contains("oci:DIR") && err.contains("dir:PATH"), "{err}");
    assert!(!err.contains("entity not found"), "{err}");
}

#[test]
fn non_image_directory_needs_the_dir_prefix() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("README.txt"), "notes").unwrap();
    let path = dir.path().to_str().unwrap();
    let err = error_line(&temper(&["layers", path]));
    assert!(err.contains("neither an OCI layout") && err.contains(&format!("dir:{path}")), "{err}");
    let out = temper(&["layers", "--format", "json", &format!("dir:{path}")]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // A directory that looks like a root filesystem needs no prefix.
    std::fs::create_dir(dir.path().join("etc")).unwrap();
    assert_eq!(temper(&["layers", path]).status.code(), Some(0));
}

#[test]
fn db_that_is_not_sqlite_is_named_once() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("random.bin");
    std::fs::write(&db, b"\x00\x01definitely not sqlite".repeat(300)).unwrap();
    for args in [vec!["scan", "--db", db.to_str().unwrap(), "examples/demo-app"], vec!["db", "import", "--db", db.to_str().unwrap(), "examples/advisories"]] {
        let err = error_line(&temper(&args));
        assert!(err.contains("random.bin: not an advisory database"), "{err}");
        assert_eq!(err.matches("not a database").count() + err.matches("not an advisory database").count(), 1, "{err}");
        assert!(err.contains("temper db update") && err.contains("temper db import"), "{err}");
    }
}

#[test]
fn output_into_a_missing_directory_names_target_and_directory() {
    let err = error_line(&temper(&["sbom", "--no-cache", "-o", "/nonexistent/dir/x.json", "examples/demo-app"]));
    assert!(err.contains("/nonexistent/dir/x.json") && err.contains("the directory /nonexistent/dir does not exist"), "{err}");
    assert!(!err.contains("temper-tmp"), "{err}");
}

#[test]
fn config_type_error_names_file_line_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("bad.toml");
    std::fs::write(&config, "[db]\nmax_age_days = \"ten\"\n").unwrap();
    let err = error_line(&temper(&["scan", "--config", config.to_str().unwrap(), "--db", "/nonexistent/x.db", "examples/demo-app"]));
    assert!(err.contains("bad.toml:2:16: `db.max_age_days`: invalid type: string \"ten\", expected u32"), "{err}");
    std::fs::write(&config, "# allow-list\n[[secrets.allow]]\nrule = 5\n").unwrap();
    let err = error_line(&temper(&["check", "--config", config.to_str().unwrap(), "examples/demo-app"]));
    assert!(err.contains("bad.toml:3:8: `secrets.allow[0].rule`: invalid type: integer"), "{err}");
    // A syntax error has its place too.
    std::fs::write(&config, "[db\n").unwrap();
    let err = error_line(&temper(&["scan", "--config", config.to_str().unwrap(), "--db", "/nonexistent/x.db", "examples/demo-app"]));
    assert!(err.contains("bad.toml:1:"), "{err}");
}

#[test]
fn temperignore_bad_lines_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let ignore = dir.path().join(".temperignore");
    let run = |text: &str| {
        std::fs::write(&ignore, text).unwrap();
        let mut args = SCAN_DEMO.to_vec();
        args.extend(["--format", "json", "--ignore-file", ignore.to_str().unwrap()]);
        temper(&args)
    };
    for (text, line, why) in [
        ("CVE-2026-72522 fixed upstream\nignore the expat ones\n", "line 2", "\"ignore\" is not a vulnerability id"),
        ("# ours\nCVE-2026-72522 CVE-2026-76957\n", "line 2", "a second id \"CVE-2026-76957\""),
        ("CVE-2026-72522 exp:2026-02-30\n", "line 1", "expiry \"2026-02-30\" is not a date"),
        ("CVE-2026-72522 expires:2099-01-01\n", "line 1", "\"expires:2099-01-01\" is not an expiry"),
    ] {
        let err = error_line(&run(text));
        assert!(err.contains(&format!(".temperignore: {line}: {why}")), "{text:?}: {err}");
    }
    // Good lines still suppress.
    let out = run("CVE-2026-72522 exp:2099-12-31 fixed upstream  # comment\n\n# only a comment\nCVE-2026-76957\n");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["suppressed"].as_array().unwrap().len(), 2, "{:#}", v["suppressed"]);
}

#[test]
fn missing_db_mentions_update_and_import() {
    let err = error_line(&temper(&["scan", "--db", "/nonexistent/advisories.db", "examples/demo-app"]));
    assert!(err.contains("/nonexistent/advisories.db: no advisory database") && err.contains("`temper db update`") && err.contains("`temper db import PATH…`"), "{err}");
}
