//! `apt-get-no-install-recommends` (hadolint DL3015): by default
//! `apt-get install` also installs recommended packages, which enlarge
//! the image and its attack surface.
//!
//! Accepted: `--no-install-recommends` (with or without a value) and
//! `-o APT::Install-Recommends=false` (or `=0`). A config file in
//! `/etc/apt/apt.conf.d` cannot be seen from the Dockerfile, so a `RUN`
//! relying on one is still reported.

use temper_dockerfile::{Dockerfile, ShellWord};

use crate::rules::per_run;
use crate::shell::{APT_GET_VALUE_FLAGS, has_flag_in, invocation};
use crate::{Context, Rule, RuleMeta, Severity, Violation};

pub struct AptGetNoInstallRecommends;

static META: RuleMeta = RuleMeta {
    id: "apt-get-no-install-recommends",
    hadolint: Some("DL3015"),
    severity: Severity::Info,
    message: "apt-get install without --no-install-recommends",
    hint: "Add `--no-install-recommends` and name what you need.",
    doc: "Recommended packages are installed by default and often pull in much more than the named package (documentation, X libraries, compilers), enlarging the image and what an attacker can use. Accepted: `--no-install-recommends` and `-o APT::Install-Recommends=false`. Write `apt-get install -y --no-install-recommends curl`.",
};

impl Rule for AptGetNoInstallRecommends {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }
    fn check(&self, df: &Dockerfile, _: &Context<'_>) -> Vec<Violation> {
        per_run(df, |_, c| {
            let args = invocation(c, &["apt-get"], &["install"], APT_GET_VALUE_FLAGS)?;
            let via_option = args.iter().map(ShellWord::unquoted).any(|a| {
                let a = a.to_ascii_lowercase();
                a.ends_with("apt::install-recommends=false") || a.ends_with("apt::install-recommends=0")
            });
            (!has_flag_in(args, None, &["no-install-recommends"]) && !via_option).then(|| META.message.to_owned())
        })
    }
}
