//! Verification of what cosign and other Sigstore clients made (the
//! fixtures), of what temper makes (round trips), and every refusal with
//! its kind: `Invalid` (exit 4) or `Mismatch` (exit 5).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::path::{Path, PathBuf};

use base64::Engine as _;
use sha2::{Digest as _, Sha256};
use temper_trust::bundle::{Bundle, Content, Material, Version};
use temper_trust::dsse::{self, Envelope, INTOTO_PAYLOAD_TYPE};
use temper_trust::key::{Algorithm, SigningKey, VerifyingKey};
use temper_trust::statement::{self, Statement};
use temper_trust::verify::{self, Attested, Expected, VerifyError};
use temper_trust::{SimpleSigning, payload};

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn read(path: impl AsRef<Path>) -> Vec<u8> {
    std::fs::read(fixtures().join(path)).unwrap()
}

fn key(path: &str) -> VerifyingKey {
    VerifyingKey::from_pem(&read(path)).unwrap()
}

fn b64(text: &str) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD.decode(text).unwrap()
}

fn sha256_digest(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

/// A containers/image `signature-N`: payload bytes and the signature annotation.
fn containers_signature(path: &str) -> (Vec<u8>, String) {
    let bytes = read(format!("containers-image/{path}"));
    let json = bytes.strip_prefix(b"\0sigstore-json\n").unwrap();
    let doc: serde_json::Value = serde_json::from_slice(json).unwrap();
    assert_eq!(doc["mimeType"], payload::MEDIA_TYPE);
    (b64(doc["payload"].as_str().unwrap()), doc["annotations"][payload::SIGNATURE_ANNOTATION].as_str().unwrap().to_owned())
}

fn is_invalid<T: std::fmt::Debug>(r: Result<T, VerifyError>, contains: &str) {
    match r {
        Err(VerifyError::Invalid(m)) => assert!(m.contains(contains), "{m:?} lacks {contains:?}"),
        other => panic!("expected Invalid ({contains}), got {other:?}"),
    }
}

fn is_mismatch<T: std::fmt::Debug>(r: Result<T, VerifyError>) {
    assert!(matches!(r, Err(VerifyError::Mismatch(_))), "expected Mismatch, got {r:?}");
}

#[test]
fn cosign_key_signatures_verify_and_their_payloads_are_cosigns_bytes() {
    let manifest = read("containers-image/dir-img-cosign-valid/manifest.json");
    let image = sha256_digest(&manifest);
    let keys = [key("containers-image/cosign2.pub"), key("containers-image/cosign.pub")];
    let (payload, sig) = containers_signature("dir-img-cosign-valid/signature-1");
    let verified = verify::simple_signing(&payload, &sig, &image, &keys).unwrap();
    assert_eq!(verified.key_id, keys[1].key_id());
    assert_eq!(verified.content.docker_reference, "192.168.64.2:5000/cosign-signed-single-sample");
    assert_eq!(verified.content.manifest_digest, image);
    // temper writes a payload byte for byte as cosign did.
    assert_eq!(verified.content.to_json(), payload);
    assert_eq!(SimpleSigning::new("192.168.64.2:5000/cosign-signed-single-sample", &image).to_json(), payload);

    // The image's second signature, by the same key; the other key made neither.
    let (payload2, sig2) = containers_signature("dir-img-cosign-valid-2/signature-2");
    assert_ne!(sig2, sig);
    assert_eq!(verify::simple_signing(&payload2, &sig2, &image, &keys).unwrap().key_id, keys[1].key_id());
    is_mismatch(verify::simple_signing(&payload2, &sig2, &image, &keys[..1]));

    let rekor_manifest = read("containers-image/dir-img-cosign-key-rekor-valid/manifest.json");
    let (payload3, sig3) = containers_signature("dir-img-cosign-key-rekor-valid/signature-1");
    verify::simple_signing(&payload3, &sig3, &sha256_digest(&rekor_manifest), &keys).unwrap();
}

#[test]
fn a_cosign_signature_with_one_byte_changed_does_not_verify() {
    let image = sha256_digest(&read("containers-image/dir-img-cosign-valid/manifest.json"));
    let keys = [key("containers-image/cosign.pub")];
    let (payload, sig) = containers_signature("dir-img-cosign-valid/signature-1");
    // A byte of the reference: the payload still names the image, and no key made it.
    let mut tampered = payload.clone();
    let at = payload.windows(6).position(|w| w == b"cosign").unwrap();
    tampered[at] = b'C';
    is_mismatch(verify::simple_signing(&tampered, &sig, &image, &keys));
    // A byte of the digest: the payload names another image.
    let mut other = payload.clone();
    let at = payload.windows(7).position(|w| w == b"sha256:").unwrap() + 7;
    other[at] = if other[at] == b'0' { b'1' } else { b'0' };
    is_invalid(verify::simple_signing(&other, &sig, &image, &keys), "not this image's");
    // A byte of the signature.
    let mut raw = b64(&sig);
    let last = raw.len() - 1;
    raw[last] ^= 1;
    is_mismatch(verify::simple_signing(&payload, &base64::engine::general_purpose::STANDARD.encode(&raw), &image, &keys));
    raw[1] ^= 0x40;
    is_invalid(verify::simple_signing(&payload, &base64::engine::general_purpose::STANDARD.encode(&raw), &image, &keys), "not a signature for the given keys");
    is_invalid(verify::simple_signing(&payload, "not base64!", &image, &keys), "not base64");
    // The right signature, verified for another image.
    is_invalid(verify::simple_signing(&payload, &sig, &format!("sha256:{}", "0".repeat(64)), &keys), "not this image's");
    // No keys at all.
    is_mismatch(verify::simple_signing(&payload, &sig, &image, &[]));
}

fn conformance(case: &str) -> PathBuf {
    fixtures().join("sigstore-conformance/bundle-verify").join(case)
}

fn artifact(case: &str) -> Vec<u8> {
    std::fs::read(conformance(case).join("artifact")).unwrap_or_else(|_| read("sigstore-conformance/bundle-verify/a.txt"))
}

#[test]
fn conformance_key_signed_bundles_verify_as_the_suite_expects() {
    // The suite's "wrong key" is a damaged key file: refused as a key.
    let e = VerifyingKey::from_pem(&std::fs::read(conformance("managed-key-wrong-key_fail").join("key.pub")).unwrap()).unwrap_err().to_string();
    assert!(e.starts_with("public key: PEM block \"PUBLIC KEY\": not base64"), "{e}");
    // Its bundle, with another key, is a mismatch; with the right one it verifies.
    let wrong_bundle = std::fs::read(conformance("managed-key-wrong-key_fail").join("bundle.sigstore.json")).unwrap();
    let other = key("containers-image/cosign.pub");
    is_mismatch(verify::bundle(&wrong_bundle, Expected::Artifact(&artifact("managed-key-wrong-key_fail")), &[other]));
    for case in ["managed-key-happy-path", "managed-key-and-trusted-root"] {
        let bundle = std::fs::read(conformance(case).join("bundle.sigstore.json")).unwrap();
        let keys = [VerifyingKey::from_pem(&std::fs::read(conformance(case).join("key.pub")).unwrap()).unwrap()];
        let data = artifact(case);
        let verified = verify::bundle(&bundle, Expected::Artifact(&data), &keys).unwrap();
        assert_eq!(verified.key_id, keys[0].key_id());
        assert_eq!(verified.content, Attested::Message { algorithm: temper_trust::key::HashAlgorithm::Sha256, digest: Sha256::digest(&data).to_vec() });
        // By digest alone (as an image is known) the same signature verifies.
        verify::bundle(&bundle, Expected::ImageDigest(&sha256_digest(&data)), &keys).unwrap();
        // One byte of the artifact changed.
        let mut changed = data.clone();
        changed[0] ^= 1;
        is_invalid(verify::bundle(&bundle, Expected::Artifact(&changed), &keys), "not the artifact's");
        // One byte of the signature changed: the bundle's hint names this key.
        let mut doc: serde_json::Value = serde_json::from_slice(&bundle).unwrap();
        let mut sig = b64(doc["messageSignature"]["signature"].as_str().unwrap());
        let last = sig.len() - 1;
        sig[last] ^= 1;
        doc["messageSignature"]["signature"] = base64::engine::general_purpose::STANDARD.encode(&sig).into();
        is_invalid(verify::bundle(&serde_json::to_vec(&doc).unwrap(), Expected::Artifact(&data), &keys), "which the signature names");
    }
}

#[test]
fn every_conformance_bundle_parses_except_the_malformed_ones() {
    let mut refused = Vec::new();
    let mut cases: Vec<_> = std::fs::read_dir(fixtures().join("sigstore-conformance/bundle-verify")).unwrap().map(|e| e.unwrap().path()).filter(|p| p.is_dir()).collect();
    cases.sort();
    assert!(cases.len() > 60);
    for case in &cases {
        let name = case.file_name().unwrap().to_str().unwrap().to_owned();
        match Bundle::parse(&std::fs::read(case.join("bundle.sigstore.json")).unwrap()) {
            Ok(bundle) => {
                // A bundle written back reads back as itself.
                assert_eq!(Bundle::parse(bundle.to_json().as_bytes()).unwrap(), bundle, "{name}");
                if !case.join("key.pub").exists() {
                    // Keyless: keys do not verify it.
                    let key = SigningKey::generate(Algorithm::EcdsaP256).unwrap().public();
                    is_mismatch(verify::bundle(&std::fs::read(case.join("bundle.sigstore.json")).unwrap(), Expected::Artifact(&artifact(&name)), &[key]));
                }
            }
            Err(e) => {
                let msg = e.to_string();
                assert!(msg.starts_with("Sigstore bundle: ") && !msg.contains('\n'), "{name}: {msg}");
                refused.push(name);
            }
        }
    }
    assert_eq!(refused, ["bundle-empty-certificate-chain_fail", "bundle-invalid-base64-signature_fail", "bundle-malformed-json_fail", "bundle-unknown-version_fail"]);
}

#[test]
fn conformance_bundle_versions_and_contents_are_read() {
    let parse = |case: &str| Bundle::parse(&std::fs::read(conformance(case).join("bundle.sigstore.json")).unwrap()).unwrap();
    let v01 = parse("happy-path-v0.1");
    assert_eq!(v01.version, Version::V01);
    assert!(matches!(&v01.material, Material::Chain(c) if !c.is_empty()));
    assert_eq!(parse("happy-path-v0.2").version, Version::V02);
    let v03 = parse("happy-path-v0.3");
    assert_eq!(v03.version, Version::V03);
    assert!(matches!(v03.material, Material::Certificate(_)));
    assert!(!v03.tlog_entries.is_empty());
    let dsse = parse("happy-path-intoto-in-dsse-v3");
    let Content::Dsse(envelope) = &dsse.content else { panic!("not DSSE") };
    assert_eq!(envelope.payload_type, INTOTO_PAYLOAD_TYPE);
    let statement = Statement::parse(&envelope.payload).unwrap();
    assert!(statement.has_subject_digest(&sha256_digest(&artifact("happy-path-intoto-in-dsse-v3"))));

    // cosign's own keyless OCI attestation: a v0.1 statement, read.
    let cosign = Bundle::parse(&read("cosign/oci-attestation.sigstore.json")).unwrap();
    let Content::Dsse(envelope) = &cosign.content else { panic!("not DSSE") };
    let statement = Statement::parse(&envelope.payload).unwrap();
    assert_eq!(statement.statement_type, statement::STATEMENT_V01);
    assert_eq!(statement.predicate_type, statement::COSIGN_CUSTOM);
}

fn image() -> String {
    format!("sha256:{}", "5e".repeat(32))
}

fn attestation_bundle(signer: &SigningKey, statement: &Statement) -> Vec<u8> {
    let envelope = Envelope::sign(INTOTO_PAYLOAD_TYPE, statement.to_json(), signer);
    Bundle::for_dsse(envelope, &signer.public()).to_json().into_bytes()
}

#[test]
fn a_temper_attestation_bundle_round_trips_and_every_refusal_has_its_kind() {
    let signer = SigningKey::generate(Algorithm::EcdsaP256).unwrap();
    let other = SigningKey::generate(Algorithm::Ed25519).unwrap();
    let keys = [other.public(), signer.public()];
    let predicate = serde_json::json!({"buildDefinition": {"buildType": "https://temper.example/build/v1"}});
    let statement = Statement::new("registry.test/app", &image(), statement::SLSA_PROVENANCE_V1, predicate);
    let bundle = attestation_bundle(&signer, &statement);

    let json: serde_json::Value = serde_json::from_slice(&bundle).unwrap();
    assert_eq!(json["mediaType"], "application/vnd.dev.sigstore.bundle.v0.3+json");
    assert_eq!(json["verificationMaterial"]["publicKey"]["hint"], base64::engine::general_purpose::STANDARD.encode(signer.public().spki_sha256()));
    assert_eq!(json["dsseEnvelope"]["payloadType"], INTOTO_PAYLOAD_TYPE);
    assert_eq!(json["dsseEnvelope"]["signatures"].as_array().unwrap().len(), 1);
    let payload = b64(json["dsseEnvelope"]["payload"].as_str().unwrap());
    let sent: serde_json::Value = serde_json::from_slice(&payload).unwrap();
    assert_eq!(sent["_type"], "https://in-toto.io/Statement/v1");
    assert_eq!(sent["subject"][0]["digest"]["sha256"], "5e".repeat(32));

    let verified = verify::bundle(&bundle, Expected::ImageDigest(&image()), &keys).unwrap();
    assert_eq!(verified.key_id, signer.public().key_id());
    assert_eq!(verified.content, Attested::Statement(statement.clone()));

    // Wrong key.
    is_mismatch(verify::bundle(&bundle, Expected::ImageDigest(&image()), &keys[..1]));
    // Another image.
    is_invalid(verify::bundle(&bundle, Expected::ImageDigest(&format!("sha256:{}", "00".repeat(32))), &keys), "subject digest differs");
    // A tampered statement: the envelope names the key, which does not verify it.
    let mut doc = json.clone();
    let forged = Statement::new("registry.test/app", &image(), statement::SLSA_PROVENANCE_V1, serde_json::json!({"forged": true}));
    doc["dsseEnvelope"]["payload"] = base64::engine::general_purpose::STANDARD.encode(forged.to_json()).into();
    is_invalid(verify::bundle(&serde_json::to_vec(&doc).unwrap(), Expected::ImageDigest(&image()), &keys), "which the signature names");
    // Two DSSE signatures.
    let mut doc = json.clone();
    let sig = doc["dsseEnvelope"]["signatures"][0].clone();
    doc["dsseEnvelope"]["signatures"].as_array_mut().unwrap().push(sig);
    is_invalid(verify::bundle(&serde_json::to_vec(&doc).unwrap(), Expected::ImageDigest(&image()), &keys), "has 2 signatures");
    // A correctly signed statement whose subject is another image.
    let elsewhere = Statement::new("registry.test/app", &format!("sha256:{}", "11".repeat(32)), statement::SPDX, serde_json::json!({}));
    is_invalid(verify::bundle(&attestation_bundle(&signer, &elsewhere), Expected::ImageDigest(&image()), &keys), "subject digest differs");
    // A correctly signed document that is not an in-toto statement.
    let mut wrong_type = statement.clone();
    wrong_type.statement_type = "https://in-toto.io/Statement/v2".into();
    is_invalid(verify::bundle(&attestation_bundle(&signer, &wrong_type), Expected::ImageDigest(&image()), &keys), "_type");
    let envelope = Envelope::sign("application/json", statement.to_json(), &signer);
    is_invalid(verify::bundle(Bundle::for_dsse(envelope, &signer.public()).to_json().as_bytes(), Expected::ImageDigest(&image()), &keys), "payload type");
    // Not a bundle at all.
    is_invalid(verify::bundle(b"{}", Expected::ImageDigest(&image()), &keys), "Sigstore bundle");
}

#[test]
fn a_legacy_attestation_envelope_verifies_with_any_of_its_signatures() {
    let a = SigningKey::generate(Algorithm::EcdsaP256).unwrap();
    let b = SigningKey::generate(Algorithm::Ed25519).unwrap();
    let statement = Statement::new("r/app", &image(), statement::CYCLONEDX, serde_json::json!({"bomFormat": "CycloneDX"}));
    let mut envelope = Envelope::sign(INTOTO_PAYLOAD_TYPE, statement.to_json(), &a);
    envelope.signatures.push(Envelope::sign(INTOTO_PAYLOAD_TYPE, statement.to_json(), &b).signatures.remove(0));
    let read = Envelope::parse(envelope.to_json().as_bytes()).unwrap();
    assert_eq!(read, envelope);
    assert_eq!(verify::envelope(&read, &image(), &[b.public()]).unwrap().key_id, b.public().key_id());
    assert_eq!(read.verify_with(&[b.public()]).map(|(_, i)| i), Some(1));
    let c = SigningKey::generate(Algorithm::EcdsaP256).unwrap();
    is_mismatch(verify::envelope(&read, &image(), &[c.public()]));
    let mut tampered = read.clone();
    tampered.payload[5] ^= 1;
    is_invalid(verify::envelope(&tampered, &image(), &[a.public()]), "which the signature names");
}

#[test]
fn message_signature_bundles_round_trip() {
    let signer = SigningKey::generate(Algorithm::EcdsaP256).unwrap();
    let payload = SimpleSigning::new("r/app", &image()).to_json();
    let bundle = Bundle::for_message(Sha256::digest(&payload).into(), signer.sign(&payload), &signer.public()).to_json();
    let verified = verify::bundle(bundle.as_bytes(), Expected::Artifact(&payload), &[signer.public()]).unwrap();
    assert_eq!(verified.key_id, signer.public().key_id());
    verify::bundle(bundle.as_bytes(), Expected::ImageDigest(&sha256_digest(&payload)), &[signer.public()]).unwrap();
    is_invalid(verify::bundle(bundle.as_bytes(), Expected::ImageDigest(&image()), &[signer.public()]), "not this image's");

    // Ed25519 signs the message itself: the digest alone cannot be checked.
    let ed = SigningKey::generate(Algorithm::Ed25519).unwrap();
    let bundle = Bundle::for_message(Sha256::digest(&payload).into(), ed.sign(&payload), &ed.public()).to_json();
    verify::bundle(bundle.as_bytes(), Expected::Artifact(&payload), &[ed.public()]).unwrap();
    is_invalid(verify::bundle(bundle.as_bytes(), Expected::ImageDigest(&sha256_digest(&payload)), &[ed.public()]), "Ed25519 signs the whole message");
}

#[test]
fn dsse_pae_is_the_specs() {
    assert_eq!(dsse::pae("http://example.com/HelloWorld", b"hello world"), b"DSSEv1 29 http://example.com/HelloWorld 11 hello world");
    assert_eq!(dsse::pae("", b""), b"DSSEv1 0  0 ");
    // Either base64 alphabet is read; an envelope without signatures is not.
    let url_safe = r#"{"payloadType":"t","payload":"-_8","signatures":[{"sig":"AA"}]}"#;
    assert_eq!(Envelope::parse(url_safe.as_bytes()).unwrap().payload, [0xfb, 0xff]);
    let e = Envelope::parse(br#"{"payloadType":"t","payload":"","signatures":[]}"#).unwrap_err();
    assert_eq!(e.to_string(), "DSSE envelope: no signatures");
}

#[test]
fn predicate_types_take_cosigns_names_and_uris() {
    assert_eq!(statement::predicate_type("slsaprovenance1").unwrap(), "https://slsa.dev/provenance/v1");
    assert_eq!(statement::predicate_type("slsaprovenance").unwrap(), "https://slsa.dev/provenance/v0.2");
    assert_eq!(statement::predicate_type("spdxjson").unwrap(), "https://spdx.dev/Document");
    assert_eq!(statement::predicate_type("cyclonedx").unwrap(), "https://cyclonedx.org/bom");
    assert_eq!(statement::predicate_type("openvex").unwrap(), "https://openvex.dev/ns");
    assert_eq!(statement::predicate_type("vuln").unwrap(), "https://cosign.sigstore.dev/attestation/vuln/v1");
    assert_eq!(statement::predicate_type("link").unwrap(), "https://in-toto.io/Link/v1");
    assert_eq!(statement::predicate_type("custom").unwrap(), "https://cosign.sigstore.dev/attestation/v1");
    assert_eq!(statement::predicate_type("https://example.com/mine/v1").unwrap(), "https://example.com/mine/v1");
    let e = statement::predicate_type("sbom").unwrap_err().to_string();
    assert!(e.starts_with("predicate type: \"sbom\" is neither one of custom, slsaprovenance"), "{e}");
    assert!(statement::predicate_type("https://a b").is_err());
}

#[test]
fn statements_are_read_only_with_in_totos_type() {
    let conformance = Statement::parse(&read("sigstore-conformance/statement.json")).unwrap();
    assert_eq!(conformance.statement_type, statement::STATEMENT_V1);
    let mut doc: serde_json::Value = serde_json::from_slice(&read("sigstore-conformance/statement.json")).unwrap();
    doc["_type"] = "https://in-toto.io/Statement/v0.1".into();
    Statement::parse(&serde_json::to_vec(&doc).unwrap()).unwrap();
    doc["_type"] = "https://example.com/Statement/v1".into();
    let e = Statement::parse(&serde_json::to_vec(&doc).unwrap()).unwrap_err().to_string();
    assert!(e.starts_with("in-toto statement: _type \"https://example.com/Statement/v1\" is not"), "{e}");
    doc["_type"] = statement::STATEMENT_V1.into();
    doc["subject"] = serde_json::json!([]);
    assert_eq!(Statement::parse(&serde_json::to_vec(&doc).unwrap()).unwrap_err().to_string(), "in-toto statement: no subject");
}

#[test]
fn simple_signing_payloads_with_annotations_and_refusals() {
    let mut p = SimpleSigning::new("r/app", &image());
    p.annotations.insert("b".into(), "2".into());
    p.annotations.insert("a".into(), "1".into());
    let json = String::from_utf8(p.to_json()).unwrap();
    assert_eq!(json, format!(r#"{{"critical":{{"identity":{{"docker-reference":"r/app"}},"image":{{"docker-manifest-digest":"{}"}},"type":"cosign container image signature"}},"optional":{{"a":"1","b":"2"}}}}"#, image()));
    assert_eq!(SimpleSigning::parse(json.as_bytes()).unwrap(), p);
    let e = SimpleSigning::parse(json.replace("cosign container image signature", "other").as_bytes()).unwrap_err().to_string();
    assert!(e.contains("critical.type is \"other\""), "{e}");
    let e = SimpleSigning::parse(json.replace(&image(), "sha256:../x").as_bytes()).unwrap_err().to_string();
    assert!(e.contains("is not sha256:<64 hex>"), "{e}");
}
