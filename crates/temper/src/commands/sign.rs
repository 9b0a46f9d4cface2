//! `temper sign` and `temper verify`: flags to options, then
//! `temper_verdict::trust`, which the gate and the admission webhook share.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, Result, anyhow, bail};
use temper_cli::{Format, SignArgs, SignStorage, VerifyArgs};
use temper_trust::{SigningKey, VerifyingKey};
use temper_verdict::trust::{self, Outcome, SignOptions, Storage};

use super::{print, source_options};
use crate::render::escape;
use crate::term;

/// Exit codes of `verify`.
const NONE_FOUND: u8 = 3;
const INVALID: u8 = 4;
const MISMATCH: u8 = 5;

fn read_key(path: &Path) -> Result<SigningKey> {
    let bytes = std::fs::read(path).with_context(|| format!("--key {}", path.display()))?;
    SigningKey::from_pem(&bytes, || super::key::read_password().map(String::into_bytes).map_err(|e| temper_trust::Error::Key(e.to_string()))).map_err(|e| anyhow!("--key {}: {e}", path.display()))
}

pub fn run(args: &SignArgs) -> Result<ExitCode> {
    let key = read_key(&args.key)?;
    let mut annotations = BTreeMap::new();
    for a in &args.annotations {
        let (k, v) = a.split_once('=').ok_or_else(|| anyhow!("--annotation {a}: give KEY=VALUE"))?;
        annotations.insert(k.to_owned(), v.to_owned());
    }
    let storage = match args.storage {
        SignStorage::Both => Storage::Both,
        SignStorage::Legacy => Storage::Legacy,
        SignStorage::Bundle => Storage::Bundle,
    };
    let signed = trust::sign(&args.image, &key, &source_options(&args.registry)?, &SignOptions { storage, annotations, recursive: args.recursive })?;
    match args.format {
        Format::Json => print(&(serde_json::to_string_pretty(&serde_json::json!({ "key_id": key.public().key_id(), "signed": signed }))? + "\n"))?,
        Format::Table => {
            for s in &signed {
                term::note(&format!("signed {} with key {} ({} places)", s.digest, key.public().key_id(), s.stored.len()));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The public keys of --key and --keys-dir.
fn keys(args: &VerifyArgs) -> Result<Vec<VerifyingKey>> {
    let mut paths: Vec<PathBuf> = args.keys.clone();
    if let Some(dir) = &args.keys_dir {
        let mut found: Vec<PathBuf> = std::fs::read_dir(dir).with_context(|| format!("--keys-dir {}", dir.display()))?.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.extension().is_some_and(|x| x == "pub" || x == "pem")).collect();
        found.sort();
        if found.is_empty() {
            bail!("--keys-dir {}: no *.pub or *.pem file in it", dir.display());
        }
        paths.extend(found);
    }
    if paths.is_empty() {
        bail!("no key: give --key PUB (repeatable) or --keys-dir DIR");
    }
    paths.iter().map(|p| {
        let bytes = std::fs::read(p).with_context(|| format!("key {}", p.display()))?;
        VerifyingKey::from_pem(&bytes).map_err(|e| anyhow!("key {}: {e}", p.display()))
    }).collect()
}

pub fn verify(args: &VerifyArgs) -> Result<ExitCode> {
    let keys = keys(args)?;
    let report = trust::verify(&args.image, &keys, &source_options(&args.registry)?)?;
    let outcome = report.outcome();
    if args.format == Format::Json {
        print(&(serde_json::to_string_pretty(&serde_json::json!({ "image": args.image, "digest": report.digest, "outcome": outcome, "signatures": report.signatures }))? + "\n"))?;
    }
    let (code, line) = match outcome {
        Some(Outcome::Verified) => {
            let ids: Vec<&str> = report.signatures.iter().filter_map(|c| c.key_id.as_deref()).collect();
            (0, format!("verified: {} signed by key {}", report.digest, ids.first().copied().unwrap_or_default()))
        }
        Some(Outcome::Mismatch) => (MISMATCH, format!("signed, but by none of the given keys: {} ({})", report.digest, first_reason(&report))),
        Some(Outcome::Invalid) => (INVALID, format!("signature invalid: {} ({})", report.digest, first_reason(&report))),
        None => (NONE_FOUND, format!("no signature found for {} (no .sig tag, no bundle referrer)", report.digest)),
    };
    if code == 0 {
        if args.format == Format::Table {
            print(&(escape(&line) + "\n"))?;
        }
    } else {
        eprintln!("temper: {}", escape(&line));
    }
    Ok(ExitCode::from(code))
}

fn first_reason(report: &trust::Verification) -> String {
    report.signatures.iter().filter_map(|c| c.reason.as_deref()).next().unwrap_or("no reason given").to_owned()
}
