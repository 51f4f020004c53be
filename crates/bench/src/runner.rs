//! The whole bench, in order, for each backend (SQLite, then PostgreSQL when
//! `BENCH_POSTGRES_URL` is set):
//!
//! 1. **Writes database**: a fresh database with the base dataset (10,000 tickets); the
//!    server on it; `create`, both replies and `mixed` at concurrency 1 and 32; the server
//!    stopped; the database floor of `create` on the same database.
//! 2. **Reads database**: a fresh database with the same base dataset; the server on it;
//!    `get`, the three queues and `mine`, with the database floors of `get` and `queue`;
//!    then, for the scale runs, the server stopped, the dataset grown with older tickets to
//!    100,000 and 1,000,000, the server started again, and `get` and `queue` with their
//!    floors again at each size.
//!
//! Writes and reads use separate databases so the tickets the write scenarios open (all of
//! them new and open) do not change what the read and scale runs find. Then the HTTP floor
//! serves the bytes captured from the service, driven the same way.
//!
//! Settings come from the environment: `BENCH_QUICK=1` (10,000 tickets only, ~2 s a run),
//! `BENCH_POSTGRES_URL`, and for development `BENCH_SECONDS`, `BENCH_SCALE` (comma list of
//! sizes), `BENCH_SQLITE=0`, `BENCH_SERVER` (the server binary), `BENCH_OUT`, `BENCH_DOCS`,
//! `BENCH_COMMAND` (the command written into the report), `BENCH_ONLY` (a comma list of
//! scenario names: only those run), `BENCH_KEEP=1` (keep the databases, to study their
//! query plans).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::db::{Backend, Db, Role};
use crate::driver::{self, Plan, Request};
use crate::floor_db::{self, Op};
use crate::floor_raw;
use crate::outbox;
use crate::process::{self, Server};
use crate::report::{thousands, Machine, Report, Run, SearchIndexSize, Seeding, ServerMemory, Subject};
use crate::scenarios::{create_body, Actors, DeepPage, FeedPages, Kind, Scenario, ALL_TICKETS, CURSOR_DEEP};
use crate::seed::Dataset;
use crate::tokens::Minter;
use crate::BoxError;
use supportdesk_testsupport::database::ScratchPg;
use supportdesk_testsupport::webhook_receiver::WebhookReceiver;

/// The shared secret the bench starts the server with (and mints tokens with).
const SECRET: &str = "supportdesk-bench-only-secret-0123456789abcdef";

/// The concurrency of the latency runs and of the throughput runs.
const CONCURRENCY: [usize; 2] = [1, 32];

/// The name of the webhook measurements (`BENCH_ONLY=webhook fan-out`).
pub const WEBHOOK_FAN_OUT: &str = "webhook fan-out";

/// The create runs with two endpoints subscribed.
pub const CREATE_WITH_WEBHOOKS: &str = "create (2 webhooks)";

/// The feed scenario: a page of 100 events after a random cursor.
pub const FEED: &str = "feed";

/// The size of the base dataset.
const BASE: u64 = 10_000;

/// The run's settings.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Short runs, 10,000 tickets only.
    pub quick: bool,
    /// PostgreSQL server to create scratch databases on.
    pub postgres_url: Option<String>,
    /// Whether to run SQLite.
    pub sqlite: bool,
    /// Dataset sizes of the scale runs, ascending; the first is the base.
    pub sizes: Vec<u64>,
    /// Warm-up before each measured run.
    pub warmup: Duration,
    /// Measured time of each HTTP run.
    pub duration: Duration,
    /// Measured time of each database floor run.
    pub db_duration: Duration,
    /// A request slower than this is an error.
    pub timeout: Duration,
    /// Where the JSON report and the SQLite files go.
    pub out_dir: PathBuf,
    /// The markdown file the results section is written into.
    pub docs: PathBuf,
    /// The server binary.
    pub server: PathBuf,
    /// This binary (for the floor server).
    pub me: PathBuf,
    /// The command to write into the report.
    pub command: String,
    /// Only the scenarios with these names (`BENCH_ONLY`, for development; empty: all).
    pub only: Vec<String>,
    /// Keep the databases after the run (`BENCH_KEEP=1`), to look at their plans.
    pub keep: bool,
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

fn truthy(name: &str) -> bool {
    env(name).is_some_and(|v| !matches!(v.to_ascii_lowercase().as_str(), "0" | "false" | "no" | "off"))
}

impl Settings {
    /// From the environment.
    ///
    /// # Errors
    ///
    /// Unparsable values, or no server binary next to this one.
    pub fn from_env() -> Result<Self, BoxError> {
        let quick = truthy("BENCH_QUICK");
        let me = std::env::current_exe()?;
        let server = match env("BENCH_SERVER") {
            Some(path) => PathBuf::from(path),
            None => me.with_file_name("supportdesk"),
        };
        if !server.exists() {
            return Err(format!(
                "no server binary at {} (build it with `cargo build --release -p supportdesk`, or set BENCH_SERVER)",
                server.display()
            )
            .into());
        }
        let sizes = match env("BENCH_SCALE") {
            Some(list) => {
                let mut sizes =
                    list.split(',').map(|s| s.trim().replace('_', "").parse::<u64>()).collect::<Result<Vec<_>, _>>()?;
                sizes.retain(|s| *s >= BASE);
                sizes.push(BASE);
                sizes.sort_unstable();
                sizes.dedup();
                sizes
            }
            None if quick => vec![BASE],
            None => vec![BASE, 100_000, 1_000_000],
        };
        let seconds = match env("BENCH_SECONDS") {
            Some(s) => s.parse::<f64>()?,
            None if quick => 2.0,
            None => 5.0,
        };
        let duration = Duration::from_secs_f64(seconds.max(0.2));
        let command = env("BENCH_COMMAND").unwrap_or_else(|| {
            let mut c = String::new();
            if quick {
                c.push_str("BENCH_QUICK=1 ");
            }
            if env("BENCH_POSTGRES_URL").is_some() {
                c.push_str("BENCH_POSTGRES_URL=... ");
            }
            c.push_str("make bench");
            c
        });
        Ok(Self {
            quick,
            postgres_url: env("BENCH_POSTGRES_URL"),
            sqlite: env("BENCH_SQLITE").is_none_or(|_| truthy("BENCH_SQLITE")),
            sizes,
            warmup: Duration::from_secs_f64(if quick { 0.5 } else { 1.0 }),
            duration,
            db_duration: Duration::from_secs_f64((seconds * 0.75).max(0.2)),
            timeout: Duration::from_secs(10),
            out_dir: env("BENCH_OUT").map_or_else(|| PathBuf::from("target/bench"), PathBuf::from),
            docs: env("BENCH_DOCS").map_or_else(|| PathBuf::from("docs/benchmarks.md"), PathBuf::from),
            server,
            me,
            command,
            keep: truthy("BENCH_KEEP"),
            only: env("BENCH_ONLY")
                .map_or_else(Vec::new, |list| list.split(',').map(|s| s.trim().to_owned()).collect()),
        })
    }

    /// Whether scenario `name` runs.
    fn runs(&self, name: &str) -> bool {
        self.only.is_empty() || self.only.iter().any(|o| o == name)
    }

    fn largest(&self) -> u64 {
        self.sizes.last().copied().unwrap_or(BASE)
    }
}

/// Prints a progress line at once.
#[expect(clippy::print_stdout, reason = "progress of a command-line run")]
fn say(line: &str) {
    println!("{line}");
}

/// Everything a run needs on its way.
struct Bench {
    settings: Settings,
    runtime: tokio::runtime::Runtime,
    data: Arc<Dataset>,
    actors: Arc<Actors>,
    report: Report,
    /// Bodies captured from the service for the HTTP floor: get, queue, create.
    bodies: Vec<(&'static str, Vec<u8>)>,
}

/// Runs the bench and writes its report.
///
/// # Errors
///
/// Any failure to set up, seed, start or drive; a run's request errors are reported, not
/// returned.
pub fn run(settings: Settings) -> Result<(), BoxError> {
    let started = Instant::now();
    let threads = std::thread::available_parallelism().map_or(2, usize::from);
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(threads).enable_all().build()?;
    let data = Arc::new(Dataset::new(settings.largest(), BASE));
    let actors = Arc::new(Actors::new(&data, &Minter::new(SECRET.as_bytes()))?);
    let report = Report {
        started_at: time::OffsetDateTime::now_utc()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default(),
        command: settings.command.clone(),
        quick: settings.quick,
        run_seconds: settings.duration.as_secs_f64(),
        machine: Machine::detect(),
        wall_seconds: 0.0,
        seeding: Vec::new(),
        search_index: Vec::new(),
        runs: Vec::new(),
        memory: Vec::new(),
        ratios: Vec::new(),
        fan_out: Vec::new(),
        checks: Vec::new(),
    };
    std::fs::create_dir_all(&settings.out_dir)?;
    let mut bench = Bench { settings, runtime, data, actors, report, bodies: Vec::new() };
    let mut backends = Vec::new();
    if bench.settings.sqlite {
        backends.push(Backend::Sqlite);
    }
    if bench.settings.postgres_url.is_some() {
        backends.push(Backend::Postgres);
    }
    if backends.is_empty() {
        return Err("nothing to run: BENCH_SQLITE=0 and no BENCH_POSTGRES_URL".into());
    }
    say(&format!(
        "supportdesk bench: {} on {}, sizes {:?}, {:.1} s per run",
        if bench.settings.quick { "quick" } else { "full" },
        backends.iter().map(|b| b.title()).collect::<Vec<_>>().join(" and "),
        bench.settings.sizes,
        bench.settings.duration.as_secs_f64()
    ));
    for &backend in &backends {
        bench.backend(backend)?;
        if bench.report.runs.iter().all(|r| r.subject != Subject::HttpFloor) && bench.bodies.len() == 3 {
            bench.http_floor()?;
        }
    }
    bench.report.wall_seconds = started.elapsed().as_secs_f64();
    let largest = bench.settings.largest();
    bench.report.evaluate(BASE, largest, &backends);
    let json = bench.settings.out_dir.join("report.json");
    std::fs::write(&json, serde_json::to_vec_pretty(&bench.report)?)?;
    // A run of some scenarios only (`BENCH_ONLY`) writes its own section: it must not
    // replace a full or quick run's figures with a handful.
    let key = match (bench.settings.only.is_empty(), bench.settings.quick) {
        (false, _) => "partial",
        (true, true) => "quick",
        (true, false) => "full",
    };
    crate::report::write_section(&bench.settings.docs, key, &bench.report.markdown())?;
    say(&format!("\nreport: {} and {} (section `{key}`)", json.display(), bench.settings.docs.display()));
    for check in &bench.report.checks {
        say(&format!(
            "  {:<13} {} — {} (goal {})",
            check.verdict.mark().replace('*', ""),
            check.target,
            check.measured,
            check.goal
        ));
    }
    Ok(())
}

/// A database of the run: its URL, and what removes it afterwards.
struct Database {
    url: String,
    _scratch: Option<ScratchPg>,
    sqlite_dir: Option<PathBuf>,
    keep: bool,
}

impl Drop for Database {
    fn drop(&mut self) {
        if self.keep {
            say(&format!("kept the database {}", self.url));
            return;
        }
        if let Some(dir) = &self.sqlite_dir {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

impl Bench {
    fn database(&self, backend: Backend, purpose: &str) -> Result<Database, BoxError> {
        match backend {
            Backend::Sqlite => {
                // Per process: two benches at once must not share (or delete) each other's files.
                let name = format!("sqlite-{}-{purpose}", std::process::id());
                let dir = std::path::absolute(self.settings.out_dir.join(name))?;
                let _ = std::fs::remove_dir_all(&dir);
                std::fs::create_dir_all(&dir)?;
                let url = format!("sqlite://{}", dir.join("supportdesk.db").display());
                Ok(Database { url, _scratch: None, sqlite_dir: Some(dir), keep: self.settings.keep })
            }
            Backend::Postgres => {
                let admin = self.settings.postgres_url.as_deref().ok_or("no BENCH_POSTGRES_URL")?;
                let name = format!("supportdesk_bench_{}_{purpose}", std::process::id());
                let mut scratch = ScratchPg::create(admin, &name)?;
                scratch.keep = self.settings.keep;
                Ok(Database {
                    url: scratch.url.clone(),
                    _scratch: Some(scratch),
                    sqlite_dir: None,
                    keep: self.settings.keep,
                })
            }
        }
    }

    fn server_env(&self, url: &str) -> Vec<(&'static str, String)> {
        vec![
            ("SUPPORTDESK_DATABASE_URL", url.to_owned()),
            ("SUPPORTDESK_BIND", "127.0.0.1:0".to_owned()),
            ("SUPPORTDESK_JWT_SECRET", SECRET.to_owned()),
            // Warnings only, but the start-up line that names the address, which the
            // server logs at INFO from its own crate.
            (
                "SUPPORTDESK_LOG",
                "warn,supportdesk=info,supportdesk_http=warn,supportdesk_app=warn,supportdesk_store_diesel=warn,supportdesk_domain=warn".to_owned(),
            ),
            ("SUPPORTDESK_SHUTDOWN_TIMEOUT_SECS", "2".to_owned()),
            // The admin who subscribes the webhook endpoints, on the receiver on loopback.
            ("SUPPORTDESK_ADMIN_EMAIL", outbox::ADMIN_EMAIL.to_owned()),
            ("SUPPORTDESK_ADMIN_PASSWORD", outbox::ADMIN_PASSWORD.to_owned()),
            ("SUPPORTDESK_WEBHOOK_ALLOW_PRIVATE", "true".to_owned()),
        ]
    }

    /// Creates the schema with the server's own migrations, then seeds the base dataset.
    fn prepare(&mut self, backend: Backend, purpose: &str) -> Result<Database, BoxError> {
        let database = self.database(backend, purpose)?;
        process::run_to_end(
            &self.settings.server,
            &["migrate"],
            &self.server_env(&database.url),
            Duration::from_secs(120),
        )?;
        let mut db = Db::open(&database.url, Role::Seeder)?;
        if backend == Backend::Postgres && self.report.machine.postgres.is_none() {
            self.report.machine.postgres = postgres_version(&mut db);
        }
        let written = self.data.seed_base(&mut db)?;
        say(&format!(
            "{}: seeded the {purpose} database: {} tickets, {} messages, {} events in {:.1} s",
            backend.title(),
            thousands(written.tickets),
            thousands(written.messages),
            thousands(written.events),
            written.seconds
        ));
        self.report.seeding.push(Seeding { backend, database: purpose.to_owned(), tickets_after: BASE, written });
        Ok(database)
    }

    fn start(&self, backend: Backend, purpose: &str, url: &str) -> Result<(Server, f64), BoxError> {
        let name = format!("supportdesk ({}, {purpose})", backend.as_str());
        let server =
            Server::start(&name, &self.settings.server, &["serve"], &self.server_env(url), Duration::from_secs(60))?;
        // Idle: started, migrations checked, nothing asked yet.
        std::thread::sleep(Duration::from_millis(500));
        let idle = server.memory()?.rss_kib as f64 / 1024.0;
        let health = self.runtime.block_on(driver::fetch(
            server.addr,
            &Request { method: driver::Method::Get, path: "/health".into(), token: None, body: None, page: false },
        ))?;
        if health.status != 200 {
            return Err(format!("{name}: /health answered {}", health.status).into());
        }
        say(&format!("{name} listening on {} (pid {}), idle RSS {idle:.1} MiB", server.addr, server.pid));
        Ok((server, idle))
    }

    fn stop(&mut self, mut server: Server, backend: Option<Backend>, idle: f64) {
        let peak = server.memory().map(|m| m.peak_kib as f64 / 1024.0).unwrap_or(0.0);
        self.report.memory.push(ServerMemory {
            server: server.name.clone(),
            backend,
            idle_rss_mib: idle,
            peak_rss_mib: peak,
        });
        server.stop();
    }

    /// Sends one request and checks the answer is `expected`; returns the body.
    fn check(&self, server: &Server, request: &Request, expected: u16) -> Result<Vec<u8>, BoxError> {
        let response = self.runtime.block_on(driver::fetch(server.addr, request))?;
        if response.status != expected {
            return Err(format!(
                "{}: {} answered {} (expected {expected}): {}\nserver output:\n{}",
                server.name,
                request.path,
                response.status,
                String::from_utf8_lossy(&response.body),
                server.output()
            )
            .into());
        }
        Ok(response.body)
    }

    /// Drives `kind` against `server` at `concurrency`: a warm-up, then the measured run
    /// with the server's CPU time read around it.
    fn http_run(
        &mut self,
        server: &Server,
        subject: Subject,
        backend: Option<Backend>,
        kind: Kind,
        concurrency: usize,
        tickets: u64,
    ) -> Result<(), BoxError> {
        if !self.settings.runs(kind.name()) {
            return Ok(());
        }
        let workload = Arc::new(Scenario::new(kind, self.actors.clone(), self.data.clone()));
        self.drive(server, subject, backend, kind.name(), workload, concurrency, tickets)
    }

    /// Drives `workload` as run `name`: a warm-up, then the measured run with the server's
    /// CPU time read around it.
    #[expect(clippy::too_many_arguments, reason = "one run's coordinates")]
    fn drive(
        &mut self,
        server: &Server,
        subject: Subject,
        backend: Option<Backend>,
        name: &str,
        workload: Arc<dyn driver::Workload>,
        concurrency: usize,
        tickets: u64,
    ) -> Result<(), BoxError> {
        let seed = 0xBE9C_u64 ^ (concurrency as u64) << 8 ^ tickets;
        let warmup = Plan {
            concurrency,
            duration: self.settings.warmup,
            timeout: self.settings.timeout,
            seed: seed ^ 1,
            rate: None,
        };
        self.runtime.block_on(driver::run(server.addr, workload.clone(), warmup))?;
        let cpu_before = server.cpu_seconds()?;
        let plan =
            Plan { concurrency, duration: self.settings.duration, timeout: self.settings.timeout, seed, rate: None };
        let outcome = self.runtime.block_on(driver::run(server.addr, workload, plan))?;
        let cpu = server.cpu_seconds()? - cpu_before;
        let memory = server.memory()?;
        let mut run = Run::new(subject, backend, name, tickets, concurrency, &outcome);
        let requests = (outcome.ok + outcome.errors) as f64;
        run.cpu_s_per_1k = (requests > 0.0).then(|| cpu / requests * 1_000.0);
        run.rss_mib = Some(memory.rss_kib as f64 / 1024.0);
        run.peak_rss_mib = Some(memory.peak_kib as f64 / 1024.0);
        say(&run.line());
        for sample in &run.error_samples {
            say(&format!("    error: {sample}"));
        }
        self.report.runs.push(run);
        Ok(())
    }

    fn db_run(
        &mut self,
        backend: Backend,
        url: &str,
        op: Op,
        concurrency: usize,
        tickets: u64,
    ) -> Result<(), BoxError> {
        if !self.settings.runs(op.name()) {
            return Ok(());
        }
        // A short warm-up: connections open, statements prepared, pages cached.
        floor_db::run(url, &self.data, op, concurrency, Duration::from_millis(300))?;
        let outcome = floor_db::run(url, &self.data, op, concurrency, self.settings.db_duration)?;
        let run = Run::new(Subject::DbFloor, Some(backend), op.name(), tickets, concurrency, &outcome);
        say(&run.line());
        for sample in &run.error_samples {
            say(&format!("    error: {sample}"));
        }
        self.report.runs.push(run);
        Ok(())
    }

    fn backend(&mut self, backend: Backend) -> Result<(), BoxError> {
        self.writes(backend)?;
        self.reads(backend)
    }

    /// Writes on a fresh base dataset, then the create floor.
    fn writes(&mut self, backend: Backend) -> Result<(), BoxError> {
        let database = self.prepare(backend, "writes")?;
        let (server, idle) = self.start(backend, "writes", &database.url)?;
        let customer = self.actors_token_for_create();
        let body = self.check(&server, &Request::post("/api/v1/tickets".into(), &customer, create_body(0)), 201)?;
        if self.bodies.iter().all(|(name, _)| *name != "create") {
            self.bodies.push(("create", body));
        }
        for kind in [Kind::Create, Kind::ReplyCustomer, Kind::ReplyAgent, Kind::Mixed] {
            for concurrency in CONCURRENCY {
                self.http_run(&server, Subject::Supportdesk, Some(backend), kind, concurrency, BASE)?;
            }
        }
        self.webhooks(backend, &server)?;
        self.stop(server, Some(backend), idle);
        // Issue 14: the search row's share of a create, at the database.
        for op in [Op::Create, Op::CreateWithoutSearch] {
            for concurrency in CONCURRENCY {
                self.db_run(backend, &database.url, op, concurrency, BASE)?;
            }
        }
        // Issue 15: the raw floor, which owes nothing to the service's design.
        for concurrency in CONCURRENCY {
            self.raw_run(backend, &database.url, None, concurrency)?;
        }
        Ok(())
    }

    /// A raw floor run (`floor_raw`): `create` when `op` is `None`, else the prepared floor
    /// of `op` (PostgreSQL only). Without pgbench the PostgreSQL runs are left out, loudly.
    fn raw_run(&mut self, backend: Backend, url: &str, op: Option<Op>, concurrency: usize) -> Result<(), BoxError> {
        let (subject, scenario) = match op {
            None => (Subject::RawFloor, "create"),
            Some(op) => (Subject::PreparedFloor, op.name()),
        };
        if !self.settings.runs(scenario) {
            return Ok(());
        }
        if backend == Backend::Postgres && !floor_raw::pgbench_available() {
            say(&format!("  SKIPPED: the {} of {scenario} needs pgbench, which is not installed", subject.name()));
            return Ok(());
        }
        let (dir, duration) = (self.settings.out_dir.clone(), self.settings.db_duration);
        let outcome = match (backend, op) {
            (Backend::Sqlite, None) => floor_raw::sqlite_create(&dir, duration)?,
            (Backend::Postgres, None) => floor_raw::postgres_create(url, &dir, concurrency, duration)?,
            (Backend::Postgres, Some(op)) => {
                floor_raw::postgres_prepared(url, &dir, &self.data, op, concurrency, duration)?
            }
            (Backend::Sqlite, Some(_)) => return Ok(()),
        };
        let run = Run::new(subject, Some(backend), scenario, BASE, concurrency, &outcome);
        say(&run.line());
        for sample in &run.error_samples {
            say(&format!("    error: {sample}"));
        }
        self.report.runs.push(run);
        Ok(())
    }

    /// `webhook fan-out`: two endpoints subscribed to every event; `create` again at both
    /// concurrencies (beside the runs without), then the steady run at 200 creates/s that
    /// measures commit-to-delivery and the feed's lag.
    fn webhooks(&mut self, backend: Backend, server: &Server) -> Result<(), BoxError> {
        if !self.settings.runs(WEBHOOK_FAN_OUT) {
            return Ok(());
        }
        let admin = self.runtime.block_on(outbox::log_in_admin(server.addr))?;
        let receiver = WebhookReceiver::start()?;
        self.runtime.block_on(outbox::subscribe(server.addr, &admin, &receiver))?;
        let creates = Arc::new(Scenario::new(Kind::Create, self.actors.clone(), self.data.clone()));
        for concurrency in CONCURRENCY {
            let name = CREATE_WITH_WEBHOOKS;
            self.drive(server, Subject::Supportdesk, Some(backend), name, creates.clone(), concurrency, BASE)?;
        }
        let measured = self.runtime.block_on(outbox::fan_out(
            server.addr,
            backend,
            admin.clone(),
            &receiver,
            creates,
            self.settings.duration * 2,
        ))?;
        say(&format!(
            "  webhook fan-out, {}: {:.0} creates/s, {} events, {} deliveries ({:.0}/s); commit to delivery p50 {:.1} ms, \
             p99 {:.1} ms, max {:.1} ms; feed lag p50 {:.1} ms, p99 {:.1} ms; {} undelivered",
            backend.title(),
            measured.creates_per_s,
            measured.events,
            measured.deliveries,
            measured.deliveries_per_s,
            measured.delivery_p50_ms,
            measured.delivery_p99_ms,
            measured.delivery_max_ms,
            measured.feed_p50_ms,
            measured.feed_p99_ms,
            measured.undelivered
        ));
        self.report.fan_out.push(measured);
        self.runtime.block_on(outbox::unsubscribe_all(server.addr, &admin))
    }

    fn actors_token_for_create(&self) -> Arc<str> {
        let scenario = Scenario::new(Kind::Create, self.actors.clone(), self.data.clone());
        let mut rng = crate::rng::Rng::new(42);
        driver::Workload::next(&scenario, 0, &mut rng).token.unwrap_or_else(|| Arc::from(""))
    }

    /// Reads at the base size, then the scale runs as the dataset grows.
    fn reads(&mut self, backend: Backend) -> Result<(), BoxError> {
        let database = self.prepare(backend, "reads")?;
        self.measure_search_index(backend, &database.url)?;
        let (mut server, mut idle) = self.start(backend, "reads, 10,000 tickets", &database.url)?;
        // The bodies the HTTP floor will serve, and a check that the seeded rows read back.
        let mut rng = crate::rng::Rng::new(7);
        for (name, kind) in [
            ("get", Kind::Get),
            ("queue", Kind::Queue),
            ("mine", Kind::Mine),
            ("customers", Kind::Customers),
            ("queue-q", Kind::QueueSearch),
            ("queue-q-order", Kind::QueueSearchOrder),
            ("queue-assignee", Kind::QueueAssignee),
            ("console-queue", Kind::ConsoleQueue),
            ("console-ticket", Kind::ConsoleTicket),
            ("queue-breached", Kind::QueueBreached),
            ("queue-due", Kind::QueueDue),
            ("report", Kind::Report),
        ] {
            let request =
                driver::Workload::next(&Scenario::new(kind, self.actors.clone(), self.data.clone()), 0, &mut rng);
            let body = self.check(&server, &request, 200)?;
            if matches!(name, "get" | "queue") && self.bodies.iter().all(|(n, _)| *n != name) {
                self.bodies.push((if name == "get" { "get" } else { "queue" }, body));
            }
        }
        let mut present = BASE;
        let sizes = self.settings.sizes.clone();
        for size in sizes {
            if size > present {
                // The server is stopped while the dataset grows (the load drops and builds
                // indexes), and started again on the grown database.
                self.stop(server, Some(backend), idle);
                let mut db = Db::open(&database.url, Role::Seeder)?;
                let written = self.data.grow(&mut db, present, size)?;
                drop(db);
                say(&format!(
                    "{}: grew the reads database to {} tickets (+{} in {:.1} s, {:.0} tickets/s)",
                    backend.title(),
                    thousands(size),
                    thousands(written.tickets),
                    written.seconds,
                    written.tickets as f64 / written.seconds.max(0.001)
                ));
                self.report.seeding.push(Seeding { backend, database: "reads".into(), tickets_after: size, written });
                present = size;
                self.measure_search_index(backend, &database.url)?;
                (server, idle) = self.start(backend, &format!("reads, {} tickets", thousands(size)), &database.url)?;
            }
            let kinds: &[Kind] = if size == BASE {
                &[
                    Kind::Get,
                    Kind::Queue,
                    Kind::QueueAssignee,
                    Kind::QueueSearch,
                    Kind::Mine,
                    Kind::Customers,
                    Kind::ConsoleQueue,
                    Kind::ConsoleTicket,
                ]
            } else {
                &[Kind::Get, Kind::Queue, Kind::ConsoleQueue, Kind::ConsoleTicket]
            };
            for &kind in kinds {
                for concurrency in CONCURRENCY {
                    self.http_run(&server, Subject::Supportdesk, Some(backend), kind, concurrency, size)?;
                }
            }
            // Issue 14: search and cursors at every size.
            for kind in
                [Kind::SearchRare, Kind::SearchCommon, Kind::SearchNumber, Kind::QueueSearchOrder, Kind::CursorFirst]
            {
                for concurrency in CONCURRENCY {
                    self.http_run(&server, Subject::Supportdesk, Some(backend), kind, concurrency, size)?;
                }
            }
            self.deep_page(backend, &server, size)?;
            // Issue 13: the SLA queues at both concurrencies, the reports at concurrency 1 (a
            // lead opening the page), at every size.
            for kind in [Kind::QueueBreached, Kind::QueueDue] {
                for concurrency in CONCURRENCY {
                    self.http_run(&server, Subject::Supportdesk, Some(backend), kind, concurrency, size)?;
                }
            }
            for kind in [Kind::Report, Kind::ReportAgent] {
                self.http_run(&server, Subject::Supportdesk, Some(backend), kind, 1, size)?;
            }
            if size == BASE {
                self.feed(backend, &server)?;
            }
            for op in [Op::Get, Op::Queue] {
                for concurrency in CONCURRENCY {
                    self.db_run(backend, &database.url, op, concurrency, size)?;
                    if size == BASE && backend == Backend::Postgres {
                        self.raw_run(backend, &database.url, Some(op), concurrency)?;
                    }
                }
            }
            self.db_run(backend, &database.url, Op::QueueWithCount, 1, size)?;
        }
        self.stop(server, Some(backend), idle);
        Ok(())
    }

    /// The search index's size in the reads database as it is now.
    fn measure_search_index(&mut self, backend: Backend, url: &str) -> Result<(), BoxError> {
        let mut db = Db::open(url, Role::Seeder)?;
        let (tickets, messages, message_bytes, text_bytes, index_bytes) = crate::db::search_sizes(&mut db)?;
        let mib = |bytes: u64| bytes as f64 / (1024.0 * 1024.0);
        let size = SearchIndexSize {
            backend,
            tickets,
            messages,
            text_mib: mib(text_bytes),
            index_mib: mib(index_bytes),
            messages_mib: mib(message_bytes),
        };
        say(&format!(
            "{}: search index at {} tickets ({} messages, {:.1} MiB of bodies): ticket_search {:.1} MiB, full-text index {:.1} MiB",
            backend.title(),
            thousands(tickets),
            thousands(messages),
            size.messages_mib,
            size.text_mib,
            size.index_mib
        ));
        self.report.search_index.push(size);
        Ok(())
    }

    /// `cursor (deep page)`: the page of every ticket, newest first, at 90 % of the dataset
    /// (position 900,000 of 1,000,000), by the cursor the list itself hands out.
    fn deep_page(&mut self, backend: Backend, server: &Server, size: u64) -> Result<(), BoxError> {
        if !self.settings.runs(CURSOR_DEEP) {
            return Ok(());
        }
        let token = self.actors.agent_token().ok_or("the dataset has no agent")?;
        let position = size / 10 * 9;
        let started = Instant::now();
        let cursor = self.runtime.block_on(cursor_at(server.addr, &token, position))?;
        say(&format!(
            "  {CURSOR_DEEP}: the cursor at position {} found in {:.1} s",
            thousands(position),
            started.elapsed().as_secs_f64()
        ));
        let page: Arc<dyn driver::Workload> =
            Arc::new(DeepPage { path: format!("{ALL_TICKETS}&cursor={cursor}"), token });
        for concurrency in CONCURRENCY {
            self.drive(server, Subject::Supportdesk, Some(backend), CURSOR_DEEP, page.clone(), concurrency, size)?;
        }
        Ok(())
    }

    /// `feed`: pages of 100 events after a random position of the change feed.
    fn feed(&mut self, backend: Backend, server: &Server) -> Result<(), BoxError> {
        if !self.settings.runs(FEED) {
            return Ok(());
        }
        let token = self.actors.agent_token().ok_or("the dataset has no agent")?;
        let cursors = self.runtime.block_on(outbox::feed_cursors(server.addr, &token))?;
        say(&format!("  feed: {} cursors, 500 events apart", cursors.len()));
        let pages: Arc<dyn driver::Workload> = Arc::new(FeedPages { cursors, token });
        for concurrency in CONCURRENCY {
            self.drive(server, Subject::Supportdesk, Some(backend), FEED, pages.clone(), concurrency, BASE)?;
        }
        Ok(())
    }

    /// The HTTP floor, serving the captured bodies.
    fn http_floor(&mut self) -> Result<(), BoxError> {
        let dir = self.settings.out_dir.join(format!("floor-bodies-{}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        let mut args = vec!["floor-server".to_owned()];
        for (name, body) in &self.bodies {
            let path = dir.join(format!("{name}.json"));
            std::fs::write(&path, body)?;
            args.push("--body".to_owned());
            args.push(format!("{name}={}", path_text(&path)?));
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let server = Server::start("HTTP floor", &self.settings.me, &args, &[], Duration::from_secs(30))?;
        std::thread::sleep(Duration::from_millis(200));
        let idle = server.memory()?.rss_kib as f64 / 1024.0;
        say(&format!("HTTP floor listening on {} (pid {})", server.addr, server.pid));
        for kind in [Kind::FloorGet, Kind::FloorQueue, Kind::FloorCreate] {
            for concurrency in CONCURRENCY {
                self.http_run(&server, Subject::HttpFloor, None, kind, concurrency, BASE)?;
            }
        }
        // The floor's queue bytes are the same at every size: its runs stand for each.
        let copies: Vec<Run> = self
            .report
            .runs
            .iter()
            .filter(|r| r.subject == Subject::HttpFloor && r.scenario == "queue")
            .flat_map(|r| {
                self.settings
                    .sizes
                    .iter()
                    .filter(|s| **s != BASE)
                    .map(|s| Run { tickets: *s, ..r.clone() })
                    .collect::<Vec<_>>()
            })
            .collect();
        self.report.runs.extend(copies);
        self.stop(server, None, idle);
        let _ = std::fs::remove_dir_all(&dir);
        Ok(())
    }
}

/// The cursor of [`ALL_TICKETS`] after its first `position` tickets (a multiple of 100),
/// walked 100 at a time.
async fn cursor_at(addr: std::net::SocketAddr, token: &Arc<str>, position: u64) -> Result<String, BoxError> {
    let first = ALL_TICKETS.replace("size=20", "size=100");
    let mut cursor: Option<String> = None;
    for _ in 0..position.div_ceil(100).max(1) {
        let path = match &cursor {
            Some(cursor) => format!("{first}&cursor={cursor}"),
            None => first.clone(),
        };
        let response = driver::fetch(addr, &Request::get(path.clone(), token)).await?;
        if response.status != 200 {
            return Err(format!("GET {path} answered {}", response.status).into());
        }
        let page: serde_json::Value = serde_json::from_slice(&response.body)?;
        cursor = Some(page["meta"]["nextCursor"].as_str().ok_or("the list ended before the position")?.to_owned());
    }
    cursor.ok_or_else(|| "no cursor".into())
}

fn path_text(path: &Path) -> Result<String, BoxError> {
    Ok(std::path::absolute(path)?.to_str().ok_or("a path that is not UTF-8")?.to_owned())
}

fn postgres_version(db: &mut Db) -> Option<String> {
    use diesel::prelude::*;
    #[derive(QueryableByName)]
    struct Version {
        #[diesel(sql_type = diesel::sql_types::Text)]
        v: String,
    }
    let Db::Pg(conn) = db else { return None };
    let version: Version = diesel::sql_query("SELECT current_setting('server_version') AS v").get_result(conn).ok()?;
    Some(format!("PostgreSQL {}", version.v))
}

#[cfg(test)]
mod tests {
    use crate::scenarios::QUEUE;

    #[test]
    fn the_queue_path_asks_for_open_tickets_newest_first() {
        assert!(QUEUE.contains("status=open") && QUEUE.contains("sort=-createdAt") && QUEUE.contains("size=20"));
    }
}
