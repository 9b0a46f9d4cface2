//! Deterministic layer tars: entries sorted by path, every time the
//! build's epoch, owners by id with empty user and group names, no PAX
//! records (long names use GNU's long-name entries, which carry no
//! atime, ctime or PID), compressed with fixed headers (gzip: mtime 0,
//! OS byte 255) on every core, in bytes that do not depend on the number
//! of cores ([`ParGzip`]; zstd's multithreaded mode). The tar streams
//! through two hashers (diffID, digest) into a temporary file: memory does
//! not grow with the layer.

use std::collections::BTreeMap;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest as _, Sha256};

use crate::Error;
use crate::spec::Compression;

/// What a layer entry holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Node {
    /// A regular file.
    File {
        /// Its bytes.
        content: Content,
        /// Permission bits.
        mode: u32,
    },
    /// A directory.
    Dir {
        /// Permission bits.
        mode: u32,
    },
    /// A symbolic link.
    Symlink {
        /// Where it points.
        target: String,
    },
    /// A whiteout: the path is removed from the layers below.
    Whiteout,
}

/// A file's bytes: in memory, or a local file read when the tar is written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Content {
    /// Bytes the build made.
    Bytes(Vec<u8>),
    /// A local file and the size it had when the spec was read.
    Local(PathBuf, u64),
}

impl Content {
    fn size(&self) -> u64 {
        match self {
            Content::Bytes(b) => b.len() as u64,
            Content::Local(_, n) => *n,
        }
    }
}

/// One path of a layer, root-relative (`etc/passwd`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// The path, without a leading `/`.
    pub path: String,
    /// What is there.
    pub node: Node,
    /// Owner id.
    pub uid: u32,
    /// Group id.
    pub gid: u32,
}

/// A written layer blob.
#[derive(Clone, Debug)]
pub struct Blob {
    /// `sha256:…` of the stored (compressed) bytes.
    pub digest: String,
    /// `sha256:…` of the tar.
    pub diff_id: String,
    /// Stored size.
    pub size: u64,
    /// OCI media type.
    pub media_type: &'static str,
    /// Where it was written.
    pub path: PathBuf,
}

/// Counts and hashes what passes through.
struct Hashing<W> {
    inner: W,
    hash: Sha256,
    count: u64,
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hash.update(&buf[..n]);
        self.count += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

fn hashing<W: Write>(inner: W) -> Hashing<W> {
    Hashing { inner, hash: Sha256::new(), count: 0 }
}

/// `sha256:…` of what a hasher saw.
fn digest_of(hash: Sha256) -> String {
    format!("sha256:{}", hex::encode(hash.finalize()))
}

/// The OCI media type of a layer compressed so.
pub fn media_type(compression: Compression) -> &'static str {
    match compression {
        Compression::Gzip => "application/vnd.oci.image.layer.v1.tar+gzip",
        Compression::Zstd => "application/vnd.oci.image.layer.v1.tar+zstd",
    }
}

/// What the cache records of a layer it wrote.
#[derive(serde::Serialize, serde::Deserialize)]
struct Recorded {
    digest: String,
    diff_id: String,
    size: u64,
}

/// The key of a layer: everything that decides its bytes (local files by
/// their digests in `inputs`), `None` when a local file has none.
fn key(entries: &[Entry], epoch: u64, compression: Compression, inputs: &BTreeMap<PathBuf, String>) -> Option<String> {
    let mut h = Sha256::new();
    // v2: gzip became 1 MiB-block parallel deflate; a record of the old encoder's bytes must not be reused.
    h.update(format!("temper-build layer v2 {epoch} {}\n", media_type(compression)).as_bytes());
    let mut sorted: Vec<&Entry> = entries.iter().collect();
    sorted.sort_by(|a, b| a.path.as_bytes().cmp(b.path.as_bytes()));
    for e in sorted {
        let node = match &e.node {
            Node::File { content: Content::Bytes(b), mode } => format!("file {mode:o} sha256:{}", hex::encode(Sha256::digest(b))),
            Node::File { content: Content::Local(p, size), mode } => format!("file {mode:o} {size} {}", inputs.get(p)?),
            Node::Dir { mode } => format!("dir {mode:o}"),
            Node::Symlink { target } => format!("link {target:?}"),
            Node::Whiteout => "whiteout".to_owned(),
        };
        h.update(format!("{:?} {} {} {node}\n", e.path, e.uid, e.gid).as_bytes());
    }
    Some(hex::encode(h.finalize()))
}

/// [`write`], unless the cache knows a layer of the same entries and its
/// blob is already in `dir`: an unchanged step is not compressed again.
pub fn write_cached(entries: &[Entry], epoch: u64, compression: Compression, dir: &Path, cache: &temper_verdict::CacheSettings, layers: Option<&temper_inventory::cache::LayerCache>, limits: &temper_layer::Limits, inputs: &BTreeMap<PathBuf, String>) -> Result<Blob, Error> {
    let record = (!cache.disabled)
        .then(|| cache.dir.clone().or_else(temper_inventory::cache::default_dir))
        .flatten()
        .zip(key(entries, epoch, compression, inputs))
        .map(|(d, k)| d.join("build-layers-v1").join(format!("{k}.json")));
    // A record is used only when both digests are well formed: a damaged or
    // planted one must not name a path outside the layout or a bogus diffID.
    let well_formed = |d: &str| d.strip_prefix("sha256:").is_some_and(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
    if let Some(r) = record.as_ref().and_then(|f| std::fs::read(f).ok()).and_then(|b| serde_json::from_slice::<Recorded>(&b).ok()).filter(|r| well_formed(&r.digest) && well_formed(&r.diff_id)) {
        let path = dir.join(r.digest.trim_start_matches("sha256:"));
        if std::fs::metadata(&path).is_ok_and(|m| m.len() == r.size) {
            return Ok(Blob { digest: r.digest, diff_id: r.diff_id, size: r.size, media_type: media_type(compression), path });
        }
    }
    let blob = match layers {
        Some(layers) => write_analysed(entries, epoch, compression, dir, limits, layers)?,
        None => write(entries, epoch, compression, dir)?,
    };
    if let Some(f) = record
        && let (Some(parent), Ok(bytes)) = (f.parent(), serde_json::to_vec(&Recorded { digest: blob.digest.clone(), diff_id: blob.diff_id.clone(), size: blob.size }))
    {
        // A cache that cannot be written only makes the next build slower.
        let tmp = f.with_extension("tmp");
        let _ = std::fs::create_dir_all(parent).and_then(|()| std::fs::write(&tmp, bytes)).and_then(|()| std::fs::rename(&tmp, &f));
    }
    Ok(blob)
}

/// Writes `entries` (any order; sorted here) as one compressed layer into
/// a new file in `dir`, all times `epoch`.
pub fn write(entries: &[Entry], epoch: u64, compression: Compression, dir: &Path) -> Result<Blob, Error> {
    write_teeing(entries, epoch, compression, dir, None)
}

/// Chunks of tar in flight to the analysers at most (each about [`TEE_CHUNK`]).
const TEE_DEPTH: usize = 16;

/// Bytes of tar sent to the analysers at a time.
const TEE_CHUNK: usize = 256 << 10;

/// [`write`], with the tar also fed, as it is written, to the scan's
/// analysers on another thread; their results go into `cache` under the
/// layer's diffID, with the written blob's print, exactly as a scan's
/// pass over the blob would have stored them. The result's SBOM then
/// takes the new layer from the cache: its bytes are made and analysed
/// once, never inflated again. A walk that fails (a limit, say) stores
/// nothing; the layer is still written.
pub fn write_analysed(entries: &[Entry], epoch: u64, compression: Compression, dir: &Path, limits: &temper_layer::Limits, cache: &temper_inventory::cache::LayerCache) -> Result<Blob, Error> {
    let (tx, rx) = std::sync::mpsc::sync_channel(TEE_DEPTH);
    let catalogers = temper_verdict::pass::analyzers();
    std::thread::scope(|scope| {
        let walker = scope.spawn(|| walk_fed(Fed { rx, chunk: Vec::new(), pos: 0 }, limits, &catalogers));
        let blob = write_teeing(entries, epoch, compression, dir, Some(tx));
        let walked = walker.join().ok().flatten();
        let blob = blob?;
        if let Some((mut index, found)) = walked
            && index.diff_id.as_ref().is_some_and(|d| d.to_string() == blob.diff_id)
            && let (Ok(digest), Ok(print)) = (temper_image::Digest::parse(&blob.digest), temper_image::BlobPrint::of_file(&blob.path))
        {
            index.digest = Some(digest.clone());
            index.compressed_size = blob.size;
            index.compression = match compression {
                Compression::Gzip => temper_layer::Compression::Gzip,
                Compression::Zstd => temper_layer::Compression::Zstd,
            };
            let found = found.into_iter().map(|f| temper_inventory::cache::CachedFound { path: f.path, analyzer: f.analyzer.to_owned(), result: f.result }).collect();
            if let Some(diff_id) = index.diff_id.clone() {
                cache.put_blob(&digest, &print);
                cache.put(&temper_inventory::cache::key(&diff_id, &catalogers), &temper_inventory::cache::CachedLayer { index, found });
            }
        }
        Ok(blob)
    })
}

/// The scan's pass over the tar `fed` delivers: its index and what the
/// analysers found, or `None` when it failed or met the image's work budget
/// (a result that may have read less belongs to no cache).
fn walk_fed(fed: Fed, limits: &temper_layer::Limits, catalogers: &[&'static dyn temper_layer::Analyzer<temper_inventory::Fact>]) -> Option<(temper_layer::LayerIndex, Vec<temper_layer::Found<temper_inventory::Fact>>)> {
    let work = std::sync::Arc::new(temper_layer::Budget::new("image", temper_layer::IMAGE_WORK));
    let set = temper_layer::AnalyzerSet::with_budgets(catalogers.to_vec(), temper_layer::LAYER_WORK, std::sync::Arc::clone(&work));
    let layer = temper_image::Layer::new(None, None, "application/vnd.oci.image.layer.v1.tar", None);
    let tally = temper_layer::ImageTally::default();
    let index = temper_layer::walk_layer_with(0, &layer, temper_image::LayerContent::Stream(Box::new(fed)), limits, &tally, &temper_layer::NoProgress, &set).ok()?;
    (work.left() > 0).then(|| (index, set.into_found()))
}

/// The tar's bytes as they arrive from the writer; the end when it hangs up.
struct Fed {
    rx: std::sync::mpsc::Receiver<Vec<u8>>,
    chunk: Vec<u8>,
    pos: usize,
}

impl Read for Fed {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.pos == self.chunk.len() {
            match self.rx.recv() {
                Ok(chunk) => (self.chunk, self.pos) = (chunk, 0),
                Err(_) => return Ok(0),
            }
        }
        let n = buf.len().min(self.chunk.len() - self.pos);
        buf[..n].copy_from_slice(&self.chunk[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// Writes to `inner` and sends a copy, in [`TEE_CHUNK`]s, to the analysers
/// until they hang up (a failed walk never fails the write).
struct Tee<W> {
    inner: W,
    tx: Option<std::sync::mpsc::SyncSender<Vec<u8>>>,
    pending: Vec<u8>,
}

impl<W: Write> Tee<W> {
    fn new(inner: W, tx: Option<std::sync::mpsc::SyncSender<Vec<u8>>>) -> Self {
        Tee { inner, tx, pending: Vec::new() }
    }

    fn send_pending(&mut self) {
        if let Some(tx) = &self.tx
            && !self.pending.is_empty()
            && tx.send(std::mem::take(&mut self.pending)).is_err()
        {
            self.tx = None;
        }
    }

    /// Sends what is left and hangs up (the analysers see the end); gives `inner` back.
    fn into_inner(mut self) -> W {
        self.send_pending();
        self.inner
    }
}

impl<W: Write> Write for Tee<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        if self.tx.is_some() {
            self.pending.extend_from_slice(&buf[..n]);
            if self.pending.len() >= TEE_CHUNK {
                self.send_pending();
            }
        }
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// [`write`], sending a copy of the tar to `tee` when given.
fn write_teeing(entries: &[Entry], epoch: u64, compression: Compression, dir: &Path, tee: Option<std::sync::mpsc::SyncSender<Vec<u8>>>) -> Result<Blob, Error> {
    let mut sorted: Vec<&Entry> = entries.iter().collect();
    sorted.sort_by(|a, b| a.path.as_bytes().cmp(b.path.as_bytes()));
    let file = tempfile::Builder::new().prefix(".layer-").tempfile_in(dir).map_err(|source| Error::Write { path: dir.to_owned(), source })?;
    let fail = |source: io::Error| Error::Write { path: dir.to_owned(), source };
    let stored = hashing(io::BufWriter::with_capacity(1 << 20, file.as_file().try_clone().map_err(fail)?));
    let (stored, diff_id) = match compression {
        Compression::Gzip => {
            let gz = ParGzip::new(stored, flate2::Compression::default()).map_err(fail)?;
            let (gz, diff_id) = write_tar(&sorted, epoch, Tee::new(gz, tee))?;
            (gz.into_inner().finish().map_err(fail)?, diff_id)
        }
        Compression::Zstd => {
            let mut zst = zstd::Encoder::new(stored, 3).map_err(fail)?;
            zst.include_checksum(false).map_err(fail)?;
            // Multithreaded with one worker or many gives the same frame
            // (zstd cuts jobs by size, not by worker), unlike no worker.
            zst.multithread(zstd_workers()).map_err(fail)?;
            let (zst, diff_id) = write_tar(&sorted, epoch, Tee::new(zst, tee))?;
            (zst.into_inner().finish().map_err(fail)?, diff_id)
        }
    };
    let Hashing { mut inner, hash, count } = stored;
    inner.flush().map_err(fail)?;
    drop(inner);
    let digest = digest_of(hash);
    let path = dir.join(digest.trim_start_matches("sha256:"));
    file.persist(&path).map_err(|e| fail(e.error))?;
    Ok(Blob { digest, diff_id, size: count, media_type: media_type(compression), path })
}

/// The tar of `entries` into `out`; gives `out` back and the diffID.
fn write_tar<W: Write>(entries: &[&Entry], epoch: u64, out: W) -> Result<(W, String), Error> {
    let fail = |source: io::Error| Error::Write { path: PathBuf::from("layer"), source };
    let mut tar = tar::Builder::new(hashing(out));
    for e in entries {
        let mut h = tar::Header::new_gnu();
        h.set_mtime(epoch);
        h.set_uid(u64::from(e.uid));
        h.set_gid(u64::from(e.gid));
        match &e.node {
            Node::File { content, mode } => {
                h.set_entry_type(tar::EntryType::Regular);
                h.set_mode(*mode);
                h.set_size(content.size());
                match content {
                    Content::Bytes(b) => tar.append_data(&mut h, &e.path, b.as_slice()).map_err(fail)?,
                    Content::Local(path, size) => {
                        let f = std::fs::File::open(path).map_err(|source| Error::Read { path: path.clone(), source })?;
                        // A file that grew since the spec was read is cut to the size recorded (and hashed in the lock).
                        // Read in large chunks: tar copies through an 8 KiB buffer otherwise.
                        tar.append_data(&mut h, &e.path, io::BufReader::with_capacity(READ_CHUNK, ExactSize { inner: f.take(*size), left: *size, path })).map_err(fail)?;
                    }
                }
            }
            Node::Dir { mode } => {
                h.set_entry_type(tar::EntryType::Directory);
                h.set_mode(*mode);
                h.set_size(0);
                tar.append_data(&mut h, format!("{}/", e.path), io::empty()).map_err(fail)?;
            }
            Node::Symlink { target } => {
                h.set_entry_type(tar::EntryType::Symlink);
                h.set_mode(0o777);
                h.set_size(0);
                tar.append_link(&mut h, &e.path, target).map_err(fail)?;
            }
            Node::Whiteout => {
                let (parent, name) = e.path.rsplit_once('/').map_or(("", e.path.as_str()), |(p, n)| (p, n));
                let wh = if parent.is_empty() { format!(".wh.{name}") } else { format!("{parent}/.wh.{name}") };
                h.set_entry_type(tar::EntryType::Regular);
                h.set_mode(0o644);
                h.set_size(0);
                tar.append_data(&mut h, wh, io::empty()).map_err(fail)?;
            }
        }
    }
    let Hashing { inner, hash, .. } = tar.into_inner().map_err(fail)?;
    Ok((inner, digest_of(hash)))
}

/// A local file read to exactly the size recorded: one that shrank since
/// is an error rather than a tar whose header lies.
struct ExactSize<'a, R> {
    inner: R,
    left: u64,
    path: &'a Path,
}

impl<R: Read> Read for ExactSize<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n == 0 && self.left > 0 && !buf.is_empty() {
            return Err(io::Error::other(format!("{}: shrank while the layer was written", self.path.display())));
        }
        self.left -= n as u64;
        Ok(n)
    }
}

/// Bytes read from an input file at a time.
pub(crate) const READ_CHUNK: usize = 1 << 20;

/// The uncompressed bytes of one gzip block: big enough that the 32 KiB
/// dictionary and sync-flush marker cost little, small enough that a
/// layer of a few MiB still spreads over the cores.
const GZIP_BLOCK: usize = 1 << 20;

/// Blocks compressed at once: bounds memory (`GZIP_BATCH` blocks in and
/// out), whatever the number of threads.
const GZIP_BATCH: usize = 16;

/// A gzip stream compressed on every core, pigz-style: the input is cut
/// into fixed [`GZIP_BLOCK`]s, each deflated alone with the previous 32 KiB
/// as its dictionary and ended by a sync flush (the last by the final
/// block), so the bytes depend on the input only, never on the number of
/// threads or how they are scheduled. By hand over flate2 and rayon: gzp
/// (the pigz crate) brings zlib-ng or miniz_oxide and a thread pool of its
/// own, not the zlib-rs the readers use and the pool the rest of the pass
/// shares. Header as flate2's `GzBuilder` writes it (mtime 0, OS 255).
struct ParGzip<W: Write> {
    out: W,
    level: flate2::Compression,
    /// Full blocks not compressed yet, and the one being filled.
    pending: Vec<Vec<u8>>,
    /// The last 32 KiB of the input before `pending`.
    dictionary: Vec<u8>,
    crc: flate2::Crc,
}

impl<W: Write> ParGzip<W> {
    fn new(mut out: W, level: flate2::Compression) -> io::Result<Self> {
        let xfl = if level.level() >= flate2::Compression::best().level() { 2 } else if level.level() <= flate2::Compression::fast().level() { 4 } else { 0 };
        out.write_all(&[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, xfl, 255])?;
        Ok(ParGzip { out, level, pending: vec![Vec::with_capacity(GZIP_BLOCK)], dictionary: Vec::new(), crc: flate2::Crc::new() })
    }

    /// Compresses the pending blocks (the last one final when `last`) and writes them out.
    fn compress_pending(&mut self, last: bool) -> io::Result<()> {
        use rayon::prelude::*;
        let blocks = std::mem::take(&mut self.pending);
        let count = blocks.len();
        let dictionaries: Vec<&[u8]> = std::iter::once(self.dictionary.as_slice()).chain(blocks.iter().map(|b| &b[b.len().saturating_sub(32 << 10)..])).take(count).collect();
        let compressed: Vec<io::Result<Vec<u8>>> = blocks
            .par_iter()
            .zip(dictionaries.par_iter())
            .enumerate()
            .map(|(i, (block, dict))| {
                let level = if incompressible(block) { flate2::Compression::none() } else { self.level };
                deflate_block(block, dict, last && i + 1 == count, level)
            })
            .collect();
        for c in compressed {
            self.out.write_all(&c?)?;
        }
        let tail = blocks.last().map_or(&[][..], |b| &b[b.len().saturating_sub(32 << 10)..]);
        self.dictionary = tail.to_vec();
        Ok(())
    }

    /// Ends the stream (trailer: CRC-32 and size mod 2^32) and gives the writer back.
    fn finish(mut self) -> io::Result<W> {
        self.compress_pending(true)?;
        self.out.write_all(&self.crc.sum().to_le_bytes())?;
        self.out.write_all(&self.crc.amount().to_le_bytes())?;
        Ok(self.out)
    }
}

impl<W: Write> Write for ParGzip<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let Some(block) = self.pending.last_mut() else { return Err(io::Error::other("gzip stream already finished")) };
        let n = buf.len().min(GZIP_BLOCK - block.len());
        block.extend_from_slice(&buf[..n]);
        self.crc.update(&buf[..n]);
        if block.len() == GZIP_BLOCK {
            if self.pending.len() == GZIP_BATCH {
                self.compress_pending(false)?;
            }
            self.pending.push(Vec::with_capacity(GZIP_BLOCK));
        }
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// Bytes of each sample [`incompressible`] deflates.
const SAMPLE: usize = 16 << 10;

/// Whether deflate would gain nothing on `block`: four samples spread over
/// it (start, two middles, end) each shrink by under 2 % at the fastest
/// level. Such a block (already compressed files, random data) is stored
/// instead: deflating it at the spec's level costs as much as text and
/// saves nothing. Decided from the bytes alone, so the layer stays the
/// same for the same input.
fn incompressible(block: &[u8]) -> bool {
    if block.len() < 4 * SAMPLE {
        return false;
    }
    let step = (block.len() - SAMPLE) / 3;
    (0..4).all(|k| {
        let sample = &block[k * step..k * step + SAMPLE];
        let mut c = flate2::Compress::new(flate2::Compression::fast(), false);
        let mut out = Vec::with_capacity(SAMPLE + SAMPLE / 8 + 64);
        c.compress_vec(sample, &mut out, flate2::FlushCompress::Finish).is_ok() && out.len() * 100 >= sample.len() * 98
    })
}

/// One raw deflate block: `dictionary` primes the window, a sync flush
/// ends it on a byte boundary so the next block's bytes simply follow.
fn deflate_block(data: &[u8], dictionary: &[u8], last: bool, level: flate2::Compression) -> io::Result<Vec<u8>> {
    let mut c = flate2::Compress::new(level, false);
    if !dictionary.is_empty() {
        c.set_dictionary(dictionary).map_err(io::Error::other)?;
    }
    let flush = if last { flate2::FlushCompress::Finish } else { flate2::FlushCompress::Sync };
    let mut out = Vec::with_capacity(data.len() + data.len() / 8 + 1024);
    loop {
        let read = usize::try_from(c.total_in()).unwrap_or(usize::MAX).min(data.len());
        let status = c.compress_vec(&data[read..], &mut out, flush).map_err(io::Error::other)?;
        let all_in = usize::try_from(c.total_in()).is_ok_and(|n| n == data.len());
        // Done: the final block written, or (sync) all input in and room left over.
        if (last && status == flate2::Status::StreamEnd) || (!last && all_in && out.len() < out.capacity()) {
            return Ok(out);
        }
        out.reserve(64 << 10);
    }
}

/// zstd's workers: one per rayon thread (at least one, see [`write`]).
fn zstd_workers() -> u32 {
    u32::try_from(rayon::current_num_threads()).unwrap_or(1).max(1)
}
