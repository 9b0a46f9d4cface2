//! Keys: cosign's own key files read as cosign reads them, temper's written
//! in cosign's format and read back, every refusal, and openssl verifying
//! what temper signs with the public key temper writes.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::path::PathBuf;
use std::process::Command;

use base64::Engine as _;
use sha2::{Digest as _, Sha256};
use temper_trust::key::{Algorithm, SigningKey, VerifyingKey};
use temper_trust::{Error, SignatureError};

fn fixture(path: &str) -> Vec<u8> {
    std::fs::read(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(path)).unwrap()
}

fn hello() -> Result<Vec<u8>, Error> {
    Ok(b"hello".to_vec())
}

fn never() -> Result<Vec<u8>, Error> {
    panic!("the password was asked for a key file that should be refused first")
}

fn key_error(e: Error) -> String {
    match e {
        Error::Key(m) => m,
        other => panic!("not a key error: {other:?}"),
    }
}

/// The base64 body of a PEM file, decoded.
fn pem_body(pem: &[u8]) -> Vec<u8> {
    let text = String::from_utf8(pem.to_vec()).unwrap();
    let b64: String = text.lines().filter(|l| !l.starts_with("-----")).collect();
    base64::engine::general_purpose::STANDARD.decode(b64).unwrap()
}

#[test]
fn cosign_sigstore_label_key_decrypts_with_its_password_and_signs() {
    let key = SigningKey::from_pem(&fixture("cosign/sigstore-label.key"), hello).unwrap();
    assert_eq!(key.algorithm(), Algorithm::EcdsaP256);
    let sig = key.sign(b"payload");
    key.public().verify(b"payload", &sig).unwrap();
    assert_eq!(key.public().verify(b"payloaD", &sig), Err(SignatureError::Invalid));
}

#[test]
fn a_wrong_password_is_its_own_error() {
    let e = SigningKey::from_pem(&fixture("cosign/sigstore-label.key"), || Ok(b"hellO".to_vec())).unwrap_err();
    assert!(matches!(e, Error::WrongPassword), "{e:?}");
    assert!(e.to_string().contains("wrong password"), "{e}");
}

#[test]
fn cosign_label_keys_are_read_and_their_contents_judged_like_cosign() {
    // The older label decrypts (cosign calls this key "COSIGN labeled RSA key"; it holds a P-256 key).
    let key = SigningKey::from_pem(&fixture("cosign/cosign-label-ec.key"), hello).unwrap();
    assert_eq!(key.algorithm(), Algorithm::EcdsaP256);
    key.public().verify(b"m", &key.sign(b"m")).unwrap();
    // cosign refuses a SEC1 key inside the encryption (it must be PKCS#8).
    let e = key_error(SigningKey::from_pem(&fixture("cosign/cosign-label-ec-sec1.key"), hello).unwrap_err());
    assert!(e.contains("not PKCS#8"), "{e}");
}

#[test]
fn plain_pkcs8_and_sec1_keys_from_cosigns_tests() {
    assert_eq!(SigningKey::from_pem(&fixture("cosign/ec-p256-sec1.key"), never).unwrap().algorithm(), Algorithm::EcdsaP256);
    assert_eq!(SigningKey::from_pem(&fixture("cosign/ec-p256-pkcs8.key"), never).unwrap().algorithm(), Algorithm::EcdsaP256);
    let ed = SigningKey::from_pem(&fixture("cosign/ed25519-pkcs8.key"), never).unwrap();
    assert_eq!(ed.algorithm(), Algorithm::Ed25519);
    let sig = ed.sign(b"m");
    assert_eq!(sig.len(), 64);
    ed.public().verify(b"m", &sig).unwrap();
    let e = key_error(SigningKey::from_pem(&fixture("cosign/ec-p384-sec1.key"), never).unwrap_err());
    assert!(e.contains("only P-256"), "{e}");
    let e = key_error(SigningKey::from_pem(&fixture("cosign/rsa-pkcs8.key"), never).unwrap_err());
    assert!(e.contains("RSA keys do not sign"), "{e}");
    let e = key_error(SigningKey::from_pem(&fixture("cosign/pgp.key"), never).unwrap_err());
    assert!(e.contains("\"PGP PRIVATE KEY BLOCK\" is not a private key"), "{e}");
}

#[test]
fn generated_keys_round_trip_through_cosigns_format() {
    for algorithm in [Algorithm::EcdsaP256, Algorithm::Ed25519] {
        let key = SigningKey::generate(algorithm).unwrap();
        let pem = key.to_encrypted_pem(b"pw").unwrap();
        assert!(pem.starts_with("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n") && pem.ends_with("-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n"), "{pem}");
        assert!(pem.lines().all(|l| l.len() <= 64));
        let body: serde_json::Value = serde_json::from_slice(&pem_body(pem.as_bytes())).unwrap();
        assert_eq!(body["kdf"]["name"], "scrypt");
        assert_eq!(body["kdf"]["params"], serde_json::json!({"N": 65536, "r": 8, "p": 1}));
        assert_eq!(base64::engine::general_purpose::STANDARD.decode(body["kdf"]["salt"].as_str().unwrap()).unwrap().len(), 32);
        assert_eq!(body["cipher"]["name"], "nacl/secretbox");
        assert_eq!(base64::engine::general_purpose::STANDARD.decode(body["cipher"]["nonce"].as_str().unwrap()).unwrap().len(), 24);
        let keys: Vec<&str> = body.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys, ["cipher", "ciphertext", "kdf"]);
        let read = SigningKey::from_pem(pem.as_bytes(), || Ok(b"pw".to_vec())).unwrap();
        assert_eq!(read.algorithm(), algorithm);
        assert_eq!(read.public(), key.public());
        key.public().verify(b"x", &read.sign(b"x")).unwrap();
        assert!(matches!(SigningKey::from_pem(pem.as_bytes(), hello), Err(Error::WrongPassword)));
    }
}

/// cosign's key body with one field replaced.
fn tampered(edit: impl Fn(&mut serde_json::Value)) -> Vec<u8> {
    let pem = fixture("cosign/sigstore-label.key");
    let mut body: serde_json::Value = serde_json::from_slice(&pem_body(&pem)).unwrap();
    edit(&mut body);
    let b64 = base64::engine::general_purpose::STANDARD.encode(serde_json::to_vec(&body).unwrap());
    format!("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n{b64}\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n").into_bytes()
}

#[test]
fn hostile_kdf_and_cipher_fields_are_refused_before_the_password_is_asked() {
    type Edit = Box<dyn Fn(&mut serde_json::Value)>;
    let cases: [(&str, Edit); 7] = [
        ("N=1048576 r=8 p=1 refused", Box::new(|b| b["kdf"]["params"]["N"] = 1_048_576.into())),
        ("N=32768 r=64 p=1 refused", Box::new(|b| b["kdf"]["params"]["r"] = 64.into())),
        ("N=32768 r=8 p=1000 refused", Box::new(|b| b["kdf"]["params"]["p"] = 1000.into())),
        ("key derivation \"argon2\" is not scrypt", Box::new(|b| b["kdf"]["name"] = "argon2".into())),
        ("cipher \"aes\" is not nacl/secretbox", Box::new(|b| b["cipher"]["name"] = "aes".into())),
        ("a nonce of 3 bytes, not 24", Box::new(|b| b["cipher"]["nonce"] = "AAAA".into())),
        ("a salt of 0 bytes", Box::new(|b| b["kdf"]["salt"] = "".into())),
    ];
    for (expected, edit) in cases {
        let e = key_error(SigningKey::from_pem(&tampered(edit), never).unwrap_err());
        assert!(e.contains(expected), "{expected}: {e}");
        assert!(e.starts_with("private key: "), "{e}");
    }
    // The untouched body with a changed ciphertext byte fails authentication.
    let flipped = tampered(|b| {
        let mut c = base64::engine::general_purpose::STANDARD.decode(b["ciphertext"].as_str().unwrap()).unwrap();
        c[20] ^= 1;
        b["ciphertext"] = base64::engine::general_purpose::STANDARD.encode(c).into();
    });
    assert!(matches!(SigningKey::from_pem(&flipped, hello), Err(Error::WrongPassword)));
}

#[test]
fn a_password_callback_error_is_passed_on() {
    let e = SigningKey::from_pem(&fixture("cosign/sigstore-label.key"), || Err(Error::Key("no TEMPER_PASSWORD and no terminal".into()))).unwrap_err();
    assert_eq!(e.to_string(), "no TEMPER_PASSWORD and no terminal");
}

#[test]
fn non_pem_and_oversized_key_files_are_refused() {
    let e = key_error(SigningKey::from_pem(b"just text", never).unwrap_err());
    assert_eq!(e, "private key: no PEM block (no -----BEGIN line)");
    let e = key_error(SigningKey::from_pem(&vec![b'a'; 70_000], never).unwrap_err());
    assert!(e.contains("70000 bytes"), "{e}");
    let e = key_error(VerifyingKey::from_pem(b"-----BEGIN PUBLIC KEY-----\nAAAA\n", ).unwrap_err());
    assert!(e.contains("no -----END PUBLIC KEY----- line"), "{e}");
    let e = key_error(VerifyingKey::from_pem(b"-----BEGIN PUBLIC KEY-----\nProc-Type: 4,ENCRYPTED\n\nAAAA\n-----END PUBLIC KEY-----\n").unwrap_err());
    assert!(e.contains("has headers"), "{e}");
}

#[test]
fn public_keys_cosign_users_have_are_read_and_written_back_identically() {
    for path in ["cosign/release-cosign.pub", "containers-image/cosign.pub", "containers-image/cosign2.pub", "sigstore-conformance/bundle-verify/managed-key-happy-path/key.pub"] {
        let pem = fixture(path);
        let key = VerifyingKey::from_pem(&pem).unwrap();
        assert_eq!(key.to_pem(), String::from_utf8(pem.clone()).unwrap().trim_end().to_owned() + "\n", "{path}");
        assert_eq!(key.key_id(), hex::encode(Sha256::digest(pem_body(&pem))), "{path}: the key id is the SHA-256 of the SPKI DER");
    }
    // The public half of cosign's PKCS#8 RSA test key, and openssl-made P-384 and Ed25519 keys.
    let rsa = openssl(&["pkey", "-pubout"], &fixture("cosign/rsa-pkcs8.key"));
    assert_eq!(VerifyingKey::from_pem(&rsa).unwrap().algorithm(), "RSA");
    let p384 = openssl(&["pkey", "-pubout"], &fixture("cosign/ec-p384-sec1.key"));
    assert_eq!(VerifyingKey::from_pem(&p384).unwrap().algorithm(), "ECDSA P-384");
    let e = key_error(VerifyingKey::from_pem(&fixture("cosign/ec-p256-pkcs8.key")).unwrap_err());
    assert!(e.contains("\"PRIVATE KEY\" is not PUBLIC KEY"), "{e}");
}

/// Runs openssl with `input` on stdin; its stdout.
fn openssl(args: &[&str], input: &[u8]) -> Vec<u8> {
    use std::io::Write as _;
    let mut child = Command::new("openssl").args(args).stdin(std::process::Stdio::piped()).stdout(std::process::Stdio::piped()).spawn().expect("openssl is needed by these tests");
    child.stdin.take().unwrap().write_all(input).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "openssl {args:?} failed");
    out.stdout
}

#[test]
fn openssl_verifies_what_temper_signs_with_the_public_key_temper_writes() {
    let dir = tempfile::tempdir().unwrap();
    let key = SigningKey::generate(Algorithm::EcdsaP256).unwrap();
    let payload = temper_trust::SimpleSigning::new("example.test/app", &format!("sha256:{}", "ab".repeat(32))).to_json();
    std::fs::write(dir.path().join("pub.pem"), key.public().to_pem()).unwrap();
    std::fs::write(dir.path().join("sig.der"), key.sign(&payload)).unwrap();
    std::fs::write(dir.path().join("payload"), &payload).unwrap();
    let mut tampered = payload.clone();
    tampered[10] ^= 1;
    std::fs::write(dir.path().join("tampered"), &tampered).unwrap();
    let verify = |file: &str| Command::new("openssl").current_dir(dir.path()).args(["dgst", "-sha256", "-verify", "pub.pem", "-signature", "sig.der", file]).output().unwrap();
    let ok = verify("payload");
    assert!(ok.status.success() && ok.stdout.starts_with(b"Verified OK"), "{ok:?}");
    assert!(!verify("tampered").status.success());
    // openssl reads the public key as an EC P-256 SPKI with the same DER.
    let der = openssl(&["pkey", "-pubin", "-outform", "DER"], key.public().to_pem().as_bytes());
    assert_eq!(der, key.public().spki_der());
    let text = String::from_utf8(openssl(&["pkey", "-pubin", "-noout", "-text"], key.public().to_pem().as_bytes())).unwrap();
    assert!(text.contains("prime256v1"), "{text}");

    let ed = SigningKey::generate(Algorithm::Ed25519).unwrap();
    std::fs::write(dir.path().join("ed.pem"), ed.public().to_pem()).unwrap();
    std::fs::write(dir.path().join("ed.sig"), ed.sign(&payload)).unwrap();
    let out = Command::new("openssl").current_dir(dir.path()).args(["pkeyutl", "-verify", "-pubin", "-inkey", "ed.pem", "-rawin", "-in", "payload", "-sigfile", "ed.sig"]).output().unwrap();
    assert!(out.status.success(), "{out:?}");
}

#[test]
fn signatures_made_by_openssl_verify_with_temper() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("key.pem"), fixture("cosign/ec-p384-sec1.key")).unwrap();
    std::fs::write(dir.path().join("rsa.pem"), fixture("cosign/rsa-pkcs8.key")).unwrap();
    std::fs::write(dir.path().join("msg"), b"message").unwrap();
    for (key, digest) in [("key.pem", "-sha384"), ("rsa.pem", "-sha256")] {
        let out = Command::new("openssl").current_dir(dir.path()).args(["dgst", digest, "-sign", key, "-out", "sig", "msg"]).output().unwrap();
        assert!(out.status.success(), "{out:?}");
        let public = VerifyingKey::from_pem(&openssl(&["pkey", "-pubout"], &std::fs::read(dir.path().join(key)).unwrap())).unwrap();
        let sig = std::fs::read(dir.path().join("sig")).unwrap();
        public.verify(b"message", &sig).unwrap();
        assert_eq!(public.verify(b"messagE", &sig), Err(SignatureError::Invalid), "{key}");
    }
}

#[test]
fn malformed_signatures_are_told_from_invalid_ones() {
    let key = SigningKey::generate(Algorithm::EcdsaP256).unwrap().public();
    assert!(matches!(key.verify(b"m", b"\x30\x02\x01"), Err(SignatureError::Malformed { .. })));
    let ed = SigningKey::generate(Algorithm::Ed25519).unwrap().public();
    assert!(matches!(ed.verify(b"m", &[0; 63]), Err(SignatureError::Malformed { .. })));
    assert_eq!(ed.verify(b"m", &[0; 64]), Err(SignatureError::Invalid));
}
