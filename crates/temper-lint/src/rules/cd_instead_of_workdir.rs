//! `cd-instead-of-workdir` (hadolint DL3003): `cd` in a `RUN` only lasts
//! for that `RUN`; `WORKDIR` states the directory once for every later
//! instruction and is visible to readers and tools.
//!
//! Deliberately strict like hadolint: a `cd` inside a subshell is still
//! reported, since `WORKDIR` (or a tool's own `-C dir` flag) says the
//! same thing more plainly.

use temper_dockerfile::Dockerfile;

use crate::rules::per_run;
use crate::shell::program;
use crate::{Context, Rule, RuleMeta, Severity, Violation};

pub struct CdInsteadOfWorkdir;

static META: RuleMeta = RuleMeta {
    id: "cd-instead-of-workdir",
    hadolint: Some("DL3003"),
    severity: Severity::Warning,
    message: "cd in RUN instead of WORKDIR",
    hint: "Use `WORKDIR /path` before the RUN, or the tool's own directory flag (`make -C dir`).",
    doc: "A `cd` inside `RUN` changes the directory for that `RUN` only, so the next instruction silently runs elsewhere, and readers must trace the shell to know where files land. Set the directory with `WORKDIR /src` before `RUN make`, or use the tool's flag (`make -C /src`, `git -C /src`). Every `cd` is reported, also in a subshell.",
};

impl Rule for CdInsteadOfWorkdir {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }
    fn check(&self, df: &Dockerfile, _: &Context<'_>) -> Vec<Violation> {
        per_run(df, |_, c| (program(c).as_deref() == Some("cd")).then(|| META.message.to_owned()))
    }
}
