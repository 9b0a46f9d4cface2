//! Sigstore bundles: a signature (a message signature or a DSSE envelope)
//! with what verifies it, in the protobuf-specs JSON mapping (camelCase
//! fields, bytes in base64).
//!
//! Read: v0.1, v0.2 and v0.3 (`application/vnd.dev.sigstore.bundle+json;version=0.N`
//! and `application/vnd.dev.sigstore.bundle.v0.3+json`), with verification
//! material `publicKey {hint}`, `certificate {rawBytes}` or
//! `x509CertificateChain {certificates[]}`. Transparency-log entries and
//! timestamp data are kept as they were read (key-based verification does
//! not use them). Written: v0.3 public-key bundles without log entries,
//! whose `hint` is the base64 SHA-256 of the key's SPKI DER (as cosign and
//! sigstore-go write it).

use serde::{Deserialize, Serialize};

use crate::dsse::{Envelope, EnvelopeJson};
use crate::key::{HashAlgorithm, VerifyingKey};
use crate::{Error, b64, check_size, malformed};

/// Media type of the bundles written.
pub const MEDIA_TYPE_V03: &str = "application/vnd.dev.sigstore.bundle.v0.3+json";
/// Media types read, with the version each names.
const MEDIA_TYPES: &[(&str, Version)] = &[
    (MEDIA_TYPE_V03, Version::V03),
    ("application/vnd.dev.sigstore.bundle+json;version=0.3", Version::V03),
    ("application/vnd.dev.sigstore.bundle+json;version=0.2", Version::V02),
    ("application/vnd.dev.sigstore.bundle+json;version=0.1", Version::V01),
];

/// Bundles above this are refused unread.
const MAX_BUNDLE: usize = crate::dsse::MAX_ENVELOPE + 1024 * 1024;
/// Certificates in a chain above this count are refused.
const MAX_CHAIN: usize = 16;

const WHAT: &str = "Sigstore bundle";

/// A bundle's format version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    /// v0.1.
    V01,
    /// v0.2.
    V02,
    /// v0.3.
    V03,
}

/// A Sigstore bundle.
#[derive(Debug, Clone, PartialEq)]
pub struct Bundle {
    /// `mediaType` as read (or [`MEDIA_TYPE_V03`]).
    pub media_type: String,
    /// The version the media type names.
    pub version: Version,
    /// What verifies the signature.
    pub material: Material,
    /// `verificationMaterial.tlogEntries`, as read.
    pub tlog_entries: Vec<serde_json::Value>,
    /// `verificationMaterial.timestampVerificationData`, as read.
    pub timestamp_verification_data: Option<serde_json::Value>,
    /// The signature.
    pub content: Content,
}

/// A bundle's verification material.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Material {
    /// A key known to the verifier; the hint names it (not trusted).
    PublicKey {
        /// `publicKey.hint`, possibly empty.
        hint: String,
    },
    /// A leaf certificate's DER (v0.3).
    Certificate(Vec<u8>),
    /// Certificate DERs, leaf first (v0.1, v0.2).
    Chain(Vec<Vec<u8>>),
}

/// What a bundle signs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Content {
    /// A signature over an artifact known by its digest.
    MessageSignature {
        /// `messageDigest`, optional in the format.
        digest: Option<(HashAlgorithm, Vec<u8>)>,
        /// The signature bytes.
        signature: Vec<u8>,
    },
    /// A DSSE envelope.
    Dsse(Envelope),
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BundleJson {
    media_type: String,
    verification_material: MaterialJson,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    message_signature: Option<MessageSignatureJson>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    dsse_envelope: Option<EnvelopeJson>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct MaterialJson {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    public_key: Option<PublicKeyJson>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    certificate: Option<CertificateJson>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    x509_certificate_chain: Option<ChainJson>,
    #[serde(default)]
    tlog_entries: Vec<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    timestamp_verification_data: Option<serde_json::Value>,
}

#[derive(Serialize, Deserialize)]
struct PublicKeyJson {
    #[serde(default)]
    hint: String,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CertificateJson {
    raw_bytes: String,
}

#[derive(Serialize, Deserialize)]
struct ChainJson {
    #[serde(default)]
    certificates: Vec<CertificateJson>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct MessageSignatureJson {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    message_digest: Option<DigestJson>,
    signature: String,
}

#[derive(Serialize, Deserialize)]
struct DigestJson {
    algorithm: String,
    digest: String,
}

fn bytes(field: &str, text: &str) -> Result<Vec<u8>, Error> {
    b64::decode(text).map_err(|e| malformed(WHAT, format!("{field}: {e}")))
}

impl Bundle {
    /// A v0.3 public-key bundle holding `envelope`.
    pub fn for_dsse(envelope: Envelope, key: &VerifyingKey) -> Self {
        Self::public_key(key, Content::Dsse(envelope))
    }

    /// A v0.3 public-key bundle holding `signature` over the artifact whose SHA-256 is `digest`.
    pub fn for_message(digest: [u8; 32], signature: Vec<u8>, key: &VerifyingKey) -> Self {
        Self::public_key(key, Content::MessageSignature { digest: Some((HashAlgorithm::Sha256, digest.to_vec())), signature })
    }

    fn public_key(key: &VerifyingKey, content: Content) -> Self {
        Bundle {
            media_type: MEDIA_TYPE_V03.to_owned(),
            version: Version::V03,
            material: Material::PublicKey { hint: b64::encode(&key.spki_sha256()) },
            tlog_entries: Vec::new(),
            timestamp_verification_data: None,
            content,
        }
    }

    /// The bundle as JSON.
    pub fn to_json(&self) -> String {
        let (public_key, certificate, x509_certificate_chain) = match &self.material {
            Material::PublicKey { hint } => (Some(PublicKeyJson { hint: hint.clone() }), None, None),
            Material::Certificate(der) => (None, Some(CertificateJson { raw_bytes: b64::encode(der) }), None),
            Material::Chain(ders) => (None, None, Some(ChainJson { certificates: ders.iter().map(|d| CertificateJson { raw_bytes: b64::encode(d) }).collect() })),
        };
        let (message_signature, dsse_envelope) = match &self.content {
            Content::MessageSignature { digest, signature } => (
                Some(MessageSignatureJson {
                    message_digest: digest.as_ref().map(|(a, d)| DigestJson { algorithm: a.name().to_owned(), digest: b64::encode(d) }),
                    signature: b64::encode(signature),
                }),
                None,
            ),
            Content::Dsse(envelope) => (None, Some(envelope.to_json_value())),
        };
        let json = BundleJson {
            media_type: self.media_type.clone(),
            verification_material: MaterialJson {
                public_key,
                certificate,
                x509_certificate_chain,
                tlog_entries: self.tlog_entries.clone(),
                timestamp_verification_data: self.timestamp_verification_data.clone(),
            },
            message_signature,
            dsse_envelope,
        };
        // Strings and JSON values: serialization cannot fail.
        serde_json::to_string(&json).unwrap_or_default()
    }

    /// Reads a bundle: a known media type, exactly one kind of verification
    /// material and exactly one kind of content.
    pub fn parse(data: &[u8]) -> Result<Self, Error> {
        check_size(WHAT, data.len(), MAX_BUNDLE)?;
        let json: BundleJson = serde_json::from_slice(data).map_err(|e| malformed(WHAT, e))?;
        let Some(&(_, version)) = MEDIA_TYPES.iter().find(|(m, _)| *m == json.media_type) else {
            return Err(malformed(WHAT, format!("media type {:?} is not a Sigstore bundle v0.1 to v0.3", json.media_type)));
        };
        let m = json.verification_material;
        let material = match (m.public_key, m.certificate, m.x509_certificate_chain) {
            (Some(k), None, None) => Material::PublicKey { hint: k.hint },
            (None, Some(c), None) => Material::Certificate(bytes("certificate", &c.raw_bytes)?),
            (None, None, Some(chain)) => {
                if chain.certificates.is_empty() {
                    return Err(malformed(WHAT, "an empty x509CertificateChain"));
                }
                if chain.certificates.len() > MAX_CHAIN {
                    return Err(malformed(WHAT, format!("{} certificates in the chain, more than {MAX_CHAIN}", chain.certificates.len())));
                }
                Material::Chain(chain.certificates.iter().map(|c| bytes("x509CertificateChain", &c.raw_bytes)).collect::<Result<_, _>>()?)
            }
            (None, None, None) => return Err(malformed(WHAT, "no verification material (publicKey, certificate or x509CertificateChain)")),
            _ => return Err(malformed(WHAT, "more than one kind of verification material")),
        };
        let content = match (json.message_signature, json.dsse_envelope) {
            (Some(s), None) => {
                let digest = match s.message_digest {
                    None => None,
                    Some(d) => {
                        let algorithm = HashAlgorithm::from_name(&d.algorithm).ok_or_else(|| malformed(WHAT, format!("message digest algorithm {:?} is not SHA2_256, SHA2_384 or SHA2_512", d.algorithm)))?;
                        let digest = bytes("messageDigest", &d.digest)?;
                        if digest.len() != algorithm.digest_len() {
                            return Err(malformed(WHAT, format!("a {}-byte {} message digest", digest.len(), algorithm.name())));
                        }
                        Some((algorithm, digest))
                    }
                };
                Content::MessageSignature { digest, signature: bytes("messageSignature", &s.signature)? }
            }
            (None, Some(envelope)) => Content::Dsse(Envelope::from_json_value(envelope, WHAT)?),
            (None, None) => return Err(malformed(WHAT, "neither messageSignature nor dsseEnvelope")),
            (Some(_), Some(_)) => return Err(malformed(WHAT, "both messageSignature and dsseEnvelope")),
        };
        Ok(Bundle { media_type: json.media_type, version, material, tlog_entries: m.tlog_entries, timestamp_verification_data: m.timestamp_verification_data, content })
    }
}
