//! `entrypoint-multiple` (hadolint DL4004): only the last `ENTRYPOINT` of
//! a stage takes effect, so earlier ones are dead code that misleads.
//!
//! Each `ENTRYPOINT` after the first in the same stage is reported;
//! stages are separate.

use temper_dockerfile::{Dockerfile, InstructionKind};

use crate::rules::repeated_in_stage;
use crate::{Context, Rule, RuleMeta, Severity, Violation};

pub struct EntrypointMultiple;

static META: RuleMeta = RuleMeta {
    id: "entrypoint-multiple",
    hadolint: Some("DL4004"),
    severity: Severity::Error,
    message: "More than one ENTRYPOINT in the stage",
    hint: "Keep one ENTRYPOINT per stage.",
    doc: "Each `ENTRYPOINT` replaces the previous one, so in a stage with several only the last runs; the others mislead readers about what the container executes. Every `ENTRYPOINT` after the first in a stage is reported; separate stages are independent. Keep the one you mean.",
};

impl Rule for EntrypointMultiple {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }
    fn check(&self, df: &Dockerfile, _: &Context<'_>) -> Vec<Violation> {
        repeated_in_stage(df, |k| matches!(k, InstructionKind::Entrypoint(_)), "More than one ENTRYPOINT in the stage")
    }
}
