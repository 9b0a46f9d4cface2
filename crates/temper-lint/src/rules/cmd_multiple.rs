//! `cmd-multiple` (hadolint DL4003): only the last `CMD` of a stage takes
//! effect, so earlier ones are dead code that misleads.
//!
//! Each `CMD` after the first in the same stage is reported; stages are
//! separate.

use temper_dockerfile::{Dockerfile, InstructionKind};

use crate::rules::repeated_in_stage;
use crate::{Context, Rule, RuleMeta, Severity, Violation};

pub struct CmdMultiple;

static META: RuleMeta = RuleMeta {
    id: "cmd-multiple",
    hadolint: Some("DL4003"),
    severity: Severity::Warning,
    message: "More than one CMD in the stage",
    hint: "Keep one CMD per stage.",
    doc: "Each `CMD` replaces the previous one, so in a stage with several only the last runs; the others mislead readers about what the container does. Every `CMD` after the first in a stage is reported; separate stages are independent. Keep the one you mean.",
};

impl Rule for CmdMultiple {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }
    fn check(&self, df: &Dockerfile, _: &Context<'_>) -> Vec<Violation> {
        repeated_in_stage(df, |k| matches!(k, InstructionKind::Cmd(_)), "More than one CMD in the stage")
    }
}
