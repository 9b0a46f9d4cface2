//! `user-last-root` (hadolint DL3002): the image's processes run as the
//! last `USER` of the final stage (or of the stage it is built from);
//! when that is root, a compromised process owns the container.
//!
//! Only the stages that end up in the image count: a build stage may run
//! as root. An image with no `USER` at all is `user-missing`'s business.
//! A user given by a variable with no known value is skipped.

use temper_dockerfile::{Dockerfile, InstructionKind};

use crate::rules::util::final_chain;
use crate::{Context, Rule, RuleMeta, Severity, Violation};

pub struct UserLastRoot;

static META: RuleMeta = RuleMeta {
    id: "user-last-root",
    hadolint: Some("DL3002"),
    severity: Severity::Warning,
    message: "The last USER of the image is root",
    hint: "Switch to an unprivileged user after the steps that need root, e.g. `USER 10001`.",
    doc: "The container's processes run as the last `USER` of the final stage, or of the stage it is built `FROM` when it sets none. Root there means a compromised process can do anything in the container and more against the kernel. Only the image's own stages count, so build stages may stay root; a user given by an unresolved variable is skipped. Do the privileged work first, then end with `USER app` or a numeric `USER 10001:10001`.",
};

impl Rule for UserLastRoot {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }
    fn check(&self, df: &Dockerfile, _: &Context<'_>) -> Vec<Violation> {
        let last = final_chain(df).into_iter().rev().find_map(|s| {
            df.stage_instructions(s).iter().rev().find_map(|i| match &i.kind {
                InstructionKind::User(w) => Some(w),
                _ => None,
            })
        });
        let Some(user) = last else { return Vec::new() };
        if !user.unresolved.is_empty() {
            return Vec::new();
        }
        let name = user.value.split(':').next().unwrap_or_default();
        if name == "root" || name == "0" {
            vec![Violation::with(user.span, format!("The last USER of the image is root ({})", user.value))]
        } else {
            Vec::new()
        }
    }
}
