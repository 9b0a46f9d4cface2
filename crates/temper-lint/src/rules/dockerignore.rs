//! `dockerignore-missing` and `dockerignore-incomplete`: the build context
//! is everything beside the Dockerfile unless `.dockerignore` excludes it.
//! Without it, `COPY . .` puts `.git` (history, sometimes credentials in
//! its config), `.env` files and a host `node_modules` into the image, and
//! every build uploads them to the builder.
//!
//! Both rules report at line 1, column 1 of the Dockerfile (an empty span
//! at offset 0): the finding is about a file beside it. They skip when the
//! Dockerfile has no build context on disk (read from stdin).
//!
//! `dockerignore-incomplete` reads the patterns as Docker does: `#`
//! comments, a leading `/` or `./` dropped, `*`, `?`, `[…]` and `**`
//! globs, the last matching pattern winning and `!` re-including. It
//! requires `.git` and `.env` to be excluded, and `node_modules` when the
//! Dockerfile uses npm, yarn or pnpm or copies a `package.json`.

use temper_dockerfile::{Dockerfile, Span};

use super::util::{basename, commands, context_sources, glob_matches};
use crate::shell::program;
use crate::{Context, Rule, RuleMeta, Severity, Violation};

pub struct Missing;
pub struct Incomplete;

static MISSING: RuleMeta = RuleMeta {
    id: "dockerignore-missing",
    hadolint: None,
    severity: Severity::Info,
    message: "No .dockerignore beside the Dockerfile: the whole directory is the build context",
    hint: "Add a `.dockerignore` excluding at least `.git`, `.env*` and `node_modules` (or list what to include after `*`).",
    doc: "Without `.dockerignore`, the build context is the whole directory: every build sends it to the builder, and `COPY . .` puts `.git` (history, remotes with tokens), `.env` files with secrets, local `node_modules` and build outputs into the image. Reported at line 1 of the Dockerfile; skipped when the Dockerfile is read from stdin. Fix: a `.dockerignore` with `.git`, `.env*`, `node_modules`, `**/*.log` — or the allow-list style `*` followed by `!src` and `!package*.json`.",
};

static INCOMPLETE: RuleMeta = RuleMeta {
    id: "dockerignore-incomplete",
    hadolint: None,
    severity: Severity::Info,
    message: ".dockerignore does not exclude files that should never reach the image",
    hint: "Add the missing patterns to `.dockerignore` (`.git`, `.env*`, `node_modules`).",
    doc: "A `.dockerignore` that leaves out `.git` or `.env` still sends the repository history and local secrets to the builder, and `COPY . .` copies them into the image; a host `node_modules` overrides the one the image installs, with binaries built for another platform. The patterns are read as Docker reads them (globs, `**`, `!` re-includes, last match wins). `.git` and `.env` are always required; `node_modules` when the Dockerfile uses npm, yarn or pnpm or copies `package.json`. Reported at line 1 of the Dockerfile. Fix: add `.git`, `.env*` and `node_modules` lines.",
};

impl Rule for Missing {
    fn meta(&self) -> &'static RuleMeta {
        &MISSING
    }
    fn check(&self, _: &Dockerfile, cx: &Context<'_>) -> Vec<Violation> {
        if cx.build_context && cx.dockerignore.is_none() { vec![Violation::at(Span::new(0, 0))] } else { Vec::new() }
    }
}

impl Rule for Incomplete {
    fn meta(&self) -> &'static RuleMeta {
        &INCOMPLETE
    }
    fn check(&self, df: &Dockerfile, cx: &Context<'_>) -> Vec<Violation> {
        let (true, Some(text)) = (cx.build_context, cx.dockerignore) else { return Vec::new() };
        let patterns = parse(text);
        let mut wanted = vec![".git", ".env"];
        if uses_node(df) {
            wanted.push("node_modules");
        }
        let missing: Vec<&str> = wanted.into_iter().filter(|p| !excluded(&patterns, p)).collect();
        if missing.is_empty() {
            return Vec::new();
        }
        vec![Violation::with(Span::new(0, 0), format!(".dockerignore does not exclude {}", missing.join(", ")))]
    }
}

/// Whether the Dockerfile installs Node.js packages or copies a package.json.
fn uses_node(df: &Dockerfile) -> bool {
    df.instructions.iter().flat_map(commands).any(|c| matches!(program(c).as_deref(), Some("npm" | "yarn" | "pnpm" | "npx")))
        || df.instructions.iter().flat_map(context_sources).any(|w| glob_matches(basename(&w.value), "package.json"))
}

/// A pattern: re-includes (`!`) and its path components.
struct Pattern {
    include: bool,
    parts: Vec<String>,
}

/// The patterns of a `.dockerignore`, cleaned as Docker cleans them.
fn parse(text: &str) -> Vec<Pattern> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| {
            let (include, l) = match l.strip_prefix('!') {
                Some(rest) => (true, rest.trim()),
                None => (false, l),
            };
            let l = l.trim_start_matches("./").trim_start_matches('/');
            let parts: Vec<String> = l.split('/').filter(|p| !p.is_empty() && *p != ".").map(str::to_owned).collect();
            (!parts.is_empty()).then_some(Pattern { include, parts })
        })
        .collect()
}

/// Whether the top-level entry `name` (or everything in it) is excluded:
/// the last pattern that matches it decides.
fn excluded(patterns: &[Pattern], name: &str) -> bool {
    // `.git/*` empties the directory: as good as excluding it.
    let decides = |path: &[&str]| patterns.iter().rfind(|p| matches_path(&p.parts, path)).is_some_and(|p| !p.include);
    decides(&[name]) || decides(&[name, "x"])
}

/// Whether pattern components match path components (`**` spans any
/// number of components, including none).
fn matches_path(pattern: &[String], path: &[&str]) -> bool {
    match pattern.split_first() {
        None => path.is_empty(),
        Some((first, rest)) if first == "**" => (0..=path.len()).any(|k| matches_path(rest, path.get(k..).unwrap_or_default())),
        Some((first, rest)) => path.split_first().is_some_and(|(p, prest)| glob_matches(first, p) && matches_path(rest, prest)),
    }
}
