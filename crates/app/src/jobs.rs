//! Timed work: a job runner over the store's job table, and the standard jobs.
//!
//! A job is a named piece of work that runs every so often ([`Job::every`]). The store keeps
//! one row per job name with its next run time and a lease (owner and expiry). A round of
//! [`App::run_due_jobs`] claims one due job whose lease is free or ran out, runs it, and
//! schedules its next run, until nothing is due. So:
//!
//! - several server processes on one database share the jobs: a claim takes the row under
//!   `FOR UPDATE SKIP LOCKED` on PostgreSQL (SQLite has one writer), and a leased job is not
//!   handed to another process while its lease runs;
//! - a process that dies holding a lease delays its job until the lease runs out; then
//!   another process takes it over;
//! - no work is done twice: each unit of work a job does (closing one ticket, deleting
//!   expired records) is one transaction that both does it and records it, guarded by the
//!   ticket's version, so even a job that runs twice (a lease that ran out under a slow run)
//!   repeats no unit.
//!
//! Adding a job is a type that implements [`Job`] (usually a few lines calling a use case)
//! and one line in [`standard_jobs`].

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use supportdesk_domain::{Actor, TicketRef};
use tracing::instrument;

use crate::error::{AppError, StoreError};
use crate::model::IdempotencyRecord;
use crate::App;

/// What one run of a job did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct JobReport {
    /// How many units of work it did (tickets closed, records deleted).
    pub done: u64,
    /// Whether it stopped at its batch limit with more work waiting: then it is due again at
    /// once instead of after [`Job::every`].
    pub more: bool,
}

/// A piece of timed work. Implementations are small: they call a use case of [`App`] with
/// a batch limit and say whether more is waiting.
#[async_trait]
pub trait Job: Send + Sync {
    /// Its unique name, the key of its row in the job table (`auto-close`).
    fn name(&self) -> &'static str;

    /// How long after a run (that left no work waiting) it is due again.
    fn every(&self) -> Duration;

    /// Does one batch of the work.
    ///
    /// # Errors
    ///
    /// Whatever the use case answers; the runner logs it and tries again after
    /// [`Job::every`].
    async fn run(&self, app: &App) -> Result<JobReport, AppError>;
}

/// How many tickets one run of `auto-close` closes at most.
pub const AUTO_CLOSE_BATCH: usize = 100;

/// Closes resolved tickets of tenants with `autoCloseResolvedAfterDays` (see
/// [`App::auto_close_resolved`]), every minute.
#[derive(Debug, Clone, Copy, Default)]
pub struct AutoCloseJob;

#[async_trait]
impl Job for AutoCloseJob {
    fn name(&self) -> &'static str {
        "auto-close"
    }

    fn every(&self) -> Duration {
        Duration::from_secs(60)
    }

    async fn run(&self, app: &App) -> Result<JobReport, AppError> {
        let closed = app.auto_close_resolved(AUTO_CLOSE_BATCH).await?;
        Ok(JobReport { done: closed as u64, more: closed >= AUTO_CLOSE_BATCH })
    }
}

/// Deletes idempotency records past their 24 hours, hourly: the stores replace an expired
/// record only when its key comes back, so without this they would pile up.
#[derive(Debug, Clone, Copy, Default)]
pub struct PruneIdempotencyJob;

#[async_trait]
impl Job for PruneIdempotencyJob {
    fn name(&self) -> &'static str {
        "prune-idempotency"
    }

    fn every(&self) -> Duration {
        Duration::from_secs(3600)
    }

    async fn run(&self, app: &App) -> Result<JobReport, AppError> {
        Ok(JobReport { done: app.prune_idempotency_records().await?, more: false })
    }
}

/// Deletes the records of logged-out tokens once they have expired anyway, hourly.
#[derive(Debug, Clone, Copy, Default)]
pub struct PruneRevokedTokensJob;

#[async_trait]
impl Job for PruneRevokedTokensJob {
    fn name(&self) -> &'static str {
        "prune-revoked-tokens"
    }

    fn every(&self) -> Duration {
        Duration::from_secs(3600)
    }

    async fn run(&self, app: &App) -> Result<JobReport, AppError> {
        Ok(JobReport { done: app.prune_revoked_tokens().await?, more: false })
    }
}

/// How many overdue SLA clocks one run of breach detection reports.
const BREACH_BATCH: usize = 200;

/// Reports SLA clocks that ran past their due time (`ticket.sla_breached`) every 15 s, so
/// with the runner's poll every breach is reported within a minute of its due time.
#[derive(Debug, Clone, Copy, Default)]
pub struct SlaBreachJob;

#[async_trait]
impl Job for SlaBreachJob {
    fn name(&self) -> &'static str {
        "sla-breaches"
    }

    fn every(&self) -> Duration {
        Duration::from_secs(15)
    }

    async fn run(&self, app: &App) -> Result<JobReport, AppError> {
        let reported = app.detect_sla_breaches(app.clock.now(), BREACH_BATCH).await?;
        Ok(JobReport { done: reported as u64, more: reported >= BREACH_BATCH })
    }
}

/// The jobs every server process runs.
pub fn standard_jobs() -> Vec<Arc<dyn Job>> {
    vec![Arc::new(AutoCloseJob), Arc::new(SlaBreachJob), Arc::new(PruneIdempotencyJob), Arc::new(PruneRevokedTokensJob)]
}

/// A set of jobs and this process's identity as a lease owner. One per process; drive it
/// with [`App::run_due_jobs`] on a timer.
pub struct JobRunner {
    jobs: Vec<Arc<dyn Job>>,
    owner: String,
    lease: Duration,
    /// Whether the job rows are known to exist, so they are inserted once per process.
    registered: AtomicBool,
}

impl std::fmt::Debug for JobRunner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.jobs.iter().map(|job| job.name()).collect();
        f.debug_struct("JobRunner").field("jobs", &names).field("owner", &self.owner).finish_non_exhaustive()
    }
}

impl JobRunner {
    /// How long a claimed job stays leased by default: far longer than a batch takes, so a
    /// running job is not taken over, and short enough that a crashed process's job resumes
    /// elsewhere within minutes.
    pub const DEFAULT_LEASE: Duration = Duration::from_secs(300);

    /// A runner of `jobs`, leasing under `owner` (unique per process: e.g. host, pid and a
    /// random part).
    pub fn new(jobs: Vec<Arc<dyn Job>>, owner: impl Into<String>) -> Self {
        Self { jobs, owner: owner.into(), lease: Self::DEFAULT_LEASE, registered: AtomicBool::new(false) }
    }

    /// The same runner with another lease time.
    #[must_use]
    pub fn lease(mut self, lease: Duration) -> Self {
        self.lease = lease;
        self
    }

    /// The lease owner this runner claims as.
    pub fn owner(&self) -> &str {
        &self.owner
    }

    fn names(&self) -> Vec<&'static str> {
        self.jobs.iter().map(|job| job.name()).collect()
    }

    fn job(&self, name: &str) -> Option<&Arc<dyn Job>> {
        self.jobs.iter().find(|job| job.name() == name)
    }
}

/// At most this many job runs per round, so a job that always has more work cannot keep a
/// round going forever.
const MAX_RUNS_PER_ROUND: usize = 64;

fn duration(d: Duration) -> time::Duration {
    time::Duration::try_from(d).unwrap_or(time::Duration::MAX)
}

impl App {
    /// One round of the job runner: claims and runs due jobs of `runner`, one at a time,
    /// until none is due; returns how many runs it made. A job that fails is logged and due
    /// again after its interval; the round goes on with the others.
    ///
    /// # Errors
    ///
    /// `Internal` when the store fails to claim or schedule.
    #[instrument(level = "debug", skip_all, fields(owner = %runner.owner))]
    pub async fn run_due_jobs(&self, runner: &JobRunner) -> Result<usize, AppError> {
        let names = runner.names();
        if !runner.registered.load(Ordering::Acquire) {
            self.jobs.ensure_jobs(&names, self.clock.now()).await?;
            runner.registered.store(true, Ordering::Release);
        }
        let mut runs = 0;
        while runs < MAX_RUNS_PER_ROUND {
            let now = self.clock.now();
            let lease_until = now + duration(runner.lease);
            let Some(name) = self.jobs.claim_job(&names, &runner.owner, now, lease_until).await? else {
                break;
            };
            let Some(job) = runner.job(&name) else {
                // Claimed by name among ours, so this cannot happen; free the row anyway.
                self.jobs.finish_job(&name, &runner.owner, now, Some("unknown job")).await?;
                continue;
            };
            runs += 1;
            let result = job.run(self).await;
            // The next run counts from this run's start, not its end: the run saw the world
            // as of `now`, so whatever became due while it ran (time moved on, or a test
            // clock was advanced) is picked up `every` after `now`, never later.
            let (next, error) = match &result {
                Ok(report) if report.more => (now, None),
                Ok(_) => (now + duration(job.every()), None),
                Err(error) => (now + duration(job.every()), Some(error.to_string())),
            };
            match &result {
                Ok(JobReport { done: 0, .. }) => tracing::debug!(job = job.name(), "job ran; nothing to do"),
                Ok(report) => tracing::info!(job = job.name(), done = report.done, more = report.more, "job ran"),
                Err(error) => tracing::warn!(job = job.name(), error = %error, "job failed; trying again later"),
            }
            let still_ours = self.jobs.finish_job(&name, &runner.owner, next, error.as_deref()).await?;
            if !still_ours {
                tracing::warn!(job = job.name(), "the job's lease ran out during its run; another process took it");
            }
        }
        Ok(runs)
    }

    /// Closes, as the `system` actor, up to `limit` resolved tickets that their tenant's
    /// `autoCloseResolvedAfterDays` makes due (resolved that many days ago, no customer
    /// message since), oldest resolution first; returns how many it closed. Each close is
    /// the domain's [`Ticket::auto_close`](supportdesk_domain::Ticket::auto_close) saved
    /// with a version check, with its `status_changed` event: a ticket that changed
    /// meanwhile is left for the next run, and no ticket is closed twice.
    ///
    /// # Errors
    ///
    /// `Internal` when the store fails.
    #[instrument(level = "debug", skip_all)]
    pub async fn auto_close_resolved(&self, limit: usize) -> Result<usize, AppError> {
        let now = self.clock.now();
        let candidates = self.jobs.auto_close_candidates(now, limit).await?;
        let actor = Actor::system();
        let mut policies = std::collections::HashMap::new();
        let mut closed = 0;
        for (tenant, id) in candidates {
            let policy = match policies.get(&tenant) {
                Some(policy) => *policy,
                None => {
                    let policy = self.tenants.policy(&tenant).await?;
                    policies.insert(tenant.clone(), policy);
                    policy
                }
            };
            let Some(ticket) = self.tickets.load_ticket(&tenant, TicketRef::Id(id)).await? else { continue };
            let ctx = self.context(&actor, policy, now);
            let Some(change) = ticket.auto_close(&ctx)? else { continue };
            match self.tickets.save_change(&change, None).await {
                Ok(()) => {
                    closed += 1;
                    tracing::info!(tenant = %tenant, ticket.id = %id, "resolved ticket closed automatically");
                }
                // Someone changed it between load and save: the next run decides again.
                Err(StoreError::VersionConflict | StoreError::NotFound) => {}
                Err(other) => return Err(other.into()),
            }
        }
        Ok(closed)
    }

    /// Deletes the idempotency records older than [`IdempotencyRecord::LIFETIME`]; returns
    /// how many went.
    ///
    /// # Errors
    ///
    /// `Internal` when the store fails.
    pub async fn prune_idempotency_records(&self) -> Result<u64, AppError> {
        Ok(self.jobs.prune_idempotency_records(self.clock.now() - IdempotencyRecord::LIFETIME).await?)
    }
}
