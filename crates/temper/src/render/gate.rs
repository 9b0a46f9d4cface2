//! `temper gate`: the verdict as a table (the verdict and every rule
//! first, then what offends), SARIF (one result per failed or warned
//! rule) and JUnit XML (one test case per rule).

use std::fmt::Write as _;

use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use serde_json::{Value, json};
use temper_policy::{RuleStatus, Status, Verdict};
use temper_verdict::Assessment;

use super::{escape, fit_line};

fn status_word(s: RuleStatus) -> &'static str {
    match s {
        RuleStatus::Pass => "PASS",
        RuleStatus::Warn => "WARN",
        RuleStatus::Fail => "FAIL",
        RuleStatus::Excepted => "EXCEPT",
    }
}

fn style(word: &str) -> anstyle::Style {
    match word {
        "FAIL" | "FAILED" => anstyle::Style::new().bold().fg_color(Some(anstyle::AnsiColor::Red.into())),
        "WARN" | "WARNED" => anstyle::Style::new().bold().fg_color(Some(anstyle::AnsiColor::Yellow.into())),
        "PASS" | "PASSED" => anstyle::Style::new().fg_color(Some(anstyle::AnsiColor::Green.into())),
        _ => anstyle::Style::new().dimmed(),
    }
}

/// The most offending items listed under one rule in the table (JSON has them all).
const ITEMS_SHOWN: usize = 10;

/// The verdict, the image, each rule's status and reason, then the items
/// each failed or warned rule names.
pub fn table(verdict: &Verdict, assessment: Option<&Assessment>, policy: &str) -> String {
    let mut out = String::new();
    let word = match verdict.status {
        Status::Pass => "PASSED",
        Status::Warn => "WARNED",
        Status::Fail => "FAILED",
    };
    let _ = writeln!(out, "Verdict  {} ({})", crate::term::paint(word, style(word)), escape(policy));
    let _ = writeln!(out, "Image    {}", escape(&verdict.image));
    if let Some(a) = assessment {
        if let Some(d) = &a.image.digest {
            let _ = writeln!(out, "Digest   {}", escape(d));
        }
        let c = &a.vulnerabilities.counts;
        let _ = writeln!(out, "Findings {} critical, {} high, {} medium, {} low, {} unknown; {} secrets; {} signatures verified", c.critical, c.high, c.medium, c.low, c.unknown, a.secrets.len(), a.signatures.verified.len());
    }
    out.push('\n');
    let width = verdict.results.iter().map(|r| r.rule.len()).max().unwrap_or(0).max("RULE".len());
    let _ = writeln!(out, "{:<6}  {:<width$}  REASON", "STATUS", "RULE");
    for r in &verdict.results {
        let word = status_word(r.status);
        let line = fit_line(&format!("{word:<6}  {:<width$}  {}", escape(&r.rule), escape(&r.reason))).into_owned();
        let rest = line.strip_prefix(word).unwrap_or(&line).to_owned();
        let _ = writeln!(out, "{}{rest}", crate::term::paint(word, style(word)));
    }
    for r in verdict.results.iter().filter(|r| matches!(r.status, RuleStatus::Fail | RuleStatus::Warn) && !r.items.is_empty()) {
        let _ = writeln!(out, "\n{} {} ({}):", status_word(r.status), escape(&r.rule), escape(&r.source));
        for item in r.items.iter().take(ITEMS_SHOWN) {
            let _ = writeln!(out, "  {}", fit_line(&escape(item)));
        }
        if r.items.len() > ITEMS_SHOWN {
            let _ = writeln!(out, "  … and {} more (--format json lists them all)", r.items.len() - ITEMS_SHOWN);
        }
    }
    out
}

/// SARIF 2.1.0: one rule per policy rule, one result per failed or warned rule, located at the image.
pub fn sarif(verdict: &Verdict, policy: &str) -> Value {
    let judged: Vec<_> = verdict.results.iter().filter(|r| matches!(r.status, RuleStatus::Fail | RuleStatus::Warn)).collect();
    let rules: Vec<super::sarif::Rule> = judged
        .iter()
        .map(|r| super::sarif::Rule {
            id: r.rule.clone(),
            short: format!("policy rule {}", r.rule),
            full: format!("The rule {} of {policy} ({}).", r.rule, r.source),
            help_uri: None,
            level: level(r.status),
            properties: json!({ "tags": ["policy"] }),
        })
        .collect();
    let findings: Vec<super::sarif::Finding> = judged
        .iter()
        .map(|r| {
            let items = if r.items.is_empty() { String::new() } else { format!(" Offending: {}.", r.items.join(", ")) };
            super::sarif::Finding { rule_id: r.rule.clone(), level: level(r.status), message: format!("{}.{items}", r.reason.trim_end_matches('.')), location: super::sarif::Location::Image(verdict.image.clone()) }
        })
        .collect();
    super::sarif::log(&rules, &findings)
}

fn level(s: RuleStatus) -> &'static str {
    match s {
        RuleStatus::Fail => "error",
        RuleStatus::Warn => "warning",
        RuleStatus::Pass | RuleStatus::Excepted => "note",
    }
}

/// XML 1.0 refuses most control characters even escaped; text from an
/// image or a policy message may hold them.
fn xml_text(s: &str) -> String {
    s.chars().map(|c| if c.is_control() && !matches!(c, '\t' | '\n' | '\r') { '\u{fffd}' } else { c }).collect()
}

/// JUnit XML as CI test reports read it: one `testsuite` for the image, one
/// `testcase` per rule; a failed rule is a `failure`, a warned one is
/// `skipped` with its message (JUnit has no warning).
pub fn junit(verdict: &Verdict, policy: &str) -> String {
    let mut w = quick_xml::Writer::new_with_indent(Vec::new(), b' ', 2);
    let failures = verdict.results.iter().filter(|r| r.status == RuleStatus::Fail).count();
    let skipped = verdict.results.iter().filter(|r| r.status == RuleStatus::Warn).count();
    let (tests, failures, skipped) = (verdict.results.len().to_string(), failures.to_string(), skipped.to_string());
    let suite_name = xml_text(&format!("temper gate {}", verdict.image));
    let policy = xml_text(policy);
    let mut events = vec![Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None))];
    events.push(Event::Start(BytesStart::new("testsuites").with_attributes([("name", "temper gate"), ("tests", tests.as_str()), ("failures", failures.as_str()), ("errors", "0"), ("skipped", skipped.as_str())])));
    events.push(Event::Start(BytesStart::new("testsuite").with_attributes([("name", suite_name.as_str()), ("tests", tests.as_str()), ("failures", failures.as_str()), ("errors", "0"), ("skipped", skipped.as_str())])));
    for r in &verdict.results {
        let name = xml_text(&r.rule);
        let class = xml_text(&format!("{policy}:{}", r.source));
        let case = BytesStart::new("testcase").with_attributes([("name", name.as_str()), ("classname", class.as_str())]);
        let body = xml_text(&if r.items.is_empty() { r.reason.clone() } else { format!("{}\n{}", r.reason, r.items.join("\n")) });
        let message = xml_text(&r.reason);
        match r.status {
            RuleStatus::Pass | RuleStatus::Excepted => events.push(Event::Empty(case)),
            RuleStatus::Fail | RuleStatus::Warn => {
                let tag = if r.status == RuleStatus::Fail { "failure" } else { "skipped" };
                events.push(Event::Start(case));
                let mut inner = BytesStart::new(tag).with_attributes([("message", message.as_str())]);
                if r.status == RuleStatus::Fail {
                    inner.push_attribute(("type", "policy"));
                }
                events.push(Event::Start(inner));
                events.push(Event::Text(BytesText::new(&body).into_owned()));
                events.push(Event::End(BytesEnd::new(tag)));
                events.push(Event::End(BytesEnd::new("testcase")));
            }
        }
    }
    events.push(Event::End(BytesEnd::new("testsuite")));
    events.push(Event::End(BytesEnd::new("testsuites")));
    for e in events {
        // Writing into a Vec cannot fail.
        let _ = w.write_event(e);
    }
    String::from_utf8_lossy(&w.into_inner()).into_owned() + "\n"
}
