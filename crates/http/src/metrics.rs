//! Prometheus metrics through the maintained client (`prometheus-client`), in the
//! OpenMetrics text format: request counts and a latency histogram by method, route pattern
//! and status; tickets created; and the database pool's connections through the
//! [`PoolStats`] hook the server plugs in.
//!
//! Routes are labelled with their pattern (`/api/v1/tickets/{ticket}`), never the raw path,
//! and unmatched requests share one label, so the number of series stays bounded.

use std::sync::atomic::Ordering;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use prometheus_client::encoding::text::encode;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

/// The connection pool's numbers, as the server's store adapter reports them.
pub trait PoolStats: Send + Sync {
    /// Connections checked out now.
    fn in_use(&self) -> u32;
    /// Connections open and idle now.
    fn idle(&self) -> u32;
    /// Commits of grouped writes since start and the writes they held, where the store
    /// commits several writes together (SQLite's writer); `None` otherwise.
    fn grouped_commits(&self) -> Option<(u64, u64)> {
        None
    }
}

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 12] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0];

/// The label of requests no route matched.
pub const UNMATCHED_ROUTE: &str = "unmatched";

/// The content type of [`Metrics::render`]'s output.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    route: String,
    status: u16,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: &'static str,
}

/// Upper bounds of the webhook delay buckets (event to delivered), in seconds: from a
/// prompt delivery to one that waited out the retry schedule.
const DELAY_BUCKETS: [f64; 10] = [0.1, 0.25, 0.5, 1.0, 2.5, 10.0, 60.0, 600.0, 3600.0, 86_400.0];

fn delay_histogram() -> Histogram {
    Histogram::new(DELAY_BUCKETS)
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct PoolLabels {
    state: &'static str,
}

/// The writer whose commits are counted (only SQLite's groups writes).
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct WriterLabels {
    writer: &'static str,
}

fn latency_histogram() -> Histogram {
    Histogram::new(BUCKETS)
}

/// The service's metrics. Shared by the request middleware and the `/metrics` route.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    durations: Family<RequestLabels, Histogram, fn() -> Histogram>,
    tickets_created: Counter,
    pool_connections: Family<PoolLabels, Gauge>,
    write_commits: Family<WriterLabels, Counter>,
    committed_writes: Family<WriterLabels, Counter>,
    webhook_attempts: Family<OutcomeLabels, Counter>,
    webhook_delay: Histogram,
    webhook_pending: Gauge,
    mail_pending: Gauge,
    job_runs: Counter,
    job_round_failures: Counter,
    pool: RwLock<Option<Arc<dyn PoolStats>>>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").field("tickets_created", &self.tickets_created.get()).finish_non_exhaustive()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// Empty metrics.
    pub fn new() -> Self {
        let mut registry = Registry::default();
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register("http_requests", "HTTP requests by method, route pattern and status", requests.clone());
        let durations = Family::<RequestLabels, Histogram, fn() -> Histogram>::new_with_constructor(latency_histogram);
        registry.register(
            "http_request_duration_seconds",
            "HTTP request latency by method, route pattern and status",
            durations.clone(),
        );
        let tickets_created = Counter::default();
        registry.register(
            "supportdesk_tickets_created",
            "Tickets created (idempotent replays excluded)",
            tickets_created.clone(),
        );
        let pool_connections = Family::<PoolLabels, Gauge>::default();
        registry.register(
            "supportdesk_db_pool_connections",
            "Database pool connections by state",
            pool_connections.clone(),
        );
        let write_commits = Family::<WriterLabels, Counter>::default();
        registry.register(
            "supportdesk_db_write_commits",
            "Commits of the SQLite writer, each holding the writes queued when it began (group commit)",
            write_commits.clone(),
        );
        let committed_writes = Family::<WriterLabels, Counter>::default();
        registry.register(
            "supportdesk_db_committed_writes",
            "Writes held by the SQLite writer's commits: divided by the commits, the mean group",
            committed_writes.clone(),
        );
        let webhook_attempts = Family::<OutcomeLabels, Counter>::default();
        registry.register(
            "supportdesk_webhook_attempts",
            "Webhook delivery attempts by outcome (succeeded: a 2xx; failed: anything else)",
            webhook_attempts.clone(),
        );
        let webhook_delay = delay_histogram();
        registry.register(
            "supportdesk_webhook_delivery_delay_seconds",
            "From an event to its successful delivery, retries included",
            webhook_delay.clone(),
        );
        let webhook_pending = Gauge::default();
        registry.register(
            "supportdesk_webhook_deliveries_pending",
            "Webhook deliveries pending (due, in flight or waiting for a retry), as the worker last counted them",
            webhook_pending.clone(),
        );
        let mail_pending = Gauge::default();
        registry.register(
            "supportdesk_mail_deliveries_pending",
            "Mail deliveries pending (due, being sent or waiting for a retry), as the mail worker last counted them",
            mail_pending.clone(),
        );
        let job_runs = Counter::default();
        registry.register(
            "supportdesk_job_runs",
            "Runs of timed jobs (auto-close, SLA breaches, pruning)",
            job_runs.clone(),
        );
        let job_round_failures = Counter::default();
        registry.register(
            "supportdesk_job_round_failures",
            "Job runner rounds that failed to claim or schedule",
            job_round_failures.clone(),
        );
        Self {
            registry,
            requests,
            durations,
            tickets_created,
            pool_connections,
            write_commits,
            committed_writes,
            webhook_attempts,
            webhook_delay,
            webhook_pending,
            mail_pending,
            job_runs,
            job_round_failures,
            pool: RwLock::new(None),
        }
    }

    /// Plugs in the pool's numbers (the server does, for the Diesel pool).
    pub fn set_pool_stats(&self, pool: Arc<dyn PoolStats>) {
        if let Ok(mut slot) = self.pool.write() {
            *slot = Some(pool);
        }
    }

    /// Records one finished request.
    pub fn observe_request(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        let labels = RequestLabels { method: method.to_owned(), route: route.to_owned(), status };
        self.durations.get_or_create(&labels).observe(elapsed.as_secs_f64());
        self.requests.get_or_create(&labels).inc();
    }

    /// The webhook worker's queue depth: how many deliveries are pending.
    pub fn webhook_backlog(&self, pending: u64) {
        self.webhook_pending.set(i64::try_from(pending).unwrap_or(i64::MAX));
    }

    /// The mail worker's queue depth: how many mails are pending.
    pub fn mail_backlog(&self, pending: u64) {
        self.mail_pending.set(i64::try_from(pending).unwrap_or(i64::MAX));
    }

    /// Counts a ticket created (not a replay).
    pub fn ticket_created(&self) {
        self.tickets_created.inc();
    }

    /// Records one webhook attempt; `delay` is from the event to the attempt's end.
    pub fn webhook_attempt(&self, succeeded: bool, delay: Duration) {
        let outcome = if succeeded { "succeeded" } else { "failed" };
        self.webhook_attempts.get_or_create(&OutcomeLabels { outcome }).inc();
        if succeeded {
            self.webhook_delay.observe(delay.as_secs_f64());
        }
    }

    /// Records one round of the job runner: how many runs it made, or that it failed.
    pub fn job_round(&self, runs: Result<usize, ()>) {
        match runs {
            Ok(runs) => {
                self.job_runs.inc_by(u64::try_from(runs).unwrap_or(u64::MAX));
            }
            Err(()) => {
                self.job_round_failures.inc();
            }
        }
    }

    /// Tickets created since start.
    pub fn tickets_created_total(&self) -> u64 {
        self.tickets_created.get()
    }

    /// Everything, in the OpenMetrics text format ([`CONTENT_TYPE`]).
    pub fn render(&self) -> String {
        let pool = self.pool.read().ok().and_then(|p| p.clone());
        if let Some(pool) = pool {
            self.pool_connections.get_or_create(&PoolLabels { state: "in_use" }).set(i64::from(pool.in_use()));
            self.pool_connections.get_or_create(&PoolLabels { state: "idle" }).set(i64::from(pool.idle()));
            if let Some((commits, writes)) = pool.grouped_commits() {
                // The store counts; the counters show its totals.
                let writer = WriterLabels { writer: "sqlite" };
                self.write_commits.get_or_create(&writer).inner().store(commits, Ordering::Relaxed);
                self.committed_writes.get_or_create(&writer).inner().store(writes, Ordering::Relaxed);
            }
        }
        let mut out = String::with_capacity(4096);
        // Writing into a String cannot fail.
        let _ = encode(&mut out, &self.registry);
        out
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    struct FixedPool;

    impl PoolStats for FixedPool {
        fn in_use(&self) -> u32 {
            3
        }
        fn idle(&self) -> u32 {
            5
        }
        fn grouped_commits(&self) -> Option<(u64, u64)> {
            Some((10, 64))
        }
    }

    #[test]
    fn requests_are_counted_by_route_pattern_and_status_with_a_histogram() {
        let metrics = Metrics::new();
        metrics.observe_request("GET", "/api/v1/tickets/{ticket}", 200, Duration::from_millis(3));
        metrics.observe_request("GET", "/api/v1/tickets/{ticket}", 200, Duration::from_millis(30));
        let text = metrics.render();
        assert!(text.contains(r#"http_requests_total{method="GET",route="/api/v1/tickets/{ticket}",status="200"} 2"#));
        assert!(text.contains(
            r#"http_request_duration_seconds_bucket{le="0.005",method="GET",route="/api/v1/tickets/{ticket}",status="200"} 1"#
        ));
        assert!(text.contains(
            r#"http_request_duration_seconds_bucket{le="+Inf",method="GET",route="/api/v1/tickets/{ticket}",status="200"} 2"#
        ));
    }

    #[test]
    fn pool_stats_appear_once_plugged_in() {
        let metrics = Metrics::new();
        assert!(!metrics.render().contains("supportdesk_db_pool_connections"));
        metrics.set_pool_stats(Arc::new(FixedPool));
        let text = metrics.render();
        assert!(text.contains(r#"supportdesk_db_pool_connections{state="in_use"} 3"#));
        assert!(text.contains(r#"supportdesk_db_pool_connections{state="idle"} 5"#));
        assert!(text.contains(r#"supportdesk_db_write_commits_total{writer="sqlite"} 10"#), "{text}");
        assert!(text.contains(r#"supportdesk_db_committed_writes_total{writer="sqlite"} 64"#), "{text}");
    }

    #[test]
    fn webhook_attempts_count_by_outcome_and_successes_time_their_delay() {
        let metrics = Metrics::new();
        metrics.webhook_attempt(true, Duration::from_millis(300));
        metrics.webhook_attempt(false, Duration::from_secs(3));
        metrics.job_round(Ok(2));
        metrics.job_round(Err(()));
        metrics.webhook_backlog(7);
        metrics.mail_backlog(3);
        let text = metrics.render();
        assert!(text.contains("supportdesk_webhook_deliveries_pending 7"), "{text}");
        assert!(text.contains("supportdesk_mail_deliveries_pending 3"), "{text}");
        assert!(text.contains(r#"supportdesk_webhook_attempts_total{outcome="succeeded"} 1"#), "{text}");
        assert!(text.contains(r#"supportdesk_webhook_attempts_total{outcome="failed"} 1"#), "{text}");
        assert!(text.contains(r#"supportdesk_webhook_delivery_delay_seconds_bucket{le="0.5"} 1"#), "{text}");
        assert!(text.contains("supportdesk_webhook_delivery_delay_seconds_count 1"), "{text}");
        assert!(text.contains("supportdesk_job_runs_total 2"), "{text}");
        assert!(text.contains("supportdesk_job_round_failures_total 1"), "{text}");
    }

    #[test]
    fn the_exposition_is_openmetrics_with_its_end_marker() {
        let metrics = Metrics::new();
        metrics.ticket_created();
        let text = metrics.render();
        assert!(text.contains("# TYPE supportdesk_tickets_created counter"), "{text}");
        assert!(text.contains("supportdesk_tickets_created_total 1"), "{text}");
        assert!(text.ends_with("# EOF\n"), "{text}");
    }
}
