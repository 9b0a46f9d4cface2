//! `expose-ssh`: `EXPOSE 22` announces an SSH server in the container.
//! Containers are entered with `docker exec`; an SSH daemon is another
//! service with credentials to manage and a common target of attacks.
//!
//! Fires on `22`, `22/tcp` and port ranges that contain 22 (`20-25`).
//! `2222` and other ports are not SSH by convention and are accepted.

use temper_dockerfile::{Dockerfile, InstructionKind};

use crate::{Context, Rule, RuleMeta, Severity, Violation};

pub struct ExposeSsh;

static META: RuleMeta = RuleMeta {
    id: "expose-ssh",
    hadolint: None,
    severity: Severity::Warning,
    message: "EXPOSE 22: the image runs an SSH server",
    hint: "Drop the SSH server and EXPOSE 22; use `docker exec` (or `kubectl exec`) to get a shell in the container.",
    doc: "An SSH daemon in a container is a second service to patch, with keys or passwords to manage and a port that scanners probe all day. `docker exec`, `kubectl exec` and `kubectl debug` give a shell without it. The rule fires on `EXPOSE 22`, `EXPOSE 22/tcp` and ranges containing port 22. Fix: remove `openssh-server`, the `sshd` command and `EXPOSE 22`.",
};

impl Rule for ExposeSsh {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }
    fn check(&self, df: &Dockerfile, _: &Context<'_>) -> Vec<Violation> {
        let mut out = Vec::new();
        for ins in &df.instructions {
            let InstructionKind::Expose(ports) = &ins.kind else { continue };
            for w in ports {
                let (port, proto) = w.value.split_once('/').unwrap_or((&w.value, "tcp"));
                if !proto.eq_ignore_ascii_case("tcp") {
                    continue;
                }
                let (lo, hi) = port.split_once('-').unwrap_or((port, port));
                if let (Ok(lo), Ok(hi)) = (lo.trim().parse::<u32>(), hi.trim().parse::<u32>())
                    && (lo..=hi).contains(&22)
                {
                    out.push(Violation::with(w.span, format!("EXPOSE {}: the image runs an SSH server", w.value)));
                }
            }
        }
        out
    }
}
