//! The PostgreSQL [`Backend`], on the synchronous `postgres` client:
//! several workers on several machines share one server and claim jobs
//! with `FOR UPDATE SKIP LOCKED`. Connections are TCP, with TLS as the
//! URL's `sslmode` and `sslrootcert` ask (the `tls` module), or a Unix
//! socket (`?host=/run/postgresql`).

use postgres::types::{ToSql, Type};

use crate::Error;
use crate::store::{Backend, Dialect, Row, Value};

/// A PostgreSQL store.
pub struct Postgres {
    client: postgres::Client,
    shown: String,
}

impl Postgres {
    /// Connects to `url` (`postgres://user[:password]@host[:port]/db[?sslmode=…&sslrootcert=PATH]`).
    pub fn connect(url: &str) -> Result<Postgres, Error> {
        let shown = crate::store::Location::Postgres(url.to_owned()).display();
        let (config, tls) = crate::tls::configure(url).map_err(|reason| Error::Store(format!("{shown}: {reason}")))?;
        let client = config.connect(tls).map_err(|e| {
            let reason = one_line(&e);
            // The client's message for every TLS failure, the server offering none included.
            let hint = if reason.starts_with("error performing TLS handshake") {
                "check sslmode and sslrootcert in --store (the server must offer TLS, its certificate signed by a CA in sslrootcert or the public roots)"
            } else {
                "check --store and that the server is up"
            };
            Error::Store(format!("{shown}: cannot connect: {reason}; {hint}"))
        })?;
        Ok(Postgres { client, shown })
    }

    fn fail(&self, sql: &str, e: &postgres::Error) -> Error {
        Error::Store(format!("{}: {} (in `{}`)", self.shown, one_line(e), sql.split_whitespace().collect::<Vec<_>>().join(" ")))
    }
}

/// The server's message (with its detail) rather than the client's
/// generic "db error"; else the client's message and its causes, which it
/// does not print itself ("error performing TLS handshake: invalid peer
/// certificate: UnknownIssuer").
fn one_line(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => match db.detail() {
            Some(detail) => format!("{}: {detail}", db.message()),
            None => db.message().to_owned(),
        },
        None => {
            let mut text = e.to_string();
            let mut cause = std::error::Error::source(e);
            while let Some(c) = cause {
                text.push_str(&format!(": {c}"));
                cause = c.source();
            }
            text.split_whitespace().collect::<Vec<_>>().join(" ")
        }
    }
}

fn params(values: &[Value]) -> Vec<&(dyn ToSql + Sync)> {
    values
        .iter()
        .map(|v| match v {
            Value::Int(n) => n as &(dyn ToSql + Sync),
            Value::Text(t) => t as &(dyn ToSql + Sync),
            Value::Bytes(b) => b as &(dyn ToSql + Sync),
        })
        .collect()
}

impl Backend for Postgres {
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    fn batch(&mut self, sql: &str) -> Result<(), Error> {
        self.client.batch_execute(sql).map_err(|e| self.fail(sql, &e))
    }

    fn execute(&mut self, sql: &str, values: &[Value]) -> Result<u64, Error> {
        self.client.execute(sql, &params(values)).map_err(|e| self.fail(sql, &e))
    }

    fn query(&mut self, sql: &str, values: &[Value]) -> Result<Vec<Row>, Error> {
        let rows = self.client.query(sql, &params(values)).map_err(|e| self.fail(sql, &e))?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let mut values = Vec::with_capacity(row.len());
            for (i, column) in row.columns().iter().enumerate() {
                let t = column.type_();
                let value = if *t == Type::INT8 {
                    Value::Int(row.try_get::<_, Option<i64>>(i).map_err(|e| self.fail(sql, &e))?)
                } else if *t == Type::INT4 {
                    Value::Int(row.try_get::<_, Option<i32>>(i).map_err(|e| self.fail(sql, &e))?.map(i64::from))
                } else if *t == Type::BYTEA {
                    Value::Bytes(row.try_get::<_, Option<Vec<u8>>>(i).map_err(|e| self.fail(sql, &e))?)
                } else if *t == Type::BOOL {
                    Value::Int(row.try_get::<_, Option<bool>>(i).map_err(|e| self.fail(sql, &e))?.map(i64::from))
                } else {
                    Value::Text(row.try_get::<_, Option<String>>(i).map_err(|e| self.fail(sql, &e))?)
                };
                values.push(value);
            }
            out.push(Row(values));
        }
        Ok(out)
    }
}
