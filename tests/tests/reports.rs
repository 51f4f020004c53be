//! Reports through HTTP and the console, over the real binary on the test-only clock
//! (`SUPPORTDESK_TEST_CLOCK`), on SQLite and on PostgreSQL: two tickets answered and resolved
//! minutes apart give exact first response and resolution times, SLA attainment and
//! ratings; a reopening moves a ticket out of `resolved`; bad parameters are a problem+json
//! 400 naming the parameter; the console draws the same figures as SVG charts.

#![expect(clippy::unwrap_used, reason = "tests")]

use reqwest::StatusCode;
use serde_json::{json, Value};
use supportdesk_tests::forms::Browser;
use supportdesk_tests::{Database, Server, ADMIN_EMAIL, ADMIN_PASSWORD};

supportdesk_tests::on_both_backends!(the_summary_measures_tickets_on_the_test_clock);

const MINUTE: u64 = 60;

async fn open(server: &Server, customer: &str, subject: &str) -> String {
    let body = json!({"category": "order", "subject": subject, "description": format!("{subject}, please help.")});
    let ticket = server.send(reqwest::Method::POST, "/api/v1/tickets", customer, body).await;
    ticket["id"].as_str().unwrap().to_owned()
}

async fn reply(server: &Server, admin: &str, id: &str, body: Value) {
    server.send(reqwest::Method::POST, &format!("/api/v1/admin/tickets/{id}/messages"), admin, body).await;
}

/// The summary's total and the sum of its rows' `created`.
async fn summary(server: &Server, admin: &str) -> (Value, u64) {
    let report = server.get_json("/api/v1/admin/reports/summary", admin).await;
    let rows = report["data"].as_array().unwrap();
    assert_eq!(rows.len(), 30, "the last 30 days, one row each: {report}");
    assert_eq!(report["meta"]["to"], rows[29]["key"], "ending today");
    assert_eq!(report["meta"]["timeZone"], "UTC");
    let created = rows.iter().map(|r| r["created"].as_u64().unwrap()).sum();
    (report["meta"]["total"].clone(), created)
}

async fn the_summary_measures_tickets_on_the_test_clock(database: Database) {
    let server = Server::start_with(&database, &[("SUPPORTDESK_TEST_CLOCK", "true")]);
    let admin = server.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let policy = json!({"name": "Standard", "position": 1, "firstResponseMinutes": 60, "resolutionMinutes": 600});
    server.send(reqwest::Method::POST, "/api/v1/admin/sla-policies", &admin, policy).await;
    let alex = server.customer("alex@example.com").await;
    let blake = server.customer("blake@example.com").await;
    let quick = open(&server, &alex, "Kettle lid cracked").await;
    let slow = open(&server, &blake, "Parcel never arrived").await;

    // Half an hour: the first ticket answered and resolved at once, in time.
    server.advance_clock(30 * MINUTE).await;
    let solved = json!({"body": "A new lid is on its way.", "status": "resolved", "resolutionNote": "Lid sent"});
    reply(&server, &admin, &quick, solved).await;
    // Two hours: the second answered late (its first response was due after one), resolved.
    server.advance_clock(90 * MINUTE).await;
    reply(&server, &admin, &slow, json!({"body": "The carrier lost it; we send another."})).await;
    let resolved = json!({"status": "resolved", "resolutionNote": "Sent again"});
    server.send(reqwest::Method::PATCH, &format!("/api/v1/admin/tickets/{slow}/status"), &admin, resolved).await;
    for (customer, id, rating) in [(&alex, &quick, "good"), (&blake, &slow, "bad")] {
        let body = json!({"rating": rating});
        server.send(reqwest::Method::POST, &format!("/api/v1/tickets/{id}/satisfaction"), customer, body).await;
    }

    let (total, created) = summary(&server, &admin).await;
    assert_eq!(created, 2, "{total}");
    assert_eq!(
        total,
        json!({"key": null, "created": 2, "resolved": 2, "reopened": 0,
               "firstResponseMinutes": {"median": 30, "p90": 120},
               "resolutionMinutes": {"median": 30, "p90": 120},
               "slaAttainment": 0.5, "satisfaction": {"good": 1, "bad": 1}})
    );

    // The customer writes again: reopened, no longer resolved, its rating no longer counted.
    let again = json!({"body": "The second parcel is missing too."});
    server.send(reqwest::Method::POST, &format!("/api/v1/tickets/{slow}/messages"), &blake, again).await;
    let (total, _) = summary(&server, &admin).await;
    assert_eq!((&total["resolved"], &total["reopened"]), (&json!(1), &json!(1)), "{total}");
    assert_eq!(total["resolutionMinutes"], json!({"median": 30, "p90": 30}));
    assert_eq!((&total["slaAttainment"], &total["satisfaction"]), (&json!(1.0), &json!({"good": 1, "bad": 0})));

    let by_agent = server.get_json("/api/v1/admin/reports/summary?groupBy=agent", &admin).await;
    assert_eq!(by_agent["data"].as_array().unwrap().len(), 1, "nobody assigned: one row {by_agent}");
    assert_eq!(by_agent["data"][0]["key"], Value::Null);
    assert_eq!(by_agent["meta"]["groupBy"], "agent");

    for (query, field) in [
        ("groupBy=month", "groupBy"),
        ("from=2026-13-01", "from"),
        ("from=2026-12-08&to=2026-12-01", "to"),
        ("from=2025-01-01&to=2026-12-01", "from"),
    ] {
        let response = server
            .http
            .get(server.url(&format!("/api/v1/admin/reports/summary?{query}")))
            .bearer_auth(&admin)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{query}");
        assert_eq!(response.headers()["content-type"].to_str().unwrap(), "application/problem+json");
        let problem: Value = response.json().await.unwrap();
        assert_eq!(problem["errors"][0]["field"], field, "{query}: {problem}");
    }
    let response =
        server.http.get(server.url("/api/v1/admin/reports/summary")).bearer_auth(&alex).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN, "customers see no reports");

    // The console: the same figures, as charts and in the table.
    let mut console = Browser::new(&server);
    console.login("console", ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let page = console.get("/console/reports").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    for chart in ["chart-volume", "chart-times", "chart-sla", "chart-satisfaction"] {
        assert!(page.body.contains(&format!("<svg class=\"chart\" id=\"{chart}\" role=\"img\"")), "{chart}");
    }
    assert!(page.body.contains(": created 2</title>") || page.body.contains(": created 1</title>"), "{}", page.body);
    let total = page.body.split("<tr id=\"report-total\">").nth(1).unwrap_or_default();
    assert!(
        total.starts_with("<th scope=\"row\">Total</th><td>2</td><td>1</td><td>1</td><td>30 min / 2 h 00</td>"),
        "{total}"
    );
    assert!(!page.body.contains("<script>"), "no inline script");
    let weekly = console.get("/console/reports?groupBy=week").await;
    assert!(weekly.body.contains("-W"), "ISO week keys: {}", weekly.body);
    assert_eq!(console.get("/console/reports?groupBy=month").await.status, StatusCode::BAD_REQUEST);
    // Rows of agents and categories are labelled by name, not by id.
    let by_category = console.get("/console/reports?groupBy=category").await;
    assert!(by_category.body.contains("<th scope=\"row\">Order</th>"), "{}", by_category.body);
    let by_agent = console.get("/console/reports?groupBy=agent").await;
    let agent_rows: Vec<&str> =
        by_agent.body.split("<th scope=\"row\">").skip(1).filter_map(|r| r.split('<').next()).collect();
    assert!(agent_rows.len() >= 2, "{}", by_agent.body);
    assert!(agent_rows.iter().all(|r| ["Admin", "unassigned", "Total"].contains(r)), "{agent_rows:?}");
}
