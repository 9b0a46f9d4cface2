//! How hardened an image is: the checks over the merged filesystem and
//! config, and the secrets its layers, config and history hold, judged
//! against a threshold.

use serde::Serialize;
use temper_check::secrets::AllowList;
use temper_check::{CheckResult, Context, Profile, Settings, Severity, Status};
use temper_image::Image;

use crate::pass::Scanned;
use crate::threshold::FailOn;

/// A secret as reported: in a layer's file, or in the config or history
/// (`layer` is then `None` and `path` names the field).
#[derive(Clone, Debug, Serialize)]
pub struct SecretReport {
    /// The rule's id.
    pub rule: String,
    /// What the rule finds.
    pub title: String,
    /// How serious.
    pub severity: Severity,
    /// The layer whose file holds it.
    pub layer: Option<usize>,
    /// Path in the image, or `config.Env`, `history[4].created_by`.
    pub path: String,
    /// 1-based line.
    pub line: u32,
    /// The match with the secret masked.
    pub redacted: String,
    /// False when a later layer deletes or replaces the file: the secret still ships in its layer.
    pub visible: bool,
}

/// Everything `temper check` reports.
#[derive(Debug, Serialize)]
pub struct Report {
    /// The image as named.
    pub image: String,
    /// Manifest digest.
    pub digest: Option<String>,
    /// `os/arch[/variant]`.
    pub platform: Option<String>,
    /// The profile used.
    pub profile: Profile,
    /// The threshold, `None` for never.
    pub fail_on: Option<Severity>,
    /// Whether nothing reached the threshold.
    pub passed: bool,
    /// Every check, in registry order.
    pub checks: Vec<CheckResult>,
    /// Every secret, files first (layer, path, line order), then metadata.
    pub secrets: Vec<SecretReport>,
}

impl Report {
    /// How many failed checks and secrets reach the threshold.
    pub fn failing(&self, threshold: FailOn<Severity>) -> usize {
        self.checks.iter().filter(|c| c.status == Status::Fail && threshold.fails(c.severity)).count() + self.secrets.iter().filter(|s| threshold.fails(s.severity)).count()
    }
}

/// Runs every check over the scanned image and gathers its secrets, less
/// those `allow` lists as reviewed. The pass must have been fed
/// [`temper_check::analyzers`] (the account reader and the secret rules).
pub fn assess(image: &Image, scanned: &Scanned, settings: &Settings, allow: &AllowList, threshold: FailOn<Severity>) -> Report {
    let cx = Context { config: &image.config, layers: &scanned.layers, merged: &scanned.analysis.merged, efficiency: &scanned.analysis.efficiency, inventory: &scanned.inventory, settings };
    let checks = temper_check::run(&cx);
    let describe = |rule: &str| temper_check::secrets::rule(rule).map_or((rule.to_owned(), Severity::High), |r| (r.title.to_owned(), r.severity));
    let mut secrets: Vec<SecretReport> = scanned
        .inventory
        .secrets
        .iter()
        .filter(|s| !allow.allows(&s.secret.rule, &s.path))
        .map(|s| {
            let (title, severity) = describe(&s.secret.rule);
            SecretReport { rule: s.secret.rule.clone(), title, severity, layer: Some(s.layer), path: s.path.clone(), line: s.secret.line, redacted: s.secret.redacted.clone(), visible: s.visible }
        })
        .collect();
    secrets.extend(temper_check::secrets::scan_config(&image.config).into_iter().filter(|s| !allow.allows(&s.rule, &s.path)).map(|s| {
        let (title, severity) = describe(&s.rule);
        SecretReport { rule: s.rule, title, severity, layer: None, path: s.path, line: s.line, redacted: s.redacted, visible: true }
    }));
    let mut report = Report {
        image: image.name.clone(),
        digest: image.manifest.as_ref().map(|m| m.digest.to_string()),
        platform: image.platform().map(|p| p.to_string()),
        profile: settings.profile,
        fail_on: threshold.level(),
        passed: true,
        checks,
        secrets,
    };
    report.passed = report.failing(threshold) == 0;
    report
}
