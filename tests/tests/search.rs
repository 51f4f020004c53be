//! Full-text search against the real binary on SQLite and PostgreSQL: what a write adds
//! is found as soon as it is answered, a customer never finds a note, and
//! `supportdesk admin reindex` rebuilds an index that was lost or never built (a bulk
//! import).

#![expect(clippy::unwrap_used, reason = "tests")]

use reqwest::StatusCode;
use serde_json::{json, Value};
use supportdesk_tests::{Database, Server, ADMIN_EMAIL, ADMIN_PASSWORD};

supportdesk_tests::on_both_backends!(
    a_reply_is_found_as_soon_as_it_is_answered_and_never_a_note_by_customers,
    admin_reindex_rebuilds_a_lost_search_index,
);

async fn post(server: &Server, path: &str, token: &str, body: Value) -> Value {
    let response = server.http.post(server.url(path)).bearer_auth(token).json(&body).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::CREATED, "POST {path}");
    response.json().await.unwrap()
}

async fn numbers(server: &Server, path: &str, token: &str) -> Vec<i64> {
    let page = server.get_json(path, token).await;
    page["data"].as_array().unwrap().iter().map(|t| t["number"].as_i64().unwrap()).collect()
}

/// Each write is followed at once by a search, with no pause: the index is written in the
/// write's own transaction.
async fn a_reply_is_found_as_soon_as_it_is_answered_and_never_a_note_by_customers(database: Database) {
    let server = Server::start(&database);
    let customer = server.customer("searcher@example.com").await;
    let admin = server.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let ticket = post(
        &server,
        "/api/v1/tickets",
        &customer,
        json!({"category": "order", "subject": "Damaged parcel", "description": "The blue kettle arrived broken."}),
    )
    .await;
    let number = ticket["number"].as_i64().unwrap();
    let id = ticket["id"].as_str().unwrap();
    for round in 0..5 {
        let word = format!("zebra{round}");
        post(
            &server,
            &format!("/api/v1/tickets/{id}/messages"),
            &customer,
            json!({"body": format!("Also the {word} mug")}),
        )
        .await;
        assert_eq!(numbers(&server, &format!("/api/v1/admin/tickets?q={word}"), &admin).await, [number], "{word}");
        assert_eq!(numbers(&server, &format!("/api/v1/tickets?q={word}"), &customer).await, [number], "{word}");
    }
    post(
        &server,
        &format!("/api/v1/admin/tickets/{number}/messages"),
        &admin,
        json!({"body": "Wörried about a fraudulent refund", "internal": true}),
    )
    .await;
    let staff = server.get_json("/api/v1/admin/tickets?q=worried", &admin).await;
    assert_eq!(staff["data"][0]["number"], number);
    assert_eq!(
        staff["data"][0]["match"],
        json!({"field": "note", "snippet": "Wörried about a fraudulent refund", "highlights": [[0, 7]]})
    );
    assert_eq!(numbers(&server, "/api/v1/tickets?q=worried", &customer).await, Vec::<i64>::new());
    assert_eq!(numbers(&server, "/api/v1/tickets?q=kettle%20-fraudulent", &customer).await, [number]);
    assert_eq!(numbers(&server, "/api/v1/admin/tickets?q=kettle%20-fraudulent", &admin).await, Vec::<i64>::new());
    let phrase = server.get_json("/api/v1/tickets?q=%22arrived%20broken%22", &customer).await;
    assert_eq!(phrase["data"][0]["match"]["field"], "message");
    assert_eq!(phrase["data"][0]["match"]["highlights"], json!([[16, 30]]));
}

/// The search rows are deleted behind a stopped server's back (as after a bulk import that
/// wrote only tickets); `admin reindex` makes the tickets searchable again.
async fn admin_reindex_rebuilds_a_lost_search_index(database: Database) {
    let server = Server::start(&database);
    let customer = server.customer("reindexed@example.com").await;
    post(
        &server,
        "/api/v1/tickets",
        &customer,
        json!({"category": "order", "description": "The giraffe lamp flickers."}),
    )
    .await;
    assert!(tokio::task::spawn_blocking(move || server.terminate()).await.unwrap());
    database.execute("DELETE FROM ticket_search");
    let server = Server::start(&database);
    let admin = server.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert!(numbers(&server, "/api/v1/admin/tickets?q=giraffe", &admin).await.is_empty(), "the index is gone");
    assert!(tokio::task::spawn_blocking(move || server.terminate()).await.unwrap());

    let url = database.url();
    let reindex = tokio::task::spawn_blocking(move || {
        std::process::Command::new(supportdesk_tests::binary())
            .args(["admin", "reindex"])
            .env("SUPPORTDESK_DATABASE_URL", url)
            .env("SUPPORTDESK_JWT_SECRET", "black-box-test-secret-of-at-least-32-bytes")
            .status()
    });
    assert!(reindex.await.unwrap().unwrap().success(), "admin reindex exits 0");
    let server = Server::start(&database);
    let admin = server.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let found = server.get_json("/api/v1/admin/tickets?q=giraffe", &admin).await;
    assert_eq!(found["meta"]["total"], 1);
    assert_eq!(found["data"][0]["match"]["field"], "subject");
    let customer = server.login("reindexed@example.com", "customer password 1").await;
    assert_eq!(numbers(&server, "/api/v1/tickets?q=lamp", &customer).await.len(), 1);
}
