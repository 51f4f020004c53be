//! Direct database connections for seeding and for the database floor, prepared as the
//! server prepares its own (SQLite: WAL, `synchronous = NORMAL`, foreign keys on, a busy
//! timeout). The throw-away PostgreSQL databases of a run are `supportdesk_testsupport`'s.

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection, SqliteConnection};
use supportdesk_store_diesel::import::ImportConnection;

use crate::BoxError;

/// The backend of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    /// An embedded SQLite file.
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

impl Backend {
    /// `sqlite` or `postgres`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }

    /// How people write it.
    pub const fn title(self) -> &'static str {
        match self {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
        }
    }
}

/// A connection to either backend. Queries are written once with the [`on_backend!`]
/// macro, which compiles the same Diesel code for each concrete connection.
pub enum Db {
    /// PostgreSQL.
    Pg(PgConnection),
    /// SQLite.
    Sqlite(SqliteConnection),
}

/// Runs the same Diesel code on the concrete connection inside a [`Db`].
macro_rules! on_backend {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::db::Db::Pg($c) => $body,
            $crate::db::Db::Sqlite($c) => $body,
        }
    };
}
pub(crate) use on_backend;

/// What a connection is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Writes (SQLite: the one writer).
    Writer,
    /// Reads only (SQLite: `query_only`, as the server's readers).
    Reader,
    /// Bulk seeding: a big page cache on SQLite; otherwise as a writer.
    Seeder,
}

impl Db {
    /// Opens `url` (`postgres://…` or `sqlite://PATH`) for `role`.
    ///
    /// # Errors
    ///
    /// Connection failures.
    pub fn open(url: &str, role: Role) -> Result<Self, BoxError> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Db::Pg(PgConnection::establish(url)?));
        }
        let path = url.strip_prefix("sqlite://").unwrap_or(url);
        let mut conn = SqliteConnection::establish(path)?;
        // The server's pragmas (crates/store-diesel/src/db.rs), so the floor runs on the
        // same settings.
        let common = "PRAGMA busy_timeout = 5000; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;";
        let setup = match role {
            Role::Writer => format!("{common} PRAGMA journal_mode = WAL;"),
            Role::Reader => format!("{common} PRAGMA query_only = ON;"),
            // For this connection only: 256 MiB of page cache (index inserts stay in memory
            // until commit), statement journals in memory, and no checkpoint until the load
            // ends (it checkpoints once, then).
            Role::Seeder => format!(
                "{common} PRAGMA journal_mode = WAL; PRAGMA cache_size = -262144; PRAGMA temp_store = MEMORY; \
                 PRAGMA wal_autocheckpoint = 0;"
            ),
        };
        conn.batch_execute(&setup)?;
        Ok(Db::Sqlite(conn))
    }

    /// The backend.
    pub fn backend(&self) -> Backend {
        match self {
            Db::Pg(_) => Backend::Postgres,
            Db::Sqlite(_) => Backend::Sqlite,
        }
    }

    /// The connection for the store's bulk import.
    pub fn import(&mut self) -> ImportConnection<'_> {
        match self {
            Db::Pg(c) => ImportConnection::Pg(c),
            Db::Sqlite(c) => ImportConnection::Sqlite(c),
        }
    }

    /// Runs SQL text (no results).
    ///
    /// # Errors
    ///
    /// Database errors.
    pub fn execute(&mut self, sql: &str) -> Result<(), BoxError> {
        on_backend!(self, |c| c.batch_execute(sql))?;
        Ok(())
    }

    /// Runs `work` in a write transaction, as the server does: `BEGIN IMMEDIATE` on SQLite
    /// (the write lock up front), a plain `BEGIN` (read committed) on PostgreSQL. Rolls
    /// back when `work` fails.
    ///
    /// # Errors
    ///
    /// `work`'s error, or the database's.
    pub fn write_transaction<T>(&mut self, work: impl FnOnce(&mut Db) -> Result<T, BoxError>) -> Result<T, BoxError> {
        let begin = match self {
            Db::Sqlite(_) => "BEGIN IMMEDIATE",
            Db::Pg(_) => "BEGIN",
        };
        self.execute(begin)?;
        match work(self) {
            Ok(value) => {
                self.execute("COMMIT")?;
                Ok(value)
            }
            Err(error) => {
                let _ = self.execute("ROLLBACK");
                Err(error)
            }
        }
    }
}

/// The sizes of the search tables: `(tickets, messages, message bytes, ticket_search bytes,
/// full-text index bytes)`. SQLite reads its pages from `dbstat` (FTS5's own tables are
/// `ticket_fts_*`); PostgreSQL from `pg_table_size` (heap and TOAST, the `tsvector` column
/// included) and the GIN index's `pg_relation_size`.
///
/// # Errors
///
/// Database errors.
pub fn search_sizes(db: &mut Db) -> Result<(u64, u64, u64, u64, u64), BoxError> {
    use diesel::prelude::*;
    use diesel::sql_types::BigInt;
    #[derive(QueryableByName)]
    struct Sizes {
        #[diesel(sql_type = BigInt)]
        tickets: i64,
        #[diesel(sql_type = BigInt)]
        messages: i64,
        #[diesel(sql_type = BigInt)]
        message_bytes: i64,
        #[diesel(sql_type = BigInt)]
        text_bytes: i64,
        #[diesel(sql_type = BigInt)]
        index_bytes: i64,
    }
    const COUNTS: &str = "(SELECT COUNT(*) FROM tickets) AS tickets, (SELECT COUNT(*) FROM messages) AS messages";
    let sizes: Sizes = match db {
        Db::Sqlite(c) => diesel::sql_query(format!(
            "SELECT {COUNTS}, \
               (SELECT COALESCE(SUM(pgsize), 0) FROM dbstat WHERE name = 'messages') AS message_bytes, \
               (SELECT COALESCE(SUM(pgsize), 0) FROM dbstat WHERE name = 'ticket_search') AS text_bytes, \
               (SELECT COALESCE(SUM(pgsize), 0) FROM dbstat WHERE name LIKE 'ticket\\_fts%' ESCAPE '\\') AS index_bytes"
        ))
        .get_result(c)?,
        Db::Pg(c) => diesel::sql_query(format!(
            "SELECT {COUNTS}, pg_table_size('messages') AS message_bytes, \
               pg_table_size('ticket_search') AS text_bytes, \
               pg_relation_size('ticket_search_document') AS index_bytes"
        ))
        .get_result(c)?,
    };
    let unsigned = |n: i64| u64::try_from(n).unwrap_or(0);
    Ok((
        unsigned(sizes.tickets),
        unsigned(sizes.messages),
        unsigned(sizes.message_bytes),
        unsigned(sizes.text_bytes),
        unsigned(sizes.index_bytes),
    ))
}
