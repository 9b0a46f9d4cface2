//! Keyless verification: a Sigstore bundle whose signature was made with a
//! short-lived Fulcio certificate, checked offline against a Sigstore
//! `trusted_root.json` and an identity policy.
//!
//! Written here rather than wrapping a Sigstore crate: `sigstore-verify`
//! (sigstore-rust) needs aws-lc-rs, a second crypto stack beside the ring
//! one temper's TLS uses, and the `sigstore` crate's verification comes with
//! its HTTP clients. The pieces are maintained crates: the chain through
//! rustls-webpki (ring), certificates and SCTs through x509-cert, the rest
//! through the RustCrypto keys of [`crate::key`].
//!
//! What is checked; every step must pass:
//! 1. the bundle is well formed, with one transparency-log entry at least,
//!    and a chain in it holds no self-signed certificate;
//! 2. each log entry (Rekor v1 or v2): its log is in the trusted root, its
//!    key valid at the entry's integrated time, which is not in the future;
//!    a signed entry timestamp (`inclusionPromise`) verifies with the log's
//!    key; the inclusion proof (required from bundle v0.2 on, and whenever
//!    there is no promise) leads from the entry to its root hash, and the
//!    checkpoint carrying that root is signed by the log (key hint = the
//!    first 4 bytes of its log id); the entry's body (hashedrekord 0.0.1 /
//!    0.0.2, dsse 0.0.1 / 0.0.2, intoto 0.0.2) names this bundle's
//!    certificate, signature and digest;
//! 3. each RFC 3161 timestamp stamps the bundle's signature, its CMS
//!    signature verifies with a timestamp authority of the root valid at
//!    its time, whose chain is valid then for time stamping;
//! 4. the verified times are the promised integrated times and the
//!    timestamps' times (one at least); at each, the certificate chains to a
//!    certificate authority of the root valid then, for code signing; the
//!    earliest is the signing time;
//! 5. one embedded SCT at least verifies with a CT log key of the root;
//! 6. the certificate's key verifies the signature (the DSSE envelope's
//!    single signature or the message signature) and the content names the
//!    image or artifact expected;
//! 7. the certificate's identity (its SAN: email, URI or other name) and
//!    OIDC issuer (extension 1.3.6.1.4.1.57264.1.8, or the legacy .1.1)
//!    match the policy; regular expressions must match the whole value.
//!
//! Not covered: signed-entry-timestamp-less Rekor v1 entries' integrated
//! times (they give no verified time), CRLs/OCSP (Fulcio certificates live
//! minutes), TUF (the trusted root is a file the user gives).
//!
//! A chain to no trusted authority, a log or timestamp authority not in the
//! root, and an identity outside the policy, are [`VerifyError::Mismatch`];
//! every other failure is [`VerifyError::Invalid`].

use x509_cert::der::{self, Decode as _, Encode as _};
use serde::Deserialize;
use sha2::{Digest as _, Sha256};
use x509_cert::Certificate;
use x509_cert::ext::pkix::SubjectAltName;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::sct::SignedCertificateTimestampList;

use crate::bundle::{Bundle, Content, Material, Version};
use crate::dsse::pae;
use crate::key::{HashAlgorithm, VerifyingKey};
use crate::verify::{Attested, Expected, VerifyError};
use crate::{Error, b64, check_size, malformed};

const WHAT: &str = "trusted root";
/// More RFC 3161 timestamps than this are refused (each is a CMS verification).
const MAX_TIMESTAMPS: usize = 8;
const MAX_ROOT: usize = 4 * 1024 * 1024;

/// A Sigstore trusted root (`application/vnd.dev.sigstore.trustedroot+json;version=0.1`).
#[derive(Debug, Clone)]
pub struct TrustedRoot {
    tlogs: Vec<LogKey>,
    ctlogs: Vec<LogKey>,
    authorities: Vec<Authority>,
    timestamp_authorities: Vec<Authority>,
}

#[derive(Debug, Clone)]
struct LogKey {
    id: Vec<u8>,
    key: VerifyingKey,
    start: i64,
    end: Option<i64>,
}

#[derive(Debug, Clone)]
struct Authority {
    /// DER, the issuing certificate first, the root last.
    chain: Vec<Vec<u8>>,
    start: i64,
    end: Option<i64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RootJson {
    media_type: String,
    #[serde(default)]
    tlogs: Vec<LogJson>,
    #[serde(default)]
    ctlogs: Vec<LogJson>,
    #[serde(default)]
    certificate_authorities: Vec<AuthorityJson>,
    #[serde(default)]
    timestamp_authorities: Vec<AuthorityJson>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct LogJson {
    public_key: PublicKeyJson,
    log_id: LogIdJson,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PublicKeyJson {
    #[serde(default)]
    raw_bytes: String,
    #[serde(default)]
    valid_for: Option<ValidForJson>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct LogIdJson {
    key_id: String,
}

#[derive(Deserialize)]
struct ValidForJson {
    #[serde(default)]
    start: Option<String>,
    #[serde(default)]
    end: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AuthorityJson {
    cert_chain: ChainJson,
    #[serde(default)]
    valid_for: Option<ValidForJson>,
}

#[derive(Deserialize)]
struct ChainJson {
    certificates: Vec<RawJson>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawJson {
    raw_bytes: String,
}

fn timestamp(text: &str) -> Result<i64, String> {
    time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).map(|t| t.unix_timestamp()).map_err(|e| format!("time {text:?}: {e}"))
}

/// Start and end of a validity; `None` without a start (such an entry is never valid).
fn validity(v: Option<&ValidForJson>) -> Result<Option<(i64, Option<i64>)>, Error> {
    let Some(ValidForJson { start: Some(start), end }) = v else { return Ok(None) };
    let start = timestamp(start).map_err(|e| malformed(WHAT, e))?;
    let end = end.as_deref().map(timestamp).transpose().map_err(|e| malformed(WHAT, e))?;
    Ok(Some((start, end)))
}

fn within(t: i64, start: i64, end: Option<i64>) -> bool {
    t >= start && end.is_none_or(|e| t <= e)
}

impl TrustedRoot {
    /// Reads a `trusted_root.json`. Log keys and authorities without a
    /// validity start, and log keys not in SPKI form, are kept out (never valid).
    pub fn parse(data: &[u8]) -> Result<Self, Error> {
        check_size(WHAT, data.len(), MAX_ROOT)?;
        let json: RootJson = serde_json::from_slice(data).map_err(|e| malformed(WHAT, e))?;
        if !json.media_type.starts_with("application/vnd.dev.sigstore.trustedroot") {
            return Err(malformed(WHAT, format!("media type {:?} is not a Sigstore trusted root", json.media_type)));
        }
        let logs = |logs: Vec<LogJson>| -> Result<Vec<LogKey>, Error> {
            let mut out = Vec::new();
            for log in logs {
                let Some((start, end)) = validity(log.public_key.valid_for.as_ref())? else { continue };
                let der = b64::decode(&log.public_key.raw_bytes).map_err(|e| malformed(WHAT, format!("log key: {e}")))?;
                // A key this crate cannot read (PKCS#1 RSA, an unknown curve) never verifies anything.
                let Ok(key) = VerifyingKey::from_spki_der(&der) else { continue };
                let id = b64::decode(&log.log_id.key_id).map_err(|e| malformed(WHAT, format!("log id: {e}")))?;
                out.push(LogKey { id, key, start, end });
            }
            Ok(out)
        };
        let authorities = |list: Vec<AuthorityJson>| -> Result<Vec<Authority>, Error> {
            let mut out = Vec::new();
            for ca in list {
                let Some((start, end)) = validity(ca.valid_for.as_ref())? else { continue };
                let chain = ca.cert_chain.certificates.iter().map(|c| b64::decode(&c.raw_bytes).map_err(|e| malformed(WHAT, format!("certificate: {e}")))).collect::<Result<Vec<_>, _>>()?;
                if chain.is_empty() {
                    return Err(malformed(WHAT, "an authority without certificates"));
                }
                out.push(Authority { chain, start, end });
            }
            Ok(out)
        };
        Ok(TrustedRoot { tlogs: logs(json.tlogs)?, ctlogs: logs(json.ctlogs)?, authorities: authorities(json.certificate_authorities)?, timestamp_authorities: authorities(json.timestamp_authorities)? })
    }
}

/// A value the policy accepts.
#[derive(Debug, Clone)]
pub enum Pattern {
    /// Exactly this string.
    Exact(String),
    /// A regular expression matching the whole value.
    Regex(regex::Regex),
}

impl Pattern {
    /// A regular expression, anchored at both ends.
    pub fn regex(expression: &str) -> Result<Self, Error> {
        regex::Regex::new(&format!("^(?:{expression})$")).map(Pattern::Regex).map_err(|e| malformed("identity pattern", e))
    }

    fn matches(&self, value: &str) -> bool {
        match self {
            Pattern::Exact(s) => s == value,
            Pattern::Regex(r) => r.is_match(value),
        }
    }
}

/// Who must have signed: the certificate's identity and its OIDC issuer.
#[derive(Debug, Clone)]
pub struct Identity {
    /// The SAN (`--certificate-identity[-regexp]`).
    pub subject: Pattern,
    /// The OIDC issuer (`--certificate-oidc-issuer[-regexp]`).
    pub issuer: Pattern,
}

/// A keyless signature that verified.
#[derive(Debug, Clone, PartialEq)]
pub struct KeylessVerified {
    /// The certificate's identity (SAN).
    pub subject: String,
    /// The certificate's OIDC issuer.
    pub issuer: String,
    /// The signing time (Unix seconds): the transparency log's integrated time.
    pub signed_at: i64,
    /// What the bundle signs.
    pub content: Attested,
}

fn invalid(reason: impl std::fmt::Display) -> VerifyError {
    VerifyError::Invalid(crate::one_line(&reason.to_string(), 400))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct EntryJson {
    #[serde(default)]
    log_index: Option<String>,
    log_id: LogIdJson,
    kind_version: KindVersion,
    #[serde(default)]
    integrated_time: Option<String>,
    #[serde(default)]
    inclusion_promise: Option<PromiseJson>,
    #[serde(default)]
    inclusion_proof: Option<ProofJson>,
    canonicalized_body: String,
}

#[derive(Deserialize)]
struct KindVersion {
    kind: String,
    version: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PromiseJson {
    signed_entry_timestamp: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ProofJson {
    log_index: String,
    root_hash: String,
    tree_size: String,
    #[serde(default)]
    hashes: Vec<String>,
    checkpoint: Option<CheckpointJson>,
}

#[derive(Deserialize)]
struct CheckpointJson {
    envelope: String,
}

fn number(field: &str, text: &str) -> Result<u64, VerifyError> {
    text.parse::<u64>().map_err(|_| invalid(format!("log entry {field} {text:?} is not a number")))
}

/// RFC 6962 / 9162 inclusion: the root reached from `leaf` at `index` of a tree of `size`.
fn root_from_proof(index: u64, size: u64, leaf: [u8; 32], proof: &[[u8; 32]]) -> Option<[u8; 32]> {
    if index >= size {
        return None;
    }
    let node = |l: &[u8; 32], r: &[u8; 32]| -> [u8; 32] {
        let mut h = Sha256::new();
        h.update([1u8]);
        h.update(l);
        h.update(r);
        h.finalize().into()
    };
    let (mut fn_, mut sn) = (index, size - 1);
    let mut r = leaf;
    for p in proof {
        if sn == 0 {
            return None;
        }
        if fn_ & 1 == 1 || fn_ == sn {
            r = node(p, &r);
            if fn_ & 1 == 0 {
                while fn_ & 1 == 0 && fn_ != 0 {
                    fn_ >>= 1;
                    sn >>= 1;
                }
            }
        } else {
            r = node(&r, p);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    (sn == 0).then_some(r)
}

/// Checks a signed note (checkpoint) against `log`: its root hash and size must be these.
fn check_checkpoint(envelope: &str, log: &LogKey, root: &[u8], size: u64) -> Result<(), VerifyError> {
    let (body, signatures) = envelope.split_once("\n\n").ok_or_else(|| invalid("checkpoint: no signature block"))?;
    let body = format!("{body}\n");
    let mut lines = body.lines();
    let (_origin, size_line, root_line) = (lines.next(), lines.next(), lines.next());
    if size_line.and_then(|s| s.parse::<u64>().ok()) != Some(size) {
        return Err(invalid("checkpoint: its tree size is not the inclusion proof's"));
    }
    if root_line.and_then(|r| b64::decode(r).ok()).as_deref() != Some(root) {
        return Err(invalid("checkpoint: its root hash is not the inclusion proof's"));
    }
    let hint = log.id.get(..4);
    for line in signatures.lines() {
        let Some(rest) = line.strip_prefix("\u{2014} ") else { continue };
        let Some((_, sig)) = rest.rsplit_once(' ') else { continue };
        let Ok(sig) = b64::decode(sig) else { continue };
        if sig.len() > 4 && Some(&sig[..4]) == hint && log.key.verify(body.as_bytes(), &sig[4..]).is_ok() {
            return Ok(());
        }
    }
    Err(invalid("checkpoint: no signature by the log's key"))
}

/// Canonical JSON of the signed entry timestamp's payload (keys sorted, no spaces).
fn set_payload(body: &str, integrated_time: u64, log_id: &[u8], log_index: u64) -> Vec<u8> {
    format!(r#"{{"body":"{body}","integratedTime":{integrated_time},"logID":"{}","logIndex":{log_index}}}"#, hex::encode(log_id)).into_bytes()
}

/// What the entry's body must name.
struct Signed<'a> {
    certificate: &'a [u8],
    signature: &'a [u8],
    /// The digest (hex) a hashedrekord entry names: a message signature's,
    /// or the SHA-256 of a DSSE envelope's PAE.
    digest: Option<String>,
    /// For DSSE: the payload.
    payload: Option<&'a [u8]>,
}

/// DER of the certificate in a body's base64 PEM (or base64 DER) field.
fn body_certificate(field: &serde_json::Value) -> Option<Vec<u8>> {
    let bytes = b64::decode(field.as_str()?).ok()?;
    match crate::pem::first_block(&bytes) {
        Ok(block) => block.der().ok(),
        Err(_) => Some(bytes),
    }
}

/// DER of a Rekor v2 verifier's `x509Certificate.rawBytes`.
fn raw_certificate(verifier: &serde_json::Value) -> Option<Vec<u8>> {
    b64::decode(verifier["x509Certificate"]["rawBytes"].as_str()?).ok()
}

/// The entry's body names this bundle's certificate, signature and content.
fn check_body(body: &[u8], kind: &KindVersion, signed: &Signed<'_>) -> Result<(), VerifyError> {
    let v: serde_json::Value = serde_json::from_slice(body).map_err(|e| invalid(format!("log entry body: {e}")))?;
    let spec = &v["spec"];
    let sig_is = |field: &serde_json::Value| field.as_str().and_then(|s| b64::decode(s).ok()).is_some_and(|s| s == signed.signature || b64::decode(&String::from_utf8_lossy(&s)).is_ok_and(|d| d == signed.signature));
    let ok = match (kind.kind.as_str(), kind.version.as_str()) {
        ("hashedrekord", "0.0.1") => {
            sig_is(&spec["signature"]["content"])
                && body_certificate(&spec["signature"]["publicKey"]["content"]).as_deref() == Some(signed.certificate)
                && signed.digest.as_deref().is_some_and(|d| spec["data"]["hash"]["value"].as_str() == Some(d))
        }
        ("dsse", "0.0.1") => {
            let payload_ok = signed.payload.is_some_and(|p| spec["payloadHash"]["value"].as_str() == Some(&hex::encode(Sha256::digest(p))));
            let sigs = spec["signatures"].as_array();
            payload_ok && sigs.is_some_and(|s| s.iter().any(|s| sig_is(&s["signature"]) && body_certificate(&s["verifier"]).as_deref() == Some(signed.certificate)))
        }
        ("intoto", "0.0.2") => {
            let content = &spec["content"];
            let payload_ok = signed.payload.is_some_and(|p| content["payloadHash"]["value"].as_str() == Some(&hex::encode(Sha256::digest(p))));
            let sigs = content["envelope"]["signatures"].as_array();
            payload_ok && sigs.is_some_and(|s| s.iter().any(|s| sig_is(&s["sig"]) && body_certificate(&s["publicKey"]).as_deref() == Some(signed.certificate)))
        }
        ("hashedrekord", "0.0.2") => {
            let spec = &spec["hashedRekordV002"];
            sig_is(&spec["signature"]["content"])
                && raw_certificate(&spec["signature"]["verifier"]).as_deref() == Some(signed.certificate)
                && signed.digest.as_deref().is_some_and(|d| spec["data"]["digest"].as_str().and_then(|x| b64::decode(x).ok()).is_some_and(|x| hex::encode(x) == d))
        }
        ("dsse", "0.0.2") => {
            let spec = &spec["dsseV002"];
            let payload_ok = signed.payload.is_some_and(|p| spec["payloadHash"]["digest"].as_str().and_then(|x| b64::decode(x).ok()).is_some_and(|x| x == Sha256::digest(p).as_slice()));
            let sigs = spec["signatures"].as_array();
            payload_ok && sigs.is_some_and(|s| s.iter().any(|s| sig_is(&s["content"]) && raw_certificate(&s["verifier"]).as_deref() == Some(signed.certificate)))
        }
        (k, ver) => return Err(invalid(format!("log entry kind {k} {ver} is not hashedrekord or dsse (0.0.1, 0.0.2) or intoto 0.0.2"))),
    };
    if ok { Ok(()) } else { Err(invalid(format!("the {} log entry does not match the bundle (certificate, signature or digest)", kind.kind))) }
}

/// Verifies every log entry; the integrated times their signed entry timestamps promise.
fn check_log_entries(bundle: &Bundle, root: &TrustedRoot, signed: &Signed<'_>, now: i64) -> Result<Vec<i64>, VerifyError> {
    if bundle.tlog_entries.is_empty() {
        return Err(invalid("the bundle has no transparency-log entry"));
    }
    let mut times = Vec::new();
    for value in &bundle.tlog_entries {
        let entry: EntryJson = serde_json::from_value(value.clone()).map_err(|e| invalid(format!("log entry: {e}")))?;
        let log_id = b64::decode(&entry.log_id.key_id).map_err(|e| invalid(format!("log id: {e}")))?;
        let body = b64::decode(&entry.canonicalized_body).map_err(|e| invalid(format!("log entry body: {e}")))?;
        let integrated = entry.integrated_time.as_deref().map(|t| number("integratedTime", t)).transpose()?.filter(|t| *t > 0);
        let time = integrated.and_then(|t| i64::try_from(t).ok());
        if time.is_some_and(|t| t > now) {
            return Err(invalid("the log entry's integrated time is in the future"));
        }
        let log = root
            .tlogs
            .iter()
            .find(|l| l.id == log_id && time.is_none_or(|t| within(t, l.start, l.end)))
            .ok_or_else(|| VerifyError::Mismatch(format!("transparency log {} is not in the trusted root (or not valid at the entry's time)", hex::encode(&log_id))))?;
        check_body(&body, &entry.kind_version, signed)?;
        if let (Some(promise), Some(t)) = (&entry.inclusion_promise, integrated) {
            let index = number("logIndex", entry.log_index.as_deref().unwrap_or(""))?;
            let set = b64::decode(&promise.signed_entry_timestamp).map_err(|e| invalid(format!("signed entry timestamp: {e}")))?;
            log.key.verify(&set_payload(&entry.canonicalized_body, t, &log_id, index), &set).map_err(|_| invalid("the signed entry timestamp does not verify with the log's key"))?;
            let t = i64::try_from(t).map_err(|_| invalid("integratedTime out of range"))?;
            times.push(t);
        }
        match &entry.inclusion_proof {
            Some(proof) => {
                let index = number("inclusionProof.logIndex", &proof.log_index)?;
                let size = number("treeSize", &proof.tree_size)?;
                let root_hash = b64::decode(&proof.root_hash).map_err(|e| invalid(format!("root hash: {e}")))?;
                let hashes = proof.hashes.iter().map(|h| b64::decode(h).ok().and_then(|h| <[u8; 32]>::try_from(h).ok())).collect::<Option<Vec<_>>>().ok_or_else(|| invalid("inclusion proof: a hash is not 32 bytes of base64"))?;
                let mut leaf = Sha256::new();
                leaf.update([0u8]);
                leaf.update(&body);
                if root_from_proof(index, size, leaf.finalize().into(), &hashes).as_ref().map(|r| r.as_slice()) != Some(root_hash.as_slice()) {
                    return Err(invalid("the inclusion proof does not lead to its root hash"));
                }
                let checkpoint = proof.checkpoint.as_ref().ok_or_else(|| invalid("the inclusion proof has no checkpoint"))?;
                check_checkpoint(&checkpoint.envelope, log, &root_hash, size)?;
            }
            None if bundle.version != Version::V01 || entry.inclusion_promise.is_none() => return Err(invalid("the log entry has no inclusion proof (required from bundle v0.2 on, and without a signed entry timestamp)")),
            None => {}
        }
    }
    Ok(times)
}

const OID_SCT_LIST: der::oid::ObjectIdentifier = der::oid::ObjectIdentifier::new_unwrap("1.3.6.1.4.1.11129.2.4.2");
const OID_ISSUER_V2: der::oid::ObjectIdentifier = der::oid::ObjectIdentifier::new_unwrap("1.3.6.1.4.1.57264.1.8");
const OID_ISSUER_V1: der::oid::ObjectIdentifier = der::oid::ObjectIdentifier::new_unwrap("1.3.6.1.4.1.57264.1.1");
const OID_SAN: der::oid::ObjectIdentifier = der::oid::ObjectIdentifier::new_unwrap("2.5.29.17");
/// id-kp-codeSigning (1.3.6.1.5.5.7.3.3), DER content octets.
const EKU_CODE_SIGNING: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x03];

const OID_SIGNED_DATA: der::oid::ObjectIdentifier = der::oid::ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.2");
const OID_TST_INFO: der::oid::ObjectIdentifier = der::oid::ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.1.4");
const OID_MESSAGE_DIGEST: der::oid::ObjectIdentifier = der::oid::ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.4");
/// id-kp-timeStamping (1.3.6.1.5.5.7.3.8), DER content octets.
const EKU_TIME_STAMPING: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x08];

/// The hash an algorithm identifier names: a digest, or an ECDSA / RSA signature with one.
fn hash_of(oid: der::oid::ObjectIdentifier) -> Option<HashAlgorithm> {
    match oid.to_string().as_str() {
        "2.16.840.1.101.3.4.2.1" | "1.2.840.10045.4.3.2" | "1.2.840.113549.1.1.11" => Some(HashAlgorithm::Sha256),
        "2.16.840.1.101.3.4.2.2" | "1.2.840.10045.4.3.3" | "1.2.840.113549.1.1.12" => Some(HashAlgorithm::Sha384),
        "2.16.840.1.101.3.4.2.3" | "1.2.840.10045.4.3.4" | "1.2.840.113549.1.1.13" => Some(HashAlgorithm::Sha512),
        _ => None,
    }
}

/// Verifies an RFC 3161 timestamp response over `signature` against the
/// root's timestamp authorities; its time (Unix seconds).
fn check_timestamp(response: &[u8], signature: &[u8], root: &TrustedRoot) -> Result<i64, VerifyError> {
    use x509_cert::der::asn1::{Any, GeneralizedTime, OctetString};
    let bad = |what: &str, e: &dyn std::fmt::Display| invalid(format!("RFC 3161 timestamp: {what}: {e}"));
    let resp = Vec::<Any>::from_der(response).map_err(|e| bad("not a TimeStampResp", &e))?;
    let [status, token] = resp.as_slice() else { return Err(invalid("RFC 3161 timestamp: no token in the response")) };
    let status = status.decode_as::<Vec<Any>>().map_err(|e| bad("status", &e))?;
    let granted = status.first().and_then(|s| s.decode_as::<u8>().ok()).is_some_and(|s| s <= 1);
    if !granted {
        return Err(invalid("RFC 3161 timestamp: the response was not granted"));
    }
    let info = cms::content_info::ContentInfo::from_der(&token.to_der().map_err(|e| bad("token", &e))?).map_err(|e| bad("token", &e))?;
    if info.content_type != OID_SIGNED_DATA {
        return Err(invalid("RFC 3161 timestamp: the token is not CMS SignedData"));
    }
    let signed_data = info.content.decode_as::<cms::signed_data::SignedData>().map_err(|e| bad("SignedData", &e))?;
    if signed_data.encap_content_info.econtent_type != OID_TST_INFO {
        return Err(invalid("RFC 3161 timestamp: the content is not a TSTInfo"));
    }
    let tst_der = signed_data.encap_content_info.econtent.as_ref().ok_or_else(|| invalid("RFC 3161 timestamp: no TSTInfo"))?.decode_as::<OctetString>().map_err(|e| bad("TSTInfo", &e))?.into_bytes();
    let tst = Vec::<Any>::from_der(&tst_der).map_err(|e| bad("TSTInfo", &e))?;
    let (Some(imprint), Some(gen_time)) = (tst.get(2), tst.get(4)) else { return Err(invalid("RFC 3161 timestamp: a short TSTInfo")) };
    let imprint = imprint.decode_as::<Vec<Any>>().map_err(|e| bad("messageImprint", &e))?;
    let [algorithm, hashed] = imprint.as_slice() else { return Err(invalid("RFC 3161 timestamp: a malformed messageImprint")) };
    let algorithm = algorithm.decode_as::<spki::AlgorithmIdentifierOwned>().map_err(|e| bad("messageImprint", &e))?;
    let hashed = hashed.decode_as::<OctetString>().map_err(|e| bad("messageImprint", &e))?;
    let imprint_hash = hash_of(algorithm.oid).ok_or_else(|| invalid(format!("RFC 3161 timestamp: hash {} not supported", algorithm.oid)))?;
    if imprint_hash.digest(signature) != hashed.as_bytes() {
        return Err(invalid("RFC 3161 timestamp: it does not stamp this bundle's signature"));
    }
    let at = gen_time.decode_as::<GeneralizedTime>().map_err(|e| bad("genTime", &e))?.to_unix_duration().as_secs();
    let at = i64::try_from(at).map_err(|_| invalid("RFC 3161 timestamp: genTime out of range"))?;
    let [signer] = signed_data.signer_infos.0.as_slice() else { return Err(invalid("RFC 3161 timestamp: not exactly one signer")) };
    let attrs = signer.signed_attrs.as_ref().ok_or_else(|| invalid("RFC 3161 timestamp: no signed attributes"))?;
    let digest = attrs.iter().find(|a| a.oid == OID_MESSAGE_DIGEST).and_then(|a| a.values.get(0)).and_then(|v| v.decode_as::<OctetString>().ok()).ok_or_else(|| invalid("RFC 3161 timestamp: no messageDigest attribute"))?;
    let digest_hash = hash_of(signer.digest_alg.oid).ok_or_else(|| invalid(format!("RFC 3161 timestamp: hash {} not supported", signer.digest_alg.oid)))?;
    if digest_hash.digest(&tst_der) != digest.as_bytes() {
        return Err(invalid("RFC 3161 timestamp: the messageDigest attribute is not the TSTInfo's"));
    }
    let signed_attrs = attrs.to_der().map_err(|e| bad("signed attributes", &e))?;
    let signature_hash = hash_of(signer.signature_algorithm.oid).unwrap_or(digest_hash);
    let signed_digest = signature_hash.digest(&signed_attrs);
    for tsa in root.timestamp_authorities.iter().filter(|a| within(at, a.start, a.end)) {
        let Ok(leaf) = Certificate::from_der(&tsa.chain[0]) else { continue };
        let Ok(spki) = leaf.tbs_certificate.subject_public_key_info.to_der() else { continue };
        let Ok(key) = VerifyingKey::from_spki_der(&spki) else { continue };
        if key.verify_prehash_with(signature_hash, &signed_digest, signer.signature.as_bytes()).is_err() {
            continue;
        }
        if let [leaf_der, intermediates @ .., anchor] = tsa.chain.as_slice() {
            verify_path(leaf_der, intermediates, anchor, at, EKU_TIME_STAMPING).map_err(|e| invalid(format!("RFC 3161 timestamp: the timestamp authority's chain at {at}: {e:?}")))?;
        }
        return Ok(at);
    }
    Err(VerifyError::Mismatch("RFC 3161 timestamp: signed by no timestamp authority of the trusted root valid then".into()))
}

/// webpki's verification of `leaf` through `intermediates` to `anchor` at `at` for `eku`.
fn verify_path(leaf: &[u8], intermediates: &[Vec<u8>], anchor: &[u8], at: i64, eku: &'static [u8]) -> Result<(), webpki::Error> {
    use rustls_pki_types::{CertificateDer, UnixTime};
    let leaf = CertificateDer::from(leaf);
    let end_entity = webpki::EndEntityCert::try_from(&leaf)?;
    let anchor = CertificateDer::from(anchor);
    let anchor = webpki::anchor_from_trusted_cert(&anchor)?;
    let intermediates: Vec<CertificateDer<'_>> = intermediates.iter().map(|c| CertificateDer::from(c.as_slice())).collect();
    let time = UnixTime::since_unix_epoch(std::time::Duration::from_secs(u64::try_from(at).unwrap_or(0)));
    end_entity.verify_for_usage(webpki::ALL_VERIFICATION_ALGS, &[anchor], &intermediates, time, webpki::KeyUsage::required(eku), None, None).map(drop)
}

/// The leaf chains, at `at`, to an authority of the root valid then; that authority's issuing certificate.
fn check_chain<'r>(leaf: &[u8], root: &'r TrustedRoot, at: i64) -> Result<&'r [u8], VerifyError> {
    let mut last = None;
    for ca in root.authorities.iter().filter(|ca| within(at, ca.start, ca.end)) {
        let Some((anchor, intermediates)) = ca.chain.split_last() else { continue };
        match verify_path(leaf, intermediates, anchor, at, EKU_CODE_SIGNING) {
            Ok(()) => return Ok(ca.chain[0].as_slice()),
            Err(e) => last = Some(e),
        }
    }
    match last {
        None | Some(webpki::Error::UnknownIssuer) => Err(VerifyError::Mismatch("the certificate does not chain to a certificate authority of the trusted root valid at the signing time".into())),
        Some(e) => Err(invalid(format!("the certificate chain at the signing time: {e:?}"))),
    }
}

/// One embedded SCT at least verifies with a CT log of the root.
fn check_sct(leaf: &Certificate, issuer_der: &[u8], root: &TrustedRoot) -> Result<(), VerifyError> {
    let issuer = Certificate::from_der(issuer_der).map_err(|e| invalid(format!("the issuing certificate: {e}")))?;
    let issuer_key_hash = Sha256::digest(issuer.tbs_certificate.subject_public_key_info.to_der().map_err(invalid)?);
    let extensions = leaf.tbs_certificate.extensions.as_deref().unwrap_or_default();
    let sct_ext = extensions.iter().find(|e| e.extn_id == OID_SCT_LIST).ok_or_else(|| invalid("the certificate has no embedded SCT"))?;
    let list = SignedCertificateTimestampList::from_der(sct_ext.extn_value.as_bytes()).map_err(|e| invalid(format!("SCT list: {e}")))?;
    let scts = list.parse_timestamps().map_err(|e| invalid(format!("SCT list: {e:?}")))?;
    // The precertificate the CT log signed: the TBS without the SCT list.
    let mut tbs = leaf.tbs_certificate.clone();
    tbs.extensions = tbs.extensions.map(|exts| exts.into_iter().filter(|e| e.extn_id != OID_SCT_LIST).collect());
    let tbs = tbs.to_der().map_err(|e| invalid(format!("precertificate: {e}")))?;
    for sct in scts {
        let Ok(sct) = sct.parse_timestamp() else { continue };
        let Some(log) = root.ctlogs.iter().find(|l| l.id == sct.log_id.key_id) else { continue };
        let Ok(at) = i64::try_from(sct.timestamp / 1000) else { continue };
        if !within(at, log.start, log.end) {
            continue;
        }
        let mut signed = vec![0u8, 0u8];
        signed.extend_from_slice(&sct.timestamp.to_be_bytes());
        signed.extend_from_slice(&[0, 1]);
        signed.extend_from_slice(&issuer_key_hash);
        let Ok(len) = u32::try_from(tbs.len()) else { continue };
        signed.extend_from_slice(&len.to_be_bytes()[1..]);
        signed.extend_from_slice(&tbs);
        let ext = sct.extensions.as_slice();
        let Ok(ext_len) = u16::try_from(ext.len()) else { continue };
        signed.extend_from_slice(&ext_len.to_be_bytes());
        signed.extend_from_slice(ext);
        if log.key.verify(&signed, sct.signature.signature.as_slice()).is_ok() {
            return Ok(());
        }
    }
    Err(invalid("no embedded SCT verifies with a CT log key of the trusted root"))
}

/// The certificate's SAN and OIDC issuer.
fn identity_of(leaf: &Certificate) -> Result<(String, String), VerifyError> {
    let extensions = leaf.tbs_certificate.extensions.as_deref().unwrap_or_default();
    let san = extensions.iter().find(|e| e.extn_id == OID_SAN).ok_or_else(|| invalid("the certificate has no subject alternative name"))?;
    let san = SubjectAltName::from_der(san.extn_value.as_bytes()).map_err(|e| invalid(format!("subject alternative name: {e}")))?;
    let subject = san
        .0
        .iter()
        .find_map(|n| match n {
            GeneralName::Rfc822Name(s) => Some(s.to_string()),
            GeneralName::UniformResourceIdentifier(s) => Some(s.to_string()),
            GeneralName::OtherName(o) => o.value.decode_as::<der::asn1::Utf8StringRef<'_>>().ok().map(|s| s.to_string()),
            _ => None,
        })
        .ok_or_else(|| invalid("the certificate's SAN has no email, URI or other name"))?;
    let issuer = if let Some(e) = extensions.iter().find(|e| e.extn_id == OID_ISSUER_V2) {
        der::asn1::Utf8StringRef::from_der(e.extn_value.as_bytes()).map(|s| s.to_string()).map_err(|e| invalid(format!("OIDC issuer extension: {e}")))?
    } else if let Some(e) = extensions.iter().find(|e| e.extn_id == OID_ISSUER_V1) {
        String::from_utf8(e.extn_value.as_bytes().to_vec()).map_err(|_| invalid("the legacy OIDC issuer extension is not UTF-8"))?
    } else {
        return Err(invalid("the certificate names no OIDC issuer"));
    };
    Ok((subject, issuer))
}

/// Verifies a keyless bundle against `root` and `identity`, for `expected`,
/// at `now` (Unix seconds; log entries may not be later).
pub fn verify(data: &[u8], expected: Expected<'_>, root: &TrustedRoot, identity: &Identity, now: i64) -> Result<KeylessVerified, VerifyError> {
    let bundle = Bundle::parse(data).map_err(invalid)?;
    let leaf_der = match &bundle.material {
        Material::Certificate(der) => der.clone(),
        Material::Chain(chain) => {
            for der in chain {
                let c = Certificate::from_der(der).map_err(|e| invalid(format!("a certificate of the chain: {e}")))?;
                if c.tbs_certificate.subject == c.tbs_certificate.issuer {
                    return Err(invalid("the bundle's chain holds a self-signed (root) certificate"));
                }
            }
            chain[0].clone()
        }
        Material::PublicKey { .. } => return Err(VerifyError::Mismatch("the bundle is signed with a key, not a certificate; verify it with the public key".into())),
    };
    let leaf = Certificate::from_der(&leaf_der).map_err(|e| invalid(format!("the certificate: {e}")))?;
    let spki = leaf.tbs_certificate.subject_public_key_info.to_der().map_err(invalid)?;
    let key = VerifyingKey::from_spki_der(&spki).map_err(invalid)?;

    let digest = match expected {
        Expected::ImageDigest(d) => d.to_owned(),
        Expected::Artifact(bytes) => format!("sha256:{}", hex::encode(Sha256::digest(bytes))),
    };
    let (signed, content) = match &bundle.content {
        Content::Dsse(envelope) => {
            let [signature] = envelope.signatures.as_slice() else {
                return Err(invalid(format!("the bundle's DSSE envelope has {} signatures; a bundle carries exactly one", envelope.signatures.len())));
            };
            // Rekor v2 logs a DSSE envelope as a hashedrekord of its PAE.
            let pae_digest = hex::encode(Sha256::digest(pae(&envelope.payload_type, &envelope.payload)));
            let signed = Signed { certificate: &leaf_der, signature: &signature.sig, digest: Some(pae_digest), payload: Some(&envelope.payload) };
            (signed, Content::Dsse(envelope.clone()))
        }
        Content::MessageSignature { digest: message_digest, signature } => {
            let hex_digest = message_digest.as_ref().map(|(_, d)| hex::encode(d));
            (Signed { certificate: &leaf_der, signature, digest: hex_digest, payload: None }, bundle.content.clone())
        }
    };
    let mut times = check_log_entries(&bundle, root, &signed, now)?;
    let stamps = bundle.timestamp_verification_data.as_ref().and_then(|t| t["rfc3161Timestamps"].as_array()).cloned().unwrap_or_default();
    if stamps.len() > MAX_TIMESTAMPS {
        return Err(invalid(format!("{} RFC 3161 timestamps, more than {MAX_TIMESTAMPS}", stamps.len())));
    }
    for stamp in &stamps {
        let response = stamp["signedTimestamp"].as_str().and_then(|t| b64::decode(t).ok()).ok_or_else(|| invalid("RFC 3161 timestamp: signedTimestamp is not base64"))?;
        times.push(check_timestamp(&response, signed.signature, root)?);
    }
    // Every verified time must fall in the certificate's validity and find its chain.
    let Some(&signed_at) = times.iter().min() else {
        return Err(invalid("no verified signing time: no signed entry timestamp and no RFC 3161 timestamp"));
    };
    let mut issuer = check_chain(&leaf_der, root, signed_at)?;
    for &t in &times {
        issuer = check_chain(&leaf_der, root, t)?;
    }
    check_sct(&leaf, issuer, root)?;

    let attested = match &content {
        Content::Dsse(envelope) => {
            key.verify(&pae(&envelope.payload_type, &envelope.payload), signed.signature).map_err(|e| invalid(format!("the DSSE signature: {e}")))?;
            if envelope.payload_type != crate::dsse::INTOTO_PAYLOAD_TYPE {
                return Err(invalid(format!("payload type {:?} is not {}", envelope.payload_type, crate::dsse::INTOTO_PAYLOAD_TYPE)));
            }
            let statement = crate::Statement::parse(&envelope.payload).map_err(invalid)?;
            if !statement.has_subject_digest(&digest) {
                return Err(invalid(format!("the statement's subject digest differs from {digest}")));
            }
            Attested::Statement(statement)
        }
        Content::MessageSignature { digest: message_digest, signature } => {
            let (algorithm, d) = match (expected, message_digest) {
                (Expected::Artifact(bytes), Some((a, d))) if a.digest(bytes) == *d => (*a, d.clone()),
                (Expected::Artifact(_), Some(_)) => return Err(invalid("the bundle's message digest is not the artifact's")),
                (Expected::Artifact(bytes), None) => (HashAlgorithm::Sha256, HashAlgorithm::Sha256.digest(bytes)),
                (Expected::ImageDigest(_), Some((a, d))) if *a == HashAlgorithm::Sha256 && format!("sha256:{}", hex::encode(d)) == digest => (*a, d.clone()),
                (Expected::ImageDigest(_), _) => return Err(invalid(format!("the bundle's message digest is not {digest}"))),
            };
            let checked = match expected {
                Expected::Artifact(bytes) => key.verify(bytes, signature),
                Expected::ImageDigest(_) => key.verify_digest(algorithm, &d, signature),
            };
            checked.map_err(|e| invalid(format!("the message signature: {e}")))?;
            Attested::Message { algorithm, digest: d }
        }
    };

    let (subject, oidc_issuer) = identity_of(&leaf)?;
    if !identity.subject.matches(&subject) || !identity.issuer.matches(&oidc_issuer) {
        return Err(VerifyError::Mismatch(crate::one_line(&format!("signed by {subject} (issuer {oidc_issuer}), which the identity policy does not accept"), 400)));
    }
    Ok(KeylessVerified { subject, issuer: oidc_issuer, signed_at, content: attested })
}
