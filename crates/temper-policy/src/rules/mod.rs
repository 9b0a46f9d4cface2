//! The built-in rules, one file each, behind [`Rule`]; [`compile`] is the
//! one list that turns `[rules.*]` into them, in report order, and [`IDS`]
//! names them in the same order.

mod attestation;
mod base;
mod checks;
mod fix_age;
mod kev;
mod licenses;
mod packages;
mod secrets;
mod signature;
mod size;
mod vulnerabilities;

use serde::Deserialize;

use crate::config::Loader;
use crate::exceptions::{Exception, Waivers};
use crate::input::Assessment;
use crate::verdict::Status;
use crate::{Mode, Requirements, Result};

/// Every built-in rule id, in report order.
pub(crate) const IDS: &[&str] = &["vulnerabilities", "kev", "fix-age", "secrets", "checks", "size", "packages", "licenses", "signature", "attestation", "base"];

/// `[rules]`: each table present turns its rule on.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct Config {
    pub vulnerabilities: Option<vulnerabilities::Config>,
    pub kev: Option<kev::Config>,
    pub fix_age: Option<fix_age::Config>,
    pub secrets: Option<secrets::Config>,
    pub checks: Option<checks::Config>,
    pub size: Option<size::Config>,
    pub packages: Option<packages::Config>,
    pub licenses: Option<licenses::Config>,
    pub signature: Option<signature::Config>,
    #[serde(default)]
    pub attestation: Vec<attestation::Config>,
    pub base: Option<base::Config>,
}

/// What a rule is evaluated with besides the assessment.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Context {
    /// Today, for fix ages.
    pub today: time::Date,
}

/// A built-in rule, configured.
pub(crate) trait Rule: std::fmt::Debug + Send + Sync {
    /// Its id, as `[rules.ID]`, scopes and exceptions name it.
    fn id(&self) -> &'static str;
    /// Its outcome on `input`; items an active exception names are left
    /// out of the judgement and listed in [`Outcome::waived`].
    fn evaluate(&self, input: &Assessment, cx: &Context, waivers: &Waivers<'_>) -> Outcome;
}

/// A rule's outcome before its mode and image-wide exceptions apply.
#[derive(Debug)]
pub(crate) struct Outcome {
    /// Pass, or what the rule found (a rule with a warn list may warn on its own).
    pub status: Status,
    /// Why, in one sentence.
    pub reason: String,
    /// What offends.
    pub items: Vec<String>,
    /// Items let through by an exception: `item: exceptions[N] (until …): reason`.
    pub waived: Vec<String>,
}

impl Outcome {
    pub fn pass(reason: impl Into<String>) -> Self {
        Outcome { status: Status::Pass, reason: reason.into(), items: Vec::new(), waived: Vec::new() }
    }

    pub fn fail(reason: impl Into<String>, items: Vec<String>) -> Self {
        Outcome { status: Status::Fail, reason: reason.into(), items, waived: Vec::new() }
    }

    pub fn with_waived(mut self, waived: Vec<String>) -> Self {
        self.waived = waived;
        self
    }
}

/// A rule with its mode and where it came from.
#[derive(Debug)]
pub(crate) struct Entry {
    pub rule: Box<dyn Rule>,
    pub mode: Mode,
    /// `policy.toml` (the file) or `default`.
    pub source: String,
}

/// The seed's policy: Critical ≥ 1 or High ≥ 10 fails, any secret fails, running as root warns.
pub(crate) fn default_rules() -> Vec<Entry> {
    let entry = |rule: Box<dyn Rule>, mode| Entry { rule, mode, source: "default".to_owned() };
    vec![
        entry(Box::new(vulnerabilities::Vulnerabilities::seed()), Mode::Enforce),
        entry(Box::new(secrets::Secrets::seed()), Mode::Enforce),
        entry(Box::new(checks::Checks::seed()), Mode::Enforce),
    ]
}

/// The rules `[rules]` turns on, in [`IDS`] order, and what they need verified.
pub(crate) fn compile(config: &Config, loader: &mut Loader<'_>) -> Result<(Vec<Entry>, Requirements)> {
    let source = loader.policy.display().to_string();
    let mut requirements = Requirements::default();
    let mut out = Vec::new();
    let mut push = |rule: Box<dyn Rule>, mode: Mode| out.push(Entry { rule, mode, source: source.clone() });
    if let Some(c) = &config.vulnerabilities {
        push(Box::new(vulnerabilities::Vulnerabilities::new(c)), c.mode);
    }
    if let Some(c) = &config.kev {
        push(Box::new(kev::Kev), c.mode);
    }
    if let Some(c) = &config.fix_age {
        push(Box::new(fix_age::FixAge::new(c)), c.mode);
    }
    if let Some(c) = &config.secrets {
        push(Box::new(secrets::Secrets::new(c)), c.mode);
    }
    if let Some(c) = &config.checks {
        push(Box::new(checks::Checks::new(c)), c.mode);
    }
    if let Some(c) = &config.size {
        push(Box::new(size::Size::new(c, loader)?), c.mode);
    }
    if let Some(c) = &config.packages {
        push(Box::new(packages::Packages::new(c)), c.mode);
    }
    if let Some(c) = &config.licenses {
        push(Box::new(licenses::Licenses::new(c, loader)?), c.mode);
    }
    if let Some(c) = &config.signature {
        push(Box::new(signature::Signature::new(c, loader, &mut requirements)?), c.mode);
    }
    for (n, c) in config.attestation.iter().enumerate() {
        push(Box::new(attestation::Attestation::new(c, n, loader, &mut requirements)?), c.mode);
    }
    if let Some(c) = &config.base {
        push(Box::new(base::Base::new(c, loader, &mut requirements)?), c.mode);
    }
    Ok((out, requirements))
}

/// Items `waiver` lets through are set aside: returns the offending items
/// and the waived ones, described.
pub(crate) fn split_waived<'e, T>(items: impl IntoIterator<Item = T>, waiver: impl Fn(&T) -> Option<&'e Exception>, item: impl Fn(&T) -> String) -> (Vec<T>, Vec<String>) {
    let mut kept = Vec::new();
    let mut waived = Vec::new();
    for i in items {
        match waiver(&i) {
            Some(e) => waived.push(format!("{}: {}", item(&i), e.describe())),
            None => kept.push(i),
        }
    }
    (kept, waived)
}
