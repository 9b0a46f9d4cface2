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

/// Where an image and its attachments live.
#[derive(Clone)]
enum Place {
    Registry(RegistryRef),
    Layout(std::path::PathBuf),
}

impl Place {
    fn store(&self, opts: &OpenOptions) -> Result<Attachments, Error> {
        Ok(match self {
            Place::Registry(r) => Attachments::new(r, &opts.registry)?,
            Place::Layout(dir) => Attachments::layout(dir)?,
        })
    }

    /// The name cosign writes as `docker-reference`: the repository (no
    /// tag or digest), or the layout's directory.
    fn name(&self) -> String {
        match self {
            Place::Registry(r) => format!("{}/{}", r.registry, r.repository),
            Place::Layout(dir) => dir.display().to_string(),
        }
    }
}

/// An image's manifest (or index) to sign or verify.
struct Subject {
    place: Place,
    digest: Digest,
    media_type: String,
    size: u64,
}

fn place_of(reference: &str) -> Result<(Place, Source), Error> {
    let source = Source::parse(reference)?;
    let place = match &source {
        Source::Registry(r) => Place::Registry(r.clone()),
        Source::OciDir { path, .. } => Place::Layout(path.clone()),
        _ => return Err(Error::Image(temper_image::Error::Select { image: reference.to_owned(), reason: "signatures live beside the image in a registry or an OCI layout; give HOST/REPO:TAG or oci:DIR[:TAG]".into() })),
    };
    Ok((place, source))
}

/// The image's top document (the index when it has one) and, with
/// `recursive`, each platform's manifest.
fn subjects(reference: &str, opts: &OpenOptions, recursive: bool) -> Result<Vec<Subject>, Error> {
    let (place, source) = place_of(reference)?;
    let opened = crate::target::open_any_platform(reference, opts)?;
    let image = &opened.image;
    // `--platform` names one manifest of an index; otherwise the top document.
    let top = if opts.platform.is_some() { image.manifest.as_ref() } else { image.index.as_ref().or(image.manifest.as_ref()) };
    let top = top.ok_or_else(|| temper_image::Error::Select { image: reference.to_owned(), reason: "no manifest to sign".into() })?;
    let mut out = vec![Subject { place: place.clone(), digest: top.digest.clone(), media_type: top.media_type.clone(), size: top.size }];
    if recursive && image.index.is_some() {
        for platform in &image.platforms {
            let mut o = opts.clone();
            o.platform = Some(platform.clone());
            let one = temper_image::open(&source, &o)?;
            if let Some(m) = one.manifest {
                out.push(Subject { place: place.clone(), digest: m.digest, media_type: m.media_type, size: m.size });
            }
        }
    }
    Ok(out)
}

/// Signs `reference` (a registry image or an OCI layout) with `key`.
pub fn sign(reference: &str, key: &SigningKey, opts: &OpenOptions, sign: &SignOptions) -> Result<Vec<SignedManifest>, Error> {
    let mut out = Vec::new();
    for subject in subjects(reference, opts, sign.recursive)? {
        let store = subject.place.store(opts)?;
        let name = subject.place.name();
        let digest = subject.digest.to_string();
        let mut stored = Vec::new();
        if sign.storage != Storage::Bundle {
            let mut payload = SimpleSigning::new(&name, &digest);
            payload.annotations = sign.annotations.iter().map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone()))).collect();
            let bytes = payload.to_json();
            let signature = base64_std(&key.sign(&bytes));
            let annotations = BTreeMap::from([(temper_trust::payload::SIGNATURE_ANNOTATION.to_owned(), signature)]);
            store.append_tag_layer(&subject.digest, "sig", &bytes, temper_trust::payload::MEDIA_TYPE, &annotations)?;
            stored.push(Found::Tag(format!("{}.sig", digest.replacen(':', "-", 1))));
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

/// What a signature must verify with: public keys, and for keyless
/// bundles (a Fulcio certificate) a trusted root and the signer's identity.
#[derive(Clone, Debug, Default)]
pub struct Policy {
    /// Public keys (a rotation set: any one).
    pub keys: Vec<VerifyingKey>,
    /// `trusted_root.json` and the signers a certificate may name.
    pub keyless: Option<Keyless>,
}

/// Keyless trust: the root certificates chain to, and the identities that
/// count (any one).
#[derive(Clone, Debug)]
pub struct Keyless {
    /// The Sigstore trusted root.
    pub root: temper_trust::keyless::TrustedRoot,
    /// Who may have signed.
    pub identities: Vec<temper_trust::keyless::Identity>,
}

/// Verifies one bundle by the material it carries: a public key against
/// the policy's keys, a certificate against its trusted root and identity.
/// Gives who signed (a key id, or `identity (issuer)`) and what.
fn check_bundle(bytes: &[u8], digest: &str, policy: &Policy) -> Result<(String, Attested), VerifyError> {
    let keyless = Bundle::parse(bytes).map(|b| !matches!(b.material, temper_trust::bundle::Material::PublicKey { .. })).unwrap_or(false);
    if !keyless {
        let v = verify::bundle(bytes, Expected::ImageDigest(digest), &policy.keys)?;
        return Ok((v.key_id, v.content));
    }
    let Some(keyless) = policy.keyless.as_ref().filter(|k| !k.identities.is_empty()) else {
        return Err(VerifyError::Mismatch("a keyless bundle (a certificate, not a key); give --trusted-root and --certificate-identity and --certificate-oidc-issuer".into()));
    };
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    // Each identity is a full verification; an invalid bundle is invalid for all of them.
    let mut refusal = None;
    for identity in &keyless.identities {
        match temper_trust::keyless::verify(bytes, Expected::ImageDigest(digest), &keyless.root, identity, now) {
            Ok(v) => return Ok((format!("{} ({})", v.subject, v.issuer), v.content)),
            Err(e @ VerifyError::Invalid(_)) => return Err(e),
            Err(e) => refusal = refusal.or(Some(e)),
        }
    }
    Err(refusal.unwrap_or_else(|| VerifyError::Mismatch("no identity to verify a keyless bundle with".into())))
}

/// One signature found, and what became of it.
#[derive(Clone, Debug, Serialize)]
pub struct Checked {
    /// Where it was found.
    pub found: Found,
    /// `verified`, `mismatch` or `invalid`.
    pub outcome: Outcome,
    /// The key that verified it ([`VerifyingKey::key_id`]), or for a keyless
    /// bundle the certificate's identity and issuer.
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

/// Verifies the signatures of `reference` (a registry image or an OCI
/// layout) with `keys`; touches nothing but the image's own registry.
pub fn verify(reference: &str, keys: &[VerifyingKey], opts: &OpenOptions) -> Result<Verification, Error> {
    verify_with(reference, &Policy { keys: keys.to_vec(), keyless: None }, opts)
}

/// [`verify`] with a whole [`Policy`] (keys and keyless).
pub fn verify_with(reference: &str, policy: &Policy, opts: &OpenOptions) -> Result<Verification, Error> {
    let subject = subjects(reference, opts, false)?.remove(0);
    check(&subject.place.store(opts)?, &subject.digest, policy)
}

/// Verifies image after image of one repository over one connection (and
/// one token): what a long-running caller such as the admission webhook
/// keeps, where [`verify_with`] connects afresh, twice (the image, then its
/// attachments), and reads the image's config as well as its manifest.
pub struct Verifier {
    repo: RegistryRef,
    store: Attachments,
}

impl Verifier {
    /// Connects to the repository of `reference` (a registry image; its
    /// tag or digest is not read here).
    pub fn new(reference: &str, opts: &OpenOptions) -> Result<Self, Error> {
        let (Place::Registry(repo), _) = place_of(reference)? else {
            return Err(Error::Image(temper_image::Error::Select { image: reference.to_owned(), reason: "a Verifier keeps a registry connection; verify a layout with verify_with".into() }));
        };
        let store = Attachments::new(&repo, &opts.registry)?;
        Ok(Verifier { repo, store })
    }

    /// Verifies the signatures of `reference`, an image of this verifier's
    /// repository: its tag is resolved to a digest on every call (a tag may
    /// move), then the signatures of that digest are checked as [`verify_with`] does.
    pub fn verify(&self, reference: &str, policy: &Policy) -> Result<Verification, Error> {
        let (Place::Registry(wanted), _) = place_of(reference)? else {
            return Err(Error::Image(temper_image::Error::Select { image: reference.to_owned(), reason: "not a registry image".into() }));
        };
        if wanted.registry != self.repo.registry || wanted.repository != self.repo.repository {
            let reason = format!("this verifier is connected to {}/{}; open another for this repository", self.repo.registry, self.repo.repository);
            return Err(Error::Image(temper_image::Error::Select { image: reference.to_owned(), reason }));
        }
        let name = match (&wanted.digest, &wanted.tag) {
            (Some(d), _) => d.to_string(),
            (None, Some(t)) => t.clone(),
            (None, None) => "latest".to_owned(),
        };
        check(&self.store, &self.store.resolve(&name)?, policy)
    }
}

/// Checks every signature of `subject` found through `store`.
fn check(store: &Attachments, subject: &Digest, policy: &Policy) -> Result<Verification, Error> {
    let digest = subject.to_string();
    let mut signatures = Vec::new();
    let tag = format!("{}.sig", digest.replacen(':', "-", 1));
    for layer in store.tag_layers(subject, "sig")? {
        let found = Found::Tag(format!("{tag} layer {}", layer.digest));
        let Some(signature) = layer.annotations.get(temper_trust::payload::SIGNATURE_ANNOTATION) else {
            signatures.push(checked(found, Err(VerifyError::Invalid(format!("no {} annotation", temper_trust::payload::SIGNATURE_ANNOTATION)))));
            continue;
        };
        signatures.push(checked(found, verify::simple_signing(&layer.bytes, signature, &digest, &policy.keys).map(|v| v.key_id)));
    }
    for referrer in store.referrers(subject)? {
        if !referrer.artifact_type.starts_with("application/vnd.dev.sigstore.bundle") {
            continue;
        }
        for (_, bytes) in &referrer.layers {
            let result = check_bundle(bytes, &digest, policy);
            // A verified attestation (another predicate) is not a signature of the image.
            if let Ok((_, Attested::Statement(s))) = &result
                && s.predicate_type != SIGN_PREDICATE
            {
                continue;
            }
            signatures.push(checked(Found::Referrer(referrer.digest.to_string()), result.map(|(who, _)| who)));
        }
    }
    Ok(Verification { digest, signatures })
}

/// The media type of a legacy `.att` layer (a DSSE envelope).
pub const DSSE_MEDIA_TYPE: &str = "application/vnd.dsse.envelope.v1+json";
/// The annotation naming the predicate type, on `.att` layers and bundle referrers.
const PREDICATE_TYPE_ANNOTATION: &str = "predicateType";
/// cosign's annotation on bundle referrers.
const BUNDLE_PREDICATE_ANNOTATION: &str = "dev.sigstore.bundle.predicateType";

/// Attests `reference` (a registry image): an in-toto statement of
/// `predicate_type` about its manifest digest, in a DSSE envelope signed
/// with `key`, stored as a bundle referrer and (unless `storage` says
/// otherwise) a `.att` layer for verifiers before OCI 1.1.
pub fn attest(reference: &str, key: &SigningKey, predicate_type: &str, predicate: serde_json::Value, opts: &OpenOptions, storage: Storage) -> Result<Vec<SignedManifest>, Error> {
    let mut out = Vec::new();
    for subject in subjects(reference, opts, false)? {
        out.push(attest_subject(&subject, key, predicate_type, predicate.clone(), opts, storage)?);
    }
    Ok(out)
}

/// [`attest`] to one manifest of `reference`'s index (one platform's),
/// given by its digest, media type and size.
pub fn attest_manifest(reference: &str, manifest: (&Digest, &str, u64), key: &SigningKey, predicate_type: &str, predicate: serde_json::Value, opts: &OpenOptions, storage: Storage) -> Result<SignedManifest, Error> {
    let (place, _) = place_of(reference)?;
    let subject = Subject { place, digest: manifest.0.clone(), media_type: manifest.1.to_owned(), size: manifest.2 };
    attest_subject(&subject, key, predicate_type, predicate, opts, storage)
}

fn attest_subject(subject: &Subject, key: &SigningKey, predicate_type: &str, predicate: serde_json::Value, opts: &OpenOptions, storage: Storage) -> Result<SignedManifest, Error> {
    let store = subject.place.store(opts)?;
    let digest = subject.digest.to_string();
    let statement = Statement::new(&subject.place.name(), &digest, predicate_type, predicate);
    let envelope = Envelope::sign(temper_trust::dsse::INTOTO_PAYLOAD_TYPE, statement.to_json(), key);
    let mut stored = Vec::new();
    if storage != Storage::Bundle {
        let annotations = BTreeMap::from([(PREDICATE_TYPE_ANNOTATION.to_owned(), predicate_type.to_owned())]);
        store.append_tag_layer(&subject.digest, "att", envelope.to_json().as_bytes(), DSSE_MEDIA_TYPE, &annotations)?;
        stored.push(Found::Tag(format!("{}.att", digest.replacen(':', "-", 1))));
    }
    if storage != Storage::Legacy {
        let bytes = Bundle::for_dsse(envelope, &key.public()).to_json().into_bytes();
        let annotations = BTreeMap::from([(BUNDLE_PREDICATE_ANNOTATION.to_owned(), predicate_type.to_owned())]);
        let referrer = store.attach_referrer((&subject.digest, &subject.media_type, subject.size), temper_trust::bundle::MEDIA_TYPE_V03, &bytes, temper_trust::bundle::MEDIA_TYPE_V03, &annotations)?;
        stored.push(Found::Referrer(referrer.to_string()));
    }
    Ok(SignedManifest { digest, stored })
}

/// What verifying an image's attestations of one type found.
#[derive(Clone, Debug, Serialize)]
pub struct Attestations {
    /// The image's (top) manifest digest.
    pub digest: String,
    /// Every attestation found that could be of the type (verified ones of
    /// other types are left out).
    pub checked: Vec<Checked>,
    /// The statements that verified, with the key each verified with: the
    /// only attestation data later stages may read.
    pub verified: Vec<VerifiedStatement>,
}

/// A statement whose signature checked out.
#[derive(Clone, Debug, Serialize)]
pub struct VerifiedStatement {
    /// The key it verified with.
    pub key_id: String,
    /// Where it was found.
    pub found: Found,
    /// The statement.
    pub statement: Statement,
}

impl Attestations {
    /// The best outcome, `None` when nothing was found.
    pub fn outcome(&self) -> Option<Outcome> {
        self.checked.iter().map(|c| c.outcome).min()
    }
}

/// Verifies the attestations of `predicate_type` attached to `reference`
/// (`.att` layers and bundle referrers) with `keys`.
pub fn verify_attestations(reference: &str, policy: &Policy, predicate_type: &str, opts: &OpenOptions) -> Result<Attestations, Error> {
    let subject = subjects(reference, opts, false)?.remove(0);
    let store = subject.place.store(opts)?;
    let digest = subject.digest.to_string();
    let mut found: Vec<(Found, Result<temper_trust::Verified<Statement>, VerifyError>)> = Vec::new();
    let tag = format!("{}.att", digest.replacen(':', "-", 1));
    for layer in store.tag_layers(&subject.digest, "att")? {
        let at = Found::Tag(format!("{tag} layer {}", layer.digest));
        let result = Envelope::parse(&layer.bytes).map_err(|e| VerifyError::Invalid(e.to_string())).and_then(|e| verify::envelope(&e, &digest, &policy.keys));
        found.push((at, result));
    }
    for referrer in store.referrers(&subject.digest)? {
        if !referrer.artifact_type.starts_with("application/vnd.dev.sigstore.bundle") {
            continue;
        }
        for (_, bytes) in &referrer.layers {
            let result = match check_bundle(bytes, &digest, policy) {
                Ok((key_id, Attested::Statement(statement))) => Ok(temper_trust::Verified { key_id, content: statement }),
                // A verified message signature signs the image; it attests nothing.
                Ok((_, Attested::Message { .. })) => continue,
                Err(e) => Err(e),
            };
            found.push((Found::Referrer(referrer.digest.to_string()), result));
        }
    }
    let mut results = Vec::new();
    let mut verified = Vec::new();
    for (at, result) in found {
        match result {
            Ok(v) if v.content.predicate_type == predicate_type => {
                results.push(checked(at.clone(), Ok(v.key_id.clone())));
                verified.push(VerifiedStatement { key_id: v.key_id, found: at, statement: v.content });
            }
            // Verified, but of another type (a signature's statement among them).
            Ok(_) => {}
            Err(e) => results.push(checked(at, Err(e))),
        }
    }
    Ok(Attestations { digest, checked: results, verified })
}

/// What is attached to an image, as found (nothing verified): `temper tree`.
#[derive(Clone, Debug, Serialize)]
pub struct Tree {
    /// The image's (top) manifest digest.
    pub digest: String,
    /// The `.sig`, `.att` and `.sbom` tags found, with their layers.
    pub tags: Vec<TreeTag>,
    /// The referrers.
    pub referrers: Vec<TreeReferrer>,
    /// Whether the registry's referrers API listed them (else the tag-schema index).
    pub referrers_api: bool,
}

/// A cosign tag and its layers.
#[derive(Clone, Debug, Serialize)]
pub struct TreeTag {
    /// `signatures`, `attestations` or `sboms`.
    pub kind: &'static str,
    /// The tag.
    pub tag: String,
    /// Each layer: digest, media type, and the predicate type an attestation layer names.
    pub layers: Vec<TreeItem>,
}

/// One attached item.
#[derive(Clone, Debug, Serialize)]
pub struct TreeItem {
    /// Its digest.
    pub digest: String,
    /// Its media type.
    pub media_type: String,
    /// The predicate type it names (unverified).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub predicate_type: Option<String>,
}

/// A referrer.
#[derive(Clone, Debug, Serialize)]
pub struct TreeReferrer {
    /// The referrer manifest's digest.
    pub digest: String,
    /// Its artifact type.
    pub artifact_type: String,
    /// The predicate type its annotations name (unverified).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub predicate_type: Option<String>,
}

/// Lists what is attached to `reference`, by tag schema and by referrers.
pub fn tree(reference: &str, opts: &OpenOptions) -> Result<Tree, Error> {
    let subject = subjects(reference, opts, false)?.remove(0);
    let store = subject.place.store(opts)?;
    let digest = subject.digest.to_string();
    let mut tags = Vec::new();
    for (kind, suffix) in [("signatures", "sig"), ("attestations", "att"), ("sboms", "sbom")] {
        let Some(manifest) = store.tag_manifest(&subject.digest, suffix)? else { continue };
        let layers = manifest["layers"].as_array().into_iter().flatten().map(|l| TreeItem {
            digest: l["digest"].as_str().unwrap_or_default().to_owned(),
            media_type: l["mediaType"].as_str().unwrap_or_default().to_owned(),
            predicate_type: l["annotations"][PREDICATE_TYPE_ANNOTATION].as_str().map(str::to_owned),
        }).collect();
        tags.push(TreeTag { kind, tag: format!("{}.{suffix}", digest.replacen(':', "-", 1)), layers });
    }
    let (descriptors, referrers_api) = store.referrer_descriptors(&subject.digest)?;
    let referrers = descriptors.iter().map(|d| TreeReferrer {
        digest: d["digest"].as_str().unwrap_or_default().to_owned(),
        artifact_type: d["artifactType"].as_str().unwrap_or_default().to_owned(),
        predicate_type: d["annotations"][BUNDLE_PREDICATE_ANNOTATION].as_str().map(str::to_owned),
    }).collect();
    Ok(Tree { digest, tags, referrers, referrers_api })
}
