//! `cmd-shell-form` (hadolint DL3025): a shell-form `CMD` or `ENTRYPOINT`
//! runs under `/bin/sh -c`, so the shell is PID 1: `docker stop`'s
//! SIGTERM goes to the shell, not the program, which is killed after the
//! timeout instead of shutting down cleanly.
//!
//! Only `CMD` and `ENTRYPOINT` are checked: a shell-form `HEALTHCHECK
//! CMD` is not PID 1 and receives no stop signal, so it is accepted.

use temper_dockerfile::{Command, Dockerfile, InstructionKind};

use crate::{Context, Rule, RuleMeta, Severity, Violation};

pub struct CmdShellForm;

static META: RuleMeta = RuleMeta {
    id: "cmd-shell-form",
    hadolint: Some("DL3025"),
    severity: Severity::Warning,
    message: "CMD or ENTRYPOINT in shell form",
    hint: "Use the JSON form: `CMD [\"nginx\", \"-g\", \"daemon off;\"]`.",
    doc: "In shell form, `CMD nginx -g 'daemon off;'` runs as `/bin/sh -c …`: the shell becomes PID 1 and does not forward SIGTERM, so `docker stop` waits out its timeout and kills the program without a clean shutdown; an `ENTRYPOINT` in shell form also ignores `CMD` and `docker run` arguments. `HEALTHCHECK CMD` in shell form is accepted, since it is not PID 1. Write `CMD [\"nginx\", \"-g\", \"daemon off;\"]`, or `exec` the program from a script.",
};

impl Rule for CmdShellForm {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }
    fn check(&self, df: &Dockerfile, _: &Context<'_>) -> Vec<Violation> {
        df.instructions
            .iter()
            .filter(|i| matches!(&i.kind, InstructionKind::Cmd(Some(Command::Shell(_))) | InstructionKind::Entrypoint(Some(Command::Shell(_)))))
            .map(|i| Violation::with(i.keyword_span, format!("{} in shell form", i.keyword)))
            .collect()
    }
}
