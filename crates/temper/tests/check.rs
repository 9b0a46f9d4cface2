//! `temper check` end to end: the corpus images against what the corpus
//! README plants in them, images built here for what the corpus lacks (a
//! secret deleted by a later layer), the output formats and the exit codes.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

#[path = "../../temper-layer/tests/support/mod.rs"]
mod support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;
use support::{Comp, ImageSpec, OciLayout, file, layer, src, whiteout};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn corpus() -> PathBuf {
    let dir = std::env::var_os("TEMPER_CORPUS").map(PathBuf::from).unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").unwrap()).join(".cache/temper-corpus"));
    assert!(dir.join("oci/secrets-and-root/index.json").is_file(), "corpus not found at {} (run scripts/test.sh)", dir.display());
    dir
}

fn temper(args: &[&str], cache: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_temper")).args(args).env("TEMPER_CACHE_DIR", cache).env_remove("TEMPER_CONFIG").env("XDG_CONFIG_HOME", cache).output().unwrap()
}

/// `temper check IMAGE --format json` plus `extra`: the report and the exit code.
fn check(image: &str, extra: &[&str]) -> (Value, Option<i32>) {
    let cache = tempfile::tempdir().unwrap();
    let mut args = vec!["check", image, "--format", "json"];
    args.extend_from_slice(extra);
    let out = temper(&args, cache.path());
    assert!(matches!(out.status.code(), Some(0 | 1)), "{}", String::from_utf8_lossy(&out.stderr));
    (serde_json::from_slice(&out.stdout).unwrap(), out.status.code())
}

fn corpus_image(name: &str) -> String {
    format!("oci:{}", corpus().join("oci").join(name).display())
}

fn status<'a>(report: &'a Value, id: &str) -> (&'a str, &'a str) {
    let c = report["checks"].as_array().unwrap().iter().find(|c| c["id"] == id).unwrap_or_else(|| panic!("no check {id}"));
    (c["status"].as_str().unwrap(), c["severity"].as_str().unwrap())
}

fn details(report: &Value, id: &str) -> Vec<String> {
    let c = report["checks"].as_array().unwrap().iter().find(|c| c["id"] == id).unwrap();
    c["details"].as_array().unwrap().iter().map(|d| d.as_str().unwrap().to_owned()).collect()
}

/// (rule, path) of every secret.
fn secrets(report: &Value) -> BTreeSet<(String, String)> {
    report["secrets"].as_array().unwrap().iter().map(|s| (s["rule"].as_str().unwrap().to_owned(), s["path"].as_str().unwrap().to_owned())).collect()
}

#[test]
fn secrets_and_root_fails_on_everything_planted() {
    let (r, code) = check(&corpus_image("secrets-and-root"), &[]);
    assert_eq!(code, Some(1));
    assert_eq!(r["passed"], false);
    assert_eq!(status(&r, "runs-as-root"), ("fail", "high"));
    let setuid = details(&r, "setuid");
    assert_eq!(setuid.len(), 12, "{setuid:#?}");
    assert!(setuid.iter().any(|d| d.starts_with("/usr/local/bin/backup-find: setuid, mode 4755")), "{setuid:#?}");
    assert_eq!(details(&r, "world-writable"), ["/srv/uploads: directory without the sticky bit, mode 0777"]);
    assert_eq!(status(&r, "shell").0, "fail");
    assert_eq!(status(&r, "package-manager").0, "fail");
    // Nothing of a planted secret's value reaches the output.
    let text = r.to_string();
    for planted in [concat!("AKIAZ7QLAB", "FAKE2X4K9M"), concat!("p618HE2Oz3WjT1LR", "gqGqNjVHf0A7g8HNAlIrFAKE"), concat!("ghp_oO2Mvz8dAOsjOsgq", "uBXbenoyMAERIm7uFAKE"), concat!("sk_live_FAKEf3B7Zo", "IQpYrQWYNy1AF0Y1yljevS"), concat!("Sup3rS3cret", "-FAKE-2024")] {
        assert!(!text.contains(planted), "{planted} leaked");
        assert!(!text.contains(&planted[4..]), "the tail of {planted} leaked");
    }
}

#[test]
fn distroless_like_passes_the_distroless_profile() {
    let (r, code) = check(&corpus_image("distroless-like"), &["--profile", "distroless"]);
    assert_eq!(code, Some(0), "{r:#}");
    for id in ["runs-as-root", "shell", "package-manager", "setuid", "world-writable"] {
        assert_eq!(status(&r, id).0, "pass", "{id}");
    }
    assert!(secrets(&r).is_empty());
    // The same bar fails a stock Debian image, on shells and package managers at high.
    let (r, code) = check(&corpus_image("debian-minbase"), &["--profile", "distroless"]);
    assert_eq!(code, Some(1));
    assert_eq!(status(&r, "shell"), ("fail", "high"));
    assert_eq!(status(&r, "package-manager"), ("fail", "high"));
}

#[test]
fn fail_on_sets_the_exit_code() {
    let image = corpus_image("distroless-like");
    // distroless-like fails only low checks (labels, healthcheck) and the medium eol-os.
    assert_eq!(check(&image, &["--fail-on", "high"]).1, Some(0));
    assert_eq!(check(&image, &["--fail-on", "low"]).1, Some(1));
    assert_eq!(check(&image, &["--fail-on", "none"]).1, Some(0));
    let cache = tempfile::tempdir().unwrap();
    let out = temper(&["check", &image, "--fail-on", "severe"], cache.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--fail-on"));
}

#[test]
fn table_shows_the_summary_before_the_details() {
    let cache = tempfile::tempdir().unwrap();
    let out = temper(&["check", &corpus_image("secrets-and-root")], cache.path());
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    let summary = text.find("FAIL   high     runs-as-root").unwrap_or_else(|| panic!("{text}"));
    let detail = text.find("/usr/local/bin/backup-find").unwrap();
    assert!(summary < detail);
    assert!(String::from_utf8_lossy(&out.stderr).contains("at or above --fail-on high"));
}

#[test]
fn sarif_output_validates_against_the_official_schema() {
    let cache = tempfile::tempdir().unwrap();
    let out = temper(&["check", &corpus_image("secrets-and-root"), "--format", "sarif"], cache.path());
    assert_eq!(out.status.code(), Some(1));
    let log: Value = serde_json::from_slice(&out.stdout).unwrap();
    let schema: Value = serde_json::from_slice(&std::fs::read(root().join("crates/temper/tests/schemas/sarif-schema-2.1.0.json")).unwrap()).unwrap();
    let validator = jsonschema::options().should_validate_formats(true).build(&schema).unwrap();
    let errors: Vec<String> = validator.iter_errors(&log).map(|e| format!("{e} at {}", e.instance_path())).collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let results = log["runs"][0]["results"].as_array().unwrap();
    assert!(results.iter().any(|r| r["ruleId"] == "runs-as-root" && r["level"] == "error"));
    // Each result at the image (GitHub code scanning rejects a result without a location), the path in the message.
    let image = corpus_image("secrets-and-root");
    assert!(results.iter().all(|r| r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == image.as_str()), "{results:#?}");
    assert!(results.iter().any(|r| r["ruleId"] == "private-key" && r["message"]["text"].as_str().unwrap().contains("/root/.ssh/id_rsa:")));
}

#[test]
fn secrets_are_exactly_the_planted_ones() {
    let (r, _) = check(&corpus_image("secrets-and-root"), &[]);
    let want: BTreeSet<(String, String)> = [
        ("aws-access-key-id", "root/.aws/credentials"),
        ("aws-secret-access-key", "root/.aws/credentials"),
        ("private-key", "root/.ssh/id_rsa"),
        ("github-pat", "app/.env"),
        ("stripe-secret-key", "app/.env"),
        ("url-credentials", "app/.env"),
        ("secret-like-env-name", "config.Env"),
        ("github-pat", "history[4].created_by"),
        ("secret-like-env-name", "history[5].created_by"),
    ]
    .into_iter()
    .map(|(a, b)| (a.to_owned(), b.to_owned()))
    .collect();
    assert_eq!(secrets(&r), want);
    let files: Vec<&Value> = r["secrets"].as_array().unwrap().iter().filter(|s| !s["layer"].is_null()).collect();
    assert!(files.iter().all(|s| s["layer"] == 1 && s["visible"] == true), "{files:#?}");
    // No false positives on the stock OS, nor on the language ecosystems' trees.
    for image in ["debian-minbase", "node-app", "python-app", "go-rust-bins", "big-node", "debian-outdated"] {
        let (r, _) = check(&corpus_image(image), &[]);
        assert!(secrets(&r).is_empty(), "{image}: {:#}", r["secrets"]);
    }
}

#[test]
fn a_secret_deleted_by_a_later_layer_is_still_reported() {
    let dir = tempfile::tempdir().unwrap();
    let layout = dir.path().join("oci");
    let token = concat!("ghp_", "Zq8Xk2Lm9Np4Rt7Vw1Yb3Cd6Fg0Hj5Ks8Qe2");
    let spec = ImageSpec::new(vec![
        layer(&[file("etc/passwd", "root:x:0:0:root:/root:/bin/sh\napp:x:10001:10001::/app:/bin/sh\n"), file("app/deploy.env", format!("GITHUB_TOKEN={token}\n"))], Comp::Gzip),
        layer(&[whiteout("app/deploy.env"), file("app/run.sh", "#!/bin/sh\nexec /app/server\n")], Comp::Gzip),
    ]);
    OciLayout::single(&layout, &spec, "t");
    let image = src("oci", &layout, Some("t"));
    let (r, code) = check(&image, &[]);
    assert_eq!(code, Some(1), "a high secret fails the default --fail-on high");
    let s = &r["secrets"][0];
    assert_eq!((s["rule"].as_str(), s["layer"].as_u64(), s["path"].as_str(), s["line"].as_u64(), s["visible"].as_bool()), (Some("github-pat"), Some(0), Some("app/deploy.env"), Some(1), Some(false)));
    assert!(!r.to_string().contains(&token[8..]), "the token leaked");

    // An allow-list entry in the config file hides it, by rule and path.
    let config = dir.path().join("config.toml");
    std::fs::write(&config, "[[secrets.allow]]\nrule = \"github-pat\"\npath = \"/app/*.env\"\n").unwrap();
    let (r, _) = check(&image, &["--config", config.to_str().unwrap()]);
    assert!(secrets(&r).is_empty(), "{:#}", r["secrets"]);
    // A broken allow-list is an error, not silently ignored.
    std::fs::write(&config, "[[secrets.allow]]\nreason = \"none\"\n").unwrap();
    let cache = tempfile::tempdir().unwrap();
    let out = temper(&["check", &image, "--config", config.to_str().unwrap()], cache.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("config.toml"), "{}", String::from_utf8_lossy(&out.stderr));
}
