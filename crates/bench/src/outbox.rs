//! What leaves the service: the `webhook fan-out` and `feed` measurements.
//!
//! Two webhook endpoints on a receiver in this process (`supportdesk-testsupport`) are
//! subscribed to every event. At a steady rate of creates, the receiver stamps each
//! delivery on arrival; its latency is the arrival minus the event's `occurredAt`, which the
//! service takes inside the writing transaction, just before the commit, so the figure is
//! commit-to-delivery plus the few statements before the commit. Meanwhile a follower
//! long-polls the change feed and stamps each event as it sees it the same way.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use hdrhistogram::Histogram;
use serde::Serialize;
use serde_json::Value;
use supportdesk_testsupport::webhook_receiver::WebhookReceiver;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::db::Backend;
use crate::driver::{self, Method, Request};
use crate::BoxError;

/// The bootstrap admin the bench starts the server with (it subscribes the endpoints).
pub const ADMIN_EMAIL: &str = "bench-admin@shop.example";
/// Its password.
pub const ADMIN_PASSWORD: &str = "bench admin password, loopback only";

/// The endpoints subscribed, by their path on the receiver.
pub const ENDPOINTS: [&str; 2] = ["shop", "warehouse"];

/// The steady rate of the fan-out run, creates per second.
pub const RATE: f64 = 200.0;

/// One fan-out measurement.
#[derive(Debug, Clone, Serialize)]
pub struct FanOut {
    /// The database.
    pub backend: Backend,
    /// Creates per second asked for.
    pub rate: f64,
    /// Creates answered 201 per second.
    pub creates_per_s: f64,
    /// Seconds of load.
    pub seconds: f64,
    /// Events the run committed (from the feed follower).
    pub events: u64,
    /// Deliveries received, both endpoints, of the run's events.
    pub deliveries: u64,
    /// Deliveries per second, from the first to the last.
    pub deliveries_per_s: f64,
    /// Commit to delivery, ms: median.
    pub delivery_p50_ms: f64,
    /// 99th percentile.
    pub delivery_p99_ms: f64,
    /// Slowest.
    pub delivery_max_ms: f64,
    /// Commit to the feed follower seeing the event, ms: median.
    pub feed_p50_ms: f64,
    /// 99th percentile.
    pub feed_p99_ms: f64,
    /// Events of the run that did not arrive at both endpoints within 30 s of its end.
    pub undelivered: u64,
}

/// Logs in the bootstrap admin.
///
/// # Errors
///
/// The login is refused.
pub async fn log_in_admin(addr: SocketAddr) -> Result<Arc<str>, BoxError> {
    let body = serde_json::json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD});
    let request = Request {
        method: Method::Post,
        path: "/api/v1/auth/login".into(),
        token: None,
        body: Some(serde_json::to_vec(&body)?),
        page: false,
    };
    let response = driver::fetch(addr, &request).await?;
    let answer: Value = serde_json::from_slice(&response.body)?;
    match answer["accessToken"].as_str() {
        Some(token) if response.status == 200 => Ok(Arc::from(token)),
        _ => Err(format!("admin login answered {}: {answer}", response.status).into()),
    }
}

/// Subscribes every endpoint of `receiver` to every event.
///
/// # Errors
///
/// A subscription is refused.
pub async fn subscribe(addr: SocketAddr, admin: &Arc<str>, receiver: &WebhookReceiver) -> Result<(), BoxError> {
    for name in ENDPOINTS {
        let body = serde_json::json!({"url": receiver.url(name), "events": ["*"], "description": name});
        let request = Request::post("/api/v1/admin/webhooks".into(), admin, serde_json::to_vec(&body)?);
        let response = driver::fetch(addr, &request).await?;
        if response.status != 201 {
            return Err(format!(
                "subscribing {name} answered {}: {}",
                response.status,
                String::from_utf8_lossy(&response.body)
            )
            .into());
        }
    }
    Ok(())
}

/// Removes every endpoint, so later runs are measured without webhooks.
///
/// # Errors
///
/// The list or a delete fails.
pub async fn unsubscribe_all(addr: SocketAddr, admin: &Arc<str>) -> Result<(), BoxError> {
    let listed = driver::fetch(addr, &Request::get("/api/v1/admin/webhooks".into(), admin)).await?;
    let listed: Value = serde_json::from_slice(&listed.body)?;
    let ids: Vec<String> = listed["data"]
        .as_array()
        .or_else(|| listed.as_array())
        .map(|a| a.iter().filter_map(|w| w["id"].as_str().map(str::to_owned)).collect())
        .unwrap_or_default();
    for id in ids {
        let request = Request { method: Method::Delete, ..Request::get(format!("/api/v1/admin/webhooks/{id}"), admin) };
        let response = driver::fetch(addr, &request).await?;
        if response.status != 204 {
            return Err(format!("deleting webhook {id} answered {}", response.status).into());
        }
    }
    Ok(())
}

/// The feed's cursor after its last event (the follower starts there).
///
/// # Errors
///
/// The feed cannot be read.
pub async fn feed_end(addr: SocketAddr, token: &Arc<str>) -> Result<Option<String>, BoxError> {
    let mut cursor: Option<String> = None;
    loop {
        let (events, next) = feed_page(addr, token, cursor.as_deref(), 0).await?;
        if events.is_empty() {
            return Ok(cursor);
        }
        cursor = next.or(cursor);
    }
}

/// Every cursor of the feed from its start, one per page of `limit` (the `feed` scenario
/// reads after a random one).
///
/// # Errors
///
/// The feed cannot be read.
pub async fn feed_cursors(addr: SocketAddr, token: &Arc<str>) -> Result<Vec<String>, BoxError> {
    let mut cursors = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let (events, next) = feed_page(addr, token, cursor.as_deref(), 0).await?;
        match next {
            Some(next) if !events.is_empty() => {
                cursors.push(next.clone());
                cursor = Some(next);
            }
            _ => return Ok(cursors),
        }
    }
}

async fn feed_page(
    addr: SocketAddr,
    token: &Arc<str>,
    after: Option<&str>,
    wait: u32,
) -> Result<(Vec<Value>, Option<String>), BoxError> {
    let mut path = format!("/api/v1/admin/events?limit=500&wait={wait}");
    if let Some(after) = after {
        path.push_str("&after=");
        path.push_str(after);
    }
    let response = driver::fetch(addr, &Request::get(path.clone(), token)).await?;
    if response.status != 200 {
        return Err(format!("GET {path} answered {}", response.status).into());
    }
    let page: Value = serde_json::from_slice(&response.body)?;
    let events = page["data"].as_array().cloned().unwrap_or_default();
    Ok((events, page["meta"]["nextCursor"].as_str().map(str::to_owned)))
}

fn occurred_at(text: Option<&str>) -> Option<SystemTime> {
    let at = OffsetDateTime::parse(text?, &Rfc3339).ok()?;
    let nanos = u64::try_from(at.unix_timestamp_nanos()).ok()?;
    Some(SystemTime::UNIX_EPOCH + Duration::from_nanos(nanos))
}

fn millis(histogram: &Histogram<u64>, quantile: f64) -> f64 {
    if histogram.is_empty() {
        return 0.0;
    }
    histogram.value_at_quantile(quantile) as f64 / 1_000.0
}

/// Follows the feed from `after` until `stop`, recording each event's lag (µs); returns the
/// events seen.
async fn follow(
    addr: SocketAddr,
    token: Arc<str>,
    mut after: Option<String>,
    stop: Arc<AtomicBool>,
) -> Result<(Histogram<u64>, Vec<String>), BoxError> {
    let mut lag = driver::histogram()?;
    let mut seen = Vec::new();
    while !stop.load(Ordering::Relaxed) {
        let (events, next) = feed_page(addr, &token, after.as_deref(), 1).await?;
        let now = SystemTime::now();
        for event in &events {
            if let Some(at) = occurred_at(event["occurredAt"].as_str()) {
                let micros = now.duration_since(at).unwrap_or_default().as_micros();
                lag.saturating_record(u64::try_from(micros).unwrap_or(u64::MAX).max(1));
            }
            seen.extend(event["id"].as_str().map(str::to_owned));
        }
        after = next.or(after);
    }
    Ok((lag, seen))
}

/// Waits until `receiver` has received nothing for `quiet`, at most `limit`.
async fn wait_until_quiet(receiver: &WebhookReceiver, quiet: Duration, limit: Duration) {
    let deadline = std::time::Instant::now() + limit;
    let (mut seen, mut since) = (receiver.count(), std::time::Instant::now());
    while std::time::Instant::now() < deadline && since.elapsed() < quiet {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let now = receiver.count();
        if now != seen {
            (seen, since) = (now, std::time::Instant::now());
        }
    }
}

/// The steady run, once the outbox has drained: `create` at [`RATE`] per second for
/// `duration` while the endpoints receive and a follower reads the feed; then up to 30 s
/// for the last deliveries.
///
/// # Errors
///
/// The load or the follower fails.
pub async fn fan_out(
    addr: SocketAddr,
    backend: Backend,
    admin: Arc<str>,
    receiver: &WebhookReceiver,
    workload: Arc<dyn driver::Workload>,
    duration: Duration,
) -> Result<FanOut, BoxError> {
    // The runs before this one (creates at concurrency 32 with the endpoints subscribed)
    // leave deliveries queued; a steady load is measured from a drained outbox, not
    // behind that backlog.
    wait_until_quiet(receiver, Duration::from_secs(1), Duration::from_secs(120)).await;
    let start_cursor = feed_end(addr, &admin).await?;
    receiver.clear();
    let stop = Arc::new(AtomicBool::new(false));
    let follower = tokio::spawn(follow(addr, admin.clone(), start_cursor, stop.clone()));
    let plan =
        driver::Plan { concurrency: 8, duration, timeout: Duration::from_secs(10), seed: 0xFA_0007, rate: Some(RATE) };
    let load = driver::run(addr, workload, plan).await?;
    // The follower sees the last events within its one-second long-poll.
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    stop.store(true, Ordering::Relaxed);
    let (feed_lag, events) = follower.await??;
    let expected = events.len() * ENDPOINTS.len();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while receiver.count() < expected && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let wanted: std::collections::HashSet<&str> = events.iter().map(String::as_str).collect();
    let mut delivery = driver::histogram()?;
    let mut deliveries = 0_u64;
    let (mut first, mut last) = (None::<SystemTime>, None::<SystemTime>);
    let mut delivered = std::collections::HashSet::new();
    for received in receiver.received() {
        if !wanted.contains(received.webhook_id.as_str()) {
            continue;
        }
        deliveries += 1;
        delivered.insert((received.endpoint.clone(), received.webhook_id.clone()));
        first = Some(first.map_or(received.received_at, |f| f.min(received.received_at)));
        last = Some(last.map_or(received.received_at, |l| l.max(received.received_at)));
        if let Some(at) = occurred_at(received.occurred_at.as_deref()) {
            let micros = received.received_at.duration_since(at).unwrap_or_default().as_micros();
            delivery.saturating_record(u64::try_from(micros).unwrap_or(u64::MAX).max(1));
        }
    }
    let span = match (first, last) {
        (Some(first), Some(last)) => last.duration_since(first).unwrap_or_default().as_secs_f64(),
        _ => 0.0,
    };
    Ok(FanOut {
        backend,
        rate: RATE,
        creates_per_s: load.ok as f64 / load.elapsed.as_secs_f64().max(0.001),
        seconds: duration.as_secs_f64(),
        events: events.len() as u64,
        deliveries,
        deliveries_per_s: if span > 0.0 { deliveries as f64 / span } else { 0.0 },
        delivery_p50_ms: millis(&delivery, 0.50),
        delivery_p99_ms: millis(&delivery, 0.99),
        delivery_max_ms: delivery.max() as f64 / 1_000.0,
        feed_p50_ms: millis(&feed_lag, 0.50),
        feed_p99_ms: millis(&feed_lag, 0.99),
        undelivered: expected.saturating_sub(delivered.len()) as u64,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn occurred_at_reads_the_events_timestamps() {
        let at = occurred_at(Some("2026-11-29T10:00:00.250Z")).unwrap();
        assert_eq!(at.duration_since(SystemTime::UNIX_EPOCH).unwrap().as_millis(), 1_795_946_400_250);
        assert!(occurred_at(Some("yesterday")).is_none());
    }
}
