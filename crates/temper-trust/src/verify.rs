//! Key-based verification: a legacy cosign signature (simple-signing
//! payload and its base64 signature annotation), a DSSE envelope (a legacy
//! `.att` layer) or a Sigstore bundle, against a set of public keys.
//!
//! What a signature says is returned only once it verified with one of the
//! keys and names the image (or artifact) being verified: the payload is
//! parsed before that only to classify a failure, and nothing of it escapes.
//!
//! Two failures are told apart, for the CLI's exit codes:
//! - [`VerifyError::Invalid`]: the document is malformed, the signature is
//!   not a signature for any given key's algorithm, it does not verify with
//!   the key the document itself names (a bundle's `publicKey.hint`, an
//!   envelope's `keyid`, matched against [`VerifyingKey::key_id`] or its
//!   base64 SHA-256 form), the signature has the form of no algorithm's,
//!   the signed content does not name this image or
//!   artifact, or a bundle holds other than exactly one DSSE signature;
//! - [`VerifyError::Mismatch`]: a well-formed signature over content naming
//!   this image that none of the keys made. A tampered payload and a wrong
//!   key cannot be told apart by cryptography alone (any ECDSA signature is
//!   valid for some key): when the document names no given key, a failure
//!   is a mismatch unless the content is malformed or names another image.

use sha2::{Digest as _, Sha256};

use crate::bundle::{Bundle, Content, Material};
use crate::dsse::{Envelope, INTOTO_PAYLOAD_TYPE, pae};
use crate::key::{HashAlgorithm, VerifyingKey};
use crate::payload::SimpleSigning;
use crate::statement::Statement;
use crate::{SignatureError, b64};

/// Why verification failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// Malformed, tampered, or not about this image (exit code 4).
    #[error("signature invalid: {0}")]
    Invalid(String),
    /// Valid in form, but made by none of the given keys (exit code 5).
    #[error("signed, but by none of the given keys: {0}")]
    Mismatch(String),
}

fn invalid(reason: impl std::fmt::Display) -> VerifyError {
    VerifyError::Invalid(crate::one_line(&reason.to_string(), 400))
}

/// A signature that verified, and what it signs.
#[derive(Debug, Clone, PartialEq)]
pub struct Verified<T> {
    /// [`VerifyingKey::key_id`] of the key that verified it.
    pub key_id: String,
    /// The signed content.
    pub content: T,
}

/// What a bundle is checked against.
#[derive(Debug, Clone, Copy)]
pub enum Expected<'a> {
    /// An image by manifest digest (`sha256:<hex>`): a statement's subject
    /// must have it; a message signature's digest must be it.
    ImageDigest(&'a str),
    /// An artifact's bytes: a statement's subject must have their SHA-256;
    /// a message signature must be over them.
    Artifact(&'a [u8]),
}

impl Expected<'_> {
    fn digest(&self) -> String {
        match self {
            Expected::ImageDigest(d) => (*d).to_owned(),
            Expected::Artifact(bytes) => format!("sha256:{}", hex::encode(Sha256::digest(bytes))),
        }
    }
}

/// What a verified bundle signs.
#[derive(Debug, Clone, PartialEq)]
pub enum Attested {
    /// The in-toto statement of a DSSE envelope.
    Statement(Statement),
    /// A message signature over the artifact with this digest.
    Message {
        /// The digest algorithm.
        algorithm: HashAlgorithm,
        /// The digest.
        digest: Vec<u8>,
    },
}

/// True when `hint` names `key`: its hex key id or the base64 of its SPKI SHA-256.
fn names(hint: &str, key: &VerifyingKey) -> bool {
    !hint.is_empty() && (hint.eq_ignore_ascii_case(&key.key_id()) || b64::decode(hint).is_ok_and(|d| d == key.spki_sha256()))
}

/// True when `sig` has the form of a signature of some algorithm read here
/// (ECDSA DER on P-256 or P-384, Ed25519, RSA of 2048 to 4096 bits): a
/// signature of another form than the keys' is then a mismatch, not damage.
fn plausible(sig: &[u8]) -> bool {
    sig.len() == 64 || [256, 384, 512].contains(&sig.len()) || p256::ecdsa::DerSignature::from_bytes(sig).is_ok() || p384::ecdsa::DerSignature::from_bytes(sig).is_ok()
}

/// The first key `check` accepts, or the verification error: `sigs` (the
/// signature bytes), `hints` (the keys the document names) and `claims_this`
/// (whether the content, unverified, is well formed and about this image)
/// classify a failure.
fn find_key<'k>(keys: &'k [VerifyingKey], sigs: &[&[u8]], hints: &[&str], check: impl Fn(&VerifyingKey) -> Result<(), SignatureError>, claims_this: impl FnOnce() -> Result<(), String>) -> Result<&'k VerifyingKey, VerifyError> {
    if keys.is_empty() {
        return Err(VerifyError::Mismatch("no keys were given".into()));
    }
    let mut malformed = Vec::new();
    for key in keys {
        match check(key) {
            Ok(()) => return Ok(key),
            Err(SignatureError::Invalid) if hints.iter().any(|h| names(h, key)) => {
                return Err(invalid(format!("the signature does not verify with key {}, which the signature names", key.key_id())));
            }
            Err(e) if hints.iter().any(|h| names(h, key)) => return Err(invalid(format!("key {}, which the signature names: {e}", key.key_id()))),
            Err(SignatureError::Invalid) => {}
            Err(e) => malformed.push(format!("{} ({e})", key.key_id())),
        }
    }
    if malformed.len() == keys.len() && !sigs.iter().any(|s| plausible(s)) {
        return Err(invalid(format!("not a signature for the given keys: {}", malformed.join("; "))));
    }
    claims_this().map_err(invalid)?;
    let ids: Vec<String> = keys.iter().map(VerifyingKey::key_id).collect();
    Err(VerifyError::Mismatch(format!("keys tried: {}", ids.join(", "))))
}

/// The payload, if it is one about `image_digest`.
fn payload_for(payload: &[u8], image_digest: &str) -> Result<SimpleSigning, String> {
    let parsed = SimpleSigning::parse(payload).map_err(|e| e.to_string())?;
    if parsed.manifest_digest != image_digest {
        return Err(format!("the payload signs {}, not this image's {image_digest}", parsed.manifest_digest));
    }
    Ok(parsed)
}

/// Verifies a legacy cosign signature: `payload` (the simple-signing layer)
/// and `signature` (the base64 of its `dev.cosignproject.cosign/signature`
/// annotation) of the image whose manifest digest is `image_digest`.
pub fn simple_signing(payload: &[u8], signature: &str, image_digest: &str, keys: &[VerifyingKey]) -> Result<Verified<SimpleSigning>, VerifyError> {
    let sig = b64::decode(signature).map_err(|e| invalid(format!("the signature annotation: {e}")))?;
    let key = find_key(keys, &[&sig], &[], |k| k.verify(payload, &sig), || payload_for(payload, image_digest).map(drop))?;
    let content = payload_for(payload, image_digest).map_err(invalid)?;
    Ok(Verified { key_id: key.key_id(), content })
}

/// The statement of an in-toto payload, if it names `digest`.
fn statement_for(payload_type: &str, payload: &[u8], digest: &str) -> Result<Statement, String> {
    if payload_type != INTOTO_PAYLOAD_TYPE {
        return Err(format!("payload type {payload_type:?} is not {INTOTO_PAYLOAD_TYPE}"));
    }
    let statement = Statement::parse(payload).map_err(|e| e.to_string())?;
    if !statement.has_subject_digest(digest) {
        let found: Vec<String> = statement.subject.iter().flat_map(|s| s.digest.iter().map(|(a, h)| format!("{a}:{h}"))).collect();
        return Err(format!("the statement's subject digest differs: {} is not {digest}", found.join(", ")));
    }
    Ok(statement)
}

/// Verifies a DSSE envelope holding an in-toto statement about `image_digest`
/// (a legacy `.att` layer): one of its signatures must verify with a key.
pub fn envelope(envelope: &Envelope, image_digest: &str, keys: &[VerifyingKey]) -> Result<Verified<Statement>, VerifyError> {
    let pae = pae(&envelope.payload_type, &envelope.payload);
    let hints: Vec<&str> = envelope.signatures.iter().map(|s| s.keyid.as_str()).collect();
    // Invalid when a signature has this key's form and does not verify; malformed when none has.
    let check = |k: &VerifyingKey| {
        let results: Vec<Result<(), SignatureError>> = envelope.signatures.iter().map(|s| k.verify(&pae, &s.sig)).collect();
        if results.iter().any(Result::is_ok) {
            Ok(())
        } else if results.contains(&Err(SignatureError::Invalid)) {
            Err(SignatureError::Invalid)
        } else {
            results.into_iter().find_map(Result::err).map_or(Err(SignatureError::Invalid), Err)
        }
    };
    let sigs: Vec<&[u8]> = envelope.signatures.iter().map(|s| s.sig.as_slice()).collect();
    let key = find_key(keys, &sigs, &hints, check, || statement_for(&envelope.payload_type, &envelope.payload, image_digest).map(drop))?;
    let content = statement_for(&envelope.payload_type, &envelope.payload, image_digest).map_err(invalid)?;
    Ok(Verified { key_id: key.key_id(), content })
}

/// Verifies a Sigstore bundle signed with a public key (its log entries
/// are not consulted). A bundle made with a certificate is a mismatch here:
/// it verifies against a trusted root, not keys.
pub fn bundle(data: &[u8], expected: Expected<'_>, keys: &[VerifyingKey]) -> Result<Verified<Attested>, VerifyError> {
    let bundle = Bundle::parse(data).map_err(invalid)?;
    let hint = match &bundle.material {
        Material::PublicKey { hint } => hint.clone(),
        Material::Certificate(_) | Material::Chain(_) => {
            return Err(VerifyError::Mismatch("the bundle is signed with a certificate (keyless), not a key; verify it against a trusted root".into()));
        }
    };
    let digest = expected.digest();
    match &bundle.content {
        Content::Dsse(envelope) => {
            let [signature] = envelope.signatures.as_slice() else {
                return Err(invalid(format!("the bundle's DSSE envelope has {} signatures; a bundle carries exactly one", envelope.signatures.len())));
            };
            let pae = pae(&envelope.payload_type, &envelope.payload);
            let hints = [hint.as_str(), signature.keyid.as_str()];
            let key = find_key(keys, &[&signature.sig], &hints, |k| k.verify(&pae, &signature.sig), || statement_for(&envelope.payload_type, &envelope.payload, &digest).map(drop))?;
            let statement = statement_for(&envelope.payload_type, &envelope.payload, &digest).map_err(invalid)?;
            Ok(Verified { key_id: key.key_id(), content: Attested::Statement(statement) })
        }
        Content::MessageSignature { digest: message_digest, signature } => {
            let (algorithm, signed) = match (expected, message_digest) {
                (Expected::Artifact(bytes), Some((algorithm, d))) => {
                    if algorithm.digest(bytes) != *d {
                        return Err(invalid("the bundle's message digest is not the artifact's"));
                    }
                    (*algorithm, d.clone())
                }
                (Expected::Artifact(bytes), None) => (HashAlgorithm::Sha256, HashAlgorithm::Sha256.digest(bytes)),
                (Expected::ImageDigest(image), Some((algorithm, d))) => {
                    if format!("{}:{}", algorithm_prefix(*algorithm), hex::encode(d)) != image {
                        return Err(invalid(format!("the bundle signs {}:{}, not this image's {image}", algorithm_prefix(*algorithm), hex::encode(d))));
                    }
                    (*algorithm, d.clone())
                }
                (Expected::ImageDigest(_), None) => return Err(invalid("the bundle's message signature has no digest to compare with the image's")),
            };
            let check = |k: &VerifyingKey| match expected {
                Expected::Artifact(bytes) => k.verify(bytes, signature),
                Expected::ImageDigest(_) => k.verify_digest(algorithm, &signed, signature),
            };
            let key = find_key(keys, &[signature], &[hint.as_str()], check, || Ok(()))?;
            Ok(Verified { key_id: key.key_id(), content: Attested::Message { algorithm, digest: signed } })
        }
    }
}

/// The OCI digest prefix of a bundle's digest algorithm.
fn algorithm_prefix(algorithm: HashAlgorithm) -> &'static str {
    match algorithm {
        HashAlgorithm::Sha256 => "sha256",
        HashAlgorithm::Sha384 => "sha384",
        HashAlgorithm::Sha512 => "sha512",
    }
}
