//! The store's schema, as numbered migrations applied in order on every
//! open and recorded in `schema_migrations`; a store written by a newer
//! temper is refused rather than misread. A migration is never edited once
//! released: a change is a new one (the SLA clock's "fix known since",
//! from the advisory database's [`temper_advisory::db::FixKnown`], is
//! migration 2).
//!
//! Times are Unix seconds. An image is one (reference, digest) pair:
//! `current` marks the digest its reference points at since the last sync,
//! so a moved tag leaves its old digest's history behind. Jobs are keyed by
//! digest, so an image reached by two tags is scanned once.
//!
//! Migration 3 (lineage): `golden` lists the references whose images are
//! golden bases; `images.base_name`/`base_digest` keep the base an image
//! names in its `org.opencontainers.image.base.*` annotations or labels.
//!
//! Migration 4 (the shared layer cache, [`crate::shared_cache`]):
//! `layer_cache` holds the per-layer cache's values under its keys,
//! `layer_blobs` the blob prints a hit is proven by.
//!
//! Migration 5 (the dashboard, [`crate::dashboard`]): `images.facts` keeps
//! what an image's page shows beside its packages and findings (labels,
//! history, sizes, hardening checks, redacted secrets) as JSON, so the
//! dashboard's per-image page is the report's page without reading the
//! image again.

use crate::Error;
use crate::store::{Backend, Dialect, Value, transaction};

/// The migrations, in order; `{id}` is the dialect's identity column,
/// `{bytes}` its byte column type.
const MIGRATIONS: &[&str] = &[r"
CREATE TABLE refs (
    id {id},
    reference TEXT NOT NULL UNIQUE,
    added_at BIGINT NOT NULL
);
CREATE TABLE images (
    id {id},
    reference TEXT NOT NULL,
    repository TEXT NOT NULL,
    tag TEXT,
    digest TEXT NOT NULL,
    platform TEXT,
    os TEXT,
    current BIGINT NOT NULL,
    first_seen BIGINT NOT NULL,
    last_synced BIGINT NOT NULL,
    scanned_at BIGINT,
    UNIQUE (reference, digest)
);
CREATE INDEX images_digest ON images (digest);
CREATE INDEX images_current ON images (current, reference);
CREATE TABLE layers (
    image_id BIGINT NOT NULL REFERENCES images (id) ON DELETE CASCADE,
    position BIGINT NOT NULL,
    digest TEXT NOT NULL,
    PRIMARY KEY (image_id, position)
);
CREATE INDEX layers_digest ON layers (digest);
CREATE TABLE packages (
    id {id},
    image_id BIGINT NOT NULL REFERENCES images (id) ON DELETE CASCADE,
    ecosystem TEXT NOT NULL,
    name TEXT NOT NULL,
    version TEXT NOT NULL,
    purl TEXT NOT NULL,
    layer BIGINT,
    record TEXT NOT NULL
);
CREATE INDEX packages_image ON packages (image_id);
CREATE INDEX packages_name ON packages (ecosystem, name);
CREATE TABLE findings (
    id {id},
    image_id BIGINT NOT NULL REFERENCES images (id) ON DELETE CASCADE,
    advisory TEXT NOT NULL,
    records TEXT NOT NULL,
    package TEXT NOT NULL,
    purl TEXT NOT NULL,
    installed TEXT NOT NULL,
    fixed TEXT,
    severity TEXT NOT NULL,
    status TEXT NOT NULL,
    opened_at BIGINT NOT NULL,
    closed_at BIGINT,
    close_reason TEXT
);
CREATE UNIQUE INDEX findings_open ON findings (image_id, advisory, purl) WHERE status = 'open';
CREATE INDEX findings_status ON findings (status, severity);
CREATE TABLE jobs (
    id {id},
    reference TEXT NOT NULL,
    digest TEXT NOT NULL UNIQUE,
    state TEXT NOT NULL,
    lease_owner TEXT,
    lease_expires BIGINT,
    attempts BIGINT NOT NULL,
    enqueued_at BIGINT NOT NULL,
    finished_at BIGINT,
    error TEXT
);
CREATE INDEX jobs_state ON jobs (state, lease_expires);
", r"
ALTER TABLE findings ADD COLUMN fix_known_at BIGINT;
ALTER TABLE findings ADD COLUMN fix_known_source TEXT;
", r"
CREATE TABLE golden (
    id {id},
    reference TEXT NOT NULL UNIQUE,
    added_at BIGINT NOT NULL
);
ALTER TABLE images ADD COLUMN base_name TEXT;
ALTER TABLE images ADD COLUMN base_digest TEXT;
", r"
CREATE TABLE layer_cache (
    key TEXT PRIMARY KEY,
    value {bytes} NOT NULL,
    stored BIGINT NOT NULL
);
CREATE TABLE layer_blobs (
    id TEXT PRIMARY KEY,
    size BIGINT NOT NULL,
    edges TEXT,
    stored BIGINT NOT NULL
);
", r"
ALTER TABLE images ADD COLUMN facts TEXT;
"];

/// The schema version this build writes.
pub const VERSION: i64 = MIGRATIONS.len() as i64;

/// Applies the migrations `db` lacks, in one transaction; concurrent
/// openers (two workers starting) wait for each other.
pub fn migrate(db: &mut dyn Backend) -> Result<(), Error> {
    db.batch("CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)").or_else(|e| {
        // Two PostgreSQL sessions creating it at once: one wins, the other's
        // catalog insert fails; the table is there either way.
        if db.dialect() == Dialect::Postgres { db.batch("SELECT 1 FROM schema_migrations LIMIT 0") } else { Err(e) }
    })?;
    transaction(db, |db| {
        if db.dialect() == Dialect::Postgres {
            db.batch("LOCK TABLE schema_migrations IN EXCLUSIVE MODE")?;
        }
        let have = db.query("SELECT max(version) FROM schema_migrations", &[])?.first().map(|r| r.opt_int(0)).transpose()?.flatten().unwrap_or(0);
        if have > VERSION {
            return Err(Error::Input(format!("the fleet store is at schema version {have}, newer than this temper's {VERSION}; use a newer temper")));
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(have as usize) {
            db.batch(&sql.replace("{id}", db.dialect().identity()).replace("{bytes}", db.dialect().bytes()))?;
            db.execute("INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)", &[Value::from(i as i64 + 1), Value::from(crate::unix_now())])?;
        }
        Ok(())
    })
}
