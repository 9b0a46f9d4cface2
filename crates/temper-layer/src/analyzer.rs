//! Analysers: the extension point of the layer pass.
//!
//! An analyser names the files it wants (by path and entry metadata, before
//! any byte is read; optionally narrowed by the file's first bytes, see
//! [`Analyzer::wants_head`]) and receives each wanted file's bytes once, while the
//! layer streams past; it never opens files itself. Files nobody wants are
//! skipped unread. What an analyser returns is a list of facts of the
//! caller's type `F`, so this crate stays ignorant of packages or secrets;
//! a failure is kept as data (the path and why), never a failed scan.

use std::io::{self, Read};
use std::sync::Mutex;

use crate::entry::FileEntry;

/// One analyser.
pub trait Analyzer<F>: Send + Sync {
    /// Stable id, used in cache keys and reports.
    fn id(&self) -> &'static str;
    /// Bumped whenever the output for the same bytes can change.
    fn version(&self) -> u32;
    /// Whether this regular file is wanted; decided from path and header.
    fn wants(&self, path: &str, entry: &FileEntry) -> bool;
    /// Whether a file [`Analyzer::wants`] is still wanted once its first
    /// [`HEAD_BYTES`] (fewer for shorter files) are seen: an analyser that
    /// asks for many files by metadata (every executable) drops those not
    /// in its format before the whole file is buffered.
    fn wants_head(&self, _head: &[u8]) -> bool {
        true
    }
    /// Largest file read; bigger wanted files are reported, not read.
    fn max_bytes(&self) -> u64 {
        32 << 20
    }
    /// Facts found in one file.
    fn analyze(&self, path: &str, content: &[u8]) -> Result<Vec<F>, String>;
}

/// How much of a wanted file [`Analyzer::wants_head`] sees.
pub const HEAD_BYTES: usize = 4096;

/// What one analyser made of one file of one layer.
#[derive(Debug)]
pub struct Found<F> {
    /// Layer index.
    pub layer: usize,
    /// Root-relative path.
    pub path: String,
    /// The analyser's id.
    pub analyzer: &'static str,
    /// Its facts, or why it could not read the file.
    pub result: Result<Vec<F>, String>,
}

/// Where the layer pass hands wanted files; object-safe so the walker
/// needs no knowledge of the fact type.
pub trait FileSink: Sync {
    /// The largest number of bytes any taker wants of this file; `None`
    /// when nobody wants it.
    fn wants(&self, layer: usize, path: &str, entry: &FileEntry) -> Option<u64>;
    /// The largest number of bytes any taker still wants after seeing the
    /// file's first [`HEAD_BYTES`]; `None` when nobody does.
    fn wants_head(&self, layer: usize, path: &str, entry: &FileEntry, _head: &[u8]) -> Option<u64> {
        self.wants(layer, path, entry)
    }
    /// The file's bytes (at most what [`FileSink::wants`] asked for);
    /// `complete` is false when the file was larger.
    fn take(&self, layer: usize, path: &str, entry: &FileEntry, content: &[u8], complete: bool);
}

/// Reads a file `sink` wants from `reader` and hands it over: the head
/// first, the rest only if a taker still wants it after seeing the head.
pub(crate) fn feed(sink: &dyn FileSink, layer: usize, entry: &FileEntry, limit: u64, reader: &mut dyn Read) -> io::Result<()> {
    let mut content = Vec::with_capacity(entry.size.min(limit).min(HEAD_BYTES as u64) as usize);
    reader.take(limit.min(HEAD_BYTES as u64)).read_to_end(&mut content)?;
    let Some(limit) = sink.wants_head(layer, &entry.path, entry, &content) else { return Ok(()) };
    content.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    let rest = limit.saturating_sub(content.len() as u64);
    content.reserve(entry.size.min(limit).saturating_sub(content.len() as u64) as usize);
    reader.take(rest).read_to_end(&mut content)?;
    sink.take(layer, &entry.path, entry, &content, entry.size <= limit);
    Ok(())
}

/// A sink that wants nothing.
pub struct NoFiles;

impl FileSink for NoFiles {
    fn wants(&self, _: usize, _: &str, _: &FileEntry) -> Option<u64> {
        None
    }
    fn take(&self, _: usize, _: &str, _: &FileEntry, _: &[u8], _: bool) {}
}

/// A list of analysers and what they found, filled during the pass.
pub struct AnalyzerSet<'a, F> {
    analyzers: Vec<&'a dyn Analyzer<F>>,
    found: Mutex<Vec<Found<F>>>,
}

impl<'a, F: Send> AnalyzerSet<'a, F> {
    /// The analysers to run.
    pub fn new(analyzers: Vec<&'a dyn Analyzer<F>>) -> Self {
        AnalyzerSet { analyzers, found: Mutex::new(Vec::new()) }
    }

    /// Everything found, in layer then path order (so output does not
    /// depend on thread timing).
    pub fn into_found(self) -> Vec<Found<F>> {
        let mut found = self.found.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner);
        found.sort_by(|a, b| (a.layer, &a.path, a.analyzer).cmp(&(b.layer, &b.path, b.analyzer)));
        found
    }
}

impl<F: Send> FileSink for AnalyzerSet<'_, F> {
    fn wants(&self, _: usize, path: &str, entry: &FileEntry) -> Option<u64> {
        self.analyzers.iter().filter(|a| a.wants(path, entry)).map(|a| a.max_bytes()).max()
    }

    fn wants_head(&self, _: usize, path: &str, entry: &FileEntry, head: &[u8]) -> Option<u64> {
        self.analyzers.iter().filter(|a| a.wants(path, entry) && a.wants_head(head)).map(|a| a.max_bytes()).max()
    }

    fn take(&self, layer: usize, path: &str, entry: &FileEntry, content: &[u8], complete: bool) {
        let mut local = Vec::new();
        let head = &content[..content.len().min(HEAD_BYTES)];
        for a in self.analyzers.iter().filter(|a| a.wants(path, entry) && a.wants_head(head)) {
            let result = if complete && content.len() as u64 <= a.max_bytes() {
                a.analyze(path, content)
            } else {
                Err(format!("{} bytes, over the {}-byte limit of analyser {}", entry.size, a.max_bytes(), a.id()))
            };
            local.push(Found { layer, path: path.to_owned(), analyzer: a.id(), result });
        }
        if let Ok(mut found) = self.found.lock() {
            found.extend(local);
        }
    }
}
