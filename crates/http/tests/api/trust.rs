//! Trust routes: signing keys, API keys, ending an agent's sessions, logout.

use actix_web::test::TestRequest;
use serde_json::json;
use supportdesk_domain::Permission;

use crate::common::{send, Harness};

#[actix_web::test]
async fn a_signing_key_is_shown_once_and_only_to_settings_managers() {
    let h = Harness::new();
    let app = h.service().await;
    let admin = h.admin();
    let created = send(
        &app,
        TestRequest::post().uri("/api/v1/admin/signing-keys").insert_header(h.bearer(&admin)).set_json(json!({})),
    )
    .await;
    created.assert_status(201);
    let kid = created.body["kid"].as_str().unwrap().to_owned();
    assert_eq!(created.header("location").unwrap(), format!("/api/v1/admin/signing-keys/{kid}"));
    assert_eq!(created.body["allowStaff"], false);
    assert!(created.body["secret"].as_str().unwrap().len() >= 43);
    let listed = send(&app, TestRequest::get().uri("/api/v1/admin/signing-keys").insert_header(h.bearer(&admin))).await;
    listed.assert_status(200);
    assert_eq!(listed.body["meta"]["total"], 1);
    assert!(listed.body["data"][0].get("secret").is_none());
    // An agent without settings:manage; a settings manager who is not an admin asking for
    // a staff key; an unknown field.
    let agent = h.default_agent();
    send(&app, TestRequest::get().uri("/api/v1/admin/signing-keys").insert_header(h.bearer(&agent)))
        .await
        .assert_problem(403, "forbidden");
    let manager = h.agent(&[Permission::SettingsManage]);
    send(
        &app,
        TestRequest::post()
            .uri("/api/v1/admin/signing-keys")
            .insert_header(h.bearer(&manager))
            .set_json(json!({"allowStaff": true})),
    )
    .await
    .assert_problem(403, "forbidden");
    send(
        &app,
        TestRequest::post().uri("/api/v1/admin/signing-keys").insert_header(h.bearer(&admin)).set_json(json!({"x": 1})),
    )
    .await
    .assert_problem(400, "validation_failed");
    let path = format!("/api/v1/admin/signing-keys/{kid}");
    send(&app, TestRequest::delete().uri(&path).insert_header(h.bearer(&h.admin_in("shop-2"))))
        .await
        .assert_problem(404, "not_found");
    send(&app, TestRequest::delete().uri(&path).insert_header(h.bearer(&admin))).await.assert_status(204);
    send(&app, TestRequest::delete().uri(&path).insert_header(h.bearer(&admin))).await.assert_problem(404, "not_found");
}

#[actix_web::test]
async fn api_keys_are_made_listed_used_and_deleted() {
    let h = Harness::new();
    let app = h.service().await;
    let admin = h.admin();
    let created = send(
        &app,
        TestRequest::post().uri("/api/v1/admin/api-keys").insert_header(h.bearer(&admin)).set_json(json!({
            "name": "Storefront sync", "permissions": ["tickets:read"], "expiresAt": "2099-01-01T00:00:00Z"
        })),
    )
    .await;
    created.assert_status(201);
    let key = created.body["key"].as_str().unwrap().to_owned();
    assert!(key.starts_with("sdk_"));
    assert_eq!(created.body["expiresAt"], "2099-01-01T00:00:00.000Z");
    let with_key = ("Authorization", format!("Bearer {key}"));
    send(&app, TestRequest::get().uri("/api/v1/admin/tickets").insert_header(with_key.clone()))
        .await
        .assert_status(200);
    send(&app, TestRequest::get().uri("/api/v1/admin/api-keys").insert_header(with_key.clone()))
        .await
        .assert_problem(403, "forbidden");
    send(&app, TestRequest::post().uri("/api/v1/auth/logout").insert_header(with_key.clone()))
        .await
        .assert_problem(400, "validation_failed");
    let listed = send(&app, TestRequest::get().uri("/api/v1/admin/api-keys").insert_header(h.bearer(&admin))).await;
    assert!(listed.body["data"][0].get("key").is_none());
    assert!(listed.body["data"][0]["lastUsedAt"].is_string());
    // Bad bodies name every field.
    let bad = send(
        &app,
        TestRequest::post().uri("/api/v1/admin/api-keys").insert_header(h.bearer(&admin)).set_json(json!({
            "name": "", "permissions": ["rockets:launch"], "expiresAt": "yesterday"
        })),
    )
    .await;
    bad.assert_problem(400, "validation_failed");
    let mut fields = bad.error_fields();
    fields.sort();
    assert_eq!(fields, ["expiresAt", "name", "permissions[0]"]);
    let past = send(
        &app,
        TestRequest::post().uri("/api/v1/admin/api-keys").insert_header(h.bearer(&admin)).set_json(json!({
            "name": "Old", "permissions": [], "expiresAt": "2001-01-01T00:00:00Z"
        })),
    )
    .await;
    past.assert_problem(400, "validation_failed");
    let id = created.body["id"].as_str().unwrap();
    send(&app, TestRequest::delete().uri("/api/v1/admin/api-keys/not-a-uuid").insert_header(h.bearer(&admin)))
        .await
        .assert_problem(400, "validation_failed");
    send(&app, TestRequest::delete().uri(&format!("/api/v1/admin/api-keys/{id}")).insert_header(h.bearer(&admin)))
        .await
        .assert_status(204);
}

#[actix_web::test]
async fn logout_ends_the_presented_token_only() {
    let h = Harness::new();
    let app = h.service().await;
    let agent = h.default_agent();
    // Two tokens of one agent, different because their lifetimes differ.
    let first = h.token(&agent);
    let second = h.keys.mint(&agent, std::time::Duration::from_secs(601)).unwrap();
    assert_ne!(first, second);
    let bearer = |token: &str| ("Authorization", format!("Bearer {token}"));
    send(&app, TestRequest::post().uri("/api/v1/auth/logout").insert_header(bearer(&first))).await.assert_status(204);
    send(&app, TestRequest::get().uri("/api/v1/admin/tickets").insert_header(bearer(&first)))
        .await
        .assert_problem(401, "unauthorized");
    send(&app, TestRequest::get().uri("/api/v1/admin/tickets").insert_header(bearer(&second))).await.assert_status(200);
    send(&app, TestRequest::post().uri("/api/v1/auth/logout")).await.assert_problem(401, "unauthorized");
}

#[actix_web::test]
async fn revoking_an_agents_sessions_ends_their_tokens_and_needs_agents_manage() {
    let h = Harness::new();
    let app = h.service().await;
    let agent = h.default_agent();
    let path = format!("/api/v1/admin/agents/{}/revoke-sessions", agent.id);
    send(&app, TestRequest::post().uri(&path).insert_header(h.bearer(&agent))).await.assert_problem(403, "forbidden");
    let admin = h.admin();
    send(&app, TestRequest::post().uri(&path).insert_header(h.bearer(&admin))).await.assert_status(204);
    send(&app, TestRequest::get().uri("/api/v1/admin/tickets").insert_header(h.bearer(&agent)))
        .await
        .assert_problem(401, "unauthorized");
    let unknown = format!("/api/v1/admin/agents/{}/revoke-sessions", uuid::Uuid::now_v7());
    send(&app, TestRequest::post().uri(&unknown).insert_header(h.bearer(&admin)))
        .await
        .assert_problem(404, "not_found");
    // An agent manager may not end an admin's sessions.
    let manager = h.agent(&[Permission::AgentsManage]);
    let admins = format!("/api/v1/admin/agents/{}/revoke-sessions", admin.id);
    send(&app, TestRequest::post().uri(&admins).insert_header(h.bearer(&manager)))
        .await
        .assert_problem(403, "forbidden");
}

#[actix_web::test]
async fn a_customer_token_for_a_tenant_nobody_created_is_401() {
    let h = Harness::new();
    let app = h.service().await;
    let ghost = supportdesk_app::Principal::customer(
        supportdesk_domain::TenantKey::parse("nowhere").unwrap(),
        uuid::Uuid::now_v7(),
    );
    send(&app, TestRequest::get().uri("/api/v1/tickets").insert_header(h.bearer(&ghost)))
        .await
        .assert_problem(401, "unauthorized");
}
