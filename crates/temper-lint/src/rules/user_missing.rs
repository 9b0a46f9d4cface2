//! `user-missing`: the final image has no USER instruction, so its
//! process runs as root (unless the base image sets a user). A process
//! that is root in the container is one kernel or runtime bug away from
//! root on the host, and can change everything in the image at run time.
//!
//! The final stage and the stages it is built `FROM` are searched; any
//! USER there counts (a root USER is the other rule's business, DL3002).
//! Accepted: base images that set a non-root user by convention, by tag
//! (`*nonroot*`, as distroless' `:nonroot`) or by a repository known to
//! (`chainguard/*`, `cgr.dev/*`), and Windows Nano Server, whose default
//! user is the unprivileged `ContainerUser`. Other base images may set a
//! user too; the rule cannot see it, so ignore it for those. In other
//! Windows images the default user is `ContainerAdministrator`, and the fix
//! is `USER ContainerUser` rather than `useradd`.

use temper_dockerfile::{Base, Dockerfile, InstructionKind};

use super::util::{final_chain, final_instructions, windows_stage};
use crate::{Context, Rule, RuleMeta, Severity, Violation};

pub struct UserMissing;

static META: RuleMeta = RuleMeta {
    id: "user-missing",
    hadolint: None,
    severity: Severity::Warning,
    message: "The final stage has no USER: the container runs as root",
    hint: "Create an unprivileged user and switch to it: `RUN useradd --system --uid 10001 app` then `USER app` (or `USER 10001`).",
    doc: "Without a `USER` instruction the container's process runs as root. Root in a container can modify the whole image at run time, bind low ports and, through a kernel or runtime vulnerability, reach the host with root rights; many clusters (Pod Security `restricted`, OpenShift) refuse such images. Switch to an unprivileged user in the final stage. The final stage and the stages it is built from are searched; base images whose tag says `nonroot` (distroless) or that come from Chainguard are accepted. Fix: `RUN addgroup -S app && adduser -S -G app app` then `USER app`; or `USER 65532:65532` on distroless. Windows: Nano Server already runs as `ContainerUser`; other Windows bases run as `ContainerAdministrator`, so write `USER ContainerUser`.",
};

impl Rule for UserMissing {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }
    fn check(&self, df: &Dockerfile, _: &Context<'_>) -> Vec<Violation> {
        let chain = final_chain(df);
        let Some(root) = chain.first() else { return Vec::new() };
        if let Base::Image(image) = &root.base
            && (nonroot_image(image) || image.to_ascii_lowercase().contains("nanoserver"))
        {
            return Vec::new();
        }
        if final_instructions(df).iter().any(|i| matches!(i.kind, InstructionKind::User(_))) {
            return Vec::new();
        }
        let Some(last) = chain.last() else { return Vec::new() };
        let Some(from) = df.instructions.get(last.from) else { return Vec::new() };
        let span = match &from.kind {
            InstructionKind::From(f) => f.image.span,
            _ => from.keyword_span,
        };
        if windows_stage(df, last) {
            return vec![Violation::with(span, "The final stage has no USER: the container runs as ContainerAdministrator (switch with `USER ContainerUser`)")];
        }
        vec![Violation::at(span)]
    }
}

/// A base image that runs as non-root by convention.
fn nonroot_image(image: &str) -> bool {
    let name = image.split('@').next().unwrap_or(image);
    let tag = name.rsplit_once(':').map_or("", |(_, t)| t);
    tag.contains("nonroot") || name.starts_with("cgr.dev/") || name.starts_with("chainguard/")
}
