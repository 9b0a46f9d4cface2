//! `apt-lists-not-removed` (hadolint DL3009): `apt-get update` writes the
//! package lists to `/var/lib/apt/lists`, tens of megabytes that stay in
//! the layer unless the same `RUN` removes them.
//!
//! The trigger is `apt-get update` (or `apt update`), which is what
//! creates the lists; an `install` without it adds none. Accepted: an
//! `rm` of `/var/lib/apt/lists` or anything under it, or `apt-get
//! dist-clean`, in the same `RUN`,
//! or a cache or tmpfs mount over `/var/lib/apt` or its lists, which keeps
//! them out of the layer. Only the stages that end up in the image count:
//! a build stage's lists are thrown away with it.

use temper_dockerfile::{Dockerfile, Instruction, ShellWord};

use crate::rules::util::final_chain;
use crate::shell::{program, subcommand};
use crate::{Context, Rule, RuleMeta, Severity, Violation};

pub struct AptListsNotRemoved;

static META: RuleMeta = RuleMeta {
    id: "apt-lists-not-removed",
    hadolint: Some("DL3009"),
    severity: Severity::Info,
    message: "apt lists not removed in the same RUN as apt-get update",
    hint: "End the RUN with `&& rm -rf /var/lib/apt/lists/*`.",
    doc: "`apt-get update` downloads package lists into `/var/lib/apt/lists`; removing them in a later `RUN` does not shrink the image, because the earlier layer keeps them. Accepted: `rm -rf /var/lib/apt/lists/*` (or the directory) or `apt-get dist-clean` in the same `RUN`, or `RUN --mount=type=cache,target=/var/lib/apt` (or `/var/lib/apt/lists`), which keeps the lists out of the layer. Build stages that do not end up in the image are not checked. Write `RUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*`.",
};

fn mounted_away(ins: &Instruction) -> bool {
    ins.mounts().any(|m| {
        (m.kind == "cache" || m.kind == "tmpfs")
            && m.get("target").or_else(|| m.get("dst")).or_else(|| m.get("destination")).is_some_and(|t| {
                let t = t.trim_end_matches('/');
                t == "/var/lib/apt" || t == "/var/lib/apt/lists"
            })
    })
}

impl Rule for AptListsNotRemoved {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }
    fn check(&self, df: &Dockerfile, _: &Context<'_>) -> Vec<Violation> {
        let mut out = Vec::new();
        for stage in final_chain(df) {
            for ins in df.stage_instructions(stage) {
                let commands: Vec<_> = ins.scripts().filter_map(|s| s.parsed()).flat_map(|s| s.commands.iter()).collect();
                let updates = commands
                    .iter()
                    .any(|c| matches!(program(c).as_deref(), Some("apt-get" | "apt")) && subcommand(c).is_some_and(|s| s.unquoted() == "update"));
                if !updates || mounted_away(ins) {
                    continue;
                }
                // `apt-get dist-clean` (apt 2.7.8 and later) removes the lists too.
                let removed = commands.iter().any(|c| match program(c).as_deref() {
                    Some("rm") => c.args.iter().map(ShellWord::unquoted).any(|a| a.starts_with("/var/lib/apt/lists")),
                    Some("apt-get" | "apt") => subcommand(c).is_some_and(|s| s.unquoted() == "dist-clean"),
                    _ => false,
                });
                if !removed {
                    out.push(Violation::at(ins.keyword_span));
                }
            }
        }
        out
    }
}
