//! The fleet on both stores, the same test bodies on each: a SQLite file
//! and a PostgreSQL server the harness starts (see `common`). Images are
//! built here: app layers over three golden bases (npm packages, so no
//! distro feed is needed), all in one OCI layout, one tag per app.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;
#[path = "../../temper-layer/tests/support/mod.rs"]
mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::time::Duration;

use support::{Comp, ImageSpec, OciLayout, file, layer, with_ref};
use temper_advisory::db::AdvisoryDb;
use temper_finding::vex::Suppressions;
use temper_fleet::worker::{Assessor, WorkOptions};
use temper_fleet::{Fleet, Location, Matcher, Scan};
use temper_verdict::CacheSettings;

/// Runs a test body on a SQLite file and on a fresh PostgreSQL database.
macro_rules! on_both_stores {
    ($($name:ident),*) => {$(
        mod $name {
            #[test]
            fn sqlite() {
                let tmp = tempfile::tempdir().unwrap();
                super::$name(&temper_fleet::Location::Sqlite(tmp.path().join("fleet.db")));
            }
            #[test]
            fn postgres() {
                let Some(server) = super::common::PgServer::start() else { return };
                super::$name(&server.database("fleet"));
            }
        }
    )*};
}

on_both_stores!(two_workers_scan_every_image_exactly_once, a_crashed_workers_job_is_reclaimed_after_its_lease, rematch_opens_and_closes_findings_with_their_reasons, sla_breaches_at_a_fixed_now, lineage_groups_images_by_golden_version, the_layer_cache_is_shared_through_the_store);

const LODASH_FIXED_21: &str = r#"{"id":"GHSA-fl-0001","aliases":["CVE-2099-0001"],"modified":"2026-01-01T00:00:00Z",
 "affected":[{"package":{"ecosystem":"npm","name":"lodash"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"4.17.21"}]}]}],
 "severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}]}"#;
/// The same record corrected: fixed long before the installed 4.17.20.
const LODASH_FIXED_19: &str = r#"{"id":"GHSA-fl-0001","aliases":["CVE-2099-0001"],"modified":"2026-02-01T00:00:00Z",
 "affected":[{"package":{"ecosystem":"npm","name":"lodash"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"4.17.19"}]}]}],
 "severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}]}"#;
const MINIMIST: &str = r#"{"id":"GHSA-fl-0002","aliases":["CVE-2099-0002"],"modified":"2026-01-01T00:00:00Z",
 "affected":[{"package":{"ecosystem":"npm","name":"minimist"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"1.2.6"}]}]}]}"#;
/// The same record, withdrawn.
const MINIMIST_WITHDRAWN: &str = r#"{"id":"GHSA-fl-0002","aliases":["CVE-2099-0002"],"modified":"2026-02-01T00:00:00Z","withdrawn":"2026-02-01T00:00:00Z",
 "affected":[{"package":{"ecosystem":"npm","name":"minimist"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"1.2.6"}]}]}]}"#;
/// New in the update: every lodash before 4.17.22.
const LODASH_NEW: &str = r#"{"id":"GHSA-fl-0003","aliases":["CVE-2099-0003"],"modified":"2026-02-01T00:00:00Z",
 "affected":[{"package":{"ecosystem":"npm","name":"lodash"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"4.17.22"}]}]}]}"#;
/// In both: every lodash before 5; the ignore file later suppresses it.
const LODASH_IGNORED: &str = r#"{"id":"GHSA-fl-0004","aliases":["CVE-2099-0004"],"modified":"2026-01-01T00:00:00Z",
 "affected":[{"package":{"ecosystem":"npm","name":"lodash"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"5.0.0"}]}]}]}"#;

/// The golden bases: one npm package each.
const BASES: [(&str, &str); 3] = [("lodash", "4.17.20"), ("minimist", "1.2.5"), ("lodash", "4.17.21")];

fn package_json(name: &str, version: &str) -> String {
    format!(r#"{{"name":"{name}","version":"{version}","license":"MIT"}}"#)
}

/// `n` apps, app `i` on base `i % 3` with a layer of its own; returns
/// their references (`oci:LAYOUT:app-i`).
fn build_fleet(dir: &Path, n: usize) -> (PathBuf, Vec<String>) {
    let path = dir.join("layout");
    let layout = OciLayout::new(&path);
    let bases: Vec<_> = BASES.iter().map(|(name, version)| layer(&[file(&format!("usr/lib/node_modules/{name}/package.json"), package_json(name, version))], Comp::Gzip)).collect();
    let mut manifests = Vec::new();
    let mut references = Vec::new();
    for i in 0..n {
        let app = layer(&[file(&format!("srv/app-{i}/node_modules/app-{i}/package.json"), package_json(&format!("app-{i}"), "1.0.0"))], Comp::Gzip);
        let desc = layout.add_image(&ImageSpec::new(vec![bases[i % 3].clone(), app]));
        manifests.push(with_ref(desc, &format!("app-{i}")));
        references.push(format!("oci:{}:app-{i}", path.display()));
    }
    layout.write_index(manifests);
    (path, references)
}

/// An advisory database file holding `records`.
fn advisory_db(dir: &Path, name: &str, records: &[&str]) -> PathBuf {
    let input = dir.join(format!("{name}-osv"));
    std::fs::create_dir_all(&input).unwrap();
    for (i, r) in records.iter().enumerate() {
        std::fs::write(input.join(format!("{i}.json")), r).unwrap();
    }
    let path = dir.join("advisories.db");
    AdvisoryDb::open(&path).unwrap().import(&[input]).unwrap();
    path
}

fn limits() -> temper_layer::Limits {
    temper_layer::Limits { max_layer_bytes: 1 << 30, max_image_bytes: 1 << 30, max_ratio: 200, max_entries: 100_000 }
}

/// Counts layers read from their blobs and layers served by the cache.
#[derive(Default)]
struct Walks {
    read: AtomicUsize,
    cached: AtomicUsize,
}

struct Counting<'a>(&'a Walks);

impl temper_layer::Progress for Counting<'_> {
    fn start(&self, _: usize, _: Option<u64>) {
        self.0.read.fetch_add(1, Ordering::SeqCst);
    }
    fn advance(&self, _: usize, _: u64) {}
    fn finish(&self, _: usize) {}
    fn cached(&self, _: usize) {
        self.0.cached.fetch_add(1, Ordering::SeqCst);
    }
}

impl temper_verdict::Reporter for Walks {
    fn layer_pass(&self, _: &'static str, _: Vec<temper_verdict::reporter::LayerLabel>) -> Box<dyn temper_layer::Progress + '_> {
        Box::new(Counting(self))
    }
    fn download(&self, name: &str) -> Box<dyn temper_verdict::reporter::Download + '_> {
        temper_verdict::Silent.download(name)
    }
    fn warn(&self, message: &str) {
        panic!("unexpected warning: {message}");
    }
    fn note(&self, _: &str) {}
}

/// What a worker needs besides the store: how to read images, the layer
/// cache, and the advisory database.
struct Setup {
    tmp: tempfile::TempDir,
    layout: PathBuf,
    references: Vec<String>,
    db: PathBuf,
    cache: CacheSettings,
}

impl Setup {
    fn new(n: usize, records: &[&str]) -> Setup {
        let tmp = tempfile::tempdir().unwrap();
        let (layout, references) = build_fleet(tmp.path(), n);
        let db = advisory_db(tmp.path(), "initial", records);
        let cache = CacheSettings { dir: Some(tmp.path().join("cache")), ..Default::default() };
        Setup { tmp, layout, references, db, cache }
    }

    /// Runs one worker until the queue is empty, as `owner`.
    fn work(&self, fleet: &mut Fleet, owner: &str, walks: &Walks, suppressions: &Suppressions) -> temper_fleet::WorkReport {
        self.work_cached(fleet, owner, walks, suppressions, &self.cache)
    }

    /// [`Setup::work`] through the layer cache `cache`.
    fn work_cached(&self, fleet: &mut Fleet, owner: &str, walks: &Walks, suppressions: &Suppressions, cache: &CacheSettings) -> temper_fleet::WorkReport {
        let db = AdvisoryDb::open(&self.db).unwrap();
        let matcher = Matcher { db: &db, source: "the test database".into(), suppressions, allow_partial: false };
        let open = Default::default();
        let limits = limits();
        let assessor = Assessor { open: &open, limits: &limits, cache, reporter: walks };
        let options = WorkOptions { owner: owner.into(), lease: Duration::from_secs(600), exit_when_idle: true, poll: Duration::ZERO };
        temper_fleet::work(fleet, &assessor, &matcher, &options, walks).unwrap()
    }

    fn sync(&self, fleet: &mut Fleet) -> temper_fleet::SyncReport {
        let open = Default::default();
        let limits = limits();
        let walks = Walks::default();
        fleet.sync(&Assessor { open: &open, limits: &limits, cache: &self.cache, reporter: &walks }).unwrap()
    }
}

/// (reference, advisory) of every open finding.
fn open_findings(fleet: &mut Fleet) -> BTreeSet<(String, String)> {
    fleet.findings().unwrap().into_iter().filter(|f| f.status == "open").map(|f| (f.reference, f.advisory)).collect()
}

fn two_workers_scan_every_image_exactly_once(store: &Location) {
    let setup = Setup::new(30, &[LODASH_FIXED_21, MINIMIST]);
    let mut fleet = Fleet::open(store).unwrap();
    let added = fleet.add(&setup.references).unwrap();
    assert_eq!(added.added.len(), 30);
    assert!(fleet.add(&setup.references[..2]).unwrap().added.is_empty(), "adding twice records nothing");
    let synced = setup.sync(&mut fleet);
    assert_eq!((synced.resolved, synced.new_images, synced.enqueued, synced.failed.len()), (30, 30, 30, 0));
    let again = setup.sync(&mut fleet);
    assert_eq!((again.new_images, again.enqueued), (0, 0), "a second sync queues no digest already queued");

    let walks = Walks::default();
    let none = Suppressions::default();
    let reports: Vec<temper_fleet::WorkReport> = std::thread::scope(|s| {
        let workers: Vec<_> = ["w1", "w2"]
            .into_iter()
            .map(|owner| {
                let (setup, walks, none) = (&setup, &walks, &none);
                s.spawn(move || setup.work(&mut Fleet::open(store).unwrap(), owner, walks, none))
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap()).collect()
    });
    assert_eq!(reports.iter().map(|r| r.scanned).sum::<usize>(), 30, "{reports:?}");
    assert!(reports.iter().all(|r| r.failed.is_empty() && r.lost == 0), "{reports:?}");
    let jobs = fleet.jobs().unwrap();
    assert_eq!(jobs.len(), 30);
    assert_eq!(jobs.iter().map(|j| &j.digest).collect::<BTreeSet<_>>().len(), 30, "one job per digest");
    assert!(jobs.iter().all(|j| j.state == "done" && j.attempts == 1), "every image scanned exactly once: {jobs:?}");
    assert!(jobs.iter().all(|j| matches!(j.lease_owner.as_deref(), Some("w1" | "w2"))));
    // 60 layers in all; each base layer is read at most once per worker,
    // then served by the cache.
    let (read, cached) = (walks.read.load(Ordering::SeqCst), walks.cached.load(Ordering::SeqCst));
    assert_eq!(read + cached, 60);
    assert!(read <= 30 + 3 * 2, "{read} layers read, {cached} from the cache");

    let expected: BTreeSet<(String, String)> = setup
        .references
        .iter()
        .enumerate()
        .filter_map(|(i, r)| match i % 3 {
            0 => Some((r.clone(), "CVE-2099-0001".to_owned())),
            1 => Some((r.clone(), "CVE-2099-0002".to_owned())),
            _ => None,
        })
        .collect();
    assert_eq!(open_findings(&mut fleet), expected);
    let status = fleet.status().unwrap();
    assert_eq!((status.references, status.images.len()), (30, 30));
    assert_eq!(status.open, BTreeMap::from([("CRITICAL".to_owned(), 10), ("UNKNOWN".to_owned(), 10)]));
    assert_eq!(status.jobs, BTreeMap::from([("done".to_owned(), 30)]));
    assert!(status.images.iter().all(|i| i.scanned_at.is_some() && i.platform.as_deref() == Some("linux/amd64")));
    assert_eq!(status.schema, temper_fleet::schema::VERSION);
}

fn a_crashed_workers_job_is_reclaimed_after_its_lease(store: &Location) {
    let setup = Setup::new(3, &[LODASH_FIXED_21, MINIMIST]);
    let now = Arc::new(AtomicI64::new(1_800_000_000));
    let clock = {
        let now = now.clone();
        Arc::new(move || now.load(Ordering::SeqCst))
    };
    let mut fleet = Fleet::open(store).unwrap().with_clock(clock.clone());
    fleet.add(&setup.references).unwrap();
    setup.sync(&mut fleet);

    // A worker claims a job, then dies before completing it.
    let mut crashed = Fleet::open(store).unwrap().with_clock(clock);
    let lost = crashed.claim("crashed", 600).unwrap().unwrap();
    let walks = Walks::default();
    let none = Suppressions::default();
    let first = setup.work(&mut fleet, "w2", &walks, &none);
    assert_eq!(first.scanned, 2, "the claimed job is not taken while its lease holds");
    let running: Vec<_> = fleet.jobs().unwrap().into_iter().filter(|j| j.state == "running").collect();
    assert_eq!(running.len(), 1);
    assert_eq!(running[0].lease_owner.as_deref(), Some("crashed"));

    // While it was alive it renewed its lease: still not taken over.
    now.fetch_add(300, Ordering::SeqCst);
    assert!(crashed.renew(&lost, 600).unwrap());
    now.fetch_add(301, Ordering::SeqCst);
    assert_eq!(setup.work(&mut fleet, "w2", &walks, &none).scanned, 0, "a renewed lease holds past its first term");

    now.fetch_add(300, Ordering::SeqCst);
    let second = setup.work(&mut fleet, "w2", &walks, &none);
    assert_eq!(second.scanned, 1, "its lease ran out: the job is back in the queue");
    let jobs = fleet.jobs().unwrap();
    assert!(jobs.iter().all(|j| j.state == "done" && j.lease_owner.as_deref() == Some("w2")), "{jobs:?}");
    let reclaimed = jobs.iter().find(|j| j.digest == lost.digest).unwrap();
    assert_eq!(reclaimed.attempts, 2);

    // The crashed worker wakes up and finishes: the job is no longer its
    // own, so nothing is stored twice.
    let findings_before = fleet.findings().unwrap();
    let db = AdvisoryDb::open(&setup.db).unwrap();
    let matcher = Matcher { db: &db, source: "the test database".into(), suppressions: &none, allow_partial: false };
    let (open, limits) = (Default::default(), limits());
    let scanned = Assessor { open: &open, limits: &limits, cache: &setup.cache, reporter: &walks }.scan(&lost.reference, &lost.digest).unwrap();
    assert!(!crashed.renew(&lost, 600).unwrap(), "a lease taken over cannot be renewed");
    assert!(crashed.complete(&lost, &scanned, &matcher, &walks).unwrap().is_none());
    assert_eq!(fleet.findings().unwrap(), findings_before);
    assert!(fleet.status().unwrap().images.iter().all(|i| i.scanned_at.is_some()));
}

fn rematch_opens_and_closes_findings_with_their_reasons(store: &Location) {
    let setup = Setup::new(6, &[LODASH_FIXED_21, MINIMIST, LODASH_IGNORED]);
    let mut fleet = Fleet::open(store).unwrap();
    fleet.add(&setup.references).unwrap();
    setup.sync(&mut fleet);
    let none = Suppressions::default();
    assert_eq!(setup.work(&mut fleet, "w1", &Walks::default(), &none).scanned, 6);
    let on = |bases: &[usize], advisory: &str| -> BTreeSet<(String, String)> { setup.references.iter().enumerate().filter(|(i, _)| bases.contains(&(i % 3))).map(|(_, r)| (r.clone(), advisory.to_owned())).collect() };
    let mut before = on(&[0], "CVE-2099-0001");
    before.extend(on(&[1], "CVE-2099-0002"));
    before.extend(on(&[0, 2], "CVE-2099-0004"));
    assert_eq!(open_findings(&mut fleet), before);

    // The update: the lodash record corrected, minimist's withdrawn, a new
    // lodash record; and CVE-2099-0004 ignored by the team.
    let update = setup.tmp.path().join("update");
    std::fs::create_dir_all(&update).unwrap();
    for (name, record) in [("a.json", LODASH_FIXED_19), ("b.json", MINIMIST_WITHDRAWN), ("c.json", LODASH_NEW)] {
        std::fs::write(update.join(name), record).unwrap();
    }
    let mut db = AdvisoryDb::open(&setup.db).unwrap();
    db.import(&[update]).unwrap();
    let ignore = setup.tmp.path().join(".temperignore");
    std::fs::write(&ignore, "CVE-2099-0004 accepted risk\n").unwrap();
    let mut suppressions = Suppressions::default();
    suppressions.add_ignore_file(&ignore).unwrap();
    let matcher = Matcher { db: &db, source: "the test database".into(), suppressions: &suppressions, allow_partial: false };
    let report = fleet.rematch(&matcher, &Walks::default()).unwrap();
    assert_eq!(report.images, 6);
    assert_eq!(report.changes.opened, 4, "CVE-2099-0003 on the apps of bases 0 and 2");
    assert_eq!(report.changes.closed, BTreeMap::from([("advisory-withdrawn", 2), ("fixed-upstream", 2), ("vex", 4)]));
    assert_eq!(open_findings(&mut fleet), on(&[0, 2], "CVE-2099-0003"));
    let closed: BTreeSet<(String, String, String)> = fleet.findings().unwrap().into_iter().filter(|f| f.status == "closed").map(|f| (f.reference, f.advisory, f.close_reason.unwrap())).collect();
    let mut expected = BTreeSet::new();
    for (bases, advisory, reason) in [(&[0][..], "CVE-2099-0001", "fixed-upstream"), (&[1], "CVE-2099-0002", "advisory-withdrawn"), (&[0, 2], "CVE-2099-0004", "vex")] {
        expected.extend(on(bases, advisory).into_iter().map(|(r, a)| (r, a, reason.to_owned())));
    }
    assert_eq!(closed, expected);
    let again = fleet.rematch(&matcher, &Walks::default()).unwrap();
    assert_eq!((again.changes.opened, again.changes.closed.len()), (0, 0), "a second rematch changes nothing");

    // app-0's tag moves to app-1's image: its old digest's findings close.
    let index_path = setup.layout.join("index.json");
    let mut index: serde_json::Value = serde_json::from_slice(&std::fs::read(&index_path).unwrap()).unwrap();
    let app1 = index["manifests"][1]["digest"].clone();
    index["manifests"][0]["digest"] = app1;
    std::fs::write(&index_path, serde_json::to_vec(&index).unwrap()).unwrap();
    let moved = setup.sync(&mut fleet);
    assert_eq!((moved.moved, moved.new_images, moved.enqueued), (1, 1, 0), "the digest was scanned already: nothing to queue");
    let app0 = &setup.references[0];
    let findings = fleet.findings().unwrap();
    assert!(findings.iter().any(|f| &f.reference == app0 && f.advisory == "CVE-2099-0003" && f.close_reason.as_deref() == Some("image-gone")));
    let status = fleet.status().unwrap();
    let current = status.images.iter().find(|i| &i.reference == app0).unwrap();
    assert_eq!(current.digest, index["manifests"][1]["digest"].as_str().unwrap());
    assert!(current.scanned_at.is_some() && current.open.is_empty(), "it shares app-1's scan: {current:?}");
}

/// Workers on different machines (each its own local cache directory)
/// share layer results through the store's tier: a base layer one worker
/// walked is a hit for the next; a damaged stored value is a miss.
fn the_layer_cache_is_shared_through_the_store(store: &Location) {
    // Apps 0, 3, 6 and 9 are on base 0.
    let setup = Setup::new(10, &[LODASH_FIXED_21, MINIMIST]);
    let mut fleet = Fleet::open(store).unwrap();
    let none = Suppressions::default();
    let machine = |name: &str| CacheSettings { dir: Some(setup.tmp.path().join(name)), shared: Some(Arc::new(temper_fleet::StoreCache::open(store).unwrap())), ..Default::default() };
    // Scans `app` alone as a worker with the local cache `dir`: (layers read, layers from the cache).
    let scan_on = |fleet: &mut Fleet, app: usize, dir: &str| -> (usize, usize) {
        fleet.add(&[setup.references[app].clone()]).unwrap();
        assert_eq!(setup.sync(fleet).enqueued, 1);
        let walks = Walks::default();
        let report = setup.work_cached(fleet, dir, &walks, &none, &machine(dir));
        assert_eq!((report.scanned, report.failed.len()), (1, 0), "{report:?}");
        (walks.read.load(Ordering::SeqCst), walks.cached.load(Ordering::SeqCst))
    };
    assert_eq!(scan_on(&mut fleet, 0, "x"), (2, 0), "nothing cached anywhere yet");
    assert_eq!(scan_on(&mut fleet, 3, "y"), (1, 1), "another machine's empty local cache: the base layer comes from the store");
    assert!(!setup.tmp.path().join("cache").exists(), "the Setup's own cache was not used");

    // Every stored value and blob print damaged: misses, not errors (a
    // warning would fail the test), and the full pass stores them again.
    let mut db = store.connect().unwrap();
    assert!(db.execute("UPDATE layer_cache SET value = $1", &[b"not zstd json".as_slice().into()]).unwrap() >= 3);
    assert_eq!(scan_on(&mut fleet, 6, "z"), (2, 0), "damaged values are misses");
    db.execute("UPDATE layer_blobs SET edges = 'not a digest'", &[]).unwrap();
    assert_eq!(scan_on(&mut fleet, 9, "w"), (2, 0), "damaged blob prints prove nothing");
    assert_eq!(scan_on(&mut fleet, 1, "v"), (2, 0), "base 1 was never scanned");
    assert_eq!(scan_on(&mut fleet, 4, "u"), (1, 1), "its results were written through");
    let expected: BTreeSet<(String, String)> = [0, 3, 6, 9].map(|i| (setup.references[i].clone(), "CVE-2099-0001".to_owned())).into_iter().chain([1, 4].map(|i| (setup.references[i].clone(), "CVE-2099-0002".to_owned()))).collect();
    assert_eq!(open_findings(&mut fleet), expected, "cached and walked layers give the same findings");
}

const DAY: i64 = 86_400;
const T0: i64 = 1_767_225_600; // 2026-01-01

/// An npm record `id` (aliased `cve`) for `name`, fixed in `fixed` when given, rated by `cvss`.
fn sla_record(id: &str, cve: &str, name: &str, fixed: Option<&str>, cvss: &str) -> String {
    let fixed = fixed.map(|f| format!(r#",{{"fixed":"{f}"}}"#)).unwrap_or_default();
    format!(
        r#"{{"id":"{id}","aliases":["{cve}"],"published":"2019-01-01T00:00:00Z","modified":"2019-01-01T00:00:00Z","severity":[{{"type":"CVSS_V3","score":"{cvss}"}}],
        "affected":[{{"package":{{"ecosystem":"npm","name":"{name}"}},"ranges":[{{"type":"SEMVER","events":[{{"introduced":"0"}}{fixed}]}}]}}]}}"#
    )
}

const CRITICAL: &str = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H";
const HIGH: &str = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N";
const MEDIUM: &str = "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:L/I:L/A:N";

/// Imports `records` into `db` as an update at `at`.
fn import_at(db: &mut AdvisoryDb, dir: &Path, records: &[String], at: i64) {
    let input = dir.join(format!("osv-{at}"));
    std::fs::create_dir_all(&input).unwrap();
    for (i, r) in records.iter().enumerate() {
        std::fs::write(input.join(format!("{i}.json")), r).unwrap();
    }
    db.import_at(&[input], at).unwrap();
}

fn sla_breaches_at_a_fixed_now(store: &Location) {
    // Apps 0, 1, 2 on lodash 4.17.20, minimist 1.2.5, lodash 4.17.21.
    let setup = Setup::new(3, &[]);
    let dir = setup.tmp.path();
    let db_path = dir.join("sla.db");
    let mut db = AdvisoryDb::open(&db_path).unwrap();
    // At T0: a critical lodash fix and a medium one (both known from the
    // first import), a high minimist flaw with no fix yet, and a critical
    // lodash one the team's VEX will call not affected.
    import_at(
        &mut db,
        dir,
        &[
            sla_record("GHSA-sla-0001", "CVE-2099-0101", "lodash", Some("4.17.21"), CRITICAL),
            sla_record("GHSA-sla-0002", "CVE-2099-0102", "minimist", None, HIGH),
            sla_record("GHSA-sla-0003", "CVE-2099-0103", "lodash", Some("5.0.0"), MEDIUM),
            sla_record("GHSA-sla-0004", "CVE-2099-0104", "lodash", Some("5.0.0"), CRITICAL),
        ],
        T0,
    );
    let mut fleet = Fleet::open(store).unwrap();
    fleet.add(&setup.references).unwrap();
    setup.sync(&mut fleet);
    let none = Suppressions::default();
    {
        let matcher = Matcher { db: &db, source: "the test database".into(), suppressions: &none, allow_partial: false };
        let assessor = Assessor { open: &Default::default(), limits: &limits(), cache: &setup.cache, reporter: &Walks::default() };
        let options = WorkOptions { owner: "w1".into(), lease: Duration::from_secs(600), exit_when_idle: true, poll: Duration::ZERO };
        assert_eq!(temper_fleet::work(&mut fleet, &assessor, &matcher, &options, &Walks::default()).unwrap().scanned, 3);
    }
    let sla = temper_fleet::Sla::default();
    let breaches = |fleet: &mut Fleet, now: i64| -> Vec<(String, String, String, i64, String, i64)> {
        fleet.sla_breaches(&sla, now).unwrap().into_iter().map(|b| (b.reference, b.advisory, b.severity, b.fix_known_since, b.fix_known_source, b.days_over)).collect()
    };
    let app = |i: usize| setup.references[i].clone();
    let row = |i: usize, cve: &str, severity: &str, since: i64, source: &str, over: i64| (app(i), cve.to_owned(), severity.to_owned(), since, source.to_owned(), over);
    // Scanned: the minimist finding has no fix, so no clock.
    assert_eq!(breaches(&mut fleet, T0 + 7 * DAY), [], "exactly at the critical limit is not over it");
    assert_eq!(breaches(&mut fleet, T0 + 60 * DAY), [row(0, "CVE-2099-0101", "CRITICAL", T0, "first-import", 53), row(0, "CVE-2099-0104", "CRITICAL", T0, "first-import", 53), row(2, "CVE-2099-0104", "CRITICAL", T0, "first-import", 53)]);

    // At T0 + 20 days an update brings minimist's fix; the team's VEX says
    // lodash is not affected by CVE-2099-0104. Rematch.
    import_at(&mut db, dir, &[sla_record("GHSA-sla-0002", "CVE-2099-0102", "minimist", Some("1.2.6"), HIGH)], T0 + 20 * DAY);
    let vex = dir.join("vex.json");
    std::fs::write(
        &vex,
        r#"{"@context":"https://openvex.dev/ns/v0.2.0","statements":[{"vulnerability":{"name":"CVE-2099-0104"},"products":[{"@id":"pkg:npm/lodash"}],"status":"not_affected","justification":"vulnerable_code_not_in_execute_path"}]}"#,
    )
    .unwrap();
    let mut suppressions = Suppressions::default();
    suppressions.add_vex(&vex).unwrap();
    let matcher = Matcher { db: &db, source: "the test database".into(), suppressions: &suppressions, allow_partial: false };
    let report = fleet.rematch(&matcher, &Walks::default()).unwrap();
    assert_eq!(report.changes.closed, BTreeMap::from([("vex", 2)]), "CVE-2099-0104 on apps 0 and 2");
    // A later update of the same fix does not restart its clock.
    import_at(&mut db, dir, &[sla_record("GHSA-sla-0002", "CVE-2099-0102", "minimist", Some("1.2.7"), HIGH)], T0 + 30 * DAY);
    let matcher = Matcher { db: &db, source: "the test database".into(), suppressions: &suppressions, allow_partial: false };
    fleet.rematch(&matcher, &Walks::default()).unwrap();

    assert_eq!(breaches(&mut fleet, T0 + 60 * DAY), [row(0, "CVE-2099-0101", "CRITICAL", T0, "first-import", 53), row(1, "CVE-2099-0102", "HIGH", T0 + 20 * DAY, "update", 10)]);
    let at_100 = [
        row(0, "CVE-2099-0101", "CRITICAL", T0, "first-import", 93),
        row(1, "CVE-2099-0102", "HIGH", T0 + 20 * DAY, "update", 50),
        row(0, "CVE-2099-0103", "MEDIUM", T0, "first-import", 10),
        row(2, "CVE-2099-0103", "MEDIUM", T0, "first-import", 10),
    ];
    assert_eq!(breaches(&mut fleet, T0 + 100 * DAY), at_100);
    // Half a day past a limit counts as a day over; a custom SLA applies its own limits only.
    let tight = temper_fleet::Sla::parse("high=39d").unwrap();
    let over: Vec<(String, i64)> = fleet.sla_breaches(&tight, T0 + 59 * DAY + DAY / 2).unwrap().into_iter().map(|b| (b.advisory, b.days_over)).collect();
    assert_eq!(over, [("CVE-2099-0102".to_owned(), 1)]);
}

/// Golden `node` moves from [lodash 4.17.20, minimist 1.2.5] to [lodash
/// 4.17.21, minimist 1.2.5]; golden `mini` is [minimist 1.2.5]; golden
/// `qs` is named by an app's annotations only (its layers are squashed);
/// one app is on no golden image.
fn lineage_groups_images_by_golden_version(store: &Location) {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("layout");
    let layout = OciLayout::new(&path);
    let pkg = |dir: &str, name: &str, version: &str| layer(&[file(&format!("{dir}/node_modules/{name}/package.json"), package_json(name, version))], Comp::Gzip);
    let (lodash_old, lodash_new, mini, qs) = (pkg("usr/lib", "lodash", "4.17.20"), pkg("usr/lib", "lodash", "4.17.21"), pkg("usr/lib", "minimist", "1.2.5"), pkg("usr/lib", "qs", "6.0.0"));
    let app = |i: usize| pkg(&format!("srv/app-{i}"), &format!("app-{i}"), "1.0.0");
    let reference = |tag: &str| format!("oci:{}:{tag}", path.display());
    let image = |layers: Vec<support::Blob>, tag: &str| with_ref(layout.add_image(&ImageSpec::new(layers)), tag);
    let node_old = image(vec![lodash_old.clone(), mini.clone()], "node");
    let node_new = image(vec![lodash_new.clone(), mini.clone()], "node");
    let golden_qs = image(vec![qs], "qs");
    let qs_digest = golden_qs["digest"].as_str().unwrap().to_owned();
    let squashed = layer(&[file("usr/lib/node_modules/qs/package.json", package_json("qs", "6.0.0")), file("etc/motd", "squashed")], Comp::Gzip);
    let annotated = layout.add_image_with(&ImageSpec::new(vec![squashed, app(4)]), |_| {}, |m| {
        m["annotations"] = serde_json::json!({"org.opencontainers.image.base.name": reference("qs"), "org.opencontainers.image.base.digest": qs_digest});
    });
    let others = vec![
        image(vec![mini.clone()], "mini"),
        golden_qs,
        image(vec![lodash_old.clone(), mini.clone(), app(0)], "app-0"),
        // An app-layer lodash: vulnerable, but no rebase fixes it.
        image(vec![lodash_old, mini.clone(), app(1), pkg("srv/app-1", "lodash", "4.17.19")], "app-1"),
        image(vec![mini, app(3)], "app-3"),
        with_ref(annotated, "app-4"),
        image(vec![pkg("opt", "left-pad", "1.0.0"), app(5)], "app-5"),
    ];
    layout.write_index([vec![node_old.clone()], others.clone()].concat());
    let setup = Setup { db: advisory_db(tmp.path(), "initial", &[LODASH_FIXED_21, MINIMIST]), cache: CacheSettings { dir: Some(tmp.path().join("cache")), ..Default::default() }, layout: path.clone(), references: Vec::new(), tmp };
    let mut fleet = Fleet::open(store).unwrap();
    let golden: Vec<String> = ["node", "mini", "qs"].map(reference).into();
    assert_eq!(fleet.add_golden(&golden).unwrap().added.len(), 3);
    fleet.add(&["app-0", "app-1", "app-3", "app-4", "app-5"].map(reference)).unwrap();
    let none = Suppressions::default();
    setup.sync(&mut fleet);
    assert_eq!(setup.work(&mut fleet, "w", &Walks::default(), &none).scanned, 8);
    // The golden tag moves; a new app is built on it.
    layout.write_index([vec![node_new.clone(), image(vec![lodash_new, pkg("usr/lib", "minimist", "1.2.5"), app(2)], "app-2")], others].concat());
    fleet.add(&[reference("app-2")]).unwrap();
    assert_eq!(setup.sync(&mut fleet).moved, 1);
    assert_eq!(setup.work(&mut fleet, "w", &Walks::default(), &none).scanned, 2);

    let digest = |d: &serde_json::Value| d["digest"].as_str().unwrap().to_owned();
    let lineage = fleet.lineage().unwrap();
    let group = |golden: &str, of: &serde_json::Value, up_to_date: bool, images: &[&str], closes: Option<i64>| temper_fleet::Group {
        golden: reference(golden),
        digest: digest(of),
        newest: Some(if golden == "node" { digest(&node_new) } else { digest(of) }),
        up_to_date,
        images: images.iter().map(|t| reference(t)).collect(),
        rebase_closes: closes,
    };
    let mini_image = &layout_manifest(&path, "mini");
    let qs_image = &layout_manifest(&path, "qs");
    assert_eq!(
        lineage.groups,
        vec![
            group("mini", mini_image, true, &["app-3"], None),
            // Each app's lodash 4.17.20 goes; minimist stays in the new golden, app-1's own lodash in its layer.
            group("node", &node_old, false, &["app-0", "app-1"], Some(2)),
            group("node", &node_new, true, &["app-2"], None),
            group("qs", qs_image, true, &["app-4"], None),
        ]
    );
    assert_eq!(lineage.unbased.iter().map(|u| u.reference.clone()).collect::<Vec<_>>(), [reference("app-5")]);
    assert_eq!(fleet.golden().unwrap(), vec![reference("mini"), reference("node"), reference("qs")]);

    // The dashboard's reads agree with the lineage, on both stores.
    let overview = fleet.overview(&temper_fleet::Sla::default(), 3, temper_fleet::unix_now()).unwrap();
    let bases: Vec<(String, i64, i64)> = overview.bases.iter().map(|b| (b.reference.clone(), b.images, b.outdated)).collect();
    assert_eq!(bases, [(reference("mini"), 1, 0), (reference("node"), 3, 2), (reference("qs"), 1, 0)]);
    assert_eq!((overview.images, overview.unbased, overview.history.len()), (9, 1, 3), "three goldens and six apps");
    let lodash = fleet.advisory("CVE-2099-0001").unwrap().unwrap();
    let rows: Vec<(String, String, bool)> = lodash.images.iter().map(|i| (i.reference.clone(), i.installed.clone(), i.rebase.as_ref().is_some_and(|r| r.fixes))).collect();
    assert_eq!(
        rows,
        [(reference("app-0"), "4.17.20".to_owned(), true), (reference("app-1"), "4.17.19".to_owned(), false), (reference("app-1"), "4.17.20".to_owned(), true)],
        "the base's lodash goes with a rebase onto the new node; app-1's own stays"
    );
    let node = overview.bases.iter().find(|b| b.reference == reference("node")).unwrap().id;
    let golden = fleet.golden_base(node).unwrap().unwrap();
    assert_eq!(golden.builds.iter().map(|b| (b.digest.clone(), b.newest, b.images.len())).collect::<Vec<_>>(), [(digest(&node_new), true, 1), (digest(&node_old), false, 2)]);
    let list = fleet.image_list(0, 4).unwrap();
    assert_eq!((list.total, list.images.len()), (9, 4));
    let app0 = fleet.image(list.images.iter().find(|i| i.reference == reference("app-0")).unwrap().id).unwrap().unwrap();
    assert_eq!(app0.golden.map(|g| (g.reference, g.up_to_date)), Some((reference("node"), false)));
    assert_eq!(app0.facts.map(|f| f.layers.len()), Some(3), "the scan's facts are stored");
}

/// The descriptor `index.json` of the layout at `path` gives `tag`.
fn layout_manifest(path: &Path, tag: &str) -> serde_json::Value {
    let index: serde_json::Value = serde_json::from_slice(&std::fs::read(path.join("index.json")).unwrap()).unwrap();
    index["manifests"].as_array().unwrap().iter().find(|m| m["annotations"]["org.opencontainers.image.ref.name"] == tag).unwrap().clone()
}

/// TLS to PostgreSQL: a CA made here, a server certificate it signs for
/// 127.0.0.1 (and for no name), and the libpq parameters in the URL.
mod tls {
    use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, KeyUsagePurpose};
    use temper_fleet::{Fleet, Location};

    use super::common::PgServer;

    /// A CA's PEM certificate and its issuer.
    fn ca(name: &str) -> CertifiedIssuer<'static, KeyPair> {
        let mut params = CertificateParams::default();
        params.distinguished_name.push(DnType::CommonName, name);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::DigitalSignature];
        CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap()
    }

    /// A server on TLS with a certificate `ca` signs for 127.0.0.1, and a
    /// directory holding `ca.pem` (that CA) and `other-ca.pem` (another).
    fn server() -> Option<(PgServer, tempfile::TempDir)> {
        let ca = ca("fleet test CA");
        let params = CertificateParams::new(vec!["127.0.0.1".to_owned()]).unwrap();
        let key = KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &ca).unwrap();
        let server = PgServer::start_tls(&cert.pem(), &key.serialize_pem())?;
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("ca.pem"), ca.pem()).unwrap();
        std::fs::write(dir.path().join("other-ca.pem"), self::ca("another CA").pem()).unwrap();
        Some((server, dir))
    }

    /// Whether the store's own connection is encrypted, as the server sees it.
    fn encrypted(location: &Location) -> bool {
        let mut backend = location.connect().unwrap();
        let rows = backend.query("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()", &[]).unwrap();
        assert_eq!(rows.len(), 1);
        rows[0].int(0).unwrap() == 1
    }

    fn open_error(url: &str) -> String {
        match Fleet::open(&Location::Postgres(url.to_owned())) {
            Ok(_) => panic!("{url} connected"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn verify_full_with_the_servers_ca_runs_the_fleet() {
        let Some((server, certs)) = server() else { return };
        server.database("fleet");
        let ca = certs.path().join("ca.pem");
        let store = Location::Postgres(format!("{}?sslmode=verify-full&sslrootcert={}", server.url("fleet"), ca.display()));
        assert!(encrypted(&store));
        let setup = super::Setup::new(3, &[super::LODASH_FIXED_21, super::MINIMIST]);
        let mut fleet = Fleet::open(&store).unwrap();
        fleet.add(&setup.references).unwrap();
        assert_eq!(setup.sync(&mut fleet).enqueued, 3);
        let report = setup.work(&mut fleet, "w1", &super::Walks::default(), &Default::default());
        assert_eq!(report.scanned, 3);
        let expected = [(0, "CVE-2099-0001"), (1, "CVE-2099-0002")].map(|(i, cve)| (setup.references[i].clone(), cve.to_owned())).into();
        assert_eq!(super::open_findings(&mut fleet), expected);
    }

    #[test]
    fn certificates_are_checked_as_sslmode_asks() {
        let Some((server, certs)) = server() else { return };
        server.database("fleet");
        let (ca, other) = (certs.path().join("ca.pem"), certs.path().join("other-ca.pem"));
        let url = server.url("fleet");
        // Another CA: refused, in one line naming the store and what to check.
        let e = open_error(&format!("{url}?sslmode=verify-ca&sslrootcert={}", other.display()));
        assert!(e.starts_with(&format!("fleet store {url}?sslmode=verify-ca&sslrootcert={}: cannot connect: error performing TLS handshake: ", other.display())), "{e}");
        assert!(e.contains("UnknownIssuer") && e.ends_with("; check sslmode and sslrootcert in --store (the server must offer TLS, its certificate signed by a CA in sslrootcert or the public roots)"), "{e}");
        assert!(!e.contains('\n'), "{e}");
        // A certificate for 127.0.0.1 reached as localhost: verify-ca accepts it, verify-full does not.
        let localhost = url.replace("127.0.0.1", "localhost");
        assert!(encrypted(&Location::Postgres(format!("{localhost}?sslmode=verify-ca&sslrootcert={}", ca.display()))));
        let e = open_error(&format!("{localhost}?sslmode=verify-full&sslrootcert={}", ca.display()));
        assert!(e.contains("certificate not valid for name \"localhost\""), "{e}");
        // No check: prefer (the default) and require without a root certificate encrypt; disable does not.
        assert!(encrypted(&Location::Postgres(url.clone())));
        assert!(encrypted(&Location::Postgres(format!("{url}?sslmode=require"))));
        assert!(!encrypted(&Location::Postgres(format!("{url}?sslmode=disable"))));
        // require with a root certificate checks the chain, as libpq does.
        assert!(open_error(&format!("{url}?sslmode=require&sslrootcert={}", other.display())).contains("UnknownIssuer"));
        let e = open_error(&format!("{url}?sslmode=verify-full&sslrootcert={}", certs.path().join("absent.pem").display()));
        assert!(e.contains(": sslrootcert ") && e.ends_with("give a PEM file of the CA that signed the server's certificate"), "{e}");
    }

    #[test]
    fn require_against_a_server_without_tls_fails_clearly() {
        let Some(server) = PgServer::start() else { return };
        server.database("fleet");
        let url = server.url("fleet");
        let e = open_error(&format!("{url}?sslmode=require"));
        assert_eq!(
            e,
            format!("fleet store {url}?sslmode=require: cannot connect: error performing TLS handshake: server does not support TLS; check sslmode and sslrootcert in --store (the server must offer TLS, its certificate signed by a CA in sslrootcert or the public roots)")
        );
        // prefer falls back to a plain connection.
        assert!(!encrypted(&Location::Postgres(url)));
    }
}
