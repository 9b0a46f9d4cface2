//! The fleet dashboard's pages (`temper serve --dashboard`): the overview,
//! a page of the image list, one advisory across the fleet, one golden
//! base. Each is rendered from the value `temper_fleet::dashboard` reads,
//! the same value the server's JSON API returns; charts are laid out here
//! ([`crate::chart`]). An image's own page is the report's page
//! ([`render_image`], through [`crate::view::ImagePage::from_stored`]).
//!
//! The pages share the report's base template, style sheet, script and
//! Content-Security-Policy, so they load nothing either. Links are
//! relative (each page's `root` leads back to `/`), so the dashboard works
//! behind an ingress that mounts it under a path prefix.

use minijinja::Value;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use temper_fleet::dashboard::{AdvisoryView, GoldenView, ImageDetail, ImageList, Overview, SEVERITIES};

use crate::chart::{self, Category, Chart};
use crate::{Error, assets, environment};

/// Characters left as they are in a path segment: the unreserved ones.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// `text` percent-encoded as one URL path segment (an advisory id in a link).
pub fn segment(text: &str) -> String {
    utf8_percent_encode(text, SEGMENT).to_string()
}

/// `sha256:0123456789ab…` shortened to its first 12 hex digits.
pub fn short_digest(digest: &str) -> String {
    match digest.split_once(':') {
        Some((algorithm, hex)) if hex.len() > 12 => format!("{algorithm}:{}", &hex[..12]),
        _ => digest.to_owned(),
    }
}

/// Renders template `name` with `context` (which holds the shared assets).
fn render(name: &str, context: Value) -> Result<String, Error> {
    let env = environment()?;
    Ok(env.get_template(name)?.render(context)?)
}

fn serde<T: serde::Serialize>(value: &T) -> Value {
    Value::from(minijinja::value::Serde(value))
}

/// Open findings now, by severity; open findings day by day; images per
/// golden base, up to date and outdated.
pub fn overview_charts(o: &Overview) -> Vec<Chart> {
    let severity = |open: &std::collections::BTreeMap<String, i64>| -> Vec<Category> {
        SEVERITIES
            .iter()
            .map(|s| {
                let name = s.to_lowercase();
                Category { key: name.clone(), label: name.clone(), value: open.get(*s).copied().unwrap_or(0).max(0) as u64, class: format!("sev-{name}") }
            })
            .collect()
    };
    let history = o.history.iter().map(|d| (d.date.clone(), severity(&d.open))).collect();
    let bases = o
        .bases
        .iter()
        .map(|b| {
            let outdated = b.outdated.max(0) as u64;
            (
                b.reference.clone(),
                vec![
                    Category { key: "up-to-date".to_owned(), label: "on the newest".to_owned(), value: (b.images.max(0) as u64).saturating_sub(outdated), class: "fixable".to_owned() },
                    Category { key: "outdated".to_owned(), label: "outdated".to_owned(), value: outdated, class: "sev-high".to_owned() },
                ],
            )
        })
        .collect();
    vec![
        chart::bars("open", "Open findings by severity (current images)", severity(&o.open)),
        chart::columns("history", format!("Open findings by severity, the last {} days (UTC)", o.history.len()), history),
        chart::columns("bases", "Images per golden base: on the newest build, and outdated", bases),
    ]
}

/// The overview page (`/`).
pub fn render_overview(o: &Overview) -> Result<String, Error> {
    render("fleet.html", minijinja::context! { root => "", o => serde(o), charts => serde(&overview_charts(o)), ..assets() })
}

/// A page of the image list (`/images?page=N`, pages counted from 1).
pub fn render_images(list: &ImageList) -> Result<String, Error> {
    let limit = list.limit.max(1);
    let page = list.offset / limit + 1;
    let pages = ((list.total + limit - 1) / limit).max(1);
    render("images.html", minijinja::context! { root => "", list => serde(list), page => page, pages => pages, ..assets() })
}

/// An image's page (`/images/{id}`): the report's page from the store.
pub fn render_image(d: &ImageDetail) -> Result<String, Error> {
    crate::render_page(&crate::view::ImagePage::from_stored(d))
}

/// An advisory's page (`/advisories/{id}`).
pub fn render_advisory(a: &AdvisoryView) -> Result<String, Error> {
    render("advisory.html", minijinja::context! { root => "../", a => serde(a), ..assets() })
}

/// A golden base's page (`/golden/{id}`).
pub fn render_golden(g: &GoldenView) -> Result<String, Error> {
    render("golden.html", minijinja::context! { root => "../", g => serde(g), ..assets() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_escape_everything_but_unreserved_characters() {
        assert_eq!(segment("CVE-2024-1.x_~"), "CVE-2024-1.x_~");
        assert_eq!(segment("a/b?c#d e\"<"), "a%2Fb%3Fc%23d%20e%22%3C");
        assert_eq!(segment(".."), "..", "a dot segment stays; the router refuses it as an unknown advisory");
    }

    const PAYLOAD: &str = "<script>alert(1)</script>";

    fn open(critical: i64, unknown: i64) -> std::collections::BTreeMap<String, i64> {
        SEVERITIES.iter().map(|s| ((*s).to_owned(), if *s == "CRITICAL" { critical } else if *s == "UNKNOWN" { unknown } else { 0 })).collect()
    }

    #[test]
    fn overview_draws_the_counts_and_escapes_references() {
        use temper_fleet::dashboard::{BaseSummary, Day};
        let o = Overview {
            now: 1_796_040_000,
            images: 3,
            scanned: 3,
            open: open(2, 1),
            history: vec![Day { date: "2026-11-29".into(), at: 1, open: open(1, 0) }, Day { date: "2026-11-30".into(), at: 2, open: open(2, 1) }],
            sla: temper_fleet::Sla::default(),
            breaches: Vec::new(),
            bases: vec![BaseSummary { id: 1, reference: format!("reg.test/{PAYLOAD}"), newest: Some("sha256:0123456789abcdef".into()), images: 3, outdated: 1 }],
            unbased: 0,
        };
        // minijinja writes `/` as `&#x2f;` (a browser reads it back as `/`).
        let html = render_overview(&o).unwrap().replace("&#x2f;", "/");
        assert!(html.contains("id=\"chart-open\" data-kind=\"bars\" data-total=\"3\""), "open findings now");
        assert!(html.contains("data-key=\"2026-11-30/critical\" data-count=\"2\"") && html.contains("data-key=\"2026-11-29/unknown\" data-count=\"0\""), "day by day");
        assert!(html.contains("/outdated\" data-count=\"1\"") && html.contains("/up-to-date\" data-count=\"2\""), "images per base");
        let body = &html[html.find("<body>").unwrap()..html.rfind("<script>").unwrap()];
        assert!(!body.contains(PAYLOAD) && body.contains("reg.test/&lt;script&gt;alert(1)&lt;/script&gt;"), "a reference from the store is text");
        assert!(body.contains("<a href=\"golden/1\">") && body.contains("<a href=\"images\""), "links are relative to /");
    }

    #[test]
    fn an_advisory_with_a_hostile_id_links_encoded_and_shows_escaped() {
        let a = AdvisoryView { advisory: PAYLOAD.into(), images: Vec::new(), fixed_by_rebase: 0, closed: std::collections::BTreeMap::new() };
        let html = render_advisory(&a).unwrap().replace("&#x2f;", "/");
        let body = &html[html.find("<body>").unwrap()..html.rfind("<script>").unwrap()];
        assert!(!body.contains(PAYLOAD) && body.contains("href=\"../api/advisories/%3Cscript%3Ealert%281%29%3C%2Fscript%3E\""), "{body}");
    }

    #[test]
    fn digests_shorten_to_twelve_hex_digits() {
        assert_eq!(short_digest("sha256:0123456789abcdef"), "sha256:0123456789ab");
        assert_eq!(short_digest("sha256:01"), "sha256:01");
    }
}
