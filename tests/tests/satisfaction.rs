//! Satisfaction over the real binary (api-v1.1.md section 3): a customer rates a resolved
//! ticket from the portal, once per resolution; staff see the rating in the API and the
//! console; the feed carries `ticket.satisfaction_rated`.

#![expect(clippy::unwrap_used, reason = "tests")]

use reqwest::StatusCode;
use serde_json::{json, Value};
use supportdesk_tests::forms::Browser;
use supportdesk_tests::{Database, Server, ADMIN_EMAIL, ADMIN_PASSWORD};

supportdesk_tests::on_both_backends!(a_customer_rates_a_resolution_from_the_portal_once_and_staff_see_it);

async fn send(server: &Server, method: reqwest::Method, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
    let response = server.http.request(method, server.url(path)).bearer_auth(token).json(&body).send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn a_customer_rates_a_resolution_from_the_portal_once_and_staff_see_it(database: Database) {
    let server = Server::start(&database);
    let admin = server.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let alex = server.customer("alex@customer.example").await;
    let body = json!({"category": "order", "description": "My parcel never arrived. It was due Monday."});
    let (status, ticket) = send(&server, reqwest::Method::POST, "/api/v1/tickets", &alex, body).await;
    assert_eq!(status, StatusCode::CREATED);
    let (id, number) = (ticket["id"].as_str().unwrap().to_owned(), ticket["number"].as_i64().unwrap());
    let page = format!("/portal/tickets/{number}");

    let mut customer = Browser::new(&server);
    customer.login("portal", "alex@customer.example", "customer password 1").await;
    assert!(!customer.get(&page).await.body.contains("id=\"rate-form\""), "an open ticket offers no rating");

    let status_path = format!("/api/v1/admin/tickets/{id}/status");
    let (status, _) = send(&server, reqwest::Method::PATCH, &status_path, &admin, json!({"status": "resolved"})).await;
    assert_eq!(status, StatusCode::OK);
    let offered = customer.get(&page).await;
    assert!(offered.body.contains("id=\"rate-form\""), "{}", offered.body);
    let rated = customer
        .submit(&page, &format!("{page}/satisfaction"), &[("rating", "good"), ("comment", "Quick & kind <3")])
        .await;
    assert_eq!(rated.status, StatusCode::SEE_OTHER, "{}", rated.body);
    let after = customer.get(&page).await;
    assert!(!after.body.contains("id=\"rate-form\""), "rated once: the form is gone");
    assert!(after.body.contains("Your rating: Good: “Quick &#38; kind &#60;3”"), "escaped: {}", after.body);

    let staff = server.get_json(&format!("/api/v1/admin/tickets/{id}"), &admin).await;
    assert_eq!(staff["satisfaction"]["rating"], "good");
    assert_eq!(staff["satisfaction"]["comment"], "Quick & kind <3");
    let rate_path = format!("/api/v1/tickets/{id}/satisfaction");
    let (status, problem) = send(&server, reqwest::Method::POST, &rate_path, &alex, json!({"rating": "bad"})).await;
    assert_eq!((status, problem["code"].as_str()), (StatusCode::CONFLICT, Some("already_rated")));

    let mut agent = Browser::new(&server);
    agent.login("console", ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let console = agent.get(&format!("/console/tickets/{number}")).await;
    assert!(console.body.contains("Customer's rating: Good"), "{}", console.body);
    assert!(console.body.contains("rated the resolution good"), "the audit trail: {}", console.body);

    // `wait` long-polls: on PostgreSQL an event shows once the transactions begun before it end.
    let feed = server.get_json("/api/v1/admin/events?types=ticket.satisfaction_rated&wait=10", &admin).await;
    let events = feed["data"].as_array().unwrap();
    assert_eq!(events.len(), 1, "{feed}");
    assert_eq!(events[0]["data"], json!({"rating": "good", "comment": "Quick & kind <3"}));
    assert_eq!(events[0]["ticket"]["status"], "resolved");

    // Reopened by the customer's reply and resolved again: the new resolution may be rated.
    let reply_path = format!("/api/v1/tickets/{id}/messages");
    let (status, _) =
        send(&server, reqwest::Method::POST, &reply_path, &alex, json!({"body": "One more question."})).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _) = send(&server, reqwest::Method::PATCH, &status_path, &admin, json!({"status": "resolved"})).await;
    assert_eq!(status, StatusCode::OK);
    let again = customer.submit(&page, &format!("{page}/satisfaction"), &[("rating", "bad")]).await;
    assert_eq!(again.status, StatusCode::SEE_OTHER, "{}", again.body);
    let staff = server.get_json(&format!("/api/v1/admin/tickets/{id}"), &admin).await;
    assert_eq!(staff["satisfaction"]["rating"], "bad");
    assert_eq!(staff["satisfaction"]["comment"], Value::Null);
}
