//! Standard SBOM documents from an [`Inventory`]: CycloneDX 1.6 JSON
//! ([`cyclonedx`]) and SPDX 2.3 JSON ([`spdx`]).
//!
//! Both encoders take an [`Sbom`]: the inventory, the [`Subject`] it was
//! taken from (the image, described by the caller, who has opened it) and a
//! [`Timestamp`]. They own small serde models of the two formats instead of
//! using the `cyclonedx-bom` / `spdx-rs` crates, which stop at CycloneDX 1.5
//! and SPDX 2.2.
//!
//! # Determinism
//! The same image gives byte-identical documents:
//! - every list is in a fixed order (the inventory's, or sorted), and the
//!   models hold no hash maps;
//! - the document's identity (CycloneDX `serialNumber`, SPDX
//!   `documentNamespace`) is a name-based UUID over the document itself with
//!   its identity and timestamps left blank; the content includes the
//!   manifest digest, so identity follows the image, and for an image without
//!   one (a plain root filesystem) it follows the inventory;
//! - the timestamp comes from [`Timestamp::resolve`]: `SOURCE_DATE_EPOCH`,
//!   else the image config's `created`, else the Unix epoch, never the clock.
//!
//! # Licences
//! Each declared licence string is classified once ([`Licence::classify`]): a
//! single SPDX licence id, a valid SPDX expression, or free text. CycloneDX
//! writes them as `license.id`, `expression` or `license.name`; SPDX writes
//! one expression for `licenseDeclared`, turning free text into a
//! `LicenseRef-` whose text is kept in `hasExtractedLicensingInfos`.

pub mod cyclonedx;
pub mod spdx;

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use sha2::{Digest as _, Sha256};
use temper_image::{Digest, Platform};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::Inventory;

/// Why a document could not be made.
#[derive(Debug, thiserror::Error)]
pub enum FormatError {
    /// `SOURCE_DATE_EPOCH` is set but is not a Unix time in seconds.
    #[error("SOURCE_DATE_EPOCH: '{0}' is not a Unix timestamp in seconds between years 1 and 9999")]
    SourceDateEpoch(String),
    /// Serialising the document failed.
    #[error("encoding the SBOM: {0}")]
    Json(#[from] serde_json::Error),
}

/// The image an inventory was taken from, as the caller knows it.
#[derive(Clone, Debug, Default)]
pub struct Subject {
    /// The image as the user named it (`oci:examples/demo-app`).
    pub name: String,
    /// The `pkg:oci` name: the last segment of the repository, or the file
    /// name of a local layout or archive.
    pub short_name: String,
    /// `registry/repository` when the image came from (or names) a registry;
    /// the `repository_url` qualifier of its purl.
    pub repository: Option<String>,
    /// The tag the image was selected by.
    pub tag: Option<String>,
    /// Digest of the image manifest.
    pub manifest_digest: Option<Digest>,
    /// Digest of the config blob.
    pub config_digest: Option<Digest>,
    /// The platform from the config.
    pub platform: Option<Platform>,
    /// The config's `created` time, as written there.
    pub created: Option<String>,
    /// Layer diffIDs, base first.
    pub diff_ids: Vec<Digest>,
}

impl Subject {
    /// The image's package URL, `pkg:oci/NAME@DIGEST?arch=…&repository_url=…&tag=…`;
    /// `None` without a manifest digest, which the oci purl type requires.
    pub fn purl(&self) -> Option<String> {
        let digest = self.manifest_digest.as_ref()?;
        let mut query = Vec::new();
        if let Some(p) = &self.platform {
            query.push(format!("arch={}", crate::purl::encode(&p.architecture, b"")));
        }
        if let Some(r) = &self.repository {
            query.push(format!("repository_url={}", crate::purl::encode(r, b"/:")));
        }
        if let Some(t) = &self.tag {
            query.push(format!("tag={}", crate::purl::encode(t, b"")));
        }
        let name = crate::purl::encode(&self.short_name.to_ascii_lowercase(), b"");
        let query = if query.is_empty() { String::new() } else { format!("?{}", query.join("&")) };
        Some(format!("pkg:oci/{name}@{}{query}", crate::purl::encode(&digest.to_string(), b"")))
    }
}

/// A document time in whole seconds, UTC.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timestamp(OffsetDateTime);

impl Timestamp {
    /// The time a document states: `source_date_epoch` (the
    /// `SOURCE_DATE_EPOCH` convention of reproducible builds: Unix seconds)
    /// when given, else the image's `created` when it is RFC 3339, else the
    /// Unix epoch. Never the clock, so documents are reproducible.
    ///
    /// A malformed `source_date_epoch` is an error (the user asked for it);
    /// a malformed `created` comes from the image and is passed over.
    pub fn resolve(source_date_epoch: Option<&str>, created: Option<&str>) -> Result<Timestamp, FormatError> {
        if let Some(s) = source_date_epoch {
            let bad = || FormatError::SourceDateEpoch(s.to_owned());
            let secs: i64 = s.trim().parse().map_err(|_| bad())?;
            return Timestamp::from_unix(secs).ok_or_else(bad);
        }
        let created = created.and_then(|c| OffsetDateTime::parse(c.trim(), &Rfc3339).ok());
        Ok(created.and_then(|c| Timestamp::from_unix(c.unix_timestamp())).unwrap_or(Timestamp(OffsetDateTime::UNIX_EPOCH)))
    }

    /// Unix seconds, if the year fits in four digits (SPDX and RFC 3339).
    fn from_unix(secs: i64) -> Option<Timestamp> {
        let t = OffsetDateTime::from_unix_timestamp(secs).ok()?;
        (1..=9999).contains(&t.year()).then_some(Timestamp(t))
    }

    /// `YYYY-MM-DDThh:mm:ssZ`, the form SPDX requires and CycloneDX accepts.
    pub fn rfc3339(self) -> String {
        let t = self.0;
        format!("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", t.year(), u8::from(t.month()), t.day(), t.hour(), t.minute(), t.second())
    }
}

/// What an encoder needs.
#[derive(Clone, Copy, Debug)]
pub struct Sbom<'a> {
    /// The image.
    pub subject: &'a Subject,
    /// Its packages.
    pub inventory: &'a Inventory,
    /// The document time.
    pub timestamp: Timestamp,
    /// The version of temper writing the document.
    pub tool_version: &'a str,
}

/// One declared licence string, classified.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Licence {
    /// A single SPDX licence id (`MIT`).
    Id(String),
    /// A valid SPDX expression that is more than one id
    /// (`MIT OR Apache-2.0`, `GPL-2.0-or-later WITH Classpath-exception-2.0`).
    Expression(String),
    /// Anything else, as written (`BSD License`, `Apache 2.0`).
    Text(String),
}

impl Licence {
    /// Classifies `raw`; `None` when it is blank, `NOASSERTION` or `NONE`. Expressions are parsed
    /// strictly (deprecated ids allowed, as SPDX 2.3 still lists them), and
    /// ones naming a `LicenseRef-` or `AdditionRef-` count as text, since
    /// the document would have to define those references.
    pub fn classify(raw: &str) -> Option<Licence> {
        let s = raw.trim();
        // SPDX's placeholders for "not stated" say nothing about the package.
        if s.is_empty() || s == "NOASSERTION" || s == "NONE" {
            return None;
        }
        let mode = ::spdx::ParseMode { allow_deprecated: true, ..::spdx::ParseMode::STRICT };
        let Ok(expr) = ::spdx::Expression::parse_mode(s, mode) else {
            return Some(Licence::Text(s.to_owned()));
        };
        let only_listed = expr.requirements().all(|r| {
            matches!(r.req.license, ::spdx::LicenseItem::Spdx { .. })
                && r.req.addition.as_ref().is_none_or(|a| matches!(a, ::spdx::AdditionItem::Spdx(_)))
        });
        Some(if !only_listed {
            Licence::Text(s.to_owned())
        } else if ::spdx::license_id(s).is_some_and(|id| id.name == s) {
            Licence::Id(s.to_owned())
        } else {
            Licence::Expression(s.to_owned())
        })
    }
}

/// The declared licences of a package, classified, blanks and repeats dropped.
fn licences(raw: &[String]) -> Vec<Licence> {
    let mut seen = BTreeSet::new();
    raw.iter().filter_map(|l| Licence::classify(l)).filter(|l| seen.insert(l.clone())).collect()
}

/// Joins expressions with `AND`, bracketing compound ones (operators are
/// always set off by spaces) when there is more than one.
fn and_all(parts: &[&str]) -> String {
    if let [only] = parts {
        return (*only).to_owned();
    }
    parts.iter().map(|s| if s.contains(char::is_whitespace) { format!("({s})") } else { (*s).to_owned() }).collect::<Vec<_>>().join(" AND ")
}

/// One reference per package, unique in the document and stable across
/// runs: the purl; where a purl repeats, the purl and the evidence path;
/// where that repeats too (`--all-layers`), the layer as well.
pub fn package_refs(inventory: &Inventory) -> Vec<String> {
    let mut count: BTreeMap<&str, usize> = BTreeMap::new();
    for p in &inventory.packages {
        *count.entry(p.purl.as_str()).or_default() += 1;
    }
    let with_path: Vec<String> = inventory
        .packages
        .iter()
        .map(|p| if count.get(p.purl.as_str()).copied().unwrap_or(0) > 1 { format!("{}#{}", p.purl, p.paths.join(",")) } else { p.purl.clone() })
        .collect();
    let mut count: BTreeMap<&str, usize> = BTreeMap::new();
    for r in &with_path {
        *count.entry(r.as_str()).or_default() += 1;
    }
    let mut used = BTreeSet::new();
    let mut refs = Vec::with_capacity(with_path.len());
    for (r, p) in with_path.iter().zip(&inventory.packages) {
        let layer = p.layer.map_or_else(|| "-".to_owned(), |l| l.to_string());
        let mut candidate = if count.get(r.as_str()).copied().unwrap_or(0) > 1 { format!("{r}@layer{layer}") } else { r.clone() };
        // Same purl, path and layer twice would be a cataloger bug; still unique.
        let mut n = 1;
        while used.contains(&candidate) {
            n += 1;
            candidate = format!("{r}@layer{layer}~{n}");
        }
        used.insert(candidate.clone());
        refs.push(candidate);
    }
    refs
}

/// Evidence paths as absolute paths in the image.
fn absolute(path: &str) -> String {
    if path.starts_with('/') { path.to_owned() } else { format!("/{path}") }
}

/// A file a cataloger could not read, in one line.
fn unknown(u: &crate::Unknown) -> String {
    format!("layer {} {} ({}): {}", u.layer, absolute(&u.path), u.cataloger, u.reason)
}

/// A name-based UUID (version 5) over `doc` serialised: the document's
/// identity when its identity and time fields are blank.
fn identity(doc: &impl Serialize) -> Result<uuid::Uuid, FormatError> {
    // A fixed namespace of temper's own, so these never collide with other
    // tools' name-based UUIDs over the same bytes.
    const NAMESPACE: uuid::Uuid = uuid::Uuid::from_u128(0x5f3c_2a4e_8b1d_4c67_9e02_7a6b_d4f1_c3e8);
    let hash = Sha256::digest(serde_json::to_vec(doc)?);
    Ok(uuid::Uuid::new_v5(&NAMESPACE, &hash))
}

/// Pretty JSON with a final newline.
fn to_json(doc: &impl Serialize) -> Result<String, FormatError> {
    Ok(serde_json::to_string_pretty(doc)? + "\n")
}

#[cfg(test)]
#[path = "../../tests/schemas/validate.rs"]
mod validate;

#[cfg(test)]
mod tests;
