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

use temper_dockerfile::{Base, Dockerfile, InstructionKind, ShellWord, SimpleCommand};

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

fn set_pipefail(c: &SimpleCommand) -> bool {
    program(c).as_deref() == Some("set") && sets_pipefail(c.args.iter().map(ShellWord::unquoted).collect::<Vec<_>>().iter().map(String::as_str))
}

impl Rule for PipefailMissing {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }
    fn check(&self, df: &Dockerfile, _: &Context<'_>) -> Vec<Violation> {
        let mut out = Vec::new();
        // Whether the SHELL in effect sets pipefail: the last SHELL before
        // the RUN in its stage, else the one in effect at the end of the
        // stage it is built from (bases are always earlier stages). One pass
        // over the file, each SHELL read once.
        let mut at_end: Vec<bool> = Vec::with_capacity(df.stages.len());
        for stage in &df.stages {
            let mut pipefail = match stage.base {
                Base::Stage(i) => at_end.get(i).copied().unwrap_or(false),
                _ => false,
            };
            for ins in df.stage_instructions(stage) {
                match &ins.kind {
                    InstructionKind::Shell(words) => pipefail = sets_pipefail(words.iter().map(|w| w.value.as_str())),
                    InstructionKind::Run(_) => {
                        if pipefail {
                            continue;
                        }
                        let piped = ins
                            .scripts()
                            .filter_map(|s| s.parsed())
                            .any(|s| s.commands.iter().any(SimpleCommand::in_pipeline) && !s.commands.iter().any(set_pipefail));
                        if piped {
                            out.push(Violation::at(ins.keyword_span));
                        }
                    }
                    _ => {}
                }
            }
            at_end.push(pipefail);
        }
        out
    }
}
