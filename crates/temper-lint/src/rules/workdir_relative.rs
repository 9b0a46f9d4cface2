//! `workdir-relative` (hadolint DL3000): a relative `WORKDIR` depends on
//! whatever directory the base image or an earlier instruction left, so
//! the same line means different things as the base image changes.
//!
//! Accepted: absolute paths, Windows drive paths (`C:\app`), and paths
//! that start with a variable (`$HOME/app`), whose value is only known at
//! build time.

use temper_dockerfile::{Dockerfile, InstructionKind};

use crate::{Context, Rule, RuleMeta, Severity, Violation};

pub struct WorkdirRelative;

static META: RuleMeta = RuleMeta {
    id: "workdir-relative",
    hadolint: Some("DL3000"),
    severity: Severity::Error,
    message: "WORKDIR is a relative path",
    hint: "Use an absolute path, e.g. `WORKDIR /app`.",
    doc: "A relative `WORKDIR` is resolved against the working directory the base image or an earlier `WORKDIR` left, which changes when the base image does. Paths starting with `/`, a Windows drive (`C:\\app`) or a variable (`$HOME/app`) are accepted. Replace `WORKDIR app` with `WORKDIR /app`.",
};

impl Rule for WorkdirRelative {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }
    fn check(&self, df: &Dockerfile, _: &Context<'_>) -> Vec<Violation> {
        df.instructions
            .iter()
            .filter_map(|i| match &i.kind {
                InstructionKind::Workdir(w) => Some(w),
                _ => None,
            })
            .filter(|w| {
                let v = w.value.as_str();
                let drive = v.len() >= 2 && v.as_bytes()[0].is_ascii_alphabetic() && v.as_bytes()[1] == b':';
                !(v.starts_with('/') || v.starts_with('\\') || drive || w.text.trim_start_matches(['"', '\'']).starts_with('$') || v.is_empty())
            })
            .map(|w| Violation::with(w.span, format!("WORKDIR {} is a relative path", w.value)))
            .collect()
    }
}
