//! Timed automation over the real binary (api-v1.1.md section 3, "Automation"), on the
//! test-only clock (`SUPPORTDESK_TEST_CLOCK`): the test moves the service's time forward
//! instead of sleeping. A resolved ticket is closed by the `system` actor once the tenant's
//! `autoCloseResolvedAfterDays` have passed, with its `ticket.status_changed` in the feed and
//! in a webhook's delivery log; a ticket the customer wrote to is not; two server processes
//! on one PostgreSQL close each ticket once.

#![expect(clippy::unwrap_used, reason = "tests")]

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{json, Value};
use supportdesk_tests::{Database, Server, ADMIN_EMAIL, ADMIN_PASSWORD};

supportdesk_tests::on_both_backends!(
    a_resolved_ticket_is_closed_by_the_system_after_its_days_and_a_reopened_one_is_not,
    the_test_clock_route_exists_only_with_the_test_clock_and_refuses_bad_input,
);

const DAY: u64 = 86_400;

fn test_clock() -> [(&'static str, &'static str); 3] {
    [
        ("SUPPORTDESK_TEST_CLOCK", "true"),
        ("SUPPORTDESK_JOBS_POLL_MS", "50"),
        ("SUPPORTDESK_WEBHOOK_ALLOW_PRIVATE", "true"),
    ]
}

/// Subscribes a webhook to status changes (at a loopback port nobody listens on: only its
/// delivery log matters here); its id.
async fn subscribe(server: &Server, admin: &str) -> String {
    let body = json!({"url": "http://127.0.0.1:9/hook", "events": ["ticket.status_changed"]});
    let response = server.http.post(server.url("/api/v1/admin/webhooks")).bearer_auth(admin).json(&body).send();
    let response = response.await.unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let hook: Value = response.json().await.unwrap();
    hook["id"].as_str().unwrap().to_owned()
}

/// Waits until the webhook's delivery log has a delivery of `event`.
async fn delivered(server: &Server, admin: &str, hook: &str, event: &str) -> bool {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let log = server.get_json(&format!("/api/v1/admin/webhooks/{hook}/deliveries"), admin).await;
        if log["data"].as_array().is_some_and(|d| d.iter().any(|x| x["eventId"] == event)) {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn set_auto_close(server: &Server, admin: &str, days: u64) {
    let body =
        json!({"allowCustomerClose": true, "reopenClosedOnCustomerReply": false, "autoCloseResolvedAfterDays": days});
    let response = server.http.put(server.url("/api/v1/admin/settings")).bearer_auth(admin).json(&body).send().await;
    let response = response.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let settings: Value = response.json().await.unwrap();
    assert_eq!(settings["autoCloseResolvedAfterDays"], days);
}

/// Opens a ticket as `customer`; its id.
async fn open(server: &Server, customer: &str) -> String {
    let body = json!({"category": "order", "description": "My parcel never arrived. It was due on Monday."});
    let response = server.http.post(server.url("/api/v1/tickets")).bearer_auth(customer).json(&body).send().await;
    let response = response.unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let ticket: Value = response.json().await.unwrap();
    ticket["id"].as_str().unwrap().to_owned()
}

async fn resolve(server: &Server, admin: &str, id: &str) {
    let response = server
        .http
        .patch(server.url(&format!("/api/v1/admin/tickets/{id}/status")))
        .bearer_auth(admin)
        .json(&json!({"status": "resolved", "resolutionNote": "Replacement sent"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

async fn status(server: &Server, admin: &str, id: &str) -> String {
    let ticket = server.get_json(&format!("/api/v1/admin/tickets/{id}"), admin).await;
    ticket["status"].as_str().unwrap().to_owned()
}

/// Waits until every ticket of `ids` is `closed`, or 30 seconds passed.
async fn wait_closed(server: &Server, admin: &str, ids: &[String]) {
    let deadline = Instant::now() + Duration::from_secs(30);
    for id in ids {
        while status(server, admin, id).await != "closed" {
            assert!(Instant::now() < deadline, "ticket {id} was not closed in time");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// The ticket's `status_changed` events as `(from, to, actor type)`.
async fn status_changes(server: &Server, admin: &str, id: &str) -> Vec<(String, String, String)> {
    let trail = server.get_json(&format!("/api/v1/admin/tickets/{id}/events"), admin).await;
    trail["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "status_changed")
        .map(|e| {
            let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
            (text(&e["data"]["from"]), text(&e["data"]["to"]), text(&e["actor"]["type"]))
        })
        .collect()
}

/// The feed's `ticket.status_changed` events once a close is among them (PostgreSQL shows
/// an event once every transaction that began before it has ended: a follower waits).
async fn closes_in_feed(server: &Server, admin: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let feed = server.get_json("/api/v1/admin/events?types=ticket.status_changed&wait=1", admin).await;
        let closed = feed["data"].as_array().is_some_and(|d| d.iter().any(|e| e["data"]["to"] == "closed"));
        if closed || Instant::now() > deadline {
            return feed;
        }
    }
}

/// Two days after its resolution a quiet ticket is closed by `system` (the trail and the
/// feed show it, with `ticket.status_changed`); a ticket the customer answered after its
/// resolution (which reopened it) stays open; one resolved a day later waits its own days.
async fn a_resolved_ticket_is_closed_by_the_system_after_its_days_and_a_reopened_one_is_not(database: Database) {
    let server = Server::start_with(&database, &test_clock());
    let admin = server.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    set_auto_close(&server, &admin, 2).await;
    let hook = subscribe(&server, &admin).await;
    let alex = server.customer("alex@example.com").await;
    let quiet = open(&server, &alex).await;
    let answered = open(&server, &alex).await;
    let later = open(&server, &alex).await;
    resolve(&server, &admin, &quiet).await;
    resolve(&server, &admin, &answered).await;
    let reply = server
        .http
        .post(server.url(&format!("/api/v1/tickets/{answered}/messages")))
        .bearer_auth(&alex)
        .json(&json!({"body": "It is still not here, sorry."}))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), StatusCode::CREATED);

    server.advance_clock(DAY).await;
    resolve(&server, &admin, &later).await;
    server.advance_clock(DAY + 60).await;
    wait_closed(&server, &admin, std::slice::from_ref(&quiet)).await;

    assert_eq!(
        status_changes(&server, &admin, &quiet).await.last().unwrap(),
        &("resolved".to_owned(), "closed".to_owned(), "system".to_owned())
    );
    let feed = closes_in_feed(&server, &admin).await;
    let closes: Vec<&Value> = feed["data"].as_array().unwrap().iter().filter(|e| e["data"]["to"] == "closed").collect();
    assert_eq!(closes.len(), 1, "one close in the feed: {feed}");
    assert_eq!(closes[0]["ticket"]["id"], quiet.as_str());
    assert_eq!(closes[0]["actor"]["type"], "system");
    assert_eq!(closes[0]["ticket"]["status"], "closed");
    let close_event = closes[0]["id"].as_str().unwrap();
    assert!(delivered(&server, &admin, &hook, close_event).await, "the webhook gets the system's close");
    // A few more runs of the job change nothing else.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(status(&server, &admin, &answered).await, "open", "the customer's reply reopened it");
    assert_eq!(status(&server, &admin, &later).await, "resolved", "resolved one day ago");

    server.advance_clock(DAY).await;
    wait_closed(&server, &admin, std::slice::from_ref(&later)).await;
    assert_eq!(status(&server, &admin, &answered).await, "open");
    assert_eq!(status_changes(&server, &admin, &quiet).await.len(), 2, "resolved, then closed once");
}

/// Without `SUPPORTDESK_TEST_CLOCK` the route does not exist; with it, a bad body is a
/// problem+json 400 and moves nothing.
async fn the_test_clock_route_exists_only_with_the_test_clock_and_refuses_bad_input(database: Database) {
    let plain = Server::start(&database);
    let response = plain.http.post(plain.url("/api/v1/test/clock")).json(&json!({"advanceSeconds": 60})).send();
    assert_eq!(response.await.unwrap().status(), StatusCode::NOT_FOUND);
    drop(plain);

    let server = Server::start_with(&database, &test_clock());
    for bad in [json!({"advanceSeconds": -1}), json!({"advanceSeconds": 400_000_000_u64}), json!({"seconds": 1})] {
        let response = server.http.post(server.url("/api/v1/test/clock")).json(&bad).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{bad}");
        let kind = response.headers()["content-type"].to_str().unwrap().to_owned();
        assert_eq!(kind, "application/problem+json", "{bad}");
    }
    let response = server.http.post(server.url("/api/v1/test/clock")).json(&json!({"advanceSeconds": 0})).send();
    let clock: Value = response.await.unwrap().json().await.unwrap();
    assert_eq!(clock["offsetSeconds"], 0, "the refused bodies moved nothing");
}

/// PostgreSQL: two server processes with auto-close on one database close each of 40
/// resolved tickets exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_server_processes_close_each_ticket_once() {
    let Some(database) = Database::postgres() else { return };
    let first = Server::start_with(&database, &test_clock());
    let second = Server::start_with(&database, &test_clock());
    let admin = first.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    set_auto_close(&first, &admin, 1).await;
    let alex = first.customer("alex@example.com").await;
    let mut ids = Vec::new();
    for _ in 0..40 {
        let id = open(&first, &alex).await;
        resolve(&second, &admin, &id).await;
        ids.push(id);
    }
    first.advance_clock(DAY + 60).await;
    second.advance_clock(DAY + 60).await;
    wait_closed(&first, &admin, &ids).await;
    // Let both runners go round a few more times.
    tokio::time::sleep(Duration::from_millis(500)).await;
    for id in &ids {
        let changes = status_changes(&first, &admin, id).await;
        let closes = changes.iter().filter(|(_, to, _)| to == "closed").count();
        assert_eq!(closes, 1, "ticket {id} closed once: {changes:?}");
        assert_eq!(changes.last().unwrap().2, "system");
    }
}
