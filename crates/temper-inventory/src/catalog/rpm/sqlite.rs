//! `rpmdb.sqlite`: rpm's SQLite backend keeps each package's header blob
//! in `Packages(hnum INTEGER PRIMARY KEY, blob BLOB)`; the other tables
//! are indexes rebuilt from the blobs.
//!
//! The file is a stranger's, so it is opened as an in-memory, read-only
//! copy (never written to disk), with the schema distrusted (no functions
//! from views or triggers), `Packages` required to be a real table, and a
//! cap on the virtual-machine steps the query may take. rpm leaves its
//! database in WAL mode; a deserialised database cannot have a WAL, so the
//! copy's header is switched to rollback-journal mode first (what a
//! checkpoint that `rpm` runs on close would leave).

use rusqlite::{Connection, MAIN_DB, config::DbConfig};

const MAGIC: &[u8; 16] = b"SQLite format 3\0";
/// Header bytes 18 and 19: file format write/read versions; 2 means WAL.
const FORMAT_VERSIONS: std::ops::Range<usize> = 18..20;
/// Progress-handler calls (each about 1000 VM steps) before the read is
/// cut off: far beyond what reading thousands of blobs takes.
const MAX_PROGRESS_CALLS: u32 = 200_000;

fn sql_err(what: &str) -> impl Fn(rusqlite::Error) -> String + '_ {
    move |e| format!("rpmdb.sqlite: {what}: {e}")
}

/// `(hnum, blob)` of every row of `Packages`.
pub fn blobs(content: &[u8]) -> Result<Vec<(u64, Vec<u8>)>, String> {
    read(content, MAX_PROGRESS_CALLS)
}

fn read(content: &[u8], max_progress_calls: u32) -> Result<Vec<(u64, Vec<u8>)>, String> {
    if content.len() < 100 || !content.starts_with(MAGIC) {
        return Err("not an SQLite database (no 'SQLite format 3' header)".into());
    }
    let mut head = content[..100].to_vec();
    for b in &mut head[FORMAT_VERSIONS] {
        if *b == 2 {
            *b = 1;
        }
    }
    let mut conn = Connection::open_in_memory().map_err(sql_err("opening an in-memory database"))?;
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_DEFENSIVE, true).map_err(sql_err("setting defensive mode"))?;
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_TRUSTED_SCHEMA, false).map_err(sql_err("distrusting the schema"))?;
    let reader = std::io::Read::chain(&head[..], &content[100..]);
    conn.deserialize_read_exact(MAIN_DB, reader, content.len(), true).map_err(sql_err("loading"))?;
    let mut calls = 0u32;
    conn.progress_handler(
        1000,
        Some(move || {
            calls += 1;
            calls > max_progress_calls
        }),
    )
    .map_err(sql_err("setting a work limit"))?;
    let kind: Option<String> = conn
        .query_row("SELECT type FROM sqlite_master WHERE name = 'Packages'", [], |r| r.get(0))
        .map_or_else(|e| if e == rusqlite::Error::QueryReturnedNoRows { Ok(None) } else { Err(e) }, |k| Ok(Some(k)))
        .map_err(sql_err("reading the schema"))?;
    if kind.as_deref() != Some("table") {
        return Err(format!("rpmdb.sqlite: 'Packages' is {}, not a table", kind.map_or("missing".into(), |k| format!("a {k}"))));
    }
    let mut stmt = conn.prepare("SELECT hnum, blob FROM Packages ORDER BY hnum").map_err(sql_err("querying Packages"))?;
    let rows = stmt
        .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, Vec<u8>>(1)?)))
        .map_err(sql_err("querying Packages"))?;
    let mut out = Vec::new();
    let mut total = 0;
    for row in rows {
        let (hnum, blob) = row.map_err(sql_err("reading a row of Packages"))?;
        // Blobs are stored whole in the file; more than its size means a
        // corrupt b-tree visiting the same pages again.
        total += blob.len();
        if total > content.len() {
            return Err("rpmdb.sqlite: Packages holds more bytes than the file; its b-tree repeats pages".into());
        }
        out.push((u64::try_from(hnum).unwrap_or(0), blob));
    }
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn db(setup: &str) -> Vec<u8> {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(setup).unwrap();
        conn.serialize(MAIN_DB).unwrap().to_vec()
    }

    #[test]
    fn rows_and_refusals() {
        let bytes = db("CREATE TABLE Packages (hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT NULL); INSERT INTO Packages VALUES (3, x'0102'), (1, x'03');");
        assert_eq!(blobs(&bytes).unwrap(), [(1, vec![3]), (3, vec![1, 2])]);
        let view = db("CREATE TABLE t (hnum INTEGER, blob BLOB); CREATE VIEW Packages AS SELECT * FROM t;");
        assert!(blobs(&view).unwrap_err().contains("a view, not a table"));
        assert!(blobs(&db("CREATE TABLE x (a);")).unwrap_err().contains("missing"));
        assert!(blobs(b"hello").unwrap_err().contains("not an SQLite database"));
        assert!(blobs(&bytes[..bytes.len() / 2]).is_err(), "a truncated database is an error");
    }

    #[test]
    fn wal_mode_databases_are_read() {
        // rpm opens its database in WAL mode, which the file header records
        // as format versions 2; a checkpointed copy must still be read.
        let mut bytes = db("CREATE TABLE Packages (hnum INTEGER PRIMARY KEY, blob BLOB); INSERT INTO Packages VALUES (1, x'07');");
        bytes[18] = 2;
        bytes[19] = 2;
        assert_eq!(blobs(&bytes).unwrap(), [(1, vec![7])]);
    }

    #[test]
    fn runaway_queries_are_cut_off() {
        // A database can make reading `Packages` long (here 20,000 rows
        // against a limit of 10 progress calls, some 10,000 VM steps); the
        // progress handler stops it rather than letting it run.
        let bytes = db("CREATE TABLE Packages (hnum INTEGER PRIMARY KEY, blob BLOB); \
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000) INSERT INTO Packages SELECT i, x'00' FROM n;");
        assert_eq!(read(&bytes, MAX_PROGRESS_CALLS).unwrap().len(), 20000);
        let e = read(&bytes, 10).unwrap_err();
        assert!(e.contains("interrupted"), "{e}");
    }
}
