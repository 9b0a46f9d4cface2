//! The one way temper reads a TOML file into a typed value: every error
//! is one line, `FILE:LINE:COLUMN: `KEY`: what is wrong`, with the
//! file's own text escaped so that a control character in it cannot
//! reach the terminal. Each reader maps the message into its own error.

use std::fmt::Display;
use std::ops::Range;
use std::path::Path;

/// `text`, the TOML file at `path`, parsed as `T`; the error is the
/// one-line message.
pub fn parse<T: serde::de::DeserializeOwned>(path: &Path, text: &str) -> Result<T, String> {
    let de = toml::Deserializer::parse(text).map_err(|e| error(path, text, &e, None))?;
    serde_path_to_error::deserialize(de).map_err(|e| error(path, text, e.inner(), Some(e.path().to_string())))
}

/// The message for a value at `span` of `text` (the file at `path`) under
/// `key`, for checks made after parsing (a glob, a duration, a digest).
pub fn at(path: &Path, text: &str, span: Range<usize>, key: &str, why: impl Display) -> String {
    format!("{}{}: `{key}`: {}", path.display(), place(text, span.start), one_line(&why.to_string()))
}

/// `s` with control characters escaped (`\n`, `\u{1b}`), so it stays on
/// one line and cannot drive a terminal.
pub fn one_line(s: &str) -> String {
    s.chars().map(|c| if c.is_control() { c.escape_default().to_string() } else { c.to_string() }).collect()
}

/// `:LINE:COLUMN` (1-based, the column in characters) of byte `at` of `text`.
fn place(text: &str, at: usize) -> String {
    let before = text.get(..at).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    format!(":{line}:{column}")
}

/// A TOML error with its place and the dotted key it is about, when known.
fn error(path: &Path, text: &str, e: &toml::de::Error, key: Option<String>) -> String {
    let place = e.span().map_or_else(String::new, |span| place(text, span.start));
    // serde_path_to_error calls the document itself ".".
    let key = key.filter(|k| k != ".").map_or_else(String::new, |k| format!(" `{k}`:"));
    format!("{}{place}:{} {}", path.display(), one_line(&key), one_line(e.message()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct File {
        name: String,
        #[serde(default)]
        table: Table,
    }

    #[derive(serde::Deserialize, Debug, Default)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Table {
        count: Option<u32>,
    }

    fn err(text: &str) -> String {
        parse::<File>(Path::new("f.toml"), text).unwrap_err()
    }

    #[test]
    fn a_wrong_type_names_the_place_and_the_key() {
        assert_eq!(err("name = \"a\"\n[table]\ncount = \"x\"\n"), "f.toml:3:9: `table.count`: invalid type: string \"x\", expected u32");
    }

    #[test]
    fn an_unknown_key_and_a_syntax_error_are_placed() {
        let unknown = err("name = \"a\"\nbogus = 1\n");
        assert!(unknown.starts_with("f.toml:2:1:") && unknown.contains("unknown field `bogus`"), "{unknown}");
        let syntax = err("name = \"a\n");
        assert!(syntax.starts_with("f.toml:1:") && !syntax.contains('\n'), "{syntax}");
    }

    #[test]
    fn columns_count_characters_and_control_characters_are_escaped() {
        let text = "name = \"é\"\n  x = 1";
        assert_eq!(at(Path::new("f.toml"), text, 14..15, "x", "bad\n\u{1b}[31m"), "f.toml:2:3: `x`: bad\\n\\u{1b}[31m");
        assert_eq!(place("ééé", 4), ":1:3");
    }
}
