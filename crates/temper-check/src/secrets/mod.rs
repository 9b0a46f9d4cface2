//! Secret scanning: credentials left in image layers and in image metadata.
//!
//! # Flow
//! [`analyzer`] joins the layer pass and reads every text file of every
//! layer (binaries, huge files and data trees are skipped, see
//! [`SecretScanner`]), so a secret deleted by a later layer is still found
//! in the layer that ships it; each finding becomes a
//! [`temper_inventory::Secret`] fact (rule, line, redacted match; layer and
//! path come from the pass). [`scan_config`] runs the same rules over the
//! config's `Env`, `Labels` and history. [`AllowList`] (the `[secrets]`
//! table of the config file) is applied by the caller afterwards, so
//! per-layer cached results never depend on configuration.
//!
//! Rules are data, one file per family in `rules/`, listed once in
//! `rules::RULES`; [`rules`] and [`rule`] describe them. Matching is one
//! Aho-Corasick pass over every rule's keywords, then only the regexes of
//! rules whose keywords occur.
//!
//! A finding never carries the secret: [`MetadataSecret::redacted`] and the
//! facts' `redacted` show at most four leading bytes of it (fewer for short
//! secrets, none of a private key), then `*****`.

mod allow;
mod analyzer;
mod metadata;
mod rules;
mod scan;
mod values;

use temper_image::model::ImageConfig;
use temper_inventory::Fact;
use temper_layer::Analyzer;

pub use allow::{AllowEntry, AllowError, AllowList};
pub use analyzer::{MAX_BYTES, SecretScanner};

use crate::Severity;

/// A secret in the image config or history.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct MetadataSecret {
    /// Rule id.
    pub rule: String,
    /// `config.Env`, `config.Labels`, `history[4].created_by`.
    pub path: String,
    /// 1-based line: the variable's position in `Env`, the label's in key
    /// order, the line within `created_by`.
    pub line: u32,
    /// Redacted match.
    pub redacted: String,
}

/// A rule's description.
#[derive(Clone, Copy, Debug)]
pub struct RuleInfo {
    /// Id.
    pub id: &'static str,
    /// Title.
    pub title: &'static str,
    /// Severity.
    pub severity: Severity,
}

/// The secret-named variable rule, which only reads metadata.
const ENV_NAME: RuleInfo = RuleInfo { id: metadata::ENV_NAME_RULE, title: "Secret in a variable named as one", severity: Severity::High };

/// The secret scanner of the layer pass.
pub fn analyzer() -> &'static dyn Analyzer<Fact> {
    &SecretScanner
}

/// Secrets in the config's `Env`, `Labels` and history `created_by`.
pub fn scan_config(config: &ImageConfig) -> Vec<MetadataSecret> {
    metadata::scan_config(config)
}

/// The ids of the known-format rules (token prefixes, private keys,
/// credentials in URLs…) that find a secret in one `NAME=value`
/// assignment, as a Dockerfile `ENV` or `ARG` writes it, in priority order,
/// so `temper lint` judges values as the image scan does. The generic
/// `password = …` rule is left out: it judges by the name alone, which the
/// caller does with what it knows of the value.
pub fn known_formats(text: &str) -> Vec<&'static str> {
    scan::scan(text.as_bytes(), None).into_iter().map(|l| l.rule).filter(|r| *r != "generic-password").collect()
}

/// Every rule, file rules in priority order, then the metadata-only one.
pub fn rules() -> Vec<RuleInfo> {
    rules::RULES.iter().map(|r| RuleInfo { id: r.id, title: r.title, severity: r.severity }).chain([ENV_NAME]).collect()
}

/// A rule by id.
pub fn rule(id: &str) -> Option<RuleInfo> {
    rules().into_iter().find(|r| r.id == id)
}

#[cfg(test)]
mod tests;
