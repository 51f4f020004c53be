//! The customer's ticket routes.

use actix_web::test::TestRequest;
use serde_json::json;
use supportdesk_app::AgentReplyInput;
use supportdesk_domain::{MessageBody, Permission, Status, TicketRef};

use crate::common::{open_ticket, send, ticket_body, Harness};

#[actix_web::test]
async fn a_customer_opens_a_ticket_and_gets_201_with_location_etag_and_the_detail() {
    let h = Harness::new();
    let app = h.service().await;
    let alex = h.customer();
    let body = json!({
        "category": "order", "description": "My parcel never arrived. It was due on Monday.",
        "subject": "Order not received", "priority": "high", "orderId": "A-1001",
        "attachments": [{"fileName": "photo.jpg", "url": "https://cdn.example.com/p.jpg", "contentType": "image/jpeg", "sizeBytes": 12345}]
    });
    let reply =
        send(&app, TestRequest::post().uri("/api/v1/tickets").insert_header(h.bearer(&alex)).set_json(body)).await;
    reply.assert_status(201);
    let ticket = &reply.body;
    assert_eq!(reply.header("location").unwrap(), format!("/api/v1/tickets/{}", ticket["id"].as_str().unwrap()));
    assert_eq!(reply.header("etag"), Some("\"1\""));
    assert_eq!(reply.header("idempotent-replayed"), None);
    assert_eq!(ticket["number"], 1);
    assert_eq!(ticket["status"], "open");
    assert_eq!(ticket["priority"], "high");
    assert_eq!(ticket["source"], "api");
    assert_eq!(ticket["orderId"], "A-1001");
    assert_eq!(ticket["deliveryId"], serde_json::Value::Null);
    assert_eq!(ticket["customerId"], alex.id.to_string());
    assert_eq!(ticket["customer"]["name"], "Alex");
    assert_eq!(ticket["category"]["slug"], "order");
    assert!(ticket.get("tags").is_none(), "tags are staff-only: {ticket}");
    assert_eq!(ticket["version"], 1);
    assert_eq!(ticket["messages"].as_array().unwrap().len(), 1);
    let message = &ticket["messages"][0];
    assert_eq!(message["authorType"], "customer");
    assert_eq!(message["internal"], false);
    assert_eq!(message["attachments"][0]["sizeBytes"], 12345);
    let created = ticket["createdAt"].as_str().unwrap();
    assert_eq!(created.len(), "2026-03-17T10:05:00.000Z".len(), "{created}");
    assert!(created.ends_with('Z') && created.as_bytes()[19] == b'.', "{created}");
}

#[actix_web::test]
async fn the_subject_is_made_from_the_first_sentence_of_the_description_when_omitted() {
    let h = Harness::new();
    let app = h.service().await;
    let ticket = open_ticket(&h, &app, &h.customer(), ticket_body()).await;
    assert_eq!(ticket["subject"], "My parcel never arrived.");
}

#[actix_web::test]
async fn opening_a_ticket_reports_every_invalid_field_at_once() {
    let h = Harness::new();
    let app = h.service().await;
    let body = json!({"description": "short", "subject": "no", "priority": "asap", "source": "fax",
        "attachments": [{"fileName": "x", "url": "ftp://x", "contentType": "image/jpeg", "sizeBytes": 1}]});
    let reply =
        send(&app, TestRequest::post().uri("/api/v1/tickets").insert_header(h.bearer(&h.customer())).set_json(body))
            .await;
    reply.assert_problem(400, "validation_failed");
    let mut fields = reply.error_fields();
    fields.sort();
    assert_eq!(fields, ["attachments[0].url", "category", "description", "priority", "source", "subject"]);
    assert_eq!(reply.body["detail"], "6 fields are invalid");
}

#[actix_web::test]
async fn an_unknown_category_is_a_validation_error() {
    let h = Harness::new();
    let app = h.service().await;
    let body = json!({"category": "rockets", "description": "My parcel never arrived at all."});
    let reply =
        send(&app, TestRequest::post().uri("/api/v1/tickets").insert_header(h.bearer(&h.customer())).set_json(body))
            .await;
    reply.assert_problem(400, "validation_failed");
    assert_eq!(reply.error_fields(), ["category"]);
}

#[actix_web::test]
async fn a_storefront_ticket_without_an_order_is_a_validation_error() {
    let h = Harness::new();
    let app = h.service().await;
    let body = json!({"category": "order", "description": "My parcel never arrived at all.", "source": "storefront"});
    let reply =
        send(&app, TestRequest::post().uri("/api/v1/tickets").insert_header(h.bearer(&h.customer())).set_json(body))
            .await;
    reply.assert_problem(400, "validation_failed");
    assert_eq!(reply.error_fields(), ["orderId"]);
}

#[actix_web::test]
async fn a_second_unfinished_ticket_for_the_same_order_is_409_naming_the_first() {
    let h = Harness::new();
    let app = h.service().await;
    let alex = h.customer();
    let body = json!({"category": "order", "description": "My parcel never arrived at all.", "orderId": "A-1"});
    let first = open_ticket(&h, &app, &alex, body.clone()).await;
    let reply =
        send(&app, TestRequest::post().uri("/api/v1/tickets").insert_header(h.bearer(&alex)).set_json(body)).await;
    reply.assert_problem(409, "open_ticket_exists");
    assert_eq!(reply.body["existingTicketId"], first["id"]);
    assert_eq!(reply.body["existingTicketNumber"], first["number"]);
}

#[actix_web::test]
async fn a_retry_with_the_same_idempotency_key_returns_the_same_ticket_marked_replayed() {
    let h = Harness::new();
    let app = h.service().await;
    let alex = h.customer();
    let request = || {
        TestRequest::post()
            .uri("/api/v1/tickets")
            .insert_header(h.bearer(&alex))
            .insert_header(("Idempotency-Key", "order-A-2-ticket"))
    };
    let first = send(&app, request().set_json(ticket_body())).await;
    first.assert_status(201);
    // The same body with its keys in another order and other whitespace is the same request.
    let same = r#"{ "description": "My parcel never arrived. It was due on Monday.",   "category": "order" }"#;
    let retry = send(&app, request().insert_header(("content-type", "application/json")).set_payload(same)).await;
    retry.assert_status(201);
    assert_eq!(retry.header("idempotent-replayed"), Some("true"));
    assert_eq!(retry.body["id"], first.body["id"]);
    assert_eq!(retry.header("location"), first.header("location"));
    let list = send(&app, TestRequest::get().uri("/api/v1/tickets").insert_header(h.bearer(&alex))).await;
    assert_eq!(list.body["meta"]["total"], 1);
}

#[actix_web::test]
async fn the_same_idempotency_key_with_another_body_is_409() {
    let h = Harness::new();
    let app = h.service().await;
    let alex = h.customer();
    let request = || {
        TestRequest::post()
            .uri("/api/v1/tickets")
            .insert_header(h.bearer(&alex))
            .insert_header(("Idempotency-Key", "k-1"))
    };
    send(&app, request().set_json(ticket_body())).await.assert_status(201);
    let other = json!({"category": "order", "description": "Another problem entirely, please help."});
    send(&app, request().set_json(other)).await.assert_problem(409, "idempotency_key_reused");
}

#[actix_web::test]
async fn a_malformed_idempotency_key_is_400() {
    let h = Harness::new();
    let app = h.service().await;
    let reply = send(
        &app,
        TestRequest::post()
            .uri("/api/v1/tickets")
            .insert_header(h.bearer(&h.customer()))
            .insert_header(("Idempotency-Key", "has spaces"))
            .set_json(ticket_body()),
    )
    .await;
    reply.assert_problem(400, "validation_failed");
    assert_eq!(reply.error_fields(), ["Idempotency-Key"]);
}

#[actix_web::test]
async fn a_customer_lists_only_their_own_tickets_with_paging_meta() {
    let h = Harness::new();
    let app = h.service().await;
    let alex = h.customer();
    for _ in 0..3 {
        open_ticket(&h, &app, &alex, ticket_body()).await;
    }
    open_ticket(&h, &app, &h.customer(), ticket_body()).await;
    let reply =
        send(&app, TestRequest::get().uri("/api/v1/tickets?page=1&size=2").insert_header(h.bearer(&alex))).await;
    reply.assert_status(200);
    let cursor = reply.body["meta"]["nextCursor"].as_str().unwrap().to_owned();
    let mut meta = reply.body["meta"].clone();
    meta.as_object_mut().unwrap().remove("nextCursor");
    assert_eq!(meta, json!({"page": 1, "size": 2, "total": 3, "totalIsCapped": false}));
    let last = send(
        &app,
        TestRequest::get().uri(&format!("/api/v1/tickets?size=2&cursor={cursor}")).insert_header(h.bearer(&alex)),
    )
    .await;
    last.assert_status(200);
    assert_eq!(last.body["data"].as_array().unwrap().len(), 1);
    assert!(last.body["meta"]["nextCursor"].is_null());
    let data = reply.body["data"].as_array().unwrap();
    assert_eq!(data.len(), 2);
    assert!(data.iter().all(|t| t["customerId"] == alex.id.to_string()));
    assert!(data.iter().all(|t| t.get("messages").is_none()), "list items omit messages");
    // Newest first by default.
    assert_eq!(data[0]["number"], 3);
}

#[actix_web::test]
async fn the_list_filters_by_status_category_and_text() {
    let h = Harness::new();
    let app = h.service().await;
    let alex = h.customer();
    open_ticket(&h, &app, &alex, json!({"category": "order", "description": "Parcel is missing, please check."})).await;
    let second =
        open_ticket(&h, &app, &alex, json!({"category": "payment", "description": "Charged twice for one order."}))
            .await;
    let number = second["number"].as_i64().unwrap();
    h.app
        .customer_set_status(&alex, TicketRef::parse(&number.to_string()).unwrap(), Status::Closed, None)
        .await
        .unwrap();

    let get = |query: &str| TestRequest::get().uri(&format!("/api/v1/tickets?{query}")).insert_header(h.bearer(&alex));
    assert_eq!(send(&app, get("status=open")).await.body["meta"]["total"], 1);
    assert_eq!(send(&app, get("status=open,closed")).await.body["meta"]["total"], 2);
    assert_eq!(send(&app, get("status=all")).await.body["meta"]["total"], 2);
    assert_eq!(send(&app, get("category=payment")).await.body["meta"]["total"], 1);
    assert_eq!(send(&app, get("q=CHARGED")).await.body["meta"]["total"], 1);
    assert_eq!(send(&app, get(&format!("q=%23{number:06}"))).await.body["data"][0]["number"], number);
    assert_eq!(send(&app, get("sort=createdAt")).await.body["data"][0]["category"]["slug"], "order");
}

#[actix_web::test]
async fn bad_list_parameters_are_400_naming_each_parameter() {
    let h = Harness::new();
    let app = h.service().await;
    let alex = h.customer();
    for (query, field) in [
        ("size=0", "size"),
        ("size=101", "size"),
        ("page=0", "page"),
        ("page=abc", "page"),
        ("status=pending", "status"),
        ("sort=newest", "sort"),
        ("priority=asap", "priority"),
        ("category=Not%20A%20Slug", "category"),
        ("category=unknown-slug", "category"),
        ("statsu=open", "statsu"),
        ("assigneeId=0191abc0-1234-7def-8000-000000000001", "assigneeId"),
    ] {
        let reply =
            send(&app, TestRequest::get().uri(&format!("/api/v1/tickets?{query}")).insert_header(h.bearer(&alex)))
                .await;
        reply.assert_problem(400, "validation_failed");
        assert_eq!(reply.error_fields(), [field], "{query}");
    }
    let both = send(&app, TestRequest::get().uri("/api/v1/tickets?page=0&size=0").insert_header(h.bearer(&alex))).await;
    assert_eq!(both.error_fields(), ["page", "size"]);
}

#[actix_web::test]
async fn a_ticket_is_found_by_uuid_number_padded_number_and_hash_number() {
    let h = Harness::new();
    let app = h.service().await;
    let alex = h.customer();
    let ticket = open_ticket(&h, &app, &alex, ticket_body()).await;
    let id = ticket["id"].as_str().unwrap();
    for reference in [id, "1", "000001", "%23000001", "%231"] {
        let reply =
            send(&app, TestRequest::get().uri(&format!("/api/v1/tickets/{reference}")).insert_header(h.bearer(&alex)))
                .await;
        reply.assert_status(200);
        assert_eq!(reply.body["id"], id, "{reference}");
        assert_eq!(reply.header("etag"), Some("\"1\""));
    }
}

#[actix_web::test]
async fn a_malformed_ticket_reference_is_400_and_an_unknown_one_404() {
    let h = Harness::new();
    let app = h.service().await;
    let alex = h.customer();
    for reference in ["abc", "0", "-1", "%23x"] {
        let reply =
            send(&app, TestRequest::get().uri(&format!("/api/v1/tickets/{reference}")).insert_header(h.bearer(&alex)))
                .await;
        reply.assert_problem(400, "validation_failed");
        assert_eq!(reply.error_fields(), ["ticket"], "{reference}");
    }
    send(&app, TestRequest::get().uri("/api/v1/tickets/99").insert_header(h.bearer(&alex)))
        .await
        .assert_problem(404, "not_found");
}

#[actix_web::test]
async fn another_customers_ticket_is_404_for_every_route() {
    let h = Harness::new();
    let app = h.service().await;
    let ticket = open_ticket(&h, &app, &h.customer(), ticket_body()).await;
    let id = ticket["id"].as_str().unwrap();
    let mallory = h.customer();
    let uri = format!("/api/v1/tickets/{id}");
    send(&app, TestRequest::get().uri(&uri).insert_header(h.bearer(&mallory))).await.assert_problem(404, "not_found");
    send(&app, TestRequest::patch().uri(&uri).insert_header(h.bearer(&mallory)).set_json(json!({"status": "closed"})))
        .await
        .assert_problem(404, "not_found");
    send(
        &app,
        TestRequest::post()
            .uri(&format!("{uri}/messages"))
            .insert_header(h.bearer(&mallory))
            .set_json(json!({"body": "mine now"})),
    )
    .await
    .assert_problem(404, "not_found");
}

#[actix_web::test]
async fn another_tenants_ticket_is_404_even_for_the_same_number() {
    let h = Harness::new();
    let app = h.service().await;
    let ticket = open_ticket(&h, &app, &h.customer(), ticket_body()).await;
    let id = ticket["id"].as_str().unwrap();
    let other_tenant_admin = h.admin_in("shop-2");
    for uri in [format!("/api/v1/admin/tickets/{id}"), "/api/v1/admin/tickets/1".to_owned()] {
        send(&app, TestRequest::get().uri(&uri).insert_header(h.bearer(&other_tenant_admin)))
            .await
            .assert_problem(404, "not_found");
    }
    let customer_elsewhere = h.customer_in("shop-2");
    send(&app, TestRequest::get().uri(&format!("/api/v1/tickets/{id}")).insert_header(h.bearer(&customer_elsewhere)))
        .await
        .assert_problem(404, "not_found");
}

#[actix_web::test]
async fn customers_never_see_internal_notes() {
    let h = Harness::new();
    let app = h.service().await;
    let alex = h.customer();
    let ticket = open_ticket(&h, &app, &alex, ticket_body()).await;
    let id = ticket["id"].as_str().unwrap();
    let note = AgentReplyInput {
        body: MessageBody::parse("Customer seems upset").unwrap(),
        internal: true,
        attachments: vec![],
        status: None,
        resolution_note: None,
    };
    h.app.agent_reply(&h.default_agent(), TicketRef::parse(id).unwrap(), note, None, None).await.unwrap();
    let reply =
        send(&app, TestRequest::get().uri(&format!("/api/v1/tickets/{id}")).insert_header(h.bearer(&alex))).await;
    assert_eq!(reply.body["messages"].as_array().unwrap().len(), 1);
    assert_eq!(reply.header("etag"), Some("\"1\""), "a note is no change the customer can see");
}

#[actix_web::test]
async fn a_customer_reply_reopens_an_answered_ticket() {
    let h = Harness::new();
    let app = h.service().await;
    let alex = h.customer();
    let ticket = open_ticket(&h, &app, &alex, ticket_body()).await;
    let id = ticket["id"].as_str().unwrap();
    let answer = AgentReplyInput {
        body: MessageBody::parse("We are on it").unwrap(),
        internal: false,
        attachments: vec![],
        status: None,
        resolution_note: None,
    };
    h.app.agent_reply(&h.default_agent(), TicketRef::parse(id).unwrap(), answer, None, None).await.unwrap();
    let reply = send(
        &app,
        TestRequest::post()
            .uri(&format!("/api/v1/tickets/{id}/messages"))
            .insert_header(h.bearer(&alex))
            .set_json(json!({"body": "Still nothing arrived."})),
    )
    .await;
    reply.assert_status(201);
    assert_eq!(reply.body["status"], "open");
    assert_eq!(reply.body["message"]["body"], "Still nothing arrived.");
    assert_eq!(reply.body["message"]["authorType"], "customer");
    assert_eq!(reply.header("location").unwrap(), format!("/api/v1/tickets/{id}"));
}

#[actix_web::test]
async fn a_reply_with_a_blank_body_is_400() {
    let h = Harness::new();
    let app = h.service().await;
    let alex = h.customer();
    let ticket = open_ticket(&h, &app, &alex, ticket_body()).await;
    let reply = send(
        &app,
        TestRequest::post()
            .uri(&format!("/api/v1/tickets/{}/messages", ticket["number"]))
            .insert_header(h.bearer(&alex))
            .set_json(json!({"body": "   "})),
    )
    .await;
    reply.assert_problem(400, "validation_failed");
    assert_eq!(reply.error_fields(), ["body"]);
}

#[actix_web::test]
async fn a_reply_to_a_closed_ticket_is_409_ticket_closed() {
    let h = Harness::new();
    let app = h.service().await;
    let alex = h.customer();
    let ticket = open_ticket(&h, &app, &alex, ticket_body()).await;
    let uri = format!("/api/v1/tickets/{}", ticket["id"].as_str().unwrap());
    send(&app, TestRequest::patch().uri(&uri).insert_header(h.bearer(&alex)).set_json(json!({"status": "closed"})))
        .await
        .assert_status(200);
    send(
        &app,
        TestRequest::post()
            .uri(&format!("{uri}/messages"))
            .insert_header(h.bearer(&alex))
            .set_json(json!({"body": "hi"})),
    )
    .await
    .assert_problem(409, "ticket_closed");
}

#[actix_web::test]
async fn a_retried_reply_returns_the_same_message_and_a_changed_body_is_409() {
    let h = Harness::new();
    let app = h.service().await;
    let alex = h.customer();
    let ticket = open_ticket(&h, &app, &alex, ticket_body()).await;
    let uri = format!("/api/v1/tickets/{}/messages", ticket["id"].as_str().unwrap());
    let request = |body: serde_json::Value| {
        TestRequest::post()
            .uri(&uri)
            .insert_header(h.bearer(&alex))
            .insert_header(("Idempotency-Key", "reply-1"))
            .set_json(body)
    };
    let first = send(&app, request(json!({"body": "Any news?"}))).await;
    first.assert_status(201);
    let retry = send(&app, request(json!({"body": "Any news?"}))).await;
    retry.assert_status(201);
    assert_eq!(retry.header("idempotent-replayed"), Some("true"));
    assert_eq!(retry.body["message"]["id"], first.body["message"]["id"]);
    send(&app, request(json!({"body": "Different"}))).await.assert_problem(409, "idempotency_key_reused");
    let detail = send(
        &app,
        TestRequest::get()
            .uri(&format!("/api/v1/tickets/{}", ticket["id"].as_str().unwrap()))
            .insert_header(h.bearer(&alex)),
    )
    .await;
    assert_eq!(detail.body["messages"].as_array().unwrap().len(), 2);
}

#[actix_web::test]
async fn a_customer_closes_and_reopens_their_ticket_and_gets_the_detail_with_its_etag() {
    let h = Harness::new();
    let app = h.service().await;
    let alex = h.customer();
    let ticket = open_ticket(&h, &app, &alex, ticket_body()).await;
    let uri = format!("/api/v1/tickets/{}", ticket["id"].as_str().unwrap());
    let closed =
        send(&app, TestRequest::patch().uri(&uri).insert_header(h.bearer(&alex)).set_json(json!({"status": "closed"})))
            .await;
    closed.assert_status(200);
    assert_eq!(closed.body["status"], "closed");
    assert!(closed.body["closedAt"].is_string());
    assert_eq!(closed.header("etag"), Some("\"2\""));
    assert!(closed.body["messages"].is_array());
    // Reopening a closed ticket is refused under the default policy.
    let reopen =
        send(&app, TestRequest::patch().uri(&uri).insert_header(h.bearer(&alex)).set_json(json!({"status": "open"})))
            .await;
    reopen.assert_problem(409, "invalid_transition");
    assert_eq!(reopen.body["from"], "closed");
    assert_eq!(reopen.body["to"], "open");
}

#[actix_web::test]
async fn a_customer_may_only_ask_for_closed_or_open() {
    let h = Harness::new();
    let app = h.service().await;
    let alex = h.customer();
    let ticket = open_ticket(&h, &app, &alex, ticket_body()).await;
    let uri = format!("/api/v1/tickets/{}", ticket["number"]);
    for body in [json!({"status": "resolved"}), json!({"status": "nope"}), json!({})] {
        let reply = send(&app, TestRequest::patch().uri(&uri).insert_header(h.bearer(&alex)).set_json(body)).await;
        reply.assert_problem(400, "validation_failed");
        assert_eq!(reply.error_fields(), ["status"]);
    }
}

#[actix_web::test]
async fn closing_is_403_where_the_tenant_disallows_customer_close() {
    let h = Harness::new();
    let app = h.service().await;
    let admin = h.admin();
    send(
        &app,
        TestRequest::put()
            .uri("/api/v1/admin/settings")
            .insert_header(h.bearer(&admin))
            .set_json(json!({"allowCustomerClose": false, "reopenClosedOnCustomerReply": false})),
    )
    .await
    .assert_status(200);
    let alex = h.customer();
    let ticket = open_ticket(&h, &app, &alex, ticket_body()).await;
    send(
        &app,
        TestRequest::patch()
            .uri(&format!("/api/v1/tickets/{}", ticket["number"]))
            .insert_header(h.bearer(&alex))
            .set_json(json!({"status": "closed"})),
    )
    .await
    .assert_problem(403, "forbidden");
}

#[actix_web::test]
async fn a_stale_if_match_is_412_and_changes_nothing() {
    let h = Harness::new();
    let app = h.service().await;
    let alex = h.customer();
    let ticket = open_ticket(&h, &app, &alex, ticket_body()).await;
    let uri = format!("/api/v1/tickets/{}", ticket["id"].as_str().unwrap());
    let stale = send(
        &app,
        TestRequest::patch()
            .uri(&uri)
            .insert_header(h.bearer(&alex))
            .insert_header(("If-Match", "\"7\""))
            .set_json(json!({"status": "closed"})),
    )
    .await;
    stale.assert_problem(412, "precondition_failed");
    assert_eq!(stale.body["currentVersion"], 1);
    let reply = send(
        &app,
        TestRequest::post()
            .uri(&format!("{uri}/messages"))
            .insert_header(h.bearer(&alex))
            .insert_header(("If-Match", "W/\"5\""))
            .set_json(json!({"body": "hello"})),
    )
    .await;
    reply.assert_problem(412, "precondition_failed");
    let detail = send(&app, TestRequest::get().uri(&uri).insert_header(h.bearer(&alex))).await;
    assert_eq!(detail.body["status"], "open");
    assert_eq!(detail.body["version"], 1);
}

#[actix_web::test]
async fn a_matching_if_match_in_any_accepted_form_lets_the_change_through() {
    let h = Harness::new();
    let app = h.service().await;
    let alex = h.customer();
    let ticket = open_ticket(&h, &app, &alex, ticket_body()).await;
    let uri = format!("/api/v1/tickets/{}/messages", ticket["id"].as_str().unwrap());
    for (version, if_match) in [(1, "\"1\""), (2, "2"), (3, "W/\"3\""), (4, "*")] {
        let reply = send(
            &app,
            TestRequest::post()
                .uri(&uri)
                .insert_header(h.bearer(&alex))
                .insert_header(("If-Match", if_match))
                .set_json(json!({"body": format!("message {version}")})),
        )
        .await;
        reply.assert_status(201);
    }
}

#[actix_web::test]
async fn a_malformed_if_match_is_400() {
    let h = Harness::new();
    let app = h.service().await;
    let alex = h.customer();
    let ticket = open_ticket(&h, &app, &alex, ticket_body()).await;
    let reply = send(
        &app,
        TestRequest::patch()
            .uri(&format!("/api/v1/tickets/{}", ticket["number"]))
            .insert_header(h.bearer(&alex))
            .insert_header(("If-Match", "\"v1\""))
            .set_json(json!({"status": "closed"})),
    )
    .await;
    reply.assert_problem(400, "validation_failed");
    assert_eq!(reply.error_fields(), ["If-Match"]);
}

#[actix_web::test]
async fn staff_tokens_are_403_on_the_customer_ticket_routes() {
    let h = Harness::new();
    let app = h.service().await;
    let agent = h.agent(Permission::AGENT_DEFAULTS);
    send(&app, TestRequest::get().uri("/api/v1/tickets").insert_header(h.bearer(&agent)))
        .await
        .assert_problem(403, "forbidden");
    send(&app, TestRequest::post().uri("/api/v1/tickets").insert_header(h.bearer(&h.admin())).set_json(ticket_body()))
        .await
        .assert_problem(403, "forbidden");
}
