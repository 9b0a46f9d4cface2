//! Admission policy: which images may run, judged on their assessment.
//!
//! A [`Policy`] is read once from a `policy.toml` (and the `.rego` files and
//! data files it names) and then evaluated any number of times on
//! assessments: the JSON documents `schemas/assessment.schema.json`
//! specifies, read here only as JSON so that an assessment stored in a file
//! is judged exactly as one made in process.
//!
//! The file (every table rejects keys it does not know, and errors say
//! `FILE:LINE:COLUMN: KEY: what is wrong`):
//!
//! ```toml
//! no-match = "allow"             # deny | warn | allow: images no [[scope]] selects
//!
//! [[scope]]                      # first match wins; no [[scope]] at all = every rule for every image
//! images = ["registry.example/prod/*"]   # globs on the reference as given; `*` stops at `/`, `**` does not
//! namespaces = ["prod-*"]        # the webhook's namespace; a scope naming namespaces selects nothing outside it
//! rules = ["vulnerabilities", "signature", "rego"]   # default: every rule
//! exempt = false                 # true: allowed as is, without an assessment
//!
//! [rules.vulnerabilities]        # every rule takes mode = "enforce" (default) | "warn"
//! max = { critical = 0, high = 9 }
//! [rules.kev]                    # any finding in CISA's KEV catalog
//! [rules.fix-age]                # a fix known for more than max-days, counted from `published`
//! max-days = 30
//! severities = ["critical", "high"]
//! [rules.secrets]
//! min-severity = "medium"
//! [rules.checks]                 # hardening checks by id
//! fail = ["eol-os"]
//! warn = ["runs-as-root"]
//! [rules.size]
//! max = "500MB"
//! max-wasted = "10%"
//! [rules.packages]
//! forbidden = ["telnet", "pkg:npm/event-stream"]
//! [rules.licenses]
//! forbidden = ["AGPL-3.0-only"]
//! [rules.signature]
//! keys = ["keys/golden.pub"]
//! identities = [{ subject = "ci@example.com", issuer = "https://accounts.example.com" }]
//! trusted-root = "trusted_root.json"  # Sigstore's, for the identities' certificates
//! count = 1
//! [[rules.attestation]]
//! type = "slsaprovenance1"
//! builder-id = "https://ci.example/builder"
//! [rules.base]
//! digests = ["sha256:…"]
//! keys = ["keys/golden.pub"]
//!
//! [rego]                         # conftest-style policies
//! files = ["rego"]               # files or directories (their `*.rego`, not `*_test.rego`)
//! data = ["data/registries.json"]
//! namespaces = ["main"]
//!
//! [[exceptions]]
//! rule = "vulnerabilities"
//! ids = ["CVE-2024-0001"]        # and/or images = [globs]
//! expires = 2027-01-31           # the last day it applies
//! reason = "no fix upstream; not reachable (TICKET-12)"
//! ```
//!
//! Paths are relative to the policy file. Keys are read when the policy is
//! loaded, so evaluating never touches the filesystem; the Rego policies are
//! parsed once and each evaluation runs on a clone of the compiled engine.
//! `docs/policy.md` explains each rule.

mod config;
mod exceptions;
mod input;
mod rego;
mod rules;
mod select;
mod verdict;

use std::path::{Path, PathBuf};

use sha2::{Digest as _, Sha256};
use temper_trust::key::VerifyingKey;

pub use config::{Mode, NoMatch};
pub use rego::{Rego, RegoKind, RegoOutcome, TestOutcome, TestReport, TestResult, run_tests};
pub use select::Selection;
pub use verdict::{RuleResult, RuleStatus, ScopeMatch, Status, Verdict};

/// Why a policy cannot be loaded or an assessment cannot be judged.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file the policy needs cannot be read.
    #[error("{}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The policy file or a file it names is wrong: `FILE:LINE:COLUMN: KEY: what is wrong`.
    #[error("{0}")]
    Invalid(String),
    /// A Rego policy failed while evaluating (a built-in's error, the time limit).
    #[error("{0}")]
    Rego(String),
    /// The assessment does not have the shape `schemas/assessment.schema.json` gives.
    #[error("the assessment: {0} (it must follow schemas/assessment.schema.json)")]
    Assessment(String),
}

/// Results of this crate.
pub type Result<T> = std::result::Result<T, Error>;

/// A loaded policy: parsed, keys read, Rego compiled; cheap to evaluate many times.
#[derive(Debug)]
pub struct Policy {
    /// `policy.toml`, or `None` for the default policy.
    path: Option<PathBuf>,
    no_match: NoMatch,
    scopes: Vec<select::Scope>,
    rules: Vec<rules::Entry>,
    exceptions: Vec<exceptions::Exception>,
    /// The `[rego]` table's policies, then those given beside the file.
    rego: Vec<Rego>,
    requirements: Requirements,
    digest: String,
}

/// What an assessment must gather for this policy to judge it: the keys and
/// identities to verify signatures and attestations with.
#[derive(Debug, Clone, Default)]
pub struct Requirements {
    /// Keys whose signatures on the image count (`[rules.signature] keys`).
    pub signature_keys: Vec<VerifyingKey>,
    /// Keyless signers whose signatures on the image count.
    pub identities: Vec<Identity>,
    /// The Sigstore trusted root their certificates chain to (`trusted-root`).
    pub trusted_root: Option<temper_trust::keyless::TrustedRoot>,
    /// Attestation predicate types the policy reads (full URIs).
    pub attestation_types: Vec<String>,
    /// Keys the attestations must be signed by (empty: any verified signer).
    pub attestation_keys: Vec<VerifyingKey>,
    /// Keys whose signatures on the base image count (`[rules.base] keys`),
    /// reported in `image.base.signers`.
    pub base_keys: Vec<VerifyingKey>,
}

/// A keyless signer: the certificate's subject and the OIDC issuer.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct Identity {
    /// The certificate's subject (SAN): an email or a workflow URI.
    pub subject: String,
    /// The OIDC issuer.
    pub issuer: String,
}

/// Where and when an image is judged.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// The webhook's namespace; `None` outside Kubernetes.
    pub namespace: Option<&'a str>,
    /// Today, for exception expiry and fix ages.
    pub today: time::Date,
}

impl Request<'_> {
    /// Outside Kubernetes, today (UTC).
    pub fn now() -> Self {
        Request { namespace: None, today: time::OffsetDateTime::now_utc().date() }
    }
}

impl Default for Policy {
    /// The policy when no file is given: Critical ≥ 1 or High ≥ 10 fails,
    /// any secret fails, running as root warns.
    fn default() -> Self {
        let rules = rules::default_rules();
        Policy {
            path: None,
            no_match: NoMatch::Allow,
            scopes: Vec::new(),
            rules,
            exceptions: Vec::new(),
            rego: Vec::new(),
            requirements: Requirements::default(),
            digest: hex::encode(Sha256::digest(b"temper default policy v1")),
        }
    }
}

impl Policy {
    /// Reads `path` (a `policy.toml`) and every file it names.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Read { path: path.to_owned(), source })?;
        Self::from_toml(path, &text)
    }

    /// `text`, the policy file at `path` (files it names are read relative to `path`'s directory).
    pub fn from_toml(path: &Path, text: &str) -> Result<Self> {
        let file: config::File = config::parse(path, text)?;
        let base = path.parent().unwrap_or(Path::new("."));
        let mut hasher = Sha256::new();
        digest_part(&mut hasher, path, text.as_bytes());
        let mut loader = config::Loader { base, policy: path, text, hasher: &mut hasher };
        let (rules, requirements) = rules::compile(&file.rules, &mut loader)?;
        let scopes = select::compile(&file.scope, &loader)?;
        let exceptions = exceptions::compile(&file.exceptions, &loader)?;
        let rego = match &file.rego {
            Some(r) => vec![Rego::from_config(r, &mut loader)?],
            None => Vec::new(),
        };
        Ok(Policy { path: Some(path.to_owned()), no_match: file.no_match, scopes, rules, exceptions, rego, requirements, digest: hex::encode(hasher.finalize()) })
    }

    /// The policy file, `None` for the default policy.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// What the assessment must verify for this policy (see [`Requirements`]).
    pub fn requirements(&self) -> &Requirements {
        &self.requirements
    }

    /// A stable hex SHA-256 of the policy's files (the policy file, keys,
    /// Rego and data files, each with its path), for caching verdicts.
    pub fn digest(&self) -> &str {
        &self.digest
    }

    /// Which scope selects `reference` in `namespace`, before any assessment
    /// is made (an exempt image needs none).
    pub fn select(&self, reference: &str, namespace: Option<&str>) -> Selection {
        select::select(&self.scopes, self.no_match, reference, namespace)
    }

    /// Judges `assessment` (a document following `schemas/assessment.schema.json`).
    pub fn evaluate(&self, assessment: &serde_json::Value, request: Request<'_>) -> Result<Verdict> {
        let input = input::Assessment::from_json(assessment)?;
        let selection = self.select(&input.image.reference, request.namespace);
        let mut results = Vec::new();
        let enabled = match &selection {
            Selection::Rules { rules, .. } => rules.clone(),
            Selection::Exempt { .. } | Selection::NoMatch { .. } => return Ok(Verdict::unselected(&input.image.reference, selection)),
        };
        let active = exceptions::active(&self.exceptions, &input.image.reference, request.today, &mut results, enabled.as_deref());
        let cx = rules::Context { today: request.today };
        for rule in &self.rules {
            let id = rule.rule.id();
            if enabled.as_ref().is_some_and(|names| !names.iter().any(|n| n == id)) {
                continue;
            }
            let waivers = exceptions::Waivers::for_rule(&active, id);
            let outcome = rule.rule.evaluate(&input, &cx, &waivers);
            results.push(verdict::finish(rule, outcome, &waivers));
        }
        if enabled.as_ref().is_none_or(|names| names.iter().any(|n| n == "rego")) {
            for rego in &self.rego {
                for o in rego.evaluate(assessment)? {
                    results.push(RuleResult::from_rego(&o));
                }
            }
        }
        Ok(Verdict::new(&input.image.reference, selection, results))
    }
}

impl Policy {
    /// The policy `paths` name together, as `temper gate --policy` takes
    /// them: at most one `policy.toml`, `.rego` files (not `*_test.rego`)
    /// evaluated beside its rules in package `main`, and `.json`/`.yaml`
    /// data for them; a directory gives its `*.toml`, its `.rego` files
    /// (recursively) and its `data/` directory. Rego files without a
    /// `policy.toml` make a policy of those alone, as conftest runs them;
    /// no path at all is the [`Default`] policy.
    pub fn from_paths(paths: &[PathBuf]) -> Result<Self> {
        if paths.is_empty() {
            return Ok(Policy::default());
        }
        let (mut tomls, mut sources, mut data) = (Vec::new(), Vec::new(), Vec::new());
        for path in paths {
            if path.is_dir() {
                let entries = std::fs::read_dir(path).map_err(|source| Error::Read { path: path.clone(), source })?;
                let mut found: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.extension().is_some_and(|e| e == "toml") && p.is_file()).collect();
                found.sort();
                tomls.extend(found);
                sources.extend(rego::rego_files(path, false)?);
                data.extend(rego::data_files(path)?);
                continue;
            }
            match path.extension().and_then(|e| e.to_str()) {
                Some("toml") => tomls.push(path.clone()),
                Some("rego") => sources.push(path.clone()),
                Some("json" | "yaml" | "yml") => data.push(path.clone()),
                _ => return Err(Error::Invalid(format!("{}: not a policy file (policy.toml, .rego, or .json/.yaml data) nor a directory", path.display()))),
            }
        }
        if tomls.len() > 1 {
            let names: Vec<String> = tomls.iter().map(|p| p.display().to_string()).collect();
            return Err(Error::Invalid(format!("one policy.toml at a time, got {}; put the rules in one file", names.join(", "))));
        }
        let mut policy = match tomls.first() {
            Some(toml) => Policy::load(toml)?,
            None if sources.is_empty() => {
                let names: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
                return Err(Error::Invalid(format!("{}: no policy.toml and no .rego file", names.join(", "))));
            }
            None => Policy { path: None, no_match: NoMatch::Allow, scopes: Vec::new(), rules: Vec::new(), exceptions: Vec::new(), rego: Vec::new(), requirements: Requirements::default(), digest: String::new() },
        };
        if !sources.is_empty() {
            let mut hasher = Sha256::new();
            hasher.update(policy.digest.as_bytes());
            for p in sources.iter().chain(&data) {
                let bytes = config::read_bounded(p)?;
                digest_part(&mut hasher, p, &bytes);
            }
            policy.rego.push(Rego::load(&sources, &data, &["main".to_owned()])?);
            policy.digest = hex::encode(hasher.finalize());
        }
        Ok(policy)
    }

    /// The verdict on `reference` when the policy decides it without an
    /// assessment (an exempt scope, or `no-match` when no scope selects it);
    /// `None` when it must be assessed. The webhook asks this first, so an
    /// exempt image costs no registry call.
    pub fn decide_unassessed(&self, reference: &str, namespace: Option<&str>) -> Option<Verdict> {
        let selection = self.select(reference, namespace);
        (!selection.needs_assessment()).then(|| Verdict::unselected(reference, selection))
    }
}

/// Adds one file to the policy digest: its name and its bytes, each with its length.
fn digest_part(hasher: &mut Sha256, path: &Path, bytes: &[u8]) {
    let name = path.to_string_lossy();
    hasher.update((name.len() as u64).to_be_bytes());
    hasher.update(name.as_bytes());
    hasher.update((bytes.len() as u64).to_be_bytes());
    hasher.update(bytes);
}
