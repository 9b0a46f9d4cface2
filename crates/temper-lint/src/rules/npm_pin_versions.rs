//! `npm-pin-versions` (hadolint DL3016, info in temper): `npm install
//! express` takes the newest release at build time.
//!
//! Only commands naming packages are checked: a bare `npm install` or
//! `npm ci` installs from `package.json` and the lock file. Accepted:
//! `pkg@version` or any other `@` specifier (`@scope/pkg@1.2`,
//! `lodash@^4`), local paths and tarballs (`./dir`, `x.tgz`), git or URL
//! references with a `#` revision, and words that are expansions.
//! `npm i` and `npm add` are the same command as `npm install`.

use temper_dockerfile::Dockerfile;

use crate::rules::per_run;
use crate::shell::{invocation, operands_in, packages};
use crate::{Context, Rule, RuleMeta, Severity, Violation};

pub struct NpmPinVersions;

static META: RuleMeta = RuleMeta {
    id: "npm-pin-versions",
    hadolint: Some("DL3016"),
    severity: Severity::Info,
    message: "npm install without version pins",
    hint: "Pin versions (`npm install express@4.18.2`), or install from the lock file with `npm ci`.",
    doc: "`npm install express` resolves to the newest release at build time. A bare `npm install` or `npm ci` (from `package.json` and the lock file) is not checked. Accepted: `express@4.18.2` and other specifiers (`@scope/pkg@1.2.0`, `lodash@^4`), local paths and tarballs (`./lib`, `pkg.tgz`), git or URL references with a `#` revision, and expansions. `npm i` and `npm add` are checked like `npm install`. Reported as info. Write `npm install -g typescript@5.4.5`.",
};

const NPM_VALUE_FLAGS: &[&str] =
    &["--prefix", "--registry", "--tag", "-w", "--workspace", "--cache", "--omit", "--include", "--userconfig", "--loglevel", "--install-strategy"];

fn pinned(p: &str) -> bool {
    let name = p.strip_prefix('@').unwrap_or(p);
    if p.contains("://") || p.starts_with("git+") || p.starts_with("github:") || p.starts_with("git@") {
        return p.contains('#') || p.ends_with(".tgz") || p.ends_with(".tar.gz");
    }
    if p.starts_with(['.', '/', '~']) || p.ends_with(".tgz") || p.ends_with(".tar.gz") || p.ends_with(".tar") {
        return true;
    }
    if name.contains('@') {
        return true;
    }
    // `user/repo` is a GitHub shorthand; pinned with a `#` revision.
    !p.starts_with('@') && p.contains('/') && p.contains('#')
}

impl Rule for NpmPinVersions {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }
    fn check(&self, df: &Dockerfile, _: &Context<'_>) -> Vec<Violation> {
        per_run(df, |ins, c| {
            let args = invocation(c, &["npm"], &["install", "i", "add"], NPM_VALUE_FLAGS)?;
            let unpinned: Vec<String> =
                operands_in(args, NPM_VALUE_FLAGS).into_iter().flat_map(|w| packages(ins, w)).filter(|p| !pinned(p)).collect();
            (!unpinned.is_empty()).then(|| format!("npm install without version pins: {}", unpinned.join(", ")))
        })
    }
}
