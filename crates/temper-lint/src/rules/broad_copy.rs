//! `broad-copy-before-install`: `COPY . .` before a dependency install in
//! the same stage. Every source change invalidates the COPY layer and so
//! the install after it: each build downloads all dependencies again.
//! Copying the manifest and lockfile first, installing, then copying the
//! rest keeps the install cached until the dependencies change.
//!
//! Whole-context copies are `.`, `./`, `*` and `./*` from the build
//! context (not `COPY --from`). Dependency installs are those that only
//! need the manifest: `npm ci`, `npm install` without packages, `yarn
//! install`, `pnpm install`, `pip install -r`, `poetry install`, `pipenv
//! install`, `uv sync`, `bundle install`, `go mod download`, `composer
//! install`, `mvn dependency:go-offline`, `cargo fetch`. Builds such as
//! `cargo build` or `go build` need the sources and are accepted. One
//! finding per COPY, naming the first install after it.

use temper_dockerfile::Dockerfile;

use super::util::{commands, context_sources, dependency_install, is_whole_context};
use crate::{Context, Rule, RuleMeta, Severity, Violation};

pub struct BroadCopy;

static META: RuleMeta = RuleMeta {
    id: "broad-copy-before-install",
    hadolint: None,
    severity: Severity::Info,
    message: "The whole build context is copied before the dependency install",
    hint: "Copy the manifest and lockfile first (`COPY package.json package-lock.json ./`), install, then `COPY . .`.",
    doc: "Docker caches a layer until its inputs change. `COPY . .` changes with every edit to any file, so a dependency install after it runs again on every build, even when the dependencies did not change. Copy only the files the install reads, install, then copy the sources. The rule fires on a whole-context COPY (`.`, `./`, `*`) followed in the same stage by `npm ci`, `npm install`, `yarn install`, `pnpm install`, `pip install -r`, `poetry install`, `pipenv install`, `uv sync`, `bundle install`, `go mod download`, `composer install`, `mvn dependency:go-offline` or `cargo fetch`; builds that need the sources anyway are accepted. Fix: `COPY requirements.txt .` / `RUN pip install -r requirements.txt` / `COPY . .`.",
};

impl Rule for BroadCopy {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }
    fn check(&self, df: &Dockerfile, _: &Context<'_>) -> Vec<Violation> {
        let mut out = Vec::new();
        for stage in &df.stages {
            let first = out.len();
            let instructions = df.stage_instructions(stage);
            if !instructions.iter().any(|i| context_sources(i).iter().any(|w| is_whole_context(&w.value))) {
                continue;
            }
            // Backwards, carrying the first install after the instruction, so
            // each command is read once however many COPYs there are.
            let mut install_after: Option<String> = None;
            for ins in instructions.iter().rev() {
                if let Some(src) = context_sources(ins).into_iter().find(|w| is_whole_context(&w.value))
                    && let Some(install) = &install_after
                {
                    out.push(Violation::with(src.span, format!("`{} {}` copies the whole context before `{install}`", ins.keyword, src.text)));
                }
                if let Some(first) = commands(ins).find_map(dependency_install) {
                    install_after = Some(first);
                }
            }
            out[first..].reverse();
        }
        out
    }
}
