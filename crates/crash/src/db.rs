//! The SQLite file's own integrity checks, run on the file with libsqlite3. (A run's fresh
//! PostgreSQL database is `supportdesk_testsupport::database::ScratchPg`.)

use diesel::sql_types::{BigInt, Text};
use diesel::{Connection, QueryableByName, RunQueryDsl, SqliteConnection};

use crate::BoxError;

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
