//! The SBOMs temper writes, handed to their consumers: for every corpus
//! image and platform, both formats are accepted by the formats' own
//! validators (the SPDX project's `pyspdxtools` and the CycloneDX Python
//! library's strict 1.6 validator, installed by `scripts/test.sh` into a
//! virtual environment), and `temper scan` of each SBOM finds exactly the
//! (id, package, version) findings of `temper scan` of the image.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn corpus() -> PathBuf {
    let dir = std::env::var_os("TEMPER_CORPUS").map(PathBuf::from).unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").unwrap()).join(".cache/temper-corpus"));
    assert!(dir.join("expected").is_dir() && dir.join("oci").is_dir(), "corpus not found at {} (run scripts/test.sh)", dir.display());
    dir
}

fn shared() -> PathBuf {
    std::env::var_os("TEMPER_SHARED").map(PathBuf::from).unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared"))
}

fn temper(args: &[&str]) -> Output {
    let cache = std::env::temp_dir().join(format!("temper-interop-test-cache-{}", std::process::id()));
    Command::new(env!("CARGO_BIN_EXE_temper")).args(args).env("TEMPER_CACHE_DIR", cache).env_remove("TEMPER_DB").env_remove("SOURCE_DATE_EPOCH").output().unwrap()
}

fn ok(args: &[&str]) -> Vec<u8> {
    let out = temper(args);
    assert!(out.status.success(), "temper {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    out.stdout
}

/// A database of the shared OSV records in `dir`.
fn import_db(dir: &Path) -> String {
    let db = dir.join("advisories.db");
    let advisories = shared().join("advisories/osv");
    ok(&["db", "import", "--db", db.to_str().unwrap(), advisories.to_str().unwrap()]);
    db.to_str().unwrap().to_owned()
}

/// Every corpus image with each of its platforms, as `(image, platform)`.
fn images() -> Vec<(String, String)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(corpus().join("oci")).unwrap() {
        let image = entry.unwrap().file_name().to_string_lossy().into_owned();
        let expected: Value = serde_json::from_slice(&std::fs::read(corpus().join("expected").join(format!("{image}.json"))).unwrap()).unwrap();
        for p in expected["platforms"].as_array().unwrap() {
            out.push((image.clone(), p["platform"].as_str().unwrap().to_owned()));
        }
    }
    out.sort();
    assert!(out.len() >= 9, "the corpus lists only {out:?}");
    out
}

/// `temper sbom` of each image and platform in both formats, written under
/// `dir`: `(label, path)` with label `image platform format`.
fn write_sboms(dir: &Path) -> Vec<(String, PathBuf)> {
    let mut out = Vec::new();
    for (image, platform) in images() {
        let layout = format!("oci:{}", corpus().join("oci").join(&image).display());
        for format in ["cyclonedx", "spdx"] {
            let path = dir.join(format!("{image}-{}.{format}.json", platform.replace('/', "-")));
            ok(&["sbom", &layout, "--platform", &platform, "--format", format, "--output", path.to_str().unwrap()]);
            out.push((format!("{image} {platform} {format}"), path));
        }
    }
    out
}

/// (id, package, version) of every finding.
fn findings(scan: &[u8]) -> BTreeSet<(String, String, String)> {
    let doc: Value = serde_json::from_slice(scan).unwrap();
    doc["findings"].as_array().unwrap().iter().map(|f| (f["id"].as_str().unwrap().to_owned(), f["package"].as_str().unwrap().to_owned(), f["version"].as_str().unwrap().to_owned())).collect()
}

#[test]
fn sbom_scan_equals_image_scan_on_every_corpus_image() {
    let tmp = tempfile::tempdir().unwrap();
    let db = import_db(tmp.path());
    let db = db.as_str();
    let mut compared = 0;
    for (image, platform) in images() {
        let layout = format!("oci:{}", corpus().join("oci").join(&image).display());
        let want = findings(&ok(&["scan", "--db", db, "--format", "json", "--platform", &platform, &layout]));
        for format in ["cyclonedx", "spdx"] {
            let file = tmp.path().join(format!("{image}-{}.{format}.json", platform.replace('/', "-")));
            ok(&["sbom", &layout, "--platform", &platform, "--format", format, "--output", file.to_str().unwrap()]);
            let got = findings(&ok(&["scan", "--db", db, "--format", "json", file.to_str().unwrap()]));
            let missing: Vec<_> = want.difference(&got).collect();
            let extra: Vec<_> = got.difference(&want).collect();
            assert!(missing.is_empty() && extra.is_empty(), "{image} {platform} {format}: the SBOM's scan misses {missing:?} and adds {extra:?}");
            compared += usize::from(!want.is_empty());
        }
    }
    // Equal empty sets would prove nothing: most images have findings.
    assert!(compared >= 14, "only {compared} comparisons had findings");
}

#[test]
fn sbom_findings_say_the_layer_is_unknown() {
    let tmp = tempfile::tempdir().unwrap();
    let layout = format!("oci:{}", corpus().join("oci/node-app").display());
    let db = import_db(tmp.path());
    let image: Value = serde_json::from_slice(&ok(&["scan", "--db", &db, "--format", "json", &layout])).unwrap();
    assert!(image["findings"].as_array().unwrap().iter().all(|f| f["layer"].is_u64()), "an image's findings name their layer");
    for format in ["cyclonedx", "spdx"] {
        let file = tmp.path().join(format!("node-app.{format}.json"));
        ok(&["sbom", &layout, "--format", format, "--output", file.to_str().unwrap()]);
        let scan: Value = serde_json::from_slice(&ok(&["scan", "--db", &db, "--format", "json", file.to_str().unwrap()])).unwrap();
        let list = scan["findings"].as_array().unwrap();
        assert!(!list.is_empty());
        assert!(list.iter().all(|f| f["layer"].is_null() && f["paths"] == serde_json::json!([])), "{format}: {}", list[0]);
        let table = String::from_utf8(ok(&["scan", "--db", &db, file.to_str().unwrap()])).unwrap();
        assert!(table.contains("minimist 1.2.0 (npm, layer -)\n"), "{format}: {table}");
        assert!(!table.contains("layer 0"), "{format}: {table}");
    }
}

/// The validators' virtual environment (`scripts/test.sh` makes it).
fn validators() -> Option<PathBuf> {
    let venv = std::env::var_os("TEMPER_SBOM_VALIDATORS").map(PathBuf::from).unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").unwrap()).join(".cache/temper-peers/sbom-validators"));
    let found = venv.join("bin/pyspdxtools").is_file() && venv.join("bin/python").is_file();
    let ci = std::env::var("CI").is_ok_and(|v| v == "true");
    assert!(found || !ci, "the SBOM validators are not installed at {} (scripts/test.sh installs them; CI must run them)", venv.display());
    if !found {
        eprintln!("SKIPPED: the SBOM validators are not installed at {} (run scripts/test.sh while online)", venv.display());
    }
    found.then_some(venv)
}

/// `pyspdxtools -i FILE`: parses, then validates; silent and 0 when valid.
fn pyspdxtools(venv: &Path, file: &Path) -> Result<(), String> {
    let out = Command::new(venv.join("bin/pyspdxtools")).arg("-i").arg(file).output().unwrap();
    let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    if out.status.success() && said.trim().is_empty() { Ok(()) } else { Err(said) }
}

/// cyclonedx-python-lib's `JsonStrictValidator(SchemaVersion.V1_6)` over
/// each file; one line per rejected file.
fn cyclonedx_strict(venv: &Path, files: &[&Path]) -> Vec<String> {
    const SCRIPT: &str = "import sys
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
validator = JsonStrictValidator(SchemaVersion.V1_6)
for path in sys.argv[1:]:
    with open(path, encoding='utf-8') as f:
        error = validator.validate_str(f.read())
    if error is not None:
        print(path + ': ' + str(getattr(error.data, 'message', error)).replace('\\n', ' '))
";
    let out = Command::new(venv.join("bin/python")).arg("-c").arg(SCRIPT).args(files).output().unwrap();
    assert!(out.status.success(), "the CycloneDX validator did not run: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).lines().map(str::to_owned).collect()
}

#[test]
fn sbom_validators_accept_every_corpus_sbom() {
    let Some(venv) = validators() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let sboms = write_sboms(tmp.path());
    let mut rejected = Vec::new();
    for (label, path) in sboms.iter().filter(|(l, _)| l.ends_with(" spdx")) {
        if let Err(e) = pyspdxtools(&venv, path) {
            rejected.push(format!("{label}: pyspdxtools: {e}"));
        }
    }
    let cdx: Vec<&Path> = sboms.iter().filter(|(l, _)| l.ends_with(" cyclonedx")).map(|(_, p)| p.as_path()).collect();
    rejected.extend(cyclonedx_strict(&venv, &cdx));
    assert!(rejected.is_empty(), "{rejected:#?}");

    // Both validators reject what they should, or the above proves nothing:
    // the patch-level licence list version temper once wrote, and a
    // component type CycloneDX does not define.
    let (_, spdx) = sboms.iter().find(|(l, _)| l.ends_with(" spdx")).unwrap();
    let mut doc: Value = serde_json::from_slice(&std::fs::read(spdx).unwrap()).unwrap();
    doc["creationInfo"]["licenseListVersion"] = Value::from("3.29.0");
    let bad = tmp.path().join("bad.spdx.json");
    std::fs::write(&bad, doc.to_string()).unwrap();
    let err = pyspdxtools(&venv, &bad).expect_err("pyspdxtools accepted licenseListVersion 3.29.0");
    assert!(err.contains("3.29.0"), "{err}");
    let mut doc: Value = serde_json::from_slice(&std::fs::read(cdx[0]).unwrap()).unwrap();
    doc["components"][0]["type"] = Value::from("gadget");
    let bad = tmp.path().join("bad.cdx.json");
    std::fs::write(&bad, doc.to_string()).unwrap();
    let err = cyclonedx_strict(&venv, &[bad.as_path()]);
    assert!(err.len() == 1 && err[0].contains("gadget"), "{err:?}");
}

/// `(dependencies entry of each bom-ref, refs whose entry is incomplete)`.
fn dependency_graph(bom: &Value) -> (std::collections::BTreeMap<String, Vec<String>>, Vec<String>) {
    let strs = |v: &Value| v.as_array().unwrap().iter().map(|s| s.as_str().unwrap().to_owned()).collect::<Vec<_>>();
    let entries = bom["dependencies"].as_array().unwrap().iter().map(|d| (d["ref"].as_str().unwrap().to_owned(), strs(&d["dependsOn"]))).collect();
    let incomplete = bom["compositions"].as_array().into_iter().flatten().filter(|c| c["dependencies"].is_array()).flat_map(|c| strs(&c["dependencies"])).collect();
    (entries, incomplete)
}

#[test]
fn cyclonedx_dependencies_from_dpkg_and_npm() {
    let bom = |image: &str| -> Value {
        let layout = format!("oci:{}", corpus().join("oci").join(image).display());
        serde_json::from_slice(&ok(&["sbom", &layout, "--format", "cyclonedx"])).unwrap()
    };
    let bom_ref = |bom: &Value, name: &str| bom["components"].as_array().unwrap().iter().find(|c| c["name"] == name).unwrap()["bom-ref"].as_str().unwrap().to_owned();

    let minbase = bom("debian-minbase");
    let (graph, incomplete) = dependency_graph(&minbase);
    assert_eq!(graph[&bom_ref(&minbase, "libc6")], [bom_ref(&minbase, "libgcc-s1")]);
    assert!(graph[&bom_ref(&minbase, "dpkg")].contains(&bom_ref(&minbase, "tar")));
    // base-files pre-depends on `awk`, a virtual package mawk provides.
    assert_eq!(graph[&bom_ref(&minbase, "base-files")], [bom_ref(&minbase, "mawk")]);
    assert!(incomplete.is_empty(), "{incomplete:?}");
    let debs = minbase["components"].as_array().unwrap().iter().filter(|c| c["purl"].as_str().is_some_and(|p| p.starts_with("pkg:deb/"))).count();
    assert_eq!(graph.len(), 1 + debs, "the image, then every dpkg package");

    // Why node-app has the vulnerable minimist 1.2.0: the app requires it.
    let node = bom("node-app");
    let (graph, _) = dependency_graph(&node);
    let minimist = bom_ref(&node, "minimist");
    let why: Vec<&String> = graph.iter().filter(|(r, deps)| deps.contains(&minimist) && !r.starts_with("pkg:oci/")).map(|(r, _)| r).collect();
    assert_eq!(why, [&bom_ref(&node, "lab-node-app")]);

    // distroless keeps ca-certificates without the openssl it requires: incomplete, not "none".
    let distroless = bom("distroless-like");
    let (graph, incomplete) = dependency_graph(&distroless);
    let certs = bom_ref(&distroless, "ca-certificates");
    assert_eq!(graph[&certs], Vec::<String>::new());
    assert!(incomplete.contains(&certs), "{incomplete:?}");
}
