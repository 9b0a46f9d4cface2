//! The parts of an assessment the built-in rules read, as views that
//! deserialize from the JSON (`schemas/assessment.schema.json`).
//!
//! Only `image.reference` is required: a part missing from the document
//! reads as empty, so a rule about it passes or fails on what is there
//! (the signature rule fails when `signatures.checked` is false).

use serde::Deserialize;

use crate::{Error, Result};

/// The assessment.
#[derive(Debug, Deserialize)]
pub(crate) struct Assessment {
    pub image: Image,
    #[serde(default)]
    pub layers: Layers,
    #[serde(default)]
    pub packages: Vec<Package>,
    #[serde(default)]
    pub vulnerabilities: Vulnerabilities,
    #[serde(default)]
    pub checks: Vec<Check>,
    #[serde(default)]
    pub secrets: Vec<Secret>,
    #[serde(default)]
    pub signatures: Signatures,
    #[serde(default)]
    pub attestations: Vec<Attestation>,
}

impl Assessment {
    /// The view of `json`.
    pub fn from_json(json: &serde_json::Value) -> Result<Self> {
        serde_path_to_error::deserialize(json).map_err(|e| Error::Assessment(format!("`{}`: {}", e.path(), e.inner())))
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct Image {
    pub reference: String,
    #[serde(default)]
    pub base: Option<Base>,
    #[serde(default)]
    pub size: Size,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct Base {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub digest: Option<String>,
    #[serde(default)]
    pub signers: Vec<Signer>,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct Size {
    #[serde(default)]
    pub compressed: u64,
    #[serde(default)]
    pub uncompressed: u64,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct Layers {
    #[serde(default)]
    pub wasted_bytes: u64,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Package {
    pub name: String,
    #[serde(default)]
    pub version: String,
    #[serde(default)]
    pub purl: String,
    #[serde(default)]
    pub licenses: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct Vulnerabilities {
    #[serde(default)]
    pub counts: Counts,
    #[serde(default)]
    pub findings: Vec<Finding>,
}

/// Findings by severity.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct Counts {
    #[serde(default)]
    pub critical: u64,
    #[serde(default)]
    pub high: u64,
    #[serde(default)]
    pub medium: u64,
    #[serde(default)]
    pub low: u64,
    #[serde(default)]
    pub unknown: u64,
}

/// A vulnerability severity, lowest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Severity {
    Unknown,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 5] = [Severity::Critical, Severity::High, Severity::Medium, Severity::Low, Severity::Unknown];

    pub fn name(self) -> &'static str {
        match self {
            Severity::Unknown => "unknown",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    /// From the finding's upper-case spelling; anything else is unknown.
    fn from_finding(s: &str) -> Self {
        match s {
            "CRITICAL" => Severity::Critical,
            "HIGH" => Severity::High,
            "MEDIUM" => Severity::Medium,
            "LOW" => Severity::Low,
            _ => Severity::Unknown,
        }
    }
}

impl Counts {
    pub fn get(&self, s: Severity) -> u64 {
        match s {
            Severity::Critical => self.critical,
            Severity::High => self.high,
            Severity::Medium => self.medium,
            Severity::Low => self.low,
            Severity::Unknown => self.unknown,
        }
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct Finding {
    pub id: String,
    #[serde(default)]
    pub aliases: Vec<String>,
    #[serde(default)]
    pub package: String,
    #[serde(default)]
    pub version: String,
    #[serde(default)]
    pub fixed_versions: Vec<String>,
    #[serde(default, rename = "severity")]
    severity_name: String,
    #[serde(default)]
    pub kev: bool,
    #[serde(default)]
    pub published: Option<String>,
}

impl Finding {
    pub fn severity(&self) -> Severity {
        Severity::from_finding(&self.severity_name)
    }

    /// The id and its aliases, which exceptions may name.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.id.as_str()).chain(self.aliases.iter().map(String::as_str))
    }

    /// `CVE-… (package version)`, as offending items read.
    pub fn item(&self) -> String {
        format!("{} ({} {})", self.id, self.package, self.version)
    }
}

/// A hardening check's or a secret's severity, lowest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum CheckSeverity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Check {
    pub id: String,
    pub status: CheckStatus,
    #[serde(default)]
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum CheckStatus {
    Pass,
    Fail,
    Skip,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Secret {
    pub rule: String,
    pub severity: CheckSeverity,
    #[serde(default)]
    pub path: String,
    #[serde(default)]
    pub line: u64,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct Signatures {
    #[serde(default)]
    pub checked: bool,
    #[serde(default)]
    pub verified: Vec<Signer>,
}

/// Who signed: a key's id, or a keyless identity and issuer.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct Signer {
    #[serde(default)]
    pub key_id: Option<String>,
    #[serde(default)]
    pub identity: Option<String>,
    #[serde(default)]
    pub issuer: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Attestation {
    pub predicate_type: String,
    pub signer: Signer,
    #[serde(default)]
    pub predicate: serde_json::Value,
}
