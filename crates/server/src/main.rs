//! The `supportdesk` binary: reads the configuration, wires the Diesel store, the use cases
//! and the HTTP API together, and serves, migrates or creates an admin.

mod config;
mod telemetry;

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::Parser;
use supportdesk_app::{
    standard_jobs, AdjustableClock, App, AppError, AppSettings, Argon2Hasher, JobRunner, Password, SentWebhook,
    WebhookAttempt, WebhookSettings,
};
use supportdesk_domain::{Email, PersonName, TenantKey};
use supportdesk_http::dto::webhooks::PublicEventEncoder;
use supportdesk_http::{ApiState, HttpConfig, JwtKeys, Metrics, PoolStats};
use supportdesk_notify::{HttpWebhookSender, SandboxedRenderer, SenderSettings, SmtpMailer};
use supportdesk_store_diesel::{Backend, DieselConfig, DieselStore};

use crate::config::{AdminCommand, Cli, Command, Config, TenantCommand, TenantKeyCommand};

/// Why the server could not start or a command failed; printed once, then exit code 1.
#[derive(Debug, thiserror::Error)]
enum StartupError {
    #[error("{variable}: {message}")]
    Config { variable: &'static str, message: String },
    #[error("database: {0}")]
    Store(#[from] supportdesk_app::StoreError),
    #[error("{0}")]
    App(#[from] AppError),
    #[error("cannot listen: {0}")]
    Io(#[from] std::io::Error),
}

fn config_error(variable: &'static str, message: impl std::fmt::Display) -> StartupError {
    StartupError::Config { variable, message: message.to_string() }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Err(error) = telemetry::init(&cli.config, matches!(cli.command, Some(Command::Tenant(_)))) {
        eprintln!("supportdesk: {error}");
        return ExitCode::FAILURE;
    }
    let result = actix_web::rt::System::new().block_on(run(cli));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(error = %error, "supportdesk stopped");
            eprintln!("supportdesk: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run(mut cli: Cli) -> Result<(), StartupError> {
    read_secret_files(&mut cli.config)?;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(cli.config).await,
        Command::Migrate => {
            let store = connect(&cli.config).await?;
            tracing::info!(backend = ?store.backend(), "migrations applied");
            Ok(())
        }
        Command::Admin(AdminCommand::Create { email, password, name, tenant }) => {
            let store = connect(&cli.config).await?;
            let app = build_app(&cli.config, store)?;
            let admin = app
                .create_admin(
                    &TenantKey::parse(&tenant).map_err(|e| config_error("--tenant", e))?,
                    Email::parse(&email).map_err(|e| config_error("--email", e))?,
                    Password::parse(&password).map_err(|e| config_error("--password", e))?,
                    PersonName::parse(&name).map_err(|e| config_error("--name", e))?,
                )
                .await?;
            tracing::info!(admin.id = %admin.id, tenant = %admin.tenant, "admin created");
            Ok(())
        }
        Command::Tenant(TenantCommand::Create { key, name }) => {
            let store = connect(&cli.config).await?;
            let app = build_app(&cli.config, store)?;
            let key = TenantKey::parse(&key).map_err(|e| config_error("--key", e))?;
            let (tenant, created) = app.create_tenant(&key, &name).await?;
            if created {
                tracing::info!(tenant = %tenant.key, "tenant created");
            } else {
                tracing::info!(tenant = %tenant.key, "the tenant exists; nothing changed");
            }
            print_json(&serde_json::json!({"key": tenant.key.as_str(), "name": tenant.name}))
        }
        Command::Tenant(TenantCommand::Key(TenantKeyCommand::Add { tenant, staff })) => {
            let store = connect(&cli.config).await?;
            let app = build_app(&cli.config, store)?;
            let tenant = TenantKey::parse(&tenant).map_err(|e| config_error("--tenant", e))?;
            let key = app.add_signing_key(&tenant, staff).await?;
            tracing::info!(tenant = %key.tenant, kid = %key.kid, allow_staff = key.allow_staff, "signing key added");
            print_json(&serde_json::json!({
                "tenant": key.tenant.as_str(),
                "kid": key.kid,
                "secret": key.secret.expose(),
                "allowStaff": key.allow_staff,
            }))
        }
        Command::Admin(AdminCommand::Recount) => {
            let store = connect(&cli.config).await?;
            store.recount_tickets().await?;
            tracing::info!("ticket counts rebuilt");
            Ok(())
        }
        Command::Admin(AdminCommand::Reindex) => {
            let store = connect(&cli.config).await?;
            let tickets = store.reindex_search().await?;
            tracing::info!(tickets, "search index rebuilt");
            Ok(())
        }
    }
}

/// Writes one line of JSON on stdout: what the tenant commands answer, for scripts.
fn print_json(value: &serde_json::Value) -> Result<(), StartupError> {
    use std::io::Write as _;
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{value}")?;
    stdout.flush()?;
    Ok(())
}

/// Reads `SUPPORTDESK_JWT_SECRET_FILE` and `SUPPORTDESK_ADMIN_PASSWORD_FILE` into the
/// values they stand for (clap has already refused a value and its file together).
fn read_secret_files(config: &mut Config) -> Result<(), StartupError> {
    if let Some(path) = &config.jwt_secret_file {
        config.jwt_secret = Some(read_secret_file(path, "SUPPORTDESK_JWT_SECRET_FILE")?);
    }
    if let Some(path) = &config.admin_password_file {
        config.admin_password = Some(read_secret_file(path, "SUPPORTDESK_ADMIN_PASSWORD_FILE")?);
    }
    Ok(())
}

/// A secret file's text without its trailing newline (`\n` or `\r\n`, as editors and
/// `echo` leave them).
fn read_secret_file(path: &std::path::Path, variable: &'static str) -> Result<String, StartupError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| config_error(variable, format!("cannot read {}: {e}", path.display())))?;
    Ok(text.trim_end_matches(['\n', '\r']).to_owned())
}

/// Connects (creating a SQLite file and its folder if needed) and applies migrations, on the
/// blocking pool.
async fn connect(config: &Config) -> Result<Arc<DieselStore>, StartupError> {
    let diesel_config = DieselConfig {
        database_url: config.database_url.clone(),
        max_connections: config.db_pool_size,
        connection_timeout: config.db_timeout(),
        inline_sqlite_reads: config.db_inline_reads,
        ..DieselConfig::default()
    };
    let store = tokio::task::spawn_blocking(move || DieselStore::connect(&diesel_config))
        .await
        .map_err(|e| config_error("SUPPORTDESK_DATABASE_URL", e))??;
    Ok(Arc::new(store))
}

fn build_app(config: &Config, store: Arc<DieselStore>) -> Result<App, StartupError> {
    build_app_with_clock(config, store, None)
}

/// The app, on `test_clock` instead of the system clock when given.
fn build_app_with_clock(
    config: &Config,
    store: Arc<DieselStore>,
    test_clock: Option<Arc<AdjustableClock>>,
) -> Result<App, StartupError> {
    let hasher = Argon2Hasher::new(2)?;
    let sender = HttpWebhookSender::new(SenderSettings {
        timeout: Duration::from_secs(config.webhook_timeout_secs),
        allow_private: config.webhook_allow_private,
    })
    .map_err(|e| config_error("SUPPORTDESK_WEBHOOK_TIMEOUT_SECS", e))?;
    let webhook_settings = WebhookSettings {
        disable_after: Duration::from_secs(config.webhook_disable_after_secs),
        // A lease outlives an attempt, so a delivery in flight is never handed out twice.
        lease: Duration::from_secs(config.webhook_timeout_secs * 3 + 30),
        ..WebhookSettings::default()
    };
    let mut builder = App::builder(store).hasher(Arc::new(hasher)).webhooks(
        Arc::new(sender),
        Arc::new(PublicEventEncoder),
        webhook_settings,
    );
    if let Some(clock) = test_clock {
        builder = builder.clock(clock);
    }
    builder = builder.public_url(config.public_url.as_deref());
    if let Some(url) = &config.smtp_url {
        let mailer = SmtpMailer::new(url, &config.mail_from).map_err(|e| config_error("SUPPORTDESK_SMTP_URL", e))?;
        builder = builder.mail(Arc::new(mailer), Arc::new(SandboxedRenderer));
    }
    Ok(builder
        .settings(AppSettings {
            allow_registration: config.allow_registration,
            revocation_check_interval: Duration::from_secs(config.revocation_check_secs),
        })
        .build())
}

/// The JWT keys: the configured secret (at least 32 bytes), or a random one with a warning.
fn jwt_keys(config: &Config) -> Result<JwtKeys, StartupError> {
    match &config.jwt_secret {
        Some(secret) => JwtKeys::with_claims(secret.as_bytes(), config.jwt_audience.clone(), config.jwt_issuer.clone())
            .map_err(|e| config_error("SUPPORTDESK_JWT_SECRET", e)),
        None => {
            tracing::warn!(
                "SUPPORTDESK_JWT_SECRET is not set: using a random secret; tokens will not survive a restart \
                 and shops cannot mint customer tokens"
            );
            let mut secret = [0u8; 64];
            rand::RngCore::fill_bytes(&mut rand::thread_rng(), &mut secret);
            JwtKeys::with_claims(&secret, config.jwt_audience.clone(), config.jwt_issuer.clone())
                .map_err(|e| config_error("SUPPORTDESK_JWT_SECRET", e))
        }
    }
}

/// Creates the first admin from `SUPPORTDESK_ADMIN_EMAIL` / `_PASSWORD` unless one exists.
/// Start-up does not fail because of it: when an admin exists or the email is taken, it is
/// skipped with a log line. Only a malformed value (a configuration error) stops start-up.
async fn bootstrap_admin(config: &Config, app: &App) -> Result<(), StartupError> {
    let (Some(email), Some(password)) = (&config.admin_email, &config.admin_password) else {
        if config.admin_email.is_some() != config.admin_password.is_some() {
            return Err(config_error(
                "SUPPORTDESK_ADMIN_PASSWORD",
                "SUPPORTDESK_ADMIN_EMAIL and SUPPORTDESK_ADMIN_PASSWORD go together",
            ));
        }
        return Ok(());
    };
    let tenant = TenantKey::parse(&config.admin_tenant).map_err(|e| config_error("SUPPORTDESK_ADMIN_TENANT", e))?;
    let email = Email::parse(email).map_err(|e| config_error("SUPPORTDESK_ADMIN_EMAIL", e))?;
    let password = Password::parse(password).map_err(|e| config_error("SUPPORTDESK_ADMIN_PASSWORD", e))?;
    let name = PersonName::parse("Admin").map_err(|e| config_error("SUPPORTDESK_ADMIN_EMAIL", e))?;
    match app.bootstrap_admin(&tenant, email, password, name).await {
        Ok(Some(admin)) => tracing::info!(admin.id = %admin.id, tenant = %tenant, "bootstrap admin created"),
        Ok(None) => tracing::info!(tenant = %tenant, "an admin exists; bootstrap admin not created"),
        // The email is taken: by a customer who registered with it, or by an admin who was
        // deactivated. Serving matters more than the bootstrap: skip it, loudly.
        Err(AppError::Conflict(_)) => tracing::warn!(
            tenant = %tenant,
            "SUPPORTDESK_ADMIN_EMAIL belongs to another account of the tenant (a customer, or an inactive agent); \
             bootstrap admin not created: create one with `supportdesk admin create`"
        ),
        Err(other) => return Err(other.into()),
    }
    Ok(())
}

/// The job runner: every `poll`, runs the due jobs (auto-close, pruning) until none is
/// due. Every server process runs one; the jobs table's leases make them share the jobs.
async fn run_jobs(app: Arc<App>, runner: JobRunner, poll: Duration, metrics: Arc<Metrics>) {
    let mut tick = tokio::time::interval(poll);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        match app.run_due_jobs(&runner).await {
            Ok(runs) => metrics.job_round(Ok(runs)),
            Err(error) => {
                metrics.job_round(Err(()));
                tracing::warn!(error = %error, "job runner round failed; trying again");
            }
        }
    }
}

/// This process's name as a lease owner: the process id and a random part, so two
/// processes (also on two hosts, or after a restart with the same pid) never share one.
fn lease_owner() -> String {
    let random: u64 = rand::random();
    format!("pid-{}-{random:016x}", std::process::id())
}

/// The store's pool numbers, for `/metrics`.
struct StorePool(Arc<DieselStore>);

impl PoolStats for StorePool {
    fn in_use(&self) -> u32 {
        let state = self.0.pool_state();
        state.connections.saturating_sub(state.idle)
    }

    fn idle(&self) -> u32 {
        self.0.pool_state().idle
    }

    fn grouped_commits(&self) -> Option<(u64, u64)> {
        let state = self.0.pool_state();
        (self.0.backend() == Backend::Sqlite).then_some((state.write_commits, state.committed_writes))
    }
}

/// How many webhook requests one process keeps in flight.
const WEBHOOK_WINDOW: usize = 64;

/// How many deliveries one fan-out creates per endpoint at most.
const FAN_OUT_LIMIT: usize = 500;

/// How many deliveries leased to this process may wait to be sent; its fan-outs lease no
/// more than that.
const WEBHOOK_QUEUE: usize = 4 * WEBHOOK_WINDOW;

/// The webhook worker: turns newly settled events into deliveries and keeps up to
/// [`WEBHOOK_WINDOW`] of the due ones in flight. Every server process runs one; the store's
/// leases keep them from sending one delivery twice.
///
/// - **Fan-out.** The deliveries it creates come back leased to it (as many as its queue of
///   [`WEBHOOK_QUEUE`] has room for), and it sends them from memory, in up to three
///   quarters of the window: on SQLite that spares the one writer a claim per delivery. It fans out
///   every `poll`, and every eighth of `poll` while fan-outs find events, so deliveries
///   follow the writes in small batches, not a tick's worth in one long unit on the writer
///   the requests wait for.
/// - **Claims** (retries, another process's expired leases, and what it fanned out unleased
///   while its own queue was full) fill the rest of the window, at least its last quarter:
///   at each tick, and between ticks once half the window is free.
/// - **Outcomes** are recorded in one write once half a window's worth has finished, once
///   nothing is in flight, or at the next tick, so one endpoint at its timeout does not hold
///   back the others, and the deliveries do not take the writer once or twice each (on
///   PostgreSQL a write per answer, for one or two deliveries, capped the worker near 500
///   deliveries a second on two cores).
async fn deliver_webhooks(app: Arc<App>, poll: Duration, metrics: Arc<Metrics>) {
    let mut tick = tokio::time::interval(poll);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut next_fan_out = tokio::time::Instant::now();
    let mut in_flight: tokio::task::JoinSet<Result<SentWebhook, AppError>> = tokio::task::JoinSet::new();
    let mut sent: Vec<SentWebhook> = Vec::new();
    let mut fanned_out: std::collections::VecDeque<WebhookAttempt> = std::collections::VecDeque::new();
    loop {
        let ticked = tokio::select! {
            _ = tick.tick() => {
                match app.pending_webhook_deliveries().await {
                    Ok(pending) => metrics.webhook_backlog(pending),
                    Err(error) => tracing::warn!(error = %error, "counting pending webhook deliveries failed"),
                }
                true
            }
            () = tokio::time::sleep_until(next_fan_out) => false,
            Some(first) = in_flight.join_next(), if !in_flight.is_empty() => {
                let now = app.now();
                let mut finished = Some(first);
                while let Some(joined) = finished {
                    match joined {
                        Ok(Ok(one)) => {
                            metrics.webhook_attempt(one.outcome().succeeded(), one.delay(now));
                            sent.push(one);
                        }
                        Ok(Err(error)) => tracing::warn!(error = %error, "a webhook attempt failed to run"),
                        Err(error) => tracing::warn!(error = %error, "a webhook attempt task ended abnormally"),
                    }
                    finished = in_flight.try_join_next();
                }
                false
            }
        };
        if !sent.is_empty() && (ticked || in_flight.is_empty() || sent.len() >= WEBHOOK_WINDOW / 2) {
            if let Err(error) = app.record_webhook_attempts(std::mem::take(&mut sent)).await {
                tracing::warn!(error = %error, "recording webhook attempts, or disabling a failing endpoint, failed; unrecorded attempts are tried again after their lease");
            }
        }
        if tokio::time::Instant::now() >= next_fan_out {
            // Leased to this process only up to what its queue has room for: more would keep
            // deliveries from other processes until their leases ran out.
            let room_in_queue = WEBHOOK_QUEUE.saturating_sub(fanned_out.len());
            let fanned = if room_in_queue > 0 {
                app.fan_out_webhook_attempts(FAN_OUT_LIMIT, room_in_queue).await.map(|new| {
                    let found = !new.is_empty();
                    fanned_out.extend(new);
                    found
                })
            } else {
                app.fan_out_webhooks(FAN_OUT_LIMIT).await.map(|created| created > 0)
            };
            let found = fanned.unwrap_or_else(|error| {
                tracing::warn!(error = %error, "webhook fan-out failed; trying again");
                false
            });
            next_fan_out = tokio::time::Instant::now() + if found { poll / 8 } else { poll };
        }
        // What this process fanned out goes first, into three quarters of the window:
        // sending it takes no write. The last quarter is the claims' (retries, expired
        // leases, what was fanned out unleased), so a stream of new events cannot starve
        // them. An attempt left waiting past half its lease is dropped; it is claimed again
        // after the lease.
        while in_flight.len() < WEBHOOK_WINDOW - WEBHOOK_WINDOW / 4 {
            let Some(attempt) = fanned_out.pop_front() else { break };
            if app.webhook_attempt_is_leased(&attempt) {
                let app = app.clone();
                in_flight.spawn(async move { app.send_webhook(attempt).await });
            }
        }
        // Between ticks, claim only once half the window is free (a claim looks before it
        // takes the write lock, but one look per finished request would still be many).
        let room = WEBHOOK_WINDOW.saturating_sub(in_flight.len());
        if room == 0 || (!ticked && room < WEBHOOK_WINDOW / 2) {
            continue;
        }
        match app.claim_webhook_attempts(room).await {
            Ok(attempts) => {
                for attempt in attempts {
                    let app = app.clone();
                    in_flight.spawn(async move { app.send_webhook(attempt).await });
                }
            }
            Err(error) => tracing::warn!(error = %error, "claiming webhook deliveries failed; trying again"),
        }
    }
}

/// How much lower than the requests the outbox's thread runs: a nice value, on Linux.
const OUTBOX_NICENESS: i32 = 10;

/// Starts the outbox's workers (webhooks, and mail when `mail` is set) on a thread of their
/// own (`outbox`, its database work on `outbox-db` threads), with a runtime of its own, at
/// a lower CPU priority than the requests (Linux: nice [`OUTBOX_NICENESS`], which the
/// threads it starts inherit). Deliveries are asynchronous by contract and requests are
/// not: when the CPU is short, the deliveries wait. Short of saturation they get all the
/// CPU they need (the 200 creates/s of `make bench`'s fan-out kept its commit-to-delivery
/// p99). Under saturation on SQLite the creates are bound by the one writer, which a
/// thread's priority does not reach (docs/decisions.md, "Webhooks").
fn spawn_outbox(
    webhooks: Arc<App>,
    mail: Option<Arc<App>>,
    poll: Duration,
    metrics: Arc<Metrics>,
) -> std::io::Result<()> {
    // The runtime is built on its thread (a runtime dropped inside the server's async
    // start-up would panic); start-up waits to hear that it was.
    let (ready, started) = std::sync::mpsc::channel();
    std::thread::Builder::new().name("outbox".to_owned()).spawn(move || {
        lower_this_threads_priority();
        let runtime = match tokio::runtime::Builder::new_current_thread().thread_name("outbox-db").enable_all().build()
        {
            Ok(runtime) => runtime,
            Err(error) => {
                let _ = ready.send(Err(error));
                return;
            }
        };
        let _ = ready.send(Ok(()));
        runtime.block_on(async move {
            // Each worker a task of its own: one that panics is logged and the other goes on.
            let mut workers = tokio::task::JoinSet::new();
            workers.spawn(deliver_webhooks(webhooks, poll, metrics.clone()));
            if let Some(app) = mail {
                workers.spawn(deliver_mail(app, poll, metrics));
            }
            while let Some(ended) = workers.join_next().await {
                if let Err(error) = ended {
                    tracing::error!(error = %error, "an outbox worker stopped; its deliveries wait for a restart");
                }
            }
        });
    })?;
    started.recv().map_err(|_| std::io::Error::other("the outbox thread ended before its runtime started"))?
}

/// Lowers the calling thread's CPU priority by [`OUTBOX_NICENESS`] from the process's
/// (Linux, where a nice value is a thread's and the threads it starts inherit it; at most
/// 19); elsewhere the thread keeps the process's.
fn lower_this_threads_priority() {
    #[cfg(target_os = "linux")]
    {
        let thread = Some(rustix::thread::gettid());
        let lowered = rustix::process::getpriority_process(thread)
            .and_then(|nice| rustix::process::setpriority_process(thread, (nice + OUTBOX_NICENESS).min(19)));
        if let Err(error) = lowered {
            tracing::warn!(error = %error, "could not lower the outbox's CPU priority; it competes with requests as an equal");
        }
    }
}

/// The mail worker (only with `SUPPORTDESK_SMTP_URL`): queues the mail of new events and
/// sends what is due, as the webhook worker does.
async fn deliver_mail(app: Arc<App>, poll: Duration, metrics: Arc<Metrics>) {
    let mut tick = tokio::time::interval(poll);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if let Err(error) = app.fan_out_mail(500).await {
            tracing::warn!(error = %error, "mail fan-out failed; trying again");
            continue;
        }
        match app.pending_mail().await {
            Ok(pending) => metrics.mail_backlog(pending),
            Err(error) => tracing::warn!(error = %error, "counting pending mail failed"),
        }
        loop {
            match app.deliver_mail(32).await {
                Ok(0) => break,
                Ok(_) => {}
                Err(error) => {
                    tracing::warn!(error = %error, "mail round failed; trying again");
                    break;
                }
            }
        }
    }
}

async fn serve(config: Config) -> Result<(), StartupError> {
    let store = connect(&config).await?;
    let test_clock = config.test_clock.then(|| Arc::new(AdjustableClock::new()));
    if test_clock.is_some() {
        tracing::warn!(
            "SUPPORTDESK_TEST_CLOCK is on: the clock is adjustable by anyone through POST /api/v1/test/clock; \
             this is for tests only, never for production"
        );
    }
    let app = Arc::new(build_app_with_clock(&config, store.clone(), test_clock.clone())?);
    // The `default` tenant exists from the first start; other tenants only by
    // `supportdesk tenant create`.
    app.ensure_tenant(&TenantKey::default()).await?;
    bootstrap_admin(&config, &app).await?;
    let metrics = Arc::new(Metrics::new());
    metrics.set_pool_stats(Arc::new(StorePool(store.clone())));
    let http_config = HttpConfig {
        body_limit: usize::try_from(config.body_limit).map_err(|e| config_error("SUPPORTDESK_BODY_LIMIT", e))?,
        token_ttl: Duration::from_secs(config.token_ttl_secs),
        throttle: config.throttle(),
        body_timeout: Duration::from_secs(config.body_timeout_secs),
    };
    let app_for_jobs = app.clone();
    let app_for_webhooks = app.clone();
    let app_for_mail = config.smtp_url.is_some().then(|| app.clone());
    // The service's own login tokens are signed with a key kept in the database, which no
    // holder of SUPPORTDESK_JWT_SECRET knows.
    let login_secret = app.login_token_secret().await?;
    let keys = jwt_keys(&config)?
        .with_login_secret(login_secret.expose().as_bytes())
        .map_err(|e| config_error("SUPPORTDESK_DATABASE_URL", e))?;
    let state = ApiState::new(app.clone(), keys.clone(), metrics.clone(), http_config);
    let web_state = supportdesk_web::WebState::new(
        app,
        Arc::new(keys),
        Arc::new(state.clone()),
        supportdesk_web::WebConfig::for_public_url(
            config.public_url.as_deref(),
            Duration::from_secs(config.web_session_ttl_secs),
        ),
    );
    let mut server = actix_web::HttpServer::new(move || {
        let state = state.clone();
        let web_state = web_state.clone();
        let test_clock = test_clock.clone();
        actix_web::App::new()
            .wrap(supportdesk_http::request_middleware())
            .wrap(supportdesk_http::request_spans())
            .configure(move |cfg| {
                if let Some(clock) = test_clock {
                    supportdesk_http::configure_test_clock(cfg, clock);
                }
            })
            .configure(move |cfg| supportdesk_web::configure(cfg, web_state))
            .configure(move |cfg| supportdesk_http::configure_app(cfg, state))
    })
    .shutdown_timeout(config.shutdown_timeout_secs);
    if let Some(workers) = config.workers {
        server = server.workers(usize::from(workers));
    }
    let server = server.bind(config.bind)?;
    let runner = JobRunner::new(standard_jobs(), lease_owner());
    actix_web::rt::spawn(run_jobs(app_for_jobs, runner, Duration::from_millis(config.jobs_poll_ms), metrics.clone()));
    spawn_outbox(app_for_webhooks, app_for_mail, Duration::from_millis(config.webhook_poll_ms), metrics.clone())?;
    for address in server.addrs() {
        tracing::info!(backend = ?store.backend(), "listening on http://{address}");
    }
    server.run().await?;
    tracing::info!("stopped: in-flight requests finished");
    Ok(())
}
