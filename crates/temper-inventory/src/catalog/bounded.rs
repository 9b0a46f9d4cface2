//! The bounds every lockfile parser works within, whatever the format.
//!
//! A lockfile may be up to 64 MiB, and its parser's work must stay linear
//! in that size. Nesting is what breaks that: libyaml (behind `yaml_serde`)
//! rescans its stack of possible simple keys, one entry per open flow
//! collection, for every token, so 200 KB of `[[[[…` costs tens of
//! seconds and 64 MiB hours; and a recursive reader of deep nesting
//! overflows its stack. So:
//!
//! - YAML is read by [`yaml`], which pulls events from `saphyr-parser` and
//!   stops at the first collection nested more than [`MAX_DEPTH`] deep, or
//!   past [`max_nodes`] values, before the parser has done more than
//!   linear work; aliases are refused (no lockfile writes them, and they
//!   would let a small file stand for a huge tree).
//! - JSON and TOML are checked by [`json`] and [`toml`], one pass over the
//!   bytes that knows their strings and comments exactly (neither format
//!   has unquoted text that may hold brackets), before `serde_json` or
//!   `toml` sees them; `serde_json`'s own limit of 128 levels stays as a
//!   second fence.
//!
//! Real lockfiles nest a handful of levels (pnpm: five; `package-lock.json`:
//! four; `poetry.lock`, `uv.lock`: three) and spend 20 to 50 bytes per
//! value (names, versions, 90-byte integrity hashes), so the bounds leave
//! room without letting work or memory grow faster than the input: a
//! parsed value costs tens of bytes of memory, and `[0,0,0,…]` would make
//! every two bytes of text one.

use std::borrow::Cow;

use saphyr_parser::{Event, Parser, ScalarStyle};
use yaml_serde::{Mapping, Number, Value};

/// Collections inside collections.
pub const MAX_DEPTH: usize = 64;
/// Scalars and collections in a file of `len` bytes: one per 8 bytes on
/// average, and a few thousand in any file.
pub fn max_nodes(len: usize) -> usize {
    10_000 + len / 8
}

fn too_deep() -> String {
    format!("nested more than {MAX_DEPTH} levels deep")
}

fn too_many(len: usize) -> String {
    format!("more than {} values in {len} bytes", max_nodes(len))
}

/// An open collection.
enum Open {
    Seq(Vec<Value>),
    /// The mapping, and its key while the value is awaited.
    Map(Mapping, Option<Value>),
}

/// The first document of `text`, within the bounds.
pub fn yaml(text: &str) -> Result<Value, String> {
    let mut stack: Vec<Open> = Vec::new();
    let (len, mut nodes) = (text.len(), 0usize);
    let limit = max_nodes(len);
    let mut root = None;
    for event in Parser::new_from_str(text) {
        let (event, span) = event.map_err(|e| {
            // The scanner runs ahead of the events and has a cap of its own.
            if e.info() == "recursion limit exceeded" { format!("{} (line {})", too_deep(), e.marker().line()) } else { e.to_string() }
        })?;
        let value = match event {
            Event::Nothing | Event::StreamStart | Event::DocumentStart(_) => continue,
            Event::StreamEnd | Event::DocumentEnd => break,
            Event::Alias(_) => return Err(format!("alias at line {}: lockfiles have none", span.start.line())),
            Event::SequenceStart(..) | Event::MappingStart(..) => {
                nodes += 1;
                if stack.len() >= MAX_DEPTH {
                    return Err(format!("{} (line {})", too_deep(), span.start.line()));
                }
                if nodes > limit {
                    return Err(too_many(len));
                }
                stack.push(if matches!(event, Event::SequenceStart(..)) { Open::Seq(Vec::new()) } else { Open::Map(Mapping::new(), None) });
                continue;
            }
            Event::SequenceEnd | Event::MappingEnd => match stack.pop() {
                Some(Open::Seq(items)) => Value::Sequence(items),
                Some(Open::Map(map, _)) => Value::Mapping(map),
                None => return Err("unbalanced collection end".into()),
            },
            Event::Scalar(scalar, style, _, tag) => {
                nodes += 1;
                if nodes > limit {
                    return Err(too_many(len));
                }
                if style == ScalarStyle::Plain && tag.is_none() { plain(scalar) } else { Value::String(scalar.into_owned()) }
            }
        };
        match stack.last_mut() {
            None => {
                root = Some(value);
                break;
            }
            Some(Open::Seq(items)) => items.push(value),
            Some(Open::Map(map, key)) => match key.take() {
                None => *key = Some(value),
                Some(k) => {
                    map.insert(k, value);
                }
            },
        }
    }
    root.ok_or_else(|| "no document".to_owned())
}

/// A plain scalar as the YAML core schema reads it: null, a boolean, a
/// number, or else a string.
fn plain(text: Cow<'_, str>) -> Value {
    match text.as_ref() {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        _ => {}
    }
    let numeric = text.starts_with(|c: char| c.is_ascii_digit() || matches!(c, '-' | '+' | '.'))
        && text.chars().all(|c| c.is_ascii_digit() || matches!(c, '-' | '+' | '.' | 'e' | 'E'));
    if numeric {
        if let Ok(i) = text.parse::<i64>() {
            return Value::Number(Number::from(i));
        }
        if let Ok(f) = text.parse::<f64>() {
            return Value::Number(Number::from(f));
        }
    }
    Value::String(text.into_owned())
}

/// One pass over a JSON text: nesting depth and value count within the
/// bounds (strings, with their escapes, are skipped exactly).
pub fn json(text: &[u8]) -> Result<(), String> {
    scan(text, b"", false)
}

/// One pass over a TOML text: array and inline-table nesting and value
/// count within the bounds. Strings (basic, literal, multi-line) and
/// comments are skipped exactly; `[table]` headers at a line's start are
/// not nesting.
pub fn toml(text: &[u8]) -> Result<(), String> {
    scan(text, b"#", true)
}

/// Counts `[`/`{` nesting outside strings and comments (`comment` starts
/// one, to the end of the line); `headers` skips TOML table headers.
fn scan(text: &[u8], comment: &[u8], headers: bool) -> Result<(), String> {
    let (mut depth, mut nodes, mut i, mut line_start) = (0usize, 0usize, 0usize, true);
    let limit = max_nodes(text.len());
    while let Some(&c) = text.get(i) {
        let at_line_start = line_start;
        line_start = c == b'\n' || (line_start && (c == b' ' || c == b'\t'));
        match c {
            b'"' | b'\'' => {
                i = skip_string(text, i);
                nodes += 1;
                continue;
            }
            _ if comment.contains(&c) => {
                i = text[i..].iter().position(|&b| b == b'\n').map_or(text.len(), |n| i + n);
                continue;
            }
            b'[' if headers && depth == 0 && at_line_start => {
                // `[table]` or `[[array.of.tables]]`: a name, not a value.
                i = text[i..].iter().position(|&b| b == b'\n').map_or(text.len(), |n| i + n);
                continue;
            }
            b'[' | b'{' => {
                depth += 1;
                nodes += 1;
                if depth > MAX_DEPTH {
                    return Err(too_deep());
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            b',' => nodes += 1,
            _ => {}
        }
        if nodes > limit {
            return Err(too_many(text.len()));
        }
        i += 1;
    }
    Ok(())
}

/// The index just past the string starting at `start` (a quote); a
/// triple quote opens a multi-line TOML string. `"` strings take `\`
/// escapes, `'` strings none. An unterminated string runs to the end.
fn skip_string(text: &[u8], start: usize) -> usize {
    let q = text[start];
    let triple = text.get(start..start + 3) == Some(&[q, q, q][..]);
    let mut i = start + if triple { 3 } else { 1 };
    while let Some(&c) = text.get(i) {
        if c == b'\\' && q == b'"' {
            i += 2;
            continue;
        }
        if c == q {
            if !triple {
                return i + 1;
            }
            if text.get(i..i + 3) == Some(&[q, q, q][..]) {
                // Up to two more quotes may end the content ("""a""""").
                let mut end = i + 3;
                while end < i + 5 && text.get(end) == Some(&q) {
                    end += 1;
                }
                return end;
            }
        }
        i += 1;
    }
    text.len()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn yaml_values() {
        let v = yaml("lockfileVersion: 5.4\na: {b: [1, '2', true, ~, x]}\nc: !!str 3\n").unwrap();
        assert_eq!(v.get("lockfileVersion").and_then(Value::as_f64), Some(5.4));
        let b = v.get("a").and_then(|a| a.get("b")).and_then(Value::as_sequence).unwrap();
        assert_eq!(b, &[Value::Number(1.into()), Value::String("2".into()), Value::Bool(true), Value::Null, Value::String("x".into())]);
        assert_eq!(v.get("c"), Some(&Value::String("3".into())));
        assert!(yaml("a: &x 1\nb: *x\n").unwrap_err().starts_with("alias"));
    }

    #[test]
    fn yaml_depth_is_bounded() {
        let ok = format!("a: {}{}\n", "[".repeat(MAX_DEPTH - 1), "]".repeat(MAX_DEPTH - 1));
        assert!(yaml(&ok).is_ok());
        let deep = format!("a: {}{}\n", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert_eq!(yaml(&deep).unwrap_err(), format!("nested more than {MAX_DEPTH} levels deep (line 1)"));
    }

    /// Issue 12: every lockfile parser stops deep nesting before it costs
    /// more than linear work (or overflows a stack).
    #[test]
    fn issue_12_every_lockfile_parser_bounds_nesting() {
        use temper_layer::Analyzer;

        use crate::catalog::{cargo_lock, composer, dotnet, nested, npm_lock, pnpm_lock, python_lock, watchdog};
        use crate::package::Fact;

        let size = 400 << 10;
        let toml_lock = |open, close| format!("[[package]]\nname = \"a\"\nversion = \"1\"\nx = {}\n", nested(open, close, size));
        let cases: Vec<(&'static dyn Analyzer<Fact>, &'static str, String)> = vec![
            (&pnpm_lock::PnpmLockCataloger, "app/pnpm-lock.yaml", format!("lockfileVersion: '9.0'\npackages: {}\n", nested("[", "]", size))),
            (&npm_lock::NpmLockCataloger, "app/package-lock.json", format!("{{\"lockfileVersion\": 3, \"packages\": {}}}", nested("[", "]", size))),
            (&python_lock::PythonLockCataloger, "app/Pipfile.lock", format!("{{\"default\": {}}}", nested("{\"a\": ", "}", size))),
            (&python_lock::PythonLockCataloger, "app/poetry.lock", toml_lock("[", "]")),
            (&python_lock::PythonLockCataloger, "app/uv.lock", toml_lock("{a = ", "}")),
            (&cargo_lock::CargoLockCataloger, "app/Cargo.lock", toml_lock("[", "]")),
            (&composer::ComposerCataloger, "app/vendor/composer/installed.json", nested("[", "]", size)),
            (&dotnet::DotnetCataloger, "app/app.deps.json", format!("{{\"libraries\": {}}}", nested("{\"a\": ", "}", size))),
        ];
        for (cataloger, path, text) in cases {
            let err = watchdog(move || cataloger.analyze(path, text.as_bytes())).unwrap_err();
            assert!(err.contains(&format!("nested more than {MAX_DEPTH} levels deep")), "{path}: {err}");
        }
    }

    /// A value per two bytes (`[0,0,0,…]`) is no lockfile, and would cost
    /// tens of times the text's size in memory once parsed.
    #[test]
    fn value_count_is_bounded_by_size() {
        let wide = |open: &str, sep: &str, close: &str| format!("{open}{}0{close}", format!("0{sep}").repeat(100_000));
        let json_text = wide("[", ",", "]");
        assert_eq!(json(json_text.as_bytes()).unwrap_err(), too_many(json_text.len()));
        let toml_text = format!("a = {}", wide("[", ",", "]"));
        assert_eq!(toml(toml_text.as_bytes()).unwrap_err(), too_many(toml_text.len()));
        let yaml_text = format!("a: {}", wide("[", ",", "]"));
        assert_eq!(yaml(&yaml_text).unwrap_err(), too_many(yaml_text.len()));
        // Lockfile-like density passes.
        let entry = "{\"integrity\": \"sha512-abcdefghijklmnopqrstuvwxyz\"},";
        assert!(json(format!("[{}1]", entry.repeat(100_000)).as_bytes()).is_ok());
        assert!(yaml(&format!("a: [{}1]", entry.repeat(100_000))).is_ok());
    }

    #[test]
    fn json_and_toml_depth_is_bounded() {
        let deep = |open: &str, close: &str, n: usize| format!("{}{}", open.repeat(n), close.repeat(n)).into_bytes();
        assert!(json(&deep("[", "]", MAX_DEPTH)).is_ok());
        assert_eq!(json(&deep("[", "]", MAX_DEPTH + 1)).unwrap_err(), too_deep());
        assert_eq!(json(&deep("{\"a\":", "}", MAX_DEPTH + 1)).unwrap_err(), too_deep());
        // Brackets in strings, escaped quotes included, are text.
        assert!(json(format!("[\"\\\"{}\"]", "[".repeat(100)).as_bytes()).is_ok());
        let toml_deep = |n: usize| format!("[[package]]\nname = 'x'\na = {}{}\n", "[".repeat(n), "]".repeat(n)).into_bytes();
        assert!(toml(&toml_deep(MAX_DEPTH)).is_ok());
        assert_eq!(toml(&toml_deep(MAX_DEPTH + 1)).unwrap_err(), too_deep());
        assert_eq!(toml(format!("a = {}1{}", "{b = ".repeat(MAX_DEPTH + 1), "}".repeat(MAX_DEPTH + 1)).as_bytes()).unwrap_err(), too_deep());
        // Comments, literal and multi-line strings hide brackets.
        let hidden = format!("# {0}\na = '{0}'\nb = \"\"\"\n{0}\"\"\"\nc = '''{0}'''\n", "[".repeat(100));
        assert!(toml(hidden.as_bytes()).is_ok());
    }
}
