//! `scan --dependency-tree` and the dependency edges behind it, on the
//! real corpus (`$TEMPER_CORPUS`, default `~/.cache/temper-corpus`, built by
//! `scripts/test.sh`) and the shared OSV records (`$TEMPER_SHARED`).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

fn corpus() -> PathBuf {
    let dir = std::env::var_os("TEMPER_CORPUS").map(PathBuf::from).unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").unwrap()).join(".cache/temper-corpus"));
    assert!(dir.join("oci").is_dir(), "corpus not found at {} (run scripts/test.sh)", dir.display());
    dir
}

fn shared() -> PathBuf {
    std::env::var_os("TEMPER_SHARED").map(PathBuf::from).unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared"))
}

fn layout(image: &str) -> String {
    format!("oci:{}", corpus().join("oci").join(image).display())
}

/// stdout of a successful run.
fn ok(args: &[&str]) -> String {
    let cache = std::env::temp_dir().join(format!("temper-deptree-test-cache-{}", std::process::id()));
    let out = Command::new(env!("CARGO_BIN_EXE_temper")).args(args).env("TEMPER_CACHE_DIR", cache).env_remove("TEMPER_DB").output().unwrap();
    assert!(out.status.success(), "temper {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// The scan table with the tree, against one ecosystem's OSV records.
fn tree(image: &str, osv: &str) -> String {
    let advisories = shared().join("advisories/osv").join(osv);
    ok(&["scan", &layout(image), "--advisories", advisories.to_str().unwrap(), "--allow-partial-db", "--color", "never", "--dependency-tree"])
}

/// Each CycloneDX component's name, its `dependsOn` names.
fn cyclonedx_edges(image: &str) -> BTreeMap<String, Vec<String>> {
    let bom: Value = serde_json::from_str(&ok(&["sbom", &layout(image), "--format", "cyclonedx"])).unwrap();
    let names: BTreeMap<&str, &str> = bom["components"].as_array().unwrap().iter().filter_map(|c| Some((c["bom-ref"].as_str()?, c["name"].as_str()?))).collect();
    bom["dependencies"].as_array().unwrap().iter().filter_map(|d| Some((names.get(d["ref"].as_str()?)?.to_string(), d["dependsOn"].as_array()?.iter().filter_map(|r| names.get(r.as_str()?).map(|n| n.to_string())).collect()))).collect()
}

/// `(name, name)` of each SPDX `DEPENDS_ON`.
fn spdx_edges(image: &str) -> Vec<(String, String)> {
    let doc: Value = serde_json::from_str(&ok(&["sbom", &layout(image), "--format", "spdx"])).unwrap();
    let names: BTreeMap<&str, &str> = doc["packages"].as_array().unwrap().iter().filter_map(|p| Some((p["SPDXID"].as_str()?, p["name"].as_str()?))).collect();
    doc["relationships"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["relationshipType"] == "DEPENDS_ON")
        .map(|r| (names[r["spdxElementId"].as_str().unwrap()].to_owned(), names[r["relatedSpdxElement"].as_str().unwrap()].to_owned()))
        .collect()
}

#[test]
fn dependency_tree_shows_why_a_vulnerable_npm_package_is_there() {
    let text = tree("node-app", "npm");
    let tree = &text[text.find("Dependency origin of vulnerable packages").expect("a tree after the table")..];
    // qs comes with express (body-parser needs it too, one step further).
    assert!(tree.contains("\nqs@6.5.1  HIGH  CVE-2022-24999\n  qs@6.5.1 ← express@4.16.0 ← lab-node-app@1.4.2 ← /app/package.json\n"), "{tree}");
    assert!(tree.contains("\n  minimist@1.2.0 ← lab-node-app@1.4.2 ← /app/package.json\n"), "{tree}");
    let advisories = shared().join("advisories/osv/npm");
    let plain = ok(&["scan", &layout("node-app"), "--advisories", advisories.to_str().unwrap(), "--allow-partial-db", "--color", "never"]);
    assert!(!plain.contains("Dependency origin"), "only with --dependency-tree");
}

#[test]
fn dependency_tree_follows_go_modules_to_their_binary() {
    let text = tree("go-rust-bins", "Go");
    assert!(text.contains("\n  golang.org/x/net@v0.7.0 ← example.com/lab/linkcheck@(devel) ← /usr/local/bin/linkcheck\n"), "{text}");
    // skopeo was built in GOPATH mode: no main module, the binary holds stdlib itself.
    assert!(text.contains("\n  stdlib@v1.19.8 ← /usr/local/bin/skopeo\n"), "{text}");
}

#[test]
fn go_main_module_edges_in_both_sboms() {
    let edges = cyclonedx_edges("distroless-like");
    assert_eq!(edges["example.com/lab/linkcheck"], ["stdlib", "golang.org/x/crypto", "golang.org/x/net"]);
    assert!(!edges.contains_key("golang.org/x/net"), "a dependency's own edges are not in the build info: unknown, no entry");
    assert!(spdx_edges("distroless-like").contains(&("example.com/lab/linkcheck".to_owned(), "golang.org/x/net".to_owned())));
}

#[test]
fn python_requires_dist_edges_in_both_sboms() {
    let edges = cyclonedx_edges("python-app");
    assert_eq!(edges["Django"], ["pytz", "sqlparse"]);
    assert_eq!(edges["requests"], ["chardet", "idna", "urllib3", "certifi"]);
    let spdx = spdx_edges("python-app");
    assert!(spdx.contains(&("Jinja2".to_owned(), "MarkupSafe".to_owned())), "{spdx:?}");
    let cdx_pypi: usize = ["Django", "Jinja2", "cffi", "cryptography", "requests"].iter().map(|n| edges[*n].len()).sum();
    assert_eq!(cdx_pypi, 10, "{edges:?}");
}
