//! The assessment: everything temper knows about one image, from one
//! pass over its layers — inventory, findings (VEX and ignores applied),
//! hardening checks, secrets, layer figures, verified signatures and
//! attestations, and optionally a Dockerfile's lint. `scan`, `check`,
//! `gate` and the admission webhook call [`assess`]; its [`Assessment`]
//! is the documented JSON document (`schemas/assessment.schema.json`)
//! policies read as `input`.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;
use temper_advisory::db::AdvisoryDb;
use temper_check::secrets::AllowList;
use temper_check::{CheckResult, Settings};
use temper_finding::vex::Suppressions;
use temper_finding::{Matches, Severity, Suppressed};
use temper_image::OpenOptions;
use temper_image::registry::attach::Found;
use temper_layer::Limits;
use temper_layer::LayerReport;

use crate::hardening::{self, SecretReport};
use crate::pass::{self, CacheSettings, Scanned};
use crate::threshold::FailOn;
use crate::trust::{self, Outcome};
use crate::vulnerabilities::{self, Filter};
use crate::{Error, Opened, Reporter, advisories, target};

/// The `apiVersion` of the document this version writes.
pub const API_VERSION: &str = "temper.dev/assessment/v1";

/// The annotation (or label) naming the image's base, and its digest.
const BASE_NAME: &str = "org.opencontainers.image.base.name";
const BASE_DIGEST: &str = "org.opencontainers.image.base.digest";

/// The advisory database findings come from.
pub struct Advisories<'a> {
    /// The database.
    pub db: &'a AdvisoryDb,
    /// Its name in messages and in the document (`the advisory database PATH`).
    pub source: String,
    /// VEX statements and ignores.
    pub suppressions: &'a Suppressions,
    /// Warn instead of refusing when the database lacks an ecosystem the image has.
    pub allow_partial: bool,
    /// Which findings are kept.
    pub filter: Filter,
}

/// What signatures and attestations to verify, and with what.
#[derive(Default)]
pub struct Trust<'a> {
    /// Keys and keyless identities the image's signatures and attestations are checked with.
    pub policy: Option<&'a trust::Policy>,
    /// Predicate types (URIs) of the attestations to verify.
    pub attestation_types: Vec<String>,
    /// Keys the image's base is checked with (the base must be a golden image).
    pub base: Option<&'a trust::Policy>,
}

/// What to assess and how.
pub struct Request<'a> {
    /// The image as named (any source syntax); policies select by it.
    pub reference: &'a str,
    /// The manifest digest to read it at, when the caller resolved its tag
    /// already (the webhook pins what it judged); `None`: as `reference` names it.
    pub digest: Option<&'a str>,
    /// How to open it.
    pub open: &'a OpenOptions,
    /// The layer pass's limits.
    pub limits: &'a Limits,
    /// The per-layer cache.
    pub cache: &'a CacheSettings,
    /// Findings, when a database is given; none otherwise.
    pub advisories: Option<Advisories<'a>>,
    /// The hardening checks' settings.
    pub checks: &'a Settings,
    /// Secrets reviewed and allowed.
    pub secrets_allowed: &'a AllowList,
    /// Signatures and attestations.
    pub trust: Trust<'a>,
    /// The Dockerfile the image was built from, linted with the default rules.
    pub dockerfile: Option<&'a Path>,
}

impl Request<'_> {
    /// The reference with [`Request::digest`] pinned.
    fn pinned(&self) -> String {
        match self.digest {
            Some(d) if !self.reference.contains('@') => format!("{}@{d}", self.reference),
            _ => self.reference.to_owned(),
        }
    }
}

/// An image assessed: the document, and what front ends render beside it.
pub struct Assessed {
    /// The image and where it came from.
    pub opened: Opened,
    /// The layer pass.
    pub scanned: Scanned,
    /// Findings, when a database was given.
    pub matches: Option<Matches>,
    /// The hardening checks and secrets.
    pub hardening: hardening::Report,
    /// The document.
    pub assessment: Assessment,
}

/// The assessment document (see `schemas/assessment.schema.json`).
#[derive(Clone, Debug, Serialize)]
pub struct Assessment {
    /// [`API_VERSION`].
    #[serde(rename = "apiVersion")]
    pub api_version: &'static str,
    /// Identity, config, base, size.
    pub image: ImageFacts,
    /// dive's figures and each layer.
    pub layers: LayerFacts,
    /// The inventory.
    pub packages: Vec<PackageFacts>,
    /// Findings and their counts.
    pub vulnerabilities: VulnerabilityFacts,
    /// Every hardening check.
    pub checks: Vec<CheckResult>,
    /// Every secret not allowed.
    pub secrets: Vec<SecretReport>,
    /// Verified signatures.
    pub signatures: SignatureFacts,
    /// Verified attestations.
    pub attestations: Vec<AttestationFacts>,
    /// The Dockerfile's lint.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lint: Option<LintFacts>,
}

/// What the image is.
#[derive(Clone, Debug, Serialize)]
pub struct ImageFacts {
    /// As named.
    pub reference: String,
    /// Manifest digest.
    pub digest: Option<String>,
    /// `os/arch[/variant]`.
    pub platform: Option<String>,
    /// The distribution.
    pub os: Option<OsFacts>,
    /// The config's `created`.
    pub created: Option<String>,
    /// Runtime defaults.
    pub config: ConfigFacts,
    /// The base it names.
    pub base: Option<BaseFacts>,
    /// Stored and unpacked bytes.
    pub size: SizeFacts,
}

/// `/etc/os-release`.
#[derive(Clone, Debug, Serialize)]
pub struct OsFacts {
    /// `ID`.
    pub id: String,
    /// `VERSION_ID`.
    pub version: Option<String>,
    /// `PRETTY_NAME`.
    pub name: Option<String>,
}

/// The config's runtime defaults.
#[derive(Clone, Debug, Serialize)]
pub struct ConfigFacts {
    /// `User`, empty for root.
    pub user: String,
    /// `Env`.
    pub env: Vec<String>,
    /// `Labels`.
    pub labels: BTreeMap<String, String>,
    /// `Entrypoint`.
    pub entrypoint: Vec<String>,
    /// `Cmd`.
    pub cmd: Vec<String>,
    /// `WorkingDir`.
    pub workdir: Option<String>,
    /// `ExposedPorts`' keys.
    pub exposed_ports: Vec<String>,
}

/// The base image the image names.
#[derive(Clone, Debug, Serialize)]
pub struct BaseFacts {
    /// `org.opencontainers.image.base.name`.
    pub name: Option<String>,
    /// `org.opencontainers.image.base.digest`.
    pub digest: Option<String>,
    /// Who signed the base, when base keys were given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signers: Option<Vec<Signer>>,
}

/// Bytes.
#[derive(Clone, Debug, Serialize)]
pub struct SizeFacts {
    /// The layer blobs as stored.
    pub compressed: u64,
    /// The layers' uncompressed tars.
    pub uncompressed: u64,
}

/// dive's figures.
#[derive(Clone, Debug, Serialize)]
pub struct LayerFacts {
    /// Layers.
    pub count: usize,
    /// Bytes wasted.
    pub wasted_bytes: u64,
    /// Of the bytes the layers above the base add.
    pub wasted_percent: f64,
    /// dive's score, 0..=1.
    pub efficiency: f64,
    /// Each layer.
    pub items: Vec<LayerItem>,
}

/// One layer.
#[derive(Clone, Debug, Serialize)]
pub struct LayerItem {
    /// Position, base first.
    pub index: usize,
    /// diffID.
    pub digest: Option<String>,
    /// Bytes of the files it adds.
    pub size: u64,
    /// Its history entry's `created_by`.
    pub command: Option<String>,
}

/// One package.
#[derive(Clone, Debug, Serialize)]
pub struct PackageFacts {
    /// Name.
    pub name: String,
    /// Version.
    pub version: String,
    /// Ecosystem.
    pub ecosystem: temper_inventory::Ecosystem,
    /// purl.
    pub purl: String,
    /// Declared licences.
    pub licenses: Vec<String>,
    /// The layer that added it.
    pub layer: Option<usize>,
}

/// Findings.
#[derive(Clone, Debug, Serialize)]
pub struct VulnerabilityFacts {
    /// By severity.
    pub counts: Counts,
    /// Each finding.
    pub findings: Vec<temper_finding::Finding>,
    /// Findings VEX or an ignore file suppressed, with why.
    pub suppressed: Vec<Suppressed>,
    /// Where they come from; `None` when not assessed.
    pub database: Option<DatabaseFacts>,
}

/// Findings by severity.
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct Counts {
    /// CRITICAL.
    pub critical: usize,
    /// HIGH.
    pub high: usize,
    /// MEDIUM.
    pub medium: usize,
    /// LOW.
    pub low: usize,
    /// UNKNOWN.
    pub unknown: usize,
}

/// The advisory database.
#[derive(Clone, Debug, Serialize)]
pub struct DatabaseFacts {
    /// Its name.
    pub source: String,
    /// Last update, RFC 3339.
    pub updated: Option<String>,
}

/// Signatures.
#[derive(Clone, Debug, Default, Serialize)]
pub struct SignatureFacts {
    /// Whether they were looked for.
    pub checked: bool,
    /// Each that verified.
    pub verified: Vec<Signer>,
    /// How many were found that did not.
    pub invalid: usize,
}

/// Who signed, and where the signature was found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Signer {
    /// The key's id, for key signatures.
    pub key_id: Option<String>,
    /// The certificate's subject, for keyless ones.
    pub identity: Option<String>,
    /// Its OIDC issuer.
    pub issuer: Option<String>,
    /// `tag` or `referrer`.
    pub storage: &'static str,
}

/// A verified attestation.
#[derive(Clone, Debug, Serialize)]
pub struct AttestationFacts {
    /// The statement's predicate type.
    pub predicate_type: String,
    /// Who signed it.
    pub signer: Signer,
    /// The predicate.
    pub predicate: serde_json::Value,
}

/// A Dockerfile's lint.
#[derive(Clone, Debug, Serialize)]
pub struct LintFacts {
    /// The file as given.
    pub dockerfile: String,
    /// Each finding.
    pub findings: Vec<temper_lint::Finding>,
}

/// The largest Dockerfile read (real ones are a few KiB).
const MAX_DOCKERFILE_BYTES: u64 = 4 << 20;

/// Assesses the image `request` names: opens it, one layer pass feeding
/// every analyser (through the per-layer cache), then findings, checks,
/// signatures and attestations. A Dockerfile is read and parsed before
/// the image so that a wrong path fails fast.
pub fn assess(request: &Request<'_>, reporter: &dyn Reporter) -> Result<Assessed, Error> {
    let lint = request.dockerfile.map(lint_dockerfile).transpose()?;
    let opened = target::open(&request.pinned(), request.open)?;
    assess_linted(opened, lint, request, reporter)
}

/// [`assess`] of an image already opened (`request.reference` names it).
pub fn assess_opened(opened: Opened, request: &Request<'_>, reporter: &dyn Reporter) -> Result<Assessed, Error> {
    let lint = request.dockerfile.map(lint_dockerfile).transpose()?;
    assess_linted(opened, lint, request, reporter)
}

fn assess_linted(opened: Opened, lint: Option<LintFacts>, request: &Request<'_>, reporter: &dyn Reporter) -> Result<Assessed, Error> {
    let scanned = pass::scan(&opened.image, request.limits, request.cache, reporter, false)?;
    let matches = match &request.advisories {
        Some(a) => {
            advisories::require_coverage(a.db, &scanned.inventory, a.allow_partial, &a.source, reporter)?;
            Some(vulnerabilities::find(a.db, &scanned.inventory, a.suppressions, &a.filter)?)
        }
        None => None,
    };
    let hardening = hardening::assess(&opened.image, &scanned, request.checks, request.secrets_allowed, FailOn::Never);
    let signatures = match request.trust.policy {
        Some(policy) => signatures(&request.pinned(), policy, request.open)?,
        None => SignatureFacts::default(),
    };
    let mut attestations = Vec::new();
    if let Some(policy) = request.trust.policy {
        for predicate_type in &request.trust.attestation_types {
            let found = trust::verify_attestations(&request.pinned(), policy, predicate_type, request.open)?;
            attestations.extend(found.verified.into_iter().map(|v| AttestationFacts { predicate_type: v.statement.predicate_type.clone(), signer: signer(&v.key_id, &v.found), predicate: v.statement.predicate.clone() }));
        }
    }
    let database = match &request.advisories {
        Some(a) => Some(DatabaseFacts { source: a.source.clone(), updated: a.db.updated()?.and_then(rfc3339) }),
        None => None,
    };
    let mut image = image_facts(request.reference, &opened, &scanned);
    if let (Some(base), Some(policy)) = (image.base.as_mut(), request.trust.base) {
        base.signers = Some(base_signers(base, policy, request.open, reporter));
    }
    let report = LayerReport::build(&opened.image, &scanned.layers, &scanned.analysis);
    let assessment = Assessment {
        api_version: API_VERSION,
        image,
        layers: LayerFacts {
            count: report.layers.len(),
            wasted_bytes: report.wasted_bytes,
            wasted_percent: report.wasted_percent,
            efficiency: report.efficiency,
            items: report.layers.iter().map(|l| LayerItem { index: l.index, digest: l.diff_id.as_ref().map(ToString::to_string), size: l.added_bytes + l.modified_bytes, command: l.created_by.clone() }).collect(),
        },
        packages: scanned
            .inventory
            .packages
            .iter()
            .map(|p| PackageFacts { name: p.package.name.clone(), version: p.package.version.clone(), ecosystem: p.package.ecosystem, purl: p.purl.clone(), licenses: p.package.licenses.clone(), layer: p.layer })
            .collect(),
        vulnerabilities: VulnerabilityFacts {
            counts: matches.as_ref().map(counts).unwrap_or_default(),
            findings: matches.as_ref().map(|m| m.findings.clone()).unwrap_or_default(),
            suppressed: matches.as_ref().map(|m| m.suppressed.clone()).unwrap_or_default(),
            database,
        },
        checks: hardening.checks.clone(),
        secrets: hardening.secrets.clone(),
        signatures,
        attestations,
        lint,
    };
    Ok(Assessed { opened, scanned, matches, hardening, assessment })
}

fn counts(matches: &Matches) -> Counts {
    let mut c = Counts::default();
    for f in &matches.findings {
        *match f.severity {
            Severity::Critical => &mut c.critical,
            Severity::High => &mut c.high,
            Severity::Medium => &mut c.medium,
            Severity::Low => &mut c.low,
            Severity::Unknown => &mut c.unknown,
        } += 1;
    }
    c
}

fn rfc3339(unix: i64) -> Option<String> {
    time::OffsetDateTime::from_unix_timestamp(unix).ok().and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
}

fn image_facts(reference: &str, opened: &Opened, scanned: &Scanned) -> ImageFacts {
    let image = &opened.image;
    let c = &image.config.config;
    let annotation = |key: &str| image.annotations.get(key).or_else(|| c.labels.as_ref().and_then(|l| l.get(key))).cloned();
    let (base_name, base_digest) = (annotation(BASE_NAME), annotation(BASE_DIGEST));
    ImageFacts {
        reference: reference.to_owned(),
        digest: image.manifest.as_ref().map(|m| m.digest.to_string()),
        platform: image.platform().map(|p| p.to_string()),
        os: scanned.inventory.os.as_ref().map(|o| OsFacts { id: o.id.clone(), version: o.version_id.clone(), name: o.pretty_name.clone() }),
        created: image.config.created.clone(),
        config: ConfigFacts {
            user: c.user.clone().unwrap_or_default(),
            env: c.env.clone().unwrap_or_default(),
            labels: c.labels.clone().unwrap_or_default(),
            entrypoint: c.entrypoint.clone().unwrap_or_default(),
            cmd: c.cmd.clone().unwrap_or_default(),
            workdir: c.working_dir.clone().filter(|w| !w.is_empty()),
            exposed_ports: c.exposed_ports.as_ref().map(|p| p.keys().cloned().collect()).unwrap_or_default(),
        },
        base: (base_name.is_some() || base_digest.is_some()).then_some(BaseFacts { name: base_name, digest: base_digest, signers: None }),
        size: SizeFacts { compressed: scanned.layers.iter().map(|l| l.compressed_size).sum(), uncompressed: scanned.layers.iter().map(|l| l.uncompressed_size).sum() },
    }
}

/// A verifier's `key_id`: a key's id, or `subject (issuer)` for a certificate.
fn signer(key_id: &str, found: &Found) -> Signer {
    let storage = match found {
        Found::Tag(_) => "tag",
        Found::Referrer(_) => "referrer",
    };
    match key_id.strip_suffix(')').and_then(|s| s.rsplit_once(" (")) {
        Some((identity, issuer)) => Signer { key_id: None, identity: Some(identity.to_owned()), issuer: Some(issuer.to_owned()), storage },
        None => Signer { key_id: Some(key_id.to_owned()), identity: None, issuer: None, storage },
    }
}

fn signatures(reference: &str, policy: &trust::Policy, open: &OpenOptions) -> Result<SignatureFacts, Error> {
    let verification = trust::verify_with(reference, policy, open)?;
    let mut facts = SignatureFacts { checked: true, ..Default::default() };
    for c in &verification.signatures {
        match (c.outcome, &c.key_id) {
            (Outcome::Verified, Some(key_id)) => facts.verified.push(signer(key_id, &c.found)),
            (Outcome::Invalid, _) => facts.invalid += 1,
            _ => {}
        }
    }
    Ok(facts)
}

/// The base's verified signers; a base that cannot be read has none, with
/// a warning (a policy requiring a signed base then fails, naming it).
fn base_signers(base: &BaseFacts, policy: &trust::Policy, open: &OpenOptions, reporter: &dyn Reporter) -> Vec<Signer> {
    let reference = match (&base.name, &base.digest) {
        (Some(name), Some(digest)) => format!("{}@{digest}", name.split_once('@').map_or(name.as_str(), |(n, _)| n)),
        (Some(name), None) => name.clone(),
        (None, _) => {
            reporter.warn("the base names a digest but no image; its signatures cannot be looked up");
            return Vec::new();
        }
    };
    match signatures(&reference, policy, open) {
        Ok(facts) => facts.verified,
        Err(e) => {
            reporter.warn(&format!("base {reference}: signatures not verified: {e}"));
            Vec::new()
        }
    }
}

/// The Dockerfile at `path` (`--dockerfile`), read within its size limit
/// and parsed; errors name the flag and the file.
pub fn read_dockerfile(path: &Path) -> Result<temper_dockerfile::Dockerfile, Error> {
    let io = |e: std::io::Error| Error::Input(format!("--dockerfile {}: {e}", path.display()));
    let size = std::fs::metadata(path).map_err(io)?.len();
    if size > MAX_DOCKERFILE_BYTES {
        return Err(Error::Input(format!("--dockerfile {}: {size} bytes, over the {MAX_DOCKERFILE_BYTES}-byte limit", path.display())));
    }
    let text = String::from_utf8(std::fs::read(path).map_err(io)?).map_err(|_| Error::Input(format!("--dockerfile {}: not UTF-8 text", path.display())))?;
    temper_dockerfile::parse(&text).map_err(|e| Error::Input(format!("--dockerfile {}:{}:{}: {}; `temper lint` shows it", path.display(), e.position.line, e.position.column, e.kind)))
}

fn lint_dockerfile(path: &Path) -> Result<LintFacts, Error> {
    let df = read_dockerfile(path)?;
    let dockerignore = path.parent().map(|d| d.join(".dockerignore")).and_then(|p| std::fs::read_to_string(p).ok());
    let config = temper_lint::Config::default();
    let findings = temper_lint::lint(&df, &temper_lint::Context { config: &config, dockerignore: dockerignore.as_deref(), build_context: true });
    Ok(LintFacts { dockerfile: path.display().to_string(), findings })
}
