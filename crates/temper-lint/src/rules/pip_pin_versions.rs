//! `pip-pin-versions` (hadolint DL3013, info in temper): `pip install
//! flask` installs the newest release on the day of the build.
//!
//! Accepted: a version specifier (`flask==2.3.3`, `flask>=2`, `"flask<3"`,
//! `flask~=2.3`), a requirements or constraints file (`-r`, `-c`; with a
//! constraints file every package is pinned there), local paths and
//! archives (`.`, `./pkg`, `/src/pkg`, `dist/x.whl`, `x.tar.gz`), VCS
//! references with a revision (`git+https://…/x.git@v1`), and words that
//! are an expansion (`$PKGS`).

use temper_dockerfile::Dockerfile;

use crate::rules::per_run;
use crate::shell::{has_flag_in, operands_in, packages, pip_install};
use crate::{Context, Rule, RuleMeta, Severity, Violation};

pub struct PipPinVersions;

static META: RuleMeta = RuleMeta {
    id: "pip-pin-versions",
    hadolint: Some("DL3013"),
    severity: Severity::Info,
    message: "pip install without version pins",
    hint: "Pin versions (`flask==2.3.3`) or install from a requirements file with pins (`-r requirements.txt`).",
    doc: "`pip install flask` takes the newest release at build time, so rebuilds drift and a compromised release lands silently. Accepted: version specifiers (`flask==2.3.3`, `flask>=2,<3`), `-r requirements.txt`, a constraints file (`-c constraints.txt` pins every package), local paths and archives (`.`, `-e .`, `./dist/x.whl`), VCS URLs with a revision (`git+https://…/x.git@v1.2`), and words that are expansions. Reported as info. Write `pip install --no-cache-dir flask==2.3.3`.",
};

/// pip install options that take the next word as their value.
pub(crate) const PIP_VALUE_FLAGS: &[&str] = &[
    "-r",
    "--requirement",
    "-c",
    "--constraint",
    "-e",
    "--editable",
    "-i",
    "--index-url",
    "--extra-index-url",
    "-f",
    "--find-links",
    "-t",
    "--target",
    "--prefix",
    "--root",
    "--src",
    "--upgrade-strategy",
    "--platform",
    "--python-version",
    "--implementation",
    "--abi",
    "--trusted-host",
    "--cert",
    "--client-cert",
    "--cache-dir",
    "--log",
    "--proxy",
    "--retries",
    "--timeout",
    "--exists-action",
    "--progress-bar",
    "--no-binary",
    "--only-binary",
    "--global-option",
    "--config-settings",
    "-C",
    "--report",
    "--python",
];

const ARCHIVES: &[&str] = &[".whl", ".tar.gz", ".tgz", ".zip", ".tar.bz2", ".tar"];

fn pinned(p: &str) -> bool {
    if p.contains("://") || p.starts_with("git+") {
        let tail = p.rsplit('/').next().unwrap_or(p);
        return tail.contains('@') || ARCHIVES.iter().any(|a| tail.split('#').next().unwrap_or(tail).ends_with(a));
    }
    p.contains(['=', '<', '>', '@']) || p.starts_with(['.', '/', '~']) || p.contains('/') || ARCHIVES.iter().any(|a| p.ends_with(a))
}

impl Rule for PipPinVersions {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }
    fn check(&self, df: &Dockerfile, _: &Context<'_>) -> Vec<Violation> {
        per_run(df, |ins, c| {
            let args = pip_install(c)?;
            if has_flag_in(args, Some('c'), &["constraint"]) {
                return None;
            }
            let unpinned: Vec<String> =
                operands_in(args, PIP_VALUE_FLAGS).into_iter().flat_map(|w| packages(ins, w)).filter(|p| !pinned(p)).collect();
            (!unpinned.is_empty()).then(|| format!("pip install without version pins: {}", unpinned.join(", ")))
        })
    }
}
