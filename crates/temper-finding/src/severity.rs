//! Severity of an advisory: computed from its CVSS vector when it has one
//! (v4.0 preferred over v3.x, the package's own score over the record's),
//! otherwise the word the source gave (GHSA's `database_specific.severity`,
//! Ubuntu's priority), otherwise unknown.

use std::str::FromStr;

use serde::Serialize;
use temper_advisory::osv::{Affected, Record, Severity as OsvSeverity};

/// How bad a finding is, in the usual five steps.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Severity {
    /// No score and no word.
    Unknown,
    /// CVSS 0.1–3.9.
    Low,
    /// CVSS 4.0–6.9.
    Medium,
    /// CVSS 7.0–8.9.
    High,
    /// CVSS 9.0–10.0.
    Critical,
}

impl Severity {
    /// The upper-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Unknown => "UNKNOWN",
            Severity::Low => "LOW",
            Severity::Medium => "MEDIUM",
            Severity::High => "HIGH",
            Severity::Critical => "CRITICAL",
        }
    }

    /// The step of a CVSS base score.
    pub fn from_score(score: f64) -> Severity {
        match score {
            s if s >= 9.0 => Severity::Critical,
            s if s >= 7.0 => Severity::High,
            s if s >= 4.0 => Severity::Medium,
            s if s > 0.0 => Severity::Low,
            _ => Severity::Unknown,
        }
    }
}

impl FromStr for Severity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "unknown" | "negligible" | "unimportant" | "none" => Ok(Severity::Unknown),
            "low" => Ok(Severity::Low),
            "medium" | "moderate" => Ok(Severity::Medium),
            "high" | "important" => Ok(Severity::High),
            "critical" => Ok(Severity::Critical),
            other => Err(format!("unknown severity {other:?} (use low, medium, high or critical)")),
        }
    }
}

/// A CVSS score as computed from its vector.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CvssScore {
    /// `3.1`, `4.0`…
    pub version: String,
    /// The vector as given.
    pub vector: String,
    /// The base score.
    pub score: f64,
}

fn score(vector: &str) -> Option<CvssScore> {
    let parsed = cvss::Cvss::from_str(vector.trim()).ok()?;
    let (version, score) = match &parsed {
        cvss::Cvss::CvssV30(v) => ("3.0", v.score().value()),
        cvss::Cvss::CvssV31(v) => ("3.1", v.score().value()),
        cvss::Cvss::CvssV40(v) => ("4.0", v.score().value()),
        _ => return None,
    };
    Some(CvssScore { version: version.to_owned(), vector: vector.trim().to_owned(), score })
}

fn best_cvss(list: &[OsvSeverity]) -> Option<CvssScore> {
    let pick = |kind: &str| list.iter().filter(|s| s.kind == kind).find_map(|s| score(&s.score));
    pick("CVSS_V4").or_else(|| pick("CVSS_V3"))
}

fn word(v: Option<&serde_json::Value>) -> Option<Severity> {
    v?.get("severity")?.as_str()?.parse().ok()
}

/// The severity of `record` for the package entry `affected`.
pub fn of(record: &Record, affected: &Affected) -> (Severity, Option<CvssScore>) {
    if let Some(c) = best_cvss(&affected.severity).or_else(|| best_cvss(&record.severity)) {
        return (Severity::from_score(c.score), Some(c));
    }
    let words = [&affected.ecosystem_specific, &affected.database_specific, &record.database_specific];
    let from_word = words.iter().find_map(|w| word(w.as_ref()));
    let ubuntu = record.severity.iter().chain(&affected.severity).filter(|s| s.kind == "Ubuntu").find_map(|s| s.score.parse().ok());
    (from_word.or(ubuntu).unwrap_or(Severity::Unknown), None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(json: &str) -> Record {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn cvss_vectors_give_the_score_and_step() {
        // Log4Shell: 10.0.
        let c = score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H").unwrap();
        assert_eq!((c.version.as_str(), c.score), ("3.1", 10.0));
        assert_eq!(Severity::from_score(c.score), Severity::Critical);
        let c = score("CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:N/I:H/A:N").unwrap();
        assert_eq!(c.score, 6.5);
        let c = score("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N").unwrap();
        assert_eq!((c.version.as_str(), c.score), ("4.0", 9.3));
        assert!(score("CVSS:3.1/AV:X").is_none());
        assert_eq!(Severity::from_score(7.0), Severity::High);
        assert_eq!(Severity::from_score(3.9), Severity::Low);
        assert_eq!(Severity::from_score(0.0), Severity::Unknown);
    }

    #[test]
    fn falls_back_to_the_sources_word() {
        let r = record(r#"{"id":"GHSA-x","affected":[{"package":{"ecosystem":"npm","name":"a"}}],"database_specific":{"severity":"MODERATE"}}"#);
        assert_eq!(of(&r, &r.affected[0]), (Severity::Medium, None));
        let r = record(r#"{"id":"X","affected":[{"package":{"ecosystem":"npm","name":"a"},"severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}]}],"severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:L/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N"}]}"#);
        assert_eq!(of(&r, &r.affected[0]).0, Severity::Critical, "the package's own vector wins");
        let r = record(r#"{"id":"X","affected":[{"package":{"ecosystem":"Go","name":"a"}}]}"#);
        assert_eq!(of(&r, &r.affected[0]), (Severity::Unknown, None));
        assert_eq!("important".parse::<Severity>(), Ok(Severity::High));
        assert!("urgent".parse::<Severity>().is_err());
    }
}
