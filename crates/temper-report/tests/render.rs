//! The report rendered from assessments made here: the same input gives
//! the same bytes, the policy's hashes are those of the page's own style
//! and script, image strings come out escaped, and 10,000 findings stay
//! under 5 MB.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::collections::BTreeMap;

use base64::Engine;
use sha2::{Digest, Sha256};
use temper_finding::severity::CvssScore;
use temper_finding::{Finding, Severity};
use temper_inventory::Ecosystem;
use temper_verdict::assessment::{Assessment, ConfigFacts, Counts, DatabaseFacts, ImageFacts, LayerFacts, LayerItem, PackageFacts, SignatureFacts, SizeFacts, VulnerabilityFacts};

const PAYLOAD: &str = "\"><img src=x onerror=alert(1)><script>document.title='pwned'</script>";

fn finding(i: usize, package: &str) -> Finding {
    let severity = [Severity::Critical, Severity::High, Severity::Medium, Severity::Low, Severity::Unknown][i % 5];
    Finding {
        id: format!("CVE-2026-{:05}", 10_000 + i),
        aliases: vec![format!("GHSA-{i:04}-aaaa-bbbb")],
        records: vec![format!("TEMPER-{i}")],
        package: package.to_owned(),
        version: "1.0.0".to_owned(),
        ecosystem: Ecosystem::Npm,
        purl: format!("pkg:npm/{package}@1.0.0"),
        matched_as: None,
        layer: Some(i % 3),
        paths: vec![format!("app/node_modules/{package}/package.json")],
        fixed_versions: if i.is_multiple_of(4) { Vec::new() } else { vec!["1.0.1".to_owned()] },
        severity,
        cvss: (severity != Severity::Unknown).then(|| CvssScore { version: "3.1".to_owned(), vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H".to_owned(), score: 9.8 - (i % 5) as f64 * 2.0 }),
        severity_source: None,
        vendor_severity: Vec::new(),
        kev: i.is_multiple_of(7),
        summary: Some(format!("summary {i}")),
        published: None,
        matched_in: ("npm", package.to_owned()),
    }
}

fn assessment(findings: usize, hostile: &str) -> Assessment {
    let findings: Vec<Finding> = (0..findings).map(|i| finding(i, &format!("pkg{}{hostile}", i % 50))).collect();
    let mut counts = Counts::default();
    for f in &findings {
        *match f.severity {
            Severity::Critical => &mut counts.critical,
            Severity::High => &mut counts.high,
            Severity::Medium => &mut counts.medium,
            Severity::Low => &mut counts.low,
            Severity::Unknown => &mut counts.unknown,
        } += 1;
    }
    Assessment {
        api_version: temper_verdict::assessment::API_VERSION,
        image: ImageFacts {
            reference: format!("registry.example/app{hostile}:1"),
            digest: Some(format!("sha256:{}", "a".repeat(64))),
            platform: Some("linux/amd64".to_owned()),
            os: None,
            created: Some("2026-01-01T00:00:00Z".to_owned()),
            config: ConfigFacts { user: "app".to_owned(), env: Vec::new(), labels: BTreeMap::from([("org.example.note".to_owned(), hostile.to_owned()), ("b".to_owned(), "2".to_owned())]), entrypoint: Vec::new(), cmd: Vec::new(), workdir: None, exposed_ports: Vec::new() },
            base: None,
            size: SizeFacts { compressed: 1_000_000, uncompressed: 3_000_000 },
        },
        layers: LayerFacts {
            count: 3,
            wasted_bytes: 100_000,
            wasted_percent: 10.0,
            efficiency: 0.95,
            items: (0..3).map(|i| LayerItem { index: i, digest: Some(format!("sha256:{}", i.to_string().repeat(64))), size: 1_000_000 * (i as u64 + 1), command: Some(format!("RUN step {i} {hostile}")) }).collect(),
        },
        packages: (0..50).map(|i| PackageFacts { name: format!("pkg{i}{hostile}"), version: "1.0.0".to_owned(), ecosystem: if i % 2 == 0 { Ecosystem::Npm } else { Ecosystem::Deb }, purl: format!("pkg:npm/pkg{i}@1.0.0"), licenses: vec!["MIT".to_owned()], layer: Some(i % 3) }).collect(),
        vulnerabilities: VulnerabilityFacts { counts, findings, suppressed: Vec::new(), database: Some(DatabaseFacts { source: "test".to_owned(), updated: Some("2026-11-01T00:00:00Z".to_owned()) }) },
        checks: Vec::new(),
        secrets: Vec::new(),
        signatures: SignatureFacts::default(),
        attestations: Vec::new(),
        lint: None,
    }
}

fn render(a: &Assessment) -> String {
    temper_report::render(&temper_report::Input { assessment: a, verdict: None, dockerfile: None }).unwrap()
}

/// The text between `open` and the next `close` after it.
fn between<'a>(html: &'a str, open: &str, close: &str) -> &'a str {
    let start = html.find(open).unwrap() + open.len();
    &html[start..start + html[start..].find(close).unwrap()]
}

fn sha256_b64(text: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(Sha256::digest(text.as_bytes()))
}

#[test]
fn same_assessment_same_bytes() {
    let a = assessment(40, "");
    assert_eq!(render(&a), render(&a));
}

#[test]
fn the_policy_allows_exactly_the_pages_own_style_and_script() {
    let html = render(&assessment(5, ""));
    let csp = between(&html, "<meta http-equiv=\"Content-Security-Policy\" content=\"", "\"");
    assert!(csp.starts_with("default-src 'none'; "), "{csp}");
    assert_eq!(html.matches("<style>").count(), 1);
    assert_eq!(html.matches("<script>").count(), 1);
    let style = between(&html, "<style>", "</style>");
    let script = between(&html, "<script>", "</script>");
    assert!(csp.contains(&format!("style-src 'sha256-{}'", sha256_b64(style))), "{csp}");
    assert!(csp.contains(&format!("script-src 'sha256-{}'", sha256_b64(script))), "{csp}");
    assert!(!html.contains(" style=") && !html.contains(" onclick=") && !html.contains(" onload="), "inline attributes would be blocked");
    for external in ["src=\"http", "href=\"//", "@import", "url(http"] {
        assert!(!html.contains(external), "the page must load nothing: {external}");
    }
}

#[test]
fn strings_from_the_image_are_escaped() {
    let html = render(&assessment(5, PAYLOAD));
    let body = between(&html, "<body>", "<script>");
    assert!(!body.contains("<script>") && !body.contains("<img"), "a payload reached the page raw");
    assert!(body.contains("&lt;script&gt;document.title=&#x27;pwned&#x27;&lt;&#x2f;script&gt;"), "the payload is shown as text");
    assert!(!body.contains("\"><img"), "no attribute is broken out of");
}

#[test]
fn charts_and_tables_count_what_the_assessment_holds() {
    let html = render(&assessment(10, ""));
    assert!(html.contains("<figure class=\"chart\" id=\"chart-severity\" data-kind=\"bars\" data-total=\"10\">"));
    assert!(html.contains("data-key=\"critical\" data-count=\"2\""));
    // i % 4 == 0 has no fix: 0, 4, 8.
    assert!(html.contains("data-key=\"fixable\" data-count=\"7\"") && html.contains("data-key=\"no-fix\" data-count=\"3\""));
    assert!(html.contains("id=\"chart-ecosystem\" data-kind=\"bars\" data-total=\"50\""));
    assert!(html.contains("data-key=\"wasted\" data-count=\"100000\""));
    let findings = between(&html, "<table id=\"findings-table\"", "</table>");
    assert_eq!(findings.matches("<tr data-severity=").count(), 10);
    assert!(findings.contains("<a href=\"https://www.cve.org/CVERecord?id=CVE-2026-10000\">CVE-2026-10000</a> <a href=\"https://github.com/advisories/GHSA-0000-aaaa-bbbb\">"));
}

#[test]
fn ten_thousand_findings_stay_under_five_megabytes() {
    let html = render(&assessment(10_000, ""));
    assert_eq!(html.matches("<tr data-severity=").count(), 10_000);
    assert!(html.len() < 5_000_000, "{} bytes", html.len());
    // scripts/bench-report.sh times this page in chromium.
    if let Some(out) = std::env::var_os("TEMPER_REPORT_BENCH_OUT") {
        std::fs::write(out, &html).unwrap();
    }
}
