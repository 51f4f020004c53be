//! The customer's view is its own response type (api-v1.1.md, "A customer learns nothing
//! staff-only"): no tags, an assignee without email, and a version and times that staff-only
//! changes do not move; the staff's view is unchanged.

use std::collections::BTreeSet;

use actix_web::test::TestRequest;
use serde_json::{json, Value};

use crate::common::{open_ticket, send, ticket_body, Harness};

fn keys(object: &Value) -> BTreeSet<String> {
    object.as_object().unwrap().keys().cloned().collect()
}

/// A ticket of `alex`'s, assigned to Robin (a stored agent with an email) and tagged.
async fn assigned_and_tagged<S, B>(h: &Harness, app: &S, alex: &supportdesk_app::Principal) -> (Value, String)
where
    S: actix_web::dev::Service<
        actix_http::Request,
        Response = actix_web::dev::ServiceResponse<B>,
        Error = actix_web::Error,
    >,
    B: actix_web::body::MessageBody,
{
    let ticket = open_ticket(h, app, alex, ticket_body()).await;
    let robin = h.stored_agent("robin@shop.example").await;
    let staff = h.default_agent();
    let base = format!("/api/v1/admin/tickets/{}", ticket["id"].as_str().unwrap());
    let assign = TestRequest::patch().uri(&format!("{base}/assign")).insert_header(h.bearer(&staff));
    send(app, assign.set_json(json!({"assigneeId": robin.id}))).await.assert_status(200);
    let tag = TestRequest::patch().uri(&base).insert_header(h.bearer(&staff));
    send(app, tag.set_json(json!({"tags": ["vip", "carrier"]}))).await.assert_status(200);
    (ticket, base)
}

#[actix_web::test]
async fn the_customer_view_has_no_tags_and_an_assignee_without_email() {
    let h = Harness::new();
    let app = h.service().await;
    let alex = h.customer();
    let (ticket, _) = assigned_and_tagged(&h, &app, &alex).await;
    let uri = format!("/api/v1/tickets/{}", ticket["id"].as_str().unwrap());
    let detail = send(&app, TestRequest::get().uri(&uri).insert_header(h.bearer(&alex))).await;
    detail.assert_status(200);
    let list = send(&app, TestRequest::get().uri("/api/v1/tickets").insert_header(h.bearer(&alex))).await;
    list.assert_status(200);
    for (what, view) in [("detail", &detail.body), ("list item", &list.body["data"][0])] {
        assert!(view.get("tags").is_none(), "{what} shows tags: {view}");
        assert_eq!(view["assignee"]["name"], "Robin", "{what}");
        let assignee: BTreeSet<String> = ["id", "name", "imageUrl"].map(str::to_owned).into();
        assert_eq!(keys(&view["assignee"]), assignee, "{what}: {view}");
        assert!(!view.to_string().contains("robin@shop.example"), "{what} leaks the agent's email: {view}");
        assert!(!view.to_string().contains("carrier"), "{what} leaks a tag: {view}");
    }
}

#[actix_web::test]
async fn the_staff_view_keeps_tags_and_the_assignees_email() {
    let h = Harness::new();
    let app = h.service().await;
    let alex = h.customer();
    let (_, base) = assigned_and_tagged(&h, &app, &alex).await;
    let staff = h.default_agent();
    let detail = send(&app, TestRequest::get().uri(&base).insert_header(h.bearer(&staff))).await;
    detail.assert_status(200);
    let list = send(&app, TestRequest::get().uri("/api/v1/admin/tickets").insert_header(h.bearer(&staff))).await;
    for (what, view) in [("detail", &detail.body), ("list item", &list.body["data"][0])] {
        assert_eq!(view["tags"], json!(["vip", "carrier"]), "{what}");
        assert_eq!(view["assignee"]["email"], "robin@shop.example", "{what}");
        assert_eq!(view["version"], 3, "{what}: opened, assigned, tagged");
    }
    assert_eq!(detail.header("etag"), Some("\"3\""));
}

#[actix_web::test]
async fn an_internal_note_and_a_tag_change_move_nothing_the_customer_sees() {
    let h = Harness::new();
    let app = h.service().await;
    let alex = h.customer();
    let ticket = open_ticket(&h, &app, &alex, ticket_body()).await;
    let id = ticket["id"].as_str().unwrap();
    let customer_uri = format!("/api/v1/tickets/{id}");
    let staff_uri = format!("/api/v1/admin/tickets/{id}");
    let read = || async {
        let detail = send(&app, TestRequest::get().uri(&customer_uri).insert_header(h.bearer(&alex))).await;
        let list = send(&app, TestRequest::get().uri("/api/v1/tickets").insert_header(h.bearer(&alex))).await;
        (detail.header("etag").map(str::to_owned), detail.body, list.body)
    };
    let before = read().await;
    let staff = h.default_agent();
    let note = TestRequest::post().uri(&format!("{staff_uri}/messages")).insert_header(h.bearer(&staff));
    send(&app, note.set_json(json!({"body": "Customer seems upset", "internal": true}))).await.assert_status(201);
    let tag = TestRequest::patch().uri(&staff_uri).insert_header(h.bearer(&staff));
    send(&app, tag.set_json(json!({"tags": ["upset"]}))).await.assert_status(200);
    assert_eq!(read().await, before, "the customer's detail, ETag and list are exactly as they were");
    // Staff see both changes.
    let staff_view = send(&app, TestRequest::get().uri(&staff_uri).insert_header(h.bearer(&staff))).await;
    assert_eq!(staff_view.header("etag"), Some("\"3\""));
    assert_ne!(staff_view.body["lastActivityAt"], before.1["lastActivityAt"]);
    // A public reply is the customer's business.
    let reply = TestRequest::post().uri(&format!("{staff_uri}/messages")).insert_header(h.bearer(&staff));
    send(&app, reply.set_json(json!({"body": "We are on it"}))).await.assert_status(201);
    let after = read().await;
    assert_eq!(after.0.as_deref(), Some("\"2\""));
    assert_eq!(after.1["version"], 2);
    assert_ne!(after.1["lastActivityAt"], before.1["lastActivityAt"]);
    assert_eq!(after.1["lastAgentMessageAt"], after.1["lastActivityAt"]);
    assert_eq!(after.1["updatedAt"], after.1["lastActivityAt"]);
    assert_eq!(after.1["messages"].as_array().unwrap().len(), 2, "description and the reply, not the note");
}

#[actix_web::test]
async fn a_customers_if_match_is_their_etag_whatever_staff_did_meanwhile() {
    let h = Harness::new();
    let app = h.service().await;
    let alex = h.customer();
    let ticket = open_ticket(&h, &app, &alex, ticket_body()).await;
    let id = ticket["id"].as_str().unwrap();
    let staff = h.default_agent();
    let note = TestRequest::post().uri(&format!("/api/v1/admin/tickets/{id}/messages")).insert_header(h.bearer(&staff));
    send(&app, note.set_json(json!({"body": "Internal", "internal": true}))).await.assert_status(201);
    let uri = format!("/api/v1/tickets/{id}/messages");
    let stale = TestRequest::post().uri(&uri).insert_header(h.bearer(&alex)).insert_header(("If-Match", "\"2\""));
    let stale = send(&app, stale.set_json(json!({"body": "Hello?"}))).await;
    stale.assert_problem(412, "precondition_failed");
    assert_eq!(stale.body["currentVersion"], 1, "the customer's version, not the staff's");
    let fresh = TestRequest::post().uri(&uri).insert_header(h.bearer(&alex)).insert_header(("If-Match", "\"1\""));
    send(&app, fresh.set_json(json!({"body": "Hello?"}))).await.assert_status(201);
    let close = TestRequest::patch()
        .uri(&format!("/api/v1/tickets/{id}"))
        .insert_header(h.bearer(&alex))
        .insert_header(("If-Match", "\"2\""));
    let closed = send(&app, close.set_json(json!({"status": "closed"}))).await;
    closed.assert_status(200);
    assert_eq!(closed.header("etag"), Some("\"3\""));
    assert_eq!(closed.body["version"], 3);
}

#[actix_web::test]
async fn another_customers_ticket_for_the_same_order_neither_blocks_nor_leaks() {
    let h = Harness::new();
    let app = h.service().await;
    let (alex, blake) = (h.customer(), h.customer());
    let body = json!({"category": "order", "description": "My parcel never arrived at all.", "orderId": "X-1"});
    let alexs = open_ticket(&h, &app, &alex, body.clone()).await;
    let open = |who| TestRequest::post().uri("/api/v1/tickets").insert_header(h.bearer(who)).set_json(body.clone());
    let blakes = send(&app, open(&blake)).await;
    blakes.assert_status(201);
    let again = send(&app, open(&blake)).await;
    again.assert_problem(409, "open_ticket_exists");
    assert_eq!(again.body["existingTicketId"], blakes.body["id"]);
    for answer in [&blakes, &again] {
        let text = answer.body.to_string();
        assert!(!text.contains(alexs["id"].as_str().unwrap()), "leaks Alex's ticket: {text}");
    }
    let refused = send(&app, open(&alex)).await;
    refused.assert_problem(409, "open_ticket_exists");
    assert_eq!(refused.body["existingTicketId"], alexs["id"]);
    assert_eq!(refused.body["existingTicketNumber"], alexs["number"]);
}

#[actix_web::test]
async fn the_openapi_document_gives_customer_routes_their_own_schemas() {
    let doc = serde_json::to_value(supportdesk_http::openapi()).unwrap();
    let schema_of = |path: &str, method: &str, status: &str| {
        doc["paths"][path][method]["responses"][status]["content"]["application/json"]["schema"].to_string()
    };
    assert!(schema_of("/api/v1/tickets/{ticket}", "get", "200").contains("CustomerTicketResponse"));
    assert!(schema_of("/api/v1/tickets/{ticket}", "patch", "200").contains("CustomerTicketResponse"));
    assert!(schema_of("/api/v1/tickets", "post", "201").contains("CustomerTicketResponse"));
    assert!(schema_of("/api/v1/tickets", "get", "200").contains("CustomerTicketListResponse"));
    assert!(
        schema_of("/api/v1/admin/tickets/{ticket}", "get", "200").contains("\"#/components/schemas/TicketResponse\"")
    );
    let schemas = &doc["components"]["schemas"];
    let customer = &schemas["CustomerTicketSummaryResponse"]["properties"];
    assert!(customer.get("tags").is_none(), "{customer}");
    assert!(customer["assignee"].to_string().contains("CustomerAssigneeResponse"));
    assert!(schemas["CustomerAssigneeResponse"]["properties"].get("email").is_none());
    assert!(schemas["TicketSummaryResponse"]["properties"].get("tags").is_some(), "the staff schema keeps tags");
}
