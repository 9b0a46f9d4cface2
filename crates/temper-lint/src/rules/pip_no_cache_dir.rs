//! `pip-no-cache-dir` (hadolint DL3042): pip keeps every downloaded
//! wheel in `~/.cache/pip`, which then ships in the layer.
//!
//! Accepted: `--no-cache-dir` (not with a false value), `PIP_NO_CACHE_DIR`
//! set by `ENV` or `ARG` in the stage or a stage it is built from, or on
//! the command itself, and a cache mount over pip's cache (a target
//! naming `pip` or ending in `.cache`), which keeps it out of the layer.

use temper_dockerfile::{Dockerfile, Instruction, InstructionKind, ShellWord, SimpleCommand};

use crate::rules::per_run;
use crate::rules::util::{index_of, set_before};
use crate::shell::pip_install;
use crate::{Context, Rule, RuleMeta, Severity, Violation};

pub struct PipNoCacheDir;

static META: RuleMeta = RuleMeta {
    id: "pip-no-cache-dir",
    hadolint: Some("DL3042"),
    severity: Severity::Warning,
    message: "pip install without --no-cache-dir",
    hint: "Add `--no-cache-dir`, set `ENV PIP_NO_CACHE_DIR=1`, or use `RUN --mount=type=cache,target=/root/.cache/pip`.",
    doc: "pip caches downloads in `~/.cache/pip`; in an image that cache is dead weight in the layer. Accepted: `pip install --no-cache-dir`, `PIP_NO_CACHE_DIR` set by `ENV` or `ARG` (in the stage or the stage it is built from) or on the command, and a cache mount such as `RUN --mount=type=cache,target=/root/.cache/pip`, which keeps the cache out of the layer. `python -m pip` is checked like `pip`. Write `pip install --no-cache-dir -r requirements.txt`.",
};

fn false_value(v: &str) -> bool {
    matches!(v.to_ascii_lowercase().as_str(), "0" | "false" | "no" | "off")
}

/// Whether the instruction sets `PIP_NO_CACHE_DIR` (to a true value).
fn sets_env(ins: &Instruction) -> bool {
    match &ins.kind {
        InstructionKind::Env(kvs) => kvs.iter().any(|kv| kv.key.value == "PIP_NO_CACHE_DIR" && !false_value(&kv.value.value)),
        InstructionKind::Arg(args) => args.iter().any(|a| a.name.value == "PIP_NO_CACHE_DIR" && a.default.as_ref().is_some_and(|d| !false_value(&d.value))),
        _ => false,
    }
}

/// `env_set`: whether `PIP_NO_CACHE_DIR` is set before `ins` in its stage
/// or in the stages that stage is built from.
fn avoids_cache(ins: &Instruction, c: &SimpleCommand, args: &[ShellWord], env_set: impl FnOnce() -> bool) -> bool {
    let flag = args.iter().map(ShellWord::unquoted).any(|a| a == "--no-cache-dir" || a.strip_prefix("--no-cache-dir=").is_some_and(|v| !false_value(v)));
    let inline = c.assignments.iter().map(ShellWord::unquoted).any(|a| a.strip_prefix("PIP_NO_CACHE_DIR=").is_some_and(|v| !false_value(v)));
    let mount = ins.mounts().any(|m| {
        m.kind == "cache"
            && m.get("target")
                .or_else(|| m.get("dst"))
                .or_else(|| m.get("destination"))
                .is_some_and(|t| t.contains("pip") || t.trim_end_matches('/').ends_with(".cache"))
    });
    flag || inline || mount || env_set()
}

impl Rule for PipNoCacheDir {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }
    fn check(&self, df: &Dockerfile, _: &Context<'_>) -> Vec<Violation> {
        // Computed once, on the first pip install: a per-install look back
        // would be quadratic.
        let mut env: Option<Vec<bool>> = None;
        per_run(df, |ins, c| {
            let args = pip_install(c)?;
            let env_set = || env.get_or_insert_with(|| set_before(df, sets_env)).get(index_of(df, ins)).copied().unwrap_or(false);
            (!avoids_cache(ins, c, args, env_set)).then(|| META.message.to_owned())
        })
    }
}
