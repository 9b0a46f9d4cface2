//! `temper sbom --format cyclonedx|spdx` on corpus images and the bundled
//! example: both documents pass the official schemas (vendored in
//! temper-inventory), list exactly the packages of `--format json`, are
//! byte-identical from run to run (cache cold or warm, `--output` or
//! stdout), and `SOURCE_DATE_EPOCH` moves their timestamps and nothing else.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../../temper-inventory/tests/schemas/validate.rs"]
mod validate;

use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

fn corpus() -> PathBuf {
    let dir = std::env::var_os("TEMPER_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").expect("HOME")).join(".cache/temper-corpus"));
    assert!(dir.join("oci").is_dir(), "corpus not found at {} (run scripts/test.sh)", dir.display());
    dir
}

/// Runs `temper sbom IMAGE ARGS…` with a per-process cache and no
/// inherited SOURCE_DATE_EPOCH; `sde` sets one.
fn sbom(image: &str, args: &[&str], sde: Option<&str>) -> Vec<u8> {
    let cache = std::env::temp_dir().join(format!("temper-test-cache-{}", std::process::id()));
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_temper"));
    cmd.arg("sbom").arg(image).args(args).env("TEMPER_CACHE_DIR", &cache).env_remove("SOURCE_DATE_EPOCH");
    if let Some(s) = sde {
        cmd.env("SOURCE_DATE_EPOCH", s);
    }
    let out = cmd.output().expect("run temper");
    assert!(out.status.success(), "sbom {image} {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    out.stdout
}

fn json(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).expect("json")
}

fn text(bytes: &[u8]) -> &str {
    std::str::from_utf8(bytes).expect("utf-8")
}

/// The lines that differ between two documents of the same shape.
fn changed_lines<'a>(a: &'a [u8], b: &'a [u8]) -> Vec<(&'a str, &'a str)> {
    assert_eq!(text(a).lines().count(), text(b).lines().count());
    text(a).lines().zip(text(b).lines()).filter(|(x, y)| x != y).collect()
}

fn strings<'a>(values: impl Iterator<Item = &'a Value>) -> Vec<String> {
    values.map(|v| v.as_str().expect("string").to_owned()).collect()
}

fn check(image: &str) {
    let native = json(&sbom(image, &["--format", "json"], None));
    let want_purls = strings(native["packages"].as_array().expect("packages").iter().map(|p| &p["purl"]));
    assert!(!want_purls.is_empty(), "{image}: no packages to compare");
    let has_os = !native["os"].is_null();

    // Cache cold, then warm: the same bytes.
    let cdx_bytes = sbom(image, &["--format", "cyclonedx", "--no-cache"], None);
    assert_eq!(sbom(image, &["--format", "cyclonedx"], None), cdx_bytes, "{image}: CycloneDX differs between runs");
    assert_eq!(sbom(image, &["--format", "cyclonedx-json"], None), cdx_bytes, "{image}: the alias differs");
    let spdx_bytes = sbom(image, &["--format", "spdx", "--no-cache"], None);
    assert_eq!(sbom(image, &["--format", "spdx"], None), spdx_bytes, "{image}: SPDX differs between runs");
    assert_eq!(sbom(image, &["--format", "spdx-json"], None), spdx_bytes, "{image}: the alias differs");

    let cdx = json(&cdx_bytes);
    validate::cyclonedx(&cdx).unwrap_or_else(|e| panic!("{image}: CycloneDX invalid: {e}"));
    assert_eq!(cdx["metadata"]["component"]["type"], "container");
    assert_eq!(cdx["metadata"]["component"]["version"], native["digest"], "{image}: image version is the manifest digest");
    let components = cdx["components"].as_array().expect("components");
    let libraries: Vec<&Value> = components.iter().filter(|c| c["type"] == "library").collect();
    assert_eq!(strings(libraries.iter().map(|c| &c["purl"])), want_purls, "{image}: CycloneDX purls");
    assert_eq!(components.len(), libraries.len() + usize::from(has_os), "{image}: components beyond packages and OS");
    assert_eq!(cdx["dependencies"][0]["dependsOn"].as_array().map(Vec::len), Some(components.len()));

    let spdx = json(&spdx_bytes);
    validate::spdx(&spdx).unwrap_or_else(|e| panic!("{image}: SPDX invalid: {e}"));
    let packages = spdx["packages"].as_array().expect("packages");
    let libraries: Vec<&Value> = packages.iter().filter(|p| p["primaryPackagePurpose"] == "LIBRARY").collect();
    assert_eq!(strings(libraries.iter().map(|p| &p["externalRefs"][0]["referenceLocator"])), want_purls, "{image}: SPDX purls");
    assert_eq!(packages.len(), 1 + usize::from(has_os) + libraries.len(), "{image}: SPDX packages beyond image, OS and packages");
    let relationships = spdx["relationships"].as_array().expect("relationships");
    let of = |kind: &str| relationships.iter().filter(|r| r["relationshipType"] == kind).count();
    assert_eq!(of("DESCRIBES") + of("CONTAINS"), packages.len(), "{image}: DESCRIBES plus one CONTAINS each");
    // The package graph: the same edges as CycloneDX's `dependencies` beyond the image's own entry.
    let cdx_edges: usize = cdx["dependencies"].as_array().expect("dependencies").iter().skip(1).map(|d| d["dependsOn"].as_array().map_or(0, Vec::len)).sum();
    assert_eq!(of("DEPENDS_ON"), cdx_edges, "{image}: SPDX DEPENDS_ON vs CycloneDX dependencies");
    assert_eq!(relationships.len(), packages.len() + cdx_edges, "{image}: no other relationship");

    // SOURCE_DATE_EPOCH changes the time and nothing else.
    let cdx_then = sbom(image, &["--format", "cyclonedx"], Some("1234567890"));
    let changed = changed_lines(&cdx_bytes, &cdx_then);
    assert_eq!(changed.len(), 1, "{image}: {changed:?}");
    assert_eq!(changed[0].1.trim(), r#""timestamp": "2009-02-13T23:31:30Z","#);
    let spdx_then = sbom(image, &["--format", "spdx"], Some("1234567890"));
    let changed = changed_lines(&spdx_bytes, &spdx_then);
    assert_eq!(changed.len(), 1, "{image}: {changed:?}");
    assert_eq!(changed[0].1.trim(), r#""created": "2009-02-13T23:31:30Z","#);

    // --output writes what stdout shows.
    let dir = tempfile::tempdir().expect("tempdir");
    for (format, want) in [("cyclonedx", &cdx_bytes), ("spdx", &spdx_bytes)] {
        let path = dir.path().join(format!("sbom.{format}.json"));
        let printed = sbom(image, &["--format", format, "--output", path.to_str().expect("utf-8 path")], None);
        assert!(printed.is_empty(), "{image}: --output also printed");
        assert_eq!(&std::fs::read(&path).expect("output file"), want, "{image}: --output {format}");
    }
}

fn corpus_image(name: &str) -> String {
    format!("oci:{}", corpus().join("oci").join(name).display())
}

#[test]
fn distroless_like() {
    check(&corpus_image("distroless-like"));
}

#[test]
fn python_app() {
    check(&corpus_image("python-app"));
    // Its PyPI licences include free text ("Apache 2.0", "BSD-like"):
    // SPDX keeps them as defined LicenseRefs, CycloneDX as names.
    let spdx = json(&sbom(&corpus_image("python-app"), &["--format", "spdx"], None));
    let extracted = spdx["hasExtractedLicensingInfos"].as_array().expect("extracted licences");
    assert!(extracted.iter().any(|e| e["extractedText"] == "Apache 2.0"), "{extracted:?}");
    let cdx = json(&sbom(&corpus_image("python-app"), &["--format", "cyclonedx"], None));
    let names: Vec<&Value> = cdx["components"].as_array().expect("components").iter().flat_map(|c| c["licenses"].as_array().into_iter().flatten()).collect();
    assert!(names.iter().any(|l| l["license"]["name"] == "Apache 2.0"));
    assert!(names.iter().any(|l| l["license"]["id"] == "MIT"));

    // --all-layers keeps packages a later layer replaced: the same purl at
    // the same path in several layers still gets distinct references.
    let all = json(&sbom(&corpus_image("python-app"), &["--format", "json", "--all-layers"], None));
    let want = strings(all["packages"].as_array().expect("packages").iter().map(|p| &p["purl"]));
    let unique: std::collections::BTreeSet<&String> = want.iter().collect();
    assert!(unique.len() < want.len(), "python-app has no repeated purls under --all-layers");
    let cdx = json(&sbom(&corpus_image("python-app"), &["--format", "cyclonedx", "--all-layers"], None));
    validate::cyclonedx(&cdx).unwrap_or_else(|e| panic!("CycloneDX --all-layers invalid: {e}"));
    let got = strings(cdx["components"].as_array().expect("components").iter().filter(|c| c["type"] == "library").map(|c| &c["purl"]));
    assert_eq!(got, want);
    let spdx = json(&sbom(&corpus_image("python-app"), &["--format", "spdx", "--all-layers"], None));
    validate::spdx(&spdx).unwrap_or_else(|e| panic!("SPDX --all-layers invalid: {e}"));
}

#[test]
fn go_rust_bins() {
    check(&corpus_image("go-rust-bins"));
}

#[test]
fn bundled_example() {
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/demo-app");
    check(example);
    // The example's config says when it was built; without
    // SOURCE_DATE_EPOCH that is the document time.
    let cdx = json(&sbom(example, &["--format", "cyclonedx"], None));
    let created = cdx["metadata"]["component"]["properties"].as_array().expect("properties").iter().find(|p| p["name"] == "temper:image:created").map(|p| p["value"].clone());
    assert_eq!(created, Some(Value::from("2024-01-01T00:00:00Z")));
    assert_eq!(cdx["metadata"]["timestamp"], "2024-01-01T00:00:00Z");
}

#[test]
fn bad_source_date_epoch_is_an_error() {
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/demo-app");
    let out = Command::new(env!("CARGO_BIN_EXE_temper"))
        .args(["sbom", example, "--no-cache", "--format", "spdx"])
        .env("SOURCE_DATE_EPOCH", "yesterday")
        .output()
        .expect("run temper");
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("SOURCE_DATE_EPOCH") && stderr.contains("yesterday"), "{stderr}");
}
