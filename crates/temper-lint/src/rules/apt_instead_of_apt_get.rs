//! `apt-instead-of-apt-get` (hadolint DL3027): `apt` is the interactive
//! front end; its output and behaviour may change between releases and
//! it warns that it has no stable command-line interface.
//!
//! Any command whose program is `apt` is reported; `apt-get`,
//! `apt-cache` and `apt-mark` are the scriptable tools.

use temper_dockerfile::Dockerfile;

use crate::rules::per_run;
use crate::shell::program;
use crate::{Context, Rule, RuleMeta, Severity, Violation};

pub struct AptInsteadOfAptGet;

static META: RuleMeta = RuleMeta {
    id: "apt-instead-of-apt-get",
    hadolint: Some("DL3027"),
    severity: Severity::Warning,
    message: "apt instead of apt-get",
    hint: "Use `apt-get` (or `apt-cache`) in scripts.",
    doc: "`apt` is meant for people at a terminal: it prints progress bars, warns \"apt does not have a stable CLI interface\", and may change behaviour between releases. `apt-get` and `apt-cache` are the stable, scriptable tools. Replace `apt install -y curl` with `apt-get install -y curl`.",
};

impl Rule for AptInsteadOfAptGet {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }
    fn check(&self, df: &Dockerfile, _: &Context<'_>) -> Vec<Violation> {
        per_run(df, |_, c| (program(c).as_deref() == Some("apt")).then(|| META.message.to_owned()))
    }
}
