//! `make crash-test`: the release `supportdesk` under load from 16 workers that open tickets
//! and reply with `Idempotency-Key`s, SIGKILLed at random moments and restarted on the same
//! database; every request without an answer is retried with the same key and body until
//! answered. Afterwards every request answered 201 must exist exactly once, ticket numbers
//! must be unique and follow creation order, every audit trail must match its messages,
//! every status's queue total must match the tickets in it, and the SQLite file must pass
//! `PRAGMA integrity_check`. Two webhook endpoints on a receiver in this process are
//! subscribed to every event: each event must be in the change feed once and reach both
//! endpoints at least once, a repeat with the same `webhook-id` (`outbox.rs`).
//!
//! On SQLite always; on PostgreSQL too when `CRASH_POSTGRES_URL` (or `TEST_POSTGRES_URL`)
//! names a server: a fresh database, two server processes on it, killed in turn.
//! `docs/reliability.md` describes the run and its output.

#![expect(clippy::print_stdout, reason = "a command-line tool: the summary goes to standard output")]

mod db;
mod load;
mod outbox;
mod server;
mod tokens;
mod verify;

use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use rand::{Rng, SeedableRng};
use supportdesk_testsupport::database::ScratchPg;
use uuid::Uuid;

use crate::load::{Ctx, Journal, Stats};
use crate::server::{Launch, Slot};

/// Errors of the run itself (not findings).
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Command line; every flag also reads an environment variable.
#[derive(Debug, Parser)]
#[command(
    name = "supportdesk-crash",
    about = "SIGKILL the supportdesk server under load; check nothing answered is lost"
)]
struct Args {
    /// Seconds of load per backend (kills happen inside them; start-up and checks add ~10 s).
    #[arg(long, env = "CRASH_SECONDS", default_value_t = 60)]
    seconds: u64,
    /// Concurrent workers.
    #[arg(long, env = "CRASH_WORKERS", default_value_t = 16)]
    workers: usize,
    /// SIGKILLs per backend.
    #[arg(long, env = "CRASH_KILLS", default_value_t = 5)]
    kills: usize,
    /// Seed of the kill moments and the workload (random when absent; printed).
    #[arg(long, env = "CRASH_SEED")]
    seed: Option<u64>,
    /// Backends: `sqlite`, `postgres`, or `all` (the default: SQLite, and PostgreSQL when a
    /// URL is set).
    #[arg(long, env = "CRASH_BACKENDS", default_value = "all")]
    backends: String,
    /// Maintenance URL of a PostgreSQL server (a database is created and dropped on it);
    /// `TEST_POSTGRES_URL` when unset.
    #[arg(long, env = "CRASH_POSTGRES_URL")]
    postgres_url: Option<String>,
    /// Check the checks: send no `Idempotency-Key`, so that retries of requests whose answer
    /// was lost create duplicates, which the run must then report (and fail).
    #[arg(long, env = "CRASH_WITHOUT_KEYS")]
    without_keys: bool,
    /// The `supportdesk` binary; by default the one next to this binary.
    #[arg(long, env = "CRASH_SERVER_BIN")]
    server: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

fn main() -> std::process::ExitCode {
    let args = Args::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("crash-test: no runtime: {error}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(args)) {
        Ok(true) => std::process::ExitCode::SUCCESS,
        Ok(false) => std::process::ExitCode::FAILURE,
        Err(error) => {
            eprintln!("crash-test: {error}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<bool, BoxError> {
    let binary = match &args.server {
        Some(path) => path.clone(),
        None => server::sibling_binary()?,
    };
    let postgres_url = args.postgres_url.clone().or_else(|| std::env::var("TEST_POSTGRES_URL").ok());
    let backends = match args.backends.as_str() {
        "sqlite" => vec![Backend::Sqlite],
        "postgres" => vec![Backend::Postgres],
        "all" => {
            if postgres_url.is_none() {
                eprintln!("crash-test: SKIPPED PostgreSQL: neither CRASH_POSTGRES_URL nor TEST_POSTGRES_URL is set");
            }
            let mut all = vec![Backend::Sqlite];
            all.extend(postgres_url.as_ref().map(|_| Backend::Postgres));
            all
        }
        other => return Err(format!("CRASH_BACKENDS: unknown {other:?} (sqlite, postgres or all)").into()),
    };
    let seed = args.seed.unwrap_or_else(|| rand::thread_rng().gen());
    println!(
        "crash-test: {} workers, {} kills, {} s of load per backend, seed {seed} (CRASH_SEED={seed} repeats the plan)",
        args.workers, args.kills, args.seconds
    );
    if args.without_keys {
        println!("crash-test: WITHOUT Idempotency-Key: this run checks the checks, and must find duplicates");
    }
    let mut passed = true;
    for backend in backends {
        let url = match backend {
            Backend::Postgres => postgres_url.as_deref().ok_or("CRASH_POSTGRES_URL or TEST_POSTGRES_URL is not set")?,
            Backend::Sqlite => "",
        };
        passed &= run_backend(&args, backend, &binary, url, seed).await?;
    }
    Ok(passed)
}

/// When to kill, as offsets into the load: one random moment in each of `kills` equal
/// spans of the middle 90 % of it, so kills are random and never pile up.
fn kill_plan(kills: usize, load: Duration, seed: u64) -> Vec<Duration> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let start = load.as_secs_f64() * 0.05;
    let span = load.as_secs_f64() * 0.90 / kills.max(1) as f64;
    (0..kills).map(|k| Duration::from_secs_f64(start + span * (k as f64 + rng.gen_range(0.1..0.9)))).collect()
}

async fn run_backend(
    args: &Args,
    backend: Backend,
    binary: &std::path::Path,
    pg_url: &str,
    seed: u64,
) -> Result<bool, BoxError> {
    let name = backend.name();
    let began = Instant::now();
    let secret = format!("crash-test-secret-{}", Uuid::new_v4().simple());
    let sqlite_dir = tempfile::tempdir()?;
    let sqlite_path = sqlite_dir.path().join("crash.db");
    let pg = match backend {
        Backend::Postgres => Some(ScratchPg::unique(pg_url, "sd_crash")?),
        Backend::Sqlite => None,
    };
    let database_url = match &pg {
        Some(pg) => pg.url.clone(),
        None => format!("sqlite://{}", sqlite_path.display()),
    };
    let launch = Launch { binary: binary.to_owned(), database_url, secret: secret.clone() };
    let servers = if backend == Backend::Postgres { 2 } else { 1 };
    let mut slots = Vec::new();
    for index in 0..servers {
        let slot_name = format!("{name} server {}", char::from(b'A' + index as u8));
        let launch = launch.clone();
        slots.push(Arc::new(tokio::task::spawn_blocking(move || Slot::start(&slot_name, launch)).await??));
    }
    let customers = (0..args.workers)
        .map(|i| tokens::mint(&secret, Uuid::new_v4(), "customer", &format!("Crash Customer {i}")))
        .collect::<Result<Vec<_>, _>>()?;
    let http = reqwest::Client::builder().timeout(Duration::from_secs(5)).pool_max_idle_per_host(64).build()?;
    // A staff token stands for a live account, so the admin logs in as the bootstrap admin.
    let first = slots.first().and_then(|slot| slot.base()).ok_or("no server is up")?;
    let admin = tokens::log_in_admin(&http, &first).await?;
    let receiver = supportdesk_testsupport::webhook_receiver::WebhookReceiver::start()?;
    outbox::subscribe(&http, &first, &admin, &receiver).await?;
    let load = Duration::from_secs(args.seconds.max(5));
    let epoch = Instant::now();
    let ctx = Arc::new(Ctx {
        slots: slots.clone(),
        customers,
        admin: admin.clone(),
        http: http.clone(),
        stats: Stats::default(),
        epoch,
        load_end: epoch + load,
        give_up: epoch + load + Duration::from_secs(60),
        idempotency_keys: !args.without_keys,
        server_error_samples: std::sync::Mutex::new(Vec::new()),
    });

    // The killer: SIGKILL at each planned moment, servers in turn, restart at once.
    let plan = kill_plan(args.kills, load, seed);
    let killer_slots = slots.clone();
    let killer = tokio::spawn(async move {
        let mut downtimes = Vec::new();
        for (k, at) in plan.into_iter().enumerate() {
            tokio::time::sleep_until((epoch + at).into()).await;
            let slot = killer_slots[k % killer_slots.len()].clone();
            let moment = epoch.elapsed();
            let down =
                tokio::task::spawn_blocking(move || slot.kill_and_restart().map(|d| (slot.name.clone(), d))).await??;
            println!(
                "crash-test {}: SIGKILL {} at {:.1} s, back in {} ms",
                name,
                down.0,
                moment.as_secs_f64(),
                down.1.as_millis()
            );
            downtimes.push(down.1);
        }
        Ok::<_, BoxError>(downtimes)
    });
    let workers: Vec<_> =
        (0..args.workers).map(|w| tokio::spawn(load::worker(ctx.clone(), w, seed.wrapping_add(w as u64)))).collect();
    let mut journal = Journal::default();
    for worker in workers {
        let part = worker.await?;
        journal.created.extend(part.created);
        journal.replied.extend(part.replied);
        journal.unexpected.extend(part.unexpected);
        journal.unanswered.extend(part.unanswered);
    }
    let downtimes = killer.await??;

    let base = slots.iter().find_map(|slot| slot.base()).ok_or("no server is up after the load")?;
    let findings =
        verify::verify(http.clone(), base.clone(), admin.clone(), &journal.created, &journal.replied).await?;
    // A delivery claimed by a killed server waits for its lease (36 s): more patience than that.
    let outbox =
        outbox::verify(&http, &base, &admin, &receiver, &journal.created, &journal.replied, Duration::from_secs(60))
            .await?;
    drop(receiver);

    let panics: u64 = slots.iter().map(|s| s.output.panics.load(Ordering::Relaxed)).sum();
    let error_lines: u64 = slots.iter().map(|s| s.output.errors.load(Ordering::Relaxed)).sum();
    for slot in &slots {
        let slot = slot.clone();
        tokio::task::spawn_blocking(move || slot.stop()).await?;
    }
    let integrity = match backend {
        Backend::Sqlite => {
            let path = sqlite_path.display().to_string();
            tokio::task::spawn_blocking(move || db::sqlite_integrity(&path)).await??
        }
        Backend::Postgres => Ok(()),
    };

    let stats = &ctx.stats;
    let answered = journal.created.len() + journal.replied.len();
    let lost = findings.lost.len() + journal.unanswered.len();
    let duplicated = findings.duplicated.len();
    println!(
        "crash-test {name}: {} tickets and {} replies answered 201 (of {} attempts: {} connection errors, {} timeouts, {} 5xx; \
         {} requests retried, {} answers replayed); {} kills, down {} ms on average; database holds {} tickets, {} messages",
        journal.created.len(),
        journal.replied.len(),
        stats.attempts.load(Ordering::Relaxed),
        stats.connection_errors.load(Ordering::Relaxed),
        stats.timeouts.load(Ordering::Relaxed),
        stats.server_errors.load(Ordering::Relaxed),
        stats.retried.load(Ordering::Relaxed),
        stats.replayed.load(Ordering::Relaxed),
        downtimes.len(),
        downtimes.iter().map(Duration::as_millis).sum::<u128>() / downtimes.len().max(1) as u128,
        findings.tickets_seen,
        findings.messages_seen,
    );
    println!(
        "crash-test {name}: outbox: {} events in the feed ({} repeated, {} missing); {} deliveries to {} endpoints \
         ({} repeats, same webhook-id), {} events undelivered, {} malformed; caught up {:.1} s after the load",
        outbox.events,
        outbox.feed_repeats.len(),
        outbox.feed_missing.len(),
        outbox.deliveries,
        outbox::ENDPOINTS.len(),
        outbox.repeats,
        outbox.undelivered.len(),
        outbox.malformed.len(),
        outbox.drained_in.as_secs_f64(),
    );
    let mut problems: Vec<String> = Vec::new();
    problems.extend(journal.unanswered.iter().map(|p| format!("never answered: {p}")));
    problems.extend(journal.unexpected.iter().map(|p| format!("unexpected answer: {p}")));
    problems.extend(findings.lost.iter().map(|p| format!("lost: {p}")));
    problems.extend(findings.duplicated.iter().map(|p| format!("duplicated: {p}")));
    problems.extend(findings.numbering.iter().map(|p| format!("numbering: {p}")));
    problems.extend(findings.audit.iter().map(|p| format!("audit: {p}")));
    problems.extend(findings.counts.iter().map(|p| format!("counts: {p}")));
    problems.extend(outbox.feed_repeats.iter().map(|p| format!("feed: {p}")));
    problems.extend(outbox.feed_missing.iter().map(|p| format!("feed: missing {p}")));
    problems.extend(outbox.undelivered.iter().map(|p| format!("webhooks: {p}")));
    problems.extend(outbox.malformed.iter().map(|p| format!("webhooks: {p}")));
    if let Err(integrity) = &integrity {
        problems.push(format!("integrity: {integrity}"));
    }
    if panics > 0 {
        problems.push(format!("the server panicked {panics} times"));
    }
    if downtimes.len() != args.kills {
        problems.push(format!("{} kills of {} planned", downtimes.len(), args.kills));
    }
    if let Ok(samples) = ctx.server_error_samples.lock() {
        for sample in samples.iter() {
            eprintln!("crash-test {name}: 5xx while retrying (logged {error_lines} ERROR lines): {sample}");
        }
    }
    for problem in problems.iter().take(40) {
        eprintln!("crash-test {name}: VIOLATION {problem}");
    }
    if problems.len() > 40 {
        eprintln!("crash-test {name}: ... and {} more", problems.len() - 40);
    }
    let integrity_word = match (backend, &integrity) {
        (Backend::Postgres, _) => "integrity n/a".to_owned(),
        (Backend::Sqlite, Ok(())) => "integrity ok".to_owned(),
        (Backend::Sqlite, Err(_)) => "integrity FAILED".to_owned(),
    };
    println!(
        "crash-test {name}: {answered} requests answered, {} kills, {lost} lost, {duplicated} duplicated, \
         {} numbering, {} audit, {} counts, {integrity_word} -> {} in {:.0} s",
        downtimes.len(),
        findings.numbering.len(),
        findings.audit.len(),
        findings.counts.len(),
        if problems.is_empty() { "PASS" } else { "FAIL" },
        began.elapsed().as_secs_f64(),
    );
    if !problems.is_empty() && backend == Backend::Sqlite {
        let kept = sqlite_dir.keep();
        eprintln!("crash-test {name}: the database is kept for inspection at {}", kept.display());
    }
    Ok(problems.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kills_are_spread_over_the_load() {
        let plan = kill_plan(5, Duration::from_secs(60), 7);
        assert_eq!(plan.len(), 5);
        assert!(plan.windows(2).all(|pair| pair[1] > pair[0] + Duration::from_secs(1)), "{plan:?}");
        assert!(plan.iter().all(|at| *at > Duration::from_secs(3) && *at < Duration::from_secs(57)), "{plan:?}");
    }
}
