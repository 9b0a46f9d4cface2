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

/// One result of a rule at a path.
pub struct Finding {
    /// The rule's id.
    pub rule_id: String,
    /// `error`, `warning` or `note`.
    pub level: &'static str,
    /// What is wrong, and how to fix it.
    pub message: String,
    /// Path relative to the image root (or the file linted); empty for
    /// the image as a whole.
    pub uri: String,
    /// Line, when known.
    pub line: Option<u64>,
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
            let mut location = json!({"physicalLocation": {"artifactLocation": {"uri": f.uri, "uriBaseId": "ROOTPATH"}}});
            if let Some(line) = f.line {
                location["physicalLocation"]["region"] = json!({"startLine": line});
            }
            // An empty uri is a finding about the image as a whole.
            let locations = if f.uri.is_empty() { json!([]) } else { json!([location]) };
            let mut v = json!({"ruleId": f.rule_id, "level": f.level, "message": {"text": f.message}, "locations": locations});
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
