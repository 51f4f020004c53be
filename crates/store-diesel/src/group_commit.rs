//! SQLite's writer: one thread that owns the write connection and commits the write units
//! queued at that moment in one transaction (group commit).
//!
//! SQLite has one writer, and what caps it is the commit: each one appends a WAL frame for
//! every page it touched and flushes a new FTS5 segment, whatever the transaction wrote
//! (performance.md: 6,850 minimal ticket transactions a second through one connection, and
//! more when several tickets share a commit). So the writer takes every unit waiting when it
//! becomes free, up to [`GROUP_LIMIT`], and runs them one after the other inside one
//! `BEGIN IMMEDIATE … COMMIT`. Nothing waits to fill a group: alone, a unit commits at once;
//! under load, the units that queued during one commit share the next.
//!
//! Each unit keeps its own transaction semantics: its `write_transaction` becomes a
//! savepoint of the group's transaction (`db::write_transaction`), so a unit's conflict or
//! error rolls back that unit only, and the units of a group see each other's writes in
//! order, exactly as if they had committed one after the other. A unit is answered only
//! after the group's commit; if the commit fails, every unit of the group is answered with
//! that failure (nothing of the group was written, and a refusal may have stood on a unit
//! that was rolled back with it).

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc};

use diesel::connection::{AnsiTransactionManager, TransactionManager};
use diesel::SqliteConnection;
use supportdesk_app::{StoreError, StoreResult};
use tokio::sync::oneshot;

use crate::db::{DbConnection, Manager};
use crate::error::Failure;

/// The most units one commit holds: enough to amortise the commit many times over, few
/// enough that the first unit of a full group is not kept waiting long for its answer.
pub(crate) const GROUP_LIMIT: usize = 64;

type Pool = r2d2::Pool<Manager>;

/// The queue to SQLite's writer thread. Cheap to clone; the thread ends when the last
/// clone is dropped.
#[derive(Debug, Clone)]
pub(crate) struct GroupCommitter {
    queue: mpsc::Sender<Box<dyn Unit>>,
    counts: Arc<Counts>,
}

/// What the writer has committed since it started, for `/metrics`: the mean group is
/// `writes / commits`.
#[derive(Debug, Default)]
struct Counts {
    /// Groups committed.
    commits: AtomicU64,
    /// Writes in them, answered as committed (a refused write's savepoint is counted too:
    /// it shared the commit).
    writes: AtomicU64,
}

/// A write that was not committed: the group's transaction failed (its begin or its commit),
/// or another unit of the group panicked and the group was rolled back.
#[derive(Debug, Clone, thiserror::Error)]
#[error("the write was not committed: {0}")]
struct NotCommitted(String);

/// The writer thread is gone or dropped the unit without an answer (its work panicked).
#[derive(Debug, thiserror::Error)]
#[error("the database writer gave no answer (the write panicked or the writer stopped)")]
struct NoAnswer;

impl GroupCommitter {
    /// Starts the writer thread over `pool` (the one-connection writer pool).
    pub(crate) fn start(pool: Pool) -> std::io::Result<Self> {
        let (queue, units) = mpsc::channel();
        let counts = Arc::new(Counts::default());
        let counted = counts.clone();
        std::thread::Builder::new().name("sqlite-writer".to_owned()).spawn(move || serve(&pool, &units, &counted))?;
        Ok(Self { queue, counts })
    }

    /// Groups committed and the writes in them, since start.
    pub(crate) fn committed(&self) -> (u64, u64) {
        (self.counts.commits.load(Ordering::Relaxed), self.counts.writes.load(Ordering::Relaxed))
    }

    /// Queues `work` for the next group and waits for its answer, which comes after the
    /// group's commit.
    pub(crate) async fn write<T, F>(&self, work: F) -> StoreResult<T>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, Failure> + Send + 'static,
        T: Send + 'static,
    {
        let (answer, answered) = oneshot::channel();
        let unit = Queued { work, answer, span: tracing::Span::current() };
        self.queue.send(Box::new(unit)).map_err(|_| StoreError::unavailable(NoAnswer))?;
        answered.await.map_err(|_| StoreError::unavailable(NoAnswer))?
    }
}

/// A queued write, its type erased so that units of any result type share one queue.
trait Unit: Send {
    /// Runs the work on the group's connection; the answer waits for the commit.
    fn run(self: Box<Self>, conn: &mut DbConnection) -> Box<dyn Answer>;
    /// Answers without running: the group could not begin.
    fn refuse(self: Box<Self>, why: &NotCommitted);
}

/// A unit that has run, waiting for its group's commit.
trait Answer: Send {
    /// Whether the unit failed (its answer is an error whatever the commit).
    fn failed(&self) -> bool;
    fn send(self: Box<Self>, committed: Result<(), &NotCommitted>);
}

struct Queued<T, F> {
    work: F,
    answer: oneshot::Sender<StoreResult<T>>,
    span: tracing::Span,
}

struct Ran<T> {
    result: Result<T, Failure>,
    answer: oneshot::Sender<StoreResult<T>>,
}

impl<T, F> Unit for Queued<T, F>
where
    F: FnOnce(&mut DbConnection) -> Result<T, Failure> + Send + 'static,
    T: Send + 'static,
{
    fn run(self: Box<Self>, conn: &mut DbConnection) -> Box<dyn Answer> {
        let Queued { work, answer, span } = *self;
        let result = span.in_scope(|| work(conn));
        Box::new(Ran { result, answer })
    }

    fn refuse(self: Box<Self>, why: &NotCommitted) {
        // The caller may have gone (its request was dropped); nobody is left to tell.
        let _ = self.answer.send(Err(StoreError::unavailable(why.clone())));
    }
}

impl<T: Send> Answer for Ran<T> {
    fn failed(&self) -> bool {
        self.result.is_err()
    }

    fn send(self: Box<Self>, committed: Result<(), &NotCommitted>) {
        // When the group was not committed, a unit's own refusal is not answered either: it
        // may stand on an earlier unit of the group that was rolled back with it (a
        // conflict with a ticket that now never existed).
        let outcome = match (self.result, committed) {
            (Err(failure), Ok(())) => Err(failure.into_store_error()),
            (Ok(value), Ok(())) => Ok(value),
            (_, Err(why)) => Err(StoreError::unavailable(why.clone())),
        };
        let _ = self.answer.send(outcome);
    }
}

/// The writer thread: waits for a unit, takes every other one already queued (up to the
/// limit), commits them together, and again, until every sender is gone.
fn serve(pool: &Pool, units: &mpsc::Receiver<Box<dyn Unit>>, counts: &Counts) {
    while let Ok(first) = units.recv() {
        let mut group = Vec::with_capacity(GROUP_LIMIT);
        group.push(first);
        group.extend(units.try_iter().take(GROUP_LIMIT - 1));
        commit_group(pool, group, counts);
    }
}

/// Runs `group` in one transaction and answers each unit. A unit that panics, or leaves
/// the transaction in a state the group cannot continue from, rolls back the group (the
/// connection is discarded, which rolls back): the units that had run are answered
/// `Unavailable`, and those not yet run go on in a new group.
fn commit_group(pool: &Pool, group: Vec<Box<dyn Unit>>, counts: &Counts) {
    let mut rest = group;
    while !rest.is_empty() {
        let mut conn = match pool.get() {
            Ok(conn) => conn,
            Err(error) => return refuse_all(rest, &NotCommitted(error.to_string())),
        };
        if let Err(error) = begin(&mut conn) {
            return refuse_all(rest, &NotCommitted(error.to_string()));
        }
        let mut answers = Vec::with_capacity(rest.len());
        let mut pending = rest.into_iter();
        let mut broken = None;
        for unit in pending.by_ref() {
            let failed = match catch_unwind(AssertUnwindSafe(|| unit.run(&mut conn))) {
                Ok(answer) => {
                    let failed = answer.failed();
                    answers.push(answer);
                    failed
                }
                Err(_) => {
                    broken = Some(NotCommitted("a write of its commit panicked".to_owned()));
                    break;
                }
            };
            // After a failure, also ask SQLite itself: a disk-full or I/O error rolls back
            // the whole transaction without Diesel's count of it changing.
            if !in_group_transaction(&mut conn) || (failed && !sqlite_in_transaction(&mut conn)) {
                broken = Some(NotCommitted("a write of its commit ended the transaction".to_owned()));
                break;
            }
        }
        rest = pending.collect();
        let committed = match broken {
            // Dropped inside its transaction, the connection counts as broken: the pool
            // closes it, and SQLite rolls the transaction back.
            Some(why) => Err(why),
            None => commit(&mut conn).map_err(|error| NotCommitted(error.to_string())),
        };
        drop(conn);
        if committed.is_ok() {
            counts.commits.fetch_add(1, Ordering::Relaxed);
            counts.writes.fetch_add(u64::try_from(answers.len()).unwrap_or(u64::MAX), Ordering::Relaxed);
        }
        for answer in answers {
            answer.send(committed.as_ref().map(|_| ()));
        }
    }
}

fn refuse_all(units: Vec<Box<dyn Unit>>, why: &NotCommitted) {
    tracing::warn!(error = %why, units = units.len(), "a group of writes could not begin");
    for unit in units {
        unit.refuse(why);
    }
}

fn sqlite(conn: &mut DbConnection) -> Result<&mut SqliteConnection, diesel::result::Error> {
    match conn {
        DbConnection::Sqlite(c) => Ok(c),
        DbConnection::Pg(_) => Err(diesel::result::Error::QueryBuilderError("group commit is for SQLite".into())),
    }
}

fn begin(conn: &mut DbConnection) -> Result<(), diesel::result::Error> {
    AnsiTransactionManager::begin_transaction_sql(sqlite(conn)?, "BEGIN IMMEDIATE")
}

fn commit(conn: &mut DbConnection) -> Result<(), diesel::result::Error> {
    <AnsiTransactionManager as TransactionManager<SqliteConnection>>::commit_transaction(sqlite(conn)?)
}

/// Whether SQLite still has a transaction open on the connection. Diesel does not expose
/// `sqlite3_get_autocommit`; `BEGIN` fails inside a transaction and succeeds outside one,
/// in which case the transaction it began is rolled back at once (the group is lost
/// anyway: SQLite rolled it back).
fn sqlite_in_transaction(conn: &mut DbConnection) -> bool {
    use diesel::connection::SimpleConnection;
    match sqlite(conn) {
        Ok(c) => match c.batch_execute("BEGIN") {
            Err(_) => true,
            Ok(()) => {
                let _ = c.batch_execute("ROLLBACK");
                false
            }
        },
        Err(_) => false,
    }
}

/// Whether the connection is still in the group's transaction and in no savepoint of a
/// unit, as Diesel counts it: every unit closes what it opens, and a savepoint that could
/// not be rolled back leaves the count in error (`db::write_transaction`).
fn in_group_transaction(conn: &mut DbConnection) -> bool {
    sqlite(conn).is_ok_and(|c| {
        AnsiTransactionManager::transaction_manager_status_mut(c)
            .transaction_depth()
            .is_ok_and(|depth| depth.map(std::num::NonZeroU32::get) == Some(1))
    })
}

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "tests")]
mod tests {
    use std::time::Duration;

    use diesel::connection::SimpleConnection;
    use diesel::prelude::*;
    use diesel::sql_types::BigInt;

    use super::*;
    use crate::config::Target;
    use crate::db::{write_transaction, Role};

    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }

    fn insert(conn: &mut DbConnection, n: i64) -> Result<(), Failure> {
        write_transaction(conn, |conn| {
            diesel::sql_query(format!("INSERT INTO t (n) VALUES ({n})")).execute(conn)?;
            Ok(())
        })
    }

    /// A write that panics takes down the group it ran in, never the writer: the writes
    /// before it in the group are rolled back and answered unavailable, the panicking one
    /// gets no answer (unavailable too), and the writes after it run in a new group.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_panicking_write_rolls_back_its_group_and_the_rest_commit_in_the_next() {
        let dir = tempfile::tempdir().unwrap();
        let target = Target::Sqlite(dir.path().join("g.db"));
        let manager = Manager::new(target, Role::Writer, Duration::from_secs(5), None);
        let pool = r2d2::Pool::builder().max_size(1).build(manager).unwrap();
        pool.get().unwrap().batch_execute("CREATE TABLE t (n INTEGER NOT NULL)").unwrap();
        let writer = GroupCommitter::start(pool.clone()).unwrap();

        // The first write holds the writer while the next three queue: they make one group.
        let (held, release) = std::sync::mpsc::channel::<()>();
        let first = tokio::spawn({
            let writer = writer.clone();
            async move {
                writer
                    .write(move |conn| {
                        let _ = release.recv_timeout(Duration::from_secs(5));
                        insert(conn, 1)
                    })
                    .await
            }
        });
        tokio::time::sleep(Duration::from_millis(100)).await;
        let before = tokio::spawn({
            let writer = writer.clone();
            async move { writer.write(|conn| insert(conn, 2)).await }
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        let panicking = tokio::spawn({
            let writer = writer.clone();
            async move { writer.write(|_: &mut DbConnection| -> Result<(), Failure> { panic!("a bug") }).await }
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        let after = tokio::spawn({
            let writer = writer.clone();
            async move { writer.write(|conn| insert(conn, 3)).await }
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        held.send(()).unwrap();

        first.await.unwrap().unwrap();
        assert!(matches!(before.await.unwrap(), Err(StoreError::Unavailable(_))), "rolled back with its group");
        assert!(matches!(panicking.await.unwrap(), Err(StoreError::Unavailable(_))));
        after.await.unwrap().unwrap();
        let mut conn = pool.get().unwrap();
        let rows: Vec<Row> = diesel::sql_query("SELECT n FROM t ORDER BY n").load(&mut *conn).unwrap();
        assert_eq!(rows.iter().map(|r| r.n).collect::<Vec<_>>(), vec![1, 3]);
        let (commits, writes) = writer.committed();
        assert_eq!((commits, writes), (2, 2), "the first alone, then the last in a group of its own");
    }
}
