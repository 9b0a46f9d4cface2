//! The trust fuzz bodies (`fuzz/src/trust.rs`) on stable: every seed in
//! `fuzz/seeds/trust_{bundle,dsse,key}/` is accepted, and thousands of
//! deterministic mutations of them do not panic or hang (each runs under a
//! watchdog, `fuzz/src/watchdog.rs`).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

#[path = "../../../fuzz/src/trust.rs"]
mod bodies;
#[path = "../../../fuzz/src/mutate.rs"]
mod mutate;
#[path = "../../../fuzz/src/replay.rs"]
mod replay;
#[path = "../../../fuzz/src/watchdog.rs"]
mod watchdog;

use replay::{run, seed_dir};

#[test]
fn trust_bundle_body_survives_mutations() {
    run("trust_bundle", bodies::bundle, 3000, 0xb0_0d1e);
}

#[test]
fn trust_dsse_body_survives_mutations() {
    run("trust_dsse", bodies::dsse, 3000, 0xd55e);
}

#[test]
fn trust_key_body_survives_mutations() {
    run("trust_key", bodies::key_file, 3000, 0x4e7_f11e);
}

/// Rewrites the seeds temper makes itself: a public-key attestation bundle,
/// its envelope, and an encrypted Ed25519 key (password `temper`).
#[test]
#[ignore]
fn write_seeds() {
    use temper_trust::key::{Algorithm, SigningKey};
    use temper_trust::statement::{self, Statement};
    use temper_trust::{Bundle, Envelope, dsse};
    let key = SigningKey::generate(Algorithm::EcdsaP256).unwrap();
    let statement = Statement::new("registry.test/app", &format!("sha256:{}", "5e".repeat(32)), statement::SLSA_PROVENANCE_V1, serde_json::json!({"buildDefinition": {"buildType": "https://temper.invalid/build/v1"}}));
    let envelope = Envelope::sign(dsse::INTOTO_PAYLOAD_TYPE, statement.to_json(), &key);
    std::fs::write(seed_dir("trust_dsse").join("temper.json"), envelope.to_json()).unwrap();
    std::fs::write(seed_dir("trust_bundle").join("temper.sigstore.json"), Bundle::for_dsse(envelope, &key.public()).to_json()).unwrap();
    let ed = SigningKey::generate(Algorithm::Ed25519).unwrap();
    std::fs::write(seed_dir("trust_key").join("temper-ed25519.key"), ed.to_encrypted_pem(b"temper").unwrap()).unwrap();
}
