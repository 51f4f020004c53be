//! The schema migrations, embedded in the binary: one folder per backend
//! (`migrations/sqlite`, `migrations/postgres`), the same schema in each dialect.

use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use diesel::SqliteConnection;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use crate::db::DbConnection;

const SQLITE: EmbeddedMigrations = embed_migrations!("../../migrations/sqlite");
const POSTGRES: EmbeddedMigrations = embed_migrations!("../../migrations/postgres");

/// The key of the PostgreSQL advisory lock that lets one process migrate at a time.
const MIGRATION_LOCK: i64 = 0x5D_4D16_0001;

type MigrationError = Box<dyn std::error::Error + Send + Sync>;

/// Applies the pending migrations; returns the versions applied (none on a migrated
/// database). Safe when several processes start at once: SQLite migrates under its write
/// lock, PostgreSQL under an advisory lock, and the second one finds nothing pending.
pub(crate) fn run_pending(conn: &mut DbConnection) -> Result<Vec<String>, MigrationError> {
    match conn {
        DbConnection::Sqlite(c) => c.immediate_transaction(|c: &mut SqliteConnection| applied(c, SQLITE)),
        DbConnection::Pg(c) => {
            // A pooled connection carries the configured statement_timeout; a migration
            // (an index built on a large table) may rightly take longer.
            let timeout: String = diesel::select(sql::<Text>("current_setting('statement_timeout')")).get_result(c)?;
            diesel::sql_query("SET statement_timeout = 0").execute(c)?;
            diesel::sql_query("SELECT pg_advisory_lock($1)").bind::<BigInt, _>(MIGRATION_LOCK).execute(c)?;
            let result = applied(c, POSTGRES);
            let unlocked =
                diesel::sql_query("SELECT pg_advisory_unlock($1)").bind::<BigInt, _>(MIGRATION_LOCK).execute(c);
            let restored = diesel::sql_query("SELECT set_config('statement_timeout', $1, false)")
                .bind::<Text, _>(timeout)
                .execute(c);
            let versions = result?;
            unlocked?;
            restored?;
            Ok(versions)
        }
    }
}

fn applied<C>(conn: &mut C, migrations: EmbeddedMigrations) -> Result<Vec<String>, MigrationError>
where
    C: MigrationHarness<C::Backend> + Connection,
{
    let versions = conn.run_pending_migrations(migrations)?;
    Ok(versions.iter().map(ToString::to_string).collect())
}
