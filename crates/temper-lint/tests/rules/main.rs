//! One file per rule: Dockerfiles that fire it, and close cases that must not.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod support;

mod maintainer_deprecated;
