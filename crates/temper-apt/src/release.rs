//! A repository's signed `Release`: `InRelease` (cleartext-signed) or
//! `Release` with a detached `Release.gpg`. The signature is checked first,
//! and only the text it covers is parsed: `Date`, `Valid-Until` (an expired
//! release is refused, as apt does, since a mirror could otherwise replay an
//! old, vulnerable archive forever), `Architectures`, `Components`,
//! `Acquire-By-Hash` and the `SHA256` list of index files.

use pgp::composed::{CleartextSignedMessage, Deserializable, DetachedSignature};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc2822;

use crate::control::Paragraphs;
use crate::keyring::{Keyring, Refusal};

/// A release file above this is refused (Debian's InRelease is ~150 KiB).
pub const MAX_RELEASE_BYTES: usize = 32 << 20;

/// An index file the release vouches for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReleaseFile {
    /// Relative to the release's directory (`main/binary-amd64/Packages.xz`).
    pub path: String,
    /// Its size in bytes.
    pub size: u64,
    /// Its SHA-256.
    pub sha256: [u8; 32],
}

/// A verified release.
#[derive(Clone, Debug)]
pub struct Release {
    /// The primary key fingerprint (hex) whose signature verified.
    pub signer: String,
    /// `Date`.
    pub date: Option<OffsetDateTime>,
    /// `Valid-Until`.
    pub valid_until: Option<OffsetDateTime>,
    /// `Suite`.
    pub suite: Option<String>,
    /// `Codename`.
    pub codename: Option<String>,
    /// `Architectures`.
    pub architectures: Vec<String>,
    /// `Components`.
    pub components: Vec<String>,
    /// `Acquire-By-Hash: yes`: indexes may be fetched as `by-hash/SHA256/<hex>`.
    pub acquire_by_hash: bool,
    /// The `SHA256` list.
    pub files: Vec<ReleaseFile>,
}

impl Release {
    /// The entry for `path`, when the release lists it.
    pub fn file(&self, path: &str) -> Option<&ReleaseFile> {
        self.files.iter().find(|f| f.path == path)
    }
}

/// Why a release was refused.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Not a cleartext-signed message, or an unreadable signature file.
    #[error("{origin}: {reason}")]
    Format {
        /// The URL or file.
        origin: String,
        /// What is wrong.
        reason: String,
    },
    /// No signature at all.
    #[error("{origin}: the release is not signed; temper reads only signed repositories (InRelease, or Release with Release.gpg)")]
    Unsigned {
        /// The URL or file.
        origin: String,
    },
    /// Signed, by no key of the keyring.
    #[error("{origin}: signed by key {issuers}, which is in none of the given keyrings ({known}); add the repository's public key (`keyrings` in the spec, or the source's Signed-By)")]
    UnknownKey {
        /// The URL or file.
        origin: String,
        /// The signing keys' ids or fingerprints.
        issuers: String,
        /// The keyring's fingerprints.
        known: String,
    },
    /// A keyring key's signature that does not verify.
    #[error("{origin}: the signature by key {key} does not verify: the release was changed after it was signed (tampered or corrupted); do not use this mirror until it serves a valid release")]
    BadSignature {
        /// The URL or file.
        origin: String,
        /// The primary key's fingerprint.
        key: String,
    },
    /// Signed by a key that has expired.
    #[error("{origin}: signed by key {key}, which expired on {at}; get the archive's current key (its keyring package, or the archive's published key) and give it in `keyrings`")]
    ExpiredKey {
        /// The URL or file.
        origin: String,
        /// The primary key's fingerprint.
        key: String,
        /// When it expired.
        at: String,
    },
    /// Signed by a revoked key.
    #[error("{origin}: signed by key {key}, which its owner revoked; do not trust this repository until it is signed by a current key")]
    RevokedKey {
        /// The URL or file.
        origin: String,
        /// The primary key's fingerprint.
        key: String,
    },
    /// `Valid-Until` has passed.
    #[error("{origin}: the release expired: Valid-Until {valid_until} is before now ({now}); the mirror is stale or replays an old archive; use an up-to-date mirror")]
    Expired {
        /// The URL or file.
        origin: String,
        /// `Valid-Until`, as written.
        valid_until: String,
        /// The time checked against.
        now: String,
    },
    /// A field that cannot be read.
    #[error("{origin}: field {field}: {reason}")]
    Field {
        /// The URL or file.
        origin: String,
        /// The field.
        field: &'static str,
        /// What is wrong.
        reason: String,
    },
}

/// Verifies an `InRelease` against `keyring`, then parses it.
pub fn verify_inrelease(origin: &str, bytes: &[u8], keyring: &Keyring, now: OffsetDateTime) -> Result<Release, Error> {
    let text = limited_text(origin, bytes)?;
    if !text.trim_start().starts_with("-----BEGIN PGP SIGNED MESSAGE-----") {
        return Err(Error::Unsigned { origin: origin.to_owned() });
    }
    let (msg, _) = CleartextSignedMessage::from_string(text)
        .map_err(|e| Error::Format { origin: origin.to_owned(), reason: format!("not a readable cleartext-signed message ({e})") })?;
    let signed = msg.signed_text();
    let signer = check(origin, keyring.verify(msg.signatures(), signed.as_bytes(), unix(now)), keyring)?;
    parse(origin, &signed.replace("\r\n", "\n"), signer, now)
}

/// Verifies a `Release` against its detached `Release.gpg` (empty when the
/// repository has none), then parses it.
pub fn verify_detached(origin: &str, release: &[u8], signature: &[u8], keyring: &Keyring, now: OffsetDateTime) -> Result<Release, Error> {
    let text = limited_text(origin, release)?;
    let sig_origin = format!("{origin}.gpg");
    if signature.is_empty() {
        return Err(Error::Unsigned { origin: origin.to_owned() });
    }
    if signature.len() > MAX_RELEASE_BYTES {
        return Err(Error::Format { origin: sig_origin, reason: format!("above the {MAX_RELEASE_BYTES} byte limit") });
    }
    let (sigs, _) = DetachedSignature::from_reader_many(signature)
        .map_err(|e| Error::Format { origin: sig_origin.clone(), reason: format!("not an OpenPGP signature ({e})") })?;
    // Debian signs with several keys; one this keyring can read is enough.
    let sigs: Vec<_> = sigs.filter_map(Result::ok).map(|s| s.signature).collect();
    let signer = check(origin, keyring.verify(&sigs, release, unix(now)), keyring)?;
    parse(origin, text, signer, now)
}

fn limited_text<'a>(origin: &str, bytes: &'a [u8]) -> Result<&'a str, Error> {
    if bytes.len() > MAX_RELEASE_BYTES {
        return Err(Error::Format { origin: origin.to_owned(), reason: format!("above the {MAX_RELEASE_BYTES} byte limit") });
    }
    std::str::from_utf8(bytes).map_err(|_| Error::Format { origin: origin.to_owned(), reason: "not UTF-8 text".into() })
}

fn unix(t: OffsetDateTime) -> u64 {
    u64::try_from(t.unix_timestamp()).unwrap_or(0)
}

fn check(origin: &str, verdict: Result<String, Refusal>, keyring: &Keyring) -> Result<String, Error> {
    verdict.map_err(|refusal| match refusal {
        Refusal::Unsigned => Error::Unsigned { origin: origin.to_owned() },
        Refusal::UnknownKey(issuers) => Error::UnknownKey {
            origin: origin.to_owned(),
            issuers: if issuers.is_empty() { "(no issuer named)".into() } else { issuers.join(", ") },
            known: if keyring.is_empty() { "no key given".into() } else { keyring.fingerprints().join(", ") },
        },
        Refusal::BadSignature(key) => Error::BadSignature { origin: origin.to_owned(), key },
        Refusal::ExpiredKey(key, at) => Error::ExpiredKey {
            origin: origin.to_owned(),
            key,
            at: i64::try_from(at).ok().and_then(|t| OffsetDateTime::from_unix_timestamp(t).ok()).and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok()).unwrap_or_else(|| at.to_string()),
        },
        Refusal::RevokedKey(key) => Error::RevokedKey { origin: origin.to_owned(), key },
    })
}

/// Parses a verified release text.
fn parse(origin: &str, text: &str, signer: String, now: OffsetDateTime) -> Result<Release, Error> {
    let field = |field: &'static str, reason: String| Error::Field { origin: origin.to_owned(), field, reason };
    let para = Paragraphs::new(text.as_bytes(), MAX_RELEASE_BYTES)
        .next()
        .ok_or_else(|| Error::Format { origin: origin.to_owned(), reason: "the release is empty".into() })?
        .map_err(|e| Error::Format { origin: origin.to_owned(), reason: e.to_string() })?;
    let date_of = |name: &'static str| -> Result<Option<OffsetDateTime>, Error> {
        para.get(name).map(|v| parse_date(v).ok_or_else(|| field(name, format!("`{}` is not an RFC 2822 date", v.escape_debug())))).transpose()
    };
    let date = date_of("Date")?;
    let valid_until = date_of("Valid-Until")?;
    if let Some(until) = valid_until
        && until < now
    {
        return Err(Error::Expired {
            origin: origin.to_owned(),
            valid_until: para.get("Valid-Until").unwrap_or_default().escape_debug().to_string(),
            now: now.format(&Rfc2822).unwrap_or_else(|_| now.to_string()),
        });
    }
    let words = |name: &str| para.get(name).map(|v| v.split_whitespace().map(str::to_owned).collect()).unwrap_or_default();
    let mut files = Vec::new();
    for line in para.get("SHA256").unwrap_or_default().lines().filter(|l| !l.trim().is_empty()) {
        let mut parts = line.split_whitespace();
        let (Some(hex), Some(size), Some(path), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
            return Err(field("SHA256", format!("`{}` is not `HASH SIZE PATH`", line.escape_debug())));
        };
        let mut sha256 = [0u8; 32];
        hex::decode_to_slice(hex, &mut sha256).map_err(|_| field("SHA256", format!("`{}` is not a SHA-256 in hex", hex.escape_debug())))?;
        let size = size.parse().map_err(|_| field("SHA256", format!("size `{}` of {} is not a number", size.escape_debug(), path.escape_debug())))?;
        files.push(ReleaseFile { path: path.to_owned(), size, sha256 });
    }
    Ok(Release {
        signer,
        date,
        valid_until,
        suite: para.get("Suite").map(str::to_owned),
        codename: para.get("Codename").map(str::to_owned),
        architectures: words("Architectures"),
        components: words("Components"),
        acquire_by_hash: para.get("Acquire-By-Hash").is_some_and(|v| v.eq_ignore_ascii_case("yes")),
        files,
    })
}

/// Release dates are RFC 2822 with `UTC` for the zone, which RFC 2822 does
/// not allow; apt accepts it, so it is read as `+0000`.
fn parse_date(value: &str) -> Option<OffsetDateTime> {
    let value = value.trim();
    let value = match value.rsplit_once(' ') {
        Some((head, "UTC" | "GMT" | "UT" | "Z")) => format!("{head} +0000"),
        _ => value.to_owned(),
    };
    OffsetDateTime::parse(&value, &Rfc2822).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn release_dates_with_utc_zone_parse() {
        let d = parse_date("Sat, 10 Jun 2023 08:53:33 UTC").unwrap();
        assert_eq!(d.unix_timestamp(), 1_686_387_213);
    }

    /// A refused value with continuation lines is quoted escaped, on one line.
    #[test]
    fn a_refused_multi_line_date_stays_on_one_line() {
        let err = parse("t", "Date: Sat,\n 10 Jun\n", "fp".into(), OffsetDateTime::UNIX_EPOCH).unwrap_err().to_string();
        assert_eq!(err, "t: field Date: `Sat,\\n10 Jun` is not an RFC 2822 date");
    }

    #[test]
    fn release_fields_and_sha256_list_parse() {
        let text = "Origin: x\nDate: Sat, 10 Jun 2023 08:53:33 UTC\nArchitectures: amd64 arm64\nComponents: main\nAcquire-By-Hash: yes\nSHA256:\n 0000000000000000000000000000000000000000000000000000000000000001 12 main/binary-amd64/Packages\n";
        let r = parse("t", text, "fp".into(), OffsetDateTime::UNIX_EPOCH).unwrap();
        assert_eq!(r.architectures, ["amd64", "arm64"]);
        assert!(r.acquire_by_hash);
        let f = r.file("main/binary-amd64/Packages").unwrap();
        assert_eq!((f.size, f.sha256[31]), (12, 1));
    }
}
