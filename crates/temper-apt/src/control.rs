//! Debian control paragraphs (deb822): `Field: value` lines, continuation
//! lines starting with a space or tab, paragraphs separated by blank lines.
//! Shared by `Release`, `Packages` and `.sources` files.
//!
//! Hand-written rather than taken from `deb822-lossless` or `debian-control`:
//! those build a lossless syntax tree of the whole file before anything can be
//! refused, and a `Packages` index is tens of megabytes read from the network.
//! Here paragraphs are read one at a time from a stream, and a line or a
//! paragraph above its limit is an error before it is buffered.

use std::io::BufRead;

/// One paragraph: its fields in order, and its text as read.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Paragraph {
    /// `(name, value)`; a multi-line value keeps its continuation lines
    /// joined by `\n`, each without its first space, and ` .` lines empty.
    pub fields: Vec<(String, String)>,
    /// The paragraph's lines as read, ending in `\n`.
    pub raw: String,
}

impl Paragraph {
    /// The value of field `name` (case-insensitive, as deb822 says).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// Why a paragraph could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    /// A line or a paragraph is above its byte limit.
    #[error("line {line}: a paragraph or line is longer than {limit} bytes")]
    TooLong {
        /// The line where the limit was crossed.
        line: usize,
        /// The limit in bytes.
        limit: usize,
    },
    /// A line is neither `Field: value`, a continuation nor blank.
    #[error("line {line}: not a `Field: value` line")]
    Syntax {
        /// The offending line.
        line: usize,
    },
    /// A line is not UTF-8.
    #[error("line {line}: not UTF-8")]
    Utf8 {
        /// The offending line.
        line: usize,
    },
    /// Reading failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// Reads paragraphs from `input`, none above `limit` bytes; lines starting
/// with `#` are comments (as in `.sources` files and apt's parser).
pub struct Paragraphs<R> {
    input: R,
    limit: usize,
    line: usize,
    buf: Vec<u8>,
}

impl<R: BufRead> Paragraphs<R> {
    /// Paragraphs of `input`, each at most `limit` bytes.
    pub fn new(input: R, limit: usize) -> Self {
        Paragraphs { input, limit, line: 0, buf: Vec::new() }
    }

    /// One line into `self.buf` (without its `\n`), `false` at the end;
    /// never more than `budget` bytes are buffered.
    fn read_line(&mut self, budget: usize) -> Result<bool, ParseError> {
        self.buf.clear();
        loop {
            let chunk = self.input.fill_buf()?;
            if chunk.is_empty() {
                return Ok(!self.buf.is_empty());
            }
            let (take, done) = match chunk.iter().position(|&b| b == b'\n') {
                Some(i) => (i + 1, true),
                None => (chunk.len(), false),
            };
            if self.buf.len() + take > budget {
                return Err(ParseError::TooLong { line: self.line + 1, limit: self.limit });
            }
            self.buf.extend_from_slice(&chunk[..take]);
            self.input.consume(take);
            if done {
                self.buf.pop();
                if self.buf.last() == Some(&b'\r') {
                    self.buf.pop();
                }
                return Ok(true);
            }
        }
    }
}

impl<R: BufRead> Iterator for Paragraphs<R> {
    type Item = Result<Paragraph, ParseError>;

    fn next(&mut self) -> Option<Self::Item> {
        let mut para = Paragraph::default();
        loop {
            let budget = self.limit.saturating_sub(para.raw.len());
            match self.read_line(budget) {
                Err(e) => return Some(Err(e)),
                Ok(false) => return (!para.fields.is_empty()).then_some(Ok(para)),
                Ok(true) => {}
            }
            self.line += 1;
            let Ok(line) = std::str::from_utf8(&self.buf) else {
                return Some(Err(ParseError::Utf8 { line: self.line }));
            };
            if line.trim().is_empty() {
                if para.fields.is_empty() {
                    continue;
                }
                return Some(Ok(para));
            }
            if line.starts_with('#') {
                continue;
            }
            para.raw.push_str(line);
            para.raw.push('\n');
            if line.starts_with([' ', '\t']) {
                let Some((_, value)) = para.fields.last_mut() else {
                    return Some(Err(ParseError::Syntax { line: self.line }));
                };
                let rest = &line[1..];
                value.push('\n');
                if rest.trim() != "." {
                    value.push_str(rest);
                }
                continue;
            }
            let Some((name, value)) = line.split_once(':') else {
                return Some(Err(ParseError::Syntax { line: self.line }));
            };
            if name.is_empty() || name.contains(char::is_whitespace) {
                return Some(Err(ParseError::Syntax { line: self.line }));
            }
            para.fields.push((name.to_owned(), value.trim().to_owned()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn continuation_lines_and_dot_lines_join_the_value() {
        let text = "A: 1\nB:\n line one\n .\n line three\n\n\nA: 2\n";
        let paras: Vec<_> = Paragraphs::new(text.as_bytes(), 1024).collect::<Result<_, _>>().unwrap();
        assert_eq!(paras.len(), 2);
        assert_eq!(paras[0].get("b"), Some("\nline one\n\nline three"));
        assert_eq!(paras[0].raw, "A: 1\nB:\n line one\n .\n line three\n");
        assert_eq!(paras[1].get("A"), Some("2"));
    }

    #[test]
    fn a_paragraph_above_the_limit_is_refused_before_it_is_buffered() {
        let text = format!("A: {}\n", "x".repeat(10_000));
        let err = Paragraphs::new(text.as_bytes(), 100).next().unwrap().unwrap_err();
        assert!(matches!(err, ParseError::TooLong { line: 1, limit: 100 }), "{err}");
    }

    #[test]
    fn a_line_without_a_colon_is_a_syntax_error() {
        let err = Paragraphs::new(&b"A: 1\nnonsense\n"[..], 100).next().unwrap().unwrap_err();
        assert!(matches!(err, ParseError::Syntax { line: 2 }), "{err}");
    }
}
