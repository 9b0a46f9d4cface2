//! `npm-install-instead-of-ci`: `npm install` without packages resolves
//! the dependency ranges of `package.json` again and may rewrite the
//! lockfile, so two builds of the same commit can get different
//! dependencies. `npm ci` installs exactly what the lockfile says and fails
//! when it disagrees with `package.json`.
//!
//! It fires only where `npm ci` would work: when an earlier COPY or ADD
//! of the stage (or of the stages it is built from) brings in
//! `package-lock.json` or `npm-shrinkwrap.json`, by name or by a glob
//! such as `package*.json`, or copies the whole context (`COPY . .`).
//! `npm install <pkg>` and `npm install -g …` install named packages and
//! are accepted.

use temper_dockerfile::{Dockerfile, Instruction};

use super::util::{basename, commands, context_sources, glob_matches, is_global, is_whole_context, npm_packages, set_before, sub};
use crate::shell::program;
use crate::{Context, Rule, RuleMeta, Severity, Violation};

pub struct NpmCi;

static META: RuleMeta = RuleMeta {
    id: "npm-install-instead-of-ci",
    hadolint: None,
    severity: Severity::Info,
    message: "npm install where npm ci installs the lockfile exactly",
    hint: "Use `npm ci` (with `--omit=dev` for production) to install exactly what package-lock.json records.",
    doc: "`npm install` re-resolves the version ranges of `package.json` and may update `package-lock.json`, so the image can contain dependencies nobody tested. `npm ci` installs the lockfile as it is, fails when it is out of date, and starts from a clean `node_modules`. The rule fires only when the lockfile is in the build (an earlier `COPY package-lock.json`, `COPY package*.json ./`, `COPY npm-shrinkwrap.json` or `COPY . .` of the stage); `npm install <package>` and `npm install -g <package>` are accepted. Fix: `COPY package.json package-lock.json ./` then `RUN npm ci --omit=dev`.",
};

impl Rule for NpmCi {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }
    fn check(&self, df: &Dockerfile, _: &Context<'_>) -> Vec<Violation> {
        let mut out = Vec::new();
        // Which instructions have the lockfile copied before them, worked out
        // once on the first `npm install` (one pass, not one per install).
        let mut copied: Option<Vec<bool>> = None;
        for (index, ins) in df.instructions.iter().enumerate() {
            for cmd in commands(ins) {
                if program(cmd).as_deref() != Some("npm") || !matches!(sub(cmd).as_deref(), Some("install" | "i" | "isntall")) {
                    continue;
                }
                if is_global(cmd) || !npm_packages(cmd).is_empty() {
                    continue;
                }
                if copied.get_or_insert_with(|| set_before(df, copies_lockfile)).get(index).copied().unwrap_or(false) {
                    out.push(Violation::at(cmd.span));
                }
            }
        }
        out
    }
}

/// Whether a COPY/ADD brings in an npm lockfile.
fn copies_lockfile(ins: &Instruction) -> bool {
    context_sources(ins).into_iter().any(|w| {
        let src = w.value.as_str();
        is_whole_context(src) || ["package-lock.json", "npm-shrinkwrap.json"].iter().any(|lock| glob_matches(basename(src), lock))
    })
}
