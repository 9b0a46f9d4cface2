//! The lint stage: rules over a parsed Dockerfile.
//!
//! # Flow
//! [`lint`] runs every [`Rule`] of [`rules::registry`] over a
//! [`temper_dockerfile::Dockerfile`] with a [`Context`] (the config, and
//! what the caller knows about the build context, such as the
//! `.dockerignore` beside the file). Each rule reports [`Violation`]s at
//! byte spans; [`lint`] drops those an inline comment on the line before
//! the instruction ignores (`# temper ignore=ID[,ID]`, `# hadolint
//! ignore=DL3008`), those a `# hadolint global ignore=DL3008,DL3013`
//! comment anywhere in the file turns off, and those the config turns off, applies severity overrides,
//! and returns [`Finding`]s with line and column, in source order.
//! `ONBUILD RUN` triggers are judged as the RUNs they become in the builds
//! `FROM` the image, at their own lines.
//!
//! Rules are one file each under `rules/`, listed once in
//! [`rules::registry`]; a rule that matches a hadolint rule names it in
//! [`RuleMeta::hadolint`], so users keep their ignore lists and results can
//! be compared.
//!
//! This crate never reads files: the caller hands it the parsed
//! Dockerfile and the `.dockerignore` text.

pub mod config;
pub mod rules;
pub mod shell;

use serde::Serialize;
use temper_dockerfile::{Dockerfile, Instruction, InstructionKind, Span};

pub use config::Config;

/// How serious a finding is, in hadolint's levels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Taste and readability.
    Style,
    /// Worth knowing.
    Info,
    /// Likely a problem.
    Warning,
    /// A defect or a security problem.
    Error,
}

impl Severity {
    /// Every severity, least first.
    pub const ALL: [Severity; 4] = [Severity::Style, Severity::Info, Severity::Warning, Severity::Error];

    /// The lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Style => "style",
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

impl std::str::FromStr for Severity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Severity::ALL
            .into_iter()
            .find(|v| v.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| format!("unknown severity '{s}' (error, warning, info, style)"))
    }
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.as_str())
    }
}

/// What a rule is, for reports and `docs/rules.md`.
#[derive(Clone, Copy, Debug)]
pub struct RuleMeta {
    /// Stable id, kebab-case (`apt-get-no-install-recommends`).
    pub id: &'static str,
    /// The hadolint rule it matches (`DL3015`), if any.
    pub hadolint: Option<&'static str>,
    /// Default severity.
    pub severity: Severity,
    /// One line: what is wrong.
    pub message: &'static str,
    /// One line: how to fix it.
    pub hint: &'static str,
    /// A paragraph: why it matters, what it accepts, and an example fix
    /// (Markdown, for `docs/rules.md`).
    pub doc: &'static str,
}

/// One place a rule fires.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// The bytes it is about (a flag, a word, a shell argument, an instruction).
    pub span: Span,
    /// A message naming the specifics (`apt-get install curl without a
    /// version`); the rule's own message when `None`.
    pub message: Option<String>,
}

impl Violation {
    /// A violation at `span` with the rule's message.
    pub fn at(span: Span) -> Self {
        Violation { span, message: None }
    }
    /// A violation at `span` with its own message.
    pub fn with(span: Span, message: impl Into<String>) -> Self {
        Violation { span, message: Some(message.into()) }
    }
}

/// What rules may look at besides the Dockerfile.
#[derive(Clone, Copy, Debug)]
pub struct Context<'a> {
    /// Severity overrides, ignored ids, trusted registries.
    pub config: &'a Config,
    /// The `.dockerignore` beside the Dockerfile: `None` when it is
    /// missing, `Some(text)` when present; rules about it skip when the
    /// Dockerfile came from stdin ([`Context::build_context`] false).
    pub dockerignore: Option<&'a str>,
    /// Whether the Dockerfile has a build context on disk (false for stdin).
    pub build_context: bool,
}

/// One lint rule: registered in [`rules::registry`], one file each.
pub trait Rule: Sync {
    /// What the rule is.
    fn meta(&self) -> &'static RuleMeta;
    /// Every violation in `df`.
    fn check(&self, df: &Dockerfile, cx: &Context<'_>) -> Vec<Violation>;
}

/// A reported finding.
#[derive(Clone, Debug, Serialize)]
pub struct Finding {
    /// The rule's id.
    pub rule: &'static str,
    /// The hadolint id, when the rule matches one.
    pub hadolint: Option<&'static str>,
    /// Severity after config overrides.
    pub severity: Severity,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub hint: &'static str,
    /// Byte span in the source.
    #[serde(skip)]
    pub span: Span,
    /// 1-based line and column (in characters) of the start.
    pub line: usize,
    /// 1-based column of the start.
    pub column: usize,
    /// 1-based line of the end.
    pub end_line: usize,
    /// 1-based column just past the end.
    pub end_column: usize,
}

/// Ids a `# temper ignore=` or `# hadolint ignore=` comment on the line
/// before `offset` names.
fn inline_ignores(source: &str, offset: usize) -> Vec<String> {
    let line_start = source[..offset.min(source.len())].rfind('\n').map_or(0, |i| i + 1);
    if line_start == 0 {
        return Vec::new();
    }
    let before = &source[..line_start - 1];
    let prev = before.rsplit('\n').next().unwrap_or(before);
    pragma_ids(prev, false).unwrap_or_default()
}

/// Ids every `# hadolint global ignore=…` (or `# temper global ignore=…`)
/// comment in the file names: hadolint reads them anywhere in the file and
/// applies them to all of it.
fn global_ignores(source: &str) -> Vec<String> {
    source.lines().filter_map(|l| pragma_ids(l, true)).flatten().collect()
}

/// The ids of an ignore pragma line (`# hadolint ignore=DL3008,DL3013`;
/// with `global`, `# hadolint global ignore=…`), if it is one.
fn pragma_ids(line: &str, global: bool) -> Option<Vec<String>> {
    let comment = line.trim().strip_prefix('#')?.trim();
    let mut rest = comment.strip_prefix("temper").or_else(|| comment.strip_prefix("hadolint"))?.trim_start();
    if global {
        rest = rest.strip_prefix("global")?.trim_start();
    }
    let ids = rest.strip_prefix("ignore")?.trim_start().strip_prefix('=')?;
    Some(ids.split([',', ' ']).map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect())
}

/// The instruction `span` starts in: instructions are in source order and
/// do not overlap, so it is the last one starting at or before it (a
/// binary search, so many findings stay linear).
fn containing(df: &Dockerfile, span: Span) -> Option<&Instruction> {
    let i = df.instructions.partition_point(|i| i.span.start <= span.start);
    i.checked_sub(1).and_then(|i| df.instructions.get(i)).filter(|i| span.start < i.span.end.max(i.span.start + 1))
}

/// `df` with each `ONBUILD RUN …` replaced by its RUN, when it has any:
/// the trigger runs in every build `FROM` this image, so the rules about
/// RUN (pip, apt, apk…) judge it as a RUN at its own place in the source.
/// The stages' instruction ranges are unchanged.
fn onbuild_runs(df: &Dockerfile) -> Option<Dockerfile> {
    let is_trigger = |i: &Instruction| matches!(&i.kind, InstructionKind::Onbuild(inner) if matches!(inner.kind, InstructionKind::Run(_)));
    if !df.instructions.iter().any(is_trigger) {
        return None;
    }
    let mut view = df.clone();
    for ins in &mut view.instructions {
        if let InstructionKind::Onbuild(inner) = &ins.kind
            && matches!(inner.kind, InstructionKind::Run(_))
        {
            // The RUN belongs to no stage of this build (`stage` stays
            // `None`): it is not merged with the stage's own RUNs.
            *ins = (**inner).clone();
        }
    }
    Some(view)
}

/// Runs every rule over `df`, applying inline ignores and the config.
pub fn lint(df: &Dockerfile, cx: &Context<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    // The ignore comment of each place looked up once: reading it scans the
    // line before, which may be long, and one instruction may have
    // thousands of violations.
    let mut ignores: std::collections::HashMap<usize, Vec<String>> = std::collections::HashMap::new();
    let global = global_ignores(df.source());
    let triggers = onbuild_runs(df);
    for rule in rules::registry() {
        let meta = rule.meta();
        if cx.config.is_ignored(meta) || global.iter().any(|id| id == meta.id || Some(id.as_str()) == meta.hadolint) {
            continue;
        }
        let severity = cx.config.severity(meta);
        let mut found = rule.check(df, cx);
        if let Some(view) = &triggers {
            let extra: Vec<Violation> =
                rule.check(view, cx).into_iter().filter(|v| containing(df, v.span).is_some_and(|i| matches!(i.kind, InstructionKind::Onbuild(_))) && !found.contains(v)).collect();
            found.extend(extra);
        }
        for v in found {
            // The instruction the violation is in decides the ignore comment.
            let at = containing(df, v.span).map_or(v.span.start, |i| i.span.start);
            let ignored = ignores.entry(at).or_insert_with(|| inline_ignores(df.source(), at));
            if ignored.iter().any(|id| id == meta.id || Some(id.as_str()) == meta.hadolint) {
                continue;
            }
            let (start, end) = (df.position(v.span.start), df.position(v.span.end));
            out.push(Finding {
                rule: meta.id,
                hadolint: meta.hadolint,
                severity,
                message: v.message.unwrap_or_else(|| meta.message.to_owned()),
                hint: meta.hint,
                span: v.span,
                line: start.line,
                column: start.column,
                end_line: end.line,
                end_column: end.column,
            });
        }
    }
    out.sort_by(|a, b| (a.span.start, a.rule).cmp(&(b.span.start, b.rule)));
    out
}

/// `docs/rules.md`: every rule with its id, hadolint id, default severity,
/// message, fix and documentation, generated from the registry (a test
/// keeps the committed file equal to this).
pub fn rules_markdown() -> String {
    use std::fmt::Write as _;
    let mut out = String::from(
        "# `temper lint` rules\n\nGenerated from `crates/temper-lint/src/rules/` (one file per rule); do not edit by hand.\n\
         A rule that matches a hadolint rule accepts its id too, in `# hadolint ignore=` comments and in `.temper.toml`.\n\n\
         | rule | hadolint | severity | finds |\n|---|---|---|---|\n",
    );
    let registry = rules::registry();
    for r in &registry {
        let m = r.meta();
        let _ = writeln!(out, "| [`{}`](#{}) | {} | {} | {} |", m.id, m.id, m.hadolint.unwrap_or("–"), m.severity.as_str(), m.message.replace('|', "\\|"));
    }
    for r in &registry {
        let m = r.meta();
        let _ = write!(out, "\n## {}\n\n", m.id);
        let hadolint = m.hadolint.map_or(String::new(), |h| format!(" · hadolint {h}"));
        let _ = write!(out, "Severity {}{hadolint}\n\n**{}** {}\n\n{}\n", m.severity.as_str(), m.message, m.hint, m.doc);
    }
    out
}
