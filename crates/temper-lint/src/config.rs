//! `.temper.toml` (or `--config`): severity overrides, ignored rules,
//! trusted registries. Rules are named by temper id or hadolint id.
//!
//! ```toml
//! [lint]
//! ignore = ["DL3008", "healthcheck-missing"]
//! trusted-registries = ["registry.example.internal", "docker.io"]
//! digest-pinning = "warning"      # severity of `from-not-pinned-by-digest`, or "off"
//!
//! [lint.severity]
//! apt-get-pin-versions = "error"
//! DL3059 = "style"
//! ```

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::{RuleMeta, Severity};

/// The `[lint]` table.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Config {
    /// Rules not run, by temper or hadolint id.
    #[serde(default)]
    pub ignore: Vec<String>,
    /// Severity per rule, by temper or hadolint id.
    #[serde(default)]
    pub severity: BTreeMap<String, Severity>,
    /// Registries base images may come from; empty means any.
    #[serde(default)]
    pub trusted_registries: Vec<String>,
    /// Severity of a base image not pinned by digest, or `off`.
    #[serde(default)]
    pub digest_pinning: Option<String>,
}

impl Config {
    /// Whether the rule is turned off.
    pub fn is_ignored(&self, meta: &RuleMeta) -> bool {
        self.ignore.iter().any(|i| names(meta, i))
    }

    /// The rule's severity after overrides. For `from-not-pinned-by-digest`,
    /// `digest-pinning` sets it when `[lint.severity]` does not.
    pub fn severity(&self, meta: &RuleMeta) -> Severity {
        let digest = (meta.id == DIGEST_RULE).then(|| self.digest_pinning.as_deref().and_then(|d| d.parse().ok())).flatten();
        self.severity.iter().find(|(k, _)| names(meta, k)).map(|(_, s)| *s).or(digest).unwrap_or(meta.severity)
    }

    /// Whether `digest-pinning = "off"` turns `from-not-pinned-by-digest` off.
    pub fn digest_pinning_off(&self) -> bool {
        self.digest_pinning.as_deref().is_some_and(|d| d == "off")
    }

    /// Checks names and values the rules will read, so a typo is an error
    /// rather than a silent no-op.
    pub fn validate(&self, known: &[&RuleMeta]) -> Result<(), String> {
        for name in self.ignore.iter().chain(self.severity.keys()) {
            if !known.iter().any(|m| names(m, name)) {
                return Err(format!("unknown rule '{name}'"));
            }
        }
        if let Some(d) = &self.digest_pinning
            && d != "off"
            && d.parse::<Severity>().is_err()
        {
            return Err(format!("digest-pinning: '{d}' is not a severity (error, warning, info, style) or off"));
        }
        Ok(())
    }
}

/// The rule `digest-pinning` configures.
const DIGEST_RULE: &str = "from-not-pinned-by-digest";

/// Whether `name` names the rule, by temper id or hadolint id.
fn names(meta: &RuleMeta, name: &str) -> bool {
    meta.id == name || meta.hadolint.is_some_and(|h| h.eq_ignore_ascii_case(name))
}
