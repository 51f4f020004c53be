//! The load: workers that open tickets and reply to them (as their customer, and as an admin
//! in public replies and internal notes), every write with its own `Idempotency-Key`. A
//! request that gets no answer (connection error, timeout, 5xx) is sent again, same key, same
//! body, to whichever server is up, until it is answered.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::server::Slot;

/// Counters shared by the workers.
#[derive(Debug, Default)]
pub struct Stats {
    /// HTTP attempts sent.
    pub attempts: AtomicU64,
    /// Attempts that ended in a connection error (refused, reset, closed mid-answer).
    pub connection_errors: AtomicU64,
    /// Attempts that timed out.
    pub timeouts: AtomicU64,
    /// Attempts answered 5xx.
    pub server_errors: AtomicU64,
    /// Requests that needed more than one attempt.
    pub retried: AtomicU64,
    /// Answers marked `Idempotent-Replayed: true`: the first attempt had been applied but its
    /// answer was lost.
    pub replayed: AtomicU64,
}

/// What the workers share: the servers, the tokens, one HTTP client.
pub struct Ctx {
    /// The servers; a request goes to any that is up.
    pub slots: Vec<Arc<Slot>>,
    /// One customer token per worker.
    pub customers: Vec<String>,
    /// An admin token.
    pub admin: String,
    /// The client (a per-attempt timeout).
    pub http: reqwest::Client,
    /// Counters.
    pub stats: Stats,
    /// When the run started: instants are kept as offsets from it.
    pub epoch: Instant,
    /// No new request after this.
    pub load_end: Instant,
    /// A request still unanswered at this point is reported as never answered.
    pub give_up: Instant,
    /// Send `Idempotency-Key`s (always, except to check that the checks catch duplicates).
    pub idempotency_keys: bool,
    /// The first 5xx bodies seen, for the report.
    pub server_error_samples: std::sync::Mutex<Vec<String>>,
}

/// A ticket that was opened and answered 201.
#[derive(Debug, Clone)]
pub struct Created {
    /// Its id.
    pub ticket: Uuid,
    /// Its number, as answered.
    pub number: i64,
    /// The id of its first message (the description).
    pub first_message: Uuid,
    /// When the request was first sent.
    pub first_sent: Duration,
    /// When its answer arrived.
    pub answered_at: Duration,
}

/// A reply or note that was answered 201.
#[derive(Debug, Clone)]
pub struct Replied {
    /// Its ticket.
    pub ticket: Uuid,
    /// The message's id.
    pub message: Uuid,
    /// An internal note.
    pub internal: bool,
}

/// What one worker saw.
#[derive(Debug, Default)]
pub struct Journal {
    /// Tickets answered 201.
    pub created: Vec<Created>,
    /// Replies and notes answered 201.
    pub replied: Vec<Replied>,
    /// Requests answered with something other than 201 (a 4xx is a bug here: every request is
    /// valid and every retry repeats its first attempt exactly).
    pub unexpected: Vec<String>,
    /// Requests still unanswered when the run gave up.
    pub unanswered: Vec<String>,
}

enum Kind {
    Create,
    CustomerReply(Uuid),
    AdminReply(Uuid, bool),
}

struct Request<'a> {
    path: String,
    token: &'a str,
    key: String,
    body: Value,
}

struct Answer {
    status: u16,
    body: Value,
}

/// Runs worker `worker` until the load ends; returns what it saw.
pub async fn worker(ctx: Arc<Ctx>, worker: usize, seed: u64) -> Journal {
    let mut rng = StdRng::seed_from_u64(seed ^ (worker as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let mut journal = Journal::default();
    let mut seq = 0u64;
    while Instant::now() < ctx.load_end {
        seq += 1;
        let recent = &journal.created[journal.created.len().saturating_sub(20)..];
        let roll = rng.gen_range(0..100);
        let kind = if recent.is_empty() || roll < 35 {
            Kind::Create
        } else {
            let ticket = recent[rng.gen_range(0..recent.len())].ticket;
            if roll < 70 {
                Kind::CustomerReply(ticket)
            } else {
                Kind::AdminReply(ticket, rng.gen_bool(0.5))
            }
        };
        let key = format!("crash-{worker}-{seq}-{}", Uuid::new_v4().simple());
        let customer = &ctx.customers[worker];
        let request = match kind {
            Kind::Create => {
                let mut body = json!({
                    "category": if rng.gen_bool(0.5) { "order" } else { "product" },
                    "description": format!("Worker {worker} request {seq}: my parcel never arrived. It was due on Monday."),
                });
                if rng.gen_bool(0.5) {
                    body["orderId"] = json!(format!("CR-{worker}-{seq}"));
                }
                Request { path: "/api/v1/tickets".to_owned(), token: customer, key, body }
            }
            Kind::CustomerReply(ticket) => Request {
                path: format!("/api/v1/tickets/{ticket}/messages"),
                token: customer,
                key,
                body: json!({"body": format!("Worker {worker} follow-up {seq}: any news?")}),
            },
            Kind::AdminReply(ticket, internal) => Request {
                path: format!("/api/v1/admin/tickets/{ticket}/messages"),
                token: &ctx.admin,
                key,
                body: json!({"body": format!("Agent note {seq} for worker {worker}."), "internal": internal}),
            },
        };
        let first_sent = ctx.epoch.elapsed();
        let answer = match send(&ctx, worker, &request).await {
            Ok(answer) => answer,
            Err(why) => {
                journal.unanswered.push(format!("POST {} (key {}): {why}", request.path, request.key));
                continue;
            }
        };
        let answered_at = ctx.epoch.elapsed();
        if answer.status != 201 {
            journal.unexpected.push(format!(
                "POST {} (key {}) answered {}: {}",
                request.path, request.key, answer.status, answer.body
            ));
            continue;
        }
        let recorded = match kind {
            Kind::Create => created(&answer.body, first_sent, answered_at).map(|c| journal.created.push(c)),
            Kind::CustomerReply(ticket) => replied(&answer.body, ticket, false).map(|r| journal.replied.push(r)),
            Kind::AdminReply(ticket, internal) => {
                replied(&answer.body, ticket, internal).map(|r| journal.replied.push(r))
            }
        };
        if recorded.is_none() {
            journal.unexpected.push(format!("POST {} answered 201 with an odd body: {}", request.path, answer.body));
        }
    }
    journal
}

fn uuid_at(value: &Value) -> Option<Uuid> {
    value.as_str().and_then(|raw| Uuid::parse_str(raw).ok())
}

fn created(body: &Value, first_sent: Duration, answered_at: Duration) -> Option<Created> {
    Some(Created {
        ticket: uuid_at(&body["id"])?,
        number: body["number"].as_i64()?,
        first_message: uuid_at(&body["messages"][0]["id"])?,
        first_sent,
        answered_at,
    })
}

fn replied(body: &Value, ticket: Uuid, internal: bool) -> Option<Replied> {
    let message = uuid_at(&body["message"]["id"])?;
    (body["message"]["internal"].as_bool()? == internal).then_some(Replied { ticket, message, internal })
}

/// Sends `request` until it is answered (anything but a connection error, a timeout or a
/// 5xx), to the servers in turn, or until the run gives up.
async fn send(ctx: &Ctx, worker: usize, request: &Request<'_>) -> Result<Answer, String> {
    let mut attempt = 0usize;
    let mut last_problem = String::from("no server was up");
    loop {
        if Instant::now() >= ctx.give_up {
            return Err(format!("unanswered after {attempt} attempts; last: {last_problem}"));
        }
        let up = (0..ctx.slots.len()).find_map(|i| ctx.slots[(worker + attempt + i) % ctx.slots.len()].base());
        let Some(base) = up else {
            tokio::time::sleep(Duration::from_millis(20)).await;
            continue;
        };
        attempt += 1;
        ctx.stats.attempts.fetch_add(1, Ordering::Relaxed);
        if attempt == 2 {
            ctx.stats.retried.fetch_add(1, Ordering::Relaxed);
        }
        let mut post = ctx.http.post(format!("{base}{}", request.path)).bearer_auth(request.token);
        if ctx.idempotency_keys {
            post = post.header("Idempotency-Key", &request.key);
        }
        let sent = post.json(&request.body).send().await;
        match sent {
            Err(error) => {
                if error.is_timeout() {
                    ctx.stats.timeouts.fetch_add(1, Ordering::Relaxed);
                } else {
                    ctx.stats.connection_errors.fetch_add(1, Ordering::Relaxed);
                }
                last_problem = format!("{error}");
            }
            Ok(response) => {
                let status = response.status().as_u16();
                let replayed = response.headers().get("idempotent-replayed").is_some_and(|v| v == "true");
                match response.bytes().await {
                    Err(error) => {
                        ctx.stats.connection_errors.fetch_add(1, Ordering::Relaxed);
                        last_problem = format!("answer cut off: {error}");
                    }
                    Ok(_) if status == 429 => last_problem = "429".to_owned(),
                    Ok(bytes) if status >= 500 => {
                        ctx.stats.server_errors.fetch_add(1, Ordering::Relaxed);
                        let text = String::from_utf8_lossy(&bytes).into_owned();
                        if let Ok(mut samples) = ctx.server_error_samples.lock() {
                            if samples.len() < 5 {
                                samples.push(format!("{status} on POST {}: {text}", request.path));
                            }
                        }
                        last_problem = format!("{status} {text}");
                    }
                    Ok(bytes) => {
                        if replayed {
                            ctx.stats.replayed.fetch_add(1, Ordering::Relaxed);
                        }
                        let body = serde_json::from_slice(&bytes)
                            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
                        return Ok(Answer { status, body });
                    }
                }
            }
        }
        // Back off a little: a restart takes a few hundred milliseconds.
        let pause = (10 * attempt as u64).min(200);
        tokio::time::sleep(Duration::from_millis(pause)).await;
    }
}
