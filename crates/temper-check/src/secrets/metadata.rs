//! Secrets in the image config: `Env`, `Labels` and each history entry's
//! `created_by`, where `ENV` lines and build arguments (`RUN |1 NAME=value
//! /bin/sh -c …`) leave their values.
//!
//! The content rules run on each string as on a file (the file-format
//! rules aside), and one more rule, `secret-like-env-name`, reports a
//! variable whose name says it is secret (`DB_PASSWORD`, `API_TOKEN`) set
//! to a real value. A value that names a file (`*_FILE=/run/secrets/db`,
//! the recommended pattern) is not a leak.

use std::ops::Range;

use temper_image::model::ImageConfig;

use super::MetadataSecret;
use super::scan::{self, Hit};
use super::values;

/// The rule for secret-named variables.
pub(crate) const ENV_NAME_RULE: &str = "secret-like-env-name";

/// Name parts that say a variable holds a secret.
const SECRET_NAMES: &[&str] = &["PASSWORD", "PASSWD", "SECRET", "TOKEN", "API_KEY", "APIKEY", "PRIVATE_KEY", "ACCESS_KEY", "CREDENTIAL", "AUTH_KEY"];

/// Name endings that say the variable is about a secret, not the secret.
const NOT_SECRET_SUFFIXES: &[&str] =
    &["_FILE", "_PATH", "_DIR", "_URL", "_URI", "_ENDPOINT", "_NAME", "_ID", "_LENGTH", "_TTL", "_EXPIRY", "_TIMEOUT", "_ENABLED", "_HEADER", "_TYPE"];

/// Whether `name=value` is a secret-named variable holding a real value.
pub(crate) fn secret_env(name: &str, value: &[u8]) -> bool {
    let name = name.to_ascii_uppercase().replace(['.', '-'], "_");
    SECRET_NAMES.iter().any(|s| name.contains(s))
        && !NOT_SECRET_SUFFIXES.iter().any(|s| name.ends_with(s))
        && !value.starts_with(b"/")
        && values::literal(value, 4)
}

/// The env-name hit for `name` and the value at `value` in `text`, if any.
fn env_hit(text: &str, name: Range<usize>, value: Range<usize>) -> Option<Hit> {
    let (n, v) = (text.get(name)?, text.as_bytes().get(value.clone())?);
    secret_env(n, v).then(|| Hit { rank: scan::env_name_rank(), rule: ENV_NAME_RULE, redacted: redacted_var(text, value.clone()), span: value })
}

/// `NAME=Sup3*****`: the variable with its value masked.
fn redacted_var(text: &str, value: Range<usize>) -> String {
    scan::redact(text.as_bytes(), value, 4)
}

/// Secrets in one `NAME=value` string (an `Env` entry or a label).
fn scan_assignment(text: &str) -> Vec<scan::Located> {
    let mut hits = scan::hits(text.as_bytes(), None);
    if let Some(eq) = text.find('=') {
        hits.extend(env_hit(text, 0..eq, eq + 1..text.len()));
    }
    scan::resolve(text.as_bytes(), hits)
}

/// Secrets in one history `created_by`.
fn scan_created_by(text: &str) -> Vec<scan::Located> {
    let mut hits = scan::hits(text.as_bytes(), None);
    hits.extend(assignments(text).into_iter().filter_map(|(n, v)| env_hit(text, n, v)));
    scan::resolve(text.as_bytes(), hits)
}

/// The variables an `ENV` or `ARG` instruction sets, or the build
/// arguments a `RUN` records (`|2 A=1 B=2 /bin/sh -c …`), as (name, value)
/// byte ranges of `text`.
pub(crate) fn assignments(text: &str) -> Vec<(Range<usize>, Range<usize>)> {
    let b = text.as_bytes();
    let mut at = skip_spaces(b, 0);
    for prefix in ["/bin/sh -c ", "#(nop)"] {
        if text.get(at..).is_some_and(|t| t.starts_with(prefix)) {
            at = skip_spaces(b, at + prefix.len());
        }
    }
    let rest = text.get(at..).unwrap_or_default();
    if rest.starts_with("ENV ") || rest.starts_with("ARG ") {
        let start = skip_spaces(b, at + 4);
        let mut out = Vec::new();
        let mut pos = start;
        while let Some((name, value, next)) = token(b, pos) {
            match value {
                Some(v) => out.push((name, v)),
                // `ENV NAME value`, the legacy form: one variable, the
                // rest of the line its value.
                None if pos == start && !matches!(b.get(name.end), None | Some(b'\n')) => {
                    let v0 = skip_spaces(b, name.end);
                    let v1 = b[v0..].iter().position(|&c| c == b'\n').map_or(b.len(), |i| v0 + i);
                    let v1 = v0 + text[v0..v1].trim_end().len();
                    out.push((name, v0..v1));
                    break;
                }
                None => {}
            }
            pos = next;
        }
        return out;
    }
    let run = rest.strip_prefix("RUN ").map_or(at, |_| skip_spaces(b, at + 4));
    let Some(count) = text.get(run..).and_then(|t| t.strip_prefix('|')) else { return Vec::new() };
    let digits = count.bytes().take_while(u8::is_ascii_digit).count();
    let Ok(n) = count[..digits].parse::<usize>() else { return Vec::new() };
    let mut pos = run + 1 + digits;
    let mut out = Vec::new();
    for _ in 0..n {
        let Some((name, value, next)) = token(b, pos) else { break };
        if let Some(v) = value {
            out.push((name, v));
        }
        pos = next;
    }
    out
}

fn skip_spaces(b: &[u8], mut at: usize) -> usize {
    while b.get(at).is_some_and(|c| *c == b' ' || *c == b'\t') {
        at += 1;
    }
    at
}

/// The shell-like word at `at`: its name range, its value range if it is
/// `NAME=value` (quotes excluded), and where the next word starts.
fn token(b: &[u8], at: usize) -> Option<(Range<usize>, Option<Range<usize>>, usize)> {
    let at = skip_spaces(b, at);
    if at >= b.len() || b[at] == b'\n' {
        return None;
    }
    let name_end = at + b[at..].iter().position(|&c| !(c.is_ascii_alphanumeric() || c == b'_' || c == b'.' || c == b'-')).unwrap_or(b.len() - at);
    if b.get(name_end) != Some(&b'=') || name_end == at {
        let end = at + b[at..].iter().position(|&c| c == b' ' || c == b'\t' || c == b'\n').unwrap_or(b.len() - at);
        return Some((at..end, None, end.max(at + 1)));
    }
    let v = name_end + 1;
    let (value, next) = match b.get(v) {
        Some(&q @ (b'"' | b'\'')) => {
            let mut i = v + 1;
            while i < b.len() && b[i] != q {
                i += if b[i] == b'\\' && q == b'"' { 2 } else { 1 };
            }
            let end = i.min(b.len());
            (v + 1..end, (end + 1).min(b.len()))
        }
        _ => {
            let end = v + b[v..].iter().position(|&c| c == b' ' || c == b'\t' || c == b'\n').unwrap_or(b.len() - v);
            (v..end, end)
        }
    };
    Some((at..name_end, Some(value), next.max(at + 1)))
}

/// Secrets in `Env` (line: the variable's 1-based position in `Env`),
/// `Labels` (line: the label's 1-based position in key order) and each
/// history `created_by` (line within the string; `N` in
/// `history[N].created_by` counts every entry, empty layers included).
pub fn scan_config(config: &ImageConfig) -> Vec<MetadataSecret> {
    let mut out = Vec::new();
    let mut push = |path: &str, line: u32, s: scan::Located| out.push(MetadataSecret { rule: s.rule.to_owned(), path: path.to_owned(), line, redacted: s.redacted });
    for (i, var) in config.config.env.iter().flatten().enumerate() {
        for s in scan_assignment(var) {
            push("config.Env", u32::try_from(i + 1).unwrap_or(u32::MAX), s);
        }
    }
    for (i, (k, v)) in config.config.labels.iter().flatten().enumerate() {
        for s in scan_assignment(&format!("{k}={v}")) {
            push("config.Labels", u32::try_from(i + 1).unwrap_or(u32::MAX), s);
        }
    }
    for (n, h) in config.history.iter().enumerate() {
        let Some(created_by) = &h.created_by else { continue };
        let path = format!("history[{n}].created_by");
        for s in scan_created_by(created_by) {
            let line = s.line;
            push(&path, line, s);
        }
    }
    out
}
