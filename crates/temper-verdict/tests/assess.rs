//! A front end other than the CLI (a gate, a server) assesses an image by
//! calling the library alone, with no terminal: open, one pass, findings,
//! coverage, hardening.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

#[path = "../../temper-layer/tests/support/mod.rs"]
mod support;

use std::path::Path;

use support::{Comp, ImageSpec, OciLayout, file, layer};
use temper_verdict::vulnerabilities::{Filter, find, suppressions};
use temper_verdict::{CacheSettings, FailOn, Silent, Target, advisories, hardening, pass, target};

const ADVISORY: &str = r#"{"id":"GHSA-test-0001","aliases":["CVE-2099-0001"],"summary":"Prototype pollution in lodash","modified":"2024-01-01T00:00:00Z",
 "affected":[{"package":{"ecosystem":"npm","name":"lodash"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"4.17.21"}]}]}],
 "severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}]}"#;

/// An image holding lodash 4.17.20 and an AWS key in a file.
fn image(dir: &Path) -> String {
    let layout = dir.join("layout");
    let base = layer(&[file("usr/lib/node_modules/lodash/package.json", r#"{"name":"lodash","version":"4.17.20","license":"MIT"}"#)], Comp::Gzip);
    let app = layer(&[file("app/.env", "AWS_ACCESS_KEY_ID=AKIAQYLPMN5HHHFPZAM2\n")], Comp::Gzip);
    OciLayout::single(&layout, &ImageSpec::new(vec![base, app]), "t");
    format!("oci:{}:t", layout.display())
}

fn limits() -> temper_layer::Limits {
    temper_layer::Limits { max_layer_bytes: 1 << 30, max_image_bytes: 1 << 30, max_ratio: 200, max_entries: 100_000 }
}

#[test]
fn a_front_end_assesses_an_image_through_the_library_alone() {
    let tmp = tempfile::tempdir().unwrap();
    let reference = image(tmp.path());
    let Target::Image(opened) = target::resolve(&reference, &Default::default()).unwrap() else { panic!("an image, not an SBOM") };
    let cache = CacheSettings { dir: Some(tmp.path().join("cache")), ..Default::default() };
    let scanned = pass::scan(&opened.image, &limits(), &cache, &Silent, false).unwrap();
    assert!(scanned.inventory.packages.iter().any(|p| p.package.name == "lodash" && p.package.version == "4.17.20" && p.layer == Some(0)));

    let advisory = tmp.path().join("GHSA-test-0001.json");
    std::fs::write(&advisory, ADVISORY).unwrap();
    let db = advisories::in_memory(std::slice::from_ref(&advisory), &Silent).unwrap();
    advisories::require_coverage(&db, &scanned.inventory, false, "the test database", &Silent).unwrap();
    let matches = find(&db, &scanned.inventory, &suppressions(&[], None).unwrap(), &Filter::default()).unwrap();
    let ids: Vec<&str> = matches.findings.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(ids, ["CVE-2099-0001"], "one finding, named by its CVE alias");
    assert_eq!(matches.findings[0].severity, temper_finding::Severity::Critical);
    let high_only = Filter { severities: vec![temper_finding::Severity::High], ..Default::default() };
    assert!(find(&db, &scanned.inventory, &suppressions(&[], None).unwrap(), &high_only).unwrap().findings.is_empty());

    let settings = temper_check::Settings::new(time::OffsetDateTime::now_utc().date());
    let report = hardening::assess(&opened.image, &scanned, &settings, &Default::default(), FailOn::AtLeast(temper_check::Severity::High));
    assert!(report.secrets.iter().any(|s| s.path == "app/.env" && s.layer == Some(1)), "{:?}", report.secrets);
    assert!(!report.passed);
    assert!(hardening::assess(&opened.image, &scanned, &settings, &Default::default(), FailOn::Never).passed);
}

#[test]
fn a_database_without_the_images_ecosystem_is_refused_not_clean() {
    let tmp = tempfile::tempdir().unwrap();
    let opened = target::open(&image(tmp.path()), &Default::default()).unwrap();
    let cache = CacheSettings { disabled: true, ..Default::default() };
    let scanned = pass::scan(&opened.image, &limits(), &cache, &Silent, false).unwrap();
    let pypi = tmp.path().join("PYSEC-0.json");
    std::fs::write(&pypi, ADVISORY.replace("\"npm\"", "\"PyPI\"").replace("GHSA-test-0001", "PYSEC-0")).unwrap();
    let db = advisories::in_memory(&[pypi], &Silent).unwrap();
    let refused = advisories::require_coverage(&db, &scanned.inventory, false, "the test database", &Silent).unwrap_err().to_string();
    assert!(refused.contains("npm (1 package)") && refused.contains("--allow-partial-db"), "{refused}");
    advisories::require_coverage(&db, &scanned.inventory, true, "the test database", &Silent).unwrap();
}

/// Counts what the layer passes did: layers read from their blobs, and
/// layers taken from the cache.
#[derive(Default)]
struct Walks {
    passes: std::sync::atomic::AtomicUsize,
    read: std::sync::atomic::AtomicUsize,
    cached: std::sync::atomic::AtomicUsize,
}

struct Counting<'a>(&'a Walks);

impl temper_layer::Progress for Counting<'_> {
    fn start(&self, _: usize, _: Option<u64>) {
        self.0.read.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }
    fn advance(&self, _: usize, _: u64) {}
    fn finish(&self, _: usize) {}
    fn cached(&self, _: usize) {
        self.0.cached.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }
}

impl temper_verdict::Reporter for Walks {
    fn layer_pass(&self, _: &'static str, _: Vec<temper_verdict::reporter::LayerLabel>) -> Box<dyn temper_layer::Progress + '_> {
        self.passes.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Box::new(Counting(self))
    }
    fn download(&self, name: &str) -> Box<dyn temper_verdict::reporter::Download + '_> {
        Silent.download(name)
    }
    fn warn(&self, _: &str) {}
    fn note(&self, _: &str) {}
}

impl Walks {
    fn counts(&self) -> (usize, usize, usize) {
        let get = |a: &std::sync::atomic::AtomicUsize| a.load(std::sync::atomic::Ordering::SeqCst);
        (get(&self.passes), get(&self.read), get(&self.cached))
    }
}

#[test]
fn one_assessment_is_one_pass_and_its_cache_entries_serve_every_command() {
    use temper_verdict::assessment::{Advisories, Request, assess};
    let tmp = tempfile::tempdir().unwrap();
    let reference = image(tmp.path());
    let advisory = tmp.path().join("GHSA-test-0001.json");
    std::fs::write(&advisory, ADVISORY).unwrap();
    let db = advisories::in_memory(std::slice::from_ref(&advisory), &Silent).unwrap();
    let suppressions = suppressions(&[], None).unwrap();
    let cache = CacheSettings { dir: Some(tmp.path().join("cache")), ..Default::default() };
    let checks = temper_check::Settings::new(time::OffsetDateTime::now_utc().date());
    let open = Default::default();
    let (limits, allowed) = (limits(), Default::default());
    let request = || Request {
        reference: &reference,
        digest: None,
        open: &open,
        limits: &limits,
        cache: &cache,
        advisories: Some(Advisories { db: &db, source: "the test database".into(), suppressions: &suppressions, allow_partial: false, filter: Filter::default() }),
        checks: &checks,
        secrets_allowed: &allowed,
        trust: Default::default(),
        dockerfile: None,
    };
    let walks = Walks::default();
    let assessed = assess(&request(), &walks).unwrap();
    assert_eq!(walks.counts(), (1, 2, 0), "one pass reading each of the two layers once");

    // Everything the separate commands report is in the one document.
    let doc = serde_json::to_value(&assessed.assessment).unwrap();
    assert_eq!(doc["apiVersion"], "temper.dev/assessment/v1");
    assert!(doc["packages"].as_array().unwrap().iter().any(|p| p["name"] == "lodash" && p["purl"] == "pkg:npm/lodash@4.17.20" && p["licenses"][0] == "MIT" && p["layer"] == 0), "{}", doc["packages"]);
    assert_eq!(doc["vulnerabilities"]["counts"]["critical"], 1);
    assert_eq!(doc["vulnerabilities"]["findings"][0]["id"], "CVE-2099-0001");
    assert!(doc["secrets"].as_array().unwrap().iter().any(|s| s["path"] == "app/.env" && s["layer"] == 1));
    assert!(doc["checks"].as_array().unwrap().iter().any(|c| c["id"] == "runs-as-root" && c["status"] == "fail"));
    assert_eq!(doc["layers"]["count"], 2);
    assert_eq!(doc["signatures"]["checked"], false);
    let schema: serde_json::Value = serde_json::from_slice(&std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../schemas/assessment.schema.json")).unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator.iter_errors(&doc).map(|e| format!("{} at {}", e, e.instance_path())).collect();
    assert!(errors.is_empty(), "the document breaks its schema: {errors:?}");

    // The layer entries it wrote serve `scan`, `check` and `sbom` (one analyser set, one key): no layer is read again.
    let again = Walks::default();
    let opened = target::open(&reference, &Default::default()).unwrap();
    let scanned = pass::scan(&opened.image, &limits, &cache, &again, false).unwrap();
    assert_eq!(again.counts(), (1, 0, 2), "both layers from the cache");
    assert_eq!(scanned.from_cache, [true, true]);
    assert_eq!(scanned.inventory.secrets.len(), assessed.scanned.inventory.secrets.len(), "the secret rules' results are cached with the catalogers'");
    let again = Walks::default();
    assess(&request(), &again).unwrap();
    assert_eq!(again.counts(), (1, 0, 2));
}
