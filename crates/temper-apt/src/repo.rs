//! One repository opened the way apt reads it: `dists/<suite>/InRelease`
//! (else `Release` + `Release.gpg`) fetched and verified, then each
//! component's `binary-<arch>/Packages{.xz,.gz,}` that the release lists,
//! checked against its size and SHA-256 before it is parsed. `.deb`s are
//! downloaded by [`Repository::download`], checked while they stream.
//!
//! The cache is content-addressed: `<cache>/apt-indexes-v1/<sha256>` (the
//! decompressed `Packages`, under the hash the release gives for it) and
//! `<cache>/apt-debs-v1/<sha256>.deb`. A file gets its final name only after
//! its hash was checked (temporary file, then rename), so nothing unverified
//! is ever found there, and a lock file replayed later fetches the same bytes.
//!
//! HTTP goes through temper's registry agent ([`temper_image::registry::build_agent`]):
//! the same proxy environment, `--ca-cert` and `--insecure`.

use std::fs::File;
use std::io::{BufReader, Read, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use temper_image::RegistryOptions;
use time::OffsetDateTime;
use ureq::Agent;

use crate::index::{self, Compression, Package};
use crate::keyring::Keyring;
use crate::release::{self, MAX_RELEASE_BYTES, Release};
use crate::sources::Source;

/// The index cache's directory under the cache root.
pub const INDEX_CACHE: &str = "apt-indexes-v1";
/// The `.deb` cache's directory under the cache root.
pub const DEB_CACHE: &str = "apt-debs-v1";

/// Why a repository or a download was refused.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The HTTP agent could not be built (`--ca-cert`).
    #[error(transparent)]
    Http(#[from] temper_image::Error),
    /// A request failed or was answered with an error status.
    #[error("{url}: {reason}; check the source's URI and the network (proxy, --ca-cert, --insecure)")]
    Fetch {
        /// The URL.
        url: String,
        /// The status or transport error.
        reason: String,
    },
    /// The release was refused.
    #[error(transparent)]
    Release(#[from] release::Error),
    /// An index was refused.
    #[error(transparent)]
    Index(#[from] index::Error),
    /// The release lists no `Packages` index for a component and architecture.
    #[error("{url}: the release lists no Packages index for {component}/binary-{arch} (it has architectures: {archs}); check the source's components and the image's architecture")]
    NoIndex {
        /// The release's URL.
        url: String,
        /// The component.
        component: String,
        /// The architecture.
        arch: String,
        /// The release's `Architectures`.
        archs: String,
    },
    /// A download whose size or SHA-256 is not the one the signed metadata gives.
    #[error("{url}: {what} mismatch: expected {expected}, got {actual}; the mirror serves a file other than the one its signed index names (tampered or mid-update); nothing was kept")]
    Mismatch {
        /// The URL.
        url: String,
        /// `size` or `SHA-256`.
        what: &'static str,
        /// What the signed metadata says.
        expected: String,
        /// What arrived.
        actual: String,
    },
    /// The cache cannot be written or read.
    #[error("cache {path}: {source}; check that the cache directory is writable (or choose another with --cache-dir)")]
    Cache {
        /// The file or directory.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}

/// A verified repository and its packages.
#[derive(Debug)]
pub struct Repository {
    source: Source,
    arch: String,
    release: Release,
    packages: Vec<Package>,
    agent: Agent,
    cache: PathBuf,
}

impl Repository {
    /// Fetches and verifies `source`'s release with `keyring` (checked
    /// against `now` for `Valid-Until`), then its `Packages` indexes for
    /// `arch`, caching the indexes under `cache`. A source whose `arch=`
    /// excludes `arch` gives no packages.
    pub fn open(source: &Source, arch: &str, keyring: &Keyring, http: &RegistryOptions, cache: &Path, now: OffsetDateTime) -> Result<Self, Error> {
        let agent = temper_image::registry::build_agent(http)?;
        let dist = dist_url(source);
        let inrelease = format!("{dist}InRelease");
        let release = match get_small(&agent, &inrelease)? {
            Some(bytes) => release::verify_inrelease(&inrelease, &bytes, keyring, now)?,
            None => {
                let url = format!("{dist}Release");
                let body = get_small(&agent, &url)?.ok_or_else(|| Error::Fetch { url: url.clone(), reason: "HTTP 404 Not Found (and no InRelease either)".into() })?;
                let sig = get_small(&agent, &format!("{url}.gpg"))?.unwrap_or_default();
                release::verify_detached(&url, &body, &sig, keyring, now)?
            }
        };
        let mut repo = Repository { source: source.clone(), arch: arch.to_owned(), release, packages: Vec::new(), agent, cache: cache.to_owned() };
        // apt reads a source limited to other architectures (`arch=`) for none.
        if !source.architectures.is_empty() && !source.architectures.iter().any(|a| a == arch) {
            return Ok(repo);
        }
        let components: Vec<Option<&str>> = if source.is_flat() { vec![None] } else { source.components.iter().map(|c| Some(c.as_str())).collect() };
        for component in components {
            let packages = repo.read_index(&dist, component)?;
            repo.packages.extend(packages);
        }
        Ok(repo)
    }

    /// The source this repository was opened from.
    pub fn source(&self) -> &Source {
        &self.source
    }

    /// The architecture whose indexes were read.
    pub fn arch(&self) -> &str {
        &self.arch
    }

    /// The verified release.
    pub fn release(&self) -> &Release {
        &self.release
    }

    /// Every package of the indexes read, in index order.
    pub fn packages(&self) -> &[Package] {
        &self.packages
    }

    /// The URL of a package's `.deb`.
    pub fn deb_url(&self, package: &Package) -> String {
        // Percent-encoded as apt does: an epoch's `:` is stored as `%3a` in pool file names.
        format!("{}/{}", self.source.uri.trim_end_matches('/'), encode_path(&package.filename))
    }

    /// Where a package's `.deb` is cached, by its SHA-256.
    pub fn deb_path(cache: &Path, sha256: &[u8; 32]) -> PathBuf {
        cache.join(DEB_CACHE).join(format!("{}.deb", hex::encode(sha256)))
    }

    /// The verified `.deb` of `package` in the cache, downloaded when
    /// missing; size and SHA-256 are checked as it streams, and a mismatch
    /// leaves nothing behind.
    pub fn download(&self, package: &Package) -> Result<PathBuf, Error> {
        let path = Self::deb_path(&self.cache, &package.sha256);
        if std::fs::metadata(&path).is_ok_and(|m| m.len() == package.size) {
            return Ok(path);
        }
        fetch_verified(&self.agent, &self.deb_url(package), package.size, &package.sha256, &path)?;
        Ok(path)
    }

    /// The component's index: the decompressed `Packages` from the cache
    /// when there (checked against the release's hash of the plain file as
    /// it is parsed), else the compressed file the release lists (`.xz`
    /// first) fetched, checked, and decompressed once into the cache.
    fn read_index(&self, dist: &str, component: Option<&str>) -> Result<Vec<Package>, Error> {
        let dir = match component {
            Some(c) => format!("{c}/binary-{}/", self.arch),
            None => String::new(),
        };
        // Release files list the plain index's hash even where only the
        // compressed ones are served: keyed by it, a warm cache skips the
        // decompression (most of the cost of reading a large index).
        let plain = self.release.file(&format!("{dir}Packages"));
        if let Some(plain) = plain {
            let path = self.index_path(&plain.sha256);
            if std::fs::metadata(&path).is_ok_and(|m| m.len() == plain.size) {
                let file = File::open(&path).map_err(|source| Error::Cache { path: path.clone(), source })?;
                let mut hashed = Hashed { inner: file, hasher: Sha256::new() };
                let parsed = index::parse(&path.display().to_string(), BufReader::new(&mut hashed));
                // What the parser did not read still counts for the hash.
                std::io::copy(&mut hashed, &mut std::io::sink()).map_err(|source| Error::Cache { path: path.clone(), source })?;
                if <[u8; 32]>::from(hashed.hasher.finalize()) == plain.sha256 {
                    return Ok(parsed?);
                }
                // A damaged cache entry is replaced below.
                std::fs::remove_file(&path).map_err(|source| Error::Cache { path: path.clone(), source })?;
            }
        }
        let entry = ["Packages.xz", "Packages.gz", "Packages"].iter().find_map(|name| self.release.file(&format!("{dir}{name}"))).ok_or_else(|| {
            Error::NoIndex {
                url: format!("{dist}InRelease"),
                component: component.unwrap_or(".").to_owned(),
                arch: self.arch.clone(),
                archs: self.release.architectures.join(" "),
            }
        })?;
        let path = self.index_path(&entry.sha256);
        let url = format!("{dist}{}", entry.path);
        if !std::fs::metadata(&path).is_ok_and(|m| m.len() == entry.size) {
            let by_hash = format!("{dist}{dir}by-hash/SHA256/{}", hex::encode(entry.sha256));
            // By-hash names stay valid while the mirror updates; apt-ftparchive
            // repositories do not have them, so the plain name is the fallback.
            let fetched = self.release.acquire_by_hash && fetch_verified(&self.agent, &by_hash, entry.size, &entry.sha256, &path).is_ok();
            if !fetched {
                fetch_verified(&self.agent, &url, entry.size, &entry.sha256, &path)?;
            }
        }
        let file = File::open(&path).map_err(|source| Error::Cache { path: path.clone(), source })?;
        let decoded = Compression::of(&entry.path).decoder(BufReader::new(file));
        match plain.filter(|p| p.path != entry.path) {
            Some(plain) => {
                let dest = self.index_path(&plain.sha256);
                let url = format!("{url} (decompressed)");
                store_verified(&url, decoded, plain.size, &plain.sha256, &dest)?;
                // The decompressed copy is the one read from now on.
                std::fs::remove_file(&path).map_err(|source| Error::Cache { path: path.clone(), source })?;
                let file = File::open(&dest).map_err(|source| Error::Cache { path: dest.clone(), source })?;
                Ok(index::parse(&url, BufReader::new(file))?)
            }
            None => Ok(index::parse(&url, decoded)?),
        }
    }

    fn index_path(&self, sha256: &[u8; 32]) -> PathBuf {
        self.cache.join(INDEX_CACHE).join(hex::encode(sha256))
    }

}

/// A `.deb` known only by its size and SHA-256 (a lock's, once the sources
/// no longer list it), fetched from `url` into the cache exactly as
/// [`Repository::download`] fetches one: checked as it streams, nothing kept
/// on a mismatch.
pub fn download_pinned(http: &temper_image::RegistryOptions, url: &str, size: u64, sha256: &[u8; 32], cache: &Path) -> Result<PathBuf, Error> {
    let path = Repository::deb_path(cache, sha256);
    fetch_verified(&temper_image::registry::build_agent(http)?, url, size, sha256, &path)?;
    Ok(path)
}

/// Streams `url` into the cache at `dest`, checked (see [`store_verified`]).
fn fetch_verified(agent: &Agent, url: &str, size: u64, sha256: &[u8; 32], dest: &Path) -> Result<(), Error> {
    let resp = get(agent, url)?.ok_or_else(|| Error::Fetch { url: url.to_owned(), reason: "HTTP 404 Not Found".into() })?;
    // One byte past the expected size is enough to know it is wrong.
    let body = resp.into_body().into_with_config().limit(size.saturating_add(1)).reader();
    store_verified(url, body, size, sha256, dest)
}

/// Copies `input` into a temporary file beside `dest`, checking size and
/// SHA-256 as it streams, and renames it to `dest` only when both match:
/// on any failure the temporary file is removed.
fn store_verified(url: &str, mut input: impl Read, size: u64, sha256: &[u8; 32], dest: &Path) -> Result<(), Error> {
    let dir = dest.parent().unwrap_or(Path::new("."));
    let cache = |source| Error::Cache { path: dir.to_owned(), source };
    std::fs::create_dir_all(dir).map_err(cache)?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(cache)?;
    let mut hasher = Sha256::new();
    let mut got = 0u64;
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match input.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if got >= size => {
                return Err(Error::Mismatch { url: url.to_owned(), what: "size", expected: size.to_string(), actual: format!("more ({e})") });
            }
            Err(e) => return Err(Error::Fetch { url: url.to_owned(), reason: e.to_string() }),
        };
        got += n as u64;
        if got > size {
            return Err(Error::Mismatch { url: url.to_owned(), what: "size", expected: size.to_string(), actual: format!("more than {size}") });
        }
        hasher.update(&buf[..n]);
        tmp.write_all(&buf[..n]).map_err(cache)?;
    }
    if got != size {
        return Err(Error::Mismatch { url: url.to_owned(), what: "size", expected: size.to_string(), actual: got.to_string() });
    }
    let actual: [u8; 32] = hasher.finalize().into();
    if &actual != sha256 {
        return Err(Error::Mismatch { url: url.to_owned(), what: "SHA-256", expected: hex::encode(sha256), actual: hex::encode(actual) });
    }
    tmp.persist(dest).map_err(|e| Error::Cache { path: dest.to_owned(), source: e.error })?;
    Ok(())
}

/// Hashes what is read through it.
struct Hashed<R> {
    inner: R,
    hasher: Sha256,
}

impl<R: Read> Read for Hashed<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}

/// `<uri>/dists/<suite>/`, or `<uri>/<dir>/` for a flat repository.
fn dist_url(source: &Source) -> String {
    if source.is_flat() {
        let dir = source.suite.trim_start_matches("./");
        if dir.is_empty() || dir == "/" { format!("{}/", source.uri) } else { format!("{}/{dir}", source.uri) }
    } else {
        format!("{}/dists/{}/", source.uri, source.suite)
    }
}

/// GETs `url`: the response on success, `None` on 404, an error otherwise.
fn get(agent: &Agent, url: &str) -> Result<Option<ureq::http::Response<ureq::Body>>, Error> {
    let resp = agent.get(url).call().map_err(|e| Error::Fetch { url: url.to_owned(), reason: e.to_string() })?;
    match resp.status().as_u16() {
        200..=299 => Ok(Some(resp)),
        404 | 410 => Ok(None),
        _ => Err(Error::Fetch { url: url.to_owned(), reason: format!("HTTP {}", resp.status()) }),
    }
}

/// A release file's bytes, refused above [`MAX_RELEASE_BYTES`].
fn get_small(agent: &Agent, url: &str) -> Result<Option<Vec<u8>>, Error> {
    let Some(resp) = get(agent, url)? else { return Ok(None) };
    let bytes = resp
        .into_body()
        .into_with_config()
        .limit(MAX_RELEASE_BYTES as u64)
        .read_to_vec()
        .map_err(|e| Error::Fetch { url: url.to_owned(), reason: e.to_string() })?;
    Ok(Some(bytes))
}

/// A repository path as a URL path: each segment percent-encoded, the `/`s kept.
pub fn encode_path(path: &str) -> String {
    const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~').remove(b'+');
    path.split('/').map(|s| percent_encoding::utf8_percent_encode(s, SEGMENT).to_string()).collect::<Vec<_>>().join("/")
}
