//! `temper scan`: the known vulnerabilities of an image's (or an SBOM's)
//! packages, a verdict by `--fail-on`.

use std::process::ExitCode;

use anyhow::{Result, anyhow};
use temper_cli::{ScanArgs, ScanFormat};
use temper_finding::Severity;
use temper_verdict::vulnerabilities::Filter;
use temper_verdict::{FailOn, Target, advisories};

use super::{cache_settings, db, emit, limits, open_options, source_date_epoch};
use crate::exit::Verdict;
use crate::progress::Terminal;
use crate::render;

fn severities(list: &[String]) -> Result<Vec<Severity>> {
    list.iter().filter(|s| !s.trim().is_empty()).map(|s| s.parse::<Severity>().map_err(|e| anyhow!("--severity: {e}"))).collect()
}

/// `--attest`: the scan result as cosign's vulnerability predicate, signed
/// and attached to the image.
fn attest_result(image: &temper_cli::ImageArgs, key: &std::path::Path, result: &serde_json::Value, db_source: &impl std::fmt::Display, started: time::OffsetDateTime) -> Result<()> {
    let key = super::sign::read_key(key)?;
    let rfc3339 = |t: time::OffsetDateTime| t.format(&time::format_description::well_known::Rfc3339).unwrap_or_default();
    let predicate = serde_json::json!({
        "invocation": { "parameters": null, "uri": "", "event_id": "", "builder.id": "" },
        "scanner": {
            "uri": format!("pkg:generic/temper@{}", env!("CARGO_PKG_VERSION")),
            "version": env!("CARGO_PKG_VERSION"),
            "db": { "uri": db_source.to_string(), "version": "" },
            "result": result,
        },
        "metadata": { "scanStartedOn": rfc3339(started), "scanFinishedOn": rfc3339(time::OffsetDateTime::now_utc()) },
    });
    let opts = open_options(image)?;
    temper_verdict::trust::attest(&image.image, &key, temper_trust::statement::COSIGN_VULN, predicate, &opts, temper_verdict::trust::Storage::Both)?;
    crate::term::note(&format!("attested the scan result to {} with key {}", render::escape(&image.image), key.public().key_id()));
    Ok(())
}

pub fn run(args: &ScanArgs) -> Result<ExitCode> {
    let started = time::OffsetDateTime::now_utc();
    let filter = Filter { severities: severities(&args.severity)?, ignore_unfixed: args.ignore_unfixed };
    let fail_on = match (&args.fail_on, args.exit_code) {
        (Some(s), _) => FailOn::parse(s, "--fail-on")?,
        // `--exit-code` alone fails on any finding left after the filters, as Trivy's does.
        (None, Some(_)) => FailOn::AtLeast(Severity::Unknown),
        (None, None) => FailOn::Never,
    };
    if args.dependency_tree && args.format != ScanFormat::Table {
        return Err(anyhow!("--dependency-tree is drawn after the table; drop it or use --format table (CycloneDX output carries the graph in `dependencies`)"));
    }
    let m = &args.matching;
    let (db, source) = db::for_matching(m.config.as_deref(), &m.advisories, &m.db, args.update, m.offline)?;
    let suppressions = super::suppressions(&m.vex, m.ignore_file.as_deref())?;
    // An image keeps what the CycloneDX output describes it with, and its assessment (the HTML report's input).
    let mut described = None;
    let mut assessed_doc = None;
    let (name, digest, platform, inventory, matches) = match temper_verdict::target::resolve(&args.image.image, &open_options(&args.image)?)? {
        Target::Sbom(inventory) => {
            advisories::require_coverage(&db, &inventory, m.allow_partial_db, &source, &Terminal)?;
            let matches = temper_verdict::vulnerabilities::find(&db, &inventory, &suppressions, &filter)?;
            (args.image.image.clone(), None, None, inventory, matches)
        }
        Target::Image(opened) => {
            let open = open_options(&args.image)?;
            let request = temper_verdict::assessment::Request {
                reference: &args.image.image,
        digest: None,
                open: &open,
                limits: &limits(&args.image.limits)?,
                cache: &cache_settings(&args.image, &args.run),
                advisories: Some(temper_verdict::assessment::Advisories { db: &db, source: source.clone(), suppressions: &suppressions, allow_partial: m.allow_partial_db, filter }),
                checks: &temper_check::Settings::new(time::OffsetDateTime::now_utc().date()),
                secrets_allowed: &Default::default(),
                trust: Default::default(),
                dockerfile: None,
            };
            let assessed = temper_verdict::assessment::assess_opened(*opened, &request, &Terminal)?;
            let temper_verdict::Assessed { opened, scanned, matches, assessment, .. } = assessed;
            described = Some((temper_verdict::target::subject(&opened.source, &opened.image, &scanned.layers), opened.image.config.created.clone()));
            let (digest, platform) = (assessment.image.digest.clone(), assessment.image.platform.clone());
            assessed_doc = Some(assessment);
            (opened.image.name.clone(), digest, platform, scanned.inventory, matches.unwrap_or_default())
        }
    };
    let result = serde_json::json!({
        "image": name,
        "digest": digest,
        "platform": platform,
        "os": inventory.os,
        "findings": matches.findings,
        "suppressed": matches.suppressed,
        "unmatched": matches.unmatched,
        "packages": inventory.packages.len(),
    });
    if let Some(key) = &args.attest {
        if described.is_none() {
            return Err(anyhow!("--attest needs an image target; {name} is an SBOM"));
        }
        attest_result(&args.image, key, &result, &source, started)?;
    }
    let text = match args.format {
        ScanFormat::Json => serde_json::to_string_pretty(&result)? + "\n",
        ScanFormat::Table => {
            let mut text = render::scan::table(&inventory, &matches, args.show_suppressed);
            if args.dependency_tree {
                render::dependency_tree::write(&mut text, &inventory, &matches.findings)?;
            }
            text
        }
        ScanFormat::Sarif => serde_json::to_string_pretty(&render::scan::sarif(&matches, &name))? + "\n",
        ScanFormat::Cyclonedx => {
            let (subject, created) = described.ok_or_else(|| anyhow!("--format cyclonedx needs an image target; {name} is an SBOM already"))?;
            let timestamp = temper_inventory::format::Timestamp::resolve(source_date_epoch()?.as_deref(), created.as_deref())?;
            let sbom = temper_inventory::format::Sbom { subject: &subject, inventory: &inventory, timestamp, tool_version: env!("CARGO_PKG_VERSION") };
            temper_inventory::format::cyclonedx::encode_with_vulnerabilities(&sbom, render::scan::cyclonedx_vulnerabilities(&inventory, &matches))?
        }
        ScanFormat::Html => super::report::html(assessed_doc.as_ref().ok_or_else(|| anyhow!("--format html needs an image target; {name} is an SBOM (scan the image itself)"))?, None, None)?,
    };
    emit(args.run.output.as_deref(), &text)?;
    let mut verdict = Verdict::new(args.exit_code);
    let n = matches.findings.iter().filter(|f| fail_on.fails(f.severity)).count();
    if n > 0 {
        verdict.fail(match (fail_on.level(), &args.fail_on) {
            (Some(level), Some(_)) => format!("{n} finding(s) at or above --fail-on {}", level.as_str().to_ascii_lowercase()),
            _ => format!("{n} finding(s) reported, and --exit-code {} fails on any", args.exit_code.unwrap_or(1)),
        });
    }
    Ok(verdict.finish())
}
