//! `packages`: no forbidden package is installed. An entry is a package
//! name (any ecosystem, compared exactly) or a purl prefix
//! (`pkg:npm/event-stream` forbids every version of it, and
//! `pkg:npm/event-stream@3.3.6` one version).

use serde::Deserialize;

use super::{Context, Outcome, Rule, split_waived};
use crate::Mode;
use crate::exceptions::Waivers;
use crate::input::{Assessment, Package};

/// `[rules.packages]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct Config {
    #[serde(default)]
    pub mode: Mode,
    pub forbidden: Vec<String>,
}

#[derive(Debug)]
pub(crate) struct Packages {
    forbidden: Vec<String>,
}

impl Packages {
    pub fn new(c: &Config) -> Self {
        Packages { forbidden: c.forbidden.clone() }
    }

    fn matches(entry: &str, p: &Package) -> bool {
        if !entry.starts_with("pkg:") {
            return entry == p.name;
        }
        // A prefix must end where a purl part ends, so `pkg:npm/event` is not `pkg:npm/event-stream`.
        p.purl.strip_prefix(entry).is_some_and(|rest| rest.is_empty() || rest.starts_with(['@', '?', '#']))
    }
}

impl Rule for Packages {
    fn id(&self) -> &'static str {
        "packages"
    }

    fn evaluate(&self, input: &Assessment, _: &Context, waivers: &Waivers<'_>) -> Outcome {
        let bad = input.packages.iter().filter(|p| self.forbidden.iter().any(|e| Self::matches(e, p)));
        let item = |p: &&Package| if p.purl.is_empty() { format!("{} {}", p.name, p.version) } else { p.purl.clone() };
        let (kept, waived) = split_waived(bad, |p| waivers.item([p.name.as_str(), p.purl.as_str()].into_iter()), item);
        let outcome = if kept.is_empty() {
            Outcome::pass("no forbidden package")
        } else {
            Outcome::fail(format!("{} forbidden package(s) installed", kept.len()), kept.iter().map(item).collect())
        };
        outcome.with_waived(waived)
    }
}
