//! What the build needs to know of its base, from one pass over its
//! layers: the merged file tree (what exists, for removals and parent
//! directories) and the few files a spec edits (accounts, CA bundles,
//! os-release), as the top layer that holds each leaves it.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Mutex;

use base64::Engine as _;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use temper_image::Image;
use temper_layer::{EntryKind, FileEntry, FileSink, Merged, MergedEntry};

use crate::Error;

/// Files read from the base, root-relative.
pub const OS_RELEASE: [&str; 2] = ["etc/os-release", "usr/lib/os-release"];
/// The account files.
pub const PASSWD: &str = "etc/passwd";
/// The group file.
pub const GROUP: &str = "etc/group";
/// The shadow file.
pub const SHADOW: &str = "etc/shadow";
/// The group shadow file.
pub const GSHADOW: &str = "etc/gshadow";
/// The PEM bundle Debian, Ubuntu, Alpine and distroless TLS libraries read.
pub const DEBIAN_BUNDLE: &str = "etc/ssl/certs/ca-certificates.crt";
/// The PEM bundle the RHEL family's TLS libraries read.
pub const RHEL_BUNDLE: &str = "etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem";

/// What the build reads of every base: the files the scan's pass keeps
/// whole in the layer cache, so a base scanned before is not read again.
use temper_inventory::kept::KEPT as WANTED;

/// The largest base file read (a CA bundle is a few hundred KiB; a dpkg
/// status a few MiB).
const MAX_FILE: u64 = 16 << 20;

/// The largest configuration file whose MD5 is taken (conffiles are small).
const MAX_CONFFILE: u64 = 1 << 20;

/// Whether a `[packages]` step reads `path` whole: the dpkg database
/// (status, `status.d/`, alternatives, file lists), apt's sources and
/// keyrings, and the CA store `ca-certificates` keeps.
fn packages_file(path: &str) -> bool {
    path == "var/lib/dpkg/status"
        || path.starts_with("var/lib/dpkg/status.d/")
        || path.starts_with("var/lib/dpkg/alternatives/")
        || (path.starts_with("var/lib/dpkg/info/") && path.ends_with(".list"))
        || path.starts_with("etc/apt/")
        || path.starts_with("usr/share/keyrings/")
        || path == "etc/ca-certificates.conf"
        || path.starts_with("etc/ssl/certs/")
        || path.starts_with("usr/share/ca-certificates/")
        || path.starts_with("usr/local/share/ca-certificates/")
}

/// The base as the build sees it.
pub struct Base {
    /// Every visible path.
    pub merged: Merged,
    files: BTreeMap<String, Vec<u8>>,
    /// MD5 (hex) of each file under `/etc`, when read for a `[packages]`
    /// step: dpkg keeps a conffile the base changed.
    md5s: BTreeMap<String, String>,
}

/// What the cache keeps of a base: its visible entries and the files a
/// spec edits. Keyed by the base's diffIDs, which the first pass verified.
#[derive(Serialize, Deserialize)]
struct Stored {
    entries: Vec<(String, FileEntry, usize)>,
    files: BTreeMap<String, String>,
    #[serde(default)]
    md5s: BTreeMap<String, String>,
}

/// The cache file for `image`'s layers, when every layer names its diffID
/// and a `[packages]` step needs more of the base than the layer cache
/// keeps (without one, the layer cache already answers, proving each blob).
fn cache_file(image: &Image, cache: &temper_verdict::CacheSettings, packages: bool) -> Option<PathBuf> {
    if cache.disabled || !packages || image.layers.is_empty() {
        return None;
    }
    let mut h = Sha256::new();
    h.update(if packages { b"temper-build base v3 packages\n".as_slice() } else { b"temper-build base v2\n".as_slice() });
    for l in &image.layers {
        h.update(l.diff_id.as_ref()?.to_string().as_bytes());
        h.update(b"\n");
    }
    let dir = cache.dir.clone().or_else(temper_inventory::cache::default_dir)?;
    Some(dir.join("build-bases-v1").join(format!("{}.json", hex::encode(h.finalize()))))
}

impl Base {
    /// [`Base::read`], also reading what a `[packages]` step needs (the
    /// dpkg database, apt's sources and keyrings, `/etc`'s MD5s) when
    /// `packages`, through a cache file of its own: a base built on before
    /// is not read again.
    pub fn read_cached_as(image: &Image, limits: &temper_layer::Limits, cache: &temper_verdict::CacheSettings, reporter: &dyn temper_verdict::Reporter, packages: bool) -> Result<Base, Error> {
        let file = cache_file(image, cache, packages);
        if let Some(stored) = file.as_ref().and_then(|f| std::fs::read(f).ok()).and_then(|b| serde_json::from_slice::<Stored>(&b).ok()) {
            let b64 = base64::engine::general_purpose::STANDARD;
            let files: Option<BTreeMap<String, Vec<u8>>> = stored.files.into_iter().map(|(p, c)| Some((p, b64.decode(c).ok()?))).collect();
            if let Some(files) = files {
                let merged = Merged { files: stored.entries.into_iter().map(|(p, entry, layer)| (p, MergedEntry { entry, layer })).collect(), changes: Vec::new() };
                return Ok(Base { merged, files, md5s: stored.md5s });
            }
        }
        let base = Base::read_as(image, limits, cache, reporter, packages)?;
        if let Some(f) = file {
            let b64 = base64::engine::general_purpose::STANDARD;
            let stored = Stored { entries: base.merged.files.iter().map(|(p, m)| (p.clone(), m.entry.clone(), m.layer)).collect(), files: base.files.iter().map(|(p, c)| (p.clone(), b64.encode(c))).collect(), md5s: base.md5s.clone() };
            // A cache that cannot be written only makes the next build slower.
            if let (Some(dir), Ok(bytes)) = (f.parent(), serde_json::to_vec(&stored)) {
                let tmp = f.with_extension("tmp");
                let _ = std::fs::create_dir_all(dir).and_then(|()| std::fs::write(&tmp, bytes)).and_then(|()| std::fs::rename(&tmp, &f));
            }
        }
        Ok(base)
    }

    /// Reads `image` once. With the layer cache on, this is the inventory
    /// pass the result's SBOM makes too: it fills the cache the SBOM then
    /// hits, so a cold build reads each base layer once, not twice.
    pub fn read(image: &Image, limits: &temper_layer::Limits, cache: &temper_verdict::CacheSettings, reporter: &dyn temper_verdict::Reporter) -> Result<Base, Error> {
        Base::read_as(image, limits, cache, reporter, false)
    }

    fn read_as(image: &Image, limits: &temper_layer::Limits, cache: &temper_verdict::CacheSettings, reporter: &dyn temper_verdict::Reporter, packages: bool) -> Result<Base, Error> {
        // The pass keeps the wanted files in the layer cache: a base scanned
        // before comes whole from the cache, but for a file it did not keep
        // (a shadow file with a hash, one that is not text), whose layer the
        // pass below reads again.
        let mut kept = BTreeMap::new();
        let mut only = None;
        if !cache.disabled && !packages {
            let scanned = temper_verdict::pass::scan(image, limits, cache, reporter, false)?;
            let merged = scanned.analysis.merged;
            let is_file = |path: &str| merged.files.get(path).is_some_and(|m| m.entry.kind == EntryKind::File);
            let missing: Vec<(&'static str, usize)> = WANTED.iter().copied().filter(|path| is_file(path) && !scanned.kept.contains_key(*path)).filter_map(|path| Some((path, merged.files.get(path)?.layer))).collect();
            kept = scanned.kept.into_iter().filter(|(path, _)| WANTED.contains(&path.as_str()) && is_file(path)).map(|(path, text)| (path, text.into_bytes())).collect();
            if missing.is_empty() {
                return Ok(Base { merged, files: kept, md5s: BTreeMap::new() });
            }
            only = Some(missing);
        }
        let grab = Grab { packages, only, ..Grab::default() };
        let merged = if cache.disabled {
            let layers = temper_verdict::pass::walk(image, limits, reporter, &grab)?;
            temper_layer::analyze(&layers).map_err(|source| temper_verdict::Error::Merge { image: image.name.clone(), source })?.merged
        } else {
            temper_verdict::pass::scan_feeding(image, limits, cache, reporter, false, &grab)?.analysis.merged
        };
        // Only the version the merged tree shows: a later layer may have
        // deleted or replaced the file with something else.
        let visible = |path: &String, layer: usize| merged.files.get(path).is_some_and(|m| m.layer == layer && m.entry.kind == EntryKind::File);
        let got = grab.got.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut files = kept;
        files.extend(got.into_iter().filter(|(path, (layer, _))| visible(path, *layer)).map(|(p, (_, b))| (p, b)));
        let md5s = grab.md5s.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner);
        let md5s = md5s.into_iter().filter(|(path, (layer, _))| visible(path, *layer)).map(|(p, (_, m))| (p, m)).collect();
        Ok(Base { merged, files, md5s })
    }

    /// The files read for a `[packages]` step under `prefix`, by path.
    pub fn files_under<'a>(&'a self, prefix: &'a str) -> impl Iterator<Item = (&'a str, &'a [u8])> + 'a {
        self.files.range(prefix.to_owned()..).take_while(move |(p, _)| p.starts_with(prefix)).map(|(p, c)| (p.as_str(), c.as_slice()))
    }

    /// The MD5 of a file under `/etc`, when read for a `[packages]` step.
    pub fn md5(&self, path: &str) -> Option<&str> {
        self.md5s.get(path).map(String::as_str)
    }

    /// A file's content, when the base has it as a regular file.
    pub fn file(&self, path: &str) -> Option<&[u8]> {
        self.files.get(path).map(Vec::as_slice)
    }

    /// Whether anything is at `path`.
    pub fn exists(&self, path: &str) -> bool {
        self.merged.files.contains_key(path)
    }

    /// The entry at `path`.
    pub fn entry(&self, path: &str) -> Option<&FileEntry> {
        self.merged.files.get(path).map(|m| &m.entry)
    }

    /// `ID` and `ID_LIKE` of the os-release file, lower-case words.
    pub fn os_ids(&self) -> Vec<String> {
        let Some(text) = OS_RELEASE.iter().find_map(|p| self.file(p)) else { return Vec::new() };
        let text = String::from_utf8_lossy(text);
        text.lines()
            .filter_map(|l| l.strip_prefix("ID=").or_else(|| l.strip_prefix("ID_LIKE=")))
            .flat_map(|v| v.trim().trim_matches(['"', '\'']).split_whitespace().map(str::to_ascii_lowercase).collect::<Vec<_>>())
            .collect()
    }
}

/// Keeps the wanted files of the highest layer that holds each (and, for
/// a `[packages]` step, the MD5 of every file under `/etc`).
#[derive(Default)]
struct Grab {
    packages: bool,
    /// Only these of the wanted files, each from the layer that shows it, when set.
    only: Option<Vec<(&'static str, usize)>>,
    got: Mutex<BTreeMap<String, (usize, Vec<u8>)>>,
    md5s: Mutex<BTreeMap<String, (usize, String)>>,
}

impl FileSink for Grab {
    fn wants(&self, layer: usize, path: &str, entry: &FileEntry) -> Option<u64> {
        if entry.kind != EntryKind::File {
            return None;
        }
        if (WANTED.contains(&path) && self.only.as_ref().is_none_or(|only| only.contains(&(path, layer)))) || (self.packages && packages_file(path)) {
            return Some(MAX_FILE);
        }
        (self.packages && path.starts_with("etc/") && entry.size <= MAX_CONFFILE).then_some(MAX_CONFFILE)
    }
    fn take(&self, layer: usize, path: &str, _: &FileEntry, content: &[u8], complete: bool) {
        if !complete {
            return;
        }
        if WANTED.contains(&path) || (self.packages && packages_file(path)) {
            if let Ok(mut got) = self.got.lock()
                && got.get(path).is_none_or(|(l, _)| *l <= layer)
            {
                got.insert(path.to_owned(), (layer, content.to_vec()));
            }
        } else if let Ok(mut md5s) = self.md5s.lock()
            && md5s.get(path).is_none_or(|(l, _)| *l <= layer)
        {
            md5s.insert(path.to_owned(), (layer, hex::encode(md5::Md5::digest(content))));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_a_step_edits_is_kept_by_the_scan() {
        for path in [OS_RELEASE[0], OS_RELEASE[1], PASSWD, GROUP, SHADOW, GSHADOW, DEBIAN_BUNDLE, RHEL_BUNDLE] {
            assert!(WANTED.contains(&path), "{path}");
        }
    }
}
