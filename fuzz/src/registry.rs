//! The registry listing's fuzz body: a page's `Link` header values, as a
//! registry (or anything answering in its place) sends them. The next page
//! must stay on the registry's origin, or be refused in one printable line.

// Each replay includes this file and uses part of it.
#![allow(dead_code)]

const BASE: &str = "http://127.0.0.1:5000";
const CURRENT: &str = "http://127.0.0.1:5000/v2/_catalog?n=2";

/// One `Link` header value a line. True when a next page was found.
pub fn link(data: &[u8]) -> bool {
    let text = String::from_utf8_lossy(data);
    let headers: Vec<&str> = text.split('\n').collect();
    match temper_image::registry::catalog::next_page(BASE, CURRENT, &headers) {
        Ok(Some(url)) => {
            let rest = url.strip_prefix(BASE).unwrap_or_else(|| panic!("a next page off the registry's origin: {url:?}"));
            assert!(rest.is_empty() || rest.starts_with('/') || rest.starts_with('?'), "a next page on another host: {url:?}");
            true
        }
        Ok(None) => false,
        Err(e) => {
            let msg = e.to_string();
            assert!(!msg.chars().any(char::is_control), "a refusal with control characters: {msg:?}");
            assert!(msg.contains(CURRENT), "a refusal not naming the page: {msg:?}");
            false
        }
    }
}
