//! `temper key generate`: cosign's key files, read back by temper-trust and
//! by openssl; existing files are kept unless --force.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::os::unix::fs::PermissionsExt as _;
use std::process::Command;

use temper_trust::key::{SigningKey, VerifyingKey};

fn temper(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_temper")).current_dir(dir).env("TEMPER_PASSWORD", "correct horse").args(args).output().unwrap()
}

#[test]
fn key_generate_writes_cosigns_formats_that_openssl_and_temper_read() {
    let dir = tempfile::tempdir().unwrap();
    let out = temper(dir.path(), &["key", "generate"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let private = std::fs::read(dir.path().join("temper.key")).unwrap();
    assert!(private.starts_with(b"-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n"));
    assert_eq!(std::fs::metadata(dir.path().join("temper.key")).unwrap().permissions().mode() & 0o777, 0o600);
    let public = std::fs::read(dir.path().join("temper.pub")).unwrap();
    let key = SigningKey::from_pem(&private, || Ok(b"correct horse".to_vec())).unwrap();
    assert_eq!(key.public(), VerifyingKey::from_pem(&public).unwrap());
    assert!(SigningKey::from_pem(&private, || Ok(b"wrong".to_vec())).is_err());

    // openssl verifies a signature made with the key against the .pub.
    let payload = dir.path().join("payload");
    std::fs::write(&payload, b"{\"critical\":{}}").unwrap();
    std::fs::write(dir.path().join("sig"), key.sign(b"{\"critical\":{}}")).unwrap();
    let v = Command::new("openssl").current_dir(dir.path()).args(["dgst", "-sha256", "-verify", "temper.pub", "-signature", "sig", "payload"]).output().unwrap();
    assert!(v.status.success(), "{}", String::from_utf8_lossy(&v.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains(&key.public().key_id()));

    // A second run keeps the pair; --force replaces it.
    let again = temper(dir.path(), &["key", "generate"]);
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("temper.key: exists; give --force"), "{}", String::from_utf8_lossy(&again.stderr));
    assert_eq!(std::fs::read(dir.path().join("temper.key")).unwrap(), private);
    let ed = temper(dir.path(), &["key", "generate", "--algorithm", "ed25519", "--output-prefix", "sub/ed"]);
    assert_ne!(ed.status.code(), Some(0), "a missing directory is an error");
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    let ed = temper(dir.path(), &["key", "generate", "--algorithm", "ed25519", "--output-prefix", "sub/ed"]);
    assert!(ed.status.success(), "{}", String::from_utf8_lossy(&ed.stderr));
    let ed_key = SigningKey::from_pem(&std::fs::read(dir.path().join("sub/ed.key")).unwrap(), || Ok(b"correct horse".to_vec())).unwrap();
    assert_eq!(ed_key.public().algorithm(), VerifyingKey::from_pem(&std::fs::read(dir.path().join("sub/ed.pub")).unwrap()).unwrap().algorithm());
    let o = Command::new("openssl").args(["pkey", "-pubin", "-noout", "-text", "-in"]).arg(dir.path().join("sub/ed.pub")).output().unwrap();
    assert!(String::from_utf8_lossy(&o.stdout).contains("ED25519"), "{}", String::from_utf8_lossy(&o.stdout));
    assert!(temper(dir.path(), &["key", "generate", "--force"]).status.success());
    assert_ne!(std::fs::read(dir.path().join("temper.key")).unwrap(), private);
}
