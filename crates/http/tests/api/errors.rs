//! Errors that are not the use cases': bad bodies, content types, sizes, routes, methods,
//! internal failures; and the request id every response carries.

use actix_web::test::TestRequest;
use serde_json::json;

use crate::common::{send, ticket_body, Harness};

#[actix_web::test]
async fn malformed_json_is_400_problem_json() {
    let h = Harness::new();
    let app = h.service().await;
    let reply = send(
        &app,
        TestRequest::post()
            .uri("/api/v1/tickets")
            .insert_header(h.bearer(&h.customer()))
            .insert_header(("content-type", "application/json"))
            .set_payload("{\"category\": \"order\","),
    )
    .await;
    reply.assert_problem(400, "validation_failed");
}

#[actix_web::test]
async fn an_unknown_field_is_400_naming_it() {
    let h = Harness::new();
    let app = h.service().await;
    let mut body = ticket_body();
    body["sujbect"] = json!("typo");
    let reply =
        send(&app, TestRequest::post().uri("/api/v1/tickets").insert_header(h.bearer(&h.customer())).set_json(body))
            .await;
    reply.assert_problem(400, "validation_failed");
    assert_eq!(reply.error_fields(), ["sujbect"]);
    assert_eq!(reply.body["errors"][0]["message"], "is not a known field");
}

#[actix_web::test]
async fn an_unknown_field_inside_a_list_is_named_with_its_path() {
    let h = Harness::new();
    let app = h.service().await;
    let mut body = ticket_body();
    body["attachments"] = json!([{"fileName": "a.jpg", "url": "https://x.example/a.jpg", "contentType": "image/jpeg", "sizeBytes": 1, "extra": 1}]);
    let reply =
        send(&app, TestRequest::post().uri("/api/v1/tickets").insert_header(h.bearer(&h.customer())).set_json(body))
            .await;
    reply.assert_problem(400, "validation_failed");
    assert_eq!(reply.error_fields(), ["attachments[0].extra"]);
}

#[actix_web::test]
async fn a_value_of_the_wrong_type_is_400_naming_its_path() {
    let h = Harness::new();
    let app = h.service().await;
    let mut body = ticket_body();
    body["priority"] = json!(5);
    let reply =
        send(&app, TestRequest::post().uri("/api/v1/tickets").insert_header(h.bearer(&h.customer())).set_json(body))
            .await;
    reply.assert_problem(400, "validation_failed");
    assert_eq!(reply.error_fields(), ["priority"]);
    let not_an_object = send(
        &app,
        TestRequest::post().uri("/api/v1/tickets").insert_header(h.bearer(&h.customer())).set_json(json!([1, 2])),
    )
    .await;
    not_an_object.assert_problem(400, "validation_failed");
}

#[actix_web::test]
async fn a_body_that_is_not_json_is_415() {
    let h = Harness::new();
    let app = h.service().await;
    let plain = send(
        &app,
        TestRequest::post()
            .uri("/api/v1/tickets")
            .insert_header(h.bearer(&h.customer()))
            .insert_header(("content-type", "text/plain"))
            .set_payload(ticket_body().to_string()),
    )
    .await;
    plain.assert_problem(415, "unsupported_media_type");
    let none = send(
        &app,
        TestRequest::post()
            .uri("/api/v1/tickets")
            .insert_header(h.bearer(&h.customer()))
            .set_payload(ticket_body().to_string()),
    )
    .await;
    none.assert_problem(415, "unsupported_media_type");
}

#[actix_web::test]
async fn a_body_over_the_limit_is_413() {
    let h = Harness::with(|c| c.body_limit = 1024, supportdesk_app::AppSettings::default());
    let app = h.service().await;
    let body = json!({"category": "order", "description": "x".repeat(2000)});
    let reply =
        send(&app, TestRequest::post().uri("/api/v1/tickets").insert_header(h.bearer(&h.customer())).set_json(body))
            .await;
    reply.assert_problem(413, "payload_too_large");
}

#[actix_web::test]
async fn the_default_body_limit_is_256_kib() {
    let h = Harness::new();
    let app = h.service().await;
    let body = json!({"category": "order", "description": "x".repeat(300 * 1024)});
    let reply =
        send(&app, TestRequest::post().uri("/api/v1/tickets").insert_header(h.bearer(&h.customer())).set_json(body))
            .await;
    reply.assert_problem(413, "payload_too_large");
}

#[actix_web::test]
async fn an_unknown_route_is_404_problem_json() {
    let h = Harness::new();
    let app = h.service().await;
    let reply = send(&app, TestRequest::get().uri("/api/v1/nothing-here")).await;
    reply.assert_problem(404, "not_found");
    assert!(reply.header("x-request-id").is_some());
}

#[actix_web::test]
async fn a_known_route_with_another_method_is_405_with_allow() {
    let h = Harness::new();
    let app = h.service().await;
    let reply = send(&app, TestRequest::delete().uri("/api/v1/tickets")).await;
    reply.assert_problem(405, "method_not_allowed");
    assert_eq!(reply.header("allow"), Some("POST, GET"));
    let put = send(&app, TestRequest::put().uri("/api/v1/tickets/42")).await;
    put.assert_problem(405, "method_not_allowed");
    assert_eq!(put.header("allow"), Some("GET, PATCH"));
}

#[actix_web::test]
async fn a_store_failure_is_an_opaque_500_with_a_request_id() {
    let h = Harness::failing();
    let app = h.service().await;
    let reply = send(
        &app,
        TestRequest::get()
            .uri("/api/v1/tickets")
            .insert_header(h.bearer(&h.customer()))
            .insert_header(("X-Request-Id", "trace-me-123")),
    )
    .await;
    reply.assert_problem(500, "internal");
    assert_eq!(reply.header("x-request-id"), Some("trace-me-123"));
    let text = reply.body.to_string();
    assert!(!text.contains("secret-db") && !text.contains("connection refused"), "{text}");
}

#[actix_web::test]
async fn every_response_echoes_a_valid_request_id_or_gets_a_new_one() {
    let h = Harness::new();
    let app = h.service().await;
    let echoed = send(&app, TestRequest::get().uri("/health").insert_header(("X-Request-Id", "abc-123"))).await;
    assert_eq!(echoed.header("x-request-id"), Some("abc-123"));
    let generated = send(&app, TestRequest::get().uri("/health")).await;
    let id = generated.header("x-request-id").unwrap();
    assert_eq!(uuid::Uuid::parse_str(id).unwrap().get_version_num(), 7);
    let too_long = send(&app, TestRequest::get().uri("/health").insert_header(("X-Request-Id", "a".repeat(201)))).await;
    assert_ne!(too_long.header("x-request-id"), Some("a".repeat(201).as_str()));
    let unauthorized =
        send(&app, TestRequest::get().uri("/api/v1/tickets").insert_header(("X-Request-Id", "r-401"))).await;
    assert_eq!(unauthorized.header("x-request-id"), Some("r-401"));
}

/// Collects what the subscriber writes.
#[derive(Clone, Default)]
struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[actix_web::test]
async fn a_500_logs_its_cause_chain_once_with_the_request_id() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .with_max_level(tracing::Level::ERROR)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let h = Harness::failing();
    let app = h.service().await;
    send(
        &app,
        TestRequest::get()
            .uri("/api/v1/tickets")
            .insert_header(h.bearer(&h.customer()))
            .insert_header(("X-Request-Id", "trace-me-456")),
    )
    .await
    .assert_problem(500, "internal");
    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    let failures: Vec<&str> = logs.lines().filter(|line| line.contains("request failed")).collect();
    assert_eq!(failures.len(), 1, "{logs}");
    assert!(failures[0].contains("trace-me-456"), "{logs}");
    assert!(failures[0].contains("connection refused: secret-db.internal:5432"), "{logs}");
}
