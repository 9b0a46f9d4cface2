//! The parsed Dockerfile: instructions, their flags and arguments, each
//! with its byte span into the source.

use crate::shell::Script;
use crate::span::Span;

/// One argument, flag value, key or value, as written and as BuildKit
/// would use it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    /// The text as written, continuations joined (JSON strings decoded).
    pub text: String,
    /// What BuildKit uses: quotes and escapes removed and variables
    /// expanded, for the instructions where BuildKit expands (ADD, ARG,
    /// COPY, ENV, EXPOSE, FROM, LABEL, STOPSIGNAL, USER, VOLUME, WORKDIR and
    /// flag values); the same as `text` elsewhere. A variable with no value
    /// known without `--build-arg` stays as written (see `unresolved`).
    pub value: String,
    /// Where it is in the source.
    pub span: Span,
    /// Variables referenced whose value is not known here, in order.
    pub unresolved: Vec<String>,
}

impl Word {
    pub(crate) fn new(text: String, span: Span) -> Self {
        Self { value: text.clone(), text, span, unresolved: Vec::new() }
    }
}

/// An instruction flag such as `--platform=linux/amd64` or `--link`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flag {
    /// The name without the dashes, e.g. `mount`.
    pub name: String,
    /// The name's span (after the dashes).
    pub name_span: Span,
    /// The value after `=`, if any.
    pub value: Option<Word>,
    /// The whole flag, dashes to the end of the value.
    pub span: Span,
    /// For `--mount`, the mount's options.
    pub mount: Option<Mount>,
}

/// A `RUN --mount=…` value split into its comma-separated options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mount {
    /// The mount type: `bind` (the default), `cache`, `tmpfs`, `secret`,
    /// `ssh`, or whatever else was written, lowercased.
    pub kind: String,
    /// Every option in order, `type` included.
    pub options: Vec<MountOption>,
}

impl Mount {
    /// The value of the first option named `key` (lowercase); `Some("")`
    /// for an option written without a value (e.g. `readonly`).
    pub fn get(&self, key: &str) -> Option<&str> {
        self.options.iter().find(|o| o.key == key).map(|o| o.value.as_deref().unwrap_or(""))
    }
}

/// One `key=value` (or bare `key`) of a mount.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MountOption {
    /// The key, lowercased.
    pub key: String,
    /// The value, if written with `=`.
    pub value: Option<String>,
    /// Where the option is (the whole flag value when quotes or variables
    /// made the option's own place unknowable).
    pub span: Span,
}

/// A `key=value` of ENV or LABEL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyValue {
    /// The key.
    pub key: Word,
    /// The value.
    pub value: Word,
    /// Key through value.
    pub span: Span,
    /// Written in the legacy `ENV key value…` form.
    pub legacy: bool,
}

/// One name of an ARG, with its default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArgDecl {
    /// The name.
    pub name: Word,
    /// The default after `=`, if any.
    pub default: Option<Word>,
    /// Name through default.
    pub span: Span,
}

/// The command of RUN, CMD, ENTRYPOINT or HEALTHCHECK CMD.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// The JSON (exec) form: no shell.
    Exec {
        /// The strings of the array.
        args: Vec<Word>,
        /// The array.
        span: Span,
    },
    /// The shell form.
    Shell(ShellForm),
}

/// A command in shell form.
#[derive(Debug, Clone, PartialEq)]
pub struct ShellForm {
    /// The text after the keyword and flags, continuations joined and
    /// comment lines dropped.
    pub text: String,
    /// The text's extent in the source.
    pub span: Span,
    /// The text as shell: parsed for RUN (with its heredocs when they are
    /// part of the script), [`Script::NotParsed`] for CMD, ENTRYPOINT and
    /// HEALTHCHECK, which run later in the image.
    pub script: Script,
}

/// A heredoc attached to RUN, COPY or ADD.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heredoc {
    /// The delimiter, unquoted.
    pub name: String,
    /// The `<<EOF` word in the instruction.
    pub marker: Span,
    /// The body: the lines up to the terminator, with leading tabs
    /// removed for `<<-`.
    pub body: String,
    /// The body lines in the source.
    pub body_span: Span,
    /// The terminator line.
    pub terminator: Span,
    /// False when the delimiter was quoted (`<<"EOF"`, `<<'EOF'`): no
    /// expansion in the body.
    pub expand: bool,
    /// `<<-`: leading tabs are stripped.
    pub chomp: bool,
    /// The file descriptor written before `<<` (e.g. `3<<EOF`).
    pub fd: Option<u32>,
    /// For RUN, the body as shell when it runs as a script of its own
    /// (`RUN <<EOF` alone, without a non-shell `#!`).
    pub script: Option<Script>,
}

/// A source of COPY or ADD.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A path, glob, URL or git reference.
    Path(Word),
    /// A heredoc: the index into [`Instruction::heredocs`].
    Heredoc(usize),
}

/// The arguments of COPY and ADD.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyArgs {
    /// The sources, at least one.
    pub sources: Vec<Source>,
    /// The destination.
    pub dest: Word,
    /// Written as a JSON array.
    pub json: bool,
}

/// HEALTHCHECK's arguments.
#[derive(Debug, Clone, PartialEq)]
pub enum Healthcheck {
    /// `HEALTHCHECK NONE`.
    None,
    /// `HEALTHCHECK [flags] CMD …`.
    Cmd(Command),
}

/// FROM's arguments (`--platform` is a flag).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct From {
    /// The image reference or stage name.
    pub image: Word,
    /// The `AS` keyword and the stage name after it.
    pub alias: Option<(Span, Word)>,
}

/// What an instruction is, with its arguments.
#[derive(Debug, Clone, PartialEq)]
#[allow(missing_docs)] // Each variant is the instruction of its name.
pub enum InstructionKind {
    Add(CopyArgs),
    Arg(Vec<ArgDecl>),
    Cmd(Option<Command>),
    Copy(CopyArgs),
    Entrypoint(Option<Command>),
    Env(Vec<KeyValue>),
    Expose(Vec<Word>),
    From(From),
    Healthcheck(Healthcheck),
    Label(Vec<KeyValue>),
    Maintainer(Word),
    /// The trigger instruction, parsed.
    Onbuild(Box<Instruction>),
    Run(Option<Command>),
    /// The JSON array.
    Shell(Vec<Word>),
    Stopsignal(Word),
    User(Word),
    /// JSON array or space-separated list.
    Volume(Vec<Word>),
    Workdir(Word),
}

/// One instruction.
#[derive(Debug, Clone, PartialEq)]
pub struct Instruction {
    /// The keyword, uppercased (`RUN`).
    pub keyword: String,
    /// The keyword as written.
    pub keyword_span: Span,
    /// From the keyword to the end of the last continuation line or heredoc.
    pub span: Span,
    /// Flags in order.
    pub flags: Vec<Flag>,
    /// The instruction and its arguments.
    pub kind: InstructionKind,
    /// Heredocs in order of their markers.
    pub heredocs: Vec<Heredoc>,
    /// The stage the instruction belongs to; `None` for the global ARGs
    /// before the first FROM.
    pub stage: Option<usize>,
    /// For a shell-form RUN, the variables its body references (`$DEPS`,
    /// `${DEPS}`) whose value ARG or ENV make known there, with the value
    /// the shell will see, by name. Variables without a known value (an ARG
    /// with no default, a platform ARG) are absent.
    pub known_vars: std::collections::BTreeMap<String, String>,
}


impl Instruction {
    /// The known value of variable `name` in a RUN body (see
    /// [`Instruction::known_vars`]).
    pub fn known_var(&self, name: &str) -> Option<&str> {
        self.known_vars.get(name).map(String::as_str)
    }

    /// The first flag named `name` (without dashes).
    pub fn flag(&self, name: &str) -> Option<&Flag> {
        self.flags.iter().find(|f| f.name == name)
    }

    /// The `--mount` flags' mounts.
    pub fn mounts(&self) -> impl Iterator<Item = &Mount> {
        self.flags.iter().filter_map(|f| f.mount.as_ref())
    }

    /// The shell scripts of this instruction (a RUN's shell form and its
    /// heredocs that run as scripts), parsed or not.
    pub fn scripts(&self) -> impl Iterator<Item = &Script> {
        let command = match &self.kind {
            InstructionKind::Run(Some(Command::Shell(s))) => Some(&s.script),
            _ => None,
        };
        command.into_iter().chain(self.heredocs.iter().filter_map(|h| h.script.as_ref()))
    }
}

/// Where a stage starts from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Base {
    /// `FROM scratch`.
    Scratch,
    /// An earlier stage, by index.
    Stage(usize),
    /// An image reference (expanded as far as known).
    Image(String),
}

/// A build stage: a FROM and the instructions up to the next one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stage {
    /// Position among the stages.
    pub index: usize,
    /// The `AS` name, lowercased.
    pub name: Option<String>,
    /// Where it starts from.
    pub base: Base,
    /// `--platform`, expanded as far as known.
    pub platform: Option<String>,
    /// Index of the FROM in [`crate::Dockerfile::instructions`].
    pub from: usize,
    /// Indices of its instructions, FROM excluded.
    pub instructions: std::ops::Range<usize>,
}

/// Something the parser noticed that BuildKit accepts but may warn about or
/// fail on later (an empty continuation line, an expansion that fails).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// What.
    pub message: String,
    /// Where.
    pub span: Span,
}
