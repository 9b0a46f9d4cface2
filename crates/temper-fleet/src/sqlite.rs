//! The SQLite [`Backend`]: one file, WAL mode so readers never wait for
//! the writer, and a busy timeout so workers sharing the file queue for
//! the write lock instead of failing.

use std::path::Path;
use std::time::Duration;

use rusqlite::types::{Value as Sql, ValueRef};

use crate::Error;
use crate::store::{Backend, Dialect, Row, Value};

/// How long a writer waits for another's transaction to end.
const BUSY_TIMEOUT: Duration = Duration::from_secs(60);

/// A SQLite store.
pub struct Sqlite {
    conn: rusqlite::Connection,
    path: String,
}

impl Sqlite {
    /// Opens (or creates) the store at `path`.
    pub fn open(path: &Path) -> Result<Sqlite, Error> {
        crate::store::ensure_parent(path)?;
        let shown = path.display().to_string();
        let fail = |e: rusqlite::Error| Error::Store(format!("{shown}: {e}; point --store at a fleet store (a SQLite file) or a postgres:// URL"));
        let conn = rusqlite::Connection::open(path).map_err(fail)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(fail)?;
        conn.pragma_update(None, "journal_mode", "WAL").map_err(fail)?;
        conn.pragma_update(None, "foreign_keys", "ON").map_err(fail)?;
        Ok(Sqlite { conn, path: shown })
    }

    fn fail(&self, sql: &str, e: rusqlite::Error) -> Error {
        Error::Store(format!("{}: {e} (in `{}`)", self.path, sql.split_whitespace().collect::<Vec<_>>().join(" ")))
    }
}

/// `$1` → `?1`: SQLite would read `$1` as a named parameter, numbered by
/// first appearance rather than by its digits.
fn numbered(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '$' && chars.peek().is_some_and(char::is_ascii_digit) {
            out.push('?');
        } else {
            out.push(c);
        }
    }
    out
}

fn sql_value(v: &Value) -> Sql {
    match v {
        Value::Int(Some(n)) => Sql::Integer(*n),
        Value::Text(Some(t)) => Sql::Text(t.clone()),
        Value::Bytes(Some(b)) => Sql::Blob(b.clone()),
        Value::Int(None) | Value::Text(None) | Value::Bytes(None) => Sql::Null,
    }
}

impl Backend for Sqlite {
    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }

    fn batch(&mut self, sql: &str) -> Result<(), Error> {
        self.conn.execute_batch(sql).map_err(|e| self.fail(sql, e))
    }

    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, Error> {
        let mut stmt = self.conn.prepare_cached(&numbered(sql)).map_err(|e| self.fail(sql, e))?;
        let n = stmt.execute(rusqlite::params_from_iter(params.iter().map(sql_value))).map_err(|e| self.fail(sql, e))?;
        Ok(n as u64)
    }

    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>, Error> {
        let mut stmt = self.conn.prepare_cached(&numbered(sql)).map_err(|e| self.fail(sql, e))?;
        let columns = stmt.column_count();
        let mut rows = stmt.query(rusqlite::params_from_iter(params.iter().map(sql_value))).map_err(|e| self.fail(sql, e))?;
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(|e| self.fail(sql, e))? {
            let mut values = Vec::with_capacity(columns);
            for i in 0..columns {
                values.push(match row.get_ref(i).map_err(|e| self.fail(sql, e))? {
                    ValueRef::Null => Value::Int(None),
                    ValueRef::Integer(n) => Value::Int(Some(n)),
                    ValueRef::Real(r) => Value::Int(Some(r as i64)),
                    ValueRef::Text(t) => Value::Text(Some(String::from_utf8_lossy(t).into_owned())),
                    ValueRef::Blob(b) => Value::Bytes(Some(b.to_vec())),
                });
            }
            out.push(Row(values));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn placeholders_are_numbered_for_sqlite() {
        assert_eq!(super::numbered("SELECT $2, $10 WHERE a = $1 AND b = '$'"), "SELECT ?2, ?10 WHERE a = ?1 AND b = '$'");
    }
}
