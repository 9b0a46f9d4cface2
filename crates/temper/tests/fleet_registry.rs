//! `temper fleet add` with repository globs against Debian's
//! `docker-registry` on loopback (catalog and tag listing), and `temper
//! registry prune --store`, whose ages come from the fleet's first-seen
//! records before the config's `created`.

#![allow(clippy::expect_used, clippy::unwrap_used, missing_docs)]

#[allow(dead_code)]
mod registry_support;

use std::io::Cursor;
use std::path::Path;

use serde_json::{Value, json};
use temper_image::registry::push::{PushOptions, Pusher};
use temper_image::{Digest, RegistryOptions, RegistryRef};

use registry_support::{Registry, temper_env};

const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";

fn push_blob(p: &Pusher, bytes: &[u8]) -> Digest {
    let digest = Digest::sha256_of(bytes);
    let owned = bytes.to_vec();
    p.push_blob(&digest, bytes.len() as u64, &|| Ok(Box::new(Cursor::new(owned.clone())))).unwrap();
    digest
}

/// Pushes a one-layer image created 400 days ago as `host/repository:tag`.
fn push(host: &str, repository: &str, tag: &str) {
    let p = Pusher::new(&RegistryRef::parse(&format!("{host}/{repository}")).unwrap(), &RegistryOptions { insecure: true, ..RegistryOptions::default() }, PushOptions::default()).unwrap();
    let mut b = tar::Builder::new(Vec::new());
    let content = format!("{repository}:{tag}");
    let mut h = tar::Header::new_gnu();
    h.set_size(content.len() as u64);
    h.set_mode(0o644);
    h.set_cksum();
    b.append_data(&mut h, "app.txt", content.as_bytes()).unwrap();
    let layer = b.into_inner().unwrap();
    let created = (time::OffsetDateTime::now_utc() - time::Duration::days(400)).format(&time::format_description::well_known::Rfc3339).unwrap();
    let config = serde_json::to_vec(&json!({ "created": created, "architecture": "amd64", "os": "linux", "config": {}, "rootfs": { "type": "layers", "diff_ids": [Digest::sha256_of(&layer).to_string()] } })).unwrap();
    let manifest = serde_json::to_vec(&json!({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST,
        "config": { "mediaType": "application/vnd.oci.image.config.v1+json", "digest": push_blob(&p, &config).to_string(), "size": config.len() },
        "layers": [{ "mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": push_blob(&p, &layer).to_string(), "size": layer.len() }],
    }))
    .unwrap();
    p.put_manifest(&manifest, OCI_MANIFEST, tag).unwrap();
}

fn temper(dir: &Path, args: &[&str]) -> registry_support::Run {
    let store = dir.join("fleet.db");
    temper_env(args, &[("TEMPER_FLEET_STORE", store.to_str().unwrap()), ("XDG_DATA_HOME", dir.to_str().unwrap())])
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array().unwrap().iter().map(|s| s.as_str().unwrap().to_owned()).collect()
}

#[test]
fn repository_globs_expand_through_the_catalog_and_first_seen_ages_win_in_prune() {
    let work = tempfile::tempdir().unwrap();
    let dir = work.path();
    let mut registry = Registry::start_deletable(dir, "fleet-globs", &dir.join("storage"));
    let host = registry.host();
    for (repository, tag) in [("team/web", "1"), ("team/web", "2"), ("team/api", "1"), ("team/sub/deep", "1"), ("other/x", "1")] {
        push(&host, repository, tag);
    }

    // `*` stays in one path segment: team/sub/deep is not matched.
    let added = temper(dir, &["fleet", "add", &format!("{host}/team/*"), "--insecure", "-f", "json"]);
    assert_eq!(added.code(), Some(0), "{}", added.stderr);
    assert_eq!(strings(&added.json()["added"]), [format!("{host}/team/api:1"), format!("{host}/team/web:1"), format!("{host}/team/web:2")]);
    // `**` crosses segments; --tags filters.
    let deep = temper(dir, &["fleet", "add", &format!("{host}/**"), "--tags", "[1]", "--insecure", "-f", "json"]).json();
    assert_eq!(strings(&deep["added"]), [format!("{host}/other/x:1"), format!("{host}/team/sub/deep:1")]);
    assert_eq!(deep["known"].as_array().unwrap().len(), 2);
    let none = temper(dir, &["fleet", "add", &format!("{host}/nothing/*"), "--insecure"]);
    assert!(none.stderr.contains("no repository or tag of the catalog matches"), "{}", none.stderr);
    let synced = temper(dir, &["fleet", "sync", "--no-scan", "--insecure", "-f", "json"]).json();
    assert_eq!(synced["sync"]["resolved"], 5);

    // The configs say 400 days old; the fleet first saw them today.
    let policy = dir.join("retention.toml");
    std::fs::write(&policy, "[[rules]]\nrepositories = [\"**\"]\nkeep-younger-than = \"30d\"\n").unwrap();
    let prune = |store: bool| {
        let mut args = vec!["registry".to_owned(), "prune".into(), format!("{host}/team/web"), "--policy".into(), policy.display().to_string(), "--insecure".into(), "-f".into(), "json".into()];
        if store {
            args.extend(["--store".to_owned(), dir.join("fleet.db").display().to_string()]);
        }
        let run = temper(dir, &args.iter().map(String::as_str).collect::<Vec<_>>());
        assert_eq!(run.code(), Some(0), "{}", run.stderr);
        run.json()["repositories"][0]["tags"].as_array().unwrap().iter().map(|t| (t["tag"].as_str().unwrap().to_owned(), t["keep"].as_bool().unwrap(), t["age"]["source"].as_str().unwrap().to_owned())).collect::<std::collections::BTreeSet<_>>()
    };
    let by_created = prune(false);
    assert_eq!(by_created, std::collections::BTreeSet::from([("1".to_owned(), false, "config.created".to_owned()), ("2".to_owned(), false, "config.created".to_owned())]));
    let by_fleet = prune(true);
    assert_eq!(by_fleet, std::collections::BTreeSet::from([("1".to_owned(), true, "fleet.first-seen".to_owned()), ("2".to_owned(), true, "fleet.first-seen".to_owned())]));
    let table = temper(dir, &["registry", "prune", &format!("{host}/team/web"), "--policy", policy.to_str().unwrap(), "--insecure", "--store", dir.join("fleet.db").to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&table.stdout).contains("fleet.first-seen"), "{}", String::from_utf8_lossy(&table.stdout));
    registry.stop();
}
