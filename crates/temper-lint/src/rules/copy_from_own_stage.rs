//! `copy-from-own-stage` (hadolint DL3023): `COPY --from` naming the stage
//! the COPY is in, by name or index. A stage cannot read its own result
//! while it is being built; BuildKit refuses it as a circular dependency.

use temper_dockerfile::{Dockerfile, InstructionKind};

use crate::{Context, Rule, RuleMeta, Severity, Violation};

pub struct CopyFromOwnStage;

static META: RuleMeta = RuleMeta {
    id: "copy-from-own-stage",
    hadolint: Some("DL3023"),
    severity: Severity::Error,
    message: "COPY --from names its own stage",
    hint: "Copy from an earlier stage, or copy from the build context without --from.",
    doc: "A stage cannot copy from itself: its result does not exist until its last instruction has run, and BuildKit stops with a circular dependency error. The stage's name (in any case) and its index are both reported.",
};

impl Rule for CopyFromOwnStage {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }
    fn check(&self, df: &Dockerfile, _: &Context<'_>) -> Vec<Violation> {
        let mut out = Vec::new();
        for ins in df.instructions.iter().filter(|i| matches!(i.kind, InstructionKind::Copy(_))) {
            let (Some(from), Some(own)) = (ins.flag("from").and_then(|f| f.value.as_ref()), ins.stage.and_then(|s| df.stages.get(s))) else {
                continue;
            };
            let by_name = own.name.as_deref().is_some_and(|n| n.eq_ignore_ascii_case(&from.value));
            let by_index = from.value.parse::<usize>().ok() == Some(own.index);
            if from.unresolved.is_empty() && (by_name || by_index) {
                out.push(Violation::with(ins.keyword_span, format!("COPY --from={} names the stage it is in", from.value)));
            }
        }
        out
    }
}
