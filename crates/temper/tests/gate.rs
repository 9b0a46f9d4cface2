//! `temper gate` on the real corpus: the default policy fails an outdated
//! Debian image and passes a clean one; the assessment it judged is what
//! `scan`, `check` and `sbom` report; JSON, SARIF and JUnit are read back;
//! exit codes 0, 1 (a rule failed, or warned with `--fail-on-warn`) and 2.

#![allow(clippy::expect_used, clippy::unwrap_used, missing_docs)]

#[allow(dead_code)]
mod registry_support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use registry_support::{corpus_layout, temper};
use serde_json::Value;

fn shared() -> PathBuf {
    std::env::var_os("TEMPER_SHARED").map(PathBuf::from).unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared"))
}

/// Debian's records with the CVSS and KEV data that rate them.
fn debian_advisories() -> Vec<String> {
    ["osv/Debian", "severity", "kev"].iter().flat_map(|d| ["--advisories".to_owned(), shared().join("advisories").join(d).display().to_string()]).collect()
}

/// `temper ARGS` with the Debian advisories.
fn gate(args: &[&str]) -> registry_support::Run {
    let mut all: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    let at = if args.first() == Some(&"gate") || args.first() == Some(&"scan") { 2 } else { all.len() };
    for (i, a) in debian_advisories().into_iter().enumerate() {
        all.insert(at + i, a);
    }
    temper(&all.iter().map(String::as_str).collect::<Vec<_>>())
}

fn json(run: &registry_support::Run) -> Value {
    serde_json::from_slice(&run.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", run.stderr))
}

fn outdated() -> String {
    format!("oci:{}", corpus_layout("debian-outdated").display())
}

fn schema_errors(doc: &Value) -> Vec<String> {
    let schema: Value = serde_json::from_slice(&std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../schemas/assessment.schema.json")).unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    validator.iter_errors(doc).map(|e| format!("{e} at {}", e.instance_path())).collect()
}

#[test]
fn the_default_policy_fails_an_outdated_image_on_its_vulnerabilities() {
    let cache = tempfile::tempdir().unwrap();
    let cache_dir = cache.path().to_str().unwrap();
    let image = outdated();
    let run = gate(&["gate", &image, "--cache-dir", cache_dir]);
    assert_eq!(run.code(), Some(1), "{}", run.stderr);
    assert!(run.stdout.starts_with(b"Verdict  FAILED (the default policy)"), "{}", String::from_utf8_lossy(&run.stdout));
    let table = String::from_utf8_lossy(&run.stdout);
    assert!(table.lines().any(|l| l.starts_with("FAIL") && l.contains("vulnerabilities") && l.contains("critical (maximum 0)")), "{table}");
    assert!(table.lines().any(|l| l.starts_with("WARN") && l.contains("checks") && l.contains("runs-as-root")), "{table}");
    assert!(run.stderr.contains("rule(s) failed under the default policy"), "{}", run.stderr);

    let run = gate(&["gate", &image, "--cache-dir", cache_dir, "-f", "json"]);
    assert_eq!(run.code(), Some(1), "{}", run.stderr);
    let out = json(&run);
    assert_eq!(out["verdict"]["status"], "fail");
    let assessment = &out["assessment"];
    let errors = schema_errors(assessment);
    assert!(errors.is_empty(), "the assessment breaks its schema: {errors:?}");

    // What the one pass gave is what the single-purpose commands report.
    let scan = json(&gate(&["scan", &image, "--cache-dir", cache_dir, "-f", "json"]));
    let ids = |findings: &Value| findings.as_array().unwrap().iter().map(|f| format!("{} {} {}", f["id"], f["package"], f["version"])).collect::<BTreeSet<_>>();
    assert_eq!(ids(&assessment["vulnerabilities"]["findings"]), ids(&scan["findings"]));
    assert!(assessment["vulnerabilities"]["counts"]["critical"].as_u64().unwrap() >= 1);
    assert_eq!(assessment["packages"].as_array().unwrap().len() as u64, scan["packages"].as_u64().unwrap());
    let check = temper(&["check", &image, "--cache-dir", cache_dir, "-f", "json"]);
    let check = serde_json::from_slice::<Value>(&check.stdout).unwrap();
    let outcomes = |checks: &Value| checks.as_array().unwrap().iter().map(|c| format!("{} {}", c["id"], c["status"])).collect::<Vec<_>>();
    assert_eq!(outcomes(&assessment["checks"]), outcomes(&check["checks"]));
    let sbom = json(&temper(&["sbom", &image, "--cache-dir", cache_dir, "-f", "cyclonedx"]));
    let purls = |list: &Value, key: &str| list.as_array().unwrap().iter().filter_map(|p| p[key].as_str().map(str::to_owned)).collect::<BTreeSet<_>>();
    assert_eq!(purls(&assessment["packages"], "purl"), purls(&sbom["components"], "purl"));

    // JUnit: one test case per rule, the failed one a failure.
    let run = gate(&["gate", &image, "--cache-dir", cache_dir, "-f", "junit"]);
    let xml = String::from_utf8(run.stdout.clone()).unwrap();
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let cases: Vec<_> = doc.descendants().filter(|n| n.has_tag_name("testcase")).collect();
    assert_eq!(cases.len(), out["verdict"]["results"].as_array().unwrap().len());
    let failed = cases.iter().find(|c| c.attribute("name") == Some("vulnerabilities")).unwrap();
    assert!(failed.children().any(|n| n.has_tag_name("failure")), "{xml}");
    let warned = cases.iter().find(|c| c.attribute("name") == Some("checks")).unwrap();
    assert!(warned.children().any(|n| n.has_tag_name("skipped")), "{xml}");

    // SARIF: the failed rule is an error result located at the image.
    let run = gate(&["gate", &image, "--cache-dir", cache_dir, "-f", "sarif"]);
    let sarif = json(&run);
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert!(results.iter().any(|r| r["ruleId"] == "vulnerabilities" && r["level"] == "error" && r["message"]["text"].as_str().unwrap().contains("CVE-")), "{sarif}");
    assert!(results.iter().any(|r| r["ruleId"] == "checks" && r["level"] == "warning"), "{sarif}");
}

#[test]
fn a_clean_image_passes_warnings_fail_only_when_asked_and_a_bad_policy_is_an_error() {
    let work = tempfile::tempdir().unwrap();
    let cache_dir = work.path().join("cache");
    let cache_dir = cache_dir.to_str().unwrap();
    let image = outdated();
    // Only the root check, as a warning: the verdict warns, exit 0 unless --fail-on-warn.
    let policy = work.path().join("policy.toml");
    std::fs::write(&policy, "[rules.checks]\nwarn = [\"runs-as-root\"]\n").unwrap();
    let policy = policy.to_str().unwrap();
    let run = gate(&["gate", &image, "--cache-dir", cache_dir, "--policy", policy, "-f", "json"]);
    assert_eq!(run.code(), Some(0), "{}", run.stderr);
    assert_eq!(json(&run)["verdict"]["status"], "warn");
    let run = gate(&["gate", &image, "--cache-dir", cache_dir, "--policy", policy, "--fail-on-warn"]);
    assert_eq!(run.code(), Some(1), "{}", run.stderr);
    assert!(run.stderr.contains("--fail-on-warn"), "{}", run.stderr);

    // A Rego policy alone, as conftest runs it.
    let rego = work.path().join("user.rego");
    std::fs::write(&rego, "package main\nimport rego.v1\ndeny contains msg if {\n  input.image.config.user == \"\"\n  msg := \"runs as root\"\n}\n").unwrap();
    let run = gate(&["gate", &image, "--cache-dir", cache_dir, "--policy", rego.to_str().unwrap(), "-f", "json"]);
    assert_eq!(run.code(), Some(1), "{}", run.stderr);
    let verdict = &json(&run)["verdict"];
    assert_eq!(verdict["results"].as_array().unwrap().len(), 1, "{verdict}");
    assert_eq!(verdict["results"][0]["rule"], "data.main.deny");
    assert_eq!(verdict["results"][0]["items"][0], "runs as root");

    // distroless-like: no package with a finding, no secret; its root user only warns.
    let clean = format!("oci:{}", corpus_layout("distroless-like").display());
    let run = gate(&["gate", &clean, "--cache-dir", cache_dir, "--allow-partial-db", "-f", "json"]);
    assert_eq!(run.code(), Some(0), "{}", run.stderr);
    assert_ne!(json(&run)["verdict"]["status"], "fail");

    // A wrong policy file is an error (2) naming the file, line and column, before any image is read.
    let bad = work.path().join("bad.toml");
    std::fs::write(&bad, "[rules.vulnerabilities]\nmax = { critical = \"none\" }\n").unwrap();
    let run = gate(&["gate", "oci:/nonexistent", "--policy", bad.to_str().unwrap()]);
    assert_eq!(run.code(), Some(2), "{}", run.stderr);
    assert!(run.stderr.contains("bad.toml:2:"), "{}", run.stderr);
}

#[test]
fn every_corpus_images_assessment_is_what_scan_check_and_sbom_report() {
    let cache = tempfile::tempdir().unwrap();
    let cache_dir = cache.path().to_str().unwrap();
    let oci = corpus_layout("debian-outdated").parent().unwrap().to_owned();
    let mut images: Vec<String> = std::fs::read_dir(&oci).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    images.sort();
    assert!(images.len() >= 5, "{images:?}");
    let set = |list: &Value, f: &dyn Fn(&Value) -> String| list.as_array().unwrap().iter().map(f).collect::<BTreeSet<_>>();
    for name in &images {
        let image = format!("oci:{}", oci.join(name).display());
        // The advisories cover Debian only: other ecosystems are reported, not refused.
        let run = gate(&["gate", &image, "--cache-dir", cache_dir, "--allow-partial-db", "--platform", "linux/amd64", "-f", "json"]);
        assert!(matches!(run.code(), Some(0 | 1)), "{name}: {}", run.stderr);
        let assessment = json(&run)["assessment"].clone();
        let errors = schema_errors(&assessment);
        assert!(errors.is_empty(), "{name}: the assessment breaks its schema: {errors:?}");
        let scan = json(&gate(&["scan", &image, "--cache-dir", cache_dir, "--allow-partial-db", "--platform", "linux/amd64", "-f", "json"]));
        let finding = |f: &Value| format!("{} {} {}", f["id"], f["package"], f["version"]);
        assert_eq!(set(&assessment["vulnerabilities"]["findings"], &finding), set(&scan["findings"], &finding), "{name}");
        let check = temper(&["check", &image, "--cache-dir", cache_dir, "--platform", "linux/amd64", "-f", "json"]);
        let check: Value = serde_json::from_slice(&check.stdout).unwrap();
        let outcome = |c: &Value| format!("{} {}", c["id"], c["status"]);
        assert_eq!(set(&assessment["checks"], &outcome), set(&check["checks"], &outcome), "{name}");
        let secret = |s: &Value| format!("{} {} {}", s["rule"], s["path"], s["layer"]);
        assert_eq!(set(&assessment["secrets"], &secret), set(&check["secrets"], &secret), "{name}");
        let sbom = json(&temper(&["sbom", &image, "--cache-dir", cache_dir, "--platform", "linux/amd64", "-f", "cyclonedx"]));
        let purl = |p: &Value| p["purl"].as_str().unwrap_or_default().to_owned();
        let components: BTreeSet<String> = set(&sbom["components"], &purl).into_iter().filter(|p| !p.is_empty()).collect();
        assert_eq!(set(&assessment["packages"], &purl), components, "{name}");
    }
}

#[test]
fn keyless_identities_in_the_policy_are_verified_against_its_trusted_root() {
    let work = tempfile::tempdir().unwrap();
    let layout = work.path().join("layout");
    assert!(std::process::Command::new("cp").arg("-a").arg(corpus_layout("distroless-like")).arg(&layout).status().unwrap().success());
    let index: Value = serde_json::from_slice(&std::fs::read(layout.join("index.json")).unwrap()).unwrap();
    let top = index["manifests"].as_array().unwrap().iter().find(|m| m["annotations"]["org.opencontainers.image.ref.name"] == "latest").unwrap().clone();
    // A real keyless bundle (Fulcio certificate, SCT, Rekor entry) from sigstore-conformance,
    // attached as a referrer; its statement is about another artifact.
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../temper-trust/tests/fixtures");
    let bundle = std::fs::read(fixtures.join("sigstore-conformance/bundle-verify/happy-path-intoto-in-dsse-v3/bundle.sigstore.json")).unwrap();
    let store = temper_image::registry::attach::Attachments::layout(&layout).unwrap();
    let subject = temper_image::Digest::parse(top["digest"].as_str().unwrap()).unwrap();
    store.attach_referrer((&subject, top["mediaType"].as_str().unwrap(), top["size"].as_u64().unwrap()), "application/vnd.dev.sigstore.bundle.v0.3+json", &bundle, "application/vnd.dev.sigstore.bundle.v0.3+json", &Default::default()).unwrap();
    std::fs::copy(fixtures.join("sigstore-go/trusted-root-public-good.json"), work.path().join("trusted_root.json")).unwrap();
    let identity = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
    let policy = work.path().join("policy.toml");
    std::fs::write(&policy, format!("[rules.signature]\nidentities = [{{ subject = \"{identity}\", issuer = \"https://token.actions.githubusercontent.com\" }}]\ntrusted-root = \"trusted_root.json\"\n")).unwrap();
    let image = format!("oci:{}:latest", layout.display());
    let run = gate(&["gate", &image, "--allow-partial-db", "--policy", policy.to_str().unwrap(), "--format", "json"]);
    assert_eq!(run.status.code(), Some(1), "{}", run.stderr);
    let doc = json(&run);
    // The certificate chains to the root and names the identity, so the
    // bundle was judged on its content: about another digest, it is invalid
    // (a bundle nobody could verify would only be someone else's signature).
    let signatures = &doc["assessment"]["signatures"];
    assert_eq!(signatures["checked"], true, "{signatures}");
    assert_eq!(signatures["invalid"], 1, "{signatures}");
    assert_eq!(signatures["verified"].as_array().unwrap().len(), 0, "{signatures}");
    let rule = doc["verdict"]["results"].as_array().unwrap().iter().find(|r| r["rule"] == "signature").unwrap_or_else(|| panic!("{doc}"));
    assert_eq!(rule["status"], "fail", "{rule}");
    // A policy of keys only has no root to check the certificate with: the
    // bundle is someone else's signature, not an invalid one.
    std::fs::copy(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/policy/keys/golden.pub"), work.path().join("golden.pub")).unwrap();
    std::fs::write(&policy, "[rules.signature]\nkeys = [\"golden.pub\"]\n").unwrap();
    let doc = json(&gate(&["gate", &image, "--allow-partial-db", "--policy", policy.to_str().unwrap(), "--format", "json"]));
    assert_eq!(doc["assessment"]["signatures"]["invalid"], 0, "{doc}");
    assert_eq!(doc["assessment"]["signatures"]["checked"], true, "{doc}");
}
