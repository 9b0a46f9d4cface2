//! `temper sign`: flags to options, then `temper_verdict::trust`, which
//! the gate and the admission webhook share; and what `verify`, `attest`
//! and `verify-attestation` share with it: keys, the verification policy,
//! the verdict line and its exit code.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, Result, anyhow, bail};
use temper_cli::{Format, SignArgs, SignStorage, VerifierArgs};
use temper_trust::{SigningKey, VerifyingKey};
use temper_verdict::trust::{self, Outcome, Policy, SignOptions, Storage};

use super::{print, source_options};
use crate::render::escape;
use crate::term;

/// Exit codes of `verify`.
const NONE_FOUND: u8 = 3;
const INVALID: u8 = 4;
const MISMATCH: u8 = 5;

pub(crate) fn read_key(path: &Path) -> Result<SigningKey> {
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
    let storage = storage(args.storage);
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

pub(crate) fn storage(s: SignStorage) -> Storage {
    match s {
        SignStorage::Both => Storage::Both,
        SignStorage::Legacy => Storage::Legacy,
        SignStorage::Bundle => Storage::Bundle,
    }
}

/// The policy the flags give: keys, and the keyless trust root and identity.
pub(crate) fn policy(args: &VerifierArgs) -> Result<Policy> {
    let (key_paths, keys_dir, keyless) = (&args.keys, args.keys_dir.as_deref(), &args.keyless);
    use temper_trust::keyless::{Identity, Pattern, TrustedRoot};
    let keyless = match &keyless.trusted_root {
        None => {
            if keyless.certificate_identity.is_some() || keyless.certificate_identity_regexp.is_some() || keyless.certificate_oidc_issuer.is_some() || keyless.certificate_oidc_issuer_regexp.is_some() {
                bail!("--certificate-identity and --certificate-oidc-issuer need --trusted-root (a Sigstore trusted_root.json)");
            }
            None
        }
        Some(path) => {
            let text = std::fs::read(path).with_context(|| format!("--trusted-root {}", path.display()))?;
            let root = TrustedRoot::parse(&text).map_err(|e| anyhow!("--trusted-root {}: {e}", path.display()))?;
            let pattern = |exact: &Option<String>, regex: &Option<String>, flag: &str| -> Result<Pattern> {
                match (exact, regex) {
                    (Some(e), _) => Ok(Pattern::Exact(e.clone())),
                    (None, Some(r)) => Pattern::regex(r).map_err(|e| anyhow!("--{flag}-regexp: {e}")),
                    (None, None) => bail!("--trusted-root needs --{flag} (or --{flag}-regexp): keyless signatures are trusted only for a named signer"),
                }
            };
            let subject = pattern(&keyless.certificate_identity, &keyless.certificate_identity_regexp, "certificate-identity")?;
            let issuer = pattern(&keyless.certificate_oidc_issuer, &keyless.certificate_oidc_issuer_regexp, "certificate-oidc-issuer")?;
            Some(temper_verdict::trust::Keyless { root, identities: vec![Identity { subject, issuer }] })
        }
    };
    let keys = if key_paths.is_empty() && keys_dir.is_none() && keyless.is_some() { Vec::new() } else { keys(key_paths, keys_dir)? };
    Ok(Policy { keys, keyless })
}

/// The public keys of --key and --keys-dir.
fn keys(keys: &[PathBuf], keys_dir: Option<&Path>) -> Result<Vec<VerifyingKey>> {
    let mut paths: Vec<PathBuf> = keys.to_vec();
    if let Some(dir) = keys_dir {
        let mut found: Vec<PathBuf> = std::fs::read_dir(dir).with_context(|| format!("--keys-dir {}", dir.display()))?.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.extension().is_some_and(|x| x == "pub" || x == "pem")).collect();
        found.sort();
        if found.is_empty() {
            bail!("--keys-dir {}: no *.pub or *.pem file in it", dir.display());
        }
        paths.extend(found);
    }
    if paths.is_empty() {
        bail!("no key: give --key PUB (repeatable), --keys-dir DIR, or --trusted-root with the signer's identity for keyless signatures");
    }
    paths.iter().map(|p| {
        let bytes = std::fs::read(p).with_context(|| format!("key {}", p.display()))?;
        VerifyingKey::from_pem(&bytes).map_err(|e| anyhow!("key {}: {e}", p.display()))
    }).collect()
}

/// Prints the verdict line and gives the exit code: the line on stdout
/// when verified (table format), on stderr otherwise.
pub(crate) fn finish(outcome: Option<Outcome>, checked: &[trust::Checked], digest: &str, what: &str, verb: &str, format: Format) -> Result<ExitCode> {
    let reason = checked.iter().filter_map(|c| c.reason.as_deref()).next().unwrap_or("no reason given");
    let (code, line) = match outcome {
        Some(Outcome::Verified) => {
            let id = checked.iter().find_map(|c| c.key_id.as_deref()).unwrap_or_default();
            (0, format!("verified: {digest} {verb} by key {id}"))
        }
        Some(Outcome::Mismatch) => (MISMATCH, format!("{verb}, but by none of the given keys: {digest} ({reason})")),
        Some(Outcome::Invalid) => (INVALID, format!("{what} invalid: {digest} ({reason})")),
        None => (NONE_FOUND, format!("no {what} found for {digest} (no tag, no bundle referrer)")),
    };
    if code == 0 {
        if format == Format::Table {
            print(&(escape(&line) + "\n"))?;
        }
    } else {
        eprintln!("temper: {}", escape(&line));
    }
    Ok(ExitCode::from(code))
}

