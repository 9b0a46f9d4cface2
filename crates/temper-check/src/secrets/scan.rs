//! The matching engine: one Aho-Corasick pass for every rule's keywords,
//! then the regexes of the rules whose keywords occurred, then one finding
//! per secret (the highest-priority rule wins overlapping matches).

use std::ops::Range;
use std::sync::LazyLock;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use regex::bytes::{Regex, RegexBuilder};

use super::rules::{RULES, Rule};
use super::values::{self, Match};

/// The rules compiled once.
struct Compiled {
    /// Every keyword of every rule.
    keywords: AhoCorasick,
    /// For each keyword, the rules (indexes in [`RULES`]) it triggers.
    keyword_rules: Vec<Vec<usize>>,
    /// Each rule's regex, `None` if it did not compile (a bug the tests catch).
    regexes: Vec<Option<Regex>>,
}

static COMPILED: LazyLock<Option<Compiled>> = LazyLock::new(|| {
    // The smallest keyword set: a keyword containing another adds nothing.
    let mut lower: Vec<String> = RULES.iter().flat_map(|r| r.keywords.iter().map(|k| k.to_ascii_lowercase())).collect();
    lower.sort();
    lower.dedup();
    let minimal: Vec<&String> = lower.iter().filter(|w| !lower.iter().any(|o| o != *w && w.contains(o.as_str()))).collect();
    // Each keyword in the case forms code and config use (`password`,
    // `Password`, `PASSWORD`, `apiKey`, `ApiKey`) rather than ASCII case
    // folding: few enough literals for a SIMD prefilter, which a folded set
    // defeats, making this pass several times faster.
    let mut words: Vec<String> = Vec::new();
    let mut keyword_rules: Vec<Vec<usize>> = Vec::new();
    for w in minimal {
        let rules: Vec<usize> = RULES.iter().enumerate().filter(|(_, r)| r.keywords.iter().any(|k| k.to_ascii_lowercase().contains(w.as_str()))).map(|(i, _)| i).collect();
        for form in case_forms(w, RULES.iter().any(|r| r.keywords.iter().any(|k| k.to_ascii_lowercase().contains(w.as_str())) && r.pattern.starts_with("(?i)"))) {
            if !words.contains(&form) {
                words.push(form);
                keyword_rules.push(rules.clone());
            }
        }
    }
    let keywords = AhoCorasickBuilder::new().match_kind(MatchKind::LeftmostFirst).build(&words).ok()?;
    // Byte-oriented (no Unicode classes): secrets are ASCII and files need
    // not be UTF-8.
    let regexes = RULES.iter().map(|r| RegexBuilder::new(r.pattern).unicode(false).size_limit(32 << 20).build().ok()).collect();
    Some(Compiled { keywords, keyword_rules, regexes })
});

/// The spellings of keyword `w` (lower case) searched for: as the rules
/// write it when their regex is case-sensitive (`AKIA`, `ghp_`, `eyJ`),
/// else lower case, upper case, capitalised, and camel case without the
/// separators (`api_key`: `apiKey`, `ApiKey`).
fn case_forms(w: &str, folded: bool) -> Vec<String> {
    if !folded {
        return RULES.iter().flat_map(|r| r.keywords.iter()).filter(|k| k.eq_ignore_ascii_case(w)).map(|k| (*k).to_owned()).collect();
    }
    let capital = |s: &str| s.get(..1).map(|c| c.to_ascii_uppercase() + s.get(1..).unwrap_or_default()).unwrap_or_default();
    let parts: Vec<&str> = w.split(['_', '-']).collect();
    let camel = parts.iter().enumerate().map(|(i, p)| if i == 0 { (*p).to_owned() } else { capital(p) }).collect::<String>();
    let mut forms = vec![w.to_owned(), w.to_ascii_uppercase(), capital(w), capital(&camel), camel];
    forms.sort();
    forms.dedup();
    forms
}

/// Whether every rule compiled, and the keywords are few enough for the
/// SIMD prefilter (64 literals).
#[cfg(test)]
pub(crate) fn all_compiled() -> bool {
    COMPILED.as_ref().is_some_and(|c| c.regexes.iter().all(Option::is_some) && c.keyword_rules.len() <= 64)
}

/// One secret, before overlaps are resolved.
#[derive(Clone, Debug)]
pub(crate) struct Hit {
    /// Priority: lower wins overlaps (twice the rule's index in [`RULES`]).
    pub rank: usize,
    /// The rule's id.
    pub rule: &'static str,
    /// The secret's bytes in the scanned text.
    pub span: Range<usize>,
    /// The match with the secret masked.
    pub redacted: String,
}

/// The rank of metadata's secret-named variables: after every token and
/// file-format rule, before the generic ones.
pub(crate) fn env_name_rank() -> usize {
    RULES.iter().position(|r| r.id == "url-credentials").map_or(0, |i| 2 * i).saturating_sub(1)
}

/// Every rule match in `text`; `path` (the file's image path) enables the
/// file-format rules, `None` (image metadata) leaves them out.
pub(crate) fn hits(text: &[u8], path: Option<&str>) -> Vec<Hit> {
    let Some(c) = COMPILED.as_ref() else { return Vec::new() };
    // Rules this text may trigger by path; those with keywords still wait
    // for one of them.
    let examples = path.is_some_and(values::example_path);
    let by_path: Vec<bool> = RULES.iter().map(|r| r.paths.is_none_or(|f| path.is_some_and(f)) && !(r.noisy && examples)).collect();
    let mut run: Vec<bool> = RULES.iter().zip(&by_path).map(|(r, &p)| p && r.keywords.is_empty()).collect();
    let mut left = RULES.iter().zip(&by_path).filter(|(r, p)| **p && !r.keywords.is_empty()).count();
    if left > 0 {
        'search: for m in c.keywords.find_iter(text) {
            for &i in c.keyword_rules.get(m.pattern().as_usize()).into_iter().flatten() {
                if by_path[i] && !run[i] {
                    run[i] = true;
                    left -= 1;
                    if left == 0 {
                        break 'search;
                    }
                }
            }
        }
    }
    let mut out = Vec::new();
    for (i, rule) in RULES.iter().enumerate() {
        if !run[i] {
            continue;
        }
        let Some(Some(re)) = c.regexes.get(i) else { continue };
        for caps in re.captures_iter(text) {
            let (Some(whole), Some(secret)) = (caps.get(0), caps.iter().skip(1).flatten().next()) else { continue };
            if let Some(hit) = check(rule, 2 * i, text, whole.range(), secret.range()) {
                out.push(hit);
            }
        }
    }
    out
}

fn check(rule: &Rule, rank: usize, text: &[u8], whole: Range<usize>, secret: Range<usize>) -> Option<Hit> {
    let m = Match { text: &text[whole.clone()], secret: &text[secret.clone()], start: secret.start - whole.start };
    if values::entropy(m.secret) < rule.min_entropy || !(rule.accept)(&m) {
        return None;
    }
    Some(Hit { rank, rule: rule.id, redacted: redact(m.text, m.start..m.start + m.secret.len(), rule.shown), span: secret })
}

/// A secret found, located.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Located {
    /// The rule's id.
    pub rule: &'static str,
    /// 1-based line of the secret's first byte.
    pub line: u32,
    /// The match with the secret masked.
    pub redacted: String,
}

/// One finding per secret: among overlapping hits the best-ranked one,
/// in text order, with line numbers (counted only for what is reported).
pub(crate) fn resolve(text: &[u8], mut hits: Vec<Hit>) -> Vec<Located> {
    hits.sort_by_key(|h| (h.rank, h.span.start));
    let mut kept: Vec<Hit> = Vec::new();
    for h in hits {
        if !kept.iter().any(|k| k.span.start < h.span.end && h.span.start < k.span.end) {
            kept.push(h);
        }
    }
    kept.sort_by_key(|h| h.span.start);
    let mut line = 1u32;
    let mut at = 0;
    kept.into_iter()
        .map(|h| {
            let end = h.span.start.min(text.len());
            if end > at {
                line = line.saturating_add(u32::try_from(text[at..end].iter().filter(|&&b| b == b'\n').count()).unwrap_or(u32::MAX));
                at = end;
            }
            Located { rule: h.rule, line, redacted: h.redacted }
        })
        .collect()
}

/// Every secret in a file's bytes (`path` enables the file-format rules)
/// or in a metadata string (`path` `None`).
pub(crate) fn scan(text: &[u8], path: Option<&str>) -> Vec<Located> {
    resolve(text, hits(text, path))
}

/// Most context shown before the secret, and after it.
const BEFORE: usize = 40;
const AFTER: usize = 24;

/// `text` with the bytes of `secret` masked: at most `shown` (and at most
/// a quarter of the secret, so short ones show less) leading bytes, then
/// `*****`. Context is the rest of the match on the same line, trimmed.
pub(crate) fn redact(text: &[u8], secret: Range<usize>, shown: usize) -> String {
    let before = &text[..secret.start];
    let before = &before[before.iter().rposition(|&b| b == b'\n' || b == b'\r').map_or(0, |i| i + 1)..];
    let before = &before[before.len().saturating_sub(BEFORE)..];
    let s = &text[secret.clone()];
    let n = shown.min(4).min(s.len() / 4);
    let prefix = &s[..s[..n].iter().position(|b| !b.is_ascii_graphic()).unwrap_or(n)];
    let after = &text[secret.end..];
    let after = &after[..after.iter().position(|&b| b.is_ascii_control()).unwrap_or(after.len()).min(AFTER)];
    let mut out = String::with_capacity(before.len() + prefix.len() + 5 + after.len());
    for part in [before, prefix] {
        out.push_str(&printable(part));
    }
    out.push_str("*****");
    out.push_str(&printable(after));
    out
}

fn printable(b: &[u8]) -> String {
    String::from_utf8_lossy(b).chars().map(|c| if c.is_control() { ' ' } else { c }).collect()
}
