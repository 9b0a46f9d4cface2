//! The finding stage: what in the image is vulnerable.
//!
//! [`matching::match_inventory`] asks the advisory database about every
//! package of an [`temper_inventory::Inventory`], merges records that are
//! the same vulnerability under different ids, and grades each finding
//! with [`severity`]; [`vex`] takes out what VEX documents and the ignore
//! file say does not apply.
//!
//! This crate never reads images or fetches feeds: it gets an inventory
//! and an open database.

pub mod matching;
pub mod severity;
pub mod vex;

pub use matching::{Finding, MatchCache, Matches, Suppressed, Unmatched, match_inventory, match_inventory_cached, uncovered_families};
pub use severity::Severity;
