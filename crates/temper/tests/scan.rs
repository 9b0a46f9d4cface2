//! `temper db` and `temper scan` end to end: the shared OSV corpus imported
//! into a fresh database, every corpus image scanned, and the findings
//! compared with the advisories the corpus's independent matcher computed.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn corpus() -> PathBuf {
    let dir = std::env::var_os("TEMPER_CORPUS").map(PathBuf::from).unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").unwrap()).join(".cache/temper-corpus"));
    assert!(dir.join("expected/advisories.json").is_file(), "corpus advisories not found at {} (run scripts/test.sh)", dir.display());
    dir
}

fn shared() -> PathBuf {
    std::env::var_os("TEMPER_SHARED").map(PathBuf::from).unwrap_or_else(|| root().join("../shared"))
}

fn temper(args: &[&str]) -> Output {
    let cache = std::env::temp_dir().join(format!("temper-scan-test-cache-{}", std::process::id()));
    Command::new(env!("CARGO_BIN_EXE_temper")).args(args).env("TEMPER_CACHE_DIR", cache).env_remove("TEMPER_DB").output().unwrap()
}

/// One database per test process, imported from the whole shared corpus.
fn db() -> &'static Path {
    static DB: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    let (_, path) = DB.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("advisories.db");
        let osv = shared().join("advisories/osv");
        let kev = shared().join("advisories/kev/known_exploited_vulnerabilities.json");
        let severity = [shared().join("advisories/severity/vulnrichment"), shared().join("advisories/severity/bitnami")];
        let out = temper(&["db", "import", "--db", path.to_str().unwrap(), osv.to_str().unwrap(), kev.to_str().unwrap(), severity[0].to_str().unwrap(), severity[1].to_str().unwrap()]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        (dir, path)
    });
    path
}

fn scan(image: &str, platform: &str, extra: &[&str]) -> (Value, i32) {
    let layout = format!("oci:{}", corpus().join("oci").join(image).display());
    let mut args = vec!["scan", "--db", db().to_str().unwrap(), "--format", "json", "--platform", platform, &layout];
    args.extend_from_slice(extra);
    let out = temper(&args);
    let code = out.status.code().unwrap();
    assert!(code != 2, "scan {image}: {}", String::from_utf8_lossy(&out.stderr));
    (serde_json::from_slice(&out.stdout).unwrap(), code)
}

/// (package, record id) for the ecosystems the corpus computed.
fn record_pairs(findings: &Value) -> BTreeSet<(String, String)> {
    findings
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| matches!(f["ecosystem"].as_str(), Some("pypi" | "golang" | "cargo")))
        .flat_map(|f| f["records"].as_array().unwrap().iter().map(move |r| (f["package"].as_str().unwrap().to_owned(), r.as_str().unwrap().to_owned())))
        .collect()
}

#[test]
fn findings_equal_the_independent_matcher_on_every_image() {
    let expected: Value = serde_json::from_slice(&std::fs::read(corpus().join("expected/advisories.json")).unwrap()).unwrap();
    for (key, items) in expected.as_object().unwrap() {
        let (image, platform) = key.split_once(' ').unwrap();
        let want: BTreeSet<(String, String)> = items.as_array().unwrap().iter().map(|e| (e["package"].as_str().unwrap().to_owned(), e["id"].as_str().unwrap().to_owned())).collect();
        let (got, _) = scan(image, platform, &[]);
        let pairs = record_pairs(&got["findings"]);
        assert_eq!(pairs, want, "{key}: temper's findings (left) vs the corpus's (right)");
    }
}

#[test]
fn corpus_image_report_matches_its_snapshot() {
    let page = tempfile::tempdir().unwrap();
    let path = page.path().join("python-app.html");
    let layout = format!("oci:{}", corpus().join("oci/python-app").display());
    let out = temper(&["report", "--db", db().to_str().unwrap(), "--platform", "linux/amd64", &layout, "-o", path.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let html = std::fs::read_to_string(&path).unwrap();
    // What a corpus build or this run changes: digests, times, where the database is.
    insta::with_settings!({ filters => vec![
        (r"sha256:[0-9a-f]{64}", "sha256:[digest]"),
        (r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", "[time]"),
        (r"the advisory database [^,<]*,", "the advisory database [db],"),
    ]}, {
        insta::assert_snapshot!("python_app_report", html);
    });
}

#[test]
fn debian_packages_match_by_source_package() {
    let (got, _) = scan("debian-minbase", "linux/amd64", &[]);
    let findings = got["findings"].as_array().unwrap();
    // libapt-pkg6.0 is built from apt: the apt advisory applies to both.
    for pkg in ["apt", "libapt-pkg6.0"] {
        let f = findings.iter().find(|f| f["package"] == pkg && f["id"] == "CVE-2026-109518").unwrap_or_else(|| panic!("{pkg}"));
        assert_eq!(f["fixed_versions"], serde_json::json!(["2.6.2"]));
        assert_eq!(f["records"], serde_json::json!(["TEMPER-DEB-CVE-2026-109518-apt"]));
    }
    let perl = findings.iter().find(|f| f["package"] == "perl-base").unwrap();
    assert_eq!(perl["matched_as"], "perl 5.36.0-7+deb12u3");
    // Up-to-date packages whose advisories were fixed before bookworm are clean.
    assert!(!findings.iter().any(|f| f["package"] == "libxml2" || f["package"] == "tar"));
}

#[test]
fn filters_and_exit_codes() {
    let (all, code) = scan("python-app", "linux/amd64", &[]);
    assert_eq!(code, 0, "no threshold, no failure");
    let findings = all["findings"].as_array().unwrap();
    let high = findings.iter().filter(|f| f["severity"] == "HIGH" || f["severity"] == "CRITICAL").count();
    assert!(high > 0);
    let (_, code) = scan("python-app", "linux/amd64", &["--fail-on", "high"]);
    assert_eq!(code, 1);
    let (_, code) = scan("python-app", "linux/amd64", &["--fail-on", "critical"]);
    assert_eq!(code, if findings.iter().any(|f| f["severity"] == "CRITICAL") { 1 } else { 0 });
    let (only, code) = scan("python-app", "linux/amd64", &["--severity", "high,critical", "--exit-code", "5"]);
    assert_eq!(only["findings"].as_array().unwrap().len(), high);
    assert_eq!(code, 5);
    let (fixed, _) = scan("python-app", "linux/amd64", &["--ignore-unfixed"]);
    assert!(fixed["findings"].as_array().unwrap().iter().all(|f| !f["fixed_versions"].as_array().unwrap().is_empty()));
    let out = temper(&["scan", "--db", db().to_str().unwrap(), "--severity", "urgent", "examples/demo-app"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--severity"), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn bundled_example_against_its_snapshot() {
    let out = Command::new(env!("CARGO_BIN_EXE_temper"))
        .args(["scan", "examples/demo-app", "--advisories", "examples/advisories", "--format", "json", "--no-cache"])
        .current_dir(root())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let got: Value = serde_json::from_slice(&out.stdout).unwrap();
    let findings = got["findings"].as_array().unwrap();
    let records = std::fs::read_dir(root().join("examples/advisories")).unwrap().filter(|e| e.as_ref().unwrap().path().extension().is_some_and(|x| x == "json")).count();
    // Every expat fix in the snapshot is later than the pinned 2.5.0-1+deb12u2.
    assert_eq!(findings.len(), records);
    assert!(findings.iter().all(|f| f["package"] == "libexpat1" && f["matched_as"] == "expat 2.5.0-1+deb12u2"));
}

#[test]
fn missing_database_says_how_to_make_one() {
    let out = temper(&["scan", "--db", "/nonexistent/advisories.db", "examples/demo-app"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("temper db import"), "{}", String::from_utf8_lossy(&out.stderr));
}

fn example_scan(extra: &[&str]) -> (Value, Output) {
    let mut args = vec!["scan", "examples/demo-app", "--advisories", "examples/advisories", "--format", "json", "--no-cache"];
    args.extend_from_slice(extra);
    let out = Command::new(env!("CARGO_BIN_EXE_temper")).args(&args).current_dir(root()).output().unwrap();
    assert!(out.status.code() != Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    (serde_json::from_slice(&out.stdout).unwrap_or(Value::Null), out)
}

fn ids(v: &Value) -> BTreeSet<String> {
    v.as_array().unwrap().iter().map(|f| f["id"].as_str().unwrap().to_owned()).collect()
}

#[test]
fn vex_not_affected_removes_exactly_those_findings() {
    let (before, _) = example_scan(&[]);
    let all = ids(&before["findings"]);
    let tmp = tempfile::tempdir().unwrap();
    // OpenVEX 0.2: two not_affected, one under_investigation (kept), one for another package (kept).
    let openvex = tmp.path().join("app.openvex.json");
    std::fs::write(
        &openvex,
        serde_json::json!({
            "@context": "https://openvex.dev/ns/v0.2.0",
            "@id": "https://example.invalid/vex/1",
            "author": "platform team",
            "timestamp": "2026-11-01T00:00:00Z",
            "version": 1,
            "statements": [
                {"vulnerability": {"name": "CVE-2024-28757"}, "products": [{"@id": "pkg:oci/demo-app", "subcomponents": [{"@id": "pkg:deb/debian/libexpat1"}]}],
                 "status": "not_affected", "justification": "vulnerable_code_not_in_execute_path"},
                {"vulnerability": {"name": "TEMPER-DEB-CVE-2025-59375-expat", "aliases": ["CVE-2025-59375"]}, "products": [{"@id": "pkg:deb/debian/libexpat1@2.5.0-1%2Bdeb12u2?arch=amd64"}],
                 "status": "not_affected", "justification": "inline_mitigations_already_exist", "impact_statement": "the app never parses external XML"},
                {"vulnerability": {"name": "CVE-2026-24515"}, "products": [{"@id": "pkg:deb/debian/libexpat1"}], "status": "under_investigation"},
                {"vulnerability": {"name": "CVE-2026-25210"}, "products": [{"@id": "pkg:deb/debian/busybox-static"}], "status": "not_affected", "justification": "component_not_present"}
            ]
        })
        .to_string(),
    )
    .unwrap();
    let (after, _) = example_scan(&["--vex", openvex.to_str().unwrap()]);
    let gone: BTreeSet<String> = all.difference(&ids(&after["findings"])).cloned().collect();
    assert_eq!(gone, BTreeSet::from(["CVE-2024-28757".to_owned(), "CVE-2025-59375".to_owned()]));
    assert_eq!(ids(&after["suppressed"]), gone);
    let why = after["suppressed"].as_array().unwrap().iter().find(|s| s["id"] == "CVE-2025-59375").unwrap();
    assert_eq!(why["suppression"]["justification"], "inline_mitigations_already_exist");
    assert_eq!(why["suppression"]["status"], "not_affected");

    // CycloneDX VEX naming the component by bom-ref.
    let cdx = tmp.path().join("app.cdx.json");
    std::fs::write(
        &cdx,
        serde_json::json!({
            "bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
            "components": [{"type": "library", "bom-ref": "expat-lib", "name": "libexpat1", "purl": "pkg:deb/debian/libexpat1@2.5.0-1+deb12u2"}],
            "vulnerabilities": [
                {"id": "CVE-2026-32776", "analysis": {"state": "false_positive", "detail": "not reachable"}, "affects": [{"ref": "expat-lib"}]},
                {"id": "CVE-2026-32777", "analysis": {"state": "exploitable"}, "affects": [{"ref": "expat-lib"}]}
            ]
        })
        .to_string(),
    )
    .unwrap();
    let (after, _) = example_scan(&["--vex", cdx.to_str().unwrap()]);
    assert_eq!(ids(&after["suppressed"]), BTreeSet::from(["CVE-2026-32776".to_owned()]));

    // The ignore file: an expired entry no longer applies.
    let ignore = tmp.path().join(".temperignore");
    std::fs::write(&ignore, "# accepted risks\nCVE-2026-56131 exp:2099-01-01 fixed in the next base image\nCVE-2026-56132 exp:2001-01-01\n").unwrap();
    let (after, out) = example_scan(&["--ignore-file", ignore.to_str().unwrap()]);
    assert_eq!(ids(&after["suppressed"]), BTreeSet::from(["CVE-2026-56131".to_owned()]));
    assert_eq!(after["suppressed"][0]["suppression"]["statement"], "fixed in the next base image");
    assert!(out.status.success());

    // Unreadable VEX is an error naming the file, not a silent no-op.
    let bad = tmp.path().join("bad.json");
    std::fs::write(&bad, r#"{"hello": 1}"#).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_temper")).args(["scan", "examples/demo-app", "--advisories", "examples/advisories", "--vex", bad.to_str().unwrap()]).current_dir(root()).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("bad.json"));
}

#[test]
fn sarif_output_validates_against_the_official_schema() {
    let out = Command::new(env!("CARGO_BIN_EXE_temper"))
        .args(["scan", "examples/demo-app", "--advisories", "examples/advisories", "--format", "sarif", "--no-cache"])
        .current_dir(root())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let log: Value = serde_json::from_slice(&out.stdout).unwrap();
    let schema: Value = serde_json::from_slice(&std::fs::read(root().join("crates/temper/tests/schemas/sarif-schema-2.1.0.json")).unwrap()).unwrap();
    let validator = jsonschema::options().should_validate_formats(true).build(&schema).unwrap();
    let errors: Vec<String> = validator.iter_errors(&log).map(|e| format!("{e} at {}", e.instance_path())).collect();
    assert!(errors.is_empty(), "{errors:#?}");
    // One rule per vulnerability, one result per finding, each pointing at its rule.
    let (json, _) = example_scan(&[]);
    let run = &log["runs"][0];
    assert_eq!(run["results"].as_array().unwrap().len(), json["findings"].as_array().unwrap().len());
    let rules: Vec<&str> = run["tool"]["driver"]["rules"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap()).collect();
    for r in run["results"].as_array().unwrap() {
        assert_eq!(rules[r["ruleIndex"].as_u64().unwrap() as usize], r["ruleId"].as_str().unwrap());
        assert_eq!(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"], "var/lib/dpkg/status");
    }
    // A schema that accepts anything would make this test worthless.
    assert!(validator.iter_errors(&serde_json::json!({"version": "2.1.0", "runs": [{"tool": {}}]})).next().is_some());
}

#[test]
fn debian_outdated_matches_exactly_the_reference_records() {
    let expected: Value = serde_json::from_slice(&std::fs::read(corpus().join("expected/debian-outdated.json")).expect("run scripts/test.sh to build debian-outdated")).unwrap();
    let plat = &expected["platforms"][0];
    let da = &expected["debian_advisories"];
    let (got, _) = scan("debian-outdated", plat["platform"].as_str().unwrap(), &[]);
    let findings = got["findings"].as_array().unwrap();
    let deb_records: BTreeSet<String> =
        findings.iter().filter(|f| f["ecosystem"] == "deb").flat_map(|f| f["records"].as_array().unwrap().iter().map(|r| r.as_str().unwrap().to_owned())).collect();
    let must: BTreeSet<String> = da["must_match"].as_array().unwrap().iter().map(|m| m.as_str().map_or_else(|| m["id"].as_str().unwrap().to_owned(), str::to_owned)).collect();
    assert_eq!(must.len(), da["must_match_count"].as_u64().unwrap() as usize);
    assert_eq!(deb_records, must, "Debian records matched (left) vs the reference matcher (right)");
    // Every binary of a matched source carries the finding (libssl3 and openssl both, for openssl).
    for source in da["must_match_by_source"].as_array().unwrap() {
        for binary in source["binaries"].as_array().unwrap() {
            for id in source["ids"].as_array().unwrap() {
                assert!(
                    findings.iter().any(|f| f["package"] == binary["name"] && f["version"] == binary["version"] && f["records"].as_array().unwrap().contains(id)),
                    "{} {} should have {id}",
                    binary["name"],
                    binary["version"]
                );
            }
        }
    }
    for id in da["must_not_match"].as_array().unwrap() {
        let id = id.as_str().map_or_else(|| id["id"].as_str().unwrap().to_owned(), str::to_owned);
        assert!(!deb_records.contains(&id), "{id} must not match");
    }
}

// Only its CycloneDX check is used here.
#[allow(dead_code)]
#[path = "../../temper-inventory/tests/schemas/validate.rs"]
mod validate;

#[test]
fn cyclonedx_output_carries_the_findings_and_validates() {
    let tmp = tempfile::tempdir().unwrap();
    let vex = tmp.path().join("vex.json");
    std::fs::write(
        &vex,
        serde_json::json!({"@context": "https://openvex.dev/ns/v0.2.0", "statements": [
            {"vulnerability": {"name": "CVE-2024-28757"}, "products": [{"@id": "pkg:deb/debian/libexpat1"}], "status": "not_affected", "justification": "vulnerable_code_not_present"}]})
        .to_string(),
    )
    .unwrap();
    let run = || {
        let out = Command::new(env!("CARGO_BIN_EXE_temper"))
            .args(["scan", "examples/demo-app", "--advisories", "examples/advisories", "--format", "cyclonedx", "--no-cache", "--vex", vex.to_str().unwrap()])
            .current_dir(root())
            .env_remove("SOURCE_DATE_EPOCH")
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        out.stdout
    };
    let bytes = run();
    assert_eq!(bytes, run(), "deterministic");
    let bom: Value = serde_json::from_slice(&bytes).unwrap();
    validate::cyclonedx(&bom).unwrap();
    let vulns = bom["vulnerabilities"].as_array().unwrap();
    let (json, _) = example_scan(&["--vex", vex.to_str().unwrap()]);
    assert_eq!(vulns.len(), json["findings"].as_array().unwrap().len() + json["suppressed"].as_array().unwrap().len());
    let refs: BTreeSet<&str> = bom["components"].as_array().unwrap().iter().filter_map(|c| c["bom-ref"].as_str()).collect();
    for v in vulns {
        assert!(refs.contains(v["affects"][0]["ref"].as_str().unwrap()), "{v}");
    }
    let suppressed = vulns.iter().find(|v| v["id"] == "CVE-2024-28757").unwrap();
    assert_eq!(suppressed["analysis"]["state"], "not_affected");
    let open = vulns.iter().find(|v| v["id"] == "CVE-2025-59375").unwrap();
    assert!(open.get("analysis").is_none());
    assert_eq!(open["recommendation"], "Upgrade libexpat1 to 2.5.0-1+deb12u4");
    // An SBOM target has no image to describe.
    let sbom = tmp.path().join("small.cdx.json");
    std::fs::write(&sbom, r#"{"bomFormat":"CycloneDX","specVersion":"1.6","components":[{"type":"library","name":"lodash","purl":"pkg:npm/lodash@4.17.15"}]}"#).unwrap();
    let out = temper(&["scan", "--advisories", root().join("examples/advisories").to_str().unwrap(), "--allow-partial-db", "--format", "cyclonedx", sbom.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("needs an image target"), "{}", String::from_utf8_lossy(&out.stderr));
}

/// Walks `dir` for `.json` files.
fn json_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            json_files(&path, out);
        } else if path.extension().is_some_and(|x| x == "json") {
            out.push(path);
        }
    }
}

#[test]
fn severity_by_alias_rates_every_finding_some_record_has_a_vector_for() {
    use std::collections::BTreeMap;
    // An index built here, independently of temper: which ids each record
    // goes by, which records carry a CVSS vector, which CVEs have a metric.
    let strings = |v: &Value| v.as_array().into_iter().flatten().filter_map(|s| s.as_str().map(str::to_owned)).collect::<Vec<_>>();
    let cvss = |list: &Value| list.as_array().into_iter().flatten().any(|s| s["type"].as_str().is_some_and(|t| t.starts_with("CVSS_")));
    let mut files = Vec::new();
    json_files(&shared().join("advisories/osv"), &mut files);
    json_files(&shared().join("advisories/severity/bitnami"), &mut files);
    let mut ids_of: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut by_id: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut rated: BTreeSet<String> = BTreeSet::new();
    for f in &files {
        let r: Value = serde_json::from_slice(&std::fs::read(f).unwrap()).unwrap();
        let Some(id) = r["id"].as_str() else { continue };
        if r["withdrawn"].is_string() {
            continue;
        }
        let ids: Vec<String> = std::iter::once(id.to_owned()).chain(strings(&r["aliases"])).chain(strings(&r["upstream"])).collect();
        for i in &ids {
            by_id.entry(i.clone()).or_default().push(id.to_owned());
        }
        if cvss(&r["severity"]) || r["affected"].as_array().into_iter().flatten().any(|a| cvss(&a["severity"])) {
            rated.insert(id.to_owned());
        }
        ids_of.insert(id.to_owned(), ids);
    }
    let mut files = Vec::new();
    json_files(&shared().join("advisories/severity/vulnrichment"), &mut files);
    let mut rated_cves = BTreeSet::new();
    for f in &files {
        let r: Value = serde_json::from_slice(&std::fs::read(f).unwrap()).unwrap();
        let containers = std::iter::once(&r["containers"]["cna"]).chain(r["containers"]["adp"].as_array().into_iter().flatten());
        let metrics = containers.flat_map(|c| c["metrics"].as_array().into_iter().flatten());
        if metrics.into_iter().any(|m| ["cvssV4_0", "cvssV3_1", "cvssV3_0", "cvssV2_0"].iter().any(|k| m[k]["vectorString"].is_string())) {
            rated_cves.insert(r["cveMetadata"]["cveId"].as_str().unwrap().to_owned());
        }
    }
    let mut report = Vec::new();
    for image in ["debian-minbase", "debian-outdated", "distroless-like", "go-rust-bins", "multiarch-index", "node-app", "python-app", "secrets-and-root", "big-node"] {
        let (got, _) = scan(image, "linux/amd64", &[]);
        let findings = got["findings"].as_array().unwrap();
        let mut unknown = 0;
        for f in findings {
            // Every id reachable from the matched records, as temper should follow them.
            let mut seen = BTreeSet::new();
            let mut queue: Vec<String> = strings(&f["records"]).into_iter().flat_map(|r| ids_of.get(&r).cloned().unwrap_or_default()).collect();
            while let Some(id) = queue.pop() {
                if seen.insert(id.clone()) {
                    for record in by_id.get(&id).into_iter().flatten() {
                        queue.extend(ids_of[record].iter().cloned());
                    }
                }
            }
            let has_vector = seen.iter().any(|i| rated.contains(i) || rated_cves.contains(i));
            let severity = f["severity"].as_str().unwrap();
            assert_eq!(severity != "UNKNOWN", has_vector, "{image}: {} in {} is {severity}; a vector exists: {has_vector} (ids {seen:?})", f["id"], f["package"]);
            assert_eq!(f["severity_source"].is_object(), has_vector, "{image}: {f}");
            unknown += usize::from(severity == "UNKNOWN");
        }
        report.push(format!("{image}: UNKNOWN {unknown}/{}", findings.len()));
    }
    eprintln!("{}", report.join("\n"));
}

#[test]
fn go_stdlib_findings_group_across_binaries_with_one_version_spelling() {
    let (got, _) = scan("go-rust-bins", "linux/amd64", &[]);
    let findings = got["findings"].as_array().unwrap();
    let mut seen = BTreeSet::new();
    for f in findings {
        assert!(seen.insert((f["id"].as_str().unwrap(), f["purl"].as_str().unwrap())), "one row per vulnerability of one package version: {f}");
        if f["ecosystem"] == "golang" {
            assert!(f["version"].as_str().unwrap().starts_with('v'), "{f}");
            for v in f["fixed_versions"].as_array().unwrap() {
                assert!(v.as_str().unwrap().starts_with('v'), "fixed versions spelled like the installed one: {f}");
            }
        }
    }
    let stdlib: Vec<&Value> = findings.iter().filter(|f| f["package"] == "stdlib").collect();
    assert!(!stdlib.is_empty());
    for f in &stdlib {
        let paths: Vec<&str> = f["paths"].as_array().unwrap().iter().map(|p| p.as_str().unwrap()).collect();
        assert_eq!(paths, ["usr/local/bin/linkcheck", "usr/local/bin/skopeo", "usr/local/bin/umoci"], "{}", f["id"]);
    }
}
