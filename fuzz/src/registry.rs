//! The `link_header` fuzz body. A registry's `Link` header steers catalog
//! and tag-list pagination, so a hostile registry writes it: `next_link`
//! must never panic, what it returns must be a `<…>` target of the header,
//! and `resolve_link` must keep every followed page on the registry's own
//! origin (or refuse it in one line).

// Each replay includes this file and uses part of it.
#![allow(dead_code)]

use temper_image::registry::catalog::{next_link, resolve_link};

const BASE: &str = "http://127.0.0.1:5000";
const CURRENT: &str = "http://127.0.0.1:5000/v2/_catalog?n=100";

/// A `Link` header value. True when it held a next link that resolved.
pub fn link(data: &[u8]) -> bool {
    let header = String::from_utf8_lossy(data);
    let Some(target) = next_link(&header) else { return false };
    assert!(header.contains(&format!("<{target}>")), "{target:?} is not a <…> target of {header:?}");
    assert!(!target.contains('>'), "{target:?}");
    match resolve_link(BASE, CURRENT, target) {
        Ok(url) => {
            let rest = url.strip_prefix(BASE).unwrap_or_else(|| panic!("{target:?} resolved off the registry: {url:?}"));
            assert!(rest.is_empty() || rest.starts_with(['/', '?']), "{target:?} resolved to {url:?}: another port or host");
            true
        }
        Err(e) => {
            let msg = e.to_string();
            assert!(!msg.contains('\n'), "a refusal on several lines: {msg:?}");
            false
        }
    }
}
