//! The fleet inventory: every image a platform team tracks, their layers,
//! packages and findings, kept in one store (a SQLite file by default,
//! PostgreSQL for many workers on many machines) with the scan queue those
//! workers share.
//!
//! The flow: [`Fleet::add`] records references; [`Fleet::sync`] resolves
//! each to its manifest digest through a [`Resolve`] and enqueues a scan
//! job only for a digest never seen; [`worker::work`] claims jobs under a
//! lease (a crashed worker's job returns to the queue when its lease runs
//! out), scans each through a [`Scan`] — in production
//! [`worker::Assessor`], which calls `temper_verdict::assessment::assess`
//! with the per-layer cache, so a layer shared with an image scanned before
//! is not walked again, on any machine when the cache's shared tier
//! ([`shared_cache`]) is in the store — and stores the inventory and findings;
//! [`Fleet::rematch`] matches the stored inventories against the advisory
//! database again without pulling any image, closing the findings that
//! disappeared with a [`CloseReason`]; [`Fleet::status`] counts;
//! [`Fleet::sla_breaches`] lists the findings past their patch SLA ([`sla`]);
//! [`Fleet::lineage`] groups images by the golden image they are built on
//! ([`lineage`]); [`dashboard`] reads what the fleet dashboard shows.
//! Repository globs become references through the
//! registry catalog ([`expand`]).
//!
//! Every query is written once for both stores (see [`store`]); the
//! schema is versioned and migrated on open ([`schema`]). PostgreSQL is
//! reached over TLS as the URL's libpq `sslmode` and `sslrootcert` ask. This crate never
//! writes to a terminal or reads arguments: the binary renders what it
//! returns.

pub mod dashboard;
pub mod expand;
pub mod findings;
pub mod first_seen;
mod fleet;
pub mod lineage;
pub mod postgres;
pub mod schema;
pub mod shared_cache;
pub mod sla;
pub mod sqlite;
pub mod store;
mod tls;
pub mod worker;

pub use findings::{Changes, CloseReason, Matcher};
pub use fleet::{AddOutcome, Clock, FindingRecord, Fleet, ImageStatus, Job, JobRecord, RematchReport, Resolve, Resolved, Status, SyncReport};
pub use sla::{Breach, Sla};
pub use lineage::{Group, Lineage, Unbased};
pub use shared_cache::StoreCache;
pub use store::Location;
pub use worker::{Assessor, Scan, Scanned, WorkOptions, WorkReport, work};

/// Why a fleet operation failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The store refused a statement or cannot be reached; the message
    /// names the store.
    #[error("fleet store {0}")]
    Store(String),
    /// A registry refused a listing; the message names the glob.
    #[error("{0}")]
    Registry(String),
    /// An input is wrong; the message names it and says what to do.
    #[error("{0}")]
    Input(String),
    /// The advisory database failed.
    #[error(transparent)]
    Db(#[from] temper_advisory::db::DbError),
    /// Matching or scanning failed.
    #[error(transparent)]
    Verdict(#[from] temper_verdict::Error),
}

/// The current Unix time in seconds.
pub fn unix_now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}
