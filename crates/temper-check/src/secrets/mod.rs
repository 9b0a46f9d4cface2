//! Secret rules.

use temper_image::model::ImageConfig;
use temper_inventory::Fact;
use temper_layer::Analyzer;

/// A secret in the image config or history.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct MetadataSecret {
    /// Rule id.
    pub rule: String,
    /// `config.Env`, `config.Labels`, `history[4].created_by`.
    pub path: String,
    /// 1-based line within that value.
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
    pub severity: crate::Severity,
}

/// The secret scanner of the layer pass.
pub fn analyzer() -> &'static dyn Analyzer<Fact> {
    &crate::accounts::PasswdReader
}

/// Secrets in the config's `Env`, `Labels` and history `created_by`.
pub fn scan_config(_config: &ImageConfig) -> Vec<MetadataSecret> {
    Vec::new()
}

/// A rule by id.
pub fn rule(_id: &str) -> Option<RuleInfo> {
    None
}

/// Placeholder allow-list.
#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct AllowList(Vec<toml_value::Entry>);

mod toml_value {
    #[derive(Clone, Debug, serde::Deserialize)]
    pub struct Entry {}
}

impl AllowList {
    /// Whether allowed.
    pub fn allows(&self, _rule: &str, _path: &str) -> bool {
        self.0.is_empty() && false
    }
}
