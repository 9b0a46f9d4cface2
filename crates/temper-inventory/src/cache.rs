//! The per-layer cache: what the layer pass and the catalogers found in a
//! layer, stored under a key made of the layer's diffID and every
//! cataloger's id and version, so an image sharing a golden base with one
//! scanned before neither downloads nor decompresses those layers again.
//!
//! SQLite (WAL mode, busy timeout) lets concurrent runs share one cache
//! without corrupting it; values are zstd-compressed JSON. A value that
//! cannot be read back is a miss, never an error: the cache only saves time.
//! A database file SQLite finds corrupt (at open or on a read) is moved
//! aside to `<file>.corrupt` and a new one started, once per run, with a
//! notice ([`LayerCache::take_notice`]); otherwise every later run would
//! scan uncached.
//!
//! # What a hit proves
//! A hit skips reading the blob, and with it the digest check of the full
//! pass, so a blob corrupted after it was scanned would go unnoticed. A
//! hit therefore stands only when the blob still matches the
//! [`BlobPrint`] recorded when a full pass last verified it (the `blobs`
//! table, keyed by the blob's digest, else the layer's diffID): the same
//! size, also equal to the descriptor's, and for blobs in local layouts
//! and archives the same SHA-256 of the first and last MiB. That catches
//! truncation, replacement and damage to either end (headers, compression
//! framing, the tar end) for about a millisecond per layer; damage only in
//! the middle of a blob larger than 2 MiB passes it, which is what
//! [`LayerCache::verify_blobs`] (`--verify-blobs`) is for: it re-hashes
//! every hit's blob whole against its digest. A registry blob has no
//! local bytes to check: its size and digest come from the manifest,
//! itself verified by digest, and it is fetched by that digest and checked
//! whole whenever it is read, so size and digest-addressed fetch are its
//! proof. A hit that cannot prove its blob (no print recorded, as in a
//! cache written before prints were, or a print that differs) is a miss:
//! the full pass verifies the blob, failing on a corrupt one, and records
//! its print again.
//!
//! # A shared second tier
//! Workers on several machines would each walk every shared base layer
//! again; a [`SharedTier`] (the fleet store, in `temper-fleet`) behind the
//! local file lets them share results. Reads try the local file first,
//! then the tier (a tier hit is copied into the local file); writes go to
//! both. The tier keeps the same keys, the same compressed values and the
//! same blob prints, so a hit from it proves exactly what a local hit
//! does: the print was recorded by a full pass (on some machine) and this
//! machine's blob must still match it. A tier value that cannot be read
//! back is a miss, like a local one.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use temper_image::{BlobPrint, Digest};
use temper_layer::{Analyzer, LayerIndex};

use crate::package::Fact;

/// Bumped when the stored shape changes.
const SCHEMA: u32 = 1;
const FILE: &str = "layers-v1.sqlite";
/// Where a corrupt database is moved.
const ASIDE: &str = "layers-v1.sqlite.corrupt";
/// A stored value larger than this when decompressed is treated as corrupt.
const MAX_VALUE: usize = 1 << 30;

/// A cache that cannot be opened.
#[derive(Debug, thiserror::Error)]
#[error("layer cache {}: {reason}", path.display())]
pub struct CacheError {
    /// The cache file or directory.
    pub path: PathBuf,
    /// What failed.
    pub reason: String,
}

/// One layer's stored results.
#[derive(Serialize, Deserialize)]
pub struct CachedLayer {
    /// The file index.
    pub index: LayerIndex,
    /// What each cataloger made of each file it wanted.
    pub found: Vec<CachedFound>,
}

/// One cataloger result, with the cataloger named by id.
#[derive(Serialize, Deserialize)]
pub struct CachedFound {
    /// Path in the image.
    pub path: String,
    /// Cataloger id.
    pub analyzer: String,
    /// Facts or the failure.
    pub result: Result<Vec<Fact>, String>,
}

/// A cache tier kept elsewhere than this machine, shared by several (see
/// the module doc). Failures to reach it are misses and lost writes, never
/// errors: the cache only saves time.
pub trait SharedTier: Send + Sync + std::fmt::Debug {
    /// The stored bytes for `key` (as [`LayerCache`] stores them).
    fn value(&self, key: &str) -> Option<Vec<u8>>;
    /// Stores `value` under `key`.
    fn put_value(&self, key: &str, value: &[u8]);
    /// The print recorded for the blob `id` when a full pass verified it.
    fn blob(&self, id: &Digest) -> Option<BlobPrint>;
    /// Records that a full pass verified the blob `id`, which looked like `print`.
    fn put_blob(&self, id: &Digest, print: &BlobPrint);
}

/// An open cache directory, with its shared tier if any.
pub struct LayerCache {
    conn: Mutex<Store>,
    path: PathBuf,
    notice: Mutex<Option<String>>,
    verify_blobs: bool,
    shared: Option<Arc<dyn SharedTier>>,
}

/// The connection, unless a second corruption in one run retired it.
struct Store {
    conn: Option<Connection>,
    healed: bool,
}

fn is_corrupt(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, _) if matches!(f.code, rusqlite::ErrorCode::DatabaseCorrupt | rusqlite::ErrorCode::NotADatabase))
}

/// The default cache directory: `$XDG_CACHE_HOME/temper`, else `~/.cache/temper`.
pub fn default_dir() -> Option<PathBuf> {
    std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .map(|d| d.join("temper"))
}

/// The key for a layer: diffID, schema, and each analyser's id and version.
pub fn key(diff_id: &Digest, analyzers: &[&dyn Analyzer<Fact>]) -> String {
    let mut h = Sha256::new();
    h.update(format!("temper-layer-cache\0{SCHEMA}\0{diff_id}\0"));
    for a in analyzers {
        h.update(format!("{}\0{}\0{}\0", a.id(), a.version(), a.max_bytes()));
    }
    hex::encode(h.finalize())
}

impl LayerCache {
    /// Opens (creating) the cache in `dir`; a corrupt database file is
    /// moved aside and replaced (see [`LayerCache::take_notice`]).
    pub fn open(dir: &Path) -> Result<Self, CacheError> {
        let path = dir.join(FILE);
        let err = |reason: String| CacheError { path: path.clone(), reason };
        std::fs::create_dir_all(dir).map_err(|e| CacheError { path: dir.to_owned(), reason: e.to_string() })?;
        let (conn, notice) = match connect(&path) {
            Ok(conn) => (conn, None),
            Err(e) if is_corrupt(&e) => {
                let notice = move_aside(&path, &e).map_err(err)?;
                (connect(&path).map_err(|e| err(e.to_string()))?, Some(notice))
            }
            Err(e) => return Err(err(e.to_string())),
        };
        let healed = notice.is_some();
        Ok(LayerCache { conn: Mutex::new(Store { conn: Some(conn), healed }), path, notice: Mutex::new(notice), verify_blobs: false, shared: None })
    }

    /// Makes every hit re-hash its blob whole against its digest, not only
    /// compare its print (see the module doc).
    #[must_use]
    pub fn verify_blobs(mut self, on: bool) -> Self {
        self.verify_blobs = on;
        self
    }

    /// Puts `tier` behind the local file: read after it, written with it.
    #[must_use]
    pub fn shared(mut self, tier: Option<Arc<dyn SharedTier>>) -> Self {
        self.shared = tier;
        self
    }

    /// Whether hits re-hash their blobs whole.
    pub fn verifies_blobs(&self) -> bool {
        self.verify_blobs
    }

    /// What the cache did about corruption in this run, once.
    pub fn take_notice(&self) -> Option<String> {
        self.notice.lock().ok()?.take()
    }

    /// Runs `f` on the connection; a corrupt database is replaced once per
    /// run, and the connection retired if it happens again.
    fn with_conn<T>(&self, f: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> Option<T> {
        let mut store = self.conn.lock().ok()?;
        let e = match f(store.conn.as_ref()?) {
            Ok(v) => return Some(v),
            Err(e) => e,
        };
        if is_corrupt(&e) {
            store.conn = None;
            if !std::mem::replace(&mut store.healed, true)
                && let Ok(notice) = move_aside(&self.path, &e)
            {
                store.conn = connect(&self.path).ok();
                if let Ok(mut n) = self.notice.lock() {
                    *n = Some(notice);
                }
            }
        }
        None
    }
}

/// Moves the database at `path` (and its WAL files) to [`ASIDE`].
fn move_aside(path: &Path, why: &rusqlite::Error) -> Result<String, String> {
    let aside = path.with_file_name(ASIDE);
    for suffix in ["", "-wal", "-shm"] {
        let from = PathBuf::from(format!("{}{suffix}", path.display()));
        let to = PathBuf::from(format!("{}{suffix}", aside.display()));
        match std::fs::rename(&from, &to) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(format!("corrupt ({why}) and cannot be moved aside ({e}); remove it with `temper cache clean`")),
        }
    }
    Ok(format!("layer cache {} was corrupt ({why}); moved it to {} and started a new one", path.display(), aside.display()))
}

/// Opens the database at `path` in WAL mode with the table in place.
fn connect(path: &Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(Duration::from_secs(60))?;
    // Switching to WAL and creating the table take locks that SQLite's
    // busy handler does not always wait for when several processes open
    // a new cache at once; retry those for a while before giving up.
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let setup = conn.pragma_update(None, "journal_mode", "WAL").and_then(|()| {
            // `blobs` was added after `layers`: a cache without it gains it
            // empty, so its old hits are misses until verified again.
            conn.execute_batch(
                "CREATE TABLE IF NOT EXISTS layers (key TEXT PRIMARY KEY, value BLOB NOT NULL, stored INTEGER NOT NULL);
                 CREATE TABLE IF NOT EXISTS blobs (id TEXT PRIMARY KEY, size INTEGER NOT NULL, edges TEXT, stored INTEGER NOT NULL)",
            )
        });
        match setup {
            Ok(()) => break,
            Err(rusqlite::Error::SqliteFailure(e, _))
                if matches!(e.code, rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
                    && std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(e) => return Err(e),
        }
    }
    // A damaged header shows only once a page is read.
    conn.query_row("SELECT count(*) FROM layers WHERE key = ''", [], |r| r.get::<_, i64>(0))?;
    Ok(conn)
}

impl LayerCache {
    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The stored value for `key`, if there is a readable one: the local
    /// file's, else the shared tier's (then copied into the local file).
    pub fn get(&self, key: &str) -> Option<CachedLayer> {
        let local = self.with_conn(|conn| conn.query_row("SELECT value FROM layers WHERE key = ?1", [key], |r| r.get::<_, Vec<u8>>(0)).optional()).flatten();
        if let Some(value) = local.as_deref().and_then(decode) {
            return Some(value);
        }
        let stored = self.shared.as_ref()?.value(key)?;
        let value = decode(&stored)?;
        self.put_local(key, &stored);
        Some(value)
    }

    /// Stores `value` under `key` in both tiers; a failure to store is not
    /// an error of the scan.
    pub fn put(&self, key: &str, value: &CachedLayer) {
        let Ok(json) = serde_json::to_vec(value) else { return };
        let Ok(blob) = zstd::bulk::compress(&json, 3) else { return };
        self.put_local(key, &blob);
        if let Some(shared) = &self.shared {
            shared.put_value(key, &blob);
        }
    }

    fn put_local(&self, key: &str, blob: &[u8]) {
        self.with_conn(|conn| conn.execute("INSERT OR REPLACE INTO layers (key, value, stored) VALUES (?1, ?2, ?3)", rusqlite::params![key, blob, unix_now()]));
    }
}

/// A stored value read back: zstd-compressed JSON, `None` when it is not.
fn decode(stored: &[u8]) -> Option<CachedLayer> {
    let json = zstd::bulk::Decompressor::new().ok()?.decompress(stored, MAX_VALUE).ok()?;
    serde_json::from_slice(&json).ok()
}

fn unix_now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0))
}

impl LayerCache {
    /// The print recorded for the blob `id` when a full pass last verified
    /// it: the local file's, else the shared tier's (then copied locally).
    pub fn blob(&self, id: &Digest) -> Option<BlobPrint> {
        if let Some(print) = self.local_blob(id) {
            return Some(print);
        }
        let print = self.shared.as_ref()?.blob(id)?;
        self.put_local_blob(id, &print);
        Some(print)
    }

    fn local_blob(&self, id: &Digest) -> Option<BlobPrint> {
        let (size, edges): (i64, Option<String>) =
            self.with_conn(|conn| conn.query_row("SELECT size, edges FROM blobs WHERE id = ?1", [id.to_string()], |r| Ok((r.get(0)?, r.get(1)?))).optional())??;
        let edges = match edges {
            Some(e) => Some(Digest::parse(&e).ok()?),
            None => None,
        };
        Some(BlobPrint { size: u64::try_from(size).ok()?, edges })
    }

    /// Records, in both tiers, that a full pass verified the blob `id`,
    /// which looked like `print`.
    pub fn put_blob(&self, id: &Digest, print: &BlobPrint) {
        self.put_local_blob(id, print);
        if let Some(shared) = &self.shared {
            shared.put_blob(id, print);
        }
    }

    fn put_local_blob(&self, id: &Digest, print: &BlobPrint) {
        let Ok(size) = i64::try_from(print.size) else { return };
        self.with_conn(|conn| {
            conn.execute(
                "INSERT OR REPLACE INTO blobs (id, size, edges, stored) VALUES (?1, ?2, ?3, ?4)",
                rusqlite::params![id.to_string(), size, print.edges.as_ref().map(Digest::to_string), unix_now()],
            )
        });
    }
}

/// Removes the cache files in `dir`, any moved aside included; returns
/// how many bytes were freed.
pub fn clean(dir: &Path) -> Result<u64, CacheError> {
    let mut freed = 0;
    for (name, suffix) in [FILE, ASIDE].into_iter().flat_map(|n| ["", "-wal", "-shm"].map(|s| (n, s))) {
        let p = dir.join(format!("{name}{suffix}"));
        match std::fs::metadata(&p) {
            Ok(m) => {
                freed += m.len();
                std::fs::remove_file(&p).map_err(|e| CacheError { path: p.clone(), reason: e.to_string() })?;
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(CacheError { path: p, reason: e.to_string() }),
        }
    }
    Ok(freed)
}
