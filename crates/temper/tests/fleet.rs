//! `temper fleet` end to end on a SQLite store: add from a file, sync
//! without scanning, two worker processes emptying the queue, status in
//! every format, rematch against newer advisories; a worker killed mid-job
//! (SIGKILL) losing nothing; the layer limits failing a job once. (The
//! stores themselves, PostgreSQL included, are tested in
//! crates/temper-fleet/tests; here PostgreSQL only for the shared layer
//! cache the CLI turns on for it.)
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

#[path = "../../temper-fleet/tests/common/mod.rs"]
mod common;
#[path = "../../temper-layer/tests/support/mod.rs"]
mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use support::{Comp, ImageSpec, OciLayout, file, layer, with_ref};
use temper_fleet::{Fleet, Location};

const LODASH: &str = r#"{"id":"GHSA-cli-0001","aliases":["CVE-2099-0101"],"modified":"2026-01-01T00:00:00Z",
 "affected":[{"package":{"ecosystem":"npm","name":"lodash"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"4.17.21"}]}]}]}"#;

fn temper(dir: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_temper"));
    c.args(args).env("TEMPER_CACHE_DIR", dir.join("cache")).env("TEMPER_FLEET_STORE", dir.join("fleet.db")).env_remove("TEMPER_CONFIG").env("XDG_CONFIG_HOME", dir).env("XDG_DATA_HOME", dir);
    c
}

fn ok(out: Output) -> String {
    assert!(out.status.success(), "{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn add_sync_two_workers_status_and_rematch_through_the_cli() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let layout_dir = dir.join("layout");
    let layout = OciLayout::new(&layout_dir);
    let base = layer(&[file("usr/lib/node_modules/lodash/package.json", r#"{"name":"lodash","version":"4.17.20"}"#)], Comp::Gzip);
    let mut manifests = Vec::new();
    let mut list = String::from("# the apps\n");
    for i in 0..4 {
        let app = layer(&[file(&format!("srv/{i}.txt"), format!("app {i}"))], Comp::Gzip);
        manifests.push(with_ref(layout.add_image(&ImageSpec::new(vec![base.clone(), app])), &format!("app-{i}")));
        list.push_str(&format!("oci:{}:app-{i}\n", layout_dir.display()));
    }
    layout.write_index(manifests);
    std::fs::write(dir.join("refs.txt"), &list).unwrap();
    let osv = dir.join("osv");
    std::fs::create_dir_all(&osv).unwrap();
    std::fs::write(osv.join("a.json"), LODASH).unwrap();
    let osv = osv.to_str().unwrap();

    let added = ok(temper(dir, &["fleet", "add", "--file", dir.join("refs.txt").to_str().unwrap(), "--format", "json"]).output().unwrap());
    assert_eq!(serde_json::from_str::<Value>(&added).unwrap()["added"].as_array().unwrap().len(), 4);
    let refused = temper(dir, &["fleet", "add", "*/apps"]).output().unwrap();
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("a repository glob is HOST/GLOB"), "{}", String::from_utf8_lossy(&refused.stderr));

    let synced: Value = serde_json::from_str(&ok(temper(dir, &["fleet", "sync", "--no-scan", "--advisories", osv, "--format", "json"]).output().unwrap())).unwrap();
    assert_eq!(synced["sync"]["enqueued"], 4);
    assert!(synced.get("work").is_none(), "--no-scan scans nothing");

    let workers: Vec<_> = ["a", "b"].iter().map(|name| temper(dir, &["fleet", "worker", "--exit-when-idle", "--name", name, "--advisories", osv, "--format", "json"]).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap()).collect();
    let scanned: u64 = workers.into_iter().map(|w| serde_json::from_str::<Value>(&ok(w.wait_with_output().unwrap())).unwrap()["scanned"].as_u64().unwrap()).sum();
    assert_eq!(scanned, 4);

    let status: Value = serde_json::from_str(&ok(temper(dir, &["fleet", "status", "--format", "json"]).output().unwrap())).unwrap();
    assert_eq!(status["jobs"], serde_json::json!({"done": 4}));
    assert_eq!(status["open"], serde_json::json!({"UNKNOWN": 4}));
    let csv = ok(temper(dir, &["fleet", "status", "--format", "csv"]).output().unwrap());
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "DIGEST,PLATFORM,FIRST SEEN,SCANNED,CRITICAL,HIGH,MEDIUM,LOW,UNKNOWN,REFERENCE");
    assert_eq!(lines.len(), 5);
    let fields: Vec<&str> = lines[1].split(',').collect();
    assert!(fields[0].starts_with("sha256:") && fields[1] == "linux/amd64", "{}", lines[1]);
    assert_eq!(fields[4..], ["0", "0", "0", "0", "1", &format!("oci:{}:app-0", layout_dir.display())]);
    let table = ok(temper(dir, &["fleet", "status"]).output().unwrap());
    assert!(table.contains("open findings: UNKNOWN 4") && table.contains("jobs: done 4"), "{table}");

    // The fix is now known below the installed version: every finding closes.
    std::fs::write(dir.join("osv/a.json"), LODASH.replace("4.17.21", "4.17.19")).unwrap();
    let rematched: Value = serde_json::from_str(&ok(temper(dir, &["fleet", "rematch", "--advisories", osv, "--format", "json"]).output().unwrap())).unwrap();
    assert_eq!(rematched["images"], 4);
    assert_eq!(rematched["closed"], serde_json::json!({"fixed-upstream": 4}));
}

#[test]
fn report_sla_exit_codes_and_json() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let layout_dir = dir.join("layout");
    let layout = OciLayout::new(&layout_dir);
    let mut manifests = Vec::new();
    for (i, version) in ["4.17.20", "4.17.21"].iter().enumerate() {
        let base = layer(&[file("usr/lib/node_modules/lodash/package.json", format!(r#"{{"name":"lodash","version":"{version}"}}"#))], Comp::Gzip);
        manifests.push(with_ref(layout.add_image(&ImageSpec::new(vec![base])), &format!("app-{i}")));
    }
    layout.write_index(manifests);
    let osv = dir.join("osv");
    std::fs::create_dir_all(&osv).unwrap();
    let critical = LODASH.replace(r#""affected""#, r#""severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],"affected""#);
    std::fs::write(osv.join("a.json"), critical).unwrap();
    let db = dir.join("advisories.db");
    let db = db.to_str().unwrap();
    let before = time::OffsetDateTime::now_utc().unix_timestamp();
    ok(temper(dir, &["db", "import", "--db", db, osv.to_str().unwrap()]).output().unwrap());
    let after = time::OffsetDateTime::now_utc().unix_timestamp();
    let app = |i: usize| format!("oci:{}:app-{i}", layout_dir.display());
    ok(temper(dir, &["fleet", "add", &app(0), &app(1)]).output().unwrap());
    ok(temper(dir, &["fleet", "sync", "--db", db]).output().unwrap());

    // The fix became known at the import: within the critical SLA 3 days on.
    let day = |offset: i64| time::OffsetDateTime::from_unix_timestamp(before + offset * 86_400).unwrap().date().to_string();
    let within = temper(dir, &["fleet", "report", "--now", &day(3), "--format", "json"]).output().unwrap();
    assert_eq!(within.status.code(), Some(0), "{}", String::from_utf8_lossy(&within.stderr));
    let json: Value = serde_json::from_slice(&within.stdout).unwrap();
    assert_eq!(json["breaches"], serde_json::json!([]));
    assert_eq!(json["sla"], serde_json::json!({"CRITICAL": 7, "HIGH": 30, "MEDIUM": 90}));

    // 30 days on, app-0 is past it; app-1 has the fixed version.
    let late = temper(dir, &["fleet", "report", "--sla", "critical=7d,high=30d", "--now", &day(30), "--format", "json"]).output().unwrap();
    assert_eq!(late.status.code(), Some(1), "{}", String::from_utf8_lossy(&late.stderr));
    let json: Value = serde_json::from_slice(&late.stdout).unwrap();
    let breaches = json["breaches"].as_array().unwrap();
    assert_eq!(breaches.len(), 1, "{json}");
    let b = &breaches[0];
    assert_eq!((b["reference"].as_str(), b["package"].as_str(), b["installed"].as_str(), b["advisory"].as_str()), (Some(app(0).as_str()), Some("lodash"), Some("4.17.20"), Some("CVE-2099-0101")));
    assert_eq!((b["fixed"].as_str(), b["severity"].as_str(), b["fix_known_source"].as_str(), b["limit_days"].as_i64()), (Some("4.17.21"), Some("CRITICAL"), Some("first-import"), Some(7)));
    let since = b["fix_known_since"].as_i64().unwrap();
    assert!((before..=after).contains(&since), "the import's time: {since} not in {before}..={after}");
    let now = time::OffsetDateTime::parse(&format!("{}T00:00:00Z", day(30)), &time::format_description::well_known::Rfc3339).unwrap().unix_timestamp();
    assert_eq!(b["days_over"].as_i64(), Some((now - since - 7 * 86_400 + 86_399) / 86_400));
    let table = temper(dir, &["fleet", "report", "--now", &day(30)]).output().unwrap();
    assert_eq!(table.status.code(), Some(1));
    let text = String::from_utf8(table.stdout).unwrap();
    assert!(text.contains("1 findings past their SLA") && text.contains("CVE-2099-0101") && text.contains("first-import"), "{text}");

    for bad in [["--sla", "severe=7d"], ["--now", "next week"]] {
        let out = temper(dir, &["fleet", "report", bad[0], bad[1]]).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{bad:?}");
        assert!(String::from_utf8_lossy(&out.stderr).contains(bad[1]), "the message names the input: {}", String::from_utf8_lossy(&out.stderr));
    }
}

/// `apps` images in one layout, each a lodash 4.17.20 base under a layer
/// of its own holding `files` files; their references, tracked and queued
/// (`fleet add`, `fleet sync --no-scan`), and the OSV directory.
fn queued_fleet(dir: &Path, apps: usize, files: usize) -> (Vec<String>, PathBuf) {
    let (references, osv) = fleet_layout(dir, apps, files);
    let add: Vec<&str> = ["fleet", "add"].into_iter().chain(references.iter().map(String::as_str)).collect();
    ok(temper(dir, &add).output().unwrap());
    ok(temper(dir, &["fleet", "sync", "--no-scan", "--advisories", osv.to_str().unwrap()]).output().unwrap());
    (references, osv)
}

/// The images and OSV directory of [`queued_fleet`], not yet tracked.
fn fleet_layout(dir: &Path, apps: usize, files: usize) -> (Vec<String>, PathBuf) {
    let layout_dir = dir.join("layout");
    let layout = OciLayout::new(&layout_dir);
    let base = layer(&[file("usr/lib/node_modules/lodash/package.json", r#"{"name":"lodash","version":"4.17.20"}"#)], Comp::Gzip);
    let mut manifests = Vec::new();
    let mut references = Vec::new();
    for i in 0..apps {
        let own: Vec<_> = (0..files).map(|n| file(&format!("srv/app-{i}/{n}.txt"), format!("app {i} file {n}"))).collect();
        manifests.push(with_ref(layout.add_image(&ImageSpec::new(vec![base.clone(), layer(&own, Comp::Gzip)])), &format!("app-{i}")));
        references.push(format!("oci:{}:app-{i}", layout_dir.display()));
    }
    layout.write_index(manifests);
    let osv = dir.join("osv");
    std::fs::create_dir_all(&osv).unwrap();
    std::fs::write(osv.join("a.json"), LODASH).unwrap();
    (references, osv)
}

/// A worker killed with SIGKILL while it holds a job: its lease runs out, a
/// second worker scans what it left, and every image ends scanned and
/// stored exactly once, whenever the kill lands (mid-scan, between jobs,
/// or after the last).
#[test]
fn a_worker_killed_mid_job_loses_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let apps = 3;
    // 20 000 files in each app's layer: a scan takes long enough for the kill to land inside one.
    let (references, osv) = queued_fleet(dir, apps, 20_000);
    let osv = osv.to_str().unwrap();
    let mut fleet = Fleet::open(&Location::Sqlite(dir.join("fleet.db"))).unwrap();

    let mut killed = temper(dir, &["fleet", "worker", "--lease", "2", "--poll", "1", "--name", "killed", "--advisories", osv]).stdout(Stdio::null()).stderr(std::fs::File::create(dir.join("killed.log")).unwrap()).spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(300);
    while fleet.jobs().unwrap().iter().all(|j| j.state == "queued") {
        if let Some(status) = killed.try_wait().unwrap() {
            panic!("the worker ended by itself ({status}): {}", std::fs::read_to_string(dir.join("killed.log")).unwrap());
        }
        assert!(Instant::now() < deadline, "the worker claimed no job");
        std::thread::sleep(Duration::from_millis(10));
    }
    killed.kill().unwrap(); // SIGKILL: no chance to release its job
    killed.wait().unwrap();

    let at_kill = fleet.jobs().unwrap();
    let held: Vec<&str> = at_kill.iter().filter(|j| j.state == "running").map(|j| j.digest.as_str()).collect();
    let finished = at_kill.iter().filter(|j| j.state == "done").count();
    assert!(at_kill.iter().filter(|j| j.state != "queued").all(|j| j.lease_owner.as_deref() == Some("killed") && j.attempts == 1), "{at_kill:?}");
    if held.is_empty() {
        eprintln!("note: the kill landed between jobs ({finished} done)");
    }
    // Past its lease (2 s, renewed until the kill), the job is anyone's again.
    std::thread::sleep(Duration::from_secs(4));
    let second: Value = serde_json::from_str(&ok(temper(dir, &["fleet", "worker", "--exit-when-idle", "--name", "second", "--advisories", osv, "--format", "json"]).output().unwrap())).unwrap();
    assert_eq!(second["scanned"].as_u64().unwrap() as usize + finished, apps, "nothing scanned twice: {second}");
    assert_eq!((second["lost"].as_u64(), second["failed"].as_array().map(Vec::len)), (Some(0), Some(0)), "{second}");

    let jobs = fleet.jobs().unwrap();
    assert_eq!(jobs.len(), apps);
    for job in &jobs {
        assert_eq!(job.state, "done", "nothing lost: {jobs:?}");
        let before = at_kill.iter().find(|j| j.digest == job.digest).unwrap();
        let expected = match before.state.as_str() {
            "done" => (Some("killed"), 1),
            "running" => (Some("second"), 2),
            _ => (Some("second"), 1),
        };
        assert_eq!((job.lease_owner.as_deref(), job.attempts), expected, "{job:?} was {before:?}");
    }
    // Each image stored once: its one finding, open; none closed or repeated.
    let findings: Vec<(String, String, String)> = fleet.findings().unwrap().into_iter().map(|f| (f.reference, f.advisory, f.status)).collect();
    let expected: Vec<(String, String, String)> = references.iter().map(|r| (r.clone(), "CVE-2099-0101".to_owned(), "open".to_owned())).collect();
    assert_eq!(findings, expected);
    assert!(fleet.status().unwrap().images.iter().all(|i| i.scanned_at.is_some()));
}

/// `--max-layer-size` reaches the layer pass of `fleet worker` and `fleet
/// sync`: the image past it fails its job, named with the limit, once; the
/// next sync queues it again, and with the default limits it is scanned.
#[test]
fn a_layer_past_max_layer_size_fails_its_job_once() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let (references, osv) = queued_fleet(dir, 1, 200);
    let osv = osv.to_str().unwrap();
    let mut fleet = Fleet::open(&Location::Sqlite(dir.join("fleet.db"))).unwrap();

    let out = temper(dir, &["fleet", "worker", "--exit-when-idle", "--max-layer-size", "1KiB", "--advisories", osv, "--format", "json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(&references[0]) && stderr.contains("limit of 1024 bytes per layer (--max-layer-size)"), "{stderr}");
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["scanned"], 0);
    assert_eq!(report["failed"][0][0], references[0].as_str());
    let jobs = fleet.jobs().unwrap();
    assert_eq!((jobs[0].state.as_str(), jobs[0].attempts), ("failed", 1));
    assert!(jobs[0].error.as_deref().is_some_and(|e| e.contains("--max-layer-size")), "{jobs:?}");

    // Not retried by workers: a failed job waits for the next sync.
    let again: Value = serde_json::from_str(&ok(temper(dir, &["fleet", "worker", "--exit-when-idle", "--advisories", osv, "--format", "json"]).output().unwrap())).unwrap();
    assert_eq!((again["scanned"].as_u64(), again["failed"].as_array().map(Vec::len)), (Some(0), Some(0)), "{again}");
    assert_eq!(fleet.jobs().unwrap()[0].attempts, 1);

    // `fleet sync` takes the limits too: queued again, failed again; then scanned with the defaults.
    let out = temper(dir, &["fleet", "sync", "--max-layer-size", "1KiB", "--advisories", osv, "--format", "json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("(--max-layer-size)"));
    assert_eq!((fleet.jobs().unwrap()[0].state.as_str(), fleet.jobs().unwrap()[0].attempts), ("failed", 2));
    let synced: Value = serde_json::from_str(&ok(temper(dir, &["fleet", "sync", "--advisories", osv, "--format", "json"]).output().unwrap())).unwrap();
    assert_eq!(synced["work"]["scanned"], 1, "{synced}");
    assert_eq!(fleet.jobs().unwrap()[0].state, "done");
    let bad = temper(dir, &["fleet", "worker", "--exit-when-idle", "--max-layer-size", "huge", "--advisories", osv]).output().unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--max-layer-size"), "{}", String::from_utf8_lossy(&bad.stderr));
}

/// On a PostgreSQL store, `fleet worker` keeps a second tier of the layer
/// cache in the store: a worker with an empty local cache takes a layer
/// another worker read from it. Seen by doctoring the stored base layer
/// (lodash 4.17.20 → 4.17.21, fixed): an image scanned through the store's
/// copy has no finding, one scanned with `--no-shared-cache` has it.
#[test]
fn workers_on_postgres_share_the_layer_cache_unless_told_not_to() {
    let Some(server) = common::PgServer::start() else { return };
    let store = server.database("fleet");
    let Location::Postgres(url) = &store else { unreachable!() };
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let (references, osv) = fleet_layout(dir, 4, 1);
    let osv = osv.to_str().unwrap();
    let mut db = store.connect().unwrap();
    let count = |db: &mut Box<dyn temper_fleet::store::Backend>| db.query("SELECT count(*) FROM layer_cache", &[]).unwrap()[0].int(0).unwrap();
    // Scans app `i` alone as a worker with the local cache `cache`; its findings' advisories.
    let scan = |i: usize, cache: &str, flags: &[&str]| -> Vec<String> {
        let run = |args: &[&str]| ok(temper(dir, args).env("TEMPER_FLEET_STORE", url).env("TEMPER_CACHE_DIR", dir.join(cache)).output().unwrap());
        run(&["fleet", "add", &references[i]]);
        run(&["fleet", "sync", "--no-scan"]);
        let worked: Value = serde_json::from_str(&run(&[&["fleet", "worker", "--exit-when-idle", "--advisories", osv, "--format", "json"], flags].concat())).unwrap();
        assert_eq!(worked["scanned"], 1, "{worked}");
        let mut fleet = Fleet::open(&store).unwrap();
        fleet.findings().unwrap().into_iter().filter(|f| f.reference == references[i] && f.status == "open").map(|f| f.advisory).collect()
    };
    assert_eq!(scan(0, "x", &["--no-shared-cache"]), ["CVE-2099-0101"]);
    assert_eq!(count(&mut db), 0, "--no-shared-cache writes nothing to the store");
    assert_eq!(scan(1, "y", &[]), ["CVE-2099-0101"]);
    assert_eq!(count(&mut db), 2, "the base and app-1's layer, written through");

    let rows = db.query("SELECT key, value FROM layer_cache", &[]).unwrap();
    let mut doctored = 0;
    for row in rows {
        let json = zstd::decode_all(&row.opt_bytes(1).unwrap().unwrap()[..]).unwrap();
        let text = String::from_utf8(json).unwrap();
        if text.contains("4.17.20") {
            let value = zstd::encode_all(text.replace("4.17.20", "4.17.21").as_bytes(), 3).unwrap();
            db.execute("UPDATE layer_cache SET value = $1 WHERE key = $2", &[value.as_slice().into(), row.text(0).unwrap().into()]).unwrap();
            doctored += 1;
        }
    }
    assert_eq!(doctored, 1, "the base layer's entry");
    assert_eq!(scan(2, "z", &[]), Vec::<String>::new(), "an empty local cache: the base came from the store");
    assert_eq!(scan(3, "w", &["--no-shared-cache"]), ["CVE-2099-0101"], "an empty local cache, the store's tier off: the base was read");
}
