//! Macros: managed by settings managers, listed for agents, applied to a ticket in one
//! transaction with `Idempotency-Key` and `If-Match`.

use actix_web::test::TestRequest;
use serde_json::{json, Value};
use supportdesk_domain::Permission;

use crate::common::{open_ticket, send, ticket_body, Harness};

fn solved() -> Value {
    json!({
        "name": "Replacement sent",
        "body": "Hello {{customer.name}}, ticket {{ ticket.number }}: a replacement is on its way. {{agent.name}}",
        "status": "resolved", "priority": "high", "addTags": ["replacement"], "assignToSelf": true
    })
}

#[actix_web::test]
async fn macros_are_created_listed_changed_and_deleted() {
    let h = Harness::new();
    let app = h.service().await;
    let admin = h.admin();
    let created =
        send(&app, TestRequest::post().uri("/api/v1/admin/macros").insert_header(h.bearer(&admin)).set_json(solved()))
            .await;
    created.assert_status(201);
    let id = created.body["id"].as_str().unwrap().to_owned();
    assert_eq!(created.header("location").unwrap(), format!("/api/v1/admin/macros/{id}"));
    assert_eq!(created.body["addTags"], json!(["replacement"]));
    assert_eq!(created.body["internal"], false);
    let agent = h.default_agent();
    let listed = send(&app, TestRequest::get().uri("/api/v1/admin/macros").insert_header(h.bearer(&agent))).await;
    listed.assert_status(200);
    assert_eq!(listed.body["data"], json!([created.body.clone()]), "every agent may list them");
    let patch = json!({"internal": true, "status": null, "name": "Note: replacement"});
    let changed = send(
        &app,
        TestRequest::patch().uri(&format!("/api/v1/admin/macros/{id}")).insert_header(h.bearer(&admin)).set_json(patch),
    )
    .await;
    changed.assert_status(200);
    assert_eq!((changed.body["internal"].clone(), changed.body["status"].clone()), (json!(true), Value::Null));
    assert_eq!(changed.body["priority"], "high", "fields not given stay");
    let by_agent =
        send(&app, TestRequest::post().uri("/api/v1/admin/macros").insert_header(h.bearer(&agent)).set_json(solved()))
            .await;
    by_agent.assert_problem(403, "forbidden");
    let delete = TestRequest::delete().uri(&format!("/api/v1/admin/macros/{id}")).insert_header(h.bearer(&admin));
    send(&app, delete).await.assert_status(204);
    let again = TestRequest::delete().uri(&format!("/api/v1/admin/macros/{id}")).insert_header(h.bearer(&admin));
    send(&app, again).await.assert_problem(404, "not_found");
}

#[actix_web::test]
async fn bad_macros_are_400_with_every_field_named() {
    let h = Harness::new();
    let app = h.service().await;
    let admin = h.admin();
    let body = json!({"name": " ", "body": "Hi {{customer.email}}", "status": "answered", "priority": "asap", "addTags": ["no spaces allowed"]});
    let refused =
        send(&app, TestRequest::post().uri("/api/v1/admin/macros").insert_header(h.bearer(&admin)).set_json(body))
            .await;
    refused.assert_problem(400, "validation_failed");
    let mut fields = refused.error_fields();
    fields.sort();
    assert_eq!(fields, ["addTags", "priority"], "shape errors first");
    let body = json!({"name": " ", "body": "Hi {{customer.email}}", "status": "answered"});
    let refused =
        send(&app, TestRequest::post().uri("/api/v1/admin/macros").insert_header(h.bearer(&admin)).set_json(body))
            .await;
    let mut fields = refused.error_fields();
    fields.sort();
    assert_eq!(fields, ["body", "name", "status"]);
    let nul = json!({"name": "a\u{0}b", "body": "hello\u{0}"});
    let refused =
        send(&app, TestRequest::post().uri("/api/v1/admin/macros").insert_header(h.bearer(&admin)).set_json(nul)).await;
    refused.assert_problem(400, "validation_failed");
    let mut fields = refused.error_fields();
    fields.sort();
    assert_eq!(fields, ["body", "name"], "NUL characters are refused, not stored");
    let missing =
        send(&app, TestRequest::post().uri("/api/v1/admin/macros").insert_header(h.bearer(&admin)).set_json(json!({})))
            .await;
    let mut fields = missing.error_fields();
    fields.sort();
    assert_eq!(fields, ["body", "name"]);
    let bad_id = TestRequest::get().uri("/api/v1/admin/macros/not-a-uuid").insert_header(h.bearer(&admin));
    send(&app, bad_id).await.assert_problem(400, "validation_failed");
    let listed = send(&app, TestRequest::get().uri("/api/v1/admin/macros").insert_header(h.bearer(&admin))).await;
    assert_eq!(listed.body["data"], json!([]), "nothing refused was stored");
}

#[actix_web::test]
async fn a_macro_is_applied_in_one_transaction_with_idempotency_and_if_match() {
    let h = Harness::new();
    let app = h.service().await;
    let admin = h.admin();
    let created =
        send(&app, TestRequest::post().uri("/api/v1/admin/macros").insert_header(h.bearer(&admin)).set_json(solved()))
            .await;
    let id = created.body["id"].as_str().unwrap().to_owned();
    let ticket = open_ticket(&h, &app, &h.customer(), ticket_body()).await;
    let (ticket_id, number) = (ticket["id"].as_str().unwrap().to_owned(), ticket["number"].as_i64().unwrap());
    let apply = |key: &str, version: &str| {
        TestRequest::post()
            .uri(&format!("/api/v1/admin/tickets/{number}/macros/{id}"))
            .insert_header(h.bearer(&admin))
            .insert_header(("Idempotency-Key", key.to_owned()))
            .insert_header(("If-Match", version.to_owned()))
    };
    send(&app, apply("k-0", "\"5\"")).await.assert_problem(412, "precondition_failed");
    let applied = send(&app, apply("k-1", "\"1\"")).await;
    applied.assert_status(201);
    assert_eq!(applied.header("location").unwrap(), format!("/api/v1/admin/tickets/{ticket_id}"));
    assert_eq!(applied.body["status"], "resolved");
    assert_eq!(
        applied.body["message"]["body"],
        format!("Hello Alex, ticket {number}: a replacement is on its way. Ada")
    );
    let replay = send(&app, apply("k-1", "\"1\"")).await;
    replay.assert_status(201);
    assert_eq!(replay.header("idempotent-replayed"), Some("true"));
    assert_eq!(replay.body["message"]["id"], applied.body["message"]["id"]);
    let staff = send(
        &app,
        TestRequest::get().uri(&format!("/api/v1/admin/tickets/{ticket_id}")).insert_header(h.bearer(&admin)),
    )
    .await;
    assert_eq!(staff.body["version"], 2, "one change");
    assert_eq!(staff.body["status"], "resolved");
    assert_eq!(staff.body["priority"], "high");
    assert_eq!(staff.body["tags"], json!(["replacement"]));
    assert_eq!(staff.body["assigneeId"], admin.id.to_string());
    assert_eq!(staff.header("etag"), Some("\"2\""));

    let replier = h.agent(&[Permission::TicketsRead, Permission::TicketsReply]);
    let refused = TestRequest::post()
        .uri(&format!("/api/v1/admin/tickets/{number}/macros/{id}"))
        .insert_header(h.bearer(&replier));
    send(&app, refused).await.assert_problem(403, "forbidden");
    let unknown = TestRequest::post()
        .uri(&format!("/api/v1/admin/tickets/{number}/macros/{}", uuid::Uuid::now_v7()))
        .insert_header(h.bearer(&admin));
    send(&app, unknown).await.assert_problem(404, "not_found");
}
