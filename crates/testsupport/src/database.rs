//! Scratch databases: a PostgreSQL database made for one test or run and dropped with it,
//! and a SQLite file in a temporary folder. The one way the store's tests, the black-box
//! tests, the bench and the crash test make them.

use std::path::{Path, PathBuf};

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};

use crate::BoxError;

/// The variable that names the PostgreSQL server of the test suites.
pub const TEST_POSTGRES_URL: &str = "TEST_POSTGRES_URL";

/// A PostgreSQL database made for one test or run, dropped (its connections ended) when
/// this is dropped, unless `keep`.
#[derive(Debug)]
pub struct ScratchPg {
    admin_url: String,
    name: String,
    /// The database's URL.
    pub url: String,
    /// Leave the database in place when dropped.
    pub keep: bool,
}

impl ScratchPg {
    /// Creates database `name` on the server `admin_url` points at, dropping a leftover of
    /// the same name first.
    ///
    /// # Errors
    ///
    /// Connection or permission failures, or an `admin_url` without `scheme://`.
    pub fn create(admin_url: &str, name: &str) -> Result<Self, BoxError> {
        let url = with_database(admin_url, name)?;
        let mut conn = PgConnection::establish(admin_url).map_err(|e| format!("connect to {admin_url}: {e}"))?;
        conn.batch_execute(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))?;
        conn.batch_execute(&format!("CREATE DATABASE \"{name}\""))?;
        Ok(Self { admin_url: admin_url.to_owned(), name: name.to_owned(), url, keep: false })
    }

    /// Creates `{prefix}_{a new UUID}`: a name no other test or run uses.
    ///
    /// # Errors
    ///
    /// As [`ScratchPg::create`].
    pub fn unique(admin_url: &str, prefix: &str) -> Result<Self, BoxError> {
        Self::create(admin_url, &format!("{prefix}_{}", uuid::Uuid::now_v7().simple()))
    }

    /// A unique database on the server `TEST_POSTGRES_URL` names, or `None` with a loud
    /// `SKIPPED` line (naming `what` did not run) when it is not set.
    ///
    /// # Panics
    ///
    /// When the server refuses: a suite that was asked to run must not pass silently.
    #[expect(clippy::expect_used, reason = "test harness: a refused server fails the test")]
    pub fn from_env(prefix: &str, what: &str) -> Option<Self> {
        let Ok(admin_url) = std::env::var(TEST_POSTGRES_URL) else {
            eprintln!("SKIPPED: {TEST_POSTGRES_URL} is not set: {what} did not run");
            return None;
        };
        Some(Self::unique(&admin_url, prefix).expect("create a database through TEST_POSTGRES_URL"))
    }

    /// The database's name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl Drop for ScratchPg {
    fn drop(&mut self) {
        if self.keep {
            return;
        }
        // FORCE ends the pooled connections that may outlive the database's last use.
        if let Ok(mut conn) = PgConnection::establish(&self.admin_url) {
            let _ = conn.batch_execute(&format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.name));
        }
    }
}

/// `url` with its database name replaced by `name`, its query parameters kept.
///
/// ```
/// use supportdesk_testsupport::database::with_database;
/// let url = with_database("postgres://u@127.0.0.1:5432/test?sslmode=disable", "scratch").unwrap();
/// assert_eq!(url, "postgres://u@127.0.0.1:5432/scratch?sslmode=disable");
/// ```
///
/// # Errors
///
/// A URL without `scheme://`.
pub fn with_database(url: &str, name: &str) -> Result<String, BoxError> {
    let (scheme, rest) = url.split_once("://").ok_or("the PostgreSQL URL has no scheme")?;
    let (rest, query) = match rest.split_once('?') {
        Some((rest, query)) => (rest, Some(query)),
        None => (rest, None),
    };
    let authority = rest.split('/').next().unwrap_or(rest);
    let mut out = format!("{scheme}://{authority}/{name}");
    if let Some(query) = query {
        out.push('?');
        out.push_str(query);
    }
    Ok(out)
}

/// A SQLite file's place in a fresh temporary folder, two folders down (which do not exist
/// yet: the store creates them, and its tests check it does), deleted with the folder.
#[derive(Debug)]
pub struct ScratchSqlite {
    dir: tempfile::TempDir,
    path: PathBuf,
}

impl ScratchSqlite {
    /// A new place for `supportdesk.db`.
    ///
    /// # Errors
    ///
    /// No temporary folder can be made.
    pub fn new() -> Result<Self, BoxError> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("nested").join("folder").join("supportdesk.db");
        Ok(Self { dir, path })
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The temporary folder.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// `sqlite://PATH`, as the server and the store take it.
    pub fn url(&self) -> String {
        format!("sqlite://{}", self.path.display())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::with_database;

    #[test]
    fn the_database_name_is_replaced_and_the_rest_kept() {
        assert_eq!(with_database("postgres://127.0.0.1/test", "x").unwrap(), "postgres://127.0.0.1/x");
        assert_eq!(with_database("postgresql://u:p@h:1/db?a=b", "x").unwrap(), "postgresql://u:p@h:1/x?a=b");
        assert_eq!(with_database("postgres://h", "x").unwrap(), "postgres://h/x");
        assert!(with_database("no scheme", "x").is_err());
    }
}
