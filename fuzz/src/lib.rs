//! The bodies of the fuzz targets. Each takes arbitrary bytes, must never
//! panic, and asserts the invariants the libraries promise about whatever
//! it accepts. Stable tests include these files by path and drive the same
//! bodies over deterministic mutations of the seeds in `seeds/`, each input
//! under a [`watchdog::Watchdog`] so a hang fails. The streaming bodies
//! (`layer_walk`, `archive`, `apt_control`, `apt_index`) read their input
//! through [`split::SplitReader`].

pub mod advisory;
pub mod apt;
pub mod build;
pub mod catalog;
pub mod dockerfile;
mod image;
pub mod mutate;
pub mod policy;
pub mod registry;
pub mod retention;
pub mod secrets;
pub mod serve;
pub mod split;
pub mod watchdog;

pub use image::*;
pub mod trust;
