//! `from-untrusted-registry` (hadolint DL3026): with a
//! `trusted-registries` list in the config, every base image must come
//! from one of them. Without a list the rule is silent.
//!
//! A reference without a registry host (`debian:12`, `library/debian`)
//! comes from Docker Hub and is named `docker.io`. Earlier stages,
//! `scratch` and references with unresolved variables are skipped.

use temper_dockerfile::{Dockerfile, InstructionKind};

use crate::rules::{base_images, image_ref};
use crate::{Context, Rule, RuleMeta, Severity, Violation};

pub struct FromUntrustedRegistry;

static META: RuleMeta = RuleMeta {
    id: "from-untrusted-registry",
    hadolint: Some("DL3026"),
    severity: Severity::Error,
    message: "Base image from a registry not in trusted-registries",
    hint: "Pull the image through a trusted registry, or add the registry to `trusted-registries` in `.temper.toml`.",
    doc: "When `[lint] trusted-registries` is set, base images must come from those registries, so a typo-squatted or unvetted registry cannot slip in. Images without a host are Docker Hub's and count as `docker.io`. With no list configured the rule never fires. Replace `FROM ghcr.io/acme/tool:1` with `FROM registry.example.internal/acme/tool:1`, or trust `ghcr.io`.",
};

impl Rule for FromUntrustedRegistry {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }
    fn check(&self, df: &Dockerfile, cx: &Context<'_>) -> Vec<Violation> {
        let trusted = &cx.config.trusted_registries;
        if trusted.is_empty() {
            return Vec::new();
        }
        base_images(df)
            .filter_map(|(ins, r)| {
                let registry = image_ref(r).registry.unwrap_or("docker.io");
                if trusted.iter().any(|t| t.eq_ignore_ascii_case(registry)) {
                    return None;
                }
                match &ins.kind {
                    InstructionKind::From(f) => Some(Violation::with(f.image.span, format!("Base image {r} from {registry}, not a trusted registry"))),
                    _ => None,
                }
            })
            .collect()
    }
}
