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
