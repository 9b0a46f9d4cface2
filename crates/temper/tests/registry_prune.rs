//! `temper registry` against Debian's `docker-registry` on loopback with
//! deletes enabled (it has no referrers API and refuses `DELETE` by tag,
//! so both fallbacks run): listing, `rm`, and `prune` with the example
//! policy (`examples/retention.toml`) on a repository of 40 tags, untagged
//! manifests, two multi-arch indexes with untagged entries and signed
//! images. The dry run's list equals the expected one; `--apply` deletes
//! exactly that; the registry's garbage collection then frees exactly the
//! blobs the plan predicted; everything kept still pulls.

#![allow(clippy::expect_used, clippy::unwrap_used, missing_docs)]

#[allow(dead_code)]
mod registry_support;

use std::collections::{BTreeMap, BTreeSet};
use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};
use temper_image::registry::delete::Repository;
use temper_image::registry::push::{PushOptions, Pusher};
use temper_image::{Digest, RegistryOptions, RegistryRef};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use registry_support::{Registry, run_bounded, temper_env, tool};

const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples")
}

fn opts() -> RegistryOptions {
    RegistryOptions { insecure: true, ..RegistryOptions::default() }
}

/// A one-file tar holding `content`.
fn layer(name: &str, content: &str) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    let mut h = tar::Header::new_gnu();
    h.set_size(content.len() as u64);
    h.set_mode(0o644);
    h.set_mtime(0);
    h.set_cksum();
    b.append_data(&mut h, name, content.as_bytes()).unwrap();
    b.into_inner().unwrap()
}

struct Pushed {
    digest: Digest,
    descriptor: Value,
}

fn push_blob(p: &Pusher, bytes: &[u8]) -> Digest {
    let digest = Digest::sha256_of(bytes);
    let owned = bytes.to_vec();
    p.push_blob(&digest, bytes.len() as u64, &|| Ok(Box::new(Cursor::new(owned.clone())))).unwrap();
    digest
}

/// Pushes an image of a shared base layer and its own layer, created
/// `created`, under `reference` (a tag, or its digest for an untagged one).
fn push_image(p: &Pusher, base: &[u8], name: &str, created: &str, arch: &str, tag: Option<&str>) -> Pushed {
    let own = layer("app.txt", name);
    let layers = [base.to_vec(), own];
    let diff_ids: Vec<String> = layers.iter().map(|l| Digest::sha256_of(l).to_string()).collect();
    let config = serde_json::to_vec(&json!({ "created": created, "architecture": arch, "os": "linux", "config": {}, "rootfs": { "type": "layers", "diff_ids": diff_ids } })).unwrap();
    let config_digest = push_blob(p, &config);
    let layer_descs: Vec<Value> = layers.iter().map(|l| json!({ "mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": push_blob(p, l).to_string(), "size": l.len() })).collect();
    let manifest = serde_json::to_vec(&json!({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST,
        "config": { "mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest.to_string(), "size": config.len() },
        "layers": layer_descs,
    }))
    .unwrap();
    let digest = Digest::sha256_of(&manifest);
    p.put_manifest(&manifest, OCI_MANIFEST, &tag.map_or_else(|| digest.to_string(), str::to_owned)).unwrap();
    let descriptor = json!({ "mediaType": OCI_MANIFEST, "digest": digest.to_string(), "size": manifest.len(), "platform": { "os": "linux", "architecture": arch } });
    Pushed { digest, descriptor }
}

fn push_index(p: &Pusher, children: &[&Pushed], tag: &str) -> Digest {
    let index = serde_json::to_vec(&json!({ "schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": children.iter().map(|c| c.descriptor.clone()).collect::<Vec<_>>() })).unwrap();
    p.put_manifest(&index, OCI_INDEX, tag).unwrap();
    Digest::sha256_of(&index)
}

fn ago(days: i64) -> String {
    (OffsetDateTime::now_utc() - time::Duration::days(days)).format(&Rfc3339).unwrap()
}

/// Every blob file of the registry's storage and its size.
fn blobs_on_disk(storage: &Path) -> BTreeMap<String, u64> {
    let root = storage.join("docker/registry/v2/blobs/sha256");
    let mut out = BTreeMap::new();
    for prefix in std::fs::read_dir(&root).unwrap() {
        for blob in std::fs::read_dir(prefix.unwrap().path()).unwrap() {
            let blob = blob.unwrap().path();
            let data = blob.join("data");
            if data.is_file() {
                out.insert(format!("sha256:{}", blob.file_name().unwrap().to_str().unwrap()), std::fs::metadata(&data).unwrap().len());
            }
        }
    }
    out
}

fn temper(args: &[&str]) -> registry_support::Run {
    temper_env(args, &[])
}

fn sign(image: &str) -> String {
    let key = examples().join("policy/keys/golden.key");
    let run = temper_env(&["sign", image, "--key", key.to_str().unwrap(), "--insecure", "-f", "json"], &[("TEMPER_PASSWORD", "example")]);
    run.json()["signed"][0]["digest"].as_str().unwrap().to_owned()
}

#[test]
fn prune_with_the_example_policy_deletes_exactly_the_plan_and_gc_frees_what_it_predicted() {
    let work = tempfile::tempdir().unwrap();
    let storage = work.path().join("storage");
    let mut registry = Registry::start_deletable(work.path(), "prune", &storage);
    let host = registry.host();
    let repo = RegistryRef::parse(&format!("{host}/lab/app")).unwrap();
    let p = Pusher::new(&repo, &opts(), PushOptions::default()).unwrap();
    let base = layer("etc/os-release", "ID=temper-test\n");

    // 40 tags, v01 the oldest (40 days) to v40 (1 day); `latest` names v40.
    let mut tags: BTreeMap<String, Digest> = BTreeMap::new();
    for i in 1..=40 {
        let tag = format!("v{i:02}");
        let pushed = push_image(&p, &base, &tag, &ago(41 - i), "amd64", Some(&tag));
        tags.insert(tag, pushed.digest);
    }
    p.put_manifest(&Repository::connect(&repo, &opts()).unwrap().manifest("v40").unwrap().unwrap().bytes, OCI_MANIFEST, "latest").unwrap();
    tags.insert("latest".into(), tags["v40"].clone());
    // An old index (45 days) whose entries are untagged: it goes, and they with it.
    let old_amd = push_image(&p, &base, "old-amd", &ago(45), "amd64", None);
    let old_arm = push_image(&p, &base, "old-arm", &ago(45), "arm64", None);
    let multi_old = push_index(&p, &[&old_amd, &old_arm], "multi-old");
    // A new index (2 days) with an entry of 60 days: kept, entry included, though untagged and old.
    let new_amd = push_image(&p, &base, "new-amd", &ago(2), "amd64", None);
    let stale_arm = push_image(&p, &base, "stale-arm", &ago(60), "arm64", None);
    let multi_new = push_index(&p, &[&new_amd, &stale_arm], "multi-new");
    // Untagged images: old (goes), young (stays), reproducible (age unknown: stays).
    let untagged_old = push_image(&p, &base, "untagged-old", &ago(50), "amd64", None).digest;
    let untagged_young = push_image(&p, &base, "untagged-young", &ago(5), "amd64", None).digest;
    let untagged_repro = push_image(&p, &base, "untagged-repro", "1970-01-01T00:00:00Z", "amd64", None).digest;
    let untagged_file = work.path().join("untagged.txt");
    std::fs::write(&untagged_file, format!("# known untagged manifests\n{untagged_old}\n{untagged_young}\n{untagged_repro}\n")).unwrap();
    // Signed: v40 (kept) and v10 (removed); each gets a .sig tag and a bundle referrer in the tag-schema index.
    assert_eq!(sign(&format!("{host}/lab/app:v40")), tags["v40"].to_string());
    assert_eq!(sign(&format!("{host}/lab/app:v10")), tags["v10"].to_string());
    let r = Repository::connect(&repo, &opts()).unwrap();
    let accessory = |d: &Digest, suffix: &str| format!("sha256-{}{suffix}", d.hex());
    let digest_of = |tag: &str| r.manifest(tag).unwrap().unwrap_or_else(|| panic!("no tag {tag}")).digest;
    let v10_sig = digest_of(&accessory(&tags["v10"], ".sig"));
    let v10_referrers = digest_of(&accessory(&tags["v10"], ""));
    let v10_bundle: Vec<Digest> = serde_json::from_slice::<Value>(&r.manifest(&v10_referrers.to_string()).unwrap().unwrap().bytes).unwrap()["manifests"].as_array().unwrap().iter().map(|m| Digest::parse(m["digest"].as_str().unwrap()).unwrap()).collect();
    assert_eq!(v10_bundle.len(), 1);
    let v40_sig = digest_of(&accessory(&tags["v40"], ".sig"));
    let v40_referrers = digest_of(&accessory(&tags["v40"], ""));

    // Listing: the catalog and the tags.
    let ls = temper(&["registry", "ls", &host, "--insecure", "-f", "json"]).json();
    assert_eq!(ls["repositories"], json!(["lab/app"]));
    let listed = temper(&["registry", "tags", &format!("{host}/lab/app"), "--insecure", "-f", "json"]).json();
    assert_eq!(listed["tags"].as_array().unwrap().len(), 40 + 3 + 4, "40 versions, latest, two indexes, two .sig and two referrers tags");

    // The dry run.
    let policy = examples().join("retention.toml");
    let args = |apply: bool| {
        let mut a = vec!["registry".to_owned(), "prune".into(), format!("{host}/lab/app"), "--policy".into(), policy.display().to_string(), "--untagged".into(), untagged_file.display().to_string(), "--insecure".into(), "-f".into(), "json".into()];
        if apply {
            a.push("--apply".into());
        }
        a
    };
    let run_args = |apply: bool| {
        let a = args(apply);
        temper(&a.iter().map(String::as_str).collect::<Vec<_>>())
    };
    let plan = run_args(false).json();
    let repo_plan = &plan["repositories"][0];
    let kept: BTreeSet<&str> = repo_plan["tags"].as_array().unwrap().iter().filter(|t| t["keep"] == true).map(|t| t["tag"].as_str().unwrap()).collect();
    let want_kept: BTreeSet<&str> = ["latest", "v40", "multi-new", "v39", "v38", "v37", "v36", "v35", "v34", "v33"].into();
    assert_eq!(kept, want_kept);
    assert!(repo_plan["tags"].as_array().unwrap().iter().all(|t| t["age"]["source"] == "config.created"));

    let mut want_deleted: BTreeMap<String, &str> = (1..=32).map(|i| (tags[&format!("v{i:02}")].to_string(), "image")).collect();
    for (d, kind) in [(&multi_old, "index"), (&old_amd.digest, "image"), (&old_arm.digest, "image"), (&untagged_old, "image"), (&v10_sig, "signature"), (&v10_referrers, "referrers-index"), (&v10_bundle[0], "referrer")] {
        want_deleted.insert(d.to_string(), kind);
    }
    let deleted: BTreeMap<String, &str> = repo_plan["delete"].as_array().unwrap().iter().map(|d| (d["digest"].as_str().unwrap().to_owned(), d["kind"].as_str().unwrap())).collect();
    assert_eq!(deleted, want_deleted);
    let reason = |d: &Digest| repo_plan["delete"].as_array().unwrap().iter().find(|x| x["digest"] == d.to_string()).unwrap()["reason"].as_str().unwrap().to_owned();
    assert_eq!(reason(&untagged_old), "untagged, 50 days old, older than 30 days");
    assert_eq!(reason(&v10_sig), format!("signature of sha256:{}", &tags["v10"].hex()[..12]));
    assert!(reason(&tags["v01"]).starts_with("tag v01: rule 1: #"), "{}", reason(&tags["v01"]));
    let mut want_untag: BTreeSet<String> = (1..=32).map(|i| format!("v{i:02}")).collect();
    want_untag.extend(["multi-old".to_owned(), accessory(&tags["v10"], ".sig"), accessory(&tags["v10"], "")]);
    let untag: BTreeSet<String> = repo_plan["untag"].as_array().unwrap().iter().map(|t| t["tag"].as_str().unwrap().to_owned()).collect();
    assert_eq!(untag, want_untag);
    // The shared base layer and the kept images' blobs are never counted.
    let predicted: BTreeSet<String> = repo_plan["delete"].as_array().unwrap().iter().flat_map(|d| d["blobs_freed"].as_array().unwrap().iter().map(|b| b.as_str().unwrap().to_owned())).collect();
    assert!(!predicted.contains(&Digest::sha256_of(&base).to_string()));
    assert_eq!(plan["bytes_freed"], repo_plan["bytes_freed"]);

    // The table says the same.
    let table = {
        let a: Vec<String> = args(false).into_iter().filter(|a| a != "-f" && a != "json").collect();
        temper(&a.iter().map(String::as_str).collect::<Vec<_>>())
    };
    assert!(table.status.success(), "{}", table.stderr);
    let text = String::from_utf8(table.stdout).unwrap();
    assert!(text.contains("10 tags kept, 35 removed (accessory tags included)"), "{text}");

    // --apply: exactly the plan.
    let applied = run_args(true).json();
    assert_eq!(applied["applied"]["failed"], 0, "{applied}");
    let steps = applied["applied"]["steps"].as_array().unwrap();
    assert_eq!(steps.iter().filter(|s| s["action"] == "untag").count(), want_untag.len());
    assert_eq!(steps.iter().filter(|s| s["action"] == "delete").count(), want_deleted.len());
    // Debian's registry refuses DELETE by tag: every tag went through a placeholder.
    let placeholders: BTreeSet<String> = steps.iter().filter_map(|s| s["placeholder"].as_str().map(str::to_owned)).collect();
    assert_eq!(placeholders.len(), want_untag.len());
    let after = temper(&["registry", "tags", &format!("{host}/lab/app"), "--insecure", "-f", "json"]).json();
    let left: BTreeSet<&str> = after["tags"].as_array().unwrap().iter().map(|t| t.as_str().unwrap()).collect();
    let mut want_left: BTreeSet<String> = want_kept.iter().map(|s| (*s).to_owned()).collect();
    want_left.extend([accessory(&tags["v40"], ".sig"), accessory(&tags["v40"], "")]);
    assert_eq!(left, want_left.iter().map(String::as_str).collect::<BTreeSet<_>>());
    for d in want_deleted.keys() {
        assert!(r.manifest(d).unwrap().is_none(), "{d} still there");
    }

    // Everything kept still pulls: every kept tag and digest, its entries, its blobs.
    let mut kept_digests: Vec<Digest> = want_kept.iter().map(|t| digest_of(t)).collect();
    assert!(kept_digests.contains(&multi_new));
    kept_digests.extend([new_amd.digest.clone(), stale_arm.digest.clone(), untagged_young.clone(), untagged_repro.clone(), v40_sig.clone(), v40_referrers.clone()]);
    for d in &kept_digests {
        let m: Value = serde_json::from_slice(&r.manifest(&d.to_string()).unwrap().unwrap_or_else(|| panic!("{d} gone")).bytes).unwrap();
        for b in std::iter::once(&m["config"]).chain(m["layers"].as_array().into_iter().flatten()).filter(|b| b.is_object()) {
            r.blob(&Digest::parse(b["digest"].as_str().unwrap()).unwrap(), 1 << 20).unwrap();
        }
    }

    // Garbage collection, registry stopped: it frees exactly the predicted blobs (and the placeholders).
    registry.stop();
    let before = blobs_on_disk(&storage);
    let mut gc = Command::new(tool("docker-registry"));
    gc.arg("garbage-collect").arg(&registry.config);
    let run = run_bounded(gc, "docker-registry garbage-collect".into());
    assert!(run.status.success(), "{}", run.stderr);
    let after = blobs_on_disk(&storage);
    let removed: BTreeMap<&String, &u64> = before.iter().filter(|(d, _)| !after.contains_key(*d)).collect();
    let removed_real: BTreeSet<String> = removed.keys().filter(|d| !placeholders.contains(**d)).map(|d| (*d).clone()).collect();
    assert_eq!(removed_real, predicted);
    let freed: u64 = removed.iter().filter(|(d, _)| !placeholders.contains(**d)).map(|(_, s)| **s).sum();
    assert_eq!(freed, plan["bytes_freed"].as_u64().unwrap());
    assert!(placeholders.iter().all(|p| removed.contains_key(p)), "the placeholders are collected too");

    // Started again, the kept images still pull after the collection.
    let registry = Registry::start_deletable(work.path(), "prune-after", &storage);
    let again = RegistryRef::parse(&format!("{}/lab/app", registry.host())).unwrap();
    let r = Repository::connect(&again, &opts()).unwrap();
    for d in &kept_digests {
        let m: Value = serde_json::from_slice(&r.manifest(&d.to_string()).unwrap().unwrap_or_else(|| panic!("{d} gone after gc")).bytes).unwrap();
        for b in std::iter::once(&m["config"]).chain(m["layers"].as_array().into_iter().flatten()).filter(|b| b.is_object()) {
            r.blob(&Digest::parse(b["digest"].as_str().unwrap()).unwrap(), 1 << 20).unwrap();
        }
    }
}

#[test]
fn rm_untags_without_touching_the_image_and_deletes_by_digest() {
    let work = tempfile::tempdir().unwrap();
    let registry = Registry::start_deletable(work.path(), "rm", &work.path().join("storage"));
    let host = registry.host();
    let repo = RegistryRef::parse(&format!("{host}/lab/rm")).unwrap();
    let p = Pusher::new(&repo, &opts(), PushOptions::default()).unwrap();
    let base = layer("etc/os-release", "ID=rm\n");
    let img = push_image(&p, &base, "one", &ago(1), "amd64", Some("a"));
    let r = Repository::connect(&repo, &opts()).unwrap();
    p.put_manifest(&r.manifest("a").unwrap().unwrap().bytes, OCI_MANIFEST, "b").unwrap();

    let run = temper(&["registry", "rm", &format!("{host}/lab/rm:a"), "--insecure", "-f", "json"]);
    let out = run.json();
    assert_eq!(out["action"], "untagged");
    assert!(out["placeholder"].as_str().unwrap().starts_with("sha256:"), "the registry refuses DELETE by tag: {out}");
    assert!(r.manifest("a").unwrap().is_none());
    assert_eq!(r.manifest("b").unwrap().unwrap().digest, img.digest, "the other tag stays");
    assert!(r.manifest(&img.digest.to_string()).unwrap().is_some(), "the image stays");

    // A tag that is not there is an error naming it.
    let line = temper(&["registry", "rm", &format!("{host}/lab/rm:a"), "--insecure"]).error_line().to_owned();
    assert!(line.contains("no tag 'a'"), "{line}");

    let run = temper(&["registry", "rm", &format!("{host}/lab/rm@{}", img.digest), "--insecure"]);
    assert!(run.status.success(), "{}", run.stderr);
    assert_eq!(String::from_utf8(run.stdout).unwrap(), format!("deleted {host}/lab/rm@{}\n", img.digest));
    assert!(r.manifest("b").unwrap().is_none() && r.manifest(&img.digest.to_string()).unwrap().is_none());

    // A registry without deletes: the error says what to enable.
    let plain = Registry::start(work.path(), "nodelete", &work.path().join("storage2"), None, &registry_support::Auth::None);
    let repo2 = RegistryRef::parse(&format!("{}/lab/rm", plain.host())).unwrap();
    let p2 = Pusher::new(&repo2, &opts(), PushOptions::default()).unwrap();
    let img2 = push_image(&p2, &base, "two", &ago(1), "amd64", Some("a"));
    let line = temper(&["registry", "rm", &format!("{}/lab/rm@{}", plain.host(), img2.digest), "--insecure"]).error_line().to_owned();
    assert!(line.contains("storage.delete.enabled"), "{line}");
    // Removing a tag there is refused before any placeholder is written: the tag still names the image.
    let line = temper(&["registry", "rm", &format!("{}/lab/rm:a", plain.host()), "--insecure"]).error_line().to_owned();
    assert!(line.contains("storage.delete.enabled"), "{line}");
    let r2 = Repository::connect(&repo2, &opts()).unwrap();
    assert_eq!(r2.manifest("a").unwrap().unwrap().digest, img2.digest);
}

#[test]
fn a_bad_policy_is_an_error_naming_line_and_column() {
    let work = tempfile::tempdir().unwrap();
    let policy = work.path().join("retention.toml");
    std::fs::write(&policy, "[[rules]]\nkeep-most-recent = 10\nkeep-newest = 3\n").unwrap();
    let run = temper(&["registry", "prune", "127.0.0.1:1/lab/app", "--policy", policy.to_str().unwrap()]);
    let line = run.error_line();
    assert!(line.contains("retention.toml:3:1:") && line.contains("keep-newest"), "{line}");
}

#[test]
fn apply_reports_a_failed_step_goes_on_and_exits_non_zero() {
    use temper_retention::age::ConfigCreated;
    use temper_retention::{Policy, apply, gather, plan};

    let work = tempfile::tempdir().unwrap();
    let registry = Registry::start_deletable(work.path(), "partial", &work.path().join("storage"));
    let repo = RegistryRef::parse(&format!("{}/lab/partial", registry.host())).unwrap();
    let p = Pusher::new(&repo, &opts(), PushOptions::default()).unwrap();
    let base = layer("etc/os-release", "ID=partial\n");
    let digests: Vec<Digest> = (1..=4).map(|i| push_image(&p, &base, &format!("v{i}"), &ago(5 - i), "amd64", Some(&format!("v{i}"))).digest).collect();
    let policy = Policy::parse(Path::new("retention.toml"), "[[rules]]\nkeep-most-recent = 1\n").unwrap();
    let snapshot = gather::gather(&repo, &opts(), &[]).unwrap();
    let planned = plan::plan(&[snapshot], &policy, &[&ConfigCreated], OffsetDateTime::now_utc());
    assert_eq!(planned.manifests_deleted, 3);

    // Someone deletes v2 between the plan and --apply: its two steps fail, the others are made.
    let r = Repository::connect(&repo, &opts()).unwrap();
    r.delete_manifest(&digests[1]).unwrap();
    let applied = apply::apply(&planned, &opts());
    let failed: Vec<(&str, &str)> = applied.steps.iter().filter(|s| s.error.is_some()).map(|s| (s.action, s.target.as_str())).collect();
    let v2 = format!("{}/lab/partial:v2", registry.host());
    let v2_digest = format!("{}/lab/partial@{}", registry.host(), digests[1]);
    assert_eq!(failed, [("untag", v2.as_str()), ("delete", v2_digest.as_str())]);
    assert_eq!((applied.failed, applied.steps.len()), (2, 6));
    for d in [&digests[0], &digests[2]] {
        assert!(r.manifest(&d.to_string()).unwrap().is_none());
    }
    assert_eq!(r.manifest("v4").unwrap().unwrap().digest, digests[3]);

    // Through the binary, on a registry that allows no delete: every step is reported, then exit 2.
    let plain = Registry::start(work.path(), "nodelete", &work.path().join("storage2"), None, &registry_support::Auth::None);
    let repo2 = RegistryRef::parse(&format!("{}/lab/partial", plain.host())).unwrap();
    let p2 = Pusher::new(&repo2, &opts(), PushOptions::default()).unwrap();
    for i in 1..=2 {
        push_image(&p2, &base, &format!("w{i}"), &ago(3 - i), "amd64", Some(&format!("w{i}")));
    }
    let file = work.path().join("retention.toml");
    std::fs::write(&file, "[[rules]]\nkeep-most-recent = 1\n").unwrap();
    let run = temper(&["registry", "prune", &repo2.to_string(), "--policy", file.to_str().unwrap(), "--apply", "--insecure", "-f", "json"]);
    assert_eq!(run.code(), Some(2), "{}", run.stderr);
    let out: Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(out["applied"]["failed"], 2, "{out}");
    assert!(run.stderr.contains("2 of 2 registry changes failed"), "{}", run.stderr);
    assert!(Repository::connect(&repo2, &opts()).unwrap().manifest("w1").unwrap().is_some(), "the tag still names its image");
}
