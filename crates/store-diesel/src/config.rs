//! The store's configuration and the choice of backend from the database URL.

use std::path::PathBuf;
use std::time::Duration;

/// The database behind a [`DieselStore`](crate::DieselStore).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Backend {
    /// An embedded SQLite file.
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

impl Backend {
    /// `sqlite` or `postgres`, for logs and metrics labels.
    pub const fn as_str(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

impl std::fmt::Display for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How to reach the database and how to size the pools.
///
/// The defaults suit a 2-core machine: a few connections keep both cores busy, and more only
/// queue inside the database. Build one with [`DieselConfig::new`] and override fields:
///
/// ```
/// use std::time::Duration;
/// use supportdesk_store_diesel::DieselConfig;
///
/// let config = DieselConfig {
///     max_connections: 4,
///     connection_timeout: Duration::from_secs(2),
///     ..DieselConfig::new("sqlite://data/supportdesk.db")
/// };
/// assert_eq!(config.max_connections, 4);
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct DieselConfig {
    /// `postgres://…` / `postgresql://…` for PostgreSQL; `sqlite://path`, `sqlite:path` or a
    /// plain file path for SQLite (the file and its folder are created on first start).
    pub database_url: String,
    /// Connections of the read pool. On PostgreSQL the one pool serves reads and writes; on
    /// SQLite writes have their own pool of exactly one connection (SQLite has one writer).
    /// Keep it below tokio's blocking-thread cap (512), which it is by far.
    pub max_connections: u32,
    /// Idle connections kept open; `None` keeps `max_connections` open.
    pub min_idle: Option<u32>,
    /// How long a call waits for a free connection before it fails as unavailable.
    pub connection_timeout: Duration,
    /// SQLite: how long a statement waits for a lock held by another process.
    pub busy_timeout: Duration,
    /// PostgreSQL: the server cancels a statement running longer than this (`None`: never).
    pub statement_timeout: Option<Duration>,
    /// Closes connections idle for this long (`None`: never).
    pub idle_timeout: Option<Duration>,
    /// Replaces connections older than this (`None`: never).
    pub max_lifetime: Option<Duration>,
    /// Checks a connection with a round trip before every use. Off by default: a broken
    /// connection fails one call and is then discarded, which costs less than a ping per
    /// call.
    pub test_on_check_out: bool,
    /// SQLite: run short reads (lookups by key, a ticket view, a one-status queue page) on
    /// the calling async thread when a reader is free, instead of hopping to the blocking
    /// pool (`docs/storage.md`). `false` keeps every call on the blocking pool.
    pub inline_sqlite_reads: bool,
}

impl DieselConfig {
    /// The defaults for `database_url`.
    pub fn new(database_url: impl Into<String>) -> Self {
        Self { database_url: database_url.into(), ..Self::default() }
    }

    /// The backend the URL names, and what to connect to.
    pub(crate) fn target(&self) -> Result<Target, String> {
        Target::parse(&self.database_url)
    }
}

impl Default for DieselConfig {
    /// `sqlite://supportdesk.db` in the working directory, 8 readers, 5 s timeouts.
    fn default() -> Self {
        Self {
            database_url: "sqlite://supportdesk.db".to_owned(),
            max_connections: 8,
            min_idle: None,
            connection_timeout: Duration::from_secs(5),
            busy_timeout: Duration::from_secs(5),
            statement_timeout: Some(Duration::from_secs(30)),
            idle_timeout: Some(Duration::from_secs(10 * 60)),
            max_lifetime: Some(Duration::from_secs(30 * 60)),
            test_on_check_out: false,
            inline_sqlite_reads: true,
        }
    }
}

impl std::fmt::Debug for DieselConfig {
    // The URL may carry a password: only the backend is shown.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let backend = self.target().map(|t| t.backend().as_str()).unwrap_or("invalid");
        f.debug_struct("DieselConfig")
            .field("database_url", &format_args!("[{backend} url redacted]"))
            .field("max_connections", &self.max_connections)
            .field("min_idle", &self.min_idle)
            .field("connection_timeout", &self.connection_timeout)
            .field("busy_timeout", &self.busy_timeout)
            .field("statement_timeout", &self.statement_timeout)
            .field("idle_timeout", &self.idle_timeout)
            .field("max_lifetime", &self.max_lifetime)
            .field("test_on_check_out", &self.test_on_check_out)
            .field("inline_sqlite_reads", &self.inline_sqlite_reads)
            .finish()
    }
}

/// What the URL names: a SQLite file or a PostgreSQL URL.
#[derive(Clone, PartialEq, Eq)]
pub(crate) enum Target {
    Sqlite(PathBuf),
    Postgres(String),
}

impl Target {
    pub(crate) fn parse(url: &str) -> Result<Self, String> {
        let url = url.trim();
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Target::Postgres(url.to_owned()));
        }
        let path = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")).unwrap_or(url);
        if path.is_empty() {
            return Err("the SQLite database URL names no file".to_owned());
        }
        if path == ":memory:" || path.starts_with("file:") {
            // Each pooled connection would open its own private in-memory database; the
            // memory store is the in-memory option.
            return Err("in-memory and URI SQLite databases are not supported: name a file".to_owned());
        }
        if let Some((scheme, _)) = url.split_once("://") {
            if scheme != "sqlite" {
                return Err(format!("unsupported database URL scheme `{scheme}`: use postgres:// or sqlite://"));
            }
        }
        Ok(Target::Sqlite(PathBuf::from(path)))
    }

    pub(crate) fn backend(&self) -> Backend {
        match self {
            Target::Sqlite(_) => Backend::Sqlite,
            Target::Postgres(_) => Backend::Postgres,
        }
    }
}

impl std::fmt::Debug for Target {
    // A PostgreSQL URL may carry a password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Target::Sqlite(path) => f.debug_tuple("Sqlite").field(path).finish(),
            Target::Postgres(_) => f.write_str("Postgres([redacted])"),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn postgres_urls_choose_postgres() {
        for url in ["postgres://u@h/db", "postgresql://u:p@h:5432/db?sslmode=disable"] {
            assert_eq!(Target::parse(url).unwrap(), Target::Postgres(url.to_owned()));
        }
    }

    #[test]
    fn sqlite_urls_and_plain_paths_choose_sqlite() {
        let cases = [
            ("sqlite://data/sd.db", "data/sd.db"),
            ("sqlite:///var/lib/sd.db", "/var/lib/sd.db"),
            ("sqlite:data/sd.db", "data/sd.db"),
            ("data/sd.db", "data/sd.db"),
            ("/tmp/x.sqlite", "/tmp/x.sqlite"),
        ];
        for (url, path) in cases {
            assert_eq!(Target::parse(url).unwrap(), Target::Sqlite(PathBuf::from(path)), "{url}");
        }
    }

    #[test]
    fn other_schemes_memory_and_empty_paths_are_refused() {
        for url in ["mysql://h/db", "sqlite://", "sqlite:", "", ":memory:", "sqlite::memory:", "file:x.db"] {
            assert!(Target::parse(url).is_err(), "{url}");
        }
    }

    #[test]
    fn debug_never_shows_the_url() {
        let config = DieselConfig::new("postgres://user:secret@db/sd");
        let printed = format!("{config:?}");
        assert!(!printed.contains("secret"), "{printed}");
        assert!(printed.contains("postgres url redacted"));
    }
}
