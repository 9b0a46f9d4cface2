//! `vulnerabilities`: no more findings of a severity than its maximum
//! (`max = { critical = 0, high = 9 }`; a severity not named has no limit).
//!
//! Counts are the assessment's `vulnerabilities.counts` (after VEX and
//! ignores), less the findings an exception names, so an excepted CVE
//! stops counting without the counts and the list having to agree on
//! anything else.

use serde::Deserialize;

use super::{Context, Outcome, Rule, split_waived};
use crate::Mode;
use crate::exceptions::Waivers;
use crate::input::{Assessment, Severity};

/// `[rules.vulnerabilities]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct Config {
    #[serde(default)]
    pub mode: Mode,
    pub max: Max,
}

/// The most findings allowed of each severity.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Max {
    critical: Option<u64>,
    high: Option<u64>,
    medium: Option<u64>,
    low: Option<u64>,
    unknown: Option<u64>,
}

impl Max {
    fn get(&self, s: Severity) -> Option<u64> {
        match s {
            Severity::Critical => self.critical,
            Severity::High => self.high,
            Severity::Medium => self.medium,
            Severity::Low => self.low,
            Severity::Unknown => self.unknown,
        }
    }
}

#[derive(Debug)]
pub(crate) struct Vulnerabilities {
    max: Max,
}

impl Vulnerabilities {
    pub fn new(c: &Config) -> Self {
        Vulnerabilities { max: c.max.clone() }
    }

    /// The seed's limits: no critical, at most nine high.
    pub fn seed() -> Self {
        Vulnerabilities { max: Max { critical: Some(0), high: Some(9), ..Max::default() } }
    }
}

impl Rule for Vulnerabilities {
    fn id(&self) -> &'static str {
        "vulnerabilities"
    }

    fn evaluate(&self, input: &Assessment, _: &Context, waivers: &Waivers<'_>) -> Outcome {
        let v = &input.vulnerabilities;
        let (kept, waived) = split_waived(&v.findings, |f| waivers.item(f.names()), |f| f.item());
        let mut over = Vec::new();
        let mut items = Vec::new();
        // Exceptions are reported only when the rule would have failed without them.
        let mut would_fail = false;
        for s in Severity::ALL {
            let Some(max) = self.max.get(s) else { continue };
            would_fail |= v.counts.get(s) > max;
            let excepted = v.findings.iter().filter(|f| f.severity() == s).count() - kept.iter().filter(|f| f.severity() == s).count();
            let count = v.counts.get(s).saturating_sub(excepted as u64);
            if count > max {
                over.push(format!("{count} {} (maximum {max})", s.name()));
                items.extend(kept.iter().filter(|f| f.severity() == s).map(|f| f.item()));
            }
        }
        let limits: Vec<String> = Severity::ALL.iter().filter_map(|&s| self.max.get(s).map(|m| format!("{} ≤ {m}", s.name()))).collect();
        let outcome = if over.is_empty() { Outcome::pass(format!("within the limits ({})", limits.join(", "))) } else { Outcome::fail(format!("too many vulnerabilities: {}", over.join(", ")), items) };
        if would_fail { outcome.with_waived(waived) } else { outcome }
    }
}
