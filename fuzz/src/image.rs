//! The image and layer fuzz bodies: manifests, layer blobs, archives.
//!
//! `crates/temper-layer/tests/fuzz_bodies.rs` includes this file by path
//! (and `split.rs` beside it) and drives the same bodies over deterministic
//! mutations of seed inputs, so `cargo test` on stable exercises them
//! without cargo-fuzz. Layer streams are always read through
//! [`SplitReader`]: short reads of 1 byte to 64 KiB.

use std::io::{Cursor, Read, Write};
use std::sync::Mutex;

use temper_image::model::{self, Index, ManifestKind, media};
use temper_image::{Digest, Image, Layer, LayerContent, Limits as DocLimits, OpenOptions, Platform, RegistryRef, Source};
use temper_layer::{EntryKind, FileEntry, FileSink, HEAD_BYTES, LayerIndex, LayerReport, Limits, NoProgress, analyze, walk_layer, walk_layer_with};

use crate::split::{SplitReader, seed_of};

/// Small enough that one input costs milliseconds.
pub fn small_limits() -> Limits {
    Limits { max_layer_bytes: 8 << 20, max_image_bytes: 16 << 20, max_ratio: 200, max_entries: 10_000 }
}

const DOC_LIMIT: u64 = 1 << 20;

/// Manifests, indexes, configs and the small string forms: digests,
/// platforms, registry references. True when some parser accepted the input.
pub fn manifest(data: &[u8]) -> bool {
    let mut accepted = false;
    for hint in [None, Some(media::OCI_MANIFEST), Some(media::OCI_INDEX), Some(media::DOCKER_LIST), Some("text/plain")] {
        match model::parse_manifest_or_index(data, hint, DOC_LIMIT) {
            Ok(ManifestKind::Manifest(m)) => {
                accepted = true;
                assert_eq!(m.schema_version, 2);
                for l in &m.layers {
                    let _ = media::is_layer(&l.media_type);
                    let _ = media::declared_compression(&l.media_type);
                }
            }
            Ok(ManifestKind::Index(i)) => {
                accepted = true;
                assert_eq!(i.schema_version, 2);
                let host = Platform::host();
                for d in &i.manifests {
                    if let Some(p) = &d.platform {
                        let _ = p.satisfies(&host);
                        let _ = p.to_string();
                    }
                }
            }
            Err(e) => {
                let _ = e.to_string();
            }
        }
    }
    assert!(model::parse_manifest_or_index(data, None, data.len().saturating_sub(1) as u64).is_err() || data.is_empty());
    if let Ok(cfg) = model::parse_config(data, DOC_LIMIT) {
        accepted |= data.first() == Some(&b'{');
        let n = cfg.rootfs.diff_ids.len();
        let lined = cfg.layer_history(n + 2);
        assert_eq!(lined.len(), n + 2);
        for h in lined.into_iter().flatten() {
            assert!(!cfg.history[h].empty_layer);
        }
        // What temper accepts it can write back and read again.
        let again = serde_json::to_vec(&cfg).expect("config serialises");
        let cfg2 = model::parse_config(&again, u64::MAX).expect("serialised config parses");
        assert_eq!(cfg2.rootfs.diff_ids, cfg.rootfs.diff_ids);
        assert_eq!(cfg2.history.len(), cfg.history.len());
    }
    let _ = model::parse_document::<Index>(data, DOC_LIMIT, "image index");

    let Ok(s) = std::str::from_utf8(data) else { return accepted };
    if let Ok(d) = Digest::parse(s) {
        accepted = true;
        assert_eq!(d.to_string(), s);
    }
    if let Ok(p) = Platform::parse(s) {
        accepted = true;
        assert_eq!(Platform::parse(&p.to_string()).expect("platform round trip"), p);
    }
    if let Ok(r) = RegistryRef::parse(s) {
        let printed = r.to_string();
        let again = RegistryRef::parse(&printed).unwrap_or_else(|e| panic!("'{s}' printed as '{printed}', which does not parse: {e}"));
        assert_eq!(again, r, "'{s}' printed as '{printed}'");
        let _ = (r.reference(), r.api_host());
        accepted = true;
    }
    accepted
}

/// Checks what a successful walk promises about its entries.
fn check_index(idx: &LayerIndex, stored: usize, limits: &Limits) {
    assert!(idx.entries.len() as u64 <= limits.max_entries);
    assert!(idx.uncompressed_size <= limits.max_layer_bytes);
    assert_eq!(idx.compressed_size, stored as u64);
    assert!(idx.tar_entries >= idx.entries.len() as u64);
    let clean = |p: &str| !p.starts_with('/') && p.split('/').all(|s| !s.is_empty() && s != "." && s != "..");
    for e in &idx.entries {
        // Opaque markers at the root name the root itself ("").
        assert!(clean(&e.path) || (e.kind == EntryKind::OpaqueDir && e.path.is_empty()), "entry path {:?}", e.path);
        if let EntryKind::Hardlink { target } = &e.kind {
            assert!(clean(target), "hard link target {target:?}");
        }
        if e.kind != EntryKind::File {
            assert_eq!(e.size, 0, "{e:?}");
        }
    }
}

/// What [`Taker`] was handed of one file.
#[derive(Debug, PartialEq)]
struct Taken {
    path: String,
    size: u64,
    limit: u64,
    content: Vec<u8>,
    complete: bool,
}

/// A sink standing in for the analysers: wants every regular file, up to a
/// limit that depends on the path (so some files are cut short), drops
/// those whose head has an odd length, and records what it was handed.
#[derive(Default)]
struct Taker {
    taken: Mutex<Vec<Taken>>,
}

impl Taker {
    fn limit(path: &str) -> u64 {
        [100, 5000, 1 << 20][path.len() % 3]
    }

    fn into_taken(self) -> Vec<Taken> {
        self.taken.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl FileSink for Taker {
    fn wants(&self, _: usize, path: &str, _: &FileEntry) -> Option<u64> {
        Some(Self::limit(path))
    }

    fn wants_head(&self, _: usize, path: &str, _: &FileEntry, head: &[u8]) -> Option<u64> {
        assert!(head.len() <= HEAD_BYTES, "a head of {} bytes", head.len());
        (head.len() % 2 == 0).then(|| Self::limit(path))
    }

    fn take(&self, _: usize, path: &str, entry: &FileEntry, content: &[u8], complete: bool) {
        let t = Taken { path: path.to_owned(), size: entry.size, limit: Self::limit(path), content: content.to_vec(), complete };
        self.taken.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(t);
    }
}

/// Walks `data` as one layer, read through `wrap`, handing files to a
/// fresh [`Taker`].
fn walk_taking(data: &[u8], limits: &Limits, wrap: impl FnOnce(Cursor<Vec<u8>>) -> Box<dyn Read + Send>) -> (Result<LayerIndex, String>, Vec<Taken>) {
    let layer = Layer::new(None, None, media::OCI_LAYER_TAR, Some(data.len() as u64));
    let total = temper_layer::ImageTally::default();
    let taker = Taker::default();
    let content = LayerContent::Stream(wrap(Cursor::new(data.to_vec())));
    let walked = walk_layer_with(0, &layer, content, limits, &total, &NoProgress, &taker).map_err(|e| e.to_string());
    (walked, taker.into_taken())
}

/// One layer blob, any compression, read in short pieces (see
/// [`SplitReader`]) and walked with small limits, then stacked on its own
/// and twice over. How the bytes are split must change nothing: the same
/// blob read whole gives the same entries, digests and files handed to
/// the analysers. True when the walk succeeded.
pub fn layer_walk(data: &[u8]) -> bool {
    let limits = small_limits();
    let seed = seed_of(data);
    let (split, taken) = walk_taking(data, &limits, |c| Box::new(SplitReader::new(c, seed)));
    let (whole, taken_whole) = walk_taking(data, &limits, |c| Box::new(c));
    let idx = match (split, whole) {
        (Ok(idx), Ok(whole)) => {
            let json = |i: &LayerIndex| serde_json::to_value(i).expect("a layer index serialises");
            assert_eq!(json(&idx), json(&whole), "split reads changed the walk");
            assert_eq!(taken, taken_whole, "split reads changed what the analysers were handed");
            idx
        }
        (Err(_), Err(_)) => return false,
        (split, whole) => panic!("split reads changed the outcome: {:?} read split, {:?} read whole", split.map(|_| ()), whole.map(|_| ())),
    };
    check_index(&idx, data.len(), &limits);
    for t in &taken {
        // Whatever the pieces, a file is handed over whole up to the limit.
        assert!(idx.entries.iter().any(|e| e.path == t.path && e.size == t.size), "{} was never an entry", t.path);
        assert_eq!(t.content.len() as u64, t.size.min(t.limit), "{}", t.path);
        assert_eq!(t.complete, t.size <= t.limit, "{}", t.path);
    }
    for stack in [std::slice::from_ref(&idx), &[idx.clone(), idx.clone()][..]] {
        match analyze(stack) {
            Ok(a) => {
                let eff = &a.efficiency;
                assert!((0.0..=1.0).contains(&eff.score), "score {}", eff.score);
                assert_eq!(eff.wasted_bytes, eff.wasted_files.iter().map(|w| w.bytes).sum::<u64>());
                assert_eq!(a.merged.changes.len(), stack.len());
                let stored: u64 = stack.iter().flat_map(|l| &l.entries).map(|e| e.stored_bytes()).sum();
                assert!(a.merged.visible_bytes() <= stored);
                for (path, m) in &a.merged.files {
                    assert_eq!(*path, m.entry.path);
                    assert!(!m.entry.is_deletion());
                }
            }
            Err(e) => {
                let _ = e.to_string();
            }
        }
    }
    true
}

/// [`temper_layer::walk_image`] one layer after the other, each read in short pieces.
fn walk_split(image: &Image, limits: &Limits, seed: u64) -> Result<Vec<LayerIndex>, String> {
    let total = temper_layer::ImageTally::default();
    let mut walked = Vec::new();
    for (i, layer) in image.layers.iter().enumerate() {
        let content = match image.open_layer(i).map_err(|e| e.to_string())? {
            LayerContent::Stream(s) => LayerContent::Stream(Box::new(SplitReader::new(s, seed ^ i as u64))),
            dir @ LayerContent::Directory(_) => dir,
        };
        walked.push(walk_layer(i, layer, content, limits, &total, &NoProgress).map_err(|e| e.to_string())?);
    }
    Ok(walked)
}

thread_local! {
    static SCRATCH: Option<tempfile::TempPath> = tempfile::NamedTempFile::new().ok().map(|f| f.into_temp_path());
}

/// Bytes as a docker-archive and as an oci-archive: index, select, open,
/// walk (each layer read in short pieces), analyze, report. True when some
/// image was walked.
pub fn archive(data: &[u8]) -> bool {
    SCRATCH.with(|scratch| {
        let mut walked_any = false;
        let Some(path) = scratch else { return false };
        let Ok(mut f) = std::fs::File::create(path) else { return false };
        if f.write_all(data).is_err() {
            return false;
        }
        drop(f);
        let seed = seed_of(data);
        let opts = OpenOptions { limits: DocLimits { manifest_bytes: 64 << 10, config_bytes: 64 << 10, ..DocLimits::default() }, ..OpenOptions::default() };
        let p = path.to_path_buf();
        let sources = [
            Source::DockerArchive { path: p.clone(), select: None },
            Source::DockerArchive { path: p.clone(), select: Some("@1".into()) },
            Source::DockerArchive { path: p.clone(), select: Some("app:1.0".into()) },
            Source::OciArchive { path: p.clone(), tag: None },
            Source::OciArchive { path: p, tag: Some("latest".into()) },
        ];
        for source in &sources {
            let image = match temper_image::open(source, &opts) {
                Ok(i) => i,
                Err(e) => {
                    let _ = e.to_string();
                    continue;
                }
            };
            assert_eq!(image.layers.len(), image.config.rootfs.diff_ids.len());
            let Ok(walked) = walk_split(&image, &small_limits(), seed) else { continue };
            walked_any = true;
            for (l, w) in image.layers.iter().zip(&walked) {
                // A walk succeeds only when the content is what was promised.
                assert_eq!(l.diff_id, w.diff_id);
                if l.digest.is_some() {
                    assert_eq!(l.digest, w.digest);
                }
            }
            if let Ok(a) = analyze(&walked) {
                let report = LayerReport::build(&image, &walked, &a);
                assert_eq!(report.layers.len(), walked.len());
            }
        }
        walked_any
    })
}
