//! The agents' ticket routes.

use actix_web::test::TestRequest;
use serde_json::json;
use supportdesk_domain::Permission;

use crate::common::{open_ticket, send, ticket_body, Harness};

#[actix_web::test]
async fn the_queue_lists_every_customers_tickets_of_the_tenant() {
    let h = Harness::new();
    let app = h.service().await;
    open_ticket(&h, &app, &h.customer(), ticket_body()).await;
    open_ticket(&h, &app, &h.customer(), ticket_body()).await;
    open_ticket(&h, &app, &h.customer_in("shop-2"), ticket_body()).await;
    let reply =
        send(&app, TestRequest::get().uri("/api/v1/admin/tickets").insert_header(h.bearer(&h.default_agent()))).await;
    reply.assert_status(200);
    assert_eq!(reply.body["meta"]["total"], 2);
    assert_eq!(reply.body["meta"]["page"], 1);
    assert_eq!(reply.body["meta"]["size"], 20);
}

#[actix_web::test]
async fn the_queue_filters_by_customer_assignee_unassigned_tag_and_priority() {
    let h = Harness::new();
    let app = h.service().await;
    let alex = h.customer();
    let first = open_ticket(&h, &app, &alex, ticket_body()).await;
    open_ticket(
        &h,
        &app,
        &h.customer(),
        json!({"category": "order", "description": "Urgent: nothing works here.", "priority": "urgent"}),
    )
    .await;
    let robin = h.stored_agent("robin@shop.example").await;
    let admin = h.admin();
    let number = first["number"].as_i64().unwrap();
    send(
        &app,
        TestRequest::patch()
            .uri(&format!("/api/v1/admin/tickets/{number}/assign"))
            .insert_header(h.bearer(&admin))
            .set_json(json!({"assigneeId": robin.id})),
    )
    .await
    .assert_status(200);
    send(
        &app,
        TestRequest::patch()
            .uri(&format!("/api/v1/admin/tickets/{number}"))
            .insert_header(h.bearer(&admin))
            .set_json(json!({"tags": ["VIP", "late"]})),
    )
    .await
    .assert_status(200);
    let total = |query: String| {
        let app = &app;
        let h = &h;
        async move {
            let reply = send(
                app,
                TestRequest::get().uri(&format!("/api/v1/admin/tickets?{query}")).insert_header(h.bearer(&h.admin())),
            )
            .await;
            reply.assert_status(200);
            reply.body["meta"]["total"].as_u64().unwrap()
        }
    };
    assert_eq!(total(format!("customerId={}", alex.id)).await, 1);
    assert_eq!(total(format!("assigneeId={}", robin.id)).await, 1);
    assert_eq!(total("unassigned=true".to_owned()).await, 1);
    assert_eq!(total("tag=vip".to_owned()).await, 1);
    assert_eq!(total("priority=urgent".to_owned()).await, 1);
    assert_eq!(total("priority=urgent,normal".to_owned()).await, 2);
    assert_eq!(total("priority=low,high".to_owned()).await, 0);
    assert_eq!(total("updatedSince=2026-01-01T00:00:00Z&sort=updatedAt".to_owned()).await, 2);
    assert_eq!(total("updatedSince=2999-01-01T00:00:00Z".to_owned()).await, 0);
    assert_eq!(total("deliveryId=DLV-1".to_owned()).await, 0);
    assert_eq!(total("status=in_progress".to_owned()).await, 1);
    assert_eq!(total("category=order&sort=-priority".to_owned()).await, 2);
}

#[actix_web::test]
async fn contradictory_or_malformed_queue_filters_are_400() {
    let h = Harness::new();
    let app = h.service().await;
    let agent = h.default_agent();
    for (query, fields) in [
        (format!("unassigned=true&assigneeId={}", agent.id), vec!["unassigned"]),
        ("unassigned=yes".to_owned(), vec!["unassigned"]),
        ("customerId=42".to_owned(), vec!["customerId"]),
        ("tag=Two%20Words".to_owned(), vec!["tag"]),
        ("source=fax&size=500".to_owned(), vec!["size", "source"]),
        ("priority=urgent,soon".to_owned(), vec!["priority"]),
        ("updatedSince=yesterday&sort=updated".to_owned(), vec!["sort", "updatedSince"]),
        ("deliveryId=".to_owned(), vec!["deliveryId"]),
    ] {
        let reply = send(
            &app,
            TestRequest::get().uri(&format!("/api/v1/admin/tickets?{query}")).insert_header(h.bearer(&agent)),
        )
        .await;
        reply.assert_problem(400, "validation_failed");
        let mut got = reply.error_fields();
        got.sort();
        assert_eq!(got, fields, "{query}");
    }
}

#[actix_web::test]
async fn an_agent_opens_a_ticket_on_a_customers_behalf() {
    let h = Harness::new();
    let app = h.service().await;
    let alex = h.customer();
    open_ticket(&h, &app, &alex, ticket_body()).await;
    let body = json!({"customerId": alex.id, "category": "payment", "description": "Customer called: charged twice.", "source": "phone"});
    let reply = send(
        &app,
        TestRequest::post().uri("/api/v1/admin/tickets").insert_header(h.bearer(&h.default_agent())).set_json(body),
    )
    .await;
    reply.assert_status(201);
    let id = reply.body["id"].as_str().unwrap();
    assert_eq!(reply.header("location").unwrap(), format!("/api/v1/admin/tickets/{id}"));
    assert_eq!(reply.body["customerId"], alex.id.to_string());
    assert_eq!(reply.body["source"], "phone");
    assert_eq!(reply.body["messages"][0]["authorType"], "agent");
}

#[actix_web::test]
async fn opening_for_an_unknown_customer_is_404_and_without_one_400() {
    let h = Harness::new();
    let app = h.service().await;
    let agent = h.default_agent();
    let unknown =
        json!({"customerId": uuid::Uuid::now_v7(), "category": "order", "description": "Customer called about it."});
    send(&app, TestRequest::post().uri("/api/v1/admin/tickets").insert_header(h.bearer(&agent)).set_json(unknown))
        .await
        .assert_problem(404, "not_found");
    let missing = send(
        &app,
        TestRequest::post().uri("/api/v1/admin/tickets").insert_header(h.bearer(&agent)).set_json(ticket_body()),
    )
    .await;
    missing.assert_problem(400, "validation_failed");
    assert_eq!(missing.error_fields(), ["customerId"]);
}

#[actix_web::test]
async fn an_agent_without_tickets_reply_cannot_open_or_reply() {
    let h = Harness::new();
    let app = h.service().await;
    let alex = h.customer();
    let ticket = open_ticket(&h, &app, &alex, ticket_body()).await;
    let reader = h.agent(&[Permission::TicketsRead]);
    let body = json!({"customerId": alex.id, "category": "order", "description": "Customer called about it."});
    send(&app, TestRequest::post().uri("/api/v1/admin/tickets").insert_header(h.bearer(&reader)).set_json(body))
        .await
        .assert_problem(403, "forbidden");
    send(
        &app,
        TestRequest::post()
            .uri(&format!("/api/v1/admin/tickets/{}/messages", ticket["number"]))
            .insert_header(h.bearer(&reader))
            .set_json(json!({"body": "hello"})),
    )
    .await
    .assert_problem(403, "forbidden");
}

#[actix_web::test]
async fn the_admin_detail_shows_internal_notes_with_an_etag() {
    let h = Harness::new();
    let app = h.service().await;
    let ticket = open_ticket(&h, &app, &h.customer(), ticket_body()).await;
    let agent = h.default_agent();
    let uri = format!("/api/v1/admin/tickets/{}", ticket["id"].as_str().unwrap());
    let note = send(
        &app,
        TestRequest::post()
            .uri(&format!("{uri}/messages"))
            .insert_header(h.bearer(&agent))
            .set_json(json!({"body": "Check the courier", "internal": true})),
    )
    .await;
    note.assert_status(201);
    assert_eq!(note.body["status"], "open", "a note changes no status");
    assert_eq!(note.body["message"]["internal"], true);
    let detail = send(&app, TestRequest::get().uri(&uri).insert_header(h.bearer(&agent))).await;
    detail.assert_status(200);
    assert_eq!(detail.header("etag"), Some("\"2\""));
    assert_eq!(detail.body["messages"].as_array().unwrap().len(), 2);
    assert_eq!(detail.body["messages"][1]["internal"], true);
    assert!(detail.body["lastAgentMessageAt"].is_string());
}

#[actix_web::test]
async fn a_public_reply_answers_and_can_resolve_in_the_same_step() {
    let h = Harness::new();
    let app = h.service().await;
    let ticket = open_ticket(&h, &app, &h.customer(), ticket_body()).await;
    let agent = h.default_agent();
    let uri = format!("/api/v1/admin/tickets/{}", ticket["number"]);
    let answered = send(
        &app,
        TestRequest::post()
            .uri(&format!("{uri}/messages"))
            .insert_header(h.bearer(&agent))
            .set_json(json!({"body": "On it"})),
    )
    .await;
    answered.assert_status(201);
    assert_eq!(answered.body["status"], "answered");
    let resolved = send(
        &app,
        TestRequest::post()
            .uri(&format!("{uri}/messages"))
            .insert_header(h.bearer(&agent))
            .set_json(json!({"body": "Replacement sent", "status": "resolved", "resolutionNote": "Replaced"})),
    )
    .await;
    resolved.assert_status(201);
    assert_eq!(resolved.body["status"], "resolved");
    let detail = send(&app, TestRequest::get().uri(&uri).insert_header(h.bearer(&agent))).await;
    assert_eq!(detail.body["resolutionNote"], "Replaced");
    assert!(detail.body["firstRespondedAt"].is_string());
    assert!(detail.body["resolvedAt"].is_string());
}

#[actix_web::test]
async fn a_reply_with_a_status_needs_tickets_update_too() {
    let h = Harness::new();
    let app = h.service().await;
    let ticket = open_ticket(&h, &app, &h.customer(), ticket_body()).await;
    let replier = h.agent(&[Permission::TicketsRead, Permission::TicketsReply]);
    send(
        &app,
        TestRequest::post()
            .uri(&format!("/api/v1/admin/tickets/{}/messages", ticket["number"]))
            .insert_header(h.bearer(&replier))
            .set_json(json!({"body": "Done", "status": "resolved"})),
    )
    .await
    .assert_problem(403, "forbidden");
}

#[actix_web::test]
async fn a_retried_agent_reply_returns_the_same_message() {
    let h = Harness::new();
    let app = h.service().await;
    let ticket = open_ticket(&h, &app, &h.customer(), ticket_body()).await;
    let agent = h.default_agent();
    let request = |body: serde_json::Value| {
        TestRequest::post()
            .uri(&format!("/api/v1/admin/tickets/{}/messages", ticket["number"]))
            .insert_header(h.bearer(&agent))
            .insert_header(("Idempotency-Key", "agent-reply-1"))
            .set_json(body)
    };
    let first = send(&app, request(json!({"body": "On it"}))).await;
    let retry = send(&app, request(json!({"body": "On it"}))).await;
    retry.assert_status(201);
    assert_eq!(retry.header("idempotent-replayed"), Some("true"));
    assert_eq!(retry.body["message"]["id"], first.body["message"]["id"]);
    send(&app, request(json!({"body": "Other"}))).await.assert_problem(409, "idempotency_key_reused");
}

#[actix_web::test]
async fn a_retried_agent_create_returns_the_same_ticket() {
    let h = Harness::new();
    let app = h.service().await;
    let alex = h.customer();
    open_ticket(&h, &app, &alex, ticket_body()).await;
    let agent = h.default_agent();
    let body = json!({"customerId": alex.id, "category": "order", "description": "Customer called about it."});
    let request = || {
        TestRequest::post()
            .uri("/api/v1/admin/tickets")
            .insert_header(h.bearer(&agent))
            .insert_header(("Idempotency-Key", "phone-call-17"))
            .set_json(body.clone())
    };
    let first = send(&app, request()).await;
    first.assert_status(201);
    let retry = send(&app, request()).await;
    retry.assert_status(201);
    assert_eq!(retry.header("idempotent-replayed"), Some("true"));
    assert_eq!(retry.body["id"], first.body["id"]);
}

#[actix_web::test]
async fn a_public_reply_to_a_closed_ticket_is_409_ticket_closed() {
    let h = Harness::new();
    let app = h.service().await;
    let ticket = open_ticket(&h, &app, &h.customer(), ticket_body()).await;
    let agent = h.default_agent();
    let uri = format!("/api/v1/admin/tickets/{}", ticket["number"]);
    send(
        &app,
        TestRequest::patch()
            .uri(&format!("{uri}/status"))
            .insert_header(h.bearer(&agent))
            .set_json(json!({"status": "closed"})),
    )
    .await
    .assert_status(200);
    send(
        &app,
        TestRequest::post()
            .uri(&format!("{uri}/messages"))
            .insert_header(h.bearer(&agent))
            .set_json(json!({"body": "hi"})),
    )
    .await
    .assert_problem(409, "ticket_closed");
}

#[actix_web::test]
async fn set_status_moves_the_ticket_and_refuses_what_the_rules_refuse() {
    let h = Harness::new();
    let app = h.service().await;
    let ticket = open_ticket(&h, &app, &h.customer(), ticket_body()).await;
    let agent = h.default_agent();
    let uri = format!("/api/v1/admin/tickets/{}/status", ticket["number"]);
    let patch = |body: serde_json::Value| TestRequest::patch().uri(&uri).insert_header(h.bearer(&agent)).set_json(body);

    let answered = send(&app, patch(json!({"status": "answered"}))).await;
    answered.assert_problem(409, "invalid_transition");
    assert_eq!(answered.body["from"], "open");
    assert_eq!(answered.body["to"], "answered");

    let note_without_resolution = send(&app, patch(json!({"status": "in_progress", "resolutionNote": "why"}))).await;
    note_without_resolution.assert_problem(400, "validation_failed");
    assert_eq!(note_without_resolution.error_fields(), ["resolutionNote"]);

    let resolved = send(&app, patch(json!({"status": "resolved", "resolutionNote": "Refunded"}))).await;
    resolved.assert_status(200);
    assert_eq!(resolved.body["status"], "resolved");
    assert_eq!(resolved.body["resolutionNote"], "Refunded");
    assert_eq!(resolved.header("etag"), Some("\"2\""));

    let same = send(&app, patch(json!({"status": "resolved"}))).await;
    same.assert_status(200);
    assert_eq!(same.body["version"], 2, "the same status is no change");

    send(&app, patch(json!({"status": "done"}))).await.assert_problem(400, "validation_failed");
}

#[actix_web::test]
async fn set_status_with_a_stale_if_match_is_412() {
    let h = Harness::new();
    let app = h.service().await;
    let ticket = open_ticket(&h, &app, &h.customer(), ticket_body()).await;
    send(
        &app,
        TestRequest::patch()
            .uri(&format!("/api/v1/admin/tickets/{}/status", ticket["number"]))
            .insert_header(h.bearer(&h.default_agent()))
            .insert_header(("If-Match", "\"0\""))
            .set_json(json!({"status": "closed"})),
    )
    .await
    .assert_problem(412, "precondition_failed");
}

#[actix_web::test]
async fn an_agent_lacking_tickets_update_cannot_change_status_or_triage() {
    let h = Harness::new();
    let app = h.service().await;
    let ticket = open_ticket(&h, &app, &h.customer(), ticket_body()).await;
    let reader = h.agent(&[Permission::TicketsRead, Permission::TicketsReply]);
    let uri = format!("/api/v1/admin/tickets/{}", ticket["number"]);
    send(
        &app,
        TestRequest::patch()
            .uri(&format!("{uri}/status"))
            .insert_header(h.bearer(&reader))
            .set_json(json!({"status": "closed"})),
    )
    .await
    .assert_problem(403, "forbidden");
    send(&app, TestRequest::patch().uri(&uri).insert_header(h.bearer(&reader)).set_json(json!({"priority": "high"})))
        .await
        .assert_problem(403, "forbidden");
}

#[actix_web::test]
async fn triage_changes_priority_category_tags_and_subject() {
    let h = Harness::new();
    let app = h.service().await;
    let ticket = open_ticket(&h, &app, &h.customer(), ticket_body()).await;
    let agent = h.default_agent();
    let uri = format!("/api/v1/admin/tickets/{}", ticket["id"].as_str().unwrap());
    let reply = send(
        &app,
        TestRequest::patch()
            .uri(&uri)
            .insert_header(h.bearer(&agent))
            .insert_header(("If-Match", "\"1\""))
            .set_json(json!({"priority": "high", "category": "payment", "tags": ["VIP", "vip", "refund"], "subject": "Double charge"})),
    )
    .await;
    reply.assert_status(200);
    assert_eq!(reply.body["priority"], "high");
    assert_eq!(reply.body["category"]["slug"], "payment");
    assert_eq!(reply.body["tags"], json!(["vip", "refund"]));
    assert_eq!(reply.body["subject"], "Double charge");
    assert_eq!(reply.header("etag"), Some("\"2\""));
    assert!(reply.body["messages"].is_array(), "PATCH answers the detail");
}

#[actix_web::test]
async fn triage_reports_every_invalid_field() {
    let h = Harness::new();
    let app = h.service().await;
    let ticket = open_ticket(&h, &app, &h.customer(), ticket_body()).await;
    let reply = send(
        &app,
        TestRequest::patch()
            .uri(&format!("/api/v1/admin/tickets/{}", ticket["number"]))
            .insert_header(h.bearer(&h.default_agent()))
            .set_json(json!({"priority": "meh", "tags": ["no spaces"], "subject": "x", "category": "no-such"})),
    )
    .await;
    reply.assert_problem(400, "validation_failed");
    let mut fields = reply.error_fields();
    fields.sort();
    assert_eq!(fields, ["priority", "subject", "tags"]);
}

#[actix_web::test]
async fn assigning_an_open_ticket_puts_it_in_progress_and_null_clears_it() {
    let h = Harness::new();
    let app = h.service().await;
    let ticket = open_ticket(&h, &app, &h.customer(), ticket_body()).await;
    let robin = h.stored_agent("robin@shop.example").await;
    let agent = h.default_agent();
    let uri = format!("/api/v1/admin/tickets/{}/assign", ticket["number"]);
    let assigned = send(
        &app,
        TestRequest::patch().uri(&uri).insert_header(h.bearer(&agent)).set_json(json!({"assigneeId": robin.id})),
    )
    .await;
    assigned.assert_status(200);
    assert_eq!(assigned.body["status"], "in_progress");
    assert_eq!(assigned.body["assigneeId"], robin.id.to_string());
    assert_eq!(assigned.body["assignee"]["name"], "Robin");
    let cleared = send(
        &app,
        TestRequest::patch().uri(&uri).insert_header(h.bearer(&agent)).set_json(json!({"assigneeId": null})),
    )
    .await;
    cleared.assert_status(200);
    assert_eq!(cleared.body["assigneeId"], serde_json::Value::Null);
    assert_eq!(cleared.body["assignee"], serde_json::Value::Null);
}

#[actix_web::test]
async fn assigning_to_an_unknown_agent_is_404_and_without_the_field_400() {
    let h = Harness::new();
    let app = h.service().await;
    let ticket = open_ticket(&h, &app, &h.customer(), ticket_body()).await;
    let agent = h.default_agent();
    let uri = format!("/api/v1/admin/tickets/{}/assign", ticket["number"]);
    send(
        &app,
        TestRequest::patch()
            .uri(&uri)
            .insert_header(h.bearer(&agent))
            .set_json(json!({"assigneeId": uuid::Uuid::now_v7()})),
    )
    .await
    .assert_problem(404, "not_found");
    let missing = send(&app, TestRequest::patch().uri(&uri).insert_header(h.bearer(&agent)).set_json(json!({}))).await;
    missing.assert_problem(400, "validation_failed");
    assert_eq!(missing.error_fields(), ["assigneeId"]);
    let not_uuid = send(
        &app,
        TestRequest::patch().uri(&uri).insert_header(h.bearer(&agent)).set_json(json!({"assigneeId": "bob"})),
    )
    .await;
    not_uuid.assert_problem(400, "validation_failed");
    assert_eq!(not_uuid.error_fields(), ["assigneeId"]);
}

#[actix_web::test]
async fn an_agent_lacking_tickets_assign_cannot_assign() {
    let h = Harness::new();
    let app = h.service().await;
    let ticket = open_ticket(&h, &app, &h.customer(), ticket_body()).await;
    let robin = h.stored_agent("robin@shop.example").await;
    let no_assign = h.agent(&[Permission::TicketsRead, Permission::TicketsUpdate]);
    send(
        &app,
        TestRequest::patch()
            .uri(&format!("/api/v1/admin/tickets/{}/assign", ticket["number"]))
            .insert_header(h.bearer(&no_assign))
            .set_json(json!({"assigneeId": robin.id})),
    )
    .await
    .assert_problem(403, "forbidden");
}

#[actix_web::test]
async fn the_audit_trail_lists_every_event_oldest_first() {
    let h = Harness::new();
    let app = h.service().await;
    let ticket = open_ticket(&h, &app, &h.customer(), ticket_body()).await;
    let agent = h.default_agent();
    let robin = h.stored_agent("robin@shop.example").await;
    let uri = format!("/api/v1/admin/tickets/{}", ticket["number"]);
    let steps = [
        TestRequest::patch().uri(&format!("{uri}/assign")).set_json(json!({"assigneeId": robin.id})),
        TestRequest::patch().uri(&uri).set_json(json!({"priority": "high"})),
        TestRequest::post().uri(&format!("{uri}/messages")).set_json(json!({"body": "note", "internal": true})),
        TestRequest::post().uri(&format!("{uri}/messages")).set_json(json!({"body": "reply"})),
        TestRequest::patch().uri(&format!("{uri}/assign")).set_json(json!({"assigneeId": null})),
    ];
    for step in steps {
        let reply = send(&app, step.insert_header(h.bearer(&agent))).await;
        assert!(reply.status.is_success(), "{}", reply.body);
    }
    let reply = send(&app, TestRequest::get().uri(&format!("{uri}/events")).insert_header(h.bearer(&agent))).await;
    reply.assert_status(200);
    let kinds: Vec<&str> = reply.body["data"].as_array().unwrap().iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        [
            "created",
            "message_added",
            "assigned",
            "status_changed",
            "triaged",
            "note_added",
            "message_added",
            "status_changed",
            "unassigned"
        ]
    );
    let status_changed = &reply.body["data"][3];
    assert_eq!(status_changed["data"]["from"], "open");
    assert_eq!(status_changed["data"]["to"], "in_progress");
    assert_eq!(status_changed["actor"]["type"], "agent");
    assert_eq!(status_changed["actor"]["id"], agent.id.to_string());
    assert_eq!(status_changed["actor"]["name"], "Sam");
    assert_eq!(reply.body["data"][4]["data"]["priority"], json!({"from": "normal", "to": "high"}));
    assert_eq!(reply.body["meta"]["total"], 9);
}

#[actix_web::test]
async fn customers_are_403_on_every_admin_ticket_route() {
    let h = Harness::new();
    let app = h.service().await;
    let alex = h.customer();
    let ticket = open_ticket(&h, &app, &alex, ticket_body()).await;
    let uri = format!("/api/v1/admin/tickets/{}", ticket["number"]);
    let requests = [
        TestRequest::get().uri("/api/v1/admin/tickets"),
        TestRequest::post().uri("/api/v1/admin/tickets").set_json(ticket_body()),
        TestRequest::get().uri(&uri),
        TestRequest::patch().uri(&uri).set_json(json!({"priority": "high"})),
        TestRequest::patch().uri(&format!("{uri}/status")).set_json(json!({"status": "closed"})),
        TestRequest::patch().uri(&format!("{uri}/assign")).set_json(json!({"assigneeId": null})),
        TestRequest::post().uri(&format!("{uri}/messages")).set_json(json!({"body": "x"})),
        TestRequest::get().uri(&format!("{uri}/events")),
    ];
    for request in requests {
        send(&app, request.insert_header(h.bearer(&alex))).await.assert_problem(403, "forbidden");
    }
}
