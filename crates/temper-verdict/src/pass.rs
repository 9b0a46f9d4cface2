//! The one streaming pass over an image's layers, through the per-layer
//! cache, and the merged inventory it gives.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use temper_image::Image;
use temper_inventory::cache::{LayerCache, SharedTier};
use temper_inventory::{Fact, Inventory};
use temper_layer::{Analysis, Analyzer, FileSink, Found, LayerIndex, Limits, Merged, NoFiles};

use crate::{Error, Reporter, reporter::layer_labels};

/// Whether and where the per-layer cache is used.
#[derive(Clone, Debug, Default)]
pub struct CacheSettings {
    /// Neither read nor write it.
    pub disabled: bool,
    /// Its directory; the user cache directory when `None`.
    pub dir: Option<PathBuf>,
    /// Re-hash a blob whole even on a cache hit (a hit otherwise checks
    /// its size and its first and last MiB).
    pub verify_blobs: bool,
    /// A tier behind the local cache, shared with other machines (the
    /// fleet store): read after the local file, written with it.
    pub shared: Option<Arc<dyn SharedTier>>,
}

/// An image after the layer pass.
pub struct Scanned {
    /// Every layer's index.
    pub layers: Vec<LayerIndex>,
    /// The merged filesystem and waste figures.
    pub analysis: Analysis,
    /// Packages, accounts and secrets.
    pub inventory: Inventory,
    /// Which layers came from the cache rather than a read of their blob.
    pub from_cache: Vec<bool>,
    /// The visible copies of the files kept whole ([`temper_inventory::kept`]), by path.
    pub kept: BTreeMap<String, String>,
}

/// Every layer's file index, read whole (no cache: the index is what is
/// asked for), with `sink` fed each file it wants.
pub fn walk(image: &Image, limits: &Limits, reporter: &dyn Reporter, sink: &dyn FileSink) -> Result<Vec<LayerIndex>, Error> {
    let progress = reporter.layer_pass("reading", layer_labels(image));
    let walked = temper_layer::walk_image_with(image, limits, progress.as_ref(), sink);
    drop(progress);
    walked.map_err(|source| Error::Walk { image: image.name.clone(), source })
}

/// Every analyser the one pass feeds: the catalogers, then the account
/// reader and the secret rules of the hardening checks. One set for every
/// command, so a layer has one cache entry whichever command read it first.
pub fn analyzers() -> Vec<&'static dyn Analyzer<temper_inventory::Fact>> {
    let mut all = temper_inventory::catalog::registry();
    all.extend(temper_check::analyzers());
    all.push(&temper_inventory::kept::KeptFiles);
    all
}

/// The walked layers and merged inventory of `image`: every
/// [`analyzers`] fed in the one pass, through the per-layer cache unless
/// `cache` says otherwise. `all_layers` keeps packages later layers
/// deleted or replaced.
pub fn scan(image: &Image, limits: &Limits, cache: &CacheSettings, reporter: &dyn Reporter, all_layers: bool) -> Result<Scanned, Error> {
    scan_feeding(image, limits, cache, reporter, all_layers, &NoFiles)
}

/// [`scan`], with `sink` fed every file it wants in the same pass (a
/// cached layer holding such a file is read again), for a caller that
/// needs files besides the inventory without a second pass.
pub fn scan_feeding(image: &Image, limits: &Limits, cache: &CacheSettings, reporter: &dyn Reporter, all_layers: bool, sink: &dyn FileSink) -> Result<Scanned, Error> {
    let catalogers = analyzers();
    let cache = open_cache(cache, reporter);
    let progress = reporter.layer_pass("scanning", layer_labels(image));
    let scanned = temper_inventory::scan_feeding(image, limits, progress.as_ref(), &catalogers, cache.as_ref(), sink);
    drop(progress);
    if let Some(notice) = cache.as_ref().and_then(LayerCache::take_notice) {
        reporter.warn(&notice);
    }
    let scanned = scanned.map_err(|source| Error::Walk { image: image.name.clone(), source })?;
    let analysis = temper_layer::analyze(&scanned.layers).map_err(|source| Error::Merge { image: image.name.clone(), source })?;
    let mut found = scanned.found;
    let kept = take_kept(&mut found, &analysis.merged);
    let inventory = Inventory::build(found, &scanned.layers, &analysis.merged, all_layers);
    Ok(Scanned { layers: scanned.layers, analysis, inventory, from_cache: scanned.from_cache, kept })
}

/// The kept files' texts of the copies `merged` shows, moved out of
/// `found` (the inventory has no use for them).
fn take_kept(found: &mut [Found<Fact>], merged: &Merged) -> BTreeMap<String, String> {
    found
        .iter_mut()
        .filter(|f| merged.files.get(&f.path).is_some_and(|m| m.layer == f.layer))
        .filter_map(|f| {
            let text = f.result.as_mut().ok()?.iter_mut().find_map(|fact| if let Fact::Text { text } = fact { Some(std::mem::take(text)) } else { None })?;
            Some((f.path.clone(), text))
        })
        .collect()
}

/// The cache, or none with a warning when it cannot be opened: a broken
/// cache slows a scan down, it never stops one.
fn open_cache(settings: &CacheSettings, reporter: &dyn Reporter) -> Option<LayerCache> {
    if settings.disabled {
        return None;
    }
    match settings.dir.clone().or_else(temper_inventory::cache::default_dir).map(|d| LayerCache::open(&d)).transpose() {
        Ok(c) => c.map(|c| c.verify_blobs(settings.verify_blobs).shared(settings.shared.clone())),
        Err(e) => {
            reporter.warn(&format!("{e}; scanning without the cache (`temper cache clean` removes it, --no-cache skips it)"));
            None
        }
    }
}
