//! The customer directory over HTTP against the real binary on SQLite and PostgreSQL:
//! `GET /admin/customers?q=` by name or email prefix and by cursor, a customer's tickets at
//! `GET /admin/customers/{id}/tickets`, their refusals, and the console's directory page.

#![expect(clippy::unwrap_used, reason = "tests")]

use std::collections::HashSet;

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use supportdesk_tests::forms::Browser;
use supportdesk_tests::{Database, Server, ADMIN_EMAIL, ADMIN_PASSWORD};

supportdesk_tests::on_both_backends!(
    the_directory_finds_customers_by_name_and_email_and_lists_their_tickets,
    the_directory_refuses_bad_lookups_cursors_and_callers,
);

/// Pushes a profile as the shop does; the customer's id.
async fn profile(server: &Server, admin: &str, name: &str, email: &str) -> String {
    let id = uuid::Uuid::now_v7().to_string();
    let body = json!({"name": name, "email": email});
    server.send(Method::PUT, &format!("/api/v1/admin/customers/{id}"), admin, body).await;
    id
}

fn ids(list: &Value) -> Vec<String> {
    list["data"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap().to_owned()).collect()
}

async fn the_directory_finds_customers_by_name_and_email_and_lists_their_tickets(database: Database) {
    let server = Server::start(&database);
    let admin = server.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let muller = profile(&server, &admin, "Jana Müller", "jana.mueller@example.com").await;
    let mulligan = profile(&server, &admin, "Ava Mulligan", "ava@shop.example").await;
    for i in 0..5 {
        profile(&server, &admin, &format!("Walker {i}"), &format!("walker{i}@example.com")).await;
    }

    let found = server.get_json("/api/v1/admin/customers?q=MULL", &admin).await;
    assert_eq!(ids(&found), vec![mulligan.clone(), muller.clone()], "{found}");
    assert_eq!(found["meta"]["total"], 2);
    assert_eq!(found["data"][1]["name"], "Jana Müller");
    assert_eq!(found["data"][1]["email"], "jana.mueller@example.com");
    let by_email = server.get_json("/api/v1/admin/customers?q=jana.mueller%40ex", &admin).await;
    assert_eq!(ids(&by_email), vec![muller.clone()]);

    // The whole directory, two at a time, by cursor: every customer once, by name.
    let (mut seen, mut next) = (Vec::new(), Some(String::new()));
    while let Some(cursor) = next.take() {
        let path = if cursor.is_empty() {
            "/api/v1/admin/customers?size=2".to_owned()
        } else {
            format!("/api/v1/admin/customers?size=2&cursor={cursor}")
        };
        let page = server.get_json(&path, &admin).await;
        assert!(page["data"].as_array().unwrap().len() <= 2, "{page}");
        seen.extend(page["data"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap().to_owned()));
        next = page["meta"]["nextCursor"].as_str().map(str::to_owned);
    }
    assert_eq!(seen.iter().collect::<HashSet<_>>().len(), seen.len(), "{seen:?}");
    for name in ["Jana Müller", "Ava Mulligan", "Walker 0", "Walker 4"] {
        assert!(seen.iter().any(|n| n == name), "{name} in {seen:?}");
    }
    let mut sorted = seen.clone();
    sorted.sort_by_key(|name| name.to_lowercase());
    assert_eq!(seen, sorted, "by name");

    // Jana's tickets, with the queue's filters.
    let jana = server.customer("jana@example.com").await;
    let mut opened = Vec::new();
    for subject in ["Kettle arrived broken", "Refund for the kettle"] {
        let body = json!({"category": "order", "subject": subject, "description": "Please help me with this."});
        opened.push(server.send(Method::POST, "/api/v1/tickets", &jana, body).await);
    }
    let first = format!("/api/v1/admin/tickets/{}", opened[0]["id"].as_str().unwrap());
    let jana_id = server.get_json(&first, &admin).await["customerId"].as_str().unwrap().to_owned();
    let alex = server.customer("alex@example.com").await;
    let body = json!({"category": "order", "subject": "Not Jana's", "description": "This one is mine."});
    server.send(Method::POST, "/api/v1/tickets", &alex, body).await;
    let tickets = server.get_json(&format!("/api/v1/admin/customers/{jana_id}/tickets"), &admin).await;
    let subjects: Vec<&str> =
        tickets["data"].as_array().unwrap().iter().map(|t| t["subject"].as_str().unwrap()).collect();
    assert_eq!(subjects, vec!["Refund for the kettle", "Kettle arrived broken"], "{tickets}");
    let searched = server.get_json(&format!("/api/v1/admin/customers/{jana_id}/tickets?q=refund"), &admin).await;
    assert_eq!(searched["meta"]["total"], 1, "{searched}");
    let none = server.get_json(&format!("/api/v1/admin/customers/{muller}/tickets"), &admin).await;
    assert_eq!(none["data"], json!([]));

    // The console's directory: the lookup, the rows, a link to each customer's page.
    let mut console = Browser::new(&server);
    console.login("console", ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let page = console.get("/console/customers?q=m%C3%BCll").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains(&format!("href=\"/console/customers/{muller}\"")), "{}", page.body);
    assert!(page.body.contains("Ava Mulligan") && !page.body.contains("Walker 0"), "{}", page.body);
    let all = console.get("/console/customers").await;
    assert!(all.body.contains("Walker 0") && !all.body.contains("id=\"customers-next\""), "one page: {}", all.body);
    let jana_page = console.get(&format!("/console/customers/{jana_id}")).await;
    assert!(jana_page.body.contains("Kettle arrived broken"), "{}", jana_page.body);
    assert_eq!(console.get("/console/customers?q=%20").await.status, StatusCode::OK, "a blank lookup is no lookup");
    let long = "x".repeat(201);
    let refused = console.get(&format!("/console/customers?q={long}")).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "the console's answer to invalid input");
    assert!(refused.body.contains("q: must be 1 to 200 characters"), "{}", refused.body);
}

async fn the_directory_refuses_bad_lookups_cursors_and_callers(database: Database) {
    let server = Server::start(&database);
    let admin = server.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    for i in 0..3 {
        profile(&server, &admin, &format!("Dana {i}"), &format!("dana{i}@example.com")).await;
    }
    let first = server.get_json("/api/v1/admin/customers?size=1", &admin).await;
    let cursor = first["meta"]["nextCursor"].as_str().unwrap().to_owned();
    let long = "x".repeat(201);
    let jana = server.customer("jana@example.com").await;
    let unknown = uuid::Uuid::now_v7();
    let cases = [
        (format!("/api/v1/admin/customers?q={long}"), &admin, StatusCode::BAD_REQUEST, "q"),
        ("/api/v1/admin/customers?size=0".to_owned(), &admin, StatusCode::BAD_REQUEST, "size"),
        (format!("/api/v1/admin/customers?page=2&cursor={cursor}"), &admin, StatusCode::BAD_REQUEST, "cursor"),
        (format!("/api/v1/admin/customers?q=dana&cursor={cursor}"), &admin, StatusCode::BAD_REQUEST, "cursor"),
        (format!("/api/v1/admin/customers?cursor={cursor}x"), &admin, StatusCode::BAD_REQUEST, "cursor"),
        ("/api/v1/admin/customers?sort=name".to_owned(), &admin, StatusCode::BAD_REQUEST, "sort"),
        ("/api/v1/admin/customers".to_owned(), &jana, StatusCode::FORBIDDEN, ""),
        (format!("/api/v1/admin/customers/{unknown}/tickets"), &admin, StatusCode::NOT_FOUND, ""),
        (
            format!("/api/v1/admin/customers/{unknown}/tickets?customerId={unknown}"),
            &admin,
            StatusCode::BAD_REQUEST,
            "customerId",
        ),
        ("/api/v1/admin/customers/not-a-uuid/tickets".to_owned(), &admin, StatusCode::BAD_REQUEST, "id"),
    ];
    for (path, token, status, field) in cases {
        let response = server.http.get(server.url(&path)).bearer_auth(token).send().await.unwrap();
        assert_eq!(response.status(), status, "{path}");
        let kind = response.headers()["content-type"].to_str().unwrap().to_owned();
        assert_eq!(kind, "application/problem+json", "{path}");
        let problem: Value = response.json().await.unwrap();
        if !field.is_empty() {
            let fields = problem["errors"].as_array().map(|e| e.iter().map(|e| e["field"].clone()).collect::<Vec<_>>());
            assert!(
                fields.is_some_and(|f| f.contains(&json!(field)))
                    || problem["detail"].as_str().is_some_and(|d| d.contains(field)),
                "{path}: {problem}"
            );
        }
    }
}
