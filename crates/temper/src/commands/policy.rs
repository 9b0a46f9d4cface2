//! `temper policy test`: the arguments and the rendering; the runner is
//! `temper_policy::run_tests`.

use std::process::ExitCode;

use anyhow::Result;
use temper_cli::Format;
use temper_cli::policy::{PolicyCommand, PolicyTestArgs};
use temper_policy::TestOutcome;

use super::print;
use crate::render::escape;

pub fn run(command: PolicyCommand) -> Result<ExitCode> {
    match command {
        PolicyCommand::Test(args) => test(&args),
    }
}

fn test(args: &PolicyTestArgs) -> Result<ExitCode> {
    let report = temper_policy::run_tests(&args.dir)?;
    if args.format == Format::Json {
        print(&(serde_json::to_string_pretty(&report)? + "\n"))?;
    } else {
        let mut out = String::new();
        for r in &report.results {
            let line = match &r.outcome {
                TestOutcome::Pass => format!("PASS {}: {}\n", escape(&r.file), escape(&r.rule)),
                TestOutcome::Fail => format!("FAIL {}: {}\n", escape(&r.file), escape(&r.rule)),
                TestOutcome::Error(e) => format!("ERROR {}: {}: {}\n", escape(&r.file), escape(&r.rule), escape(e)),
            };
            out.push_str(&line);
        }
        out.push_str(&format!("{}\nPASS: {}/{}\n", "-".repeat(40), report.passed(), report.results.len()));
        if report.failed() > 0 {
            out.push_str(&format!("FAIL: {}/{}\n", report.failed(), report.results.len()));
        }
        print(&out)?;
    }
    Ok(if report.failed() == 0 && !report.results.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(1) })
}
