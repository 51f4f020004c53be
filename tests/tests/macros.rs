//! Macros over the real binary (api-v1.1.md section 3): an admin makes one over the API;
//! an agent applies it from the console's reply box and over the API with an
//! `Idempotency-Key`; the customer sees the rendered reply in the portal; an admin makes and
//! deletes one from the console's settings.

#![expect(clippy::unwrap_used, reason = "tests")]

use reqwest::StatusCode;
use serde_json::{json, Value};
use supportdesk_tests::forms::Browser;
use supportdesk_tests::{Database, Server, ADMIN_EMAIL, ADMIN_PASSWORD};

supportdesk_tests::on_both_backends!(a_macro_applied_from_the_console_and_the_api_changes_the_ticket_once);

async fn send(request: reqwest::RequestBuilder, token: &str, body: Value) -> (StatusCode, Value) {
    let response = request.bearer_auth(token).json(&body).send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn open(server: &Server, customer: &str) -> (String, i64) {
    let body = json!({"category": "order", "description": "My parcel never arrived. It was due Monday."});
    let (status, ticket) = send(server.http.post(server.url("/api/v1/tickets")), customer, body).await;
    assert_eq!(status, StatusCode::CREATED);
    (ticket["id"].as_str().unwrap().to_owned(), ticket["number"].as_i64().unwrap())
}

async fn a_macro_applied_from_the_console_and_the_api_changes_the_ticket_once(database: Database) {
    let server = Server::start(&database);
    let admin = server.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let alex = server.customer("alex@customer.example").await;
    let body = json!({
        "name": "Replacement sent",
        "body": "Hello {{customer.name}}, a replacement for #{{ticket.number}} is on its way. {{agent.name}}",
        "status": "resolved", "priority": "high", "addTags": ["replacement"], "assignToSelf": true
    });
    let (status, created) = send(server.http.post(server.url("/api/v1/admin/macros")), &admin, body).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let macro_id = created["id"].as_str().unwrap().to_owned();

    // From the console's reply box.
    let (id, number) = open(&server, &alex).await;
    let mut agent = Browser::new(&server);
    agent.login("console", ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let path = format!("/console/tickets/{number}");
    let page = agent.get(&path).await;
    assert!(page.body.contains("id=\"macro-form\"") && page.body.contains("Replacement sent"), "{}", page.body);
    let applied = agent.submit(&path, &format!("{path}/macro"), &[("macro", &macro_id)]).await;
    assert_eq!(applied.status, StatusCode::SEE_OTHER, "{}", applied.body);
    let staff = server.get_json(&format!("/api/v1/admin/tickets/{id}"), &admin).await;
    assert_eq!((staff["status"].as_str(), staff["priority"].as_str()), (Some("resolved"), Some("high")));
    assert_eq!(staff["tags"], json!(["replacement"]));
    assert!(staff["assigneeId"].is_string());
    assert_eq!(staff["version"], 2, "one transaction, one version");
    let mut customer = Browser::new(&server);
    customer.login("portal", "alex@customer.example", "customer password 1").await;
    let thread = customer.get(&format!("/portal/tickets/{number}")).await;
    let expected = format!("Hello Alex Customer, a replacement for #{number} is on its way. Admin");
    assert!(thread.body.contains(&expected), "{}", thread.body);

    // Over the API, retried with the same key: one message.
    let (id, number) = open(&server, &alex).await;
    let url = server.url(&format!("/api/v1/admin/tickets/{number}/macros/{macro_id}"));
    let first =
        server.http.post(&url).bearer_auth(&admin).header("Idempotency-Key", "apply-1").header("If-Match", "\"1\"");
    let first = first.send().await.unwrap();
    assert_eq!(first.status(), StatusCode::CREATED);
    let first: Value = first.json().await.unwrap();
    let again =
        server.http.post(&url).bearer_auth(&admin).header("Idempotency-Key", "apply-1").header("If-Match", "\"1\"");
    let again = again.send().await.unwrap();
    assert_eq!(again.status(), StatusCode::CREATED);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    let again: Value = again.json().await.unwrap();
    assert_eq!(again["message"]["id"], first["message"]["id"]);
    let staff = server.get_json(&format!("/api/v1/admin/tickets/{id}"), &admin).await;
    assert_eq!(staff["messages"].as_array().unwrap().len(), 2, "the description and one reply");
    assert_eq!(staff["version"], 2);
    let stale = server.http.post(&url).bearer_auth(&admin).header("If-Match", "\"1\"").send().await.unwrap();
    assert_eq!(stale.status(), StatusCode::PRECONDITION_FAILED);

    // An admin makes and deletes one from the console's settings.
    let made = agent
        .submit(
            "/console/settings",
            "/console/settings/macros",
            &[("name", "Asked for a photo"), ("body", "Could you send a photo, {{customer.name}}?"), ("internal", "")],
        )
        .await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);
    let settings = agent.get("/console/settings").await;
    assert!(settings.body.contains("Asked for a photo") && settings.body.contains("public reply"), "{}", settings.body);
    let listed = server.get_json("/api/v1/admin/macros", &admin).await;
    let photo = listed["data"].as_array().unwrap().iter().find(|m| m["name"] == "Asked for a photo").unwrap().clone();
    assert_eq!(photo["status"], Value::Null);
    let refused =
        agent.submit("/console/settings", "/console/settings/macros", &[("name", "Bad"), ("body", "{{ oops }}")]).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "an unknown variable is shown, not saved");
    let photo_id = photo["id"].as_str().unwrap();
    let deleted = agent.submit("/console/settings", &format!("/console/settings/macros/{photo_id}/delete"), &[]).await;
    assert_eq!(deleted.status, StatusCode::SEE_OTHER);
    assert_eq!(server.get_json("/api/v1/admin/macros", &admin).await["data"].as_array().unwrap().len(), 1);
}
