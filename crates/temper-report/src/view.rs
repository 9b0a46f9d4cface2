//! What one image's page shows, as plain data: strings already worded,
//! charts already laid out, rows in their order. Templates only place it
//! (and escape it); a server can serve the same value as JSON.

use std::collections::BTreeMap;

use serde::Serialize;
use temper_finding::Severity;
use temper_verdict::assessment::{Assessment, Signer};

use crate::Input;
use crate::chart::{self, Category, Chart, human_bytes};

/// Lines of Dockerfile shown around a lint finding, at most.
const EXCERPT_LINES: usize = 6;

/// The page.
#[derive(Clone, Debug, Serialize)]
pub struct ImagePage {
    /// The image as named.
    pub title: String,
    /// Identity and figures.
    pub summary: Summary,
    /// The policy's verdict, when one was applied.
    pub verdict: Option<VerdictView>,
    /// Findings by severity, most severe first.
    pub counts: Vec<Count>,
    /// The charts, in page order.
    pub charts: Vec<Chart>,
    /// Each finding.
    pub findings: Vec<FindingRow>,
    /// Findings VEX or an ignore file suppressed.
    pub suppressed: usize,
    /// Whether findings were looked for (a database was given).
    pub matched: bool,
    /// Each package.
    pub packages: Vec<PackageRow>,
    /// Each layer.
    pub layers: Vec<LayerRow>,
    /// Each hardening check.
    pub checks: Vec<CheckRow>,
    /// Each secret, redacted.
    pub secrets: Vec<SecretRow>,
    /// The Dockerfile's lint, when one was given.
    pub lint: Option<LintView>,
}

/// The image's identity and figures, each as a label and a value.
#[derive(Clone, Debug, Serialize)]
pub struct Summary {
    /// Label → value, in page order.
    pub facts: Vec<(String, String)>,
    /// The config's labels, sorted by key.
    pub labels: Vec<(String, String)>,
    /// Verified attestations: predicate type and signer.
    pub attestations: Vec<(String, String)>,
}

/// Findings of one severity.
#[derive(Clone, Debug, Serialize)]
pub struct Count {
    /// `critical` … `unknown`.
    pub severity: &'static str,
    /// How many.
    pub n: usize,
}

/// The policy's verdict.
#[derive(Clone, Debug, Serialize)]
pub struct VerdictView {
    /// `pass`, `warn` or `fail`.
    pub status: String,
    /// Each rule.
    pub rules: Vec<RuleRow>,
}

/// One policy rule's result.
#[derive(Clone, Debug, Serialize)]
pub struct RuleRow {
    /// Rule.
    pub rule: String,
    /// Where it is defined.
    pub source: String,
    /// `pass`, `warn`, `fail`, `excepted`.
    pub status: String,
    /// Why.
    pub reason: String,
    /// What offends.
    pub items: Vec<String>,
}

/// One finding.
#[derive(Clone, Debug, Serialize)]
pub struct FindingRow {
    /// The id shown.
    pub id: String,
    /// The id first, then the aliases that have a public page.
    pub links: Vec<Link>,
    /// Package.
    pub package: String,
    /// Installed version.
    pub version: String,
    /// `critical` … `unknown`.
    pub severity: &'static str,
    /// 4 for critical … 0 for unknown: the sort key.
    pub rank: u8,
    /// The CVSS score, one decimal.
    pub cvss: Option<String>,
    /// In CISA's KEV catalog.
    pub kev: bool,
    /// Fixed versions, lowest first, joined.
    pub fixed: String,
    /// The layer that added the package.
    pub layer: Option<usize>,
    /// One-line summary.
    pub summary: Option<String>,
}

/// An advisory id, and its public page when it has one: `page` followed
/// by the id (which [`plain_id`] allows only when no character of it needs
/// escaping in a URL). The prefix is ours, so the template need not escape
/// its slashes: 10,000 findings' links would grow by a third.
#[derive(Clone, Debug, Serialize)]
pub struct Link {
    /// The id.
    pub text: String,
    /// The page's address up to the id.
    pub page: Option<&'static str>,
}

/// One package.
#[derive(Clone, Debug, Serialize)]
pub struct PackageRow {
    /// Name.
    pub name: String,
    /// Version.
    pub version: String,
    /// Ecosystem.
    pub ecosystem: String,
    /// purl.
    pub purl: String,
    /// Licences, joined.
    pub licenses: String,
    /// Layer.
    pub layer: Option<usize>,
}

/// One layer.
#[derive(Clone, Debug, Serialize)]
pub struct LayerRow {
    /// Position, base first.
    pub index: usize,
    /// Bytes of the files it adds.
    pub bytes: u64,
    /// The same, for people.
    pub size: String,
    /// Its history entry's `created_by`.
    pub command: String,
    /// diffID.
    pub digest: String,
}

/// One hardening check.
#[derive(Clone, Debug, Serialize)]
pub struct CheckRow {
    /// Id.
    pub id: String,
    /// What it checks.
    pub title: String,
    /// `info` … `critical`.
    pub severity: String,
    /// `pass`, `fail`, `skip`.
    pub status: String,
    /// Why.
    pub message: String,
    /// Evidence.
    pub details: Vec<String>,
    /// How to fix it (shown for failures).
    pub remediation: String,
}

/// One secret.
#[derive(Clone, Debug, Serialize)]
pub struct SecretRow {
    /// Rule id.
    pub rule: String,
    /// What the rule finds.
    pub title: String,
    /// Severity.
    pub severity: String,
    /// Layer.
    pub layer: Option<usize>,
    /// Path and line.
    pub location: String,
    /// The match, masked.
    pub redacted: String,
    /// Still visible in the merged filesystem.
    pub visible: bool,
}

/// A Dockerfile's lint.
#[derive(Clone, Debug, Serialize)]
pub struct LintView {
    /// The file as given.
    pub dockerfile: String,
    /// Each finding.
    pub findings: Vec<LintRow>,
}

/// One lint finding.
#[derive(Clone, Debug, Serialize)]
pub struct LintRow {
    /// Rule id (and hadolint's).
    pub rule: String,
    /// `style` … `error`.
    pub severity: String,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub hint: String,
    /// `line:column`.
    pub position: String,
    /// The source lines it spans: number and text.
    pub excerpt: Vec<(usize, String)>,
}

fn severity_name(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "critical",
        Severity::High => "high",
        Severity::Medium => "medium",
        Severity::Low => "low",
        Severity::Unknown => "unknown",
    }
}

/// Most severe first, as the page lists them.
const SEVERITIES: [Severity; 5] = [Severity::Critical, Severity::High, Severity::Medium, Severity::Low, Severity::Unknown];

/// Whether `id` is made only of characters that need no escaping in a URL.
fn plain_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 100 && id.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

/// The public page of an advisory id, for the sources that have one by id.
fn advisory_link(id: &str) -> Option<Link> {
    if !plain_id(id) {
        return None;
    }
    let prefix = id.split('-').next().unwrap_or_default();
    let page = match prefix {
        "CVE" => "https://www.cve.org/CVERecord?id=",
        "GHSA" => "https://github.com/advisories/",
        "RUSTSEC" | "PYSEC" | "GO" | "GSD" | "OSV" | "DSA" | "DLA" | "DTSA" | "DEBIAN" | "UBUNTU" | "USN" | "ALPINE" | "MAL" | "BIT" => "https://osv.dev/vulnerability/",
        _ => return None,
    };
    Some(Link { text: id.to_owned(), page: Some(page) })
}

fn signer_text(s: &Signer) -> String {
    match (&s.key_id, &s.identity, &s.issuer) {
        (Some(k), _, _) => format!("key {k} ({})", s.storage),
        (None, Some(i), Some(iss)) => format!("{i} via {iss} ({})", s.storage),
        (None, Some(i), None) => format!("{i} ({})", s.storage),
        (None, None, _) => format!("unnamed signer ({})", s.storage),
    }
}

fn summary(a: &Assessment) -> Summary {
    let i = &a.image;
    let mut facts = vec![("Image".to_owned(), i.reference.clone())];
    let mut fact = |k: &str, v: String| facts.push((k.to_owned(), v));
    fact("Digest", i.digest.clone().unwrap_or_else(|| "none (not from a registry or layout)".to_owned()));
    fact("Platform", i.platform.clone().unwrap_or_else(|| "unknown".to_owned()));
    if let Some(os) = &i.os {
        fact("Distribution", os.name.clone().unwrap_or_else(|| format!("{} {}", os.id, os.version.as_deref().unwrap_or_default()).trim().to_owned()));
    }
    if let Some(created) = &i.created {
        fact("Created", created.clone());
    }
    fact("User", if i.config.user.is_empty() { "root (none set)".to_owned() } else { i.config.user.clone() });
    match &i.base {
        Some(base) => {
            let name = match (&base.name, &base.digest) {
                (Some(n), Some(d)) => format!("{n} ({d})"),
                (Some(n), None) => n.clone(),
                (None, Some(d)) => d.clone(),
                (None, None) => "unnamed".to_owned(),
            };
            fact("Base", name);
            fact(
                "Golden base",
                match &base.signers {
                    None => "not checked (no base keys given)".to_owned(),
                    Some(s) if s.is_empty() => "no: no signature verified".to_owned(),
                    Some(s) => format!("yes: signed by {}", s.iter().map(signer_text).collect::<Vec<_>>().join(", ")),
                },
            );
        }
        None => fact("Base", "not named (no org.opencontainers.image.base.name)".to_owned()),
    }
    let sig = &a.signatures;
    fact(
        "Signatures",
        match (sig.checked, sig.verified.is_empty()) {
            (false, _) => "not checked".to_owned(),
            (true, true) => format!("none verified ({} invalid)", sig.invalid),
            (true, false) => format!("verified: {}{}", sig.verified.iter().map(signer_text).collect::<Vec<_>>().join(", "), if sig.invalid > 0 { format!(" ({} invalid)", sig.invalid) } else { String::new() }),
        },
    );
    fact("Attestations verified", a.attestations.len().to_string());
    fact("Size", format!("{} stored, {} unpacked", human_bytes(i.size.compressed), human_bytes(i.size.uncompressed)));
    fact("Layers", a.layers.count.to_string());
    fact("Efficiency", format!("{:.1}% ({} wasted, {:.1}% of the bytes above the base)", a.layers.efficiency * 100.0, human_bytes(a.layers.wasted_bytes), a.layers.wasted_percent));
    if let Some(db) = &a.vulnerabilities.database {
        fact("Advisories", format!("{}{}", db.source, db.updated.as_deref().map(|u| format!(", updated {u}")).unwrap_or_default()));
    }
    Summary {
        facts,
        labels: i.config.labels.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
        attestations: a.attestations.iter().map(|t| (t.predicate_type.clone(), signer_text(&t.signer))).collect(),
    }
}

fn charts(a: &Assessment) -> Vec<Chart> {
    let findings = &a.vulnerabilities.findings;
    let by_severity = SEVERITIES
        .iter()
        .map(|&s| {
            let name = severity_name(s);
            Category { key: name.to_owned(), label: name.to_owned(), value: findings.iter().filter(|f| f.severity == s).count() as u64, class: format!("sev-{name}") }
        })
        .collect();
    let mut per_layer: BTreeMap<Option<usize>, u64> = (0..a.layers.count).map(|i| (Some(i), 0)).collect();
    for f in findings {
        *per_layer.entry(f.layer).or_default() += 1;
    }
    let by_layer = per_layer
        .into_iter()
        .filter(|(l, n)| l.is_some() || *n > 0)
        .map(|(l, n)| match l {
            Some(i) => Category { key: format!("layer-{i}"), label: format!("L{i}"), value: n, class: "count".to_owned() },
            None => Category { key: "layer-unknown".to_owned(), label: "?".to_owned(), value: n, class: "count".to_owned() },
        })
        .collect();
    let mut ecosystems: BTreeMap<&str, u64> = BTreeMap::new();
    for p in &a.packages {
        *ecosystems.entry(p.ecosystem.purl_type()).or_default() += 1;
    }
    let by_ecosystem = ecosystems.into_iter().map(|(e, n)| Category { key: e.to_owned(), label: e.to_owned(), value: n, class: "count".to_owned() }).collect();
    let fixable = findings.iter().filter(|f| !f.fixed_versions.is_empty()).count() as u64;
    let fix = vec![
        Category { key: "fixable".to_owned(), label: "fixable now".to_owned(), value: fixable, class: "fixable".to_owned() },
        Category { key: "no-fix".to_owned(), label: "no fix".to_owned(), value: findings.len() as u64 - fixable, class: "nofix".to_owned() },
    ];
    let segments = a.layers.items.iter().map(|l| (format!("layer {}", l.index), l.size)).collect();
    vec![
        chart::bars("severity", "Findings by severity", by_severity),
        chart::bars("layer", "Findings by layer", by_layer),
        chart::stack("layers", "Layer sizes (bytes each layer adds), and the bytes wasted", segments, ("wasted".to_owned(), a.layers.wasted_bytes)),
        chart::bars("ecosystem", "Packages by ecosystem", by_ecosystem),
        chart::bars("fix", "Fix availability", fix),
    ]
}

fn finding_row(f: &temper_finding::Finding) -> FindingRow {
    let mut links = vec![advisory_link(&f.id).unwrap_or_else(|| Link { text: f.id.clone(), page: None })];
    links.extend(f.aliases.iter().filter(|a| **a != f.id).filter_map(|a| advisory_link(a)));
    FindingRow {
        id: f.id.clone(),
        links,
        package: f.package.clone(),
        version: f.version.clone(),
        severity: severity_name(f.severity),
        rank: SEVERITIES.len() as u8 - 1 - SEVERITIES.iter().position(|&s| s == f.severity).unwrap_or(SEVERITIES.len() - 1) as u8,
        cvss: f.cvss.as_ref().map(|c| format!("{:.1}", c.score)),
        kev: f.kev,
        fixed: f.fixed_versions.join(", "),
        layer: f.layer,
        summary: f.summary.clone(),
    }
}

/// The lines `line..=end_line` of `source` (1-based), at most [`EXCERPT_LINES`].
fn excerpt(source: &str, line: usize, end_line: usize) -> Vec<(usize, String)> {
    let last = end_line.max(line).min(line + EXCERPT_LINES - 1);
    source.lines().enumerate().map(|(i, l)| (i + 1, l)).filter(|(n, _)| (line..=last).contains(n)).map(|(n, l)| (n, l.to_owned())).collect()
}

impl ImagePage {
    /// The page of `input`.
    pub fn new(input: &Input<'_>) -> ImagePage {
        let a = input.assessment;
        let c = &a.vulnerabilities.counts;
        ImagePage {
            title: a.image.reference.clone(),
            summary: summary(a),
            verdict: input.verdict.map(|v| VerdictView {
                status: format!("{:?}", v.status).to_lowercase(),
                rules: v.results.iter().map(|r| RuleRow { rule: r.rule.clone(), source: r.source.clone(), status: format!("{:?}", r.status).to_lowercase(), reason: r.reason.clone(), items: r.items.clone() }).collect(),
            }),
            counts: vec![
                Count { severity: "critical", n: c.critical },
                Count { severity: "high", n: c.high },
                Count { severity: "medium", n: c.medium },
                Count { severity: "low", n: c.low },
                Count { severity: "unknown", n: c.unknown },
            ],
            charts: charts(a),
            findings: a.vulnerabilities.findings.iter().map(finding_row).collect(),
            suppressed: a.vulnerabilities.suppressed.len(),
            matched: a.vulnerabilities.database.is_some(),
            packages: a
                .packages
                .iter()
                .map(|p| PackageRow { name: p.name.clone(), version: p.version.clone(), ecosystem: p.ecosystem.purl_type().to_owned(), purl: p.purl.clone(), licenses: p.licenses.join(", "), layer: p.layer })
                .collect(),
            layers: a.layers.items.iter().map(|l| LayerRow { index: l.index, bytes: l.size, size: human_bytes(l.size), command: l.command.clone().unwrap_or_default(), digest: l.digest.clone().unwrap_or_default() }).collect(),
            checks: a
                .checks
                .iter()
                .map(|r| CheckRow {
                    id: r.id.to_owned(),
                    title: r.title.to_owned(),
                    severity: r.severity.as_str().to_owned(),
                    status: format!("{:?}", r.status).to_lowercase(),
                    message: r.message.clone(),
                    details: r.details.clone(),
                    remediation: r.remediation.to_owned(),
                })
                .collect(),
            secrets: a
                .secrets
                .iter()
                .map(|s| SecretRow { rule: s.rule.clone(), title: s.title.clone(), severity: s.severity.as_str().to_owned(), layer: s.layer, location: format!("{}:{}", s.path, s.line), redacted: s.redacted.clone(), visible: s.visible })
                .collect(),
            lint: a.lint.as_ref().map(|l| LintView {
                dockerfile: l.dockerfile.clone(),
                findings: l
                    .findings
                    .iter()
                    .map(|f| LintRow {
                        rule: match f.hadolint {
                            Some(h) => format!("{} ({h})", f.rule),
                            None => f.rule.to_owned(),
                        },
                        severity: f.severity.as_str().to_owned(),
                        message: f.message.clone(),
                        hint: f.hint.to_owned(),
                        position: format!("{}:{}", f.line, f.column),
                        excerpt: input.dockerfile.map(|s| excerpt(s, f.line, f.end_line)).unwrap_or_default(),
                    })
                    .collect(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_only_for_known_sources_and_plain_ids() {
        assert_eq!(advisory_link("CVE-2024-1234").and_then(|l| l.page), Some("https://www.cve.org/CVERecord?id="));
        assert_eq!(advisory_link("GHSA-aaaa-bbbb-cccc").and_then(|l| l.page), Some("https://github.com/advisories/"));
        assert!(advisory_link("TEMPER-DEB-CVE-1").is_none(), "a local record has no public page");
        assert!(advisory_link("CVE-1\"><script>").is_none(), "an id that would need escaping is not linked");
    }

    #[test]
    fn excerpt_is_the_spanned_lines_capped() {
        let src = "FROM a\nRUN b\nRUN c\nUSER d\n";
        assert_eq!(excerpt(src, 2, 3), vec![(2, "RUN b".to_owned()), (3, "RUN c".to_owned())]);
        assert_eq!(excerpt(src, 4, 1), vec![(4, "USER d".to_owned())]);
        assert_eq!(excerpt(&"x\n".repeat(50), 1, 50).len(), EXCERPT_LINES);
    }
}
