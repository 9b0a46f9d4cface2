//! `apt-get-yes` (hadolint DL3014): `apt-get install` asks for
//! confirmation; without an answer the build aborts or hangs.
//!
//! Accepted: `-y`, `--yes`, `--assume-yes` (also in a cluster like
//! `-qy`), `-o APT::Get::Assume-Yes=true`, and quiet level 2 (`-qq`,
//! `-q -q`, `-q=2`, `--quiet=2`), which implies yes.

use temper_dockerfile::Dockerfile;
use temper_dockerfile::{ShellWord, SimpleCommand};

use crate::rules::per_run;
use crate::shell::{APT_GET_VALUE_FLAGS, has_flag_in, invocation};
use crate::{Context, Rule, RuleMeta, Severity, Violation};

pub struct AptGetYes;

static META: RuleMeta = RuleMeta {
    id: "apt-get-yes",
    hadolint: Some("DL3014"),
    severity: Severity::Warning,
    message: "apt-get install without -y",
    hint: "Add `-y`: `apt-get install -y --no-install-recommends curl`.",
    doc: "`apt-get install` stops to ask \"Do you want to continue?\" whenever it installs more than was named; in a build there is no one to answer and it aborts. Accepted: `-y`, `--yes`, `--assume-yes`, `-o APT::Get::Assume-Yes=true`, and quiet level 2 (`-qq`, `-q -q`, `-q=2`), which implies yes. Write `apt-get install -y curl`.",
};

/// How quiet the command asks apt-get to be: each `q` of a short cluster
/// and each `--quiet` counts one; `-q=N` and `--quiet=N` say it outright.
fn quiet_level(args: &[ShellWord]) -> u32 {
    args.iter()
        .map(ShellWord::unquoted)
        .map(|a| {
            if let Some(n) = a.strip_prefix("-q=").or_else(|| a.strip_prefix("--quiet=")) {
                n.parse().unwrap_or(0)
            } else if a == "--quiet" {
                1
            } else if let Some(s) = a.strip_prefix('-').filter(|s| !s.starts_with('-') && s.chars().all(|c| c.is_ascii_alphanumeric())) {
                s.chars().filter(|&c| c == 'q').count() as u32
            } else {
                0
            }
        })
        .sum()
}

fn assumes_yes(c: &SimpleCommand, args: &[ShellWord]) -> bool {
    has_flag_in(args, Some('y'), &["yes", "assume-yes", "force-yes"])
        || quiet_level(args) >= 2
        || c.args.iter().map(ShellWord::unquoted).any(|a| a.to_ascii_lowercase().starts_with("apt::get::assume-yes=true"))
}

impl Rule for AptGetYes {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }
    fn check(&self, df: &Dockerfile, _: &Context<'_>) -> Vec<Violation> {
        per_run(df, |_, c| {
            let args = invocation(c, &["apt-get"], &["install"], APT_GET_VALUE_FLAGS)?;
            (!assumes_yes(c, args)).then(|| META.message.to_owned())
        })
    }
}
