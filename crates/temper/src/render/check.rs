//! `temper check` as a table (a one-screen summary, then the details) and
//! as SARIF.

use std::fmt::Write;

use serde_json::{Value, json};
use temper_check::{Severity, Status};

use super::{escape, fit_line};
use temper_verdict::hardening::Report;

fn status_word(s: Status) -> &'static str {
    match s {
        Status::Pass => "PASS",
        Status::Fail => "FAIL",
        Status::Skip => "SKIP",
    }
}

/// `line`, fitted to the terminal, with its leading status word painted:
/// the word stays, the colour only helps the eye.
fn summary_line(line: &str, status: &str) -> String {
    let fitted = fit_line(line);
    let rest = fitted.strip_prefix(status).unwrap_or(&fitted);
    let style = match status {
        "FAIL" => anstyle::Style::new().bold().fg_color(Some(anstyle::AnsiColor::Red.into())),
        "PASS" => anstyle::Style::new().fg_color(Some(anstyle::AnsiColor::Green.into())),
        _ => anstyle::Style::new().dimmed(),
    };
    if rest.len() == fitted.len() { fitted.into_owned() } else { format!("{}{rest}", crate::term::paint(status, style)) }
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
    let verdict = if r.passed {
        crate::term::paint("PASSED", anstyle::Style::new().bold().fg_color(Some(anstyle::AnsiColor::Green.into())))
    } else {
        crate::term::paint("FAILED", anstyle::Style::new().bold().fg_color(Some(anstyle::AnsiColor::Red.into())))
    };
    let threshold = r.fail_on.map_or("none".to_owned(), |t| t.to_string());
    let _ = writeln!(out, "Verdict  {verdict} (profile {profile}, --fail-on {threshold})\n");
    let id_width = r.checks.iter().map(|c| c.id.len()).max().unwrap_or(0).max("secrets".len());
    let _ = writeln!(out, "{:<6} {:<8} {:<id_width$}  RESULT", "STATUS", "SEVERITY", "CHECK");
    for c in &r.checks {
        // RESULT is last: cutting the row to the terminal cuts only it.
        let _ = writeln!(out, "{}", summary_line(&format!("{:<6} {:<8} {:<id_width$}  {}", status_word(c.status), c.severity, c.id, escape(&c.message)), status_word(c.status)));
    }
    let worst = r.secrets.iter().map(|s| s.severity).max();
    let secrets_line = match r.secrets.len() {
        0 => "no secrets found".to_owned(),
        n => format!("{n} secret(s) found"),
    };
    let status = if r.secrets.is_empty() { "PASS" } else { "FAIL" };
    let _ = writeln!(out, "{}", summary_line(&format!("{:<6} {:<8} {:<id_width$}  {secrets_line}", status, worst.map_or("-".to_owned(), |s: Severity| s.to_string()), "secrets"), status));

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
            let _ = writeln!(out, "{}", fit_line(&format!("  {:<8} {:<24} {:<5} {:<40} {}", s.severity, s.rule, layer, place, escape(&s.redacted))));
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

/// Where `check`'s SARIF results point: lines of the Dockerfile the image
/// was built from when one is given, else the image reference (with the
/// layer and path in the message).
pub enum Anchors {
    /// The image, by the reference it was read from.
    Image(String),
    /// Lines of a Dockerfile.
    Dockerfile(DockerfileLines),
}

/// The lines of a Dockerfile's final stage that results are put on.
pub struct DockerfileLines {
    /// The file as given.
    pub path: std::path::PathBuf,
    /// The final stage's FROM: where the base (and its OS, shells,
    /// package managers, setuid files) comes from.
    from: u64,
    /// The final stage's last USER, HEALTHCHECK, LABEL and ENV.
    user: Option<u64>,
    healthcheck: Option<u64>,
    label: Option<u64>,
    env: Option<u64>,
    /// The final stage's RUN, COPY and ADD lines: its own layers, the
    /// image's last ones.
    layer_lines: Vec<u64>,
    /// How many layers the image has.
    image_layers: usize,
}

impl DockerfileLines {
    /// The lines of `df` (read from `path`) for an image of `image_layers` layers.
    pub fn new(path: std::path::PathBuf, df: &temper_dockerfile::Dockerfile, image_layers: usize) -> DockerfileLines {
        use temper_dockerfile::InstructionKind as K;
        let line = |i: &temper_dockerfile::Instruction| df.position(i.keyword_span.start).line as u64;
        let stage = df.stages.last();
        let from = stage.and_then(|s| df.instructions.get(s.from)).map_or(1, line);
        let own = stage.map_or(&[][..], |s| df.stage_instructions(s));
        let last = |want: fn(&K) -> bool| own.iter().rev().find(|i| want(&i.kind)).map(line);
        DockerfileLines {
            path,
            from,
            user: last(|k| matches!(k, K::User(_))),
            healthcheck: last(|k| matches!(k, K::Healthcheck(_))),
            label: last(|k| matches!(k, K::Label(_))),
            env: last(|k| matches!(k, K::Env(_))),
            layer_lines: own.iter().filter(|i| matches!(i.kind, K::Run(_) | K::Copy(_) | K::Add(_))).map(line).collect(),
            image_layers,
        }
    }

    /// The line that made layer `n`: the final stage's layers are the
    /// image's last; anything below them came with the base.
    fn layer(&self, n: usize) -> u64 {
        let base = self.image_layers.checked_sub(self.layer_lines.len());
        base.and_then(|b| n.checked_sub(b)).and_then(|i| self.layer_lines.get(i).copied()).unwrap_or(self.from)
    }
}

impl Anchors {
    fn place(&self, line: impl FnOnce(&DockerfileLines) -> u64) -> super::sarif::Location {
        match self {
            Anchors::Image(reference) => super::sarif::Location::Image(reference.clone()),
            Anchors::Dockerfile(d) => super::sarif::Location::File { path: d.path.clone(), line: Some(line(d)) },
        }
    }

    fn check(&self, id: &str) -> super::sarif::Location {
        self.place(|d| match id {
            "runs-as-root" => d.user.unwrap_or(d.from),
            "healthcheck" => d.healthcheck.unwrap_or(d.from),
            "oci-labels" => d.label.unwrap_or(d.from),
            _ => d.from,
        })
    }

    fn secret(&self, s: &temper_verdict::hardening::SecretReport) -> super::sarif::Location {
        self.place(|d| match s.layer {
            Some(n) => d.layer(n),
            None if s.path == "config.Env" => d.env.unwrap_or(d.from),
            None => d.from,
        })
    }
}

/// One rule per check and per secret rule seen; one result per failed
/// check and per secret, at `anchors`.
pub fn sarif(r: &Report, anchors: &Anchors) -> Value {
    use super::sarif::{Finding, Rule, sentences};
    let mut rules: Vec<Rule> = r
        .checks
        .iter()
        .map(|c| Rule {
            id: c.id.to_owned(),
            short: c.title.to_owned(),
            full: sentences(c.title, &format!("Fix: {}", c.remediation)),
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
                full: sentences(&s.title, "Remove it from the image and rotate it: a secret in any layer ships with the image."),
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
            Finding { rule_id: c.id.to_owned(), level: level(c.severity), message: format!("{}{details}", c.message), location: anchors.check(c.id) }
        })
        .collect();
    results.extend(r.secrets.iter().map(|s| {
        let place = match s.layer {
            Some(l) => format!("/{}:{} in layer {l}{}", s.path.trim_start_matches('/'), s.line, if s.visible { "" } else { " (deleted by a later layer)" }),
            None => format!("{} (line {})", s.path, s.line),
        };
        Finding { rule_id: s.rule.clone(), level: level(s.severity), message: format!("{} at {place} of {}: {}", s.title, r.image, s.redacted), location: anchors.secret(s) }
    }));
    super::sarif::log(&rules, &results)
}
