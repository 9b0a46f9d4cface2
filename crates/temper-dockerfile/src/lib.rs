//! Dockerfiles, parsed as BuildKit reads them, for `temper lint`.
//!
//! [`parse`] turns source text into a [`Dockerfile`]: parser
//! [`Directive`]s, a flat list of [`Instruction`]s (keyword, [`Flag`]s,
//! typed arguments in [`InstructionKind`], [`Heredoc`]s) and the
//! [`Stage`]s they form. Every node keeps its byte [`Span`] in the source,
//! so a rule can point at a flag, a word, a heredoc body or a single shell
//! argument. Arguments are [`Word`]s carrying both the text as written and
//! the value BuildKit would use after quote removal and ARG/ENV expansion
//! with BuildKit's scoping. RUN bodies are parsed as shell into a
//! [`ShellScript`]: a flat list of [`SimpleCommand`]s with their words,
//! pipeline places and list operators; in Windows stages (a backtick
//! escape directive, a Windows base image, a `SHELL` of PowerShell or cmd)
//! they are [`Script::NotShell`], never read as POSIX shell.
//!
//! What BuildKit refuses is a [`ParseError`] with line and column: an
//! unknown instruction, an unterminated heredoc, a bad flag. What BuildKit
//! runs anyway is not: a RUN body the shell parser cannot read keeps its
//! text and carries a [`Script::Failed`] diagnostic, since BuildKit never
//! parses shell itself; empty continuation lines and failing expansions
//! are [`Diagnostic`]s.
//!
//! # Why the Dockerfile layer is written here
//!
//! The `parse-dockerfile` crate (0.1.9) was tried first and falls short of
//! what rules need: it refuses `ENTRYPOINT []` (used by the official tomcat
//! images), does not see heredocs unless RUN starts with one (`RUN cat
//! <<EOF > file` is common), keeps ENV, ARG and LABEL arguments as one
//! string without per-pair spans, and hands shell-form bodies back raw with
//! continuations and comments, so an offset map would need a second lexer
//! anyway. Shell is not written here: brush-parser reads it.
//!
//! # Limits
//!
//! Input is untrusted. Sources over [`MAX_SOURCE_LEN`] and files with more
//! than [`MAX_HEREDOCS`] heredocs are refused; expansion output and nesting
//! are capped; nothing recurses on input depth without a bound.
//!
//! This crate never reads files, runs commands or touches the network: it
//! gets text and returns a model.
//!
//! ```
//! let df = temper_dockerfile::parse("FROM alpine AS base\nRUN apk add curl && rm -rf /var/cache/apk\n").unwrap();
//! let run = &df.instructions[1];
//! let script = run.scripts().next().and_then(|s| s.parsed()).unwrap();
//! let apk = script.commands_named("apk").next().unwrap();
//! assert_eq!(apk.args[1].span.text(df.source()), "curl");
//! assert_eq!(df.stages[0].name.as_deref(), Some("base"));
//! ```

mod error;
mod expand;
mod lines;
mod model;
mod parse;
mod resolve;
pub mod shell;
mod span;

pub use error::{ErrorKind, ParseError};
pub use lines::Directive;
pub use model::{
    ArgDecl, Base, Command, CopyArgs, Diagnostic, Flag, From, Healthcheck, Heredoc, Instruction, InstructionKind, KeyValue,
    Mount, MountOption, ShellForm, Source, Stage, Word,
};
pub use shell::{parse_shell, ListOp, Redirect, Script, ShellDiagnostic, ShellScript, ShellWord, SimpleCommand};
pub use span::{LineIndex, Position, Span};

/// The largest source accepted, in bytes.
pub const MAX_SOURCE_LEN: usize = 4 << 20;
/// The most heredocs accepted in one file.
pub const MAX_HEREDOCS: usize = 1024;

/// A parsed Dockerfile.
#[derive(Debug, Clone)]
pub struct Dockerfile {
    source: String,
    lines: LineIndex,
    /// Parser directives at the top (`syntax`, `escape`, `check`).
    pub directives: Vec<Directive>,
    /// The escape character: `\` or `` ` ``.
    pub escape: char,
    /// Every instruction in source order, global ARGs first.
    pub instructions: Vec<Instruction>,
    /// The stages in order.
    pub stages: Vec<Stage>,
    /// Things BuildKit accepts but may warn or fail on later.
    pub diagnostics: Vec<Diagnostic>,
}

impl Dockerfile {
    /// The source text that was parsed.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Line and column of a byte offset.
    pub fn position(&self, offset: usize) -> Position {
        self.lines.position(&self.source, offset)
    }

    /// The source text under a span.
    pub fn text(&self, span: Span) -> &str {
        span.text(&self.source)
    }

    /// The directive named `name` (lowercase), if given.
    pub fn directive(&self, name: &str) -> Option<&Directive> {
        self.directives.iter().find(|d| d.name == name)
    }

    /// The ARGs before the first FROM.
    pub fn global_args(&self) -> impl Iterator<Item = &Instruction> {
        self.instructions.iter().take_while(|i| i.stage.is_none())
    }

    /// The stage named `name` (case-insensitive), if any.
    pub fn stage(&self, name: &str) -> Option<&Stage> {
        let name = name.to_ascii_lowercase();
        self.stages.iter().find(|s| s.name.as_deref() == Some(name.as_str()))
    }

    /// A stage's instructions, FROM excluded.
    pub fn stage_instructions(&self, stage: &Stage) -> &[Instruction] {
        self.instructions.get(stage.instructions.clone()).unwrap_or_default()
    }

    /// Every parsed shell command with the instruction it is in, ONBUILD
    /// triggers excluded (they run in another build).
    pub fn shell_commands(&self) -> impl Iterator<Item = (&Instruction, &SimpleCommand)> {
        self.instructions
            .iter()
            .flat_map(|i| i.scripts().filter_map(Script::parsed).flat_map(move |s| s.commands.iter().map(move |c| (i, c))))
    }
}

/// Whether an image reference names a Windows base image: Microsoft's
/// `mcr.microsoft.com/windows/…` repositories, or a Nano Server or Server
/// Core variant of any image (`mcr.microsoft.com/dotnet/runtime:8.0-nanoserver-ltsc2022`,
/// `python:3.12-windowsservercore`). RUN in a stage built on one is run by
/// `cmd`, not a POSIX shell.
pub fn windows_image(reference: &str) -> bool {
    let r = reference.to_ascii_lowercase();
    r.starts_with("mcr.microsoft.com/windows") || r.contains("nanoserver") || r.contains("servercore")
}

/// Parse a Dockerfile.
pub fn parse(source: &str) -> Result<Dockerfile, ParseError> {
    let lines = LineIndex::new(source);
    let fail = |(kind, span): (ErrorKind, Span)| ParseError { kind, span, position: lines.position(source, span.start) };
    if source.len() > MAX_SOURCE_LEN {
        return Err(fail((ErrorKind::TooLarge { len: source.len(), max: MAX_SOURCE_LEN }, Span::default())));
    }
    let mut p = parse::Parser::new(source).map_err(fail)?;
    let mut instructions = Vec::new();
    while let Some(ins) = p.next_instruction().map_err(fail)? {
        instructions.push(ins);
    }
    let mut diagnostics = std::mem::take(&mut p.diagnostics);
    let stages = resolve::resolve(&mut instructions, p.escape(), &mut diagnostics).map_err(fail)?;
    Ok(Dockerfile {
        directives: p.directives().to_vec(),
        escape: p.escape() as char,
        source: source.to_string(),
        lines,
        instructions,
        stages,
        diagnostics,
    })
}
