//! The change feed over the real binary (api-v1.1.md section 2): every committed event once,
//! oldest first, in the public `EventV1` shape, after an opaque cursor, with long-polling;
//! and on PostgreSQL, an event whose transaction commits after later ones is still received
//! by a follower that has already read past them.

#![expect(clippy::unwrap_used, reason = "tests")]

use std::collections::HashSet;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{json, Value};
use supportdesk_tests::{Database, Server, ADMIN_EMAIL, ADMIN_PASSWORD};

supportdesk_tests::on_both_backends!(
    the_feed_lists_every_event_once_oldest_first_and_a_follower_resumes_from_its_cursor,
    a_long_poll_answers_as_soon_as_an_event_commits,
    the_feed_refuses_a_bad_cursor_limit_type_or_wait_and_customers,
);

async fn open(server: &Server, customer: &str, description: &str) -> Value {
    let body = json!({"category": "order", "description": description});
    let response =
        server.http.post(server.url("/api/v1/tickets")).bearer_auth(customer).json(&body).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    response.json().await.unwrap()
}

async fn feed(server: &Server, token: &str, query: &str) -> (StatusCode, Value) {
    let response =
        server.http.get(server.url(&format!("/api/v1/admin/events{query}"))).bearer_auth(token).send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// Reads the feed page by page from `cursor` until `expected` events came, long-polling
/// when a page is empty (on PostgreSQL any transaction in flight on the cluster, another
/// test's too, holds the feed back until it ends), then checks that nothing more is there.
async fn follow(
    server: &Server,
    token: &str,
    mut cursor: Option<String>,
    expected: usize,
) -> (Vec<Value>, Option<String>) {
    let mut seen = Vec::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let after = cursor.as_ref().map(|c| format!("&after={c}")).unwrap_or_default();
        let wait = if seen.len() < expected { 5 } else { 0 };
        let (status, page) = feed(server, token, &format!("?limit=2&wait={wait}{after}")).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        let events = page["data"].as_array().unwrap().clone();
        if let Some(next) = page["meta"]["nextCursor"].as_str() {
            cursor = Some(next.to_owned());
        }
        if events.is_empty() && (seen.len() >= expected || std::time::Instant::now() > deadline) {
            return (seen, cursor);
        }
        seen.extend(events);
    }
}

fn types(events: &[Value]) -> Vec<&str> {
    events.iter().map(|e| e["type"].as_str().unwrap()).collect()
}

/// Three tickets and a reply give eight events; a follower reading two at a time sees each
/// once, oldest first, in the public shape; after the end it gets an empty page and the same
/// cursor, and the next write appears after that cursor.
async fn the_feed_lists_every_event_once_oldest_first_and_a_follower_resumes_from_its_cursor(database: Database) {
    let server = Server::start(&database);
    let admin = server.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let alex = server.customer("alex@example.com").await;
    let first = open(&server, &alex, "My parcel never arrived. It was due on Monday.").await;
    open(&server, &alex, "The shoes are the wrong size, I need 42.").await;
    let reply = json!({"body": "We are on it.", "internal": false});
    let ticket = first["id"].as_str().unwrap();
    let response = server
        .http
        .post(server.url(&format!("/api/v1/admin/tickets/{ticket}/messages")))
        .bearer_auth(&admin)
        .json(&reply)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);

    let (events, cursor) = follow(&server, &admin, None, 6).await;
    assert_eq!(
        types(&events),
        [
            "ticket.created",
            "ticket.message_added",
            "ticket.created",
            "ticket.message_added",
            "ticket.message_added",
            "ticket.status_changed"
        ]
    );
    let ids: HashSet<&str> = events.iter().map(|e| e["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), events.len(), "each event once");
    let created = &events[0];
    assert_eq!(created["tenant"], "default");
    assert_eq!(created["ticket"]["number"], 1);
    assert_eq!(created["ticket"]["status"], "open");
    assert_eq!(created["actor"]["type"], "customer");
    assert!(created["occurredAt"].as_str().unwrap().ends_with('Z'));
    let answered = &events[4];
    assert_eq!(answered["data"]["body"], "We are on it.");
    assert_eq!(answered["data"]["internal"], false);
    assert_eq!(answered["ticket"]["status"], "answered");
    assert_eq!(answered["actor"]["type"], "agent");

    let cursor = cursor.unwrap();
    let (status, empty) = feed(&server, &admin, &format!("?after={cursor}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(empty["data"], json!([]));
    assert_eq!(empty["meta"]["nextCursor"], cursor.as_str());

    open(&server, &alex, "A third problem: the invoice is missing.").await;
    let (later, _) = follow(&server, &admin, Some(cursor), 2).await;
    assert_eq!(types(&later), ["ticket.created", "ticket.message_added"]);
    assert_eq!(later[0]["ticket"]["number"], 3);

    let (_, only_created) = feed(&server, &admin, "?types=ticket.created&limit=500").await;
    assert_eq!(types(only_created["data"].as_array().unwrap()), ["ticket.created"; 3]);
}

/// A read with `wait` and nothing to return answers when the next event commits, with it.
async fn a_long_poll_answers_as_soon_as_an_event_commits(database: Database) {
    let server = Server::start(&database);
    let admin = server.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let alex = server.customer("alex@example.com").await;
    let (_, start) = follow(&server, &admin, None, 0).await;
    let after = start.map(|c| format!("&after={c}")).unwrap_or_default();
    let url = server.url(&format!("/api/v1/admin/events?wait=20{after}"));
    let poll = tokio::spawn({
        let http = server.http.clone();
        let admin = admin.clone();
        async move {
            let started = std::time::Instant::now();
            let page: Value = http.get(url).bearer_auth(admin).send().await.unwrap().json().await.unwrap();
            (page, started.elapsed())
        }
    });
    tokio::time::sleep(Duration::from_millis(700)).await;
    open(&server, &alex, "My parcel never arrived. It was due on Monday.").await;
    let (page, took) = poll.await.unwrap();
    assert_eq!(types(page["data"].as_array().unwrap())[0], "ticket.created");
    assert!(took < Duration::from_secs(20), "the poll answered at the commit, not at the end of the wait");
}

/// Bad parameters are refused with 400 naming them; a customer gets 403.
async fn the_feed_refuses_a_bad_cursor_limit_type_or_wait_and_customers(database: Database) {
    let server = Server::start(&database);
    let admin = server.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let alex = server.customer("alex@example.com").await;
    for query in ["?after=not-a-cursor", "?limit=0", "?limit=501", "?limit=ten", "?types=ticket.exploded", "?wait=31"] {
        let (status, problem) = feed(&server, &admin, query).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {problem}");
    }
    let (status, _) = feed(&server, &alex, "").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

/// PostgreSQL: a transaction writes an event and stays open while two tickets are created
/// and committed after it. A follower reads the feed meanwhile, then the transaction commits:
/// the follower, resuming from its cursor, still receives the late event, and every event
/// exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_event_whose_transaction_commits_late_is_not_skipped_by_a_follower() {
    use diesel::connection::SimpleConnection;
    use diesel::Connection;

    let Some(database) = Database::postgres() else { return };
    let server = Server::start(&database);
    let admin = server.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let alex = server.customer("alex@example.com").await;
    open(&server, &alex, "The first ticket, before the long transaction.").await;
    let (before, cursor) = follow(&server, &admin, None, 2).await;
    assert_eq!(before.len(), 2);

    // The late writer: a copy of the first event under a new id, in a transaction that
    // stays open until told to commit.
    let late_id = uuid::Uuid::now_v7().to_string();
    let (commit_tx, commit_rx) = std::sync::mpsc::channel::<()>();
    let (began_tx, began_rx) = std::sync::mpsc::channel::<()>();
    let url = database.url();
    let late = late_id.clone();
    let writer = std::thread::spawn(move || {
        let mut conn = diesel::PgConnection::establish(&url).unwrap();
        let columns = "tenant, ticket_id, actor_type, actor_id, actor_name, actor_image_url, kind, data, \
            created_at, format, ticket_number, ticket_subject, ticket_status, ticket_priority, \
            ticket_customer_id, ticket_assignee_id, ticket_version";
        conn.batch_execute(&format!(
            "BEGIN; INSERT INTO events (id, {columns}) SELECT '{late}', {columns} FROM events \
             WHERE seq = (SELECT MIN(seq) FROM events)"
        ))
        .unwrap();
        began_tx.send(()).unwrap();
        commit_rx.recv().unwrap();
        conn.batch_execute("COMMIT").unwrap();
    });
    began_rx.recv().unwrap();

    open(&server, &alex, "The second ticket, committed while the first writer waits.").await;
    open(&server, &alex, "The third ticket, committed while the first writer waits.").await;
    let (during, cursor) = follow(&server, &admin, cursor, 0).await;
    // Nothing after the open transaction is shown while it is open: the later tickets
    // committed, but a position below theirs can still commit.
    assert_eq!(during, Vec::<Value>::new(), "nothing is shown past a transaction in flight");

    commit_tx.send(()).unwrap();
    writer.join().unwrap();
    let (after, _) = follow(&server, &admin, cursor, 5).await;
    let mut all: Vec<&Value> = before.iter().chain(&during).chain(&after).collect();
    assert!(all.iter().any(|e| e["id"] == late_id.as_str()), "the late event reached the follower");
    assert_eq!(all.len(), 7, "two events per ticket and the late one");
    let ids: HashSet<&str> = all.iter().map(|e| e["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), all.len(), "each event once");
    all.clear();
}
