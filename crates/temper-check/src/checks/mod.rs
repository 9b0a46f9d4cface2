//! The hardening checks, one file each; [`registry`] lists them in report order.

use crate::Check;

/// Every check, in the order the report shows them.
pub fn registry() -> Vec<&'static dyn Check> {
    vec![]
}
