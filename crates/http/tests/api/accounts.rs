//! Registration, login and its rate limits; agents, customer profiles and settings.

use actix_web::test::TestRequest;
use serde_json::json;
use supportdesk_app::AppSettings;
use supportdesk_domain::Permission;

use crate::common::{send, Harness};

fn register(email: &str) -> TestRequest {
    TestRequest::post()
        .uri("/api/v1/auth/register")
        .set_json(json!({"email": email, "password": "correct horse battery", "name": "Alex"}))
}

fn login(email: &str, password: &str) -> TestRequest {
    TestRequest::post().uri("/api/v1/auth/login").set_json(json!({"email": email, "password": password}))
}

#[actix_web::test]
async fn a_customer_registers_and_logs_in_with_a_token_that_works() {
    let h = Harness::new();
    let app = h.service().await;
    let registered = send(&app, register("Alex@Example.com")).await;
    registered.assert_status(201);
    assert_eq!(registered.body["email"], "alex@example.com");
    assert_eq!(registered.body["tenant"], "default");
    let id = registered.body["id"].as_str().unwrap();
    assert_eq!(registered.header("location").unwrap(), format!("/api/v1/admin/customers/{id}"));

    let login = send(&app, login("alex@example.com", "correct horse battery")).await;
    login.assert_status(200);
    assert_eq!(login.body["tokenType"], "Bearer");
    assert_eq!(login.body["expiresIn"], 3600);
    assert_eq!(login.body["role"], "customer");
    let token = login.body["accessToken"].as_str().unwrap();
    let principal = h.keys.verify(&h.app, token).await.unwrap().principal;
    assert_eq!(principal.id.to_string(), id);
    assert_eq!(principal.email.unwrap().as_str(), "alex@example.com");
    let list = send(
        &app,
        TestRequest::get().uri("/api/v1/tickets").insert_header(("Authorization", format!("Bearer {token}"))),
    )
    .await;
    list.assert_status(200);
}

#[actix_web::test]
async fn registering_a_taken_email_is_409_email_taken() {
    let h = Harness::new();
    let app = h.service().await;
    send(&app, register("alex@example.com")).await.assert_status(201);
    send(&app, register("ALEX@example.com")).await.assert_problem(409, "email_taken");
}

#[actix_web::test]
async fn registering_with_bad_fields_reports_each() {
    let h = Harness::new();
    let app = h.service().await;
    let reply = send(
        &app,
        TestRequest::post()
            .uri("/api/v1/auth/register")
            .set_json(json!({"email": "alex", "password": "short", "tenant": "shop one"})),
    )
    .await;
    reply.assert_problem(400, "validation_failed");
    let mut fields = reply.error_fields();
    fields.sort();
    assert_eq!(fields, ["email", "name", "password", "tenant"]);
}

#[actix_web::test]
async fn registration_is_403_when_disabled() {
    let h = Harness::with(|_| {}, AppSettings { allow_registration: false, ..AppSettings::default() });
    let app = h.service().await;
    send(&app, register("alex@example.com")).await.assert_problem(403, "forbidden");
}

#[actix_web::test]
async fn a_wrong_password_and_an_unknown_email_get_the_same_401() {
    let h = Harness::new();
    let app = h.service().await;
    send(&app, register("alex@example.com")).await.assert_status(201);
    let wrong_password = send(&app, login("alex@example.com", "not the password")).await;
    let unknown_email = send(&app, login("nobody@example.com", "correct horse battery")).await;
    wrong_password.assert_problem(401, "unauthorized");
    unknown_email.assert_problem(401, "unauthorized");
    assert_eq!(wrong_password.body, unknown_email.body);
}

#[actix_web::test]
async fn an_agent_logs_in_into_their_tenant_and_their_token_carries_their_permissions() {
    let h = Harness::new();
    let app = h.service().await;
    let admin = h.admin_in("shop-2");
    let created = send(
        &app,
        TestRequest::post().uri("/api/v1/admin/agents").insert_header(h.bearer(&admin)).set_json(json!({
            "email": "sam@shop.example", "name": "Sam", "password": "a long enough password", "role": "agent",
            "permissions": ["tickets:read"]
        })),
    )
    .await;
    created.assert_status(201);
    let reply = send(
        &app,
        TestRequest::post().uri("/api/v1/auth/login").set_json(json!({
            "email": "sam@shop.example", "password": "a long enough password", "tenant": "shop-2"
        })),
    )
    .await;
    reply.assert_status(200);
    assert_eq!(reply.body["role"], "agent");
    let principal = h.keys.verify(&h.app, reply.body["accessToken"].as_str().unwrap()).await.unwrap().principal;
    assert_eq!(principal.tenant.as_str(), "shop-2");
    assert_eq!(principal.permissions, vec![Permission::TicketsRead]);
    // Not in the default tenant.
    send(&app, login("sam@shop.example", "a long enough password")).await.assert_problem(401, "unauthorized");
}

#[actix_web::test]
async fn wrong_passwords_from_one_client_for_one_email_are_limited_with_retry_after() {
    let h = Harness::with(|c| c.throttle.login_per_account = "2/hour".parse().unwrap(), AppSettings::default());
    let app = h.service().await;
    let from = |ip: &str, email: &str| login(email, "wrong password").peer_addr(format!("{ip}:5000").parse().unwrap());
    // The burst of 2, and the failure that finds it spent, are answered; then 429.
    for _ in 0..3 {
        send(&app, from("203.0.113.7", "alex@example.com")).await.assert_problem(401, "unauthorized");
    }
    let limited = send(&app, from("203.0.113.7", "alex@example.com")).await;
    limited.assert_problem(429, "rate_limited");
    let retry_after: u64 = limited.header("retry-after").unwrap().parse().unwrap();
    assert!((1790..=1800).contains(&retry_after), "{retry_after}");
    // Another email from that client, and that email from another client, are not affected.
    send(&app, from("203.0.113.7", "bob@example.com")).await.assert_problem(401, "unauthorized");
    send(&app, from("198.51.100.1", "alex@example.com")).await.assert_problem(401, "unauthorized");
}

#[actix_web::test]
async fn right_passwords_never_spend_the_accounts_budget() {
    let h = Harness::with(|c| c.throttle.login_per_account = "2/hour".parse().unwrap(), AppSettings::default());
    let app = h.service().await;
    send(&app, register("alex@example.com")).await.assert_status(201);
    for _ in 0..5 {
        send(&app, login("alex@example.com", "correct horse battery")).await.assert_status(200);
    }
}

#[actix_web::test]
async fn login_attempts_from_one_client_address_are_limited() {
    let h = Harness::with(|c| c.throttle.login_per_client = "3/hour".parse().unwrap(), AppSettings::default());
    let app = h.service().await;
    let from = |ip: &str, email: &str| login(email, "wrong password").peer_addr(format!("{ip}:5000").parse().unwrap());
    for i in 0..3 {
        send(&app, from("203.0.113.7", &format!("user{i}@example.com"))).await.assert_problem(401, "unauthorized");
    }
    send(&app, from("203.0.113.7", "user9@example.com")).await.assert_problem(429, "rate_limited");
    send(&app, from("198.51.100.1", "user9@example.com")).await.assert_problem(401, "unauthorized");
}

#[actix_web::test]
async fn registrations_from_one_client_address_are_limited() {
    let h = Harness::with(|c| c.throttle.register_per_client = "2/hour".parse().unwrap(), AppSettings::default());
    let app = h.service().await;
    let register = |ip: &str, email: &str| {
        TestRequest::post()
            .uri("/api/v1/auth/register")
            .peer_addr(format!("{ip}:5000").parse().unwrap())
            .set_json(json!({"email": email, "password": "a long enough password", "name": "Alex"}))
    };
    send(&app, register("203.0.113.7", "one@example.com")).await.assert_status(201);
    send(&app, register("203.0.113.7", "two@example.com")).await.assert_status(201);
    let limited = send(&app, register("203.0.113.7", "three@example.com")).await;
    limited.assert_problem(429, "rate_limited");
    assert!(limited.header("retry-after").is_some());
    send(&app, register("198.51.100.1", "three@example.com")).await.assert_status(201);
}

#[actix_web::test]
async fn agents_are_listed_created_read_and_changed_by_agent_managers() {
    let h = Harness::new();
    let app = h.service().await;
    let admin = h.admin();
    let created = send(
        &app,
        TestRequest::post().uri("/api/v1/admin/agents").insert_header(h.bearer(&admin)).set_json(json!({
            "email": "sam@shop.example", "name": "Sam", "password": "a long enough password", "role": "agent"
        })),
    )
    .await;
    created.assert_status(201);
    assert_eq!(
        created.body["permissions"],
        json!(["tickets:read", "tickets:reply", "tickets:update", "tickets:assign"])
    );
    assert_eq!(created.body["active"], true);
    let location = created.header("location").unwrap().to_owned();
    let fetched = send(&app, TestRequest::get().uri(&location).insert_header(h.bearer(&admin))).await;
    fetched.assert_status(200);
    assert_eq!(fetched.body["email"], "sam@shop.example");
    let changed = send(
        &app,
        TestRequest::patch()
            .uri(&location)
            .insert_header(h.bearer(&admin))
            .set_json(json!({"active": false, "permissions": ["tickets:read"]})),
    )
    .await;
    changed.assert_status(200);
    assert_eq!(changed.body["active"], false);
    assert_eq!(changed.body["permissions"], json!(["tickets:read"]));
    let list = send(&app, TestRequest::get().uri("/api/v1/admin/agents").insert_header(h.bearer(&admin))).await;
    list.assert_status(200);
    // The admin making the calls is an agent of the tenant too.
    assert_eq!(list.body["meta"]["total"], 2);
    let names: Vec<&str> = list.body["data"].as_array().unwrap().iter().filter_map(|a| a["name"].as_str()).collect();
    assert_eq!(names, ["Ada", "Sam"]);
}

#[actix_web::test]
async fn agent_management_errors_have_their_statuses() {
    let h = Harness::new();
    let app = h.service().await;
    let admin = h.admin();
    let body =
        json!({"email": "sam@shop.example", "name": "Sam", "password": "a long enough password", "role": "agent"});
    send(&app, TestRequest::post().uri("/api/v1/admin/agents").insert_header(h.bearer(&admin)).set_json(body.clone()))
        .await
        .assert_status(201);
    send(&app, TestRequest::post().uri("/api/v1/admin/agents").insert_header(h.bearer(&admin)).set_json(body))
        .await
        .assert_problem(409, "email_taken");
    let invalid = send(
        &app,
        TestRequest::post().uri("/api/v1/admin/agents").insert_header(h.bearer(&admin)).set_json(json!({
            "email": "x@shop.example", "name": "X", "password": "a long enough password", "role": "boss",
            "permissions": ["tickets:read", "tickets:fly"]
        })),
    )
    .await;
    invalid.assert_problem(400, "validation_failed");
    assert_eq!(invalid.error_fields(), ["role", "permissions[1]"]);
    let manager = h.agent(&[Permission::AgentsManage]);
    send(
        &app,
        TestRequest::post().uri("/api/v1/admin/agents").insert_header(h.bearer(&manager)).set_json(json!({
            "email": "boss@shop.example", "name": "Boss", "password": "a long enough password", "role": "admin"
        })),
    )
    .await
    .assert_problem(403, "forbidden");
    let unknown = format!("/api/v1/admin/agents/{}", uuid::Uuid::now_v7());
    send(&app, TestRequest::get().uri(&unknown).insert_header(h.bearer(&admin))).await.assert_problem(404, "not_found");
    send(&app, TestRequest::patch().uri(&unknown).insert_header(h.bearer(&admin)).set_json(json!({"name": "Y"})))
        .await
        .assert_problem(404, "not_found");
    send(&app, TestRequest::get().uri("/api/v1/admin/agents/sam").insert_header(h.bearer(&admin)))
        .await
        .assert_problem(400, "validation_failed");
    send(&app, TestRequest::get().uri("/api/v1/admin/agents").insert_header(h.bearer(&h.default_agent())))
        .await
        .assert_problem(403, "forbidden");
    send(&app, TestRequest::get().uri("/api/v1/admin/agents").insert_header(h.bearer(&h.customer())))
        .await
        .assert_problem(403, "forbidden");
}

#[actix_web::test]
async fn the_shop_upserts_customer_profiles_and_staff_read_them() {
    let h = Harness::new();
    let app = h.service().await;
    let manager = h.agent(&[Permission::AgentsManage]);
    let id = uuid::Uuid::now_v7();
    let uri = format!("/api/v1/admin/customers/{id}");
    let put = send(
        &app,
        TestRequest::put().uri(&uri).insert_header(h.bearer(&manager)).set_json(json!({
            "name": "Alex", "email": "alex@example.com", "imageUrl": "https://cdn.example.com/a.png"
        })),
    )
    .await;
    put.assert_status(200);
    assert_eq!(put.body["id"], id.to_string());
    assert_eq!(put.body["imageUrl"], "https://cdn.example.com/a.png");
    let renamed =
        send(&app, TestRequest::put().uri(&uri).insert_header(h.bearer(&manager)).set_json(json!({"name": "Alexa"})))
            .await;
    renamed.assert_status(200);
    assert_eq!(renamed.body["createdAt"], put.body["createdAt"]);
    let read = send(&app, TestRequest::get().uri(&uri).insert_header(h.bearer(&h.default_agent()))).await;
    read.assert_status(200);
    assert_eq!(read.body["name"], "Alexa");
}

#[actix_web::test]
async fn customer_profile_errors_have_their_statuses() {
    let h = Harness::new();
    let app = h.service().await;
    let admin = h.admin();
    send(
        &app,
        TestRequest::get()
            .uri(&format!("/api/v1/admin/customers/{}", uuid::Uuid::now_v7()))
            .insert_header(h.bearer(&admin)),
    )
    .await
    .assert_problem(404, "not_found");
    send(&app, TestRequest::get().uri("/api/v1/admin/customers/alex").insert_header(h.bearer(&admin)))
        .await
        .assert_problem(400, "validation_failed");
    let invalid = send(
        &app,
        TestRequest::put()
            .uri(&format!("/api/v1/admin/customers/{}", uuid::Uuid::now_v7()))
            .insert_header(h.bearer(&admin))
            .set_json(json!({"email": "nope", "imageUrl": "javascript:alert(1)"})),
    )
    .await;
    invalid.assert_problem(400, "validation_failed");
    let mut fields = invalid.error_fields();
    fields.sort();
    assert_eq!(fields, ["email", "imageUrl", "name"]);
    send(
        &app,
        TestRequest::put()
            .uri(&format!("/api/v1/admin/customers/{}", uuid::Uuid::now_v7()))
            .insert_header(h.bearer(&h.default_agent()))
            .set_json(json!({"name": "Alex"})),
    )
    .await
    .assert_problem(403, "forbidden");
}

#[actix_web::test]
async fn settings_are_read_and_replaced_by_settings_managers() {
    let h = Harness::new();
    let app = h.service().await;
    let admin = h.admin();
    let read = send(&app, TestRequest::get().uri("/api/v1/admin/settings").insert_header(h.bearer(&admin))).await;
    read.assert_status(200);
    assert_eq!(
        read.body,
        json!({
            "allowCustomerClose": true,
            "reopenClosedOnCustomerReply": false,
            "allowRegistration": true,
            "autoCloseResolvedAfterDays": 0
        })
    );
    let body =
        json!({"allowCustomerClose": false, "reopenClosedOnCustomerReply": true, "autoCloseResolvedAfterDays": 7});
    let put = send(
        &app,
        TestRequest::put().uri("/api/v1/admin/settings").insert_header(h.bearer(&admin)).set_json(body.clone()),
    )
    .await;
    put.assert_status(200);
    let expected = json!({
        "allowCustomerClose": false,
        "reopenClosedOnCustomerReply": true,
        "allowRegistration": true,
        "autoCloseResolvedAfterDays": 7
    });
    assert_eq!(put.body, expected);
    let again = send(&app, TestRequest::get().uri("/api/v1/admin/settings").insert_header(h.bearer(&admin))).await;
    assert_eq!(again.body, expected);
    // Registration can be switched off for the tenant alone; register then answers 403.
    // Absent, `autoCloseResolvedAfterDays` keeps its value.
    let closed = json!({"allowCustomerClose": false, "reopenClosedOnCustomerReply": true, "allowRegistration": false});
    let put = send(
        &app,
        TestRequest::put().uri("/api/v1/admin/settings").insert_header(h.bearer(&admin)).set_json(closed.clone()),
    )
    .await;
    let mut expected_closed = closed.clone();
    expected_closed["autoCloseResolvedAfterDays"] = json!(7);
    assert_eq!(put.body, expected_closed);
    send(&app, register("late@example.com")).await.assert_problem(403, "forbidden");
}

#[actix_web::test]
async fn settings_errors_have_their_statuses() {
    let h = Harness::new();
    let app = h.service().await;
    let partial = send(
        &app,
        TestRequest::put()
            .uri("/api/v1/admin/settings")
            .insert_header(h.bearer(&h.admin()))
            .set_json(json!({"allowCustomerClose": false})),
    )
    .await;
    partial.assert_problem(400, "validation_failed");
    assert_eq!(partial.error_fields(), ["reopenClosedOnCustomerReply"]);
    for days in [json!(366), json!(70_000), json!(-1), json!("7")] {
        let body = json!({"allowCustomerClose": true, "reopenClosedOnCustomerReply": false, "autoCloseResolvedAfterDays": days});
        let refused = send(
            &app,
            TestRequest::put().uri("/api/v1/admin/settings").insert_header(h.bearer(&h.admin())).set_json(body),
        )
        .await;
        refused.assert_problem(400, "validation_failed");
        assert_eq!(refused.error_fields(), ["autoCloseResolvedAfterDays"], "{days}");
    }
    let read = send(&app, TestRequest::get().uri("/api/v1/admin/settings").insert_header(h.bearer(&h.admin()))).await;
    assert_eq!(read.body["autoCloseResolvedAfterDays"], 0, "refused settings changed nothing");
    send(&app, TestRequest::get().uri("/api/v1/admin/settings").insert_header(h.bearer(&h.default_agent())))
        .await
        .assert_problem(403, "forbidden");
}

#[actix_web::test]
async fn a_login_with_a_malformed_email_or_an_absurdly_long_password_is_400() {
    let h = Harness::new();
    let app = h.service().await;
    let reply = send(&app, login("not-an-email", &"p".repeat(1025))).await;
    reply.assert_problem(400, "validation_failed");
    let mut fields = reply.error_fields();
    fields.sort();
    assert_eq!(fields, ["email", "password"]);
}
