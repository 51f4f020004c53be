//! The databases of a run: a fresh SQLite file, or a fresh PostgreSQL database dropped at the
//! end; and the SQLite file's own integrity checks, run on the file with libsqlite3.

use diesel::sql_types::{BigInt, Text};
use diesel::{Connection, PgConnection, QueryableByName, RunQueryDsl, SqliteConnection};

use crate::BoxError;

/// A PostgreSQL database created for one run, dropped (connections and all) when dropped.
pub struct PgDatabase {
    admin_url: String,
    name: String,
    /// The URL the servers are given.
    pub url: String,
}

impl PgDatabase {
    /// Creates `sd_crash_<uuid>` on the server of `admin_url`.
    ///
    /// # Errors
    ///
    /// The server refuses the connection or the `CREATE DATABASE`.
    pub fn create(admin_url: &str) -> Result<Self, BoxError> {
        let name = format!("sd_crash_{}", uuid::Uuid::new_v4().simple());
        let mut conn = PgConnection::establish(admin_url).map_err(|e| format!("connect to {admin_url}: {e}"))?;
        diesel::sql_query(format!("CREATE DATABASE {name}")).execute(&mut conn)?;
        let base = admin_url.rsplit_once('/').map_or(admin_url, |(base, _)| base);
        Ok(Self { admin_url: admin_url.to_owned(), url: format!("{base}/{name}"), name })
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        if let Ok(mut conn) = PgConnection::establish(&self.admin_url) {
            let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name)).execute(&mut conn);
        }
    }
}

#[derive(QueryableByName)]
struct CheckRow {
    #[diesel(sql_type = Text)]
    result: String,
}

#[derive(QueryableByName)]
struct CountRow {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// `PRAGMA integrity_check` and `PRAGMA foreign_key_check` on the SQLite file at `path`
/// (opened directly, no server running): `Ok(())` when the first says `ok` and the second
/// finds nothing, else what they said.
///
/// # Errors
///
/// The file cannot be opened or queried.
pub fn sqlite_integrity(path: &str) -> Result<Result<(), String>, BoxError> {
    let mut conn = SqliteConnection::establish(path)?;
    let rows: Vec<CheckRow> =
        diesel::sql_query("SELECT integrity_check AS result FROM pragma_integrity_check").load(&mut conn)?;
    let said: Vec<String> = rows.into_iter().map(|row| row.result).collect();
    if said != ["ok"] {
        return Ok(Err(format!("PRAGMA integrity_check: {}", said.join("; "))));
    }
    let orphans: Vec<CountRow> =
        diesel::sql_query("SELECT count(*) AS n FROM pragma_foreign_key_check").load(&mut conn)?;
    match orphans.first().map_or(0, |row| row.n) {
        0 => Ok(Ok(())),
        n => Ok(Err(format!("PRAGMA foreign_key_check: {n} rows point at nothing"))),
    }
}
