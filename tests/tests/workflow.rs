//! The SLA clocks, breach detection and auto-close together, over the real binary on the
//! test-only clock (`SUPPORTDESK_TEST_CLOCK`: the test moves the service's time instead of
//! sleeping), on SQLite and on PostgreSQL. One ticket breaches its first response (the
//! `ticket.sla_breached` event in the feed, at a webhook receiver, and the console's badge),
//! pauses its resolution clock while answered, resumes it shifted by exactly the pause when
//! the customer writes, and once resolved is closed by the `system` after its day.

#![expect(clippy::unwrap_used, reason = "tests")]

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use supportdesk_tests::forms::Browser;
use supportdesk_tests::{Database, Server, ADMIN_EMAIL, ADMIN_PASSWORD};
use supportdesk_testsupport::webhook_receiver::WebhookReceiver;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

supportdesk_tests::on_both_backends!(a_ticket_breaches_pauses_resumes_and_is_auto_closed_on_the_test_clock);

const MINUTE: u64 = 60;
const HOUR: u64 = 3_600;
const DAY: u64 = 86_400;

fn at(value: &Value) -> OffsetDateTime {
    OffsetDateTime::parse(value.as_str().unwrap_or_else(|| panic!("a timestamp: {value}")), &Rfc3339).unwrap()
}

/// Polls the staff view of `id` until `done` holds (at most 20 s, the runner polls every
/// 50 ms); the last view.
async fn staff_view_until(server: &Server, admin: &str, id: &str, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let view = server.get_json(&format!("/api/v1/admin/tickets/{id}"), admin).await;
        if done(&view) || Instant::now() > deadline {
            return view;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The feed's `ticket.sla_breached` events (long-polled: PostgreSQL shows an event once the
/// transactions begun before it have ended).
async fn breaches_in_feed(server: &Server, admin: &str, count: usize) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let feed = server.get_json("/api/v1/admin/events?types=ticket.sla_breached&wait=1", admin).await;
        let events = feed["data"].as_array().unwrap().clone();
        if events.len() >= count || Instant::now() > deadline {
            return events;
        }
    }
}

async fn a_ticket_breaches_pauses_resumes_and_is_auto_closed_on_the_test_clock(database: Database) {
    let receiver = WebhookReceiver::start().unwrap();
    let server = Server::start_with(
        &database,
        &[
            ("SUPPORTDESK_TEST_CLOCK", "true"),
            ("SUPPORTDESK_JOBS_POLL_MS", "50"),
            ("SUPPORTDESK_WEBHOOK_ALLOW_PRIVATE", "true"),
        ],
    );
    let admin = server.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let policy = json!({"name": "Standard", "position": 1, "firstResponseMinutes": 60,
                        "resolutionMinutes": 600, "pauseWhileAnswered": true});
    server.send(reqwest::Method::POST, "/api/v1/admin/sla-policies", &admin, policy).await;
    let hook = json!({"url": receiver.url("shop"), "events": ["ticket.sla_breached"]});
    server.send(reqwest::Method::POST, "/api/v1/admin/webhooks", &admin, hook).await;
    let settings =
        json!({"allowCustomerClose": true, "reopenClosedOnCustomerReply": false, "autoCloseResolvedAfterDays": 1});
    server.send(reqwest::Method::PUT, "/api/v1/admin/settings", &admin, settings).await;

    let alex = server.customer("alex@example.com").await;
    let opened = json!({"category": "order", "subject": "Blue kettle arrived broken",
                        "description": "The blue kettle arrived broken; the lid is cracked."});
    let ticket = server.send(reqwest::Method::POST, "/api/v1/tickets", &alex, opened).await;
    let id = ticket["id"].as_str().unwrap().to_owned();
    let view = server.get_json(&format!("/api/v1/admin/tickets/{id}"), &admin).await;
    let sla = &view["sla"];
    assert_eq!(at(&sla["firstResponseDueAt"]) - at(&view["createdAt"]), time::Duration::minutes(60), "{sla}");
    assert_eq!(sla["breached"], json!({"firstResponse": false, "nextResponse": false, "resolution": false}));

    // An hour and a minute later nobody has answered: the first response breached.
    server.advance_clock(HOUR + MINUTE).await;
    let view = staff_view_until(&server, &admin, &id, |v| v["sla"]["breached"]["firstResponse"] == true).await;
    assert_eq!(view["sla"]["breached"]["firstResponse"], true, "breach detection ran: {}", view["sla"]);
    let breaches = breaches_in_feed(&server, &admin, 1).await;
    assert_eq!(breaches.len(), 1, "{breaches:?}");
    assert_eq!(breaches[0]["data"]["metric"], "first_response");
    assert_eq!(at(&breaches[0]["data"]["dueAt"]), at(&view["sla"]["firstResponseDueAt"]));
    assert_eq!(breaches[0]["actor"]["type"], "system");
    let event = breaches[0]["id"].as_str().unwrap().to_owned();
    let deadline = Instant::now() + Duration::from_secs(15);
    while !receiver.received().iter().any(|d| d.webhook_id == event) && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(receiver.received().iter().any(|d| d.webhook_id == event), "the webhook got the breach");
    let mut console = Browser::new(&server);
    console.login("console", ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let breached = console.get("/console?view=breached").await;
    assert!(breached.body.contains("Blue kettle arrived broken"), "{}", breached.body);
    assert!(breached.body.contains("class=\"sla breached\""), "the badge: {}", breached.body);

    // The agent answers: the resolution clock pauses while the customer is waited on.
    let reply = json!({"body": "Sorry about that! Could you send a photo of the lid?"});
    server.send(reqwest::Method::POST, &format!("/api/v1/admin/tickets/{id}/messages"), &admin, reply).await;
    let answered = server.get_json(&format!("/api/v1/admin/tickets/{id}"), &admin).await;
    assert_eq!(answered["status"], "answered");
    assert!(answered["sla"]["pausedSince"].is_string(), "{}", answered["sla"]);
    let due_before_pause = at(&answered["sla"]["resolutionDueAt"]);

    // Ten hours pass: past the resolution's due time, but the clock is paused.
    server.advance_clock(10 * HOUR).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let paused = server.get_json(&format!("/api/v1/admin/tickets/{id}"), &admin).await;
    assert_eq!(paused["sla"]["breached"]["resolution"], false, "a paused clock does not breach");
    assert_eq!(breaches_in_feed(&server, &admin, 1).await.len(), 1);

    // The customer writes: the clock runs again, its due time later by exactly the pause.
    let photo = json!({"body": "Here is the photo of the cracked lid."});
    server.send(reqwest::Method::POST, &format!("/api/v1/tickets/{id}/messages"), &alex, photo).await;
    let resumed = server.get_json(&format!("/api/v1/admin/tickets/{id}"), &admin).await;
    assert!(resumed["sla"]["pausedSince"].is_null(), "{}", resumed["sla"]);
    let shift = at(&resumed["sla"]["resolutionDueAt"]) - due_before_pause;
    let pause = time::Duration::hours(10);
    assert!(shift >= pause && shift < pause + time::Duration::seconds(5), "shifted by {shift}");

    // Resolved, and a day later closed by the system.
    let resolved = json!({"status": "resolved", "resolutionNote": "Replacement kettle sent"});
    server.send(reqwest::Method::PATCH, &format!("/api/v1/admin/tickets/{id}/status"), &admin, resolved).await;
    server.advance_clock(DAY + MINUTE).await;
    let closed = staff_view_until(&server, &admin, &id, |v| v["status"] == "closed").await;
    assert_eq!(closed["status"], "closed");
    let trail = server.get_json(&format!("/api/v1/admin/tickets/{id}/events"), &admin).await;
    let last = trail["data"].as_array().unwrap().iter().rev().find(|e| e["type"] == "status_changed").unwrap();
    assert_eq!((&last["data"]["to"], &last["actor"]["type"]), (&json!("closed"), &json!("system")));
    assert_eq!(breaches_in_feed(&server, &admin, 1).await.len(), 1, "no other clock breached");
}
