//! The pages over the memory store with `actix_web::test`: redirects to the login pages, the
//! security headers, CSRF, the portal's view of a ticket, the assets. Sessions come from a
//! fake token authority (the real one, the API's JWT rules, is tested over the binary in
//! `tests/tests/console.rs`).

#![expect(clippy::unwrap_used, reason = "tests")]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::http::header;
use actix_web::{test, App as ActixApp};
use supportdesk_app::{
    AgentReplyInput, App, AppError, AuthenticatedUser, CategoryKey, LoginThrottle, OpenTicketInput, Password,
    Principal, TokenAuthority, TokenFacts, VerifiedToken,
};
use supportdesk_domain::{AgentId, Description, Email, MessageBody, PersonName, Role, TenantKey, TicketRef};
use supportdesk_store_memory::MemoryStore;
use supportdesk_web::{configure, WebConfig, WebState, CONTENT_SECURITY_POLICY};

/// Tokens are random strings mapped to principals; staff are checked against the live agent.
#[derive(Default)]
struct FakeTokens {
    issued: Mutex<HashMap<String, Principal>>,
}

impl FakeTokens {
    fn issue(&self, principal: Principal) -> String {
        let token = uuid::Uuid::now_v7().to_string();
        self.issued.lock().unwrap().insert(token.clone(), principal);
        token
    }
}

#[async_trait::async_trait]
impl TokenAuthority for FakeTokens {
    async fn verify(&self, app: &App, token: &str) -> Result<VerifiedToken, AppError> {
        let principal = self.issued.lock().unwrap().get(token).cloned().ok_or(AppError::Unauthorized)?;
        let principal = match principal.role {
            Role::Customer => principal,
            Role::Agent | Role::Admin => {
                app.authenticate_staff(&principal.tenant, AgentId::from_uuid(principal.id), TokenFacts::default())
                    .await?
            }
        };
        let expires_at = Some(time::OffsetDateTime::now_utc() + time::Duration::hours(1));
        Ok(VerifiedToken { principal, expires_at })
    }

    fn issue_for_user(&self, user: &AuthenticatedUser, _ttl: Duration) -> Result<String, AppError> {
        let mut principal = Principal::customer(user.tenant.clone(), user.id);
        principal.role = user.role;
        Ok(self.issue(principal))
    }

    fn issue_for_principal(&self, principal: &Principal, _ttl: Duration) -> Result<String, AppError> {
        Ok(self.issue(principal.clone()))
    }
}

struct NoThrottle;

impl LoginThrottle for NoThrottle {
    fn client_of(&self, _peer: Option<std::net::IpAddr>, _headers: &[(&str, &str)]) -> std::net::IpAddr {
        std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST)
    }

    fn check_login(&self, _client: std::net::IpAddr, _tenant: &TenantKey, _email: &Email) -> Result<(), AppError> {
        Ok(())
    }

    fn count_login_failure(&self, _client: std::net::IpAddr, _tenant: &TenantKey, _email: &Email) {}
}

struct Fixture {
    app: Arc<App>,
    tokens: Arc<FakeTokens>,
    state: WebState,
}

async fn fixture() -> Fixture {
    let app = Arc::new(App::builder(Arc::new(MemoryStore::new())).build());
    app.ensure_tenant(&TenantKey::default()).await.unwrap();
    let tokens = Arc::new(FakeTokens::default());
    let state = WebState::new(app.clone(), tokens.clone(), Arc::new(NoThrottle), WebConfig::default());
    Fixture { app, tokens, state }
}

async fn admin_token(f: &Fixture) -> String {
    let admin = f
        .app
        .bootstrap_admin(
            &TenantKey::default(),
            Email::parse("admin@shop.example").unwrap(),
            Password::parse("correct horse battery staple").unwrap(),
            PersonName::parse("Admin").unwrap(),
        )
        .await
        .unwrap()
        .unwrap();
    f.tokens.issue(Principal::admin(TenantKey::default(), admin.id.as_uuid()))
}

fn body_text(bytes: &actix_web::web::Bytes) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

#[actix_web::test]
async fn pages_without_a_session_redirect_to_their_login_page() {
    let f = fixture().await;
    let service = test::init_service(ActixApp::new().configure(|cfg| configure(cfg, f.state.clone()))).await;
    for (path, login) in [
        ("/", "/console/login"),
        ("/console", "/console/login"),
        ("/console/tickets/1", "/console/login"),
        ("/console/settings", "/console/login"),
        ("/portal", "/portal/login"),
        ("/portal/new", "/portal/login"),
        ("/console/", "/console"),
        ("/portal/", "/portal"),
    ] {
        let response = test::call_service(&service, test::TestRequest::get().uri(path).to_request()).await;
        assert_eq!(response.status(), 303, "{path}");
        assert_eq!(response.headers().get(header::LOCATION).unwrap(), login, "{path}");
    }
}

#[actix_web::test]
async fn the_login_page_sets_the_double_submit_cookie_and_the_strict_headers() {
    let f = fixture().await;
    let service = test::init_service(ActixApp::new().configure(|cfg| configure(cfg, f.state.clone()))).await;
    let response = test::call_service(&service, test::TestRequest::get().uri("/console/login").to_request()).await;
    assert_eq!(response.status(), 200);
    let headers = response.headers().clone();
    assert_eq!(headers.get("content-security-policy").unwrap(), CONTENT_SECURITY_POLICY);
    assert_eq!(headers.get("x-frame-options").unwrap(), "DENY");
    let cookie = headers.get(header::SET_COOKIE).unwrap().to_str().unwrap().to_owned();
    assert!(cookie.starts_with("sd_login=") && cookie.contains("HttpOnly"), "{cookie}");
    let value = cookie.trim_start_matches("sd_login=").split(';').next().unwrap().to_owned();
    let body = body_text(&test::read_body(response).await);
    assert!(body.contains(&format!("name=\"csrf\" value=\"{value}\"")));
}

#[actix_web::test]
async fn a_post_without_the_csrf_token_is_refused_and_writes_nothing() {
    let f = fixture().await;
    let token = admin_token(&f).await;
    let customer = Principal::customer(TenantKey::default(), uuid::Uuid::now_v7()).named("Alex");
    let input = OpenTicketInput::new(
        CategoryKey::parse("order").unwrap(),
        Description::parse("The parcel never came, order 77.").unwrap(),
    );
    f.app.open_ticket(&customer, input, None).await.unwrap();
    let service = test::init_service(ActixApp::new().configure(|cfg| configure(cfg, f.state.clone()))).await;
    for csrf in [None, Some("not-the-token")] {
        let mut form = vec![("body", "forged reply")];
        if let Some(csrf) = csrf {
            form.push(("csrf", csrf));
        }
        let request = test::TestRequest::post()
            .uri("/console/tickets/1/reply")
            .insert_header((header::COOKIE, format!("sd_session={token}")))
            .set_form(&form)
            .to_request();
        let response = test::call_service(&service, request).await;
        assert_eq!(response.status(), 403);
    }
    let view = f.app.get_ticket(&customer, TicketRef::parse("1").unwrap()).await.unwrap();
    assert_eq!(view.messages.len(), 1, "nothing was written");
}

#[actix_web::test]
async fn the_portal_shows_a_customer_the_public_thread_and_never_a_note() {
    let f = fixture().await;
    let admin_token = admin_token(&f).await;
    let admin = f.tokens.verify(&f.app, &admin_token).await.unwrap().principal;
    let customer = Principal::customer(TenantKey::default(), uuid::Uuid::now_v7()).named("Alex");
    let input = OpenTicketInput::new(
        CategoryKey::parse("order").unwrap(),
        Description::parse("Where is my order 42? It is late.").unwrap(),
    );
    f.app.open_ticket(&customer, input, None).await.unwrap();
    let reference = TicketRef::parse("1").unwrap();
    for (text, internal) in [("INTERNAL: carrier lost it", true), ("It is on its way again.", false)] {
        let reply = AgentReplyInput {
            body: MessageBody::parse(text).unwrap(),
            internal,
            attachments: Vec::new(),
            status: None,
            resolution_note: None,
        };
        f.app.agent_reply(&admin, reference, reply, None, None).await.unwrap();
    }
    let customer_token = f.tokens.issue(customer);
    let service = test::init_service(ActixApp::new().configure(|cfg| configure(cfg, f.state.clone()))).await;
    let request = test::TestRequest::get()
        .uri("/portal/tickets/1")
        .insert_header((header::COOKIE, format!("sd_session={customer_token}")))
        .to_request();
    let response = test::call_service(&service, request).await;
    assert_eq!(response.status(), 200);
    let body = body_text(&test::read_body(response).await);
    assert!(body.contains("It is on its way again."));
    assert!(!body.contains("INTERNAL"), "a note in the portal");
    // Staff see both, the note marked as such.
    let request = test::TestRequest::get()
        .uri("/console/tickets/1")
        .insert_header((header::COOKIE, format!("sd_session={admin_token}")))
        .to_request();
    let body = body_text(&test::read_body(test::call_service(&service, request).await).await);
    assert!(body.contains("class=\"message note\"") && body.contains("INTERNAL: carrier lost it"));
    // A customer's session is no console session.
    let request = test::TestRequest::get()
        .uri("/console")
        .insert_header((header::COOKIE, format!("sd_session={customer_token}")))
        .to_request();
    assert_eq!(test::call_service(&service, request).await.status(), 303);
}

#[actix_web::test]
async fn the_stylesheet_and_the_script_are_served_with_their_types() {
    let f = fixture().await;
    let service = test::init_service(ActixApp::new().configure(|cfg| configure(cfg, f.state.clone()))).await;
    for (path, kind) in [("/assets/app.css", "text/css"), ("/assets/keys.js", "text/javascript")] {
        let response = test::call_service(&service, test::TestRequest::get().uri(path).to_request()).await;
        assert_eq!(response.status(), 200);
        assert!(response.headers().get(header::CONTENT_TYPE).unwrap().to_str().unwrap().starts_with(kind));
    }
}

#[actix_web::test]
async fn an_agent_who_may_assign_is_offered_every_active_agent_but_cannot_list_them_without_the_permission() {
    let f = fixture().await;
    let admin_token = admin_token(&f).await;
    let admin = f.tokens.verify(&f.app, &admin_token).await.unwrap().principal;
    let new_agent = |email: &str, name: &str, active: bool| supportdesk_app::NewAgent {
        email: Email::parse(email).unwrap(),
        name: PersonName::parse(name).unwrap(),
        password: Password::parse("agent password 1").unwrap(),
        role: Role::Agent,
        permissions: None,
        active,
    };
    let sam = f.app.create_agent(&admin, new_agent("sam@shop.example", "Sam Agent", true)).await.unwrap();
    f.app.create_agent(&admin, new_agent("gone@shop.example", "Gone Agent", false)).await.unwrap();
    let customer = Principal::customer(TenantKey::default(), uuid::Uuid::now_v7()).named("Alex");
    let input = OpenTicketInput::new(
        CategoryKey::parse("order").unwrap(),
        Description::parse("The lid of the teapot is broken.").unwrap(),
    );
    f.app.open_ticket(&customer, input, None).await.unwrap();
    let sam_token = f.tokens.issue(Principal::agent(TenantKey::default(), sam.id.as_uuid(), vec![]));
    let sam_principal = f.tokens.verify(&f.app, &sam_token).await.unwrap().principal;
    let names: Vec<String> =
        f.app.assignable_agents(&sam_principal).await.unwrap().iter().map(|a| a.name.to_string()).collect();
    assert!(names.contains(&"Admin".to_owned()) && !names.contains(&"Gone Agent".to_owned()), "{names:?}");
    let service = test::init_service(ActixApp::new().configure(|cfg| configure(cfg, f.state.clone()))).await;
    let request = test::TestRequest::get()
        .uri("/console/tickets/1")
        .insert_header((header::COOKIE, format!("sd_session={sam_token}")))
        .to_request();
    let body = body_text(&test::read_body(test::call_service(&service, request).await).await);
    assert!(body.contains(&format!("value=\"{}\">Admin</option>", admin.id)), "{body}");
    // Without tickets:assign the list is refused.
    let reader =
        Principal::agent(TenantKey::default(), sam.id.as_uuid(), vec![supportdesk_domain::Permission::TicketsRead]);
    assert!(matches!(f.app.assignable_agents(&reader).await, Err(AppError::Forbidden(_))));
}

#[actix_web::test]
async fn a_console_search_shows_escaped_snippets_with_the_words_marked_and_every_page_has_the_box() {
    let f = fixture().await;
    let admin_token = admin_token(&f).await;
    let customer = Principal::customer(TenantKey::default(), uuid::Uuid::now_v7()).named("Alex");
    let input = OpenTicketInput::new(
        CategoryKey::parse("order").unwrap(),
        Description::parse("The <b>blue</b> Kettle arrived broken, again.").unwrap(),
    );
    f.app.open_ticket(&customer, input, None).await.unwrap();
    let service = test::init_service(ActixApp::new().configure(|cfg| configure(cfg, f.state.clone()))).await;
    let get = |uri: &str| {
        test::TestRequest::get()
            .uri(uri)
            .insert_header((header::COOKIE, format!("sd_session={admin_token}")))
            .to_request()
    };
    let body = body_text(&test::read_body(test::call_service(&service, get("/console?q=kettle")).await).await);
    assert!(body.contains("<mark>Kettle</mark>"), "{body}");
    assert!(body.contains("&#60;b&#62;blue&#60;/b&#62; <mark>Kettle</mark>"), "the snippet is escaped");
    assert!(!body.contains("<b>blue</b>"));
    let body = body_text(&test::read_body(test::call_service(&service, get("/console?q=teapot")).await).await);
    assert!(body.contains("No tickets match."));
    let body = body_text(&test::read_body(test::call_service(&service, get("/console/tickets/1")).await).await);
    assert!(body.contains("id=\"search-top\""), "every console page has the search box");
}
