//! `from-untagged` (hadolint DL3006): `FROM image` without a tag means
//! `:latest`, whatever that is on the day of the build.
//!
//! Not reported: `scratch`, an earlier stage's name, a reference with a
//! digest (`image@sha256:…` is pinned more strictly than a tag), and a
//! reference whose variables have no known value; a variable with a
//! default (`ARG IMG=debian`) is checked with that default.

use temper_dockerfile::{Dockerfile, InstructionKind};

use crate::rules::{base_images, image_ref};
use crate::{Context, Rule, RuleMeta, Severity, Violation};

pub struct FromUntagged;

static META: RuleMeta = RuleMeta {
    id: "from-untagged",
    hadolint: Some("DL3006"),
    severity: Severity::Warning,
    message: "Base image without a tag",
    hint: "Name a tag (`debian:12`), or better a digest (`debian:12@sha256:…`).",
    doc: "`FROM debian` means `debian:latest`, which moves whenever upstream publishes, so two builds of the same Dockerfile differ. `scratch`, earlier stage names, digest references and references with unresolved variables are not reported; `ARG` defaults are expanded. Write `FROM debian:12`, or pin the digest too: `FROM debian:12@sha256:…`.",
};

impl Rule for FromUntagged {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }
    fn check(&self, df: &Dockerfile, _: &Context<'_>) -> Vec<Violation> {
        base_images(df)
            .filter(|(_, r)| {
                let r = image_ref(r);
                r.tag.is_none() && r.digest.is_none()
            })
            .filter_map(|(ins, r)| match &ins.kind {
                InstructionKind::From(f) => Some(Violation::with(f.image.span, format!("Base image {r} without a tag"))),
                _ => None,
            })
            .collect()
    }
}
