//! `temper report`: one self-contained HTML page about an image (see
//! `temper-report`); and [`html`], the same page for `scan`, `check` and
//! `gate --format html`.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Result, anyhow};
use temper_cli::ReportArgs;
use temper_verdict::Assessment;
use temper_verdict::assessment::{Advisories, Request};
use temper_verdict::vulnerabilities::Filter;

use super::{cache_settings, db, emit, limits, open_options};
use crate::progress::Terminal;

pub fn run(args: &ReportArgs) -> Result<ExitCode> {
    let m = &args.matching;
    let (db, source) = db::for_matching(m.config.as_deref(), &m.advisories, &m.db, false, m.offline)?;
    let suppressions = super::suppressions(&m.vex, m.ignore_file.as_deref())?;
    let secrets_allowed = temper_verdict::config::load(m.config.as_deref())?.secrets;
    let open = open_options(&args.image)?;
    let request = Request {
        reference: &args.image.image,
        digest: None,
        open: &open,
        limits: &limits(&args.image.limits)?,
        cache: &cache_settings(&args.image, &args.run),
        advisories: Some(Advisories { db: &db, source, suppressions: &suppressions, allow_partial: m.allow_partial_db, filter: Filter::default() }),
        checks: &temper_check::Settings::new(time::OffsetDateTime::now_utc().date()),
        secrets_allowed: &secrets_allowed,
        trust: Default::default(),
        dockerfile: args.dockerfile.as_deref(),
    };
    let assessed = temper_verdict::assess(&request, &Terminal)?;
    emit(args.run.output.as_deref(), &html(&assessed.assessment, None, args.dockerfile.as_deref())?)?;
    Ok(ExitCode::SUCCESS)
}

/// The report of `assessment` (judged by `verdict`, when a policy was
/// applied), with excerpts of `dockerfile` beside its lint findings.
pub fn html(assessment: &Assessment, verdict: Option<&temper_policy::Verdict>, dockerfile: Option<&Path>) -> Result<String> {
    let source = dockerfile.map(|p| std::fs::read_to_string(p).map_err(|e| anyhow!("--dockerfile {}: {e}; check the path", p.display()))).transpose()?;
    Ok(temper_report::render(&temper_report::Input { assessment, verdict, dockerfile: source.as_deref() })?)
}
