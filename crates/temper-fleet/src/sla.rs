//! The patch SLA: how long a fix may be known before an open finding it
//! fixes is a breach, per severity (`critical=7d,high=30d,medium=90d`, the
//! common matrix, by default), and the breaches of a store at a given
//! time. A finding's clock starts when its fix became known (the advisory
//! database's [`temper_advisory::db::FixKnown`], stored with the finding
//! on scan and rematch); findings without a fix, or taken out by VEX or an
//! ignore entry (closed on rematch), never breach.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::{Error, Fleet};

/// Seconds in a day.
const DAY: i64 = 86_400;

/// The limits, in days, by upper-case severity; severities not named have none.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Sla(pub BTreeMap<String, i64>);

impl Default for Sla {
    fn default() -> Self {
        Sla(BTreeMap::from([("CRITICAL".into(), 7), ("HIGH".into(), 30), ("MEDIUM".into(), 90)]))
    }
}

impl Sla {
    /// `critical=7d,high=30d,medium=90d`: severity (critical, high,
    /// medium, low, unknown) = whole days (`d` optional).
    pub fn parse(text: &str) -> Result<Sla, Error> {
        let bad = |part: &str, why: &str| Error::Input(format!("--sla {text:?}: {part:?} {why}; write SEVERITY=DAYSd pairs, e.g. critical=7d,high=30d,medium=90d"));
        let mut limits = BTreeMap::new();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let Some((severity, days)) = part.split_once('=') else { return Err(bad(part, "has no '='")) };
            let severity = severity.trim().to_ascii_uppercase();
            if !["CRITICAL", "HIGH", "MEDIUM", "LOW", "UNKNOWN"].contains(&severity.as_str()) {
                return Err(bad(part, "names no severity"));
            }
            let days = days.trim();
            let days: i64 = days.strip_suffix('d').unwrap_or(days).parse().ok().filter(|d| *d >= 0).ok_or_else(|| bad(part, "is not a number of days"))?;
            limits.insert(severity, days);
        }
        if limits.is_empty() {
            return Err(bad(text, "names no limit"));
        }
        Ok(Sla(limits))
    }
}

/// One open finding whose fix has been known longer than its severity allows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Breach {
    /// The image's reference.
    pub reference: String,
    /// Its digest.
    pub digest: String,
    /// The package as installed.
    pub package: String,
    /// Its purl.
    pub purl: String,
    /// Installed version.
    pub installed: String,
    /// The vulnerability (CVE when known).
    pub advisory: String,
    /// The lowest fixed version.
    pub fixed: Option<String>,
    /// Severity, upper case.
    pub severity: String,
    /// Since when the fix is known (Unix seconds).
    pub fix_known_since: i64,
    /// Where that date comes from: `changelog`, `update` or `first-import`.
    pub fix_known_source: String,
    /// The severity's limit in days.
    pub limit_days: i64,
    /// Days past the limit, counting a started day (at least 1).
    pub days_over: i64,
}

impl Fleet {
    /// Every open finding of a current image whose fix has been known
    /// longer than `sla` allows its severity at Unix time `now`, most days
    /// over first.
    pub fn sla_breaches(&mut self, sla: &Sla, now: i64) -> Result<Vec<Breach>, Error> {
        let rows = self.db.query(
            "SELECT i.reference, i.digest, f.package, f.purl, f.installed, f.advisory, f.fixed, f.severity, f.fix_known_at, f.fix_known_source FROM findings f JOIN images i ON i.id = f.image_id \
             WHERE f.status = 'open' AND i.current = 1 AND f.fix_known_at IS NOT NULL",
            &[],
        )?;
        let mut out = Vec::new();
        for r in rows {
            let severity = r.text(7)?;
            let Some(&limit_days) = sla.0.get(&severity) else { continue };
            let since = r.int(8)?;
            let over = now - since - limit_days * DAY;
            if over <= 0 {
                continue;
            }
            out.push(Breach {
                reference: r.text(0)?,
                digest: r.text(1)?,
                package: r.text(2)?,
                purl: r.text(3)?,
                installed: r.text(4)?,
                advisory: r.text(5)?,
                fixed: r.opt_text(6)?,
                severity,
                fix_known_since: since,
                fix_known_source: r.opt_text(9)?.unwrap_or_default(),
                limit_days,
                days_over: (over + DAY - 1) / DAY,
            });
        }
        out.sort_by(|a, b| b.days_over.cmp(&a.days_over).then_with(|| (&a.reference, &a.advisory, &a.purl).cmp(&(&b.reference, &b.advisory, &b.purl))));
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_parse_and_refuse() {
        assert_eq!(Sla::parse("critical=7d,high=30d,medium=90d").unwrap(), Sla::default());
        assert_eq!(Sla::parse(" Low = 180 ").unwrap().0, BTreeMap::from([("LOW".to_owned(), 180)]));
        for bad in ["critical", "severe=7d", "high=-1d", "high=30w", ""] {
            assert!(matches!(Sla::parse(bad), Err(Error::Input(_))), "{bad}");
        }
    }
}
