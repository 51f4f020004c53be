//! The outbound ports: what the use cases need from the world. Each is an object-safe
//! `async` trait, `Send + Sync`, held as `Arc<dyn Port>`.
//!
//! A store adapter implements [`TicketStore`], [`CategoryStore`], [`AccountStore`] and
//! [`TenantStore`]; the port contract suite (`testkit` feature) checks that it keeps every
//! promise written here.

use async_trait::async_trait;
use supportdesk_domain::{
    Agent, AgentId, AuditEvent, BusinessHoursId, Category, Customer, CustomerId, Email, Message, MessageId,
    OpenedTicket, ReportFacts, ReportGroupBy, ReportRange, SlaPolicyId, TenantKey, TenantPolicy, Ticket, TicketChange,
    TicketId, TicketRef,
};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::error::{AppError, StoreError};
use crate::feed::{FeedEvent, FeedPosition, TenantEvent};
use crate::macros::Macro;
use crate::mail::{ClaimedMail, MailDelivery, MailSettings, MailTemplate, NotificationKind};
use crate::model::{
    CategoryFilter, CategoryKey, CustomerQuery, IdempotencyKey, IdempotencyRecord, Login, Page, TicketQuery,
    TicketSummary, TicketView, Visibility,
};
use crate::sla::{BusinessHours, SlaPolicy};
use crate::trust::{AgentSession, ApiKey, Secret, SigningKey, TenantRecord};
use crate::webhooks::{ClaimedDelivery, Delivery, WebhookEndpoint};

/// Shorthand for a store call's result.
pub type StoreResult<T> = Result<T, StoreError>;

/// Tickets, their messages, their audit trail, and the idempotency records of the writes
/// that made them.
#[async_trait]
pub trait TicketStore: Send + Sync {
    /// Saves a new ticket with the next number of its tenant, its first message, its events
    /// and (when given) the idempotency record, all in one transaction.
    ///
    /// # Errors
    ///
    /// MUST return [`StoreError::OpenTicketExists`] when an unfinished ticket of the same
    /// tenant and the same customer has the same order or delivery, also when the two creates
    /// race; it names that ticket, the caller's own. Another customer's ticket for the same
    /// order or delivery MUST neither block the create nor be named anywhere. MUST return
    /// [`StoreError::IdempotencyKeyTaken`] when a live record with the same tenant, principal
    /// and key exists, and then write nothing. Numbers MUST be unique per tenant, never
    /// reused, and increase with creation order.
    async fn create_ticket(&self, opened: OpenedTicket, idempotency: Option<IdempotencyRecord>) -> StoreResult<Ticket>;

    /// Saves a decided change: the ticket, the message it added, its events, and the
    /// idempotency record, in one transaction, only if the stored version is still
    /// `change.expected_version`.
    ///
    /// # Errors
    ///
    /// MUST return [`StoreError::VersionConflict`] (and write nothing) when the version moved,
    /// [`StoreError::NotFound`] when the ticket is gone, [`StoreError::OpenTicketExists`]
    /// (naming the customer's other ticket) when reopening would give one customer two
    /// unfinished tickets for an order or a delivery, and
    /// [`StoreError::IdempotencyKeyTaken`] as for [`TicketStore::create_ticket`].
    async fn save_change(&self, change: &TicketChange, idempotency: Option<IdempotencyRecord>) -> StoreResult<()>;

    /// The ticket of the tenant named by id or number, if it exists.
    async fn load_ticket(&self, tenant: &TenantKey, ticket: TicketRef) -> StoreResult<Option<Ticket>>;

    /// The ticket with its names and the messages `visibility` allows, oldest first; `None`
    /// when it does not exist in the tenant or belongs to another customer.
    async fn ticket_view(
        &self,
        tenant: &TenantKey,
        ticket: TicketRef,
        visibility: Visibility,
    ) -> StoreResult<Option<TicketView>>;

    /// One page of the tenant's tickets that match `query`, in its order, with the total.
    /// With [`TicketQuery::customer_view`], the activity sorts use the customer-visible
    /// activity time (`Ticket::public_last_activity_at`).
    async fn list_tickets(&self, tenant: &TenantKey, query: &TicketQuery) -> StoreResult<Page<TicketSummary>>;

    /// One message of the tenant, if it exists.
    async fn message(&self, tenant: &TenantKey, id: MessageId) -> StoreResult<Option<Message>>;

    /// The ticket's audit trail, oldest first (empty for another tenant's ticket).
    async fn events(&self, tenant: &TenantKey, ticket: TicketId) -> StoreResult<Vec<AuditEvent>>;

    /// The idempotency record of this tenant, principal and key made at or after
    /// `not_before`, if any.
    async fn idempotency_record(
        &self,
        tenant: &TenantKey,
        principal_id: Uuid,
        key: &IdempotencyKey,
        not_before: OffsetDateTime,
    ) -> StoreResult<Option<IdempotencyRecord>>;
}

/// Ticket categories and subcategories.
#[async_trait]
pub trait CategoryStore: Send + Sync {
    /// The tenant's categories that pass `filter`, ordered by position, then name.
    async fn list_categories(&self, tenant: &TenantKey, filter: CategoryFilter) -> StoreResult<Vec<Category>>;

    /// One category of the tenant by id or slug, active or not.
    async fn find_category(&self, tenant: &TenantKey, key: &CategoryKey) -> StoreResult<Option<Category>>;

    /// Adds a category.
    ///
    /// # Errors
    ///
    /// MUST return `Duplicate(Taken::Slug)` when the slug is taken in the tenant.
    async fn insert_category(&self, category: &Category) -> StoreResult<()>;

    /// Replaces a category's fields.
    ///
    /// # Errors
    ///
    /// `NotFound` when it does not exist in its tenant; `Duplicate(Taken::Slug)` as above.
    async fn update_category(&self, category: &Category) -> StoreResult<()>;
}

/// Customers, agents and logins.
#[async_trait]
pub trait AccountStore: Send + Sync {
    /// A customer of the tenant.
    async fn customer(&self, tenant: &TenantKey, id: CustomerId) -> StoreResult<Option<Customer>>;

    /// One page of the tenant's customers that pass `query` ([`CustomerQuery::matches`]), by
    /// [`directory_name_key`](supportdesk_domain::search::directory_name_key) then id,
    /// reading one more than the page (as [`TicketStore::list_tickets`]); the total is
    /// counted up to [`Page::TOTAL_CAP`].
    async fn list_customers(&self, tenant: &TenantKey, query: &CustomerQuery) -> StoreResult<Page<Customer>>;

    /// Inserts the customer, or replaces the name, email and image of an existing one
    /// (keeping its `created_at`); returns what is stored.
    async fn upsert_customer(&self, customer: &Customer) -> StoreResult<Customer>;

    /// Inserts the customer unless one with its id exists (then changes nothing); returns
    /// what is stored. Used to provision customers from tokens, concurrently safe.
    async fn provision_customer(&self, customer: &Customer) -> StoreResult<Customer>;

    /// Inserts a customer with a login, atomically.
    ///
    /// # Errors
    ///
    /// MUST return `Duplicate(Taken::Email)` when the login email is taken in the tenant.
    async fn register_customer(&self, customer: &Customer, login: &Login) -> StoreResult<()>;

    /// An agent of the tenant.
    async fn agent(&self, tenant: &TenantKey, id: AgentId) -> StoreResult<Option<Agent>>;

    /// The tenant's agents, by name.
    async fn list_agents(&self, tenant: &TenantKey) -> StoreResult<Vec<Agent>>;

    /// Inserts an agent with a login, atomically.
    ///
    /// # Errors
    ///
    /// MUST return `Duplicate(Taken::Email)` when the login email is taken in the tenant.
    async fn insert_agent(&self, agent: &Agent, password_hash: &str) -> StoreResult<()>;

    /// Replaces an agent's fields, and its login's email, role and (when given) password;
    /// with `revoke_sessions_at`, also ends the agent's sessions as
    /// [`TrustStore::revoke_agent_sessions`] does, in the same transaction.
    ///
    /// # Errors
    ///
    /// `NotFound`, or `Duplicate(Taken::Email)` as above. MUST return [`StoreError::LastAdmin`]
    /// (and change nothing) when the agent is the tenant's last active admin and the change
    /// deactivates or demotes it, also when two such changes race.
    async fn update_agent(
        &self,
        agent: &Agent,
        password_hash: Option<&str>,
        revoke_sessions_at: Option<OffsetDateTime>,
    ) -> StoreResult<()>;

    /// The login of this email in the tenant, if any.
    async fn login(&self, tenant: &TenantKey, email: &Email) -> StoreResult<Option<Login>>;

    /// Whether the tenant has an active admin.
    async fn has_admin(&self, tenant: &TenantKey) -> StoreResult<bool>;
}

/// Tenants and their policy.
#[async_trait]
pub trait TenantStore: Send + Sync {
    /// Creates the tenant with `default_categories` unless it exists; safe to call often and
    /// concurrently. Returns whether it was created now.
    async fn ensure_tenant(&self, tenant: &TenantKey, default_categories: &[Category]) -> StoreResult<bool>;

    /// The tenant's policy (the default when never set).
    async fn policy(&self, tenant: &TenantKey) -> StoreResult<TenantPolicy>;

    /// Replaces the tenant's policy.
    async fn save_policy(&self, tenant: &TenantKey, policy: TenantPolicy) -> StoreResult<()>;

    /// Whether the store answers at all (for readiness checks).
    async fn ping(&self) -> StoreResult<()>;
}

/// Tenants as the operator creates them, signing keys, API keys, and the state of sessions.
#[async_trait]
pub trait TrustStore: Send + Sync {
    /// Creates the tenant with `name`, its registration switch and `default_categories`,
    /// unless it exists (then changes nothing); returns whether it was created now.
    async fn create_tenant(
        &self,
        tenant: &TenantKey,
        name: &str,
        allow_registration: bool,
        default_categories: &[Category],
    ) -> StoreResult<bool>;

    /// The tenant, if it exists.
    async fn tenant(&self, tenant: &TenantKey) -> StoreResult<Option<TenantRecord>>;

    /// Sets whether the tenant takes registrations.
    ///
    /// # Errors
    ///
    /// `NotFound` for an unknown tenant.
    async fn set_allow_registration(&self, tenant: &TenantKey, allow: bool) -> StoreResult<()>;

    /// Adds a signing key.
    ///
    /// # Errors
    ///
    /// MUST return `Duplicate(Taken::SigningKeyId)` when the kid exists (in any tenant).
    async fn insert_signing_key(&self, key: &SigningKey) -> StoreResult<()>;

    /// The signing key with this kid, whatever its tenant.
    async fn signing_key(&self, kid: &str) -> StoreResult<Option<SigningKey>>;

    /// The tenant's signing keys, oldest first.
    async fn list_signing_keys(&self, tenant: &TenantKey) -> StoreResult<Vec<SigningKey>>;

    /// Deletes the tenant's key; whether it existed (another tenant's key is not touched).
    async fn delete_signing_key(&self, tenant: &TenantKey, kid: &str) -> StoreResult<bool>;

    /// Adds an API key, stored by the hash of its secret.
    ///
    /// # Errors
    ///
    /// `Duplicate(Taken::ApiKey)` when the hash exists.
    async fn insert_api_key(&self, key: &ApiKey, key_hash: &str) -> StoreResult<()>;

    /// The API key with this hash, whatever its tenant.
    async fn api_key_by_hash(&self, key_hash: &str) -> StoreResult<Option<ApiKey>>;

    /// The tenant's API keys, oldest first.
    async fn list_api_keys(&self, tenant: &TenantKey) -> StoreResult<Vec<ApiKey>>;

    /// Deletes the tenant's API key; whether it existed.
    async fn delete_api_key(&self, tenant: &TenantKey, id: Uuid) -> StoreResult<bool>;

    /// Records that the key was used at `at`.
    async fn touch_api_key(&self, tenant: &TenantKey, id: Uuid, at: OffsetDateTime) -> StoreResult<()>;

    /// Records a logged-out token by its hash until `expires_at`; recording it twice is fine.
    async fn revoke_token(&self, tenant: &TenantKey, token_hash: &str, expires_at: OffsetDateTime) -> StoreResult<()>;

    /// Whether the token with this hash was logged out.
    async fn is_token_revoked(&self, token_hash: &str) -> StoreResult<bool>;

    /// Deletes the records of logged-out tokens that expired before `now`; returns how many.
    async fn prune_revoked_tokens(&self, now: OffsetDateTime) -> StoreResult<u64>;

    /// The service's own secret called `name`: the stored one, or `candidate` stored now when
    /// there is none (concurrent callers all get the one that was stored first).
    async fn service_secret(&self, name: &str, candidate: &Secret) -> StoreResult<Secret>;

    /// The agent with the state of their sessions.
    async fn agent_session(&self, tenant: &TenantKey, id: AgentId) -> StoreResult<Option<AgentSession>>;

    /// Ends every session of the agent: bumps the generation and records `at`.
    ///
    /// # Errors
    ///
    /// `NotFound` for an unknown agent.
    async fn revoke_agent_sessions(&self, tenant: &TenantKey, id: AgentId, at: OffsetDateTime) -> StoreResult<()>;
}

/// The audit events as the outbox: the tenant-wide feed of everything committed.
#[async_trait]
pub trait EventStore: Send + Sync {
    /// Up to `limit` events of the tenant positioned after `after` (from the start when
    /// `None`), in position order, only of `kinds` when it is not empty; each with the
    /// ticket as the event left it and, for a message or a note, the message.
    ///
    /// # Errors
    ///
    /// The positions MUST be unique and MUST never let a follower skip an event: an event
    /// MUST NOT be returned while another event that will be positioned before it can still
    /// commit (a write that began earlier and is still in flight). Every committed event
    /// MUST be returned exactly once to a follower that resumes after the last position it
    /// saw. Events the store cannot read back MUST fail the call, never be skipped.
    async fn feed(
        &self,
        tenant: &TenantKey,
        after: Option<FeedPosition>,
        kinds: &[&'static str],
        limit: usize,
    ) -> StoreResult<Vec<FeedEvent>>;
}

/// Webhook endpoints and their deliveries: the work queue of what leaves the service.
#[async_trait]
pub trait WebhookStore: Send + Sync {
    /// Adds an endpoint, positioned at the end of its tenant's feed: it receives the events
    /// not yet shown by [`EventStore::feed`] when it is added, and every later one.
    async fn insert_webhook(&self, endpoint: &WebhookEndpoint) -> StoreResult<()>;

    /// One endpoint of the tenant.
    async fn webhook(&self, tenant: &TenantKey, id: Uuid) -> StoreResult<Option<WebhookEndpoint>>;

    /// The tenant's endpoints, oldest first.
    async fn list_webhooks(&self, tenant: &TenantKey) -> StoreResult<Vec<WebhookEndpoint>>;

    /// Replaces an endpoint's fields (not its feed position).
    ///
    /// # Errors
    ///
    /// `NotFound` when it does not exist in its tenant.
    async fn update_webhook(&self, endpoint: &WebhookEndpoint) -> StoreResult<()>;

    /// Disables an active endpoint by the failure rule (`active` false, `disabled_at`),
    /// and writes `event`, its `webhook.disabled`, to the outbox in the same transaction.
    /// Returns whether it did: an endpoint that is gone or already inactive is left alone
    /// and no event is written, so two processes applying the rule write one event.
    ///
    /// # Errors
    ///
    /// MUST write both or neither.
    async fn disable_webhook(
        &self,
        tenant: &TenantKey,
        id: Uuid,
        at: OffsetDateTime,
        event: &TenantEvent,
    ) -> StoreResult<bool>;

    /// Deletes an endpoint with its deliveries; whether it existed.
    async fn delete_webhook(&self, tenant: &TenantKey, id: Uuid) -> StoreResult<bool>;

    /// For every active endpoint, creates a pending delivery (due `now`) of each event after
    /// its position that it subscribes to, at most `limit` per endpoint, and moves its
    /// position past them; returns how many deliveries were created.
    ///
    /// # Errors
    ///
    /// MUST follow the feed's promise ([`EventStore::feed`]): never pass an event that can
    /// still commit before the position. MUST create at most one delivery per endpoint and
    /// event, also when several processes fan out at once.
    async fn fan_out(&self, now: OffsetDateTime, limit: usize) -> StoreResult<usize>;

    /// As [`fan_out`](Self::fan_out), but up to `at_most` of the new deliveries are leased
    /// to the caller until `lease_until` and returned with their endpoints and events, as
    /// [`claim_deliveries`](Self::claim_deliveries) returns them: the process that creates a
    /// delivery sends it without claiming it (on SQLite, one write fewer per delivery on the
    /// one writer). The others are created unleased, for any process to claim.
    ///
    /// # Errors
    ///
    /// As [`fan_out`](Self::fan_out); and MUST return only deliveries this call created.
    async fn fan_out_leased(
        &self,
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
        limit: usize,
        at_most: usize,
    ) -> StoreResult<Vec<ClaimedDelivery>>;

    /// Claims up to `limit` pending deliveries of active endpoints due at `now` whose lease
    /// is free or ran out, leasing them until `lease_until`, with their endpoints and events.
    /// A disabled endpoint's pending deliveries wait until it is enabled again.
    ///
    /// # Errors
    ///
    /// MUST NOT hand one delivery to two callers while its lease runs, also across
    /// processes.
    async fn claim_deliveries(
        &self,
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
        limit: usize,
    ) -> StoreResult<Vec<ClaimedDelivery>>;

    /// How many deliveries are pending, of every tenant and endpoint: due now, leased and
    /// in flight, or waiting for a retry. The webhook worker's queue depth (`/metrics`).
    async fn pending_deliveries(&self) -> StoreResult<u64>;

    /// Saves the outcomes of attempts in one atomic step, in order: each delivery's
    /// attempts, status, response, error and next attempt, its lease freed; its endpoint
    /// marked failing since `at` unless it already was (`true`, succeeded, clears it).
    /// Returns, for each attempt, since when its endpoint has been failing, if it is. One
    /// call for many attempts keeps the worker's writes few (SQLite has one writer).
    async fn record_attempts(
        &self,
        attempts: &[(Delivery, bool)],
        at: OffsetDateTime,
    ) -> StoreResult<Vec<Option<OffsetDateTime>>>;

    /// One page of the endpoint's deliveries, newest first, older than `before` when given.
    async fn list_deliveries(
        &self,
        tenant: &TenantKey,
        endpoint: Uuid,
        before: Option<Uuid>,
        limit: usize,
    ) -> StoreResult<Vec<Delivery>>;

    /// Makes the delivery pending and due at `now`; `None` when it does not exist for that
    /// endpoint.
    async fn retry_delivery(
        &self,
        tenant: &TenantKey,
        endpoint: Uuid,
        delivery: Uuid,
        now: OffsetDateTime,
    ) -> StoreResult<Option<Delivery>>;
}

/// Notification settings, templates, and the mail outbox.
#[async_trait]
pub trait MailStore: Send + Sync {
    /// The tenant's settings, `None` until saved.
    async fn mail_settings(&self, tenant: &TenantKey) -> StoreResult<Option<MailSettings>>;

    /// Replaces the tenant's settings.
    async fn save_mail_settings(&self, tenant: &TenantKey, settings: &MailSettings) -> StoreResult<()>;

    /// The tenant's template of `kind`, `None` until saved.
    async fn mail_template(&self, tenant: &TenantKey, kind: NotificationKind) -> StoreResult<Option<MailTemplate>>;

    /// Replaces the tenant's template of its kind.
    async fn save_mail_template(&self, tenant: &TenantKey, template: &MailTemplate) -> StoreResult<()>;

    /// For every tenant, queues one pending mail delivery (due `now`) per event of `kinds`
    /// after the tenant's mail position, at most `limit` per tenant, and moves the position;
    /// a tenant seen for the first time starts at the end of its feed. Returns how many.
    ///
    /// # Errors
    ///
    /// As [`WebhookStore::fan_out`]: never past an event that can still commit before the
    /// position; one delivery per event, also across processes.
    async fn fan_out_mail(&self, now: OffsetDateTime, kinds: &[&'static str], limit: usize) -> StoreResult<usize>;

    /// Claims due mail deliveries under a lease, as [`WebhookStore::claim_deliveries`].
    async fn claim_mail(
        &self,
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
        limit: usize,
    ) -> StoreResult<Vec<ClaimedMail>>;

    /// Saves an attempt's outcome and frees the lease.
    async fn record_mail_attempt(&self, delivery: &MailDelivery) -> StoreResult<()>;

    /// How many mail deliveries are pending, of every tenant, as
    /// [`WebhookStore::pending_deliveries`]: the mail worker's queue depth.
    async fn pending_mail(&self) -> StoreResult<u64>;
}

/// Business hours and SLA policies.
#[async_trait]
pub trait SlaStore: Send + Sync {
    /// Adds business hours.
    async fn insert_business_hours(&self, hours: &BusinessHours) -> StoreResult<()>;

    /// One calendar of the tenant.
    async fn business_hours(&self, tenant: &TenantKey, id: BusinessHoursId) -> StoreResult<Option<BusinessHours>>;

    /// The tenant's calendars, oldest first.
    async fn list_business_hours(&self, tenant: &TenantKey) -> StoreResult<Vec<BusinessHours>>;

    /// Replaces a calendar's fields.
    ///
    /// # Errors
    ///
    /// `NotFound` when it does not exist in its tenant.
    async fn update_business_hours(&self, hours: &BusinessHours) -> StoreResult<()>;

    /// Deletes a calendar; whether it existed in the tenant.
    async fn delete_business_hours(&self, tenant: &TenantKey, id: BusinessHoursId) -> StoreResult<bool>;

    /// Adds a policy.
    async fn insert_sla_policy(&self, policy: &SlaPolicy) -> StoreResult<()>;

    /// One policy of the tenant.
    async fn sla_policy(&self, tenant: &TenantKey, id: SlaPolicyId) -> StoreResult<Option<SlaPolicy>>;

    /// The tenant's policies in the order they are tried: position, then creation time, then id.
    async fn list_sla_policies(&self, tenant: &TenantKey) -> StoreResult<Vec<SlaPolicy>>;

    /// Replaces a policy's fields.
    ///
    /// # Errors
    ///
    /// `NotFound` when it does not exist in its tenant.
    async fn update_sla_policy(&self, policy: &SlaPolicy) -> StoreResult<()>;

    /// Deletes a policy; whether it existed in the tenant.
    async fn delete_sla_policy(&self, tenant: &TenantKey, id: SlaPolicyId) -> StoreResult<bool>;

    /// Tickets of every tenant with a running SLA clock past its due time and not yet
    /// reported (their [`supportdesk_domain::SlaState::alert_at`] is before `now`), soonest
    /// first, at most `limit`: the work of breach detection. A database adapter serves it
    /// from an index, not a scan of every ticket.
    async fn tickets_with_sla_alerts(&self, now: OffsetDateTime, limit: usize) -> StoreResult<Vec<Ticket>>;

    /// What a report over `range` counts, grouped `by` (api-v1.1.md section 3, the rules in
    /// `supportdesk_domain::summarize`): the tenant's tickets created in the range (with
    /// their `metrics.first_response_minutes`), those whose
    /// [`Ticket::resolution_at`] lies in it (with `metrics.resolution_minutes`, `sla_met`:
    /// `None` without an SLA, else whether no clock breached, and the satisfaction rating),
    /// and those whose `metrics.reopened_at` lies in it. Each fact's group is the time of that
    /// fact for `Day` and `Week`, else the ticket's current assignee, category or priority.
    /// In no particular order. A database adapter serves it from indexes on
    /// `(tenant, time)` that cover the columns read, not from a scan of the tenant's tickets.
    async fn report_facts(&self, tenant: &TenantKey, range: ReportRange, by: ReportGroupBy)
        -> StoreResult<ReportFacts>;
}

/// Timed work: the job table the runner leases jobs from, and what the standard jobs
/// read and delete.
#[async_trait]
pub trait JobStore: Send + Sync {
    /// Adds a row for each of `names` that has none, due at `now`; existing rows keep their
    /// schedule and lease. Safe to call concurrently.
    async fn ensure_jobs(&self, names: &[&'static str], now: OffsetDateTime) -> StoreResult<()>;

    /// Claims one job among `names` that is due at `now` (next run at or before it) and
    /// whose lease is free or ran out, the longest-due first: leases it to `owner` until
    /// `lease_until` and returns its name; `None` when nothing is due.
    ///
    /// # Errors
    ///
    /// MUST NOT hand one job to two callers while its lease runs, also across processes
    /// (on PostgreSQL: `FOR UPDATE SKIP LOCKED`, so claimers do not queue behind each other).
    async fn claim_job(
        &self,
        names: &[&'static str],
        owner: &str,
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
    ) -> StoreResult<Option<String>>;

    /// Ends `owner`'s lease of the job and schedules its next run at `next_run_at`, with the
    /// error of the run (if it failed); returns whether `owner` still held the lease (when
    /// not, nothing changes: another process took the job over).
    async fn finish_job(
        &self,
        name: &str,
        owner: &str,
        next_run_at: OffsetDateTime,
        error: Option<&str>,
    ) -> StoreResult<bool>;

    /// Deletes the idempotency records made before `before`; returns how many.
    async fn prune_idempotency_records(&self, before: OffsetDateTime) -> StoreResult<u64>;

    /// Up to `limit` tickets, of every tenant whose policy has `auto_close_resolved_after_days`
    /// above 0, that are `resolved`, were resolved at least that many days before `now`, and
    /// have no customer message after `resolved_at`: exactly those
    /// [`Ticket::due_for_auto_close`] names; oldest `resolved_at` first.
    async fn auto_close_candidates(&self, now: OffsetDateTime, limit: usize)
        -> StoreResult<Vec<(TenantKey, TicketId)>>;
}

/// A tenant's macros.
#[async_trait]
pub trait MacroStore: Send + Sync {
    /// The tenant's macros, by name, then id.
    async fn list_macros(&self, tenant: &TenantKey) -> StoreResult<Vec<Macro>>;

    /// One macro of the tenant (another tenant's is `None`).
    async fn macro_by_id(&self, tenant: &TenantKey, id: Uuid) -> StoreResult<Option<Macro>>;

    /// Adds a macro.
    async fn insert_macro(&self, value: &Macro) -> StoreResult<()>;

    /// Replaces a macro's fields (not its tenant, id or creation time).
    ///
    /// # Errors
    ///
    /// `NotFound` when it does not exist in its tenant.
    async fn update_macro(&self, value: &Macro) -> StoreResult<()>;

    /// Deletes the tenant's macro; whether it existed.
    async fn delete_macro(&self, tenant: &TenantKey, id: Uuid) -> StoreResult<bool>;
}

/// Every store port at once: what an adapter provides.
pub trait Store:
    TicketStore
    + CategoryStore
    + AccountStore
    + TenantStore
    + TrustStore
    + EventStore
    + WebhookStore
    + MailStore
    + JobStore
    + MacroStore
    + SlaStore
{
}

impl<T> Store for T where
    T: TicketStore
        + CategoryStore
        + AccountStore
        + TenantStore
        + TrustStore
        + EventStore
        + WebhookStore
        + MailStore
        + SlaStore
        + JobStore
        + MacroStore
{
}

/// The time. Tests fix it; production reads the system clock.
pub trait Clock: Send + Sync {
    /// Now, in UTC.
    fn now(&self) -> OffsetDateTime;
}

/// The system clock, truncated to microseconds so that a value reads back equal from every
/// store.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        let now = OffsetDateTime::now_utc();
        now.replace_nanosecond(now.nanosecond() / 1_000 * 1_000).unwrap_or(now)
    }
}

/// A clock that runs with the system clock, shifted by an offset that only moves forward:
/// the test-only time source of black-box tests (`SUPPORTDESK_TEST_CLOCK`), which advance it
/// instead of sleeping. Never use it in production.
#[derive(Debug, Default)]
pub struct AdjustableClock {
    offset_micros: std::sync::atomic::AtomicI64,
}

impl AdjustableClock {
    /// A clock at the system time (offset 0).
    pub fn new() -> Self {
        Self::default()
    }

    /// Moves the clock forward by `by`; returns the new offset from the system clock.
    pub fn advance(&self, by: std::time::Duration) -> time::Duration {
        let micros = i64::try_from(by.as_micros()).unwrap_or(i64::MAX);
        let total = self.offset_micros.fetch_add(micros, std::sync::atomic::Ordering::SeqCst).saturating_add(micros);
        time::Duration::microseconds(total)
    }

    /// How far ahead of the system clock it is.
    pub fn offset(&self) -> time::Duration {
        time::Duration::microseconds(self.offset_micros.load(std::sync::atomic::Ordering::SeqCst))
    }
}

impl Clock for AdjustableClock {
    fn now(&self) -> OffsetDateTime {
        SystemClock.now() + self.offset()
    }
}

/// Hashes and checks passwords. Implementations run the work off the async workers.
#[async_trait]
pub trait PasswordHasher: Send + Sync {
    /// A PHC string for `password`.
    async fn hash(&self, password: &str) -> Result<String, AppError>;

    /// Whether `password` matches `hash`. With `None` it MUST still spend the time of a real
    /// check (against a dummy hash) and return `false`, so that an unknown email and a wrong
    /// password take the same time.
    async fn verify(&self, password: &str, hash: Option<&str>) -> Result<bool, AppError>;
}
