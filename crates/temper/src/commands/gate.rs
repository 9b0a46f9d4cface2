//! `temper gate`: an image's assessment judged by a policy; exit 0 pass,
//! 1 a rule failed (or warned, with `--fail-on-warn`), 2 error.

use std::process::ExitCode;

use anyhow::Result;
use temper_cli::{GateArgs, GateFormat};
use temper_policy::{Policy, Status};

use super::emit;
use crate::exit::Verdict;
use crate::progress::Terminal;
use crate::render;

pub fn run(args: &GateArgs) -> Result<ExitCode> {
    // The policy first: a wrong file fails before any image is read.
    let policy = Policy::from_paths(&args.policy)?;
    let assessing = super::report::Assessing::new(&args.image, &args.run, &args.matching)?;
    let request = assessing.request(&args.image, args.dockerfile.as_deref());
    let gated = temper_verdict::gate::gate(request, &policy, None, &Terminal)?;
    let assessment = gated.assessed.as_ref().map(|a| &a.assessment);
    let policy_name = if args.policy.is_empty() { "the default policy".to_owned() } else { args.policy.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ") };
    let text = match args.format {
        GateFormat::Table => render::gate::table(&gated.verdict, assessment, &policy_name),
        GateFormat::Json => serde_json::to_string_pretty(&serde_json::json!({ "verdict": gated.verdict, "policy": { "name": policy_name, "digest": policy.digest() }, "assessment": assessment }))? + "\n",
        GateFormat::Sarif => serde_json::to_string_pretty(&render::gate::sarif(&gated.verdict, &policy_name))? + "\n",
        GateFormat::Junit => render::gate::junit(&gated.verdict, &policy_name),
        GateFormat::Html => match assessment {
            Some(a) => super::report::html(a, Some(&gated.verdict), args.dockerfile.as_deref())?,
            None => return Err(anyhow::anyhow!("{}: no assessment to report (the policy exempts the image); use --format table or json", args.image.image)),
        },
    };
    emit(args.run.output.as_deref(), &text)?;
    let mut verdict = Verdict::new(None);
    match gated.verdict.status {
        Status::Fail => verdict.fail(format!("{} rule(s) failed under {policy_name}", count(&gated.verdict, temper_policy::RuleStatus::Fail))),
        Status::Warn if args.fail_on_warn => verdict.fail(format!("{} rule(s) warned under {policy_name}, and --fail-on-warn fails on a warning", count(&gated.verdict, temper_policy::RuleStatus::Warn))),
        _ => {}
    }
    Ok(verdict.finish())
}

fn count(verdict: &temper_policy::Verdict, status: temper_policy::RuleStatus) -> usize {
    verdict.results.iter().filter(|r| r.status == status).count()
}
