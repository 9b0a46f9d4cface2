//! `temper verify-attestation`: the attestations of one type beside an
//! image, checked; the verified statements printed.

use std::process::ExitCode;

use anyhow::{Result, anyhow};
use temper_cli::{Format, VerifyAttestationArgs};
use temper_verdict::trust;

use super::sign::{finish, policy};
use super::{print, source_options};

pub fn run(args: &VerifyAttestationArgs) -> Result<ExitCode> {
    let predicate_type = temper_trust::statement::predicate_type(&args.predicate_type).map_err(|e| anyhow!("--type: {e}"))?;
    let policy = policy(&args.verifier)?;
    let report = trust::verify_attestations(&args.image, &policy, &predicate_type, &source_options(&args.registry)?)?;
    if args.format == Format::Json {
        print(&(serde_json::to_string_pretty(&serde_json::json!({ "image": args.image, "digest": report.digest, "predicate_type": predicate_type, "outcome": report.outcome(), "attestations": report.checked, "verified": report.verified }))? + "\n"))?;
    }
    finish(report.outcome(), &report.checked, &report.digest, "attestation", "attested", args.format)
}
