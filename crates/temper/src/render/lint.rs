//! `temper lint` output: the terminal view (source line, span underlined,
//! fix), JSON, SARIF, Checkstyle and JUnit.

use std::fmt::Write;

use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};
use serde_json::{Value, json};
use temper_lint::{Finding, Severity};

use crate::commands::lint::{LintedFile, SYNTAX_ERROR};

fn level(s: Severity) -> Level<'static> {
    match s {
        Severity::Error => Level::ERROR,
        Severity::Warning => Level::WARNING,
        Severity::Info => Level::INFO,
        Severity::Style => Level::NOTE,
    }
}

fn id(f: &Finding) -> String {
    match f.hadolint {
        Some(h) if f.rule != SYNTAX_ERROR => format!("{} ({h})", f.rule),
        _ => f.rule.to_owned(),
    }
}

/// The lines of `source` a byte span touches: the text from the start of
/// its first line to the end of its last (newline included), the byte
/// offset of that text, and the 1-based number of its first line.
/// `starts` holds the offset of every line start (each a character
/// boundary, as line starts follow a newline).
fn lines_around(source: &str, starts: &[usize], span: &std::ops::Range<usize>) -> (usize, usize, usize) {
    let line_of = |at: usize| starts.partition_point(|&s| s <= at).max(1) - 1;
    let first = line_of(span.start);
    let last = line_of(span.end.saturating_sub(1).max(span.start));
    let from = starts[first];
    let to = starts.get(last + 1).copied().unwrap_or(source.len());
    (from, to, first + 1)
}

/// Each finding as the source line with its span underlined and the fix,
/// then a count; colours when `styled`. The snippet renderer is handed only
/// the lines a finding covers (found in a line index built once per file),
/// so the cost is linear in the findings, not findings × file size.
pub fn tty(files: &[LintedFile], styled: bool) -> String {
    let renderer = if styled { Renderer::styled() } else { Renderer::plain() };
    // Long source lines are cut around the span to the terminal's width.
    let renderer = match crate::term::width() {
        Some(w) => renderer.term_width(w),
        None => renderer,
    };
    let mut out = String::new();
    let mut counts = [0usize; 4];
    for file in files {
        let source = file.source.as_str();
        let starts: Vec<usize> = std::iter::once(0).chain(source.match_indices('\n').map(|(i, _)| i + 1)).collect();
        let path = super::escape(&file.file);
        for f in &file.findings {
            counts[Severity::ALL.iter().position(|s| *s == f.severity).unwrap_or(0)] += 1;
            let mut span = f.span.start.min(source.len())..f.span.end.min(source.len());
            span.end = span.end.max(span.start);
            let (from, to, line) = lines_around(source, &starts, &span);
            let local = span.start.saturating_sub(from).min(to - from)..span.end.saturating_sub(from).min(to - from);
            let title = level(f.severity).primary_title(f.message.as_str()).id(id(f));
            let snippet = Snippet::source(&source[from..to]).line_start(line).path(path.as_ref()).fold(true).annotation(AnnotationKind::Primary.span(local));
            let report = [title.element(snippet), Group::with_title(Level::HELP.secondary_title(f.hint))];
            let _ = writeln!(out, "{}\n", renderer.render(&report));
        }
    }
    let total: usize = counts.iter().sum();
    let _ = writeln!(
        out,
        "{} file(s), {total} finding(s): {} error, {} warning, {} info, {} style",
        files.len(),
        counts[3],
        counts[2],
        counts[1],
        counts[0]
    );
    out
}

/// `{files, findings[]{file, rule, hadolint, severity, message, hint, line, column, end_line, end_column}}`.
pub fn json(files: &[LintedFile]) -> Value {
    let findings: Vec<Value> = files
        .iter()
        .flat_map(|file| {
            file.findings.iter().map(move |f| {
                let mut v = serde_json::to_value(f).unwrap_or(Value::Null);
                v["file"] = json!(file.file);
                v
            })
        })
        .collect();
    json!({"files": files.iter().map(|f| f.file.as_str()).collect::<Vec<_>>(), "findings": findings})
}

fn sarif_level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info | Severity::Style => "note",
    }
}

/// SARIF 2.1.0: every rule (with its hadolint id in `properties`), one
/// result per finding with its region, in its file relative to the working
/// directory.
pub fn sarif(files: &[LintedFile]) -> Value {
    let registry = temper_lint::rules::registry();
    let mut rules: Vec<Value> = registry
        .iter()
        .map(|r| {
            let m = r.meta();
            let mut properties = json!({"tags": ["dockerfile"], "temper-severity": m.severity});
            if let Some(h) = m.hadolint {
                properties["hadolint"] = json!(h);
            }
            json!({
                "id": m.id, "name": m.id,
                "shortDescription": {"text": m.message},
                "fullDescription": {"text": m.doc},
                "help": {"text": m.hint, "markdown": m.doc},
                "defaultConfiguration": {"level": sarif_level(m.severity)},
                "properties": properties,
            })
        })
        .collect();
    rules.push(json!({
        "id": SYNTAX_ERROR, "name": SYNTAX_ERROR,
        "shortDescription": {"text": "The Dockerfile does not parse"},
        "defaultConfiguration": {"level": "error"},
        "properties": {"hadolint": "DL1000"},
    }));
    let index = |rule: &str| rules.iter().position(|r| r["id"] == rule);
    let results: Vec<Value> = files
        .iter()
        .flat_map(|file| file.findings.iter().map(move |f| (file, f)))
        .map(|(file, f)| {
            let mut v = json!({
                "ruleId": f.rule,
                "level": sarif_level(f.severity),
                "message": {"text": super::sarif::sentences(&f.message, f.hint)},
                "locations": [{"physicalLocation": {
                    "artifactLocation": if file.file == "-" { json!({"uri": "-"}) } else { super::sarif::file_artifact(std::path::Path::new(&file.file)) },
                    "region": {"startLine": f.line, "startColumn": f.column, "endLine": f.end_line, "endColumn": f.end_column.max(f.column)},
                }}],
            });
            if let Some(i) = index(f.rule) {
                v["ruleIndex"] = json!(i);
            }
            if let Some(h) = f.hadolint {
                v["properties"] = json!({"hadolint": h});
            }
            v
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "temper", "version": env!("CARGO_PKG_VERSION"), "informationUri": "https://example.invalid/temper", "rules": rules}},
            "results": results,
        }]
    })
}

/// `s` escaped for an XML attribute.
fn xml(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_control() || matches!(c, '\t' | '\n'))
        .fold(String::with_capacity(s.len()), |mut out, c| {
            match c {
                '&' => out.push_str("&amp;"),
                '<' => out.push_str("&lt;"),
                '>' => out.push_str("&gt;"),
                '"' => out.push_str("&quot;"),
                '\'' => out.push_str("&apos;"),
                '\n' => out.push_str("&#10;"),
                c => out.push(c),
            }
            out
        })
}

/// Checkstyle XML, as CI plugins read it; `source` is `temper.<rule>`.
pub fn checkstyle(files: &[LintedFile]) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<checkstyle version=\"4.3\">\n");
    for file in files {
        let _ = writeln!(out, "  <file name=\"{}\">", xml(&file.file));
        for f in &file.findings {
            let _ = writeln!(
                out,
                "    <error line=\"{}\" column=\"{}\" severity=\"{}\" message=\"{}\" source=\"temper.{}\"/>",
                f.line,
                f.column,
                match f.severity {
                    Severity::Error => "error",
                    Severity::Warning => "warning",
                    Severity::Info | Severity::Style => "info",
                },
                xml(&f.message),
                xml(&id(f))
            );
        }
        out.push_str("  </file>\n");
    }
    out.push_str("</checkstyle>\n");
    out
}

/// JUnit XML: one test suite per file, one failed test case per finding
/// (a file without findings is one passed case).
pub fn junit(files: &[LintedFile]) -> String {
    let total: usize = files.iter().map(|f| f.findings.len().max(1)).sum();
    let failures: usize = files.iter().map(|f| f.findings.len()).sum();
    let mut out = format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"temper lint\" tests=\"{total}\" failures=\"{failures}\">\n");
    for file in files {
        let name = xml(&file.file);
        let _ = writeln!(out, "  <testsuite name=\"{name}\" tests=\"{}\" failures=\"{}\">", file.findings.len().max(1), file.findings.len());
        if file.findings.is_empty() {
            let _ = writeln!(out, "    <testcase name=\"{name}\" classname=\"{name}\"/>");
        }
        for f in &file.findings {
            let _ = writeln!(out, "    <testcase name=\"{}:{} {}\" classname=\"{name}\">", f.line, f.column, xml(&id(f)));
            let _ = writeln!(out, "      <failure message=\"{}\" type=\"{}\">{}:{}:{} {} {}</failure>", xml(&f.message), f.severity, name, f.line, f.column, xml(&f.message), xml(f.hint));
            out.push_str("    </testcase>\n");
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}
