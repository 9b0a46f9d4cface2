//! The per-layer cache: a second scan reads no layer, gives the same
//! inventory, survives corruption and concurrent use.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::atomic::{AtomicUsize, Ordering};

use temper_inventory::cache::{self, LayerCache};
use temper_inventory::{catalog, scan, Inventory};
use temper_layer::{Analyzer, FileEntry, Limits, Progress};

/// Layers opened, and layers reported as served from the cache.
#[derive(Default)]
struct Started(AtomicUsize, AtomicUsize);

impl Progress for Started {
    fn start(&self, _: usize, _: Option<u64>) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
    fn advance(&self, _: usize, _: u64) {}
    fn finish(&self, _: usize) {}
    fn cached(&self, _: usize) {
        self.1.fetch_add(1, Ordering::Relaxed);
    }
}

fn demo() -> temper_image::Image {
    temper_image::open_str(concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/demo-app"), &Default::default()).expect("demo")
}

fn inventory_json(cache: Option<&LayerCache>, started: &Started) -> String {
    let image = demo();
    let s = scan(&image, &Limits::default(), started, &catalog::registry(), cache).expect("scan");
    let analysis = temper_layer::analyze(&s.layers).expect("merge");
    let inv = Inventory::build(s.found, &s.layers, &analysis.merged, false);
    let layers: Vec<_> = s.layers.iter().map(|l| (l.digest.clone(), l.diff_id.clone(), l.compressed_size, l.entries.len())).collect();
    serde_json::to_string(&(inv, layers)).expect("json")
}

#[test]
fn second_scan_reads_no_layer_and_matches() {
    let dir = tempfile::tempdir().expect("tmp");
    let cache = LayerCache::open(dir.path()).expect("open");
    let (cold, warm, none) = (Started::default(), Started::default(), Started::default());
    let a = inventory_json(Some(&cache), &cold);
    let b = inventory_json(Some(&cache), &warm);
    let c = inventory_json(None, &none);
    assert_eq!(cold.0.load(Ordering::Relaxed), 3);
    assert_eq!(warm.0.load(Ordering::Relaxed), 0, "a warm scan must not open any layer");
    assert_eq!((cold.1.load(Ordering::Relaxed), warm.1.load(Ordering::Relaxed)), (0, 3), "layers served from the cache are reported as such, so a progress total completes");
    assert_eq!(a, b);
    assert_eq!(a, c, "cached and uncached scans agree");
    assert!(a.contains("libexpat1"));
}

#[test]
fn corrupt_values_are_misses() {
    let dir = tempfile::tempdir().expect("tmp");
    let cache = LayerCache::open(dir.path()).expect("open");
    let image = demo();
    let key = cache::key(image.layers[0].diff_id.as_ref().expect("diff id"), &catalog::registry());
    {
        let conn = rusqlite::Connection::open(cache.path()).expect("sqlite");
        conn.execute("INSERT INTO layers (key, value, stored) VALUES (?1, ?2, 0)", rusqlite::params![key, b"garbage".to_vec()]).expect("insert");
    }
    let started = Started::default();
    let json = inventory_json(Some(&cache), &started);
    assert_eq!(started.0.load(Ordering::Relaxed), 3, "the corrupt entry is re-walked");
    assert!(json.contains("busybox-static"));

}

#[test]
fn a_corrupt_cache_file_is_moved_aside_once_and_the_cache_works_again() {
    let dir = tempfile::tempdir().expect("tmp");
    std::fs::write(dir.path().join("layers-v1.sqlite"), vec![0x42; 4096]).expect("write");
    let cache = LayerCache::open(dir.path()).expect("a corrupt file is replaced, not an error");
    let notice = cache.take_notice().expect("the replacement is reported");
    assert!(notice.contains("layers-v1.sqlite") && notice.contains("moved it to") && notice.contains("layers-v1.sqlite.corrupt"), "{notice}");
    assert_eq!(cache.take_notice(), None, "reported once");
    assert_eq!(std::fs::read(dir.path().join("layers-v1.sqlite.corrupt")).expect("kept aside"), vec![0x42; 4096]);
    let cold = Started::default();
    inventory_json(Some(&cache), &cold);
    assert_eq!(cold.0.load(Ordering::Relaxed), 3);
    drop(cache);
    let cache = LayerCache::open(dir.path()).expect("open");
    assert_eq!(cache.take_notice(), None, "healed: the next run is quiet");
    let warm = Started::default();
    inventory_json(Some(&cache), &warm);
    assert_eq!(warm.0.load(Ordering::Relaxed), 0, "and warm");
    drop(cache);
    assert!(cache::clean(dir.path()).expect("clean") > 4096);
    assert!(!dir.path().join("layers-v1.sqlite.corrupt").exists(), "clean removes what was moved aside");
}

#[test]
fn pages_damaged_inside_the_database_heal_too() {
    let dir = tempfile::tempdir().expect("tmp");
    let cache = LayerCache::open(dir.path()).expect("open");
    inventory_json(Some(&cache), &Started::default());
    drop(cache); // the last connection folds the WAL into the file
    let file = dir.path().join("layers-v1.sqlite");
    let mut bytes = std::fs::read(&file).expect("read");
    assert!(bytes.len() > 8192, "{} bytes", bytes.len());
    // The header page stays valid; every page after it is garbage.
    let page = usize::from(u16::from_be_bytes([bytes[16], bytes[17]]));
    bytes[page..].fill(0x42);
    std::fs::write(&file, &bytes).expect("write");

    let cache = LayerCache::open(dir.path()).expect("open");
    let started = Started::default();
    let json = inventory_json(Some(&cache), &started);
    assert!(json.contains("libexpat1"), "the scan itself is unharmed");
    assert_eq!(started.0.load(Ordering::Relaxed), 3);
    let notice = cache.take_notice().expect("the damage is reported");
    assert!(notice.contains("corrupt") && notice.contains("moved it to"), "{notice}");
    inventory_json(Some(&cache), &Started::default());
    drop(cache);
    let cache = LayerCache::open(dir.path()).expect("open");
    let warm = Started::default();
    inventory_json(Some(&cache), &warm);
    assert_eq!(warm.0.load(Ordering::Relaxed), 0, "the new database caches");
    assert_eq!(cache.take_notice(), None);
}

#[test]
fn concurrent_scans_share_one_cache() {
    let dir = tempfile::tempdir().expect("tmp");
    let results: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|_| {
                let path = dir.path().to_owned();
                s.spawn(move || {
                    let cache = LayerCache::open(&path).expect("open");
                    inventory_json(Some(&cache), &Started::default())
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("thread")).collect()
    });
    assert!(results.windows(2).all(|w| w[0] == w[1]));
    let cache = LayerCache::open(dir.path()).expect("open");
    let started = Started::default();
    inventory_json(Some(&cache), &started);
    assert_eq!(started.0.load(Ordering::Relaxed), 0);
    drop(cache);
    assert!(cache::clean(dir.path()).expect("clean") > 0);
    assert!(!dir.path().join("layers-v1.sqlite").exists());
}

struct Versioned(u32);

impl Analyzer<temper_inventory::Fact> for Versioned {
    fn id(&self) -> &'static str {
        "versioned"
    }
    fn version(&self) -> u32 {
        self.0
    }
    fn wants(&self, _: &str, _: &FileEntry) -> bool {
        false
    }
    fn analyze(&self, _: &str, _: &[u8]) -> Result<Vec<temper_inventory::Fact>, String> {
        Ok(Vec::new())
    }
}

#[test]
fn key_moves_with_analyzer_versions_and_diff_id() {
    let d1 = temper_image::Digest::sha256_of(b"a");
    let d2 = temper_image::Digest::sha256_of(b"b");
    let (v1, v2) = (Versioned(1), Versioned(2));
    let k = |d: &temper_image::Digest, a: &Versioned| cache::key(d, &[a as &dyn Analyzer<temper_inventory::Fact>]);
    assert_eq!(k(&d1, &v1), k(&d1, &Versioned(1)));
    assert_ne!(k(&d1, &v1), k(&d1, &v2));
    assert_ne!(k(&d1, &v1), k(&d2, &v1));
}

#[test]
fn hits_without_a_recorded_blob_print_are_misses() {
    let dir = tempfile::tempdir().expect("tmp");
    let cache = LayerCache::open(dir.path()).expect("open");
    let cold = inventory_json(Some(&cache), &Started::default());
    // A cache written before blob prints were recorded has results and no prints.
    rusqlite::Connection::open(cache.path()).expect("sqlite").execute("DELETE FROM blobs", []).expect("delete");
    let (again, warm) = (Started::default(), Started::default());
    assert_eq!(inventory_json(Some(&cache), &again), cold);
    assert_eq!(again.0.load(Ordering::Relaxed), 3, "unproven hits are read and verified whole");
    assert_eq!(inventory_json(Some(&cache), &warm), cold);
    assert_eq!(warm.0.load(Ordering::Relaxed), 0, "the prints are recorded again");
}

#[test]
fn verify_blobs_rehashes_every_hit() {
    let dir = tempfile::tempdir().expect("tmp");
    let cold = inventory_json(Some(&LayerCache::open(dir.path()).expect("open")), &Started::default());
    let verifying = LayerCache::open(dir.path()).expect("open").verify_blobs(true);
    let started = Started::default();
    assert_eq!(inventory_json(Some(&verifying), &started), cold);
    assert_eq!(started.0.load(Ordering::Relaxed), 3, "each blob is read once more");
}

/// A shared tier in memory, counting its reads.
#[derive(Debug, Default)]
struct Memory {
    values: std::sync::Mutex<std::collections::BTreeMap<String, Vec<u8>>>,
    blobs: std::sync::Mutex<std::collections::BTreeMap<String, temper_image::BlobPrint>>,
}

impl cache::SharedTier for Memory {
    fn value(&self, key: &str) -> Option<Vec<u8>> {
        self.values.lock().unwrap().get(key).cloned()
    }
    fn put_value(&self, key: &str, value: &[u8]) {
        self.values.lock().unwrap().insert(key.to_owned(), value.to_vec());
    }
    fn blob(&self, id: &temper_image::Digest) -> Option<temper_image::BlobPrint> {
        self.blobs.lock().unwrap().get(&id.to_string()).cloned()
    }
    fn put_blob(&self, id: &temper_image::Digest, print: &temper_image::BlobPrint) {
        self.blobs.lock().unwrap().insert(id.to_string(), print.clone());
    }
}

#[test]
fn a_shared_tier_serves_another_machine_and_its_corrupt_values_are_misses() {
    let tier = std::sync::Arc::new(Memory::default());
    let shared = || Some(tier.clone() as std::sync::Arc<dyn cache::SharedTier>);
    let (here, there, third) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let first = Started::default();
    let a = inventory_json(Some(&LayerCache::open(here.path()).unwrap().shared(shared())), &first);
    assert_eq!(first.0.load(Ordering::Relaxed), 3);
    assert_eq!((tier.values.lock().unwrap().len(), tier.blobs.lock().unwrap().len()), (3, 3), "written through to the tier");

    // Another machine: an empty local cache, the same tier.
    let other = LayerCache::open(there.path()).unwrap().shared(shared());
    let warm = Started::default();
    assert_eq!(inventory_json(Some(&other), &warm), a);
    assert_eq!((warm.0.load(Ordering::Relaxed), warm.1.load(Ordering::Relaxed)), (0, 3), "every layer from the tier");
    // The hits were copied into its local file: served without the tier now.
    let alone = Started::default();
    assert_eq!(inventory_json(Some(&LayerCache::open(there.path()).unwrap()), &alone), a);
    assert_eq!(alone.1.load(Ordering::Relaxed), 3);

    // Damaged values in the tier are misses: the layers are read again, and stored again.
    for value in tier.values.lock().unwrap().values_mut() {
        *value = b"not zstd".to_vec();
    }
    let cold = Started::default();
    assert_eq!(inventory_json(Some(&LayerCache::open(third.path()).unwrap().shared(shared())), &cold), a);
    assert_eq!((cold.0.load(Ordering::Relaxed), cold.1.load(Ordering::Relaxed)), (3, 0));
    assert!(tier.values.lock().unwrap().values().all(|v| v != b"not zstd"), "rewritten by the full pass");
}

#[test]
fn a_hit_is_held_to_todays_limits_not_those_it_was_cached_under() {
    let dir = tempfile::tempdir().expect("tmp");
    let cache = LayerCache::open(dir.path()).expect("open");
    let image = demo();
    let cold = scan(&image, &Limits::default(), &Started::default(), &catalog::registry(), Some(&cache)).expect("cold scan");
    let largest = cold.layers.iter().map(|l| l.uncompressed_size).max().expect("layers");
    let total: u64 = cold.layers.iter().map(|l| l.uncompressed_size).sum();
    let refused = |limits: Limits| {
        let warm = Started::default();
        let e = scan(&image, &limits, &warm, &catalog::registry(), Some(&cache)).err().expect("refused").to_string();
        assert_eq!(warm.0.load(Ordering::Relaxed), 0, "refused from the cache, without reading a layer");
        e
    };
    let layer = refused(Limits { max_layer_bytes: largest - 1, ..Limits::default() });
    assert!(layer.contains("(cached)") && layer.contains("--max-layer-size"), "{layer}");
    let whole = refused(Limits { max_image_bytes: total - 1, ..Limits::default() });
    assert!(whole.contains("--max-image-size"), "{whole}");
    // Within the limits, the same hits serve.
    let fits = Started::default();
    scan(&image, &Limits { max_layer_bytes: largest, max_image_bytes: total, ..Limits::default() }, &fits, &catalog::registry(), Some(&cache)).expect("within limits");
    assert_eq!(fits.1.load(Ordering::Relaxed), 3);
}
