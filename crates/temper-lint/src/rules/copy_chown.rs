//! `copy-without-chown`: a COPY or ADD without `--chown` in a stage that
//! later switches to a non-root USER. The files stay owned by root, so the
//! app cannot write where it was copied (caches, uploads, generated
//! files), and the usual workaround, `RUN chown -R` afterwards, duplicates
//! every file in a new layer.
//!
//! A trade-off, hence info: root-owned files the app user cannot modify
//! are also a good hardening practice when the app writes nowhere near its
//! code. The rule reports the copy so the author decides; add `--chown`
//! where the app writes, or ignore it where read-only is the intent.
//! Accepted: `COPY --chown`, copies into system directories (`/usr`,
//! `/etc`, `/bin`, `/sbin`, `/lib`, `/opt`, `/root`, `/tmp`, …: scripts
//! and configuration that should stay root-owned), copies the stage's last
//! USER after them does not make non-root, and heredoc-only COPYs.
//! Windows stages are skipped: `--chown` does not exist for Windows
//! containers.

use temper_dockerfile::{Dockerfile, InstructionKind, Source};

use super::util::{is_root_user, windows_stage};
use crate::{Context, Rule, RuleMeta, Severity, Violation};

pub struct CopyChown;

static META: RuleMeta = RuleMeta {
    id: "copy-without-chown",
    hadolint: None,
    severity: Severity::Info,
    message: "COPY without --chown before a non-root USER: the files stay owned by root",
    hint: "Use `COPY --chown=<user>:<group>` for files the app must write; keep root ownership only where read-only is intended.",
    doc: "Files copied into an image belong to root unless `--chown` says otherwise. When the stage then switches to a non-root `USER`, the app cannot write to them, and a later `RUN chown -R` copies every file into a new layer, doubling its size. `COPY --chown=app:app` sets the owner in the same layer. This is a trade-off, hence info: code that the app user cannot modify is also a sound hardening choice, so keep root ownership (and ignore this rule) when the app writes nowhere near it. Accepted: `--chown`, copies into system directories such as `/usr/local/bin` or `/etc`, and copies not followed by a non-root USER. Fix: `COPY --chown=node:node . /app` before `USER node`. Windows stages are not checked: `--chown` does not exist for Windows containers.",
};

/// Destinations that belong to root by design.
const SYSTEM_DIRS: &[&str] = &["/usr", "/etc", "/bin", "/sbin", "/lib", "/lib64", "/opt", "/root", "/tmp", "/docker-entrypoint", "/entrypoint", "/var/lib/apt"];

impl Rule for CopyChown {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }
    fn check(&self, df: &Dockerfile, _: &Context<'_>) -> Vec<Violation> {
        let mut out = Vec::new();
        for stage in df.stages.iter().filter(|s| !windows_stage(df, s)) {
            let instructions = df.stage_instructions(stage);
            // The stage's last USER: the one in effect after a COPY before it.
            let last_user = instructions.iter().enumerate().rev().find_map(|(n, i)| if let InstructionKind::User(u) = &i.kind { Some((n, u)) } else { None });
            for (n, ins) in instructions.iter().enumerate() {
                let (InstructionKind::Copy(args) | InstructionKind::Add(args)) = &ins.kind else { continue };
                if ins.flag("chown").is_some() || args.sources.iter().all(|s| matches!(s, Source::Heredoc(_))) {
                    continue;
                }
                let dest = args.dest.value.as_str();
                if SYSTEM_DIRS.iter().any(|d| dest == *d || dest.starts_with(&format!("{d}/")) || dest.starts_with(&format!("{d}."))) {
                    continue;
                }
                let later_user = last_user.filter(|(at, _)| *at > n).map(|(_, u)| u);
                if let Some(user) = later_user
                    && !is_root_user(&user.value)
                {
                    out.push(Violation::with(
                        ins.keyword_span,
                        format!("{} without --chown before USER {}: the files stay owned by root", ins.keyword, user.value),
                    ));
                }
            }
        }
        out
    }
}
