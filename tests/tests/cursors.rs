//! Cursors over HTTP against the real binary on SQLite and PostgreSQL: reading the queue and
//! a customer's list to their end by `meta.nextCursor` while tickets are opened between the
//! pages, and the 400s of a cursor used elsewhere, a forged one, a cursor with a page, and a
//! page past the first 10,000 items.

#![expect(clippy::unwrap_used, reason = "tests")]

use std::collections::HashSet;

use reqwest::StatusCode;
use serde_json::{json, Value};
use supportdesk_tests::{Database, Server, ADMIN_EMAIL, ADMIN_PASSWORD};

supportdesk_tests::on_both_backends!(
    a_walk_by_cursor_sees_every_ticket_once_while_others_are_opened,
    cursors_of_other_lists_forged_cursors_and_deep_pages_are_400,
    the_console_queue_reads_on_by_cursor,
);

async fn open(server: &Server, token: &str, subject: &str, priority: &str) -> String {
    let body =
        json!({"category": "order", "subject": subject, "description": "Walked by cursor.", "priority": priority});
    let response = server.http.post(server.url("/api/v1/tickets")).bearer_auth(token).json(&body).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    response.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned()
}

/// Reads `path` page by page by cursor, opening two tickets after each page; returns the ids
/// read, in order.
async fn walk(server: &Server, path: &str, token: &str, opener: &str) -> Vec<String> {
    let mut ids = Vec::new();
    let mut next: Option<String> = None;
    for round in 0.. {
        let url = match &next {
            None => path.to_owned(),
            Some(cursor) => format!("{path}&cursor={cursor}"),
        };
        let page = server.get_json(&url, token).await;
        assert!(page["meta"]["total"].as_u64().unwrap() >= 30, "{page}");
        ids.extend(page["data"].as_array().unwrap().iter().map(|t| t["id"].as_str().unwrap().to_owned()));
        match page["meta"]["nextCursor"].as_str() {
            Some(cursor) => next = Some(cursor.to_owned()),
            None => {
                assert!(page["meta"]["nextCursor"].is_null());
                return ids;
            }
        }
        for i in 0..2 {
            open(server, opener, &format!("Opened during the walk {round}.{i}"), "urgent").await;
        }
        assert!(round < 100, "the walk does not end");
    }
    ids
}

async fn a_walk_by_cursor_sees_every_ticket_once_while_others_are_opened(database: Database) {
    let server = Server::start(&database);
    let customer = server.customer("walker@example.com").await;
    let other = server.customer("opener@example.com").await;
    let admin = server.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let mut before = Vec::new();
    for (i, priority) in ["low", "normal", "high", "urgent"].iter().cycle().take(30).enumerate() {
        before.push(open(&server, &customer, &format!("Existing ticket {i}"), priority).await);
    }
    for sort in ["-createdAt", "createdAt", "priority", "-priority", "-updatedAt", "lastActivityAt"] {
        let ids = walk(&server, &format!("/api/v1/admin/tickets?size=7&sort={sort}"), &admin, &customer).await;
        for id in &before {
            assert_eq!(ids.iter().filter(|seen| *seen == id).count(), 1, "sort {sort}");
        }
        let distinct: HashSet<_> = ids.iter().collect();
        assert_eq!(distinct.len(), ids.len(), "sort {sort} repeated a ticket");
    }
    // The customer's own list, while another customer opens tickets.
    let mine = walk(&server, "/api/v1/tickets?size=4", &customer, &other).await;
    let mine: HashSet<_> = mine.into_iter().collect();
    assert!(before.iter().all(|id| mine.contains(id)));
}

async fn problem(server: &Server, path: &str, token: &str) -> Value {
    let response = server.http.get(server.url(path)).bearer_auth(token).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST, "GET {path}");
    assert_eq!(response.headers()["content-type"], "application/problem+json", "GET {path}");
    response.json().await.unwrap()
}

fn fields(problem: &Value) -> Vec<String> {
    problem["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap().to_owned()).collect()
}

async fn cursors_of_other_lists_forged_cursors_and_deep_pages_are_400(database: Database) {
    let server = Server::start(&database);
    let customer = server.customer("cursors@example.com").await;
    let admin = server.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    for i in 0..5 {
        open(&server, &customer, &format!("Cursor ticket {i}"), "normal").await;
    }
    let first = server.get_json("/api/v1/admin/tickets?size=2&status=open", &admin).await;
    let cursor = first["meta"]["nextCursor"].as_str().unwrap().to_owned();
    let second = server.get_json(&format!("/api/v1/admin/tickets?size=2&status=open&cursor={cursor}"), &admin).await;
    assert_eq!(second["data"].as_array().unwrap().len(), 2);
    assert_eq!(second["meta"]["total"], 5);
    for path in [
        format!("/api/v1/admin/tickets?size=2&status=closed&cursor={cursor}"),
        format!("/api/v1/admin/tickets?size=2&status=open&sort=createdAt&cursor={cursor}"),
        format!("/api/v1/admin/tickets?size=2&status=open&cursor={}x", &cursor),
        "/api/v1/admin/tickets?cursor=bm90LWEtY3Vyc29y".to_owned(),
    ] {
        assert_eq!(fields(&problem(&server, &path, &admin).await), ["cursor"], "{path}");
    }
    // The staff's cursor on the customer's list.
    let path = format!("/api/v1/tickets?size=2&status=open&cursor={cursor}");
    assert_eq!(fields(&problem(&server, &path, &customer).await), ["cursor"]);
    let both = problem(&server, &format!("/api/v1/admin/tickets?page=2&cursor={cursor}"), &admin).await;
    assert_eq!(fields(&both), ["cursor"]);
    let deep = problem(&server, "/api/v1/admin/tickets?page=101&size=100", &admin).await;
    assert_eq!(fields(&deep), ["page"]);
    assert!(deep["errors"][0]["message"].as_str().unwrap().contains("cursor"), "{deep}");
    let deep = problem(&server, "/api/v1/tickets?page=10001", &customer).await;
    assert_eq!(fields(&deep), ["page"]);
    assert_eq!(server.get_json("/api/v1/admin/tickets?page=100&size=100", &admin).await["data"], json!([]));
}

/// The console's queue pages on by the API's cursor: 25 tickets are 20 and then 5, the
/// second page links back to the first and no further, and the filters travel with it.
async fn the_console_queue_reads_on_by_cursor(database: Database) {
    let server = Server::start(&database);
    let customer = server.customer("pager@example.com").await;
    for i in 0..25 {
        open(&server, &customer, &format!("Paged ticket {i:02}"), "normal").await;
    }
    let mut console = supportdesk_tests::forms::Browser::new(&server);
    console.login("console", ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let first = console.get("/console?status=open").await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    assert_eq!(first.body.matches("class=\"row\"").count(), 20);
    let next = first.body.split("id=\"queue-next\"").next().and_then(|b| b.rsplit("href=\"").next()).unwrap();
    let next = next.split('"').next().unwrap().replace("&#38;", "&").replace("&amp;", "&");
    assert!(next.starts_with("/console?status=open&cursor="), "{next}");
    let second = console.get(&next).await;
    assert_eq!(second.status, StatusCode::OK, "{}", second.body);
    assert_eq!(second.body.matches("class=\"row\"").count(), 5, "{}", second.body);
    assert!(second.body.contains("Paged ticket 00") && !second.body.contains("Paged ticket 24"), "oldest last");
    assert!(!second.body.contains("id=\"queue-next\""), "the end");
    assert!(
        second.body.contains("href=\"/console?status=open\" rel=\"prev\" id=\"queue-prev\">← First page"),
        "{}",
        second.body
    );
}
