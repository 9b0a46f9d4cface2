//! The advisory stage: how versions compare in each ecosystem.
//!
//! Matching a package against an advisory is a question of order: is the
//! installed version at or above `introduced` and below `fixed`? Getting
//! that order wrong is the main source of false positives in scanners
//! (backported Debian revisions, epochs, `~` pre-releases, Go
//! pseudo-versions), so each ecosystem's rules live in one file of
//! [`version`] behind [`version::VersionScheme`], tested against the
//! reference vectors of its specification and for the laws of a total
//! order.
//!
//! This crate never reads images or files; it gets versions as strings.

pub mod cve;
pub mod db;
pub mod feed;
pub mod matcher;
pub mod osv;
pub mod version;
