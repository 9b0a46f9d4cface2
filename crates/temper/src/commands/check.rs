//! `temper check`: the hardening checks and the secret rules over one
//! image, a verdict by `--fail-on`.

use std::process::ExitCode;

use anyhow::{Result, anyhow};
use temper_check::{Profile, Settings, Severity};
use temper_cli::{CheckArgs, CheckFormat, CheckProfile};
use temper_verdict::FailOn;

use super::{cache_settings, emit, limits, open_options};
use crate::exit::Verdict;
use crate::progress::Terminal;
use crate::{render, size};

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

pub fn run(args: &CheckArgs) -> Result<ExitCode> {
    let settings = settings(args)?;
    let threshold = FailOn::<Severity>::parse(&args.fail_on, "--fail-on")?;
    let allow = temper_verdict::config::load(args.config.as_deref())?.secrets;
    let dockerfile = args.dockerfile.as_deref().map(temper_verdict::assessment::read_dockerfile).transpose()?;
    let open = open_options(&args.image)?;
    let request = temper_verdict::assessment::Request {
        reference: &args.image.image,
        digest: None,
        open: &open,
        limits: &limits(&args.image.limits)?,
        cache: &cache_settings(&args.image, &args.run),
        advisories: None,
        checks: &settings,
        secrets_allowed: &allow,
        trust: Default::default(),
        dockerfile: None,
    };
    let temper_verdict::Assessed { scanned, hardening: mut report, assessment, .. } = temper_verdict::assess(&request, &Terminal)?;
    report.fail_on = threshold.level();
    report.passed = report.failing(threshold) == 0;
    let text = match args.format {
        CheckFormat::Table => render::check::table(&report),
        CheckFormat::Json => serde_json::to_string_pretty(&report)? + "\n",
        CheckFormat::Sarif => {
            let anchors = match (dockerfile, &args.dockerfile) {
                (Some(df), Some(path)) => render::check::Anchors::Dockerfile(render::check::DockerfileLines::new(path.clone(), &df, scanned.layers.len())),
                _ => render::check::Anchors::Image(args.image.image.clone()),
            };
            serde_json::to_string_pretty(&render::check::sarif(&report, &anchors))? + "\n"
        }
        CheckFormat::Html => super::report::html(&assessment, None, None)?,
    };
    emit(args.run.output.as_deref(), &text)?;
    let mut verdict = Verdict::new(args.exit_code);
    let failing = report.failing(threshold);
    if let (true, Some(t)) = (failing > 0, threshold.level()) {
        verdict.fail(format!("{failing} finding(s) at or above --fail-on {}", t.as_str()));
    }
    Ok(verdict.finish())
}
