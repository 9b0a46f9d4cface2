//! `temper check`: the hardening checks and the secret rules over one
//! image, a verdict by `--fail-on`.

use std::process::ExitCode;

use anyhow::{Result, anyhow};
use serde::Serialize;
use temper_check::{CheckResult, Context, Profile, Settings, Severity, Status};

use crate::cli::{CheckArgs, CheckFormat, CheckProfile};
use crate::gate::{FailOn, Verdict};
use crate::{Scanned, open_source, print, render, scan_inventory, size, write_whole};

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
    /// The `--fail-on` threshold, `None` for never.
    pub fail_on: Option<Severity>,
    /// Whether nothing reached the threshold.
    pub passed: bool,
    /// Every check, in registry order.
    pub checks: Vec<CheckResult>,
    /// Every secret, files first (layer, path, line order), then metadata.
    pub secrets: Vec<SecretReport>,
}

fn settings(args: &CheckArgs) -> Result<Settings> {
    let mut s = Settings::new(time::OffsetDateTime::now_utc().date());
    s.profile = match args.profile {
        CheckProfile::Default => Profile::Default,
        CheckProfile::Distroless => Profile::Distroless,
    };
    s.max_size = size::parse_size(&args.max_size).map_err(|e| anyhow!("--max-size: {e}"))?;
    if let Some(w) = &args.max_wasted {
        // One threshold given: the other does not apply.
        match w.strip_suffix('%') {
            Some(p) => {
                s.max_wasted_percent = p.trim().parse().map_err(|_| anyhow!("--max-wasted: '{w}' is not a percentage"))?;
                s.max_wasted_bytes = u64::MAX;
            }
            None => {
                s.max_wasted_bytes = size::parse_size(w).map_err(|e| anyhow!("--max-wasted: {e}"))?;
                s.max_wasted_percent = f64::INFINITY;
            }
        }
    }
    Ok(s)
}

/// The largest Dockerfile read for `--dockerfile` (real ones are a few KiB).
const MAX_DOCKERFILE_BYTES: u64 = 4 << 20;

/// The `--dockerfile` the image was built from, parsed; read before the
/// image so that a wrong path fails fast.
fn read_dockerfile(path: &std::path::Path) -> Result<temper_dockerfile::Dockerfile> {
    let size = std::fs::metadata(path).map_err(|e| anyhow!("--dockerfile {}: {e}", path.display()))?.len();
    if size > MAX_DOCKERFILE_BYTES {
        return Err(anyhow!("--dockerfile {}: {size} bytes, over the {MAX_DOCKERFILE_BYTES}-byte limit", path.display()));
    }
    let bytes = std::fs::read(path).map_err(|e| anyhow!("--dockerfile {}: {e}", path.display()))?;
    let text = String::from_utf8(bytes).map_err(|_| anyhow!("--dockerfile {}: not UTF-8 text", path.display()))?;
    temper_dockerfile::parse(&text).map_err(|e| anyhow!("--dockerfile {}:{}:{}: {}; `temper lint` shows it", path.display(), e.position.line, e.position.column, e.kind))
}

pub fn check(args: &CheckArgs) -> Result<ExitCode> {
    let settings = settings(args)?;
    let threshold = FailOn::<Severity>::parse(&args.fail_on, "--fail-on")?;
    let allow = crate::config::load(args.config.as_deref())?.secrets;
    let dockerfile = args.dockerfile.as_deref().map(read_dockerfile).transpose()?;
    let (_, image) = open_source(&args.image)?;
    let Scanned { layers, analysis, inventory } = scan_inventory(&image, &args.image, &args.run, false, &temper_check::analyzers())?;
    let cx = Context { config: &image.config, layers: &layers, merged: &analysis.merged, efficiency: &analysis.efficiency, inventory: &inventory, settings: &settings };
    let checks = temper_check::run(&cx);

    let describe = |rule: &str| temper_check::secrets::rule(rule).map_or((rule.to_owned(), Severity::High), |r| (r.title.to_owned(), r.severity));
    let mut secrets: Vec<SecretReport> = inventory
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

    let reached = |severity: Severity| threshold.fails(severity);
    let failing = checks.iter().filter(|c| c.status == Status::Fail && reached(c.severity)).count() + secrets.iter().filter(|s| reached(s.severity)).count();
    let report = Report {
        image: image.name.clone(),
        digest: image.manifest.as_ref().map(|m| m.digest.to_string()),
        platform: image.platform().map(|p| p.to_string()),
        profile: settings.profile,
        fail_on: threshold.level(),
        passed: failing == 0,
        checks,
        secrets,
    };
    let text = match args.format {
        CheckFormat::Table => render::check::table(&report),
        CheckFormat::Json => serde_json::to_string_pretty(&report)? + "\n",
        CheckFormat::Sarif => {
            let anchors = match (dockerfile, &args.dockerfile) {
                (Some(df), Some(path)) => render::check::Anchors::Dockerfile(render::check::DockerfileLines::new(path.clone(), &df, layers.len())),
                _ => render::check::Anchors::Image(args.image.image.clone()),
            };
            serde_json::to_string_pretty(&render::check::sarif(&report, &anchors))? + "\n"
        }
    };
    match &args.run.output {
        Some(path) => write_whole(path, &text)?,
        None => print(&text)?,
    }
    let mut verdict = Verdict::new(args.exit_code);
    if let (true, Some(t)) = (failing > 0, threshold.level()) {
        verdict.fail(format!("{failing} finding(s) at or above --fail-on {}", t.as_str()));
    }
    Ok(verdict.finish())
}
