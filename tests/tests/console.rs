//! The console and the portal over the real binary, spoken to as a browser would (cookies,
//! forms, redirects), on SQLite and (when `TEST_POSTGRES_URL` is set, always in CI) on
//! PostgreSQL: sessions, CSRF, the Content-Security-Policy, escaping, the ticket actions, stale
//! forms, revocation, logout and the shop's sign-on link. The same stories in headless
//! Chromium are in `browser.rs`.

#![expect(clippy::unwrap_used, reason = "tests")]

use std::time::{Duration, Instant};

use jsonwebtoken::{encode, EncodingKey, Header};
use reqwest::header::SET_COOKIE;
use reqwest::StatusCode;
use serde_json::{json, Value};
use supportdesk_tests::forms::Browser;
use supportdesk_tests::{Database, Server, ADMIN_EMAIL, ADMIN_PASSWORD};

supportdesk_tests::on_both_backends!(
    every_page_has_a_strict_policy_and_the_session_cookie_is_http_only_and_lax,
    root_sends_staff_to_the_console_customers_to_the_portal_and_others_to_a_login_page,
    an_agent_notes_replies_and_resolves_and_the_customer_sees_the_reply_and_not_the_note,
    a_stale_ticket_form_says_changed_by_someone_else_and_changes_nothing,
    a_post_without_the_sessions_csrf_token_or_from_another_site_is_refused,
    values_are_escaped_by_the_templates,
    a_deactivated_agents_session_stops_working_within_five_seconds,
    logout_ends_the_session_even_for_a_copy_of_the_cookie,
    a_shop_sign_on_link_becomes_a_session_and_leaves_the_address_bar,
    a_customer_cannot_use_the_console_nor_an_agent_the_portal,
    the_login_forms_count_against_the_apis_login_limits,
    an_admin_manages_categories_agents_policy_and_keys_from_the_settings,
    the_customer_page_shows_the_profile_and_their_tickets,
);

const SHARED_SECRET: &str = "black-box-test-secret-of-at-least-32-bytes";

async fn send_json(
    server: &Server,
    method: reqwest::Method,
    path: &str,
    token: &str,
    body: Value,
) -> (StatusCode, Value) {
    let response = server.http.request(method, server.url(path)).bearer_auth(token).json(&body).send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// A customer with a password account and one new ticket; returns the ticket's number.
async fn customer_with_ticket(server: &Server, email: &str, description: &str) -> i64 {
    let token = server.customer(email).await;
    let (status, body) = send_json(
        server,
        reqwest::Method::POST,
        "/api/v1/tickets",
        &token,
        json!({"category": "order", "description": description}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["number"].as_i64().unwrap()
}

async fn every_page_has_a_strict_policy_and_the_session_cookie_is_http_only_and_lax(database: Database) {
    let server = Server::start(&database);
    let mut browser = Browser::new(&server);
    for path in ["/", "/console/login", "/portal/login", "/assets/app.css"] {
        let page = browser.get(path).await;
        let csp = page.headers.get("content-security-policy").unwrap().to_str().unwrap().to_owned();
        assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"), "{path}: {csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
    }
    let login = browser.login("console", ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(login.status, StatusCode::SEE_OTHER);
    assert_eq!(login.location(), "/console");
    let cookie = login
        .headers
        .get_all(SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("sd_session="))
        .unwrap();
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(!cookie.contains("Secure"), "plain http is not https: {cookie}");
    let queue = browser.get("/console").await;
    assert_eq!(queue.status, 200);
    assert!(queue.body.contains("id=\"queue\""));
    assert!(!queue.body.contains("<script>"), "no inline script");
    assert!(!queue.body.contains("style="), "no inline style");

    // Behind https the cookie is Secure.
    let secure_db = Database::sqlite();
    let secure = Server::start_with(&secure_db, &[("SUPPORTDESK_PUBLIC_URL", "https://desk.shop.example")]);
    let mut browser = Browser::new(&secure);
    let login = browser.login("console", ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let cookie = login.headers.get(SET_COOKIE).unwrap().to_str().unwrap().to_owned();
    assert!(cookie.contains("Secure"), "{cookie}");
    // A form posted from the public address is same-origin, whatever Host the proxy sent.
    let queue = browser.get("/console").await;
    let out = browser
        .http
        .post(secure.url("/console/logout"))
        .header("Cookie", browser.cookie_header())
        .header("Origin", "https://desk.shop.example")
        .form(&[("csrf", queue.input("csrf"))])
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
}

async fn root_sends_staff_to_the_console_customers_to_the_portal_and_others_to_a_login_page(database: Database) {
    let server = Server::start(&database);
    let mut anonymous = Browser::new(&server);
    assert_eq!(anonymous.get("/").await.location(), "/console/login");
    assert_eq!(anonymous.get("/console").await.location(), "/console/login");
    assert_eq!(anonymous.get("/portal").await.location(), "/portal/login");

    let mut agent = Browser::new(&server);
    agent.login("console", ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(agent.get("/").await.location(), "/console");

    server.customer("root@customer.example").await;
    let mut customer = Browser::new(&server);
    let login = customer.login("portal", "root@customer.example", "customer password 1").await;
    assert_eq!(login.location(), "/portal");
    assert_eq!(customer.get("/").await.location(), "/portal");
    // The API's JSON 404 still answers everything else.
    let unknown = customer.get("/nowhere").await;
    assert_eq!(unknown.status, 404);
    assert!(unknown.headers.get("content-type").unwrap().to_str().unwrap().contains("json"));
}

async fn an_agent_notes_replies_and_resolves_and_the_customer_sees_the_reply_and_not_the_note(database: Database) {
    let server = Server::start(&database);
    let number =
        customer_with_ticket(&server, "alex@customer.example", "My parcel never arrived. It was due Monday.").await;
    let mut agent = Browser::new(&server);
    agent.login("console", ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let queue = agent.get("/console?status=open&assignee=unassigned&sort=oldest").await;
    assert!(queue.body.contains("My parcel never arrived."), "{}", queue.body);
    assert!(queue.body.contains("Open <b>1</b>"), "counts per status: {}", queue.body);
    let path = format!("/console/tickets/{number}");

    let note = agent
        .submit(&path, &format!("{path}/reply"), &[("kind", "note"), ("body", "Carrier says it is lost: SECRET-NOTE")])
        .await;
    assert_eq!(note.status, StatusCode::SEE_OTHER, "{}", note.body);
    let resolved = agent
        .submit(
            &path,
            &format!("{path}/reply"),
            &[("kind", "resolve"), ("body", "We sent a new parcel today."), ("resolutionNote", "Reshipped")],
        )
        .await;
    assert_eq!(resolved.status, StatusCode::SEE_OTHER, "{}", resolved.body);
    let page = agent.get(&path).await;
    assert!(page.body.contains("class=\"message note\""), "the note is marked as a note");
    assert!(page.body.contains("SECRET-NOTE"));
    assert!(page.body.contains("id=\"status\">Resolved<"), "{}", page.body);
    assert!(page.body.contains("added an internal note"), "the audit trail: {}", page.body);
    let assigned = agent.submit(&path, &format!("{path}/assign"), &[("assignee", "")]).await;
    assert_eq!(assigned.status, StatusCode::SEE_OTHER);
    let triaged = agent
        .submit(
            &path,
            &format!("{path}/triage"),
            &[("priority", "high"), ("category", "product"), ("tags", "carrier, lost"), ("subject", "Lost parcel")],
        )
        .await;
    assert_eq!(triaged.status, StatusCode::SEE_OTHER, "{}", triaged.body);
    assert!(agent.get("/console?tag=lost&priority=high&category=product").await.body.contains("Lost parcel"));
    assert!(!agent.get("/console?tag=other").await.body.contains("Lost parcel"));

    let mut customer = Browser::new(&server);
    customer.login("portal", "alex@customer.example", "customer password 1").await;
    let list = customer.get("/portal").await;
    assert!(list.body.contains("Lost parcel"));
    let thread = customer.get(&format!("/portal/tickets/{number}")).await;
    assert!(thread.body.contains("We sent a new parcel today."));
    assert!(!thread.body.contains("SECRET-NOTE"), "the portal never shows a note");
    let reopened = customer
        .submit(
            &format!("/portal/tickets/{number}"),
            &format!("/portal/tickets/{number}/status"),
            &[("status", "open")],
        )
        .await;
    assert_eq!(reopened.status, StatusCode::SEE_OTHER, "{}", reopened.body);
    assert!(customer.get(&format!("/portal/tickets/{number}")).await.body.contains("id=\"status\">Open<"));
    // A reply from the portal, and a new ticket.
    let replied = customer
        .submit(
            &format!("/portal/tickets/{number}"),
            &format!("/portal/tickets/{number}/reply"),
            &[("body", "Thanks, still waiting.")],
        )
        .await;
    assert_eq!(replied.status, StatusCode::SEE_OTHER, "{}", replied.body);
    let opened = customer
        .submit(
            "/portal/new",
            "/portal/tickets",
            &[("category", "payment"), ("orderId", "A-1"), ("description", "I was charged twice for order A-1.")],
        )
        .await;
    assert_eq!(opened.status, StatusCode::SEE_OTHER, "{}", opened.body);
    assert!(opened.location().starts_with("/portal/tickets/"));
}

async fn a_stale_ticket_form_says_changed_by_someone_else_and_changes_nothing(database: Database) {
    let server = Server::start(&database);
    let number =
        customer_with_ticket(&server, "stale@customer.example", "The parcel box was crushed on arrival.").await;
    let path = format!("/console/tickets/{number}");
    let mut first = Browser::new(&server);
    first.login("console", ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let mut second = Browser::new(&server);
    second.login("console", ADMIN_EMAIL, ADMIN_PASSWORD).await;
    // The second agent opens the ticket, then the first changes it.
    let seen = second.get(&path).await;
    let (csrf, version) = (seen.input("csrf"), seen.input("version"));
    let changed =
        first.submit(&path, &format!("{path}/triage"), &[("priority", "urgent"), ("subject", "Crushed box")]).await;
    assert_eq!(changed.status, StatusCode::SEE_OTHER);
    let stale = second
        .post(
            &format!("{path}/triage"),
            &[("csrf", &csrf), ("version", &version), ("priority", "low"), ("subject", "Overwritten")],
        )
        .await;
    assert_eq!(stale.status, StatusCode::CONFLICT);
    assert!(stale.body.contains("changed by someone else"), "{}", stale.body);
    assert!(stale.body.contains("Crushed box"), "the new state is shown");
    let now = first.get(&path).await;
    assert!(now.body.contains("Crushed box") && !now.body.contains("Overwritten"));
    // A stale reply keeps the text the agent typed.
    let stale_reply = second
        .post(&format!("{path}/reply"), &[("csrf", &csrf), ("version", &version), ("body", "My draft answer")])
        .await;
    assert_eq!(stale_reply.status, StatusCode::CONFLICT);
    assert!(stale_reply.body.contains("My draft answer"));
}

async fn a_post_without_the_sessions_csrf_token_or_from_another_site_is_refused(database: Database) {
    let server = Server::start(&database);
    let number =
        customer_with_ticket(&server, "csrf@customer.example", "Where is my refund for the returned shoes?").await;
    let path = format!("/console/tickets/{number}");
    let mut agent = Browser::new(&server);
    agent.login("console", ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let page = agent.get(&path).await;
    let version = page.input("version");
    let without = agent.post(&format!("{path}/reply"), &[("version", &version), ("body", "forged")]).await;
    assert_eq!(without.status, StatusCode::FORBIDDEN);
    let wrong = agent.post(&format!("{path}/reply"), &[("csrf", "0".repeat(64).as_str()), ("body", "forged")]).await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);
    // The right token from another site's page.
    let csrf = page.input("csrf");
    let cross = agent
        .http
        .post(server.url(&format!("{path}/reply")))
        .header("Cookie", agent.cookie_header())
        .header("Origin", "https://evil.example")
        .form(&[("csrf", csrf.as_str()), ("body", "forged")])
        .send()
        .await
        .unwrap();
    assert_eq!(cross.status(), StatusCode::FORBIDDEN);
    // Logging in needs the login page's token too.
    let mut stranger = Browser::new(&server);
    let forged_login = stranger
        .post("/console/login", &[("email", ADMIN_EMAIL), ("password", ADMIN_PASSWORD), ("csrf", "guess")])
        .await;
    assert_eq!(forged_login.status, StatusCode::FORBIDDEN);
    assert!(!agent.get(&path).await.body.contains("forged"), "nothing was written");
}

async fn values_are_escaped_by_the_templates(database: Database) {
    let server = Server::start(&database);
    let number =
        customer_with_ticket(&server, "xss@customer.example", "<script>alert('x')</script> my order is late").await;
    let mut agent = Browser::new(&server);
    agent.login("console", ADMIN_EMAIL, ADMIN_PASSWORD).await;
    for path in ["/console".to_owned(), format!("/console/tickets/{number}")] {
        let page = agent.get(&path).await;
        assert!(!page.body.contains("<script>alert"), "{path}");
        assert!(page.body.contains("&#60;script&#62;alert") || page.body.contains("&lt;script&gt;alert"), "{path}");
    }
}

async fn a_deactivated_agents_session_stops_working_within_five_seconds(database: Database) {
    let server = Server::start(&database);
    let admin = server.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let (status, body) = send_json(
        &server,
        reqwest::Method::POST,
        "/api/v1/admin/agents",
        &admin,
        json!({"email": "sam@shop.example", "name": "Sam Agent", "password": "sam password 123", "role": "agent"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let id = body["id"].as_str().unwrap().to_owned();
    let mut sam = Browser::new(&server);
    assert_eq!(sam.login("console", "sam@shop.example", "sam password 123").await.location(), "/console");
    assert_eq!(sam.get("/console").await.status, 200);
    let (status, _) = send_json(
        &server,
        reqwest::Method::PATCH,
        &format!("/api/v1/admin/agents/{id}"),
        &admin,
        json!({"active": false}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let started = Instant::now();
    loop {
        let page = sam.get("/console").await;
        if page.status == StatusCode::SEE_OTHER && page.location() == "/console/login" {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(5), "the session still works after 5 s");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn logout_ends_the_session_even_for_a_copy_of_the_cookie(database: Database) {
    let server = Server::start(&database);
    let mut agent = Browser::new(&server);
    agent.login("console", ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let copy = agent.cookies.clone();
    let page = agent.get("/console").await;
    let out = agent.post("/console/logout", &[("csrf", &page.input("csrf"))]).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert_eq!(out.location(), "/console/login");
    assert!(!agent.cookies.contains_key("sd_session"), "the cookie is cleared");
    let mut thief = Browser::new(&server);
    thief.cookies = copy;
    let started = Instant::now();
    while thief.get("/console").await.status != StatusCode::SEE_OTHER {
        assert!(started.elapsed() < Duration::from_secs(5), "a copy of the cookie still works after logout");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn now() -> i64 {
    i64::try_from(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()).unwrap()
}

async fn a_shop_sign_on_link_becomes_a_session_and_leaves_the_address_bar(database: Database) {
    let server = Server::start(&database);
    let customer = uuid::Uuid::now_v7().to_string();
    let claims = json!({"sub": customer, "role": "customer", "name": "Robin Shopper", "email": "robin@customer.example",
                        "iat": now(), "exp": now() + 600});
    let token = encode(&Header::default(), &claims, &EncodingKey::from_secret(SHARED_SECRET.as_bytes())).unwrap();
    let mut browser = Browser::new(&server);
    let arrived = browser.get(&format!("/portal/sso?token={token}")).await;
    assert_eq!(arrived.status, StatusCode::SEE_OTHER, "{}", arrived.body);
    assert_eq!(arrived.location(), "/portal", "the token is not in the next address");
    assert_eq!(arrived.headers.get("referrer-policy").unwrap(), "same-origin");
    let list = browser.get("/portal").await;
    assert_eq!(list.status, 200);
    assert!(list.body.contains("Robin Shopper"));
    // A forged, an expired or a staff token gives no session.
    let mut other = Browser::new(&server);
    let forged =
        encode(&Header::default(), &claims, &EncodingKey::from_secret(b"another secret of at least 32 bytes!!"))
            .unwrap();
    assert_eq!(other.get(&format!("/portal/sso?token={forged}")).await.status, StatusCode::UNPROCESSABLE_ENTITY);
    let expired = json!({"sub": customer, "role": "customer", "iat": now() - 7200, "exp": now() - 3600});
    let expired = encode(&Header::default(), &expired, &EncodingKey::from_secret(SHARED_SECRET.as_bytes())).unwrap();
    assert_eq!(other.get(&format!("/portal/sso?token={expired}")).await.status, StatusCode::UNPROCESSABLE_ENTITY);
    let admin = server.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(other.get(&format!("/portal/sso?token={admin}")).await.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!other.cookies.contains_key("sd_session"));
}

async fn a_customer_cannot_use_the_console_nor_an_agent_the_portal(database: Database) {
    let server = Server::start(&database);
    server.customer("wrongdoor@customer.example").await;
    let mut customer = Browser::new(&server);
    let refused = customer.login("console", "wrongdoor@customer.example", "customer password 1").await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    assert!(!customer.cookies.contains_key("sd_session"));
    let mut agent = Browser::new(&server);
    let refused = agent.login("portal", ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    agent.login("console", ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(agent.get("/portal").await.location(), "/portal/login");
}

async fn the_login_forms_count_against_the_apis_login_limits(database: Database) {
    let server = Server::start_with(&database, &[("SUPPORTDESK_LOGIN_RATE", "2/min")]);
    let mut browser = Browser::new(&server);
    // Wrong passwords spend the budget: the burst of 2 and the failure that finds it spent.
    for _ in 0..3 {
        assert_eq!(browser.login("console", ADMIN_EMAIL, "wrong password here").await.status, StatusCode::UNAUTHORIZED);
    }
    let limited = browser.login("console", ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(limited.body.contains("Too many login attempts"), "{}", limited.body);
    // The API shares the counters.
    let api = server
        .http
        .post(server.url("/api/v1/auth/login"))
        .json(&json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(api.status(), StatusCode::TOO_MANY_REQUESTS);
}

async fn an_admin_manages_categories_agents_policy_and_keys_from_the_settings(database: Database) {
    let server = Server::start(&database);
    let mut admin = Browser::new(&server);
    admin.login("console", ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let settings = "/console/settings";
    let page = admin.get(settings).await;
    for section in ["id=\"categories\"", "id=\"agents\"", "id=\"policy\"", "id=\"signing-keys\"", "id=\"api-keys\""] {
        assert!(page.body.contains(section), "{section}");
    }
    let made =
        admin.submit(settings, "/console/settings/categories", &[("slug", "returns"), ("name", "Returns")]).await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);
    assert!(admin.get("/portal/login").await.status == 200);
    let made = admin
        .submit(
            settings,
            "/console/settings/agents",
            &[
                ("name", "Riley Reader"),
                ("email", "riley@shop.example"),
                ("password", "riley password 1"),
                ("role", "agent"),
            ],
        )
        .await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);
    let token = server.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let agents = server.get_json("/api/v1/admin/agents", &token).await;
    let riley = agents["data"].as_array().unwrap().iter().find(|a| a["email"] == "riley@shop.example").unwrap().clone();
    let riley_id = riley["id"].as_str().unwrap().to_owned();
    // Only tickets:read, still active.
    let saved = admin
        .submit(
            settings,
            &format!("/console/settings/agents/{riley_id}"),
            &[("role", "agent"), ("permissions", "tickets:read"), ("active", "true")],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let riley = server.get_json(&format!("/api/v1/admin/agents/{riley_id}"), &token).await;
    assert_eq!(riley["permissions"], json!(["tickets:read"]));
    // Riley sees no settings and cannot change any.
    let mut reader = Browser::new(&server);
    reader.login("console", "riley@shop.example", "riley password 1").await;
    let theirs = reader.get(settings).await;
    assert!(!theirs.body.contains("id=\"agents\"") && !theirs.body.contains("id=\"policy\""));
    let refused =
        reader.submit(settings, "/console/settings/categories", &[("slug", "sneaky"), ("name", "Sneaky")]).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    // The policy.
    let policy = admin.submit(settings, "/console/settings/policy", &[("allowRegistration", "true")]).await;
    assert_eq!(policy.status, StatusCode::SEE_OTHER);
    let now = server.get_json("/api/v1/admin/settings", &token).await;
    assert_eq!(now["allowCustomerClose"], false, "{now}");
    // Keys: the secret is shown once.
    let key = admin.submit(settings, "/console/settings/signing-keys", &[]).await;
    assert_eq!(key.status, StatusCode::OK);
    assert!(key.body.contains("it will not be shown again"));
    let api_key = admin
        .submit(settings, "/console/settings/api-keys", &[("name", "Shop backend"), ("permissions", "tickets:read")])
        .await;
    assert!(api_key.body.contains("sdk_"), "{}", api_key.body);
    assert!(!admin.get(settings).await.body.contains("will not be shown again"));
    // Ending Riley's sessions logs Riley out.
    let ended = admin.submit(settings, &format!("/console/settings/agents/{riley_id}/revoke"), &[]).await;
    assert_eq!(ended.status, StatusCode::SEE_OTHER, "{}", ended.body);
    let started = Instant::now();
    while reader.get("/console").await.status != StatusCode::SEE_OTHER {
        assert!(started.elapsed() < Duration::from_secs(5), "revoked sessions still work after 5 s");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn the_customer_page_shows_the_profile_and_their_tickets(database: Database) {
    let server = Server::start(&database);
    let number =
        customer_with_ticket(&server, "profile@customer.example", "Two items were missing from the box.").await;
    let mut agent = Browser::new(&server);
    agent.login("console", ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let ticket = agent.get(&format!("/console/tickets/{number}")).await;
    let marker = "href=\"/console/customers/";
    let start = ticket.body.find(marker).unwrap() + marker.len() - "/console/customers/".len();
    let link = ticket.body[start..].split('"').next().unwrap().to_owned();
    let page = agent.get(&link).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Alex Customer") && page.body.contains("profile@customer.example"));
    assert!(page.body.contains("Two items were missing"));
    assert_eq!(agent.get("/console/customers/not-a-uuid").await.status, StatusCode::NOT_FOUND);
}
