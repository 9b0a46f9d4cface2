//! `secrets`: no secret of `min-severity` or above ships in the image
//! (default: any severity), visible or in a layer a later one hides.

use serde::Deserialize;

use super::{Context, Outcome, Rule, split_waived};
use crate::Mode;
use crate::exceptions::Waivers;
use crate::input::{Assessment, CheckSeverity};

/// `[rules.secrets]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct Config {
    #[serde(default)]
    pub mode: Mode,
    pub min_severity: Option<CheckSeverity>,
}

#[derive(Debug)]
pub(crate) struct Secrets {
    min: CheckSeverity,
}

impl Secrets {
    pub fn new(c: &Config) -> Self {
        Secrets { min: c.min_severity.unwrap_or(CheckSeverity::Info) }
    }

    /// The seed's rule: any secret fails.
    pub fn seed() -> Self {
        Secrets { min: CheckSeverity::Info }
    }
}

impl Rule for Secrets {
    fn id(&self) -> &'static str {
        "secrets"
    }

    fn evaluate(&self, input: &Assessment, _: &Context, waivers: &Waivers<'_>) -> Outcome {
        let found = input.secrets.iter().filter(|s| s.severity >= self.min);
        // An exception names the file or the secret rule.
        let (kept, waived) = split_waived(found, |s| waivers.item([s.path.as_str(), s.rule.as_str()].into_iter()), |s| format!("{}:{} ({})", s.path, s.line, s.rule));
        let outcome = if kept.is_empty() {
            Outcome::pass("no secret found")
        } else {
            Outcome::fail(format!("{} secret(s) in the image", kept.len()), kept.iter().map(|s| format!("{}:{} ({})", s.path, s.line, s.rule)).collect())
        };
        outcome.with_waived(waived)
    }
}
