//! The outbox under SIGKILL: a webhook receiver on loopback with two endpoints subscribed to
//! every event, and, after the load, the change feed read to its end. Every event of the
//! feed must be there once, every ticket and reply answered 201 must have its event in it,
//! and every endpoint must have received every event at least once, each delivery carrying
//! the event's id as `webhook-id` (so a repeat after a kill carries the same one).

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use serde_json::Value;
use supportdesk_testsupport::webhook_receiver::WebhookReceiver;
use uuid::Uuid;

use crate::load::{Created, Replied};
use crate::BoxError;

/// The endpoints' paths on the receiver: two subscriptions, so fan-out is checked too.
pub const ENDPOINTS: [&str; 2] = ["shop", "warehouse"];

/// Subscribes the receiver's endpoints to every event.
///
/// # Errors
///
/// A subscription is refused.
pub async fn subscribe(
    http: &reqwest::Client,
    base: &str,
    admin: &str,
    receiver: &WebhookReceiver,
) -> Result<(), BoxError> {
    for name in ENDPOINTS {
        let body = serde_json::json!({"url": receiver.url(name), "events": ["*"], "description": name});
        let response = http.post(format!("{base}/api/v1/admin/webhooks")).bearer_auth(admin).json(&body).send().await?;
        if response.status() != reqwest::StatusCode::CREATED {
            return Err(format!("subscribing {name}: {} {}", response.status(), response.text().await?).into());
        }
    }
    Ok(())
}

/// What the outbox checks found; every list empty is a pass.
#[derive(Debug, Default)]
pub struct OutboxFindings {
    /// Events in the feed more than once.
    pub feed_repeats: Vec<String>,
    /// Tickets and replies answered 201 whose event is not in the feed.
    pub feed_missing: Vec<String>,
    /// Feed events an endpoint never received.
    pub undelivered: Vec<String>,
    /// Deliveries that do not name their event as `webhook-id`, or name no event of the feed.
    pub malformed: Vec<String>,
    /// Events in the feed.
    pub events: usize,
    /// Deliveries received, over both endpoints.
    pub deliveries: u64,
    /// Of them, repeats of an event an endpoint had already received.
    pub repeats: u64,
    /// How long the deliveries took to catch up after the load.
    pub drained_in: Duration,
}

/// How often each endpoint received each `webhook-id`.
fn per_endpoint(receiver: &WebhookReceiver) -> HashMap<String, HashMap<String, u64>> {
    let mut counts: HashMap<String, HashMap<String, u64>> = HashMap::new();
    for delivery in receiver.received() {
        *counts.entry(delivery.endpoint).or_default().entry(delivery.webhook_id).or_default() += 1;
    }
    counts
}

/// One event of the feed: its id, and the ticket or message it is about.
struct FeedEvent {
    id: String,
    kind: String,
    ticket: Option<Uuid>,
    message: Option<Uuid>,
}

async fn read_feed(http: &reqwest::Client, base: &str, admin: &str) -> Result<Vec<FeedEvent>, BoxError> {
    let mut events = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let mut url = format!("{base}/api/v1/admin/events?limit=500");
        if let Some(cursor) = &after {
            url.push_str("&after=");
            url.push_str(cursor);
        }
        let response = http.get(&url).bearer_auth(admin).send().await?;
        if !response.status().is_success() {
            return Err(format!("GET {url}: {} {}", response.status(), response.text().await?).into());
        }
        let page: Value = response.json().await?;
        let data = page["data"].as_array().cloned().unwrap_or_default();
        if data.is_empty() {
            return Ok(events);
        }
        events.extend(data.iter().map(|e| FeedEvent {
            id: e["id"].as_str().unwrap_or_default().to_owned(),
            kind: e["type"].as_str().unwrap_or_default().to_owned(),
            ticket: e["ticket"]["id"].as_str().and_then(|s| s.parse().ok()),
            message: e["data"]["messageId"].as_str().and_then(|s| s.parse().ok()),
        }));
        after = page["meta"]["nextCursor"].as_str().map(str::to_owned);
        if after.is_none() {
            return Ok(events);
        }
    }
}

/// Reads the feed to its end, then waits while deliveries still arrive (at most
/// `patience` without progress), and checks both against the journal.
///
/// # Errors
///
/// The feed cannot be read.
pub async fn verify(
    http: &reqwest::Client,
    base: &str,
    admin: &str,
    receiver: &WebhookReceiver,
    created: &[Created],
    replied: &[Replied],
    patience: Duration,
) -> Result<OutboxFindings, BoxError> {
    let mut findings = OutboxFindings::default();
    let feed = read_feed(http, base, admin).await?;
    findings.events = feed.len();
    let mut ids = HashSet::new();
    for event in &feed {
        if !ids.insert(event.id.as_str()) {
            findings.feed_repeats.push(format!("event {} ({}) twice in the feed", event.id, event.kind));
        }
    }
    let opened: HashSet<Uuid> = feed.iter().filter(|e| e.kind == "ticket.created").filter_map(|e| e.ticket).collect();
    let messages: HashSet<Uuid> = feed
        .iter()
        .filter(|e| matches!(e.kind.as_str(), "ticket.message_added" | "ticket.note_added"))
        .filter_map(|e| e.message)
        .collect();
    findings.feed_missing.extend(
        created.iter().filter(|c| !opened.contains(&c.ticket)).map(|c| format!("ticket.created of {}", c.ticket)),
    );
    findings.feed_missing.extend(
        replied
            .iter()
            .filter(|r| !messages.contains(&r.message))
            .map(|r| format!("the event of message {}", r.message)),
    );

    // Deliveries claimed by a killed server wait for their lease to run out; keep waiting
    // while they still come.
    let started = Instant::now();
    let mut last_progress = (Instant::now(), 0_usize);
    let undelivered = loop {
        let received = per_endpoint(receiver);
        let missing: Vec<String> = ENDPOINTS
            .iter()
            .flat_map(|name| {
                let got = received.get(*name);
                ids.iter()
                    .filter(move |id| !got.is_some_and(|g| g.contains_key(**id)))
                    .map(move |id| format!("{name} never received event {id}"))
            })
            .collect();
        let total = receiver.count();
        if total > last_progress.1 {
            last_progress = (Instant::now(), total);
        }
        if missing.is_empty() || last_progress.0.elapsed() > patience {
            break missing;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    findings.drained_in = started.elapsed();
    findings.undelivered = undelivered;
    for delivery in receiver.received() {
        findings.deliveries += 1;
        if delivery.webhook_id.is_empty() || delivery.event_id.as_deref() != Some(delivery.webhook_id.as_str()) {
            findings.malformed.push(format!(
                "{}: webhook-id {:?}, body id {:?}",
                delivery.endpoint, delivery.webhook_id, delivery.event_id
            ));
        } else if !ids.contains(delivery.webhook_id.as_str()) {
            findings.malformed.push(format!(
                "{} received webhook-id {}, which is no event of the feed",
                delivery.endpoint, delivery.webhook_id
            ));
        }
    }
    findings.repeats = per_endpoint(receiver).values().flat_map(HashMap::values).map(|n| n.saturating_sub(1)).sum();
    Ok(findings)
}
