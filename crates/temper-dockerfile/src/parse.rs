//! Logical lines to instructions: keyword, flags, arguments, heredocs, and
//! RUN bodies handed to the shell parser. Variables are expanded later, in
//! `resolve`, once stages and ARG scopes are known; only a FROM line's image
//! is expanded here too, with the global ARGs, to pick its stage's shell.

use crate::error::ErrorKind;
use crate::lines::{Lines, Logical};
use crate::model::{
    ArgDecl, Command, CopyArgs, Diagnostic, Flag, From, Healthcheck, Heredoc, Instruction, InstructionKind, KeyValue,
    Mount, MountOption, ShellForm, Source, Word,
};
use crate::shell::{Script, is_posix_shell, parse_script};
use crate::span::{OffsetMap, Span};
use crate::{MAX_HEREDOCS, expand};

pub(crate) type PResult<T> = Result<T, (ErrorKind, Span)>;

/// Whitespace as BuildKit's `[\t\v\f\r ]` (no newline: logical lines have none).
fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\x0b' | b'\x0c' | b'\r' | b'\n')
}

/// A logical line's text and where its bytes came from.
struct Text<'t> {
    s: &'t str,
    map: &'t OffsetMap,
}

impl Text<'_> {
    fn span(&self, a: usize, b: usize) -> Span {
        self.map.span(a, b)
    }

    fn word(&self, a: usize, b: usize) -> Word {
        Word::new(self.s[a..b].to_string(), self.span(a, b))
    }

    fn skip_ws(&self, mut i: usize, end: usize) -> usize {
        let b = self.s.as_bytes();
        while i < end && is_ws(b[i]) {
            i += 1;
        }
        i
    }

    fn trim(&self, a: usize, b: usize) -> (usize, usize) {
        let a = self.skip_ws(a, b);
        let bytes = self.s.as_bytes();
        let mut b = b;
        while b > a && is_ws(bytes[b - 1]) {
            b -= 1;
        }
        (a, b)
    }

    /// Whitespace-separated fields of `a..b`.
    fn fields(&self, a: usize, b: usize) -> Vec<(usize, usize)> {
        let bytes = self.s.as_bytes();
        let mut out = Vec::new();
        let mut i = a;
        while i < b {
            i = self.skip_ws(i, b);
            let start = i;
            while i < b && !is_ws(bytes[i]) {
                i += 1;
            }
            if i > start {
                out.push((start, i));
            }
        }
        out
    }

    /// Words of `a..b` the way BuildKit splits ENV, LABEL and ARG: on
    /// whitespace outside quotes, quotes and escapes kept in the word.
    fn quoted_words(&self, a: usize, b: usize, escape: u8, always_backslash: bool) -> Vec<(usize, usize)> {
        let bytes = self.s.as_bytes();
        let escape = if always_backslash { b'\\' } else { escape };
        let mut out = Vec::new();
        let mut i = a;
        while i < b {
            i = self.skip_ws(i, b);
            if i >= b {
                break;
            }
            let start = i;
            let mut quote: Option<u8> = None;
            while i < b {
                let c = bytes[i];
                match quote {
                    None if is_ws(c) => break,
                    None if c == b'\'' || c == b'"' => quote = Some(c),
                    Some(q) if c == q => quote = None,
                    Some(b'\'') => {}
                    _ if c == escape => i += 1,
                    _ => {}
                }
                i += 1;
            }
            let end = i.min(b);
            out.push((start, end));
        }
        out
    }
}

/// What a flag takes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum FlagKind {
    Value,
    Bool,
    Repeated,
}

fn allowed_flags(keyword: &str) -> Option<&'static [(&'static str, FlagKind)]> {
    use FlagKind::{Bool, Repeated, Value};
    Some(match keyword {
        "FROM" => &[("platform", Value)],
        "RUN" => &[("mount", Repeated), ("network", Value), ("security", Value), ("device", Repeated)],
        "COPY" => &[("chown", Value), ("chmod", Value), ("from", Value), ("link", Bool), ("exclude", Repeated), ("parents", Bool)],
        "ADD" => &[
            ("chown", Value),
            ("chmod", Value),
            ("checksum", Value),
            ("link", Bool),
            ("keep-git-dir", Bool),
            ("unpack", Bool),
            ("exclude", Repeated),
        ],
        "HEALTHCHECK" => &[
            ("interval", Value),
            ("timeout", Value),
            ("start-period", Value),
            ("start-interval", Value),
            ("retries", Value),
        ],
        // BuildKit reads no flags for these and ignores any given.
        "ARG" | "STOPSIGNAL" => return None,
        _ => &[],
    })
}

/// JSON-form arguments.
enum Json {
    /// Not a JSON array: the shell or list form.
    No,
    /// A JSON array with something other than strings.
    NotStrings,
    /// The strings with their text ranges (quotes included).
    Strings(Vec<(String, usize, usize)>),
}

fn json_array(t: &Text<'_>, a: usize, b: usize) -> Json {
    let s = &t.s[a..b];
    if !s.starts_with('[') {
        return Json::No;
    }
    let Ok(values) = serde_json::from_str::<Vec<serde_json::Value>>(s) else {
        return Json::No;
    };
    let mut strings = Vec::with_capacity(values.len());
    for v in values {
        match v {
            serde_json::Value::String(v) => strings.push(v),
            _ => return Json::NotStrings,
        }
    }
    // The array is valid JSON of strings only, so every '"' outside a
    // string opens the next one.
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(strings.len());
    let mut i = 0;
    for v in strings {
        while i < bytes.len() && bytes[i] != b'"' {
            i += 1;
        }
        let start = i;
        i += 1;
        while i < bytes.len() && bytes[i] != b'"' {
            i += if bytes[i] == b'\\' { 2 } else { 1 };
        }
        i += 1;
        out.push((v, a + start, a + i.min(bytes.len())));
    }
    Json::Strings(out)
}

/// A `<<EOF` marker found in the instruction line.
struct Marker {
    name: String,
    chomp: bool,
    expand: bool,
    fd: Option<u32>,
    span: Span,
}

/// The heredoc marker in the word `w`, as BuildKit recognises one:
/// optional digits, `<<`, optional `-`, then a delimiter with no `<`.
fn marker(w: &str) -> Option<(Option<u32>, bool, &str)> {
    let digits = w.bytes().take_while(u8::is_ascii_digit).count();
    let rest = w[digits..].strip_prefix("<<")?;
    let (chomp, rest) = match rest.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, rest),
    };
    let rest = rest.trim_start();
    if rest.is_empty() || rest.contains('<') {
        return None;
    }
    let fd = if digits > 0 { w[..digits].parse().ok() } else { None };
    Some((fd, chomp, rest))
}

/// A heredoc delimiter with quotes and backslash escapes removed.
fn unquote_delimiter(rest: &str) -> String {
    let e = expand::expand(rest, &expand::NoVars, b'\\');
    if e.error.is_some() { rest.replace(['\'', '"'], "") } else { e.value }
}

/// A heredoc body with leading tabs stripped from every line (for `<<-`),
/// and the map from the stripped text back to the source.
fn body_text(raw: &str, start: usize, chomp: bool) -> (String, OffsetMap) {
    let mut text = String::with_capacity(raw.len());
    let mut map = OffsetMap::default();
    let mut at = 0;
    for line in raw.split_inclusive('\n') {
        let skip = if chomp { line.len() - line.trim_start_matches('\t').len() } else { 0 };
        text.push_str(&line[skip..]);
        map.push(start + at + skip, line.len() - skip);
        at += line.len();
    }
    (text, map)
}

/// The interpreter a `#!` line names (`/usr/bin/env python3` → `python3`).
fn shebang(body: &str) -> Option<String> {
    let line = body.lines().next()?.strip_prefix("#!")?;
    let mut parts = line.split_whitespace();
    let first = parts.next()?;
    if first.ends_with("/env") {
        return parts.find(|p| !p.starts_with('-')).map(str::to_string);
    }
    Some(first.to_string())
}

pub(crate) struct Parser<'a> {
    src: &'a str,
    lines: Lines<'a>,
    escape: u8,
    heredocs: usize,
    pub diagnostics: Vec<Diagnostic>,
    /// The SHELL of the current stage, and of each stage by name, since a
    /// stage built FROM another keeps its SHELL.
    shell: Vec<String>,
    stage_shells: Vec<(Option<String>, Vec<String>)>,
    /// The ARGs before the first FROM, expanded as far as known: a FROM
    /// line's image is judged as BuildKit expands it (`FROM $BASE` on a
    /// Windows default runs cmd), before `resolve` expands it for good.
    global_args: GlobalArgs,
}

/// Global ARGs by name (`None`: declared, no value known here).
#[derive(Default)]
struct GlobalArgs {
    values: std::collections::HashMap<String, Option<String>>,
    /// Bytes the expansions here produced, bounded like `resolve`'s, so
    /// thousands of `FROM $BIG` lines cannot take unbounded time.
    spent: usize,
}

/// What expansions during parsing may produce in all; past it, global ARGs
/// count as unknown and FROM lines are judged as written.
const PARSE_EXPANSION_BUDGET: usize = 16 << 20;

impl GlobalArgs {
    /// `word` expanded, or `None` once the budget is spent.
    fn expand(&mut self, word: &str, escape: u8) -> Option<String> {
        if self.spent > PARSE_EXPANSION_BUDGET {
            return None;
        }
        let value = expand::expand(word, self, escape).value;
        self.spent += value.len();
        (self.spent <= PARSE_EXPANSION_BUDGET).then_some(value)
    }
}

impl expand::Vars for GlobalArgs {
    fn lookup(&self, name: &str) -> expand::Lookup<'_> {
        match self.values.get(name) {
            Some(Some(v)) => expand::Lookup::Value(v),
            Some(None) => expand::Lookup::Unknown,
            None => expand::Lookup::Unset,
        }
    }
}

fn default_shell() -> Vec<String> {
    vec!["/bin/sh".to_string(), "-c".to_string()]
}

/// The default SHELL of Windows images.
fn windows_shell() -> Vec<String> {
    vec!["cmd".to_string(), "/S".to_string(), "/C".to_string()]
}

impl<'a> Parser<'a> {
    pub fn new(src: &'a str) -> PResult<Self> {
        let lines = Lines::new(src)?;
        let escape = lines.escape();
        Ok(Parser {
            src,
            lines,
            escape,
            heredocs: 0,
            diagnostics: Vec::new(),
            shell: default_shell(),
            stage_shells: Vec::new(),
            global_args: GlobalArgs::default(),
        })
    }

    pub fn escape(&self) -> u8 {
        self.escape
    }

    pub fn directives(&self) -> &[crate::Directive] {
        &self.lines.directives
    }

    /// The next instruction, or `None` at the end.
    pub fn next_instruction(&mut self) -> PResult<Option<Instruction>> {
        let Some(logical) = self.lines.next_logical() else { return Ok(None) };
        for span in &logical.empty_continuations {
            self.diagnostics.push(Diagnostic { message: "empty continuation line".into(), span: *span });
        }
        let Logical { text, map, .. } = &logical;
        let t = Text { s: text, map };
        let mut ins = self.instruction(&t, 0, text.len(), false)?;
        ins.span = logical.span.cover(ins.span);
        if let InstructionKind::Onbuild(inner) = &ins.kind
            && let Some(last) = inner.heredocs.last()
        {
            ins.span = ins.span.cover(last.terminator);
        }
        Ok(Some(ins))
    }

    fn instruction(&mut self, t: &Text<'_>, a: usize, b: usize, in_onbuild: bool) -> PResult<Instruction> {
        let (a, b) = t.trim(a, b);
        let bytes = t.s.as_bytes();
        let mut k = a;
        while k < b && !is_ws(bytes[k]) {
            k += 1;
        }
        let keyword = t.s[a..k].to_ascii_uppercase();
        let keyword_span = t.span(a, k);
        let (flags, args_start) = self.flags(t, k, b, &keyword)?;
        let (args_start, args_end) = t.trim(args_start, b);
        let mut ins = Instruction {
            keyword: keyword.clone(),
            keyword_span,
            span: t.span(a, b),
            flags,
            kind: InstructionKind::Maintainer(Word::new(String::new(), keyword_span)),
            heredocs: Vec::new(),
            stage: None,
            known_vars: std::collections::BTreeMap::new(),
        };
        let arity = |expected: &'static str| (ErrorKind::Arguments { instruction: keyword.clone(), expected }, keyword_span);
        let empty = args_start >= args_end;
        ins.kind = match keyword.as_str() {
            "RUN" | "COPY" | "ADD" => {
                let json = json_array(t, args_start, args_end);
                if let Json::NotStrings = json {
                    return Err((ErrorKind::JsonNotStrings(keyword), keyword_span));
                }
                if matches!(json, Json::No) && t.s.contains("<<") {
                    ins.heredocs = self.heredocs(t)?;
                    if let Some(last) = ins.heredocs.last() {
                        ins.span = ins.span.cover(last.terminator);
                    }
                }
                if keyword == "RUN" {
                    let command = self.command(t, args_start, args_end, json, true, &mut ins.heredocs);
                    InstructionKind::Run(command)
                } else {
                    let args = self.copy_args(t, args_start, args_end, json, &ins.heredocs, &keyword)?;
                    if keyword == "COPY" { InstructionKind::Copy(args) } else { InstructionKind::Add(args) }
                }
            }
            "CMD" | "ENTRYPOINT" => {
                let json = json_array(t, args_start, args_end);
                if let Json::NotStrings = json {
                    return Err((ErrorKind::JsonNotStrings(keyword), keyword_span));
                }
                let command = self.command(t, args_start, args_end, json, false, &mut Vec::new());
                if keyword == "CMD" { InstructionKind::Cmd(command) } else { InstructionKind::Entrypoint(command) }
            }
            "SHELL" => match json_array(t, args_start, args_end) {
                Json::NotStrings => return Err((ErrorKind::JsonNotStrings(keyword), keyword_span)),
                Json::No if empty => return Err(arity("requires at least one argument")),
                Json::No => return Err((ErrorKind::ShellNotJson, t.span(args_start, args_end))),
                Json::Strings(v) if v.is_empty() => return Err(arity("requires at least one argument")),
                Json::Strings(v) => {
                    if !in_onbuild {
                        self.shell = v.iter().map(|(s, _, _)| s.clone()).collect();
                    }
                    InstructionKind::Shell(v.into_iter().map(|(s, x, y)| Word::new(s, t.span(x, y))).collect())
                }
            },
            "ENV" | "LABEL" => InstructionKind::Env(self.key_values(t, args_start, args_end, &keyword)?),
            "ARG" => {
                let words = t.quoted_words(args_start, args_end, self.escape, false);
                if words.is_empty() {
                    return Err(arity("requires at least one argument"));
                }
                let mut decls = Vec::new();
                for (x, y) in words {
                    let w = &t.s[x..y];
                    let decl = match w.find('=') {
                        Some(0) => return Err((ErrorKind::BlankName(keyword), t.span(x, y))),
                        Some(eq) => ArgDecl { name: t.word(x, x + eq), default: Some(t.word(x + eq + 1, y)), span: t.span(x, y) },
                        None => ArgDecl { name: t.word(x, y), default: None, span: t.span(x, y) },
                    };
                    if !in_onbuild && self.stage_shells.is_empty() {
                        let (name, default) = w.split_once('=').map_or((w, None), |(n, d)| (n, Some(d)));
                        let value = default.and_then(|d| self.global_args.expand(d, self.escape));
                        self.global_args.values.insert(name.to_string(), value);
                    }
                    decls.push(decl);
                }
                InstructionKind::Arg(decls)
            }
            "FROM" => {
                let f = t.fields(args_start, args_end);
                let alias = match f.as_slice() {
                    [_] => None,
                    [_, (x, y), (n0, n1)] if t.s[*x..*y].eq_ignore_ascii_case("as") => {
                        let name = t.s[*n0..*n1].to_ascii_lowercase();
                        let valid = name.starts_with(|c: char| c.is_ascii_lowercase())
                            && name.bytes().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, b'-' | b'_' | b'.'));
                        if !valid {
                            return Err((
                                ErrorKind::BadFrom(format!(
                                    "invalid name for build stage: {:?}, name can't start with a number or contain symbols",
                                    &t.s[*n0..*n1]
                                )),
                                t.span(*n0, *n1),
                            ));
                        }
                        let mut w = t.word(*n0, *n1);
                        w.value = name;
                        Some((t.span(*x, *y), w))
                    }
                    _ => return Err((ErrorKind::BadFrom("FROM requires either one or three arguments".into()), keyword_span)),
                };
                let (x, y) = f[0];
                if !in_onbuild {
                    let name = alias.as_ref().map(|(_, w)| w.value.clone());
                    let written = &t.s[x..y];
                    let base = if written.contains('$') { self.global_args.expand(written, self.escape) } else { None }.unwrap_or_else(|| written.to_string()).to_ascii_lowercase();
                    // Windows stages run RUN with `cmd /S /C`: a backtick
                    // escape directive or a Windows base says the file is
                    // for one.
                    let windows = self.escape == b'`' || crate::windows_image(&base);
                    self.shell = self
                        .stage_shells
                        .iter()
                        .rev()
                        .find(|(n, _)| n.as_deref() == Some(base.as_str()))
                        .map_or_else(|| if windows { windows_shell() } else { default_shell() }, |(_, s)| s.clone());
                    self.stage_shells.push((name, self.shell.clone()));
                }
                InstructionKind::From(From { image: t.word(x, y), alias })
            }
            "EXPOSE" => {
                let f = t.fields(args_start, args_end);
                if f.is_empty() {
                    return Err(arity("requires at least one argument"));
                }
                InstructionKind::Expose(f.into_iter().map(|(x, y)| t.word(x, y)).collect())
            }
            "VOLUME" => {
                let words: Vec<Word> = match json_array(t, args_start, args_end) {
                    Json::NotStrings => return Err((ErrorKind::JsonNotStrings(keyword), keyword_span)),
                    Json::Strings(v) => v.into_iter().map(|(s, x, y)| Word::new(s, t.span(x, y))).collect(),
                    Json::No => t.fields(args_start, args_end).into_iter().map(|(x, y)| t.word(x, y)).collect(),
                };
                if words.is_empty() {
                    return Err(arity("requires at least one argument"));
                }
                InstructionKind::Volume(words)
            }
            "USER" | "WORKDIR" | "MAINTAINER" | "STOPSIGNAL" => {
                if empty {
                    return Err(arity("requires exactly one argument"));
                }
                let w = t.word(args_start, args_end);
                match keyword.as_str() {
                    "USER" => InstructionKind::User(w),
                    "WORKDIR" => InstructionKind::Workdir(w),
                    "MAINTAINER" => InstructionKind::Maintainer(w),
                    _ => InstructionKind::Stopsignal(w),
                }
            }
            "HEALTHCHECK" => {
                let mut e = args_start;
                while e < args_end && !is_ws(bytes[e]) {
                    e += 1;
                }
                if empty {
                    return Err(arity("requires at least one argument"));
                }
                let typ = t.s[args_start..e].to_ascii_uppercase();
                let rest = t.skip_ws(e, args_end);
                match typ.as_str() {
                    "NONE" if rest < args_end => {
                        return Err((ErrorKind::BadHealthcheck("HEALTHCHECK NONE takes no arguments".into()), keyword_span));
                    }
                    "NONE" => InstructionKind::Healthcheck(Healthcheck::None),
                    "CMD" => {
                        let json = json_array(t, rest, args_end);
                        if let Json::NotStrings = json {
                            return Err((ErrorKind::JsonNotStrings(keyword), keyword_span));
                        }
                        match self.command(t, rest, args_end, json, false, &mut Vec::new()) {
                            Some(c) => InstructionKind::Healthcheck(Healthcheck::Cmd(c)),
                            None => {
                                return Err((ErrorKind::BadHealthcheck("missing command after HEALTHCHECK CMD".into()), keyword_span));
                            }
                        }
                    }
                    _ => {
                        return Err((
                            ErrorKind::BadHealthcheck(format!("unknown type {typ:?} in HEALTHCHECK (try CMD)")),
                            t.span(args_start, e),
                        ));
                    }
                }
            }
            "ONBUILD" if !in_onbuild => {
                if empty {
                    return Err(arity("requires at least one argument"));
                }
                let inner = self.instruction(t, args_start, args_end, true)?;
                if matches!(inner.keyword.as_str(), "ONBUILD" | "FROM" | "MAINTAINER") {
                    return Err((ErrorKind::BadOnbuild(inner.keyword), inner.keyword_span));
                }
                InstructionKind::Onbuild(Box::new(inner))
            }
            "ONBUILD" => return Err((ErrorKind::BadOnbuild(keyword), keyword_span)),
            _ => return Err((ErrorKind::UnknownInstruction(t.s[a..k].to_string()), keyword_span)),
        };
        if keyword == "LABEL"
            && let InstructionKind::Env(kv) = std::mem::replace(&mut ins.kind, InstructionKind::Label(Vec::new()))
        {
            ins.kind = InstructionKind::Label(kv);
        }
        let check = !matches!(ins.kind, InstructionKind::Healthcheck(Healthcheck::None));
        if check {
            validate_flags(&ins.flags, &keyword)?;
        }
        Ok(ins)
    }

    /// The flags after the keyword, and where the arguments start.
    fn flags(&self, t: &Text<'_>, from: usize, end: usize, keyword: &str) -> PResult<(Vec<Flag>, usize)> {
        let bytes = t.s.as_bytes();
        let mut flags = Vec::new();
        let mut i = from;
        loop {
            i = t.skip_ws(i, end);
            if i + 1 >= end || bytes[i] != b'-' || bytes[i + 1] != b'-' {
                return Ok((flags, i));
            }
            let start = i;
            let mut text = String::new();
            let mut quote: Option<u8> = None;
            while i < end {
                let c = bytes[i];
                match quote {
                    None if is_ws(c) => break,
                    None if c == b'\'' || c == b'"' => quote = Some(c),
                    Some(q) if c == q => quote = None,
                    _ if c == self.escape => {
                        if i + 1 < end {
                            i += 1;
                            let n = next_char_len(t.s, i);
                            text.push_str(&t.s[i..i + n]);
                            i += n - 1;
                        }
                    }
                    _ => {
                        let n = next_char_len(t.s, i);
                        text.push_str(&t.s[i..i + n]);
                        i += n - 1;
                    }
                }
                i += 1;
            }
            let raw_end = i.min(end);
            if text == "--" {
                return Ok((flags, raw_end));
            }
            let Some(body) = text.strip_prefix("--") else {
                return Err((ErrorKind::BadFlag(text), t.span(start, raw_end)));
            };
            let raw = &t.s[start..raw_end];
            let raw_eq = raw.find('=').map(|e| start + e);
            let (name, value) = match body.split_once('=') {
                Some((n, v)) => (n.to_string(), Some(v.to_string())),
                None => (body.to_string(), None),
            };
            let name_span = t.span(start + 2, raw_eq.unwrap_or(raw_end));
            let value = value.map(|v| {
                let vs = raw_eq.map_or(raw_end, |e| e + 1);
                Word::new(v, t.span(vs, raw_end))
            });
            let mount = if name == "mount" && keyword == "RUN" { value.as_ref().map(parse_mount) } else { None };
            flags.push(Flag { name, name_span, value, span: t.span(start, raw_end), mount });
        }
    }

    fn heredocs(&mut self, t: &Text<'_>) -> PResult<Vec<Heredoc>> {
        let mut markers = Vec::new();
        for (x, y) in t.quoted_words(0, t.s.len(), b'\\', true) {
            if let Some((fd, chomp, rest)) = marker(&t.s[x..y]) {
                let name = unquote_delimiter(rest);
                if name.is_empty() {
                    continue;
                }
                let expand = !rest.contains(['\'', '"']);
                markers.push(Marker { name, chomp, expand, fd, span: t.span(x, y) });
            }
        }
        let mut out = Vec::with_capacity(markers.len());
        for m in markers {
            self.heredocs += 1;
            if self.heredocs > MAX_HEREDOCS {
                return Err((ErrorKind::TooManyHeredocs { max: MAX_HEREDOCS }, m.span));
            }
            let Some(body) = self.lines.read_heredoc(&m.name, m.chomp) else {
                return Err((ErrorKind::UnterminatedHeredoc(m.name), m.span));
            };
            let (text, _) = body_text(&body.raw, body.span.start, m.chomp);
            out.push(Heredoc {
                name: m.name,
                marker: m.span,
                body: text,
                body_span: body.span,
                terminator: body.terminator,
                expand: m.expand,
                chomp: m.chomp,
                fd: m.fd,
                script: None,
            });
        }
        Ok(out)
    }

    fn command(&mut self, t: &Text<'_>, a: usize, b: usize, json: Json, run: bool, heredocs: &mut [Heredoc]) -> Option<Command> {
        match json {
            Json::Strings(v) => {
                let args = v.into_iter().map(|(s, x, y)| Word::new(s, t.span(x, y))).collect();
                Some(Command::Exec { args, span: t.span(a, b) })
            }
            _ if a >= b => None,
            _ => {
                let text = t.s[a..b].to_string();
                let span = t.span(a, b);
                let script = if run { self.run_script(t, a, b, heredocs) } else { Script::NotParsed };
                Some(Command::Shell(ShellForm { text, span, script }))
            }
        }
    }

    /// The RUN body as shell: the line with its heredocs appended as a
    /// shell would read them, or, for `RUN <<EOF` alone, the body itself.
    fn run_script(&mut self, t: &Text<'_>, a: usize, b: usize, heredocs: &mut [Heredoc]) -> Script {
        if let Some(sh) = self.shell.first()
            && !is_posix_shell(sh)
        {
            return Script::NotShell { interpreter: sh.clone() };
        }
        let line = &t.s[a..b];
        if let [doc] = heredocs
            && !line.contains(is_ws_char)
            && marker(line).is_some()
        {
            let (text, map) = body_text(&self.src[doc.body_span.range()], doc.body_span.start, doc.chomp);
            doc.script = Some(match shebang(&text) {
                Some(interp) if !is_posix_shell(&interp) => Script::NotShell { interpreter: interp },
                _ => parse_script(&text, &map),
            });
            return Script::NotParsed;
        }
        let mut text = line.to_string();
        let mut map = t.map.slice(a, b);
        for doc in heredocs.iter() {
            text.push('\n');
            map.push(doc.body_span.start.saturating_sub(1), 1);
            text.push_str(&self.src[doc.body_span.range()]);
            map.push(doc.body_span.start, doc.body_span.len());
            text.push_str(&self.src[doc.terminator.range()]);
            map.push(doc.terminator.start, doc.terminator.len());
        }
        parse_script(&text, &map)
    }

    fn copy_args(&self, t: &Text<'_>, a: usize, b: usize, json: Json, heredocs: &[Heredoc], keyword: &str) -> PResult<CopyArgs> {
        let is_json = matches!(json, Json::Strings(_));
        let mut words: Vec<Word> = match json {
            Json::Strings(v) => v.into_iter().map(|(s, x, y)| Word::new(s, t.span(x, y))).collect(),
            _ => t.fields(a, b).into_iter().map(|(x, y)| t.word(x, y)).collect(),
        };
        if words.len() < 2 {
            return Err((
                ErrorKind::Arguments { instruction: keyword.to_string(), expected: "requires at least two arguments (sources and a destination)" },
                t.span(a, b),
            ));
        }
        let Some(dest) = words.pop() else {
            return Err((ErrorKind::Arguments { instruction: keyword.to_string(), expected: "requires a destination" }, t.span(a, b)));
        };
        if !is_json && marker(&dest.text).is_some() {
            return Err((ErrorKind::MisplacedHeredoc(format!("{keyword} destination")), dest.span));
        }
        let sources = words
            .into_iter()
            .map(|w| {
                let doc = if is_json { None } else { marker(&w.text).map(|(_, _, rest)| unquote_delimiter(rest)) };
                match doc.and_then(|name| heredocs.iter().position(|h| h.name == name)) {
                    Some(i) => Source::Heredoc(i),
                    None => Source::Path(w),
                }
            })
            .collect();
        Ok(CopyArgs { sources, dest, json: is_json })
    }

    fn key_values(&self, t: &Text<'_>, a: usize, b: usize, keyword: &str) -> PResult<Vec<KeyValue>> {
        let words = t.quoted_words(a, b, self.escape, false);
        let Some(&(x0, y0)) = words.first() else {
            return Err((ErrorKind::Arguments { instruction: keyword.to_string(), expected: "requires at least one argument" }, t.span(a, b)));
        };
        if !t.s[x0..y0].contains('=') {
            let f = t.fields(a, b);
            let Some(&(kx, ky)) = f.first() else {
                return Err((ErrorKind::Arguments { instruction: keyword.to_string(), expected: "must have two arguments" }, t.span(a, b)));
            };
            let vs = t.skip_ws(ky, b);
            if vs >= b {
                return Err((ErrorKind::Arguments { instruction: keyword.to_string(), expected: "must have two arguments" }, t.span(a, b)));
            }
            return Ok(vec![KeyValue { key: t.word(kx, ky), value: t.word(vs, b), span: t.span(kx, b), legacy: true }]);
        }
        let mut out = Vec::with_capacity(words.len());
        for (x, y) in words {
            let Some(eq) = t.s[x..y].find('=') else {
                return Err((ErrorKind::MissingEquals { instruction: keyword.to_string(), word: t.s[x..y].to_string() }, t.span(x, y)));
            };
            if eq == 0 {
                return Err((ErrorKind::BlankName(keyword.to_string()), t.span(x, y)));
            }
            out.push(KeyValue { key: t.word(x, x + eq), value: t.word(x + eq + 1, y), span: t.span(x, y), legacy: false });
        }
        Ok(out)
    }
}

fn is_ws_char(c: char) -> bool {
    c.is_ascii() && is_ws(c as u8)
}

fn next_char_len(s: &str, i: usize) -> usize {
    s[i..].chars().next().map_or(1, char::len_utf8)
}

fn validate_flags(flags: &[Flag], keyword: &str) -> PResult<()> {
    let Some(allowed) = allowed_flags(keyword) else { return Ok(()) };
    for (i, f) in flags.iter().enumerate() {
        let Some(&(_, kind)) = allowed.iter().find(|(n, _)| *n == f.name) else {
            return Err((ErrorKind::UnknownFlag { instruction: keyword.to_string(), flag: f.name.clone() }, f.span));
        };
        if kind != FlagKind::Repeated && flags[..i].iter().any(|g| g.name == f.name) {
            return Err((ErrorKind::DuplicateFlag(f.name.clone()), f.span));
        }
        match (kind, &f.value) {
            (FlagKind::Value | FlagKind::Repeated, None) => return Err((ErrorKind::MissingFlagValue(f.name.clone()), f.span)),
            (FlagKind::Bool, Some(v)) if !v.text.eq_ignore_ascii_case("true") && !v.text.eq_ignore_ascii_case("false") => {
                return Err((ErrorKind::NotBoolean { flag: f.name.clone(), value: v.text.clone() }, v.span));
            }
            _ => {}
        }
    }
    Ok(())
}

/// Split a `--mount` value into options (comma-separated, double quotes
/// protect commas, as a CSV field).
pub(crate) fn parse_mount(value: &Word) -> Mount {
    let raw = &value.value;
    let exact = value.value == value.text && value.span.len() == value.text.len();
    let mut options = Vec::new();
    let mut field = String::new();
    let mut field_start = 0;
    let mut quoted = false;
    let mut push = |field: &mut String, start: usize, end: usize| {
        let span = if exact { Span::new(value.span.start + start, value.span.start + end) } else { value.span };
        let (key, val) = match field.split_once('=') {
            Some((k, v)) => (k.trim().to_ascii_lowercase(), Some(v.to_string())),
            None => (field.trim().to_ascii_lowercase(), None),
        };
        if !key.is_empty() {
            options.push(MountOption { key, value: val, span });
        }
        field.clear();
    };
    for (i, c) in raw.char_indices() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => {
                push(&mut field, field_start, i);
                field_start = i + 1;
            }
            _ => field.push(c),
        }
    }
    push(&mut field, field_start, raw.len());
    let kind = options.iter().find(|o| o.key == "type").and_then(|o| o.value.clone()).unwrap_or_else(|| "bind".into()).to_ascii_lowercase();
    Mount { kind, options }
}
