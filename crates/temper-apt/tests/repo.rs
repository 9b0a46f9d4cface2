//! The repository client against a real signed repository made from real
//! Debian packages (tests/support): what verifies, and each refusal.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod support;

use std::path::Path;

use sha2::{Digest, Sha256};
use support::{Gpg, RepoOptions, TestRepo, fixture_deb};
use temper_apt::keyring::Keyring;
use temper_apt::repo::{DEB_CACHE, INDEX_CACHE, Repository};
use temper_apt::sources::{self, SignedBy};
use temper_image::RegistryOptions;
use time::OffsetDateTime;

fn open(repo: &TestRepo, keyring: &Keyring, cache: &Path) -> Result<Repository, temper_apt::repo::Error> {
    let source = &sources::parse_one_line("test", &repo.source_line()).unwrap()[0];
    Repository::open(source, "amd64", keyring, &RegistryOptions::default(), cache, OffsetDateTime::now_utc())
}

fn keyring_of(key: &Gpg) -> Keyring {
    Keyring::from_bytes("test key", &key.export(true)).unwrap()
}

fn files_in(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir).map(|r| r.map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect()).unwrap_or_default()
}

fn flip_last_byte(path: &Path) {
    let mut bytes = std::fs::read(path).unwrap();
    *bytes.last_mut().unwrap() ^= 0xff;
    std::fs::write(path, bytes).unwrap();
}

#[test]
fn verifies_a_real_signed_repo_and_lists_curl_with_its_sha256() {
    let repo = TestRepo::new();
    let cache = tempfile::tempdir().unwrap();
    let opened = open(&repo, &keyring_of(&repo.key), cache.path()).unwrap();
    // Signed by the subkey; the primary is what the keyring names.
    assert_eq!(opened.release().signer, repo.key.fingerprint);
    assert_eq!(opened.packages().len(), 32);
    let deb = std::fs::read(fixture_deb("curl")).unwrap();
    let curl = opened.packages().iter().find(|p| p.name == "curl").unwrap();
    assert_eq!(curl.sha256, <[u8; 32]>::from(Sha256::digest(&deb)));
    assert_eq!(curl.size, deb.len() as u64);
    assert!(curl.depends.as_deref().unwrap().contains("libcurl4 (= "), "{:?}", curl.depends);
    assert!(curl.stanza.starts_with("Package: curl\n"), "{}", curl.stanza);
    // The index is kept decompressed, under the hash the release gives the plain file.
    let plain = std::fs::read(repo.dist().join("main/binary-amd64/Packages")).unwrap();
    assert_eq!(files_in(&cache.path().join(INDEX_CACHE)), [hex::encode(Sha256::digest(&plain))]);

    let path = opened.download(curl).unwrap();
    assert_eq!(path, cache.path().join(DEB_CACHE).join(format!("{}.deb", hex::encode(curl.sha256))));
    assert_eq!(std::fs::read(&path).unwrap(), deb);
}

#[test]
fn indexes_and_debs_are_served_from_the_cache_by_hash() {
    let repo = TestRepo::new();
    let cache = tempfile::tempdir().unwrap();
    let keyring = keyring_of(&repo.key);
    let first = open(&repo, &keyring, cache.path()).unwrap();
    let curl = first.packages().iter().find(|p| p.name == "curl").unwrap().clone();
    let cached = first.download(&curl).unwrap();
    // The mirror loses the index and the .deb: the signed release still
    // names them by hash, and the cache has those bytes.
    std::fs::remove_file(repo.dist().join("main/binary-amd64/Packages.xz")).unwrap();
    std::fs::remove_file(repo.root().join(&curl.filename)).unwrap();
    let second = open(&repo, &keyring, cache.path()).unwrap();
    assert_eq!(second.packages(), first.packages());
    assert_eq!(second.download(&curl).unwrap(), cached);
}

#[test]
fn damaged_cached_index_is_fetched_again() {
    let repo = TestRepo::new();
    let cache = tempfile::tempdir().unwrap();
    let keyring = keyring_of(&repo.key);
    let first = open(&repo, &keyring, cache.path()).unwrap();
    let cached = cache.path().join(INDEX_CACHE).join(&files_in(&cache.path().join(INDEX_CACHE))[0]);
    flip_last_byte(&cached);
    let second = open(&repo, &keyring, cache.path()).unwrap();
    assert_eq!(second.packages(), first.packages());
    assert_eq!(std::fs::read(&cached).unwrap(), std::fs::read(repo.dist().join("main/binary-amd64/Packages")).unwrap());
}

#[test]
fn release_gpg_is_used_when_there_is_no_inrelease() {
    let repo = TestRepo::new();
    std::fs::remove_file(repo.dist().join("InRelease")).unwrap();
    let cache = tempfile::tempdir().unwrap();
    let opened = open(&repo, &keyring_of(&repo.key), cache.path()).unwrap();
    assert_eq!(opened.release().signer, repo.key.fingerprint);
    assert!(opened.packages().iter().any(|p| p.name == "libcurl4"));
}

#[test]
fn unsigned_release_is_refused() {
    let repo = TestRepo::new();
    std::fs::remove_file(repo.dist().join("InRelease")).unwrap();
    std::fs::remove_file(repo.dist().join("Release.gpg")).unwrap();
    let cache = tempfile::tempdir().unwrap();
    let err = open(&repo, &keyring_of(&repo.key), cache.path()).unwrap_err().to_string();
    assert!(err.contains("/dists/stable/Release: the release is not signed"), "{err}");
}

#[test]
fn wrong_key_is_refused_naming_the_signing_key() {
    let repo = TestRepo::new();
    let other = Gpg::new("someone-else");
    let cache = tempfile::tempdir().unwrap();
    let err = open(&repo, &keyring_of(&other), cache.path()).unwrap_err().to_string();
    assert!(err.contains("/dists/stable/InRelease: signed by key"), "{err}");
    assert!(err.contains(&repo.key.subkey), "the signing subkey is named: {err}");
    assert!(err.contains(&format!("in none of the given keyrings ({})", other.fingerprint)), "{err}");
    assert!(files_in(&cache.path().join(INDEX_CACHE)).is_empty());
}

/// Runs `gpg` with the repository key's home, failing the test on error.
fn gpg(repo: &TestRepo, args: &[&str]) -> String {
    let out = repo.key.cmd().args(args).output().unwrap();
    assert!(out.status.success(), "gpg {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn release_signed_by_an_expired_key_is_refused() {
    let repo = TestRepo::new();
    // A key made in 2024 whose signing subkey expired a day later; the
    // release is signed while it was valid (as a replayed old archive is).
    let home = tempfile::Builder::new().prefix("tg").tempdir_in("/tmp").unwrap();
    let faked = |args: &[&str]| {
        let out = std::process::Command::new("gpg").env("GNUPGHOME", home.path()).args(["--batch", "--yes", "--quiet", "--pinentry-mode", "loopback", "--passphrase", "", "--faked-system-time=20240101T000000!"]).args(args).output().unwrap();
        assert!(out.status.success(), "gpg {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    faked(&["--quick-gen-key", "old <old@temper.invalid>", "ed25519", "cert", "never"]);
    let fpr = |listing: String| listing.lines().filter_map(|l| l.strip_prefix("fpr:")).map(|l| l.trim_matches(':').to_owned()).collect::<Vec<_>>();
    let primary = fpr(faked(&["--with-colons", "--list-keys"]))[0].clone();
    faked(&["--quick-add-key", &primary, "ed25519", "sign", "1d"]);
    let sub = fpr(faked(&["--with-colons", "--list-keys"]))[1].clone();
    let dist = repo.dist();
    faked(&["--local-user", &format!("{sub}!"), "--clearsign", "-o", dist.join("InRelease").to_str().unwrap(), dist.join("Release").to_str().unwrap()]);
    let keyring = Keyring::from_bytes("old key", faked(&["--armor", "--export", &primary]).as_bytes()).unwrap();
    let cache = tempfile::tempdir().unwrap();
    let err = open(&repo, &keyring, cache.path()).unwrap_err().to_string();
    assert!(err.contains(&format!("/dists/stable/InRelease: signed by key {primary}, which expired on 2024-01-02")), "{err}");
    assert!(files_in(&cache.path().join(INDEX_CACHE)).is_empty());
    let _ = std::process::Command::new("gpgconf").env("GNUPGHOME", home.path()).args(["--kill", "gpg-agent"]).status();
}

#[test]
fn release_signed_by_a_revoked_key_is_refused() {
    let repo = TestRepo::new();
    // gpg keeps a revocation certificate for each key it makes; importing it revokes the key.
    let homedir = gpg(&repo, &["--version"]).lines().find_map(|l| l.strip_prefix("Home: ")).unwrap().trim().to_owned();
    let cert = std::fs::read_to_string(Path::new(&homedir).join("openpgp-revocs.d").join(format!("{}.rev", repo.key.fingerprint))).unwrap().replace(":-----BEGIN PGP PUBLIC KEY BLOCK-----", "-----BEGIN PGP PUBLIC KEY BLOCK-----");
    let cert_path = Path::new(&homedir).join("revoke.asc");
    std::fs::write(&cert_path, cert).unwrap();
    gpg(&repo, &["--import", cert_path.to_str().unwrap()]);
    let cache = tempfile::tempdir().unwrap();
    let err = open(&repo, &keyring_of(&repo.key), cache.path()).unwrap_err().to_string();
    assert!(err.contains(&format!("/dists/stable/InRelease: signed by key {}, which its owner revoked", repo.key.fingerprint)), "{err}");
}

#[test]
fn tampered_release_is_refused() {
    let repo = TestRepo::new();
    let path = repo.dist().join("InRelease");
    let text = std::fs::read_to_string(&path).unwrap();
    // Point the index list at other bytes, keeping the signature.
    let tampered = text.replacen("Architectures: amd64", "Architectures: arm64", 1);
    assert_ne!(text, tampered);
    std::fs::write(&path, tampered).unwrap();
    let cache = tempfile::tempdir().unwrap();
    let err = open(&repo, &keyring_of(&repo.key), cache.path()).unwrap_err().to_string();
    assert!(err.contains(&format!("the signature by key {} does not verify", repo.key.fingerprint)), "{err}");
    assert!(err.contains("changed after it was signed"), "{err}");
}

#[test]
fn tampered_packages_is_refused_by_hash() {
    let repo = TestRepo::new();
    flip_last_byte(&repo.dist().join("main/binary-amd64/Packages.xz"));
    let cache = tempfile::tempdir().unwrap();
    let err = open(&repo, &keyring_of(&repo.key), cache.path()).unwrap_err().to_string();
    assert!(err.contains("/dists/stable/main/binary-amd64/Packages.xz: SHA-256 mismatch: expected "), "{err}");
    assert!(files_in(&cache.path().join(INDEX_CACHE)).is_empty(), "nothing unverified is cached");
}

#[test]
fn tampered_deb_is_refused_and_nothing_is_left_in_the_cache() {
    let repo = TestRepo::new();
    let cache = tempfile::tempdir().unwrap();
    let opened = open(&repo, &keyring_of(&repo.key), cache.path()).unwrap();
    let curl = opened.packages().iter().find(|p| p.name == "curl").unwrap().clone();
    flip_last_byte(&repo.root().join(&curl.filename));
    let err = opened.download(&curl).unwrap_err().to_string();
    assert!(err.contains(&format!("{}: SHA-256 mismatch: expected {}", curl.filename, hex::encode(curl.sha256))), "{err}");
    assert!(files_in(&cache.path().join(DEB_CACHE)).is_empty(), "{:?}", files_in(&cache.path().join(DEB_CACHE)));
    // A longer file stops at one byte past the size.
    std::fs::write(repo.root().join(&curl.filename), vec![0u8; curl.size as usize + 4096]).unwrap();
    let err = opened.download(&curl).unwrap_err().to_string();
    assert!(err.contains(&format!("size mismatch: expected {}", curl.size)), "{err}");
    assert!(files_in(&cache.path().join(DEB_CACHE)).is_empty());
}

#[test]
fn expired_valid_until_is_refused_with_both_dates() {
    let repo = TestRepo::with(RepoOptions { valid_until: Some("Sat, 01 Jan 2000 00:00:00 UTC".into()), ..RepoOptions::default() });
    let cache = tempfile::tempdir().unwrap();
    let err = open(&repo, &keyring_of(&repo.key), cache.path()).unwrap_err().to_string();
    let year = OffsetDateTime::now_utc().year();
    assert!(err.contains("the release expired: Valid-Until Sat, 01 Jan 2000 00:00:00 UTC is before now ("), "{err}");
    assert!(err.contains(&format!(" {year} ")), "now is in the message: {err}");
}

#[test]
fn valid_until_in_the_future_is_accepted() {
    let repo = TestRepo::with(RepoOptions { valid_until: Some("Fri, 01 Jan 2100 00:00:00 UTC".into()), ..RepoOptions::default() });
    let cache = tempfile::tempdir().unwrap();
    let opened = open(&repo, &keyring_of(&repo.key), cache.path()).unwrap();
    assert_eq!(opened.release().valid_until.unwrap().year(), 2100);
}

#[test]
fn acquire_by_hash_fetches_indexes_by_their_hash() {
    let repo = TestRepo::with(RepoOptions { by_hash: true, ..RepoOptions::default() });
    for name in ["Packages", "Packages.gz", "Packages.xz"] {
        std::fs::remove_file(repo.dist().join("main/binary-amd64").join(name)).unwrap();
    }
    let cache = tempfile::tempdir().unwrap();
    let opened = open(&repo, &keyring_of(&repo.key), cache.path()).unwrap();
    assert!(opened.release().acquire_by_hash);
    assert_eq!(opened.packages().len(), 32);
}

#[test]
fn flat_repository_is_read_from_its_directory() {
    let repo = TestRepo::flat();
    let source = &sources::parse_one_line("test", &format!("deb {} ./", repo.url())).unwrap()[0];
    let cache = tempfile::tempdir().unwrap();
    let opened = Repository::open(source, "amd64", &keyring_of(&repo.key), &RegistryOptions::default(), cache.path(), OffsetDateTime::now_utc()).unwrap();
    assert_eq!(opened.packages().len(), 32);
    let curl = opened.packages().iter().find(|p| p.name == "curl").unwrap();
    assert_eq!(std::fs::read(opened.download(curl).unwrap()).unwrap(), std::fs::read(fixture_deb("curl")).unwrap());
}

#[test]
fn source_restricted_to_another_architecture_reads_no_index() {
    let repo = TestRepo::new();
    let line = format!("deb [arch=arm64] {} {} main", repo.url(), support::SUITE);
    let source = &sources::parse_one_line("test", &line).unwrap()[0];
    let cache = tempfile::tempdir().unwrap();
    let opened = Repository::open(source, "amd64", &keyring_of(&repo.key), &RegistryOptions::default(), cache.path(), OffsetDateTime::now_utc()).unwrap();
    assert!(opened.packages().is_empty());
    assert!(files_in(&cache.path().join(INDEX_CACHE)).is_empty());
}

#[test]
fn armored_and_binary_keyrings_hold_the_same_keys() {
    let (a, b) = (Gpg::new("first"), Gpg::new("second"));
    let armored = Keyring::from_bytes("a.asc", &a.export(true)).unwrap();
    assert_eq!(armored.fingerprints(), std::slice::from_ref(&a.fingerprint));
    let binary = Keyring::from_bytes("a.gpg", &a.export(false)).unwrap();
    assert_eq!(binary.fingerprints(), std::slice::from_ref(&a.fingerprint));
    // A binary keyring of two exports, and two armored blocks in one file.
    let many = Keyring::from_bytes("both.gpg", &[a.export(false), b.export(false)].concat()).unwrap();
    assert_eq!(many.fingerprints(), [a.fingerprint.clone(), b.fingerprint.clone()]);
    let blocks = Keyring::from_bytes("both.asc", &[a.export(true), b.export(true)].concat()).unwrap();
    assert_eq!(blocks.fingerprints(), [a.fingerprint.clone(), b.fingerprint.clone()]);
}

#[test]
fn binary_keyring_verifies_the_repository() {
    let repo = TestRepo::new();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("repo.gpg");
    std::fs::write(&path, repo.key.export(false)).unwrap();
    let keyring = Keyring::from_file(&path).unwrap();
    let cache = tempfile::tempdir().unwrap();
    assert_eq!(open(&repo, &keyring, cache.path()).unwrap().release().signer, repo.key.fingerprint);
}

#[test]
fn a_keyring_that_is_no_key_is_refused_naming_the_file() {
    let err = Keyring::from_bytes("/etc/apt/trusted.gpg.d/junk.gpg", b"not a key at all").unwrap_err().to_string();
    assert!(err.starts_with("keyring /etc/apt/trusted.gpg.d/junk.gpg: not an OpenPGP public key"), "{err}");
}

#[test]
fn deb822_inline_signed_by_key_verifies_the_repository() {
    let repo = TestRepo::new();
    let armored = String::from_utf8(repo.key.export(true)).unwrap();
    // deb822 folds the key: every line indented, empty lines as ` .`.
    let folded: String = armored.lines().map(|l| if l.is_empty() { " .\n".to_owned() } else { format!(" {l}\n") }).collect();
    let text = format!("Types: deb\nURIs: {}\nSuites: {}\nComponents: main\nSigned-By:\n{folded}", repo.url(), support::SUITE);
    let sources = sources::parse("repo.sources", &text).unwrap();
    let Some(SignedBy::Key(key)) = &sources[0].signed_by else { panic!("{:?}", sources[0].signed_by) };
    let keyring = Keyring::from_bytes("repo.sources Signed-By", key.as_bytes()).unwrap();
    let cache = tempfile::tempdir().unwrap();
    let opened = Repository::open(&sources[0], "amd64", &keyring, &RegistryOptions::default(), cache.path(), OffsetDateTime::now_utc()).unwrap();
    assert_eq!(opened.release().signer, repo.key.fingerprint);
}
