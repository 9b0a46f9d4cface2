//! The built-in rules on crafted assessments (pass, fail, warn mode), the
//! default policy, exceptions, image selection and policy file errors.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use std::path::Path;

use common::image;
use serde_json::{Value, json};
use temper_policy::{Mode, Policy, Request, RuleStatus, ScopeMatch, Selection, Status, Verdict};
use temper_trust::key::{Algorithm, SigningKey};

fn day(y: i32, m: u8, d: u8) -> time::Date {
    time::Date::from_calendar_date(y, time::Month::try_from(m).unwrap(), d).unwrap()
}

const TODAY: (i32, u8, u8) = (2026, 12, 7);

fn today() -> time::Date {
    day(TODAY.0, TODAY.1, TODAY.2)
}

/// A policy file in its own directory, with `files` beside it.
struct P {
    dir: tempfile::TempDir,
}

impl P {
    fn new() -> Self {
        P { dir: tempfile::tempdir().unwrap() }
    }

    fn file(self, name: &str, bytes: &[u8]) -> Self {
        let path = self.dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
        self
    }

    fn load(&self, text: &str) -> Result<Policy, String> {
        Policy::from_toml(&self.dir.path().join("policy.toml"), text).map_err(|e| e.to_string())
    }
}

fn policy(text: &str) -> Policy {
    P::new().load(text).unwrap()
}

fn judge(p: &Policy, doc: &Value) -> Verdict {
    p.evaluate(doc, Request { namespace: None, today: today() }).unwrap()
}

fn status(p: &Policy, doc: &Value, rule: &str) -> RuleStatus {
    let v = judge(p, doc);
    v.result(rule).unwrap_or_else(|| panic!("no result for {rule}: {v:#?}")).status
}

// ---- the default policy ----

#[test]
fn default_policy_is_the_seeds() {
    let p = Policy::default();
    assert_eq!(judge(&p, &image("app:1").build()).status, Status::Pass);
    let one_critical = judge(&p, &image("app:1").findings("CRITICAL", 1).build());
    assert_eq!(one_critical.status, Status::Fail);
    assert_eq!(one_critical.result("vulnerabilities").unwrap().items, ["CVE-2026-80 (openssl 3.0.1)"]);
    assert_eq!(judge(&p, &image("app:1").findings("HIGH", 9).build()).status, Status::Pass);
    let ten_high = judge(&p, &image("app:1").findings("HIGH", 10).build());
    assert_eq!(ten_high.status, Status::Fail);
    assert!(ten_high.result("vulnerabilities").unwrap().reason.contains("10 high (maximum 9)"), "{ten_high:#?}");
    // Medium and low findings have no limit.
    assert_eq!(judge(&p, &image("app:1").findings("MEDIUM", 50).findings("LOW", 50).build()).status, Status::Pass);
    let secret = judge(&p, &image("app:1").secret("etc/app.env", "low").build());
    assert_eq!(secret.status, Status::Fail);
    assert_eq!(secret.result("secrets").unwrap().items, ["etc/app.env:3 (aws-access-key-id)"]);
    let root = judge(&p, &image("app:1").root().build());
    assert_eq!(root.status, Status::Warn);
    assert_eq!(root.result("checks").unwrap().status, RuleStatus::Warn);
    assert_eq!(root.result("checks").unwrap().source, "default");
    assert_eq!(root.scope, ScopeMatch::All);
}

// ---- each built-in rule ----

#[test]
fn vulnerabilities_limits_each_severity_named() {
    let p = policy("[rules.vulnerabilities]\nmax = { critical = 0, high = 2, medium = 5 }\n");
    assert_eq!(status(&p, &image("a").findings("HIGH", 2).findings("MEDIUM", 5).findings("LOW", 99).build(), "vulnerabilities"), RuleStatus::Pass);
    assert_eq!(status(&p, &image("a").findings("MEDIUM", 6).build(), "vulnerabilities"), RuleStatus::Fail);
    assert_eq!(status(&p, &image("a").findings("HIGH", 3).build(), "vulnerabilities"), RuleStatus::Fail);
    let warn = policy("[rules.vulnerabilities]\nmode = \"warn\"\nmax = { critical = 0 }\n");
    let v = judge(&warn, &image("a").findings("CRITICAL", 1).build());
    assert_eq!((v.status, v.result("vulnerabilities").unwrap().status, v.result("vulnerabilities").unwrap().mode), (Status::Warn, RuleStatus::Warn, Mode::Warn));
}

#[test]
fn kev_fails_on_a_known_exploited_finding() {
    let p = policy("[rules.kev]\n");
    assert_eq!(status(&p, &image("a").finding("CVE-2026-1", "LOW", &[], false, None).build(), "kev"), RuleStatus::Pass);
    let v = judge(&p, &image("a").finding("CVE-2026-1", "LOW", &[], false, None).finding("CVE-2026-2", "LOW", &[], true, None).build());
    assert_eq!(v.result("kev").unwrap().status, RuleStatus::Fail);
    assert_eq!(v.result("kev").unwrap().items, ["CVE-2026-2 (openssl 3.0.1)"]);
}

#[test]
fn fix_age_counts_days_since_published_for_fixed_findings() {
    let p = policy("[rules.fix-age]\nmax-days = 30\nseverities = [\"critical\", \"high\"]\n");
    // Today is 2026-12-07: 2026-11-07 is exactly 30 days, 2026-11-06 is 31.
    assert_eq!(status(&p, &image("a").finding("CVE-1", "HIGH", &["3.0.2"], false, Some("2026-11-07")).build(), "fix-age"), RuleStatus::Pass);
    let old = judge(&p, &image("a").finding("CVE-1", "HIGH", &["3.0.2"], false, Some("2026-11-06")).build());
    assert_eq!(old.result("fix-age").unwrap().status, RuleStatus::Fail);
    assert_eq!(old.result("fix-age").unwrap().items, ["CVE-1 (openssl 3.0.1) fixed in 3.0.2 (31 days)"]);
    // No fix, a severity not counted, or no date: not counted.
    assert_eq!(status(&p, &image("a").finding("CVE-1", "HIGH", &[], false, Some("2020-01-01")).build(), "fix-age"), RuleStatus::Pass);
    assert_eq!(status(&p, &image("a").finding("CVE-1", "MEDIUM", &["1"], false, Some("2020-01-01")).build(), "fix-age"), RuleStatus::Pass);
    let undated = judge(&p, &image("a").finding("CVE-1", "HIGH", &["1"], false, None).build());
    assert_eq!(undated.result("fix-age").unwrap().status, RuleStatus::Pass);
    assert!(undated.result("fix-age").unwrap().reason.contains("1 fixable finding(s) without a published date"));
}

#[test]
fn secrets_respects_min_severity() {
    let p = policy("[rules.secrets]\nmin-severity = \"high\"\n");
    assert_eq!(status(&p, &image("a").secret("a.env", "medium").build(), "secrets"), RuleStatus::Pass);
    assert_eq!(status(&p, &image("a").secret("a.env", "critical").build(), "secrets"), RuleStatus::Fail);
}

#[test]
fn checks_fail_and_warn_lists() {
    let p = policy("[rules.checks]\nfail = [\"eol-os\"]\nwarn = [\"runs-as-root\"]\n");
    assert_eq!(status(&p, &image("a").build(), "checks"), RuleStatus::Pass);
    assert_eq!(status(&p, &image("a").root().build(), "checks"), RuleStatus::Warn);
    let v = judge(&p, &image("a").root().check("eol-os", "fail").build());
    assert_eq!(v.result("checks").unwrap().status, RuleStatus::Fail);
    assert_eq!(v.result("checks").unwrap().items, ["eol-os: eol-os fail", "runs-as-root: runs-as-root fail"]);
    // A skipped check passes; one the assessment lacks cannot be shown to pass.
    assert_eq!(status(&p, &image("a").check("eol-os", "skip").build(), "checks"), RuleStatus::Pass);
    let missing = policy("[rules.checks]\nfail = [\"setuid\"]\n");
    let v = judge(&missing, &image("a").build());
    assert_eq!((v.result("checks").unwrap().status, v.result("checks").unwrap().items.clone()), (RuleStatus::Fail, vec!["setuid: not in the assessment".to_owned()]));
}

#[test]
fn size_limits_total_compressed_and_wasted() {
    let p = policy("[rules.size]\nmax = \"100MB\"\nmax-compressed = \"40MB\"\nmax-wasted = \"10%\"\n");
    assert_eq!(status(&p, &image("a").size(40_000_000, 100_000_000, 10_000_000).build(), "size"), RuleStatus::Pass);
    assert_eq!(status(&p, &image("a").size(40_000_000, 100_000_001, 0).build(), "size"), RuleStatus::Fail);
    assert_eq!(status(&p, &image("a").size(40_000_001, 1, 0).build(), "size"), RuleStatus::Fail);
    assert_eq!(status(&p, &image("a").size(1, 100_000_000, 10_000_001).build(), "size"), RuleStatus::Fail);
    let bytes = policy("[rules.size]\nmax-wasted = \"1MiB\"\n");
    assert_eq!(status(&bytes, &image("a").size(1, 1, 1_048_576).build(), "size"), RuleStatus::Pass);
    assert_eq!(status(&bytes, &image("a").size(1, 1, 1_048_577).build(), "size"), RuleStatus::Fail);
}

#[test]
fn packages_by_name_or_purl_prefix() {
    let p = policy("[rules.packages]\nforbidden = [\"telnet\", \"pkg:npm/event-stream\"]\n");
    assert_eq!(status(&p, &image("a").package("event-stream-x", "pkg:npm/event-stream-x@1.0", &[]).package("telnetd", "pkg:deb/debian/telnetd@1", &[]).build(), "packages"), RuleStatus::Pass);
    let v = judge(&p, &image("a").package("event-stream", "pkg:npm/event-stream@3.3.6", &[]).package("telnet", "pkg:deb/debian/telnet@0.17", &[]).build());
    assert_eq!(v.result("packages").unwrap().status, RuleStatus::Fail);
    assert_eq!(v.result("packages").unwrap().items, ["pkg:npm/event-stream@3.3.6", "pkg:deb/debian/telnet@0.17"]);
}

#[test]
fn licenses_forbidden_only_when_unavoidable() {
    let p = policy("[rules.licenses]\nforbidden = [\"AGPL-3.0-only\", \"GPL-3.0-or-later\"]\n");
    let ok = image("a").package("a", "pkg:npm/a@1", &["MIT"]).package("b", "pkg:npm/b@1", &["MIT OR AGPL-3.0-only"]).package("c", "pkg:npm/c@1", &["GPL-2.0-only"]).build();
    assert_eq!(status(&p, &ok, "licenses"), RuleStatus::Pass);
    let v = judge(&p, &image("a").package("d", "pkg:npm/d@1", &["MIT AND AGPL-3.0-only"]).package("e", "pkg:npm/e@1", &["GPL-3.0+"]).build());
    assert_eq!(v.result("licenses").unwrap().status, RuleStatus::Fail);
    assert_eq!(v.result("licenses").unwrap().items, ["d 1.0 (MIT AND AGPL-3.0-only)", "e 1.0 (GPL-3.0+)"]);
    let err = P::new().load("[rules.licenses]\nforbidden = [\"Not-A-Licence\"]\n").unwrap_err();
    assert!(err.ends_with("policy.toml:2:14: `rules.licenses.forbidden`: not an SPDX licence id or expression: 0..13 unknown term") || err.contains("policy.toml:2:14: `rules.licenses.forbidden`: not an SPDX licence id"), "{err}");
}

fn key() -> (String, String) {
    let k = SigningKey::generate(Algorithm::EcdsaP256).unwrap().public();
    (k.to_pem(), k.key_id())
}

#[test]
fn signature_counts_distinct_trusted_signers() {
    let ((pem1, id1), (pem2, id2), (_, other)) = (key(), key(), key());
    let root = std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("../temper-trust/tests/fixtures/sigstore-go/trusted-root-public-good.json")).unwrap();
    let dir = P::new().file("keys/a.pub", pem1.as_bytes()).file("keys/b.pub", pem2.as_bytes()).file("trusted_root.json", &root).file("keys/not-a-root.json", b"{}");
    let p = dir.load("[rules.signature]\nkeys = [\"keys/a.pub\", \"keys/b.pub\"]\nidentities = [{ subject = \"ci@example.com\", issuer = \"https://issuer.example\" }]\ntrusted-root = \"trusted_root.json\"\ncount = 2\n").unwrap();
    assert_eq!(p.requirements().signature_keys.iter().map(|k| k.key_id()).collect::<Vec<_>>(), [id1.clone(), id2.clone()]);
    assert_eq!(p.requirements().identities[0].subject, "ci@example.com");
    assert!(p.requirements().trusted_root.is_some());
    // Identities are verified against a trusted root, so they need one, and it must be one.
    let err = dir.load("[rules.signature]\nidentities = [{ subject = \"ci@example.com\", issuer = \"https://issuer.example\" }]\n").unwrap_err();
    assert!(err.contains("`rules.signature`: `identities` need `trusted-root`"), "{err}");
    let err = dir.load("[rules.signature]\nkeys = [\"keys/a.pub\"]\ntrusted-root = \"trusted_root.json\"\n").unwrap_err();
    assert!(err.contains("policy.toml:3:16: `rules.signature.trusted-root`: a trusted root is only for keyless `identities`"), "{err}");
    let err = dir.load("[rules.signature]\nidentities = [{ subject = \"ci@example.com\", issuer = \"https://issuer.example\" }]\ntrusted-root = \"keys/not-a-root.json\"\n").unwrap_err();
    assert!(err.contains("policy.toml:3:16: `rules.signature.trusted-root`:") && err.contains("not-a-root.json"), "{err}");
    // Not checked: nothing shows a signature.
    assert_eq!(status(&p, &image("a").build(), "signature"), RuleStatus::Fail);
    // The same key twice, and an untrusted key, count once and not at all.
    let one = image("a").signed(json!([{ "key_id": id1 }, { "key_id": id1 }, { "key_id": other }])).build();
    assert_eq!(status(&p, &one, "signature"), RuleStatus::Fail);
    let two = image("a").signed(json!([{ "key_id": id1 }, { "key_id": null, "identity": "ci@example.com", "issuer": "https://issuer.example" }])).build();
    assert_eq!(status(&p, &two, "signature"), RuleStatus::Pass);
    // The right subject from another issuer is someone else.
    let wrong_issuer = image("a").signed(json!([{ "key_id": id1 }, { "key_id": null, "identity": "ci@example.com", "issuer": "https://evil.example" }])).build();
    assert_eq!(status(&p, &wrong_issuer, "signature"), RuleStatus::Fail);
    let err = dir.load("[rules.signature]\nkeys = [\"keys/a.pub\"]\ncount = 2\n").unwrap_err();
    assert!(err.contains("policy.toml:3:9: `rules.signature.count`: count must be from 1 to the number of keys and identities (1)"), "{err}");
    let err = dir.load("[rules.signature]\nkeys = [\"keys/missing.pub\"]\n").unwrap_err();
    assert!(err.contains("policy.toml:2:9: `rules.signature.keys`:") && err.contains("missing.pub"), "{err}");
}

#[test]
fn attestation_type_key_and_conditions() {
    let (pem, id) = key();
    let dir = P::new().file("k.pub", pem.as_bytes());
    let p = dir.load("[[rules.attestation]]\ntype = \"slsaprovenance1\"\nkeys = [\"k.pub\"]\nbuilder-id = \"https://ci.example/builder\"\nconditions = [{ path = \"buildDefinition.buildType\", matches = \"https://ci.example/*\" }]\n\n[[rules.attestation]]\ntype = \"cyclonedx\"\n").unwrap();
    assert_eq!(p.requirements().attestation_types, ["https://slsa.dev/provenance/v1", "https://cyclonedx.org/bom"]);
    let good = json!({ "buildDefinition": { "buildType": "https://ci.example/v1" }, "runDetails": { "builder": { "id": "https://ci.example/builder" } } });
    let v = judge(&p, &image("a").attestation("https://slsa.dev/provenance/v1", &id, good.clone()).attestation("https://cyclonedx.org/bom", "x", json!({})).build());
    assert!(v.results.iter().all(|r| r.status == RuleStatus::Pass), "{v:#?}");
    let v = judge(&p, &image("a").attestation("https://slsa.dev/provenance/v1", "other-key", good).build());
    assert_eq!(v.results.iter().map(|r| r.status).collect::<Vec<_>>(), [RuleStatus::Fail, RuleStatus::Fail]);
    let bad = json!({ "buildDefinition": { "buildType": "https://ci.example/v1" }, "runDetails": { "builder": { "id": "https://evil.example" } } });
    let v = judge(&p, &image("a").attestation("https://slsa.dev/provenance/v1", &id, bad).build());
    assert_eq!(v.results[0].status, RuleStatus::Fail);
    assert_eq!(v.results[0].items, ["builder id is https://ci.example/builder"]);
}

#[test]
fn base_must_be_a_golden_digest_or_signed_by_a_golden_key() {
    let (pem, id) = key();
    let golden = format!("sha256:{}", "b".repeat(64));
    let p = P::new().file("golden.pub", pem.as_bytes()).load(&format!("[rules.base]\ndigests = [\"{golden}\"]\nkeys = [\"golden.pub\"]\n")).unwrap();
    assert_eq!(p.requirements().base_keys.len(), 1);
    assert_eq!(status(&p, &image("a").build(), "base"), RuleStatus::Fail);
    assert_eq!(status(&p, &image("a").base(&golden, json!([])).build(), "base"), RuleStatus::Pass);
    let other = format!("sha256:{}", "c".repeat(64));
    assert_eq!(status(&p, &image("a").base(&other, json!([])).build(), "base"), RuleStatus::Fail);
    assert_eq!(status(&p, &image("a").base(&other, json!([{ "key_id": id }])).build(), "base"), RuleStatus::Pass);
    let err = P::new().load("[rules.base]\ndigests = [\"sha256:abc\"]\n").unwrap_err();
    assert!(err.contains("policy.toml:2:12: `rules.base.digests`: 'sha256:abc' is not a sha256:<64 hex> digest"), "{err}");
}

// ---- exceptions ----

const EXCEPTED: &str = "[rules.vulnerabilities]\nmax = { critical = 0 }\n\n[[exceptions]]\nrule = \"vulnerabilities\"\nids = [\"CVE-2026-1\"]\nexpires = 2026-12-31\nreason = \"not reachable (TICKET-1)\"\n";

#[test]
fn an_active_exception_lets_its_findings_through_with_its_reason() {
    let p = policy(EXCEPTED);
    let v = judge(&p, &image("a").finding("CVE-2026-1", "CRITICAL", &[], false, None).build());
    let r = v.result("vulnerabilities").unwrap();
    assert_eq!((v.status, r.status), (Status::Pass, RuleStatus::Excepted), "{v:#?}");
    assert!(r.reason.contains("exceptions[0] (until 2026-12-31): not reachable (TICKET-1)"), "{}", r.reason);
    // By alias too; and another critical still fails.
    let by_alias = policy(&EXCEPTED.replace("\"CVE-2026-1\"", "\"GHSA-cve-2026-1\""));
    assert_eq!(status(&by_alias, &image("a").finding("CVE-2026-1", "CRITICAL", &[], false, None).build(), "vulnerabilities"), RuleStatus::Excepted);
    let v = judge(&p, &image("a").finding("CVE-2026-1", "CRITICAL", &[], false, None).finding("CVE-2026-2", "CRITICAL", &[], false, None).build());
    assert_eq!(v.result("vulnerabilities").unwrap().status, RuleStatus::Fail);
    assert_eq!(v.result("vulnerabilities").unwrap().items, ["CVE-2026-2 (openssl 3.0.1)"]);
}

#[test]
fn an_expired_exception_no_longer_applies_and_is_reported() {
    let p = policy(EXCEPTED);
    let doc = image("a").finding("CVE-2026-1", "CRITICAL", &[], false, None).build();
    // The last day it applies, then the day after.
    assert_eq!(p.evaluate(&doc, Request { namespace: None, today: day(2026, 12, 31) }).unwrap().status, Status::Pass);
    let v = p.evaluate(&doc, Request { namespace: None, today: day(2027, 1, 1) }).unwrap();
    assert_eq!(v.status, Status::Fail, "{v:#?}");
    assert_eq!(v.result("vulnerabilities").unwrap().status, RuleStatus::Fail);
    let expired = v.result("exception").unwrap();
    assert_eq!((expired.status, expired.source.as_str()), (RuleStatus::Warn, "exceptions[0]"));
    assert!(expired.reason.contains("exceptions[0] for rule vulnerabilities expired on 2026-12-31 and no longer applies"), "{}", expired.reason);
    // Reported even when nothing it named is found any more.
    let clean = p.evaluate(&image("a").build(), Request { namespace: None, today: day(2027, 1, 1) }).unwrap();
    assert_eq!(clean.status, Status::Warn);
}

#[test]
fn an_image_exception_excepts_the_whole_rule_for_matching_images() {
    let p = policy("[rules.kev]\n\n[[exceptions]]\nrule = \"kev\"\nimages = [\"legacy/*\"]\nexpires = 2027-06-30\nreason = \"legacy app, retired in Q2\"\n");
    let doc = |r: &str| image(r).finding("CVE-1", "LOW", &[], true, None).build();
    assert_eq!(status(&p, &doc("legacy/app:1"), "kev"), RuleStatus::Excepted);
    assert_eq!(status(&p, &doc("prod/app:1"), "kev"), RuleStatus::Fail);
}

#[test]
fn exceptions_need_a_reason_a_date_and_a_target() {
    let err = P::new().load("[[exceptions]]\nrule = \"kev\"\nids = [\"CVE-1\"]\nexpires = 2027-01-01\n").unwrap_err();
    assert!(err.contains("policy.toml") && err.contains("`exceptions[0]`") && err.contains("missing field `reason`"), "{err}");
    let err = P::new().load("[[exceptions]]\nrule = \"kev\"\nids = [\"CVE-1\"]\nexpires = 2027-01-01\nreason = \"  \"\n").unwrap_err();
    assert!(err.contains("policy.toml:5:10: `exceptions[0].reason`: an exception needs a reason"), "{err}");
    let err = P::new().load("[[exceptions]]\nrule = \"kev\"\nids = [\"CVE-1\"]\nexpires = \"soon\"\nreason = \"x\"\n").unwrap_err();
    assert!(err.contains("policy.toml:4:"), "{err}");
    let err = P::new().load("[[exceptions]]\nrule = \"kev\"\nexpires = 2027-01-01\nreason = \"x\"\n").unwrap_err();
    assert!(err.contains("an exception names `ids`, `images` or both"), "{err}");
    let err = P::new().load("[[exceptions]]\nrule = \"kevv\"\nids = [\"x\"]\nexpires = 2027-01-01\nreason = \"x\"\n").unwrap_err();
    assert!(err.contains("policy.toml:2:8: `exceptions[0].rule`: no built-in rule is called `kevv`"), "{err}");
    let err = P::new().load("[[exceptions]]\nrule = \"signature\"\nids = [\"x\"]\nexpires = 2027-01-01\nreason = \"x\"\n").unwrap_err();
    assert!(err.contains("`exceptions[0].ids`: rule `signature` judges the image as a whole"), "{err}");
}

// ---- selection ----

const SCOPED: &str = r#"no-match = "deny"

[[scope]]
images = ["registry.example.com/dev/**"]
namespaces = ["dev-*"]
exempt = true

[[scope]]
images = ["registry.example.com/prod/*"]
rules = ["kev"]

[[scope]]
images = ["registry.example.com/**"]

[rules.kev]
[rules.secrets]
"#;

#[test]
fn the_first_matching_scope_selects_its_rules() {
    let p = policy(SCOPED);
    let doc = |r: &str| image(r).finding("CVE-1", "LOW", &[], true, None).secret("a.env", "high").build();
    let prod = judge(&p, &doc("registry.example.com/prod/app:1"));
    assert_eq!(prod.scope, ScopeMatch::Scope { index: 1, images: vec!["registry.example.com/prod/*".into()] });
    assert_eq!(prod.results.iter().map(|r| r.rule.as_str()).collect::<Vec<_>>(), ["kev"]);
    // `*` stops at `/`: a deeper path falls to the catch-all scope, with every rule.
    let deep = judge(&p, &doc("registry.example.com/prod/team/app:1"));
    assert_eq!(deep.results.iter().map(|r| r.rule.as_str()).collect::<Vec<_>>(), ["kev", "secrets"]);
}

#[test]
fn namespaces_exempt_and_no_match() {
    let p = policy(SCOPED);
    let dev = "registry.example.com/dev/app:1";
    assert!(matches!(p.select(dev, Some("dev-alice")), Selection::Exempt { .. }));
    assert!(!p.select(dev, Some("dev-alice")).needs_assessment());
    // Outside the webhook, or in another namespace, the dev scope does not select.
    assert!(matches!(p.select(dev, None), Selection::Rules { .. }));
    assert!(matches!(p.select(dev, Some("prod")), Selection::Rules { .. }));
    let v = p.evaluate(&image(dev).secret("x", "high").build(), Request { namespace: Some("dev-bob"), today: today() }).unwrap();
    assert_eq!(v.status, Status::Pass);
    for (no_match, want) in [("deny", Status::Fail), ("warn", Status::Warn), ("allow", Status::Pass)] {
        let p = policy(&SCOPED.replace("no-match = \"deny\"", &format!("no-match = \"{no_match}\"")));
        let v = judge(&p, &image("docker.io/library/nginx:1").build());
        assert_eq!(v.status, want, "no-match = {no_match}");
        assert!(matches!(v.scope, ScopeMatch::None { .. }));
        assert!(!p.select("docker.io/library/nginx:1", None).needs_assessment());
    }
}

// ---- the policy file ----

#[test]
fn toml_errors_name_the_file_line_column_and_key() {
    let err = P::new().load("[rules.vulnerabilities]\nmax = { critical = 0 }\nmaxx = 1\n").unwrap_err();
    assert!(err.contains("policy.toml:3:1: `rules.vulnerabilities.maxx`: unknown field `maxx`, expected `mode` or `max`"), "{err}");
    let err = P::new().load("[rules.vulnerabilities]\nmax = { critical = \"none\" }\n").unwrap_err();
    assert!(err.contains("policy.toml:2:") && err.contains("`rules.vulnerabilities.max.critical`"), "{err}");
    let err = P::new().load("[rules.fix-age]\nmax-days = 30\nmode = \"block\"\n").unwrap_err();
    assert!(err.contains("policy.toml:3:8: `rules.fix-age.mode`: unknown variant `block`"), "{err}");
    let err = P::new().load("no-match = \"maybe\"\n").unwrap_err();
    assert!(err.contains("policy.toml:1:12: `no-match`: unknown variant `maybe`"), "{err}");
    let err = P::new().load("[[scope]]\nimages = [\"a/[\"]\n").unwrap_err();
    assert!(err.contains("policy.toml:2:11: `scope[0].images`:"), "{err}");
    let err = P::new().load("[[scope]]\nimages = [\"a/*\"]\nrules = [\"vulns\"]\n").unwrap_err();
    assert!(err.contains("policy.toml:3:10: `scope[0].rules`: no rule is called `vulns`"), "{err}");
    let err = P::new().load("[rules\n").unwrap_err();
    assert!(err.contains("policy.toml:1:"), "{err}");
}

#[test]
fn digest_is_stable_and_follows_the_files() {
    let (pem, _) = key();
    let (pem2, _) = key();
    let text = "[rules.signature]\nkeys = [\"k.pub\"]\n";
    let dir = P::new().file("k.pub", pem.as_bytes());
    let a = dir.load(text).unwrap();
    assert_eq!(a.digest(), dir.load(text).unwrap().digest());
    assert_eq!(a.digest().len(), 64);
    assert_ne!(a.digest(), dir.load(&format!("{text}count = 1\n")).unwrap().digest());
    let dir = dir.file("k.pub", pem2.as_bytes());
    assert_ne!(a.digest(), dir.load(text).unwrap().digest());
    assert_ne!(a.digest(), Policy::default().digest());
}

#[test]
fn the_example_policy_loads_and_judges_the_example_inputs() {
    let root = common::root();
    let p = Policy::load(&root.join("examples/policy/policy.toml")).unwrap();
    assert_eq!(p.requirements().signature_keys.len(), 1);
    for (input, want) in [("clean.json", Status::Pass), ("critical-fixable.json", Status::Fail), ("root-unlabelled.json", Status::Fail), ("foreign-registry.json", Status::Fail)] {
        let doc: Value = serde_json::from_slice(&std::fs::read(root.join("examples/policy/inputs").join(input)).unwrap()).unwrap();
        common::validate(&doc);
        let v = p.evaluate(&doc, Request { namespace: None, today: today() }).unwrap();
        assert_eq!(v.status, want, "{input}: {v:#?}");
    }
    assert!(Path::new(&root.join("examples/policy/keys/golden.pub")).is_file());
}

#[test]
fn a_policy_is_shared_across_threads() {
    // The webhook evaluates one loaded policy from many threads at once.
    fn shared<T: Send + Sync>() {}
    shared::<Policy>();
    shared::<temper_policy::Rego>();
    let p = std::sync::Arc::new(Policy::default());
    let doc = image("a").findings("CRITICAL", 1).build();
    let verdicts: Vec<Status> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..4).map(|_| s.spawn(|| judge(&p, &doc).status)).collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(verdicts, [Status::Fail; 4]);
}
