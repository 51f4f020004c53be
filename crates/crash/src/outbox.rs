//! The outbox under SIGKILL: a webhook receiver on loopback with two endpoints subscribed to
//! every event, and, after the load, the change feed read to its end. Every event of the
//! feed must be there once, every ticket and reply answered 201 must have its event in it,
//! and every endpoint must have received every event at least once, each delivery carrying
//! the event's id as `webhook-id` (so a repeat after a kill carries the same one).

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use serde_json::Value;
use uuid::Uuid;

use crate::load::{Created, Replied};
use crate::BoxError;

/// The endpoints' paths on the receiver: two subscriptions, so fan-out is checked too.
pub const ENDPOINTS: [&str; 2] = ["shop", "warehouse"];

/// What the receiver saw, per endpoint: each `webhook-id` and how often it came.
#[derive(Debug, Default)]
struct Seen {
    by_endpoint: HashMap<String, HashMap<String, u32>>,
    /// Deliveries whose body's `id` is not their `webhook-id`, or that had none.
    malformed: Vec<String>,
}

/// The receiver: an actix-web server on its own thread, answering 204 to every delivery.
pub struct Receiver {
    /// Where it listens.
    pub addr: SocketAddr,
    seen: Arc<Mutex<Seen>>,
    handle: actix_web::dev::ServerHandle,
}

async fn receive(
    endpoint: web::Path<String>,
    request: HttpRequest,
    body: web::Bytes,
    seen: web::Data<Mutex<Seen>>,
) -> HttpResponse {
    let webhook_id = request.headers().get("webhook-id").and_then(|v| v.to_str().ok()).unwrap_or_default();
    let body_id = serde_json::from_slice::<Value>(&body).ok().and_then(|v| v["id"].as_str().map(str::to_owned));
    if let Ok(mut seen) = seen.lock() {
        if webhook_id.is_empty() || body_id.as_deref() != Some(webhook_id) {
            seen.malformed.push(format!("{endpoint}: webhook-id {webhook_id:?}, body id {body_id:?}"));
        }
        *seen.by_endpoint.entry(endpoint.into_inner()).or_default().entry(webhook_id.to_owned()).or_default() += 1;
    }
    HttpResponse::NoContent().finish()
}

impl Receiver {
    /// Starts listening on `127.0.0.1:0`.
    ///
    /// # Errors
    ///
    /// It cannot bind.
    pub fn start() -> Result<Self, BoxError> {
        let seen = Arc::new(Mutex::new(Seen::default()));
        let data = web::Data::from(seen.clone());
        let (started, ready) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let system = actix_web::rt::System::new();
            system.block_on(async move {
                let server = HttpServer::new(move || {
                    App::new().app_data(data.clone()).route("/hooks/{endpoint}", web::post().to(receive))
                })
                .workers(1)
                .bind("127.0.0.1:0");
                let server = match server {
                    Ok(server) => server,
                    Err(error) => {
                        let _ = started.send(Err(error.to_string()));
                        return;
                    }
                };
                let addr = server.addrs().first().copied();
                let running = server.run();
                let _ = started.send(addr.map(|a| (a, running.handle())).ok_or_else(|| "no address".to_owned()));
                let _ = running.await;
            });
        });
        let (addr, handle) = ready.recv_timeout(Duration::from_secs(10))??;
        Ok(Self { addr, seen, handle })
    }

    /// The URL of endpoint `name`.
    pub fn url(&self, name: &str) -> String {
        format!("http://{}/hooks/{name}", self.addr)
    }

    fn received(&self) -> (HashMap<String, HashMap<String, u32>>, Vec<String>) {
        self.seen.lock().map(|s| (s.by_endpoint.clone(), s.malformed.clone())).unwrap_or_default()
    }

    /// Stops the server.
    pub async fn stop(self) {
        self.handle.stop(false).await;
    }
}

/// Subscribes the receiver's endpoints to every event.
///
/// # Errors
///
/// A subscription is refused.
pub async fn subscribe(http: &reqwest::Client, base: &str, admin: &str, receiver: &Receiver) -> Result<(), BoxError> {
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
    receiver: &Receiver,
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
    let mut last_progress = (Instant::now(), 0_u64);
    let undelivered = loop {
        let (received, _) = receiver.received();
        let missing: Vec<String> = ENDPOINTS
            .iter()
            .flat_map(|name| {
                let got = received.get(*name);
                ids.iter()
                    .filter(move |id| !got.is_some_and(|g| g.contains_key(**id)))
                    .map(move |id| format!("{name} never received event {id}"))
            })
            .collect();
        let total: u64 = received.values().flat_map(|m| m.values()).map(|n| u64::from(*n)).sum();
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
    let (received, malformed) = receiver.received();
    findings.malformed = malformed;
    for (name, got) in &received {
        for (id, count) in got {
            findings.deliveries += u64::from(*count);
            findings.repeats += u64::from(count.saturating_sub(1));
            if !ids.contains(id.as_str()) {
                findings.malformed.push(format!("{name} received webhook-id {id}, which is no event of the feed"));
            }
        }
    }
    Ok(findings)
}
