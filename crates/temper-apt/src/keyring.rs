//! OpenPGP public keys that repositories are verified against, read with
//! `pgp` (rpgp, pure Rust) from armored files (`.asc`, several blocks
//! allowed) or binary keyrings (`.gpg` as `gpg --export` writes them, many
//! keys each). A signature counts when it verifies with a primary key or with
//! a subkey whose binding to its primary verifies: Debian's archive keys
//! sign with subkeys. As with gpgv under apt (`EXPKEYSIG`, `REVKEYSIG`), a
//! signature by a key that has expired by now, or that is revoked (the key
//! or its primary), does not count.

use std::path::Path;

use pgp::composed::{Deserializable, SignedPublicKey};
use pgp::packet::{PublicKey, PublicSubkey, Signature};
use pgp::types::KeyDetails;

/// A keyring file above this is refused (Debian's archive keyring is ~100 KiB).
const MAX_KEYRING_BYTES: u64 = 16 << 20;

const ARMOR_BEGIN: &str = "-----BEGIN PGP PUBLIC KEY BLOCK-----";

/// Why a keyring could not be read.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The file cannot be read.
    #[error("keyring {origin}: {source}")]
    Io {
        /// The file.
        origin: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The bytes are no OpenPGP public key.
    #[error("keyring {origin}: not an OpenPGP public key ({reason}); give an armored (.asc) or binary (`gpg --export`, .gpg) key file")]
    Format {
        /// The file (or inline key's source).
        origin: String,
        /// What the OpenPGP parser said.
        reason: String,
    },
}

/// How a signature check failed.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// No signature at all.
    Unsigned,
    /// Signed, but by none of the keyring's keys (the issuers, in hex).
    UnknownKey(Vec<String>),
    /// A keyring key's signature that does not verify: the content changed.
    BadSignature(String),
    /// A good signature by a key that expired (the primary's fingerprint, the expiry as seconds since the epoch).
    ExpiredKey(String, u64),
    /// A good signature by a revoked key (the primary's fingerprint).
    RevokedKey(String),
}

/// A verifying key: a primary key or a bound subkey, and its primary's fingerprint.
struct Signer {
    key: Key,
    key_id: String,
    fingerprint: String,
    primary: String,
    /// When it (or its primary) stops signing, seconds since the epoch.
    expires: Option<u64>,
    /// It or its primary is revoked.
    revoked: bool,
}

/// The expiry its newest self-signature with a key-expiration subpacket
/// gives (`created` + the duration; a zero duration is none).
fn expiry<'a>(created: u32, sigs: impl Iterator<Item = &'a Signature>) -> Option<u64> {
    let newest = sigs.filter(|s| s.key_expiration_time().is_some()).max_by_key(|s| s.created().map(|t| t.as_secs()))?;
    let d = newest.key_expiration_time()?.as_secs();
    (d > 0).then(|| u64::from(created) + u64::from(d))
}

enum Key {
    Primary(PublicKey),
    Sub(PublicSubkey),
}

/// Public keys and their signing subkeys.
#[derive(Default)]
pub struct Keyring {
    signers: Vec<Signer>,
    primaries: Vec<String>,
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keyring").field("keys", &self.primaries).finish()
    }
}

impl Keyring {
    /// An empty keyring (verifies nothing).
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads `path` (armored or binary).
    pub fn from_file(path: &Path) -> Result<Self, Error> {
        let origin = path.display().to_string();
        let io = |source| Error::Io { origin: origin.clone(), source };
        let len = std::fs::metadata(path).map_err(io)?.len();
        if len > MAX_KEYRING_BYTES {
            return Err(Error::Format { origin, reason: format!("{len} bytes, above the {MAX_KEYRING_BYTES} byte limit") });
        }
        let bytes = std::fs::read(path).map_err(io)?;
        Self::from_bytes(&origin, &bytes)
    }

    /// Reads keys from `bytes`: one or more armored blocks, or binary packets.
    pub fn from_bytes(origin: &str, bytes: &[u8]) -> Result<Self, Error> {
        let fail = |e: pgp::errors::Error| Error::Format { origin: origin.to_owned(), reason: e.to_string() };
        let mut keys = Vec::new();
        match std::str::from_utf8(bytes) {
            Ok(text) if text.contains(ARMOR_BEGIN) => {
                // rpgp reads one armor block per call; files like Ubuntu's
                // keyrings concatenate several.
                for block in text.split(ARMOR_BEGIN).skip(1) {
                    let armored = format!("{ARMOR_BEGIN}{block}");
                    let (parsed, _) = SignedPublicKey::from_armor_many(armored.as_bytes()).map_err(fail)?;
                    for key in parsed {
                        keys.push(key.map_err(fail)?);
                    }
                }
            }
            _ => {
                for key in SignedPublicKey::from_bytes_many(bytes).map_err(fail)? {
                    keys.push(key.map_err(fail)?);
                }
            }
        }
        if keys.is_empty() {
            return Err(Error::Format { origin: origin.to_owned(), reason: "no public key in it".into() });
        }
        let mut ring = Keyring::new();
        for key in keys {
            ring.add(key);
        }
        Ok(ring)
    }

    /// Adds every key of `other`.
    pub fn extend(&mut self, other: Keyring) {
        self.signers.extend(other.signers);
        self.primaries.extend(other.primaries);
    }

    fn add(&mut self, key: SignedPublicKey) {
        use pgp::packet::SignatureType;
        let primary = key.fingerprint().to_string().to_uppercase();
        // Revocations count only when the key itself made them.
        let primary_revoked = key.details.revocation_signatures.iter().any(|r| r.verify_key(&key.primary_key).is_ok());
        let self_sigs = key.details.users.iter().flat_map(|u| u.signatures.iter()).chain(key.details.direct_signatures.iter());
        let primary_expires = expiry(key.primary_key.created_at().as_secs(), self_sigs);
        for sub in &key.public_subkeys {
            // A subkey whose binding does not verify was not made by the
            // primary's owner: it signs nothing.
            if sub.verify_bindings(&key.primary_key).is_ok() {
                let bindings = sub.signatures.iter().filter(|s| s.typ() == Some(SignatureType::SubkeyBinding));
                let sub_expires = expiry(sub.key.created_at().as_secs(), bindings);
                let sub_revoked = sub.signatures.iter().any(|s| s.typ() == Some(SignatureType::SubkeyRevocation));
                self.signers.push(Signer {
                    key_id: sub.key.legacy_key_id().to_string().to_uppercase(),
                    fingerprint: sub.key.fingerprint().to_string().to_uppercase(),
                    key: Key::Sub(sub.key.clone()),
                    primary: primary.clone(),
                    expires: [sub_expires, primary_expires].into_iter().flatten().min(),
                    revoked: primary_revoked || sub_revoked,
                });
            }
        }
        self.signers.push(Signer {
            key_id: key.primary_key.legacy_key_id().to_string().to_uppercase(),
            fingerprint: primary.clone(),
            key: Key::Primary(key.primary_key.clone()),
            primary: primary.clone(),
            expires: primary_expires,
            revoked: primary_revoked,
        });
        self.primaries.push(primary);
    }

    /// The primary keys' fingerprints, in upper-case hex.
    pub fn fingerprints(&self) -> &[String] {
        &self.primaries
    }

    /// Whether the keyring holds no key.
    pub fn is_empty(&self) -> bool {
        self.primaries.is_empty()
    }

    /// Checks `signatures` over `data` at `now` (seconds since the epoch);
    /// the first that verifies with a valid key of the keyring wins and its
    /// primary key's fingerprint (upper-case hex, as gpg prints it) is returned.
    pub(crate) fn verify(&self, signatures: &[Signature], data: &[u8], now: u64) -> Result<String, Refusal> {
        if signatures.is_empty() {
            return Err(Refusal::Unsigned);
        }
        let mut issuers = Vec::new();
        let mut bad = None;
        let mut unusable = None;
        for sig in signatures {
            let ids: Vec<String> = sig.issuer_key_id().iter().map(|k| k.to_string().to_uppercase()).collect();
            let fps: Vec<String> = sig.issuer_fingerprint().iter().map(|f| f.to_string().to_uppercase()).collect();
            let matching = self.signers.iter().filter(|s| ids.contains(&s.key_id) || fps.contains(&s.fingerprint));
            let mut any = false;
            for signer in matching {
                any = true;
                let verified = match &signer.key {
                    Key::Primary(k) => sig.verify(k, data),
                    Key::Sub(k) => sig.verify(k, data),
                };
                match verified {
                    Ok(()) if signer.revoked => unusable = Some(Refusal::RevokedKey(signer.primary.clone())),
                    Ok(()) => match signer.expires {
                        Some(t) if t <= now => unusable = Some(Refusal::ExpiredKey(signer.primary.clone(), t)),
                        _ => return Ok(signer.primary.clone()),
                    },
                    Err(_) => bad = Some(signer.primary.clone()),
                }
            }
            if !any {
                // The fingerprint says more than the 64-bit id it ends with.
                issuers.extend(if fps.is_empty() { ids } else { fps });
            }
        }
        match (unusable, bad) {
            (Some(refusal), _) => Err(refusal),
            (None, Some(fp)) => Err(Refusal::BadSignature(fp)),
            (None, None) => Err(Refusal::UnknownKey(issuers)),
        }
    }
}
