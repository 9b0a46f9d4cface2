//! Advisory feeds: where `temper db update` fetches from, and the fetch.
//!
//! The defaults are osv.dev's per-ecosystem `all.zip` exports for every
//! ecosystem temper can match, CISA's KEV catalog, and two severity
//! sources: the GitHub Advisory Database (the OSV records osv.dev imports
//! as GHSA, with CVSS where Go, PyPA and distro records have none) and the
//! CVE Program's CVE JSON 5 list (`cvelistV5`: the CNA's and CISA's ADP
//! metrics), both as archives of their repositories. A config file
//! replaces them (air-gapped users point every feed at a mirror). Each
//! fetch is a conditional request (`If-None-Match` with the stored ETag,
//! `If-Modified-Since` with the stored `Last-Modified`): an unchanged feed
//! costs one round trip and no import. A download goes to a temporary file
//! beside the database, bounded in size, and is imported in one transaction
//! that replaces what the feed brought before, so a failure at any point
//! leaves the previous data in place.

use std::io::{Read, Write};
use std::path::Path;
use std::time::Duration;

use serde::Deserialize;

use crate::db::{AdvisoryDb, DbError, FeedState, ImportStats};

/// Where osv.dev publishes its per-ecosystem exports.
pub const OSV_EXPORTS: &str = "https://osv-vulnerabilities.storage.googleapis.com";
/// CISA's Known Exploited Vulnerabilities catalog.
pub const KEV_URL: &str = "https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json";
/// The GitHub Advisory Database's OSV records (reviewed and unreviewed).
pub const GHSA_URL: &str = "https://github.com/github/advisory-database/archive/refs/heads/main.zip";
/// The CVE Program's list of CVE JSON 5 records.
pub const CVE_URL: &str = "https://github.com/CVEProject/cvelistV5/archive/refs/heads/main.zip";
/// The largest download accepted.
pub const MAX_DOWNLOAD: u64 = 4 << 30;

/// The ecosystems fetched by default, as osv.dev names their exports.
pub const DEFAULT_ECOSYSTEMS: &[&str] = &[
    "Debian", "Ubuntu", "Alpine", "Wolfi", "Chainguard", "Red Hat", "AlmaLinux", "Rocky Linux", "npm", "PyPI", "crates.io", "Go", "Maven", "RubyGems", "Packagist", "NuGet",
];

/// One feed.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Feed {
    /// A name, unique among the feeds.
    pub name: String,
    /// An `http(s)://` URL of a zip export or a JSON file.
    pub url: String,
}

/// The `[db]` section of the config file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DbConfig {
    /// Feeds; when given, they replace the defaults.
    #[serde(default)]
    pub feeds: Option<Vec<Feed>>,
    /// `scan` warns when the database is older than this many days.
    #[serde(default)]
    pub max_age_days: Option<u32>,
}

impl DbConfig {
    /// The configured feeds, or the defaults.
    pub fn feeds(&self) -> Vec<Feed> {
        self.feeds.clone().unwrap_or_else(default_feeds)
    }

    /// Days after which `scan` calls the database stale (7 by default).
    pub fn max_age_days(&self) -> u32 {
        self.max_age_days.unwrap_or(7)
    }
}

/// The default feeds.
pub fn default_feeds() -> Vec<Feed> {
    let mut feeds: Vec<Feed> =
        DEFAULT_ECOSYSTEMS.iter().map(|e| Feed { name: (*e).to_owned(), url: format!("{OSV_EXPORTS}/{}/all.zip", e.replace(' ', "%20")) }).collect();
    feeds.push(Feed { name: "GHSA".into(), url: GHSA_URL.into() });
    feeds.push(Feed { name: "CVE".into(), url: CVE_URL.into() });
    feeds.push(Feed { name: "KEV".into(), url: KEV_URL.into() });
    feeds
}

/// What one feed's update did.
#[derive(Debug)]
pub enum Outcome {
    /// The server said 304: nothing changed.
    NotModified,
    /// Downloaded and imported.
    Imported(ImportStats),
}

/// What went wrong fetching a feed.
#[derive(Debug, thiserror::Error)]
pub enum FeedError {
    /// The server or the network failed.
    #[error("{url}: {reason}")]
    Fetch {
        /// The feed's URL.
        url: String,
        /// Why.
        reason: String,
    },
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbError),
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_connect(Some(Duration::from_secs(30)))
        .timeout_recv_response(Some(Duration::from_secs(120)))
        .user_agent(concat!("temper/", env!("CARGO_PKG_VERSION")))
        .build()
        .into()
}

/// Fetches `feed` into `db` unless the server says it has not changed.
/// `progress` is told the total size (when known) and each chunk read.
pub fn update(db: &mut AdvisoryDb, feed: &Feed, tmp_dir: &Path, progress: &mut dyn FnMut(Option<u64>, u64)) -> Result<Outcome, FeedError> {
    let fail = |reason: String| FeedError::Fetch { url: feed.url.clone(), reason };
    if !(feed.url.starts_with("https://") || feed.url.starts_with("http://")) {
        return Err(fail("only http(s) URLs can be fetched; import local files with `temper db import`".into()));
    }
    let previous = db.feed_state(&feed.name)?.filter(|s| s.url == feed.url);
    let mut request = agent().get(&feed.url);
    if let Some(p) = &previous {
        if let Some(etag) = &p.etag {
            request = request.header("If-None-Match", etag);
        }
        if let Some(lm) = &p.last_modified {
            request = request.header("If-Modified-Since", lm);
        }
    }
    let mut response = request.call().map_err(|e| fail(e.to_string()))?;
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64);
    let status = response.status().as_u16();
    if status == 304 && previous.is_some() {
        db.touch_feed(&feed.name, now)?;
        return Ok(Outcome::NotModified);
    }
    if status != 200 {
        return Err(fail(format!("HTTP {status}")));
    }
    let header = |name: &str| response.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let state = FeedState { name: feed.name.clone(), url: feed.url.clone(), etag: header("etag"), last_modified: header("last-modified"), fetched: now };
    let total = header("content-length").and_then(|l| l.parse().ok());
    if total.is_some_and(|t: u64| t > MAX_DOWNLOAD) {
        return Err(fail(format!("{} bytes, over the {MAX_DOWNLOAD}-byte limit", total.unwrap_or(0))));
    }
    let is_zip = feed.url.split('?').next().is_some_and(|u| u.ends_with(".zip")) || header("content-type").is_some_and(|t| t.contains("zip"));
    let suffix = if is_zip { ".zip" } else { ".json" };
    let mut file = tempfile::Builder::new().prefix(".temper-feed-").suffix(suffix).tempfile_in(tmp_dir).map_err(|e| fail(format!("temporary file in {}: {e}", tmp_dir.display())))?;
    let mut body = response.body_mut().with_config().limit(MAX_DOWNLOAD).reader();
    let mut buf = vec![0u8; 1 << 16];
    let mut read = 0u64;
    loop {
        let n = body.read(&mut buf).map_err(|e| fail(format!("reading the body: {e}")))?;
        if n == 0 {
            break;
        }
        file.write_all(&buf[..n]).map_err(|e| fail(format!("writing the download: {e}")))?;
        read += n as u64;
        progress(total, read);
    }
    if total.is_some_and(|t| t != read) {
        return Err(fail(format!("the body ended after {read} of {} bytes", total.unwrap_or(0))));
    }
    file.flush().map_err(|e| fail(e.to_string()))?;
    let stats = db.import_feed(&state, file.path())?;
    Ok(Outcome::Imported(stats))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_cover_every_matchable_ecosystem() {
        let feeds = default_feeds();
        assert_eq!(feeds.len(), DEFAULT_ECOSYSTEMS.len() + 3);
        assert!(feeds.iter().any(|f| f.name == "GHSA" && f.url.ends_with(".zip")), "GHSA records rate what their twins do not");
        assert!(feeds.iter().any(|f| f.name == "CVE" && f.url.contains("cvelistV5")), "CVE JSON 5 records give CNA and ADP metrics");
        assert!(feeds.iter().any(|f| f.url.ends_with("/Rocky%20Linux/all.zip")));
        assert!(feeds.iter().any(|f| f.name == "KEV"));
        for e in ["Debian", "Alpine", "npm", "PyPI", "crates.io", "Go", "Maven", "AlmaLinux"] {
            assert!(crate::version::for_osv_ecosystem(e).is_some(), "{e}");
        }
    }
}
