//! `temper report`: one self-contained HTML page about an image (see
//! `temper-report`); and [`html`], the same page for `scan`, `check` and
//! `gate --format html`.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Result, anyhow};
use temper_advisory::db::AdvisoryDb;
use temper_check::secrets::AllowList;
use temper_cli::{ImageArgs, MatchingArgs, ReportArgs, RunArgs};
use temper_finding::vex::Suppressions;
use temper_image::OpenOptions;
use temper_layer::Limits;
use temper_verdict::{Assessment, CacheSettings};
use temper_verdict::assessment::{Advisories, Request};
use temper_verdict::vulnerabilities::Filter;

use super::{cache_settings, db, emit, limits, open_options};
use crate::progress::Terminal;

pub fn run(args: &ReportArgs) -> Result<ExitCode> {
    let assessing = Assessing::new(&args.image, &args.run, &args.matching)?;
    let assessed = temper_verdict::assess(&assessing.request(&args.image, args.dockerfile.as_deref()), &Terminal)?;
    emit(args.run.output.as_deref(), &html(&assessed.assessment, None, args.dockerfile.as_deref())?)?;
    Ok(ExitCode::SUCCESS)
}

/// What assessing one image with its findings needs, read from the flags
/// `report` and `gate` share, and owned here so that a [`Request`] can
/// borrow it.
pub struct Assessing {
    open: OpenOptions,
    limits: Limits,
    cache: CacheSettings,
    checks: temper_check::Settings,
    db: AdvisoryDb,
    source: String,
    suppressions: Suppressions,
    secrets_allowed: AllowList,
    allow_partial: bool,
}

impl Assessing {
    /// Reads the config, the advisory DB and the suppressions the flags name.
    pub fn new(image: &ImageArgs, run: &RunArgs, m: &MatchingArgs) -> Result<Assessing> {
        let secrets_allowed = temper_verdict::config::load(m.config.as_deref())?.secrets;
        let (db, source) = db::for_matching(m.config.as_deref(), &m.advisories, &m.db, false, m.offline)?;
        Ok(Assessing {
            open: open_options(image)?,
            limits: limits(&image.limits)?,
            cache: cache_settings(image, run),
            checks: temper_check::Settings::new(time::OffsetDateTime::now_utc().date()),
            db,
            source,
            suppressions: super::suppressions(&m.vex, m.ignore_file.as_deref())?,
            secrets_allowed,
            allow_partial: m.allow_partial_db,
        })
    }

    /// The request for `image`, every finding kept, `dockerfile` linted beside it.
    pub fn request<'a>(&'a self, image: &'a ImageArgs, dockerfile: Option<&'a Path>) -> Request<'a> {
        Request {
            reference: &image.image,
            digest: None,
            open: &self.open,
            limits: &self.limits,
            cache: &self.cache,
            advisories: Some(Advisories { db: &self.db, source: self.source.clone(), suppressions: &self.suppressions, allow_partial: self.allow_partial, filter: Filter::default() }),
            checks: &self.checks,
            secrets_allowed: &self.secrets_allowed,
            trust: Default::default(),
            dockerfile,
        }
    }
}

/// The report of `assessment` (judged by `verdict`, when a policy was
/// applied), with excerpts of `dockerfile` beside its lint findings.
pub fn html(assessment: &Assessment, verdict: Option<&temper_policy::Verdict>, dockerfile: Option<&Path>) -> Result<String> {
    let source = dockerfile.map(|p| std::fs::read_to_string(p).map_err(|e| anyhow!("--dockerfile {}: {e}; check the path", p.display()))).transpose()?;
    Ok(temper_report::render(&temper_report::Input { assessment, verdict, dockerfile: source.as_deref() })?)
}
