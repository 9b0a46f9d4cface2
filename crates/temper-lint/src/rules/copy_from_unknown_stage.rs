//! `copy-from-unknown-stage` (hadolint DL3022): `COPY --from=name` where
//! `name` is no stage of the file. BuildKit then pulls an image called
//! `name` (`docker.io/library/name:latest`), which is almost always a
//! mistyped stage name, or a stage renamed since. The exception is a named
//! build context (`--build-context name=…` on the command line), which the
//! Dockerfile cannot show; the finding then says to check the command line.
//!
//! Not reported: a stage's name in any case (BuildKit lowercases them), a
//! later stage's name (BuildKit resolves stages by name across the file),
//! a stage's index, anything shaped like an image reference (`:`, `/` or
//! `@` in it), and values with a variable whose value is not known.

use temper_dockerfile::{Dockerfile, InstructionKind};

use crate::{Context, Rule, RuleMeta, Severity, Violation};

pub struct CopyFromUnknownStage;

static META: RuleMeta = RuleMeta {
    id: "copy-from-unknown-stage",
    hadolint: Some("DL3022"),
    severity: Severity::Warning,
    message: "COPY --from names no stage",
    hint: "Name a stage of this Dockerfile, write the image in full (`nginx:1.27`), or, for a named build context, make sure every build passes `--build-context`.",
    doc: "`COPY --from=builder` with no stage called `builder` does not fail: BuildKit pulls an image named `builder` instead, so a typo or a renamed stage copies from whatever that image is, or fails far from the cause. A named build context (`--build-context name=…`) is also reachable this way, but only for builds that pass it. A value that is a stage name (in any case, earlier or later in the file), a stage index, or looks like an image reference (`nginx:1.27`, `ghcr.io/org/img`, `img@sha256:…`) is not reported, nor one with a variable whose value is not known.",
};

impl Rule for CopyFromUnknownStage {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }
    fn check(&self, df: &Dockerfile, _: &Context<'_>) -> Vec<Violation> {
        let mut out = Vec::new();
        for ins in df.instructions.iter().filter(|i| matches!(i.kind, InstructionKind::Copy(_))) {
            let Some(from) = ins.flag("from").and_then(|f| f.value.as_ref()) else { continue };
            let name = from.value.as_str();
            let image_like = name.contains([':', '/', '@']);
            let index = name.parse::<usize>().ok();
            if !from.unresolved.is_empty() || name.is_empty() || image_like || df.stage(name).is_some() {
                continue;
            }
            let message = match index {
                Some(i) if i < df.stages.len() => continue,
                Some(i) => format!("COPY --from={i}: the file has {} stages, numbered from 0", df.stages.len()),
                None => format!("COPY --from={name} names no stage; BuildKit would pull an image called `{name}`"),
            };
            out.push(Violation::with(ins.keyword_span, message));
        }
        out
    }
}
