//! `maintainer-deprecated` (hadolint DL4000): `MAINTAINER` has been
//! deprecated since Docker 1.13; a label carries the same information
//! where tools look for it.

use temper_dockerfile::{Dockerfile, InstructionKind};

use crate::{Context, Rule, RuleMeta, Severity, Violation};

pub struct Maintainer;

static META: RuleMeta = RuleMeta {
    id: "maintainer-deprecated",
    hadolint: Some("DL4000"),
    severity: Severity::Error,
    message: "MAINTAINER is deprecated",
    hint: "Use `LABEL org.opencontainers.image.authors=\"name <email>\"` instead.",
    doc: "`MAINTAINER` was deprecated in Docker 1.13 and is ignored by tools that read the OCI annotations. Replace `MAINTAINER Jane <jane@example.com>` with `LABEL org.opencontainers.image.authors=\"Jane <jane@example.com>\"`.",
};

impl Rule for Maintainer {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }
    fn check(&self, df: &Dockerfile, _: &Context<'_>) -> Vec<Violation> {
        df.instructions.iter().filter(|i| matches!(i.kind, InstructionKind::Maintainer(_))).map(|i| Violation::at(i.keyword_span)).collect()
    }
}
