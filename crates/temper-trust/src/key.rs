//! Keys as cosign writes and reads them.
//!
//! A private key is written as PEM `ENCRYPTED SIGSTORE PRIVATE KEY` whose
//! body is the JSON of go-securesystemslib's `encrypted` package:
//! `{"kdf":{"name":"scrypt","params":{"N":65536,"r":8,"p":1},"salt":…},
//! "cipher":{"name":"nacl/secretbox","nonce":…},"ciphertext":…}` (byte
//! fields in standard base64), the ciphertext being NaCl secretbox
//! (XSalsa20-Poly1305, tag first) of the PKCS#8 DER under the 32-byte scrypt
//! key of the password. Reading also takes the older label `ENCRYPTED COSIGN
//! PRIVATE KEY` and unencrypted `PRIVATE KEY` (PKCS#8) and `EC PRIVATE KEY`
//! (SEC1). Only the three scrypt parameter sets that library writes
//! (N = 2^15, 2^16, 2^17 with r = 8, p = 1) are accepted, so a hostile file
//! cannot ask for unbounded memory or time (at most 128 MiB, about a second).
//!
//! Signatures are those of cosign's default signers: ECDSA with SHA-256 for
//! P-256 and SHA-384 for P-384, ASN.1 DER encoded; Ed25519 pure, 64 bytes;
//! RSA PKCS#1 v1.5 with SHA-256.

use std::fmt;

use ed25519_dalek::pkcs8::DecodePrivateKey as _;
use p256::pkcs8::{DecodePublicKey as _, EncodePrivateKey as _, EncodePublicKey as _};
use rand_core::{OsRng, RngCore as _};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use signature::{Signer as _, Verifier as _};
use spki::ObjectIdentifier;
use zeroize::Zeroizing;

use crate::{Error, SignatureError, b64, pem};

/// PEM label of the encrypted private keys cosign writes.
pub const SIGSTORE_PRIVATE_KEY_LABEL: &str = "ENCRYPTED SIGSTORE PRIVATE KEY";
/// PEM label of the encrypted private keys older cosign releases wrote.
pub const COSIGN_PRIVATE_KEY_LABEL: &str = "ENCRYPTED COSIGN PRIVATE KEY";

/// Larger key files are refused unread (an RSA-4096 PKCS#8 PEM is ~3.3 KiB).
const MAX_KEY_FILE: usize = 64 * 1024;
/// Salts longer than this are refused (securesystemslib writes 32 bytes).
const MAX_SALT: usize = 1024;

const OID_EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const OID_P256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
const OID_P384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");
const OID_ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");
const OID_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");

/// The algorithms temper signs with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    /// ECDSA on NIST P-256 with SHA-256 (cosign's default).
    EcdsaP256,
    /// Ed25519.
    Ed25519,
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Algorithm::EcdsaP256 => "ECDSA P-256",
            Algorithm::Ed25519 => "Ed25519",
        })
    }
}

/// A private key that signs.
pub struct SigningKey(Signer);

enum Signer {
    P256(p256::ecdsa::SigningKey),
    Ed25519(ed25519_dalek::SigningKey),
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SigningKey({}, {})", self.algorithm(), self.public().key_id())
    }
}

/// The JSON body of an encrypted key (go-securesystemslib `encrypted`).
#[derive(Serialize, Deserialize)]
struct Encrypted {
    kdf: Kdf,
    cipher: Cipher,
    ciphertext: String,
}

#[derive(Serialize, Deserialize)]
struct Kdf {
    name: String,
    params: KdfParams,
    salt: String,
}

#[derive(Serialize, Deserialize, PartialEq, Eq, Clone, Copy)]
struct KdfParams {
    #[serde(rename = "N")]
    n: u64,
    r: u32,
    p: u32,
}

#[derive(Serialize, Deserialize)]
struct Cipher {
    name: String,
    nonce: String,
}

/// log2 of N for the parameter sets securesystemslib writes, else `None`.
fn accepted_log_n(params: KdfParams) -> Option<u8> {
    match params {
        KdfParams { n: 32768, r: 8, p: 1 } => Some(15),
        KdfParams { n: 65536, r: 8, p: 1 } => Some(16),
        KdfParams { n: 131_072, r: 8, p: 1 } => Some(17),
        _ => None,
    }
}

/// The 32-byte secretbox key of `password`.
fn derive(password: &[u8], salt: &[u8], log_n: u8) -> Result<Zeroizing<[u8; 32]>, Error> {
    let params = scrypt::Params::new(log_n, 8, 1, 32).map_err(|e| Error::Key(format!("encrypted private key: scrypt parameters: {e}")))?;
    let mut key = Zeroizing::new([0u8; 32]);
    scrypt::scrypt(password, salt, &params, key.as_mut()).map_err(|e| Error::Key(format!("encrypted private key: scrypt: {e}")))?;
    Ok(key)
}

fn random<const N: usize>() -> Result<[u8; N], Error> {
    let mut bytes = [0u8; N];
    OsRng.try_fill_bytes(&mut bytes).map_err(|e| Error::Random(e.to_string()))?;
    Ok(bytes)
}

fn key_error(reason: impl fmt::Display) -> Error {
    Error::Key(crate::one_line(&format!("private key: {reason}"), 300))
}

impl SigningKey {
    /// A new random key.
    pub fn generate(algorithm: Algorithm) -> Result<Self, Error> {
        match algorithm {
            Algorithm::EcdsaP256 => loop {
                // A random 32-byte string is a valid scalar except with probability ~2^-32.
                let bytes = Zeroizing::new(random::<32>()?);
                if let Ok(key) = p256::ecdsa::SigningKey::from_slice(bytes.as_ref()) {
                    return Ok(SigningKey(Signer::P256(key)));
                }
            },
            Algorithm::Ed25519 => {
                let bytes = Zeroizing::new(random::<32>()?);
                Ok(SigningKey(Signer::Ed25519(ed25519_dalek::SigningKey::from_bytes(&bytes))))
            }
        }
    }

    /// The key's algorithm.
    pub fn algorithm(&self) -> Algorithm {
        match self.0 {
            Signer::P256(_) => Algorithm::EcdsaP256,
            Signer::Ed25519(_) => Algorithm::Ed25519,
        }
    }

    /// PKCS#8 DER of the private key.
    fn pkcs8(&self) -> Result<Zeroizing<Vec<u8>>, Error> {
        let doc = match &self.0 {
            Signer::P256(k) => k.to_pkcs8_der(),
            Signer::Ed25519(k) => ed25519_dalek::pkcs8::EncodePrivateKey::to_pkcs8_der(k),
        }
        .map_err(|e| key_error(format!("PKCS#8 encoding: {e}")))?;
        Ok(Zeroizing::new(doc.as_bytes().to_vec()))
    }

    /// The key in cosign's encrypted format (`ENCRYPTED SIGSTORE PRIVATE
    /// KEY`, scrypt N = 65536, r = 8, p = 1), encrypted with `password`.
    pub fn to_encrypted_pem(&self, password: &[u8]) -> Result<String, Error> {
        let salt = random::<32>()?;
        let nonce = random::<24>()?;
        let key = derive(password, &salt, 16)?;
        let plaintext = self.pkcs8()?;
        let ciphertext = seal(&key, &nonce, &plaintext)?;
        let body = Encrypted {
            kdf: Kdf { name: "scrypt".into(), params: KdfParams { n: 65536, r: 8, p: 1 }, salt: b64::encode(&salt) },
            cipher: Cipher { name: "nacl/secretbox".into(), nonce: b64::encode(&nonce) },
            ciphertext: b64::encode(&ciphertext),
        };
        let json = serde_json::to_vec(&body).map_err(key_error)?;
        Ok(pem::encode(SIGSTORE_PRIVATE_KEY_LABEL, &json))
    }

    /// Reads a private key file: cosign's encrypted format (either label),
    /// or unencrypted PKCS#8 `PRIVATE KEY` or SEC1 `EC PRIVATE KEY`.
    /// `password` is asked only for an encrypted key whose format checked out.
    pub fn from_pem(bytes: &[u8], password: impl FnOnce() -> Result<Vec<u8>, Error>) -> Result<Self, Error> {
        if bytes.len() > MAX_KEY_FILE {
            return Err(key_error(format!("{} bytes, more than the {MAX_KEY_FILE} a key file may have", bytes.len())));
        }
        let block = pem::first_block(bytes).map_err(key_error)?;
        let known = [SIGSTORE_PRIVATE_KEY_LABEL, COSIGN_PRIVATE_KEY_LABEL, "PRIVATE KEY", "EC PRIVATE KEY"];
        let der = if known.contains(&block.label.as_str()) { Zeroizing::new(block.der().map_err(key_error)?) } else { Zeroizing::new(Vec::new()) };
        match block.label.as_str() {
            SIGSTORE_PRIVATE_KEY_LABEL | COSIGN_PRIVATE_KEY_LABEL => {
                let pkcs8 = decrypt(&der, password)?;
                Self::from_pkcs8(&pkcs8)
            }
            "PRIVATE KEY" => Self::from_pkcs8(&der),
            "EC PRIVATE KEY" => p256::SecretKey::from_sec1_der(&der)
                .map(|k| SigningKey(Signer::P256(k.into())))
                .map_err(|e| key_error(format!("EC PRIVATE KEY is not a P-256 SEC1 key ({e}); only P-256 EC keys sign"))),
            "ENCRYPTED PRIVATE KEY" => Err(key_error("PKCS#8-encrypted keys are not read; convert with `openssl pkcs8 -topk8 -nocrypt` or import into cosign's format")),
            "RSA PRIVATE KEY" => Err(key_error("RSA keys do not sign with temper; generate an ECDSA P-256 or Ed25519 key")),
            other => Err(key_error(format!("PEM label {:?} is not a private key (expected {SIGSTORE_PRIVATE_KEY_LABEL}, PRIVATE KEY or EC PRIVATE KEY)", crate::one_line(other, 60)))),
        }
    }

    fn from_pkcs8(der: &[u8]) -> Result<Self, Error> {
        let info = pkcs8::PrivateKeyInfo::try_from(der).map_err(|e| key_error(format!("not PKCS#8 ({e})")))?;
        let oid = info.algorithm.oid;
        if oid == OID_ED25519 {
            return ed25519_dalek::SigningKey::try_from(info).map(|k| SigningKey(Signer::Ed25519(k))).map_err(|e| key_error(format!("Ed25519 PKCS#8: {e}")));
        }
        if oid == OID_EC_PUBLIC_KEY {
            let curve = info.algorithm.parameters_oid().ok();
            if curve == Some(OID_P256) {
                return p256::SecretKey::from_pkcs8_der(der).map(|k| SigningKey(Signer::P256(k.into()))).map_err(|e| key_error(format!("P-256 PKCS#8: {e}")));
            }
            let curve = curve.map_or_else(|| "unnamed".to_owned(), |c| c.to_string());
            return Err(key_error(format!("an EC key on curve {curve}; only P-256 EC keys sign with temper")));
        }
        if oid == OID_RSA {
            return Err(key_error("RSA keys do not sign with temper; generate an ECDSA P-256 or Ed25519 key"));
        }
        Err(key_error(format!("key algorithm {oid} is not ECDSA P-256 or Ed25519")))
    }

    /// Signs `msg`: ECDSA P-256 over SHA-256 in ASN.1 DER (as cosign), or Ed25519.
    pub fn sign(&self, msg: &[u8]) -> Vec<u8> {
        match &self.0 {
            Signer::P256(k) => {
                let sig: p256::ecdsa::Signature = k.sign(msg);
                sig.to_der().as_bytes().to_vec()
            }
            Signer::Ed25519(k) => k.sign(msg).to_bytes().to_vec(),
        }
    }

    /// The public half.
    pub fn public(&self) -> VerifyingKey {
        let (key, spki) = match &self.0 {
            Signer::P256(k) => (Key::P256(*k.verifying_key()), k.verifying_key().to_public_key_der()),
            Signer::Ed25519(k) => (Key::Ed25519(k.verifying_key()), ed25519_dalek::pkcs8::EncodePublicKey::to_public_key_der(&k.verifying_key())),
        };
        // Encoding a key just built cannot fail; an empty SPKI would only change its id.
        VerifyingKey { key, spki: spki.map(|d| d.as_bytes().to_vec()).unwrap_or_default() }
    }
}

fn seal(key: &[u8; 32], nonce: &[u8; 24], plaintext: &[u8]) -> Result<Vec<u8>, Error> {
    use crypto_secretbox::aead::{Aead as _, KeyInit as _};
    let cipher = crypto_secretbox::XSalsa20Poly1305::new(key.into());
    cipher.encrypt(nonce.into(), plaintext).map_err(|_| key_error("secretbox encryption failed"))
}

/// The PKCS#8 DER inside an encrypted key body.
fn decrypt(body: &[u8], password: impl FnOnce() -> Result<Vec<u8>, Error>) -> Result<Zeroizing<Vec<u8>>, Error> {
    use crypto_secretbox::aead::{Aead as _, KeyInit as _};
    let enc: Encrypted = serde_json::from_slice(body).map_err(|e| key_error(format!("the encrypted key's JSON: {e}")))?;
    if enc.kdf.name != "scrypt" {
        return Err(key_error(format!("key derivation {:?} is not scrypt", crate::one_line(&enc.kdf.name, 40))));
    }
    if enc.cipher.name != "nacl/secretbox" {
        return Err(key_error(format!("cipher {:?} is not nacl/secretbox", crate::one_line(&enc.cipher.name, 40))));
    }
    let Some(log_n) = accepted_log_n(enc.kdf.params) else {
        let KdfParams { n, r, p } = enc.kdf.params;
        return Err(key_error(format!("scrypt parameters N={n} r={r} p={p} refused (accepted: N=32768, 65536 or 131072 with r=8, p=1)")));
    };
    let salt = b64::decode(&enc.kdf.salt).map_err(|e| key_error(format!("salt: {e}")))?;
    if salt.is_empty() || salt.len() > MAX_SALT {
        return Err(key_error(format!("a salt of {} bytes (1 to {MAX_SALT} accepted)", salt.len())));
    }
    let nonce = b64::decode(&enc.cipher.nonce).map_err(|e| key_error(format!("nonce: {e}")))?;
    let nonce: [u8; 24] = nonce.try_into().map_err(|n: Vec<u8>| key_error(format!("a nonce of {} bytes, not 24", n.len())))?;
    let ciphertext = b64::decode(&enc.ciphertext).map_err(|e| key_error(format!("ciphertext: {e}")))?;
    let password = Zeroizing::new(password()?);
    let key = derive(&password, &salt, log_n)?;
    let cipher = crypto_secretbox::XSalsa20Poly1305::new(key.as_ref().into());
    cipher.decrypt((&nonce).into(), ciphertext.as_slice()).map(Zeroizing::new).map_err(|_| Error::WrongPassword)
}

/// A public key that verifies.
#[derive(Clone)]
pub struct VerifyingKey {
    key: Key,
    spki: Vec<u8>,
}

#[derive(Clone)]
enum Key {
    P256(p256::ecdsa::VerifyingKey),
    P384(p384::ecdsa::VerifyingKey),
    Ed25519(ed25519_dalek::VerifyingKey),
    Rsa(Box<rsa::RsaPublicKey>),
}

impl fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "VerifyingKey({}, {})", self.algorithm(), self.key_id())
    }
}

impl PartialEq for VerifyingKey {
    fn eq(&self, other: &Self) -> bool {
        self.spki == other.spki
    }
}

impl Eq for VerifyingKey {}

fn public_error(reason: impl fmt::Display) -> Error {
    Error::Key(crate::one_line(&format!("public key: {reason}"), 300))
}

/// Smallest RSA modulus accepted, in bits (the rsa crate caps it at 4096).
const MIN_RSA_BITS: usize = 2048;

impl VerifyingKey {
    /// Reads a PEM `PUBLIC KEY` (SPKI): ECDSA P-256 or P-384, Ed25519, RSA (2048 to 4096 bits).
    pub fn from_pem(bytes: &[u8]) -> Result<Self, Error> {
        if bytes.len() > MAX_KEY_FILE {
            return Err(public_error(format!("{} bytes, more than the {MAX_KEY_FILE} a key file may have", bytes.len())));
        }
        let block = pem::first_block(bytes).map_err(public_error)?;
        if block.label != "PUBLIC KEY" {
            return Err(public_error(format!("PEM label {:?} is not PUBLIC KEY (give the .pub file, not the private key or a certificate)", crate::one_line(&block.label, 60))));
        }
        Self::from_spki_der(&block.der().map_err(public_error)?)
    }

    /// Reads SPKI DER.
    pub fn from_spki_der(der: &[u8]) -> Result<Self, Error> {
        let info = spki::SubjectPublicKeyInfoRef::try_from(der).map_err(|e| public_error(format!("not SPKI DER ({e})")))?;
        let oid = info.algorithm.oid;
        let key = if oid == OID_EC_PUBLIC_KEY {
            match info.algorithm.parameters_oid().ok() {
                Some(c) if c == OID_P256 => Key::P256(p256::ecdsa::VerifyingKey::from_public_key_der(der).map_err(|e| public_error(format!("P-256: {e}")))?),
                Some(c) if c == OID_P384 => Key::P384(p384::ecdsa::VerifyingKey::from_public_key_der(der).map_err(|e| public_error(format!("P-384: {e}")))?),
                Some(c) => return Err(public_error(format!("EC curve {c} is not P-256 or P-384"))),
                None => return Err(public_error("an EC key without a named curve")),
            }
        } else if oid == OID_ED25519 {
            Key::Ed25519(ed25519_dalek::pkcs8::DecodePublicKey::from_public_key_der(der).map_err(|e| public_error(format!("Ed25519: {e}")))?)
        } else if oid == OID_RSA {
            use rsa::traits::PublicKeyParts as _;
            let key = rsa::RsaPublicKey::from_public_key_der(der).map_err(|e| public_error(format!("RSA: {e}")))?;
            if key.n().bits() < MIN_RSA_BITS {
                return Err(public_error(format!("an RSA key of {} bits (at least {MIN_RSA_BITS} accepted)", key.n().bits())));
            }
            Key::Rsa(Box::new(key))
        } else {
            return Err(public_error(format!("key algorithm {oid} is not ECDSA, Ed25519 or RSA")));
        };
        Ok(VerifyingKey { key, spki: der.to_vec() })
    }

    /// PEM `PUBLIC KEY` (SPKI), as cosign writes `cosign.pub`.
    pub fn to_pem(&self) -> String {
        pem::encode("PUBLIC KEY", &self.spki)
    }

    /// SPKI DER.
    pub fn spki_der(&self) -> &[u8] {
        &self.spki
    }

    /// The key's id: lowercase hex SHA-256 of its SPKI DER.
    pub fn key_id(&self) -> String {
        hex::encode(self.spki_sha256())
    }

    /// SHA-256 of the SPKI DER; base64 of it is the `publicKey.hint` Sigstore bundles carry.
    pub fn spki_sha256(&self) -> [u8; 32] {
        Sha256::digest(&self.spki).into()
    }

    /// The algorithm as it is shown to people.
    pub fn algorithm(&self) -> &'static str {
        match self.key {
            Key::P256(_) => "ECDSA P-256",
            Key::P384(_) => "ECDSA P-384",
            Key::Ed25519(_) => "Ed25519",
            Key::Rsa(_) => "RSA",
        }
    }

    /// Checks `sig` over `msg` (ECDSA DER with SHA-256 or SHA-384 by curve, Ed25519, RSA PKCS#1 v1.5 SHA-256).
    pub fn verify(&self, msg: &[u8], sig: &[u8]) -> Result<(), SignatureError> {
        let malformed = |reason: String| SignatureError::Malformed { algorithm: self.algorithm(), reason };
        match &self.key {
            Key::P256(k) => {
                let sig = p256::ecdsa::DerSignature::from_bytes(sig).map_err(|e| malformed(format!("not ASN.1 DER ({e})")))?;
                k.verify(msg, &sig).map_err(|_| SignatureError::Invalid)
            }
            Key::P384(k) => {
                let sig = p384::ecdsa::DerSignature::from_bytes(sig).map_err(|e| malformed(format!("not ASN.1 DER ({e})")))?;
                k.verify(msg, &sig).map_err(|_| SignatureError::Invalid)
            }
            Key::Ed25519(k) => {
                let sig = ed25519_dalek::Signature::from_slice(sig).map_err(|_| malformed(format!("{} bytes, not 64", sig.len())))?;
                k.verify_strict(msg, &sig).map_err(|_| SignatureError::Invalid)
            }
            Key::Rsa(k) => {
                let sig = rsa::pkcs1v15::Signature::try_from(sig).map_err(|e| malformed(e.to_string()))?;
                rsa::pkcs1v15::VerifyingKey::<Sha256>::new((**k).clone()).verify(msg, &sig).map_err(|_| SignatureError::Invalid)
            }
        }
    }

    /// Checks `sig` over a message known only by its digest, as a Sigstore
    /// message-signature bundle gives it: SHA-256 for P-256 and RSA, SHA-384
    /// for P-384. Ed25519 signs the message itself, so it needs [`Self::verify`].
    pub fn verify_digest(&self, algorithm: HashAlgorithm, digest: &[u8], sig: &[u8]) -> Result<(), SignatureError> {
        let malformed = |reason: String| SignatureError::Malformed { algorithm: self.algorithm(), reason };
        let expected = match self.key {
            Key::P384(_) => HashAlgorithm::Sha384,
            Key::P256(_) | Key::Rsa(_) => HashAlgorithm::Sha256,
            Key::Ed25519(_) => return Err(malformed("Ed25519 signs the whole message; the digest alone cannot be checked".into())),
        };
        if algorithm != expected || digest.len() != expected.digest_len() {
            return Err(malformed(format!("a {} key signs {} digests, not a {}-byte {}", self.algorithm(), expected.name(), digest.len(), algorithm.name())));
        }
        self.verify_prehash_with(algorithm, digest, sig)
    }
}

impl VerifyingKey {
    /// Checks `sig` over a digest made with `algorithm`, whatever the key's
    /// usual hash (a timestamp authority signs with the hash it chose).
    pub(crate) fn verify_prehash_with(&self, algorithm: HashAlgorithm, digest: &[u8], sig: &[u8]) -> Result<(), SignatureError> {
        use signature::hazmat::PrehashVerifier as _;
        let malformed = |reason: String| SignatureError::Malformed { algorithm: self.algorithm(), reason };
        match &self.key {
            Key::P256(k) => {
                let sig = p256::ecdsa::DerSignature::from_bytes(sig).map_err(|e| malformed(format!("not ASN.1 DER ({e})")))?;
                k.verify_prehash(digest, &sig).map_err(|_| SignatureError::Invalid)
            }
            Key::P384(k) => {
                let sig = p384::ecdsa::DerSignature::from_bytes(sig).map_err(|e| malformed(format!("not ASN.1 DER ({e})")))?;
                k.verify_prehash(digest, &sig).map_err(|_| SignatureError::Invalid)
            }
            Key::Rsa(k) => {
                let scheme = match algorithm {
                    HashAlgorithm::Sha256 => rsa::Pkcs1v15Sign::new::<Sha256>(),
                    HashAlgorithm::Sha384 => rsa::Pkcs1v15Sign::new::<sha2::Sha384>(),
                    HashAlgorithm::Sha512 => rsa::Pkcs1v15Sign::new::<sha2::Sha512>(),
                };
                k.verify(scheme, digest, sig).map_err(|_| SignatureError::Invalid)
            }
            Key::Ed25519(_) => Err(malformed("Ed25519 signs the whole message; the digest alone cannot be checked".into())),
        }
    }
}

/// A message digest algorithm, as Sigstore bundles name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HashAlgorithm {
    /// `SHA2_256`.
    Sha256,
    /// `SHA2_384`.
    Sha384,
    /// `SHA2_512`.
    Sha512,
}

impl HashAlgorithm {
    /// The name in a bundle's `messageDigest.algorithm`.
    pub fn name(self) -> &'static str {
        match self {
            HashAlgorithm::Sha256 => "SHA2_256",
            HashAlgorithm::Sha384 => "SHA2_384",
            HashAlgorithm::Sha512 => "SHA2_512",
        }
    }

    /// Reads a bundle's algorithm name.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "SHA2_256" => Some(HashAlgorithm::Sha256),
            "SHA2_384" => Some(HashAlgorithm::Sha384),
            "SHA2_512" => Some(HashAlgorithm::Sha512),
            _ => None,
        }
    }

    /// Digest length in bytes.
    pub fn digest_len(self) -> usize {
        match self {
            HashAlgorithm::Sha256 => 32,
            HashAlgorithm::Sha384 => 48,
            HashAlgorithm::Sha512 => 64,
        }
    }

    /// The digest of `data`.
    pub fn digest(self, data: &[u8]) -> Vec<u8> {
        match self {
            HashAlgorithm::Sha256 => Sha256::digest(data).to_vec(),
            HashAlgorithm::Sha384 => sha2::Sha384::digest(data).to_vec(),
            HashAlgorithm::Sha512 => sha2::Sha512::digest(data).to_vec(),
        }
    }
}
