//! [`DieselStore`]: the pools, the one-hop-per-call blocking helper, migrations and pool
//! statistics. The ports themselves live in `tickets`, `categories`, `accounts`, `tenants`.

use std::time::Duration;

use supportdesk_app::{StoreError, StoreResult};

use crate::config::{Backend, DieselConfig, Target};
use crate::db::{DbConnection, Manager, Role};
use crate::error::Failure;
use crate::group_commit::GroupCommitter;
use crate::migrations;

type Pool = r2d2::Pool<Manager>;

/// The Diesel store: every store port of `supportdesk-app` over SQLite or PostgreSQL.
///
/// Cheap to clone (the pools are shared). Each port call is one unit of work on one pooled
/// connection inside one `spawn_blocking`; only short SQLite reads run on the caller's
/// thread when a reader is free (see `docs/storage.md`, "Connections and pools").
///
/// ```no_run
/// use std::sync::Arc;
/// use supportdesk_app::App;
/// use supportdesk_store_diesel::{DieselConfig, DieselStore};
///
/// # fn main() -> Result<(), supportdesk_app::StoreError> {
/// let store = DieselStore::connect(&DieselConfig::new("sqlite://data/supportdesk.db"))?;
/// let app = App::builder(Arc::new(store)).build();
/// # let _ = app;
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct DieselStore {
    backend: Backend,
    /// Whether short SQLite reads may run on the caller's thread (`quick_read`).
    inline_reads: bool,
    /// Reads. On PostgreSQL the same pool as `writer`.
    readers: Pool,
    /// Writes: on SQLite a pool of exactly one connection, because SQLite has one writer and
    /// more write connections would only queue on its lock (performance.md).
    writer: Pool,
    /// On SQLite, the thread that runs every write on `writer`, several to a commit.
    group_commit: Option<GroupCommitter>,
}

/// How many connections the store holds, for `/metrics`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PoolStats {
    /// Open connections, busy or idle (readers and the writer together).
    pub connections: u32,
    /// Open connections not in use.
    pub idle: u32,
    /// SQLite: the writer's commits since start (each commits a group of writes); 0 on
    /// PostgreSQL, where each write commits on its own.
    pub write_commits: u64,
    /// SQLite: the writes those commits held; `committed_writes / write_commits` is the
    /// mean group.
    pub committed_writes: u64,
}

impl std::fmt::Debug for DieselStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DieselStore")
            .field("backend", &self.backend)
            .field("pool", &self.pool_state())
            .finish_non_exhaustive()
    }
}

/// The configuration is unusable: a bad URL, or a SQLite folder that cannot be created.
#[derive(Debug, thiserror::Error)]
#[error("invalid store configuration: {0}")]
struct ConfigError(String);

/// A read run on the caller's thread panicked (a bug). The connection goes back to the pool,
/// which discards it if the panic left it inside a transaction.
#[derive(Debug, thiserror::Error)]
#[error("a database read panicked")]
struct InlineReadPanicked;

/// Logs pool connection failures through `tracing` (r2d2's default uses the `log` crate).
#[derive(Debug)]
struct TracingErrors;

impl r2d2::HandleError<diesel::r2d2::Error> for TracingErrors {
    fn handle_error(&self, error: diesel::r2d2::Error) {
        tracing::warn!(error = %error, "database connection failed");
    }
}

/// Creates a missing SQLite file owner-only (0600), in a folder created owner-only (0700)
/// when it is missing too, before SQLite opens it: SQLite gives its `-wal` and `-shm` files
/// the database file's permissions, so they are owner-only as well. Existing files and
/// folders keep their permissions (a shared parent such as `/var/lib` is not ours to change).
fn create_sqlite_file(path: &std::path::Path) -> Result<(), StoreError> {
    let failed = |what: &std::path::Path, e: std::io::Error| {
        StoreError::unavailable(ConfigError(format!("cannot create {}: {e}", what.display())))
    };
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        let mut folder = std::fs::DirBuilder::new();
        folder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut folder, 0o700);
        folder.create(parent).map_err(|e| failed(parent, e))?;
    }
    let mut file = std::fs::OpenOptions::new();
    file.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut file, 0o600);
    match file.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(failed(path, e)),
    }
}

impl DieselStore {
    /// Opens the database the URL names, creating a SQLite file (and its folder) on first
    /// start, owner-only (0600 / 0700), and applies pending migrations.
    ///
    /// `postgres://` or `postgresql://` choose PostgreSQL; `sqlite://path`, `sqlite:path` or
    /// a plain path choose SQLite. This blocks (it opens connections and migrates): call it
    /// before serving, or inside `spawn_blocking`.
    ///
    /// # Errors
    ///
    /// [`StoreError::Unavailable`] for a bad URL, an unreachable database or a failed
    /// migration.
    pub fn connect(config: &DieselConfig) -> Result<Self, StoreError> {
        let target = config.target().map_err(|reason| StoreError::unavailable(ConfigError(reason)))?;
        let backend = target.backend();
        let readers = config.max_connections.max(1);
        let min_idle = config.min_idle.map(|idle| idle.min(readers));
        let store = match &target {
            Target::Sqlite(path) => {
                create_sqlite_file(path)?;
                // The writer first: it creates the file and turns on WAL; the readers open
                // after the migrations, on the finished schema.
                let writer = build_pool(
                    config,
                    Manager::new(target.clone(), Role::Writer, config.busy_timeout, None),
                    1,
                    Some(1),
                )?;
                migrate(&writer)?;
                let manager = Manager::new(target.clone(), Role::Reader, config.busy_timeout, None);
                let readers = build_pool(config, manager, readers, min_idle)?;
                let group_commit = Some(GroupCommitter::start(writer.clone()).map_err(StoreError::unavailable)?);
                Self { backend, inline_reads: config.inline_sqlite_reads, readers, writer, group_commit }
            }
            Target::Postgres(_) => {
                let manager = Manager::new(target.clone(), Role::Writer, config.busy_timeout, config.statement_timeout);
                let pool = build_pool(config, manager, readers, min_idle)?;
                migrate(&pool)?;
                Self { backend, inline_reads: false, readers: pool.clone(), writer: pool, group_commit: None }
            }
        };
        tracing::info!(backend = %backend, max_connections = readers, "store connected");
        Ok(store)
    }

    /// Applies pending migrations; does nothing on a migrated database. Blocks.
    ///
    /// # Errors
    ///
    /// [`StoreError::Unavailable`] when the database is unreachable or a migration fails.
    pub fn run_migrations(&self) -> Result<(), StoreError> {
        migrate(&self.writer)
    }

    /// The backend in use.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Open and idle connections, readers and writer together, and on SQLite the writer's
    /// commits and the writes they held.
    pub fn pool_state(&self) -> PoolStats {
        let readers = self.readers.state();
        let (write_commits, committed_writes) = self.group_commit.as_ref().map_or((0, 0), GroupCommitter::committed);
        let mut stats = PoolStats {
            connections: readers.connections,
            idle: readers.idle_connections,
            write_commits,
            committed_writes,
        };
        if self.backend == Backend::Sqlite {
            let writer = self.writer.state();
            stats.connections += writer.connections;
            stats.idle += writer.idle_connections;
        }
        stats
    }

    /// Runs a read on a reader connection, off the async workers.
    pub(crate) async fn read<T, F>(&self, work: F) -> StoreResult<T>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, Failure> + Send + 'static,
        T: Send + 'static,
    {
        blocking(self.readers.clone(), work).await
    }

    /// Runs a short, index-bounded read (a lookup by key, a ticket's thread, a queue's first
    /// pages): on SQLite on the calling thread when a reader connection is free at once,
    /// otherwise as [`read`](Self::read).
    ///
    /// A SQLite read of a few rows is served from the page cache in tens of microseconds and,
    /// in WAL mode, never waits for the writer; handing it to the blocking pool and back
    /// costs about as much again in thread wake-ups (`performance.md`: a hop halves the HTTP
    /// ceiling). PostgreSQL reads always hop: they wait on the network. Reads whose cost
    /// grows with the data (filtered lists, deep pages, searches) use `read`.
    pub(crate) async fn quick_read<T, F>(&self, work: F) -> StoreResult<T>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, Failure> + Send + 'static,
        T: Send + 'static,
    {
        if self.inline_reads {
            if let Some(mut conn) = self.readers.try_get() {
                // As in `blocking`, a panic in `work` fails the call instead of the caller.
                let ran = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| work(&mut conn)));
                return match ran {
                    Ok(result) => result.map_err(Failure::into_store_error),
                    Err(_) => Err(StoreError::unavailable(InlineReadPanicked)),
                };
            }
        }
        self.read(work).await
    }

    /// Runs a write on the writer connection, off the async workers. `work` opens its own
    /// transaction (`db::write_transaction`) when it writes more than one statement.
    ///
    /// On SQLite the write joins the writer thread's next group commit (`group_commit`): it
    /// is answered after the commit of its group, its transaction a savepoint of the
    /// group's. On PostgreSQL it runs on a pooled connection in `spawn_blocking`.
    pub(crate) async fn write<T, F>(&self, work: F) -> StoreResult<T>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, Failure> + Send + 'static,
        T: Send + 'static,
    {
        match &self.group_commit {
            Some(group_commit) => group_commit.write(work).await,
            None => blocking(self.writer.clone(), work).await,
        }
    }
}

/// One `spawn_blocking` per port call: it takes a connection (waiting at most the
/// configured timeout), runs `work` in the caller's tracing span, and gives the connection
/// back. A panic in `work` becomes `Unavailable`, not a crash of the caller.
async fn blocking<T, F>(pool: Pool, work: F) -> StoreResult<T>
where
    F: FnOnce(&mut DbConnection) -> Result<T, Failure> + Send + 'static,
    T: Send + 'static,
{
    let span = tracing::Span::current();
    let joined = tokio::task::spawn_blocking(move || {
        span.in_scope(|| {
            let mut conn = pool.get().map_err(|e| Failure::Store(StoreError::unavailable(e)))?;
            work(&mut conn)
        })
    })
    .await;
    match joined {
        Ok(result) => result.map_err(Failure::into_store_error),
        Err(join_error) => Err(StoreError::unavailable(join_error)),
    }
}

fn build_pool(config: &DieselConfig, manager: Manager, max_size: u32, min_idle: Option<u32>) -> StoreResult<Pool> {
    r2d2::Pool::builder()
        .max_size(max_size)
        .min_idle(min_idle)
        .connection_timeout(nonzero(config.connection_timeout))
        .idle_timeout(config.idle_timeout)
        .max_lifetime(config.max_lifetime)
        .test_on_check_out(config.test_on_check_out)
        .error_handler(Box::new(TracingErrors))
        .build(manager)
        .map_err(StoreError::unavailable)
}

/// r2d2 refuses a zero timeout (it panics).
fn nonzero(timeout: Duration) -> Duration {
    timeout.max(Duration::from_millis(1))
}

fn migrate(pool: &Pool) -> Result<(), StoreError> {
    let mut conn = pool.get().map_err(StoreError::unavailable)?;
    let applied = migrations::run_pending(&mut conn).map_err(StoreError::Unavailable)?;
    if !applied.is_empty() {
        tracing::info!(migrations = ?applied, "database migrated");
    }
    let keyed = crate::accounts::key_customers(&mut conn).map_err(Failure::into_store_error)?;
    if keyed > 0 {
        tracing::info!(customers = keyed, "customers keyed for the directory");
    }
    Ok(())
}
