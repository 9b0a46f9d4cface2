//! When a fix became known: set by the import that first holds it, never
//! moved by later ones; a Debian changelog record's own date.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::path::{Path, PathBuf};

use temper_advisory::db::{AdvisoryDb, FixKnown, FixSource};

/// A directory holding one PyPI record for `name`, fixed in `fixed` when given.
fn record(dir: &Path, tag: &str, id: &str, name: &str, fixed: Option<&str>) -> PathBuf {
    let dir = dir.join(tag);
    std::fs::create_dir_all(&dir).unwrap();
    let fixed = fixed.map(|f| format!(r#",{{"fixed":"{f}"}}"#)).unwrap_or_default();
    let json = format!(
        r#"{{"id":"{id}","published":"2020-01-01T00:00:00Z","modified":"2020-01-02T00:00:00Z","affected":[{{"package":{{"ecosystem":"PyPI","name":"{name}"}},"ranges":[{{"type":"ECOSYSTEM","events":[{{"introduced":"0"}}{fixed}]}}]}}]}}"#
    );
    std::fs::write(dir.join(format!("{id}.json")), json).unwrap();
    dir
}

const DAY: i64 = 86_400;
const T0: i64 = 1_767_225_600; // 2026-01-01

#[test]
fn an_update_that_adds_a_fix_dates_it_and_later_updates_do_not_move_it() {
    let tmp = tempfile::tempdir().unwrap();
    let mut db = AdvisoryDb::open(&tmp.path().join("a.db")).unwrap();
    db.import_at(&[record(tmp.path(), "1", "PYSEC-1", "Foo_Bar", None)], T0).unwrap();
    db.import_at(&[record(tmp.path(), "1b", "PYSEC-2", "baz", Some("2.0"))], T0).unwrap();
    assert_eq!(db.fix_known_since("PYSEC-1", "PyPI", "foo-bar").unwrap(), None, "no fix yet");
    assert_eq!(db.fix_known_since("PYSEC-2", "PyPI", "baz").unwrap(), Some(FixKnown { since: T0, source: FixSource::FirstImport }), "fixed on first sight: the import's date, not the record's");

    db.import_at(&[record(tmp.path(), "2", "PYSEC-1", "foo-bar", Some("1.2"))], T0 + 10 * DAY).unwrap();
    let dated = Some(FixKnown { since: T0 + 10 * DAY, source: FixSource::Update });
    assert_eq!(db.fix_known_since("PYSEC-1", "PyPI", "Foo.Bar").unwrap(), dated, "names are compared as the index compares them");
    db.import_at(&[record(tmp.path(), "3", "PYSEC-1", "foo-bar", Some("1.3")), record(tmp.path(), "3b", "PYSEC-2", "baz", Some("2.1"))], T0 + 40 * DAY).unwrap();
    assert_eq!(db.fix_known_since("PYSEC-1", "PyPI", "foo-bar").unwrap(), dated, "a later update keeps the first date");
    assert_eq!(db.fix_known_since("PYSEC-2", "PyPI", "baz").unwrap().map(|f| f.since), Some(T0));
    assert_eq!(db.fix_known_since("PYSEC-1", "npm", "foo-bar").unwrap(), None, "another ecosystem");

    // The date survives reopening.
    drop(db);
    let db = AdvisoryDb::open(&tmp.path().join("a.db")).unwrap();
    assert_eq!(db.fix_known_since("PYSEC-1", "PyPI", "foo-bar").unwrap(), dated);
}

#[test]
fn debian_changelog_records_give_their_own_date() {
    let shared = std::env::var_os("TEMPER_SHARED").map(PathBuf::from).unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared"));
    let file = shared.join("advisories/osv/Debian/TEMPER-DEB-CVE-2022-2309-libxml2.json");
    let tmp = tempfile::tempdir().unwrap();
    let mut db = AdvisoryDb::open(&tmp.path().join("a.db")).unwrap();
    db.import_at(&[file], T0).unwrap();
    // The changelog entry of libxml2 2.9.14+dfsg-1.3 is dated 2023-07-08T19:18:29Z.
    assert_eq!(db.fix_known_since("TEMPER-DEB-CVE-2022-2309-libxml2", "Debian:12", "libxml2").unwrap(), Some(FixKnown { since: 1_688_843_909, source: FixSource::Changelog }));
}
