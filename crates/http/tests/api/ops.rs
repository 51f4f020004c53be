//! Operations routes.

use actix_web::test::TestRequest;
use serde_json::json;

use crate::common::{open_ticket, send, ticket_body, Harness};

#[actix_web::test]
async fn health_is_200_ok() {
    let h = Harness::new();
    let app = h.service().await;
    let reply = send(&app, TestRequest::get().uri("/health")).await;
    reply.assert_status(200);
    assert_eq!(reply.body, json!({"status": "ok"}));
}

#[actix_web::test]
async fn ready_is_200_when_the_store_answers_and_503_when_it_does_not() {
    let h = Harness::new();
    let app = h.service().await;
    send(&app, TestRequest::get().uri("/ready")).await.assert_status(200);
    let down = Harness::failing();
    let app = down.service().await;
    let reply = send(&app, TestRequest::get().uri("/ready")).await;
    reply.assert_problem(503, "unavailable");
    assert!(!reply.body.to_string().contains("secret-db"));
}

#[actix_web::test]
async fn metrics_count_requests_by_route_pattern_and_status_and_tickets_created() {
    let h = Harness::new();
    let app = h.service().await;
    let alex = h.customer();
    let ticket = open_ticket(&h, &app, &alex, ticket_body()).await;
    send(&app, TestRequest::get().uri(&format!("/api/v1/tickets/{}", ticket["number"])).insert_header(h.bearer(&alex)))
        .await
        .assert_status(200);
    send(&app, TestRequest::get().uri("/api/v1/tickets/999").insert_header(h.bearer(&alex))).await.assert_status(404);
    send(&app, TestRequest::get().uri("/nope")).await.assert_status(404);
    let reply = send(&app, TestRequest::get().uri("/metrics")).await;
    reply.assert_status(200);
    assert!(reply.content_type().starts_with("application/openmetrics-text"));
    let text = reply.body.as_str().unwrap();
    assert!(text.contains(r#"http_requests_total{method="POST",route="/api/v1/tickets",status="201"} 1"#), "{text}");
    assert!(text.contains(r#"http_requests_total{method="GET",route="/api/v1/tickets/{ticket}",status="200"} 1"#));
    assert!(text.contains(r#"http_requests_total{method="GET",route="/api/v1/tickets/{ticket}",status="404"} 1"#));
    assert!(text.contains(r#"http_requests_total{method="GET",route="unmatched",status="404"} 1"#));
    assert!(text.contains(
        r#"http_request_duration_seconds_count{method="GET",route="/api/v1/tickets/{ticket}",status="200"} 1"#
    ));
    assert!(text.contains("supportdesk_tickets_created_total 1"));
}

#[actix_web::test]
async fn the_openapi_document_is_served_as_json() {
    let h = Harness::new();
    let app = h.service().await;
    let reply = send(&app, TestRequest::get().uri("/api/v1/openapi.json")).await;
    reply.assert_status(200);
    assert_eq!(reply.content_type(), "application/json");
    assert!(reply.body["openapi"].as_str().unwrap().starts_with("3.1"));
    assert!(reply.body["paths"]["/api/v1/tickets/{ticket}"]["get"].is_object());
    assert!(reply.body["components"]["schemas"]["TicketResponse"].is_object());
    assert!(reply.body["components"]["schemas"]["Problem"].is_object());
}
