//! Trust over the real binary (api-v1.1.md section 1): tenants the operator creates, tokens
//! a shop signs with its tenant's key, staff tokens that are only as good as the live account
//! behind them (revoked within 5 seconds on every server process), API keys, the last
//! admin, and the token time rules; on SQLite and (when `TEST_POSTGRES_URL` is set, always in
//! CI) on PostgreSQL.

#![expect(clippy::unwrap_used, reason = "tests")]

use std::time::{Duration, Instant};

use jsonwebtoken::{encode, EncodingKey, Header};
use reqwest::StatusCode;
use serde_json::{json, Value};
use supportdesk_tests::{Database, Server, ADMIN_EMAIL, ADMIN_PASSWORD};

supportdesk_tests::on_both_backends!(
    a_forged_admin_token_for_another_tenant_is_refused,
    a_shop_signs_customer_tokens_with_its_tenants_key_and_nothing_more,
    an_unknown_tenant_gets_no_account_and_new_tenants_take_no_registrations,
    every_revocation_path_answers_401_within_5_seconds_on_every_server,
    the_last_active_admin_cannot_be_deactivated_or_demoted,
    api_keys_act_with_exactly_their_permissions_until_deleted,
    signing_keys_over_http_sign_tokens_until_deleted,
    token_time_rules_are_enforced,
    audience_and_issuer_are_enforced_when_configured,
    a_deactivated_only_admin_does_not_stop_start_up,
);

/// The shared secret every harness server is started with.
const SHARED_SECRET: &str = "black-box-test-secret-of-at-least-32-bytes";

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// An HS256 token with `claims`, signed with `secret`, naming `kid` in its header.
fn sign(secret: &str, kid: Option<&str>, claims: &Value) -> String {
    let header = Header { kid: kid.map(str::to_owned), ..Header::default() };
    encode(&header, claims, &EncodingKey::from_secret(secret.as_bytes())).unwrap()
}

fn customer_claims(tenant: Option<&str>) -> Value {
    let mut claims = json!({
        "sub": uuid::Uuid::now_v7().to_string(), "role": "customer", "name": "Jo Shopper",
        "iat": now(), "exp": now() + 600,
    });
    if let Some(tenant) = tenant {
        claims["tenant"] = json!(tenant);
    }
    claims
}

async fn status(server: &Server, method: reqwest::Method, path: &str, token: &str, body: Option<Value>) -> StatusCode {
    let mut request = server.http.request(method, server.url(path)).bearer_auth(token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    request.send().await.unwrap().status()
}

async fn get_status(server: &Server, path: &str, token: &str) -> StatusCode {
    status(server, reqwest::Method::GET, path, token, None).await
}

async fn send_json(
    server: &Server,
    method: reqwest::Method,
    path: &str,
    token: &str,
    body: Value,
) -> (StatusCode, Value) {
    let response = server.http.request(method, server.url(path)).bearer_auth(token).json(&body).send().await.unwrap();
    let status = response.status();
    let body = response.json().await.unwrap_or(Value::Null);
    (status, body)
}

fn ticket() -> Value {
    json!({"category": "order", "description": "My parcel never arrived. It was due on Monday."})
}

/// Polls `path` with `token` on `server` until it answers 401; returns how long that took.
/// Fails when it is still honoured after 5 seconds.
async fn refused_within_5_seconds(server: &Server, path: &str, token: &str, what: &str) -> Duration {
    let started = Instant::now();
    loop {
        let answer = get_status(server, path, token).await;
        if answer == StatusCode::UNAUTHORIZED {
            return started.elapsed();
        }
        assert!(started.elapsed() < Duration::from_secs(5), "{what}: still {answer} after 5 s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Creates a tenant with the CLI, as the operator does; returns what it printed.
fn create_tenant(database: &Database, key: &str, name: &str) -> Value {
    let (ok, out) = database.command(&["tenant", "create", "--key", key, "--name", name]);
    assert!(ok, "tenant create {key}: {out}");
    serde_json::from_str(out.trim()).unwrap()
}

/// Adds a signing key with the CLI; returns `(kid, secret)`.
fn add_key(database: &Database, tenant: &str, staff: bool) -> (String, String) {
    let mut args = vec!["tenant", "key", "add", "--tenant", tenant];
    if staff {
        args.push("--staff");
    }
    let (ok, out) = database.command(&args);
    assert!(ok, "tenant key add: {out}");
    assert_eq!(out.lines().count(), 1, "one line of JSON: {out}");
    let key: Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(key["tenant"], tenant);
    assert_eq!(key["allowStaff"], staff);
    let secret = key["secret"].as_str().unwrap().to_owned();
    assert!(secret.len() >= 43, "32+ random bytes as base64url: {secret}");
    (key["kid"].as_str().unwrap().to_owned(), secret)
}

/// Creates an agent as `admin_token`; returns its id.
async fn create_agent(server: &Server, admin_token: &str, email: &str, password: &str, role: &str) -> String {
    let (status, body) = send_json(
        server,
        reqwest::Method::POST,
        "/api/v1/admin/agents",
        admin_token,
        json!({"email": email, "name": "Sam Agent", "password": password, "role": role}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["id"].as_str().unwrap().to_owned()
}

async fn a_forged_admin_token_for_another_tenant_is_refused(database: Database) {
    create_tenant(&database, "victim", "Victim Shop");
    let server = Server::start(&database);
    let admin = server.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let admin_id = server.get_json("/api/v1/admin/agents", &admin).await["data"][0]["id"].as_str().unwrap().to_owned();
    let forge = |tenant: &str, sub: &str| {
        sign(
            SHARED_SECRET,
            None,
            &json!({"sub": sub, "role": "admin", "tenant": tenant, "iat": now(), "exp": now() + 600}),
        )
    };
    let random = uuid::Uuid::now_v7().to_string();
    // The shared secret, any tenant, a random sub: nobody.
    assert_eq!(get_status(&server, "/api/v1/admin/tickets", &forge("victim", &random)).await, 401);
    assert_eq!(get_status(&server, "/api/v1/admin/tickets", &forge("default", &random)).await, 401);
    // The real admin's id carried into another tenant: not an agent there.
    assert_eq!(get_status(&server, "/api/v1/admin/tickets", &forge("victim", &admin_id)).await, 401);
    // An agent's own id with `role: admin` and every permission claimed gets only what the
    // database gives them.
    // (Made with its permissions: changing them later would end its sessions, and a token
    // judged by its `iat` would then need one dated a minute after.)
    let (status, body) = send_json(
        &server,
        reqwest::Method::POST,
        "/api/v1/admin/agents",
        &admin,
        json!({"email": "reader@shop.example", "name": "Reader", "password": "reader password 1",
               "role": "agent", "permissions": ["tickets:read"]}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["permissions"], json!(["tickets:read"]));
    let agent_id = body["id"].as_str().unwrap().to_owned();
    let inflated = sign(
        SHARED_SECRET,
        None,
        &json!({"sub": agent_id, "role": "admin", "perms": ["settings:manage"], "iat": now() + 1, "exp": now() + 600}),
    );
    assert_eq!(get_status(&server, "/api/v1/admin/tickets", &inflated).await, 200);
    assert_eq!(get_status(&server, "/api/v1/admin/settings", &inflated).await, 403);
    // The shared secret cannot pass for the service's own login tokens (kid "supportdesk"):
    // those are signed with a key kept in the database.
    let as_service = sign(SHARED_SECRET, Some("supportdesk"), &customer_claims(Some("victim")));
    assert_eq!(get_status(&server, "/api/v1/tickets", &as_service).await, 401);
    let as_service_admin = sign(
        SHARED_SECRET,
        Some("supportdesk"),
        &json!({"sub": admin_id, "role": "admin", "iat": now(), "exp": now() + 600}),
    );
    assert_eq!(get_status(&server, "/api/v1/admin/tickets", &as_service_admin).await, 401);
    // The real admin with the shared secret in its own tenant still works (single shop).
    assert_eq!(get_status(&server, "/api/v1/admin/tickets", &forge("default", &admin_id)).await, 200);
}

async fn a_shop_signs_customer_tokens_with_its_tenants_key_and_nothing_more(database: Database) {
    let created = create_tenant(&database, "shop-1", "Shop One");
    assert_eq!(created, json!({"key": "shop-1", "name": "Shop One"}));
    // Again: no change, exit 0.
    assert_eq!(create_tenant(&database, "shop-1", "Another Name"), json!({"key": "shop-1", "name": "Shop One"}));
    let (kid, secret) = add_key(&database, "shop-1", false);
    let server = Server::start(&database);

    // A customer token signed with the tenant's key, no tenant claim: the key's tenant.
    let customer = sign(&secret, Some(&kid), &customer_claims(None));
    let opened =
        server.http.post(server.url("/api/v1/tickets")).bearer_auth(&customer).json(&ticket()).send().await.unwrap();
    assert_eq!(opened.status(), 201);
    let mine = server.get_json("/api/v1/tickets", &customer).await;
    assert_eq!(mine["meta"]["total"], 1);
    // The default tenant's admin does not see it.
    let admin = server.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(server.get_json("/api/v1/admin/tickets", &admin).await["meta"]["total"], 0);
    // With the right tenant claim it works too.
    let explicit = sign(&secret, Some(&kid), &customer_claims(Some("shop-1")));
    assert_eq!(get_status(&server, "/api/v1/tickets", &explicit).await, 200);

    // The key cannot speak for another tenant, nor for staff, nor with a wrong secret.
    let elsewhere = sign(&secret, Some(&kid), &customer_claims(Some("default")));
    assert_eq!(get_status(&server, "/api/v1/tickets", &elsewhere).await, 401);
    let admin_id = server.get_json("/api/v1/admin/agents", &admin).await["data"][0]["id"].as_str().unwrap().to_owned();
    let staff = sign(
        &secret,
        Some(&kid),
        &json!({"sub": admin_id, "role": "admin", "tenant": "shop-1", "iat": now(), "exp": now() + 600}),
    );
    assert_eq!(get_status(&server, "/api/v1/admin/tickets", &staff).await, 401);
    let wrong_secret = sign(SHARED_SECRET, Some(&kid), &customer_claims(None));
    assert_eq!(get_status(&server, "/api/v1/tickets", &wrong_secret).await, 401);
    let unknown_kid = sign(&secret, Some("no-such-kid"), &customer_claims(None));
    assert_eq!(get_status(&server, "/api/v1/tickets", &unknown_kid).await, 401);

    // The shared secret without kid mints customers of `default` only.
    let shared_default = sign(SHARED_SECRET, None, &customer_claims(None));
    assert_eq!(get_status(&server, "/api/v1/tickets", &shared_default).await, 200);
    let shared_shop = sign(SHARED_SECRET, None, &customer_claims(Some("shop-1")));
    assert_eq!(get_status(&server, "/api/v1/tickets", &shared_shop).await, 401);

    // A key made with --staff signs tokens for the tenant's live agents only.
    let (staff_kid, staff_secret) = add_key(&database, "shop-1", true);
    let ghost = sign(
        &staff_secret,
        Some(&staff_kid),
        &json!({"sub": uuid::Uuid::now_v7().to_string(), "role": "admin", "iat": now(), "exp": now() + 600}),
    );
    assert_eq!(get_status(&server, "/api/v1/admin/tickets", &ghost).await, 401);
    // A tenant key for a tenant that was never created cannot be added.
    let (ok, _) = database.command(&["tenant", "key", "add", "--tenant", "nowhere"]);
    assert!(!ok);
}

async fn an_unknown_tenant_gets_no_account_and_new_tenants_take_no_registrations(database: Database) {
    let server = Server::start(&database);
    let register = |tenant: &str, email: &str| {
        server.http.post(server.url("/api/v1/auth/register")).json(&json!({
            "email": email, "password": "customer password 1", "name": "Alex", "tenant": tenant
        }))
    };
    let answer = register("nowhere", "alex@example.com").send().await.unwrap();
    assert_eq!(answer.status(), 404);
    let login = server
        .http
        .post(server.url("/api/v1/auth/login"))
        .json(&json!({"email": "alex@example.com", "password": "customer password 1", "tenant": "nowhere"}))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 401);
    assert_eq!(database.count("SELECT COUNT(*) FROM tenants WHERE key = 'nowhere'"), 0);
    assert_eq!(database.count("SELECT COUNT(*) FROM customers WHERE tenant = 'nowhere'"), 0);
    // The default tenant takes registrations out of the box.
    assert_eq!(register("default", "alex@example.com").send().await.unwrap().status(), 201);

    // A tenant the operator creates takes none until its admin allows it.
    create_tenant(&database, "shop-2", "Shop Two");
    let (ok, _) = database.command(&[
        "admin",
        "create",
        "--tenant",
        "shop-2",
        "--email",
        "owner@shop-two.example",
        "--password",
        "owner password 1",
    ]);
    assert!(ok);
    assert_eq!(register("shop-2", "bea@example.com").send().await.unwrap().status(), 403);
    let owner = server
        .http
        .post(server.url("/api/v1/auth/login"))
        .json(&json!({"email": "owner@shop-two.example", "password": "owner password 1", "tenant": "shop-2"}))
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap()["accessToken"]
        .as_str()
        .unwrap()
        .to_owned();
    let settings = server.get_json("/api/v1/admin/settings", &owner).await;
    assert_eq!(settings["allowRegistration"], false);
    let (status, body) = send_json(
        &server,
        reqwest::Method::PUT,
        "/api/v1/admin/settings",
        &owner,
        json!({"allowCustomerClose": true, "reopenClosedOnCustomerReply": false, "allowRegistration": true}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(register("shop-2", "bea@example.com").send().await.unwrap().status(), 201);
}

async fn every_revocation_path_answers_401_within_5_seconds_on_every_server(database: Database) {
    let (staff_kid, staff_secret) = {
        let server = Server::start(&database);
        drop(server);
        add_key(&database, "default", true)
    };
    // Two server processes on one database: the change is made through A, the token is
    // refused by B.
    let a = Server::start(&database);
    let b = Server::start(&database);
    let admin = a.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let password = "agent password 1";
    let mut ids = Vec::new();
    let mut tokens = Vec::new();
    for name in ["deactivated", "repassworded", "repermitted", "revoked", "loggedout"] {
        let email = format!("{name}@shop.example");
        ids.push(create_agent(&a, &admin, &email, password, "agent").await);
        tokens.push(a.login(&email, password).await);
    }
    // A shop-minted staff token for the agent whose sessions get revoked.
    let shop_minted = sign(
        &staff_secret,
        Some(&staff_kid),
        &json!({"sub": ids[3], "role": "agent", "iat": now() - 1, "exp": now() + 600}),
    );
    for token in tokens.iter().chain([&shop_minted]) {
        assert_eq!(get_status(&b, "/api/v1/admin/tickets", token).await, 200);
    }

    let patch = |id: &str, body: Value| {
        let path = format!("/api/v1/admin/agents/{id}");
        let admin = admin.clone();
        let a = &a;
        async move { send_json(a, reqwest::Method::PATCH, &path, &admin, body).await.0 }
    };
    assert_eq!(patch(&ids[0], json!({"active": false})).await, 200);
    assert_eq!(patch(&ids[1], json!({"password": "a brand new password"})).await, 200);
    assert_eq!(patch(&ids[2], json!({"permissions": ["tickets:read"]})).await, 200);
    let revoke =
        status(&a, reqwest::Method::POST, &format!("/api/v1/admin/agents/{}/revoke-sessions", ids[3]), &admin, None)
            .await;
    assert_eq!(revoke, 204);
    assert_eq!(status(&a, reqwest::Method::POST, "/api/v1/auth/logout", &tokens[4], None).await, 204);

    let what = ["deactivation", "password change", "permission change", "revoke-sessions", "logout"];
    for (token, what) in tokens.iter().zip(what) {
        let took = refused_within_5_seconds(&b, "/api/v1/admin/tickets", token, what).await;
        eprintln!("{what}: refused by the other server after {took:?}");
    }
    refused_within_5_seconds(&b, "/api/v1/admin/tickets", &shop_minted, "shop-minted token, revoked").await;

    // New sessions work: the new password, the new permissions, a token minted after the
    // revocation; the old password does not.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let fresh = b.login("repassworded@shop.example", "a brand new password").await;
    assert_eq!(get_status(&b, "/api/v1/admin/tickets", &fresh).await, 200);
    let old = b
        .http
        .post(b.url("/api/v1/auth/login"))
        .json(&json!({"email": "repassworded@shop.example", "password": password}))
        .send()
        .await
        .unwrap();
    assert_eq!(old.status(), 401);
    let reader = b.login("repermitted@shop.example", password).await;
    assert_eq!(get_status(&b, "/api/v1/admin/tickets", &reader).await, 200);
    // A shop-minted token is judged by its `iat`, which the shop's clock may set up to 60 s
    // ahead: one dated within 60 s of the revocation might predate it, and is refused.
    let soon_after = sign(
        &staff_secret,
        Some(&staff_kid),
        &json!({"sub": ids[3], "role": "agent", "iat": now(), "exp": now() + 600}),
    );
    assert_eq!(get_status(&b, "/api/v1/admin/tickets", &soon_after).await, 401);
    let surely_after = sign(
        &staff_secret,
        Some(&staff_kid),
        &json!({"sub": ids[3], "role": "agent", "iat": now() + 59, "exp": now() + 600}),
    );
    assert_eq!(get_status(&b, "/api/v1/admin/tickets", &surely_after).await, 200);
    // The deactivated agent cannot log in at all.
    let inactive = a
        .http
        .post(a.url("/api/v1/auth/login"))
        .json(&json!({"email": "deactivated@shop.example", "password": password}))
        .send()
        .await
        .unwrap();
    assert_eq!(inactive.status(), 401);
}

async fn the_last_active_admin_cannot_be_deactivated_or_demoted(database: Database) {
    let server = Server::start(&database);
    let admin = server.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let admin_id = server.get_json("/api/v1/admin/agents", &admin).await["data"][0]["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/admin/agents/{admin_id}");
    for body in [json!({"active": false}), json!({"role": "agent"})] {
        let (status, problem) = send_json(&server, reqwest::Method::PATCH, &path, &admin, body).await;
        assert_eq!(status, 409, "{problem}");
        assert_eq!(problem["code"], "last_admin");
    }
    // With a second admin, the first may step down.
    create_agent(&server, &admin, "second@shop.example", "second admin password", "admin").await;
    let (status, body) = send_json(&server, reqwest::Method::PATCH, &path, &admin, json!({"role": "agent"})).await;
    assert_eq!(status, 200, "{body}");
    // Its sessions ended with the demotion; the second admin is now the last one.
    let second = server.login("second@shop.example", "second admin password").await;
    let second_id = server.get_json("/api/v1/admin/agents", &second).await["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["email"] == "second@shop.example")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, _) = send_json(
        &server,
        reqwest::Method::PATCH,
        &format!("/api/v1/admin/agents/{second_id}"),
        &second,
        json!({"active": false}),
    )
    .await;
    assert_eq!(status, 409);
}

async fn api_keys_act_with_exactly_their_permissions_until_deleted(database: Database) {
    let server = Server::start(&database);
    let admin = server.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let (status, created) = send_json(
        &server,
        reqwest::Method::POST,
        "/api/v1/admin/api-keys",
        &admin,
        json!({"name": "Storefront sync", "permissions": ["tickets:read", "tickets:reply"]}),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let key = created["key"].as_str().unwrap().to_owned();
    assert!(key.starts_with("sdk_"), "{key}");
    assert!(key.starts_with(created["prefix"].as_str().unwrap()));

    // It opens a ticket for a customer and replies as its name.
    let customer = server.customer("alex@example.com").await;
    let ticket_id = server
        .http
        .post(server.url("/api/v1/tickets"))
        .bearer_auth(&customer)
        .json(&ticket())
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(get_status(&server, "/api/v1/admin/tickets", &key).await, 200);
    let (status, reply) = send_json(
        &server,
        reqwest::Method::POST,
        &format!("/api/v1/admin/tickets/{ticket_id}/messages"),
        &key,
        json!({"body": "We have sent a replacement."}),
    )
    .await;
    assert_eq!(status, 201, "{reply}");
    assert_eq!(reply["message"]["authorName"], "Storefront sync");
    // Nothing beyond its permissions.
    assert_eq!(get_status(&server, "/api/v1/admin/settings", &key).await, 403);
    let (status, _) = send_json(
        &server,
        reqwest::Method::PATCH,
        &format!("/api/v1/admin/tickets/{ticket_id}/status"),
        &key,
        json!({"status": "resolved"}),
    )
    .await;
    assert_eq!(status, 403);

    // Listed without its secret, with when it was last used.
    let listed = server.get_json("/api/v1/admin/api-keys", &admin).await;
    assert_eq!(listed["meta"]["total"], 1);
    assert!(listed["data"][0].get("key").is_none(), "{listed}");
    assert!(!listed.to_string().contains(&key));
    assert!(listed["data"][0]["lastUsedAt"].is_string(), "{listed}");
    assert_eq!(database.count(&format!("SELECT COUNT(*) FROM api_keys WHERE key_hash = '{key}'")), 0);

    // An agent cannot grant what they lack.
    create_agent(&server, &admin, "manager@shop.example", "manager password", "agent").await;
    let manager_id = server.get_json("/api/v1/admin/agents", &admin).await["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["email"] == "manager@shop.example")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    send_json(
        &server,
        reqwest::Method::PATCH,
        &format!("/api/v1/admin/agents/{manager_id}"),
        &admin,
        json!({"permissions": ["agents:manage", "tickets:read"]}),
    )
    .await;
    let manager = server.login("manager@shop.example", "manager password").await;
    let (status, _) = send_json(
        &server,
        reqwest::Method::POST,
        "/api/v1/admin/api-keys",
        &manager,
        json!({"name": "Escalation", "permissions": ["settings:manage"]}),
    )
    .await;
    assert_eq!(status, 400);

    // Deleted, it stops working; an unknown key never worked.
    let id = created["id"].as_str().unwrap();
    assert_eq!(status_of_delete(&server, &format!("/api/v1/admin/api-keys/{id}"), &admin).await, 204);
    refused_within_5_seconds(&server, "/api/v1/admin/tickets", &key, "deleted API key").await;
    assert_eq!(get_status(&server, "/api/v1/admin/tickets", "sdk_not-a-key").await, 401);
}

async fn status_of_delete(server: &Server, path: &str, token: &str) -> StatusCode {
    status(server, reqwest::Method::DELETE, path, token, None).await
}

async fn signing_keys_over_http_sign_tokens_until_deleted(database: Database) {
    let server = Server::start(&database);
    let admin = server.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let (status, key) =
        send_json(&server, reqwest::Method::POST, "/api/v1/admin/signing-keys", &admin, json!({})).await;
    assert_eq!(status, 201, "{key}");
    assert_eq!(key["tenant"], "default");
    assert_eq!(key["allowStaff"], false);
    let (kid, secret) = (key["kid"].as_str().unwrap(), key["secret"].as_str().unwrap());
    let listed = server.get_json("/api/v1/admin/signing-keys", &admin).await;
    assert_eq!(listed["meta"]["total"], 1);
    assert!(!listed.to_string().contains(secret), "{listed}");

    let customer = sign(secret, Some(kid), &customer_claims(None));
    assert_eq!(get_status(&server, "/api/v1/tickets", &customer).await, 200);
    assert_eq!(status_of_delete(&server, &format!("/api/v1/admin/signing-keys/{kid}"), &admin).await, 204);
    refused_within_5_seconds(&server, "/api/v1/tickets", &customer, "token of a deleted key").await;
    assert_eq!(status_of_delete(&server, &format!("/api/v1/admin/signing-keys/{kid}"), &admin).await, 404);
}

async fn token_time_rules_are_enforced(database: Database) {
    let server = Server::start(&database);
    let with = |extra: Value| {
        let mut claims = customer_claims(None);
        for (field, value) in extra.as_object().unwrap() {
            claims[field] = value.clone();
        }
        sign(SHARED_SECRET, None, &claims)
    };
    assert_eq!(get_status(&server, "/api/v1/tickets", &with(json!({}))).await, 200);
    // Not valid yet.
    assert_eq!(get_status(&server, "/api/v1/tickets", &with(json!({"nbf": now() + 120}))).await, 401);
    assert_eq!(get_status(&server, "/api/v1/tickets", &with(json!({"nbf": now() - 10}))).await, 200);
    // Issued in the future.
    let ahead = with(json!({"iat": now() + 120, "exp": now() + 600}));
    assert_eq!(get_status(&server, "/api/v1/tickets", &ahead).await, 401);
    // Longer than 30 days, with or without iat.
    let long = with(json!({"exp": now() + 31 * 24 * 3600}));
    assert_eq!(get_status(&server, "/api/v1/tickets", &long).await, 401);
    let mut no_iat = customer_claims(None);
    no_iat.as_object_mut().unwrap().remove("iat");
    no_iat["exp"] = json!(now() + 31 * 24 * 3600);
    assert_eq!(get_status(&server, "/api/v1/tickets", &sign(SHARED_SECRET, None, &no_iat)).await, 401);
    // Expired.
    let expired = with(json!({"iat": now() - 700, "exp": now() - 60}));
    assert_eq!(get_status(&server, "/api/v1/tickets", &expired).await, 401);
}

async fn audience_and_issuer_are_enforced_when_configured(database: Database) {
    let server = Server::start_with(
        &database,
        &[("SUPPORTDESK_JWT_AUDIENCE", "supportdesk"), ("SUPPORTDESK_JWT_ISSUER", "https://shop.example")],
    );
    let plain = sign(SHARED_SECRET, None, &customer_claims(None));
    assert_eq!(get_status(&server, "/api/v1/tickets", &plain).await, 401);
    let mut claims = customer_claims(None);
    claims["aud"] = json!("supportdesk");
    claims["iss"] = json!("https://shop.example");
    assert_eq!(get_status(&server, "/api/v1/tickets", &sign(SHARED_SECRET, None, &claims)).await, 200);
    claims["aud"] = json!("another-service");
    assert_eq!(get_status(&server, "/api/v1/tickets", &sign(SHARED_SECRET, None, &claims)).await, 401);
    // The service's own tokens carry both.
    let admin = server.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(get_status(&server, "/api/v1/admin/tickets", &admin).await, 200);
}

async fn a_deactivated_only_admin_does_not_stop_start_up(database: Database) {
    // Before `last_admin` an only admin could deactivate itself; such a database must still
    // start, with the bootstrap admin skipped (its email is taken by the inactive admin).
    drop(Server::start(&database));
    database.execute("UPDATE agents SET active = FALSE");
    let server = Server::start(&database);
    assert_eq!(server.http.get(server.url("/health")).send().await.unwrap().status(), 200);
    let login = server
        .http
        .post(server.url("/api/v1/auth/login"))
        .json(&json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 401);
    // The operator recovers with the CLI.
    let (ok, _) =
        database.command(&["admin", "create", "--email", "rescue@shop.example", "--password", "rescue password 1"]);
    assert!(ok);
    let rescue = server.login("rescue@shop.example", "rescue password 1").await;
    assert_eq!(get_status(&server, "/api/v1/admin/agents", &rescue).await, 200);
}
