//! Every rule, one file each; [`registry`] lists them in the order of
//! `docs/rules.md`.

use crate::Rule;

mod maintainer;

/// Every rule.
pub fn registry() -> Vec<&'static dyn Rule> {
    vec![&maintainer::Maintainer]
}
