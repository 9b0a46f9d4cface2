//! `temper scan` and `temper db status` tables.

use std::path::Path;

use temper_advisory::db::Status;
use temper_finding::{Matches, Severity};
use temper_inventory::Inventory;

use super::{columns, ellipsize};

/// Findings grouped by package: installed → fixed version, worst first.
pub fn table(inventory: &Inventory, matches: &Matches, show_suppressed: bool) -> String {
    let mut out = String::new();
    let mut counts = [0usize; 5];
    for f in &matches.findings {
        counts[f.severity as usize] += 1;
    }
    let total = matches.findings.len();
    out.push_str(&format!(
        "{total} findings in {} packages (CRITICAL {}, HIGH {}, MEDIUM {}, LOW {}, UNKNOWN {})\n",
        inventory.packages.len(),
        counts[Severity::Critical as usize],
        counts[Severity::High as usize],
        counts[Severity::Medium as usize],
        counts[Severity::Low as usize],
        counts[Severity::Unknown as usize]
    ));
    // Group by package instance (purl and path), in the order of its worst finding.
    let mut groups: Vec<(&str, &str, Vec<&temper_finding::Finding>)> = Vec::new();
    for f in &matches.findings {
        let path = f.paths.first().map_or("", String::as_str);
        match groups.iter_mut().find(|(purl, p, _)| *purl == f.purl && *p == path) {
            Some(g) => g.2.push(f),
            None => groups.push((&f.purl, path, vec![f])),
        }
    }
    for (_, path, findings) in groups {
        let first = findings[0];
        out.push_str(&format!("\n{} {} ({}, layer {}, /{path})\n", first.package, first.version, first.ecosystem.purl_type(), first.layer));
        let mut rows = vec![vec!["  ID".to_owned(), "SEVERITY".into(), "INSTALLED".into(), "FIXED".into(), "TITLE".into()]];
        for f in findings {
            let fixed = if f.fixed_versions.is_empty() { "-".to_owned() } else { f.fixed_versions.join(", ") };
            let sev = if f.kev { format!("{} KEV", f.severity.as_str()) } else { f.severity.as_str().to_owned() };
            rows.push(vec![format!("  {}", f.id), sev, f.version.clone(), fixed, ellipsize(f.summary.as_deref().unwrap_or(""), 60)]);
        }
        out.push_str(&columns(&rows, &[]));
    }
    if !matches.suppressed.is_empty() {
        if show_suppressed {
            out.push_str(&format!("\n{} suppressed:\n", matches.suppressed.len()));
            let mut rows = vec![vec!["  ID".to_owned(), "PACKAGE".into(), "STATUS".into(), "JUSTIFICATION".into(), "SOURCE".into()]];
            for s in &matches.suppressed {
                let f = &s.finding;
                rows.push(vec![format!("  {}", f.id), format!("{} {}", f.package, f.version), s.suppression.status.clone(), s.suppression.justification.clone().unwrap_or_default(), s.suppression.source.clone()]);
            }
            out.push_str(&columns(&rows, &[]));
        } else {
            out.push_str(&format!("\n{} findings suppressed by VEX or the ignore file (--show-suppressed lists them)\n", matches.suppressed.len()));
        }
    }
    if !matches.unmatched.is_empty() {
        out.push_str(&format!("\n{} packages could not be checked:\n", matches.unmatched.len()));
        for u in &matches.unmatched {
            out.push_str(&format!("  {}: {}\n", u.purl, u.reason));
        }
    }
    out
}

/// `temper db status`.
pub fn status(path: &Path, status: &Status) -> String {
    let mut out = format!("{}\n", path.display());
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64);
    match status.updated {
        Some(t) => out.push_str(&format!("updated {} ago\n", age(now - t))),
        None => out.push_str("never updated\n"),
    }
    let mut rows = vec![vec!["ECOSYSTEM".to_owned(), "RECORDS".into()]];
    for (family, n) in &status.records {
        rows.push(vec![family.clone(), n.to_string()]);
    }
    rows.push(vec!["KEV".into(), status.kev.to_string()]);
    out.push_str(&columns(&rows, &[1]));
    out
}

fn age(secs: i64) -> String {
    match secs.max(0) {
        s if s < 120 => format!("{s} s"),
        s if s < 7200 => format!("{} min", s / 60),
        s if s < 172_800 => format!("{} h", s / 3600),
        s => format!("{} days", s / 86_400),
    }
}
