//! The verdict on one image: overall status, and one result per rule.

use serde::Serialize;

use crate::exceptions::Waivers;
use crate::rego::{RegoKind, RegoOutcome};
use crate::rules::{Entry, Outcome};
use crate::select::Selection;
use crate::{Mode, NoMatch};

/// The overall verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Every rule passed (or was excepted).
    Pass,
    /// Some rule warned; none failed.
    Warn,
    /// Some enforced rule failed.
    Fail,
}

/// One rule's result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RuleStatus {
    /// The image meets it.
    Pass,
    /// It failed in `warn` mode, or is a warning by nature (Rego `warn`, an expired exception).
    Warn,
    /// It failed in `enforce` mode.
    Fail,
    /// It failed only on what active exceptions let through.
    Excepted,
}

/// Which scope selected the image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum ScopeMatch {
    /// `scope[index]`, the first whose globs match.
    Scope {
        /// Its place in the file.
        index: usize,
        /// Its image globs.
        images: Vec<String>,
    },
    /// The policy has no `[[scope]]`: every rule applies to every image.
    All,
    /// No scope selected it; `no-match` decided.
    None {
        /// The policy's `no-match`.
        no_match: NoMatch,
    },
}

/// One rule's result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleResult {
    /// The rule: a built-in id (`vulnerabilities`), a Rego rule (`data.main.deny`),
    /// `scope` (no rule ran), or `exception` (an expired exception).
    pub rule: String,
    /// Where it is defined: `policy.toml`, `default`, an exception's name, or the Rego files.
    pub source: String,
    /// Its result.
    pub status: RuleStatus,
    /// Its mode.
    pub mode: Mode,
    /// Why, in one sentence.
    pub reason: String,
    /// What offends: finding ids, secret paths, packages, Rego messages.
    pub items: Vec<String>,
}

impl RuleResult {
    /// The result of one Rego rule.
    pub fn from_rego(o: &RegoOutcome) -> Self {
        let (status, mode) = match (o.kind, o.messages.is_empty()) {
            (_, true) => (RuleStatus::Pass, Mode::Enforce),
            (RegoKind::Deny, false) => (RuleStatus::Fail, Mode::Enforce),
            (RegoKind::Warn, false) => (RuleStatus::Warn, Mode::Warn),
        };
        let reason = if o.messages.is_empty() { "no message".to_owned() } else { o.messages.join("; ") };
        RuleResult { rule: o.rule.clone(), source: o.files.join(", "), status, mode, reason, items: o.messages.clone() }
    }
}

/// The verdict on one image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verdict {
    /// Fail when an enforced rule failed, warn when one warned, else pass.
    pub status: Status,
    /// The image reference judged.
    pub image: String,
    /// The scope that selected it.
    pub scope: ScopeMatch,
    /// Every rule's result, built-in rules first in registry order, then Rego.
    pub results: Vec<RuleResult>,
}

impl Verdict {
    pub(crate) fn new(image: &str, selection: Selection, results: Vec<RuleResult>) -> Self {
        let status = results
            .iter()
            .map(|r| match r.status {
                RuleStatus::Pass | RuleStatus::Excepted => Status::Pass,
                RuleStatus::Warn => Status::Warn,
                RuleStatus::Fail => Status::Fail,
            })
            .max()
            .unwrap_or(Status::Pass);
        Verdict { status, image: image.to_owned(), scope: selection.scope(), results }
    }

    /// The verdict when no rule runs: an exempt image, or one no scope selects.
    pub(crate) fn unselected(image: &str, selection: Selection) -> Self {
        let (status, reason) = match &selection {
            Selection::Exempt { .. } => (RuleStatus::Pass, "exempt: allowed without an assessment".to_owned()),
            Selection::NoMatch { no_match: NoMatch::Allow } => (RuleStatus::Pass, "no [[scope]] selects the image; no-match = \"allow\"".to_owned()),
            Selection::NoMatch { no_match: NoMatch::Warn } => (RuleStatus::Warn, "no [[scope]] selects the image; no-match = \"warn\"".to_owned()),
            Selection::NoMatch { no_match: NoMatch::Deny } => (RuleStatus::Fail, "no [[scope]] selects the image; no-match = \"deny\"".to_owned()),
            Selection::Rules { .. } => (RuleStatus::Pass, "selected".to_owned()),
        };
        let source = match selection.scope() {
            ScopeMatch::Scope { index, .. } => format!("scope[{index}]"),
            _ => "no-match".to_owned(),
        };
        let result = RuleResult { rule: "scope".to_owned(), source, status, mode: Mode::Enforce, reason, items: Vec::new() };
        Verdict::new(image, selection, vec![result])
    }

    /// The result of rule `rule` (a built-in id or a Rego rule path), the first when several.
    pub fn result(&self, rule: &str) -> Option<&RuleResult> {
        self.results.iter().find(|r| r.rule == rule)
    }
}

/// A built-in rule's outcome made a result: its mode and exceptions applied.
pub(crate) fn finish(rule: &Entry, outcome: Outcome, waivers: &Waivers<'_>) -> RuleResult {
    let mode = rule.mode;
    let mut status = match outcome.status {
        Status::Pass => RuleStatus::Pass,
        Status::Warn => RuleStatus::Warn,
        Status::Fail if mode == Mode::Warn => RuleStatus::Warn,
        Status::Fail => RuleStatus::Fail,
    };
    let mut reason = outcome.reason;
    if status != RuleStatus::Pass
        && let Some(e) = waivers.image()
    {
        status = RuleStatus::Excepted;
        reason = format!("{reason}; excepted by {}", e.describe());
    } else if !outcome.waived.is_empty() {
        if status == RuleStatus::Pass {
            status = RuleStatus::Excepted;
        }
        reason = format!("{reason}; excepted: {}", outcome.waived.join("; "));
    }
    RuleResult { rule: rule.rule.id().to_owned(), source: rule.source.clone(), status, mode, reason, items: outcome.items }
}
