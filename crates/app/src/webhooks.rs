//! Webhooks: endpoints a tenant subscribes, the deliveries of the feed's events to them,
//! signed with Standard Webhooks, retried with backoff and jitter for about 24 hours, and
//! the rule that disables an endpoint that has failed everything for a day.
//!
//! The use cases here decide; the store ([`WebhookStore`](crate::WebhookStore)) keeps the
//! endpoints and deliveries and hands out due deliveries under a lease; the sender
//! ([`WebhookSender`]) does the HTTP; the encoder ([`EventEncoder`]) writes the public body.
//! A background loop (the server's, or an embedder's) calls [`App::fan_out_webhooks`] and
//! [`App::deliver_webhooks`].

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use rand::{Rng, RngCore};
use sha2::Sha256;
use supportdesk_domain::{Actor, EventId, Permission, TenantKey};
use time::OffsetDateTime;
use tracing::instrument;
use uuid::Uuid;

use crate::auth::Principal;
use crate::error::{AppError, FieldError, Missing};
use crate::feed::{event_kinds, public_event_type, FeedEvent, TenantEvent, TenantEventData};
use crate::App;

/// The prefix of every webhook secret.
pub const WEBHOOK_SECRET_PREFIX: &str = "whsec_";

/// An endpoint's signing secret: `whsec_` and the base64 of 24 random bytes. `Debug`
/// never prints it.
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookSecret(String);

impl std::fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WebhookSecret([redacted])")
    }
}

impl WebhookSecret {
    /// A fresh secret.
    pub fn generate() -> Self {
        let mut key = [0_u8; 24];
        rand::thread_rng().fill_bytes(&mut key);
        Self(format!("{WEBHOOK_SECRET_PREFIX}{}", STANDARD.encode(key)))
    }

    /// A stored secret.
    ///
    /// # Errors
    ///
    /// When it is not `whsec_` and base64 of at least 24 bytes.
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let secret = Self(raw.to_owned());
        match secret.key() {
            Some(key) if key.len() >= 24 => Ok(secret),
            _ => Err(FieldError { field: "secret".into(), message: "is not a whsec_ secret".into() }),
        }
    }

    /// The whole secret, as shown once to the admin and stored.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The HMAC key: the base64-decoded part after `whsec_`.
    fn key(&self) -> Option<Vec<u8>> {
        STANDARD.decode(self.0.strip_prefix(WEBHOOK_SECRET_PREFIX)?).ok()
    }

    /// The Standard Webhooks signature of one delivery: `v1,` and the base64 HMAC-SHA256 of
    /// `{id}.{timestamp}.{body}`.
    pub fn sign(&self, id: &str, timestamp: i64, body: &[u8]) -> String {
        let key = self.key().unwrap_or_default();
        // HMAC takes a key of any length, so this cannot fail.
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&key) else {
            return String::new();
        };
        mac.update(id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
    }
}

/// An endpoint's URL: absolute `http` or `https`, with a host, no credentials, at most
/// 2,000 characters. Whether its host may be reached is the sender's check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookUrl(String);

impl WebhookUrl {
    /// Parses a URL.
    ///
    /// # Errors
    ///
    /// A [`FieldError`] on `url`.
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let bad = |message: &str| FieldError { field: "url".into(), message: message.into() };
        let raw = raw.trim();
        if raw.len() > 2000 {
            return Err(bad("must be at most 2000 characters"));
        }
        let rest = raw
            .strip_prefix("https://")
            .or_else(|| raw.strip_prefix("http://"))
            .ok_or_else(|| bad("must be an absolute http or https URL"))?;
        let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
        if authority.is_empty() {
            return Err(bad("must name a host"));
        }
        if authority.contains('@') {
            return Err(bad("must not carry credentials"));
        }
        if raw.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(bad("must not contain spaces"));
        }
        Ok(Self(raw.to_owned()))
    }

    /// The URL.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The event types an endpoint wants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventSelection {
    /// Every type (`["*"]`).
    All,
    /// These kinds (as [`supportdesk_domain::EventData::kind`] names them).
    Only(Vec<&'static str>),
}

impl EventSelection {
    /// Parses the public list (`["ticket.created", ...]` or `["*"]`).
    ///
    /// # Errors
    ///
    /// A [`FieldError`] on `events` for an empty list or an unknown type.
    pub fn parse(types: &[String]) -> Result<Self, FieldError> {
        let bad = |message: String| FieldError { field: "events".into(), message };
        if types.is_empty() {
            return Err(bad("must name at least one event type, or \"*\"".into()));
        }
        if types.iter().any(|t| t == "*") {
            return Ok(EventSelection::All);
        }
        let mut kinds = Vec::new();
        for raw in types {
            let kind = event_kinds()
                .find(|k| public_event_type(k) == raw.trim())
                .ok_or_else(|| bad(format!("`{raw}` is not an event type")))?;
            if !kinds.contains(&kind) {
                kinds.push(kind);
            }
        }
        Ok(EventSelection::Only(kinds))
    }

    /// The public list.
    pub fn to_public(&self) -> Vec<String> {
        match self {
            EventSelection::All => vec!["*".to_owned()],
            EventSelection::Only(kinds) => kinds.iter().map(|k| public_event_type(k)).collect(),
        }
    }

    /// The kinds to keep, empty for all.
    pub fn kinds(&self) -> &[&'static str] {
        match self {
            EventSelection::All => &[],
            EventSelection::Only(kinds) => kinds,
        }
    }
}

/// A subscribed endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookEndpoint {
    /// Its id.
    pub id: Uuid,
    /// Its tenant.
    pub tenant: TenantKey,
    /// Where deliveries go.
    pub url: WebhookUrl,
    /// What it receives.
    pub events: EventSelection,
    /// Whether deliveries are made (an endpoint disabled by the failure rule is inactive).
    pub active: bool,
    /// The admin's note.
    pub description: String,
    /// The signing secret.
    pub secret: WebhookSecret,
    /// Since when every attempt failed (none since the last success), if failing.
    pub failing_since: Option<OffsetDateTime>,
    /// When the failure rule disabled it, if it did.
    pub disabled_at: Option<OffsetDateTime>,
    /// When it was made.
    pub created_at: OffsetDateTime,
    /// When it last changed.
    pub updated_at: OffsetDateTime,
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeliveryStatus {
    /// Not delivered yet; will be tried (again).
    Pending,
    /// A 2xx answered.
    Succeeded,
    /// Every attempt failed.
    Failed,
}

impl DeliveryStatus {
    /// Its wire name.
    pub const fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Succeeded => "succeeded",
            DeliveryStatus::Failed => "failed",
        }
    }

    /// Reads a wire name.
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "pending" => Some(DeliveryStatus::Pending),
            "succeeded" => Some(DeliveryStatus::Succeeded),
            "failed" => Some(DeliveryStatus::Failed),
            _ => None,
        }
    }
}

/// One event to one endpoint, with its attempts so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// Its id (time-ordered).
    pub id: Uuid,
    /// Its tenant.
    pub tenant: TenantKey,
    /// The endpoint.
    pub endpoint_id: Uuid,
    /// The event (also the `webhook-id`).
    pub event_id: Uuid,
    /// Attempts made.
    pub attempts: i32,
    /// Where it stands.
    pub status: DeliveryStatus,
    /// The last attempt's HTTP status, if one came back.
    pub response_status: Option<i32>,
    /// How long the last attempt took.
    pub duration_ms: Option<i64>,
    /// Why the last attempt failed, if it did.
    pub error: Option<String>,
    /// When it is tried next (pending only).
    pub next_attempt_at: Option<OffsetDateTime>,
    /// When it was made.
    pub created_at: OffsetDateTime,
}

/// A due delivery handed to one process under a lease, with what sending it needs.
#[derive(Debug, Clone)]
pub struct ClaimedDelivery {
    /// The delivery.
    pub delivery: Delivery,
    /// Its endpoint.
    pub endpoint: WebhookEndpoint,
    /// Its event.
    pub event: FeedEvent,
}

/// What an HTTP attempt gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendOutcome {
    /// The status, when a response came.
    pub status: Option<u16>,
    /// How long it took.
    pub duration: Duration,
    /// Why it failed, when it did not get a response (timeout, refused, redirect ...) or the
    /// start of a non-2xx body.
    pub error: Option<String>,
}

impl SendOutcome {
    /// Whether a 2xx came back.
    pub fn succeeded(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }
}

/// One HTTP `POST` to an endpoint.
#[derive(Debug, Clone)]
pub struct WebhookRequest {
    /// Where.
    pub url: WebhookUrl,
    /// `webhook-id`.
    pub id: String,
    /// `webhook-timestamp`.
    pub timestamp: i64,
    /// `webhook-signature`.
    pub signature: String,
    /// The JSON body.
    pub body: Vec<u8>,
}

/// Sends webhook requests (the `notify` crate's adapter in the server).
#[async_trait]
pub trait WebhookSender: Send + Sync {
    /// Whether the URL's host may be delivered to (SSRF rules after DNS resolution).
    ///
    /// # Errors
    ///
    /// Why not, in words a user can act on.
    async fn check_destination(&self, url: &WebhookUrl) -> Result<(), String>;

    /// Posts the request once: no redirects followed, a timeout, the response body read to
    /// a few KiB at most. A refused destination is an outcome with an error, not a panic.
    async fn send(&self, request: &WebhookRequest) -> SendOutcome;
}

/// Writes the public form of events (the HTTP layer's `EventV1`), so that the feed and the
/// deliveries show the same shape.
pub trait EventEncoder: Send + Sync {
    /// The JSON body of a delivery of `event`.
    fn encode(&self, event: &FeedEvent) -> Vec<u8>;

    /// The JSON body of a ping to `endpoint`.
    fn ping(&self, endpoint: &WebhookEndpoint, id: Uuid, at: OffsetDateTime) -> Vec<u8>;
}

/// How webhooks behave; the operator's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookSettings {
    /// How long a delivery may be claimed by one process before another may take it.
    pub lease: Duration,
    /// An endpoint failing every delivery this long is disabled (24 hours).
    pub disable_after: Duration,
    /// The waits between attempts, before jitter.
    pub schedule: Vec<Duration>,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        Self {
            lease: Duration::from_secs(60),
            disable_after: Duration::from_secs(24 * 3600),
            schedule: RETRY_SCHEDULE.to_vec(),
        }
    }
}

/// The waits after each failed attempt: 5 s, 30 s, 2 min, 10 min, 30 min, 1 h, 2 h, 4 h,
/// 8 h, 8 h — eleven attempts over about 24 hours.
pub const RETRY_SCHEDULE: [Duration; 10] = [
    Duration::from_secs(5),
    Duration::from_secs(30),
    Duration::from_secs(120),
    Duration::from_secs(600),
    Duration::from_secs(1800),
    Duration::from_secs(3600),
    Duration::from_secs(7200),
    Duration::from_secs(4 * 3600),
    Duration::from_secs(8 * 3600),
    Duration::from_secs(8 * 3600),
];

/// When to try again after `attempts` failed attempts: the schedule's wait with ±20 %
/// jitter (so endpoints that failed together are not retried in lockstep), or `None` when
/// the schedule is spent.
pub fn next_attempt(schedule: &[Duration], attempts: i32, now: OffsetDateTime) -> Option<OffsetDateTime> {
    let index = usize::try_from(attempts).ok()?.checked_sub(1)?;
    let wait = schedule.get(index)?;
    let factor = rand::thread_rng().gen_range(0.8..1.2);
    Some(now + wait.mul_f64(factor))
}

/// What an admin gives to subscribe or change an endpoint.
#[derive(Debug, Clone, Default)]
pub struct WebhookInput {
    /// The URL.
    pub url: Option<WebhookUrl>,
    /// The types.
    pub events: Option<EventSelection>,
    /// Active or not.
    pub active: Option<bool>,
    /// The note.
    pub description: Option<String>,
}

/// A new endpoint, or one with a new secret: the only time the secret is shown.
#[derive(Debug, Clone)]
pub struct IssuedWebhook {
    /// The endpoint.
    pub endpoint: WebhookEndpoint,
}

/// A delivery leased for one attempt, from [`App::claim_webhook_attempts`] or
/// [`App::fan_out_webhook_attempts`].
#[derive(Debug)]
pub struct WebhookAttempt {
    claim: ClaimedDelivery,
    lease_until: OffsetDateTime,
}

impl WebhookAttempt {
    /// When its lease runs out: after that another process may send it too.
    pub fn lease_until(&self) -> OffsetDateTime {
        self.lease_until
    }
}

/// A claimed delivery after its attempt, to record with [`App::record_webhook_attempts`].
#[derive(Debug)]
pub struct SentWebhook {
    claim: ClaimedDelivery,
    outcome: SendOutcome,
}

impl SentWebhook {
    /// What the attempt gave.
    pub fn outcome(&self) -> &SendOutcome {
        &self.outcome
    }

    /// How long after its event the attempt ended, if it ended at `now`: the delay a
    /// receiver saw (zero when the clock says the event is later).
    pub fn delay(&self, now: OffsetDateTime) -> Duration {
        Duration::try_from(now - self.claim.event.item.occurred_at()).unwrap_or_default()
    }
}

/// The delivery after an attempt with `outcome` at `now`.
fn attempted(schedule: &[Duration], mut delivery: Delivery, outcome: SendOutcome, now: OffsetDateTime) -> Delivery {
    delivery.attempts += 1;
    delivery.response_status = outcome.status.map(i32::from);
    delivery.duration_ms = Some(i64::try_from(outcome.duration.as_millis()).unwrap_or(i64::MAX));
    if outcome.succeeded() {
        delivery.status = DeliveryStatus::Succeeded;
        delivery.error = None;
        delivery.next_attempt_at = None;
    } else {
        delivery.error = Some(outcome.error.unwrap_or_else(|| "no 2xx response".into()));
        delivery.next_attempt_at = next_attempt(schedule, delivery.attempts, now);
        delivery.status =
            if delivery.next_attempt_at.is_some() { DeliveryStatus::Pending } else { DeliveryStatus::Failed };
    }
    delivery
}

/// The webhook parts of the app: the sender, the encoder, the settings.
pub(crate) struct WebhookParts {
    pub(crate) sender: Arc<dyn WebhookSender>,
    pub(crate) encoder: Arc<dyn EventEncoder>,
    pub(crate) settings: WebhookSettings,
}

impl App {
    fn webhook_parts(&self) -> Result<&WebhookParts, AppError> {
        self.webhook_parts
            .as_ref()
            .ok_or_else(|| AppError::Internal("webhooks are not configured in this process".into()))
    }

    async fn check_url(&self, url: &WebhookUrl) -> Result<(), AppError> {
        let parts = self.webhook_parts()?;
        parts
            .sender
            .check_destination(url)
            .await
            .map_err(|message| AppError::Validation(vec![FieldError { field: "url".into(), message }]))
    }

    /// The tenant's endpoints (permission `settings:manage`).
    ///
    /// # Errors
    ///
    /// `Forbidden`.
    pub async fn list_webhooks(&self, principal: &Principal) -> Result<Vec<WebhookEndpoint>, AppError> {
        principal.require(Permission::SettingsManage)?;
        Ok(self.webhooks.list_webhooks(&principal.tenant).await?)
    }

    /// One endpoint.
    ///
    /// # Errors
    ///
    /// `Forbidden`, `NotFound`.
    pub async fn get_webhook(&self, principal: &Principal, id: Uuid) -> Result<WebhookEndpoint, AppError> {
        principal.require(Permission::SettingsManage)?;
        self.webhooks.webhook(&principal.tenant, id).await?.ok_or(AppError::NotFound(Missing::Webhook))
    }

    /// Subscribes an endpoint with a fresh secret; it receives the events committed from
    /// now on.
    ///
    /// # Errors
    ///
    /// `Forbidden`; `Validation` for a missing URL or types, or a destination the SSRF rules
    /// refuse.
    #[instrument(skip_all, fields(tenant = %principal.tenant))]
    pub async fn create_webhook(&self, principal: &Principal, input: WebhookInput) -> Result<IssuedWebhook, AppError> {
        principal.require(Permission::SettingsManage)?;
        let mut missing = Vec::new();
        if input.url.is_none() {
            missing.push(FieldError { field: "url".into(), message: "is required".into() });
        }
        if input.events.is_none() {
            missing.push(FieldError { field: "events".into(), message: "is required".into() });
        }
        let (Some(url), Some(events)) = (input.url, input.events) else {
            return Err(AppError::Validation(missing));
        };
        self.check_url(&url).await?;
        let now = self.clock.now();
        let endpoint = WebhookEndpoint {
            id: self.ids.next_uuid(),
            tenant: principal.tenant.clone(),
            url,
            events,
            active: input.active.unwrap_or(true),
            description: input.description.unwrap_or_default(),
            secret: WebhookSecret::generate(),
            failing_since: None,
            disabled_at: None,
            created_at: now,
            updated_at: now,
        };
        self.webhooks.insert_webhook(&endpoint).await?;
        Ok(IssuedWebhook { endpoint })
    }

    /// Changes an endpoint; making it active again clears the failure record.
    ///
    /// # Errors
    ///
    /// `Forbidden`, `NotFound`, `Validation` as for create.
    #[instrument(skip_all, fields(tenant = %principal.tenant, webhook.id = %id))]
    pub async fn update_webhook(
        &self,
        principal: &Principal,
        id: Uuid,
        input: WebhookInput,
    ) -> Result<WebhookEndpoint, AppError> {
        let mut endpoint = self.get_webhook(principal, id).await?;
        if let Some(url) = input.url {
            self.check_url(&url).await?;
            endpoint.url = url;
        }
        if let Some(events) = input.events {
            endpoint.events = events;
        }
        if let Some(description) = input.description {
            endpoint.description = description;
        }
        if let Some(active) = input.active {
            if active && !endpoint.active {
                endpoint.failing_since = None;
                endpoint.disabled_at = None;
            }
            endpoint.active = active;
        }
        endpoint.updated_at = self.clock.now();
        self.webhooks.update_webhook(&endpoint).await?;
        Ok(endpoint)
    }

    /// Deletes an endpoint and its delivery log.
    ///
    /// # Errors
    ///
    /// `Forbidden`, `NotFound`.
    pub async fn delete_webhook(&self, principal: &Principal, id: Uuid) -> Result<(), AppError> {
        principal.require(Permission::SettingsManage)?;
        if self.webhooks.delete_webhook(&principal.tenant, id).await? {
            Ok(())
        } else {
            Err(AppError::NotFound(Missing::Webhook))
        }
    }

    /// Gives an endpoint a new secret (the old one stops signing at once).
    ///
    /// # Errors
    ///
    /// `Forbidden`, `NotFound`.
    pub async fn rotate_webhook_secret(&self, principal: &Principal, id: Uuid) -> Result<IssuedWebhook, AppError> {
        let mut endpoint = self.get_webhook(principal, id).await?;
        endpoint.secret = WebhookSecret::generate();
        endpoint.updated_at = self.clock.now();
        self.webhooks.update_webhook(&endpoint).await?;
        Ok(IssuedWebhook { endpoint })
    }

    /// Sends a signed `webhook.ping` to the endpoint now and reports what came back.
    ///
    /// # Errors
    ///
    /// `Forbidden`, `NotFound`.
    #[instrument(skip_all, fields(tenant = %principal.tenant, webhook.id = %id))]
    pub async fn ping_webhook(&self, principal: &Principal, id: Uuid) -> Result<SendOutcome, AppError> {
        let endpoint = self.get_webhook(principal, id).await?;
        let parts = self.webhook_parts()?;
        let now = self.clock.now();
        let ping_id = self.ids.next_uuid();
        let body = parts.encoder.ping(&endpoint, ping_id, now);
        let request = signed(&endpoint, &ping_id.to_string(), now, body);
        Ok(parts.sender.send(&request).await)
    }

    /// One page of an endpoint's deliveries, newest first, before `before` (a delivery id).
    ///
    /// # Errors
    ///
    /// `Forbidden`, `NotFound`.
    pub async fn list_deliveries(
        &self,
        principal: &Principal,
        endpoint: Uuid,
        before: Option<Uuid>,
        limit: usize,
    ) -> Result<Vec<Delivery>, AppError> {
        self.get_webhook(principal, endpoint).await?;
        Ok(self.webhooks.list_deliveries(&principal.tenant, endpoint, before, limit.clamp(1, 100)).await?)
    }

    /// Makes a delivery due now (again), whatever its state; a new failure follows the
    /// schedule from its attempt count.
    ///
    /// # Errors
    ///
    /// `Forbidden`, `NotFound`.
    pub async fn retry_delivery(
        &self,
        principal: &Principal,
        endpoint: Uuid,
        delivery: Uuid,
    ) -> Result<Delivery, AppError> {
        self.get_webhook(principal, endpoint).await?;
        self.webhooks
            .retry_delivery(&principal.tenant, endpoint, delivery, self.clock.now())
            .await?
            .ok_or(AppError::NotFound(Missing::Delivery))
    }

    /// How many webhook deliveries are pending, of every tenant: due, in flight, or waiting
    /// for a retry (the worker's queue depth, for monitoring).
    ///
    /// # Errors
    ///
    /// `Internal` when the store fails.
    pub async fn pending_webhook_deliveries(&self) -> Result<u64, AppError> {
        Ok(self.webhooks.pending_deliveries().await?)
    }

    /// Creates the deliveries of newly settled events for every active endpoint; returns how
    /// many. Safe to run in several processes at once.
    ///
    /// # Errors
    ///
    /// `Internal` when the store fails.
    pub async fn fan_out_webhooks(&self, limit: usize) -> Result<usize, AppError> {
        Ok(self.webhooks.fan_out(self.clock.now(), limit).await?)
    }

    /// Claims up to `limit` due deliveries, sends them concurrently and records their
    /// outcomes together; an endpoint failing every delivery for `disable_after` is
    /// disabled. Returns how many were attempted. It returns when the slowest of them is
    /// answered; a worker that should not wait for one slow endpoint drives
    /// [`App::claim_webhook_attempts`], [`App::send_webhook`] and
    /// [`App::record_webhook_attempts`] itself, as the server does.
    ///
    /// # Errors
    ///
    /// `Internal` when the store fails (the claimed deliveries are tried again when their
    /// lease runs out).
    pub async fn deliver_webhooks(&self, limit: usize) -> Result<usize, AppError> {
        let parts = self.webhook_parts()?;
        let claimed = self.claim_webhook_attempts(limit).await?;
        let count = claimed.len();
        let mut sends = tokio::task::JoinSet::new();
        for attempt in claimed {
            let request = self.signed_request(parts, &attempt.claim);
            let sender = parts.sender.clone();
            sends.spawn(async move {
                let outcome = sender.send(&request).await;
                SentWebhook { claim: attempt.claim, outcome }
            });
        }
        let mut sent = Vec::with_capacity(count);
        // A send task that panicked loses only its own outcome (its lease runs out).
        while let Some(joined) = sends.join_next().await {
            if let Ok(one) = joined {
                sent.push(one);
            }
        }
        self.record_webhook_attempts(sent).await?;
        Ok(count)
    }

    /// Claims up to `limit` due deliveries with a lease, each ready to send: nobody else
    /// sends them until their outcome is recorded or the lease runs out.
    ///
    /// ```no_run
    /// # async fn worker(app: std::sync::Arc<supportdesk_app::App>) -> Result<(), supportdesk_app::AppError> {
    /// // A rolling window: outcomes are recorded as their endpoints answer, a few at a time.
    /// let mut in_flight = tokio::task::JoinSet::new();
    /// for attempt in app.claim_webhook_attempts(64).await? {
    ///     let app = app.clone();
    ///     in_flight.spawn(async move { app.send_webhook(attempt).await });
    /// }
    /// while let Some(Ok(Ok(first))) = in_flight.join_next().await {
    ///     let mut done = vec![first];
    ///     while let Some(Ok(Ok(next))) = in_flight.try_join_next() {
    ///         done.push(next);
    ///     }
    ///     app.record_webhook_attempts(done).await?;
    /// }
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// `Internal` when webhooks are not configured or the store fails.
    pub async fn claim_webhook_attempts(&self, limit: usize) -> Result<Vec<WebhookAttempt>, AppError> {
        let parts = self.webhook_parts()?;
        let now = self.clock.now();
        let lease_until = now + parts.settings.lease;
        let claimed = self.webhooks.claim_deliveries(now, lease_until, limit).await?;
        Ok(claimed.into_iter().map(|claim| WebhookAttempt { claim, lease_until }).collect())
    }

    /// Creates the deliveries of newly settled events, as [`App::fan_out_webhooks`] does, and
    /// returns up to `at_most` of them leased to this process, ready to send (the others
    /// wait for a claim): a worker that sends what it fans out claims only retries and
    /// deliveries whose lease ran out. Send each before its
    /// [`lease_until`](WebhookAttempt::lease_until) (one left waiting past it is sent by
    /// whoever claims it then).
    ///
    /// # Errors
    ///
    /// `Internal` when webhooks are not configured or the store fails.
    pub async fn fan_out_webhook_attempts(
        &self,
        limit: usize,
        at_most: usize,
    ) -> Result<Vec<WebhookAttempt>, AppError> {
        let parts = self.webhook_parts()?;
        let now = self.clock.now();
        let lease_until = now + parts.settings.lease;
        let created = self.webhooks.fan_out_leased(now, lease_until, limit, at_most).await?;
        Ok(created.into_iter().map(|claim| WebhookAttempt { claim, lease_until }).collect())
    }

    /// Whether `attempt` can still be sent under its lease: at least half of the lease is
    /// left, more than a send may take (an attempt past that waits to be claimed again).
    pub fn webhook_attempt_is_leased(&self, attempt: &WebhookAttempt) -> bool {
        self.webhook_parts().is_ok_and(|parts| attempt.lease_until - self.clock.now() >= parts.settings.lease / 2)
    }

    /// Sends one claimed delivery, signed at the moment of sending; the outcome is
    /// recorded by [`App::record_webhook_attempts`].
    ///
    /// # Errors
    ///
    /// `Internal` when webhooks are not configured.
    pub async fn send_webhook(&self, attempt: WebhookAttempt) -> Result<SentWebhook, AppError> {
        let parts = self.webhook_parts()?;
        let request = self.signed_request(parts, &attempt.claim);
        let outcome = parts.sender.send(&request).await;
        Ok(SentWebhook { claim: attempt.claim, outcome })
    }

    /// The request of one attempt, signed now.
    fn signed_request(&self, parts: &WebhookParts, claim: &ClaimedDelivery) -> WebhookRequest {
        let body = parts.encoder.encode(&claim.event);
        signed(&claim.endpoint, &claim.delivery.event_id.to_string(), self.clock.now(), body)
    }

    /// Records the outcomes of sent attempts in one step of the store: succeeded, or
    /// pending with the next attempt of the retry schedule, or failed after the last; an
    /// endpoint failing every delivery for `disable_after` is disabled.
    ///
    /// # Errors
    ///
    /// `Internal` when the store fails (the deliveries are tried again when their lease
    /// runs out).
    pub async fn record_webhook_attempts(&self, sent: Vec<SentWebhook>) -> Result<(), AppError> {
        if sent.is_empty() {
            return Ok(());
        }
        let parts = self.webhook_parts()?;
        let now = self.clock.now();
        let mut outcomes = Vec::with_capacity(sent.len());
        for SentWebhook { claim, outcome } in sent {
            let ok = outcome.succeeded();
            let delivery = attempted(&parts.settings.schedule, claim.delivery, outcome, now);
            if !ok {
                tracing::info!(
                    webhook.id = %claim.endpoint.id, delivery.id = %delivery.id, attempts = delivery.attempts,
                    status = ?delivery.response_status, error = delivery.error.as_deref().unwrap_or_default(),
                    "webhook delivery failed"
                );
            }
            outcomes.push((delivery, ok));
        }
        let marks = self.webhooks.record_attempts(&outcomes, now).await?;
        // Each endpoint's mark after the whole batch: a success later in it clears a failure.
        let mut last_marks = std::collections::HashMap::new();
        for ((delivery, _), since) in outcomes.iter().zip(marks) {
            last_marks.insert(delivery.endpoint_id, (&delivery.tenant, since));
        }
        for (endpoint, (tenant, since)) in last_marks {
            if let Some(since) = since.filter(|since| now - *since >= parts.settings.disable_after) {
                self.disable_failing_endpoint(tenant, endpoint, since, now).await?;
            }
        }
        Ok(())
    }

    /// Disables an endpoint that failed every delivery since `failing_since`, with its
    /// `webhook.disabled` event in the same transaction.
    async fn disable_failing_endpoint(
        &self,
        tenant: &TenantKey,
        id: Uuid,
        failing_since: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<(), AppError> {
        let Some(endpoint) = self.webhooks.webhook(tenant, id).await? else { return Ok(()) };
        if !endpoint.active {
            return Ok(());
        }
        let event = TenantEvent {
            id: EventId::from_uuid(self.ids.next_uuid()),
            actor: Actor::system(),
            data: TenantEventData::WebhookDisabled {
                webhook_id: id,
                url: endpoint.url.as_str().to_owned(),
                failing_since,
            },
            created_at: now,
        };
        if self.webhooks.disable_webhook(tenant, id, now, &event).await? {
            tracing::warn!(tenant = %tenant, webhook.id = %id, "webhook endpoint disabled: every delivery failed for the disable period");
        }
        Ok(())
    }
}

/// The request of one attempt, signed now.
fn signed(endpoint: &WebhookEndpoint, id: &str, now: OffsetDateTime, body: Vec<u8>) -> WebhookRequest {
    let timestamp = now.unix_timestamp();
    WebhookRequest {
        url: endpoint.url.clone(),
        id: id.to_owned(),
        timestamp,
        signature: endpoint.secret.sign(id, timestamp, &body),
        body,
    }
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used, reason = "tests")]

    use super::*;

    /// The test vector of the Standard Webhooks specification (its reference libraries'
    /// tests use the same key, id, timestamp and payload).
    #[test]
    fn signatures_match_the_standard_webhooks_test_vector() {
        let secret = WebhookSecret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let body = br#"{"test": 2432232314}"#;
        let signature = secret.sign("msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body);
        assert_eq!(signature, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn a_generated_secret_is_whsec_and_24_random_bytes() {
        let a = WebhookSecret::generate();
        assert!(a.expose().starts_with("whsec_"));
        assert_eq!(a.key().unwrap().len(), 24);
        assert_ne!(a, WebhookSecret::generate());
        assert_eq!(format!("{a:?}"), "WebhookSecret([redacted])");
    }

    #[test]
    fn urls_must_be_absolute_http_without_credentials() {
        assert!(WebhookUrl::parse("https://shop.example/hooks").is_ok());
        for bad in ["ftp://x", "/relative", "https://", "https://user:pw@host/", "https://a b/"] {
            assert!(WebhookUrl::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_schedule_waits_longer_each_time_and_ends() {
        let now = OffsetDateTime::now_utc();
        let first = next_attempt(&RETRY_SCHEDULE, 1, now).unwrap() - now;
        assert!(first >= Duration::from_secs(4) && first <= Duration::from_secs(6));
        let total: Duration = RETRY_SCHEDULE.iter().sum();
        assert!(total > Duration::from_secs(23 * 3600) && total < Duration::from_secs(25 * 3600));
        assert!(next_attempt(&RETRY_SCHEDULE, 11, now).is_none());
        assert!(next_attempt(&RETRY_SCHEDULE, 0, now).is_none());
    }

    #[test]
    fn event_selections_parse_star_and_known_types_only() {
        assert_eq!(EventSelection::parse(&["*".into()]).unwrap(), EventSelection::All);
        let only = EventSelection::parse(&["ticket.created".into()]).unwrap();
        assert_eq!(only.kinds(), ["created"]);
        assert!(EventSelection::parse(&[]).is_err());
        assert!(EventSelection::parse(&["ticket.nope".into()]).is_err());
    }
}
