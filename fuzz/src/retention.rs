//! The `retention.toml` fuzz body. A retention policy decides what a
//! registry deletes: it must never panic, every refusal is one printable
//! line naming the file, and what loads is planned on a small repository
//! (tagged, signed, indexed and untagged images) without breaking the
//! planner's promise that a digest a kept tag names is never deleted.

// Each replay includes this file and uses part of it.
#![allow(dead_code)]

use std::collections::BTreeSet;
use std::path::Path;

use temper_image::Digest;
use temper_retention::Policy;
use temper_retention::age::ConfigCreated;
use temper_retention::plan::plan;
use temper_retention::snapshot::{Manifest, Repo};
use time::OffsetDateTime;

const IMAGE: &str = "application/vnd.oci.image.manifest.v1+json";
const INDEX: &str = "application/vnd.oci.image.index.v1+json";

/// `retention.toml` as text. True when it loaded.
pub fn policy(data: &[u8]) -> bool {
    let text = String::from_utf8_lossy(data);
    let path = Path::new("retention.toml");
    match Policy::parse(path, &text) {
        Ok(policy) => {
            let now = OffsetDateTime::from_unix_timestamp(1_796_083_200).unwrap_or(OffsetDateTime::UNIX_EPOCH);
            let planned = plan(std::slice::from_ref(&repo(now)), &policy, &[&ConfigCreated], now);
            let kept: BTreeSet<&str> = planned.repositories.iter().flat_map(|r| &r.tags).filter(|t| t.keep).map(|t| t.digest.as_str()).collect();
            for deletion in planned.repositories.iter().flat_map(|r| &r.delete) {
                assert!(!kept.contains(deletion.digest.as_str()), "{} is deleted though a kept tag names it", deletion.digest);
            }
            assert!(serde_json::to_string(&planned).is_ok());
            true
        }
        Err(e) => {
            let msg = e.to_string();
            assert!(!msg.chars().any(char::is_control), "a refusal with control characters: {msg:?}");
            assert!(msg.contains("retention.toml"), "a refusal not naming the file: {msg:?}");
            false
        }
    }
}

fn d(name: &str) -> Digest {
    Digest::sha256_of(name.as_bytes())
}

/// Five tags over four images (one tagged twice), a signature, a
/// two-platform index and two untagged images, aged 1 to 60 days.
fn repo(now: OffsetDateTime) -> Repo {
    let created = |days: i64| (now - time::Duration::days(days)).format(&time::format_description::well_known::Rfc3339).ok();
    let image = |name: &str, days: i64| Manifest { media_type: IMAGE.into(), size: 100, blobs: vec![(d(&format!("{name}-config")), 10), (d("base"), 1000), (d(name), 500)], created: created(days), ..Manifest::default() };
    let mut r = Repo { name: "r.example/team/app".into(), repository: "team/app".into(), ..Repo::default() };
    for (name, days) in [("i1", 1), ("i2", 8), ("i3", 20), ("i4", 45), ("amd", 30), ("arm", 30), ("old", 60), ("young", 2)] {
        r.manifests.insert(d(name), image(name, days));
    }
    r.manifests.insert(d("multi"), Manifest { media_type: INDEX.into(), size: 50, children: vec![d("amd"), d("arm")], ..Manifest::default() });
    r.manifests.insert(d("sig"), Manifest { media_type: IMAGE.into(), size: 30, blobs: vec![(d("sig-payload"), 7)], ..Manifest::default() });
    for (tag, name) in [("latest", "i1"), ("v1.2", "i1"), ("v1.1", "i2"), ("v1.0", "i3"), ("dev-x", "i4"), ("multi", "multi")] {
        r.tags.insert(tag.into(), d(name));
    }
    r.tags.insert(format!("sha256-{}.sig", d("i2").hex()), d("sig"));
    r
}
