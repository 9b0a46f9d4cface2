//! Listing a registry: the repositories of its catalog
//! (`GET /v2/_catalog?n=N`) and the tags of a repository
//! (`GET /v2/<name>/tags/list?n=N`), page by page.
//!
//! Pages are followed through RFC 5988 `Link: <…>; rel="next"` headers,
//! as the distribution spec says: a link may be a path on the registry's
//! origin or an absolute URL, which must be on that same origin (a link to
//! another host is refused: credentials would follow it). At most
//! [`MAX_PAGES`] pages are read, and a page that links to one already
//! read is refused, so a looping registry cannot hold a listing forever.

use std::collections::HashSet;

use serde::Deserialize;
use ureq::http::Method;

use super::RegistryOptions;
use super::client::{Client, reason_of};
use crate::error::{Error, Result};
use crate::reference::RegistryRef;

/// Pages read at most for one listing.
pub const MAX_PAGES: usize = 10_000;
/// One page's body is refused above this.
const PAGE_LIMIT: u64 = 16 << 20;

#[derive(Deserialize)]
struct CatalogPage {
    #[serde(default)]
    repositories: Option<Vec<String>>,
}

#[derive(Deserialize)]
struct TagsPage {
    #[serde(default)]
    tags: Option<Vec<String>>,
}

/// A registry's listings.
pub struct Catalog {
    client: Client,
    registry: String,
}

impl Catalog {
    /// Connects to `registry` (a host, `docker.io` for Docker Hub) with the
    /// credentials `opts` gives for it.
    pub fn connect(registry: &str, opts: &RegistryOptions) -> Result<Self> {
        let place = RegistryRef { registry: registry.to_owned(), repository: String::new(), tag: None, digest: None };
        let creds = super::credentials_for(&place, opts)?;
        let client = Client::connect(place.api_host(), "", creds, opts)?.with_scopes(vec!["registry:catalog:*".to_owned()]);
        Ok(Catalog { client, registry: registry.to_owned() })
    }

    /// The registry host this lists.
    pub fn registry(&self) -> &str {
        &self.registry
    }

    /// Every repository of the catalog, asked for `page_size` at a time, in
    /// the order the registry gives (lexical for the distribution registry).
    pub fn repositories(&self, page_size: u32) -> Result<Vec<String>> {
        let first = self.client.url(&format!("_catalog?n={}", page_size.max(1)));
        let mut out = Vec::new();
        self.pages(first, |body, url| {
            let page: CatalogPage = serde_json::from_slice(body).map_err(|e| Error::Registry { url: url.to_owned(), reason: format!("not a catalog page ({e})") })?;
            out.extend(page.repositories.unwrap_or_default());
            Ok(())
        })?;
        Ok(out)
    }

    /// Every tag of `repository`, `page_size` at a time.
    pub fn tags(&self, repository: &str, page_size: u32) -> Result<Vec<String>> {
        let first = self.client.url(&format!("{repository}/tags/list?n={}", page_size.max(1)));
        let mut out = Vec::new();
        self.pages(first, |body, url| {
            let page: TagsPage = serde_json::from_slice(body).map_err(|e| Error::Registry { url: url.to_owned(), reason: format!("not a tag list page ({e})") })?;
            out.extend(page.tags.unwrap_or_default());
            Ok(())
        })?;
        Ok(out)
    }

    /// GETs `url` and every page its `Link` headers lead to, handing each body to `page`.
    fn pages(&self, first: String, mut page: impl FnMut(&[u8], &str) -> Result<()>) -> Result<()> {
        let mut seen = HashSet::new();
        let mut next = Some(first);
        while let Some(url) = next.take() {
            if !seen.insert(url.clone()) {
                return Err(Error::Registry { url, reason: "the registry's next-page link leads back to a page already read; the listing stops here".into() });
            }
            if seen.len() > MAX_PAGES {
                return Err(Error::Registry { url, reason: format!("more than {MAX_PAGES} pages; ask for bigger pages") });
            }
            let mut resp = self.client.call(Method::GET, &url, &[("Accept", "application/json")], None, true)?;
            if !resp.status().is_success() {
                return Err(Error::Registry { url, reason: reason_of(&mut resp) });
            }
            let link = resp.headers().get_all("link").iter().filter_map(|v| v.to_str().ok()).find_map(next_link).map(str::to_owned);
            let body = resp.body_mut().with_config().limit(PAGE_LIMIT).read_to_vec().map_err(|e| Error::Registry { url: url.clone(), reason: format!("page over {PAGE_LIMIT} bytes or unreadable: {e}") })?;
            page(&body, &url)?;
            next = link.map(|l| resolve_link(self.client.base(), &url, &l)).transpose()?;
        }
        Ok(())
    }
}

/// The target of the `rel="next"` link of a `Link` header value, which
/// may hold several links separated by commas. Public for the
/// `link_header` fuzz target.
pub fn next_link(header: &str) -> Option<&str> {
    let mut rest = header;
    while let Some(start) = rest.find('<') {
        let end = start + rest[start..].find('>')?;
        let target = &rest[start + 1..end];
        let params_end = rest[end..].find('<').map_or(rest.len(), |i| end + i);
        let params = &rest[end + 1..params_end];
        let is_next = params.split(';').filter_map(|p| p.split_once('=')).any(|(k, v)| {
            k.trim().eq_ignore_ascii_case("rel") && v.trim().trim_matches('"').split_ascii_whitespace().any(|r| r.eq_ignore_ascii_case("next"))
        });
        if is_next {
            return Some(target);
        }
        rest = &rest[params_end..];
    }
    None
}

/// A next-page link made absolute against the registry's origin `base`
/// (scheme and host) and the page `current` it came from; a link to
/// another origin is refused. Public for the `link_header` fuzz target.
pub fn resolve_link(base: &str, current: &str, link: &str) -> Result<String> {
    let refuse = |why: &str| Error::Registry { url: current.to_owned(), reason: format!("the registry's next-page link '{}' {why}", link.chars().take(200).collect::<String>()) };
    if link.starts_with("https://") || link.starts_with("http://") {
        if super::client::same_origin(base, link) { Ok(link.to_owned()) } else { Err(refuse("points to another host; refusing to follow it")) }
    } else if link.starts_with('/') && !link.starts_with("//") {
        Ok(format!("{base}{link}"))
    } else if link.starts_with('?') {
        let path = current.split('?').next().unwrap_or(current);
        Ok(format!("{path}{link}"))
    } else if link.starts_with("//") {
        Err(refuse("points to another host; refusing to follow it"))
    } else {
        Err(refuse("is not a URL or an absolute path"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_link_is_found_among_several() {
        assert_eq!(next_link(r#"</v2/_catalog?last=b&n=2>; rel="next""#), Some("/v2/_catalog?last=b&n=2"));
        assert_eq!(next_link(r#"<https://r.example/v2/x/tags/list?last=p>; rel="prev", <https://r.example/v2/x/tags/list?last=q>; rel=next"#), Some("https://r.example/v2/x/tags/list?last=q"));
        assert_eq!(next_link(r#"</a>; title="next page"; rel="prev""#), None);
        assert_eq!(next_link(r#"</a>; rel="start next""#), Some("/a"));
        assert_eq!(next_link("garbage"), None);
        assert_eq!(next_link("</unterminated; rel=next"), None);
    }

    #[test]
    fn links_resolve_on_the_registry_origin_only() {
        let base = "http://127.0.0.1:5000";
        let current = "http://127.0.0.1:5000/v2/_catalog?n=2";
        let r = |l| resolve_link(base, current, l);
        assert_eq!(r("/v2/_catalog?last=b&n=2").unwrap(), "http://127.0.0.1:5000/v2/_catalog?last=b&n=2");
        assert_eq!(r("http://127.0.0.1:5000/v2/_catalog?last=c").unwrap(), "http://127.0.0.1:5000/v2/_catalog?last=c");
        assert_eq!(r("?last=d&n=2").unwrap(), "http://127.0.0.1:5000/v2/_catalog?last=d&n=2");
        for other in ["http://evil.example/v2/_catalog?last=b", "//evil.example/v2/_catalog", "https://127.0.0.1:5000/v2/_catalog", "http://127.0.0.1:5000.evil.example/v2/"] {
            assert!(r(other).unwrap_err().to_string().contains("another host"), "{other}");
        }
        assert!(r("v2/_catalog").unwrap_err().to_string().contains("not a URL"));
    }
}
