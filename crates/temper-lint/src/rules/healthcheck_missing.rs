//! `healthcheck-missing` (hadolint DL3057, info in temper): without a
//! `HEALTHCHECK`, Docker and orchestrators relying on it only know that
//! the process runs, not that it works.
//!
//! The image's stages count: the final stage and those it is built
//! `FROM` (a `HEALTHCHECK` is inherited). `HEALTHCHECK NONE` is an
//! explicit choice and accepted. Reported at the final `FROM`. Images
//! whose health is checked elsewhere (Kubernetes probes) can turn the
//! rule off in the config.

use temper_dockerfile::{Dockerfile, InstructionKind};

use crate::rules::util::final_chain;
use crate::{Context, Rule, RuleMeta, Severity, Violation};

pub struct HealthcheckMissing;

static META: RuleMeta = RuleMeta {
    id: "healthcheck-missing",
    hadolint: Some("DL3057"),
    severity: Severity::Info,
    message: "No HEALTHCHECK in the image",
    hint: "Add `HEALTHCHECK CMD …` (or `HEALTHCHECK NONE` to say none is wanted).",
    doc: "Without a `HEALTHCHECK`, `docker ps` and Swarm only know the process is alive, not that it serves. The final stage and the stages it is built from are searched (a health check is inherited); `HEALTHCHECK NONE` counts as a decision. Reported as info, since Kubernetes probes and one-shot tools do not need it; ignore the rule in `.temper.toml` there. Example: `HEALTHCHECK --interval=30s CMD [\"curl\", \"-fsS\", \"http://localhost:8080/health\"]`.",
};

impl Rule for HealthcheckMissing {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }
    fn check(&self, df: &Dockerfile, _: &Context<'_>) -> Vec<Violation> {
        let stages = final_chain(df);
        let Some(last) = stages.last() else {
            return Vec::new();
        };
        let has = stages.iter().any(|s| df.stage_instructions(s).iter().any(|i| matches!(i.kind, InstructionKind::Healthcheck(_))));
        match df.instructions.get(last.from) {
            Some(from) if !has => vec![Violation::at(from.keyword_span)],
            _ => Vec::new(),
        }
    }
}
