//! `apt-get-pin-versions` (hadolint DL3008, info in temper): `apt-get
//! install curl` installs whatever the mirror has that day.
//!
//! Accepted as pinned or unknowable: `pkg=1.2.3`, `pkg=1.2*`,
//! `pkg=${VERSION}`, local packages (`./x.deb`, `/tmp/x.deb`, anything
//! ending in `.deb`), and words made of an expansion (`$PKGS`,
//! `$(cat pkgs.txt)`), whose contents the Dockerfile does not show. A
//! variable inside a name (`postgresql-${PG_MAJOR}`) is still a name. A
//! word that is one variable whose value an ARG or ENV gives (`ARG
//! DEPS="curl git"`, then `apt-get install $DEPS`) is expanded first, as
//! the shell will, here and in the other pinning rules (apk, pip, npm, gem).

use temper_dockerfile::Dockerfile;

use crate::rules::per_run;
use crate::shell::{APT_GET_VALUE_FLAGS, invocation, operands_in, packages};
use crate::{Context, Rule, RuleMeta, Severity, Violation};

pub struct AptGetPinVersions;

static META: RuleMeta = RuleMeta {
    id: "apt-get-pin-versions",
    hadolint: Some("DL3008"),
    severity: Severity::Info,
    message: "apt-get install without version pins",
    hint: "Pin versions: `apt-get install curl=7.88.1-10+deb12u5`.",
    doc: "Without `pkg=version`, `apt-get install` takes whatever the mirror serves at build time, so rebuilds are not reproducible and a bad update arrives unnoticed. Accepted: `curl=7.88.1-10+deb12u5`, wildcards (`curl=7.88*`), versions from variables (`curl=${CURL_VERSION}`), local `.deb` files (`./pkg.deb`, `/tmp/pkg.deb`), and words that are entirely an expansion (`$PKGS`, `$(cat pkgs.txt)`) whose contents are not in the Dockerfile; a variable an ARG or ENV sets (`ARG DEPS=\"curl git\"`, then `apt-get install $DEPS`) is expanded first, as the shell will. Reported as info: pinning every package is a policy choice.",
};

impl Rule for AptGetPinVersions {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }
    fn check(&self, df: &Dockerfile, _: &Context<'_>) -> Vec<Violation> {
        per_run(df, |ins, c| {
            let args = invocation(c, &["apt-get"], &["install"], APT_GET_VALUE_FLAGS)?;
            let unpinned: Vec<String> = operands_in(args, APT_GET_VALUE_FLAGS)
                .into_iter()
                .flat_map(|w| packages(ins, w))
                .filter(|p| !p.contains('=') && !p.ends_with(".deb") && !p.starts_with('/') && !p.starts_with('.'))
                .collect();
            (!unpinned.is_empty()).then(|| format!("apt-get install without version pins: {}", unpinned.join(", ")))
        })
    }
}
