//! `dev-dependencies-in-final-stage`: a Node.js package install in the
//! final image that includes devDependencies (test runners, bundlers,
//! type definitions): a bigger image with more code that can be
//! vulnerable, none of it needed at run time.
//!
//! It looks at `npm ci`, `npm install` (without packages), `yarn` /
//! `yarn install` and `pnpm install` in the final stage and the stages it
//! is built from. Accepted: `--omit=dev`, `--only=prod[uction]`,
//! `--production`, `--prod`, `-P`; `NODE_ENV=production` set by `ENV` or
//! `ARG` before it, inline (`NODE_ENV=production npm ci`) or by `export`
//! in the same RUN; and a later `npm prune --omit=dev` / `--production`
//! (or `yarn`/`pnpm` equivalents) in the final image. Earlier stages are
//! free to install everything: that is what build stages are for.

use temper_dockerfile::{Dockerfile, Instruction, InstructionKind, SimpleCommand};

use super::util::{commands, final_instructions, is_global, npm_packages, sub, yarn_query};
use crate::shell::program;
use crate::{Context, Rule, RuleMeta, Severity, Violation};

pub struct DevDeps;

static META: RuleMeta = RuleMeta {
    id: "dev-dependencies-in-final-stage",
    hadolint: None,
    severity: Severity::Info,
    message: "Dependencies are installed with devDependencies in the final stage",
    hint: "Install production dependencies only (`npm ci --omit=dev`, `yarn install --production`, `pnpm install --prod`) or set `ENV NODE_ENV=production`; build in an earlier stage.",
    doc: "devDependencies (compilers, bundlers, test frameworks, type definitions) are needed to build, not to run: shipping them makes the final image larger and adds packages that scanners will report and attackers can use. Install them in a build stage and only production dependencies in the final one. Accepted: `--omit=dev`, `--only=production`, `--production`, `--prod`/`-P`, `NODE_ENV=production` (ENV, ARG, inline or exported before the install) and a later `npm prune --omit=dev` in the final image. Fix: `FROM node:20 AS build` … `RUN npm ci && npm run build`, then `FROM node:20-slim`, `COPY package*.json ./`, `RUN npm ci --omit=dev`, `COPY --from=build /app/dist ./dist`.",
};

impl Rule for DevDeps {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }
    fn check(&self, df: &Dockerfile, _: &Context<'_>) -> Vec<Violation> {
        let instructions = final_instructions(df);
        let mut production_env = false;
        let mut found: Vec<(usize, &SimpleCommand)> = Vec::new();
        for (n, ins) in instructions.iter().enumerate() {
            if sets_production(ins) {
                production_env = true;
            }
            if production_env {
                continue;
            }
            let mut exported = false;
            for cmd in commands(ins) {
                if program(cmd).as_deref() == Some("export") && cmd.arg_values().iter().any(|a| is_production_assignment(a)) {
                    exported = true;
                }
                if !exported && full_install(cmd) {
                    found.push((n, cmd));
                }
            }
        }
        // A prune in the same or a later instruction removes what the
        // install brought in: only installs after the last prune remain.
        let last_prune = if found.is_empty() { None } else { instructions.iter().rposition(|i| commands(i).any(is_prune)) };
        found
            .into_iter()
            .filter(|(n, _)| last_prune.is_none_or(|p| p < *n))
            .map(|(_, cmd)| Violation::at(cmd.span))
            .collect()
    }
}

/// `NODE_ENV=production` (quotes removed).
fn is_production_assignment(a: &str) -> bool {
    a.split_once('=').is_some_and(|(k, v)| k == "NODE_ENV" && v.trim_matches(['"', '\'']).eq_ignore_ascii_case("production"))
}

/// ENV or ARG setting `NODE_ENV=production`.
fn sets_production(ins: &Instruction) -> bool {
    match &ins.kind {
        InstructionKind::Env(kvs) => kvs.iter().any(|kv| kv.key.value == "NODE_ENV" && kv.value.value.eq_ignore_ascii_case("production")),
        InstructionKind::Arg(decls) => {
            decls.iter().any(|d| d.name.value == "NODE_ENV" && d.default.as_ref().is_some_and(|v| v.value.eq_ignore_ascii_case("production")))
        }
        _ => false,
    }
}

/// An install of everything in package.json, devDependencies included.
fn full_install(cmd: &SimpleCommand) -> bool {
    let Some(prog) = program(cmd) else { return false };
    let s = sub(cmd);
    let installs = match (prog.as_str(), s.as_deref()) {
        ("npm", Some("ci")) => true,
        ("npm", Some("install" | "i" | "isntall")) => !is_global(cmd) && npm_packages(cmd).is_empty(),
        ("yarn", None | Some("install")) if !yarn_query(cmd) => true,
        ("pnpm", Some("install" | "i")) => true,
        _ => false,
    };
    installs && !cmd.assignments.iter().any(|a| is_production_assignment(&a.unquoted())) && !production_flag(cmd)
}

/// `--omit=dev`, `--omit dev`, `--only=prod…`, `--production`, `--prod`, `-P`.
fn production_flag(cmd: &SimpleCommand) -> bool {
    let args = cmd.arg_values();
    args.iter().enumerate().any(|(i, a)| {
        let value = a.split_once('=').map(|(_, v)| v.to_owned()).or_else(|| args.get(i + 1).cloned()).unwrap_or_default();
        match a.split('=').next().unwrap_or(a) {
            "--omit" => value == "dev",
            "--only" => value.starts_with("prod"),
            "--production" | "--prod" => !a.ends_with("=false"),
            "-P" => true,
            _ => false,
        }
    })
}

/// `npm prune --omit=dev`/`--production`, `yarn install --production`
/// run later, `pnpm prune --prod`.
fn is_prune(cmd: &SimpleCommand) -> bool {
    matches!(program(cmd).as_deref(), Some("npm" | "pnpm" | "yarn")) && sub(cmd).as_deref() == Some("prune") && production_flag(cmd)
        || (program(cmd).as_deref() == Some("yarn") && matches!(sub(cmd).as_deref(), Some("workspaces")) && production_flag(cmd))
}
