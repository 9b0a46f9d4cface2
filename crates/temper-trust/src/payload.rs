//! cosign's simple-signing payload: the document a legacy `.sig` layer
//! holds and its signature covers.
//!
//! ```json
//! {"critical":{"identity":{"docker-reference":"REF"},
//!   "image":{"docker-manifest-digest":"sha256:…"},
//!   "type":"cosign container image signature"},
//!  "optional":{…annotations…}}
//! ```
//!
//! Written with the key order and compact form cosign writes (Go's
//! `encoding/json`: struct fields in order, map keys sorted), `optional`
//! being `null` without annotations.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::{Error, check_size, malformed};

/// Media type of a legacy signature layer.
pub const MEDIA_TYPE: &str = "application/vnd.dev.cosign.simplesigning.v1+json";
/// The `critical.type` of an image signature.
pub const SIGNATURE_TYPE: &str = "cosign container image signature";
/// The layer annotation holding the base64 signature.
pub const SIGNATURE_ANNOTATION: &str = "dev.cosignproject.cosign/signature";

/// Payloads above this are refused unread (cosign's are a few hundred bytes).
const MAX_PAYLOAD: usize = 1024 * 1024;

const WHAT: &str = "simple-signing payload";

/// A simple-signing payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimpleSigning {
    /// `critical.identity.docker-reference`: the repository signed.
    pub docker_reference: String,
    /// `critical.image.docker-manifest-digest`: `sha256:<hex>` of the manifest signed.
    pub manifest_digest: String,
    /// `optional`: cosign's `-a key=value` annotations (and whatever else a signer put there).
    pub annotations: BTreeMap<String, serde_json::Value>,
}

#[derive(Serialize, Deserialize)]
struct Doc {
    critical: Critical,
    optional: Option<BTreeMap<String, serde_json::Value>>,
}

#[derive(Serialize, Deserialize)]
struct Critical {
    identity: Identity,
    image: Image,
    #[serde(rename = "type")]
    kind: String,
}

#[derive(Serialize, Deserialize)]
struct Identity {
    #[serde(rename = "docker-reference")]
    docker_reference: String,
}

#[derive(Serialize, Deserialize)]
struct Image {
    #[serde(rename = "docker-manifest-digest")]
    docker_manifest_digest: String,
}

/// True for `algorithm:hex` with a known algorithm and a digest of its length.
pub(crate) fn is_digest(digest: &str) -> bool {
    let hex_len = match digest.split_once(':') {
        Some(("sha256", h)) => (h.len() == 64).then_some(h),
        Some(("sha512", h)) => (h.len() == 128).then_some(h),
        _ => None,
    };
    hex_len.is_some_and(|h| h.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)))
}

impl SimpleSigning {
    /// The payload for manifest `digest` of repository `reference`, without annotations.
    pub fn new(reference: &str, digest: &str) -> Self {
        SimpleSigning { docker_reference: reference.to_owned(), manifest_digest: digest.to_owned(), annotations: BTreeMap::new() }
    }

    /// The JSON bytes to sign, as cosign writes them.
    pub fn to_json(&self) -> Vec<u8> {
        let doc = Doc {
            critical: Critical {
                identity: Identity { docker_reference: self.docker_reference.clone() },
                image: Image { docker_manifest_digest: self.manifest_digest.clone() },
                kind: SIGNATURE_TYPE.to_owned(),
            },
            optional: (!self.annotations.is_empty()).then(|| self.annotations.clone()),
        };
        // Strings and JSON values always serialize.
        serde_json::to_vec(&doc).unwrap_or_default()
    }

    /// Reads a payload; its `type` must be an image signature's and its digest well formed.
    pub fn parse(bytes: &[u8]) -> Result<Self, Error> {
        check_size(WHAT, bytes.len(), MAX_PAYLOAD)?;
        let doc: Doc = serde_json::from_slice(bytes).map_err(|e| malformed(WHAT, e))?;
        if doc.critical.kind != SIGNATURE_TYPE {
            return Err(malformed(WHAT, format!("critical.type is {:?}, not {SIGNATURE_TYPE:?}", doc.critical.kind)));
        }
        let digest = doc.critical.image.docker_manifest_digest;
        if !is_digest(&digest) {
            return Err(malformed(WHAT, format!("docker-manifest-digest {digest:?} is not sha256:<64 hex> or sha512:<128 hex>")));
        }
        Ok(SimpleSigning { docker_reference: doc.critical.identity.docker_reference, manifest_digest: digest, annotations: doc.optional.unwrap_or_default() })
    }
}
