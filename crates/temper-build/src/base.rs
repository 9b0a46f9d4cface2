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
/// The PEM bundle Debian, Ubuntu, Alpine and distroless TLS libraries read.
pub const DEBIAN_BUNDLE: &str = "etc/ssl/certs/ca-certificates.crt";
/// The PEM bundle the RHEL family's TLS libraries read.
pub const RHEL_BUNDLE: &str = "etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem";

const WANTED: [&str; 7] = [OS_RELEASE[0], OS_RELEASE[1], PASSWD, GROUP, SHADOW, DEBIAN_BUNDLE, RHEL_BUNDLE];

/// The largest base file read (a CA bundle is a few hundred KiB).
const MAX_FILE: u64 = 16 << 20;

/// The base as the build sees it.
pub struct Base {
    /// Every visible path.
    pub merged: Merged,
    files: BTreeMap<String, Vec<u8>>,
}

/// What the cache keeps of a base: its visible entries and the files a
/// spec edits. Keyed by the base's diffIDs, which the first pass verified.
#[derive(Serialize, Deserialize)]
struct Stored {
    entries: Vec<(String, FileEntry, usize)>,
    files: BTreeMap<String, String>,
}

/// The cache file for `image`'s layers, when every layer names its diffID.
fn cache_file(image: &Image, cache: &temper_verdict::CacheSettings) -> Option<PathBuf> {
    if cache.disabled || image.layers.is_empty() {
        return None;
    }
    let mut h = Sha256::new();
    h.update(b"temper-build base v1\n");
    for l in &image.layers {
        h.update(l.diff_id.as_ref()?.to_string().as_bytes());
        h.update(b"\n");
    }
    let dir = cache.dir.clone().or_else(temper_inventory::cache::default_dir)?;
    Some(dir.join("build-bases-v1").join(format!("{}.json", hex::encode(h.finalize()))))
}

impl Base {
    /// [`Base::read`] through the cache: a base built on before is not read again.
    pub fn read_cached(image: &Image, limits: &temper_layer::Limits, cache: &temper_verdict::CacheSettings, reporter: &dyn temper_verdict::Reporter) -> Result<Base, Error> {
        let file = cache_file(image, cache);
        if let Some(stored) = file.as_ref().and_then(|f| std::fs::read(f).ok()).and_then(|b| serde_json::from_slice::<Stored>(&b).ok()) {
            let b64 = base64::engine::general_purpose::STANDARD;
            let files: Option<BTreeMap<String, Vec<u8>>> = stored.files.into_iter().map(|(p, c)| Some((p, b64.decode(c).ok()?))).collect();
            if let Some(files) = files {
                let merged = Merged { files: stored.entries.into_iter().map(|(p, entry, layer)| (p, MergedEntry { entry, layer })).collect(), changes: Vec::new() };
                return Ok(Base { merged, files });
            }
        }
        let base = Base::read(image, limits, cache, reporter)?;
        if let Some(f) = file {
            let b64 = base64::engine::general_purpose::STANDARD;
            let stored = Stored { entries: base.merged.files.iter().map(|(p, m)| (p.clone(), m.entry.clone(), m.layer)).collect(), files: base.files.iter().map(|(p, c)| (p.clone(), b64.encode(c))).collect() };
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
        let grab = Grab::default();
        let merged = if cache.disabled {
            let layers = temper_verdict::pass::walk(image, limits, reporter, &grab)?;
            temper_layer::analyze(&layers).map_err(|source| temper_verdict::Error::Merge { image: image.name.clone(), source })?.merged
        } else {
            temper_verdict::pass::scan_feeding(image, limits, cache, reporter, &[], false, &grab)?.analysis.merged
        };
        let got = grab.got.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner);
        // Only the version the merged tree shows: a later layer may have
        // deleted or replaced the file with something else.
        let files = got.into_iter().filter(|(path, (layer, _))| merged.files.get(path).is_some_and(|m| m.layer == *layer && m.entry.kind == EntryKind::File)).map(|(p, (_, b))| (p, b)).collect();
        Ok(Base { merged, files })
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

/// Keeps the wanted files of the highest layer that holds each.
#[derive(Default)]
struct Grab {
    got: Mutex<BTreeMap<String, (usize, Vec<u8>)>>,
}

impl FileSink for Grab {
    fn wants(&self, _: usize, path: &str, entry: &FileEntry) -> Option<u64> {
        (entry.kind == EntryKind::File && WANTED.contains(&path)).then_some(MAX_FILE)
    }
    fn take(&self, layer: usize, path: &str, _: &FileEntry, content: &[u8], complete: bool) {
        if !complete {
            return;
        }
        if let Ok(mut got) = self.got.lock()
            && got.get(path).is_none_or(|(l, _)| *l <= layer)
        {
            got.insert(path.to_owned(), (layer, content.to_vec()));
        }
    }
}
