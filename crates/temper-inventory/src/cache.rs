//! The per-layer cache: what the layer pass and the catalogers found in a
//! layer, stored under a key made of the layer's diffID and every
//! cataloger's id and version, so an image sharing a golden base with one
//! scanned before neither downloads nor decompresses those layers again.
//!
//! SQLite (WAL mode, busy timeout) lets concurrent runs share one cache
//! without corrupting it; values are zstd-compressed JSON. A value that
//! cannot be read back is a miss, never an error: the cache only saves time.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use temper_image::Digest;
use temper_layer::{Analyzer, LayerIndex};

use crate::package::Fact;

/// Bumped when the stored shape changes.
const SCHEMA: u32 = 1;
const FILE: &str = "layers-v1.sqlite";
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

/// An open cache directory.
pub struct LayerCache {
    conn: Mutex<Connection>,
    path: PathBuf,
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
    /// Opens (creating) the cache in `dir`.
    pub fn open(dir: &Path) -> Result<Self, CacheError> {
        let path = dir.join(FILE);
        let err = |reason: String| CacheError { path: path.clone(), reason };
        std::fs::create_dir_all(dir).map_err(|e| CacheError { path: dir.to_owned(), reason: e.to_string() })?;
        let conn = Connection::open(&path).map_err(|e| err(e.to_string()))?;
        conn.busy_timeout(Duration::from_secs(60)).map_err(|e| err(e.to_string()))?;
        // Switching to WAL and creating the table take locks that SQLite's
        // busy handler does not always wait for when several processes open
        // a new cache at once; retry those for a while before giving up.
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        loop {
            let setup = conn.pragma_update(None, "journal_mode", "WAL").and_then(|()| {
                conn.execute_batch("CREATE TABLE IF NOT EXISTS layers (key TEXT PRIMARY KEY, value BLOB NOT NULL, stored INTEGER NOT NULL)")
            });
            match setup {
                Ok(()) => break,
                Err(rusqlite::Error::SqliteFailure(e, _))
                    if matches!(e.code, rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
                        && std::time::Instant::now() < deadline =>
                {
                    std::thread::sleep(Duration::from_millis(20));
                }
                Err(e) => return Err(err(e.to_string())),
            }
        }
        Ok(LayerCache { conn: Mutex::new(conn), path })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The stored value for `key`, if there is a readable one.
    pub fn get(&self, key: &str) -> Option<CachedLayer> {
        let blob: Vec<u8> = {
            let conn = self.conn.lock().ok()?;
            conn.query_row("SELECT value FROM layers WHERE key = ?1", [key], |r| r.get(0)).optional().ok()??
        };
        let json = zstd::bulk::Decompressor::new().ok()?.decompress(&blob, MAX_VALUE).ok()?;
        serde_json::from_slice(&json).ok()
    }

    /// Stores `value` under `key`; a failure to store is not an error of the scan.
    pub fn put(&self, key: &str, value: &CachedLayer) {
        let Ok(json) = serde_json::to_vec(value) else { return };
        let Ok(blob) = zstd::bulk::compress(&json, 3) else { return };
        let stored = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
        if let Ok(conn) = self.conn.lock() {
            let _ = conn.execute(
                "INSERT OR REPLACE INTO layers (key, value, stored) VALUES (?1, ?2, ?3)",
                rusqlite::params![key, blob, i64::try_from(stored).unwrap_or(0)],
            );
        }
    }
}

/// Removes the cache files in `dir`; returns how many bytes were freed.
pub fn clean(dir: &Path) -> Result<u64, CacheError> {
    let mut freed = 0;
    for suffix in ["", "-wal", "-shm"] {
        let p = dir.join(format!("{FILE}{suffix}"));
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
