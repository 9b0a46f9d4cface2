//! `gem-pin-versions` (hadolint DL3028, info in temper): `gem install
//! rails` (or its short form `gem i rails`) installs the newest release
//! at build time.
//!
//! Accepted: `gem:version`, `-v`/`--version` on the command, local gem
//! files (`./x.gem`, anything ending in `.gem`), and words that are
//! expansions. A bare `gem install` (with `--file Gemfile`) names no gem.

use temper_dockerfile::Dockerfile;

use crate::rules::per_run;
use crate::shell::{has_flag_in, invocation, operands_in, packages};
use crate::{Context, Rule, RuleMeta, Severity, Violation};

pub struct GemPinVersions;

static META: RuleMeta = RuleMeta {
    id: "gem-pin-versions",
    hadolint: Some("DL3028"),
    severity: Severity::Info,
    message: "gem install without version pins",
    hint: "Pin versions: `gem install rails:7.1.3` or `gem install rails -v 7.1.3`.",
    doc: "`gem install bundler` (or `gem i bundler`) takes the newest release at build time. Accepted: `bundler:2.5.6`, `-v`/`--version` on the command, local `.gem` files, and expansions. Reported as info. Write `gem install bundler:2.5.6`.",
};

const GEM_VALUE_FLAGS: &[&str] =
    &["-v", "--version", "-i", "--install-dir", "-n", "--bindir", "-s", "--source", "-P", "--trust-policy", "--platform", "-g", "--file", "--build-root"];

impl Rule for GemPinVersions {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }
    fn check(&self, df: &Dockerfile, _: &Context<'_>) -> Vec<Violation> {
        per_run(df, |ins, c| {
            let args = invocation(c, &["gem"], &["install", "i"], GEM_VALUE_FLAGS)?;
            if has_flag_in(args, Some('v'), &["version"]) {
                return None;
            }
            let unpinned: Vec<String> = operands_in(args, GEM_VALUE_FLAGS)
                .into_iter()
                .flat_map(|w| packages(ins, w))
                .filter(|p| !p.contains(':') && !p.ends_with(".gem") && !p.starts_with(['.', '/']))
                .collect();
            (!unpinned.is_empty()).then(|| format!("gem install without version pins: {}", unpinned.join(", ")))
        })
    }
}
