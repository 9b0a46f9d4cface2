//! `temper verify`: the signatures beside an image, checked with keys or a
//! keyless policy (`temper_verdict::trust::verify_with`).

use std::process::ExitCode;

use anyhow::Result;
use temper_cli::{Format, VerifyArgs};
use temper_verdict::trust;

use super::sign::{finish, policy};
use super::{print, source_options};

pub fn run(args: &VerifyArgs) -> Result<ExitCode> {
    let policy = policy(&args.verifier)?;
    let report = trust::verify_with(&args.image, &policy, &source_options(&args.registry)?)?;
    let outcome = report.outcome();
    if args.format == Format::Json {
        print(&(serde_json::to_string_pretty(&serde_json::json!({ "image": args.image, "digest": report.digest, "outcome": outcome, "signatures": report.signatures }))? + "\n"))?;
    }
    finish(outcome, &report.signatures, &report.digest, "signature", "signed", args.format)
}
