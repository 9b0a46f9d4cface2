//! The advisory database on the real OSV corpus in `../shared/advisories`
//! and on hostile inputs built here.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::io::Write;
use std::path::PathBuf;

use temper_advisory::db::{AdvisoryDb, DbError};

fn shared() -> PathBuf {
    let dir = std::env::var_os("TEMPER_SHARED").map(PathBuf::from).unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared"));
    assert!(dir.join("advisories/osv").is_dir(), "shared advisories not found at {}", dir.display());
    dir
}

fn record(id: &str, ecosystem: &str, name: &str, fixed: &str) -> String {
    format!(
        r#"{{"id":"{id}","modified":"2024-01-01T00:00:00Z","aliases":["CVE-{id}"],"affected":[{{"package":{{"ecosystem":"{ecosystem}","name":"{name}"}},"ranges":[{{"type":"ECOSYSTEM","events":[{{"introduced":"0"}},{{"fixed":"{fixed}"}}]}}]}}]}}"#
    )
}

#[test]
fn imports_the_real_corpus() {
    let tmp = tempfile::tempdir().unwrap();
    let mut db = AdvisoryDb::open(&tmp.path().join("a.db")).unwrap();
    let osv = shared().join("advisories/osv");
    let stats = db.import(&[osv.clone(), shared().join("advisories/kev/known_exploited_vulnerabilities.json")]).unwrap();
    assert!(stats.skipped.is_empty(), "{:?}", &stats.skipped[..stats.skipped.len().min(5)]);
    // One record per file, filed under the directory's ecosystem.
    for dir in std::fs::read_dir(&osv).unwrap() {
        let dir = dir.unwrap().path();
        let files = std::fs::read_dir(&dir).unwrap().count();
        let family = dir.file_name().unwrap().to_str().unwrap().to_owned();
        assert_eq!(stats.records.get(&family).copied().unwrap_or(0), files, "{family}");
    }
    assert_eq!(stats.records.get("RubyGems"), Some(&7), "npm records that also name gems");
    assert_eq!(stats.kev, 1404);
    let status = db.status().unwrap();
    let withdrawn = std::fs::read_dir(osv.join("PyPI"))
        .unwrap()
        .filter(|f| serde_json::from_slice::<serde_json::Value>(&std::fs::read(f.as_ref().unwrap().path()).unwrap()).unwrap().get("withdrawn").is_some())
        .count();
    assert!(withdrawn > 0);
    assert_eq!(status.records.get("PyPI"), Some(&(2661 - withdrawn)), "withdrawn records are not counted");
    assert!(status.updated.is_some());
    // PEP 503: the index finds Django under any spelling.
    let django: Vec<String> = db.candidates("PyPI", "django").unwrap().into_iter().map(|r| r.id).collect();
    assert!(django.contains(&"PYSEC-2019-15".to_owned()), "{django:?}");
    assert_eq!(db.candidates("PyPI", "DJANGO").unwrap().len(), django.len());
    // Debian records are indexed by source package.
    assert!(db.candidates("Debian", "libxml2").unwrap().iter().any(|r| r.id == "TEMPER-DEB-CVE-2022-2309-libxml2"));
    assert_eq!(db.kev("CVE-2021-44228").unwrap().map(|d| d.is_some()), Some(true));
    assert_eq!(db.kev("CVE-0000-0000").unwrap(), None);
    // Importing again replaces, never duplicates.
    let again = db.import(&[osv.join("PyPI")]).unwrap();
    assert_eq!(again.records.get("PyPI"), Some(&2661));
    assert_eq!(db.candidates("PyPI", "django").unwrap().len(), django.len());
}

#[test]
fn zip_exports_and_hostile_files() {
    let tmp = tempfile::tempdir().unwrap();
    let zip_path = tmp.path().join("all.zip");
    {
        let mut zip = zip::ZipWriter::new(std::fs::File::create(&zip_path).unwrap());
        let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        zip.start_file("GHSA-aaaa.json", opts).unwrap();
        zip.write_all(record("GHSA-aaaa", "npm", "lodash", "4.17.21").as_bytes()).unwrap();
        zip.start_file("GHSA-bbbb.json", opts).unwrap();
        zip.write_all(br#"{"id":"GHSA-bbbb","withdrawn":"2024-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"npm","name":"lodash"}}]}"#).unwrap();
        zip.start_file("README.txt", opts).unwrap();
        zip.write_all(b"not a record").unwrap();
        zip.start_file("broken.json", opts).unwrap();
        zip.write_all(b"{\"id\":").unwrap();
        zip.finish().unwrap();
    }
    let dir = tmp.path().join("records");
    std::fs::create_dir_all(dir.join("nested")).unwrap();
    std::fs::write(dir.join("nested/PYSEC-1.json"), record("PYSEC-1", "PyPI", "Foo_Bar", "1.0")).unwrap();
    std::fs::write(dir.join("no-id.json"), br#"{"affected":[]}"#).unwrap();
    std::fs::write(dir.join("huge.json"), vec![b' '; (16 << 20) + 10]).unwrap();
    std::fs::write(tmp.path().join("not-a-zip.zip"), b"PK but no").unwrap();
    let mut db = AdvisoryDb::open(&tmp.path().join("a.db")).unwrap();
    let stats = db.import(&[zip_path, dir.clone(), tmp.path().join("not-a-zip.zip")]).unwrap();
    assert_eq!(stats.records.get("npm"), Some(&2));
    assert_eq!(db.status().unwrap().records.get("npm"), Some(&1), "the withdrawn one is not counted");
    assert_eq!(stats.records.get("PyPI"), Some(&1));
    let mut skipped: Vec<&str> = stats.skipped.iter().map(|(n, _)| n.rsplit(['/', '!']).next().unwrap()).collect();
    skipped.sort();
    assert_eq!(skipped, ["broken.json", "huge.json", "no-id.json", "not-a-zip.zip"], "{:?}", stats.skipped);
    assert!(stats.skipped.iter().all(|(_, why)| !why.is_empty()));
    // Withdrawn records match nothing.
    assert_eq!(db.candidates("npm", "lodash").unwrap().into_iter().map(|r| r.id).collect::<Vec<_>>(), ["GHSA-aaaa"]);
    assert_eq!(db.candidates("PyPI", "foo.bar").unwrap().len(), 1);
    // A path that does not exist fails the import before anything is written.
    let before = db.status().unwrap();
    assert!(matches!(db.import(&[tmp.path().join("missing")]), Err(DbError::Input { .. })));
    assert_eq!(db.status().unwrap().records, before.records);
}

#[test]
fn refuses_another_schema_version() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("a.db");
    drop(AdvisoryDb::open(&path).unwrap());
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.pragma_update(None, "user_version", 99).unwrap();
    drop(conn);
    let err = AdvisoryDb::open(&path).err().expect("refused");
    assert!(err.to_string().contains("schema 99"), "{err}");
    std::fs::write(tmp.path().join("junk.db"), b"this is not sqlite at all, just text padding to a page").unwrap();
    assert!(AdvisoryDb::open(&tmp.path().join("junk.db")).is_err());
}

#[test]
fn migrates_a_version_1_database_and_rates_by_alias() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("a.db");
    let dir = tmp.path().join("records");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("GO-1.json"), r#"{"id":"GO-1","aliases":["GHSA-aaaa"],"affected":[{"package":{"ecosystem":"Go","name":"m"}}]}"#).unwrap();
    std::fs::write(
        dir.join("GHSA-aaaa.json"),
        r#"{"id":"GHSA-aaaa","aliases":["CVE-2024-1"],"severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H"}],"affected":[{"package":{"ecosystem":"Go","name":"m"}}]}"#,
    )
    .unwrap();
    std::fs::write(dir.join("CGA-1.json"), r#"{"id":"CGA-1","aliases":["GHSA-aaaa","CVE-2024-1"],"affected":[{"package":{"ecosystem":"Wolfi","name":"m"}}]}"#).unwrap();
    AdvisoryDb::open(&path).unwrap().import(&[dir]).unwrap();
    // What a version 1 database looked like: no CVE tables, no index of rated records.
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch("DROP TABLE cve_records; DROP TABLE cve_metrics; DROP TABLE rated; DROP TABLE fix_known; PRAGMA user_version = 1;").unwrap();
    drop(conn);
    let db = AdvisoryDb::open(&path).unwrap();
    let related = db.related(["GO-1", "GHSA-aaaa"]).unwrap();
    assert!(related.ids.contains("CVE-2024-1"), "ids are followed through aliases: {:?}", related.ids);
    let ids: Vec<&str> = related.records.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ["GHSA-aaaa"], "only records that carry a severity are read");
    let conn = rusqlite::Connection::open(&path).unwrap();
    assert_eq!(conn.query_row("PRAGMA user_version", [], |r| r.get::<_, i64>(0)).unwrap(), temper_advisory::db::SCHEMA_VERSION);
}
