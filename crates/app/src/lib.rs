//! # supportdesk-app
//!
//! The ports supportdesk needs from the world (stores, clock, password hasher) and one use
//! case per operation of the HTTP API, as methods of [`App`]. Authorization (role,
//! permission, tenant) is checked here, so an embedder gets the same guarantees as the HTTP
//! service.
//!
//! ```
//! use std::sync::Arc;
//! use supportdesk_app::{App, CategoryKey, OpenTicketInput, Principal};
//! use supportdesk_domain::*;
//! use supportdesk_store_memory::MemoryStore;
//!
//! # tokio_test_runtime(async {
//! let app = App::builder(Arc::new(MemoryStore::new())).build();
//! let alex = Principal::customer(TenantKey::default(), uuid::Uuid::now_v7()).named("Alex");
//! let input = OpenTicketInput::new(
//!     CategoryKey::parse("order").unwrap(),
//!     Description::parse("My parcel never arrived. It was due on Monday.").unwrap(),
//! );
//! let created = app.open_ticket(&alex, input, None).await.unwrap();
//! assert_eq!(created.value.summary.ticket.number.get(), 1);
//! assert_eq!(created.value.summary.ticket.subject.as_str(), "My parcel never arrived.");
//! # });
//! # fn tokio_test_runtime(f: impl std::future::Future<Output = ()>) {
//! #     tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(f)
//! # }
//! ```

mod accounts;
mod auth;
mod cache;
mod categories;
mod cursor;
mod error;
mod feed;
mod jobs;
mod macros;
mod mail;
mod model;
mod password;
mod ports;
mod reports;
mod satisfaction;
mod search;
mod sla;
mod tickets;
mod tokens;
mod trust;
mod webhooks;

#[cfg(feature = "testkit")]
pub mod testkit;

use std::collections::HashSet;
use std::sync::{Arc, RwLock};

use supportdesk_domain::{
    AgentId, Category, CategoryId, CategoryName, IdSource, Slug, TenantKey, UuidV7, DEFAULT_CATEGORIES,
};

use crate::cache::TtlCache;

pub use accounts::{AgentPatch, AuthenticatedUser, CustomerProfile, NewAgent, Password, RegisterInput};
pub use auth::{Credential, Principal};
pub use categories::{CategoryPatch, NewCategory};
pub use cursor::{CursorPoint, CursorScope, CursorSigner, CursorValue};
pub use error::{AppError, FieldError, Missing, Refusal, StoreError, Taken, Validator};
pub use feed::{
    event_kinds, public_event_type, FeedEvent, FeedItem, FeedPage, FeedPosition, FeedRequest, TenantEvent,
    TenantEventData, TicketFeedEvent, TicketSnapshot, TENANT_EVENT_KINDS, TICKET_EVENT_KINDS,
};
pub use jobs::{
    standard_jobs, AutoCloseJob, Job, JobReport, JobRunner, PruneIdempotencyJob, PruneRevokedTokensJob, SlaBreachJob,
    AUTO_CLOSE_BATCH,
};
pub use macros::{render_macro_body, Macro, MacroInput, MacroPatch, MacroValues, MACRO_NAME_MAX, MACRO_VARIABLES};
pub use mail::{
    notification_kinds, ClaimedMail, MailContext, MailDelivery, MailSettings, MailTemplate, Mailer, NotificationKind,
    OutgoingMail, RenderedMail, TemplateRenderer, MAIL_EVENT_KINDS,
};
pub use model::{
    AssigneeFilter, CategoryFilter, CategoryKey, CategorySummary, CustomerPosition, CustomerQuery, Idempotency,
    IdempotencyKey, IdempotencyRecord, Login, Page, PageRequest, PersonSummary, SortKey, TicketEvent, TicketPosition,
    TicketQuery, TicketSort, TicketSummary, TicketView, Visibility,
};
pub use password::{Argon2Hasher, HashShare};
pub use ports::{
    AccountStore, AdjustableClock, CategoryStore, Clock, EventStore, JobStore, MacroStore, MailStore, PasswordHasher,
    SlaStore, Store, StoreResult, SystemClock, TenantStore, TicketStore, TrustStore, WebhookStore,
};
pub use reports::{ReportQuery, ReportSummary};
pub use search::{match_of, MatchField, SearchDocument, SearchMatch, SearchText, SNIPPET_CHARS};
pub use sla::{
    date_text, parse_date, storage as sla_storage, BusinessHours, BusinessHoursInput, SlaPolicy, SlaPolicyInput,
    MAX_SLA_MINUTES,
};
pub use tickets::{AgentReplyInput, OpenTicketInput, Outcome, ReplyResult, TriageInput};
pub use tokens::{LoginThrottle, TokenAuthority, VerifiedToken};
pub use trust::{
    token_hash, AgentSession, ApiKey, IssuedApiKey, NewApiKey, Secret, SigningKey, TenantRecord, TenantSettings,
    TokenFacts, API_KEY_PREFIX, ISSUER_CLOCK_SKEW_SECS,
};
pub use webhooks::{
    next_attempt, ClaimedDelivery, Delivery, DeliveryStatus, EventEncoder, EventSelection, IssuedWebhook, SendOutcome,
    SentWebhook, WebhookAttempt, WebhookEndpoint, WebhookInput, WebhookRequest, WebhookSecret, WebhookSender,
    WebhookSettings, WebhookUrl, RETRY_SCHEDULE, WEBHOOK_SECRET_PREFIX,
};

/// Settings of the application itself (not of a tenant).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AppSettings {
    /// Whether `register` creates customer accounts (`SUPPORTDESK_ALLOW_REGISTRATION`); a
    /// tenant's own `allowRegistration` applies under it.
    pub allow_registration: bool,
    /// How long this process believes what it read about a tenant, a signing key, an API
    /// key, an agent's sessions or a logged-out token (default 2 seconds): a revocation made
    /// through another server process takes effect here within this time.
    pub revocation_check_interval: std::time::Duration,
}

impl Default for AppSettings {
    fn default() -> Self {
        Self { allow_registration: true, revocation_check_interval: std::time::Duration::from_secs(2) }
    }
}

/// The use cases, over the ports given at construction. Cheap to share: wrap it in an `Arc`.
pub struct App {
    tickets: Arc<dyn TicketStore>,
    categories: Arc<dyn CategoryStore>,
    accounts: Arc<dyn AccountStore>,
    tenants: Arc<dyn TenantStore>,
    trust: Arc<dyn TrustStore>,
    events: Arc<dyn EventStore>,
    webhooks: Arc<dyn WebhookStore>,
    mail: Arc<dyn MailStore>,
    sla: Arc<dyn SlaStore>,
    jobs: Arc<dyn JobStore>,
    macros: Arc<dyn MacroStore>,
    /// How mail is rendered and sent; `None` until the embedder gives them.
    mail_parts: Option<mail::MailParts>,
    /// How deliveries are sent and encoded; `None` until the embedder gives them.
    webhook_parts: Option<webhooks::WebhookParts>,
    hasher: Arc<dyn PasswordHasher>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdSource>,
    settings: AppSettings,
    /// Where users reach the service, without a trailing slash (for links in mail).
    public_url: Option<String>,
    /// What this process last read about tenants, keys, sessions and logged-out tokens;
    /// each entry is believed for `settings.revocation_check_interval`.
    tenant_cache: TtlCache<TenantKey, Option<TenantRecord>>,
    signing_key_cache: TtlCache<String, Option<SigningKey>>,
    api_key_cache: TtlCache<String, Option<ApiKey>>,
    api_key_touches: TtlCache<uuid::Uuid, ()>,
    session_cache: TtlCache<(TenantKey, AgentId), Option<AgentSession>>,
    revoked_cache: TtlCache<String, bool>,
    /// Registration's share of the hasher, so sign-ups cannot starve logins.
    registration_hashing: HashShare,
    /// Tenants known to exist, so `ensure_tenant` runs once per tenant and process.
    known_tenants: RwLock<HashSet<TenantKey>>,
    /// Customers known to be provisioned, so JIT provisioning runs once per customer.
    known_customers: RwLock<HashSet<(TenantKey, uuid::Uuid)>>,
    /// The signer of list cursors, made from the store's `list-cursors` secret on first use.
    cursor_signer: tokio::sync::OnceCell<cursor::CursorSigner>,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App").field("settings", &self.settings).finish_non_exhaustive()
    }
}

/// Builds an [`App`]: a store is required, everything else has a production default.
pub struct AppBuilder {
    tickets: Arc<dyn TicketStore>,
    categories: Arc<dyn CategoryStore>,
    accounts: Arc<dyn AccountStore>,
    tenants: Arc<dyn TenantStore>,
    trust: Arc<dyn TrustStore>,
    events: Arc<dyn EventStore>,
    webhooks: Arc<dyn WebhookStore>,
    mail: Arc<dyn MailStore>,
    sla: Arc<dyn SlaStore>,
    jobs: Arc<dyn JobStore>,
    macros: Arc<dyn MacroStore>,
    mail_parts: Option<mail::MailParts>,
    webhook_parts: Option<webhooks::WebhookParts>,
    hasher: Option<Arc<dyn PasswordHasher>>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdSource>,
    settings: AppSettings,
    public_url: Option<String>,
    registration_hashing: HashShare,
}

impl AppBuilder {
    /// How many registrations may hash a password at once, and how long one waits for its
    /// turn before answering [`AppError::Busy`] (default: [`HashShare::REGISTRATION_DEFAULT`],
    /// one at a time, 2 seconds). Keep it below the hasher's own concurrency, so logins
    /// always have a permit.
    #[must_use]
    pub fn registration_hashing(mut self, concurrent: usize, wait: std::time::Duration) -> Self {
        self.registration_hashing = HashShare::new(concurrent, wait);
        self
    }

    /// Use this password hasher (default: [`Argon2Hasher`] with OWASP parameters, 2 at once).
    #[must_use]
    pub fn hasher(mut self, hasher: Arc<dyn PasswordHasher>) -> Self {
        self.hasher = Some(hasher);
        self
    }

    /// Use this clock (default: [`SystemClock`]).
    #[must_use]
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Use this id source (default: [`UuidV7`]).
    #[must_use]
    pub fn ids(mut self, ids: Arc<dyn IdSource>) -> Self {
        self.ids = ids;
        self
    }

    /// Deliver webhooks with `sender`, bodies written by `encoder` (without them the webhook
    /// use cases answer `Internal`).
    #[must_use]
    pub fn webhooks(
        mut self,
        sender: Arc<dyn WebhookSender>,
        encoder: Arc<dyn EventEncoder>,
        settings: WebhookSettings,
    ) -> Self {
        self.webhook_parts = Some(webhooks::WebhookParts { sender, encoder, settings });
        self
    }

    /// Send notification mail with `mailer`, rendered by `renderer` (without them the mail
    /// use cases answer `Internal`).
    #[must_use]
    pub fn mail(mut self, mailer: Arc<dyn Mailer>, renderer: Arc<dyn TemplateRenderer>) -> Self {
        self.mail_parts = Some(mail::MailParts { mailer, renderer });
        self
    }

    /// Where users reach the service (`https://desk.example.com`): links in notification
    /// mail (`ticket.url`) are absolute under it. Without it they are paths.
    #[must_use]
    pub fn public_url(mut self, url: Option<&str>) -> Self {
        self.public_url = url.map(|url| url.trim().trim_end_matches('/').to_owned()).filter(|url| !url.is_empty());
        self
    }

    /// Use these settings.
    #[must_use]
    pub fn settings(mut self, settings: AppSettings) -> Self {
        self.settings = settings;
        self
    }

    /// The application.
    pub fn build(self) -> App {
        let hasher = self.hasher.unwrap_or_else(|| match Argon2Hasher::new(2) {
            Ok(hasher) => Arc::new(hasher),
            Err(_) => Arc::new(accounts::RefusingHasher),
        });
        let ttl = trust::cache_ttl(&self.settings);
        App {
            tickets: self.tickets,
            categories: self.categories,
            accounts: self.accounts,
            tenants: self.tenants,
            trust: self.trust,
            events: self.events,
            webhooks: self.webhooks,
            mail: self.mail,
            sla: self.sla,
            jobs: self.jobs,
            macros: self.macros,
            mail_parts: self.mail_parts,
            webhook_parts: self.webhook_parts,
            hasher,
            tenant_cache: TtlCache::new(ttl, 10_000),
            signing_key_cache: TtlCache::new(ttl, 10_000),
            api_key_cache: TtlCache::new(ttl, 10_000),
            api_key_touches: TtlCache::new(std::time::Duration::from_secs(60), 10_000),
            session_cache: TtlCache::new(ttl, 50_000),
            revoked_cache: TtlCache::new(ttl, 100_000),
            clock: self.clock,
            ids: self.ids,
            settings: self.settings,
            public_url: self.public_url,
            registration_hashing: self.registration_hashing,
            known_tenants: RwLock::new(HashSet::new()),
            known_customers: RwLock::new(HashSet::new()),
            cursor_signer: tokio::sync::OnceCell::new(),
        }
    }
}

impl App {
    /// Starts building an app over `store`, an adapter that implements every store port.
    pub fn builder<S: Store + 'static>(store: Arc<S>) -> AppBuilder {
        AppBuilder {
            tickets: store.clone(),
            categories: store.clone(),
            accounts: store.clone(),
            tenants: store.clone(),
            trust: store.clone(),
            events: store.clone(),
            webhooks: store.clone(),
            mail: store.clone(),
            sla: store.clone(),
            jobs: store.clone(),
            macros: store,
            mail_parts: None,
            webhook_parts: None,
            hasher: None,
            clock: Arc::new(SystemClock),
            ids: Arc::new(UuidV7),
            settings: AppSettings::default(),
            public_url: None,
            registration_hashing: HashShare::new(HashShare::REGISTRATION_DEFAULT.0, HashShare::REGISTRATION_DEFAULT.1),
        }
    }

    /// The time now, by the application's clock (a test clock in tests).
    pub fn now(&self) -> time::OffsetDateTime {
        self.clock.now()
    }

    /// The application's settings.
    pub fn settings(&self) -> AppSettings {
        self.settings
    }

    /// The customer portal's page of ticket `number`: absolute under the public URL when
    /// one is set, else the path.
    pub fn portal_ticket_url(&self, number: i64) -> String {
        format!("{}/portal/tickets/{number}", self.public_url.as_deref().unwrap_or(""))
    }

    /// Whether the store answers.
    ///
    /// # Errors
    ///
    /// [`AppError::Internal`] with the store's failure.
    pub async fn ready(&self) -> Result<(), AppError> {
        Ok(self.tenants.ping().await?)
    }

    /// The six default categories, as a new tenant gets them.
    pub fn default_categories(&self, tenant: &TenantKey) -> Vec<Category> {
        DEFAULT_CATEGORIES
            .iter()
            .zip(0..)
            .filter_map(|((slug, name), position)| {
                Some(Category {
                    id: CategoryId::from_uuid(self.ids.next_uuid()),
                    tenant: tenant.clone(),
                    slug: Slug::parse(slug).ok()?,
                    name: CategoryName::parse(name).ok()?,
                    parent_id: None,
                    active: true,
                    position,
                })
            })
            .collect()
    }

    /// Makes sure the tenant exists (with its default categories), once per process.
    ///
    /// # Errors
    ///
    /// [`AppError::Internal`] when the store fails.
    pub async fn ensure_tenant(&self, tenant: &TenantKey) -> Result<(), AppError> {
        let known = self.known_tenants.read().map(|set| set.contains(tenant)).unwrap_or(false);
        if known {
            return Ok(());
        }
        let allow_registration = *tenant == TenantKey::default();
        self.trust.create_tenant(tenant, tenant.as_str(), allow_registration, &self.default_categories(tenant)).await?;
        self.tenant_cache.forget(tenant);
        if let Ok(mut set) = self.known_tenants.write() {
            set.insert(tenant.clone());
        }
        Ok(())
    }
}
