//! DSSE envelopes (Dead Simple Signing Envelope v1): a payload, its type,
//! and signatures over the pre-authentication encoding [`pae`] of both.
//!
//! JSON: `{"payloadType":…,"payload":<base64>,"signatures":[{"keyid":…,"sig":<base64>}]}`,
//! the same shape a Sigstore bundle's `dsseEnvelope` has. Base64 is written
//! standard and padded; either alphabet is read, as the spec asks.

use serde::{Deserialize, Serialize};

use crate::key::{SigningKey, VerifyingKey};
use crate::{Error, b64, check_size, malformed};

/// Payload type of an in-toto statement.
pub const INTOTO_PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";

/// Envelopes above this are refused unread (an SBOM statement can be large).
pub const MAX_ENVELOPE: usize = 64 * 1024 * 1024;
/// More signatures than this are refused (each one is checked against every key).
const MAX_SIGNATURES: usize = 32;

const WHAT: &str = "DSSE envelope";

/// A DSSE envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    /// `payloadType`.
    pub payload_type: String,
    /// The payload bytes (base64 in JSON).
    pub payload: Vec<u8>,
    /// The signatures.
    pub signatures: Vec<Signature>,
}

/// One signature of an envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    /// `keyid`: a hint naming the key; not trusted, may be empty.
    pub keyid: String,
    /// The signature bytes (base64 in JSON).
    pub sig: Vec<u8>,
}

/// The JSON form, shared with the bundle's `dsseEnvelope`.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct EnvelopeJson {
    pub(crate) payload: String,
    pub(crate) payload_type: String,
    #[serde(default)]
    pub(crate) signatures: Vec<SignatureJson>,
}

#[derive(Serialize, Deserialize)]
pub(crate) struct SignatureJson {
    pub(crate) sig: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub(crate) keyid: String,
}

/// `DSSEv1 SP LEN(type) SP type SP LEN(body) SP body`, lengths in ASCII decimal.
pub fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = format!("DSSEv1 {} {} {} ", payload_type.len(), payload_type, payload.len()).into_bytes();
    out.extend_from_slice(payload);
    out
}

impl Envelope {
    /// `payload` of `payload_type` signed by `key`, the signature's `keyid`
    /// being the key's [`VerifyingKey::key_id`].
    pub fn sign(payload_type: &str, payload: Vec<u8>, key: &SigningKey) -> Self {
        let sig = key.sign(&pae(payload_type, &payload));
        Envelope { payload_type: payload_type.to_owned(), payload, signatures: vec![Signature { keyid: key.public().key_id(), sig }] }
    }

    pub(crate) fn to_json_value(&self) -> EnvelopeJson {
        EnvelopeJson {
            payload: b64::encode(&self.payload),
            payload_type: self.payload_type.clone(),
            signatures: self.signatures.iter().map(|s| SignatureJson { sig: b64::encode(&s.sig), keyid: s.keyid.clone() }).collect(),
        }
    }

    /// The envelope as JSON.
    pub fn to_json(&self) -> String {
        // Only strings: serialization cannot fail.
        serde_json::to_string(&self.to_json_value()).unwrap_or_default()
    }

    pub(crate) fn from_json_value(json: EnvelopeJson, what: &'static str) -> Result<Self, Error> {
        if json.signatures.is_empty() {
            return Err(malformed(what, "no signatures"));
        }
        if json.signatures.len() > MAX_SIGNATURES {
            return Err(malformed(what, format!("{} signatures, more than the {MAX_SIGNATURES} accepted", json.signatures.len())));
        }
        let payload = b64::decode(&json.payload).map_err(|e| malformed(what, format!("payload: {e}")))?;
        let signatures = json
            .signatures
            .into_iter()
            .enumerate()
            .map(|(i, s)| Ok(Signature { sig: b64::decode(&s.sig).map_err(|e| malformed(what, format!("signature {}: {e}", i + 1)))?, keyid: s.keyid }))
            .collect::<Result<_, Error>>()?;
        Ok(Envelope { payload_type: json.payload_type, payload, signatures })
    }

    /// Reads an envelope's JSON; it must have at least one signature.
    pub fn parse(bytes: &[u8]) -> Result<Self, Error> {
        check_size(WHAT, bytes.len(), MAX_ENVELOPE)?;
        let json: EnvelopeJson = serde_json::from_slice(bytes).map_err(|e| malformed(WHAT, e))?;
        Self::from_json_value(json, WHAT)
    }

    /// The first of `keys` that made one of the signatures, with that
    /// signature's index.
    pub fn verify_with<'k>(&self, keys: &'k [VerifyingKey]) -> Option<(&'k VerifyingKey, usize)> {
        let pae = pae(&self.payload_type, &self.payload);
        keys.iter().find_map(|key| self.signatures.iter().position(|s| key.verify(&pae, &s.sig).is_ok()).map(|i| (key, i)))
    }
}
