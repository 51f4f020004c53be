//! The real binary, a real database, driven over HTTP: the README walk-through, races,
//! idempotent retries, optimistic concurrency and graceful shutdown, on SQLite and (when
//! `TEST_POSTGRES_URL` is set, always in CI) on PostgreSQL.

#![expect(clippy::unwrap_used, reason = "tests")]

use std::collections::HashSet;

use reqwest::StatusCode;
use serde_json::{json, Value};
use supportdesk_tests::{Database, Server, ADMIN_EMAIL, ADMIN_PASSWORD};

supportdesk_tests::on_both_backends!(
    the_readme_walkthrough_works,
    concurrent_creates_for_one_order_give_one_201_and_the_rest_409,
    concurrent_retries_with_one_idempotency_key_give_one_ticket,
    a_stale_if_match_gives_412_and_changes_nothing,
    sigterm_loses_no_request_that_was_answered,
    admin_recount_rebuilds_the_queue_totals,
);

async fn open_ticket(server: &Server, token: &str, body: Value, key: Option<&str>) -> reqwest::Response {
    let mut request = server.http.post(server.url("/api/v1/tickets")).bearer_auth(token).json(&body);
    if let Some(key) = key {
        request = request.header("Idempotency-Key", key);
    }
    request.send().await.unwrap()
}

fn ticket_body(order: Option<&str>) -> Value {
    let mut body = json!({
        "category": "order",
        "description": "My parcel never arrived. It was due on Monday.",
    });
    if let Some(order) = order {
        body["orderId"] = json!(order);
    }
    body
}

/// The README's five minutes: admin logs in, a customer registers and logs in, opens a
/// ticket, the admin replies and resolves it, the customer sees it resolved.
async fn the_readme_walkthrough_works(database: Database) {
    let server = Server::start(&database);
    let health: Value = server.http.get(server.url("/health")).send().await.unwrap().json().await.unwrap();
    assert_eq!(health["status"], "ok");

    let admin = server.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let customer = server.customer("alex@example.com").await;

    let created = open_ticket(&server, &customer, ticket_body(Some("1042")), None).await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let location = created.headers()["location"].to_str().unwrap().to_owned();
    let ticket: Value = created.json().await.unwrap();
    assert_eq!(ticket["number"], 1);
    assert_eq!(ticket["subject"], "My parcel never arrived.");
    assert_eq!(ticket["status"], "open");
    assert!(location.ends_with(ticket["id"].as_str().unwrap()), "{location}");

    let queue: Value = server.get_json("/api/v1/admin/tickets?status=open&sort=-createdAt", &admin).await;
    assert_eq!(queue["meta"]["total"], 1);

    let replied = server
        .http
        .post(server.url("/api/v1/admin/tickets/1/messages"))
        .bearer_auth(&admin)
        .json(&json!({"body": "Sorry! A replacement is on its way.", "status": "resolved"}))
        .send()
        .await
        .unwrap();
    assert_eq!(replied.status(), StatusCode::CREATED);
    let replied: Value = replied.json().await.unwrap();
    assert_eq!(replied["status"], "resolved");

    let seen = server.http.get(server.url("/api/v1/tickets/%23000001")).bearer_auth(&customer).send().await.unwrap();
    assert_eq!(seen.status(), StatusCode::OK);
    assert_eq!(seen.headers()["etag"], "\"2\"", "one command, one version");
    let seen: Value = seen.json().await.unwrap();
    assert_eq!(seen["status"], "resolved");
    assert_eq!(seen["messages"].as_array().unwrap().len(), 2);
    assert!(server.terminate());
}

async fn concurrent_creates_for_one_order_give_one_201_and_the_rest_409(database: Database) {
    let server = std::sync::Arc::new(Server::start(&database));
    let customer = server.customer("racer@example.com").await;
    let mut tasks = Vec::new();
    for _ in 0..24 {
        let server = server.clone();
        let customer = customer.clone();
        tasks.push(tokio::spawn(async move {
            let response = open_ticket(&server, &customer, ticket_body(Some("ORDER-RACE")), None).await;
            let status = response.status();
            let body: Value = response.json().await.unwrap();
            (status, body)
        }));
    }
    let mut answers = Vec::new();
    for task in tasks {
        answers.push(task.await.unwrap());
    }
    // On PostgreSQL a refused create may have taken a number from the tenant's sequence
    // first: the winner's number is not always 1 (numbers may have gaps, docs/decisions.md).
    let winners: Vec<&Value> =
        answers.iter().filter(|(status, _)| *status == StatusCode::CREATED).map(|(_, body)| body).collect();
    assert_eq!(winners.len(), 1, "one create wins");
    let number = &winners[0]["number"];
    let mut conflicts = 0;
    for (status, body) in &answers {
        match *status {
            StatusCode::CREATED => {}
            StatusCode::CONFLICT => {
                assert_eq!(body["code"], "open_ticket_exists");
                assert_eq!(&body["existingTicketNumber"], number, "the conflict names the winner");
                conflicts += 1;
            }
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert_eq!(conflicts, 23);
}

async fn concurrent_retries_with_one_idempotency_key_give_one_ticket(database: Database) {
    let server = std::sync::Arc::new(Server::start(&database));
    let customer = server.customer("retrier@example.com").await;
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let server = server.clone();
        let customer = customer.clone();
        tasks.push(tokio::spawn(async move {
            let response = open_ticket(&server, &customer, ticket_body(None), Some("retry-me-0001")).await;
            assert_eq!(response.status(), StatusCode::CREATED);
            let body: Value = response.json().await.unwrap();
            body["id"].as_str().unwrap().to_owned()
        }));
    }
    let mut ids = HashSet::new();
    for task in tasks {
        ids.insert(task.await.unwrap());
    }
    assert_eq!(ids.len(), 1);
    let mine: Value = server.get_json("/api/v1/tickets", &customer).await;
    assert_eq!(mine["meta"]["total"], 1);
}

async fn a_stale_if_match_gives_412_and_changes_nothing(database: Database) {
    let server = Server::start(&database);
    let admin = server.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let customer = server.customer("versioned@example.com").await;
    open_ticket(&server, &customer, ticket_body(None), None).await;
    let set_status = |status: &str, version: &str| {
        server
            .http
            .patch(server.url("/api/v1/admin/tickets/1/status"))
            .bearer_auth(&admin)
            .header("If-Match", version)
            .json(&json!({"status": status}))
            .send()
    };
    assert_eq!(set_status("in_progress", "\"1\"").await.unwrap().status(), StatusCode::OK);
    let stale = set_status("resolved", "\"1\"").await.unwrap();
    assert_eq!(stale.status(), StatusCode::PRECONDITION_FAILED);
    let problem: Value = stale.json().await.unwrap();
    assert_eq!(problem["code"], "precondition_failed");
    let ticket: Value = server.get_json("/api/v1/admin/tickets/1", &admin).await;
    assert_eq!(ticket["status"], "in_progress");
    assert_eq!(ticket["version"], 2);
}

async fn sigterm_loses_no_request_that_was_answered(database: Database) {
    let server = Server::start(&database);
    let customer = server.customer("shutdown@example.com").await;
    let base = server.base.clone();
    let mut tasks = Vec::new();
    for i in 0..40 {
        let customer = customer.clone();
        let base = base.clone();
        tasks.push(tokio::spawn(async move {
            tokio::time::sleep(std::time::Duration::from_millis(i * 5)).await;
            let response = reqwest::Client::new()
                .post(format!("{base}/api/v1/tickets"))
                .bearer_auth(&customer)
                .json(&ticket_body(None))
                .send()
                .await;
            match response {
                Ok(r) if r.status() == StatusCode::CREATED => r.json::<Value>().await.ok().map(|b| b["id"].clone()),
                _ => None,
            }
        }));
    }
    tokio::time::sleep(std::time::Duration::from_millis(60)).await;
    let clean = tokio::task::spawn_blocking(move || server.terminate()).await.unwrap();
    assert!(clean, "the server exits cleanly on SIGTERM");
    let mut answered = Vec::new();
    for task in tasks {
        if let Some(id) = task.await.unwrap() {
            answered.push(id);
        }
    }
    assert!(!answered.is_empty(), "some requests were answered before the shutdown");
    let restarted = Server::start(&database);
    let customer = restarted.login("shutdown@example.com", "customer password 1").await;
    for id in answered {
        let id = id.as_str().unwrap();
        let response =
            restarted.http.get(restarted.url(&format!("/api/v1/tickets/{id}"))).bearer_auth(&customer).send().await;
        assert_eq!(response.unwrap().status(), StatusCode::OK, "ticket {id} was answered 201 and must exist");
    }
}

/// `supportdesk admin recount`, run against the database of a stopped server, rebuilds
/// counts that tickets written (or, here, counts deleted) behind the server's back left wrong.
async fn admin_recount_rebuilds_the_queue_totals(database: Database) {
    let server = Server::start(&database);
    let customer = server.customer("counted@example.com").await;
    for _ in 0..3 {
        assert_eq!(open_ticket(&server, &customer, ticket_body(None), None).await.status(), StatusCode::CREATED);
    }
    assert!(tokio::task::spawn_blocking(move || server.terminate()).await.unwrap());
    database.execute("DELETE FROM ticket_counts");
    let url = database.url();
    let recount = tokio::task::spawn_blocking(move || {
        std::process::Command::new(supportdesk_tests::binary())
            .args(["admin", "recount"])
            .env("SUPPORTDESK_DATABASE_URL", url)
            .env("SUPPORTDESK_JWT_SECRET", "black-box-test-secret-of-at-least-32-bytes")
            .status()
    });
    assert!(recount.await.unwrap().unwrap().success(), "admin recount exits 0");
    let server = Server::start(&database);
    let admin = server.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let queue: Value = server.get_json("/api/v1/admin/tickets?status=open", &admin).await;
    assert_eq!(queue["meta"]["total"], 3);
    assert_eq!(queue["meta"]["totalIsCapped"], false);
}
