//! `temper check` as a table (a one-screen summary, then the details) and
//! as SARIF.

use std::fmt::Write;

use serde_json::{Value, json};
use temper_check::{Severity, Status};

use super::escape;
use crate::check::Report;

fn status_word(s: Status) -> &'static str {
    match s {
        Status::Pass => "PASS",
        Status::Fail => "FAIL",
        Status::Skip => "SKIP",
    }
}

/// The summary (one line per check and one for secrets), then each failed
/// check's evidence and remediation, then every secret.
pub fn table(r: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "Image    {}", escape(&r.image));
    if let Some(d) = &r.digest {
        let _ = writeln!(out, "Digest   {}", escape(d));
    }
    let profile = match r.profile {
        temper_check::Profile::Default => "default",
        temper_check::Profile::Distroless => "distroless",
    };
    let verdict = if r.passed { "PASSED" } else { "FAILED" };
    let threshold = r.fail_on.map_or("none".to_owned(), |t| t.to_string());
    let _ = writeln!(out, "Verdict  {verdict} (profile {profile}, --fail-on {threshold})\n");
    let id_width = r.checks.iter().map(|c| c.id.len()).max().unwrap_or(0).max("secrets".len());
    let _ = writeln!(out, "{:<6} {:<8} {:<id_width$}  RESULT", "STATUS", "SEVERITY", "CHECK");
    for c in &r.checks {
        let _ = writeln!(out, "{:<6} {:<8} {:<id_width$}  {}", status_word(c.status), c.severity, c.id, escape(&c.message));
    }
    let worst = r.secrets.iter().map(|s| s.severity).max();
    let secrets_line = match r.secrets.len() {
        0 => "no secrets found".to_owned(),
        n => format!("{n} secret(s) found"),
    };
    let status = if r.secrets.is_empty() { "PASS" } else { "FAIL" };
    let _ = writeln!(out, "{:<6} {:<8} {:<id_width$}  {secrets_line}", status, worst.map_or("-".to_owned(), |s: Severity| s.to_string()), "secrets");

    for c in r.checks.iter().filter(|c| c.status == Status::Fail) {
        let _ = writeln!(out, "\n{} ({}): {}", c.id, c.severity, c.title);
        let _ = writeln!(out, "  {}", escape(&c.message));
        for d in &c.details {
            let _ = writeln!(out, "    {}", escape(d));
        }
        let _ = writeln!(out, "  Fix: {}", c.remediation);
    }
    if !r.secrets.is_empty() {
        let _ = writeln!(out, "\nSecrets");
        let _ = writeln!(out, "  {:<8} {:<24} {:<5} {:<40} MATCH (redacted)", "SEVERITY", "RULE", "LAYER", "WHERE");
        for s in &r.secrets {
            let layer = s.layer.map_or("-".to_owned(), |l| l.to_string());
            let place = format!("{}:{}{}", escape(&s.path), s.line, if s.visible { "" } else { " (deleted later)" });
            let _ = writeln!(out, "  {:<8} {:<24} {:<5} {:<40} {}", s.severity, s.rule, layer, place, escape(&s.redacted));
        }
    }
    out
}

/// SARIF level of a severity.
fn level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

/// One rule per check and per secret rule seen; one result per failed
/// check (at the image's root) and per secret (at its path and line).
pub fn sarif(r: &Report) -> Value {
    use super::sarif::{Finding, Rule};
    let mut rules: Vec<Rule> = r
        .checks
        .iter()
        .map(|c| Rule {
            id: c.id.to_owned(),
            short: c.title.to_owned(),
            full: format!("{} Fix: {}", c.title, c.remediation),
            help_uri: None,
            level: level(c.severity),
            properties: json!({"tags": ["security", "hardening"], "temper-severity": c.severity}),
        })
        .collect();
    for s in &r.secrets {
        if !rules.iter().any(|x| x.id == s.rule) {
            rules.push(Rule {
                id: s.rule.clone(),
                short: s.title.clone(),
                full: format!("{}. Remove it from the image and rotate it: a secret in any layer ships with the image.", s.title),
                help_uri: None,
                level: level(s.severity),
                properties: json!({"tags": ["security", "secret"], "temper-severity": s.severity}),
            });
        }
    }
    let mut results: Vec<Finding> = r
        .checks
        .iter()
        .filter(|c| c.status == Status::Fail)
        .map(|c| {
            let details = if c.details.is_empty() { String::new() } else { format!(": {}", c.details.join(", ")) };
            Finding { rule_id: c.id.to_owned(), level: level(c.severity), message: format!("{}{details}", c.message), uri: String::new(), line: None }
        })
        .collect();
    results.extend(r.secrets.iter().map(|s| {
        let layer = s.layer.map_or(String::new(), |l| format!(" in layer {l}"));
        Finding { rule_id: s.rule.clone(), level: level(s.severity), message: format!("{}{layer}: {}", s.title, s.redacted), uri: s.path.clone(), line: Some(u64::from(s.line)) }
    }));
    super::sarif::log(&rules, &results)
}
