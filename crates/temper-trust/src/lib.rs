//! Signing and offline verification the way cosign users expect: keys,
//! simple-signing payloads, DSSE envelopes, in-toto statements and Sigstore
//! bundles. A pure library: no registry, no network, no prompts.
//!
//! - [`key`]: [`SigningKey`] (ECDSA P-256 or Ed25519; generated, written in
//!   cosign's encrypted PEM format, read from that format, its older label or
//!   plain PKCS#8/SEC1) and [`VerifyingKey`] (SPKI `PUBLIC KEY`: ECDSA P-256
//!   and P-384, Ed25519, RSA; its [`VerifyingKey::key_id`] is the hex SHA-256
//!   of the SPKI DER).
//! - [`payload`]: cosign's simple-signing payload ([`SimpleSigning`]).
//! - [`dsse`]: DSSE [`Envelope`]s, their pre-authentication encoding
//!   [`dsse::pae`], signing and verification.
//! - [`statement`]: in-toto [`Statement`] v1, cosign's `--type` aliases.
//! - [`bundle`]: Sigstore bundles (v0.1 to v0.3) read, public-key bundles
//!   written for a DSSE envelope or a message signature.
//! - [`verify`]: key-based verification of a legacy cosign signature, a DSSE
//!   envelope or a bundle, giving a typed [`Verified`] value only after the
//!   signature checks; [`VerifyError`] tells an invalid signature
//!   ([`VerifyError::Invalid`]) from a valid one by none of the given keys
//!   ([`VerifyError::Mismatch`]).
//! - [`keyless`]: a bundle made with a Fulcio certificate, checked against
//!   a Sigstore `trusted_root.json` (chain at the signing time, SCTs,
//!   transparency-log entries and checkpoints, RFC 3161 timestamps) and an
//!   identity policy ([`keyless::Identity`]), offline.
//!
//! Every input is hostile: sizes are bounded before parsing, the scrypt
//! parameters of an encrypted key are limited to cosign's three, and every
//! refusal is one line saying what is wrong.

pub mod bundle;
pub mod dsse;
pub mod key;
pub mod keyless;
pub mod payload;
pub mod statement;
pub mod verify;

mod b64;
mod pem;

pub use bundle::Bundle;
pub use dsse::Envelope;
pub use key::{Algorithm, SigningKey, VerifyingKey};
pub use payload::SimpleSigning;
pub use statement::Statement;
pub use verify::{Verified, VerifyError};

/// Why a key or a document was refused.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A key file that cannot be used; the message says why and what to do.
    #[error("{0}")]
    Key(String),
    /// The encrypted private key did not open with the password given.
    #[error("encrypted private key: wrong password (or a damaged key file); check the password given (prompt or TEMPER_PASSWORD)")]
    WrongPassword,
    /// A payload, envelope, statement or bundle that is not well formed.
    #[error("{what}: {reason}")]
    Malformed {
        /// Which kind of document.
        what: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// The system random number generator failed.
    #[error("random number generator unavailable: {0}")]
    Random(String),
}

/// A signature that does not verify, or cannot be read as one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// The bytes are not a signature of the key's algorithm (wrong length, not DER).
    #[error("not a {algorithm} signature: {reason}")]
    Malformed {
        /// The key's algorithm.
        algorithm: &'static str,
        /// What is wrong with the bytes.
        reason: String,
    },
    /// A well-formed signature that this key did not make over this message.
    #[error("the signature does not verify with this key")]
    Invalid,
}

/// `text` on one line, control characters escaped, at most `max` characters.
fn one_line(text: &str, max: usize) -> String {
    let mut out = String::new();
    for (i, c) in text.chars().enumerate() {
        if i == max {
            out.push('…');
            break;
        }
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// A malformed-document error.
fn malformed(what: &'static str, reason: impl std::fmt::Display) -> Error {
    Error::Malformed { what, reason: one_line(&reason.to_string(), 300) }
}

/// Refuses an input above `max` bytes before it is parsed.
fn check_size(what: &'static str, len: usize, max: usize) -> Result<(), Error> {
    if len > max {
        return Err(malformed(what, format!("{len} bytes, more than the {max} accepted")));
    }
    Ok(())
}
