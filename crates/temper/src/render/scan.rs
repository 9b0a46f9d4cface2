//! `temper scan` and `temper db status` tables.

use std::path::Path;

use temper_advisory::db::Status;
use temper_finding::{Matches, Severity};
use temper_inventory::Inventory;

use super::{columns, ellipsize, escape, fit_line};
use crate::term::{paint, severity_style};

/// Findings grouped by package: installed → fixed version, worst first.
pub fn table(inventory: &Inventory, matches: &Matches, show_suppressed: bool) -> String {
    let mut out = String::new();
    let mut counts = [0usize; 5];
    for f in &matches.findings {
        counts[f.severity as usize] += 1;
    }
    let total = matches.findings.len();
    let count = |s: Severity| paint(&format!("{} {}", s.as_str(), counts[s as usize]), if counts[s as usize] > 0 { severity_style(s.as_str()) } else { anstyle::Style::new() });
    out.push_str(&format!(
        "{total} findings in {} packages ({}, {}, {}, {}, {})\n",
        inventory.packages.len(),
        count(Severity::Critical),
        count(Severity::High),
        count(Severity::Medium),
        count(Severity::Low),
        count(Severity::Unknown)
    ));
    // Group by package (purl and paths), in the order of its worst finding.
    let mut groups: Vec<(&str, &[String], Vec<&temper_finding::Finding>)> = Vec::new();
    for f in &matches.findings {
        match groups.iter_mut().find(|(purl, paths, _)| *purl == f.purl && *paths == f.paths.as_slice()) {
            Some(g) => g.2.push(f),
            None => groups.push((&f.purl, &f.paths, vec![f])),
        }
    }
    for (_, paths, findings) in groups {
        let first = findings[0];
        // A package read from an SBOM has no known layer nor path.
        let layer = first.layer.map_or_else(|| "-".to_owned(), |l| l.to_string());
        let mut place = paths.iter().take(3).map(|p| format!("/{}", escape(p))).collect::<Vec<_>>().join(", ");
        if paths.len() > 3 {
            place.push_str(&format!(" and {} more", paths.len() - 3));
        }
        let place = if place.is_empty() { format!("layer {layer}") } else { format!("layer {layer}, {place}") };
        out.push_str(&format!("\n{}\n", fit_line(&format!("{} {} ({}, {place})", escape(&first.package), escape(&first.version), first.ecosystem.purl_type()))));
        let mut rows = vec![vec!["  ID".to_owned(), "SEVERITY".into(), "INSTALLED".into(), "FIXED".into(), "TITLE".into()]];
        for f in findings {
            let fixed = if f.fixed_versions.is_empty() { "-".to_owned() } else { f.fixed_versions.join(", ") };
            let sev = if f.kev { format!("{} KEV", f.severity.as_str()) } else { f.severity.as_str().to_owned() };
            // Debian-derived summaries repeat the id ("CVE-…: title").
            let title = f.summary.as_deref().unwrap_or("");
            let title = title.strip_prefix(f.id.as_str()).map_or(title, |t| t.trim_start_matches([':', ' ']));
            rows.push(vec![format!("  {}", f.id), sev, f.version.clone(), fixed, ellipsize(title, 50)]);
        }
        out.push_str(&super::table(&rows, &[], Some((1, severity_style))));
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
            out.push_str(&format!("{}\n", fit_line(&format!("  {}: {}", escape(&u.purl), escape(&u.reason)))));
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
    rows.push(vec!["CVE records".into(), status.cve.0.to_string()]);
    rows.push(vec!["  with CVSS".into(), status.cve.1.to_string()]);
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

/// SARIF: one rule per vulnerability, one result per affected package
/// (at its path in `image`).
pub fn sarif(matches: &Matches, image: &str) -> serde_json::Value {
    use super::sarif::{Finding as Result, Rule};
    let level = |s: Severity| match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Unknown => "note",
    };
    let mut rules: Vec<Rule> = Vec::new();
    let mut results = Vec::new();
    for f in &matches.findings {
        if !rules.iter().any(|r| r.id == f.id) {
            let mut properties = serde_json::json!({"tags": ["vulnerability", "security", f.severity.as_str()], "precision": "very-high"});
            if let Some(c) = &f.cvss {
                properties["security-severity"] = serde_json::json!(format!("{:.1}", c.score));
            }
            let short = f.summary.clone().unwrap_or_else(|| f.id.clone());
            rules.push(Rule {
                id: f.id.clone(),
                full: format!("{short} (also known as: {})", if f.aliases.is_empty() { "-".to_owned() } else { f.aliases.join(", ") }),
                short,
                help_uri: Some(format!("https://osv.dev/vulnerability/{}", f.records.first().unwrap_or(&f.id))),
                level: level(f.severity),
                properties,
            });
        }
        let fixed = if f.fixed_versions.is_empty() { "none known".to_owned() } else { f.fixed_versions.join(", ") };
        results.push(Result {
            rule_id: f.id.clone(),
            level: level(f.severity),
            message: format!("Package: {}\nInstalled version: {}\nFixed version: {fixed}\nSeverity: {}\nLayer: {}", f.package, f.version, f.severity.as_str(), f.layer.map_or_else(|| "unknown".to_owned(), |l| l.to_string())),
            // An SBOM-sourced finding has no path: the image (or SBOM) as a whole.
            location: match f.paths.first() {
                Some(path) => super::sarif::Location::InImage { path: path.clone(), line: None },
                None => super::sarif::Location::Image(image.to_owned()),
            },
        });
    }
    super::sarif::log(&rules, &results)
}

/// CycloneDX `vulnerabilities[]`: one entry per vulnerability, affecting
/// the components (by the SBOM's refs) it was found in; suppressed findings
/// carry their VEX analysis.
pub fn cyclonedx_vulnerabilities(inventory: &Inventory, matches: &Matches) -> Vec<serde_json::Value> {
    use serde_json::json;
    let refs = temper_inventory::format::package_refs(inventory);
    // A finding lists every copy of its package; each copy is a component.
    let lookup = temper_inventory::graph::PackageLookup::new(inventory);
    let refs_of = |f: &temper_finding::Finding| -> Vec<String> {
        let found: Vec<String> = lookup.find(&f.purl, &f.paths).into_iter().filter_map(|i| refs.get(i).cloned()).collect();
        if found.is_empty() { vec![f.purl.clone()] } else { found }
    };
    let entry = |f: &temper_finding::Finding, analysis: Option<&temper_finding::vex::Suppression>| {
        let mut ratings = Vec::new();
        match &f.cvss {
            Some(c) => ratings.push(json!({
                "source": {"name": f.severity_source.as_ref().map_or_else(|| f.id.clone(), ToString::to_string)},
                "score": c.score,
                "severity": f.severity.as_str().to_ascii_lowercase(),
                "method": match c.version.as_str() { "4.0" => "CVSSv4", "3.1" => "CVSSv31", "2.0" => "CVSSv2", _ => "CVSSv3" },
                "vector": c.vector,
            })),
            None => ratings.push(json!({"severity": f.severity.as_str().to_ascii_lowercase()})),
        }
        let affected = refs_of(f);
        let mut v = json!({
            "bom-ref": format!("{}@{}", f.id, affected[0]),
            "id": f.id,
            "source": {"name": "OSV", "url": format!("https://osv.dev/vulnerability/{}", f.records.first().unwrap_or(&f.id))},
            "ratings": ratings,
            "references": f.aliases.iter().map(|a| json!({"id": a, "source": {"name": "OSV"}})).collect::<Vec<_>>(),
            "affects": affected.iter().map(|r| json!({"ref": r, "versions": [{"version": f.version, "status": "affected"}]})).collect::<Vec<_>>(),
        });
        if let Some(s) = &f.summary {
            v["description"] = json!(s);
        }
        if !f.fixed_versions.is_empty() {
            v["recommendation"] = json!(format!("Upgrade {} to {}", f.package, f.fixed_versions.join(" or ")));
        }
        if let Some(a) = analysis {
            // CycloneDX names the states differently from OpenVEX.
            let state = match a.status.as_str() {
                "fixed" | "resolved" => "resolved",
                "false_positive" => "false_positive",
                _ => "not_affected",
            };
            let mut analysis = json!({"state": state});
            if let Some(d) = a.statement.as_ref().or(a.justification.as_ref()) {
                analysis["detail"] = json!(d);
            }
            v["analysis"] = analysis;
        }
        v
    };
    let mut out: Vec<serde_json::Value> = matches.findings.iter().map(|f| entry(f, None)).collect();
    out.extend(matches.suppressed.iter().map(|s| entry(&s.finding, Some(&s.suppression))));
    out
}
