//! VEX: statements that a vulnerability does not affect a product, from
//! OpenVEX (0.2, and the older 0.0.x shape) and CycloneDX VEX documents,
//! and the ignore file `.temperignore`.
//!
//! A statement suppresses a finding when it names the finding's
//! vulnerability (by id or any alias) and its package (by purl; a
//! statement purl without a version covers every version, one without
//! qualifiers covers every qualifier). OpenVEX `not_affected` and `fixed`,
//! and CycloneDX `not_affected`, `false_positive` and `resolved`,
//! suppress; `affected`, `under_investigation`, `exploitable` and
//! `in_triage` leave the finding as it is. A statement about the image
//! itself (`pkg:oci/…` without subcomponents) covers every package in it.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;
use serde_json::Value;

use temper_inventory::decode::parse_purl;

use crate::matching::Finding;

/// Why a finding is not reported.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Suppression {
    /// The file that said so.
    pub source: String,
    /// `not_affected`, `fixed`, `false_positive`, `resolved` or `ignored`.
    pub status: String,
    /// The justification given, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub justification: Option<String>,
    /// The impact statement or detail given, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub statement: Option<String>,
}

/// One statement, normalised.
#[derive(Clone, Debug)]
struct Statement {
    ids: Vec<String>,
    /// Package purls; empty means every package.
    purls: Vec<String>,
    suppression: Suppression,
}

/// An ignore-file entry.
#[derive(Clone, Debug)]
struct Ignore {
    id: String,
    expires: Option<String>,
    reason: Option<String>,
    source: String,
}

/// Everything that can suppress findings.
#[derive(Clone, Debug, Default)]
pub struct Suppressions {
    statements: Vec<Statement>,
    ignores: Vec<Ignore>,
}

/// What was wrong with a VEX or ignore file.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {reason}")]
pub struct VexError {
    /// The file.
    pub path: String,
    /// Why.
    pub reason: String,
}

fn s(v: &Value) -> Option<String> {
    v.as_str().map(str::to_owned)
}

/// Whether the statement purl `pattern` covers the package purl `purl`:
/// same type, namespace and name (case-insensitive for the types whose
/// names are), and the pattern's version and qualifiers when it has them.
fn purl_covers(pattern: &str, purl: &str) -> bool {
    let (Some(p), Some(x)) = (parse_purl(pattern), parse_purl(purl)) else { return false };
    let folds = matches!(p.kind.as_str(), "npm" | "pypi" | "deb" | "apk" | "golang" | "cargo" | "gem" | "composer");
    let same = |a: &str, b: &str| if folds { a.eq_ignore_ascii_case(b) } else { a == b };
    p.kind == x.kind
        && same(p.namespace.as_deref().unwrap_or(""), x.namespace.as_deref().unwrap_or(""))
        && same(&p.name, &x.name)
        && p.version.as_ref().is_none_or(|v| Some(v) == x.version.as_ref())
        && p.qualifiers.iter().all(|(k, v)| x.qualifiers.get(k) == Some(v))
}

impl Suppressions {
    /// Reads a VEX document (OpenVEX or CycloneDX, told apart by content).
    pub fn add_vex(&mut self, path: &Path) -> Result<(), VexError> {
        let err = |reason: String| VexError { path: path.display().to_string(), reason };
        let bytes = std::fs::read(path).map_err(|e| err(e.to_string()))?;
        if bytes.len() > 64 << 20 {
            return Err(err("over 64 MiB".into()));
        }
        let doc: Value = serde_json::from_slice(&bytes).map_err(|e| err(format!("not JSON: {e}")))?;
        let source = path.display().to_string();
        let before = self.statements.len();
        if doc.get("statements").is_some() {
            self.openvex(&doc, &source).map_err(err)?;
        } else if doc.get("bomFormat").and_then(Value::as_str) == Some("CycloneDX") {
            self.cyclonedx(&doc, &source).map_err(err)?;
        } else {
            return Err(err("neither an OpenVEX document (`statements`) nor a CycloneDX one (`bomFormat`)".into()));
        }
        if self.statements.len() == before {
            return Err(err("no statement in it names a vulnerability".into()));
        }
        Ok(())
    }

    fn openvex(&mut self, doc: &Value, source: &str) -> Result<(), String> {
        let statements = doc.get("statements").and_then(Value::as_array).ok_or("`statements` is not a list")?;
        for st in statements {
            let status = st.get("status").and_then(Value::as_str).ok_or("a statement has no status")?;
            // 0.2: {"name": …, "aliases": […]}; 0.0.x: a plain string.
            let vuln = st.get("vulnerability").ok_or("a statement has no vulnerability")?;
            let mut ids: Vec<String> = match vuln {
                Value::String(id) => vec![id.clone()],
                Value::Object(o) => o.get("name").and_then(s).into_iter().chain(o.get("@id").and_then(s)).chain(o.get("aliases").and_then(Value::as_array).into_iter().flatten().filter_map(s)).collect(),
                _ => return Err("a statement's vulnerability is neither a string nor an object".into()),
            };
            ids.retain(|i| !i.is_empty());
            let mut purls = Vec::new();
            let mut whole_image = false;
            for product in st.get("products").and_then(Value::as_array).into_iter().flatten() {
                let id = match product {
                    Value::String(p) => Some(p.clone()),
                    Value::Object(o) => o.get("@id").and_then(s).or_else(|| o.get("identifiers").and_then(|i| i.get("purl")).and_then(s)),
                    _ => None,
                };
                let subs: Vec<String> = product
                    .get("subcomponents")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(|c| c.get("@id").and_then(s).or_else(|| c.get("identifiers").and_then(|i| i.get("purl")).and_then(s)).or_else(|| s(c)))
                    .collect();
                match id {
                    Some(p) if p.starts_with("pkg:oci/") && subs.is_empty() => whole_image = true,
                    Some(p) if !p.starts_with("pkg:oci/") => purls.push(p),
                    _ => {}
                }
                purls.extend(subs);
            }
            if ids.is_empty() || (purls.is_empty() && !whole_image) {
                continue;
            }
            if matches!(status, "not_affected" | "fixed") {
                self.statements.push(Statement {
                    ids,
                    purls,
                    suppression: Suppression {
                        source: source.to_owned(),
                        status: status.to_owned(),
                        justification: st.get("justification").and_then(s),
                        statement: st.get("impact_statement").and_then(s).or_else(|| st.get("status_notes").and_then(s)),
                    },
                });
            }
        }
        Ok(())
    }

    fn cyclonedx(&mut self, doc: &Value, source: &str) -> Result<(), String> {
        // bom-refs of the document's components resolve to their purls.
        let mut refs: BTreeMap<String, String> = BTreeMap::new();
        let mut stack: Vec<&Value> = doc.get("components").and_then(Value::as_array).into_iter().flatten().collect();
        stack.extend(doc.get("metadata").and_then(|m| m.get("component")));
        while let Some(c) = stack.pop() {
            if let (Some(r), Some(p)) = (c.get("bom-ref").and_then(Value::as_str), c.get("purl").and_then(Value::as_str)) {
                refs.insert(r.to_owned(), p.to_owned());
            }
            stack.extend(c.get("components").and_then(Value::as_array).into_iter().flatten());
        }
        let vulns = doc.get("vulnerabilities").and_then(Value::as_array).ok_or("a CycloneDX VEX needs `vulnerabilities`")?;
        for v in vulns {
            let Some(state) = v.get("analysis").and_then(|a| a.get("state")).and_then(Value::as_str) else { continue };
            let mut ids: Vec<String> = v.get("id").and_then(s).into_iter().collect();
            ids.extend(v.get("references").and_then(Value::as_array).into_iter().flatten().filter_map(|r| r.get("id").and_then(s)));
            let purls: Vec<String> = v
                .get("affects")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|a| a.get("ref").and_then(Value::as_str))
                .filter_map(|r| {
                    // A BOM-Link (`urn:cdx:…#ref`) names a component of another BOM by its ref.
                    let local = r.rsplit_once('#').map_or(r, |(_, frag)| frag);
                    refs.get(r).or_else(|| refs.get(local)).cloned().or_else(|| local.starts_with("pkg:").then(|| local.to_owned()))
                })
                .collect();
            if ids.is_empty() || purls.is_empty() {
                continue;
            }
            if matches!(state, "not_affected" | "false_positive" | "resolved") {
                let analysis = v.get("analysis");
                self.statements.push(Statement {
                    ids,
                    purls,
                    suppression: Suppression {
                        source: source.to_owned(),
                        status: state.to_owned(),
                        justification: analysis.and_then(|a| a.get("justification")).and_then(s),
                        statement: analysis.and_then(|a| a.get("detail")).and_then(s),
                    },
                });
            }
        }
        Ok(())
    }

    /// Reads an ignore file: one id per line, optionally `exp:YYYY-MM-DD`
    /// (the entry stops applying after that day) and a reason; `#` starts
    /// a comment. A line that is not of that shape is an error naming the
    /// file and line: accepted silently, it would suppress nothing.
    pub fn add_ignore_file(&mut self, path: &Path) -> Result<(), VexError> {
        let err = |reason: String| VexError { path: path.display().to_string(), reason };
        let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
        for (n, line) in text.lines().enumerate() {
            let at = |why: String| err(format!("line {}: {why}; write one vulnerability id per line, then optionally exp:YYYY-MM-DD and a reason", n + 1));
            let (entry, comment) = line.split_once('#').map_or((line, None), |(e, c)| (e, Some(c.trim())));
            let mut words = entry.split_whitespace();
            let Some(id) = words.next() else { continue };
            if !is_vulnerability_id(id) {
                return Err(at(format!("{id:?} is not a vulnerability id (such as CVE-2024-3094 or GHSA-xxxx-xxxx-xxxx)")));
            }
            let mut expires = None;
            let mut reason: Vec<&str> = Vec::new();
            for (i, w) in words.enumerate() {
                match w.strip_prefix("exp:") {
                    Some(date) => {
                        if !is_date(date) {
                            return Err(at(format!("expiry {date:?} is not a date YYYY-MM-DD")));
                        }
                        expires = Some(date.to_owned());
                    }
                    None if i == 0 && is_vulnerability_id(w) => return Err(at(format!("a second id {w:?}"))),
                    None if w.starts_with("exp") && w.contains(['=', ':']) => return Err(at(format!("{w:?} is not an expiry"))),
                    None => reason.push(w),
                }
            }
            let reason = if reason.is_empty() { comment.filter(|c| !c.is_empty()).map(str::to_owned) } else { Some(reason.join(" ")) };
            self.ignores.push(Ignore { id: id.to_owned(), expires, reason, source: path.display().to_string() });
        }
        Ok(())
    }

    /// Why `finding` is suppressed on `today` (`YYYY-MM-DD`), if it is.
    pub fn check(&self, finding: &Finding, today: &str) -> Option<Suppression> {
        let names = |id: &str| finding.id == id || finding.aliases.iter().any(|a| a == id) || finding.records.iter().any(|r| r == id);
        for st in &self.statements {
            if st.ids.iter().any(|i| names(i)) && (st.purls.is_empty() || st.purls.iter().any(|p| purl_covers(p, &finding.purl))) {
                return Some(st.suppression.clone());
            }
        }
        self.ignores.iter().find(|i| names(&i.id) && i.expires.as_deref().is_none_or(|e| today <= e)).map(|i| Suppression {
            source: i.source.clone(),
            status: "ignored".into(),
            justification: i.expires.as_ref().map(|e| format!("until {e}")),
            statement: i.reason.clone(),
        })
    }
}

/// Whether `w` has the shape of an OSV id or alias: a prefix of letters
/// and digits, a dash, then letters, digits and `-._:` (`CVE-2024-3094`,
/// `GHSA-8xww-x3g3-6jcv`, `RUSTSEC-2021-0001`, `ALSA-2024:1234`).
fn is_vulnerability_id(w: &str) -> bool {
    let Some((prefix, rest)) = w.split_once('-') else { return false };
    prefix.starts_with(|c: char| c.is_ascii_alphabetic())
        && prefix.chars().all(|c| c.is_ascii_alphanumeric())
        && !rest.is_empty()
        && rest.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | ':'))
}

/// Whether `s` is a real calendar date written `YYYY-MM-DD`.
fn is_date(s: &str) -> bool {
    let shaped = s.len() == 10 && s.bytes().enumerate().all(|(i, b)| if i == 4 || i == 7 { b == b'-' } else { b.is_ascii_digit() });
    let (Some(y), Some(m), Some(d)) = (s.get(..4).and_then(|y| y.parse().ok()), s.get(5..7).and_then(|m| m.parse::<u8>().ok()), s.get(8..).and_then(|d| d.parse().ok())) else { return false };
    shaped && time::Month::try_from(m).is_ok_and(|m| time::Date::from_calendar_date(y, m, d).is_ok())
}

/// Today's date in UTC as `YYYY-MM-DD`.
pub fn today() -> String {
    let d = time::OffsetDateTime::now_utc().date();
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purl_coverage() {
        assert!(purl_covers("pkg:deb/debian/libexpat1", "pkg:deb/debian/libexpat1@2.5.0-1%2Bdeb12u2?arch=amd64&distro=debian-12"));
        assert!(purl_covers("pkg:deb/debian/libexpat1@2.5.0-1+deb12u2", "pkg:deb/debian/libexpat1@2.5.0-1+deb12u2?arch=amd64&distro=debian-12"));
        assert!(purl_covers("pkg:pypi/Django@2.2", "pkg:pypi/django@2.2"));
        assert!(purl_covers("pkg:npm/%40babel/core@7.24.0", "pkg:npm/%40babel/core@7.24.0"));
        assert!(!purl_covers("pkg:deb/debian/libexpat1@2.5.0-1+deb12u5", "pkg:deb/debian/libexpat1@2.5.0-1+deb12u2"));
        assert!(!purl_covers("pkg:deb/debian/libexpat1?arch=arm64", "pkg:deb/debian/libexpat1@1?arch=amd64"));
        assert!(!purl_covers("pkg:npm/expat", "pkg:deb/debian/expat@1"));
        assert!(!purl_covers("not a purl", "pkg:npm/a@1"));
    }

    #[test]
    fn ignore_file_ids_and_dates() {
        for id in ["CVE-2024-3094", "GHSA-8xww-x3g3-6jcv", "RUSTSEC-2021-0001", "ALSA-2024:1234", "GO-2023-1234", "DEBIAN-CVE-2023-1"] {
            assert!(is_vulnerability_id(id), "{id}");
        }
        for word in ["this", "CVE", "-2024-1", "CVE-", "cve 2024", "2024-3094", "CVE-2024-3094,"] {
            assert!(!is_vulnerability_id(word), "{word}");
        }
        assert!(is_date("2026-02-28") && is_date("2024-02-29"));
        assert!(!is_date("2026-02-30") && !is_date("2026-13-01") && !is_date("26-01-01") && !is_date("2026/01/01"));
    }

    #[test]
    fn today_is_a_date() {
        let t = today();
        assert_eq!(t.len(), 10);
        assert!(t.as_str() > "2024-01-01", "{t}");
    }
}
