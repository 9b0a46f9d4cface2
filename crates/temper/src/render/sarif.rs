//! SARIF 2.1.0 logs, the format code-scanning dashboards read. One
//! builder shared by every command that reports rule violations at paths.

use serde_json::{Value, json};

/// A rule (for `scan`: one vulnerability).
pub struct Rule {
    /// Stable id.
    pub id: String,
    /// One line.
    pub short: String,
    /// Longer text.
    pub full: String,
    /// Where to read more.
    pub help_uri: Option<String>,
    /// `error`, `warning` or `note`.
    pub level: &'static str,
    /// Extra properties (`security-severity`, `tags`…).
    pub properties: Value,
}

/// Where a result is. GitHub code scanning rejects a result without a
/// location, so every result has one.
pub enum Location {
    /// A path inside the image, relative to its root.
    InImage {
        /// The path.
        path: String,
        /// Line, when known.
        line: Option<u64>,
    },
    /// A file on disk (the Dockerfile linted, or the one the image was built from).
    File {
        /// The file as given.
        path: std::path::PathBuf,
        /// Line, when known.
        line: Option<u64>,
    },
    /// The image as a whole, by the reference it was read from.
    Image(String),
}

/// One result of a rule.
pub struct Finding {
    /// The rule's id.
    pub rule_id: String,
    /// `error`, `warning` or `note`.
    pub level: &'static str,
    /// What is wrong, and how to fix it.
    pub message: String,
    /// Where.
    pub location: Location,
}

/// Characters left as they are in an artifact URI: RFC 3986's unreserved
/// and sub-delimiters, `:`, `@` and `/`; everything else (space, `%`, `#`,
/// `?`, non-ASCII) is percent-encoded.
const URI_KEEP: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'!')
    .remove(b'$')
    .remove(b'&')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')')
    .remove(b'*')
    .remove(b'+')
    .remove(b',')
    .remove(b';')
    .remove(b'=')
    .remove(b':')
    .remove(b'@')
    .remove(b'/');

fn encode(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, URI_KEEP).to_string()
}

/// A file's `artifactLocation`: relative to the working directory with
/// base `%SRCROOT%` when it is under it (GitHub resolves such URIs against
/// the repository root, where CI runs), else an absolute `file://` URI.
pub fn file_artifact(path: &std::path::Path) -> Value {
    use std::path::{Component, PathBuf};
    let cwd = std::env::current_dir().ok();
    // Symlinks resolved on both sides when the file exists, so a path through
    // a link into the working directory is still found under it.
    let absolute = std::fs::canonicalize(path).unwrap_or_else(|_| cwd.clone().unwrap_or_default().join(path));
    let mut clean = PathBuf::new();
    for c in absolute.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                clean.pop();
            }
            c => clean.push(c),
        }
    }
    let root = cwd.map(|c| std::fs::canonicalize(&c).unwrap_or(c));
    match root.as_deref().and_then(|r| clean.strip_prefix(r).ok()) {
        Some(relative) => {
            let parts: Vec<String> = relative.components().map(|c| encode(&c.as_os_str().to_string_lossy())).collect();
            json!({"uri": parts.join("/"), "uriBaseId": "%SRCROOT%"})
        }
        None => json!({"uri": format!("file://{}", encode(&clean.to_string_lossy()))}),
    }
}

/// `first` and `then` as one text: a full stop between them unless
/// `first` already ends a sentence.
pub fn sentences(first: &str, then: &str) -> String {
    let first = first.trim_end();
    if first.ends_with(['.', '!', '?', ':']) { format!("{first} {then}") } else { format!("{first}. {then}") }
}

/// A whole log with one run of temper.
pub fn log(rules: &[Rule], findings: &[Finding]) -> Value {
    let rule_values: Vec<Value> = rules
        .iter()
        .map(|r| {
            let mut v = json!({
                "id": r.id,
                "name": r.id,
                "shortDescription": {"text": r.short},
                "fullDescription": {"text": r.full},
                "defaultConfiguration": {"level": r.level},
                "help": {"text": r.full},
                "properties": r.properties,
            });
            if let Some(u) = &r.help_uri {
                v["helpUri"] = json!(u);
            }
            v
        })
        .collect();
    let results: Vec<Value> = findings
        .iter()
        .map(|f| {
            let index = rules.iter().position(|r| r.id == f.rule_id);
            let (artifact, line) = match &f.location {
                Location::InImage { path, line } => (json!({"uri": encode(path.trim_start_matches('/')), "uriBaseId": "ROOTPATH"}), *line),
                Location::File { path, line } => (file_artifact(path), *line),
                Location::Image(reference) => (json!({"uri": encode(reference)}), None),
            };
            let mut location = json!({"physicalLocation": {"artifactLocation": artifact}});
            if let Some(line) = line {
                location["physicalLocation"]["region"] = json!({"startLine": line.max(1)});
            }
            let mut v = json!({"ruleId": f.rule_id, "level": f.level, "message": {"text": f.message}, "locations": [location]});
            if let Some(i) = index {
                v["ruleIndex"] = json!(i);
            }
            v
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "temper", "version": env!("CARGO_PKG_VERSION"), "informationUri": "https://example.invalid/temper", "rules": rule_values}},
            "originalUriBaseIds": {"ROOTPATH": {"uri": "file:///"}},
            "results": results,
        }]
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentences_are_punctuated() {
        assert_eq!(sentences("Runs as root", "Fix: add USER"), "Runs as root. Fix: add USER");
        assert_eq!(sentences("Runs as root.", "Add USER."), "Runs as root. Add USER.");
        assert_eq!(sentences("Why?", "Because."), "Why? Because.");
    }

    #[test]
    fn uris_are_percent_encoded() {
        assert_eq!(encode("oci:/tmp/my image#1?x%"), "oci:/tmp/my%20image%231%3Fx%25");
        assert_eq!(encode("ghcr.io/o/r@sha256:ab"), "ghcr.io/o/r@sha256:ab");
    }
}
