//! # supportdesk-store-memory
//!
//! An in-memory implementation of every store port of `supportdesk-app`, for tests,
//! embedding and demos. It keeps the same invariants as the database adapters (unique
//! numbers per tenant, one unfinished ticket per customer and order and per customer and
//! delivery, version checks, idempotency keys), all checked under one lock, so it is
//! correct when many tasks call it at once. It passes the same port contract suite as the Diesel store.
//!
//! ```
//! use std::sync::Arc;
//! use supportdesk_app::App;
//! use supportdesk_store_memory::MemoryStore;
//!
//! let app = App::builder(Arc::new(MemoryStore::new())).build();
//! # let _ = app;
//! ```

use async_trait::async_trait;
use std::collections::HashMap;
use std::sync::{PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};
use supportdesk_app::{
    match_of, AccountStore, AgentSession, ApiKey, BusinessHours, CategoryFilter, CategoryKey, CategoryStore,
    CategorySummary, ClaimedDelivery, ClaimedMail, CustomerQuery, Delivery, DeliveryStatus, EventStore, FeedEvent,
    FeedItem, FeedPosition, IdempotencyKey, IdempotencyRecord, JobStore, Login, Macro, MacroStore, MailDelivery,
    MailSettings, MailStore, MailTemplate, NotificationKind, Page, PersonSummary, SearchDocument, Secret, SigningKey,
    SlaPolicy, SlaStore, StoreError, StoreResult, Taken, TenantEvent, TenantRecord, TenantStore, TicketFeedEvent,
    TicketQuery, TicketSnapshot, TicketSort, TicketStore, TicketSummary, TicketView, TrustStore, Visibility,
    WebhookEndpoint, WebhookStore,
};
use supportdesk_domain::search::directory_name_key;
use supportdesk_domain::{
    Agent, AgentId, AuditEvent, BusinessHoursId, Category, CategoryId, Customer, CustomerId, Email, EventData, Message,
    MessageId, OpenedTicket, ReportFacts, ReportGroupBy, ReportRange, Role, SlaPolicyId, Status, TenantKey,
    TenantPolicy, Ticket, TicketChange, TicketId, TicketNumber, TicketRef,
};
use time::OffsetDateTime;
use uuid::Uuid;

/// Everything the store holds, behind one lock.
#[derive(Default)]
struct State {
    tenants: HashMap<TenantKey, TenantState>,
    tickets: HashMap<TicketId, Ticket>,
    numbers: HashMap<(TenantKey, TicketNumber), TicketId>,
    messages: HashMap<TicketId, Vec<Message>>,
    message_index: HashMap<MessageId, TicketId>,
    events: HashMap<TicketId, Vec<AuditEvent>>,
    idempotency: HashMap<(TenantKey, Uuid, String), IdempotencyRecord>,
    categories: HashMap<CategoryId, Category>,
    customers: HashMap<(TenantKey, CustomerId), Customer>,
    agents: HashMap<(TenantKey, AgentId), Agent>,
    logins: HashMap<(TenantKey, Email), Login>,
    sessions: HashMap<(TenantKey, AgentId), SessionState>,
    signing_keys: HashMap<String, SigningKey>,
    api_keys: HashMap<String, ApiKey>,
    revoked_tokens: HashMap<String, OffsetDateTime>,
    service_secrets: HashMap<String, Secret>,
    /// Every event in commit order: the feed. One lock orders the writes, so the index is
    /// the position.
    feed: Vec<(TenantKey, FeedItem)>,
    /// Webhook endpoints with their position in the feed (an index into `feed`).
    webhooks: Vec<(WebhookEndpoint, usize)>,
    /// Deliveries with their lease.
    deliveries: Vec<(Delivery, Option<OffsetDateTime>)>,
    mail_settings: HashMap<TenantKey, MailSettings>,
    mail_templates: HashMap<(TenantKey, NotificationKind), MailTemplate>,
    /// Each tenant's mail position (an index into `feed`).
    mail_positions: HashMap<TenantKey, usize>,
    mail: Vec<(MailDelivery, Option<OffsetDateTime>)>,
    /// Business calendars, in insertion order.
    business_hours: Vec<BusinessHours>,
    /// SLA policies, in insertion order.
    sla_policies: Vec<SlaPolicy>,
    jobs: HashMap<String, JobState>,
    macros: HashMap<(TenantKey, Uuid), Macro>,
}

/// A job's schedule and lease.
struct JobState {
    next_run_at: OffsetDateTime,
    lease: Option<(String, OffsetDateTime)>,
    last_error: Option<String>,
}

struct TenantState {
    policy: TenantPolicy,
    last_number: i64,
    name: String,
    allow_registration: bool,
    created_at: OffsetDateTime,
}

impl TenantState {
    fn new(name: &str, allow_registration: bool, policy: TenantPolicy) -> Self {
        Self {
            policy,
            last_number: 0,
            name: name.to_owned(),
            allow_registration,
            created_at: OffsetDateTime::now_utc(),
        }
    }
}

#[derive(Debug, Clone, Copy, Default)]
struct SessionState {
    generation: i64,
    revoked_at: Option<OffsetDateTime>,
}

/// The in-memory store. Cheap to create; share it behind an `Arc`.
#[derive(Default)]
pub struct MemoryStore {
    state: RwLock<State>,
}

impl std::fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryStore").finish_non_exhaustive()
    }
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    // A panic while the lock was held cannot leave half a write behind (every write checks
    // first and mutates last), so a poisoned lock is still consistent.
    fn read(&self) -> RwLockReadGuard<'_, State> {
        self.state.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(PoisonError::into_inner)
    }
}

impl State {
    fn ticket(&self, tenant: &TenantKey, reference: TicketRef) -> Option<&Ticket> {
        let id = match reference {
            TicketRef::Id(id) => id,
            TicketRef::Number(number) => *self.numbers.get(&(tenant.clone(), number))?,
        };
        self.tickets.get(&id).filter(|t| &t.tenant == tenant)
    }

    /// The unfinished ticket of the same customer, other than `except`, that holds the
    /// order or delivery, if any. Another customer's ticket for the same reference never
    /// holds it (and so is never named).
    fn holder(&self, ticket: &Ticket, except: Option<TicketId>) -> Option<&Ticket> {
        if !ticket.status.is_unfinished() {
            return None;
        }
        self.tickets.values().find(|other| {
            Some(other.id) != except
                && other.tenant == ticket.tenant
                && other.customer_id == ticket.customer_id
                && other.status.is_unfinished()
                && ((ticket.order_id.is_some() && other.order_id == ticket.order_id)
                    || (ticket.delivery_id.is_some() && other.delivery_id == ticket.delivery_id))
        })
    }

    fn check_holder(&self, ticket: &Ticket, except: Option<TicketId>) -> StoreResult<()> {
        match self.holder(ticket, except) {
            Some(holder) => {
                Err(StoreError::OpenTicketExists { existing_id: holder.id, existing_number: holder.number })
            }
            None => Ok(()),
        }
    }

    /// Refuses a record whose key is live; an expired one is replaced.
    fn check_claim(&self, record: Option<&IdempotencyRecord>) -> StoreResult<()> {
        let Some(record) = record else {
            return Ok(());
        };
        let key = (record.tenant.clone(), record.principal_id, record.key.as_str().to_owned());
        match self.idempotency.get(&key) {
            Some(existing) if existing.created_at + IdempotencyRecord::LIFETIME > record.created_at => {
                Err(StoreError::IdempotencyKeyTaken)
            }
            _ => Ok(()),
        }
    }

    fn claim(&mut self, record: Option<IdempotencyRecord>) {
        if let Some(record) = record {
            let key = (record.tenant.clone(), record.principal_id, record.key.as_str().to_owned());
            self.idempotency.insert(key, record);
        }
    }

    /// The ticket's searchable text, made from its thread and its customer as they are now.
    fn search_document(&self, ticket: &Ticket) -> SearchDocument {
        let customer = self.customers.get(&(ticket.tenant.clone(), ticket.customer_id));
        let name = customer.map(|c| c.name.as_str()).unwrap_or_default();
        let email = customer.and_then(|c| c.email.as_ref().map(|e| e.as_str()));
        let thread = self.messages.get(&ticket.id).map(Vec::as_slice).unwrap_or_default();
        SearchDocument::new(ticket, thread, name, email)
    }

    fn summary(&self, ticket: &Ticket) -> TicketSummary {
        let customer = self.customers.get(&(ticket.tenant.clone(), ticket.customer_id));
        let category = self.categories.get(&ticket.category_id);
        let assignee = ticket.assignee_id.and_then(|id| self.agents.get(&(ticket.tenant.clone(), id)));
        TicketSummary {
            ticket: ticket.clone(),
            customer: PersonSummary {
                id: ticket.customer_id.as_uuid(),
                name: customer.map_or_else(String::new, |c| c.name.to_string()),
                email: customer.and_then(|c| c.email.as_ref().map(ToString::to_string)),
                image_url: customer.and_then(|c| c.image_url.clone()),
            },
            category: category.map_or_else(
                || CategorySummary { id: ticket.category_id, slug: String::new(), name: String::new() },
                CategorySummary::from,
            ),
            assignee: assignee.map(|a| PersonSummary {
                id: a.id.as_uuid(),
                name: a.name.to_string(),
                email: Some(a.email.to_string()),
                image_url: None,
            }),
            search_match: None,
        }
    }
}

impl State {
    /// Appends the events of one write to the feed, with the ticket they left.
    fn log(&mut self, ticket: &Ticket, events: &[AuditEvent]) {
        let snapshot = TicketSnapshot {
            id: ticket.id,
            number: ticket.number,
            subject: ticket.subject.clone(),
            status: ticket.status,
            priority: ticket.priority,
            customer_id: ticket.customer_id,
            assignee_id: ticket.assignee_id,
            version: ticket.version,
        };
        self.feed.extend(events.iter().map(|e| {
            let item = TicketFeedEvent { event: e.clone(), ticket: snapshot.clone(), message: None };
            (ticket.tenant.clone(), FeedItem::Ticket(item))
        }));
    }
}

impl State {
    /// The feed event at `index`, with its position and message.
    fn feed_event(&self, index: usize) -> Option<FeedEvent> {
        let (tenant, item) = self.feed.get(index)?;
        let mut item = item.clone();
        if let FeedItem::Ticket(TicketFeedEvent { event, message, .. }) = &mut item {
            if let EventData::MessageAdded { message_id } | EventData::NoteAdded { message_id } = &event.data {
                *message = self
                    .messages
                    .get(&event.ticket_id)
                    .and_then(|all| all.iter().find(|m| m.id == *message_id))
                    .cloned();
            }
        }
        Some(FeedEvent {
            position: FeedPosition::new(0, i64::try_from(index + 1).unwrap_or(i64::MAX)),
            tenant: tenant.clone(),
            item,
        })
    }
}

#[async_trait]
impl MacroStore for MemoryStore {
    async fn list_macros(&self, tenant: &TenantKey) -> StoreResult<Vec<Macro>> {
        let mut macros: Vec<Macro> = self.read().macros.values().filter(|m| &m.tenant == tenant).cloned().collect();
        macros.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
        Ok(macros)
    }

    async fn macro_by_id(&self, tenant: &TenantKey, id: Uuid) -> StoreResult<Option<Macro>> {
        Ok(self.read().macros.get(&(tenant.clone(), id)).cloned())
    }

    async fn insert_macro(&self, value: &Macro) -> StoreResult<()> {
        self.write().macros.insert((value.tenant.clone(), value.id), value.clone());
        Ok(())
    }

    async fn update_macro(&self, value: &Macro) -> StoreResult<()> {
        let mut state = self.write();
        match state.macros.get_mut(&(value.tenant.clone(), value.id)) {
            Some(stored) => {
                *stored = Macro { created_at: stored.created_at, ..value.clone() };
                Ok(())
            }
            None => Err(StoreError::NotFound),
        }
    }

    async fn delete_macro(&self, tenant: &TenantKey, id: Uuid) -> StoreResult<bool> {
        Ok(self.write().macros.remove(&(tenant.clone(), id)).is_some())
    }
}

#[async_trait]
impl JobStore for MemoryStore {
    async fn ensure_jobs(&self, names: &[&'static str], now: OffsetDateTime) -> StoreResult<()> {
        let mut state = self.write();
        for name in names {
            state.jobs.entry((*name).to_owned()).or_insert(JobState {
                next_run_at: now,
                lease: None,
                last_error: None,
            });
        }
        Ok(())
    }

    async fn claim_job(
        &self,
        names: &[&'static str],
        owner: &str,
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
    ) -> StoreResult<Option<String>> {
        let mut state = self.write();
        let due = state
            .jobs
            .iter()
            .filter(|(name, job)| {
                names.contains(&name.as_str())
                    && job.next_run_at <= now
                    && job.lease.as_ref().is_none_or(|(_, until)| *until <= now)
            })
            .min_by_key(|(name, job)| (job.next_run_at, (*name).clone()))
            .map(|(name, _)| name.clone());
        if let Some(name) = &due {
            if let Some(job) = state.jobs.get_mut(name) {
                job.lease = Some((owner.to_owned(), lease_until));
            }
        }
        Ok(due)
    }

    async fn finish_job(
        &self,
        name: &str,
        owner: &str,
        next_run_at: OffsetDateTime,
        error: Option<&str>,
    ) -> StoreResult<bool> {
        let mut state = self.write();
        match state.jobs.get_mut(name) {
            Some(job) if job.lease.as_ref().is_some_and(|(holder, _)| holder == owner) => {
                job.lease = None;
                job.next_run_at = next_run_at;
                job.last_error = error.map(str::to_owned);
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn prune_idempotency_records(&self, before: OffsetDateTime) -> StoreResult<u64> {
        let mut state = self.write();
        let count = state.idempotency.len();
        state.idempotency.retain(|_, record| record.created_at >= before);
        Ok((count - state.idempotency.len()) as u64)
    }

    async fn auto_close_candidates(
        &self,
        now: OffsetDateTime,
        limit: usize,
    ) -> StoreResult<Vec<(TenantKey, TicketId)>> {
        let state = self.read();
        let mut due: Vec<(OffsetDateTime, TicketId, TenantKey)> = state
            .tickets
            .values()
            .filter_map(|ticket| {
                let days = state.tenants.get(&ticket.tenant)?.policy.auto_close_resolved_after_days;
                let resolved_at = ticket.resolved_at?;
                let due = days > 0
                    && ticket.status == Status::Resolved
                    && resolved_at + time::Duration::days(i64::from(days)) <= now
                    && ticket.last_customer_message_at.is_none_or(|at| at <= resolved_at);
                due.then(|| (resolved_at, ticket.id, ticket.tenant.clone()))
            })
            .collect();
        due.sort_by_key(|(resolved_at, id, _)| (*resolved_at, id.as_uuid()));
        Ok(due.into_iter().take(limit).map(|(_, id, tenant)| (tenant, id)).collect())
    }
}

#[async_trait]
impl MailStore for MemoryStore {
    async fn mail_settings(&self, tenant: &TenantKey) -> StoreResult<Option<MailSettings>> {
        Ok(self.read().mail_settings.get(tenant).cloned())
    }

    async fn save_mail_settings(&self, tenant: &TenantKey, settings: &MailSettings) -> StoreResult<()> {
        self.write().mail_settings.insert(tenant.clone(), settings.clone());
        Ok(())
    }

    async fn mail_template(&self, tenant: &TenantKey, kind: NotificationKind) -> StoreResult<Option<MailTemplate>> {
        Ok(self.read().mail_templates.get(&(tenant.clone(), kind)).cloned())
    }

    async fn save_mail_template(&self, tenant: &TenantKey, template: &MailTemplate) -> StoreResult<()> {
        self.write().mail_templates.insert((tenant.clone(), template.kind), template.clone());
        Ok(())
    }

    async fn fan_out_mail(&self, now: OffsetDateTime, kinds: &[&'static str], limit: usize) -> StoreResult<usize> {
        let mut state = self.write();
        let end = state.feed.len();
        let tenants: Vec<TenantKey> = state.tenants.keys().cloned().collect();
        let mut created = Vec::new();
        for tenant in tenants {
            let Some(&position) = state.mail_positions.get(&tenant) else {
                state.mail_positions.insert(tenant, end);
                continue;
            };
            let mut last = position;
            let mut taken = 0;
            for at in position..end {
                if taken == limit {
                    break;
                }
                last = at + 1;
                let (t, event) = &state.feed[at];
                if t != &tenant || !kinds.contains(&event.kind()) {
                    continue;
                }
                taken += 1;
                created.push(MailDelivery {
                    id: Uuid::now_v7(),
                    tenant: tenant.clone(),
                    event_id: event.id().as_uuid(),
                    attempts: 0,
                    status: DeliveryStatus::Pending,
                    error: None,
                    next_attempt_at: Some(now),
                    created_at: now,
                });
            }
            state.mail_positions.insert(tenant, last);
        }
        let count = created.len();
        state.mail.extend(created.into_iter().map(|d| (d, None)));
        Ok(count)
    }

    async fn claim_mail(
        &self,
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
        limit: usize,
    ) -> StoreResult<Vec<ClaimedMail>> {
        let mut state = self.write();
        let due: Vec<usize> = state
            .mail
            .iter()
            .enumerate()
            .filter(|(_, (d, lease))| {
                d.status == DeliveryStatus::Pending
                    && d.next_attempt_at.is_some_and(|at| at <= now)
                    && lease.is_none_or(|l| l <= now)
            })
            .map(|(i, _)| i)
            .take(limit)
            .collect();
        let mut claimed = Vec::new();
        for i in due {
            state.mail[i].1 = Some(lease_until);
            let delivery = state.mail[i].0.clone();
            let event = state
                .feed
                .iter()
                .position(|(_, e)| e.id().as_uuid() == delivery.event_id)
                .and_then(|index| state.feed_event(index));
            if let Some(event) = event {
                claimed.push(ClaimedMail { delivery, event });
            }
        }
        Ok(claimed)
    }

    async fn pending_mail(&self) -> StoreResult<u64> {
        let pending = self.read().mail.iter().filter(|(d, _)| d.status == DeliveryStatus::Pending).count();
        Ok(u64::try_from(pending).unwrap_or(u64::MAX))
    }

    async fn record_mail_attempt(&self, delivery: &MailDelivery) -> StoreResult<()> {
        let mut state = self.write();
        if let Some(stored) = state.mail.iter_mut().find(|(d, _)| d.id == delivery.id) {
            *stored = (delivery.clone(), None);
        }
        Ok(())
    }
}

#[async_trait]
impl SlaStore for MemoryStore {
    async fn insert_business_hours(&self, hours: &BusinessHours) -> StoreResult<()> {
        self.write().business_hours.push(hours.clone());
        Ok(())
    }

    async fn business_hours(&self, tenant: &TenantKey, id: BusinessHoursId) -> StoreResult<Option<BusinessHours>> {
        Ok(self.read().business_hours.iter().find(|h| h.id == id && &h.tenant == tenant).cloned())
    }

    async fn list_business_hours(&self, tenant: &TenantKey) -> StoreResult<Vec<BusinessHours>> {
        let mut found: Vec<_> = self.read().business_hours.iter().filter(|h| &h.tenant == tenant).cloned().collect();
        found.sort_by_key(|h| (h.created_at, h.id));
        Ok(found)
    }

    async fn update_business_hours(&self, hours: &BusinessHours) -> StoreResult<()> {
        let mut state = self.write();
        let stored = state
            .business_hours
            .iter_mut()
            .find(|h| h.id == hours.id && h.tenant == hours.tenant)
            .ok_or(StoreError::NotFound)?;
        *stored = hours.clone();
        Ok(())
    }

    async fn delete_business_hours(&self, tenant: &TenantKey, id: BusinessHoursId) -> StoreResult<bool> {
        let mut state = self.write();
        let before = state.business_hours.len();
        state.business_hours.retain(|h| !(h.id == id && &h.tenant == tenant));
        Ok(state.business_hours.len() < before)
    }

    async fn insert_sla_policy(&self, policy: &SlaPolicy) -> StoreResult<()> {
        self.write().sla_policies.push(policy.clone());
        Ok(())
    }

    async fn sla_policy(&self, tenant: &TenantKey, id: SlaPolicyId) -> StoreResult<Option<SlaPolicy>> {
        Ok(self.read().sla_policies.iter().find(|p| p.id == id && &p.tenant == tenant).cloned())
    }

    async fn list_sla_policies(&self, tenant: &TenantKey) -> StoreResult<Vec<SlaPolicy>> {
        let mut found: Vec<_> = self.read().sla_policies.iter().filter(|p| &p.tenant == tenant).cloned().collect();
        found.sort_by_key(|p| (p.position, p.created_at, p.id));
        Ok(found)
    }

    async fn update_sla_policy(&self, policy: &SlaPolicy) -> StoreResult<()> {
        let mut state = self.write();
        let stored = state
            .sla_policies
            .iter_mut()
            .find(|p| p.id == policy.id && p.tenant == policy.tenant)
            .ok_or(StoreError::NotFound)?;
        *stored = policy.clone();
        Ok(())
    }

    async fn delete_sla_policy(&self, tenant: &TenantKey, id: SlaPolicyId) -> StoreResult<bool> {
        let mut state = self.write();
        let before = state.sla_policies.len();
        state.sla_policies.retain(|p| !(p.id == id && &p.tenant == tenant));
        Ok(state.sla_policies.len() < before)
    }

    async fn tickets_with_sla_alerts(&self, now: OffsetDateTime, limit: usize) -> StoreResult<Vec<Ticket>> {
        let state = self.read();
        let mut due: Vec<(OffsetDateTime, &Ticket)> = state
            .tickets
            .values()
            .filter_map(|t| t.sla.and_then(|sla| sla.state.alert_at()).filter(|at| *at < now).map(|at| (at, t)))
            .collect();
        due.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.id.cmp(&b.1.id)));
        Ok(due.into_iter().take(limit).map(|(_, t)| t.clone()).collect())
    }

    async fn report_facts(
        &self,
        tenant: &TenantKey,
        range: ReportRange,
        by: ReportGroupBy,
    ) -> StoreResult<ReportFacts> {
        let state = self.read();
        let mut facts = ReportFacts::default();
        for ticket in state.tickets.values().filter(|t| t.tenant == *tenant) {
            facts.add_ticket(ticket, range, by);
        }
        Ok(facts)
    }
}

impl MemoryStore {
    /// The fan-out of [`WebhookStore::fan_out`], at most `lease.1` of its deliveries leased
    /// until `lease.0` when given; returns how many it created and the leased ones.
    fn fan_out_deliveries(
        &self,
        now: OffsetDateTime,
        lease: Option<(OffsetDateTime, usize)>,
        limit: usize,
    ) -> (usize, Vec<Delivery>) {
        let mut state = self.write();
        let mut created = Vec::new();
        let end = state.feed.len();
        let mut moved = Vec::new();
        for (index, (endpoint, position)) in state.webhooks.iter().enumerate() {
            if !endpoint.active {
                continue;
            }
            let mut last = *position;
            let mut taken = 0;
            for at in *position..end {
                if taken == limit {
                    break;
                }
                let (tenant, event) = &state.feed[at];
                last = at + 1;
                let kinds = endpoint.events.kinds();
                if tenant != &endpoint.tenant || !(kinds.is_empty() || kinds.contains(&event.kind())) {
                    continue;
                }
                taken += 1;
                created.push(Delivery {
                    id: Uuid::now_v7(),
                    tenant: endpoint.tenant.clone(),
                    endpoint_id: endpoint.id,
                    event_id: event.id().as_uuid(),
                    attempts: 0,
                    status: DeliveryStatus::Pending,
                    response_status: None,
                    duration_ms: None,
                    error: None,
                    next_attempt_at: Some(now),
                    created_at: now,
                });
            }
            moved.push((index, last));
        }
        for (index, last) in moved {
            state.webhooks[index].1 = last;
        }
        let (until, at_most) = lease.map_or((None, 0), |(until, at_most)| (Some(until), at_most));
        let count = created.len();
        state
            .deliveries
            .extend(created.iter().enumerate().map(|(index, d)| (d.clone(), until.filter(|_| index < at_most))));
        created.truncate(if until.is_some() { at_most } else { 0 });
        (count, created)
    }
}

impl State {
    /// `delivery` with its endpoint and event, ready to send (`None` when either is gone).
    fn claimed(&self, delivery: Delivery) -> Option<ClaimedDelivery> {
        let endpoint = self.webhooks.iter().find(|(w, _)| w.id == delivery.endpoint_id).map(|(w, _)| w.clone())?;
        let event = self
            .feed
            .iter()
            .position(|(_, e)| e.id().as_uuid() == delivery.event_id)
            .and_then(|index| self.feed_event(index))?;
        Some(ClaimedDelivery { delivery, endpoint, event })
    }
}

#[async_trait]
impl WebhookStore for MemoryStore {
    async fn insert_webhook(&self, endpoint: &WebhookEndpoint) -> StoreResult<()> {
        let mut state = self.write();
        let end = state.feed.len();
        state.webhooks.push((endpoint.clone(), end));
        Ok(())
    }

    async fn webhook(&self, tenant: &TenantKey, id: Uuid) -> StoreResult<Option<WebhookEndpoint>> {
        let state = self.read();
        Ok(state.webhooks.iter().find(|(w, _)| w.id == id && &w.tenant == tenant).map(|(w, _)| w.clone()))
    }

    async fn list_webhooks(&self, tenant: &TenantKey) -> StoreResult<Vec<WebhookEndpoint>> {
        let state = self.read();
        Ok(state.webhooks.iter().filter(|(w, _)| &w.tenant == tenant).map(|(w, _)| w.clone()).collect())
    }

    async fn update_webhook(&self, endpoint: &WebhookEndpoint) -> StoreResult<()> {
        let mut state = self.write();
        let stored = state
            .webhooks
            .iter_mut()
            .find(|(w, _)| w.id == endpoint.id && w.tenant == endpoint.tenant)
            .ok_or(StoreError::NotFound)?;
        stored.0 = endpoint.clone();
        Ok(())
    }

    async fn disable_webhook(
        &self,
        tenant: &TenantKey,
        id: Uuid,
        at: OffsetDateTime,
        event: &TenantEvent,
    ) -> StoreResult<bool> {
        let mut state = self.write();
        let Some((endpoint, _)) =
            state.webhooks.iter_mut().find(|(w, _)| w.id == id && &w.tenant == tenant && w.active)
        else {
            return Ok(false);
        };
        endpoint.active = false;
        endpoint.disabled_at = Some(at);
        endpoint.updated_at = at;
        state.feed.push((tenant.clone(), FeedItem::Tenant(event.clone())));
        Ok(true)
    }

    async fn delete_webhook(&self, tenant: &TenantKey, id: Uuid) -> StoreResult<bool> {
        let mut state = self.write();
        let before = state.webhooks.len();
        state.webhooks.retain(|(w, _)| !(w.id == id && &w.tenant == tenant));
        let deleted = state.webhooks.len() < before;
        if deleted {
            state.deliveries.retain(|(d, _)| d.endpoint_id != id);
        }
        Ok(deleted)
    }

    async fn fan_out(&self, now: OffsetDateTime, limit: usize) -> StoreResult<usize> {
        Ok(self.fan_out_deliveries(now, None, limit).0)
    }

    async fn fan_out_leased(
        &self,
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
        limit: usize,
        at_most: usize,
    ) -> StoreResult<Vec<ClaimedDelivery>> {
        let (_, created) = self.fan_out_deliveries(now, Some((lease_until, at_most)), limit);
        let state = self.read();
        Ok(created.into_iter().filter_map(|delivery| state.claimed(delivery)).collect())
    }

    async fn claim_deliveries(
        &self,
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
        limit: usize,
    ) -> StoreResult<Vec<ClaimedDelivery>> {
        let mut state = self.write();
        let mut due: Vec<usize> = state
            .deliveries
            .iter()
            .enumerate()
            .filter(|(_, (d, lease))| {
                d.status == DeliveryStatus::Pending
                    && d.next_attempt_at.is_some_and(|at| at <= now)
                    && lease.is_none_or(|l| l <= now)
                    && state.webhooks.iter().any(|(w, _)| w.id == d.endpoint_id && w.active)
            })
            .map(|(i, _)| i)
            .collect();
        due.sort_by_key(|i| state.deliveries[*i].0.next_attempt_at);
        due.truncate(limit);
        let mut claimed = Vec::new();
        for i in due {
            state.deliveries[i].1 = Some(lease_until);
            claimed.extend(state.claimed(state.deliveries[i].0.clone()));
        }
        Ok(claimed)
    }

    async fn pending_deliveries(&self) -> StoreResult<u64> {
        let pending = self.read().deliveries.iter().filter(|(d, _)| d.status == DeliveryStatus::Pending).count();
        Ok(u64::try_from(pending).unwrap_or(u64::MAX))
    }

    async fn record_attempts(
        &self,
        attempts: &[(Delivery, bool)],
        at: OffsetDateTime,
    ) -> StoreResult<Vec<Option<OffsetDateTime>>> {
        let mut state = self.write();
        let mut failing = Vec::with_capacity(attempts.len());
        for (delivery, succeeded) in attempts {
            if let Some(stored) = state.deliveries.iter_mut().find(|(d, _)| d.id == delivery.id) {
                *stored = (delivery.clone(), None);
            }
            // An endpoint deleted meanwhile has nothing left to mark.
            let Some(endpoint) = state.webhooks.iter_mut().find(|(w, _)| w.id == delivery.endpoint_id) else {
                failing.push(None);
                continue;
            };
            endpoint.0.failing_since = if *succeeded { None } else { Some(endpoint.0.failing_since.unwrap_or(at)) };
            failing.push(endpoint.0.failing_since);
        }
        Ok(failing)
    }

    async fn list_deliveries(
        &self,
        tenant: &TenantKey,
        endpoint: Uuid,
        before: Option<Uuid>,
        limit: usize,
    ) -> StoreResult<Vec<Delivery>> {
        let state = self.read();
        let mut page: Vec<Delivery> = state
            .deliveries
            .iter()
            .map(|(d, _)| d)
            .filter(|d| &d.tenant == tenant && d.endpoint_id == endpoint && before.is_none_or(|b| d.id < b))
            .cloned()
            .collect();
        page.sort_by_key(|d| std::cmp::Reverse(d.id));
        page.truncate(limit);
        Ok(page)
    }

    async fn retry_delivery(
        &self,
        tenant: &TenantKey,
        endpoint: Uuid,
        delivery: Uuid,
        now: OffsetDateTime,
    ) -> StoreResult<Option<Delivery>> {
        let mut state = self.write();
        let Some((stored, lease)) = state
            .deliveries
            .iter_mut()
            .find(|(d, _)| d.id == delivery && d.endpoint_id == endpoint && &d.tenant == tenant)
        else {
            return Ok(None);
        };
        stored.status = DeliveryStatus::Pending;
        stored.next_attempt_at = Some(now);
        *lease = None;
        Ok(Some(stored.clone()))
    }
}

#[async_trait]
impl EventStore for MemoryStore {
    async fn feed(
        &self,
        tenant: &TenantKey,
        after: Option<FeedPosition>,
        kinds: &[&'static str],
        limit: usize,
    ) -> StoreResult<Vec<FeedEvent>> {
        let state = self.read();
        // Positions are 1-based indexes into the log; txid is always 0 here.
        let start = after.map_or(0, |p| usize::try_from(p.seq()).unwrap_or(usize::MAX));
        let events = state
            .feed
            .iter()
            .enumerate()
            .skip(start)
            .filter(|(_, (t, e))| t == tenant && (kinds.is_empty() || kinds.contains(&e.kind())))
            .take(limit)
            .filter_map(|(index, _)| state.feed_event(index))
            .collect();
        Ok(events)
    }
}

#[async_trait]
impl TicketStore for MemoryStore {
    async fn create_ticket(&self, opened: OpenedTicket, idempotency: Option<IdempotencyRecord>) -> StoreResult<Ticket> {
        let mut state = self.write();
        state.check_claim(idempotency.as_ref())?;
        let tenant = opened.ticket.tenant().clone();
        let next = state.tenants.get(&tenant).map_or(0, |t| t.last_number) + 1;
        let number = TicketNumber::new(next).map_err(StoreError::unavailable)?;
        let ticket = opened.ticket.into_ticket(number);
        state.check_holder(&ticket, None)?;
        state
            .tenants
            .entry(tenant.clone())
            .or_insert_with(|| {
                TenantState::new(tenant.as_str(), tenant == TenantKey::default(), TenantPolicy::default())
            })
            .last_number = next;
        state.claim(idempotency);
        state.numbers.insert((tenant, number), ticket.id);
        state.message_index.insert(opened.message.id, ticket.id);
        state.messages.insert(ticket.id, vec![opened.message]);
        state.log(&ticket, &opened.events);
        state.events.insert(ticket.id, opened.events);
        state.tickets.insert(ticket.id, ticket.clone());
        Ok(ticket)
    }

    async fn save_change(&self, change: &TicketChange, idempotency: Option<IdempotencyRecord>) -> StoreResult<()> {
        let mut state = self.write();
        let id = change.ticket.id;
        let stored = state.tickets.get(&id).filter(|t| t.tenant == change.ticket.tenant).ok_or(StoreError::NotFound)?;
        if stored.version != change.expected_version {
            return Err(StoreError::VersionConflict);
        }
        state.check_claim(idempotency.as_ref())?;
        state.check_holder(&change.ticket, Some(id))?;
        state.claim(idempotency);
        if let Some(message) = &change.message {
            state.message_index.insert(message.id, id);
            state.messages.entry(id).or_default().push(message.clone());
        }
        state.log(&change.ticket, &change.events);
        state.events.entry(id).or_default().extend(change.events.iter().cloned());
        state.tickets.insert(id, change.ticket.clone());
        Ok(())
    }

    async fn load_ticket(&self, tenant: &TenantKey, ticket: TicketRef) -> StoreResult<Option<Ticket>> {
        Ok(self.read().ticket(tenant, ticket).cloned())
    }

    async fn ticket_view(
        &self,
        tenant: &TenantKey,
        ticket: TicketRef,
        visibility: Visibility,
    ) -> StoreResult<Option<TicketView>> {
        let state = self.read();
        let Some(ticket) = state.ticket(tenant, ticket) else {
            return Ok(None);
        };
        if visibility.customer().is_some_and(|id| id != ticket.customer_id) {
            return Ok(None);
        }
        let messages = state
            .messages
            .get(&ticket.id)
            .map(|all| {
                all.iter().filter(|m| visibility.shows_internal_notes() || !m.internal).cloned().collect::<Vec<_>>()
            })
            .unwrap_or_default();
        Ok(Some(TicketView { summary: state.summary(ticket), messages }))
    }

    async fn list_tickets(&self, tenant: &TenantKey, query: &TicketQuery) -> StoreResult<Page<TicketSummary>> {
        let state = self.read();
        let staff = !query.customer_view;
        let mut matching: Vec<(&Ticket, f64)> = Vec::new();
        for ticket in state.tickets.values().filter(|t| &t.tenant == tenant && query.matches(t)) {
            let score = match &query.text {
                None => 0.0,
                Some(text) => {
                    let document = state.search_document(ticket);
                    if document.matches(text.query(), staff) {
                        document.score(text.query(), staff)
                    } else if text.number() == Some(ticket.number) {
                        0.0
                    } else {
                        continue;
                    }
                }
            };
            matching.push((ticket, score));
        }
        let by_relevance = query.text.is_some() && query.sort == TicketSort::Relevance;
        matching.sort_by(|(a, a_score), (b, b_score)| {
            let relevance = if by_relevance { b_score.total_cmp(a_score) } else { std::cmp::Ordering::Equal };
            relevance.then_with(|| query.compare(a, b))
        });
        let total = matching.len() as u64;
        let offset = usize::try_from(query.page.offset()).unwrap_or(usize::MAX);
        // A keyset page starts after the cursor's position; the total stays the list's.
        let items = matching
            .into_iter()
            .filter(|(ticket, _)| query.is_after_position(ticket))
            .skip(offset)
            .take(query.page.fetch() as usize)
            .map(|(ticket, _)| {
                let mut summary = state.summary(ticket);
                if let Some(text) = &query.text {
                    let thread = state.messages.get(&ticket.id).map(Vec::as_slice).unwrap_or_default();
                    summary.search_match = match_of(text, &summary, thread, staff);
                }
                summary
            })
            .collect();
        Ok(Page::exact(items, query.page, total))
    }

    async fn message(&self, tenant: &TenantKey, id: MessageId) -> StoreResult<Option<Message>> {
        let state = self.read();
        let Some(ticket_id) = state.message_index.get(&id) else {
            return Ok(None);
        };
        if state.tickets.get(ticket_id).is_none_or(|t| &t.tenant != tenant) {
            return Ok(None);
        }
        Ok(state.messages.get(ticket_id).and_then(|all| all.iter().find(|m| m.id == id)).cloned())
    }

    async fn events(&self, tenant: &TenantKey, ticket: TicketId) -> StoreResult<Vec<AuditEvent>> {
        let state = self.read();
        if state.tickets.get(&ticket).is_none_or(|t| &t.tenant != tenant) {
            return Ok(Vec::new());
        }
        Ok(state.events.get(&ticket).cloned().unwrap_or_default())
    }

    async fn idempotency_record(
        &self,
        tenant: &TenantKey,
        principal_id: Uuid,
        key: &IdempotencyKey,
        not_before: OffsetDateTime,
    ) -> StoreResult<Option<IdempotencyRecord>> {
        let state = self.read();
        let record = state.idempotency.get(&(tenant.clone(), principal_id, key.as_str().to_owned()));
        Ok(record.filter(|r| r.created_at >= not_before).cloned())
    }
}

#[async_trait]
impl CategoryStore for MemoryStore {
    async fn list_categories(&self, tenant: &TenantKey, filter: CategoryFilter) -> StoreResult<Vec<Category>> {
        let state = self.read();
        let mut categories: Vec<Category> = state
            .categories
            .values()
            .filter(|c| &c.tenant == tenant)
            .filter(|c| filter.include_inactive || c.active)
            .filter(|c| filter.parent_id.is_none_or(|parent| c.parent_id == Some(parent)))
            .cloned()
            .collect();
        categories.sort_by(|a, b| a.position.cmp(&b.position).then_with(|| a.name.cmp(&b.name)));
        Ok(categories)
    }

    async fn find_category(&self, tenant: &TenantKey, key: &CategoryKey) -> StoreResult<Option<Category>> {
        let state = self.read();
        let found = match key {
            CategoryKey::Id(id) => state.categories.get(id).filter(|c| &c.tenant == tenant),
            CategoryKey::Slug(slug) => state.categories.values().find(|c| &c.tenant == tenant && &c.slug == slug),
        };
        Ok(found.cloned())
    }

    async fn insert_category(&self, category: &Category) -> StoreResult<()> {
        let mut state = self.write();
        let taken = state.categories.values().any(|c| c.tenant == category.tenant && c.slug == category.slug);
        if taken {
            return Err(StoreError::Duplicate(Taken::Slug));
        }
        state.categories.insert(category.id, category.clone());
        Ok(())
    }

    async fn update_category(&self, category: &Category) -> StoreResult<()> {
        let mut state = self.write();
        let exists = state.categories.get(&category.id).is_some_and(|c| c.tenant == category.tenant);
        if !exists {
            return Err(StoreError::NotFound);
        }
        let taken = state
            .categories
            .values()
            .any(|c| c.id != category.id && c.tenant == category.tenant && c.slug == category.slug);
        if taken {
            return Err(StoreError::Duplicate(Taken::Slug));
        }
        state.categories.insert(category.id, category.clone());
        Ok(())
    }
}

#[async_trait]
impl AccountStore for MemoryStore {
    async fn customer(&self, tenant: &TenantKey, id: CustomerId) -> StoreResult<Option<Customer>> {
        Ok(self.read().customers.get(&(tenant.clone(), id)).cloned())
    }

    async fn list_customers(&self, tenant: &TenantKey, query: &CustomerQuery) -> StoreResult<Page<Customer>> {
        let state = self.read();
        let mut matching: Vec<(String, &Customer)> = state
            .customers
            .values()
            .filter(|c| &c.tenant == tenant && query.matches(c))
            .map(|c| (directory_name_key(c.name.as_str()), c))
            .collect();
        matching.sort_by(|(a_key, a), (b_key, b)| (a_key, a.id).cmp(&(b_key, b.id)));
        let total = matching.len() as u64;
        let offset = usize::try_from(query.page.offset()).unwrap_or(usize::MAX);
        let items = matching
            .into_iter()
            .filter(|(_, customer)| query.is_after_position(customer))
            .skip(offset)
            .take(query.page.fetch() as usize)
            .map(|(_, customer)| customer.clone())
            .collect();
        Ok(Page::counted_up_to_cap(items, query.page, total))
    }

    async fn upsert_customer(&self, customer: &Customer) -> StoreResult<Customer> {
        let mut state = self.write();
        let key = (customer.tenant.clone(), customer.id);
        let stored = match state.customers.get(&key) {
            Some(existing) => Customer { created_at: existing.created_at, ..customer.clone() },
            None => customer.clone(),
        };
        state.customers.insert(key, stored.clone());
        Ok(stored)
    }

    async fn provision_customer(&self, customer: &Customer) -> StoreResult<Customer> {
        let mut state = self.write();
        let stored = state.customers.entry((customer.tenant.clone(), customer.id)).or_insert_with(|| customer.clone());
        Ok(stored.clone())
    }

    async fn register_customer(&self, customer: &Customer, login: &Login) -> StoreResult<()> {
        let mut state = self.write();
        let login_key = (login.tenant.clone(), login.email.clone());
        if state.logins.contains_key(&login_key) {
            return Err(StoreError::Duplicate(Taken::Email));
        }
        state.logins.insert(login_key, login.clone());
        state.customers.insert((customer.tenant.clone(), customer.id), customer.clone());
        Ok(())
    }

    async fn agent(&self, tenant: &TenantKey, id: AgentId) -> StoreResult<Option<Agent>> {
        Ok(self.read().agents.get(&(tenant.clone(), id)).cloned())
    }

    async fn list_agents(&self, tenant: &TenantKey) -> StoreResult<Vec<Agent>> {
        let state = self.read();
        let mut agents: Vec<Agent> = state.agents.values().filter(|a| &a.tenant == tenant).cloned().collect();
        agents.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.id.cmp(&b.id)));
        Ok(agents)
    }

    async fn insert_agent(&self, agent: &Agent, password_hash: &str) -> StoreResult<()> {
        let mut state = self.write();
        let login_key = (agent.tenant.clone(), agent.email.clone());
        if state.logins.contains_key(&login_key) {
            return Err(StoreError::Duplicate(Taken::Email));
        }
        state.logins.insert(
            login_key,
            Login {
                tenant: agent.tenant.clone(),
                email: agent.email.clone(),
                principal_id: agent.id.as_uuid(),
                role: agent.role,
                password_hash: password_hash.to_owned(),
            },
        );
        state.agents.insert((agent.tenant.clone(), agent.id), agent.clone());
        Ok(())
    }

    async fn update_agent(
        &self,
        agent: &Agent,
        password_hash: Option<&str>,
        revoke_sessions_at: Option<OffsetDateTime>,
    ) -> StoreResult<()> {
        let mut state = self.write();
        let key = (agent.tenant.clone(), agent.id);
        let Some(previous) = state.agents.get(&key).cloned() else {
            return Err(StoreError::NotFound);
        };
        let is_active_admin = |a: &Agent| a.role == Role::Admin && a.active;
        if is_active_admin(&previous)
            && !is_active_admin(agent)
            && !state.agents.values().any(|a| a.tenant == agent.tenant && a.id != agent.id && is_active_admin(a))
        {
            return Err(StoreError::LastAdmin);
        }
        let old_login_key = (agent.tenant.clone(), previous.email.clone());
        let new_login_key = (agent.tenant.clone(), agent.email.clone());
        if old_login_key != new_login_key && state.logins.contains_key(&new_login_key) {
            return Err(StoreError::Duplicate(Taken::Email));
        }
        let old_login = state.logins.remove(&old_login_key);
        let hash = password_hash.map(str::to_owned).or_else(|| old_login.map(|l| l.password_hash)).unwrap_or_default();
        state.logins.insert(
            new_login_key,
            Login {
                tenant: agent.tenant.clone(),
                email: agent.email.clone(),
                principal_id: agent.id.as_uuid(),
                role: agent.role,
                password_hash: hash,
            },
        );
        if let Some(at) = revoke_sessions_at {
            let session = state.sessions.entry(key.clone()).or_default();
            session.generation += 1;
            session.revoked_at = Some(at);
        }
        state.agents.insert(key, agent.clone());
        Ok(())
    }

    async fn login(&self, tenant: &TenantKey, email: &Email) -> StoreResult<Option<Login>> {
        Ok(self.read().logins.get(&(tenant.clone(), email.clone())).cloned())
    }

    async fn has_admin(&self, tenant: &TenantKey) -> StoreResult<bool> {
        Ok(self.read().agents.values().any(|a| &a.tenant == tenant && a.role == Role::Admin && a.active))
    }
}

#[async_trait]
impl TenantStore for MemoryStore {
    async fn ensure_tenant(&self, tenant: &TenantKey, default_categories: &[Category]) -> StoreResult<bool> {
        let mut state = self.write();
        if state.tenants.contains_key(tenant) {
            return Ok(false);
        }
        let allow_registration = *tenant == TenantKey::default();
        state
            .tenants
            .insert(tenant.clone(), TenantState::new(tenant.as_str(), allow_registration, TenantPolicy::default()));
        for category in default_categories {
            state.categories.insert(category.id, category.clone());
        }
        Ok(true)
    }

    async fn policy(&self, tenant: &TenantKey) -> StoreResult<TenantPolicy> {
        Ok(self.read().tenants.get(tenant).map(|t| t.policy).unwrap_or_default())
    }

    async fn save_policy(&self, tenant: &TenantKey, policy: TenantPolicy) -> StoreResult<()> {
        self.write()
            .tenants
            .entry(tenant.clone())
            .or_insert_with(|| TenantState::new(tenant.as_str(), *tenant == TenantKey::default(), policy))
            .policy = policy;
        Ok(())
    }

    async fn ping(&self) -> StoreResult<()> {
        Ok(())
    }
}

#[async_trait]
impl TrustStore for MemoryStore {
    async fn create_tenant(
        &self,
        tenant: &TenantKey,
        name: &str,
        allow_registration: bool,
        default_categories: &[Category],
    ) -> StoreResult<bool> {
        let mut state = self.write();
        if state.tenants.contains_key(tenant) {
            return Ok(false);
        }
        state.tenants.insert(tenant.clone(), TenantState::new(name, allow_registration, TenantPolicy::default()));
        for category in default_categories {
            state.categories.insert(category.id, category.clone());
        }
        Ok(true)
    }

    async fn tenant(&self, tenant: &TenantKey) -> StoreResult<Option<TenantRecord>> {
        Ok(self.read().tenants.get(tenant).map(|t| TenantRecord {
            key: tenant.clone(),
            name: t.name.clone(),
            allow_registration: t.allow_registration,
            created_at: t.created_at,
        }))
    }

    async fn set_allow_registration(&self, tenant: &TenantKey, allow: bool) -> StoreResult<()> {
        let mut state = self.write();
        let tenant = state.tenants.get_mut(tenant).ok_or(StoreError::NotFound)?;
        tenant.allow_registration = allow;
        Ok(())
    }

    async fn insert_signing_key(&self, key: &SigningKey) -> StoreResult<()> {
        let mut state = self.write();
        if state.signing_keys.contains_key(&key.kid) {
            return Err(StoreError::Duplicate(Taken::SigningKeyId));
        }
        state.signing_keys.insert(key.kid.clone(), key.clone());
        Ok(())
    }

    async fn signing_key(&self, kid: &str) -> StoreResult<Option<SigningKey>> {
        Ok(self.read().signing_keys.get(kid).cloned())
    }

    async fn list_signing_keys(&self, tenant: &TenantKey) -> StoreResult<Vec<SigningKey>> {
        let mut keys: Vec<SigningKey> =
            self.read().signing_keys.values().filter(|k| &k.tenant == tenant).cloned().collect();
        keys.sort_by(|a, b| (a.created_at, &a.kid).cmp(&(b.created_at, &b.kid)));
        Ok(keys)
    }

    async fn delete_signing_key(&self, tenant: &TenantKey, kid: &str) -> StoreResult<bool> {
        let mut state = self.write();
        if state.signing_keys.get(kid).is_some_and(|k| &k.tenant == tenant) {
            state.signing_keys.remove(kid);
            return Ok(true);
        }
        Ok(false)
    }

    async fn insert_api_key(&self, key: &ApiKey, key_hash: &str) -> StoreResult<()> {
        let mut state = self.write();
        if state.api_keys.contains_key(key_hash) {
            return Err(StoreError::Duplicate(Taken::ApiKey));
        }
        state.api_keys.insert(key_hash.to_owned(), key.clone());
        Ok(())
    }

    async fn api_key_by_hash(&self, key_hash: &str) -> StoreResult<Option<ApiKey>> {
        Ok(self.read().api_keys.get(key_hash).cloned())
    }

    async fn list_api_keys(&self, tenant: &TenantKey) -> StoreResult<Vec<ApiKey>> {
        let mut keys: Vec<ApiKey> = self.read().api_keys.values().filter(|k| &k.tenant == tenant).cloned().collect();
        keys.sort_by_key(|k| (k.created_at, k.id));
        Ok(keys)
    }

    async fn delete_api_key(&self, tenant: &TenantKey, id: Uuid) -> StoreResult<bool> {
        let mut state = self.write();
        let before = state.api_keys.len();
        state.api_keys.retain(|_, k| !(&k.tenant == tenant && k.id == id));
        Ok(state.api_keys.len() < before)
    }

    async fn touch_api_key(&self, tenant: &TenantKey, id: Uuid, at: OffsetDateTime) -> StoreResult<()> {
        let mut state = self.write();
        if let Some(key) = state.api_keys.values_mut().find(|k| &k.tenant == tenant && k.id == id) {
            key.last_used_at = Some(at);
        }
        Ok(())
    }

    async fn revoke_token(&self, _tenant: &TenantKey, token_hash: &str, expires_at: OffsetDateTime) -> StoreResult<()> {
        self.write().revoked_tokens.insert(token_hash.to_owned(), expires_at);
        Ok(())
    }

    async fn is_token_revoked(&self, token_hash: &str) -> StoreResult<bool> {
        Ok(self.read().revoked_tokens.contains_key(token_hash))
    }

    async fn prune_revoked_tokens(&self, now: OffsetDateTime) -> StoreResult<u64> {
        let mut state = self.write();
        let before = state.revoked_tokens.len();
        state.revoked_tokens.retain(|_, expires_at| *expires_at >= now);
        Ok(u64::try_from(before - state.revoked_tokens.len()).unwrap_or(u64::MAX))
    }

    async fn service_secret(&self, name: &str, candidate: &Secret) -> StoreResult<Secret> {
        Ok(self.write().service_secrets.entry(name.to_owned()).or_insert_with(|| candidate.clone()).clone())
    }

    async fn agent_session(&self, tenant: &TenantKey, id: AgentId) -> StoreResult<Option<AgentSession>> {
        let state = self.read();
        let key = (tenant.clone(), id);
        let Some(agent) = state.agents.get(&key) else {
            return Ok(None);
        };
        let session = state.sessions.get(&key).copied().unwrap_or_default();
        Ok(Some(AgentSession { agent: agent.clone(), generation: session.generation, revoked_at: session.revoked_at }))
    }

    async fn revoke_agent_sessions(&self, tenant: &TenantKey, id: AgentId, at: OffsetDateTime) -> StoreResult<()> {
        let mut state = self.write();
        let key = (tenant.clone(), id);
        if !state.agents.contains_key(&key) {
            return Err(StoreError::NotFound);
        }
        let session = state.sessions.entry(key).or_default();
        session.generation += 1;
        session.revoked_at = Some(at);
        Ok(())
    }
}
