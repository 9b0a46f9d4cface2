//! Advisory-stage fuzz bodies: OSV records from feeds and version strings
//! from images are both strangers' input. Whatever a scheme accepts must
//! compare without panicking and consistently both ways round; whatever
//! record parses must be matchable.

use std::cmp::Ordering;

use temper_advisory::matcher::affected_by;
use temper_advisory::osv::Record;
use temper_advisory::version::SCHEMES;

/// The input split into up to three version strings (on newlines), run
/// through every scheme. True when some scheme accepted two of them.
pub fn versions(data: &[u8]) -> bool {
    let text = String::from_utf8_lossy(data);
    let parts: Vec<&str> = text.split('\n').take(3).collect();
    let mut accepted = false;
    for s in SCHEMES {
        for a in &parts {
            for b in &parts {
                if let (Ok(ab), Ok(ba)) = (s.compare(a, b), s.compare(b, a)) {
                    assert_eq!(ab, ba.reverse(), "{}: {a:?} vs {b:?}", s.id());
                    if a == b {
                        assert_eq!(ab, Ordering::Equal, "{}: {a:?}", s.id());
                    }
                    accepted = true;
                }
            }
        }
    }
    accepted
}

/// An OSV record: parsed, then every affected entry matched against a few
/// versions in every scheme. True when it parsed.
pub fn osv_record(data: &[u8]) -> bool {
    // `db import` tells CVE JSON 5 records apart from OSV ones by shape.
    if let Ok(value) = serde_json::from_slice::<serde_json::Value>(data)
        && temper_advisory::cve::is_cve_record(&value)
    {
        return temper_advisory::cve::parse(&value).is_ok();
    }
    let Ok(record) = serde_json::from_slice::<Record>(data) else { return false };
    for affected in &record.affected {
        for s in SCHEMES {
            for v in ["0", "1.0.0", "2.2", "1:2.38.1-5+deb12u1", "v0.7.0"] {
                let _ = affected_by(*s, v, affected);
            }
        }
    }
    true
}
