//! The single streaming pass over one layer: count and hash the stored
//! bytes, detect and undo the compression, bound what comes out, hash the
//! tar (the diffID) and record every entry. Nothing touches the disk.

use std::cell::Cell;
use std::io::{self, BufReader, Read};
use std::path::Path;
use std::sync::atomic::Ordering;

use flate2::read::MultiGzDecoder;
use serde::{Deserialize, Serialize};
use temper_image::digest::{Algorithm, HashingReader};
use temper_image::{Digest, Layer, LayerContent};

use crate::analyzer::{FileSink, NoFiles, feed};
use crate::entry::{EntryKind, FileEntry};
use crate::targuard::TarGuard;
use crate::{ImageTally, Limits, WalkError};

/// How a layer blob was stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Compression {
    /// Plain tar.
    None,
    /// gzip (one or more members).
    Gzip,
    /// Zstandard (one or more frames).
    Zstd,
    /// Not a blob: an unpacked directory.
    Directory,
}

/// Everything the pass learned about one layer.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct LayerIndex {
    /// Digest of the stored blob, as computed (absent for directories).
    pub digest: Option<Digest>,
    /// Digest of the uncompressed tar, as computed (absent for directories).
    pub diff_id: Option<Digest>,
    /// Stored bytes read.
    pub compressed_size: u64,
    /// Uncompressed tar bytes (for directories: the sum of file sizes).
    pub uncompressed_size: u64,
    /// Detected compression.
    pub compression: Compression,
    /// Tar headers read (the root entry and aufs bookkeeping included).
    pub tar_entries: u64,
    /// Entries in tar order, the root directory entry left out.
    pub entries: Vec<FileEntry>,
}

/// Receives progress of the pass; implemented by the CLI's progress bars.
pub trait Progress: Sync {
    /// Layer `layer` starts; `total` is its stored size when known.
    fn start(&self, layer: usize, total: Option<u64>);
    /// `bytes` more stored bytes of `layer` were read.
    fn advance(&self, layer: usize, bytes: u64);
    /// Layer `layer` is done.
    fn finish(&self, layer: usize);
    /// Layer `layer`'s results came from a cache: it is done without a
    /// byte read (a display still counts it, or its total never completes).
    fn cached(&self, _layer: usize) {}
}

/// Progress that goes nowhere.
pub struct NoProgress;

impl Progress for NoProgress {
    fn start(&self, _: usize, _: Option<u64>) {}
    fn advance(&self, _: usize, _: u64) {}
    fn finish(&self, _: usize) {}
}

/// Counts stored bytes for the ratio check, reports progress, and stops
/// at the first byte past the size the descriptor declares.
struct Counting<'a, R> {
    inner: R,
    read: &'a Cell<u64>,
    declared: Option<u64>,
    layer: usize,
    progress: &'a dyn Progress,
}

impl<R: Read> Read for Counting<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read.set(self.read.get() + n as u64);
        if let Some(declared) = self.declared
            && self.read.get() > declared
        {
            return Err(io::Error::other(BoundExceeded(format!("the blob is larger than the {declared} bytes its descriptor declares"))));
        }
        self.progress.advance(self.layer, n as u64);
        Ok(n)
    }
}

/// Stops decompression bombs: caps the layer's and the image's
/// uncompressed bytes, and the ratio to stored bytes read so far.
struct Bounded<'a, R> {
    inner: R,
    out: u64,
    stored: &'a Cell<u64>,
    tally: &'a ImageTally,
    limits: &'a Limits,
}

/// Below this many output bytes the ratio is not checked: small layers of
/// zeros or text legitimately compress very well.
const RATIO_FLOOR: u64 = 64 << 20;

impl<R: Read> Read for Bounded<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.out += n as u64;
        let total = self.tally.bytes.fetch_add(n as u64, Ordering::Relaxed) + n as u64;
        match over_limit(self.out, total, self.stored.get(), self.limits) {
            Some(msg) => Err(io::Error::other(BoundExceeded(msg))),
            None => Ok(n),
        }
    }
}

/// Why a layer that decompressed to `out` bytes from `stored`, in an image
/// at `total` uncompressed bytes so far, is over `limits`; `None` within them.
fn over_limit(out: u64, total: u64, stored: u64, limits: &Limits) -> Option<String> {
    if out > limits.max_layer_bytes {
        return Some(format!("uncompressed size exceeds the limit of {} bytes per layer (--max-layer-size)", limits.max_layer_bytes));
    }
    if total > limits.max_image_bytes {
        return Some(format!("image exceeds the limit of {} uncompressed bytes (--max-image-size)", limits.max_image_bytes));
    }
    if out > RATIO_FLOOR && out > stored.max(1).saturating_mul(limits.max_ratio) {
        return Some(format!("decompresses more than {}x ({out} bytes from {stored}); refusing a likely decompression bomb (--max-ratio)", limits.max_ratio));
    }
    None
}

impl ImageTally {
    /// Counts a layer known from an earlier pass (a cache hit) as if it had
    /// been read now: its entries, and its sizes against the byte and ratio
    /// limits, so a layer cached under looser limits is refused under
    /// stricter ones.
    pub fn add_known_layer(&self, index: &LayerIndex, limits: &Limits) -> Result<(), String> {
        self.add_entries(index.tar_entries, limits)?;
        let total = self.bytes.fetch_add(index.uncompressed_size, Ordering::Relaxed) + index.uncompressed_size;
        over_limit(index.uncompressed_size, total, index.compressed_size, limits).map_or(Ok(()), Err)
    }
}

#[derive(Debug)]
struct BoundExceeded(String);

impl std::fmt::Display for BoundExceeded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BoundExceeded {}

const GZIP_MAGIC: &[u8] = &[0x1f, 0x8b];
const ZSTD_MAGIC: &[u8] = &[0x28, 0xb5, 0x2f, 0xfd];
/// Compressions no OCI or Docker layer media type names: recognised only
/// to say what a layer holds instead of failing inside the tar reader.
const FOREIGN_MAGIC: &[(&[u8], &str)] = &[(b"BZh", "bzip2"), (&[0xfd, b'7', b'z', b'X', b'Z', 0], "xz"), (&[0x04, 0x22, 0x4d, 0x18], "lz4")];

/// The tar reader's message for a malformed header, without the raw
/// header bytes it quotes (they are a stranger's binary).
fn tar_message(e: &io::Error) -> String {
    let text = e.to_string();
    if !text.starts_with("numeric field") {
        return text;
    }
    match text.split_once(" when getting ").and_then(|(_, rest)| rest.split_once(" for ")) {
        Some((field, path)) => format!("malformed tar header of '{path}': its {field} field is not an octal number"),
        None => "malformed tar header: a numeric field is not an octal number".to_owned(),
    }
}

/// Normalises a tar member name to a root-relative path; `Ok(None)` for
/// the root itself. Absolute names and `..` are refused: they would escape
/// the root when unpacked.
pub fn normalise_path(raw: &[u8]) -> Result<Option<String>, String> {
    let s = String::from_utf8_lossy(raw);
    if s.starts_with('/') {
        return Err(format!("absolute path '{s}'"));
    }
    let mut parts = Vec::new();
    for seg in s.split('/') {
        match seg {
            "" | "." => {}
            ".." => return Err(format!("path '{s}' contains '..'")),
            p => parts.push(p),
        }
    }
    Ok((!parts.is_empty()).then(|| parts.join("/")))
}

/// Turns a tar header into an entry (whiteouts recognised).
fn to_entry(path: String, header: &tar::Header, link: Option<Vec<u8>>, size: u64) -> Result<Option<FileEntry>, String> {
    let (parent, base) = match path.rsplit_once('/') {
        Some((p, b)) => (p, b),
        None => ("", path.as_str()),
    };
    let join = |name: &str| if parent.is_empty() { name.to_owned() } else { format!("{parent}/{name}") };
    let mode = header.mode().map_err(|e| tar_message(&e))?;
    let uid = header.uid().unwrap_or(0);
    let gid = header.gid().unwrap_or(0);
    let entry = |path: String, kind: EntryKind, size: u64| Ok(Some(FileEntry { path, kind, size, mode, uid, gid }));
    if base == ".wh..wh..opq" {
        return entry(parent.to_owned(), EntryKind::OpaqueDir, 0);
    }
    if let Some(name) = base.strip_prefix(".wh.") {
        if name.starts_with(".wh.") {
            return Ok(None); // aufs bookkeeping (.wh..wh.plnk, .wh..wh.aufs)
        }
        if name.is_empty() {
            return Err(format!("'{path}': whiteout without a name"));
        }
        if name == "." || name == ".." {
            return Err(format!("refusing '{path}': a whiteout of '{name}'"));
        }
        return entry(join(name), EntryKind::Whiteout, 0);
    }
    let link_target = || {
        let raw = link.clone().unwrap_or_default();
        if raw.is_empty() {
            return Err(format!("'{path}': link without a target"));
        }
        Ok(raw)
    };
    use tar::EntryType as T;
    let kind = match header.entry_type() {
        T::Regular | T::Continuous | T::GNUSparse => EntryKind::File,
        T::Directory => EntryKind::Dir,
        T::Symlink => EntryKind::Symlink { target: String::from_utf8_lossy(&link_target()?).into_owned() },
        T::Link => {
            let target = normalise_path(&link_target()?).map_err(|e| format!("hard link '{path}' to {e}"))?;
            EntryKind::Hardlink { target: target.ok_or_else(|| format!("hard link '{path}' to the root"))? }
        }
        T::Char => EntryKind::CharDevice,
        T::Block => EntryKind::BlockDevice,
        T::Fifo => EntryKind::Fifo,
        other => return Err(format!("'{path}': unsupported tar entry type {:?}", other.as_byte() as char)),
    };
    let size = if kind == EntryKind::File { size } else { 0 };
    entry(path, kind, size)
}

/// Walks one layer of `image`'s description `layer`, checking digests
/// against it. `tally` accumulates uncompressed bytes and entries across the
/// image's layers for the image-wide caps.
pub fn walk_layer(
    index: usize,
    layer: &Layer,
    content: LayerContent,
    limits: &Limits,
    tally: &ImageTally,
    progress: &dyn Progress,
) -> Result<LayerIndex, WalkError> {
    walk_layer_with(index, layer, content, limits, tally, progress, &NoFiles)
}

/// [`walk_layer`], handing every file `sink` wants to it on the way.
pub fn walk_layer_with(
    index: usize,
    layer: &Layer,
    content: LayerContent,
    limits: &Limits,
    tally: &ImageTally,
    progress: &dyn Progress,
    sink: &dyn FileSink,
) -> Result<LayerIndex, WalkError> {
    progress.start(index, layer.size);
    let result = match content {
        LayerContent::Stream(stream) => walk_stream(layer, stream, limits, tally, index, progress, sink),
        LayerContent::Directory(dir) => crate::rootfs::walk_dir(&dir, limits, tally, index, sink)
            .map_err(|reason| WalkError::Layer { what: dir.display().to_string(), reason }),
    };
    progress.finish(index);
    result
}

fn walk_stream(
    layer: &Layer,
    stream: Box<dyn Read + Send>,
    limits: &Limits,
    tally: &ImageTally,
    index: usize,
    progress: &dyn Progress,
    sink: &dyn FileSink,
) -> Result<LayerIndex, WalkError> {
    let what = layer.digest.as_ref().or(layer.diff_id.as_ref()).map_or_else(|| format!("layer {index}"), |d| format!("layer {index} ({d})"));
    let fail = |reason: String| WalkError::Layer { what: what.clone(), reason };
    let io_fail = |context: &str, e: io::Error| {
        let reason = match e.get_ref().and_then(|i| i.downcast_ref::<BoundExceeded>()) {
            Some(b) => b.to_string(),
            None => format!("{context}: {}", tar_message(&e)),
        };
        WalkError::Layer { what: what.clone(), reason }
    };

    let stored = Cell::new(0u64);
    let alg = layer.digest.as_ref().map_or(Algorithm::Sha256, Digest::algorithm);
    let counted = Counting { inner: stream, read: &stored, declared: layer.size, layer: index, progress };
    let mut buffered = BufReader::with_capacity(256 * 1024, HashingReader::new(counted, alg));
    // The magic numbers are read whole: a stream may hand out fewer bytes
    // than a magic number in its first read (a gzip layer whose first read
    // held one byte was once read as a plain tar).
    const LONGEST_MAGIC: u64 = 6;
    let mut head = Vec::with_capacity(LONGEST_MAGIC as usize);
    (&mut buffered).take(LONGEST_MAGIC).read_to_end(&mut head).map_err(|e| io_fail("reading", e))?;
    let compression = if head.starts_with(GZIP_MAGIC) {
        Compression::Gzip
    } else if head.starts_with(ZSTD_MAGIC) {
        Compression::Zstd
    } else {
        Compression::None
    };
    if head.is_empty() {
        return Err(fail("is empty".into()));
    }
    if let Some((_, found)) = FOREIGN_MAGIC.iter().find(|(magic, _)| head.starts_with(magic)) {
        return Err(fail(format!(
            "the content is {found}-compressed (media type '{}'); layers must be plain tar, gzip or zstd: recompress it",
            layer.media_type
        )));
    }
    let declared = temper_image::model::media::declared_compression(&layer.media_type);
    let detected = match compression {
        Compression::Gzip => Some("gzip"),
        Compression::Zstd => Some("zstd"),
        Compression::None | Compression::Directory => None,
    };
    // A plain tar under a compressed media type is tolerated (tools do
    // that); one compression claimed and another found is not.
    if let (Some(d), Some(found)) = (declared, detected)
        && d != found
    {
        return Err(fail(format!("media type '{}' declares {d} but the content is {found}", layer.media_type)));
    }

    let mut entries = Vec::new();
    let mut tar_entries = 0u64;
    // The magic number, then the rest, through one buffered reader.
    let mut buffered = io::Cursor::new(head).chain(buffered);
    let (diff_id, uncompressed) = {
        let decoder: Box<dyn Read + '_> = match compression {
            Compression::Gzip => Box::new(MultiGzDecoder::new(&mut buffered)),
            Compression::Zstd => {
                let mut d = zstd::stream::read::Decoder::with_buffer(&mut buffered).map_err(|e| io_fail("zstd", e))?;
                d.window_log_max(27).map_err(|e| io_fail("zstd", e))?;
                Box::new(d)
            }
            Compression::None | Compression::Directory => Box::new(&mut buffered),
        };
        let bounded = Bounded { inner: decoder, out: 0, stored: &stored, tally, limits };
        let mut tar_stream = HashingReader::new(TarGuard::new(bounded), Algorithm::Sha256);
        {
            let mut archive = tar::Archive::new(&mut tar_stream);
            let iter = archive.entries().map_err(|e| io_fail("reading tar", e))?;
            for item in iter {
                let mut item = item.map_err(|e| io_fail("reading tar", e))?;
                tar_entries += 1;
                if item.header().entry_type() == tar::EntryType::XGlobalHeader {
                    // A PAX global header (GNU tar `--pax-option key=value`,
                    // `git archive`) describes the archive, not a file; its
                    // name is often absolute (GNU tar: $TMPDIR/GlobalHead.*).
                    io::copy(&mut item, &mut io::sink()).map_err(|e| io_fail("reading tar", e))?;
                    continue;
                }
                tally.add_entries(1, limits).map_err(&fail)?;
                let raw = item.path_bytes().into_owned();
                if raw.len() > 4096 {
                    return Err(fail("has an entry path longer than 4096 bytes".into()));
                }
                let Some(path) = normalise_path(&raw).map_err(|e| fail(format!("refusing {e}")))? else {
                    continue;
                };
                let link = item.link_name_bytes().map(|l| l.into_owned());
                let size = item.size();
                if let Some(e) = to_entry(path, item.header(), link, size).map_err(&fail)? {
                    if e.kind == EntryKind::File
                        && let Some(limit) = sink.wants(index, &e.path, &e)
                    {
                        feed(sink, index, &e, limit, &mut item).map_err(|err| io_fail("reading tar", err))?;
                    }
                    entries.push(e);
                }
                // Reading to the end of the entry here keeps a truncated
                // stream from passing as a short tar.
                io::copy(&mut item, &mut io::sink()).map_err(|e| io_fail("reading tar", e))?;
            }
        }
        tar_stream.finish().map_err(|e| io_fail("reading past the tar end", e))?
    };
    io::copy(&mut buffered, &mut io::sink()).map_err(|e| io_fail("reading", e))?;
    let (digest, compressed) = buffered.into_inner().1.into_inner().finish().map_err(|e| io_fail("reading", e))?;
    if let Some(declared) = layer.size
        && declared != compressed
    {
        return Err(fail(format!("size mismatch: the descriptor declares {declared} bytes, the blob has {compressed}")));
    }

    if let Some(expected) = &layer.digest
        && *expected != digest
    {
        return Err(fail(format!("digest mismatch: the manifest says {expected}, the content is {digest}")));
    }
    if let Some(expected) = &layer.diff_id
        && *expected != diff_id
    {
        return Err(fail(format!("diffID mismatch: the config says {expected}, the uncompressed tar is {diff_id}")));
    }
    Ok(LayerIndex { digest: Some(digest), diff_id: Some(diff_id), compressed_size: compressed, uncompressed_size: uncompressed, compression, tar_entries, entries })
}

/// A root-relative path of `p` under `root`, `/`-separated.
pub(crate) fn relative(root: &Path, p: &Path) -> Option<String> {
    let rel = p.strip_prefix(root).ok()?;
    let s = rel.to_string_lossy().replace(std::path::MAIN_SEPARATOR, "/");
    (!s.is_empty()).then_some(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_and_refuses() {
        assert_eq!(normalise_path(b"./usr//bin/").unwrap().as_deref(), Some("usr/bin"));
        assert_eq!(normalise_path(b"./").unwrap(), None);
        assert!(normalise_path(b"/etc/passwd").is_err());
        assert!(normalise_path(b"a/../../etc").is_err());
        assert!(normalise_path(b"..").is_err());
    }
}
