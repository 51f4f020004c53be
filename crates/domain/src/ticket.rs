//! The ticket aggregate: its state, its messages, and the commands that move it.
//!
//! Every command is a method that checks the rules of `domain.md` against the acting party
//! and the tenant's policy, and returns a [`TicketChange`] (the new state, the message it
//! added, the audit events) or a [`DomainError`]. Nothing here does I/O: the caller loads,
//! decides here, and saves the change atomically with a version check.

use time::OffsetDateTime;

use crate::attachment::Attachment;
use crate::error::{DomainError, InvalidValue, Rule};
use crate::event::{AuditEvent, EventData, FieldChange};
use crate::ids::{AgentId, CategoryId, CustomerId, EventId, IdSource, MessageId, TicketId};
use crate::number::TicketNumber;
use crate::party::{Actor, TenantPolicy};
use crate::report::TicketMetrics;
use crate::sla::TicketSla;
use crate::status::{AuthorType, Priority, Rating, Source, Status};
use crate::text::{
    Description, ExternalRef, MessageBody, ResolutionNote, SatisfactionComment, Subject, Tags, TenantKey,
};

/// A support ticket's current state. Messages and events live beside it, not in it, so a
/// command never needs the whole thread.
///
/// Fields are public for reading and for adapters that rebuild a ticket from storage; change
/// a ticket only through its commands, which keep the invariants of `domain.md`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ticket {
    /// Its UUID.
    pub id: TicketId,
    /// The tenant it belongs to.
    pub tenant: TenantKey,
    /// Its number within the tenant.
    pub number: TicketNumber,
    /// The customer it is for.
    pub customer_id: CustomerId,
    /// Its category (top-level or subcategory).
    pub category_id: CategoryId,
    /// Its subject.
    pub subject: Subject,
    /// Where it is in its life.
    pub status: Status,
    /// How urgent it is.
    pub priority: Priority,
    /// The channel it came through.
    pub source: Source,
    /// The shop order it is about, if any.
    pub order_id: Option<ExternalRef>,
    /// The delivery it is about, if any.
    pub delivery_id: Option<ExternalRef>,
    /// The agent working on it, if any.
    pub assignee_id: Option<AgentId>,
    /// Its tags.
    pub tags: Tags,
    /// Why it was resolved or closed; only while `resolved` or `closed`.
    pub resolution_note: Option<ResolutionNote>,
    /// When it was opened.
    pub created_at: OffsetDateTime,
    /// When it last changed in any way.
    pub updated_at: OffsetDateTime,
    /// When the last message (of anyone) was added.
    pub last_activity_at: OffsetDateTime,
    /// When the customer's last message was added.
    pub last_customer_message_at: Option<OffsetDateTime>,
    /// When an agent's last message (reply or note) was added.
    pub last_agent_message_at: Option<OffsetDateTime>,
    /// When an agent first replied publicly; never changes after.
    pub first_responded_at: Option<OffsetDateTime>,
    /// When it entered `resolved`; cleared on reopening.
    pub resolved_at: Option<OffsetDateTime>,
    /// When it entered `closed`; cleared on reopening.
    pub closed_at: Option<OffsetDateTime>,
    /// Bumped by every change; the staff's `ETag`.
    pub version: i64,
    /// Bumped only by changes a customer can see: the customer's `version` and `ETag`.
    /// Internal notes and tag changes are staff-only and leave it (and the other `public_`
    /// fields) as it is; status, priority, category, subject, assignee and public messages
    /// move it.
    pub public_version: i64,
    /// When it last changed in a way the customer can see.
    pub public_updated_at: OffsetDateTime,
    /// When the last public message (of anyone) was added: internal notes do not count.
    pub public_last_activity_at: OffsetDateTime,
    /// When an agent's last public reply was added: internal notes do not count.
    pub public_last_agent_message_at: Option<OffsetDateTime>,
    /// The SLA policy that applies and where its clocks stand; `None` when no policy
    /// applies. Commands keep it as it is: the application recomputes it with every change.
    pub sla: Option<TicketSla>,
    /// The customer's latest satisfaction rating, of this resolution or an earlier one
    /// (compare `rated_at` with [`Ticket::resolution_at`]).
    pub satisfaction: Option<Satisfaction>,
    /// What its history measured for reports (first response and resolution times in
    /// working time, reopenings). Commands keep it as it is: the application recomputes it
    /// with every change, like `sla`.
    pub metrics: TicketMetrics,
}

/// A customer's rating of a resolution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Satisfaction {
    /// `good` or `bad`.
    pub rating: Rating,
    /// What the customer added.
    pub comment: Option<SatisfactionComment>,
    /// When they rated.
    pub rated_at: OffsetDateTime,
}

/// One message of a ticket's thread: a public reply or an internal note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// Its id (time-ordered).
    pub id: MessageId,
    /// The ticket it belongs to.
    pub ticket_id: TicketId,
    /// Who wrote it.
    pub author: Actor,
    /// What they wrote.
    pub body: MessageBody,
    /// Internal notes are for agents only; customers never see them.
    pub internal: bool,
    /// Files it refers to.
    pub attachments: Vec<Attachment>,
    /// When it was written.
    pub created_at: OffsetDateTime,
}

/// What a command needs besides its own input: who acts, under which policy, when, and
/// where new ids come from.
#[derive(Clone, Copy)]
pub struct CommandContext<'a> {
    /// The acting customer or agent.
    pub actor: &'a Actor,
    /// The tenant's policy.
    pub policy: TenantPolicy,
    /// The time of the command.
    pub now: OffsetDateTime,
    /// Where new ids come from.
    pub ids: &'a dyn IdSource,
}

impl CommandContext<'_> {
    fn event(&self, ticket_id: TicketId, data: EventData) -> AuditEvent {
        AuditEvent {
            id: EventId::from_uuid(self.ids.next_uuid()),
            ticket_id,
            actor: self.actor.clone(),
            data,
            created_at: self.now,
        }
    }

    fn require_agent(&self) -> Result<(), DomainError> {
        if self.actor.is_agent() {
            Ok(())
        } else {
            Err(DomainError::WrongActor("agents"))
        }
    }
}

/// The input of [`Ticket::open`]: everything a new ticket is made of.
#[derive(Debug, Clone)]
pub struct OpenTicket {
    /// The tenant.
    pub tenant: TenantKey,
    /// The customer it is for (the actor, or the customer an agent acts for).
    pub customer_id: CustomerId,
    /// An active category of the tenant.
    pub category_id: CategoryId,
    /// The subject; made from the description when absent.
    pub subject: Option<Subject>,
    /// The first message.
    pub description: Description,
    /// Defaults to `normal`.
    pub priority: Priority,
    /// Defaults to `api`; `storefront` requires an order.
    pub source: Source,
    /// The shop order it is about.
    pub order_id: Option<ExternalRef>,
    /// The delivery it is about.
    pub delivery_id: Option<ExternalRef>,
    /// Files attached to the first message.
    pub attachments: Vec<Attachment>,
}

/// A ticket that has been decided but not yet numbered: the store numbers it when it saves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTicket {
    ticket: Ticket,
}

impl NewTicket {
    /// The ticket as it will be saved, once it has `number`.
    pub fn into_ticket(mut self, number: TicketNumber) -> Ticket {
        self.ticket.number = number;
        self.ticket
    }

    /// The new ticket's id.
    pub fn id(&self) -> TicketId {
        self.ticket.id
    }

    /// The tenant it will belong to.
    pub fn tenant(&self) -> &TenantKey {
        &self.ticket.tenant
    }

    /// The order it is about, for the one-unfinished-ticket-per-(customer, order) rule.
    pub fn order_id(&self) -> Option<&ExternalRef> {
        self.ticket.order_id.as_ref()
    }

    /// The delivery it is about, for the one-unfinished-ticket-per-(customer, delivery) rule.
    pub fn delivery_id(&self) -> Option<&ExternalRef> {
        self.ticket.delivery_id.as_ref()
    }

    /// The customer it is for.
    pub fn customer_id(&self) -> CustomerId {
        self.ticket.customer_id
    }

    /// The ticket as decided (its number is a placeholder until the store saves it).
    pub fn draft(&self) -> &Ticket {
        &self.ticket
    }

    /// Sets the SLA state the ticket is born with.
    pub fn set_sla(&mut self, sla: Option<TicketSla>) {
        self.ticket.sla = sla;
    }
}

/// What opening a ticket produced: the ticket to number and save, its first message and its
/// `created` event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenedTicket {
    /// The ticket, without its number yet.
    pub ticket: NewTicket,
    /// The description as the first message.
    pub message: Message,
    /// `created`, then `message_added` for the description.
    pub events: Vec<AuditEvent>,
}

/// What a command changed: the ticket after, the message it added, its audit events, and
/// the version the ticket had before (for the store's optimistic check).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketChange {
    /// The version the change was decided on; the store saves only if it is still current.
    pub expected_version: i64,
    /// The ticket after the change (version already bumped).
    pub ticket: Ticket,
    /// The message or note the command added, if any.
    pub message: Option<Message>,
    /// The audit events, in the order they happened.
    pub events: Vec<AuditEvent>,
}

impl TicketChange {
    /// The status before and after the change, when it moved: what a store that keeps
    /// counts per status must adjust. A change that passes through a status and ends where it
    /// began (an agent's public reply with `status: open` on an open ticket goes by
    /// `answered`) reports nothing: the counts are the same before and after.
    ///
    /// ```
    /// # use supportdesk_domain::{TicketChange, Status};
    /// # fn example(change: &TicketChange) {
    /// if let Some((from, to)) = change.status_moved() {
    ///     println!("one ticket fewer {}, one more {}", from.as_str(), to.as_str());
    /// }
    /// # }
    /// ```
    pub fn status_moved(&self) -> Option<(Status, Status)> {
        let from = self.events.iter().find_map(|event| match event.data {
            EventData::StatusChanged { from, .. } => Some(from),
            _ => None,
        })?;
        (from != self.ticket.status).then_some((from, self.ticket.status))
    }
}

/// The triage fields an agent may change; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct Triage {
    /// A new priority.
    pub priority: Option<Priority>,
    /// A new category (must be an active category of the tenant: the caller checks).
    pub category_id: Option<CategoryId>,
    /// The new, complete set of tags.
    pub tags: Option<Tags>,
    /// A new subject.
    pub subject: Option<Subject>,
}

/// An agent's reply or internal note, with an optional status change in the same step.
#[derive(Debug, Clone)]
pub struct AgentReply {
    /// What the agent wrote.
    pub body: MessageBody,
    /// An internal note rather than a public reply.
    pub internal: bool,
    /// Files attached.
    pub attachments: Vec<Attachment>,
    /// A status to move to after the message is added (e.g. reply and resolve).
    pub status: Option<Status>,
    /// Why, when `status` is `resolved` or `closed`.
    pub resolution_note: Option<ResolutionNote>,
}

/// What applying a macro does to a ticket, its body already rendered for it.
#[derive(Debug, Clone)]
pub struct MacroActions {
    /// The reply or note.
    pub body: MessageBody,
    /// An internal note rather than a public reply.
    pub internal: bool,
    /// A status to move to after the message.
    pub status: Option<Status>,
    /// A new priority.
    pub priority: Option<Priority>,
    /// Tags added to the ticket's own (those it has stay).
    pub add_tags: Tags,
    /// The agent (and their name) to assign the ticket to: the agent applying the macro.
    pub assign_to: Option<(AgentId, String)>,
}

/// A change being built: the ticket as it becomes, the events so far, and whether the
/// customer can see any of it.
struct Draft<'a> {
    ctx: CommandContext<'a>,
    before: i64,
    ticket: Ticket,
    message: Option<Message>,
    events: Vec<AuditEvent>,
    /// Whether something the customer sees changed: then the public version and
    /// `public_updated_at` move too.
    public: bool,
}

impl<'a> Draft<'a> {
    fn new(ticket: &Ticket, ctx: CommandContext<'a>) -> Self {
        Self { ctx, before: ticket.version, ticket: ticket.clone(), message: None, events: Vec::new(), public: false }
    }

    /// Marks the change as one the customer sees.
    fn customer_visible(&mut self) {
        self.public = true;
    }

    fn record(&mut self, data: EventData) {
        let event = self.ctx.event(self.ticket.id, data);
        self.events.push(event);
    }

    fn add_message(&mut self, body: MessageBody, internal: bool, attachments: Vec<Attachment>) {
        let now = self.ctx.now;
        let message = Message {
            id: MessageId::from_uuid(self.ctx.ids.next_uuid()),
            ticket_id: self.ticket.id,
            author: self.ctx.actor.clone(),
            body,
            internal,
            attachments,
            created_at: now,
        };
        self.ticket.last_activity_at = now;
        match self.ctx.actor.kind {
            AuthorType::Customer => self.ticket.last_customer_message_at = Some(now),
            AuthorType::Agent | AuthorType::System => self.ticket.last_agent_message_at = Some(now),
        }
        // An internal note is staff-only: the customer's times stay where they were.
        if !internal {
            self.ticket.public_last_activity_at = now;
            if self.ctx.actor.kind != AuthorType::Customer {
                self.ticket.public_last_agent_message_at = Some(now);
            }
            self.customer_visible();
        }
        let message_id = message.id;
        self.message = Some(message);
        self.record(if internal {
            EventData::NoteAdded { message_id }
        } else {
            EventData::MessageAdded { message_id }
        });
    }

    /// Moves the status and applies its side effects; staying put records nothing.
    fn move_to(&mut self, to: Status, note: Option<ResolutionNote>) {
        let from = self.ticket.status;
        if from == to {
            return;
        }
        let now = self.ctx.now;
        self.customer_visible();
        let ticket = &mut self.ticket;
        ticket.status = to;
        match to {
            Status::Resolved => {
                ticket.resolved_at = Some(now);
                ticket.closed_at = None;
                ticket.resolution_note = note.clone();
            }
            Status::Closed => {
                ticket.closed_at = Some(now);
                if note.is_some() {
                    ticket.resolution_note = note.clone();
                }
            }
            Status::Open | Status::InProgress | Status::Answered => {
                ticket.resolved_at = None;
                ticket.closed_at = None;
                ticket.resolution_note = None;
            }
        }
        self.record(EventData::StatusChanged { from, to, resolution_note: note.map(ResolutionNote::into_string) });
    }

    /// A reply or note, then the optional status change (see [`Ticket::agent_reply`]).
    fn reply(&mut self, reply: AgentReply) -> Result<(), DomainError> {
        Attachment::check_count(reply.attachments.len())?;
        check_resolution_note(reply.status, reply.resolution_note.as_ref())?;
        if !reply.internal {
            let answered = match self.ticket.status {
                Status::Open | Status::InProgress | Status::Answered => Status::Answered,
                Status::Resolved => Status::Resolved,
                Status::Closed => return Err(DomainError::TicketClosed),
            };
            self.add_message(reply.body, false, reply.attachments);
            if self.ticket.first_responded_at.is_none() {
                self.ticket.first_responded_at = Some(self.ctx.now);
            }
            self.move_to(answered, None);
        } else {
            self.add_message(reply.body, true, reply.attachments);
        }
        if let Some(to) = reply.status {
            let from = self.ticket.status;
            if from != to && !from.agent_may_set(to) {
                return Err(DomainError::InvalidTransition { from, to });
            }
            self.move_to(to, reply.resolution_note);
        }
        Ok(())
    }

    /// Assigns or unassigns (see [`Ticket::assign`]); the same assignee records nothing.
    fn assign(&mut self, assignee: Option<(AgentId, &str)>) {
        match (self.ticket.assignee_id, assignee) {
            (Some(current), Some((new, _))) if current == new => {}
            (None, None) => {}
            (previous, Some((assignee_id, name))) => {
                // The customer sees who is assigned (id, name, picture).
                self.customer_visible();
                self.ticket.assignee_id = Some(assignee_id);
                self.record(EventData::Assigned {
                    assignee_id,
                    assignee_name: name.to_owned(),
                    previous_assignee_id: previous,
                });
                if self.ticket.status == Status::Open {
                    self.move_to(Status::InProgress, None);
                }
            }
            (Some(previous), None) => {
                self.customer_visible();
                self.ticket.assignee_id = None;
                self.record(EventData::Unassigned { previous_assignee_id: previous });
            }
        }
    }

    /// Changes the triage fields that differ (see [`Ticket::triage`]); none records nothing.
    fn triage(&mut self, triage: Triage) {
        fn diff<T: PartialEq + Clone>(current: &T, new: Option<T>) -> Option<FieldChange<T>> {
            new.filter(|value| value != current).map(|to| FieldChange { from: current.clone(), to })
        }
        let priority = diff(&self.ticket.priority, triage.priority);
        let category_id = diff(&self.ticket.category_id, triage.category_id);
        let tags = diff(&self.ticket.tags, triage.tags);
        let subject = diff(&self.ticket.subject, triage.subject);
        if priority.is_none() && category_id.is_none() && tags.is_none() && subject.is_none() {
            return;
        }
        // Tags are staff-only: a triage that changes only tags is invisible to the customer.
        if priority.is_some() || category_id.is_some() || subject.is_some() {
            self.customer_visible();
        }
        if let Some(change) = &priority {
            self.ticket.priority = change.to;
        }
        if let Some(change) = &category_id {
            self.ticket.category_id = change.to;
        }
        if let Some(change) = &tags {
            self.ticket.tags = change.to.clone();
        }
        if let Some(change) = &subject {
            self.ticket.subject = change.to.clone();
        }
        let as_strings = |tags: &Tags| tags.iter_str().map(str::to_owned).collect::<Vec<_>>();
        self.record(EventData::Triaged {
            priority,
            category_id,
            tags: tags.map(|c| FieldChange { from: as_strings(&c.from), to: as_strings(&c.to) }),
            subject: subject.map(|c| FieldChange { from: c.from.into_string(), to: c.to.into_string() }),
        });
    }

    /// The change, or `None` when nothing happened.
    fn finish(mut self) -> Option<TicketChange> {
        if self.events.is_empty() {
            return None;
        }
        self.ticket.version = self.before + 1;
        self.ticket.updated_at = self.ctx.now;
        if self.public {
            self.ticket.public_version += 1;
            self.ticket.public_updated_at = self.ctx.now;
        }
        Some(TicketChange {
            expected_version: self.before,
            ticket: self.ticket,
            message: self.message,
            events: self.events,
        })
    }

    /// The change of a command that always changes something.
    fn finish_changed(self) -> TicketChange {
        let before = self.before;
        let ticket = self.ticket.clone();
        self.finish().unwrap_or(TicketChange { expected_version: before, ticket, message: None, events: Vec::new() })
    }
}

/// `resolutionNote` is accepted only when the target is `resolved` or `closed`.
fn check_resolution_note(to: Option<Status>, note: Option<&ResolutionNote>) -> Result<(), DomainError> {
    let allowed = matches!(to, Some(Status::Resolved | Status::Closed));
    if note.is_some() && !allowed {
        return Err(InvalidValue::new(
            "resolutionNote",
            Rule::Format("given only when the status becomes resolved or closed"),
        )
        .into());
    }
    Ok(())
}

impl Ticket {
    /// Opens a ticket for a customer, by the customer or by an agent on their behalf.
    ///
    /// ```
    /// use supportdesk_domain::*;
    /// use time::macros::datetime;
    ///
    /// let customer = CustomerId::from_uuid(uuid::Uuid::now_v7());
    /// let actor = Actor::customer(customer, "Alex");
    /// let ids = SequentialIds::default();
    /// let ctx = CommandContext {
    ///     actor: &actor,
    ///     policy: TenantPolicy::default(),
    ///     now: datetime!(2026-03-17 10:05 UTC),
    ///     ids: &ids,
    /// };
    /// let opened = Ticket::open(
    ///     &ctx,
    ///     OpenTicket {
    ///         tenant: TenantKey::default(),
    ///         customer_id: customer,
    ///         category_id: CategoryId::from_uuid(uuid::Uuid::now_v7()),
    ///         subject: None,
    ///         description: Description::parse("My parcel never arrived. It was due Monday.").unwrap(),
    ///         priority: Priority::Normal,
    ///         source: Source::Api,
    ///         order_id: None,
    ///         delivery_id: None,
    ///         attachments: vec![],
    ///     },
    /// )
    /// .unwrap();
    /// let ticket = opened.ticket.into_ticket(TicketNumber::new(1).unwrap());
    /// assert_eq!(ticket.status, Status::Open);
    /// assert_eq!(ticket.subject.as_str(), "My parcel never arrived.");
    /// assert_eq!(opened.events[0].data.kind(), "created");
    /// ```
    ///
    /// # Errors
    ///
    /// [`DomainError::Invalid`] for `orderId` when the source is `storefront` and no order is
    /// given; [`DomainError::NotOwner`] when a customer opens a ticket for someone else.
    pub fn open(ctx: &CommandContext<'_>, input: OpenTicket) -> Result<OpenedTicket, DomainError> {
        if input.source == Source::Storefront && input.order_id.is_none() {
            return Err(InvalidValue::new("orderId", Rule::Format("given when the source is storefront")).into());
        }
        if ctx.actor.kind == AuthorType::Customer && !ctx.actor.is_customer(input.customer_id) {
            return Err(DomainError::NotOwner);
        }
        Attachment::check_count(input.attachments.len())?;
        let now = ctx.now;
        let id = TicketId::from_uuid(ctx.ids.next_uuid());
        let subject = input.subject.unwrap_or_else(|| Subject::from_description(&input.description));
        let by_customer = ctx.actor.kind == AuthorType::Customer;
        let ticket = Ticket {
            id,
            tenant: input.tenant,
            // Replaced by the store's number when it saves the ticket.
            number: TicketNumber::new(1)?,
            customer_id: input.customer_id,
            category_id: input.category_id,
            subject,
            status: Status::Open,
            priority: input.priority,
            source: input.source,
            order_id: input.order_id,
            delivery_id: input.delivery_id,
            assignee_id: None,
            tags: Tags::default(),
            resolution_note: None,
            created_at: now,
            updated_at: now,
            last_activity_at: now,
            last_customer_message_at: by_customer.then_some(now),
            last_agent_message_at: (!by_customer).then_some(now),
            first_responded_at: None,
            resolved_at: None,
            closed_at: None,
            version: 1,
            public_version: 1,
            public_updated_at: now,
            public_last_activity_at: now,
            public_last_agent_message_at: (!by_customer).then_some(now),
            sla: None,
            satisfaction: None,
            metrics: TicketMetrics::default(),
        };
        let message = Message {
            id: MessageId::from_uuid(ctx.ids.next_uuid()),
            ticket_id: id,
            author: ctx.actor.clone(),
            body: MessageBody::parse(input.description.as_str())?,
            internal: false,
            attachments: input.attachments,
            created_at: now,
        };
        let created = ctx.event(
            id,
            EventData::Created {
                status: Status::Open,
                priority: ticket.priority,
                category_id: ticket.category_id,
                subject: ticket.subject.as_str().to_owned(),
                source: ticket.source,
            },
        );
        let added = ctx.event(id, EventData::MessageAdded { message_id: message.id });
        Ok(OpenedTicket { ticket: NewTicket { ticket }, message, events: vec![created, added] })
    }

    /// The owner replies: `answered` and `resolved` tickets go back to `open`; a closed
    /// ticket is refused unless the policy reopens it.
    ///
    /// # Errors
    ///
    /// [`DomainError::NotOwner`] for another customer, [`DomainError::WrongActor`] for an
    /// agent, [`DomainError::TicketClosed`] for a closed ticket the policy does not reopen.
    pub fn customer_reply(
        &self,
        ctx: &CommandContext<'_>,
        body: MessageBody,
        attachments: Vec<Attachment>,
    ) -> Result<TicketChange, DomainError> {
        self.require_owner(ctx)?;
        Attachment::check_count(attachments.len())?;
        let to = match self.status {
            Status::Open | Status::InProgress => self.status,
            Status::Answered | Status::Resolved => Status::Open,
            Status::Closed if ctx.policy.reopen_closed_on_customer_reply => Status::Open,
            Status::Closed => return Err(DomainError::TicketClosed),
        };
        let mut draft = Draft::new(self, *ctx);
        draft.add_message(body, false, attachments);
        draft.move_to(to, None);
        Ok(draft.finish_changed())
    }

    /// An agent replies publicly or adds an internal note, then optionally moves the status.
    ///
    /// A public reply answers the ticket (`open`, `in_progress`, `answered` -> `answered`;
    /// `resolved` stays) and sets `firstRespondedAt` once. The optional status change is then
    /// checked like [`Ticket::set_status`], from the status the reply left.
    ///
    /// # Errors
    ///
    /// [`DomainError::TicketClosed`] for a public reply to a closed ticket;
    /// [`DomainError::InvalidTransition`] for a refused status change;
    /// [`DomainError::Invalid`] for a resolution note without `resolved`/`closed`.
    pub fn agent_reply(&self, ctx: &CommandContext<'_>, reply: AgentReply) -> Result<TicketChange, DomainError> {
        ctx.require_agent()?;
        let mut draft = Draft::new(self, *ctx);
        draft.reply(reply)?;
        Ok(draft.finish_changed())
    }

    /// An agent sets the status. Staying put is no change (`Ok(None)`), not an error.
    ///
    /// # Errors
    ///
    /// [`DomainError::InvalidTransition`] when `domain.md` does not allow the move (including
    /// any move to `answered`, which only a public reply makes);
    /// [`DomainError::Invalid`] for a resolution note without `resolved`/`closed`.
    pub fn set_status(
        &self,
        ctx: &CommandContext<'_>,
        to: Status,
        resolution_note: Option<ResolutionNote>,
    ) -> Result<Option<TicketChange>, DomainError> {
        ctx.require_agent()?;
        check_resolution_note(Some(to), resolution_note.as_ref())?;
        if self.status == to {
            return Ok(None);
        }
        if !self.status.agent_may_set(to) {
            return Err(DomainError::InvalidTransition { from: self.status, to });
        }
        let mut draft = Draft::new(self, *ctx);
        draft.move_to(to, resolution_note);
        Ok(draft.finish())
    }

    /// An agent assigns the ticket (`Some`) or clears the assignee (`None`). Assigning an
    /// `open` ticket puts it `in_progress`. The caller checks that the assignee is an active
    /// agent of the tenant.
    ///
    /// # Errors
    ///
    /// [`DomainError::WrongActor`] when the actor is not an agent.
    pub fn assign(
        &self,
        ctx: &CommandContext<'_>,
        assignee: Option<(AgentId, &str)>,
    ) -> Result<Option<TicketChange>, DomainError> {
        ctx.require_agent()?;
        let mut draft = Draft::new(self, *ctx);
        draft.assign(assignee);
        Ok(draft.finish())
    }

    /// An agent changes priority, category, tags or subject. Fields equal to the current
    /// value are no change; nothing changed is `Ok(None)`.
    ///
    /// # Errors
    ///
    /// [`DomainError::WrongActor`] when the actor is not an agent.
    pub fn triage(&self, ctx: &CommandContext<'_>, triage: Triage) -> Result<Option<TicketChange>, DomainError> {
        ctx.require_agent()?;
        let mut draft = Draft::new(self, *ctx);
        draft.triage(triage);
        Ok(draft.finish())
    }

    /// An agent applies a macro: a reply or internal note, then a status, a priority, tags
    /// added and the ticket assigned to the agent, as one change with one version bump.
    /// Each step follows the rule of its own command ([`Ticket::agent_reply`],
    /// [`Ticket::triage`], [`Ticket::assign`]); a step that changes nothing records nothing.
    ///
    /// # Errors
    ///
    /// As [`Ticket::agent_reply`] (a public reply to a closed ticket, a refused status
    /// change); [`DomainError::Invalid`] when the added tags make more than [`Tags::MAX`].
    pub fn apply_macro(&self, ctx: &CommandContext<'_>, actions: MacroActions) -> Result<TicketChange, DomainError> {
        ctx.require_agent()?;
        let mut draft = Draft::new(self, *ctx);
        draft.reply(AgentReply {
            body: actions.body,
            internal: actions.internal,
            attachments: Vec::new(),
            status: actions.status,
            resolution_note: None,
        })?;
        let tags = if actions.add_tags.is_empty() {
            None
        } else {
            let mut all: Vec<String> = draft.ticket.tags.iter_str().map(str::to_owned).collect();
            all.extend(
                actions
                    .add_tags
                    .iter_str()
                    .filter(|t| !draft.ticket.tags.iter_str().any(|have| have == *t))
                    .map(str::to_owned),
            );
            Some(Tags::parse(&all).map_err(|e| e.for_field("addTags"))?)
        };
        draft.triage(Triage { priority: actions.priority, category_id: None, tags, subject: None });
        if let Some((agent, name)) = &actions.assign_to {
            draft.assign(Some((*agent, name.as_str())));
        }
        Ok(draft.finish_changed())
    }

    /// The owner closes their ticket, where the tenant's policy allows it. Closing a closed
    /// ticket is no change.
    ///
    /// # Errors
    ///
    /// [`DomainError::CustomerCloseDisabled`] when the policy forbids it;
    /// [`DomainError::NotOwner`] for another customer.
    pub fn customer_close(&self, ctx: &CommandContext<'_>) -> Result<Option<TicketChange>, DomainError> {
        self.require_owner(ctx)?;
        if !ctx.policy.allow_customer_close {
            return Err(DomainError::CustomerCloseDisabled);
        }
        let mut draft = Draft::new(self, *ctx);
        draft.move_to(Status::Closed, None);
        Ok(draft.finish())
    }

    /// The owner reopens an `answered` or `resolved` ticket, or a `closed` one where the
    /// policy reopens closed tickets on customer replies. An `open` ticket is no change.
    ///
    /// # Errors
    ///
    /// [`DomainError::InvalidTransition`] from `in_progress`, and from `closed` unless the
    /// policy allows it; [`DomainError::NotOwner`] for another customer.
    pub fn customer_reopen(&self, ctx: &CommandContext<'_>) -> Result<Option<TicketChange>, DomainError> {
        self.require_owner(ctx)?;
        let allowed = match self.status {
            Status::Open => return Ok(None),
            Status::Answered | Status::Resolved => true,
            Status::Closed => ctx.policy.reopen_closed_on_customer_reply,
            Status::InProgress => false,
        };
        if !allowed {
            return Err(DomainError::InvalidTransition { from: self.status, to: Status::Open });
        }
        let mut draft = Draft::new(self, *ctx);
        draft.move_to(Status::Open, None);
        Ok(draft.finish())
    }

    /// Whether the system may close this ticket now under `ctx.policy`'s auto-close rule:
    /// auto-close is on, the ticket is `resolved`, it was resolved at least
    /// `auto_close_resolved_after_days` days before `ctx.now`, and the customer has written
    /// nothing since it was resolved.
    pub fn due_for_auto_close(&self, ctx: &CommandContext<'_>) -> bool {
        let days = ctx.policy.auto_close_resolved_after_days;
        let Some(resolved_at) = self.resolved_at else { return false };
        days > 0
            && self.status == Status::Resolved
            && resolved_at + time::Duration::days(i64::from(days)) <= ctx.now
            && self.last_customer_message_at.is_none_or(|at| at <= resolved_at)
    }

    /// The system closes a resolved ticket that [`Ticket::due_for_auto_close`] names (the
    /// automation of `api-v1.1.md`, section 3). A ticket that is not due is no change
    /// (`Ok(None)`): by the time the job runs, someone may have reopened it.
    ///
    /// # Errors
    ///
    /// [`DomainError::WrongActor`] when the actor is not the system.
    pub fn auto_close(&self, ctx: &CommandContext<'_>) -> Result<Option<TicketChange>, DomainError> {
        if ctx.actor.kind != AuthorType::System {
            return Err(DomainError::WrongActor("the system"));
        }
        if !self.due_for_auto_close(ctx) {
            return Ok(None);
        }
        let mut draft = Draft::new(self, *ctx);
        draft.move_to(Status::Closed, None);
        Ok(draft.finish())
    }

    /// When the current resolution happened: `resolved_at`, or `closed_at` for a ticket closed
    /// without being resolved first; `None` while the ticket is unfinished.
    pub fn resolution_at(&self) -> Option<OffsetDateTime> {
        if self.status.is_unfinished() {
            return None;
        }
        self.resolved_at.or(self.closed_at)
    }

    /// Whether the customer has rated the current resolution.
    pub fn resolution_rated(&self) -> bool {
        match (&self.satisfaction, self.resolution_at()) {
            (Some(satisfaction), Some(resolution)) => satisfaction.rated_at >= resolution,
            _ => false,
        }
    }

    /// The owner rates the resolution of their `resolved` or `closed` ticket, once per
    /// resolution: after a reopen and a new resolution they may rate again. The status does
    /// not move; the rating replaces the ticket's `satisfaction` and records
    /// `satisfaction_rated`.
    ///
    /// # Errors
    ///
    /// [`DomainError::NotResolved`] while the ticket is unfinished;
    /// [`DomainError::AlreadyRated`] for a second rating of the same resolution;
    /// [`DomainError::NotOwner`] / [`DomainError::WrongActor`] for anyone but the owner.
    pub fn rate(
        &self,
        ctx: &CommandContext<'_>,
        rating: Rating,
        comment: Option<SatisfactionComment>,
    ) -> Result<TicketChange, DomainError> {
        self.require_owner(ctx)?;
        if self.resolution_at().is_none() {
            return Err(DomainError::NotResolved(self.status));
        }
        if self.resolution_rated() {
            return Err(DomainError::AlreadyRated);
        }
        let mut draft = Draft::new(self, *ctx);
        draft.customer_visible();
        draft.ticket.satisfaction = Some(Satisfaction { rating, comment: comment.clone(), rated_at: ctx.now });
        draft.record(EventData::SatisfactionRated { rating, comment: comment.map(SatisfactionComment::into_string) });
        Ok(draft.finish_changed())
    }

    fn require_owner(&self, ctx: &CommandContext<'_>) -> Result<(), DomainError> {
        match ctx.actor.kind {
            AuthorType::Customer if ctx.actor.is_customer(self.customer_id) => Ok(()),
            AuthorType::Customer => Err(DomainError::NotOwner),
            AuthorType::Agent | AuthorType::System => Err(DomainError::WrongActor("the ticket's customer")),
        }
    }

    /// Whether this ticket blocks another unfinished ticket of its customer for the same order
    /// or delivery.
    pub fn is_unfinished(&self) -> bool {
        self.status.is_unfinished()
    }
}
