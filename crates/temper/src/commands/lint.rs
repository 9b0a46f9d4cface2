//! `temper lint`: Dockerfiles found, read, parsed and linted; a verdict by
//! `--failure-threshold`.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, Result, anyhow};
use serde::Serialize;
use temper_lint::{Config, Finding, Severity};

use temper_cli::{LintArgs, LintFormat};
use temper_verdict::FailOn;

use super::emit;
use crate::exit::Verdict;
use crate::render;

/// One linted file.
#[derive(Debug, Serialize)]
pub struct LintedFile {
    /// The path as given or found (`-` for stdin).
    pub file: String,
    /// Its text.
    #[serde(skip)]
    pub source: String,
    /// Its findings, in source order; a file that does not parse has one,
    /// `syntax-error`, at the place BuildKit would stop.
    pub findings: Vec<Finding>,
}

/// The rule id of a file that does not parse.
pub const SYNTAX_ERROR: &str = "syntax-error";

/// Directory names never searched for Dockerfiles.
const SKIPPED_DIRS: [&str; 4] = [".git", "node_modules", "target", ".venv"];
/// Extensions of files named like Dockerfiles that are not (docs, templates).
const NOT_DOCKERFILES: [&str; 12] = ["md", "txt", "rst", "template", "tmpl", "j2", "erb", "sh", "py", "json", "yml", "yaml"];

/// Whether a file found in a directory is a Dockerfile by its name:
/// `Dockerfile`, `Containerfile`, `Dockerfile.prod`, `app.Dockerfile`.
fn is_dockerfile_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    let ext = lower.rsplit_once('.').map(|(_, e)| e);
    if ext.is_some_and(|e| NOT_DOCKERFILES.contains(&e)) || lower.ends_with(".dockerignore") {
        return false;
    }
    lower.ends_with("dockerfile") || lower.ends_with("containerfile") || lower.starts_with("dockerfile.") || lower.starts_with("containerfile.")
}

fn find(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir).with_context(|| dir.display().to_string())?.collect::<std::io::Result<_>>().with_context(|| dir.display().to_string())?;
    entries.sort_by_key(std::fs::DirEntry::file_name);
    for e in entries {
        let name = e.file_name().to_string_lossy().into_owned();
        let kind = e.file_type().with_context(|| e.path().display().to_string())?;
        if kind.is_dir() && !SKIPPED_DIRS.contains(&name.as_str()) {
            find(&e.path(), out)?;
        } else if kind.is_file() && is_dockerfile_name(&name) {
            out.push(e.path());
        }
    }
    Ok(())
}

/// The `.dockerignore` BuildKit would use for `dockerfile`: `NAME.dockerignore`
/// beside it, else `.dockerignore` in its directory.
fn dockerignore(dockerfile: &Path) -> Result<Option<String>> {
    let dir = dockerfile.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let specific = dockerfile.file_name().map(|n| dir.join(format!("{}.dockerignore", n.to_string_lossy())));
    for candidate in specific.into_iter().chain([dir.join(".dockerignore")]) {
        match std::fs::read(&candidate) {
            Ok(bytes) => return Ok(Some(String::from_utf8_lossy(&bytes).into_owned())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(anyhow!("{}: {e}", candidate.display())),
        }
    }
    Ok(None)
}

/// Lints one file's text.
fn lint_source(file: String, source: String, config: &Config, ignore: Option<&str>, build_context: bool) -> LintedFile {
    let findings = match temper_dockerfile::parse(&source) {
        Ok(df) => temper_lint::lint(&df, &temper_lint::Context { config, dockerignore: ignore, build_context }),
        Err(e) => {
            vec![Finding {
                rule: SYNTAX_ERROR,
                hadolint: Some("DL1000"),
                severity: Severity::Error,
                message: e.kind.to_string(),
                hint: "BuildKit refuses this Dockerfile; fix the syntax first.",
                span: e.span,
                line: e.position.line,
                column: e.position.column,
                end_line: e.position.line,
                end_column: e.position.column,
            }]
        }
    };
    LintedFile { file, source, findings }
}

pub fn run(args: &LintArgs) -> Result<ExitCode> {
    let threshold = FailOn::<Severity>::parse(&args.failure_threshold, "--failure-threshold")?;
    let config = temper_verdict::config::load(args.config.as_deref())?.lint;
    let mut files = Vec::new();
    for path in &args.paths {
        if path.as_os_str() == "-" {
            let mut text = String::new();
            std::io::stdin().read_to_string(&mut text).context("stdin")?;
            files.push(lint_source("-".to_owned(), text, &config, None, false));
            continue;
        }
        let mut found = Vec::new();
        if path.is_dir() {
            find(path, &mut found)?;
            if found.is_empty() {
                return Err(anyhow!("{}: no Dockerfile in this directory", path.display()));
            }
        } else {
            found.push(path.clone());
        }
        for f in found {
            let bytes = std::fs::read(&f).with_context(|| f.display().to_string())?;
            let text = String::from_utf8(bytes).map_err(|_| anyhow!("{}: not UTF-8 text", f.display()))?;
            let ignore = dockerignore(&f)?;
            files.push(lint_source(f.display().to_string(), text, &config, ignore.as_deref(), true));
        }
    }
    let text = match args.format {
        LintFormat::Tty => render::lint::tty(&files, args.output.is_none() && crate::term::color()),
        LintFormat::Json => serde_json::to_string_pretty(&render::lint::json(&files))? + "\n",
        LintFormat::Sarif => serde_json::to_string_pretty(&render::lint::sarif(&files))? + "\n",
        LintFormat::Checkstyle => render::lint::checkstyle(&files),
        LintFormat::Junit => render::lint::junit(&files),
    };
    emit(args.output.as_deref(), &text)?;
    let failing = files.iter().flat_map(|f| &f.findings).filter(|f| threshold.fails(f.severity)).count();
    let mut verdict = Verdict::new(args.exit_code);
    if let (true, Some(t)) = (failing > 0, threshold.level()) {
        verdict.fail(format!("{failing} finding(s) at or above --failure-threshold {}", t.as_str()));
    }
    Ok(verdict.finish())
}
