//! RUN bodies as shell: brush-parser reads the script, and its syntax tree
//! becomes a flat list of simple commands with their words, pipeline and
//! list operators and byte spans in the Dockerfile.
//!
//! brush-parser counts positions in characters of the text it was given;
//! that text was assembled from the Dockerfile (continuations joined,
//! comment lines dropped, heredoc bodies appended), so every position goes
//! characters → bytes of the assembled text → [`OffsetMap`] → source bytes.
//! Command substitutions (`$(…)`, backquotes) are parsed again from their
//! word, so their commands are listed too.
//!
//! The parser recurses on nesting and its stack cannot be bounded from
//! outside, so scripts nested deeper than [`MAX_NESTING`] are not parsed;
//! nor are scripts it panics on. Either way the RUN keeps its text and a
//! [`ShellDiagnostic`] says why it has no script.

use std::panic::{AssertUnwindSafe, catch_unwind};

use brush_parser::ast;

use crate::span::{OffsetMap, Span};

/// How deeply subshells, groups, substitutions and compound commands may
/// nest before a script is left unparsed.
pub const MAX_NESTING: usize = 24;

/// A RUN body as shell, or why not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Script {
    /// Parsed.
    Parsed(ShellScript),
    /// The shell parser refused it; BuildKit would still run it, so this is
    /// not a Dockerfile error.
    Failed(ShellDiagnostic),
    /// Not run by a POSIX shell: `SHELL` names another (PowerShell, cmd) or
    /// a heredoc's `#!` line names another interpreter.
    NotShell {
        /// The shell or interpreter.
        interpreter: String,
    },
    /// Not parsed: CMD, ENTRYPOINT and HEALTHCHECK run in the image later.
    NotParsed,
}

impl Script {
    /// The script, when parsed.
    pub fn parsed(&self) -> Option<&ShellScript> {
        match self {
            Script::Parsed(s) => Some(s),
            _ => None,
        }
    }
}

/// Why a shell body was not parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShellDiagnostic {
    /// The parser's message.
    pub message: String,
    /// Where (the whole body when the parser gave no position).
    pub span: Span,
}

/// A parsed shell script.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ShellScript {
    /// Every simple command in source order, including those inside
    /// compound commands, subshells, functions and command substitutions.
    pub commands: Vec<SimpleCommand>,
    /// Some pipeline has more than one command.
    pub has_pipe: bool,
    /// The script's extent.
    pub span: Span,
}

impl ShellScript {
    /// The commands whose name, unquoted and without its directory, is
    /// `name` (so `/usr/bin/apt-get` matches `apt-get`).
    pub fn commands_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a SimpleCommand> + 'a {
        self.commands.iter().filter(move |c| c.program().as_deref() == Some(name))
    }
}

/// A shell word as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShellWord {
    /// The raw text, quotes and expansions as written.
    pub text: String,
    /// Where it is in the Dockerfile.
    pub span: Span,
}

impl ShellWord {
    /// The text with quotes and backslash escapes removed (no expansion):
    /// `"a b"` → `a b`, `\$x` → `$x`.
    pub fn unquoted(&self) -> String {
        let mut out = String::new();
        let mut chars = self.text.chars();
        let mut quote: Option<char> = None;
        while let Some(c) = chars.next() {
            match (quote, c) {
                (None, '\'' | '"') => quote = Some(c),
                (Some(q), c) if c == q => quote = None,
                (None, '\\') | (Some('"'), '\\') => {
                    if let Some(n) = chars.next() {
                        if quote.is_some() && !matches!(n, '"' | '\\' | '$' | '`') {
                            out.push('\\');
                        }
                        out.push(n);
                    }
                }
                _ => out.push(c),
            }
        }
        out
    }
}

/// The operator before a pipeline in a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListOp {
    /// `&&`
    And,
    /// `||`
    Or,
    /// `;` or a newline.
    Seq,
    /// `&` after the previous pipeline.
    Async,
}

/// A redirection of a simple command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redirect {
    /// The operator, e.g. `>`, `>>`, `2>&1` is `>&`, `<<` for a heredoc.
    pub operator: &'static str,
    /// The file descriptor written before the operator.
    pub fd: Option<i32>,
    /// The target word, when it is a word.
    pub target: Option<ShellWord>,
}

/// One simple command: name, arguments, assignments, redirections.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimpleCommand {
    /// The command name (absent for a bare assignment `A=b`).
    pub name: Option<ShellWord>,
    /// Arguments after the name.
    pub args: Vec<ShellWord>,
    /// `NAME=value` words before the name.
    pub assignments: Vec<ShellWord>,
    /// Redirections anywhere in the command.
    pub redirects: Vec<Redirect>,
    /// The command's extent.
    pub span: Span,
    /// Which pipeline of the script it is in (numbered from 0 in order).
    pub pipeline: usize,
    /// Its place in that pipeline, from 0.
    pub pipeline_position: usize,
    /// How many commands that pipeline has.
    pub pipeline_len: usize,
    /// The pipeline is negated (`! cmd`).
    pub negated: bool,
    /// The operator before its pipeline; `None` for the first pipeline of a
    /// list.
    pub op_before: Option<ListOp>,
    /// Inside `( … )`.
    pub in_subshell: bool,
    /// Inside `$( … )` or backquotes.
    pub in_substitution: bool,
    /// Inside if, while, until, for, case, `{ … }` or a function.
    pub in_compound: bool,
}

impl SimpleCommand {
    /// Part of a pipeline of two or more commands.
    pub fn in_pipeline(&self) -> bool {
        self.pipeline_len > 1
    }

    /// The name unquoted, without its directory.
    pub fn program(&self) -> Option<String> {
        let n = self.name.as_ref()?.unquoted();
        Some(n.rsplit('/').next().unwrap_or_default().to_string())
    }

    /// The arguments unquoted.
    pub fn arg_values(&self) -> Vec<String> {
        self.args.iter().map(ShellWord::unquoted).collect()
    }
}

/// True for shells that read POSIX sh syntax, by path or name.
pub(crate) fn is_posix_shell(program: &str) -> bool {
    let base = program.rsplit(['/', '\\']).next().unwrap_or(program).to_ascii_lowercase();
    let base = base.strip_suffix(".exe").unwrap_or(&base);
    matches!(base, "sh" | "bash" | "ash" | "dash" | "zsh" | "ksh" | "mksh" | "busybox")
}

/// Nesting depth of `text` by a cheap, quote-blind count of openers and
/// closers: an over-estimate, which only makes a script go unparsed.
fn nesting(text: &str) -> usize {
    let (mut depth, mut max) = (0usize, 0usize);
    let mut backquotes = 0usize;
    for token in text.split(|c: char| c.is_whitespace() || c == ';') {
        for c in token.chars() {
            match c {
                '(' | '{' => depth += 1,
                ')' | '}' => depth = depth.saturating_sub(1),
                '`' => backquotes += 1,
                _ => continue,
            }
            max = max.max(depth + backquotes);
        }
        match token {
            "if" | "while" | "until" | "for" | "case" | "[[" => depth += 1,
            "fi" | "done" | "esac" | "]]" => depth = depth.saturating_sub(1),
            _ => {}
        }
        max = max.max(depth + backquotes);
    }
    max
}

/// A redirection whose file descriptor does not fit an `i32` (brush-parser
/// panics on those).
fn huge_fd(text: &str) -> bool {
    let b = text.as_bytes();
    let mut run = 0;
    for &c in b {
        if c.is_ascii_digit() {
            run += 1;
        } else {
            if run >= 10 && (c == b'<' || c == b'>') {
                return true;
            }
            run = 0;
        }
    }
    false
}

/// Byte offset of every character, plus the end, when `text` is not ASCII.
struct Chars(Option<Vec<usize>>);

impl Chars {
    fn new(text: &str) -> Self {
        if text.is_ascii() {
            Chars(None)
        } else {
            Chars(Some(text.char_indices().map(|(i, _)| i).chain([text.len()]).collect()))
        }
    }

    fn byte(&self, char_index: usize) -> usize {
        match &self.0 {
            None => char_index,
            Some(v) => v.get(char_index).or(v.last()).copied().unwrap_or(0),
        }
    }
}

fn options() -> brush_parser::ParserOptions {
    brush_parser::ParserOptions::default()
}

fn parse_program(text: &str) -> Result<ast::Program, (String, Option<usize>)> {
    let parsed = catch_unwind(AssertUnwindSafe(|| {
        brush_parser::Parser::new(std::io::Cursor::new(text.as_bytes()), &options()).parse_program()
    }));
    match parsed {
        Ok(Ok(p)) => Ok(p),
        Ok(Err(e)) => {
            let at = match &e {
                brush_parser::ParseError::ParsingNear(p) => Some(p.index),
                brush_parser::ParseError::Tokenizing { position, .. } => position.as_ref().map(|p| p.index),
                brush_parser::ParseError::ParsingAtEndOfInput => None,
            };
            Err((e.to_string(), at))
        }
        Err(_) => Err(("the shell parser failed on this script".into(), None)),
    }
}

/// Parses a shell script that stands alone (a package's maintainer
/// script, say): spans are byte offsets in `text`.
pub fn parse_shell(text: &str) -> Script {
    let mut map = OffsetMap::default();
    map.push(0, text.len());
    parse_script(text, &map)
}

/// Parse `text`, which was assembled from the source as `map` says.
pub(crate) fn parse_script(text: &str, map: &OffsetMap) -> Script {
    let whole = map.span(0, text.len());
    if nesting(text) > MAX_NESTING {
        return Script::Failed(ShellDiagnostic {
            message: format!("nested more than {MAX_NESTING} levels deep; not parsed"),
            span: whole,
        });
    }
    if huge_fd(text) {
        return Script::Failed(ShellDiagnostic { message: "file descriptor number too large; not parsed".into(), span: whole });
    }
    if let Some(script) = parse_in_chunks(text, map) {
        return Script::Parsed(ShellScript { span: whole, ..script });
    }
    match parse_program(text) {
        Ok(program) => {
            let mut w = Walker { text, map, chars: Chars::new(text), base: 0, out: ShellScript::default(), pipelines: 0, depth: 0 };
            w.program(&program, Ctx::default(), None);
            w.out.span = whole;
            Script::Parsed(w.out)
        }
        Err((message, at)) => {
            let chars = Chars::new(text);
            let span = at.map_or(whole, |c| {
                let b = chars.byte(c);
                map.span(b, (b + 1).min(text.len()))
            });
            Script::Failed(ShellDiagnostic { message, span })
        }
    }
}

/// Scripts shorter than this are parsed in one piece.
const CHUNK: usize = 32 << 10;

/// Where a long script may be cut into pieces that parse alone: at a
/// `&&`, `||`, `;` or newline at the top level (outside quotes, brackets,
/// substitutions and compound commands). Each cut is the end of one piece,
/// the start of the next (after the operator) and the operator that joins
/// them (`None` for a newline, which starts a new complete command, as in a
/// parse of the whole). `None` when the script
/// has a heredoc or nothing to cut. Only a guess: a piece that does not
/// parse sends the caller back to parsing the whole.
fn cut_points(text: &str) -> Option<Vec<(usize, usize, Option<ListOp>)>> {
    #[derive(PartialEq)]
    enum In {
        Paren,
        Brace,
        Double,
        Back,
    }
    let b = text.as_bytes();
    let mut stack: Vec<In> = Vec::new();
    let (mut keywords, mut braces) = (0usize, 0usize);
    let mut cuts = Vec::new();
    let mut last_cut = 0;
    // After `&&`, `||` or `|`: the next newline continues the command.
    let mut pending_op = false;
    let mut word_start = true;
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let top = stack.is_empty() && keywords == 0 && braces == 0;
        let at_word_start = word_start;
        word_start = matches!(c, b' ' | b'\t' | b'\n' | b';' | b'&' | b'|' | b'(' | b')');
        match stack.last() {
            Some(In::Double) => {
                match c {
                    b'\\' => i += 1,
                    b'"' => {
                        stack.pop();
                    }
                    b'`' => stack.push(In::Back),
                    b'$' if b.get(i + 1) == Some(&b'(') => {
                        stack.push(In::Paren);
                        i += 1;
                    }
                    b'$' if b.get(i + 1) == Some(&b'{') => {
                        stack.push(In::Brace);
                        i += 1;
                    }
                    _ => {}
                }
                i += 1;
                continue;
            }
            Some(In::Brace) if c == b'}' => {
                stack.pop();
                i += 1;
                continue;
            }
            Some(In::Back) if c == b'`' => {
                stack.pop();
                i += 1;
                continue;
            }
            _ => {}
        }
        match c {
            b'\\' => i += 1,
            b'\'' => match text.get(i + 1..).and_then(|r| r.find('\'')) {
                Some(end) => i += end + 1,
                None => return None,
            },
            b'"' => stack.push(In::Double),
            b'`' => stack.push(In::Back),
            b'<' if b.get(i + 1) == Some(&b'<') => return None,
            b'#' if at_word_start => match text.get(i..).and_then(|r| r.find('\n')) {
                Some(end) => i += end - 1,
                None => break,
            },
            b'$' if b.get(i + 1) == Some(&b'{') => {
                stack.push(In::Brace);
                i += 1;
            }
            b'(' => stack.push(In::Paren),
            b')' => {
                if stack.last() == Some(&In::Paren) {
                    stack.pop();
                }
            }
            b'{' => braces += 1,
            b'}' => braces = braces.saturating_sub(1),
            b'&' | b'|' if b.get(i + 1) == Some(&c) => {
                if top && i + 2 - last_cut >= CHUNK {
                    last_cut = i + 2;
                    cuts.push((i, last_cut, Some(if c == b'&' { ListOp::And } else { ListOp::Or })));
                } else {
                    pending_op = true;
                }
                i += 2;
                word_start = true;
                continue;
            }
            b'|' => pending_op = true,
            b';' if b.get(i + 1) == Some(&b';') => return None,
            b';' => {
                // `a;` at the end of a line: the newline after it cuts.
                let rest = text.get(i + 1..).unwrap_or_default().trim_start_matches([' ', '\t']);
                if top && !rest.is_empty() && !rest.starts_with(['\n', '#']) && i + 1 - last_cut >= CHUNK {
                    last_cut = i + 1;
                    cuts.push((last_cut, last_cut, Some(ListOp::Seq)));
                }
            }
            b'\n' if !pending_op => {
                if top && i + 1 - last_cut >= CHUNK {
                    last_cut = i + 1;
                    cuts.push((last_cut, last_cut, None));
                }
            }
            b' ' | b'\t' | b'\n' => {}
            _ if at_word_start && stack.last() != Some(&In::Back) => {
                let end = b[i..].iter().position(|x| !x.is_ascii_alphanumeric() && *x != b'[' && *x != b']').map_or(b.len(), |n| i + n);
                match &text[i..end] {
                    "if" | "case" | "for" | "while" | "until" | "select" | "[[" => keywords += 1,
                    "fi" | "esac" | "done" | "]]" => keywords = keywords.saturating_sub(1),
                    _ => {}
                }
                pending_op = false;
            }
            _ => {}
        }
        if !matches!(c, b' ' | b'\t' | b'\n' | b'|' | b'&' | b'#') {
            pending_op = false;
        }
        i += 1;
    }
    (!cuts.is_empty() && stack.is_empty()).then_some(cuts)
}

/// A long script parsed piece by piece (see [`cut_points`]), so the shell
/// parser's tokens and syntax tree (some hundreds of bytes per word) exist
/// for one piece at a time rather than for a 4 MiB script at once. `None`
/// when the script is short, cannot be cut, or a piece does not parse.
fn parse_in_chunks(text: &str, map: &OffsetMap) -> Option<ShellScript> {
    if text.len() < 2 * CHUNK {
        return None;
    }
    let cuts = cut_points(text)?;
    let mut out = ShellScript::default();
    let mut pipelines = 0;
    let starts = std::iter::once((0, None)).chain(cuts.iter().map(|&(_, next, op)| (next, op)));
    let ends = cuts.iter().map(|&(end, _, _)| end).chain([text.len()]);
    for ((start, op), end) in starts.zip(ends) {
        let piece = text.get(start..end)?;
        let program = parse_program(piece).ok()?;
        let mut w = Walker { text: piece, map, chars: Chars::new(piece), base: start, out: ShellScript::default(), pipelines, depth: 0 };
        w.program(&program, Ctx::default(), op);
        pipelines = w.pipelines;
        out.has_pipe |= w.out.has_pipe;
        out.commands.append(&mut w.out.commands);
    }
    Some(out)
}

#[derive(Debug, Clone, Copy, Default)]
struct Ctx {
    subshell: bool,
    substitution: bool,
    compound: bool,
}

struct Walker<'a> {
    /// The text this walker's positions are in (a substitution's inner
    /// text for nested walkers).
    text: &'a str,
    map: &'a OffsetMap,
    chars: Chars,
    /// Byte offset of `text` within the top-level script text.
    base: usize,
    out: ShellScript,
    pipelines: usize,
    depth: usize,
}

impl Walker<'_> {
    fn span_of(&self, loc: Option<&brush_parser::SourceSpan>) -> Option<Span> {
        let loc = loc?;
        let s = self.base + self.chars.byte(loc.start.index);
        let e = self.base + self.chars.byte(loc.end.index);
        Some(self.map.span(s, e.max(s)))
    }

    fn word(&self, w: &ast::Word) -> ShellWord {
        let span = self.span_of(w.loc.as_ref()).unwrap_or_default();
        ShellWord { text: w.value.clone(), span }
    }

    /// `first_op`: the operator before the program's first pipeline, when
    /// it is a piece of a longer script.
    fn program(&mut self, p: &ast::Program, ctx: Ctx, first_op: Option<ListOp>) {
        let mut first = first_op;
        for list in &p.complete_commands {
            self.compound_list_after(list, ctx, first.take());
        }
    }

    fn compound_list(&mut self, list: &ast::CompoundList, ctx: Ctx) {
        self.compound_list_after(list, ctx, None);
    }

    fn compound_list_after(&mut self, list: &ast::CompoundList, ctx: Ctx, first_op: Option<ListOp>) {
        let mut op: Option<ListOp> = first_op;
        for item in &list.0 {
            self.and_or(&item.0, op, ctx);
            op = Some(match item.1 {
                ast::SeparatorOperator::Async => ListOp::Async,
                ast::SeparatorOperator::Sequence => ListOp::Seq,
            });
        }
    }

    fn and_or(&mut self, list: &ast::AndOrList, op: Option<ListOp>, ctx: Ctx) {
        self.pipeline(&list.first, op, ctx);
        for next in &list.additional {
            match next {
                ast::AndOr::And(p) => self.pipeline(p, Some(ListOp::And), ctx),
                ast::AndOr::Or(p) => self.pipeline(p, Some(ListOp::Or), ctx),
            }
        }
    }

    fn pipeline(&mut self, p: &ast::Pipeline, op: Option<ListOp>, ctx: Ctx) {
        let id = self.pipelines;
        self.pipelines += 1;
        if p.seq.len() > 1 {
            self.out.has_pipe = true;
        }
        for (i, c) in p.seq.iter().enumerate() {
            let place = Place { pipeline: id, position: i, len: p.seq.len(), negated: p.bang, op };
            self.command(c, place, ctx);
        }
    }

    fn command(&mut self, c: &ast::Command, place: Place, ctx: Ctx) {
        match c {
            ast::Command::Simple(s) => self.simple(s, place, ctx),
            ast::Command::Compound(cc, _) => self.compound(cc, ctx),
            ast::Command::Function(f) => {
                self.compound(&f.body.0, Ctx { compound: true, ..ctx });
            }
            ast::Command::ExtendedTest(..) => {}
        }
    }

    fn compound(&mut self, cc: &ast::CompoundCommand, ctx: Ctx) {
        let inner = Ctx { compound: true, ..ctx };
        match cc {
            ast::CompoundCommand::Arithmetic(_) | ast::CompoundCommand::Coprocess(_) => {}
            ast::CompoundCommand::ArithmeticForClause(f) => self.compound_list(&f.body.list, inner),
            ast::CompoundCommand::BraceGroup(b) => self.compound_list(&b.list, inner),
            ast::CompoundCommand::Subshell(s) => self.compound_list(&s.list, Ctx { subshell: true, ..ctx }),
            ast::CompoundCommand::ForClause(f) => {
                // `for x in $(a | b)`: the list's substitutions run first.
                for w in f.values.iter().flatten() {
                    self.substitutions(w, inner);
                }
                self.compound_list(&f.body.list, inner);
            }
            ast::CompoundCommand::CaseClause(c) => {
                self.substitutions(&c.value, inner);
                for item in &c.cases {
                    if let Some(list) = &item.cmd {
                        self.compound_list(list, inner);
                    }
                }
            }
            ast::CompoundCommand::IfClause(i) => {
                self.compound_list(&i.condition, inner);
                self.compound_list(&i.then, inner);
                for e in i.elses.iter().flatten() {
                    if let Some(cond) = &e.condition {
                        self.compound_list(cond, inner);
                    }
                    self.compound_list(&e.body, inner);
                }
            }
            ast::CompoundCommand::WhileClause(w) | ast::CompoundCommand::UntilClause(w) => {
                self.compound_list(&w.0, inner);
                self.compound_list(&w.1.list, inner);
            }
        }
    }

    fn redirect(&self, r: &ast::IoRedirect) -> Redirect {
        match r {
            ast::IoRedirect::File(fd, kind, target) => {
                let operator = match kind {
                    ast::IoFileRedirectKind::Read => "<",
                    ast::IoFileRedirectKind::Write => ">",
                    ast::IoFileRedirectKind::Append => ">>",
                    ast::IoFileRedirectKind::ReadAndWrite => "<>",
                    ast::IoFileRedirectKind::Clobber => ">|",
                    ast::IoFileRedirectKind::DuplicateInput => "<&",
                    ast::IoFileRedirectKind::DuplicateOutput => ">&",
                };
                let target = match target {
                    ast::IoFileRedirectTarget::Filename(w) | ast::IoFileRedirectTarget::Duplicate(w) => Some(self.word(w)),
                    ast::IoFileRedirectTarget::Fd(_) | ast::IoFileRedirectTarget::ProcessSubstitution(..) => None,
                };
                Redirect { operator, fd: *fd, target }
            }
            ast::IoRedirect::HereDocument(fd, _) => Redirect { operator: "<<", fd: *fd, target: None },
            ast::IoRedirect::HereString(fd, w) => Redirect { operator: "<<<", fd: *fd, target: Some(self.word(w)) },
            ast::IoRedirect::OutputAndError(w, append) => {
                Redirect { operator: if *append { "&>>" } else { "&>" }, fd: None, target: Some(self.word(w)) }
            }
        }
    }

    fn simple(&mut self, s: &ast::SimpleCommand, place: Place, ctx: Ctx) {
        let mut cmd = SimpleCommand {
            name: s.word_or_name.as_ref().map(|w| self.word(w)),
            args: Vec::new(),
            assignments: Vec::new(),
            redirects: Vec::new(),
            span: Span::default(),
            pipeline: place.pipeline,
            pipeline_position: place.position,
            pipeline_len: place.len,
            negated: place.negated,
            op_before: place.op,
            in_subshell: ctx.subshell,
            in_substitution: ctx.substitution,
            in_compound: ctx.compound,
        };
        let mut words: Vec<&ast::Word> = s.word_or_name.iter().collect();
        let items = s.prefix.iter().flat_map(|p| &p.0).map(|i| (true, i)).chain(s.suffix.iter().flat_map(|p| &p.0).map(|i| (false, i)));
        for (prefix, item) in items {
            match item {
                ast::CommandPrefixOrSuffixItem::Word(w) => {
                    cmd.args.push(self.word(w));
                    words.push(w);
                }
                ast::CommandPrefixOrSuffixItem::AssignmentWord(a, w) => {
                    let mut word = self.word(w);
                    if let Some(span) = self.span_of(Some(&a.loc)) {
                        word.span = span;
                    }
                    if prefix {
                        cmd.assignments.push(word);
                    } else {
                        cmd.args.push(word);
                    }
                    words.push(w);
                }
                ast::CommandPrefixOrSuffixItem::IoRedirect(r) => {
                    if let ast::IoRedirect::File(_, _, ast::IoFileRedirectTarget::Filename(w)) = r {
                        words.push(w);
                    }
                    cmd.redirects.push(self.redirect(r));
                }
                ast::CommandPrefixOrSuffixItem::ProcessSubstitution(..) => {}
            }
        }
        let spans = cmd.name.iter().chain(&cmd.assignments).chain(&cmd.args).map(|w| w.span).chain(cmd.redirects.iter().filter_map(|r| r.target.as_ref().map(|t| t.span)));
        cmd.span = spans.reduce(Span::cover).unwrap_or_default();
        self.out.commands.push(cmd);
        for w in words {
            self.substitutions(w, ctx);
        }
    }

    /// Parse the command substitutions inside `w` and list their commands.
    fn substitutions(&mut self, w: &ast::Word, ctx: Ctx) {
        if self.depth >= MAX_NESTING {
            return;
        }
        let Some(loc) = &w.loc else { return };
        let word_start = self.chars.byte(loc.start.index);
        let word_end = self.chars.byte(loc.end.index);
        // The word as written: brush's `value` may differ from the source
        // (blanks after `$(` come back re-spaced), which would put every
        // position found in it off.
        let Some(raw) = self.text.get(word_start..word_end) else { return };
        if !(raw.contains("$(") || raw.contains('`')) {
            return;
        }
        let Ok(Ok(pieces)) = catch_unwind(AssertUnwindSafe(|| brush_parser::word::parse(raw, &options()))) else {
            return;
        };
        let mut found = Vec::new();
        collect_substitutions(&pieces, &mut found, 0);
        for (start, skip, inner) in found {
            // brush hands the inner text back without the blanks that may
            // follow `$(`, so find where it really starts.
            let from = word_start + start + skip;
            let Some(at) = self.text.get(from..word_end).and_then(|rest| rest.find(inner.as_str())).map(|rel| from + rel) else { continue };
            if nesting(&inner) > MAX_NESTING || huge_fd(&inner) {
                continue;
            }
            let Ok(program) = parse_program(&inner) else { continue };
            let mut nested = Walker {
                text: &inner,
                map: self.map,
                chars: Chars::new(&inner),
                base: self.base + at,
                out: ShellScript::default(),
                pipelines: self.pipelines,
                depth: self.depth + 1,
            };
            nested.program(&program, Ctx { substitution: true, ..ctx }, None);
            self.pipelines = nested.pipelines;
            self.out.has_pipe |= nested.out.has_pipe;
            self.out.commands.extend(nested.out.commands);
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Place {
    pipeline: usize,
    position: usize,
    len: usize,
    negated: bool,
    op: Option<ListOp>,
}

/// (byte offset of the piece in the word, length of its opener, inner text).
fn collect_substitutions(pieces: &[brush_parser::word::WordPieceWithSource], out: &mut Vec<(usize, usize, String)>, depth: usize) {
    if depth > MAX_NESTING {
        return;
    }
    for p in pieces {
        match &p.piece {
            brush_parser::word::WordPiece::CommandSubstitution(s) => out.push((p.start_index, 2, s.clone())),
            brush_parser::word::WordPiece::BackquotedCommandSubstitution(s) => out.push((p.start_index, 1, s.clone())),
            brush_parser::word::WordPiece::DoubleQuotedSequence(inner)
            | brush_parser::word::WordPiece::GettextDoubleQuotedSequence(inner) => collect_substitutions(inner, out, depth + 1),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> ShellScript {
        let mut map = OffsetMap::default();
        map.push(100, text.len());
        match parse_script(text, &map) {
            Script::Parsed(s) => s,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn substitutions_with_blanks_inside_are_listed() {
        let text = "x=\"$(  scanelf --needed /usr/local | sort -u )\"; apk add $x";
        let s = parse(text);
        let names: Vec<_> = s.commands.iter().filter_map(|c| c.program()).collect();
        assert_eq!(names, ["scanelf", "sort", "apk"]);
        assert!(s.has_pipe);
        let sort = s.commands.iter().find(|c| c.program().as_deref() == Some("sort")).unwrap();
        let at = text.find("sort").unwrap() + 100;
        assert_eq!(sort.name.as_ref().unwrap().span, Span::new(at, at + 4));
    }

    #[test]
    fn substitutions_after_a_continuation_and_in_for_lists_are_listed() {
        // A continuation right after `$(` leaves a blank and tabs behind.
        let text = "x=\"$( \t\tscanelf a \t| tr a b \t)\"; for f in $(git status | awk x); do echo $f; done";
        let s = parse(text);
        let names: Vec<_> = s.commands.iter().filter_map(|c| c.program()).collect();
        assert_eq!(names, ["scanelf", "tr", "git", "awk", "echo"]);
        assert!(s.has_pipe);
        let tr = s.commands.iter().find(|c| c.program().as_deref() == Some("tr")).unwrap();
        let at = text.find("tr a").unwrap() + 100;
        assert_eq!(tr.name.as_ref().unwrap().span, Span::new(at, at + 2));
    }

    #[test]
    fn lists_and_pipes() {
        let text = "apt-get update && apt-get install -y curl | tee log; rm -rf /x || true";
        let s = parse(text);
        let names: Vec<_> = s.commands.iter().map(|c| c.program().unwrap()).collect();
        assert_eq!(names, ["apt-get", "apt-get", "tee", "rm", "true"]);
        assert!(s.has_pipe);
        assert_eq!(s.commands[1].op_before, Some(ListOp::And));
        assert_eq!((s.commands[2].pipeline_position, s.commands[2].pipeline_len), (1, 2));
        assert_eq!(s.commands[3].op_before, Some(ListOp::Seq));
        assert_eq!(s.commands[4].op_before, Some(ListOp::Or));
        let curl = text.find("curl").unwrap() + 100;
        assert_eq!(s.commands[1].args[2].span, Span::new(curl, curl + 4));
        assert_eq!(s.commands[1].arg_values(), ["install", "-y", "curl"]);
    }

    #[test]
    fn substitutions_and_subshells() {
        let text = "echo \"$(id -u)\" `date` && (cd /x && make)";
        let s = parse(text);
        let id = s.commands_named("id").next().unwrap();
        assert!(id.in_substitution);
        assert_eq!(id.span, Span::new(100 + 8, 100 + 13));
        assert!(s.commands_named("date").next().unwrap().in_substitution);
        assert!(s.commands_named("make").next().unwrap().in_subshell);
    }

    #[test]
    fn unquoting() {
        let w = ShellWord { text: r#""a b"'c'\$d"\x""#.into(), span: Span::default() };
        assert_eq!(w.unquoted(), "a bc$d\\x");
    }

    /// The script parsed in one piece, as before cutting.
    fn whole(text: &str, map: &OffsetMap) -> ShellScript {
        let program = parse_program(text).unwrap();
        let mut w = Walker { text, map, chars: Chars::new(text), base: 0, out: ShellScript::default(), pipelines: 0, depth: 0 };
        w.program(&program, Ctx::default(), None);
        w.out.span = map.span(0, text.len());
        w.out
    }

    #[test]
    fn long_scripts_parsed_in_pieces_equal_one_parse() {
        let units = [
            "apt-get install -y 'a && b' \"c; d\" && ",
            "curl -fsSL \"$(echo x && y | z)\" | sh || true; ",
            "if [ -f x ]; then a && b; fi\n",
            "for f in $(ls | sort); do echo \"$f\" && rm -- \"${f%.*}\"; done && ",
            "(cd /x && make) && { a; b; } && ",
            "echo $(date && id) # a comment && not a command\n",
            "A=1 b ü > /dev/null 2>&1 &&\n",
            "x=$((1 + 2)) && [[ -n $x && -z y ]] && echo 'it''s' ; ",
            "a |\n b\n",
            "a && ",
        ];
        for unit in units {
            let text = format!("{}true", unit.repeat(3 * CHUNK / unit.len()));
            let mut map = OffsetMap::default();
            map.push(7, text.len());
            let pieces = parse_in_chunks(&text, &map).unwrap_or_else(|| panic!("{unit:?} is parsed in pieces"));
            assert_eq!(ShellScript { span: map.span(0, text.len()), ..pieces }, whole(&text, &map), "{unit:?}");
        }
        // Heredocs and case clauses are not cut.
        assert!(cut_points(&format!("{}cat <<EOF\nx\nEOF\n", "a && ".repeat(CHUNK))).is_none());
        assert!(cut_points(&format!("{}case x in a) b;; esac\n", "a && ".repeat(CHUNK))).is_none());
    }

    #[test]
    fn huge_file_descriptor_is_not_parsed() {
        let text = "echo 99999999999>x";
        let mut map = OffsetMap::default();
        map.push(0, text.len());
        assert!(matches!(parse_script(text, &map), Script::Failed(_)));
    }

    #[test]
    fn deep_nesting_is_not_parsed() {
        let text = format!("{}true{}", "(".repeat(200), ")".repeat(200));
        let mut map = OffsetMap::default();
        map.push(0, text.len());
        assert!(matches!(parse_script(&text, &map), Script::Failed(_)));
    }
}

