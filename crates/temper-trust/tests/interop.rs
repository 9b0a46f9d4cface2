//! Independent verifiers accept what temper-trust writes (issue 16): npm's
//! @sigstore/verify verifies its public-key bundles (tests/interop/verify-bundle.mjs)
//! and PyPI's securesystemslib its DSSE envelopes and their PAE
//! (tests/interop/verify-dsse.py), and both refuse them once a byte changed.
//! The tools are pinned and installed by scripts/trust-verifiers.sh into
//! `$TEMPER_TRUST_VERIFIERS`; without them the tests skip, except in CI.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest as _, Sha256};
use temper_trust::bundle::{Bundle, Content};
use temper_trust::dsse::{self, Envelope, INTOTO_PAYLOAD_TYPE};
use temper_trust::key::{Algorithm, SigningKey};
use temper_trust::SimpleSigning;
use temper_trust::statement::{self, Statement};

/// The verifiers' directory, or `None` (and a note) when they are not installed outside CI.
fn verifiers() -> Option<PathBuf> {
    let dir = std::env::var_os("TEMPER_TRUST_VERIFIERS").filter(|v| !v.is_empty()).map(PathBuf::from).unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").unwrap()).join(".cache/temper-peers/trust-verifiers"));
    let node = Command::new("node").arg("--version").output().is_ok_and(|o| o.status.success());
    let found = node && dir.join("node/node_modules/@sigstore/verify/package.json").is_file() && dir.join("py/bin/python").is_file();
    let ci = std::env::var("CI").is_ok_and(|v| v == "true");
    assert!(found || !ci, "node or the trust verifiers are not installed at {} (scripts/test.sh installs them; CI must run them)", dir.display());
    if !found {
        eprintln!("SKIPPED: node or the trust verifiers are not installed at {} (run scripts/test.sh while online)", dir.display());
    }
    found.then_some(dir)
}

fn script(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/interop").join(name)
}

/// Runs a verifier; `Ok` with its stdout when it accepted, `Err` with its stderr when it refused.
fn run(cmd: &mut Command) -> Result<String, String> {
    let out = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    match out.status.code() {
        Some(0) => Ok(String::from_utf8_lossy(&out.stdout).into_owned()),
        // 2 is a usage error: a broken test, not a verdict.
        Some(1) => Err(stderr),
        other => panic!("verifier {cmd:?} exited {other:?}: {stderr}"),
    }
}

struct Node<'a> {
    verifiers: &'a Path,
    dir: tempfile::TempDir,
}

impl Node<'_> {
    /// @sigstore/verify's verdict on `bundle` with `key_pem` (and the artifact of a message signature).
    fn verify(&self, bundle: &str, key_pem: &str, artifact: Option<&[u8]>) -> Result<String, String> {
        let d = self.dir.path();
        std::fs::write(d.join("bundle.json"), bundle).unwrap();
        std::fs::write(d.join("key.pem"), key_pem).unwrap();
        let mut cmd = Command::new("node");
        cmd.arg(script("verify-bundle.mjs")).arg(self.verifiers).arg(d.join("bundle.json")).arg(d.join("key.pem"));
        if let Some(artifact) = artifact {
            std::fs::write(d.join("artifact"), artifact).unwrap();
            cmd.arg(d.join("artifact"));
        }
        run(&mut cmd)
    }
}

fn node(verifiers: &Path) -> Node<'_> {
    Node { verifiers, dir: tempfile::tempdir().unwrap() }
}

fn image() -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(b"an image manifest")))
}

fn statement() -> Vec<u8> {
    Statement::new("registry.test/app", &image(), statement::SLSA_PROVENANCE_V1, serde_json::json!({"buildDefinition": {"buildType": "https://temper.test/build/v1"}})).to_json()
}

fn flip_last(bytes: &mut [u8]) {
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
}

/// The bundle with its content changed by `f`, written again by temper.
fn tampered(bundle: &Bundle, f: impl FnOnce(&mut Content)) -> String {
    let mut bundle = bundle.clone();
    f(&mut bundle.content);
    bundle.to_json()
}

#[test]
fn sigstore_js_verifies_temper_dsse_bundles_and_refuses_them_altered() {
    let Some(verifiers) = verifiers() else { return };
    let node = node(&verifiers);
    for algorithm in [Algorithm::EcdsaP256, Algorithm::Ed25519] {
        let key = SigningKey::generate(algorithm).unwrap();
        let public = key.public();
        let pem = public.to_pem();
        let bundle = Bundle::for_dsse(Envelope::sign(INTOTO_PAYLOAD_TYPE, statement(), &key), &public);
        let json = bundle.to_json();
        node.verify(&json, &pem, None).unwrap_or_else(|e| panic!("{algorithm:?}: @sigstore/verify refused temper's DSSE bundle: {e}\n{json}"));

        let bad_sig = tampered(&bundle, |c| if let Content::Dsse(e) = c { flip_last(&mut e.signatures[0].sig) });
        let e = node.verify(&bad_sig, &pem, None).unwrap_err();
        assert!(e.contains("SIGNATURE_ERROR"), "{algorithm:?}: {e}");
        let bad_payload = tampered(&bundle, |c| if let Content::Dsse(e) = c { e.payload[0] ^= 1 });
        let e = node.verify(&bad_payload, &pem, None).unwrap_err();
        assert!(e.contains("SIGNATURE_ERROR"), "{algorithm:?}: {e}");
        let bad_type = tampered(&bundle, |c| if let Content::Dsse(e) = c { e.payload_type.push('x') });
        assert!(node.verify(&bad_type, &pem, None).unwrap_err().contains("SIGNATURE_ERROR"), "{algorithm:?}");

        // Another key: its hint is not the bundle's.
        let other = SigningKey::generate(algorithm).unwrap().public().to_pem();
        let e = node.verify(&json, &other, None).unwrap_err();
        assert!(e.contains("PUBLIC_KEY_ERROR"), "{algorithm:?}: {e}");
    }
}

/// P-256 only: @sigstore/verify 3.x verifies a message signature with Node's
/// `crypto.verify` given a digest name, which Node refuses for an Ed25519
/// key (pure Ed25519 signs the artifact itself, not a digest), so
/// it refuses every Ed25519 message signature, whoever made it.
#[test]
fn sigstore_js_verifies_temper_message_signature_bundles_and_refuses_them_altered() {
    let Some(verifiers) = verifiers() else { return };
    let node = node(&verifiers);
    // The artifact `temper sign` signs: an image's simple-signing payload.
    let artifact = SimpleSigning::new("registry.test/app", &image()).to_json();
    let key = SigningKey::generate(Algorithm::EcdsaP256).unwrap();
    let public = key.public();
    let pem = public.to_pem();
    let bundle = Bundle::for_message(Sha256::digest(&artifact).into(), key.sign(&artifact), &public);
    let json = bundle.to_json();
    node.verify(&json, &pem, Some(&artifact)).unwrap_or_else(|e| panic!("@sigstore/verify refused temper's message-signature bundle: {e}\n{json}"));

    let bad_sig = tampered(&bundle, |c| if let Content::MessageSignature { signature, .. } = c { flip_last(signature) });
    assert!(node.verify(&bad_sig, &pem, Some(&artifact)).unwrap_err().contains("SIGNATURE_ERROR"));
    let mut other_artifact = artifact.clone();
    other_artifact[0] ^= 1;
    assert!(node.verify(&json, &pem, Some(&other_artifact)).unwrap_err().contains("SIGNATURE_ERROR"));

    // A field the protobuf-specs Bundle lacks is dropped by its reader, silently: the script refuses it.
    let mut unknown: serde_json::Value = serde_json::from_str(&json).unwrap();
    unknown["messageSignature"]["messageDigestt"] = unknown["messageSignature"]["messageDigest"].clone();
    let e = node.verify(&unknown.to_string(), &pem, Some(&artifact)).unwrap_err();
    assert!(e.contains("not in the protobuf-specs form"), "{e}");
}

/// securesystemslib's verdict on `envelope`, and the PAE it computed.
fn securesystemslib(verifiers: &Path, envelope: &str, key_pem: &str) -> (Result<String, String>, Vec<u8>) {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("envelope.json"), envelope).unwrap();
    std::fs::write(d.path().join("key.pem"), key_pem).unwrap();
    let verdict = run(Command::new(verifiers.join("py/bin/python")).arg(script("verify-dsse.py")).arg(d.path().join("envelope.json")).arg(d.path().join("key.pem")).arg(d.path().join("pae")));
    (verdict, std::fs::read(d.path().join("pae")).unwrap_or_default())
}

#[test]
fn securesystemslib_computes_temper_pae_and_verifies_temper_envelopes() {
    let Some(verifiers) = verifiers() else { return };
    for algorithm in [Algorithm::EcdsaP256, Algorithm::Ed25519] {
        let key = SigningKey::generate(algorithm).unwrap();
        let pem = key.public().to_pem();
        // A multi-byte payload type: PAE lengths count bytes, not characters.
        for payload_type in [INTOTO_PAYLOAD_TYPE, "application/vnd.temper.test+json; note=\"é\""] {
            let envelope = Envelope::sign(payload_type, statement(), &key);
            let (verdict, pae) = securesystemslib(&verifiers, &envelope.to_json(), &pem);
            verdict.unwrap_or_else(|e| panic!("{algorithm:?}: securesystemslib refused temper's envelope: {e}"));
            assert_eq!(pae, dsse::pae(payload_type, &envelope.payload), "{algorithm:?}: securesystemslib's PAE differs from temper's");

            let mut bad_sig = envelope.clone();
            flip_last(&mut bad_sig.signatures[0].sig);
            assert!(securesystemslib(&verifiers, &bad_sig.to_json(), &pem).0.is_err(), "{algorithm:?}: altered signature accepted");
            let mut bad_payload = envelope.clone();
            bad_payload.payload[0] ^= 1;
            assert!(securesystemslib(&verifiers, &bad_payload.to_json(), &pem).0.is_err(), "{algorithm:?}: altered payload accepted");
        }
    }
}
