//! Keyless verification against sigstore-conformance's bundles, each with
//! its trusted root (or the public-good one from sigstore-go), artifact and
//! identity: every case (Rekor v1 and v2, with and without RFC 3161
//! timestamps) verifies or fails as the suite expects; and the refusals
//! have their kinds.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::path::PathBuf;

use temper_trust::keyless::{self, Identity, Pattern, TrustedRoot};
use temper_trust::verify::{Attested, Expected, VerifyError};
use temper_trust::{Bundle, statement};

const IDENTITY: &str = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
const ISSUER: &str = "https://token.actions.githubusercontent.com";

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn now() -> i64 {
    i64::try_from(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()).unwrap()
}

struct Case {
    bundle: Vec<u8>,
    root: TrustedRoot,
    artifact: Vec<u8>,
    identity: Identity,
}

fn case(name: &str) -> Case {
    let dir = fixtures().join("sigstore-conformance/bundle-verify").join(name);
    let root = std::fs::read(dir.join("trusted_root.json")).unwrap_or_else(|_| std::fs::read(fixtures().join("sigstore-go/trusted-root-public-good.json")).unwrap());
    let text = |f: &str, default: &str| std::fs::read_to_string(dir.join(f)).map(|s| s.trim().to_owned()).unwrap_or_else(|_| default.to_owned());
    Case {
        bundle: std::fs::read(dir.join("bundle.sigstore.json")).unwrap(),
        root: TrustedRoot::parse(&root).unwrap(),
        artifact: std::fs::read(dir.join("artifact")).unwrap_or_else(|_| std::fs::read(fixtures().join("sigstore-conformance/bundle-verify/a.txt")).unwrap()),
        identity: Identity { subject: Pattern::Exact(text("identity", IDENTITY)), issuer: Pattern::Exact(text("issuer", ISSUER)) },
    }
}

impl Case {
    fn verify(&self) -> Result<keyless::KeylessVerified, VerifyError> {
        keyless::verify(&self.bundle, Expected::Artifact(&self.artifact), &self.root, &self.identity, now())
    }
}

#[test]
fn conformance_keyless_cases_verify_as_the_suite_expects() {
    let mut cases: Vec<String> = std::fs::read_dir(fixtures().join("sigstore-conformance/bundle-verify")).unwrap().map(|e| e.unwrap()).filter(|e| e.path().is_dir() && !e.path().join("key.pub").exists()).map(|e| e.file_name().into_string().unwrap()).collect();
    cases.sort();
    let mut disagree = Vec::new();
    for name in &cases {
        let c = case(name);
        let result = c.verify();
        if result.is_ok() == name.ends_with("_fail") {
            disagree.push(format!("{name}: {result:?}"));
        }
    }
    assert!(disagree.is_empty(), "{disagree:#?}");
    assert!(cases.len() > 60);
    // Refused for the reason the case is about, not another.
    let reasons = [
        ("bundle-with-root-cert_fail", "self-signed"),
        ("bundle-from-wrong-instance_fail", "is not in the trusted root"),
        ("checkpoint-bad-keyhint_fail", "checkpoint: no signature by the log's key"),
        ("checkpoint-wrong-roothash_fail", "checkpoint:"),
        ("inclusion-proof-corrupted-hash_fail", "inclusion proof does not lead"),
        ("invalid-inclusion-proof_fail", "inclusion proof does not lead"),
        ("intoto-missing-inclusion-proof_fail", "no inclusion proof"),
        ("intoto-expired-certificate_fail", "CertNotValidYet"),
        ("intoto-set-outside-signing-cert-validity_fail", "CertExpired"),
        ("intoto-log-entry-mismatch_fail", "log entry does not match"),
        ("invalid-ct-key_fail", "no embedded SCT verifies"),
        ("set-invalid-signature_fail", "signed entry timestamp does not verify"),
        ("trust-root-tlog-missing-validity-start_fail", "is not in the trusted root"),
        ("rekor2-no-timestamp_fail", "no verified signing time"),
        ("rekor2-checkpoint-missing-root-hash_fail", "root hash is not the inclusion proof's"),
        ("rekor2-timestamp-payload-mismatch_fail", "does not stamp this bundle's signature"),
        ("rekor2-timestamp-untrusted-tsa-with-embedded-cert_fail", "no timestamp authority of the trusted root"),
        ("rekor2-timestamp-outside-tsa-cert-validity_fail", "timestamp authority's chain"),
        ("rekor2-timestamp-with-incorrect-time_fail", "CertExpired"),
        ("wrong-material_fail", "message digest is not the artifact's"),
    ];
    for (name, reason) in reasons {
        let e = case(name).verify().unwrap_err().to_string();
        assert!(e.contains(reason), "{name}: {e}");
    }
}

#[test]
fn a_keyless_dsse_bundle_gives_its_statement_identity_and_time() {
    let c = case("happy-path-intoto-in-dsse-v3");
    let verified = c.verify().unwrap();
    assert_eq!(verified.subject, IDENTITY);
    assert_eq!(verified.issuer, ISSUER);
    assert!(verified.signed_at > 1_700_000_000, "{}", verified.signed_at);
    let Attested::Statement(s) = &verified.content else { panic!("{:?}", verified.content) };
    assert_eq!(s.statement_type, statement::STATEMENT_V1);
    assert!(matches!(Bundle::parse(&c.bundle).unwrap().material, temper_trust::bundle::Material::Certificate(_)));
}

#[test]
fn identity_policies_exact_and_regex() {
    let mut c = case("happy-path-v0.3");
    c.identity.subject = Pattern::regex("https://github.com/sigstore-conformance/.*").unwrap();
    c.identity.issuer = Pattern::regex(r"https://token\.actions\.githubusercontent\.com").unwrap();
    c.verify().unwrap();
    // Regular expressions match the whole value, not a part of it.
    c.identity.subject = Pattern::regex("sigstore-conformance").unwrap();
    assert!(matches!(c.verify(), Err(VerifyError::Mismatch(m)) if m.contains("identity policy")));
    c.identity.subject = Pattern::Exact(IDENTITY.into());
    c.identity.issuer = Pattern::Exact("https://accounts.google.com".into());
    assert!(matches!(c.verify(), Err(VerifyError::Mismatch(m)) if m.contains("identity policy")));
}

#[test]
fn refusals_have_their_kinds() {
    // A trusted root without the certificate authority: a mismatch.
    let mut c = case("happy-path-v0.3");
    let mut root: serde_json::Value = serde_json::from_slice(&std::fs::read(fixtures().join("sigstore-go/trusted-root-public-good.json")).unwrap()).unwrap();
    root["certificateAuthorities"] = serde_json::json!([]);
    c.root = TrustedRoot::parse(&serde_json::to_vec(&root).unwrap()).unwrap();
    assert!(matches!(c.verify(), Err(VerifyError::Mismatch(m)) if m.contains("does not chain")), "{:?}", c.verify());
    // Expired certificate at signing time: invalid.
    let c = case("intoto-expired-certificate_fail");
    assert!(matches!(c.verify(), Err(VerifyError::Invalid(_))), "{:?}", c.verify());
    // The artifact changed by one byte: invalid.
    let mut c = case("happy-path-v0.3");
    c.artifact[0] ^= 1;
    assert!(matches!(c.verify(), Err(VerifyError::Invalid(m)) if m.contains("log entry does not match") || m.contains("message digest")), "{:?}", c.verify());
    // One byte of the bundle's signature changed: invalid.
    let mut c = case("happy-path-v0.3");
    let mut doc: serde_json::Value = serde_json::from_slice(&c.bundle).unwrap();
    let sig = doc["messageSignature"]["signature"].as_str().unwrap().to_owned();
    let flipped = if sig.as_bytes()[10] == b'A' { "B" } else { "A" };
    doc["messageSignature"]["signature"] = format!("{}{}{}", &sig[..10], flipped, &sig[11..]).into();
    c.bundle = serde_json::to_vec(&doc).unwrap();
    assert!(matches!(c.verify(), Err(VerifyError::Invalid(_))), "{:?}", c.verify());
    // A key-signed bundle is not keyless.
    let mut c = case("happy-path-v0.3");
    c.bundle = std::fs::read(fixtures().join("sigstore-conformance/bundle-verify/managed-key-happy-path/bundle.sigstore.json")).unwrap();
    assert!(matches!(c.verify(), Err(VerifyError::Mismatch(m)) if m.contains("signed with a key")));
    // A root that is not a trusted root.
    let e = TrustedRoot::parse(br#"{"mediaType":"application/json"}"#).unwrap_err().to_string();
    assert!(e.starts_with("trusted root: media type"), "{e}");
}
