//! One assessment of an image, the orchestration every front end shares:
//! open the target ([`target`]), one streaming pass over its layers
//! ([`pass`]), the inventory, findings against the advisory database
//! ([`advisories`], [`vulnerabilities`]), hardening checks and secrets
//! ([`hardening`]), each judged by a [`threshold`]; the one config file
//! ([`config`]). `temper scan`, `check` and the commands that come next
//! (gate, serve, fleet) call these functions instead of repeating them.
//!
//! It never writes to a terminal, reads arguments or exits the process:
//! progress and warnings go to the caller's [`Reporter`], results come
//! back as values, errors as [`Error`] naming the input and the fix.

pub mod advisories;
pub mod assessment;
pub mod config;
pub mod gate;
pub mod hardening;
pub mod pass;
pub mod reporter;
pub mod target;
pub mod threshold;
pub mod trust;
pub mod vulnerabilities;

use std::path::PathBuf;

pub use assessment::{Assessed, Assessment, assess};
pub use pass::{CacheSettings, Scanned};
pub use reporter::{Reporter, Silent};
pub use target::{Opened, Target};
pub use threshold::FailOn;

/// Why an assessment could not be made.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The image could not be found or opened.
    #[error(transparent)]
    Image(#[from] temper_image::Error),
    /// A layer could not be read.
    #[error("{image}")]
    Walk {
        /// The image.
        image: String,
        /// Why.
        #[source]
        source: temper_layer::WalkError,
    },
    /// The layers could not be merged.
    #[error("{image}")]
    Merge {
        /// The image.
        image: String,
        /// Why.
        #[source]
        source: temper_layer::MergeError,
    },
    /// The advisory database failed.
    #[error(transparent)]
    Db(#[from] temper_advisory::db::DbError),
    /// A VEX document or an ignore file is wrong.
    #[error(transparent)]
    Suppression(#[from] temper_finding::vex::VexError),
    /// The config file is wrong.
    #[error(transparent)]
    Config(#[from] config::ConfigError),
    /// A policy cannot be loaded or evaluated.
    #[error(transparent)]
    Policy(#[from] temper_policy::Error),
    /// A file could not be read.
    #[error("{}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// An input is missing, not what it should be, or not enough for an
    /// honest answer; the message names it and says what to do.
    #[error("{0}")]
    Input(String),
}
