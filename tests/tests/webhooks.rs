//! Webhooks over the real binary (api-v1.1.md section 2), with a real receiver: a small
//! HTTP server on loopback inside the test. Deliveries carry Standard Webhooks signatures
//! that verify; a 500 and a timeout are retried with the same `webhook-id`; the delivery log
//! shows the attempts; an endpoint failing every delivery for the disable period is
//! disabled; private and loopback destinations are refused at registration and again at
//! delivery; two server processes on one PostgreSQL deliver 1,000 events once each.

#![expect(clippy::unwrap_used, reason = "tests")]

use std::collections::{HashMap, HashSet, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use reqwest::StatusCode;
use serde_json::{json, Value};
use sha2::Sha256;
use supportdesk_tests::{Database, Server, ADMIN_EMAIL, ADMIN_PASSWORD};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

supportdesk_tests::on_both_backends!(
    deliveries_are_signed_with_standard_webhooks_and_logged,
    a_500_and_a_timeout_are_retried_with_the_same_webhook_id,
    an_endpoint_failing_every_delivery_for_the_disable_period_is_disabled,
    private_and_loopback_destinations_are_refused_at_registration_and_at_delivery,
    an_endpoint_at_its_timeout_does_not_hold_back_another,
);

/// What the receiver answers to one request.
#[derive(Debug, Clone, Copy)]
enum Answer {
    Status(u16),
    /// Waits this long, then answers 200 (the sender has given up by then).
    Stall(Duration),
}

/// One request the receiver got.
#[derive(Debug, Clone)]
struct Hit {
    headers: HashMap<String, String>,
    body: Vec<u8>,
}

impl Hit {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }

    fn id(&self) -> &str {
        &self.headers["webhook-id"]
    }
}

/// A tiny HTTP/1.1 server: records each request and answers from a script, then with
/// `otherwise`.
#[derive(Clone)]
struct Receiver {
    address: SocketAddr,
    hits: Arc<Mutex<Vec<Hit>>>,
    script: Arc<Mutex<VecDeque<Answer>>>,
    otherwise: Arc<Mutex<Answer>>,
}

impl Receiver {
    async fn start(script: &[Answer], otherwise: Answer) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let receiver = Receiver {
            address: listener.local_addr().unwrap(),
            hits: Arc::default(),
            script: Arc::new(Mutex::new(script.iter().copied().collect())),
            otherwise: Arc::new(Mutex::new(otherwise)),
        };
        let this = receiver.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let this = this.clone();
                tokio::spawn(async move { this.serve(stream).await });
            }
        });
        receiver
    }

    async fn serve(&self, mut stream: tokio::net::TcpStream) {
        let mut buffer = Vec::new();
        let mut chunk = [0_u8; 8192];
        let head_end = loop {
            let Ok(n) = stream.read(&mut chunk).await else { return };
            if n == 0 {
                return;
            }
            buffer.extend_from_slice(&chunk[..n]);
            if let Some(at) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
                break at + 4;
            }
        };
        let head = String::from_utf8_lossy(&buffer[..head_end]).to_string();
        let headers: HashMap<String, String> = head
            .lines()
            .skip(1)
            .filter_map(|line| line.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
            .collect();
        let length: usize = headers.get("content-length").and_then(|v| v.parse().ok()).unwrap_or(0);
        while buffer.len() < head_end + length {
            let Ok(n) = stream.read(&mut chunk).await else { return };
            if n == 0 {
                break;
            }
            buffer.extend_from_slice(&chunk[..n]);
        }
        let body = buffer[head_end..].to_vec();
        let answer = {
            let next = self.script.lock().unwrap().pop_front();
            next.unwrap_or(*self.otherwise.lock().unwrap())
        };
        self.hits.lock().unwrap().push(Hit { headers, body });
        let status = match answer {
            Answer::Status(status) => status,
            Answer::Stall(wait) => {
                tokio::time::sleep(wait).await;
                200
            }
        };
        let response = format!("HTTP/1.1 {status} X\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok");
        let _ = stream.write_all(response.as_bytes()).await;
    }

    fn url(&self) -> String {
        format!("http://{}/hooks", self.address)
    }

    fn hits(&self) -> Vec<Hit> {
        self.hits.lock().unwrap().clone()
    }

    /// Waits until `count` requests came (at most `within`).
    async fn wait_for(&self, count: usize, within: Duration) -> Vec<Hit> {
        let deadline = Instant::now() + within;
        while self.hits.lock().unwrap().len() < count && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        self.hits()
    }
}

/// Verifies a request as a shop would, with the Standard Webhooks algorithm.
fn verify(secret: &str, hit: &Hit) -> bool {
    let key = STANDARD.decode(secret.strip_prefix("whsec_").unwrap()).unwrap();
    let signed = format!(
        "{}.{}.{}",
        hit.headers["webhook-id"],
        hit.headers["webhook-timestamp"],
        String::from_utf8_lossy(&hit.body)
    );
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
    mac.update(signed.as_bytes());
    let expected = format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()));
    let timestamp: i64 = hit.headers["webhook-timestamp"].parse().unwrap();
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    hit.headers["webhook-signature"].split(' ').any(|s| s == expected) && (now - timestamp).abs() < 300
}

async fn subscribe(server: &Server, admin: &str, url: &str, events: Value) -> (StatusCode, Value) {
    let response = server
        .http
        .post(server.url("/api/v1/admin/webhooks"))
        .bearer_auth(admin)
        .json(&json!({"url": url, "events": events, "description": "the shop"}))
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn open(server: &Server, customer: &str) {
    let body = json!({"category": "order", "description": "My parcel never arrived. It was due on Monday."});
    let response =
        server.http.post(server.url("/api/v1/tickets")).bearer_auth(customer).json(&body).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
}

async fn deliveries(server: &Server, admin: &str, hook: &str) -> Vec<Value> {
    let log = server.get_json(&format!("/api/v1/admin/webhooks/{hook}/deliveries"), admin).await;
    log["data"].as_array().unwrap().clone()
}

/// Waits until the delivery log of `hook` satisfies `done`.
/// Waits (up to 10 s) until `/metrics` holds `line`.
async fn metrics_until(server: &Server, line: &str) {
    let mut text = String::new();
    for _ in 0..100 {
        text = server.http.get(server.url("/metrics")).send().await.unwrap().text().await.unwrap();
        if text.lines().any(|l| l == line) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("/metrics never showed `{line}`:\n{text}");
}

async fn log_until(server: &Server, admin: &str, hook: &str, done: impl Fn(&[Value]) -> bool) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let log = deliveries(server, admin, hook).await;
        if done(&log) || Instant::now() > deadline {
            return log;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn allow_private() -> [(&'static str, &'static str); 1] {
    [("SUPPORTDESK_WEBHOOK_ALLOW_PRIVATE", "true")]
}

/// An endpoint subscribed to everything gets the ticket's two events, each signed so that
/// the Standard Webhooks check passes, with the event id as `webhook-id` and the public
/// event as the body; the log says succeeded with 200; a ping arrives signed too, and after
/// a rotation the new secret signs.
async fn deliveries_are_signed_with_standard_webhooks_and_logged(database: Database) {
    let receiver = Receiver::start(&[], Answer::Status(200)).await;
    let server = Server::start_with(&database, &allow_private());
    let admin = server.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let (status, created) = subscribe(&server, &admin, &receiver.url(), json!(["*"])).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let secret = created["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_") && STANDARD.decode(&secret[6..]).unwrap().len() >= 24);
    let hook = created["id"].as_str().unwrap().to_owned();
    let shown = server.get_json(&format!("/api/v1/admin/webhooks/{hook}"), &admin).await;
    assert!(shown.get("secret").is_none(), "the secret is shown once");
    assert_eq!(shown["events"], json!(["*"]));

    let alex = server.customer("alex@example.com").await;
    open(&server, &alex).await;
    let hits = receiver.wait_for(2, Duration::from_secs(20)).await;
    assert_eq!(hits.len(), 2);
    for hit in &hits {
        assert!(verify(&secret, hit), "signature verifies: {:?}", hit.headers);
        assert_eq!(hit.id(), hit.json()["id"].as_str().unwrap());
        assert_eq!(hit.headers["content-type"], "application/json");
    }
    let mut types: Vec<String> = hits.iter().map(|h| h.json()["type"].as_str().unwrap().to_owned()).collect();
    types.sort();
    assert_eq!(types, ["ticket.created", "ticket.message_added"]);
    let body = hits.iter().map(Hit::json).find(|b| b["type"] == "ticket.created").unwrap();
    assert_eq!(body["ticket"]["number"], 1);
    assert_eq!(body["tenant"], "default");

    let log =
        log_until(&server, &admin, &hook, |log| log.len() == 2 && log.iter().all(|d| d["status"] == "succeeded")).await;
    assert!(
        log.iter().all(|d| d["status"] == "succeeded" && d["attempts"] == 1 && d["responseStatus"] == 200),
        "{log:?}"
    );
    let event_ids: HashSet<&str> = log.iter().map(|d| d["eventId"].as_str().unwrap()).collect();
    assert!(hits.iter().all(|h| event_ids.contains(h.id())));
    let metrics = server.http.get(server.url("/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains(r#"supportdesk_webhook_attempts_total{outcome="succeeded"} 2"#), "{metrics}");
    assert!(metrics.contains("supportdesk_webhook_delivery_delay_seconds_count 2"), "{metrics}");
    // The worker counts the pending deliveries at each tick: none once both are delivered.
    metrics_until(&server, "supportdesk_webhook_deliveries_pending 0").await;

    let ping = server
        .http
        .post(server.url(&format!("/api/v1/admin/webhooks/{hook}/ping")))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(ping.status(), StatusCode::OK);
    let ping: Value = ping.json().await.unwrap();
    assert_eq!(ping["success"], true);
    assert_eq!(ping["responseStatus"], 200);
    let hits = receiver.hits();
    let pinged = hits.last().unwrap();
    assert_eq!(pinged.json()["type"], "webhook.ping");
    assert!(verify(&secret, pinged));

    let rotated = server
        .http
        .post(server.url(&format!("/api/v1/admin/webhooks/{hook}/rotate-secret")))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    let rotated: Value = rotated.json().await.unwrap();
    let new_secret = rotated["secret"].as_str().unwrap();
    assert_ne!(new_secret, secret);
    open(&server, &alex).await;
    let hits = receiver.wait_for(5, Duration::from_secs(20)).await;
    assert!(verify(new_secret, &hits[4]) && !verify(&secret, &hits[4]));
}

/// One receiver answers 500 first, another stalls past the timeout first; both get the
/// event again (after about 5 s) with the same `webhook-id` and body, and their logs show
/// two attempts and success.
async fn a_500_and_a_timeout_are_retried_with_the_same_webhook_id(database: Database) {
    let failing = Receiver::start(&[Answer::Status(500)], Answer::Status(200)).await;
    let stalling = Receiver::start(&[Answer::Stall(Duration::from_secs(4))], Answer::Status(204)).await;
    let server = Server::start_with(
        &database,
        &[("SUPPORTDESK_WEBHOOK_ALLOW_PRIVATE", "true"), ("SUPPORTDESK_WEBHOOK_TIMEOUT_SECS", "1")],
    );
    let admin = server.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let (_, a) = subscribe(&server, &admin, &failing.url(), json!(["ticket.created"])).await;
    let (_, b) = subscribe(&server, &admin, &stalling.url(), json!(["ticket.created"])).await;
    let alex = server.customer("alex@example.com").await;
    open(&server, &alex).await;
    for (receiver, created, last_status) in [(&failing, &a, 200), (&stalling, &b, 204)] {
        let hits = receiver.wait_for(2, Duration::from_secs(30)).await;
        assert_eq!(hits.len(), 2, "retried once");
        assert_eq!(hits[0].id(), hits[1].id(), "the same webhook-id on every attempt");
        assert_eq!(hits[0].json(), hits[1].json(), "the same event");
        let hook = created["id"].as_str().unwrap();
        let log = log_until(&server, &admin, hook, |log| log.first().is_some_and(|d| d["status"] == "succeeded")).await;
        assert_eq!(log.len(), 1);
        assert_eq!(log[0]["status"], "succeeded");
        assert_eq!(log[0]["attempts"], 2);
        assert_eq!(log[0]["responseStatus"], last_status);
    }
}

/// One endpoint stalls each request until the 10 s timeout; a second endpoint gets each
/// new ticket at once all the same, also the tickets opened while the first is stalled.
async fn an_endpoint_at_its_timeout_does_not_hold_back_another(database: Database) {
    let stalling = Receiver::start(&[], Answer::Stall(Duration::from_secs(15))).await;
    let quick = Receiver::start(&[], Answer::Status(200)).await;
    let server = Server::start_with(&database, &allow_private());
    let admin = server.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    subscribe(&server, &admin, &stalling.url(), json!(["ticket.created"])).await;
    subscribe(&server, &admin, &quick.url(), json!(["ticket.created"])).await;
    let alex = server.customer("alex@example.com").await;
    for opened in 1..=3 {
        open(&server, &alex).await;
        let asked = Instant::now();
        let hits = quick.wait_for(opened, Duration::from_secs(20)).await;
        assert_eq!(hits.len(), opened);
        assert!(asked.elapsed() < Duration::from_secs(3), "ticket {opened} waited {:?}", asked.elapsed());
    }
    assert!(!stalling.hits().is_empty(), "the stalled endpoint was asked too");
}

/// An endpoint that answers 500 to everything is disabled once it has failed for the
/// disable period (1 s here); a `webhook.disabled` event, with no ticket, goes to the feed
/// and, signed, to another endpoint subscribed to it, once; the failing endpoint's log shows
/// the failures; a manual retry makes the delivery pending again; re-activating clears the
/// record.
async fn an_endpoint_failing_every_delivery_for_the_disable_period_is_disabled(database: Database) {
    let receiver = Receiver::start(&[], Answer::Status(503)).await;
    let watcher = Receiver::start(&[], Answer::Status(200)).await;
    let server = Server::start_with(
        &database,
        &[("SUPPORTDESK_WEBHOOK_ALLOW_PRIVATE", "true"), ("SUPPORTDESK_WEBHOOK_DISABLE_AFTER_SECS", "1")],
    );
    let admin = server.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let (_, created) = subscribe(&server, &admin, &receiver.url(), json!(["ticket.created"])).await;
    let hook = created["id"].as_str().unwrap().to_owned();
    let (_, watching) = subscribe(&server, &admin, &watcher.url(), json!(["webhook.disabled"])).await;
    let watcher_secret = watching["secret"].as_str().unwrap().to_owned();
    let alex = server.customer("alex@example.com").await;
    open(&server, &alex).await;
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut endpoint = server.get_json(&format!("/api/v1/admin/webhooks/{hook}"), &admin).await;
    while endpoint["active"] == true && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
        endpoint = server.get_json(&format!("/api/v1/admin/webhooks/{hook}"), &admin).await;
    }
    assert_eq!(endpoint["active"], false, "{endpoint}");
    assert!(endpoint["disabledAt"].is_string());
    assert!(receiver.hits().len() >= 2);

    let told = watcher.wait_for(1, Duration::from_secs(30)).await;
    assert_eq!(told.len(), 1, "one webhook.disabled, not a ticket event");
    assert!(verify(&watcher_secret, &told[0]));
    let event = told[0].json();
    assert_eq!(event["type"], "webhook.disabled");
    assert_eq!(event["ticket"], Value::Null);
    assert_eq!(event["actor"]["type"], "system");
    assert_eq!(event["data"]["webhookId"], hook.as_str());
    assert_eq!(event["data"]["url"], endpoint["url"]);
    assert!(event["data"]["failingSince"].as_str().unwrap() < event["occurredAt"].as_str().unwrap());
    assert_eq!(told[0].id(), event["id"].as_str().unwrap());
    let feed = server.get_json("/api/v1/admin/events?types=webhook.disabled", &admin).await;
    assert_eq!(feed["data"].as_array().unwrap(), &[event], "the feed holds the same event, once");
    let log = deliveries(&server, &admin, &hook).await;
    assert_eq!(log[0]["responseStatus"], 503);
    assert!(log[0]["error"].as_str().unwrap().contains("503"));
    assert!(log[0]["attempts"].as_i64().unwrap() >= 2);
    // The disabled endpoint's delivery waits, the watcher's was delivered: one pending.
    metrics_until(&server, "supportdesk_webhook_deliveries_pending 1").await;

    let delivery = log[0]["id"].as_str().unwrap();
    let retried = server
        .http
        .post(server.url(&format!("/api/v1/admin/webhooks/{hook}/deliveries/{delivery}/retry")))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(retried.status(), StatusCode::ACCEPTED);
    let retried: Value = retried.json().await.unwrap();
    assert_eq!(retried["status"], "pending");
    let missing = server
        .http
        .post(server.url(&format!("/api/v1/admin/webhooks/{hook}/deliveries/{}/retry", uuid::Uuid::now_v7())))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);

    let enabled = server
        .http
        .patch(server.url(&format!("/api/v1/admin/webhooks/{hook}")))
        .bearer_auth(&admin)
        .json(&json!({"active": true}))
        .send()
        .await
        .unwrap();
    let enabled: Value = enabled.json().await.unwrap();
    assert_eq!(enabled["active"], true);
    assert_eq!(enabled["disabledAt"], Value::Null);
    assert_eq!(enabled["failingSince"], Value::Null);
}

/// Without the operator's setting, loopback, private, link-local and unspecified
/// destinations (also by name) are refused with 400; an endpoint registered while they were
/// allowed is refused again at delivery, after DNS resolution, once they are not.
async fn private_and_loopback_destinations_are_refused_at_registration_and_at_delivery(database: Database) {
    let receiver = Receiver::start(&[], Answer::Status(200)).await;
    let hook = {
        let server = Server::start_with(&database, &allow_private());
        let admin = server.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
        let url = format!("http://localhost:{}/hooks", receiver.address.port());
        let (status, created) = subscribe(&server, &admin, &url, json!(["ticket.created"])).await;
        assert_eq!(status, StatusCode::CREATED);
        created["id"].as_str().unwrap().to_owned()
    };
    let server = Server::start(&database);
    let admin = server.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    for url in [
        "http://127.0.0.1:9/hooks",
        "http://localhost:9/hooks",
        "http://10.0.0.8/hooks",
        "http://192.168.1.10/hooks",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]:9/hooks",
        "http://0.0.0.0/hooks",
        "ftp://shop.example/hooks",
    ] {
        let (status, problem) = subscribe(&server, &admin, url, json!(["*"])).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{url}: {problem}");
    }
    let alex = server.customer("alex@example.com").await;
    open(&server, &alex).await;
    let log = log_until(&server, &admin, &hook, |log| log.first().is_some_and(|d| d["attempts"] == 1)).await;
    assert_eq!(log[0]["attempts"], 1, "{log:?}");
    assert_eq!(log[0]["status"], "pending");
    assert_eq!(log[0]["responseStatus"], Value::Null);
    assert!(log[0]["error"].as_str().unwrap().contains("no public address"), "{log:?}");
    assert!(receiver.hits().is_empty(), "nothing reached the loopback receiver");
}

/// PostgreSQL: two server processes on one database share the deliveries of 1,000 events
/// to one endpoint: every event arrives, none twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_server_processes_deliver_a_thousand_events_with_no_duplicate_and_no_loss() {
    let Some(database) = Database::postgres() else { return };
    let receiver = Receiver::start(&[], Answer::Status(200)).await;
    let first = Server::start_with(&database, &allow_private());
    let second = Server::start_with(&database, &allow_private());
    let admin = first.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let (status, _) = subscribe(&first, &admin, &receiver.url(), json!(["*"])).await;
    assert_eq!(status, StatusCode::CREATED);
    let alex = first.customer("alex@example.com").await;
    let servers = Arc::new([first, second]);
    let mut writers = tokio::task::JoinSet::new();
    for worker in 0..8_usize {
        let servers = servers.clone();
        let alex = alex.clone();
        writers.spawn(async move {
            for i in 0..(500 / 8 + usize::from(worker < 500 % 8)) {
                open(&servers[(worker + i) % 2], &alex).await;
            }
        });
    }
    while let Some(done) = writers.join_next().await {
        done.unwrap();
    }
    let hits = receiver.wait_for(1000, Duration::from_secs(180)).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let hits_after = receiver.hits();
    let ids: HashSet<&str> = hits_after.iter().map(Hit::id).collect();
    assert_eq!(ids.len(), 1000, "every event arrived ({} requests)", hits.len());
    assert_eq!(hits_after.len(), 1000, "no event twice");
}
