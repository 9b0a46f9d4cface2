//! The `temper build` fuzz bodies. A spec and its lock come from a
//! repository anyone may send a change to, certificates from wherever a
//! platform team got them, and the base cache from a directory other
//! processes write: each is parsed, must never panic, and every refusal
//! must be one line naming its input. What parses must survive the steps
//! that use it.

// Each replay includes this file and uses part of it.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use base64::Engine as _;
use temper_build::base::Base;
use temper_build::lock::Lock;
use temper_build::spec::Spec;

/// When certificates must be valid: inside the seeds' validity.
fn now() -> time::OffsetDateTime {
    time::OffsetDateTime::from_unix_timestamp(1_798_761_600).unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
}

/// A refusal is one printable line that names the input.
fn check_error(e: &temper_build::Error, input: &str) {
    let msg = e.to_string();
    assert!(!msg.chars().any(char::is_control), "a refusal with control characters: {msg:?}");
    assert!(msg.contains(input), "a refusal not naming {input}: {msg:?}");
}

/// `golden.toml` as text. True when it parsed.
pub fn spec(data: &[u8]) -> bool {
    let text = String::from_utf8_lossy(data);
    match Spec::parse(&text, Path::new("golden.toml")) {
        Ok(spec) => {
            let files = spec.files.iter().map(|f| ("[[files]]", &f.path));
            let dirs = spec.dirs.iter().map(|d| ("[[dirs]]", &d.path));
            let links = spec.symlinks.iter().map(|l| ("[[symlinks]]", &l.path));
            for (what, p) in files.chain(dirs).chain(links).chain(spec.remove.iter().map(|p| ("remove", p))) {
                match temper_build::files::image_path(what, p) {
                    Ok(r) => assert!(r.split('/').all(|c| !c.is_empty() && c != "." && c != "..") && !r.contains('\0'), "{p:?} became {r:?}"),
                    Err(e) => check_error(&e, what),
                }
            }
            true
        }
        Err(e) => {
            check_error(&e, "golden.toml");
            false
        }
    }
}

/// `golden.lock` as text: what parses is written back as the same lock,
/// and has no change from itself. True when it parsed.
pub fn lock(data: &[u8]) -> bool {
    let text = String::from_utf8_lossy(data);
    match Lock::parse(&text, Path::new("golden.lock")) {
        Ok(lock) => {
            let written = lock.to_toml();
            match Lock::parse(&written, Path::new("written.lock")) {
                Ok(again) => assert_eq!(again, lock, "the lock written back differs:\n{written}"),
                Err(e) => panic!("the lock written back does not parse: {e}\n{written}"),
            }
            assert!(lock.changes_from(&lock).is_empty());
            true
        }
        Err(e) => {
            check_error(&e, "golden.lock");
            false
        }
    }
}

/// PEM of `der`, so arbitrary bytes reach the X.509 parser too.
fn wrap(der: &[u8]) -> Vec<u8> {
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    format!("-----BEGIN CERTIFICATE-----\n{b64}\n-----END CERTIFICATE-----\n").into_bytes()
}

/// The certificates of a PEM file, or of DER bytes: what is accepted is
/// re-encoded to PEM that reads back as itself. Each is also checked a
/// century later, for the refusals that print a certificate's subject.
/// True when either reading was accepted.
pub fn certificates(data: &[u8]) -> bool {
    let mut accepted = false;
    for (input, bytes) in [("ca.pem", data.to_vec()), ("ca.der", wrap(data))] {
        for at in [now(), now() + time::Duration::days(36_525)] {
            match temper_build::certificates::parse(input, &bytes, at) {
                Ok(pems) => {
                    accepted |= at == now();
                    for pem in &pems {
                        match temper_build::certificates::parse("again", pem.as_bytes(), at) {
                            Ok(again) => assert_eq!(&again, &[pem.clone()], "re-encoding is not stable"),
                            Err(e) => panic!("a re-encoded certificate is refused: {e}"),
                        }
                    }
                }
                Err(e) => check_error(&e, input),
            }
        }
    }
    accepted
}

/// A one-layer base in an OCI layout, and a cache directory: the base
/// cache body replaces the cache file the first read wrote with its input.
pub struct BaseCache {
    // Held for its files.
    _dir: tempfile::TempDir,
    image: temper_image::Image,
    settings: temper_verdict::CacheSettings,
    file: PathBuf,
    stored: Vec<u8>,
    spec: Spec,
    spec_dir: PathBuf,
}

/// The base's files: accounts, an os-release, a CA bundle, a shell and a
/// package manager.
const BASE_FILES: [(&str, &str, u32); 8] = [
    ("etc/os-release", "ID=debian\nVERSION_ID=\"12\"\n", 0o644),
    ("etc/passwd", "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534::/nonexistent:/usr/sbin/nologin\n", 0o644),
    ("etc/group", "root:x:0:\nnogroup:x:65534:\n", 0o644),
    ("etc/shadow", "root:*:19000:0:99999:7:::\n", 0o640),
    ("etc/gshadow", "root:*::\n", 0o640),
    ("etc/ssl/certs/ca-certificates.crt", "", 0o644),
    ("usr/bin/dash", "ELF", 0o755),
    ("usr/bin/apt-get", "ELF", 0o755),
];

/// Its links: a merged `/usr`, and `sh` through it.
const BASE_LINKS: [(&str, &str); 2] = [("bin", "usr/bin"), ("usr/bin/sh", "dash")];

const CA: &str = include_str!("../seeds/build_certificates/corp-root-ca.pem");

/// `sha256:…` of `bytes`, stored under it in `layout`.
fn put_blob(layout: &Path, bytes: &[u8]) -> std::io::Result<String> {
    let digest = temper_image::Digest::sha256_of(bytes).to_string();
    std::fs::write(layout.join("blobs/sha256").join(digest.trim_start_matches("sha256:")), bytes)?;
    Ok(digest)
}

fn layout(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir.join("blobs/sha256"))?;
    let mut tar = tar::Builder::new(Vec::new());
    for (path, content, mode) in BASE_FILES {
        let mut h = tar::Header::new_ustar();
        h.set_size(content.len() as u64);
        h.set_mode(mode);
        h.set_mtime(1_700_000_000);
        tar.append_data(&mut h, path, content.as_bytes())?;
    }
    for (path, target) in BASE_LINKS {
        let mut h = tar::Header::new_ustar();
        h.set_entry_type(tar::EntryType::Symlink);
        h.set_size(0);
        h.set_mode(0o777);
        h.set_mtime(1_700_000_000);
        tar.append_link(&mut h, path, target)?;
    }
    let layer = tar.into_inner()?;
    let layer_digest = put_blob(dir, &layer)?;
    let config = serde_json::json!({"architecture": "amd64", "os": "linux", "config": {}, "rootfs": {"type": "layers", "diff_ids": [layer_digest]}});
    let config = serde_json::to_vec(&config)?;
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": put_blob(dir, &config)?, "size": config.len()},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": layer_digest, "size": layer.len()}],
    });
    let manifest = serde_json::to_vec(&manifest)?;
    let index = serde_json::json!({
        "schemaVersion": 2,
        "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": put_blob(dir, &manifest)?, "size": manifest.len(), "annotations": {"org.opencontainers.image.ref.name": "1"}}],
    });
    std::fs::write(dir.join("index.json"), serde_json::to_vec(&index)?)?;
    std::fs::write(dir.join("oci-layout"), br#"{"imageLayoutVersion":"1.0.0"}"#)
}

impl BaseCache {
    /// Writes the base and fills the cache with it once.
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("a temporary directory");
        layout(&dir.path().join("base")).expect("write the base layout");
        let image = temper_image::open_str(&format!("oci:{}:1", dir.path().join("base").display()), &Default::default()).expect("open the base");
        let settings = temper_verdict::CacheSettings { dir: Some(dir.path().join("cache")), ..Default::default() };
        // Only a build with a `[packages]` step keeps a base cache file; the others take the layer cache.
        Base::read_cached_as(&image, &Default::default(), &settings, &temper_verdict::Silent, true).expect("read the base");
        let stored = dir.path().join("cache/build-bases-v1");
        let file = std::fs::read_dir(&stored).expect("the base cache").flatten().map(|e| e.path()).find(|p| p.extension().is_some_and(|x| x == "json")).expect("a base cache file");
        let stored = std::fs::read(&file).expect("read the base cache file");
        let text = format!("base = \"x\"\nremove-shells = true\nremove-package-managers = true\n[[certificates]]\ncontent = '''{CA}'''\n[[groups]]\nname = \"app\"\ngid = 10001\n[[users]]\nname = \"app\"\nuid = 10001\n");
        let spec = Spec::parse(&text, Path::new("golden.toml")).expect("the body's spec");
        let spec_dir = dir.path().to_owned();
        BaseCache { _dir: dir, image, settings, file, stored, spec, spec_dir }
    }

    /// The cache file the build wrote for the base.
    pub fn stored(&self) -> &[u8] {
        &self.stored
    }

    /// The cache file as a stored base: a base read back from it, or (when
    /// refused) from its layers, takes the accounts, removal and
    /// certificate steps. True when the cache was used.
    pub fn run(&self, data: &[u8]) -> bool {
        std::fs::write(&self.file, data).expect("write the cache file");
        let base = Base::read_cached_as(&self.image, &Default::default(), &self.settings, &temper_verdict::Silent, true).expect("a refused cache falls back to the layers");
        let used = std::fs::read(&self.file).is_ok_and(|now| now == data);
        let _ = base.os_ids();
        match temper_build::accounts::step(&self.spec, &base, 1_700_000_000) {
            Ok((entries, accounts)) => assert!(entries.iter().any(|e| e.path == "etc/passwd") && accounts.user("app") == Some((10001, 10001))),
            Err(e) => check_error(&e, "app"),
        }
        temper_build::files::removals(&self.spec, &base, &["PATH=/usr/local/bin:/usr/bin:/bin".to_owned()]).expect("removals without `remove` paths");
        match temper_build::certificates::step(&self.spec.certificates, &self.spec_dir, &base, None, now()) {
            Ok(entries) => assert!(!entries.is_empty()),
            Err(e) => check_error(&e, "certificates"),
        }
        used
    }
}
