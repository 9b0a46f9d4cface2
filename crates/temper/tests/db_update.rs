//! `temper db update` against a local HTTP server serving fixture zips:
//! conditional requests, replacement of a feed's records, and failures
//! that keep the previous data.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};

use serde_json::Value;

/// What the server answers for one path: body, ETag, and whether to lie
/// about the length (a body cut short).
#[derive(Clone)]
struct Resource {
    body: Vec<u8>,
    etag: String,
    truncate: bool,
    status: u16,
}

#[derive(Default)]
struct State {
    resources: BTreeMap<String, Resource>,
    /// (path, If-None-Match sent, status answered).
    log: Vec<(String, Option<String>, u16)>,
}

fn serve(state: Arc<Mutex<State>>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            if reader.read_line(&mut line).is_err() {
                continue;
            }
            let path = line.split_whitespace().nth(1).unwrap_or("").to_owned();
            let mut inm = None;
            loop {
                let mut h = String::new();
                if reader.read_line(&mut h).is_err() || h.trim().is_empty() {
                    break;
                }
                if let Some((k, v)) = h.split_once(':')
                    && k.eq_ignore_ascii_case("if-none-match")
                {
                    inm = Some(v.trim().to_owned());
                }
            }
            let mut st = state.lock().unwrap();
            let res = st.resources.get(&path).cloned();
            let (status, head, body) = match res {
                None => (404, String::new(), Vec::new()),
                Some(r) if r.status != 200 => (r.status, String::new(), b"boom".to_vec()),
                Some(r) if inm.as_deref() == Some(r.etag.as_str()) => (304, format!("ETag: {}\r\n", r.etag), Vec::new()),
                Some(r) => {
                    let len = r.body.len();
                    let body = if r.truncate { r.body[..len / 2].to_vec() } else { r.body.clone() };
                    (200, format!("ETag: {}\r\nContent-Type: application/zip\r\nLast-Modified: Mon, 02 Nov 2026 10:00:00 GMT\r\nContent-Length: {len}\r\n", r.etag), body)
                }
            };
            st.log.push((path, inm, status));
            drop(st);
            let length = if head.contains("Content-Length") { String::new() } else { format!("Content-Length: {}\r\n", body.len()) };
            let _ = write!(stream, "HTTP/1.1 {status} X\r\n{head}{length}Connection: close\r\n\r\n");
            let _ = stream.write_all(&body);
            let _ = stream.flush();
        }
    });
    format!("http://{addr}")
}

fn zip_of(records: &[(&str, &str, &str)]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (id, name, fixed) in records {
        zip.start_file(format!("{id}.json"), opts).unwrap();
        let rec = serde_json::json!({"id": id, "modified": "2026-01-01T00:00:00Z", "affected": [{"package": {"ecosystem": "PyPI", "name": name},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": fixed}]}]}]});
        zip.write_all(rec.to_string().as_bytes()).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

fn temper(args: &[&str], config: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_temper")).args(args).env("TEMPER_CONFIG", config).env_remove("TEMPER_DB").output().unwrap()
}

fn status(db: &Path, config: &Path) -> Value {
    let out = temper(&["db", "status", "--db", db.to_str().unwrap(), "--format", "json"], config);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn conditional_updates_replace_a_feed_and_failures_keep_it() {
    let state = Arc::new(Mutex::new(State::default()));
    let base = serve(state.clone());
    let v1 = zip_of(&[("PYSEC-1", "django", "2.2.8"), ("PYSEC-2", "requests", "2.20.0")]);
    state.lock().unwrap().resources.insert("/PyPI/all.zip".into(), Resource { body: v1, etag: "\"v1\"".into(), truncate: false, status: 200 });
    let tmp = tempfile::tempdir().unwrap();
    let config = tmp.path().join("config.toml");
    std::fs::write(&config, format!("[db]\nmax_age_days = 3\n\n[[db.feeds]]\nname = \"PyPI\"\nurl = \"{base}/PyPI/all.zip\"\n")).unwrap();
    let db = tmp.path().join("advisories.db");
    let update = || temper(&["db", "update", "--db", db.to_str().unwrap()], &config);

    // First: a plain GET, the zip imported.
    let out = update();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("PyPI         2 records"), "{}", String::from_utf8_lossy(&out.stdout));
    assert_eq!(status(&db, &config)["records"]["PyPI"], 2);

    // Second: If-None-Match with the stored ETag, a 304, nothing imported.
    let out = update();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("not modified"));
    {
        let st = state.lock().unwrap();
        assert_eq!(st.log[0], ("/PyPI/all.zip".to_owned(), None, 200));
        assert_eq!(st.log[1], ("/PyPI/all.zip".to_owned(), Some("\"v1\"".to_owned()), 304));
    }

    // The feed changes: PYSEC-2 is gone upstream, so it is gone here too.
    let v2 = zip_of(&[("PYSEC-1", "django", "2.2.9"), ("PYSEC-3", "urllib3", "1.26.5")]);
    state.lock().unwrap().resources.insert("/PyPI/all.zip".into(), Resource { body: v2.clone(), etag: "\"v2\"".into(), truncate: false, status: 200 });
    assert!(update().status.success());
    let pairs = |db: &Path| {
        let conn = rusqlite::Connection::open(db).unwrap();
        let mut stmt = conn.prepare("SELECT id FROM records ORDER BY id").unwrap();
        stmt.query_map([], |r| r.get::<_, String>(0)).unwrap().map(Result::unwrap).collect::<Vec<_>>()
    };
    assert_eq!(pairs(&db), ["PYSEC-1", "PYSEC-3"]);

    // A body cut short, then a server error: both fail naming the URL, and the data stays as it was.
    state.lock().unwrap().resources.insert("/PyPI/all.zip".into(), Resource { body: zip_of(&[("PYSEC-9", "x", "1")]), etag: "\"v3\"".into(), truncate: true, status: 200 });
    let out = update();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/PyPI/all.zip"), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(pairs(&db), ["PYSEC-1", "PYSEC-3"]);
    state.lock().unwrap().resources.get_mut("/PyPI/all.zip").unwrap().status = 500;
    let out = update();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("HTTP 500"));
    assert_eq!(pairs(&db), ["PYSEC-1", "PYSEC-3"]);
    // No temporary download is left behind.
    let leftovers: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).filter(|n| n.starts_with(".temper-feed-")).collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    // Unknown feed names and bad config are errors that say so.
    let out = temper(&["db", "update", "--db", db.to_str().unwrap(), "--feed", "Nope"], &config);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("configured: PyPI"));
    let bad = tmp.path().join("bad.toml");
    std::fs::write(&bad, "[db]\nfeeds = 3\n").unwrap();
    let out = temper(&["db", "update", "--db", db.to_str().unwrap()], &bad);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("bad.toml"));
}

#[test]
fn scan_warns_when_the_database_is_stale() {
    let tmp = tempfile::tempdir().unwrap();
    let config = tmp.path().join("config.toml");
    std::fs::write(&config, "[db]\nmax_age_days = 1\n").unwrap();
    let db = tmp.path().join("advisories.db");
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let out = temper(&["db", "import", "--db", db.to_str().unwrap(), root.join("examples/advisories").to_str().unwrap()], &config);
    assert!(out.status.success());
    let demo = root.join("examples/demo-app");
    let scan = |extra: &[&str]| {
        let mut args = vec!["scan", "--db", db.to_str().unwrap(), "--no-cache", demo.to_str().unwrap()];
        args.extend_from_slice(extra);
        temper(&args, &config)
    };
    assert!(!String::from_utf8_lossy(&scan(&[]).stderr).contains("days old"));
    // Age the database by two days.
    let conn = rusqlite::Connection::open(&db).unwrap();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    conn.execute("UPDATE meta SET value = ?1 WHERE key = 'updated'", [(now - 2 * 86_400).to_string()]).unwrap();
    drop(conn);
    let out = scan(&[]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("2 days old"), "{}", String::from_utf8_lossy(&out.stderr));
    let out = scan(&["--offline", "--update"]);
    assert_eq!(out.status.code(), Some(2), "--offline refuses --update");
}

fn demo_db(tmp: &Path, config: &Path) -> std::path::PathBuf {
    let db = tmp.join("advisories.db");
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let out = temper(&["db", "import", "--db", db.to_str().unwrap(), root.join("examples/advisories").to_str().unwrap()], config);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    db
}

#[test]
fn scan_update_fails_when_a_feed_fails() {
    let state = Arc::new(Mutex::new(State::default()));
    let base = serve(state.clone());
    state.lock().unwrap().resources.insert("/Debian/all.zip".into(), Resource { body: Vec::new(), etag: "\"x\"".into(), truncate: false, status: 503 });
    let tmp = tempfile::tempdir().unwrap();
    let config = tmp.path().join("config.toml");
    std::fs::write(&config, format!("[[db.feeds]]\nname = \"Debian\"\nurl = \"{base}/Debian/all.zip\"\n")).unwrap();
    let db = demo_db(tmp.path(), &config);
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/demo-app");
    let out = temper(&["scan", "--db", db.to_str().unwrap(), "--no-cache", "--update", demo.to_str().unwrap()], &config);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("HTTP 503") && stderr.contains("scan without --update"), "{stderr}");
    assert!(out.stdout.is_empty(), "no findings table after a failed update");
}

#[test]
fn empty_or_partial_database_refuses_to_scan() {
    let tmp = tempfile::tempdir().unwrap();
    let config = tmp.path().join("config.toml");
    std::fs::write(&config, "").unwrap();
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/demo-app");
    // A database holding only PyPI records cannot clear a Debian image.
    let db = tmp.path().join("pypi-only.db");
    let records = tmp.path().join("pypi");
    std::fs::create_dir(&records).unwrap();
    std::fs::write(records.join("PYSEC-1.json"), r#"{"id":"PYSEC-1","affected":[{"package":{"ecosystem":"PyPI","name":"django"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"2"}]}]}]}"#).unwrap();
    assert!(temper(&["db", "import", "--db", db.to_str().unwrap(), records.to_str().unwrap()], &config).status.success());
    let scan = |extra: &[&str]| {
        let mut args = vec!["scan", "--db", db.to_str().unwrap(), "--no-cache", demo.to_str().unwrap()];
        args.extend_from_slice(extra);
        temper(&args, &config)
    };
    let out = scan(&[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("no records for Debian (4 packages)") && stderr.contains("temper db update") && stderr.contains("--allow-partial-db"), "{stderr}");
    assert!(out.stdout.is_empty());
    let out = scan(&["--allow-partial-db"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("warning") && stderr.contains("no Debian records; 4 packages not checked"), "{stderr}");
    // The same holds for advisories given on the command line.
    let out = temper(&["scan", "--advisories", records.to_str().unwrap(), "--no-cache", demo.to_str().unwrap()], &config);
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn db_import_of_nothing_is_an_error() {
    let tmp = tempfile::tempdir().unwrap();
    let config = tmp.path().join("config.toml");
    std::fs::write(&config, "").unwrap();
    let junk = tmp.path().join("random.txt");
    std::fs::write(&junk, "not a record\n").unwrap();
    let db = tmp.path().join("advisories.db");
    let out = temper(&["db", "import", "--db", db.to_str().unwrap(), junk.to_str().unwrap()], &config);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("random.txt") && stderr.contains("nothing was imported"), "{stderr}");
    // An empty directory is the same mistake.
    let empty = tmp.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    assert_eq!(temper(&["db", "import", "--db", db.to_str().unwrap(), empty.to_str().unwrap()], &config).status.code(), Some(2));
}

#[test]
fn db_check_reports_counts_age_and_integrity() {
    let tmp = tempfile::tempdir().unwrap();
    let config = tmp.path().join("config.toml");
    std::fs::write(&config, "[db]\nmax_age_days = 3\n").unwrap();
    let db = demo_db(tmp.path(), &config);
    let check = || {
        let out = temper(&["db", "check", "--db", db.to_str().unwrap(), "--format", "json"], &config);
        (out.status.code(), serde_json::from_slice::<Value>(&out.stdout).unwrap())
    };
    let (code, doc) = check();
    assert_eq!(code, Some(0), "{doc}");
    assert_eq!((doc["records"]["Debian"].as_u64(), doc["integrity"]["sqlite"].as_str(), doc["ok"].as_bool()), (Some(27), Some("ok"), Some(true)));
    // Stale: exit 1, with the reason.
    let conn = rusqlite::Connection::open(&db).unwrap();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    conn.execute("UPDATE meta SET value = ?1 WHERE key = 'updated'", [(now - 5 * 86_400).to_string()]).unwrap();
    drop(conn);
    let (code, doc) = check();
    assert_eq!(code, Some(1), "{doc}");
    assert!(doc["problems"][0].as_str().unwrap().contains("5 days old"), "{doc}");
    // A damaged record: exit 2, named.
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute("UPDATE records SET json = x'7b6e6f' WHERE id = 'TEMPER-DEB-CVE-2024-28757-expat'", []).unwrap();
    drop(conn);
    let (code, doc) = check();
    assert_eq!(code, Some(2), "{doc}");
    assert_eq!(doc["integrity"]["damaged_records"][0], "TEMPER-DEB-CVE-2024-28757-expat");
}

#[test]
fn cve_feed_records_rate_findings_by_alias() {
    // A cvelistV5-style archive: CVE JSON 5 records under cves/, plus a non-record file.
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    zip.start_file("cvelistV5-main/cves/2024/28xxx/CVE-2024-28757.json", opts).unwrap();
    let record = serde_json::json!({"dataType": "CVE_RECORD", "dataVersion": "5.1",
        "cveMetadata": {"cveId": "CVE-2024-28757", "state": "PUBLISHED", "dateUpdated": "2024-07-05T15:20:37Z"},
        "containers": {"cna": {"providerMetadata": {"shortName": "mitre"}, "metrics": [{"cvssV3_1": {"version": "3.1", "baseScore": 7.5, "vectorString": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H"}}]}}});
    zip.write_all(record.to_string().as_bytes()).unwrap();
    zip.start_file("cvelistV5-main/cves/delta.json", opts).unwrap();
    zip.write_all(b"{\"fetchTime\":\"2026-01-01\",\"numberOfChanges\":0}").unwrap();
    let body = zip.finish().unwrap().into_inner();
    let state = Arc::new(Mutex::new(State::default()));
    let base = serve(state.clone());
    state.lock().unwrap().resources.insert("/cvelistV5/main.zip".into(), Resource { body, etag: "\"c1\"".into(), truncate: false, status: 200 });
    let tmp = tempfile::tempdir().unwrap();
    let config = tmp.path().join("config.toml");
    std::fs::write(&config, format!("[[db.feeds]]\nname = \"CVE\"\nurl = \"{base}/cvelistV5/main.zip\"\n")).unwrap();
    let db = demo_db(tmp.path(), &config);
    let out = temper(&["db", "update", "--db", db.to_str().unwrap()], &config);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(status(&db, &config)["cve"]["with_cvss"], 1);
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/demo-app");
    let out = temper(&["scan", "--db", db.to_str().unwrap(), "--no-cache", "--format", "json", demo.to_str().unwrap()], &config);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let finding = doc["findings"].as_array().unwrap().iter().find(|f| f["id"] == "CVE-2024-28757").unwrap();
    assert_eq!(finding["severity"], "HIGH", "{finding}");
    assert_eq!(finding["severity_source"], serde_json::json!({"record": "CVE-2024-28757", "kind": "cna", "provider": "mitre"}));
    assert_eq!(finding["cvss"]["score"], 7.5);
    assert_eq!(finding["vendor_severity"][0]["severity"], "high", "Debian's urgency stays a word");
    // Every other expat finding has no vector anywhere, so stays unknown.
    assert!(doc["findings"].as_array().unwrap().iter().filter(|f| f["id"] != "CVE-2024-28757").all(|f| f["severity"] == "UNKNOWN"));
}
