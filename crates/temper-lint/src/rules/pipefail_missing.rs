//! `pipefail-missing` (hadolint DL4006): a shell pipeline's status is
//! that of its last command, so `curl … | tar x` succeeds when the
//! download fails, and the build carries on with a broken layer.
//!
//! Accepted: a `SHELL` in effect that sets the option (`SHELL
//! ["/bin/bash", "-o", "pipefail", "-c"]`, also `-eo pipefail`), taken
//! from the stage or the stage it is built from, and `set -o pipefail`
//! (or `set -eo pipefail`) in the same `RUN`. RUN in exec form and RUN
//! under a non-POSIX `SHELL` (PowerShell, cmd) are not checked. Pipes
//! inside command substitutions count: under `set -e` their status
//! decides whether the build goes on.

use temper_dockerfile::{Base, Dockerfile, Instruction, InstructionKind, ShellWord, SimpleCommand, Word};

use crate::shell::program;
use crate::{Context, Rule, RuleMeta, Severity, Violation};

pub struct PipefailMissing;

static META: RuleMeta = RuleMeta {
    id: "pipefail-missing",
    hadolint: Some("DL4006"),
    severity: Severity::Warning,
    message: "RUN with a pipe without pipefail",
    hint: "Add `SHELL [\"/bin/bash\", \"-o\", \"pipefail\", \"-c\"]` before the RUN (`/bin/ash` on Alpine), or start the RUN with `set -o pipefail &&`.",
    doc: "A pipeline's exit status is its last command's, so `RUN curl -fsSL $URL | tar xz` succeeds even when the download fails. Accepted: a `SHELL` with `-o pipefail` in effect (set in the stage or a stage it is built from), and `set -o pipefail` (or `set -eo pipefail`) inside the same `RUN`. Exec-form RUN and non-POSIX shells are not checked. Put `SHELL [\"/bin/bash\", \"-o\", \"pipefail\", \"-c\"]` (on Alpine, `/bin/ash`) before the RUN.",
};

/// Whether `args` (a SHELL array or `set`'s arguments) turn pipefail on:
/// an option cluster ending in `o` followed by `pipefail`.
fn sets_pipefail<'a>(args: impl Iterator<Item = &'a str>) -> bool {
    let args: Vec<&str> = args.collect();
    args.windows(2).any(|w| w[1] == "pipefail" && w[0].starts_with('-') && !w[0].starts_with("--") && w[0].ends_with('o'))
}

/// The `SHELL` in effect at `ins`: the last before it in its stage, else
/// the last of the stage it is built from, and so on.
fn shell_at<'a>(df: &'a Dockerfile, ins: &Instruction) -> Option<&'a [Word]> {
    let mut stage = ins.stage.and_then(|s| df.stages.get(s));
    let mut hops = 0;
    while let Some(s) = stage {
        let found = df.stage_instructions(s).iter().rev().filter(|i| i.span.start < ins.span.start).find_map(|i| match &i.kind {
            InstructionKind::Shell(words) => Some(words.as_slice()),
            _ => None,
        });
        if found.is_some() {
            return found;
        }
        hops += 1;
        stage = match s.base {
            Base::Stage(i) if hops <= df.stages.len() => df.stages.get(i),
            _ => None,
        };
    }
    None
}

fn set_pipefail(c: &SimpleCommand) -> bool {
    program(c).as_deref() == Some("set") && sets_pipefail(c.args.iter().map(ShellWord::unquoted).collect::<Vec<_>>().iter().map(String::as_str))
}

impl Rule for PipefailMissing {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }
    fn check(&self, df: &Dockerfile, _: &Context<'_>) -> Vec<Violation> {
        let mut out = Vec::new();
        for ins in df.instructions.iter().filter(|i| matches!(i.kind, InstructionKind::Run(_))) {
            if shell_at(df, ins).is_some_and(|sh| sets_pipefail(sh.iter().map(|w| w.value.as_str()))) {
                continue;
            }
            let piped =
                ins.scripts().filter_map(|s| s.parsed()).any(|s| s.commands.iter().any(SimpleCommand::in_pipeline) && !s.commands.iter().any(set_pipefail));
            if piped {
                out.push(Violation::at(ins.keyword_span));
            }
        }
        out
    }
}
