//! Severity thresholds (`--fail-on`, `--failure-threshold`, a gate's
//! policy): one meaning everywhere, `none` never fails.

use std::fmt::Display;
use std::str::FromStr;

/// A severity threshold: findings at or above a level fail, or, with
/// `none`, nothing does. Its own type rather than a severity value, so
/// that `none` can never be read as the lowest severity (which fails on
/// everything).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailOn<S> {
    /// `none`: no finding fails.
    Never,
    /// Findings at least this severe fail.
    AtLeast(S),
}

/// A threshold that is neither `none` nor a severity.
#[derive(Debug, thiserror::Error)]
#[error("{flag}: {message}, or none")]
pub struct ThresholdError {
    /// The option or key that gave it.
    pub flag: String,
    /// What the severity parser said.
    pub message: String,
}

impl<S: Ord + Copy + FromStr> FailOn<S>
where
    S::Err: Display,
{
    /// `none` or a severity; `flag` names the option in the error.
    pub fn parse(s: &str, flag: &str) -> Result<Self, ThresholdError> {
        if s.trim().eq_ignore_ascii_case("none") {
            return Ok(FailOn::Never);
        }
        s.parse().map(FailOn::AtLeast).map_err(|e: S::Err| ThresholdError { flag: flag.to_owned(), message: e.to_string() })
    }

    /// Whether a finding of `severity` fails.
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
