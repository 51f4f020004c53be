//! The floors that owe nothing to the service's design (issue 15). The database floor
//! (`floor_db`) replays the service's own statements through the service's own pool size,
//! so a choice that costs throughput (a hot counter row, a statement planned on every call)
//! lowers that floor with it and never shows as a miss. These do not:
//!
//! - `create` against the **raw floor**: a ticket row and a message row in one transaction,
//!   in two tables of their own with nothing but their keys (no counts, no search, no audit
//!   trail, no idempotency). On SQLite one connection (SQLite has one writer) in a fresh
//!   file beside the run's, WAL and `synchronous = NORMAL` as the service; statements
//!   prepared once. On PostgreSQL `pgbench -M prepared`, numbers from a sequence, as many
//!   clients as concurrent requests up to 16 (`performance.md` measured with 16; more
//!   backends than that only queue on two cores).
//! - `get` and `queue` against the **prepared floor** (PostgreSQL): the database floor's
//!   SQL for the ticket view and the queue page with its total (the service's statements),
//!   run by `pgbench -M prepared` with as many clients as the service has connections (8),
//!   so each is parsed and planned once per connection.
//!
//! pgbench logs every transaction's latency (`--log`), which gives the same percentiles as
//! the other runs. Without pgbench on the machine the PostgreSQL runs say so and are left
//! out of the report.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::pg::Pg;
use diesel::prelude::*;

use crate::db::{Db, Role};
use crate::driver::{histogram, Outcome};
use crate::floor_db;
use crate::seed::{id_text, Dataset, TENANT};
use crate::BoxError;

diesel::table! {
    floor_raw_tickets (id) {
        id -> Text,
        tenant -> Text,
        number -> BigInt,
        subject -> Text,
        status -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    floor_raw_messages (id) {
        id -> Text,
        tenant -> Text,
        ticket_id -> Text,
        body -> Text,
        created_at -> Timestamp,
    }
}

/// The most pgbench clients of the raw create floor.
const RAW_CLIENTS: usize = 16;

const SUBJECT: &str = "My parcel never arrived";
const BODY: &str = "Hello, my parcel never arrived. It was due on Monday and the tracking page has not \
                    changed since Thursday. Could you tell me where it is, or send a new one? Thanks.";

/// Whether `pgbench` can be run.
pub fn pgbench_available() -> bool {
    Command::new("pgbench").arg("--version").output().is_ok_and(|out| out.status.success())
}

/// The raw create floor on SQLite: one connection, a ticket and a message a transaction.
///
/// # Errors
///
/// Database failures.
pub fn sqlite_create(dir: &Path, duration: Duration) -> Result<Outcome, BoxError> {
    let path = dir.join(format!("raw-floor-{}.db", std::process::id()));
    let result = sqlite_create_in(&path, duration);
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    result
}

fn sqlite_create_in(path: &Path, duration: Duration) -> Result<Outcome, BoxError> {
    let mut db = Db::open(&path.display().to_string(), Role::Writer)?;
    let Db::Sqlite(conn) = &mut db else { return Err("not a SQLite file".into()) };
    conn.batch_execute(
        "CREATE TABLE floor_raw_tickets (id TEXT PRIMARY KEY, tenant TEXT NOT NULL, number INTEGER NOT NULL, \
         subject TEXT NOT NULL, status TEXT NOT NULL, created_at TEXT NOT NULL);
         CREATE TABLE floor_raw_messages (id TEXT PRIMARY KEY, tenant TEXT NOT NULL, ticket_id TEXT NOT NULL, \
         body TEXT NOT NULL, created_at TEXT NOT NULL);",
    )?;
    let mut outcome =
        Outcome { histogram: histogram()?, ok: 0, errors: 0, elapsed: Duration::ZERO, samples: Vec::new() };
    let start = Instant::now();
    let mut number = 0_i64;
    while start.elapsed() < duration {
        let began = Instant::now();
        number += 1;
        let now = time::OffsetDateTime::now_utc();
        let created = time::PrimitiveDateTime::new(now.date(), now.time());
        let ticket = id_text(uuid::Uuid::now_v7());
        let written = conn.immediate_transaction(|c| {
            diesel::insert_into(floor_raw_tickets::table)
                .values((
                    floor_raw_tickets::id.eq(&ticket),
                    floor_raw_tickets::tenant.eq(TENANT),
                    floor_raw_tickets::number.eq(number),
                    floor_raw_tickets::subject.eq(SUBJECT),
                    floor_raw_tickets::status.eq("open"),
                    floor_raw_tickets::created_at.eq(created),
                ))
                .execute(c)?;
            diesel::insert_into(floor_raw_messages::table)
                .values((
                    floor_raw_messages::id.eq(id_text(uuid::Uuid::now_v7())),
                    floor_raw_messages::tenant.eq(TENANT),
                    floor_raw_messages::ticket_id.eq(&ticket),
                    floor_raw_messages::body.eq(BODY),
                    floor_raw_messages::created_at.eq(created),
                ))
                .execute(c)
        });
        let micros = u64::try_from(began.elapsed().as_micros()).unwrap_or(u64::MAX);
        outcome.histogram.saturating_record(micros.max(1));
        match written {
            Ok(_) => outcome.ok += 1,
            Err(error) => {
                outcome.errors += 1;
                if outcome.samples.len() < 3 {
                    outcome.samples.push(format!("raw create: {error}"));
                }
            }
        }
    }
    outcome.elapsed = start.elapsed();
    Ok(outcome)
}

/// The raw create floor on PostgreSQL: `pgbench -M prepared`, a sequence for the numbers.
///
/// # Errors
///
/// Database failures, or pgbench failing.
pub fn postgres_create(url: &str, dir: &Path, concurrency: usize, duration: Duration) -> Result<Outcome, BoxError> {
    let mut db = Db::open(url, Role::Writer)?;
    let Db::Pg(conn) = &mut db else { return Err("not a PostgreSQL URL".into()) };
    let setup = "CREATE TABLE floor_raw_tickets (id TEXT PRIMARY KEY DEFAULT gen_random_uuid()::text, \
         tenant TEXT NOT NULL, number BIGINT NOT NULL, subject TEXT NOT NULL, status TEXT NOT NULL, \
         created_at TIMESTAMP NOT NULL);
         CREATE TABLE floor_raw_messages (id TEXT PRIMARY KEY DEFAULT gen_random_uuid()::text, \
         tenant TEXT NOT NULL, ticket_id TEXT NOT NULL, body TEXT NOT NULL, created_at TIMESTAMP NOT NULL);
         CREATE SEQUENCE floor_raw_numbers;";
    let teardown =
        "DROP TABLE IF EXISTS floor_raw_tickets, floor_raw_messages; DROP SEQUENCE IF EXISTS floor_raw_numbers;";
    conn.batch_execute(teardown)?;
    conn.batch_execute(setup)?;
    let script = "BEGIN;\n\
        INSERT INTO floor_raw_tickets (tenant, number, subject, status, created_at) \
        VALUES (:tenant, nextval('floor_raw_numbers'), :subject, 'open', now()) RETURNING id \\gset\n\
        INSERT INTO floor_raw_messages (tenant, ticket_id, body, created_at) VALUES (:tenant, :id, :body, now());\n\
        END;\n";
    let defines = [("tenant", TENANT.to_owned()), ("subject", SUBJECT.to_owned()), ("body", BODY.to_owned())];
    let result = pgbench(url, dir, "raw-create", script, &defines, concurrency.min(RAW_CLIENTS), duration);
    conn.batch_execute(teardown)?;
    result
}

/// The prepared floor of `op` (`Get` or `Queue`) on PostgreSQL: the database floor's own
/// statements for it, run by `pgbench -M prepared`.
///
/// # Errors
///
/// An op without prepared statements, or pgbench failing.
pub fn postgres_prepared(
    url: &str,
    dir: &Path,
    data: &Dataset,
    op: floor_db::Op,
    concurrency: usize,
    duration: Duration,
) -> Result<Outcome, BoxError> {
    let statements = floor_db::statements(data, op)?;
    let mut script = String::new();
    let mut defines = Vec::new();
    for (index, (sql, binds)) in statements.iter().enumerate() {
        script.push_str(&as_pgbench(sql, &format!("s{index}p")));
        script.push_str(";\n");
        defines.extend(binds.iter().enumerate().map(|(n, value)| (format!("s{index}p{}", n + 1), value.clone())));
    }
    let defines: Vec<(&str, String)> = defines.iter().map(|(name, value)| (name.as_str(), value.clone())).collect();
    let clients = concurrency.min(floor_db::POOL_SIZE);
    pgbench(url, dir, &format!("prepared-{}", op.name()), &script, &defines, clients, duration)
}

/// SQL with `$n` placeholders as a pgbench script line with variables `:{prefix}n`.
fn as_pgbench(sql: &str, prefix: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '$' && chars.peek().is_some_and(char::is_ascii_digit) {
            out.push(':');
            out.push_str(prefix);
            while let Some(digit) = chars.next_if(char::is_ascii_digit) {
                out.push(digit);
            }
        } else if c == '\n' {
            out.push(' ');
        } else {
            out.push(c);
        }
    }
    out
}

/// Runs `script` with pgbench for `duration` and reads every transaction's latency from its
/// log.
fn pgbench(
    url: &str,
    dir: &Path,
    name: &str,
    script: &str,
    defines: &[(&str, String)],
    concurrency: usize,
    duration: Duration,
) -> Result<Outcome, BoxError> {
    let work = dir.join(format!("pgbench-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work)?;
    let script_path = work.join("script.sql");
    std::fs::write(&script_path, script)?;
    let seconds = duration.as_secs().max(1);
    let mut command = Command::new("pgbench");
    command
        .args(["--no-vacuum", "--protocol=prepared", "--log"])
        .arg(format!("--log-prefix={}", work.join("tx").display()))
        .arg(format!("--client={concurrency}"))
        .arg(format!("--jobs={}", concurrency.min(2)))
        .arg(format!("--time={seconds}"))
        .arg(format!("--file={}", script_path.display()));
    for (name, value) in defines {
        command.arg(format!("--define={name}={value}"));
    }
    command.arg(url);
    let output = command.output()?;
    let result = if output.status.success() {
        read_logs(&work, seconds)
    } else {
        Err(format!("pgbench {name} failed: {}", String::from_utf8_lossy(&output.stderr).trim()).into())
    };
    let _ = std::fs::remove_dir_all(&work);
    result
}

/// The transactions of pgbench's logs (`client transaction latency_us script epoch us`).
fn read_logs(work: &Path, seconds: u64) -> Result<Outcome, BoxError> {
    let mut outcome = Outcome {
        histogram: histogram()?,
        ok: 0,
        errors: 0,
        elapsed: Duration::from_secs(seconds),
        samples: Vec::new(),
    };
    let logs: Vec<PathBuf> = std::fs::read_dir(work)?
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.file_name().is_some_and(|name| name.to_string_lossy().starts_with("tx")))
        .collect();
    for log in logs {
        for line in std::fs::read_to_string(&log)?.lines() {
            match line.split_whitespace().nth(2).and_then(|latency| latency.parse::<u64>().ok()) {
                Some(micros) => {
                    outcome.histogram.saturating_record(micros.max(1));
                    outcome.ok += 1;
                }
                // pgbench writes `failed` or `skipped` for a transaction that did not run.
                None => outcome.errors += 1,
            }
        }
    }
    if outcome.ok == 0 {
        return Err("pgbench logged no transaction".into());
    }
    Ok(outcome)
}

/// The SQL of `query` as PostgreSQL receives it, without its binds.
pub fn pg_sql<Q: diesel::query_builder::QueryFragment<Pg>>(query: &Q) -> String {
    let text = diesel::debug_query::<Pg, _>(query).to_string();
    text.split(" -- binds: ").next().unwrap_or_default().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_become_pgbench_variables() {
        let sql = "SELECT a FROM t WHERE b = $1 AND c = $2\nAND d = $10";
        assert_eq!(as_pgbench(sql, "s0p"), "SELECT a FROM t WHERE b = :s0p1 AND c = :s0p2 AND d = :s0p10");
    }
}
