//! `kev`: no finding is in CISA's Known Exploited Vulnerabilities catalog.

use serde::Deserialize;

use super::{Context, Outcome, Rule, split_waived};
use crate::Mode;
use crate::exceptions::Waivers;
use crate::input::Assessment;

/// `[rules.kev]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct Config {
    #[serde(default)]
    pub mode: Mode,
}

#[derive(Debug)]
pub(crate) struct Kev;

impl Rule for Kev {
    fn id(&self) -> &'static str {
        "kev"
    }

    fn evaluate(&self, input: &Assessment, _: &Context, waivers: &Waivers<'_>) -> Outcome {
        let kev = input.vulnerabilities.findings.iter().filter(|f| f.kev);
        let (kept, waived) = split_waived(kev, |f| waivers.item(f.names()), |f| f.item());
        let outcome = if kept.is_empty() {
            Outcome::pass("no finding is a known exploited vulnerability")
        } else {
            Outcome::fail(format!("{} finding(s) in CISA's Known Exploited Vulnerabilities catalog", kept.len()), kept.iter().map(|f| f.item()).collect())
        };
        outcome.with_waived(waived)
    }
}
