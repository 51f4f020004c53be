//! The test harness: the real app (same `configure_app` and middleware as the server) over
//! the memory store, tokens for every kind of caller, and a request helper that returns
//! status, headers and JSON.

use std::sync::Arc;
use std::time::Duration;

use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::header::HeaderMap;
use actix_web::http::StatusCode;
use actix_web::test::{self, TestRequest};
use actix_web::App as ActixApp;
use serde_json::{json, Value};
use supportdesk_app::{App, AppSettings, Argon2Hasher, NewAgent, Password, Principal};
use supportdesk_domain::{Email, Permission, PersonName, Role, TenantKey};
use supportdesk_http::{configure_app, ApiState, Claims, HttpConfig, JwtKeys, Metrics, RequestTelemetry};
use supportdesk_store_memory::MemoryStore;
use uuid::Uuid;

pub const SECRET: &[u8] = b"test-secret-that-is-long-enough-0123456789";

/// The app under test and what it was built from.
pub struct Harness {
    pub app: Arc<App>,
    pub state: ApiState,
    pub keys: JwtKeys,
}

/// What a request answered.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn content_type(&self) -> &str {
        self.header("content-type").unwrap_or("")
    }

    /// Asserts the status and that the body is a problem with `code`.
    #[track_caller]
    pub fn assert_problem(&self, status: u16, code: &str) {
        assert_eq!(self.status.as_u16(), status, "unexpected status, body: {}", self.body);
        assert_eq!(self.content_type(), "application/problem+json", "body: {}", self.body);
        assert_eq!(self.body["status"], status, "body: {}", self.body);
        assert_eq!(self.body["code"], code, "body: {}", self.body);
        assert!(self.body["title"].is_string(), "body: {}", self.body);
        assert!(self.body["detail"].is_string(), "body: {}", self.body);
    }

    /// Asserts the status of a success.
    #[track_caller]
    pub fn assert_status(&self, status: u16) {
        assert_eq!(self.status.as_u16(), status, "unexpected status, body: {}", self.body);
    }

    /// The fields named in `errors`.
    pub fn error_fields(&self) -> Vec<String> {
        self.body["errors"]
            .as_array()
            .map(|errors| errors.iter().filter_map(|e| e["field"].as_str().map(str::to_owned)).collect())
            .unwrap_or_default()
    }
}

fn cheap_hasher() -> Arc<Argon2Hasher> {
    Arc::new(Argon2Hasher::with_params(argon2::Params::new(1024, 1, 1, None).unwrap(), 4).unwrap())
}

impl Harness {
    pub fn new() -> Self {
        Self::with(|_| {}, AppSettings::default())
    }

    pub fn with(tune: impl FnOnce(&mut HttpConfig), settings: AppSettings) -> Self {
        let store = Arc::new(MemoryStore::new());
        let app = Arc::new(App::builder(store).hasher(cheap_hasher()).settings(settings).build());
        Self::over(app, tune)
    }

    pub fn over(app: Arc<App>, tune: impl FnOnce(&mut HttpConfig)) -> Self {
        let keys = JwtKeys::new(SECRET).unwrap();
        let mut config = HttpConfig::default();
        tune(&mut config);
        let state = ApiState::new(app.clone(), keys.clone(), Arc::new(Metrics::new()), config);
        Self { app, state, keys }
    }

    /// The app, exactly as the server builds it (`RequestTelemetry` + `configure_app`).
    pub async fn service(
        &self,
    ) -> impl Service<actix_http::Request, Response = ServiceResponse<impl MessageBody>, Error = actix_web::Error> {
        let state = self.state.clone();
        test::init_service(ActixApp::new().wrap(RequestTelemetry).configure(move |cfg| configure_app(cfg, state))).await
    }

    pub fn customer(&self) -> Principal {
        Principal::customer(TenantKey::default(), Uuid::now_v7()).named("Alex")
    }

    pub fn customer_in(&self, tenant: &str) -> Principal {
        Principal::customer(TenantKey::parse(tenant).unwrap(), Uuid::now_v7()).named("Alex")
    }

    pub fn agent(&self, permissions: &[Permission]) -> Principal {
        Principal::agent(TenantKey::default(), Uuid::now_v7(), permissions.to_vec()).named("Sam")
    }

    pub fn default_agent(&self) -> Principal {
        self.agent(Permission::AGENT_DEFAULTS)
    }

    pub fn admin(&self) -> Principal {
        Principal::admin(TenantKey::default(), Uuid::now_v7()).named("Ada")
    }

    pub fn admin_in(&self, tenant: &str) -> Principal {
        Principal::admin(TenantKey::parse(tenant).unwrap(), Uuid::now_v7()).named("Ada")
    }

    /// An agent that exists in the store (so it can be assigned), with its principal.
    pub async fn stored_agent(&self, email: &str) -> Principal {
        let agent = self
            .app
            .create_agent(
                &self.admin(),
                NewAgent {
                    email: Email::parse(email).unwrap(),
                    name: PersonName::parse("Robin").unwrap(),
                    password: Password::parse("a long enough password").unwrap(),
                    role: Role::Agent,
                    permissions: None,
                    active: true,
                },
            )
            .await
            .unwrap();
        Principal::agent(TenantKey::default(), agent.id.as_uuid(), agent.permissions).named("Robin")
    }

    pub fn token(&self, principal: &Principal) -> String {
        self.keys.mint(principal, Duration::from_secs(600)).unwrap()
    }

    pub fn bearer(&self, principal: &Principal) -> (&'static str, String) {
        ("Authorization", format!("Bearer {}", self.token(principal)))
    }

    pub fn claims(&self, principal: &Principal) -> Claims {
        Claims::for_principal(principal, Duration::from_secs(600)).unwrap()
    }
}

/// Sends a request and reads the whole answer.
pub async fn send<S, B>(app: &S, req: TestRequest) -> Reply
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let response = test::call_service(app, req.to_request()).await;
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = test::read_body(response).await;
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
    };
    Reply { status, headers, body }
}

/// A valid ticket body.
pub fn ticket_body() -> Value {
    json!({"category": "order", "description": "My parcel never arrived. It was due on Monday."})
}

/// Opens a ticket as `customer` and returns its JSON.
pub async fn open_ticket<S, B>(h: &Harness, app: &S, customer: &Principal, body: Value) -> Value
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let reply =
        send(app, TestRequest::post().uri("/api/v1/tickets").insert_header(h.bearer(customer)).set_json(body)).await;
    reply.assert_status(201);
    reply.body
}

/// A base64url encoding without padding, for hand-made tokens.
pub fn b64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        let chars = chunk.len() + 1;
        for i in 0..chars {
            out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
        }
    }
    out
}

/// A store whose every call fails as if the database were down.
pub struct FailingStore;

fn down<T>() -> supportdesk_app::StoreResult<T> {
    Err(supportdesk_app::StoreError::unavailable("connection refused: secret-db.internal:5432"))
}

mod failing {
    use async_trait::async_trait;
    use supportdesk_app::{
        AccountStore, CategoryFilter, CategoryKey, CategoryStore, IdempotencyKey, IdempotencyRecord, Login, Page,
        StoreResult, TenantStore, TicketQuery, TicketStore, TicketSummary, TicketView, Visibility,
    };
    use supportdesk_domain::{
        Agent, AgentId, AuditEvent, Category, Customer, CustomerId, Email, Message, MessageId, OpenedTicket, TenantKey,
        TenantPolicy, Ticket, TicketChange, TicketId, TicketRef,
    };
    use time::OffsetDateTime;
    use uuid::Uuid;

    use super::{down, FailingStore};

    #[async_trait]
    impl TicketStore for FailingStore {
        async fn create_ticket(&self, _: OpenedTicket, _: Option<IdempotencyRecord>) -> StoreResult<Ticket> {
            down()
        }
        async fn save_change(&self, _: &TicketChange, _: Option<IdempotencyRecord>) -> StoreResult<()> {
            down()
        }
        async fn load_ticket(&self, _: &TenantKey, _: TicketRef) -> StoreResult<Option<Ticket>> {
            down()
        }
        async fn ticket_view(&self, _: &TenantKey, _: TicketRef, _: Visibility) -> StoreResult<Option<TicketView>> {
            down()
        }
        async fn list_tickets(&self, _: &TenantKey, _: &TicketQuery) -> StoreResult<Page<TicketSummary>> {
            down()
        }
        async fn message(&self, _: &TenantKey, _: MessageId) -> StoreResult<Option<Message>> {
            down()
        }
        async fn events(&self, _: &TenantKey, _: TicketId) -> StoreResult<Vec<AuditEvent>> {
            down()
        }
        async fn idempotency_record(
            &self,
            _: &TenantKey,
            _: Uuid,
            _: &IdempotencyKey,
            _: OffsetDateTime,
        ) -> StoreResult<Option<IdempotencyRecord>> {
            down()
        }
    }

    #[async_trait]
    impl CategoryStore for FailingStore {
        async fn list_categories(&self, _: &TenantKey, _: CategoryFilter) -> StoreResult<Vec<Category>> {
            down()
        }
        async fn find_category(&self, _: &TenantKey, _: &CategoryKey) -> StoreResult<Option<Category>> {
            down()
        }
        async fn insert_category(&self, _: &Category) -> StoreResult<()> {
            down()
        }
        async fn update_category(&self, _: &Category) -> StoreResult<()> {
            down()
        }
    }

    #[async_trait]
    impl AccountStore for FailingStore {
        async fn customer(&self, _: &TenantKey, _: CustomerId) -> StoreResult<Option<Customer>> {
            down()
        }
        async fn upsert_customer(&self, _: &Customer) -> StoreResult<Customer> {
            down()
        }
        async fn provision_customer(&self, _: &Customer) -> StoreResult<Customer> {
            down()
        }
        async fn register_customer(&self, _: &Customer, _: &Login) -> StoreResult<()> {
            down()
        }
        async fn agent(&self, _: &TenantKey, _: AgentId) -> StoreResult<Option<Agent>> {
            down()
        }
        async fn list_agents(&self, _: &TenantKey) -> StoreResult<Vec<Agent>> {
            down()
        }
        async fn insert_agent(&self, _: &Agent, _: &str) -> StoreResult<()> {
            down()
        }
        async fn update_agent(&self, _: &Agent, _: Option<&str>) -> StoreResult<()> {
            down()
        }
        async fn login(&self, _: &TenantKey, _: &Email) -> StoreResult<Option<Login>> {
            down()
        }
        async fn has_admin(&self, _: &TenantKey) -> StoreResult<bool> {
            down()
        }
    }

    #[async_trait]
    impl TenantStore for FailingStore {
        async fn ensure_tenant(&self, _: &TenantKey, _: &[Category]) -> StoreResult<bool> {
            down()
        }
        async fn policy(&self, _: &TenantKey) -> StoreResult<TenantPolicy> {
            down()
        }
        async fn save_policy(&self, _: &TenantKey, _: TenantPolicy) -> StoreResult<()> {
            down()
        }
        async fn ping(&self) -> StoreResult<()> {
            down()
        }
    }
}

impl Harness {
    /// The app over a store that always fails.
    pub fn failing() -> Self {
        let app = Arc::new(App::builder(Arc::new(FailingStore)).hasher(cheap_hasher()).build());
        Self::over(app, |_| {})
    }
}
