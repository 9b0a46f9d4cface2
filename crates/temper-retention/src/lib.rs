//! Registry retention: what `temper registry prune` keeps and deletes.
//!
//! # Flow
//! [`Policy::load`] reads `retention.toml`; [`gather::gather`] reads a
//! repository from its registry into a [`Repo`] (tags, the manifests
//! they reach, the blobs each uses, each image's `created`);
//! [`plan::plan`] judges it at a given clock with [`age`] sources, and
//! says for every tag and manifest what happens and why, and what bytes
//! go; [`apply::apply`] performs exactly that plan.
//!
//! # Decisions
//! - Rules retain, OR-combined (Harbor's model, which users find safest);
//!   a repository no rule applies to keeps everything.
//! - Safety before space: a digest a kept tag names or a kept index lists
//!   is never deleted; an image's signatures, attestations, SBOMs and
//!   referrers live and die with it; an image of unknown age is never
//!   deleted by an age rule.
//! - Ages come from [`age::AgeSource`]s, asked in order (the fleet
//!   store's first-seen records when given, then the config's `created`), and the
//!   plan names the source of each.
//! - The planner does no I/O, so it is tested on crafted repositories.
//!
//! This crate never deletes anything the plan does not list.
//!
//! ```
//! use temper_retention::{Policy, plan, age::ConfigCreated, snapshot::Repo};
//! let policy = Policy::parse("retention.toml".as_ref(), "[[rules]]\nkeep-most-recent = 10\n").unwrap();
//! let now = time::OffsetDateTime::UNIX_EPOCH;
//! let plan = plan::plan(&[Repo::default()], &policy, &[&ConfigCreated], now);
//! assert_eq!(plan.manifests_deleted, 0);
//! ```

pub mod age;
pub mod apply;
pub mod gather;
pub mod plan;
pub mod policy;
pub mod snapshot;

pub use policy::Policy;
pub use snapshot::Repo;

/// What can go wrong.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The policy file is unreadable or wrong (file, line, column, key).
    #[error("{0}")]
    Policy(String),
    /// A repository argument that is wrong.
    #[error("{0}")]
    Input(String),
    /// Reading a repository from its registry failed.
    #[error("{repository}: {source}")]
    Registry {
        /// `host/repository`.
        repository: String,
        /// What failed.
        #[source]
        source: Box<temper_image::Error>,
    },
}

/// Result with [`Error`].
pub type Result<T> = std::result::Result<T, Error>;
