//! `healthcheck-multiple` (hadolint DL3012): only the last `HEALTHCHECK`
//! of a stage takes effect, so earlier ones are dead code that misleads.
//!
//! Each `HEALTHCHECK` after the first in the same stage is reported;
//! stages are separate.

use temper_dockerfile::{Dockerfile, InstructionKind};

use crate::rules::repeated_in_stage;
use crate::{Context, Rule, RuleMeta, Severity, Violation};

pub struct HealthcheckMultiple;

static META: RuleMeta = RuleMeta {
    id: "healthcheck-multiple",
    hadolint: Some("DL3012"),
    severity: Severity::Error,
    message: "More than one HEALTHCHECK in the stage",
    hint: "Keep one HEALTHCHECK per stage.",
    doc: "A stage has one health check: each `HEALTHCHECK` replaces the previous, so all but the last are ignored and mislead readers. Every `HEALTHCHECK` after the first in a stage is reported; separate stages are independent. Keep the one you mean.",
};

impl Rule for HealthcheckMultiple {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }
    fn check(&self, df: &Dockerfile, _: &Context<'_>) -> Vec<Violation> {
        repeated_in_stage(df, |k| matches!(k, InstructionKind::Healthcheck(_)), "More than one HEALTHCHECK in the stage")
    }
}
