//! The connection: one type over both backends (Diesel's `MultiConnection`), the r2d2
//! manager that opens and prepares it (pragmas, timeouts), and the write transaction.
//!
//! Queries written against [`DbConnection`] compile once and run on either backend. What
//! Diesel's `MultiBackend` cannot express is compiled per backend from the same source
//! through [`on_backend!`] (`ON CONFLICT` clauses, multi-row inserts), or differs by
//! dialect and is written per backend (`BEGIN IMMEDIATE` here, migrations).

use std::time::Duration;

use diesel::connection::{AnsiTransactionManager, InstrumentationEvent, SimpleConnection, TransactionManager};
use diesel::r2d2::R2D2Connection;
use diesel::{Connection, PgConnection, SqliteConnection};

use crate::config::Target;

/// A connection to either backend. Diesel generates `MultiBackend` beside it, the backend
/// type that queries against this connection are checked for.
#[derive(diesel::MultiConnection)]
pub(crate) enum DbConnection {
    /// PostgreSQL.
    Pg(PgConnection),
    /// SQLite.
    Sqlite(SqliteConnection),
}

/// Runs the same Diesel code on the concrete connection inside a [`DbConnection`], for the
/// statements `MultiBackend` does not support (`ON CONFLICT`, multi-row `INSERT`). The body
/// is compiled once per backend, so it stays one piece of code.
macro_rules! on_backend {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::db::DbConnection::Pg($c) => $body,
            $crate::db::DbConnection::Sqlite($c) => $body,
        }
    };
}
pub(crate) use on_backend;

/// Runs `work` in a write transaction and commits it, or rolls it back when `work` fails.
/// On SQLite, inside the writer's group commit, the transaction is a savepoint of the
/// group's and "commits" into it.
///
/// On SQLite the transaction begins `IMMEDIATE`: it takes the write lock up front, so a
/// writer in another process makes it wait (`busy_timeout`) instead of failing later with
/// `SQLITE_BUSY` when a deferred transaction tries to upgrade its lock. On PostgreSQL it is
/// an ordinary `READ COMMITTED` transaction: the invariants are constraints, and conflicting
/// writers wait on row and index locks.
pub(crate) fn write_transaction<T, E>(
    conn: &mut DbConnection,
    work: impl FnOnce(&mut DbConnection) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<diesel::result::Error>,
{
    transaction(conn, Durability::Flushed, work)
}

/// [`write_transaction`] for the outbox's own bookkeeping (deliveries fanned out from
/// committed events, their leases, the attempts' outcomes, mails likewise): on PostgreSQL its
/// commit does not wait for the write-ahead log to reach the disk (`synchronous_commit =
/// off` for this transaction only), so that the dispatcher's commits do not queue behind and
/// in front of the writes that answer requests. A crash of the database server may lose the
/// last few hundred milliseconds of such commits and never more, and never a promise: a lost
/// delivery is fanned out again from its event, a lost lease or outcome is attempted again,
/// and a repeat carries the same `webhook-id` (at least once, as `docs/integrations.md`
/// says). A later flushed commit flushes it too. SQLite's commits do not wait for the disk
/// in either case (WAL with `synchronous = NORMAL`).
pub(crate) fn bookkeeping_transaction<T, E>(
    conn: &mut DbConnection,
    work: impl FnOnce(&mut DbConnection) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<diesel::result::Error>,
{
    transaction(conn, Durability::Relaxed, work)
}

/// Whether a PostgreSQL commit waits for its write-ahead log to be flushed.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Durability {
    /// It does (the server's default): what the commit answered survives a crash.
    Flushed,
    /// It does not (`SET LOCAL synchronous_commit = off`, sent with the `BEGIN`).
    Relaxed,
}

fn transaction<T, E>(
    conn: &mut DbConnection,
    durability: Durability,
    work: impl FnOnce(&mut DbConnection) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<diesel::result::Error>,
{
    match conn {
        // Inside the writer's group (`group_commit`) the unit's transaction is a savepoint
        // of the group's: Diesel's nested begin.
        DbConnection::Sqlite(c) => {
            if in_transaction(c)? {
                <AnsiTransactionManager as TransactionManager<SqliteConnection>>::begin_transaction(c)?;
            } else {
                AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")?;
            }
        }
        DbConnection::Pg(c) => match durability {
            Durability::Flushed => <AnsiTransactionManager as TransactionManager<PgConnection>>::begin_transaction(c)?,
            // One round trip, as a plain `BEGIN`; Diesel refuses it inside a transaction
            // (`AlreadyInTransaction`): the outbox's work always starts on a connection of
            // its own.
            Durability::Relaxed => {
                AnsiTransactionManager::begin_transaction_sql(c, "BEGIN; SET LOCAL synchronous_commit = off")?;
            }
        },
    }
    // The rest mirrors Diesel's own `TransactionManager::transaction`; the derived
    // connection delegates commit and rollback to the inner connection's manager, which
    // has just counted the transaction begun above.
    match work(conn) {
        Ok(value) => {
            <DbConnection as TransactionManager<DbConnection>>::commit_transaction(conn)?;
            Ok(value)
        }
        Err(error) => match <DbConnection as TransactionManager<DbConnection>>::rollback_transaction(conn) {
            Ok(()) | Err(diesel::result::Error::BrokenTransactionManager) => Err(error),
            Err(rollback) => {
                // Inside the writer's group a savepoint that could not be rolled back would
                // otherwise be committed with the group: marking the connection in error
                // makes the writer drop the group (`group_commit`).
                if let DbConnection::Sqlite(c) = conn {
                    AnsiTransactionManager::transaction_manager_status_mut(c).set_in_error();
                }
                Err(rollback.into())
            }
        },
    }
}

fn in_transaction(conn: &mut SqliteConnection) -> Result<bool, diesel::result::Error> {
    Ok(AnsiTransactionManager::transaction_manager_status_mut(conn).transaction_depth()?.is_some())
}

/// Runs several reads of one call on one snapshot where that costs nothing extra: on
/// SQLite in one deferred read transaction, which is also cheaper than the read transaction
/// each statement otherwise opens and closes (each takes the WAL's shared-memory lock, file
/// locks and an `fstat`). On PostgreSQL the statements run as they are, each on its own
/// snapshot: a transaction would cost two more round trips (`docs/storage.md`).
pub(crate) fn one_snapshot<T, E>(
    conn: &mut DbConnection,
    work: impl FnOnce(&mut DbConnection) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<diesel::result::Error>,
{
    match conn {
        DbConnection::Sqlite(_) => conn.transaction(work),
        DbConnection::Pg(_) => work(conn),
    }
}

/// The target of the SQL log: `RUST_LOG=supportdesk_store_diesel::sql=trace` prints every
/// statement as it starts.
const SQL_LOG: &str = "supportdesk_store_diesel::sql";

/// Logs a statement's SQL at TRACE, without its bind values (they hold emails, password
/// hashes and message bodies), and each statement the connection prepares and keeps in its
/// statement cache ("prepared"): a statement never logged so is parsed and planned on
/// every call.
fn log_sql(event: InstrumentationEvent<'_>) {
    if !tracing::enabled!(target: SQL_LOG, tracing::Level::TRACE) {
        return;
    }
    match event {
        InstrumentationEvent::StartQuery { query, .. } => {
            let text = query.to_string();
            let sql = text.split(" -- binds: ").next().unwrap_or_default();
            tracing::trace!(target: SQL_LOG, sql, "statement");
        }
        InstrumentationEvent::CacheQuery { sql, .. } => tracing::trace!(target: SQL_LOG, sql, "prepared"),
        _ => {}
    }
}

/// What a pooled connection is for: SQLite readers are opened `query_only`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    /// Reads and writes.
    Writer,
    /// Reads only.
    Reader,
}

/// Opens connections for an r2d2 pool and prepares each one once.
#[derive(Debug)]
pub(crate) struct Manager {
    target: Target,
    role: Role,
    busy_timeout: Duration,
    statement_timeout: Option<Duration>,
}

impl Manager {
    pub(crate) fn new(target: Target, role: Role, busy_timeout: Duration, statement_timeout: Option<Duration>) -> Self {
        Self { target, role, busy_timeout, statement_timeout }
    }

    /// The statements that prepare a new connection.
    fn setup_sql(&self) -> String {
        match (&self.target, self.role) {
            (Target::Sqlite(_), role) => {
                // busy_timeout first: the statements after it may need a lock. journal_mode
                // is stored in the file, so the writer sets it once for everyone; readers
                // never block the writer in WAL mode. NORMAL is durable in WAL mode except
                // for the last transactions before a power loss, and twice as fast as FULL.
                let busy = format!("PRAGMA busy_timeout = {};", self.busy_timeout.as_millis());
                let common = "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;";
                match role {
                    Role::Writer => format!("{busy} PRAGMA journal_mode = WAL; {common}"),
                    Role::Reader => format!("{busy} {common} PRAGMA query_only = ON;"),
                }
            }
            (Target::Postgres(_), _) => {
                // No parallel workers: the service's reads are short and many at once, and
                // starting workers cost a search 5 ms where the work took 0.2 ms (a rare
                // word's GIN lookup at 1,000,000 tickets, docs/storage.md).
                let serial = "SET max_parallel_workers_per_gather = 0;";
                match self.statement_timeout {
                    Some(timeout) => format!("{serial} SET statement_timeout = {}", timeout.as_millis()),
                    None => serial.to_owned(),
                }
            }
        }
    }
}

impl r2d2::ManageConnection for Manager {
    type Connection = DbConnection;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<DbConnection, Self::Error> {
        let mut conn = match &self.target {
            Target::Sqlite(path) => {
                let path = path.to_str().ok_or_else(|| {
                    diesel::r2d2::Error::ConnectionError(diesel::ConnectionError::InvalidConnectionUrl(
                        "the SQLite path is not valid UTF-8".to_owned(),
                    ))
                })?;
                let mut conn = SqliteConnection::establish(path).map_err(diesel::r2d2::Error::ConnectionError)?;
                crate::search::register_functions(&mut conn).map_err(diesel::r2d2::Error::QueryError)?;
                DbConnection::Sqlite(conn)
            }
            Target::Postgres(url) => {
                DbConnection::Pg(PgConnection::establish(url).map_err(diesel::r2d2::Error::ConnectionError)?)
            }
        };
        let setup = self.setup_sql();
        if !setup.is_empty() {
            conn.batch_execute(&setup).map_err(diesel::r2d2::Error::QueryError)?;
        }
        conn.set_instrumentation(log_sql);
        Ok(conn)
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), Self::Error> {
        conn.ping().map_err(diesel::r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut DbConnection) -> bool {
        conn.is_broken()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use diesel::connection::Connection;
    use diesel::sql_types::Text;
    use diesel::{PgConnection, QueryableByName, RunQueryDsl};
    use supportdesk_testsupport::database::ScratchPg;

    use super::*;

    #[derive(QueryableByName)]
    struct Setting {
        #[diesel(sql_type = Text)]
        synchronous_commit: String,
    }

    fn synchronous_commit(conn: &mut DbConnection) -> Result<String, diesel::result::Error> {
        let DbConnection::Pg(c) = conn else { unreachable!("a PostgreSQL connection") };
        Ok(diesel::sql_query("SHOW synchronous_commit").get_result::<Setting>(c)?.synchronous_commit)
    }

    /// The outbox's bookkeeping commits without waiting for the disk, and only it: the
    /// setting ends with its transaction, so the request that reuses the connection next
    /// commits durably again, and an ordinary write transaction never had it.
    #[test]
    fn only_bookkeeping_transactions_commit_without_waiting_for_the_disk() {
        let Some(db) = ScratchPg::from_env("sd_db", "the bookkeeping transaction test") else { return };
        let mut conn = DbConnection::Pg(PgConnection::establish(&db.url).unwrap());
        assert_eq!(bookkeeping_transaction(&mut conn, synchronous_commit).unwrap(), "off");
        assert_eq!(synchronous_commit(&mut conn).unwrap(), "on", "the connection is as it was");
        assert_eq!(write_transaction(&mut conn, synchronous_commit).unwrap(), "on");
        let failed: Result<(), diesel::result::Error> =
            bookkeeping_transaction(&mut conn, |_| Err(diesel::result::Error::RollbackTransaction));
        assert!(failed.is_err());
        assert_eq!(synchronous_commit(&mut conn).unwrap(), "on", "a rolled back one leaves nothing either");
    }
}
