//! `[[exceptions]]`: a built-in rule lets named items (finding ids, package
//! names, secret paths, check ids), or a whole image, through until a date.
//!
//! An exception needs a reason, shown wherever it changes a verdict. One
//! past its date no longer applies, and every verdict it would have
//! applied to says so in a warning, so an expiry is never silent.

use crate::config::{ExceptionConfig, Loader};
use crate::verdict::{RuleResult, RuleStatus};
use crate::{Mode, Result};

/// A compiled exception.
#[derive(Debug)]
pub(crate) struct Exception {
    /// `exceptions[N]`, as the verdict names it.
    pub name: String,
    pub rule: String,
    pub ids: Vec<String>,
    pub images: Vec<globset::GlobMatcher>,
    /// The last day it applies.
    pub expires: time::Date,
    pub reason: String,
}

impl Exception {
    fn covers_image(&self, reference: &str) -> bool {
        self.images.is_empty() || self.images.iter().any(|g| g.is_match(reference))
    }

    /// What the verdict says when it lets something through.
    pub fn describe(&self) -> String {
        format!("{} (until {}): {}", self.name, self.expires, self.reason)
    }
}

/// Rules without items for `ids` to name.
const WHOLE_IMAGE_RULES: &[&str] = &["size", "signature", "attestation", "base"];

pub(crate) fn compile(list: &[ExceptionConfig], loader: &Loader<'_>) -> Result<Vec<Exception>> {
    list.iter()
        .enumerate()
        .map(|(n, e)| {
            let key = |k: &str| format!("exceptions[{n}].{k}");
            if !crate::rules::IDS.contains(&e.rule.get_ref().as_str()) {
                return Err(loader.at(e.rule.span(), &key("rule"), format!("no built-in rule is called `{}` (one of {})", e.rule.get_ref(), crate::rules::IDS.join(", "))));
            }
            if e.reason.get_ref().trim().is_empty() {
                return Err(loader.at(e.reason.span(), &key("reason"), "an exception needs a reason"));
            }
            if !e.ids.is_empty() && WHOLE_IMAGE_RULES.contains(&e.rule.get_ref().as_str()) {
                return Err(loader.at(e.rule.span(), &key("ids"), format!("rule `{}` judges the image as a whole: an exception to it names `images`, not `ids`", e.rule.get_ref())));
            }
            if e.ids.is_empty() && e.images.is_empty() {
                return Err(loader.at(e.rule.span(), &key("rule"), "an exception names `ids`, `images` or both (else it would switch the rule off)"));
            }
            let expires = match e.expires.get_ref() {
                toml::value::Datetime { date: Some(d), time: None, offset: None } => time::Date::from_calendar_date(i32::from(d.year), time::Month::try_from(d.month).ok().unwrap_or(time::Month::January), d.day).ok(),
                _ => None,
            }
            .ok_or_else(|| loader.at(e.expires.span(), &key("expires"), "give a date, e.g. 2027-01-31"))?;
            let images = e.images.iter().map(|g| loader.glob(g, &key("images"))).collect::<Result<_>>()?;
            Ok(Exception { name: format!("exceptions[{n}]"), rule: e.rule.get_ref().clone(), ids: e.ids.clone(), images, expires, reason: e.reason.get_ref().clone() })
        })
        .collect()
}

/// The exceptions that apply to `reference` today; each expired one that
/// would have applied (its rule enabled) is reported as a warning in `results`.
pub(crate) fn active<'a>(all: &'a [Exception], reference: &str, today: time::Date, results: &mut Vec<RuleResult>, enabled: Option<&[String]>) -> Vec<&'a Exception> {
    let mut active = Vec::new();
    for e in all.iter().filter(|e| e.covers_image(reference)) {
        if today <= e.expires {
            active.push(e);
        } else if enabled.is_none_or(|names| names.contains(&e.rule)) {
            results.push(RuleResult {
                rule: "exception".to_owned(),
                source: e.name.clone(),
                status: RuleStatus::Warn,
                mode: Mode::Warn,
                reason: format!("{} for rule {} expired on {} and no longer applies (it said: {}); renew or remove it", e.name, e.rule, e.expires, e.reason),
                items: e.ids.clone(),
            });
        }
    }
    active
}

/// The active exceptions of one rule.
#[derive(Debug, Default)]
pub(crate) struct Waivers<'a> {
    list: Vec<&'a Exception>,
}

impl<'a> Waivers<'a> {
    pub fn for_rule(active: &[&'a Exception], rule: &str) -> Self {
        Waivers { list: active.iter().copied().filter(|e| e.rule == rule).collect() }
    }

    /// The exception that names one of `names` (an id and its aliases), compared without case.
    pub fn item<'n>(&self, mut names: impl Iterator<Item = &'n str>) -> Option<&'a Exception> {
        names.find_map(|n| self.list.iter().copied().find(|e| e.ids.iter().any(|id| id.eq_ignore_ascii_case(n))))
    }

    /// The exception that lets the whole image through: one naming images and no ids.
    pub fn image(&self) -> Option<&'a Exception> {
        self.list.iter().copied().find(|e| e.ids.is_empty())
    }
}
