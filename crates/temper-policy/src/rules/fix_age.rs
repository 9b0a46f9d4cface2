//! `fix-age`: no finding has had a fix available for more than `max-days`,
//! counted from the advisory's `published` date (the assessment has no
//! date for the fix itself; an advisory is published with or before its
//! fix, so this errs towards failing early). Findings without a fix or
//! without a readable `published` are not counted, and the reason says how
//! many had no date.

use serde::Deserialize;

use super::{Context, Outcome, Rule, split_waived};
use crate::Mode;
use crate::exceptions::Waivers;
use crate::input::{Assessment, Finding, Severity};

/// `[rules.fix-age]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct Config {
    #[serde(default)]
    pub mode: Mode,
    pub max_days: u32,
    /// The severities counted; default all.
    #[serde(default)]
    pub severities: Vec<Severity>,
}

#[derive(Debug)]
pub(crate) struct FixAge {
    max_days: u32,
    severities: Vec<Severity>,
}

impl FixAge {
    pub fn new(c: &Config) -> Self {
        FixAge { max_days: c.max_days, severities: c.severities.clone() }
    }
}

/// The day `published` (RFC 3339, or a bare date) names.
fn published(f: &Finding) -> Option<time::Date> {
    let p = f.published.as_deref()?;
    if let Ok(t) = time::OffsetDateTime::parse(p, &time::format_description::well_known::Rfc3339) {
        return Some(t.date());
    }
    let mut parts = p.get(..10)?.split('-');
    let (y, m, d) = (parts.next()?.parse().ok()?, parts.next()?.parse::<u8>().ok()?, parts.next()?.parse().ok()?);
    time::Date::from_calendar_date(y, time::Month::try_from(m).ok()?, d).ok()
}

impl Rule for FixAge {
    fn id(&self) -> &'static str {
        "fix-age"
    }

    fn evaluate(&self, input: &Assessment, cx: &Context, waivers: &Waivers<'_>) -> Outcome {
        let fixable: Vec<&Finding> = input.vulnerabilities.findings.iter().filter(|f| !f.fixed_versions.is_empty() && (self.severities.is_empty() || self.severities.contains(&f.severity()))).collect();
        let undated = fixable.iter().filter(|f| published(f).is_none()).count();
        let old = fixable.into_iter().filter_map(|f| published(f).map(|d| (f, (cx.today - d).whole_days()))).filter(|&(_, days)| days > i64::from(self.max_days));
        let (kept, waived) = split_waived(old, |(f, _)| waivers.item(f.names()), |(f, _)| f.item());
        let note = if undated > 0 { format!(" ({undated} fixable finding(s) without a published date not counted)") } else { String::new() };
        let outcome = if kept.is_empty() {
            Outcome::pass(format!("no fix has been available for more than {} days{note}", self.max_days))
        } else {
            let items = kept.iter().map(|(f, days)| format!("{} fixed in {} ({days} days)", f.item(), f.fixed_versions.first().map_or("", String::as_str))).collect();
            Outcome::fail(format!("{} finding(s) with a fix available for more than {} days{note}", kept.len(), self.max_days), items)
        };
        outcome.with_waived(waived)
    }
}
