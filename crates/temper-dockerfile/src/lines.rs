//! From source bytes to logical lines, the way BuildKit reads them.
//!
//! BuildKit reads a Dockerfile line by line: parser directives while they
//! last, then one instruction per line, where a line ending in the escape
//! character continues on the next. Inside a continued instruction, comment
//! lines and blank lines are dropped, and the joined text has no newline
//! where the lines met (`a \` + `  b` is `a   b`). Heredoc bodies are read
//! after the whole instruction, raw, up to their terminator line.

use crate::error::ErrorKind;
use crate::span::{OffsetMap, Span};

/// A parser directive from the top of the file (`# syntax=…`, `# escape=…`,
/// `# check=…`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directive {
    /// The name, lowercased.
    pub name: String,
    /// The value, trimmed.
    pub value: String,
    /// The whole comment line.
    pub span: Span,
    /// The value.
    pub value_span: Span,
}

/// One instruction's text with its continuations joined.
#[derive(Debug, Clone)]
pub(crate) struct Logical {
    pub text: String,
    pub map: OffsetMap,
    /// From the first byte of the instruction to the end of its last line.
    pub span: Span,
    /// Blank lines inside the continuation (BuildKit warns about these).
    pub empty_continuations: Vec<Span>,
}

/// A heredoc body as read from the source.
#[derive(Debug, Clone)]
pub(crate) struct Body {
    /// The lines between the instruction and the terminator, newlines kept.
    pub raw: String,
    /// Where those lines are.
    pub span: Span,
    /// The terminator line.
    pub terminator: Span,
}

pub(crate) struct Lines<'a> {
    src: &'a str,
    pos: usize,
    escape: u8,
    pub directives: Vec<Directive>,
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | b'\x0b' | b'\x0c')
}

/// The line starting at `at`: its content end (before `\r\n`) and the start
/// of the next line.
fn line_at(src: &str, at: usize) -> (usize, usize) {
    let bytes = src.as_bytes();
    let next = memchr_newline(&bytes[at..]).map_or(src.len(), |i| at + i + 1);
    let mut end = next;
    while end > at && matches!(bytes[end - 1], b'\n' | b'\r') {
        end -= 1;
    }
    (end, next)
}

fn memchr_newline(b: &[u8]) -> Option<usize> {
    b.iter().position(|&c| c == b'\n')
}

fn skip_space(src: &str, mut at: usize, end: usize) -> usize {
    let b = src.as_bytes();
    while at < end && is_space(b[at]) {
        at += 1;
    }
    at
}

impl<'a> Lines<'a> {
    /// Read the parser directives and set the escape character.
    pub fn new(src: &'a str) -> Result<Self, (ErrorKind, Span)> {
        let pos = if src.starts_with('\u{feff}') { 3 } else { 0 };
        let mut lines = Lines { src, pos, escape: b'\\', directives: Vec::new() };
        lines.read_directives()?;
        Ok(lines)
    }

    pub fn escape(&self) -> u8 {
        self.escape
    }

    fn read_directives(&mut self) -> Result<(), (ErrorKind, Span)> {
        let b = self.src.as_bytes();
        while self.pos < self.src.len() {
            let (end, next) = line_at(self.src, self.pos);
            let start = skip_space(self.src, self.pos, end);
            if start >= end || b[start] != b'#' {
                return Ok(());
            }
            let body = skip_space(self.src, start + 1, end);
            let name_end = (body..end).find(|&i| !b[i].is_ascii_alphanumeric()).unwrap_or(end);
            if name_end == body || !b[body].is_ascii_alphabetic() {
                return Ok(());
            }
            let eq = skip_space(self.src, name_end, end);
            if eq >= end || b[eq] != b'=' {
                return Ok(());
            }
            let value_start = skip_space(self.src, eq + 1, end);
            let mut value_end = end;
            while value_end > value_start && is_space(b[value_end - 1]) {
                value_end -= 1;
            }
            if value_start >= value_end {
                return Ok(());
            }
            let name = self.src[body..name_end].to_ascii_lowercase();
            if !matches!(name.as_str(), "syntax" | "escape" | "check") {
                return Ok(());
            }
            let span = Span::new(start, end);
            if self.directives.iter().any(|d| d.name == name) {
                return Err((ErrorKind::DuplicateDirective(name), span));
            }
            let value = self.src[value_start..value_end].to_string();
            if name == "escape" {
                self.escape = match value.as_str() {
                    "\\" => b'\\',
                    "`" => b'`',
                    _ => return Err((ErrorKind::InvalidEscape(value), Span::new(value_start, value_end))),
                };
            }
            self.directives.push(Directive { name, value, span, value_span: Span::new(value_start, value_end) });
            self.pos = next;
        }
        Ok(())
    }

    fn is_comment(&self, start: usize, end: usize) -> bool {
        let at = skip_space(self.src, start, end);
        at < end && self.src.as_bytes()[at] == b'#'
    }

    /// Where the content of the line `start..end` stops if it ends in a
    /// line continuation: the escape character, then only blanks, and not
    /// itself escaped.
    fn continuation(&self, start: usize, end: usize) -> Option<usize> {
        let b = self.src.as_bytes();
        let mut i = end;
        while i > start && matches!(b[i - 1], b' ' | b'\t') {
            i -= 1;
        }
        if i == start || b[i - 1] != self.escape {
            return None;
        }
        let esc = i - 1;
        if esc > start && b[esc - 1] == self.escape {
            return None;
        }
        Some(esc)
    }

    /// The next instruction's logical line, or `None` at the end.
    pub fn next_logical(&mut self) -> Option<Logical> {
        let b = self.src.as_bytes();
        while self.pos < self.src.len() {
            let (end, next) = line_at(self.src, self.pos);
            let start = skip_space(self.src, self.pos, end);
            self.pos = next;
            if start >= end || b[start] == b'#' {
                continue;
            }
            let mut text = String::new();
            let mut map = OffsetMap::default();
            let mut empty_continuations = Vec::new();
            let mut last_end = end;
            let mut cont = self.continuation(start, end);
            let content_end = cont.unwrap_or(end);
            text.push_str(&self.src[start..content_end]);
            map.push(start, content_end - start);
            while cont.is_some() && self.pos < self.src.len() {
                let (end, next) = line_at(self.src, self.pos);
                let line_start = self.pos;
                self.pos = next;
                if self.is_comment(line_start, end) {
                    continue;
                }
                if skip_space(self.src, line_start, end) >= end {
                    empty_continuations.push(Span::new(line_start, end));
                    continue;
                }
                cont = self.continuation(line_start, end);
                let content_end = cont.unwrap_or(end);
                text.push_str(&self.src[line_start..content_end]);
                map.push(line_start, content_end - line_start);
                last_end = end;
            }
            return Some(Logical { text, map, span: Span::new(start, last_end), empty_continuations });
        }
        None
    }

    /// Read a heredoc body up to the line that is `name` (after leading
    /// tabs are dropped, when `chomp`).
    pub fn read_heredoc(&mut self, name: &str, chomp: bool) -> Option<Body> {
        let body_start = self.pos;
        while self.pos < self.src.len() {
            let (end, next) = line_at(self.src, self.pos);
            let mut line = &self.src[self.pos..end];
            if chomp {
                line = line.trim_start_matches('\t');
            }
            if line == name {
                let body = Span::new(body_start, self.pos);
                let terminator = Span::new(self.pos, end);
                self.pos = next;
                return Some(Body { raw: self.src[body.range()].to_string(), span: body, terminator });
            }
            self.pos = next;
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn logicals(src: &str) -> Vec<String> {
        let mut l = Lines::new(src).unwrap();
        std::iter::from_fn(|| l.next_logical()).map(|x| x.text).collect()
    }

    #[test]
    fn joins_continuations_and_drops_comments_inside() {
        let src = "FROM a\nRUN a \\\n# note\n\n  b \\\n  c\n# after\nUSER x\n";
        assert_eq!(logicals(src), ["FROM a", "RUN a   b   c", "USER x"]);
    }

    #[test]
    fn escaped_escape_is_not_a_continuation() {
        assert_eq!(logicals("RUN a \\\\\nRUN b\n"), ["RUN a \\\\", "RUN b"]);
    }

    #[test]
    fn backtick_escape() {
        let src = "# escape=`\nRUN a `\n  b\\\nRUN c\n";
        let mut l = Lines::new(src).unwrap();
        assert_eq!(l.escape(), b'`');
        assert_eq!(l.next_logical().unwrap().text, "RUN a   b\\");
    }

    #[test]
    fn directives_stop_at_first_other_line() {
        let l = Lines::new("# syntax=docker/dockerfile:1\n# check=skip=all\n\n# escape=`\nFROM a\n").unwrap();
        assert_eq!(l.directives.len(), 2);
        assert_eq!(l.escape(), b'\\');
        assert!(Lines::new("# escape=x\n").is_err());
        assert!(Lines::new("# syntax=a\n# syntax=b\n").is_err());
    }
}
