//! Thresholds and the exit code, one meaning for every command (`scan`,
//! `check`, `layers`, `lint`): a run fails when any of its thresholds
//! fails; each failed threshold prints its own `temper: threshold failed:`
//! line on stderr; the exit code is then 1, or N with `--exit-code N`.
//! Errors are 2, as always.

use std::fmt::Display;
use std::io::Write;
use std::process::ExitCode;
use std::str::FromStr;

use anyhow::{Result, anyhow};

use crate::render;

/// A severity threshold (`--fail-on`, `--failure-threshold`): findings at
/// or above a level fail the run, or, with `none`, nothing does. Its own
/// type rather than a severity value, so that `none` can never be read as
/// the lowest severity (which fails on everything).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailOn<S> {
    /// `none`: no finding fails the run.
    Never,
    /// Findings at least this severe fail the run.
    AtLeast(S),
}

impl<S: Ord + Copy + FromStr> FailOn<S>
where
    S::Err: Display,
{
    /// `none` or a severity; `flag` names the option in the error.
    pub fn parse(s: &str, flag: &str) -> Result<Self> {
        if s.trim().eq_ignore_ascii_case("none") {
            return Ok(FailOn::Never);
        }
        s.parse().map(FailOn::AtLeast).map_err(|e| anyhow!("{flag}: {e}, or none"))
    }

    /// Whether a finding of `severity` fails the run.
    pub fn fails(self, severity: S) -> bool {
        matches!(self, FailOn::AtLeast(t) if severity >= t)
    }

    /// The level, `None` for `none`.
    pub fn level(self) -> Option<S> {
        match self {
            FailOn::Never => None,
            FailOn::AtLeast(t) => Some(t),
        }
    }
}

/// The thresholds that failed in one run, and the code that says so.
#[derive(Debug)]
pub struct Verdict {
    failed: Vec<String>,
    code: u8,
}

impl Verdict {
    /// No failure yet; `exit_code` is `--exit-code`, 1 without it.
    pub fn new(exit_code: Option<u8>) -> Verdict {
        Verdict { failed: Vec::new(), code: exit_code.unwrap_or(1) }
    }

    /// Records a failed threshold and why.
    pub fn fail(&mut self, reason: String) {
        self.failed.push(reason);
    }

    /// Prints every failed threshold on its own stderr line, then gives
    /// the exit code: 0 when none failed.
    pub fn finish(self) -> ExitCode {
        if self.failed.is_empty() {
            return ExitCode::SUCCESS;
        }
        let mut err = std::io::stderr().lock();
        for reason in &self.failed {
            let _ = writeln!(err, "temper: threshold failed: {}", render::escape(reason));
        }
        ExitCode::from(self.code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn none_is_its_own_value_never_the_lowest_level() {
        let never: FailOn<temper_lint::Severity> = FailOn::parse("None", "--x").unwrap();
        assert_eq!(never, FailOn::Never);
        assert!(temper_lint::Severity::ALL.iter().all(|s| !never.fails(*s)));
        let scan: FailOn<temper_finding::Severity> = FailOn::parse("none", "--fail-on").unwrap();
        assert!(!scan.fails(temper_finding::Severity::Unknown) && !scan.fails(temper_finding::Severity::Critical));
        let medium: FailOn<temper_finding::Severity> = FailOn::parse("medium", "--fail-on").unwrap();
        assert!(medium.fails(temper_finding::Severity::High) && !medium.fails(temper_finding::Severity::Low));
        let bad = FailOn::<temper_finding::Severity>::parse("severe", "--fail-on").unwrap_err().to_string();
        assert!(bad.starts_with("--fail-on: ") && bad.ends_with(", or none"), "{bad}");
    }
}
