//! What one image's page shows, as plain data: strings already worded,
//! charts already laid out, rows in their order. Templates only place it
//! (and escape it); a server can serve the same value as JSON.
//!
//! The dashboard's per-image page is this page made from the fleet store
//! ([`ImagePage::from_stored`]) rather than from an assessment: the store
//! keeps what the scan found (packages, layers, and the facts of
//! `temper_fleet::dashboard::Facts`) and the findings open now, and the
//! page says what it does not keep.

use std::collections::BTreeMap;

use serde::Serialize;
use temper_finding::Severity;
use temper_fleet::dashboard::ImageDetail;
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

/// One hardening check: the fleet store keeps the same row.
pub use temper_fleet::dashboard::CheckFact as CheckRow;

/// One secret, redacted: the fleet store keeps the same row.
pub use temper_fleet::dashboard::SecretFact as SecretRow;

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
    let by_severity = SEVERITIES.map(|s| findings.iter().filter(|f| f.severity == s).count() as u64);
    let mut per_layer: BTreeMap<Option<usize>, u64> = (0..a.layers.count).map(|i| (Some(i), 0)).collect();
    for f in findings {
        *per_layer.entry(f.layer).or_default() += 1;
    }
    let mut ecosystems: BTreeMap<&str, u64> = BTreeMap::new();
    for p in &a.packages {
        *ecosystems.entry(p.ecosystem.purl_type()).or_default() += 1;
    }
    let fixable = findings.iter().filter(|f| !f.fixed_versions.is_empty()).count() as u64;
    let segments = a.layers.items.iter().map(|l| (format!("layer {}", l.index), l.size)).collect();
    chart_set(ChartInput { by_severity, per_layer, ecosystems, fixable, findings: findings.len() as u64, segments, wasted: ("wasted".to_owned(), a.layers.wasted_bytes) })
}

/// What the page's charts count, from an assessment or from the fleet store.
struct ChartInput<'a> {
    /// Findings by severity, in [`SEVERITIES`] order.
    by_severity: [u64; 5],
    /// Findings by the layer that added their package (every layer present).
    per_layer: BTreeMap<Option<usize>, u64>,
    /// Packages by ecosystem.
    ecosystems: BTreeMap<&'a str, u64>,
    /// Findings with a fixed version.
    fixable: u64,
    /// Findings.
    findings: u64,
    /// Each layer's label and bytes.
    segments: Vec<(String, u64)>,
    /// The wasted bytes' label and count.
    wasted: (String, u64),
}

fn chart_set(input: ChartInput<'_>) -> Vec<Chart> {
    let by_severity = SEVERITIES
        .iter()
        .zip(input.by_severity)
        .map(|(&s, value)| {
            let name = severity_name(s);
            Category { key: name.to_owned(), label: name.to_owned(), value, class: format!("sev-{name}") }
        })
        .collect();
    let by_layer = input
        .per_layer
        .into_iter()
        .filter(|(l, n)| l.is_some() || *n > 0)
        .map(|(l, n)| match l {
            Some(i) => Category { key: format!("layer-{i}"), label: format!("L{i}"), value: n, class: "count".to_owned() },
            None => Category { key: "layer-unknown".to_owned(), label: "?".to_owned(), value: n, class: "count".to_owned() },
        })
        .collect();
    let by_ecosystem = input.ecosystems.into_iter().map(|(e, n)| Category { key: e.to_owned(), label: e.to_owned(), value: n, class: "count".to_owned() }).collect();
    let fix = vec![
        Category { key: "fixable".to_owned(), label: "fixable now".to_owned(), value: input.fixable, class: "fixable".to_owned() },
        Category { key: "no-fix".to_owned(), label: "no fix".to_owned(), value: input.findings - input.fixable, class: "nofix".to_owned() },
    ];
    vec![
        chart::bars("severity", "Findings by severity", by_severity),
        chart::bars("layer", "Findings by layer", by_layer),
        chart::stack("layers", "Layer sizes (bytes each layer adds), and the bytes wasted", input.segments, input.wasted),
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
            checks: a.checks.iter().map(CheckRow::of).collect(),
            secrets: a.secrets.iter().map(SecretRow::of).collect(),
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

/// The severity a store's upper-case name stands for.
fn stored_severity(name: &str) -> Severity {
    SEVERITIES.into_iter().find(|s| severity_name(*s).eq_ignore_ascii_case(name)).unwrap_or(Severity::Unknown)
}

/// A Unix time as `YYYY-MM-DD HH:MM UTC`.
pub fn utc(t: i64) -> String {
    match time::OffsetDateTime::from_unix_timestamp(t) {
        Ok(d) => format!("{} {:02}:{:02} UTC", d.date(), d.hour(), d.minute()),
        Err(_) => t.to_string(),
    }
}

/// Where a stored finding's advisory links on the dashboard: its page there.
const DASHBOARD_ADVISORY: &str = "../advisories/";

impl ImagePage {
    /// The page of an image as the fleet store keeps it (`temper serve
    /// --dashboard`): its packages, layers and current open findings, and
    /// the facts its scan kept. The page says what the store does not keep
    /// (signatures, attestations, a policy verdict, Dockerfile lint, and
    /// each finding's CVSS, KEV and summary). Advisory ids link to the
    /// dashboard's advisory pages.
    pub fn from_stored(d: &ImageDetail) -> ImagePage {
        let i = &d.image;
        let facts = d.facts.clone().unwrap_or_default();
        let mut summary_facts = vec![("Image".to_owned(), i.reference.clone()), ("Digest".to_owned(), i.digest.clone())];
        let mut fact = |k: &str, v: String| summary_facts.push((k.to_owned(), v));
        fact("Platform", i.platform.clone().unwrap_or_else(|| "unknown".to_owned()));
        if let Some(os) = &d.os {
            fact("Distribution", os.clone());
        }
        if let Some(created) = &facts.created {
            fact("Created", created.clone());
        }
        if d.facts.is_some() {
            fact("User", if facts.user.is_empty() { "root (none set)".to_owned() } else { facts.user.clone() });
        }
        fact(
            "Base",
            match (&d.base_name, &d.base_digest) {
                (Some(n), Some(g)) => format!("{n} ({g})"),
                (Some(n), None) => n.clone(),
                (None, Some(g)) => g.clone(),
                (None, None) => "not named (no org.opencontainers.image.base.name)".to_owned(),
            },
        );
        if let Some(g) = &d.golden {
            fact("Golden base", format!("{} at {}{}", g.reference, g.digest, if g.up_to_date { ", the newest".to_owned() } else { format!(", outdated: the newest is {}", g.newest.as_deref().unwrap_or("not scanned yet")) }));
        }
        fact("First seen", utc(i.first_seen));
        fact("Scanned", i.scanned_at.map_or_else(|| "not yet (queued)".to_owned(), utc));
        fact("Tracked", if i.current { "current: its reference points at this digest".to_owned() } else { "no longer current: its reference moved to another digest".to_owned() });
        if d.facts.is_some() {
            fact("Size", format!("{} stored, {} unpacked", human_bytes(facts.compressed), human_bytes(facts.uncompressed)));
        }
        fact("Layers", d.layers.len().to_string());
        fact("Not kept in the fleet store", "signatures, attestations, a policy verdict, Dockerfile lint, and each finding's CVSS, KEV and summary; `temper report` on the image shows them".to_owned());
        if d.facts.is_none() {
            fact("Not stored for this image", "labels, history, sizes, hardening checks and secrets (scanned by an older temper, or not scanned yet); a new scan stores them".to_owned());
        }
        let layer_of: BTreeMap<&str, Option<usize>> = d.packages.iter().map(|p| (p.purl.as_str(), p.layer)).collect();
        let findings: Vec<FindingRow> = d
            .findings
            .iter()
            .map(|f| {
                let severity = stored_severity(&f.severity);
                let link = if plain_id(&f.advisory) { Link { text: f.advisory.clone(), page: Some(DASHBOARD_ADVISORY) } } else { Link { text: f.advisory.clone(), page: None } };
                FindingRow {
                    id: f.advisory.clone(),
                    links: vec![link],
                    package: f.package.clone(),
                    version: f.installed.clone(),
                    severity: severity_name(severity),
                    rank: SEVERITIES.len() as u8 - 1 - SEVERITIES.iter().position(|&s| s == severity).unwrap_or(SEVERITIES.len() - 1) as u8,
                    cvss: None,
                    kev: false,
                    fixed: f.fixed.clone().unwrap_or_default(),
                    layer: layer_of.get(f.purl.as_str()).copied().flatten(),
                    summary: None,
                }
            })
            .collect();
        let by_severity = SEVERITIES.map(|s| findings.iter().filter(|f| f.severity == severity_name(s)).count() as u64);
        let mut per_layer: BTreeMap<Option<usize>, u64> = (0..d.layers.len()).map(|i| (Some(i), 0)).collect();
        for f in &findings {
            *per_layer.entry(f.layer).or_default() += 1;
        }
        let mut ecosystems: BTreeMap<&str, u64> = BTreeMap::new();
        for p in &d.packages {
            *ecosystems.entry(p.ecosystem.as_str()).or_default() += 1;
        }
        let layers: Vec<LayerRow> = if facts.layers.is_empty() {
            d.layers.iter().enumerate().map(|(index, digest)| LayerRow { index, bytes: 0, size: "not stored".to_owned(), command: String::new(), digest: digest.clone() }).collect()
        } else {
            facts.layers.iter().enumerate().map(|(index, l)| LayerRow { index, bytes: l.size, size: human_bytes(l.size), command: l.command.clone().unwrap_or_default(), digest: l.digest.clone().unwrap_or_default() }).collect()
        };
        let charts = chart_set(ChartInput {
            by_severity,
            per_layer,
            ecosystems,
            fixable: findings.iter().filter(|f| !f.fixed.is_empty()).count() as u64,
            findings: findings.len() as u64,
            segments: layers.iter().map(|l| (format!("layer {}", l.index), l.bytes)).collect(),
            wasted: ("wasted (not stored)".to_owned(), 0),
        });
        ImagePage {
            title: i.reference.clone(),
            summary: Summary { facts: summary_facts, labels: facts.labels.iter().map(|(k, v)| (k.clone(), v.clone())).collect(), attestations: Vec::new() },
            verdict: None,
            counts: SEVERITIES.iter().zip(by_severity).map(|(&s, n)| Count { severity: severity_name(s), n: n as usize }).collect(),
            charts,
            findings,
            suppressed: 0,
            matched: true,
            packages: d.packages.iter().map(|p| PackageRow { name: p.name.clone(), version: p.version.clone(), ecosystem: p.ecosystem.clone(), purl: p.purl.clone(), licenses: p.licenses.join(", "), layer: p.layer }).collect(),
            layers,
            checks: facts.checks.clone(),
            secrets: facts.secrets.clone(),
            lint: None,
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
