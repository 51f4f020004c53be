//! The change feed: every committed audit event of a tenant, in one order a follower can
//! trust, read after an opaque cursor, with long-polling.
//!
//! The store owns the position (see [`EventStore`](crate::EventStore)): positions may be
//! allocated in one order and committed in another, and the store shows an event only once
//! no event can commit before it any more, so a follower that resumes after the last
//! position it saw never skips one.

use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use supportdesk_domain::{
    Actor, AgentId, AuditEvent, CustomerId, EventId, Message, Permission, Priority, Status, Subject, TenantKey,
    TicketId, TicketNumber,
};
use time::OffsetDateTime;
use tracing::instrument;
use uuid::Uuid;

use crate::auth::Principal;
use crate::error::{AppError, FieldError};
use crate::App;

/// A place in a tenant's feed: the events after it are the ones not yet seen.
///
/// Ordered by `(txid, seq)`: `txid` is what the store orders transactions by (PostgreSQL's
/// 64-bit transaction id; 0 where one writer makes it unnecessary), `seq` the event's row
/// number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct FeedPosition {
    txid: i64,
    seq: i64,
}

impl FeedPosition {
    /// The version tag at the front of every cursor, so the encoding can change.
    const CURSOR_VERSION: &'static str = "1";

    /// The position of an event as its store numbers it.
    pub const fn new(txid: i64, seq: i64) -> Self {
        Self { txid, seq }
    }

    /// The transaction part.
    pub const fn txid(self) -> i64 {
        self.txid
    }

    /// The row part.
    pub const fn seq(self) -> i64 {
        self.seq
    }

    /// The opaque cursor a client passes back as `after`.
    pub fn to_cursor(self) -> String {
        URL_SAFE_NO_PAD.encode(format!("{}:{}:{}", Self::CURSOR_VERSION, self.txid, self.seq))
    }

    /// Reads a cursor made by [`to_cursor`](Self::to_cursor).
    ///
    /// # Errors
    ///
    /// A [`FieldError`] on `after` when it is not such a cursor.
    pub fn parse_cursor(raw: &str) -> Result<Self, FieldError> {
        let bad = || FieldError { field: "after".into(), message: "is not a cursor this service issued".into() };
        let bytes = URL_SAFE_NO_PAD.decode(raw.trim()).map_err(|_| bad())?;
        let text = String::from_utf8(bytes).map_err(|_| bad())?;
        let mut parts = text.split(':');
        let (Some(version), Some(txid), Some(seq), None) = (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(bad());
        };
        if version != Self::CURSOR_VERSION {
            return Err(bad());
        }
        let txid: i64 = txid.parse().map_err(|_| bad())?;
        let seq: i64 = seq.parse().map_err(|_| bad())?;
        if txid < 0 || seq < 0 {
            return Err(bad());
        }
        Ok(Self { txid, seq })
    }
}

/// The ticket as an event left it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketSnapshot {
    /// Its id.
    pub id: TicketId,
    /// Its number.
    pub number: TicketNumber,
    /// Its subject then.
    pub subject: Subject,
    /// Its status then.
    pub status: Status,
    /// Its priority then.
    pub priority: Priority,
    /// Its customer.
    pub customer_id: CustomerId,
    /// Its assignee then.
    pub assignee_id: Option<AgentId>,
    /// Its version after the change that made the event.
    pub version: i64,
}

/// One event of the feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedEvent {
    /// Where it is in the tenant's feed.
    pub position: FeedPosition,
    /// Its tenant.
    pub tenant: TenantKey,
    /// What happened, to a ticket or to the tenant's setup.
    pub item: FeedItem,
}

/// What a feed event is about.
#[derive(Debug, Clone, PartialEq, Eq)]
#[expect(
    clippy::large_enum_variant,
    reason = "nearly every item is a ticket event: boxing it would allocate for the common case"
)]
pub enum FeedItem {
    /// A change to a ticket.
    Ticket(TicketFeedEvent),
    /// A change that belongs to no ticket (`webhook.disabled`).
    Tenant(TenantEvent),
}

/// A ticket's audit event as the feed shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketFeedEvent {
    /// The audit event.
    pub event: AuditEvent,
    /// The ticket as the event left it.
    pub ticket: TicketSnapshot,
    /// The message or note, for `message_added` and `note_added`.
    pub message: Option<Message>,
}

/// An event of a tenant that concerns no ticket. It is written to the same outbox as the
/// ticket events, so the feed and the webhooks carry it with the same guarantees.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantEvent {
    /// Its id (time-ordered); also the `webhook-id` of its deliveries.
    pub id: EventId,
    /// Who caused it (the `system` actor for the failure rule).
    pub actor: Actor,
    /// What happened.
    pub data: TenantEventData,
    /// When.
    pub created_at: OffsetDateTime,
}

/// What a [`TenantEvent`] records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TenantEventData {
    /// The failure rule disabled a webhook endpoint: every delivery to it failed for the
    /// disable period.
    WebhookDisabled {
        /// The endpoint.
        webhook_id: Uuid,
        /// Its URL.
        url: String,
        /// When its deliveries began to fail without a success since.
        failing_since: OffsetDateTime,
    },
}

impl TenantEventData {
    /// The kind as the store and the feed's `types` name it.
    pub const fn kind(&self) -> &'static str {
        match self {
            Self::WebhookDisabled { .. } => "webhook_disabled",
        }
    }
}

impl FeedItem {
    /// The event's id.
    pub fn id(&self) -> EventId {
        match self {
            Self::Ticket(t) => t.event.id,
            Self::Tenant(t) => t.id,
        }
    }

    /// The event's kind (`created`, `webhook_disabled` ...).
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Ticket(t) => t.event.data.kind(),
            Self::Tenant(t) => t.data.kind(),
        }
    }

    /// Who caused it.
    pub fn actor(&self) -> &Actor {
        match self {
            Self::Ticket(t) => &t.event.actor,
            Self::Tenant(t) => &t.actor,
        }
    }

    /// When it happened.
    pub fn occurred_at(&self) -> OffsetDateTime {
        match self {
            Self::Ticket(t) => t.event.created_at,
            Self::Tenant(t) => t.created_at,
        }
    }
}

impl FeedEvent {
    /// The event's id.
    pub fn id(&self) -> EventId {
        self.item.id()
    }

    /// The event's kind (`created`, `webhook_disabled` ...).
    pub fn kind(&self) -> &'static str {
        self.item.kind()
    }

    /// The ticket part, for a ticket event.
    pub fn ticket_event(&self) -> Option<&TicketFeedEvent> {
        match &self.item {
            FeedItem::Ticket(t) => Some(t),
            FeedItem::Tenant(_) => None,
        }
    }
}

/// The kinds of ticket events, as [`supportdesk_domain::EventData::kind`] names them.
pub const TICKET_EVENT_KINDS: [&str; 9] = [
    "created",
    "message_added",
    "note_added",
    "status_changed",
    "assigned",
    "unassigned",
    "triaged",
    "sla_breached",
    "satisfaction_rated",
];

/// The kinds of tenant events, as [`TenantEventData::kind`] names them.
pub const TENANT_EVENT_KINDS: [&str; 1] = ["webhook_disabled"];

/// Every kind of the feed: the ticket events', then the tenant events'.
pub fn event_kinds() -> impl Iterator<Item = &'static str> {
    TICKET_EVENT_KINDS.into_iter().chain(TENANT_EVENT_KINDS)
}

/// The public type of an event kind: `webhook.disabled` for `webhook_disabled`, and
/// `ticket.` and the kind for a ticket event.
pub fn public_event_type(kind: &str) -> String {
    match kind.strip_prefix("webhook_") {
        Some(rest) => format!("webhook.{rest}"),
        None => format!("ticket.{kind}"),
    }
}

/// A read of the feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedRequest {
    after: Option<FeedPosition>,
    limit: usize,
    kinds: Vec<&'static str>,
    wait: Duration,
}

impl FeedRequest {
    /// The most events one read returns.
    pub const MAX_LIMIT: usize = 500;
    /// The longest a read waits for a first event.
    pub const MAX_WAIT: Duration = Duration::from_secs(30);
    /// The page size when none is asked for.
    pub const DEFAULT_LIMIT: usize = 100;

    /// Parses a request from its raw parts (`after`, `limit`, `types`, `wait` in seconds).
    ///
    /// # Errors
    ///
    /// [`AppError::Validation`] naming every bad part; nothing is read then.
    pub fn parse(
        after: Option<&str>,
        limit: Option<i64>,
        types: Option<&str>,
        wait_seconds: Option<i64>,
    ) -> Result<Self, AppError> {
        let mut errors = Vec::new();
        let after = match after.filter(|a| !a.trim().is_empty()) {
            Some(raw) => FeedPosition::parse_cursor(raw).map_err(|e| errors.push(e)).ok(),
            None => None,
        };
        let limit = match limit {
            None => Self::DEFAULT_LIMIT,
            Some(n) if (1..=Self::MAX_LIMIT as i64).contains(&n) => n as usize,
            Some(_) => {
                errors.push(FieldError { field: "limit".into(), message: "must be between 1 and 500".into() });
                Self::DEFAULT_LIMIT
            }
        };
        let mut kinds = Vec::new();
        for raw in types.unwrap_or_default().split(',').map(str::trim).filter(|t| !t.is_empty()) {
            match event_kinds().find(|k| public_event_type(k) == raw) {
                Some(kind) if !kinds.contains(&kind) => kinds.push(kind),
                Some(_) => {}
                None => errors.push(FieldError {
                    field: "types".into(),
                    message: format!("`{raw}` is not an event type of the feed"),
                }),
            }
        }
        let wait = match wait_seconds {
            None => Duration::ZERO,
            Some(n) if (0..=30).contains(&n) => Duration::from_secs(n.unsigned_abs()),
            Some(_) => {
                errors.push(FieldError { field: "wait".into(), message: "must be between 0 and 30 seconds".into() });
                Duration::ZERO
            }
        };
        if errors.is_empty() {
            Ok(Self { after, limit, kinds, wait })
        } else {
            Err(AppError::Validation(errors))
        }
    }

    /// The first page of the whole feed, `limit` events, no waiting.
    pub fn from_start(limit: usize) -> Self {
        Self { after: None, limit: limit.clamp(1, Self::MAX_LIMIT), kinds: Vec::new(), wait: Duration::ZERO }
    }

    /// The same request, waiting up to `wait` (at most [`Self::MAX_WAIT`]) for a first event.
    #[must_use]
    pub fn waiting(mut self, wait: Duration) -> Self {
        self.wait = wait.min(Self::MAX_WAIT);
        self
    }

    /// The same request, resuming after `position`.
    #[must_use]
    pub fn after(mut self, position: Option<FeedPosition>) -> Self {
        self.after = position;
        self
    }

    /// The position it resumes after.
    pub fn position(&self) -> Option<FeedPosition> {
        self.after
    }

    /// How many events at most.
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// The kinds it keeps (all when empty).
    pub fn kinds(&self) -> &[&'static str] {
        &self.kinds
    }
}

/// One page of the feed and where the next one starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedPage {
    /// The events, oldest first.
    pub events: Vec<FeedEvent>,
    /// The position to resume after: the last event's, or the request's when there was none.
    pub next: Option<FeedPosition>,
}

/// How often a long-polling read looks again. Other server processes write too, so a
/// read cannot wait on an in-process signal alone.
const POLL_INTERVAL: Duration = Duration::from_millis(200);

impl App {
    /// The tenant's events after the request's cursor, oldest first; when there are none
    /// and the request may wait, looks again until one commits or the wait is over.
    ///
    /// # Errors
    ///
    /// `Forbidden` without `tickets:read` or for a customer; `Internal` when the store fails.
    #[instrument(skip_all, fields(tenant = %principal.tenant))]
    pub async fn event_feed(&self, principal: &Principal, request: &FeedRequest) -> Result<FeedPage, AppError> {
        principal.require(Permission::TicketsRead)?;
        let deadline = tokio::time::Instant::now() + request.wait.min(FeedRequest::MAX_WAIT);
        loop {
            let events = self.events.feed(&principal.tenant, request.after, request.kinds(), request.limit).await?;
            if !events.is_empty() || tokio::time::Instant::now() + POLL_INTERVAL > deadline {
                let next = events.last().map(|e| e.position).or(request.after);
                return Ok(FeedPage { events, next });
            }
            tokio::time::sleep(POLL_INTERVAL).await;
        }
    }
}
