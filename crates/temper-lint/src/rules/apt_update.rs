//! `apt-get-update-alone`: `apt-get update` in a RUN that installs
//! nothing. The layer caches the package lists; a later `RUN apt-get
//! install` reuses that layer for months and installs from stale lists
//! (or fails on versions that left the mirror).
//!
//! Accepted: the same RUN (its shell body and heredoc scripts) also runs
//! `apt-get`/`apt`/`aptitude` `install`, `upgrade`, `dist-upgrade`,
//! `full-upgrade`, `build-dep`, `source` or `download`, or calls another
//! program with `install` in its arguments or name (a helper such as
//! `install_packages` or `./install-deps.sh` that does the install).

use temper_dockerfile::Dockerfile;

use super::util::{commands, sub};
use crate::shell::program;
use crate::{Context, Rule, RuleMeta, Severity, Violation};

pub struct AptUpdate;

static META: RuleMeta = RuleMeta {
    id: "apt-get-update-alone",
    hadolint: None,
    severity: Severity::Info,
    message: "apt-get update without an install in the same RUN",
    hint: "Run `apt-get update && apt-get install -y …` in one RUN so the package lists are never cached on their own.",
    doc: "A RUN that only refreshes the package lists is cached like any other layer: later `RUN apt-get install` instructions keep using the lists of the day the cache was made, install outdated packages, or fail when the mirror has dropped those versions. Update and install in the same RUN (and remove `/var/lib/apt/lists/*` there too). Accepted: the RUN also installs or upgrades with apt-get, apt or aptitude, or calls a helper that installs (a program with `install` in its name or arguments). Fix: `RUN apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/*`.",
};

const APT: &[&str] = &["apt-get", "apt", "aptitude"];

impl Rule for AptUpdate {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }
    fn check(&self, df: &Dockerfile, _: &Context<'_>) -> Vec<Violation> {
        let mut out = Vec::new();
        for ins in &df.instructions {
            let mut update = None;
            let mut installs = false;
            for cmd in commands(ins) {
                let Some(prog) = program(cmd) else { continue };
                let s = sub(cmd);
                if APT.contains(&prog.as_str()) {
                    match s.as_deref() {
                        Some("update") => update = update.or(Some((cmd.span, prog))),
                        Some("install" | "upgrade" | "dist-upgrade" | "full-upgrade" | "build-dep" | "source" | "download" | "reinstall") => installs = true,
                        _ => {}
                    }
                } else if prog.contains("install") || cmd.arg_values().iter().any(|a| a.contains("install")) {
                    installs = true;
                }
            }
            if let (Some((span, prog)), false) = (update, installs) {
                out.push(Violation::with(span, format!("{prog} update without an install in the same RUN")));
            }
        }
        out
    }
}
