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
use supportdesk_app::{AccountStore, App, AppSettings, Argon2Hasher, NewAgent, Password, Principal, TrustStore};
use supportdesk_domain::{Agent, AgentId, Email, Permission, PersonName, Role, TenantKey};
use supportdesk_http::{
    configure_app, request_spans, ApiState, Claims, HttpConfig, JwtKeys, Metrics, RequestTelemetry,
};
use supportdesk_store_memory::MemoryStore;
use uuid::Uuid;

pub const SECRET: &[u8] = b"test-secret-that-is-long-enough-0123456789";

/// The app under test and what it was built from.
pub struct Harness {
    pub app: Arc<App>,
    pub state: ApiState,
    pub keys: JwtKeys,
    /// The memory store under the app (`None` for the failing store).
    pub store: Option<Arc<MemoryStore>>,
}

/// Runs a memory-store call to completion: it never waits, so one poll finishes it. Lets the
/// harness's synchronous helpers create the accounts their tokens stand for.
fn at_once<T>(future: impl std::future::Future<Output = T>) -> T {
    let mut future = std::pin::pin!(future);
    let mut context = std::task::Context::from_waker(std::task::Waker::noop());
    match future.as_mut().poll(&mut context) {
        std::task::Poll::Ready(value) => value,
        std::task::Poll::Pending => panic!("a memory store call waited"),
    }
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

pub fn cheap_hasher() -> Arc<Argon2Hasher> {
    Arc::new(Argon2Hasher::with_params(argon2::Params::new(1024, 1, 1, None).unwrap(), 4).unwrap())
}

impl Harness {
    pub fn new() -> Self {
        Self::with(|_| {}, AppSettings::default())
    }

    pub fn with(tune: impl FnOnce(&mut HttpConfig), settings: AppSettings) -> Self {
        let store = Arc::new(MemoryStore::new());
        let app = Arc::new(App::builder(store.clone()).hasher(cheap_hasher()).settings(settings).build());
        let harness = Self::over(app, Some(store), tune);
        harness.tenant("default");
        harness
    }

    pub fn over(app: Arc<App>, store: Option<Arc<MemoryStore>>, tune: impl FnOnce(&mut HttpConfig)) -> Self {
        let keys = JwtKeys::new(SECRET).unwrap();
        let mut config = HttpConfig::default();
        tune(&mut config);
        let state = ApiState::new(app.clone(), keys.clone(), Arc::new(Metrics::new()), config);
        Self { app, state, keys, store }
    }

    /// Makes sure the tenant exists (with its default categories), as `supportdesk tenant
    /// create` does.
    pub fn tenant(&self, key: &str) -> TenantKey {
        let tenant = TenantKey::parse(key).unwrap();
        let store = self.store.as_ref().expect("a memory store");
        let categories = self.app.default_categories(&tenant);
        at_once(store.create_tenant(&tenant, key, tenant == TenantKey::default(), &categories)).unwrap();
        tenant
    }

    /// A staff account stored in the tenant (a staff token must stand for one), as a principal.
    fn staff(&self, tenant: &str, role: Role, permissions: &[Permission], name: &str) -> Principal {
        let tenant = self.tenant(tenant);
        let id = Uuid::now_v7();
        let now = time::OffsetDateTime::now_utc();
        let agent = Agent {
            id: AgentId::from_uuid(id),
            tenant: tenant.clone(),
            email: Email::parse(&format!("{}@staff.example", id.simple())).unwrap(),
            name: PersonName::parse(name).unwrap(),
            role,
            permissions: permissions.to_vec(),
            active: true,
            created_at: now,
            updated_at: now,
        };
        let store = self.store.as_ref().expect("a memory store");
        at_once(store.insert_agent(&agent, "not a password hash")).unwrap();
        let principal = match role {
            Role::Admin => Principal::admin(tenant, id),
            Role::Agent | Role::Customer => Principal::agent(tenant, id, permissions.to_vec()),
        };
        principal.named(name)
    }

    /// The app, exactly as the server builds it (`RequestTelemetry`, `request_spans` and
    /// `configure_app`).
    pub async fn service(
        &self,
    ) -> impl Service<actix_http::Request, Response = ServiceResponse<impl MessageBody>, Error = actix_web::Error> {
        let state = self.state.clone();
        test::init_service(
            ActixApp::new()
                .wrap(RequestTelemetry)
                .wrap(request_spans())
                .configure(move |cfg| configure_app(cfg, state)),
        )
        .await
    }

    pub fn customer(&self) -> Principal {
        Principal::customer(TenantKey::default(), Uuid::now_v7()).named("Alex")
    }

    pub fn customer_in(&self, tenant: &str) -> Principal {
        Principal::customer(self.tenant(tenant), Uuid::now_v7()).named("Alex")
    }

    pub fn agent(&self, permissions: &[Permission]) -> Principal {
        self.staff("default", Role::Agent, permissions, "Sam")
    }

    pub fn default_agent(&self) -> Principal {
        self.agent(Permission::AGENT_DEFAULTS)
    }

    pub fn admin(&self) -> Principal {
        self.staff("default", Role::Admin, &[], "Ada")
    }

    pub fn admin_in(&self, tenant: &str) -> Principal {
        self.staff(tenant, Role::Admin, &[], "Ada")
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
        AccountStore, AgentSession, ApiKey, CategoryFilter, CategoryKey, CategoryStore, IdempotencyKey,
        IdempotencyRecord, Login, Page, Secret, SigningKey, StoreResult, TenantRecord, TenantStore, TicketQuery,
        TicketStore, TicketSummary, TicketView, TrustStore, Visibility,
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
        async fn list_customers(
            &self,
            _: &TenantKey,
            _: &supportdesk_app::CustomerQuery,
        ) -> StoreResult<supportdesk_app::Page<Customer>> {
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
        async fn update_agent(&self, _: &Agent, _: Option<&str>, _: Option<OffsetDateTime>) -> StoreResult<()> {
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
    impl supportdesk_app::EventStore for FailingStore {
        async fn feed(
            &self,
            _: &TenantKey,
            _: Option<supportdesk_app::FeedPosition>,
            _: &[&'static str],
            _: usize,
        ) -> StoreResult<Vec<supportdesk_app::FeedEvent>> {
            down()
        }
    }

    #[async_trait]
    impl supportdesk_app::SlaStore for FailingStore {
        async fn insert_business_hours(&self, _: &supportdesk_app::BusinessHours) -> StoreResult<()> {
            down()
        }
        async fn business_hours(
            &self,
            _: &TenantKey,
            _: supportdesk_domain::BusinessHoursId,
        ) -> StoreResult<Option<supportdesk_app::BusinessHours>> {
            down()
        }
        async fn list_business_hours(&self, _: &TenantKey) -> StoreResult<Vec<supportdesk_app::BusinessHours>> {
            down()
        }
        async fn update_business_hours(&self, _: &supportdesk_app::BusinessHours) -> StoreResult<()> {
            down()
        }
        async fn delete_business_hours(
            &self,
            _: &TenantKey,
            _: supportdesk_domain::BusinessHoursId,
        ) -> StoreResult<bool> {
            down()
        }
        async fn insert_sla_policy(&self, _: &supportdesk_app::SlaPolicy) -> StoreResult<()> {
            down()
        }
        async fn sla_policy(
            &self,
            _: &TenantKey,
            _: supportdesk_domain::SlaPolicyId,
        ) -> StoreResult<Option<supportdesk_app::SlaPolicy>> {
            down()
        }
        async fn list_sla_policies(&self, _: &TenantKey) -> StoreResult<Vec<supportdesk_app::SlaPolicy>> {
            down()
        }
        async fn update_sla_policy(&self, _: &supportdesk_app::SlaPolicy) -> StoreResult<()> {
            down()
        }
        async fn delete_sla_policy(&self, _: &TenantKey, _: supportdesk_domain::SlaPolicyId) -> StoreResult<bool> {
            down()
        }
        async fn tickets_with_sla_alerts(&self, _: OffsetDateTime, _: usize) -> StoreResult<Vec<Ticket>> {
            down()
        }
        async fn report_facts(
            &self,
            _: &TenantKey,
            _: supportdesk_domain::ReportRange,
            _: supportdesk_domain::ReportGroupBy,
        ) -> StoreResult<supportdesk_domain::ReportFacts> {
            down()
        }
    }

    #[async_trait]
    impl supportdesk_app::WebhookStore for FailingStore {
        async fn insert_webhook(&self, _: &supportdesk_app::WebhookEndpoint) -> StoreResult<()> {
            down()
        }
        async fn webhook(&self, _: &TenantKey, _: uuid::Uuid) -> StoreResult<Option<supportdesk_app::WebhookEndpoint>> {
            down()
        }
        async fn list_webhooks(&self, _: &TenantKey) -> StoreResult<Vec<supportdesk_app::WebhookEndpoint>> {
            down()
        }
        async fn update_webhook(&self, _: &supportdesk_app::WebhookEndpoint) -> StoreResult<()> {
            down()
        }
        async fn disable_webhook(
            &self,
            _: &TenantKey,
            _: uuid::Uuid,
            _: time::OffsetDateTime,
            _: &supportdesk_app::TenantEvent,
        ) -> StoreResult<bool> {
            down()
        }
        async fn delete_webhook(&self, _: &TenantKey, _: uuid::Uuid) -> StoreResult<bool> {
            down()
        }
        async fn fan_out(&self, _: time::OffsetDateTime, _: usize) -> StoreResult<usize> {
            down()
        }
        async fn fan_out_leased(
            &self,
            _: time::OffsetDateTime,
            _: time::OffsetDateTime,
            _: usize,
            _: usize,
        ) -> StoreResult<Vec<supportdesk_app::ClaimedDelivery>> {
            down()
        }
        async fn claim_deliveries(
            &self,
            _: time::OffsetDateTime,
            _: time::OffsetDateTime,
            _: usize,
        ) -> StoreResult<Vec<supportdesk_app::ClaimedDelivery>> {
            down()
        }
        async fn pending_deliveries(&self) -> StoreResult<u64> {
            down()
        }
        async fn record_attempts(
            &self,
            _: &[(supportdesk_app::Delivery, bool)],
            _: time::OffsetDateTime,
        ) -> StoreResult<Vec<Option<time::OffsetDateTime>>> {
            down()
        }
        async fn list_deliveries(
            &self,
            _: &TenantKey,
            _: uuid::Uuid,
            _: Option<uuid::Uuid>,
            _: usize,
        ) -> StoreResult<Vec<supportdesk_app::Delivery>> {
            down()
        }
        async fn retry_delivery(
            &self,
            _: &TenantKey,
            _: uuid::Uuid,
            _: uuid::Uuid,
            _: time::OffsetDateTime,
        ) -> StoreResult<Option<supportdesk_app::Delivery>> {
            down()
        }
    }

    #[async_trait]
    impl supportdesk_app::MailStore for FailingStore {
        async fn mail_settings(&self, _: &TenantKey) -> StoreResult<Option<supportdesk_app::MailSettings>> {
            down()
        }
        async fn save_mail_settings(&self, _: &TenantKey, _: &supportdesk_app::MailSettings) -> StoreResult<()> {
            down()
        }
        async fn mail_template(
            &self,
            _: &TenantKey,
            _: supportdesk_app::NotificationKind,
        ) -> StoreResult<Option<supportdesk_app::MailTemplate>> {
            down()
        }
        async fn save_mail_template(&self, _: &TenantKey, _: &supportdesk_app::MailTemplate) -> StoreResult<()> {
            down()
        }
        async fn fan_out_mail(&self, _: time::OffsetDateTime, _: &[&'static str], _: usize) -> StoreResult<usize> {
            down()
        }
        async fn pending_mail(&self) -> StoreResult<u64> {
            down()
        }
        async fn claim_mail(
            &self,
            _: time::OffsetDateTime,
            _: time::OffsetDateTime,
            _: usize,
        ) -> StoreResult<Vec<supportdesk_app::ClaimedMail>> {
            down()
        }
        async fn record_mail_attempt(&self, _: &supportdesk_app::MailDelivery) -> StoreResult<()> {
            down()
        }
    }

    #[async_trait]
    impl supportdesk_app::MacroStore for FailingStore {
        async fn list_macros(&self, _: &TenantKey) -> StoreResult<Vec<supportdesk_app::Macro>> {
            down()
        }
        async fn macro_by_id(&self, _: &TenantKey, _: uuid::Uuid) -> StoreResult<Option<supportdesk_app::Macro>> {
            down()
        }
        async fn insert_macro(&self, _: &supportdesk_app::Macro) -> StoreResult<()> {
            down()
        }
        async fn update_macro(&self, _: &supportdesk_app::Macro) -> StoreResult<()> {
            down()
        }
        async fn delete_macro(&self, _: &TenantKey, _: uuid::Uuid) -> StoreResult<bool> {
            down()
        }
    }

    #[async_trait]
    impl supportdesk_app::JobStore for FailingStore {
        async fn ensure_jobs(&self, _: &[&'static str], _: time::OffsetDateTime) -> StoreResult<()> {
            down()
        }
        async fn claim_job(
            &self,
            _: &[&'static str],
            _: &str,
            _: time::OffsetDateTime,
            _: time::OffsetDateTime,
        ) -> StoreResult<Option<String>> {
            down()
        }
        async fn finish_job(&self, _: &str, _: &str, _: time::OffsetDateTime, _: Option<&str>) -> StoreResult<bool> {
            down()
        }
        async fn prune_idempotency_records(&self, _: time::OffsetDateTime) -> StoreResult<u64> {
            down()
        }
        async fn auto_close_candidates(
            &self,
            _: time::OffsetDateTime,
            _: usize,
        ) -> StoreResult<Vec<(TenantKey, supportdesk_domain::TicketId)>> {
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

    #[async_trait]
    impl TrustStore for FailingStore {
        async fn create_tenant(&self, _: &TenantKey, _: &str, _: bool, _: &[Category]) -> StoreResult<bool> {
            down()
        }
        async fn tenant(&self, _: &TenantKey) -> StoreResult<Option<TenantRecord>> {
            down()
        }
        async fn set_allow_registration(&self, _: &TenantKey, _: bool) -> StoreResult<()> {
            down()
        }
        async fn insert_signing_key(&self, _: &SigningKey) -> StoreResult<()> {
            down()
        }
        async fn signing_key(&self, _: &str) -> StoreResult<Option<SigningKey>> {
            down()
        }
        async fn list_signing_keys(&self, _: &TenantKey) -> StoreResult<Vec<SigningKey>> {
            down()
        }
        async fn delete_signing_key(&self, _: &TenantKey, _: &str) -> StoreResult<bool> {
            down()
        }
        async fn insert_api_key(&self, _: &ApiKey, _: &str) -> StoreResult<()> {
            down()
        }
        async fn api_key_by_hash(&self, _: &str) -> StoreResult<Option<ApiKey>> {
            down()
        }
        async fn list_api_keys(&self, _: &TenantKey) -> StoreResult<Vec<ApiKey>> {
            down()
        }
        async fn delete_api_key(&self, _: &TenantKey, _: Uuid) -> StoreResult<bool> {
            down()
        }
        async fn touch_api_key(&self, _: &TenantKey, _: Uuid, _: OffsetDateTime) -> StoreResult<()> {
            down()
        }
        async fn revoke_token(&self, _: &TenantKey, _: &str, _: OffsetDateTime) -> StoreResult<()> {
            down()
        }
        async fn is_token_revoked(&self, _: &str) -> StoreResult<bool> {
            down()
        }
        async fn prune_revoked_tokens(&self, _: OffsetDateTime) -> StoreResult<u64> {
            down()
        }
        async fn service_secret(&self, _: &str, _: &Secret) -> StoreResult<Secret> {
            down()
        }
        async fn agent_session(&self, _: &TenantKey, _: AgentId) -> StoreResult<Option<AgentSession>> {
            down()
        }
        async fn revoke_agent_sessions(&self, _: &TenantKey, _: AgentId, _: OffsetDateTime) -> StoreResult<()> {
            down()
        }
    }
}

impl Harness {
    /// The app over a store that always fails.
    pub fn failing() -> Self {
        let app = Arc::new(App::builder(Arc::new(FailingStore)).hasher(cheap_hasher()).build());
        Self::over(app, None, |_| {})
    }
}
