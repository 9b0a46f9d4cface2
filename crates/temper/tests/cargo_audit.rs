//! The corpus's cargo-auditable binary (`rusty-app` in `go-rust-bins`):
//! temper's findings against the shared OSV records equal what
//! `cargo audit bin` reports from the RustSec files those records were
//! converted from (`tests/fixtures/rustsec`, same commit).
//!
//! cargo-audit is installed by `scripts/test.sh` (`TEMPER_CARGO_AUDIT`).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

fn corpus() -> PathBuf {
    let dir = std::env::var_os("TEMPER_CORPUS").map(PathBuf::from).unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").unwrap()).join(".cache/temper-corpus"));
    assert!(dir.join("oci/go-rust-bins/index.json").is_file(), "corpus not found at {} (run scripts/test.sh)", dir.display());
    dir
}

fn cargo_audit() -> PathBuf {
    let path = std::env::var_os("TEMPER_CARGO_AUDIT")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").unwrap()).join(".cache/temper-peers/cargo-audit/bin/cargo-audit"));
    assert!(path.is_file(), "cargo-audit not found at {} (run scripts/test.sh)", path.display());
    path
}

/// Extracts `member` from whichever gzip layer blob of the layout holds it.
fn extract(layout: &Path, member: &str, into: &Path) -> PathBuf {
    for blob in std::fs::read_dir(layout.join("blobs/sha256")).unwrap() {
        let blob = blob.unwrap().path();
        let ok = Command::new("tar").arg("-xzf").arg(&blob).arg("-C").arg(into).arg(member).stderr(std::process::Stdio::null()).status().unwrap().success();
        if ok {
            return into.join(member);
        }
    }
    panic!("{member} is in no layer of {}", layout.display());
}

#[test]
fn rust_binary_findings_equal_cargo_audit() {
    let corpus = corpus();
    let layout = corpus.join("oci/go-rust-bins");
    let tmp = tempfile::tempdir().unwrap();
    let binary = extract(&layout, "usr/local/bin/rusty-app", tmp.path());
    let db = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/rustsec");

    let out = Command::new(cargo_audit()).args(["audit", "--no-fetch", "--json", "--db"]).arg(&db).arg("bin").arg(&binary).output().unwrap();
    // Exit 1 means "vulnerabilities found"; anything else is a failure to run.
    assert!(matches!(out.status.code(), Some(0 | 1)), "cargo audit: {}", String::from_utf8_lossy(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["lockfile"]["dependency-count"], 12, "cargo audit read {}", report["lockfile"]);
    let mut audit: BTreeSet<(String, String, String)> = BTreeSet::new();
    let mut record = |v: &serde_json::Value| {
        audit.insert((v["advisory"]["id"].as_str().unwrap().to_owned(), v["package"]["name"].as_str().unwrap().to_owned(), v["package"]["version"].as_str().unwrap().to_owned()));
    };
    report["vulnerabilities"]["list"].as_array().unwrap().iter().for_each(&mut record);
    for warnings in report["warnings"].as_object().unwrap().values() {
        warnings.as_array().unwrap().iter().filter(|w| w["advisory"].is_object()).for_each(&mut record);
    }

    let shared = std::env::var_os("TEMPER_SHARED").map(PathBuf::from).unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared"));
    let cache = tmp.path().join("cache");
    let out = Command::new(env!("CARGO_BIN_EXE_temper"))
        .arg("scan")
        .arg(format!("oci:{}", layout.display()))
        .arg("--advisories")
        .arg(shared.join("advisories/osv/crates.io"))
        // Only the Rust advisories: the image's Debian packages are not the point here.
        .args(["--format", "json", "--allow-partial-db"])
        .env("TEMPER_CACHE_DIR", &cache)
        .env_remove("TEMPER_DB")
        .output()
        .unwrap();
    assert!(out.status.success(), "temper scan: {}", String::from_utf8_lossy(&out.stderr));
    let scan: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut temper: BTreeSet<(String, String, String)> = BTreeSet::new();
    for f in scan["findings"].as_array().unwrap() {
        if f["ecosystem"] != "cargo" && f["ecosystem"] != "crates.io" {
            continue;
        }
        assert!(f["paths"].as_array().unwrap().iter().any(|p| p == "usr/local/bin/rusty-app"), "{f}");
        // The RustSec id, whether it leads the merged finding or is one of its records.
        let ids: Vec<&str> = std::iter::once(&f["id"]).chain(f["records"].as_array().unwrap()).chain(f["aliases"].as_array().unwrap()).filter_map(|v| v.as_str()).collect();
        let rustsec = ids.iter().find(|i| i.starts_with("RUSTSEC-")).unwrap_or_else(|| panic!("no RustSec id in {f}"));
        temper.insert(((*rustsec).to_owned(), f["package"].as_str().unwrap().to_owned(), f["version"].as_str().unwrap().to_owned()));
    }
    assert_eq!(audit.len(), 4, "{audit:?}");
    assert_eq!(temper, audit);
}
