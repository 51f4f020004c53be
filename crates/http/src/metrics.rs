//! Prometheus metrics in the text exposition format, written by hand: request counts and a
//! latency histogram by method, route pattern and status; tickets created; and the database
//! pool's connections through the [`PoolStats`] hook the server plugs in.
//!
//! Routes are labelled with their pattern (`/api/v1/tickets/{ticket}`), never the raw path,
//! and unmatched requests share one label, so the number of series stays bounded.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

/// The connection pool's numbers, as the server's store adapter reports them.
pub trait PoolStats: Send + Sync {
    /// Connections checked out now.
    fn in_use(&self) -> u32;
    /// Connections open and idle now.
    fn idle(&self) -> u32;
}

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 12] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0];

/// The label of requests no route matched.
pub const UNMATCHED_ROUTE: &str = "unmatched";

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct SeriesKey {
    method: String,
    route: String,
    status: u16,
}

#[derive(Debug, Default, Clone)]
struct Series {
    count: u64,
    sum_seconds: f64,
    buckets: [u64; BUCKETS.len()],
}

/// The service's metrics. Shared by the request middleware and the `/metrics` route.
#[derive(Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<SeriesKey, Series>>,
    tickets_created: AtomicU64,
    pool: RwLock<Option<Arc<dyn PoolStats>>>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").field("tickets_created", &self.tickets_created).finish_non_exhaustive()
    }
}

impl Metrics {
    /// Empty metrics.
    pub fn new() -> Self {
        Self::default()
    }

    /// Plugs in the pool's numbers (the server does, for the Diesel pool).
    pub fn set_pool_stats(&self, pool: Arc<dyn PoolStats>) {
        if let Ok(mut slot) = self.pool.write() {
            *slot = Some(pool);
        }
    }

    /// Records one finished request.
    pub fn observe_request(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        let seconds = elapsed.as_secs_f64();
        let Ok(mut requests) = self.requests.lock() else {
            return;
        };
        let key = SeriesKey { method: method.to_owned(), route: route.to_owned(), status };
        let series = requests.entry(key).or_default();
        series.count += 1;
        series.sum_seconds += seconds;
        for (bucket, bound) in series.buckets.iter_mut().zip(BUCKETS) {
            if seconds <= bound {
                *bucket += 1;
            }
        }
    }

    /// Counts a ticket created (not a replay).
    pub fn ticket_created(&self) {
        self.tickets_created.fetch_add(1, Ordering::Relaxed);
    }

    /// Tickets created since start.
    pub fn tickets_created_total(&self) -> u64 {
        self.tickets_created.load(Ordering::Relaxed)
    }

    /// Everything, in the Prometheus text format (version 0.0.4).
    pub fn render(&self) -> String {
        let mut out = String::with_capacity(4096);
        let requests = self.requests.lock().map(|r| r.clone()).unwrap_or_default();
        out.push_str("# HELP http_requests_total HTTP requests by method, route pattern and status.\n");
        out.push_str("# TYPE http_requests_total counter\n");
        for (key, series) in &requests {
            let _ = writeln!(out, "http_requests_total{{{}}} {}", labels(key), series.count);
        }
        out.push_str(
            "# HELP http_request_duration_seconds HTTP request latency by method, route pattern and status.\n",
        );
        out.push_str("# TYPE http_request_duration_seconds histogram\n");
        for (key, series) in &requests {
            let labels = labels(key);
            for (bound, count) in BUCKETS.iter().zip(series.buckets) {
                let _ = writeln!(out, "http_request_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {count}");
            }
            let _ = writeln!(out, "http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}", series.count);
            let _ = writeln!(out, "http_request_duration_seconds_sum{{{labels}}} {}", series.sum_seconds);
            let _ = writeln!(out, "http_request_duration_seconds_count{{{labels}}} {}", series.count);
        }
        out.push_str("# HELP supportdesk_tickets_created_total Tickets created (idempotent replays excluded).\n");
        out.push_str("# TYPE supportdesk_tickets_created_total counter\n");
        let _ = writeln!(out, "supportdesk_tickets_created_total {}", self.tickets_created_total());
        let pool = self.pool.read().ok().and_then(|p| p.clone());
        if let Some(pool) = pool {
            out.push_str("# HELP supportdesk_db_pool_connections Database pool connections by state.\n");
            out.push_str("# TYPE supportdesk_db_pool_connections gauge\n");
            let _ = writeln!(out, "supportdesk_db_pool_connections{{state=\"in_use\"}} {}", pool.in_use());
            let _ = writeln!(out, "supportdesk_db_pool_connections{{state=\"idle\"}} {}", pool.idle());
        }
        out
    }
}

fn labels(key: &SeriesKey) -> String {
    format!("method=\"{}\",route=\"{}\",status=\"{}\"", escape(&key.method), escape(&key.route), key.status)
}

/// Escapes a label value: backslash, double quote and newline.
fn escape(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
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
    }

    #[test]
    fn requests_are_counted_by_route_pattern_and_status_with_a_histogram() {
        let metrics = Metrics::new();
        metrics.observe_request("GET", "/api/v1/tickets/{ticket}", 200, Duration::from_millis(3));
        metrics.observe_request("GET", "/api/v1/tickets/{ticket}", 200, Duration::from_millis(30));
        let text = metrics.render();
        assert!(text.contains(r#"http_requests_total{method="GET",route="/api/v1/tickets/{ticket}",status="200"} 2"#));
        assert!(text.contains(
            r#"http_request_duration_seconds_bucket{method="GET",route="/api/v1/tickets/{ticket}",status="200",le="0.005"} 1"#
        ));
        assert!(text.contains(
            r#"http_request_duration_seconds_bucket{method="GET",route="/api/v1/tickets/{ticket}",status="200",le="+Inf"} 2"#
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
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
