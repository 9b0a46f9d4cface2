//! `checks`: hardening checks by id. A failed check in `fail` fails the
//! rule, one in `warn` makes it warn. A listed check the assessment does
//! not report counts as failed: the policy cannot show it passed.

use serde::Deserialize;

use super::{Context, Outcome, Rule, split_waived};
use crate::exceptions::Waivers;
use crate::input::{Assessment, CheckStatus};
use crate::{Mode, Status};

/// `[rules.checks]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct Config {
    #[serde(default)]
    pub mode: Mode,
    #[serde(default)]
    pub fail: Vec<String>,
    #[serde(default)]
    pub warn: Vec<String>,
}

#[derive(Debug)]
pub(crate) struct Checks {
    fail: Vec<String>,
    warn: Vec<String>,
}

impl Checks {
    pub fn new(c: &Config) -> Self {
        Checks { fail: c.fail.clone(), warn: c.warn.clone() }
    }

    /// The seed's rule: running as root warns.
    pub fn seed() -> Self {
        Checks { fail: Vec::new(), warn: vec!["runs-as-root".to_owned()] }
    }

    /// The listed checks that did not pass, as `id: message`.
    fn failed(&self, ids: &[String], input: &Assessment, waivers: &Waivers<'_>, waived: &mut Vec<String>) -> Vec<String> {
        let bad = ids.iter().filter_map(|id| match input.checks.iter().find(|c| &c.id == id) {
            Some(c) if c.status == CheckStatus::Fail => Some(format!("{id}: {}", c.message)),
            Some(_) => None,
            None => Some(format!("{id}: not in the assessment")),
        });
        let (kept, w) = split_waived(bad, |item| waivers.item(item.split(':').next().into_iter()), String::clone);
        waived.extend(w);
        kept
    }
}

impl Rule for Checks {
    fn id(&self) -> &'static str {
        "checks"
    }

    fn evaluate(&self, input: &Assessment, _: &Context, waivers: &Waivers<'_>) -> Outcome {
        let mut waived = Vec::new();
        let failed = self.failed(&self.fail, input, waivers, &mut waived);
        let warned = self.failed(&self.warn, input, waivers, &mut waived);
        let outcome = if !failed.is_empty() {
            let mut items = failed;
            items.extend(warned);
            Outcome::fail(format!("hardening checks failed: {}", items.iter().filter_map(|i| i.split(':').next()).collect::<Vec<_>>().join(", ")), items)
        } else if !warned.is_empty() {
            Outcome { status: Status::Warn, reason: format!("hardening checks failed (warn): {}", warned.iter().filter_map(|i| i.split(':').next()).collect::<Vec<_>>().join(", ")), items: warned, waived: Vec::new() }
        } else {
            Outcome::pass(format!("{} hardening check(s) passed", self.fail.len() + self.warn.len()))
        };
        outcome.with_waived(waived)
    }
}
