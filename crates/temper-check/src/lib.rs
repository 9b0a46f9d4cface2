//! The check stage: how hardened an image is.
//!
//! # Flow
//! [`analyzers`] are added to the catalogers of the one layer pass: the
//! secret rules ([`secrets`]) read every candidate file of every layer, so
//! a secret deleted by a later layer is still found in the layer that
//! shipped it, and [`accounts`] reads `/etc/passwd`. Their facts land in
//! the [`Inventory`]. [`run`] then runs every [`Check`] of
//! [`checks::registry`] over a [`Context`]: the image config and history,
//! the merged filesystem, the waste figures and the inventory.
//!
//! This crate never reads files or the network itself: bytes come from the
//! layer pass, and everything else from the caller.

pub mod accounts;
pub mod checks;
pub mod secrets;

use serde::Serialize;
use temper_image::model::ImageConfig;
use temper_inventory::{Fact, Inventory};
use temper_layer::{Analyzer, Efficiency, LayerIndex, Merged};

/// How serious a failed check or a secret is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing.
    Info,
    /// Minor.
    Low,
    /// Should be fixed.
    Medium,
    /// Must be fixed before release.
    High,
    /// Exploitable as it stands.
    Critical,
}

impl Severity {
    /// Every severity, least first.
    pub const ALL: [Severity; 5] = [Severity::Info, Severity::Low, Severity::Medium, Severity::High, Severity::Critical];

    /// The lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl std::str::FromStr for Severity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Severity::ALL
            .into_iter()
            .find(|v| v.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| format!("unknown severity '{s}' (info, low, medium, high, critical)"))
    }
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.as_str())
    }
}

/// Which bar the image is held to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Profile {
    /// A general-purpose image: a shell or a package manager is a warning.
    #[default]
    Default,
    /// A distroless image: a shell or a package manager is an error.
    Distroless,
}

/// The thresholds and switches checks read.
#[derive(Clone, Debug)]
pub struct Settings {
    /// The profile.
    pub profile: Profile,
    /// Largest acceptable uncompressed image size, in bytes.
    pub max_size: u64,
    /// Largest acceptable wasted bytes.
    pub max_wasted_bytes: u64,
    /// Largest acceptable wasted share of the bytes above the base layer, in percent.
    pub max_wasted_percent: f64,
    /// The day end-of-life dates are compared with.
    pub today: time::Date,
}

impl Settings {
    /// The defaults: 1 GB, 50 MB or 20 % wasted, the default profile, today's date.
    pub fn new(today: time::Date) -> Self {
        Settings { profile: Profile::Default, max_size: 1_000_000_000, max_wasted_bytes: 50_000_000, max_wasted_percent: 20.0, today }
    }
}

/// Everything a check may look at.
pub struct Context<'a> {
    /// The image config, with its history.
    pub config: &'a ImageConfig,
    /// Every layer's index.
    pub layers: &'a [LayerIndex],
    /// The merged filesystem.
    pub merged: &'a Merged,
    /// dive's waste figures.
    pub efficiency: &'a Efficiency,
    /// Packages, OS release, accounts and secrets.
    pub inventory: &'a Inventory,
    /// Thresholds and profile.
    pub settings: &'a Settings,
}

/// Whether the image meets a check.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// It does.
    Pass,
    /// It does not.
    Fail,
    /// The check cannot tell (for example no OS release to date).
    Skip,
}

/// What one check concluded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// Pass, fail or skip.
    pub status: Status,
    /// One line saying why.
    pub message: String,
    /// The offending items (paths, users, labels), one per entry.
    pub details: Vec<String>,
    /// A severity other than the check's own, when this failure is
    /// milder or worse than the check's usual one.
    pub severity: Option<Severity>,
}

impl Outcome {
    /// A pass.
    pub fn pass(message: impl Into<String>) -> Self {
        Outcome { status: Status::Pass, message: message.into(), details: Vec::new(), severity: None }
    }
    /// A failure with its evidence.
    pub fn fail(message: impl Into<String>, details: Vec<String>) -> Self {
        Outcome { status: Status::Fail, message: message.into(), details, severity: None }
    }
    /// This outcome at `severity` instead of the check's own.
    pub fn at(self, severity: Severity) -> Self {
        Outcome { severity: Some(severity), ..self }
    }
    /// The check does not apply or cannot tell.
    pub fn skip(message: impl Into<String>) -> Self {
        Outcome { status: Status::Skip, message: message.into(), details: Vec::new(), severity: None }
    }
}

/// One hardening check: registered in [`checks::registry`], one file each.
pub trait Check: Sync {
    /// Stable id (`runs-as-root`).
    fn id(&self) -> &'static str;
    /// What a pass means, in a few words (`Runs as a non-root user`).
    fn title(&self) -> &'static str;
    /// How serious a failure is under `profile` (an [`Outcome`] may say
    /// otherwise for one image).
    fn severity(&self, profile: Profile) -> Severity;
    /// How to fix a failure.
    fn remediation(&self) -> &'static str;
    /// Runs the check.
    fn run(&self, cx: &Context<'_>) -> Outcome;
}

/// One check's result, as reported.
#[derive(Clone, Debug, Serialize)]
pub struct CheckResult {
    /// The check's id.
    pub id: &'static str,
    /// What it checks.
    pub title: &'static str,
    /// Its severity under the profile used.
    pub severity: Severity,
    /// Pass, fail or skip.
    pub status: Status,
    /// Why.
    pub message: String,
    /// The evidence.
    pub details: Vec<String>,
    /// How to fix it.
    pub remediation: &'static str,
}

/// Runs every registered check.
pub fn run(cx: &Context<'_>) -> Vec<CheckResult> {
    checks::registry()
        .into_iter()
        .map(|c| {
            let o = c.run(cx);
            CheckResult {
                id: c.id(),
                title: c.title(),
                severity: o.severity.unwrap_or_else(|| c.severity(cx.settings.profile)),
                status: o.status,
                message: o.message,
                details: o.details,
                remediation: c.remediation(),
            }
        })
        .collect()
}

/// The analysers `temper check` adds to the catalogers' pass.
pub fn analyzers() -> Vec<&'static dyn Analyzer<Fact>> {
    vec![&accounts::PasswdReader, secrets::analyzer()]
}
