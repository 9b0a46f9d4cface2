//! in-toto Statements (v1): what an attestation says about which artifacts.
//!
//! `{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":…,"digest":{"sha256":…}}],
//! "predicateType":…,"predicate":{…}}`. Statements are written as v1; the
//! legacy v0.1 type (which cosign still writes for some predicates) is read.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::{Error, check_size, malformed};

/// `_type` of an in-toto Statement v1.
pub const STATEMENT_V1: &str = "https://in-toto.io/Statement/v1";
/// `_type` of the legacy Statement v0.1, read only.
pub const STATEMENT_V01: &str = "https://in-toto.io/Statement/v0.1";

/// SLSA Provenance v1.
pub const SLSA_PROVENANCE_V1: &str = "https://slsa.dev/provenance/v1";
/// SLSA Provenance v0.2.
pub const SLSA_PROVENANCE_V02: &str = "https://slsa.dev/provenance/v0.2";
/// SPDX document.
pub const SPDX: &str = "https://spdx.dev/Document";
/// CycloneDX BOM.
pub const CYCLONEDX: &str = "https://cyclonedx.org/bom";
/// in-toto link.
pub const LINK_V1: &str = "https://in-toto.io/Link/v1";
/// cosign's vulnerability-scan predicate.
pub const COSIGN_VULN: &str = "https://cosign.sigstore.dev/attestation/vuln/v1";
/// OpenVEX.
pub const OPENVEX: &str = "https://openvex.dev/ns";
/// cosign's custom predicate (`--type custom`, its default).
pub const COSIGN_CUSTOM: &str = "https://cosign.sigstore.dev/attestation/v1";

/// cosign's `--type` names and the predicate types they stand for
/// (cosign `cmd/cosign/cli/options/predicate.go`).
pub const PREDICATE_ALIASES: &[(&str, &str)] = &[
    ("custom", COSIGN_CUSTOM),
    ("slsaprovenance", SLSA_PROVENANCE_V02),
    ("slsaprovenance02", SLSA_PROVENANCE_V02),
    ("slsaprovenance1", SLSA_PROVENANCE_V1),
    ("spdx", SPDX),
    ("spdxjson", SPDX),
    ("cyclonedx", CYCLONEDX),
    ("link", LINK_V1),
    ("vuln", COSIGN_VULN),
    ("openvex", OPENVEX),
];

/// Statements above this are refused unread.
const MAX_STATEMENT: usize = crate::dsse::MAX_ENVELOPE;

const WHAT: &str = "in-toto statement";

/// The predicate type a `--type` value names: one of cosign's aliases, or
/// an absolute URI (`scheme:rest`, no spaces or control characters).
pub fn predicate_type(name: &str) -> Result<String, Error> {
    if let Some((_, uri)) = PREDICATE_ALIASES.iter().find(|(alias, _)| *alias == name) {
        return Ok((*uri).to_owned());
    }
    if is_uri(name) {
        return Ok(name.to_owned());
    }
    let names: Vec<&str> = PREDICATE_ALIASES.iter().map(|(a, _)| *a).collect();
    Err(malformed("predicate type", format!("{name:?} is neither one of {} nor a URI", names.join(", "))))
}

fn is_uri(text: &str) -> bool {
    let Some((scheme, rest)) = text.split_once(':') else { return false };
    let scheme_ok = scheme.chars().next().is_some_and(|c| c.is_ascii_alphabetic()) && scheme.chars().all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
    scheme_ok && !rest.is_empty() && !text.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// An in-toto statement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Statement {
    /// `_type`: [`STATEMENT_V1`] (or [`STATEMENT_V01`] when read).
    #[serde(rename = "_type")]
    pub statement_type: String,
    /// The artifacts the statement is about.
    pub subject: Vec<Subject>,
    /// `predicateType`: a URI.
    #[serde(rename = "predicateType")]
    pub predicate_type: String,
    /// The predicate; `null` when absent.
    #[serde(default)]
    pub predicate: serde_json::Value,
}

/// One artifact of a statement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subject {
    /// The artifact's name (for an image, its repository).
    #[serde(default)]
    pub name: String,
    /// Digests by algorithm (`sha256` → lowercase hex).
    pub digest: BTreeMap<String, String>,
}

impl Statement {
    /// A v1 statement about the image `name` with manifest digest `digest` (`sha256:<hex>`).
    pub fn new(name: &str, digest: &str, predicate_type: &str, predicate: serde_json::Value) -> Self {
        let (algorithm, hex) = digest.split_once(':').unwrap_or(("sha256", digest));
        Statement {
            statement_type: STATEMENT_V1.to_owned(),
            subject: vec![Subject { name: name.to_owned(), digest: BTreeMap::from([(algorithm.to_owned(), hex.to_owned())]) }],
            predicate_type: predicate_type.to_owned(),
            predicate,
        }
    }

    /// The statement's JSON, the payload of its DSSE envelope.
    pub fn to_json(&self) -> Vec<u8> {
        // Strings and JSON values always serialize.
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// Reads a statement: `_type` must be in-toto's (v1 or v0.1), with at
    /// least one subject, each with a digest, and a predicate type.
    pub fn parse(bytes: &[u8]) -> Result<Self, Error> {
        check_size(WHAT, bytes.len(), MAX_STATEMENT)?;
        let statement: Statement = serde_json::from_slice(bytes).map_err(|e| malformed(WHAT, e))?;
        if statement.statement_type != STATEMENT_V1 && statement.statement_type != STATEMENT_V01 {
            return Err(malformed(WHAT, format!("_type {:?} is not {STATEMENT_V1} (or {STATEMENT_V01})", statement.statement_type)));
        }
        if statement.subject.is_empty() {
            return Err(malformed(WHAT, "no subject"));
        }
        if let Some(i) = statement.subject.iter().position(|s| s.digest.is_empty()) {
            return Err(malformed(WHAT, format!("subject {} has no digest", i + 1)));
        }
        if statement.predicate_type.is_empty() {
            return Err(malformed(WHAT, "no predicateType"));
        }
        Ok(statement)
    }

    /// True when a subject has digest `digest` (`algorithm:hex`, hex compared case-insensitively).
    pub fn has_subject_digest(&self, digest: &str) -> bool {
        let Some((algorithm, hex)) = digest.split_once(':') else { return false };
        self.subject.iter().any(|s| s.digest.get(algorithm).is_some_and(|h| h.eq_ignore_ascii_case(hex)))
    }
}
