//! The planner on crafted repositories: which tags go, which manifests
//! are deleted with which reason, which are kept for safety, and the
//! bytes freed.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::collections::BTreeMap;
use std::path::Path;

use temper_image::Digest;
use temper_retention::age::{AgeSource, Answer, ConfigCreated};
use temper_retention::plan::{Kind, Plan, plan};
use temper_retention::snapshot::{Manifest, Repo};
use temper_retention::Policy;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

const NOW: &str = "2026-12-01T00:00:00Z";
const IMAGE: &str = "application/vnd.oci.image.manifest.v1+json";
const INDEX: &str = "application/vnd.oci.image.index.v1+json";

fn now() -> OffsetDateTime {
    OffsetDateTime::parse(NOW, &Rfc3339).unwrap()
}

fn d(name: &str) -> Digest {
    Digest::sha256_of(name.as_bytes())
}

fn days_ago(n: i64) -> String {
    (now() - time::Duration::days(n)).format(&Rfc3339).unwrap()
}

/// An image whose config is `<name>-config` and layers as named, each 1000 bytes, the manifest 100.
fn image(created: Option<String>, layers: &[&str], name: &str) -> Manifest {
    let mut blobs = vec![(d(&format!("{name}-config")), 10)];
    blobs.extend(layers.iter().map(|l| (d(l), 1000)));
    Manifest { media_type: IMAGE.into(), size: 100, blobs, created, ..Manifest::default() }
}

fn index(children: &[&str]) -> Manifest {
    Manifest { media_type: INDEX.into(), size: 50, children: children.iter().map(|c| d(c)).collect(), ..Manifest::default() }
}

fn signature(name: &str) -> Manifest {
    Manifest { media_type: IMAGE.into(), size: 30, blobs: vec![(d("sig-config"), 5), (d(&format!("{name}-payload")), 7)], created: Some("0001-01-01T00:00:00Z".into()), ..Manifest::default() }
}

fn sig_tag(subject: &str) -> String {
    format!("sha256-{}.sig", d(subject).hex())
}

fn policy(text: &str) -> Policy {
    Policy::parse(Path::new("retention.toml"), text).unwrap()
}

fn run(repo: &Repo, text: &str) -> Plan {
    plan(std::slice::from_ref(repo), &policy(text), &[&ConfigCreated], now())
}

fn deleted(p: &Plan) -> BTreeMap<String, (Kind, String)> {
    p.repositories[0].delete.iter().map(|x| (x.digest.clone(), (x.kind, x.reason.clone()))).collect()
}

/// Tags t1 (newest) … t5 (oldest); t5 names the same image as t1; an index
/// `multi` (old) lists `amd` and `arm`, and `arm` is also tagged `arm-only`
/// (5 days); `t2` is signed and `t4` is signed; `old-untagged` and
/// `young-untagged` and `repro-untagged` (epoch) are untagged.
fn repo() -> Repo {
    let mut r = Repo { name: "r.example/lab/app".into(), repository: "lab/app".into(), ..Repo::default() };
    let mut add = |name: &str, m: Manifest| {
        r.manifests.insert(d(name), m);
    };
    add("i1", image(Some(days_ago(1)), &["base", "l1"], "i1"));
    add("i2", image(Some(days_ago(2)), &["base", "l2"], "i2"));
    add("i3", image(Some(days_ago(3)), &["base", "l3"], "i3"));
    add("i4", image(Some(days_ago(4)), &["base", "l4"], "i4"));
    add("amd", image(Some(days_ago(50)), &["base", "amd-layer"], "amd"));
    add("arm", image(Some(days_ago(5)), &["base", "arm-layer"], "arm"));
    add("multi", index(&["amd", "arm"]));
    add("sig-i2", signature("sig-i2"));
    add("sig-i4", signature("sig-i4"));
    add("old-untagged", image(Some(days_ago(40)), &["base", "old-layer", "l4"], "old"));
    add("young-untagged", image(Some(days_ago(10)), &["young-layer"], "young"));
    add("repro-untagged", image(Some("1970-01-01T00:00:00Z".into()), &["repro-layer"], "repro"));
    for (t, n) in [("t1", "i1"), ("t2", "i2"), ("t3", "i3"), ("t4", "i4"), ("t5", "i1"), ("multi", "multi"), ("arm-only", "arm")] {
        r.tags.insert(t.into(), d(n));
    }
    r.tags.insert(sig_tag("i2"), d("sig-i2"));
    r.tags.insert(sig_tag("i4"), d("sig-i4"));
    r
}

#[test]
fn most_recent_rule_removes_old_tags_and_their_accessories_but_never_shared_digests() {
    let r = repo();
    let p = run(&r, "delete-untagged-older-than = \"30d\"\nprotected = [\"arm-only\"]\n[[rules]]\nkeep-most-recent = 2\n");
    let tags: BTreeMap<&str, bool> = p.repositories[0].tags.iter().map(|t| (t.tag.as_str(), t.keep)).collect();
    // Ranked by created: t1 and t5 (1 day), t2 … t4, then arm-only and multi (5 days, the index's newest entry).
    assert_eq!(tags, BTreeMap::from([("arm-only", true), ("multi", false), ("t1", true), ("t2", false), ("t3", false), ("t4", false), ("t5", true)]));
    // Both 1-day tags rank ahead of t2; with two slots t2 goes.
    let t2 = p.repositories[0].tags.iter().find(|t| t.tag == "t2").unwrap();
    assert_eq!(t2.reason, "rule 1: #3 most recent of 7, keeps 2");

    let del = deleted(&p);
    let expect: BTreeMap<String, Kind> = [
        ("i2", Kind::Image),
        ("i3", Kind::Image),
        ("i4", Kind::Image),
        ("sig-i2", Kind::Signature),
        ("sig-i4", Kind::Signature),
        ("multi", Kind::Index),
        ("amd", Kind::Image),
        ("old-untagged", Kind::Image),
    ]
    .into_iter()
    .map(|(n, k)| (d(n).to_string(), k))
    .collect();
    assert_eq!(del.iter().map(|(k, v)| (k.clone(), v.0)).collect::<BTreeMap<_, _>>(), expect);
    // arm stays: a protected tag names it, though the deleted index lists it.
    assert!(!del.contains_key(&d("arm").to_string()));
    assert_eq!(del[&d("amd").to_string()].1, format!("entry of index sha256:{}", &d("multi").hex()[..12]));
    assert_eq!(del[&d("sig-i2").to_string()].1, format!("signature of sha256:{}", &d("i2").hex()[..12]));
    assert_eq!(del[&d("old-untagged").to_string()].1, "untagged, 40 days old, older than 30 days");
    assert!(del[&d("i3").to_string()].1.starts_with("tag t3: rule 1: #4 most recent"));

    // Accessories go first, then indexes, then images.
    let kinds: Vec<Kind> = p.repositories[0].delete.iter().map(|x| x.kind).collect();
    assert_eq!(&kinds[..3], &[Kind::Signature, Kind::Signature, Kind::Index]);

    // Tags removed: t2, t3, t4, multi and both .sig tags (t5 shares i1 with t1: kept).
    let mut untag: Vec<&str> = p.repositories[0].untag.iter().map(|t| t.tag.as_str()).collect();
    untag.sort();
    let mut want = vec!["multi", "t2", "t3", "t4"];
    let (s2, s4) = (sig_tag("i2"), sig_tag("i4"));
    want.extend([s2.as_str(), s4.as_str()]);
    want.sort();
    assert_eq!(untag, want);

    // Bytes: l2, l3, amd-layer, old-layer (l4 is shared by i4 and old-untagged: counted once)
    // plus l4, the deleted manifests and their configs; `base` and the
    // signature config stay (kept images use them... the sig config only by deleted sigs: freed).
    let freed: u64 = p.repositories[0].delete.iter().map(|x| x.bytes_freed).sum();
    let layers = 5 * 1000; // l2 l3 l4 amd-layer old-layer
    let manifests = 100 * 5 + 50 + 30 * 2; // i2 i3 i4 amd old; multi; two sigs
    let configs = 10 * 5 + 5 + 7 * 2; // five image configs; the shared sig config once; two sig payloads
    assert_eq!(freed, (layers + manifests + configs) as u64);
    assert_eq!(p.bytes_freed, freed);
    let all: Vec<&String> = p.repositories[0].delete.iter().flat_map(|x| &x.blobs_freed).collect();
    assert_eq!(all.len(), 5 + 8 + 5 + 1 + 2, "each blob counted once");
    assert!(!all.contains(&&d("base").to_string()));
}

#[test]
fn unknown_ages_are_never_deleted_by_age_and_the_plan_says_so() {
    let r = repo();
    let p = run(&r, "delete-untagged-older-than = \"1d\"\n[[rules]]\nkeep-younger-than = \"2d\"\n");
    let del = deleted(&p);
    // young-untagged (10 days) and old-untagged go; repro-untagged (epoch) is of unknown age and stays.
    assert!(del.contains_key(&d("young-untagged").to_string()) && del.contains_key(&d("old-untagged").to_string()));
    assert!(!del.contains_key(&d("repro-untagged").to_string()));
    let t1 = p.repositories[0].tags.iter().find(|t| t.tag == "t1").unwrap();
    assert_eq!((t1.keep, t1.age.source.as_str()), (true, "config.created"));
    assert_eq!(t1.reason, "rule 1: 1 days old, keeps younger than 2 days");
    let t3 = p.repositories[0].tags.iter().find(|t| t.tag == "t3").unwrap();
    assert_eq!((t3.keep, t3.reason.as_str()), (false, "rule 1: 3 days old, keeps younger than 2 days"));

    // A tag of unknown age is kept by any age rule.
    let mut r = repo();
    r.manifests.get_mut(&d("i3")).unwrap().created = Some("1980-01-01T00:00:00Z".into());
    let p = run(&r, "[[rules]]\nkeep-most-recent = 1\n");
    let t3 = p.repositories[0].tags.iter().find(|t| t.tag == "t3").unwrap();
    assert!(t3.keep, "{}", t3.reason);
    assert_eq!(t3.age.source, "unknown");
    assert!(t3.reason.contains("age unknown") && t3.reason.contains("reproducible"), "{}", t3.reason);
    assert!(!deleted(&p).contains_key(&d("i3").to_string()));
}

#[test]
fn rules_are_or_combined_select_by_globs_and_skip_other_repositories() {
    let r = repo();
    let p = run(&r, "[[rules]]\ntags = [\"t*\"]\nexclude-tags = [\"t4\"]\nkeep-most-recent = 1\n[[rules]]\ntags = [\"t3\"]\nkeep-always = true\n");
    let tags: BTreeMap<&str, (bool, &str)> = p.repositories[0].tags.iter().map(|t| (t.tag.as_str(), (t.keep, t.reason.as_str()))).collect();
    assert_eq!(tags["t3"], (true, "rule 2 keeps every tag it selects"));
    assert_eq!(tags["t4"], (false, "no rule selects the tag"));
    assert_eq!(tags["multi"], (false, "no rule selects the tag"));
    assert!(tags["t1"].0 && !tags["t5"].0, "t1 ranks first, before t5 of the same age");
    // t5 goes, but it names what t1 keeps: an untag only.
    let t5 = p.repositories[0].untag.iter().find(|t| t.tag == "t5").unwrap();
    assert!(!t5.manifest_deleted);
    assert!(!deleted(&p).contains_key(&d("i1").to_string()));
    // No rule for this repository: nothing is touched, untagged images neither without the untagged rule.
    let p = run(&r, "[[rules]]\nrepositories = [\"other/*\"]\nkeep-most-recent = 1\n");
    assert!(p.repositories[0].tags.iter().all(|t| t.keep && t.reason == "no rule applies to the repository"));
    assert_eq!(p.manifests_deleted, 0);
}

#[test]
fn signatures_of_a_gone_subject_are_deleted_and_referrers_follow_their_subject() {
    let mut r = repo();
    let gone = d("gone");
    r.missing.insert(gone.clone());
    r.manifests.insert(d("sig-gone"), signature("sig-gone"));
    r.tags.insert(format!("sha256-{}.sig", gone.hex()), d("sig-gone"));
    // A referrer (subject i1) and one listed by the referrers API for i3.
    r.manifests.insert(d("ref-i1"), Manifest { media_type: IMAGE.into(), size: 20, subject: Some(d("i1")), artifact_type: Some("application/x".into()), ..Manifest::default() });
    r.manifests.insert(d("api-i3"), Manifest { media_type: IMAGE.into(), size: 20, artifact_type: Some("application/y".into()), ..Manifest::default() });
    r.manifests.get_mut(&d("i3")).unwrap().referrers = vec![d("api-i3")];
    let p = run(&r, "[[rules]]\ntags = [\"t1\", \"t2\"]\nkeep-always = true\n");
    let del = deleted(&p);
    assert_eq!(del[&d("sig-gone").to_string()], (Kind::Signature, format!("signature of sha256:{}, which the registry no longer has", &gone.hex()[..12])));
    assert!(!del.contains_key(&d("ref-i1").to_string()), "i1 is kept, so is its referrer");
    assert_eq!(del[&d("api-i3").to_string()], (Kind::Referrer, format!("referrer of sha256:{}", &d("i3").hex()[..12])));
    // Untagged images stay without an untagged rule.
    assert!(!del.contains_key(&d("old-untagged").to_string()));
}

/// A second age source, asked first: the fleet store's seam.
struct FirstSeen;

impl AgeSource for FirstSeen {
    fn name(&self) -> &'static str {
        "first-seen"
    }
    fn age(&self, _: &Repo, digest: &Digest, now: OffsetDateTime) -> Answer {
        if *digest == d("i4") { Answer::Known(now - time::Duration::days(100)) } else { Answer::NoRecord }
    }
}

#[test]
fn the_first_source_that_knows_gives_the_age() {
    let r = repo();
    let p = plan(std::slice::from_ref(&r), &policy("[[rules]]\nkeep-younger-than = \"30d\"\n"), &[&FirstSeen, &ConfigCreated], now());
    let t4 = p.repositories[0].tags.iter().find(|t| t.tag == "t4").unwrap();
    assert_eq!((t4.age.source.as_str(), t4.keep), ("first-seen", false));
    let t3 = p.repositories[0].tags.iter().find(|t| t.tag == "t3").unwrap();
    assert_eq!((t3.age.source.as_str(), t3.keep), ("config.created", true));
}
