//! Signing an image in its registry and verifying what is attached to it,
//! the one path `temper sign`/`verify` and (later) the gate and the
//! admission webhook share.
//!
//! A signature is cosign's, stored two ways (both unless told):
//! - legacy: the simple-signing payload of the manifest digest as a layer of
//!   the `sha256-<hex>.sig` tag, the signature in its
//!   `dev.cosignproject.cosign/signature` annotation;
//! - bundle: a Sigstore bundle v0.3 (public-key material) holding a DSSE
//!   envelope of an in-toto statement about the digest with cosign's
//!   signing predicate type, attached as an OCI 1.1 referrer.
//!
//! Verification reads both places, checks every signature found with the
//! keys given (nothing in a payload is used before its signature checks)
//! and reports each one; the outcome is the best of them: verified, else
//! signed by another key, else invalid, else none found.

use std::collections::BTreeMap;

use serde::Serialize;
use temper_image::registry::attach::{Attachments, Found};
use temper_image::{Digest, OpenOptions, RegistryRef, Source};
use temper_trust::verify::{self, Attested, Expected, VerifyError};
use temper_trust::{Bundle, Envelope, SigningKey, SimpleSigning, Statement, VerifyingKey};

use crate::Error;

/// The predicate type cosign gives the statement of a bundle signature.
pub const SIGN_PREDICATE: &str = "https://sigstore.dev/cosign/sign/v1";

/// Where signatures go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Storage {
    /// Both the `.sig` tag and a bundle referrer.
    Both,
    /// The `.sig` tag only (verifiers before OCI 1.1).
    Legacy,
    /// A bundle referrer only.
    Bundle,
}

/// How to sign.
#[derive(Clone, Debug)]
pub struct SignOptions {
    /// Where.
    pub storage: Storage,
    /// `-a key=value`: the payload's `optional` section.
    pub annotations: BTreeMap<String, String>,
    /// Each platform manifest of an index too.
    pub recursive: bool,
}

/// One manifest signed.
#[derive(Clone, Debug, Serialize)]
pub struct SignedManifest {
    /// Its digest.
    pub digest: String,
    /// Where its signatures went.
    pub stored: Vec<Found>,
}

/// A registry image's manifest (or index) to sign or verify.
struct Subject {
    repo: RegistryRef,
    digest: Digest,
    media_type: String,
    size: u64,
}

fn registry_of(reference: &str) -> Result<RegistryRef, Error> {
    match Source::parse(reference)? {
        Source::Registry(r) => Ok(r),
        _ => Err(Error::Image(temper_image::Error::Select { image: reference.to_owned(), reason: "signatures are read and written in a registry; give a registry reference (HOST/REPO:TAG or HOST/REPO@sha256:…)".into() })),
    }
}

/// The image's top document (the index when it has one) and, with
/// `recursive`, each platform's manifest.
fn subjects(reference: &str, opts: &OpenOptions, recursive: bool) -> Result<Vec<Subject>, Error> {
    let repo = registry_of(reference)?;
    let opened = crate::target::open_any_platform(reference, opts)?;
    let image = &opened.image;
    let top = image.index.as_ref().or(image.manifest.as_ref()).ok_or_else(|| temper_image::Error::Select { image: reference.to_owned(), reason: "the registry gave no manifest".into() })?;
    let mut out = vec![Subject { repo: repo.clone(), digest: top.digest.clone(), media_type: top.media_type.clone(), size: top.size }];
    if recursive && image.index.is_some() {
        for platform in &image.platforms {
            let mut o = opts.clone();
            o.platform = Some(platform.clone());
            let one = temper_image::open(&Source::Registry(repo.clone()), &o)?;
            if let Some(m) = one.manifest {
                out.push(Subject { repo: repo.clone(), digest: m.digest, media_type: m.media_type, size: m.size });
            }
        }
    }
    Ok(out)
}

/// The name cosign writes as `docker-reference`: the repository, no tag or digest.
fn docker_reference(repo: &RegistryRef) -> String {
    format!("{}/{}", repo.registry, repo.repository)
}

/// Signs `reference` (a registry image) with `key`.
pub fn sign(reference: &str, key: &SigningKey, opts: &OpenOptions, sign: &SignOptions) -> Result<Vec<SignedManifest>, Error> {
    let mut out = Vec::new();
    for subject in subjects(reference, opts, sign.recursive)? {
        let store = Attachments::new(&subject.repo, &opts.registry)?;
        let name = docker_reference(&subject.repo);
        let digest = subject.digest.to_string();
        let mut stored = Vec::new();
        if sign.storage != Storage::Bundle {
            let mut payload = SimpleSigning::new(&name, &digest);
            payload.annotations = sign.annotations.iter().map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone()))).collect();
            let bytes = payload.to_json();
            let signature = base64_std(&key.sign(&bytes));
            let annotations = BTreeMap::from([(temper_trust::payload::SIGNATURE_ANNOTATION.to_owned(), signature)]);
            store.append_tag_layer(&subject.digest, "sig", &bytes, temper_trust::payload::MEDIA_TYPE, &annotations)?;
            stored.push(Found::Tag(format!("{}:{}", subject.repo.repository, subject.digest.to_string().replacen(':', "-", 1) + ".sig")));
        }
        if sign.storage != Storage::Legacy {
            let predicate = if sign.annotations.is_empty() { serde_json::json!({}) } else { serde_json::json!({ "annotations": sign.annotations }) };
            let statement = Statement::new(&name, &digest, SIGN_PREDICATE, predicate);
            let envelope = Envelope::sign(temper_trust::dsse::INTOTO_PAYLOAD_TYPE, statement.to_json(), key);
            let bundle = Bundle::for_dsse(envelope, &key.public());
            let bytes = bundle.to_json().into_bytes();
            let referrer = store.attach_referrer((&subject.digest, &subject.media_type, subject.size), temper_trust::bundle::MEDIA_TYPE_V03, &bytes, temper_trust::bundle::MEDIA_TYPE_V03, &BTreeMap::new())?;
            stored.push(Found::Referrer(referrer.to_string()));
        }
        out.push(SignedManifest { digest, stored });
    }
    Ok(out)
}

fn base64_std(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// One signature found, and what became of it.
#[derive(Clone, Debug, Serialize)]
pub struct Checked {
    /// Where it was found.
    pub found: Found,
    /// `verified`, `mismatch` or `invalid`.
    pub outcome: Outcome,
    /// The key that verified it ([`VerifyingKey::key_id`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
    /// Why it did not verify.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// A signature's outcome, best first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Verified with a given key.
    Verified,
    /// Valid in form, but by none of the keys.
    Mismatch,
    /// Malformed, tampered or about another image.
    Invalid,
}

/// What verification found for one image.
#[derive(Clone, Debug, Serialize)]
pub struct Verification {
    /// The image's (top) manifest digest.
    pub digest: String,
    /// Every signature found.
    pub signatures: Vec<Checked>,
}

impl Verification {
    /// The best outcome, `None` when nothing was found.
    pub fn outcome(&self) -> Option<Outcome> {
        self.signatures.iter().map(|c| c.outcome).min()
    }
}

fn checked(found: Found, result: Result<String, VerifyError>) -> Checked {
    match result {
        Ok(key_id) => Checked { found, outcome: Outcome::Verified, key_id: Some(key_id), reason: None },
        Err(VerifyError::Mismatch(r)) => Checked { found, outcome: Outcome::Mismatch, key_id: None, reason: Some(r) },
        Err(VerifyError::Invalid(r)) => Checked { found, outcome: Outcome::Invalid, key_id: None, reason: Some(r) },
    }
}

/// Verifies the signatures of `reference` (a registry image) with `keys`;
/// touches nothing but the image's own registry.
pub fn verify(reference: &str, keys: &[VerifyingKey], opts: &OpenOptions) -> Result<Verification, Error> {
    let subject = subjects(reference, opts, false)?.remove(0);
    let store = Attachments::new(&subject.repo, &opts.registry)?;
    check(&store, &subject.digest, keys)
}

/// Verifies image after image of one repository over one connection (and
/// one token): what a long-running caller such as the admission webhook
/// keeps, where [`verify`] connects afresh, twice (the image, then its
/// attachments), and reads the image's config as well as its manifest.
pub struct Verifier {
    repo: RegistryRef,
    store: Attachments,
}

impl Verifier {
    /// Connects to the repository of `reference` (a registry image; its
    /// tag or digest is not read here).
    pub fn new(reference: &str, opts: &OpenOptions) -> Result<Self, Error> {
        let repo = registry_of(reference)?;
        let store = Attachments::new(&repo, &opts.registry)?;
        Ok(Verifier { repo, store })
    }

    /// Verifies the signatures of `reference`, an image of this verifier's
    /// repository: its tag is resolved to a digest on every call (a tag may
    /// move), then the signatures of that digest are checked as [`verify`] does.
    pub fn verify(&self, reference: &str, keys: &[VerifyingKey]) -> Result<Verification, Error> {
        let wanted = registry_of(reference)?;
        if wanted.registry != self.repo.registry || wanted.repository != self.repo.repository {
            let reason = format!("this verifier is connected to {}/{}; open another for this repository", self.repo.registry, self.repo.repository);
            return Err(Error::Image(temper_image::Error::Select { image: reference.to_owned(), reason }));
        }
        let name = match (&wanted.digest, &wanted.tag) {
            (Some(d), _) => d.to_string(),
            (None, Some(t)) => t.clone(),
            (None, None) => "latest".to_owned(),
        };
        check(&self.store, &self.store.resolve(&name)?, keys)
    }
}

/// Checks every signature of `subject` found through `store`.
fn check(store: &Attachments, subject: &Digest, keys: &[VerifyingKey]) -> Result<Verification, Error> {
    let digest = subject.to_string();
    let mut signatures = Vec::new();
    let tag = format!("{}.sig", digest.replacen(':', "-", 1));
    for layer in store.tag_layers(subject, "sig")? {
        let found = Found::Tag(format!("{tag} layer {}", layer.digest));
        let Some(signature) = layer.annotations.get(temper_trust::payload::SIGNATURE_ANNOTATION) else {
            signatures.push(checked(found, Err(VerifyError::Invalid(format!("no {} annotation", temper_trust::payload::SIGNATURE_ANNOTATION)))));
            continue;
        };
        signatures.push(checked(found, verify::simple_signing(&layer.bytes, signature, &digest, keys).map(|v| v.key_id)));
    }
    for referrer in store.referrers(subject)? {
        if !referrer.artifact_type.starts_with("application/vnd.dev.sigstore.bundle") {
            continue;
        }
        for (_, bytes) in &referrer.layers {
            let result = verify::bundle(bytes, Expected::ImageDigest(&digest), keys);
            // A verified attestation (another predicate) is not a signature of the image.
            if let Ok(v) = &result
                && let Attested::Statement(s) = &v.content
                && s.predicate_type != SIGN_PREDICATE
            {
                continue;
            }
            signatures.push(checked(Found::Referrer(referrer.digest.to_string()), result.map(|v| v.key_id)));
        }
    }
    Ok(Verification { digest, signatures })
}
