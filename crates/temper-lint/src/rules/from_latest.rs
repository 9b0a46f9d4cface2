//! `from-latest` (hadolint DL3007): the `:latest` tag moves, so the
//! image changes under an unchanged Dockerfile.
//!
//! Not reported when a digest follows (`image:latest@sha256:…` is
//! pinned), nor for references with unresolved variables.

use temper_dockerfile::{Dockerfile, InstructionKind};

use crate::rules::{base_images, image_ref};
use crate::{Context, Rule, RuleMeta, Severity, Violation};

pub struct FromLatest;

static META: RuleMeta = RuleMeta {
    id: "from-latest",
    hadolint: Some("DL3007"),
    severity: Severity::Warning,
    message: "Base image uses the latest tag",
    hint: "Name a release tag (`node:20.11`), or pin a digest.",
    doc: "`:latest` is whatever the publisher pushed last, so rebuilding the same Dockerfile can bring a new major version. A digest after the tag (`node:latest@sha256:…`) pins it and is accepted; references with unresolved variables are skipped. Replace `FROM node:latest` with `FROM node:20.11`.",
};

impl Rule for FromLatest {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }
    fn check(&self, df: &Dockerfile, _: &Context<'_>) -> Vec<Violation> {
        base_images(df)
            .filter(|(_, r)| {
                let r = image_ref(r);
                r.tag == Some("latest") && r.digest.is_none()
            })
            .filter_map(|(ins, r)| match &ins.kind {
                InstructionKind::From(f) => Some(Violation::with(f.image.span, format!("Base image {r} uses the latest tag"))),
                _ => None,
            })
            .collect()
    }
}
