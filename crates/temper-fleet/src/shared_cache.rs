//! The per-layer cache's shared tier, kept in the fleet store
//! (migration 4): workers on several machines sharing a PostgreSQL store
//! walk each shared base layer once between them, not once each. It
//! stores what the local cache stores — the same keys, the same
//! compressed values, the same blob prints — so what a hit proves is
//! unchanged (see `temper_inventory::cache`). Any failure to read or
//! write is a miss or a lost write: the cache only saves time.

use std::sync::Mutex;

use temper_image::{BlobPrint, Digest};
use temper_inventory::cache::SharedTier;

use crate::store::{Backend, Location, Value};
use crate::{Error, schema};

/// The shared tier on a connection of its own.
pub struct StoreCache {
    db: Mutex<Box<dyn Backend>>,
    shown: String,
}

impl std::fmt::Debug for StoreCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "StoreCache({})", self.shown)
    }
}

impl StoreCache {
    /// Connects to the store at `location`, migrating it if needed.
    pub fn open(location: &Location) -> Result<StoreCache, Error> {
        let mut db = location.connect()?;
        schema::migrate(db.as_mut())?;
        Ok(StoreCache { db: Mutex::new(db), shown: location.display() })
    }

    fn query(&self, sql: &str, params: &[Value]) -> Option<crate::store::Row> {
        self.db.lock().ok()?.query(sql, params).ok()?.into_iter().next()
    }

    fn execute(&self, sql: &str, params: &[Value]) {
        if let Ok(mut db) = self.db.lock() {
            // A lost write costs a later walk, nothing else.
            let _ = db.execute(sql, params);
        }
    }
}

impl SharedTier for StoreCache {
    fn value(&self, key: &str) -> Option<Vec<u8>> {
        self.query("SELECT value FROM layer_cache WHERE key = $1", &[key.into()])?.opt_bytes(0).ok()?
    }

    fn put_value(&self, key: &str, value: &[u8]) {
        self.execute(
            "INSERT INTO layer_cache (key, value, stored) VALUES ($1, $2, $3) ON CONFLICT (key) DO UPDATE SET value = excluded.value, stored = excluded.stored",
            &[key.into(), value.into(), crate::unix_now().into()],
        );
    }

    fn blob(&self, id: &Digest) -> Option<BlobPrint> {
        let row = self.query("SELECT size, edges FROM layer_blobs WHERE id = $1", &[id.to_string().into()])?;
        let size = u64::try_from(row.int(0).ok()?).ok()?;
        let edges = match row.opt_text(1).ok()? {
            Some(e) => Some(Digest::parse(&e).ok()?),
            None => None,
        };
        Some(BlobPrint { size, edges })
    }

    fn put_blob(&self, id: &Digest, print: &BlobPrint) {
        let Ok(size) = i64::try_from(print.size) else { return };
        self.execute(
            "INSERT INTO layer_blobs (id, size, edges, stored) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO UPDATE SET size = excluded.size, edges = excluded.edges, stored = excluded.stored",
            &[id.to_string().into(), size.into(), print.edges.as_ref().map(Digest::to_string).into(), crate::unix_now().into()],
        );
    }
}
