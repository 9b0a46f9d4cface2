//! `sudo` (hadolint DL3004): RUN already runs as the current `USER`;
//! `sudo` needs a TTY-less configuration, may prompt, keeps the build's
//! privileges unclear, and leaves a setuid escalation path in the image.
//!
//! Only a command whose program is `sudo` counts, not the word in an
//! argument (`echo sudo`).

use temper_dockerfile::Dockerfile;

use crate::rules::per_run;
use crate::shell::program;
use crate::{Context, Rule, RuleMeta, Severity, Violation};

pub struct Sudo;

static META: RuleMeta = RuleMeta {
    id: "sudo",
    hadolint: Some("DL3004"),
    severity: Severity::Error,
    message: "sudo in RUN",
    hint: "Switch with `USER root` for the privileged steps and back afterwards; at runtime use gosu or su-exec.",
    doc: "`RUN` runs as the current `USER`, so `sudo` is either useless (already root) or depends on a sudoers setup that lets the image's user become root at runtime too. Use `USER root` before the privileged `RUN` and `USER app` after it; an entrypoint that must drop privileges can use `gosu` or `su-exec`. Only `sudo` as a command is reported, not the word in an argument.",
};

impl Rule for Sudo {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }
    fn check(&self, df: &Dockerfile, _: &Context<'_>) -> Vec<Violation> {
        per_run(df, |_, c| (program(c).as_deref() == Some("sudo")).then(|| META.message.to_owned()))
    }
}
