//! The ticket use cases: open, list, get, reply, set status, assign, triage, close, reopen,
//! and the audit trail.

use crate::error::Missing;
use supportdesk_domain::{
    AgentId, AgentReply, Attachment, AuditEvent, CommandContext, CustomerId, Description, DomainError, ExternalRef,
    Message, MessageBody, OpenTicket, Permission, Priority, ResolutionNote, Role, Source, Status, Subject, Tags,
    TenantPolicy, Ticket, TicketChange, TicketId, TicketRef, Triage,
};
use tracing::instrument;

use crate::auth::Principal;
use crate::cursor::{CursorPoint, CursorScope, CursorSigner, CursorValue};
use crate::error::{AppError, StoreError};
use crate::model::{
    CategoryKey, CategorySummary, Idempotency, IdempotencyRecord, Page, PageRequest, PersonSummary, SortKey,
    TicketPosition, TicketQuery, TicketSort, TicketSummary, TicketView, Visibility,
};
use crate::trust::Secret;
use crate::App;

/// A use case's result, and whether it is the replay of an earlier request with the same
/// `Idempotency-Key`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome<T> {
    /// The result.
    pub value: T,
    /// `true` when nothing was written because the same request was answered before.
    pub replayed: bool,
}

/// What opening a ticket needs. Build it with [`OpenTicketInput::new`] and set the rest.
#[derive(Debug, Clone)]
pub struct OpenTicketInput {
    /// For agents: the customer the ticket is for (required). Customers leave it `None`.
    pub customer_id: Option<CustomerId>,
    /// An active category, by slug or id.
    pub category: CategoryKey,
    /// Made from the description when `None`.
    pub subject: Option<Subject>,
    /// The first message.
    pub description: Description,
    /// Default `normal`.
    pub priority: Priority,
    /// Default `api`.
    pub source: Source,
    /// The shop order it is about.
    pub order_id: Option<ExternalRef>,
    /// The delivery it is about.
    pub delivery_id: Option<ExternalRef>,
    /// Files attached to the description.
    pub attachments: Vec<Attachment>,
}

impl OpenTicketInput {
    /// The two required fields; everything else at its default.
    pub fn new(category: CategoryKey, description: Description) -> Self {
        Self {
            customer_id: None,
            category,
            subject: None,
            description,
            priority: Priority::default(),
            source: Source::default(),
            order_id: None,
            delivery_id: None,
            attachments: Vec::new(),
        }
    }
}

/// An agent's reply or note; see [`App::agent_reply`].
#[derive(Debug, Clone)]
pub struct AgentReplyInput {
    /// What the agent wrote.
    pub body: MessageBody,
    /// An internal note, never shown to the customer.
    pub internal: bool,
    /// Files attached.
    pub attachments: Vec<Attachment>,
    /// A status change in the same step (needs `tickets:update`).
    pub status: Option<Status>,
    /// Why, with `resolved` or `closed`.
    pub resolution_note: Option<ResolutionNote>,
}

/// The answer to a reply: the message added and the ticket's status after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplyResult {
    /// The message or note.
    pub message: Message,
    /// The ticket's status right after the reply.
    pub status: Status,
}

/// The triage fields; `None` keeps a field.
#[derive(Debug, Clone, Default)]
pub struct TriageInput {
    /// A new priority.
    pub priority: Option<Priority>,
    /// A new category, by slug or id; must be active.
    pub category: Option<CategoryKey>,
    /// The complete new set of tags.
    pub tags: Option<Tags>,
    /// A new subject.
    pub subject: Option<Subject>,
}

/// Why one attempt of a write did not finish; the use case retries or replays.
enum Attempt {
    /// Someone changed the ticket between load and save.
    VersionMoved,
    /// A concurrent request with the same idempotency key won.
    KeyTaken,
    /// A final answer.
    Failed(AppError),
}

impl From<AppError> for Attempt {
    fn from(error: AppError) -> Self {
        Attempt::Failed(error)
    }
}

impl From<DomainError> for Attempt {
    fn from(error: DomainError) -> Self {
        Attempt::Failed(error.into())
    }
}

impl From<StoreError> for Attempt {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::VersionConflict => Attempt::VersionMoved,
            StoreError::IdempotencyKeyTaken => Attempt::KeyTaken,
            other => Attempt::Failed(other.into()),
        }
    }
}

/// How often a write without `If-Match` is retried after losing a version race.
const MAX_ATTEMPTS: usize = 16;

/// A command on a loaded ticket: `None` when it changes nothing.
type Decide<'f> = dyn Fn(&Ticket, &CommandContext<'_>) -> Result<Option<TicketChange>, DomainError> + Send + Sync + 'f;

/// The result of a change on a ticket.
struct Modified {
    ticket: Ticket,
    change: Option<TicketChange>,
}

impl App {
    /// Opens a ticket: a customer for themself, or an agent (`tickets:reply`) for the
    /// customer named in `input.customer_id`. With `idempotency`, a retry returns the first
    /// ticket and creates nothing.
    ///
    /// # Errors
    ///
    /// `Validation` for an unknown or inactive category or a storefront ticket without an
    /// order; `NotFound` for an unknown customer; `OpenTicketExists` when the customer
    /// already has an unfinished ticket for the order or delivery (naming it; another
    /// customer's ticket neither blocks nor shows); `IdempotencyKeyReused` for a key used with another
    /// request; `Forbidden` without the permission.
    #[instrument(skip_all, fields(tenant = %principal.tenant, principal.id = %principal.id))]
    pub async fn open_ticket(
        &self,
        principal: &Principal,
        input: OpenTicketInput,
        idempotency: Option<Idempotency>,
    ) -> Result<Outcome<TicketView>, AppError> {
        self.ensure_tenant(&principal.tenant).await?;
        let customer = match principal.role {
            Role::Customer => {
                if input.customer_id.is_some_and(|id| id.as_uuid() != principal.id) {
                    return Err(AppError::invalid("customerId", "is set by agents only"));
                }
                self.customer_profile(principal).await?
            }
            Role::Agent | Role::Admin => {
                principal.require(Permission::TicketsReply)?;
                let id = input.customer_id.ok_or_else(|| AppError::invalid("customerId", "must not be blank"))?;
                self.accounts.customer(&principal.tenant, id).await?.ok_or(AppError::NotFound(Missing::Customer))?
            }
        };
        let category = self.active_category(principal, &input.category, "category").await?;
        for _ in 0..MAX_ATTEMPTS {
            if let Some(replay) = self.replay_ticket(principal, idempotency.as_ref()).await? {
                return Ok(replay);
            }
            let now = self.clock.now();
            let actor = principal.actor();
            let ctx = self.context(&actor, TenantPolicy::default(), now);
            let mut opened = Ticket::open(
                &ctx,
                OpenTicket {
                    tenant: principal.tenant.clone(),
                    customer_id: customer.id,
                    category_id: category.id,
                    subject: input.subject.clone(),
                    description: input.description.clone(),
                    priority: input.priority,
                    source: input.source,
                    order_id: input.order_id.clone(),
                    delivery_id: input.delivery_id.clone(),
                    attachments: input.attachments.clone(),
                },
            )?;
            let sla = self.sla_at_open(opened.ticket.draft()).await?;
            opened.ticket.set_sla(sla);
            let message = opened.message.clone();
            let record = idempotency.as_ref().map(|idem| IdempotencyRecord {
                tenant: principal.tenant.clone(),
                principal_id: principal.id,
                key: idem.key.clone(),
                fingerprint: idem.fingerprint.clone(),
                ticket_id: opened.ticket.id(),
                message_id: None,
                status: Status::Open,
                created_at: now,
            });
            match self.tickets.create_ticket(opened, record).await {
                Ok(ticket) => {
                    tracing::info!(ticket.id = %ticket.id, ticket.number = ticket.number.get(), "ticket opened");
                    let summary = TicketSummary {
                        ticket,
                        customer: PersonSummary {
                            id: customer.id.as_uuid(),
                            name: customer.name.to_string(),
                            email: customer.email.as_ref().map(ToString::to_string),
                            image_url: customer.image_url.clone(),
                        },
                        category: CategorySummary::from(&category),
                        assignee: None,
                        search_match: None,
                    };
                    return Ok(Outcome { value: TicketView { summary, messages: vec![message] }, replayed: false });
                }
                Err(StoreError::IdempotencyKeyTaken) => continue,
                Err(other) => return Err(other.into()),
            }
        }
        Err(AppError::Internal("the idempotency key stayed contended".into()))
    }

    /// The first response of an earlier create with the same key, if there was one.
    async fn replay_ticket(
        &self,
        principal: &Principal,
        idempotency: Option<&Idempotency>,
    ) -> Result<Option<Outcome<TicketView>>, AppError> {
        let Some(record) = self.idempotency_record(principal, idempotency).await? else {
            return Ok(None);
        };
        let view = self
            .tickets
            .ticket_view(&principal.tenant, TicketRef::Id(record.ticket_id), Visibility::Staff)
            .await?
            .ok_or(AppError::NotFound(Missing::Ticket))?;
        let visible = self.visibility(principal)?;
        let messages = view.messages.into_iter().filter(|m| visible.shows_internal_notes() || !m.internal).collect();
        Ok(Some(Outcome { value: TicketView { summary: view.summary, messages }, replayed: true }))
    }

    /// The live record of this principal and key; a different fingerprint is refused.
    async fn idempotency_record(
        &self,
        principal: &Principal,
        idempotency: Option<&Idempotency>,
    ) -> Result<Option<IdempotencyRecord>, AppError> {
        let Some(idem) = idempotency else {
            return Ok(None);
        };
        let not_before = self.clock.now() - IdempotencyRecord::LIFETIME;
        let record = self.tickets.idempotency_record(&principal.tenant, principal.id, &idem.key, not_before).await?;
        match record {
            Some(record) if record.fingerprint != idem.fingerprint => Err(AppError::IdempotencyKeyReused),
            other => Ok(other),
        }
    }

    /// Lists tickets: a customer's own, or (with `tickets:read`) the tenant's queue.
    ///
    /// # Errors
    ///
    /// `Forbidden` for an agent without `tickets:read`.
    #[instrument(skip_all, fields(tenant = %principal.tenant))]
    pub async fn list_tickets(
        &self,
        principal: &Principal,
        mut query: TicketQuery,
    ) -> Result<Page<TicketSummary>, AppError> {
        match self.visibility(principal)? {
            Visibility::Customer(id) => {
                query.customer_id = Some(id);
                query.customer_view = true;
            }
            Visibility::Staff => query.customer_view = false,
        }
        query.after = None;
        let filters = query.cursor_filters();
        let scope = CursorScope {
            tenant: &principal.tenant,
            principal_kind: principal_kind(principal),
            list: "tickets",
            filters: &filters,
        };
        // A search by relevance has no key to continue from: its cursor is an offset,
        // bounded like `page`.
        let by_offset = query.sort == TicketSort::Relevance && query.text.is_some();
        if let Some(raw) = query.cursor.take() {
            if query.page.offset() != 0 {
                return Err(AppError::invalid("page", "must not be combined with cursor"));
            }
            let signer = self.cursor_signer().await?;
            match (signer.decode(&scope, &raw)?, by_offset) {
                (CursorPoint::Offset(offset), true) if offset < PageRequest::MAX_OFFSET_ITEMS => {
                    query.page = PageRequest::at_offset(offset, query.page.size());
                }
                (CursorPoint::After { value, id }, false) => {
                    let key = match value {
                        CursorValue::At(at) => SortKey::At(at),
                        CursorValue::Priority(priority) => SortKey::Priority(priority),
                        CursorValue::Due(due) => SortKey::Due(due),
                        CursorValue::Text(_) => {
                            return Err(AppError::invalid("cursor", "is not a ticket list's cursor"))
                        }
                    };
                    query.after = Some(TicketPosition { key, id: TicketId::from_uuid(id) });
                }
                _ => return Err(AppError::invalid("cursor", "is not a cursor of this list's order")),
            }
        }
        let mut page = self.tickets.list_tickets(&principal.tenant, &query).await?;
        let size = query.page.size() as usize;
        if page.items.len() > size {
            page.items.truncate(size);
            let next = if by_offset {
                let offset = query.page.offset() + u64::from(query.page.size());
                (offset < PageRequest::MAX_OFFSET_ITEMS).then_some(CursorPoint::Offset(offset))
            } else {
                page.items.last().map(|last| {
                    let position = query.position_of(&last.ticket);
                    let value = match position.key {
                        SortKey::At(at) => CursorValue::At(at),
                        SortKey::Priority(priority) => CursorValue::Priority(priority),
                        SortKey::Due(due) => CursorValue::Due(due),
                    };
                    CursorPoint::After { value, id: position.id.as_uuid() }
                })
            };
            if let Some(next) = next {
                page.next_cursor = Some(self.cursor_signer().await?.encode(&scope, &next));
            }
        }
        Ok(page)
    }

    /// The signer of list cursors, with the service's `list-cursors` secret: made at random
    /// on first use and kept in the store, so every server process on one database checks
    /// the cursors of the others.
    pub(crate) async fn cursor_signer(&self) -> Result<&CursorSigner, AppError> {
        self.cursor_signer
            .get_or_try_init(|| async {
                let secret = self.trust.service_secret("list-cursors", &Secret::random(32)).await?;
                Ok::<_, AppError>(CursorSigner::new(secret.expose().as_bytes()))
            })
            .await
    }

    /// One ticket with its thread: a customer's own with public messages, or any ticket of
    /// the tenant with internal notes for staff with `tickets:read`.
    ///
    /// # Errors
    ///
    /// `NotFound` when it does not exist or is not the customer's.
    #[instrument(skip_all, fields(tenant = %principal.tenant))]
    pub async fn get_ticket(&self, principal: &Principal, ticket: TicketRef) -> Result<TicketView, AppError> {
        let visibility = self.visibility(principal)?;
        self.tickets
            .ticket_view(&principal.tenant, ticket, visibility)
            .await?
            .ok_or(AppError::NotFound(Missing::Ticket))
    }

    /// The ticket's audit trail, oldest first (`tickets:read`).
    ///
    /// # Errors
    ///
    /// `NotFound`, `Forbidden`.
    pub async fn ticket_events(&self, principal: &Principal, ticket: TicketRef) -> Result<Vec<AuditEvent>, AppError> {
        principal.require(Permission::TicketsRead)?;
        let ticket = self.load(principal, ticket).await?;
        Ok(self.tickets.events(&principal.tenant, ticket.id).await?)
    }

    /// The owner replies. `expected_version` is an `If-Match`; `idempotency` makes retries safe.
    ///
    /// # Errors
    ///
    /// `NotFound` for another's ticket, `TicketClosed`, `PreconditionFailed`,
    /// `IdempotencyKeyReused`, `OpenTicketExists` when reopening would give the customer
    /// two unfinished tickets for an order.
    #[instrument(skip_all, fields(tenant = %principal.tenant))]
    pub async fn customer_reply(
        &self,
        principal: &Principal,
        ticket: TicketRef,
        body: MessageBody,
        attachments: Vec<Attachment>,
        expected_version: Option<i64>,
        idempotency: Option<Idempotency>,
    ) -> Result<Outcome<ReplyResult>, AppError> {
        principal.require_customer()?;
        self.reply(principal, ticket, expected_version, idempotency, move |t, ctx| {
            t.customer_reply(ctx, body.clone(), attachments.clone()).map(Some)
        })
        .await
    }

    /// An agent replies (`tickets:reply`), or adds an internal note, and optionally moves the
    /// status in the same transaction (`tickets:update` too).
    ///
    /// # Errors
    ///
    /// As [`App::customer_reply`], plus `InvalidTransition` for a refused status change.
    #[instrument(skip_all, fields(tenant = %principal.tenant))]
    pub async fn agent_reply(
        &self,
        principal: &Principal,
        ticket: TicketRef,
        input: AgentReplyInput,
        expected_version: Option<i64>,
        idempotency: Option<Idempotency>,
    ) -> Result<Outcome<ReplyResult>, AppError> {
        principal.require(Permission::TicketsReply)?;
        if input.status.is_some() {
            principal.require(Permission::TicketsUpdate)?;
        }
        self.reply(principal, ticket, expected_version, idempotency, move |t, ctx| {
            t.agent_reply(
                ctx,
                AgentReply {
                    body: input.body.clone(),
                    internal: input.internal,
                    attachments: input.attachments.clone(),
                    status: input.status,
                    resolution_note: input.resolution_note.clone(),
                },
            )
            .map(Some)
        })
        .await
    }

    pub(crate) async fn reply(
        &self,
        principal: &Principal,
        ticket: TicketRef,
        expected_version: Option<i64>,
        idempotency: Option<Idempotency>,
        decide: impl Fn(&Ticket, &CommandContext<'_>) -> Result<Option<TicketChange>, DomainError> + Send + Sync,
    ) -> Result<Outcome<ReplyResult>, AppError> {
        self.ensure_tenant(&principal.tenant).await?;
        if principal.role == Role::Customer {
            self.ensure_customer(principal).await?;
        }
        for _ in 0..MAX_ATTEMPTS {
            if let Some(record) = self.idempotency_record(principal, idempotency.as_ref()).await? {
                let message_id = record.message_id.ok_or(AppError::IdempotencyKeyReused)?;
                let message = self
                    .tickets
                    .message(&principal.tenant, message_id)
                    .await?
                    .ok_or(AppError::NotFound(Missing::Message))?;
                return Ok(Outcome { value: ReplyResult { message, status: record.status }, replayed: true });
            }
            match self.modify(principal, ticket, expected_version, idempotency.as_ref(), &decide).await {
                Ok(Modified { change: Some(TicketChange { message: Some(message), ticket, .. }), .. }) => {
                    return Ok(Outcome { value: ReplyResult { message, status: ticket.status }, replayed: false });
                }
                Ok(_) => return Err(AppError::Internal("a reply added no message".into())),
                Err(Attempt::KeyTaken) => continue,
                Err(Attempt::VersionMoved) => {
                    return Err(AppError::Internal("version retries exhausted".into()));
                }
                Err(Attempt::Failed(error)) => return Err(error),
            }
        }
        Err(AppError::Internal("the idempotency key stayed contended".into()))
    }

    /// An agent sets the status (`tickets:update`); the same status is no change.
    ///
    /// # Errors
    ///
    /// `InvalidTransition`, `Validation` for a resolution note without `resolved`/`closed`,
    /// `PreconditionFailed`, `NotFound`, `Forbidden`.
    #[instrument(skip_all, fields(tenant = %principal.tenant))]
    pub async fn set_status(
        &self,
        principal: &Principal,
        ticket: TicketRef,
        to: Status,
        resolution_note: Option<ResolutionNote>,
        expected_version: Option<i64>,
    ) -> Result<TicketView, AppError> {
        principal.require(Permission::TicketsUpdate)?;
        self.change_and_view(principal, ticket, expected_version, move |t, ctx| {
            t.set_status(ctx, to, resolution_note.clone())
        })
        .await
    }

    /// An agent assigns the ticket to an active agent of the tenant, or clears the assignee
    /// (`tickets:assign`).
    ///
    /// # Errors
    ///
    /// `NotFound` for an unknown or inactive assignee, and as [`App::set_status`].
    #[instrument(skip_all, fields(tenant = %principal.tenant))]
    pub async fn assign(
        &self,
        principal: &Principal,
        ticket: TicketRef,
        assignee: Option<AgentId>,
        expected_version: Option<i64>,
    ) -> Result<TicketView, AppError> {
        principal.require(Permission::TicketsAssign)?;
        let assignee = match assignee {
            Some(id) => {
                let agent = self.accounts.agent(&principal.tenant, id).await?;
                let agent = agent.filter(|a| a.active).ok_or(AppError::NotFound(Missing::Assignee))?;
                Some((agent.id, agent.name.to_string()))
            }
            None => None,
        };
        self.change_and_view(principal, ticket, expected_version, move |t, ctx| {
            t.assign(ctx, assignee.as_ref().map(|(id, name)| (*id, name.as_str())))
        })
        .await
    }

    /// An agent changes priority, category, tags or subject (`tickets:update`).
    ///
    /// # Errors
    ///
    /// `Validation` for an unknown or inactive category, and as [`App::set_status`].
    #[instrument(skip_all, fields(tenant = %principal.tenant))]
    pub async fn triage(
        &self,
        principal: &Principal,
        ticket: TicketRef,
        input: TriageInput,
        expected_version: Option<i64>,
    ) -> Result<TicketView, AppError> {
        principal.require(Permission::TicketsUpdate)?;
        let category_id = match &input.category {
            Some(key) => Some(self.active_category(principal, key, "category").await?.id),
            None => None,
        };
        self.change_and_view(principal, ticket, expected_version, move |t, ctx| {
            t.triage(
                ctx,
                Triage {
                    priority: input.priority,
                    category_id,
                    tags: input.tags.clone(),
                    subject: input.subject.clone(),
                },
            )
        })
        .await
    }

    /// The owner closes (`closed`) or reopens (`open`) their ticket, as the tenant's policy
    /// allows.
    ///
    /// # Errors
    ///
    /// `Validation` for any other status; `Forbidden` when the policy disallows closing;
    /// `InvalidTransition`; `NotFound`; `PreconditionFailed`.
    #[instrument(skip_all, fields(tenant = %principal.tenant))]
    pub async fn customer_set_status(
        &self,
        principal: &Principal,
        ticket: TicketRef,
        to: Status,
        expected_version: Option<i64>,
    ) -> Result<TicketView, AppError> {
        principal.require_customer()?;
        match to {
            Status::Closed => {
                self.change_and_view(principal, ticket, expected_version, |t, ctx| t.customer_close(ctx)).await
            }
            Status::Open => {
                self.change_and_view(principal, ticket, expected_version, |t, ctx| t.customer_reopen(ctx)).await
            }
            Status::InProgress | Status::Answered | Status::Resolved => {
                Err(AppError::invalid("status", "must be closed or open"))
            }
        }
    }

    pub(crate) async fn change_and_view(
        &self,
        principal: &Principal,
        ticket: TicketRef,
        expected_version: Option<i64>,
        decide: impl Fn(&Ticket, &CommandContext<'_>) -> Result<Option<TicketChange>, DomainError> + Send + Sync,
    ) -> Result<TicketView, AppError> {
        self.ensure_tenant(&principal.tenant).await?;
        let modified = match self.modify(principal, ticket, expected_version, None, &decide).await {
            Ok(modified) => modified,
            Err(Attempt::Failed(error)) => return Err(error),
            Err(Attempt::VersionMoved | Attempt::KeyTaken) => {
                return Err(AppError::Internal("version retries exhausted".into()))
            }
        };
        if let Some(change) = &modified.change {
            tracing::info!(ticket.id = %change.ticket.id, ticket.version = change.ticket.version, "ticket changed");
        }
        self.get_ticket(principal, TicketRef::Id(modified.ticket.id)).await
    }

    /// Load, decide, save with a version check; on a lost race without `If-Match`, again.
    async fn modify(
        &self,
        principal: &Principal,
        ticket: TicketRef,
        expected_version: Option<i64>,
        idempotency: Option<&Idempotency>,
        decide: &Decide<'_>,
    ) -> Result<Modified, Attempt> {
        let policy = match principal.role {
            Role::Customer => self.tenants.policy(&principal.tenant).await?,
            Role::Agent | Role::Admin => TenantPolicy::default(),
        };
        let actor = principal.actor();
        for _ in 0..MAX_ATTEMPTS {
            let current = self.load(principal, ticket).await?;
            if let Some(expected) = expected_version {
                let seen = Self::version_seen_by(principal, &current);
                if expected != seen {
                    return Err(AppError::PreconditionFailed { current: seen }.into());
                }
            }
            let now = self.clock.now();
            let ctx = self.context(&actor, policy, now);
            let Some(mut change) = decide(&current, &ctx)? else {
                return Ok(Modified { ticket: current, change: None });
            };
            self.settle_sla(&mut change, now).await?;
            self.settle_metrics(&mut change).await?;
            let record = idempotency.map(|idem| IdempotencyRecord {
                tenant: principal.tenant.clone(),
                principal_id: principal.id,
                key: idem.key.clone(),
                fingerprint: idem.fingerprint.clone(),
                ticket_id: current.id,
                message_id: change.message.as_ref().map(|m| m.id),
                status: change.ticket.status,
                created_at: now,
            });
            match self.tickets.save_change(&change, record).await {
                Ok(()) => return Ok(Modified { ticket: change.ticket.clone(), change: Some(change) }),
                // Decide again on the new state; with `If-Match`, the check above answers 412
                // if the version the caller sees moved. A customer's public version does not
                // move with a concurrent internal note, so their write still goes through.
                Err(StoreError::VersionConflict) => continue,
                Err(other) => return Err(other.into()),
            }
        }
        Err(Attempt::VersionMoved)
    }

    /// The version `If-Match` is compared with: a customer's is the public version (their
    /// `ETag`), which staff-only changes do not move; staff compare with every change.
    fn version_seen_by(principal: &Principal, ticket: &Ticket) -> i64 {
        match principal.role {
            Role::Customer => ticket.public_version,
            Role::Agent | Role::Admin => ticket.version,
        }
    }

    /// The ticket, if the principal may see it at all (customers: their own only).
    async fn load(&self, principal: &Principal, ticket: TicketRef) -> Result<Ticket, AppError> {
        let visibility = self.visibility(principal)?;
        let ticket = self.tickets.load_ticket(&principal.tenant, ticket).await?;
        ticket
            .filter(|t| visibility.customer().is_none_or(|id| id == t.customer_id))
            .ok_or(AppError::NotFound(Missing::Ticket))
    }

    /// What the principal may see; staff need `tickets:read`.
    pub(crate) fn visibility(&self, principal: &Principal) -> Result<Visibility, AppError> {
        match principal.role {
            Role::Customer => Ok(Visibility::Customer(CustomerId::from_uuid(principal.id))),
            Role::Agent | Role::Admin => {
                principal.require(Permission::TicketsRead)?;
                Ok(Visibility::Staff)
            }
        }
    }

    pub(crate) fn context<'a>(
        &'a self,
        actor: &'a supportdesk_domain::Actor,
        policy: TenantPolicy,
        now: time::OffsetDateTime,
    ) -> CommandContext<'a> {
        CommandContext { actor, policy, now, ids: self.ids.as_ref() }
    }
}

/// The kind of caller a cursor is bound to: a customer's lists and the staff's differ.
pub(crate) fn principal_kind(principal: &Principal) -> &'static str {
    match principal.role {
        Role::Customer => "customer",
        Role::Agent | Role::Admin => "staff",
    }
}
