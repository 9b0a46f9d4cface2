//! The `temper-trust` fuzz bodies. Bundles, envelopes and keys arrive from
//! registries and from whoever hands over a key file: each is parsed, must
//! never panic or hang, and every refusal must be one line. What parses is
//! written back and must read back as itself, and is run through key and
//! keyless verification, which must refuse it without panicking (no input
//! here is signed by the body's key or by the identity it asks for).

// Each replay includes this file and uses part of it.
#![allow(dead_code)]

use std::cell::Cell;

use temper_trust::key::{SigningKey, VerifyingKey};
use temper_trust::keyless::{self, Identity, Pattern, TrustedRoot};
use temper_trust::verify::{self, Expected};
use temper_trust::{Bundle, Envelope, Statement};

/// The image the bodies verify against.
const IMAGE: &str = "sha256:5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e";

/// Now, for keyless verification: 2026-12-01.
const NOW: i64 = 1_796_083_200;

/// Sigstore's public-good trusted root (the fixture sigstore-go publishes).
fn public_good() -> TrustedRoot {
    let json = include_bytes!("../../crates/temper-trust/tests/fixtures/sigstore-go/trusted-root-public-good.json");
    match TrustedRoot::parse(json) {
        Ok(root) => root,
        Err(e) => panic!("the public-good root does not read: {e}"),
    }
}

/// A P-256 key of the seeds, for the verification calls.
fn key() -> VerifyingKey {
    let pem = include_bytes!("../seeds/trust_key/ec-p256-pkcs8.key");
    match SigningKey::from_pem(pem, || Err(temper_trust::Error::Key("no password".into()))) {
        Ok(k) => k.public(),
        Err(e) => panic!("the seed key does not read: {e}"),
    }
}

/// A refusal is one printable line.
fn check_message(msg: &str) {
    assert!(!msg.is_empty() && !msg.chars().any(char::is_control), "a refusal not on one printable line: {msg:?}");
}

fn check_verify<T>(result: Result<T, temper_trust::VerifyError>) {
    match result {
        Ok(_) => panic!("an input the body's key never signed verified"),
        Err(e) => check_message(&e.to_string()),
    }
}

/// A Sigstore bundle's JSON. True when it parsed.
pub fn bundle(data: &[u8]) -> bool {
    match Bundle::parse(data) {
        Ok(bundle) => {
            let written = bundle.to_json();
            match Bundle::parse(written.as_bytes()) {
                Ok(again) => assert_eq!(again, bundle, "the bundle written back differs:\n{written}"),
                Err(e) => panic!("the bundle written back does not parse: {e}\n{written}"),
            }
            let keys = [key()];
            check_verify(verify::bundle(data, Expected::ImageDigest(IMAGE), &keys));
            check_verify(verify::bundle(data, Expected::Artifact(b"a"), &keys));
            // Keyless, against the public-good root, for an identity no seed has.
            let identity = Identity { subject: Pattern::Exact("nobody".into()), issuer: Pattern::Exact("nowhere".into()) };
            check_verify(keyless::verify(data, Expected::Artifact(b"a"), &public_good(), &identity, NOW));
            check_verify(keyless::verify(data, Expected::ImageDigest(IMAGE), &public_good(), &identity, NOW));
            true
        }
        Err(e) => {
            check_message(&e.to_string());
            false
        }
    }
}

/// A DSSE envelope's JSON. True when it parsed.
pub fn dsse(data: &[u8]) -> bool {
    match Envelope::parse(data) {
        Ok(envelope) => {
            let written = envelope.to_json();
            match Envelope::parse(written.as_bytes()) {
                Ok(again) => assert_eq!(again, envelope, "the envelope written back differs:\n{written}"),
                Err(e) => panic!("the envelope written back does not parse: {e}\n{written}"),
            }
            check_verify(verify::envelope(&envelope, IMAGE, &[key()]));
            match Statement::parse(&envelope.payload) {
                Ok(statement) => {
                    let json = statement.to_json();
                    match Statement::parse(&json) {
                        Ok(again) => assert_eq!(again.to_json(), json, "the statement written back differs"),
                        Err(e) => panic!("the statement written back does not parse: {e}"),
                    }
                }
                Err(e) => check_message(&e.to_string()),
            }
            true
        }
        Err(e) => {
            check_message(&e.to_string());
            false
        }
    }
}

/// `bytes` as the body of a PEM block labelled `label`.
fn wrap(label: &str, bytes: &[u8]) -> Vec<u8> {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD.encode(bytes);
    format!("-----BEGIN {label}-----\n{b64}\n-----END {label}-----\n").into_bytes()
}

/// A key file, read as a public key and as a private key; and the bytes as
/// the DER or JSON inside such a file, so mutations reach the DER and JSON
/// parsers past the base64. An encrypted key counts as read when its format
/// checked out and the password was asked for; no password is given, so no
/// input costs a key derivation. True when any reading got that far.
pub fn key_file(data: &[u8]) -> bool {
    let wrapped = [
        data.to_vec(),
        wrap("PUBLIC KEY", data),
        wrap("PRIVATE KEY", data),
        wrap(temper_trust::key::SIGSTORE_PRIVATE_KEY_LABEL, data),
    ];
    let mut accepted = false;
    for input in &wrapped {
        accepted |= public_key(input);
        accepted |= private_key(input);
    }
    accepted
}

fn public_key(data: &[u8]) -> bool {
    match VerifyingKey::from_pem(data) {
        Ok(k) => {
            assert_eq!(k.key_id().len(), 64);
            match VerifyingKey::from_pem(k.to_pem().as_bytes()) {
                Ok(again) => assert_eq!(again, k, "the public key written back differs"),
                Err(e) => panic!("the public key written back does not parse: {e}"),
            }
            true
        }
        Err(e) => {
            check_message(&e.to_string());
            false
        }
    }
}

fn private_key(data: &[u8]) -> bool {
    let asked = Cell::new(false);
    let read = SigningKey::from_pem(data, || {
        asked.set(true);
        Err(temper_trust::Error::Key("no password".into()))
    });
    match read {
        Ok(k) => {
            if let Err(e) = k.public().verify(data, &k.sign(data)) {
                panic!("a read key does not verify its own signature: {e}");
            }
            true
        }
        Err(e) => {
            check_message(&e.to_string());
            asked.get()
        }
    }
}
