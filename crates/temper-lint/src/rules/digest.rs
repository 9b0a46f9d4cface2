//! `from-not-pinned-by-digest`: a base image named by tag alone can change
//! under the same name; `@sha256:…` pins the exact bytes, so a rebuild
//! gets the image that was reviewed and scanned.
//!
//! The severity comes from `digest-pinning` in the config (info by
//! default; `off` turns the rule off). `scratch` and earlier stages are not
//! images and are accepted, as is a reference whose variables have no
//! value known without `--build-arg` (the digest may come with the
//! argument). Images from a `trusted-registries` entry still need a digest:
//! trusting a registry says where an image comes from, not which one it is.

use temper_dockerfile::{Base, Dockerfile, InstructionKind};

use crate::{Context, Rule, RuleMeta, Severity, Violation};

pub struct Digest;

static META: RuleMeta = RuleMeta {
    id: "from-not-pinned-by-digest",
    hadolint: None,
    severity: Severity::Info,
    message: "Base image is not pinned by digest",
    hint: "Pin the image by digest: `FROM image:tag@sha256:<digest>` (keep the tag for readers and update tools).",
    doc: "A tag such as `node:20` is a moving name: the registry can serve different bytes tomorrow, so rebuilds are not reproducible and a compromised or re-pushed tag flows straight into the image. Appending the digest pins the content while the tag stays for readers and for update bots (Renovate, Dependabot), which bump both together. The severity is the config's `digest-pinning` (info by default, `off` disables the rule). `scratch`, earlier stages and references built from build arguments without a default are accepted; images from trusted registries still need a digest. Fix: `FROM node:20-slim@sha256:<digest>` (`docker buildx imagetools inspect node:20-slim` prints it).",
};

impl Rule for Digest {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }
    fn check(&self, df: &Dockerfile, cx: &Context<'_>) -> Vec<Violation> {
        if cx.config.digest_pinning_off() {
            return Vec::new();
        }
        let mut out = Vec::new();
        for stage in &df.stages {
            let Base::Image(image) = &stage.base else { continue };
            let Some(InstructionKind::From(from)) = df.instructions.get(stage.from).map(|i| &i.kind) else { continue };
            if image.contains('@') || !from.image.unresolved.is_empty() || image.contains('$') {
                continue;
            }
            out.push(Violation::with(from.image.span, format!("Base image {image} is not pinned by digest")));
        }
        out
    }
}
