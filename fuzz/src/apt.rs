//! The `temper-apt` fuzz bodies. Everything temper-apt reads comes from
//! strangers: a mirror's `Release` and `Packages` indexes, a base image's
//! sources and dpkg status, a `.deb` and its maintainer scripts, a keyring
//! pasted into a spec. Each body must never panic or hang, and asserts what
//! the crate promises about what it accepts. The stream readers (control
//! paragraphs, indexes and their gzip and xz decoders) read the input
//! through [`SplitReader`] short reads and must give what a whole read gives.
//!
//! A release is parsed only once its signature verifies, so the release
//! body signs each input with a key generated here (Ed25519, from a fixed
//! seed; its creation time is the clock's, which changes no outcome) and
//! hands temper the text with that signature and a keyring holding the key.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::sync::OnceLock;

use pgp::composed::{ArmorOptions, CleartextSignedMessage, DetachedSignature, KeyType, SecretKeyParamsBuilder, SignedSecretKey};
use pgp::crypto::hash::HashAlgorithm;
use pgp::ser::Serialize;
use pgp::types::Password;
use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::SeedableRng;
use temper_apt::control::{Paragraph, Paragraphs};
use temper_apt::deb::{self, DataKind, DebError, DebLimits};
use temper_apt::index::{self, Compression, Package};
use temper_apt::keyring::Keyring;
use temper_apt::release::{self, Release};
use temper_apt::resolve::{self, Candidate, Request, Upgrade};
use temper_apt::{relation, scripts, sources};
use time::OffsetDateTime;

use crate::split::{SplitReader, seed_of};

/// When releases are checked: inside the seeds' `Valid-Until`.
fn now() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_796_688_000).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// A refusal is one line (it is printed as one).
fn one_line(msg: &str) {
    assert!(!msg.contains(['\n', '\r']), "a refusal on more than one line: {msg:?}");
}

/// The paragraph limit of the control body: small, so the limit is reached.
const PARAGRAPH_LIMIT: usize = 4096;

/// Paragraphs up to and including the first error (callers stop there).
fn paragraphs(input: impl BufRead) -> Vec<Result<Paragraph, String>> {
    let mut out = Vec::new();
    for p in Paragraphs::new(input, PARAGRAPH_LIMIT) {
        let failed = p.is_err();
        out.push(p.map_err(|e| e.to_string()));
        if failed {
            break;
        }
    }
    out
}

/// deb822 paragraphs read whole and in short pieces: both readings agree,
/// no paragraph is above the limit, and every field can be looked up.
/// True when every paragraph was read.
pub fn control(data: &[u8]) -> bool {
    let whole = paragraphs(data);
    let split = paragraphs(BufReader::new(SplitReader::new(data, seed_of(data))));
    assert_eq!(split, whole, "split reads changed the paragraphs");
    for p in &whole {
        match p {
            Ok(p) => {
                assert!(!p.fields.is_empty() && p.raw.len() <= PARAGRAPH_LIMIT && p.raw.ends_with('\n'), "{p:?}");
                for (name, _) in &p.fields {
                    assert!(!name.is_empty() && !name.contains(char::is_whitespace) && !name.contains(':'), "field name {name:?}");
                    assert!(p.get(name).is_some(), "field {name:?} cannot be looked up");
                }
            }
            Err(e) => one_line(e),
        }
    }
    !whole.is_empty() && whole.iter().all(Result::is_ok)
}

fn parse_index(origin: &str, compression: Compression, input: impl Read) -> Result<Vec<Package>, String> {
    index::parse(origin, compression.decoder(input)).map_err(|e| e.to_string())
}

/// A `Packages` index, decompressed first when it starts with the gzip or
/// xz magic; read whole and in short pieces. Both readings agree (on the
/// error too, for a plain index), and every package stays inside the
/// archive root. True when the index parsed.
pub fn index(data: &[u8]) -> bool {
    let (origin, compression) = if data.starts_with(&[0x1f, 0x8b]) {
        ("Packages.gz", Compression::Gzip)
    } else if data.starts_with(b"\xfd7zXZ\0") {
        ("Packages.xz", Compression::Xz)
    } else {
        ("Packages", Compression::None)
    };
    let whole = parse_index(origin, compression, data);
    let split = parse_index(origin, compression, SplitReader::new(data, seed_of(data)));
    match (&whole, &split) {
        (Ok(w), Ok(s)) => assert_eq!(w, s, "split reads changed the packages"),
        (Err(w), Err(s)) => assert!(compression != Compression::None || w == s, "split reads changed the error: {w} / {s}"),
        _ => panic!("split reads changed the outcome: {whole:?} read whole, {split:?} read split"),
    }
    match whole {
        Ok(packages) => {
            for p in &packages {
                assert!(!p.filename.starts_with('/') && !p.filename.split('/').any(|c| c == ".."), "{:?} leaves the archive root", p.filename);
                assert!(p.stanza.ends_with('\n') && p.stanza.len() <= index::MAX_STANZA_BYTES);
            }
            true
        }
        Err(e) => {
            assert!(e.starts_with(origin), "a refusal not naming {origin}: {e}");
            one_line(&e);
            false
        }
    }
}

/// The key the release body signs with, and a keyring holding it and the
/// seeds' archive key (which signed `seeds/apt_release/InRelease-*`).
struct Signing {
    key: SignedSecretKey,
    ring: Keyring,
}

const ARCHIVE_KEY: &[u8] = include_bytes!("../seeds/apt_keyring/archive-ed25519.asc");
const ARCHIVE_INRELEASE: &[u8] = include_bytes!("../seeds/apt_release/InRelease-bookworm-security");

fn signing() -> &'static Signing {
    static SIGNING: OnceLock<Signing> = OnceLock::new();
    SIGNING.get_or_init(|| {
        let key = SecretKeyParamsBuilder::default()
            .key_type(KeyType::Ed25519Legacy)
            .can_certify(true)
            .can_sign(true)
            .primary_user_id("temper fuzz <fuzz@example.org>".into())
            .build()
            .expect("key parameters")
            .generate(ChaCha8Rng::seed_from_u64(0x0a97_f022))
            .expect("a signing key");
        let public = key.to_public_key().to_armored_bytes(ArmorOptions::default()).expect("armor the public key");
        let mut ring = Keyring::from_bytes("fuzz key", &public).expect("read the fuzz key");
        ring.extend(Keyring::from_bytes("archive-ed25519.asc", ARCHIVE_KEY).expect("read the archive key"));
        Signing { key, ring }
    })
}

/// What a release the keyring verified must hold.
fn check_release(r: &Release, ring: &Keyring) {
    assert!(ring.fingerprints().contains(&r.signer), "signer {} is not in the keyring", r.signer);
    assert!(r.valid_until.is_none_or(|until| until >= now()), "an expired release was accepted");
    for f in &r.files {
        assert!(r.file(&f.path).is_some() && !f.path.is_empty(), "{f:?}");
    }
}

/// A refusal of a release signed by a key of the keyring: never for its signature.
fn check_signed_refusal(e: &release::Error) {
    use release::Error as E;
    assert!(!matches!(e, E::Unsigned { .. } | E::UnknownKey { .. } | E::BadSignature { .. }), "a release signed by a key of the keyring refused for its signature: {e}");
}

/// The input as a `Release` text with a detached signature by a key of
/// the keyring (reaching the parser with any text), as an `InRelease`
/// (verified against an empty keyring, which must refuse it, and against
/// the keyring), and cleartext-signed as an `InRelease` by the key. True
/// when the signed text or the input as an `InRelease` was accepted.
pub fn release(data: &[u8]) -> bool {
    let s = signing();
    let rng = || ChaCha8Rng::seed_from_u64(seed_of(data));
    let signature = DetachedSignature::sign_binary_data(rng(), &s.key.primary_key, &Password::empty(), HashAlgorithm::Sha256, data).and_then(|sig| sig.to_bytes()).expect("sign the input");
    let detached = release::verify_detached("Release", data, &signature, &s.ring, now());
    match &detached {
        Ok(r) => check_release(r, &s.ring),
        Err(e) => {
            check_signed_refusal(e);
            assert!(e.to_string().starts_with("Release"), "{e}");
            one_line(&e.to_string());
        }
    }
    let unknown = release::verify_inrelease("InRelease", data, &Keyring::new(), now());
    assert!(unknown.is_err(), "an empty keyring verified {unknown:?}");
    let inrelease = release::verify_inrelease("InRelease", data, &s.ring, now());
    match &inrelease {
        Ok(r) => check_release(r, &s.ring),
        Err(e) => assert!(e.to_string().starts_with("InRelease"), "{e}"),
    }
    // rpgp signs a cleartext message's lines with their trailing blanks,
    // which the format says are not signed (gpg drops them, and rpgp's own
    // reading does), and a carriage return closing the text as a line
    // break, which its reading drops: the text is signed as it is read,
    // every CR a line break, lines without trailing blanks.
    if let Ok(text) = std::str::from_utf8(data)
        && let text = text.replace("\r\n", "\n").replace('\r', "\n").split('\n').map(|l| l.trim_end_matches([' ', '\t'])).collect::<Vec<_>>().join("\n")
        && let Ok(signed) = CleartextSignedMessage::sign(rng(), &text, &s.key.primary_key, &Password::empty()).and_then(|m| m.to_armored_string(ArmorOptions::default()))
    {
        match release::verify_inrelease("InRelease", signed.as_bytes(), &s.ring, now()) {
            Ok(r) => check_release(&r, &s.ring),
            Err(e) => check_signed_refusal(&e),
        }
    }
    detached.is_ok() || inrelease.is_ok()
}

/// A sources file in both forms: what is accepted is fetchable (an http
/// or https URI without a trailing `/`) and shaped as apt wants (a flat
/// repository without components, any other with some). True when either
/// form gave a source.
pub fn sources(data: &[u8]) -> bool {
    let text = String::from_utf8_lossy(data);
    let mut accepted = false;
    for origin in ["sources.list", "debian.sources"] {
        match sources::parse(origin, &text) {
            Ok(list) => {
                for s in &list {
                    assert!((s.uri.starts_with("http://") || s.uri.starts_with("https://")) && !s.uri.ends_with('/'), "{s:?}");
                    assert_eq!(s.is_flat(), s.components.is_empty(), "{s:?}");
                }
                accepted |= !list.is_empty();
            }
            Err(e) => {
                let msg = e.to_string();
                assert!(msg.starts_with(origin), "a refusal not naming {origin}: {msg}");
                one_line(&msg);
            }
        }
    }
    accepted
}

/// First line: a `Depends` field; every other line: a version. Parsed
/// relations print as text that parses back to themselves (less the
/// architecture restrictions and profiles, which are not printed); the
/// flat reading agrees where there are no alternatives. Versions compare
/// antisymmetrically and transitively, and print as an equal version.
/// True when the field parsed.
pub fn relation(data: &[u8]) -> bool {
    let text = String::from_utf8_lossy(data);
    let mut lines = text.split('\n');
    let field = lines.next().unwrap_or_default();
    let parsed = relation::parse("Depends", field);
    match &parsed {
        Ok(groups) => {
            for group in groups {
                assert!(!group.is_empty());
                let printed = relation::group_text(group);
                let again = relation::parse("Depends", &printed).unwrap_or_else(|e| panic!("{printed:?} printed from {field:?} does not parse: {e}"));
                let bare: Vec<_> = group.iter().map(|r| relation::Relation { arches: Vec::new(), profiles: Vec::new(), ..r.clone() }).collect();
                assert_eq!(again, [bare], "{printed:?} parses back to something else");
            }
            match relation::parse_flat("Provides", field) {
                Ok(flat) => assert_eq!(flat, groups.concat()),
                Err(_) => assert!(groups.iter().any(|g| g.len() > 1), "parse_flat refused {field:?} without alternatives"),
            }
        }
        Err(e) => assert!(e.to_string().starts_with("Depends field '"), "{e}"),
    }
    let versions: Vec<(&str, relation::Version)> = lines.filter_map(|l| l.parse().ok().map(|v| (l, v))).collect();
    for (l, v) in &versions {
        let printed = v.to_string();
        let again: relation::Version = printed.parse().unwrap_or_else(|e| panic!("{l:?} prints as {printed:?}, which does not parse: {e}"));
        assert_eq!(again.cmp(v), std::cmp::Ordering::Equal, "{l:?} prints as {printed:?}");
    }
    for pair in versions.windows(2) {
        let (a, b) = (pair[0].0, pair[1].0);
        let ab = relation::compare(a, b).expect("parsed versions compare");
        assert_eq!(relation::compare(b, a).map(std::cmp::Ordering::reverse), Ok(ab), "{a:?} vs {b:?}");
        assert_eq!(relation::compare(a, a), Ok(std::cmp::Ordering::Equal), "{a:?}");
    }
    for t in versions.windows(3) {
        let (a, b, c) = (&t[0].1, &t[1].1, &t[2].1);
        if a <= b && b <= c {
            assert!(a <= c, "{} <= {} <= {} but not {} <= {}", t[0].0, t[1].0, t[2].0, t[0].0, t[2].0);
        }
    }
    parsed.is_ok()
}

/// Bounds small enough that the seeds and their mutations reach them.
fn deb_limits() -> DebLimits {
    DebLimits { max_control_bytes: 64 << 10, max_file_bytes: 64 << 10, max_data_bytes: 256 << 10, max_entries: 64 }
}

/// A root-relative path without empty, `.` or `..` components.
fn normalised(p: &str) -> bool {
    !p.starts_with('/') && p.split('/').all(|c| !c.is_empty() && c != "." && c != "..")
}

/// The input as a `.deb` file: its control members and every data entry,
/// each file read to its end. Paths stay inside the root and never pass
/// through a symlink the package ships, each file gives exactly the bytes
/// it declares, and the limits hold. True when both were read.
pub fn deb(data: &[u8]) -> bool {
    let mut file = tempfile::Builder::new().suffix(".deb").tempfile().expect("a temporary file");
    file.write_all(data).expect("write the .deb");
    let path = file.path().to_owned();
    let limits = deb_limits();
    let name = path.display().to_string();
    let control = deb::read_control(&path, &limits);
    match &control {
        Ok(c) => {
            assert!(!c.paragraph.is_empty());
            assert!(c.members.values().map(|m| m.len() as u64).sum::<u64>() <= limits.max_control_bytes);
            assert!(c.conffiles().iter().all(|f| f.starts_with('/')));
            let _ = (c.field("Package"), c.md5sums(), c.scripts());
        }
        Err(e) => assert!(e.to_string().starts_with(&name), "{e}"),
    }
    let mut symlinks = BTreeSet::new();
    let (mut entries, mut total) = (0u64, 0u64);
    let walked = deb::each_data_entry(&path, &limits, &mut |entry, content| -> Result<(), DebError> {
        entries += 1;
        assert!(entries <= limits.max_entries);
        assert!(normalised(&entry.path), "entry path {:?}", entry.path);
        let through = |p: &str| p.match_indices('/').any(|(i, _)| symlinks.contains(&p[..i]));
        assert!(!through(&entry.path), "{:?} is written through a symlink", entry.path);
        match &entry.kind {
            DataKind::File { size } => {
                assert!(*size <= limits.max_file_bytes);
                let mut bytes = Vec::new();
                let n = content.read_to_end(&mut bytes).map_err(|e| DebError { path: path.clone(), reason: e.to_string() })?;
                assert_eq!(n as u64, *size, "{:?} declares {size} bytes and gives {n}", entry.path);
                total += n as u64;
                assert!(total <= limits.max_data_bytes);
            }
            DataKind::Dir => {}
            DataKind::Symlink { target } => {
                assert!(!target.is_empty());
                symlinks.insert(entry.path.clone());
            }
            DataKind::Hardlink { target } => assert!(normalised(target) && !through(target), "hard link to {target:?}"),
        }
        Ok(())
    });
    if let Err(e) = &walked {
        assert!(e.to_string().starts_with(&name), "{e}");
    }
    control.is_ok() && walked.is_ok()
}

/// A maintainer script, classified for a fresh install and for an upgrade:
/// the alternatives are the same, and an upgrade reports at least what a
/// fresh install does (only `dpkg-maintscript-helper` calls depend on it).
/// Alternatives are absolute paths and plain names; nothing is listed
/// twice. True when a fresh install needs nothing temper does not do.
pub fn scripts(data: &[u8]) -> bool {
    let text = String::from_utf8_lossy(data);
    let fresh = scripts::classify(&text, None);
    let upgrade = scripts::classify(&text, Some("1.0-1"));
    assert_eq!(fresh.alternatives, upgrade.alternatives);
    let reported: BTreeSet<&String> = upgrade.unhandled.iter().collect();
    assert!(fresh.unhandled.iter().all(|u| reported.contains(u)), "{fresh:?} / {upgrade:?}");
    for a in &fresh.alternatives {
        let plain = |n: &str| !n.is_empty() && !n.contains(['/', '$']);
        assert!(a.link.starts_with('/') && a.path.starts_with('/') && plain(&a.name), "{a:?}");
        assert!(a.slaves.iter().all(|(l, n, p)| l.starts_with('/') && p.starts_with('/') && plain(n)), "{a:?}");
    }
    for list in [&fresh.unhandled, &upgrade.unhandled] {
        assert_eq!(list.iter().collect::<BTreeSet<_>>().len(), list.len(), "listed twice: {list:?}");
    }
    assert_eq!(fresh.alternatives.iter().map(|a| format!("{a:?}")).collect::<BTreeSet<_>>().len(), fresh.alternatives.len());
    fresh.unhandled.is_empty()
}

/// A dpkg status file, then the resolver over it: its packages installed
/// and offered again by the sources, the first one requested and
/// everything upgraded. A plan lists packages by name. True when the
/// status held a package.
pub fn status(data: &[u8]) -> bool {
    let text = String::from_utf8_lossy(data);
    let installed = resolve::parse_status(&text);
    assert!(installed.len() <= text.split("\n\n").count());
    let candidates: Vec<Candidate> = installed
        .iter()
        .map(|i| Candidate {
            name: i.name.clone(),
            version: i.version.clone(),
            architecture: i.architecture.clone(),
            multi_arch: i.multi_arch.clone(),
            essential: i.essential,
            depends: i.depends.clone(),
            pre_depends: i.pre_depends.clone(),
            provides: i.provides.clone(),
            conflicts: i.conflicts.clone(),
            breaks: i.breaks.clone(),
        })
        .collect();
    let request = Request { install: installed.first().map(|i| i.name.clone()).into_iter().collect(), upgrade: Upgrade::All };
    if let Ok(plan) = resolve::resolve("amd64", &installed, &candidates, &request) {
        let by_name = |names: Vec<&str>| names.windows(2).all(|w| w[0] <= w[1]);
        assert!(by_name(plan.install.iter().map(|c| c.name.as_str()).collect()), "{plan:?}");
        assert!(by_name(plan.upgrade.iter().map(|(i, _)| i.name.as_str()).collect()), "{plan:?}");
        assert!(by_name(plan.kept.iter().map(|i| i.name.as_str()).collect()), "{plan:?}");
    }
    !installed.is_empty()
}

/// An OpenPGP keyring, armored or binary: what is read holds keys named by
/// fingerprints in upper-case hex, and verifies the seeds' `InRelease`
/// only when it holds the key that signed it. True when it was read.
pub fn keyring(data: &[u8]) -> bool {
    match Keyring::from_bytes("keyring.asc", data) {
        Ok(ring) => {
            assert!(!ring.is_empty());
            for fp in ring.fingerprints() {
                assert!(matches!(fp.len(), 40 | 64) && fp.bytes().all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(&b)), "fingerprint {fp:?}");
            }
            if let Ok(r) = release::verify_inrelease("InRelease", ARCHIVE_INRELEASE, &ring, now()) {
                assert!(ring.fingerprints().contains(&r.signer), "signer {} is not in the keyring", r.signer);
            }
            true
        }
        Err(e) => {
            let msg = e.to_string();
            assert!(msg.starts_with("keyring keyring.asc: "), "{msg}");
            one_line(&msg);
            false
        }
    }
}
