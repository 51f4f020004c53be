//! Category routes.

use actix_web::test::TestRequest;
use serde_json::json;
use supportdesk_domain::Permission;

use crate::common::{send, Harness};

#[actix_web::test]
async fn a_new_tenant_has_the_six_default_categories_in_order() {
    let h = Harness::new();
    let app = h.service().await;
    let reply = send(&app, TestRequest::get().uri("/api/v1/categories").insert_header(h.bearer(&h.customer()))).await;
    reply.assert_status(200);
    let slugs: Vec<&str> = reply.body["data"].as_array().unwrap().iter().map(|c| c["slug"].as_str().unwrap()).collect();
    assert_eq!(slugs, ["order", "product", "account", "technical", "payment", "general"]);
    assert_eq!(reply.body["meta"]["total"], 6);
    let first = &reply.body["data"][0];
    assert_eq!(first["active"], true);
    assert_eq!(first["parentId"], serde_json::Value::Null);
    assert_eq!(first["position"], 0);
}

#[actix_web::test]
async fn a_manager_creates_updates_reads_and_deactivates_a_subcategory() {
    let h = Harness::new();
    let app = h.service().await;
    let manager = h.agent(&[Permission::TicketsRead, Permission::CategoriesManage]);
    let customer = h.customer();
    let categories =
        send(&app, TestRequest::get().uri("/api/v1/admin/categories").insert_header(h.bearer(&manager))).await;
    let order_id = categories.body["data"][0]["id"].as_str().unwrap().to_owned();

    let created = send(
        &app,
        TestRequest::post()
            .uri("/api/v1/admin/categories")
            .insert_header(h.bearer(&manager))
            .set_json(json!({"slug": "late-delivery", "name": "Late delivery", "parentId": order_id, "position": 3})),
    )
    .await;
    created.assert_status(201);
    let location = created.header("location").unwrap().to_owned();
    assert_eq!(location, format!("/api/v1/admin/categories/{}", created.body["id"].as_str().unwrap()));
    assert_eq!(created.body["parentId"], order_id);

    let children = send(
        &app,
        TestRequest::get().uri(&format!("/api/v1/categories?parentId={order_id}")).insert_header(h.bearer(&customer)),
    )
    .await;
    assert_eq!(children.body["meta"]["total"], 1);

    let renamed = send(
        &app,
        TestRequest::patch()
            .uri(&location)
            .insert_header(h.bearer(&manager))
            .set_json(json!({"name": "Delayed", "parentId": null})),
    )
    .await;
    renamed.assert_status(200);
    assert_eq!(renamed.body["name"], "Delayed");
    assert_eq!(renamed.body["parentId"], serde_json::Value::Null);

    let deleted = send(&app, TestRequest::delete().uri(&location).insert_header(h.bearer(&manager))).await;
    deleted.assert_status(200);
    assert_eq!(deleted.body["active"], false);

    let fetched = send(&app, TestRequest::get().uri(&location).insert_header(h.bearer(&manager))).await;
    fetched.assert_status(200);
    assert_eq!(fetched.body["active"], false);
    let public = send(&app, TestRequest::get().uri("/api/v1/categories").insert_header(h.bearer(&customer))).await;
    assert_eq!(public.body["meta"]["total"], 6, "customers see active categories only");
    let staff_public = send(&app, TestRequest::get().uri("/api/v1/categories").insert_header(h.bearer(&manager))).await;
    assert_eq!(staff_public.body["meta"]["total"], 6, "the public list is active only for staff too");
    let all = send(&app, TestRequest::get().uri("/api/v1/admin/categories").insert_header(h.bearer(&manager))).await;
    assert_eq!(all.body["meta"]["total"], 7);
    // An inactive category cannot be chosen for a new ticket.
    let reply = send(
        &app,
        TestRequest::post()
            .uri("/api/v1/tickets")
            .insert_header(h.bearer(&customer))
            .set_json(json!({"category": "late-delivery", "description": "Where is my parcel please?"})),
    )
    .await;
    reply.assert_problem(400, "validation_failed");
}

#[actix_web::test]
async fn category_errors_have_their_statuses() {
    let h = Harness::new();
    let app = h.service().await;
    let admin = h.admin();
    let post = |body: serde_json::Value| {
        TestRequest::post().uri("/api/v1/admin/categories").insert_header(h.bearer(&admin)).set_json(body)
    };
    send(&app, post(json!({"slug": "order", "name": "Again"}))).await.assert_problem(409, "slug_taken");
    let invalid = send(&app, post(json!({"slug": "Not Valid", "name": "", "parentId": "x"}))).await;
    invalid.assert_problem(400, "validation_failed");
    let mut fields = invalid.error_fields();
    fields.sort();
    assert_eq!(fields, ["name", "parentId", "slug"]);
    let unknown_parent =
        send(&app, post(json!({"slug": "sub", "name": "Sub", "parentId": uuid::Uuid::now_v7()}))).await;
    unknown_parent.assert_problem(400, "validation_failed");
    assert_eq!(unknown_parent.error_fields(), ["parentId"]);
    let unknown = format!("/api/v1/admin/categories/{}", uuid::Uuid::now_v7());
    send(&app, TestRequest::get().uri(&unknown).insert_header(h.bearer(&admin))).await.assert_problem(404, "not_found");
    send(&app, TestRequest::patch().uri(&unknown).insert_header(h.bearer(&admin)).set_json(json!({"name": "X"})))
        .await
        .assert_problem(404, "not_found");
    send(&app, TestRequest::delete().uri(&unknown).insert_header(h.bearer(&admin)))
        .await
        .assert_problem(404, "not_found");
    send(&app, TestRequest::delete().uri("/api/v1/admin/categories/order").insert_header(h.bearer(&admin)))
        .await
        .assert_problem(400, "validation_failed");
    send(&app, TestRequest::get().uri("/api/v1/categories?parentId=nope").insert_header(h.bearer(&admin)))
        .await
        .assert_problem(400, "validation_failed");
}

#[actix_web::test]
async fn category_management_needs_categories_manage() {
    let h = Harness::new();
    let app = h.service().await;
    let agent = h.default_agent();
    send(
        &app,
        TestRequest::post()
            .uri("/api/v1/admin/categories")
            .insert_header(h.bearer(&agent))
            .set_json(json!({"slug": "returns", "name": "Returns"})),
    )
    .await
    .assert_problem(403, "forbidden");
    send(&app, TestRequest::get().uri("/api/v1/admin/categories").insert_header(h.bearer(&agent)))
        .await
        .assert_status(200);
    send(&app, TestRequest::get().uri("/api/v1/admin/categories").insert_header(h.bearer(&h.agent(&[]))))
        .await
        .assert_problem(403, "forbidden");
    send(&app, TestRequest::get().uri("/api/v1/admin/categories").insert_header(h.bearer(&h.customer())))
        .await
        .assert_problem(403, "forbidden");
}
