//! The HTML report of one image: the assessment `temper-verdict` makes
//! (and, after `temper gate`, the policy's verdict) rendered as one
//! self-contained page that opens from a `file://` URL on an air-gapped
//! machine.
//!
//! Data flows in one direction: [`Input`] (the assessment, an optional
//! verdict, the Dockerfile's text) → [`view::ImagePage`], plain serializable
//! data with every chart's geometry computed here ([`chart`]) → the
//! minijinja templates in `templates/`, embedded at compile time. A server
//! renders the same page from the same [`view::ImagePage`] (and can serve
//! it as JSON), so the report and a dashboard's per-image page cannot drift.
//! The fleet dashboard's other pages ([`dashboard`]) use the same base
//! template, style sheet, script and policy.
//!
//! What the page must never do: load anything. CSS and the sorting and
//! filtering script are inline, charts are inline SVG drawn here (no script
//! draws them), and the page carries a Content-Security-Policy allowing
//! only the exact style and script it holds, by their SHA-256 computed at
//! render time: an injected `<script>` or event handler would not run even
//! if escaping failed. Every string from an image (labels, package names,
//! history, paths) is untrusted; templates ending in `.html` are
//! autoescaped, and nothing from the assessment is marked safe.
//!
//! The same input gives the same bytes: no clock is read, and every list
//! keeps the assessment's order or a sorted one.
//!
//! ```
//! let csp = temper_report::content_security_policy();
//! assert!(csp.starts_with("default-src 'none'; style-src 'sha256-"));
//! ```

pub mod chart;
pub mod dashboard;
pub mod view;

use base64::Engine;
use minijinja::{Environment, Value};
use sha2::{Digest, Sha256};
use temper_policy::Verdict;
use temper_verdict::Assessment;

/// The page's only style sheet.
const STYLE: &str = include_str!("../templates/report.css");
/// The page's only script: sorting and filtering of the tables.
const SCRIPT: &str = include_str!("../templates/report.js");

/// What one image's page is made from.
#[derive(Clone, Copy)]
pub struct Input<'a> {
    /// The assessment.
    pub assessment: &'a Assessment,
    /// The policy's verdict, when a policy judged it (`temper gate`).
    pub verdict: Option<&'a Verdict>,
    /// The Dockerfile's text, for excerpts beside its lint findings.
    pub dockerfile: Option<&'a str>,
}

/// Why a page could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A template failed (a defect in temper, not in the input).
    #[error("the HTML report's template {name}: {message}; please report this as a bug in temper")]
    Template {
        /// The template.
        name: String,
        /// minijinja's message.
        message: String,
    },
}

impl From<minijinja::Error> for Error {
    fn from(e: minijinja::Error) -> Self {
        Error::Template { name: e.name().unwrap_or("(none)").to_owned(), message: e.to_string() }
    }
}

/// The templates, autoescaped for their `.html` names (minijinja's default).
fn environment() -> Result<Environment<'static>, Error> {
    let mut env = Environment::new();
    env.set_syntax(minijinja::syntax::SyntaxConfig::builder().trim_blocks(true).lstrip_blocks(true).build()?);
    env.add_template("base.html", include_str!("../templates/base.html"))?;
    env.add_template("macros.html", include_str!("../templates/macros.html"))?;
    env.add_template("image.html", include_str!("../templates/image.html"))?;
    env.add_template("fleet.html", include_str!("../templates/fleet.html"))?;
    env.add_template("images.html", include_str!("../templates/images.html"))?;
    env.add_template("advisory.html", include_str!("../templates/advisory.html"))?;
    env.add_template("golden.html", include_str!("../templates/golden.html"))?;
    env.add_filter("utc", view::utc);
    env.add_filter("segment", dashboard::segment);
    env.add_filter("short", dashboard::short_digest);
    Ok(env)
}

/// `'sha256-…'` of `text`, as a CSP source expression.
fn csp_hash(text: &str) -> String {
    format!("'sha256-{}'", base64::engine::general_purpose::STANDARD.encode(Sha256::digest(text.as_bytes())))
}

/// The Content-Security-Policy of every page: nothing but its own style and script.
pub fn content_security_policy() -> String {
    format!("default-src 'none'; style-src {}; script-src {}; img-src data:; base-uri 'none'; form-action 'none'", csp_hash(STYLE), csp_hash(SCRIPT))
}

/// The context every page shares: the policy, style and script (trusted, ours).
fn assets() -> Value {
    minijinja::context! {
        csp => Value::from_safe_string(content_security_policy()),
        style => Value::from_safe_string(STYLE.to_owned()),
        script => Value::from_safe_string(SCRIPT.to_owned()),
    }
}

/// One image's report.
pub fn render(input: &Input<'_>) -> Result<String, Error> {
    render_page(&view::ImagePage::new(input))
}

/// The page of an image already turned into its view (a server renders
/// stored views this way).
pub fn render_page(page: &view::ImagePage) -> Result<String, Error> {
    let env = environment()?;
    let template = env.get_template("image.html")?;
    Ok(template.render(minijinja::context! { page => Value::from(minijinja::value::Serde(page)), ..assets() })?)
}
