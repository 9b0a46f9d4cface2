//! `temper attest`: an in-toto statement about an image, signed and
//! attached (`temper_verdict::trust::attest`).

use std::process::ExitCode;

use anyhow::{Context as _, Result, anyhow};
use temper_cli::{AttestArgs, Format};
use temper_verdict::trust;

use super::sign::{read_key, storage};
use super::{print, source_options};
use crate::term;

pub fn run(args: &AttestArgs) -> Result<ExitCode> {
    let predicate_type = temper_trust::statement::predicate_type(&args.predicate_type).map_err(|e| anyhow!("--type: {e}"))?;
    let text = std::fs::read(&args.predicate).with_context(|| format!("--predicate {}", args.predicate.display()))?;
    let predicate: serde_json::Value = serde_json::from_slice(&text).map_err(|e| anyhow!("--predicate {}: not JSON ({e})", args.predicate.display()))?;
    let key = read_key(&args.key)?;
    let attested = trust::attest(&args.image, &key, &predicate_type, predicate, &source_options(&args.registry)?, storage(args.storage))?;
    match args.format {
        Format::Json => print(&(serde_json::to_string_pretty(&serde_json::json!({ "key_id": key.public().key_id(), "predicate_type": predicate_type, "attested": attested }))? + "\n"))?,
        Format::Table => {
            for a in &attested {
                term::note(&format!("attested {} ({predicate_type}) with key {}", a.digest, key.public().key_id()));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
