//! Analysers: the extension point of the layer pass.
//!
//! An analyser names the files it wants (by path and entry metadata, before
//! any byte is read; optionally narrowed by the file's first bytes, see
//! [`Analyzer::wants_head`]) and receives each wanted file's bytes once, while the
//! layer streams past; it never opens files itself. Files nobody wants are
//! skipped unread. What an analyser returns is a list of facts of the
//! caller's type `F`, so this crate stays ignorant of packages or secrets;
//! a failure is kept as data (the path and why), never a failed scan.
//!
//! Work an analyser derives from a file beyond reading it (inflating the
//! entries of a jar, say) is charged to a [`Budget`] that all files of one
//! layer share, inside one for the whole image: a few kilobytes that
//! inflate a thousandfold, repeated in every file of a layer, cost at most
//! the layer's budget, however many files or entries carry them.

use std::collections::BTreeMap;
use std::io::{self, Read};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

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
    /// [`Analyzer::analyze`] for an analyser whose work can exceed the
    /// file's size (inflating archives): it charges that work to `budget`,
    /// shared by the files of the layer (and the image), and stops when
    /// it runs out. The default ignores the budget.
    fn analyze_within(&self, path: &str, content: &[u8], budget: &Budget) -> Result<Vec<F>, String> {
        let _ = budget;
        self.analyze(path, content)
    }
}

/// Bytes of derived work (inflated, decoded) the files of one layer may
/// cost all analysers together. Inflating and parsing 2 GiB of nested jars
/// takes about 4 s of CPU (1.5 s inflating, the rest the kernel handing
/// out fresh pages); real layers stay far below (a Spring Boot jar holds
/// about 100 MB of nested jars).
pub const LAYER_WORK: u64 = 2 << 30;
/// The same for all layers of an image together.
pub const IMAGE_WORK: u64 = 4 << 30;

/// A count of derived work, in bytes, that may be spent at most once;
/// possibly inside a larger one (a layer's inside its image's), which every
/// charge is passed on to. Shared between threads.
#[derive(Debug)]
pub struct Budget {
    what: &'static str,
    total: u64,
    spent: AtomicU64,
    parent: Option<Arc<Budget>>,
}

impl Budget {
    /// `total` bytes of work for `what` (`"layer"`, `"image"`), named in
    /// the error when it runs out.
    pub fn new(what: &'static str, total: u64) -> Budget {
        Budget { what, total, spent: AtomicU64::new(0), parent: None }
    }

    /// The same budget, whose charges also count against `parent`.
    #[must_use]
    pub fn within(self, parent: Arc<Budget>) -> Budget {
        Budget { parent: Some(parent), ..self }
    }

    /// Bytes the smallest of this budget and those it is inside started with.
    pub fn total(&self) -> u64 {
        self.parent.as_ref().map_or(self.total, |p| self.total.min(p.total()))
    }

    /// Bytes still allowed here and in every budget this one is inside.
    pub fn left(&self) -> u64 {
        let own = self.total.saturating_sub(self.spent.load(Ordering::Relaxed));
        self.parent.as_ref().map_or(own, |p| own.min(p.left()))
    }

    /// Charges `n` bytes; the error names the budget that ran out. A
    /// refused charge still counts, so the budget stays spent.
    pub fn spend(&self, n: u64) -> Result<(), String> {
        let before = self.spent.fetch_add(n, Ordering::Relaxed);
        let parent = self.parent.as_ref().map_or(Ok(()), |p| p.spend(n));
        if before.saturating_add(n) > self.total {
            return Err(self.exhausted());
        }
        parent
    }

    /// Why work was refused: this budget, or the one it is inside when
    /// that has less left, is used up.
    pub fn exhausted(&self) -> String {
        let own = self.total.saturating_sub(self.spent.load(Ordering::Relaxed));
        match &self.parent {
            Some(p) if p.left() < own => p.exhausted(),
            _ => format!("work budget of the {} ({} bytes inflated or decoded) used up", self.what, self.total),
        }
    }
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
    /// Bytes of work per layer.
    per_layer: u64,
    /// Shared by every layer this set is fed.
    image: Arc<Budget>,
    /// One per layer index, made on the layer's first wanted file.
    layers: Mutex<BTreeMap<usize, Arc<Budget>>>,
}

impl<'a, F: Send> AnalyzerSet<'a, F> {
    /// The analysers to run, with [`LAYER_WORK`] per layer and
    /// [`IMAGE_WORK`] for all the layers this set is fed.
    pub fn new(analyzers: Vec<&'a dyn Analyzer<F>>) -> Self {
        Self::with_budgets(analyzers, LAYER_WORK, Arc::new(Budget::new("image", IMAGE_WORK)))
    }

    /// The analysers to run, with `per_layer` bytes of work per layer,
    /// inside `image`: sets made for the layers of one image (one set per
    /// layer) share the image's budget this way.
    pub fn with_budgets(analyzers: Vec<&'a dyn Analyzer<F>>, per_layer: u64, image: Arc<Budget>) -> Self {
        AnalyzerSet { analyzers, found: Mutex::new(Vec::new()), per_layer, image, layers: Mutex::new(BTreeMap::new()) }
    }

    /// Layer `layer`'s budget.
    fn layer_budget(&self, layer: usize) -> Arc<Budget> {
        let mut layers = self.layers.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        Arc::clone(layers.entry(layer).or_insert_with(|| Arc::new(Budget::new("layer", self.per_layer).within(Arc::clone(&self.image)))))
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
        let budget = self.layer_budget(layer);
        for a in self.analyzers.iter().filter(|a| a.wants(path, entry) && a.wants_head(head)) {
            let result = if complete && content.len() as u64 <= a.max_bytes() {
                a.analyze_within(path, content, &budget)
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
