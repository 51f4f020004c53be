//! Rows as stored, and their conversions to and from the domain. Rows are not the domain:
//! every value is parsed again on the way out (`TryFrom<Row>`), so a bad row is an error,
//! never a bad value.

use diesel::prelude::*;
use supportdesk_app::{IdempotencyKey, IdempotencyRecord, Login, SearchDocument, TenantEvent, TicketSnapshot};
use supportdesk_domain::search::{directory_email_key, directory_name_key};
use supportdesk_domain::{
    Actor, Agent, AgentId, Attachment, AuditEvent, AuthorType, Category, CategoryId, CategoryName, Customer,
    CustomerId, Email, EventData, EventId, ExternalRef, Message, MessageBody, MessageId, Permission, PersonName,
    Priority, Rating, ResolutionNote, Role, Satisfaction, SatisfactionComment, SlaBreaches, SlaPolicyId, SlaState,
    Slug, Source, Status, Subject, Tags, TenantKey, Ticket, TicketId, TicketMetrics, TicketNumber, TicketSla,
};
use time::{OffsetDateTime, PrimitiveDateTime, UtcOffset};
use uuid::Uuid;

use crate::error::Failure;
use crate::schema::{
    agents, categories, customers, events, idempotency_keys, logins, messages, ticket_search, ticket_tags, tickets,
};
use crate::stored;

/// A timestamp as stored: UTC, to the microsecond (PostgreSQL's precision, and what the
/// service's clock gives), so a value reads back equal on both backends.
pub(crate) fn to_db_time(at: OffsetDateTime) -> PrimitiveDateTime {
    let utc = at.to_offset(UtcOffset::UTC);
    let time = utc.time();
    let time = time.replace_nanosecond(time.nanosecond() / 1_000 * 1_000).unwrap_or(time);
    PrimitiveDateTime::new(utc.date(), time)
}

/// A stored timestamp, which is UTC.
pub(crate) fn from_db_time(at: PrimitiveDateTime) -> OffsetDateTime {
    at.assume_utc()
}

pub(crate) fn uuid(raw: &str) -> Result<Uuid, Failure> {
    Ok(Uuid::parse_str(raw)?)
}

fn opt_uuid(raw: Option<&str>) -> Result<Option<Uuid>, Failure> {
    raw.map(uuid).transpose()
}

/// The id as stored: lowercase hyphenated, so text order is UUID order.
pub(crate) fn id_text(id: Uuid) -> String {
    id.hyphenated().to_string()
}

/// Tags as stored in the ticket row: comma-separated, in order (a tag has no comma).
pub(crate) fn tags_text(tags: &Tags) -> String {
    tags.iter_str().collect::<Vec<_>>().join(",")
}

pub(crate) fn parse_tags(raw: &str) -> Result<Tags, Failure> {
    if raw.is_empty() {
        return Ok(Tags::default());
    }
    Ok(Tags::parse(&raw.split(',').collect::<Vec<_>>())?)
}

/// Permissions as stored: comma-separated wire names.
pub(crate) fn permissions_text(permissions: &[Permission]) -> String {
    permissions.iter().map(|p| p.as_str()).collect::<Vec<_>>().join(",")
}

pub(crate) fn parse_permissions(raw: &str) -> Result<Vec<Permission>, Failure> {
    if raw.is_empty() {
        return Ok(Vec::new());
    }
    raw.split(',').map(|p| Permission::parse(p).map_err(Failure::from)).collect()
}

fn actor(kind: &str, id: &str, name: String, image_url: Option<String>) -> Result<Actor, Failure> {
    Ok(Actor { kind: AuthorType::parse(kind)?, id: uuid(id)?, name, image_url })
}

/// The lower-cased subject the `q` filter matches against. Lower-cased here rather than by
/// the database: SQLite's `lower()` folds ASCII only, and this is exactly the memory store's
/// rule (`str::to_lowercase`).
pub(crate) fn subject_search(subject: &Subject) -> String {
    subject.as_str().to_lowercase()
}

/// A ticket row.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = tickets)]
pub(crate) struct TicketRow {
    pub tenant: String,
    pub id: String,
    pub number: i64,
    pub customer_id: String,
    pub category_id: String,
    pub subject: String,
    pub status: String,
    pub priority: i16,
    pub source: String,
    pub order_id: Option<String>,
    pub delivery_id: Option<String>,
    pub assignee_id: Option<String>,
    pub tags: String,
    pub resolution_note: Option<String>,
    pub created_at: PrimitiveDateTime,
    pub updated_at: PrimitiveDateTime,
    pub last_activity_at: PrimitiveDateTime,
    pub last_customer_message_at: Option<PrimitiveDateTime>,
    pub last_agent_message_at: Option<PrimitiveDateTime>,
    pub first_responded_at: Option<PrimitiveDateTime>,
    pub resolved_at: Option<PrimitiveDateTime>,
    pub closed_at: Option<PrimitiveDateTime>,
    pub version: i64,
    pub public_version: i64,
    pub public_updated_at: PrimitiveDateTime,
    pub public_last_activity_at: PrimitiveDateTime,
    pub public_last_agent_message_at: Option<PrimitiveDateTime>,
    pub sla: Option<String>,
    pub satisfaction_rating: Option<String>,
    pub satisfaction_comment: Option<String>,
    pub satisfaction_rated_at: Option<PrimitiveDateTime>,
    pub first_response_minutes: Option<i64>,
    pub resolution_minutes: Option<i64>,
    pub reopened_at: Option<PrimitiveDateTime>,
    pub reopen_count: i32,
}

/// The satisfaction columns as the domain's value: all three or none.
fn satisfaction(
    rating: Option<&str>,
    comment: Option<&str>,
    rated_at: Option<PrimitiveDateTime>,
) -> Result<Option<Satisfaction>, Failure> {
    match (rating, rated_at) {
        (Some(rating), Some(rated_at)) => Ok(Some(Satisfaction {
            rating: Rating::parse(rating)?,
            comment: comment.map(SatisfactionComment::parse).transpose()?,
            rated_at: from_db_time(rated_at),
        })),
        (None, None) => Ok(None),
        _ => Err(Failure::Corrupt("a satisfaction rating without its time, or a time without a rating".into())),
    }
}

impl TryFrom<TicketRow> for Ticket {
    type Error = Failure;

    fn try_from(row: TicketRow) -> Result<Self, Failure> {
        Ok(Ticket {
            id: TicketId::from_uuid(uuid(&row.id)?),
            tenant: TenantKey::parse(&row.tenant)?,
            number: TicketNumber::new(row.number)?,
            customer_id: CustomerId::from_uuid(uuid(&row.customer_id)?),
            category_id: CategoryId::from_uuid(uuid(&row.category_id)?),
            subject: Subject::parse(&row.subject)?,
            status: Status::parse(&row.status)?,
            priority: Priority::from_rank(row.priority)
                .ok_or_else(|| Failure::Corrupt(format!("priority rank {} is not 0..3", row.priority)))?,
            source: Source::parse(&row.source)?,
            order_id: row.order_id.as_deref().map(ExternalRef::parse).transpose()?,
            delivery_id: row.delivery_id.as_deref().map(ExternalRef::parse_delivery).transpose()?,
            assignee_id: opt_uuid(row.assignee_id.as_deref())?.map(AgentId::from_uuid),
            tags: parse_tags(&row.tags)?,
            resolution_note: row.resolution_note.as_deref().map(ResolutionNote::parse).transpose()?,
            created_at: from_db_time(row.created_at),
            updated_at: from_db_time(row.updated_at),
            last_activity_at: from_db_time(row.last_activity_at),
            last_customer_message_at: row.last_customer_message_at.map(from_db_time),
            last_agent_message_at: row.last_agent_message_at.map(from_db_time),
            first_responded_at: row.first_responded_at.map(from_db_time),
            resolved_at: row.resolved_at.map(from_db_time),
            closed_at: row.closed_at.map(from_db_time),
            version: row.version,
            public_version: row.public_version,
            public_updated_at: from_db_time(row.public_updated_at),
            public_last_activity_at: from_db_time(row.public_last_activity_at),
            public_last_agent_message_at: row.public_last_agent_message_at.map(from_db_time),
            sla: row.sla.as_deref().map(parse_sla).transpose()?,
            satisfaction: satisfaction(
                row.satisfaction_rating.as_deref(),
                row.satisfaction_comment.as_deref(),
                row.satisfaction_rated_at,
            )?,
            metrics: TicketMetrics {
                first_response_minutes: row.first_response_minutes,
                resolution_minutes: row.resolution_minutes,
                reopened_at: row.reopened_at.map(from_db_time),
                reopen_count: row.reopen_count,
            },
        })
    }
}

/// A new ticket. Like every row written in batches (the bulk import), `None` is written as
/// NULL rather than `DEFAULT`: SQLite has no `DEFAULT` keyword, and Diesel would otherwise
/// insert a batch row by row.
#[derive(Debug, Insertable)]
#[diesel(table_name = tickets, treat_none_as_default_value = false)]
pub(crate) struct NewTicketRow {
    pub tenant: String,
    pub id: String,
    pub number: i64,
    pub customer_id: String,
    pub category_id: String,
    pub subject: String,
    pub subject_search: String,
    pub status: &'static str,
    pub priority: i16,
    pub source: &'static str,
    pub order_id: Option<String>,
    pub delivery_id: Option<String>,
    pub assignee_id: Option<String>,
    pub tags: String,
    pub resolution_note: Option<String>,
    pub created_at: PrimitiveDateTime,
    pub updated_at: PrimitiveDateTime,
    pub last_activity_at: PrimitiveDateTime,
    pub last_customer_message_at: Option<PrimitiveDateTime>,
    pub last_agent_message_at: Option<PrimitiveDateTime>,
    pub first_responded_at: Option<PrimitiveDateTime>,
    pub resolved_at: Option<PrimitiveDateTime>,
    pub closed_at: Option<PrimitiveDateTime>,
    pub version: i64,
    pub public_version: i64,
    pub public_updated_at: PrimitiveDateTime,
    pub public_last_activity_at: PrimitiveDateTime,
    pub public_last_agent_message_at: Option<PrimitiveDateTime>,
    pub sla: Option<String>,
    pub sla_due_at: PrimitiveDateTime,
    pub sla_alert_at: Option<PrimitiveDateTime>,
    pub sla_breached: bool,
    pub satisfaction_rating: Option<&'static str>,
    pub satisfaction_comment: Option<String>,
    pub satisfaction_rated_at: Option<PrimitiveDateTime>,
    pub first_response_minutes: Option<i64>,
    pub resolution_minutes: Option<i64>,
    pub resolution_at: Option<PrimitiveDateTime>,
    pub reopened_at: Option<PrimitiveDateTime>,
    pub reopen_count: i32,
    pub sla_met: Option<bool>,
}

impl From<&Ticket> for NewTicketRow {
    fn from(t: &Ticket) -> Self {
        Self {
            tenant: t.tenant.to_string(),
            id: id_text(t.id.as_uuid()),
            number: t.number.get(),
            customer_id: id_text(t.customer_id.as_uuid()),
            category_id: id_text(t.category_id.as_uuid()),
            subject: t.subject.to_string(),
            subject_search: subject_search(&t.subject),
            status: t.status.as_str(),
            priority: t.priority.rank(),
            source: t.source.as_str(),
            order_id: t.order_id.as_ref().map(ToString::to_string),
            delivery_id: t.delivery_id.as_ref().map(ToString::to_string),
            assignee_id: t.assignee_id.map(|a| id_text(a.as_uuid())),
            tags: tags_text(&t.tags),
            resolution_note: t.resolution_note.as_ref().map(ToString::to_string),
            created_at: to_db_time(t.created_at),
            updated_at: to_db_time(t.updated_at),
            last_activity_at: to_db_time(t.last_activity_at),
            last_customer_message_at: t.last_customer_message_at.map(to_db_time),
            last_agent_message_at: t.last_agent_message_at.map(to_db_time),
            first_responded_at: t.first_responded_at.map(to_db_time),
            resolved_at: t.resolved_at.map(to_db_time),
            closed_at: t.closed_at.map(to_db_time),
            version: t.version,
            public_version: t.public_version,
            public_updated_at: to_db_time(t.public_updated_at),
            public_last_activity_at: to_db_time(t.public_last_activity_at),
            public_last_agent_message_at: t.public_last_agent_message_at.map(to_db_time),
            sla: t.sla.as_ref().map(sla_text),
            sla_due_at: sla_due_at(t),
            sla_alert_at: t.sla.and_then(|sla| sla.state.alert_at()).map(to_db_time),
            sla_breached: t.sla.is_some_and(|sla| sla.state.breached.any()),
            satisfaction_rating: t.satisfaction.as_ref().map(|s| s.rating.as_str()),
            satisfaction_comment: t.satisfaction.as_ref().and_then(|s| s.comment.as_ref()).map(ToString::to_string),
            satisfaction_rated_at: t.satisfaction.as_ref().map(|s| to_db_time(s.rated_at)),
            first_response_minutes: t.metrics.first_response_minutes,
            resolution_minutes: t.metrics.resolution_minutes,
            resolution_at: t.resolution_at().map(to_db_time),
            reopened_at: t.metrics.reopened_at.map(to_db_time),
            reopen_count: t.metrics.reopen_count,
            sla_met: sla_met_of(t),
        }
    }
}

/// Everything a change may move on a ticket. The tenant, id, number, customer, source,
/// order, delivery and creation time never change; `None` is written as NULL.
#[derive(Debug, AsChangeset)]
#[diesel(table_name = tickets, treat_none_as_null = true)]
pub(crate) struct TicketChangeset {
    pub category_id: String,
    pub subject: String,
    pub subject_search: String,
    pub status: &'static str,
    pub priority: i16,
    pub assignee_id: Option<String>,
    pub tags: String,
    pub resolution_note: Option<String>,
    pub updated_at: PrimitiveDateTime,
    pub last_activity_at: PrimitiveDateTime,
    pub last_customer_message_at: Option<PrimitiveDateTime>,
    pub last_agent_message_at: Option<PrimitiveDateTime>,
    pub first_responded_at: Option<PrimitiveDateTime>,
    pub resolved_at: Option<PrimitiveDateTime>,
    pub closed_at: Option<PrimitiveDateTime>,
    pub version: i64,
    pub public_version: i64,
    pub public_updated_at: PrimitiveDateTime,
    pub public_last_activity_at: PrimitiveDateTime,
    pub public_last_agent_message_at: Option<PrimitiveDateTime>,
    pub sla: Option<String>,
    pub sla_due_at: PrimitiveDateTime,
    pub sla_alert_at: Option<PrimitiveDateTime>,
    pub sla_breached: bool,
    pub satisfaction_rating: Option<&'static str>,
    pub satisfaction_comment: Option<String>,
    pub satisfaction_rated_at: Option<PrimitiveDateTime>,
    pub first_response_minutes: Option<i64>,
    pub resolution_minutes: Option<i64>,
    pub resolution_at: Option<PrimitiveDateTime>,
    pub reopened_at: Option<PrimitiveDateTime>,
    pub reopen_count: i32,
    pub sla_met: Option<bool>,
}

impl From<&Ticket> for TicketChangeset {
    fn from(t: &Ticket) -> Self {
        Self {
            category_id: id_text(t.category_id.as_uuid()),
            subject: t.subject.to_string(),
            subject_search: subject_search(&t.subject),
            status: t.status.as_str(),
            priority: t.priority.rank(),
            assignee_id: t.assignee_id.map(|a| id_text(a.as_uuid())),
            tags: tags_text(&t.tags),
            resolution_note: t.resolution_note.as_ref().map(ToString::to_string),
            updated_at: to_db_time(t.updated_at),
            last_activity_at: to_db_time(t.last_activity_at),
            last_customer_message_at: t.last_customer_message_at.map(to_db_time),
            last_agent_message_at: t.last_agent_message_at.map(to_db_time),
            first_responded_at: t.first_responded_at.map(to_db_time),
            resolved_at: t.resolved_at.map(to_db_time),
            closed_at: t.closed_at.map(to_db_time),
            version: t.version,
            public_version: t.public_version,
            public_updated_at: to_db_time(t.public_updated_at),
            public_last_activity_at: to_db_time(t.public_last_activity_at),
            public_last_agent_message_at: t.public_last_agent_message_at.map(to_db_time),
            sla: t.sla.as_ref().map(sla_text),
            sla_due_at: sla_due_at(t),
            sla_alert_at: t.sla.and_then(|sla| sla.state.alert_at()).map(to_db_time),
            sla_breached: t.sla.is_some_and(|sla| sla.state.breached.any()),
            satisfaction_rating: t.satisfaction.as_ref().map(|s| s.rating.as_str()),
            satisfaction_comment: t.satisfaction.as_ref().and_then(|s| s.comment.as_ref()).map(ToString::to_string),
            satisfaction_rated_at: t.satisfaction.as_ref().map(|s| to_db_time(s.rated_at)),
            first_response_minutes: t.metrics.first_response_minutes,
            resolution_minutes: t.metrics.resolution_minutes,
            resolution_at: t.resolution_at().map(to_db_time),
            reopened_at: t.metrics.reopened_at.map(to_db_time),
            reopen_count: t.metrics.reopen_count,
            sla_met: sla_met_of(t),
        }
    }
}

/// The `sla_met` column: `None` without an SLA policy, else whether no clock breached.
fn sla_met_of(t: &Ticket) -> Option<bool> {
    sla_met(t.sla.as_ref())
}

/// The `sla_met` column of a ticket's SLA (also for the bench's seeder).
pub fn sla_met(sla: Option<&TicketSla>) -> Option<bool> {
    sla.map(|sla| !sla.state.breached.any())
}

/// What `sla_due_at` holds when no clock runs: after every real due time, so an ascending
/// walk of its index lists such tickets last on both backends.
pub(crate) const NO_DUE_AT: PrimitiveDateTime = time::macros::datetime!(9999-12-31 00:00);

/// The `sla_due_at` of a ticket: its soonest running due time, or [`NO_DUE_AT`].
fn sla_due_at(t: &Ticket) -> PrimitiveDateTime {
    sla_due_at_column(t.sla.as_ref())
}

/// The `sla_due_at` column of a ticket's SLA (also for the bench's seeder).
pub fn sla_due_at_column(sla: Option<&TicketSla>) -> PrimitiveDateTime {
    sla.and_then(|sla| sla.state.due_at()).map_or(NO_DUE_AT, to_db_time)
}

/// A ticket's SLA as stored: `policy|first|next|resolution|paused|breaches`, each time as
/// Unix nanoseconds or `-`, the breaches as three `0`/`1` (first, next, resolution).
pub fn sla_text(sla: &TicketSla) -> String {
    let time =
        |t: Option<time::OffsetDateTime>| t.map_or_else(|| "-".to_owned(), |t| t.unix_timestamp_nanos().to_string());
    let flag = |b: bool| if b { '1' } else { '0' };
    let s = &sla.state;
    format!(
        "{}|{}|{}|{}|{}|{}{}{}",
        id_text(sla.policy_id.as_uuid()),
        time(s.first_response_due_at),
        time(s.next_response_due_at),
        time(s.resolution_due_at),
        time(s.paused_since),
        flag(s.breached.first_response),
        flag(s.breached.next_response),
        flag(s.breached.resolution),
    )
}

/// A ticket's SLA from its stored text.
pub(crate) fn parse_sla(raw: &str) -> Result<TicketSla, Failure> {
    let corrupt = || Failure::Corrupt(format!("ticket sla {raw:?} is not policy|times|flags"));
    let parts: Vec<&str> = raw.split('|').collect();
    let [policy, first, next, resolution, paused, flags] = parts.as_slice() else { return Err(corrupt()) };
    let time = |part: &str| -> Result<Option<time::OffsetDateTime>, Failure> {
        if part == "-" {
            return Ok(None);
        }
        let nanos: i128 = part.parse().map_err(|_| corrupt())?;
        time::OffsetDateTime::from_unix_timestamp_nanos(nanos).map(Some).map_err(|_| corrupt())
    };
    let flags = flags.as_bytes();
    if flags.len() != 3 {
        return Err(corrupt());
    }
    Ok(TicketSla {
        policy_id: SlaPolicyId::from_uuid(uuid(policy)?),
        state: SlaState {
            first_response_due_at: time(first)?,
            next_response_due_at: time(next)?,
            resolution_due_at: time(resolution)?,
            paused_since: time(paused)?,
            breached: SlaBreaches {
                first_response: flags[0] == b'1',
                next_response: flags[1] == b'1',
                resolution: flags[2] == b'1',
            },
        },
    })
}

/// A message row.
#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = messages)]
pub(crate) struct MessageRow {
    pub id: String,
    pub ticket_id: String,
    pub author_type: String,
    pub author_id: String,
    pub author_name: String,
    pub author_image_url: Option<String>,
    pub body: String,
    pub internal: bool,
    pub attachments: String,
    pub created_at: PrimitiveDateTime,
}

impl TryFrom<MessageRow> for Message {
    type Error = Failure;

    fn try_from(row: MessageRow) -> Result<Self, Failure> {
        let attachments: Vec<Attachment> = serde_json::from_str(&row.attachments)?;
        Ok(Message {
            id: MessageId::from_uuid(uuid(&row.id)?),
            ticket_id: TicketId::from_uuid(uuid(&row.ticket_id)?),
            author: actor(&row.author_type, &row.author_id, row.author_name, row.author_image_url)?,
            body: MessageBody::parse(&row.body)?,
            internal: row.internal,
            attachments,
            created_at: from_db_time(row.created_at),
        })
    }
}

/// A new message.
#[derive(Debug, Insertable)]
#[diesel(table_name = messages, treat_none_as_default_value = false)]
pub(crate) struct NewMessageRow {
    pub tenant: String,
    pub id: String,
    pub ticket_id: String,
    pub author_type: &'static str,
    pub author_id: String,
    pub author_name: String,
    pub author_image_url: Option<String>,
    pub body: String,
    pub internal: bool,
    pub attachments: String,
    pub created_at: PrimitiveDateTime,
}

impl NewMessageRow {
    pub(crate) fn new(tenant: &TenantKey, m: &Message) -> Result<Self, Failure> {
        Ok(Self {
            tenant: tenant.to_string(),
            id: id_text(m.id.as_uuid()),
            ticket_id: id_text(m.ticket_id.as_uuid()),
            author_type: m.author.kind.as_str(),
            author_id: id_text(m.author.id),
            author_name: m.author.name.clone(),
            author_image_url: m.author.image_url.clone(),
            body: m.body.to_string(),
            internal: m.internal,
            attachments: serde_json::to_string(&m.attachments)?,
            created_at: to_db_time(m.created_at),
        })
    }
}

/// An audit event row.
#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = events)]
pub(crate) struct EventRow {
    pub kind: String,
    pub format: i16,
    pub id: String,
    pub ticket_id: Option<String>,
    pub actor_type: String,
    pub actor_id: String,
    pub actor_name: String,
    pub actor_image_url: Option<String>,
    pub data: String,
    pub created_at: PrimitiveDateTime,
}

impl TryFrom<EventRow> for AuditEvent {
    type Error = Failure;

    fn try_from(row: EventRow) -> Result<Self, Failure> {
        let data: EventData = stored::decode(row.format, &row.kind, &row.data)?;
        let ticket_id =
            row.ticket_id.as_deref().ok_or_else(|| Failure::Corrupt(format!("event {} has no ticket", row.id)))?;
        Ok(AuditEvent {
            id: EventId::from_uuid(uuid(&row.id)?),
            ticket_id: TicketId::from_uuid(uuid(ticket_id)?),
            actor: actor(&row.actor_type, &row.actor_id, row.actor_name, row.actor_image_url)?,
            data,
            created_at: from_db_time(row.created_at),
        })
    }
}

impl TryFrom<EventRow> for TenantEvent {
    type Error = Failure;

    fn try_from(row: EventRow) -> Result<Self, Failure> {
        Ok(TenantEvent {
            id: EventId::from_uuid(uuid(&row.id)?),
            actor: actor(&row.actor_type, &row.actor_id, row.actor_name, row.actor_image_url)?,
            data: stored::decode_tenant(row.format, &row.kind, &row.data)?,
            created_at: from_db_time(row.created_at),
        })
    }
}

/// A new audit event. `None` is written as NULL rather than `DEFAULT`, so that SQLite (which
/// has no `DEFAULT` keyword) takes several rows in one `INSERT`.
#[derive(Debug, Insertable)]
#[diesel(table_name = events, treat_none_as_default_value = false)]
pub(crate) struct NewEventRow {
    pub tenant: String,
    pub id: String,
    pub ticket_id: Option<String>,
    pub actor_type: &'static str,
    pub actor_id: String,
    pub actor_name: String,
    pub actor_image_url: Option<String>,
    pub kind: &'static str,
    pub data: String,
    pub created_at: PrimitiveDateTime,
    pub format: i16,
    pub ticket_number: Option<i64>,
    pub ticket_subject: Option<String>,
    pub ticket_status: Option<&'static str>,
    pub ticket_priority: Option<i16>,
    pub ticket_customer_id: Option<String>,
    pub ticket_assignee_id: Option<String>,
    pub ticket_version: Option<i64>,
}

/// The ticket an event left, as the events table stores it beside the event.
#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = events)]
pub(crate) struct SnapshotRow {
    pub txid: i64,
    pub seq: i64,
    pub ticket_number: Option<i64>,
    pub ticket_subject: Option<String>,
    pub ticket_status: Option<String>,
    pub ticket_priority: Option<i16>,
    pub ticket_customer_id: Option<String>,
    pub ticket_assignee_id: Option<String>,
    pub ticket_version: Option<i64>,
}

impl SnapshotRow {
    /// The snapshot of the ticket `ticket_id`, validated.
    pub(crate) fn snapshot(&self, ticket_id: TicketId) -> Result<TicketSnapshot, Failure> {
        let missing = || Failure::Corrupt(format!("the event at {} has no ticket snapshot", self.seq));
        let rank = self.ticket_priority.ok_or_else(missing)?;
        Ok(TicketSnapshot {
            id: ticket_id,
            number: TicketNumber::new(self.ticket_number.ok_or_else(missing)?)?,
            subject: Subject::parse(self.ticket_subject.as_deref().ok_or_else(missing)?)?,
            status: Status::parse(self.ticket_status.as_deref().ok_or_else(missing)?)?,
            priority: Priority::from_rank(rank)
                .ok_or_else(|| Failure::Corrupt(format!("priority rank {rank} is not 0..3")))?,
            customer_id: CustomerId::from_uuid(uuid(self.ticket_customer_id.as_deref().ok_or_else(missing)?)?),
            assignee_id: self.ticket_assignee_id.as_deref().map(uuid).transpose()?.map(AgentId::from_uuid),
            version: self.ticket_version.ok_or_else(missing)?,
        })
    }
}

impl NewEventRow {
    /// The row of `e`, written with `ticket` as the write left it.
    pub(crate) fn new(ticket: &Ticket, e: &AuditEvent) -> Result<Self, Failure> {
        let tenant = &ticket.tenant;
        Ok(Self {
            tenant: tenant.to_string(),
            id: id_text(e.id.as_uuid()),
            ticket_id: Some(id_text(e.ticket_id.as_uuid())),
            actor_type: e.actor.kind.as_str(),
            actor_id: id_text(e.actor.id),
            actor_name: e.actor.name.clone(),
            actor_image_url: e.actor.image_url.clone(),
            kind: e.data.kind(),
            data: stored::encode(&e.data)?,
            created_at: to_db_time(e.created_at),
            format: stored::CURRENT_FORMAT,
            ticket_number: Some(ticket.number.get()),
            ticket_subject: Some(ticket.subject.to_string()),
            ticket_status: Some(ticket.status.as_str()),
            ticket_priority: Some(ticket.priority.rank()),
            ticket_customer_id: Some(id_text(ticket.customer_id.as_uuid())),
            ticket_assignee_id: ticket.assignee_id.map(|a| id_text(a.as_uuid())),
            ticket_version: Some(ticket.version),
        })
    }

    /// The row of a tenant event: no ticket, no snapshot.
    pub(crate) fn tenant_event(tenant: &TenantKey, e: &TenantEvent) -> Result<Self, Failure> {
        Ok(Self {
            tenant: tenant.to_string(),
            id: id_text(e.id.as_uuid()),
            ticket_id: None,
            actor_type: e.actor.kind.as_str(),
            actor_id: id_text(e.actor.id),
            actor_name: e.actor.name.clone(),
            actor_image_url: e.actor.image_url.clone(),
            kind: e.data.kind(),
            data: stored::encode_tenant(&e.data)?,
            created_at: to_db_time(e.created_at),
            format: stored::CURRENT_FORMAT,
            ticket_number: None,
            ticket_subject: None,
            ticket_status: None,
            ticket_priority: None,
            ticket_customer_id: None,
            ticket_assignee_id: None,
            ticket_version: None,
        })
    }
}

/// A category row, read and written whole (an update sets every column but the key).
#[derive(Debug, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = categories, primary_key(tenant, id), treat_none_as_null = true, treat_none_as_default_value = false)]
pub(crate) struct CategoryRow {
    pub tenant: String,
    pub id: String,
    pub slug: String,
    pub name: String,
    pub parent_id: Option<String>,
    pub active: bool,
    pub position: i32,
}

impl From<&Category> for CategoryRow {
    fn from(c: &Category) -> Self {
        Self {
            tenant: c.tenant.to_string(),
            id: id_text(c.id.as_uuid()),
            slug: c.slug.to_string(),
            name: c.name.to_string(),
            parent_id: c.parent_id.map(|p| id_text(p.as_uuid())),
            active: c.active,
            position: c.position,
        }
    }
}

impl TryFrom<CategoryRow> for Category {
    type Error = Failure;

    fn try_from(row: CategoryRow) -> Result<Self, Failure> {
        Ok(Category {
            id: CategoryId::from_uuid(uuid(&row.id)?),
            tenant: TenantKey::parse(&row.tenant)?,
            slug: Slug::parse(&row.slug)?,
            name: CategoryName::parse(&row.name)?,
            parent_id: opt_uuid(row.parent_id.as_deref())?.map(CategoryId::from_uuid),
            active: row.active,
            position: row.position,
        })
    }
}

/// A customer row, read and written whole.
#[derive(Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = customers, treat_none_as_default_value = false)]
pub(crate) struct CustomerRow {
    pub tenant: String,
    pub id: String,
    pub name: String,
    pub email: Option<String>,
    pub image_url: Option<String>,
    pub created_at: PrimitiveDateTime,
    pub updated_at: PrimitiveDateTime,
    /// The directory's keys (migration `20261208000000_customer_directory`).
    pub name_key: String,
    pub email_key: String,
}

impl From<&Customer> for CustomerRow {
    fn from(c: &Customer) -> Self {
        Self {
            tenant: c.tenant.to_string(),
            id: id_text(c.id.as_uuid()),
            name: c.name.to_string(),
            email: c.email.as_ref().map(ToString::to_string),
            image_url: c.image_url.clone(),
            created_at: to_db_time(c.created_at),
            updated_at: to_db_time(c.updated_at),
            name_key: directory_name_key(c.name.as_str()),
            email_key: directory_email_key(c.email.as_ref().map(|e| e.as_str())),
        }
    }
}

impl TryFrom<CustomerRow> for Customer {
    type Error = Failure;

    fn try_from(row: CustomerRow) -> Result<Self, Failure> {
        Ok(Customer {
            id: CustomerId::from_uuid(uuid(&row.id)?),
            tenant: TenantKey::parse(&row.tenant)?,
            name: PersonName::parse(&row.name)?,
            email: row.email.as_deref().map(Email::parse).transpose()?,
            image_url: row.image_url,
            created_at: from_db_time(row.created_at),
            updated_at: from_db_time(row.updated_at),
        })
    }
}

/// A new agent.
#[derive(Debug, Insertable)]
#[diesel(table_name = agents, treat_none_as_default_value = false)]
pub(crate) struct AgentRow {
    pub tenant: String,
    pub id: String,
    pub email: String,
    pub name: String,
    pub role: &'static str,
    pub permissions: String,
    pub active: bool,
    pub created_at: PrimitiveDateTime,
    pub updated_at: PrimitiveDateTime,
}

/// What an update of an agent changes: everything but the key and the creation time.
#[derive(Debug, AsChangeset)]
#[diesel(table_name = agents)]
pub(crate) struct AgentChangeset {
    pub email: String,
    pub name: String,
    pub role: &'static str,
    pub permissions: String,
    pub active: bool,
    pub updated_at: PrimitiveDateTime,
}

impl From<&Agent> for AgentChangeset {
    fn from(a: &Agent) -> Self {
        Self {
            email: a.email.to_string(),
            name: a.name.to_string(),
            role: a.role.as_str(),
            permissions: permissions_text(&a.permissions),
            active: a.active,
            updated_at: to_db_time(a.updated_at),
        }
    }
}

/// An agent row as read (the role as text).
#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = agents)]
pub(crate) struct AgentRead {
    pub tenant: String,
    pub id: String,
    pub email: String,
    pub name: String,
    pub role: String,
    pub permissions: String,
    pub active: bool,
    pub created_at: PrimitiveDateTime,
    pub updated_at: PrimitiveDateTime,
}

impl From<&Agent> for AgentRow {
    fn from(a: &Agent) -> Self {
        Self {
            tenant: a.tenant.to_string(),
            id: id_text(a.id.as_uuid()),
            email: a.email.to_string(),
            name: a.name.to_string(),
            role: a.role.as_str(),
            permissions: permissions_text(&a.permissions),
            active: a.active,
            created_at: to_db_time(a.created_at),
            updated_at: to_db_time(a.updated_at),
        }
    }
}

impl TryFrom<AgentRead> for Agent {
    type Error = Failure;

    fn try_from(row: AgentRead) -> Result<Self, Failure> {
        Ok(Agent {
            id: AgentId::from_uuid(uuid(&row.id)?),
            tenant: TenantKey::parse(&row.tenant)?,
            email: Email::parse(&row.email)?,
            name: PersonName::parse(&row.name)?,
            role: Role::parse(&row.role)?,
            permissions: parse_permissions(&row.permissions)?,
            active: row.active,
            created_at: from_db_time(row.created_at),
            updated_at: from_db_time(row.updated_at),
        })
    }
}

/// A login row.
#[derive(Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = logins)]
pub(crate) struct LoginRow {
    pub tenant: String,
    pub email: String,
    pub principal_id: String,
    pub role: String,
    pub password_hash: String,
}

impl From<&Login> for LoginRow {
    fn from(l: &Login) -> Self {
        Self {
            tenant: l.tenant.to_string(),
            email: l.email.to_string(),
            principal_id: id_text(l.principal_id),
            role: l.role.as_str().to_owned(),
            password_hash: l.password_hash.clone(),
        }
    }
}

impl TryFrom<LoginRow> for Login {
    type Error = Failure;

    fn try_from(row: LoginRow) -> Result<Self, Failure> {
        Ok(Login {
            tenant: TenantKey::parse(&row.tenant)?,
            email: Email::parse(&row.email)?,
            principal_id: uuid(&row.principal_id)?,
            role: Role::parse(&row.role)?,
            password_hash: row.password_hash,
        })
    }
}

/// A tag of a ticket, for the tag filter.
#[derive(Debug, Insertable)]
#[diesel(table_name = ticket_tags, treat_none_as_default_value = false)]
pub(crate) struct TagRow {
    pub tenant: String,
    pub ticket_id: String,
    pub tag: String,
}

impl TagRow {
    /// The rows of the ticket's tags.
    pub(crate) fn of(ticket: &Ticket) -> Vec<Self> {
        let (tenant, id) = (ticket.tenant.to_string(), id_text(ticket.id.as_uuid()));
        ticket
            .tags
            .iter_str()
            .map(|tag| TagRow { tenant: tenant.clone(), ticket_id: id.clone(), tag: tag.to_owned() })
            .collect()
    }
}

/// A ticket's search row: its document's fields, each cut to
/// [`SearchDocument::MAX_FIELD_CHARS`] (on SQLite the table's triggers fill the FTS5 index;
/// on PostgreSQL the `tsvector` is a generated column).
#[derive(Debug, Insertable)]
#[diesel(table_name = ticket_search, treat_none_as_default_value = false)]
pub(crate) struct SearchRow {
    pub tenant: String,
    pub ticket_id: String,
    pub subject: String,
    pub messages: String,
    pub notes: String,
    pub customer: String,
    pub refs: String,
}

impl SearchRow {
    /// The row of `ticket` with its `document`.
    pub(crate) fn new(ticket: &Ticket, document: SearchDocument) -> Self {
        let [subject, messages, notes, customer, refs] =
            [document.subject, document.public, document.notes, document.customer, document.refs].map(capped);
        Self {
            tenant: ticket.tenant.to_string(),
            ticket_id: id_text(ticket.id.as_uuid()),
            subject,
            messages,
            notes,
            customer,
            refs,
        }
    }

    /// Its fields' words, for SQLite's word list.
    pub(crate) fn texts(&self) -> [&str; 5] {
        [&self.subject, &self.messages, &self.notes, &self.customer, &self.refs]
    }
}

/// `text` cut to [`SearchDocument::MAX_FIELD_CHARS`] characters.
pub(crate) fn capped(text: String) -> String {
    match text.char_indices().nth(SearchDocument::MAX_FIELD_CHARS) {
        Some((cut, _)) => text[..cut].to_owned(),
        None => text,
    }
}

/// An idempotency record row.
#[derive(Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = idempotency_keys)]
pub(crate) struct IdempotencyRow {
    pub tenant: String,
    pub principal_id: String,
    pub key: String,
    pub fingerprint: String,
    pub ticket_id: String,
    pub message_id: Option<String>,
    pub status: String,
    pub created_at: PrimitiveDateTime,
}

impl From<&IdempotencyRecord> for IdempotencyRow {
    fn from(r: &IdempotencyRecord) -> Self {
        Self {
            tenant: r.tenant.to_string(),
            principal_id: id_text(r.principal_id),
            key: r.key.as_str().to_owned(),
            fingerprint: r.fingerprint.clone(),
            ticket_id: id_text(r.ticket_id.as_uuid()),
            message_id: r.message_id.map(|m| id_text(m.as_uuid())),
            status: r.status.as_str().to_owned(),
            created_at: to_db_time(r.created_at),
        }
    }
}

impl TryFrom<IdempotencyRow> for IdempotencyRecord {
    type Error = Failure;

    fn try_from(row: IdempotencyRow) -> Result<Self, Failure> {
        Ok(IdempotencyRecord {
            tenant: TenantKey::parse(&row.tenant)?,
            principal_id: uuid(&row.principal_id)?,
            key: IdempotencyKey::parse(&row.key)?,
            fingerprint: row.fingerprint,
            ticket_id: TicketId::from_uuid(uuid(&row.ticket_id)?),
            message_id: opt_uuid(row.message_id.as_deref())?.map(MessageId::from_uuid),
            status: Status::parse(&row.status)?,
            created_at: from_db_time(row.created_at),
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use time::macros::datetime;

    #[test]
    fn timestamps_are_stored_in_utc_to_the_microsecond() {
        let at = datetime!(2026-03-17 12:05:00.123456789 +02:00);
        let stored = to_db_time(at);
        assert_eq!(stored, datetime!(2026-03-17 10:05:00.123456));
        assert_eq!(from_db_time(stored), datetime!(2026-03-17 10:05:00.123456 UTC));
    }

    #[test]
    fn tags_and_permissions_round_trip_through_their_text() {
        let tags = Tags::parse(&["vip", "late-delivery", "a_b"]).unwrap();
        assert_eq!(parse_tags(&tags_text(&tags)).unwrap(), tags);
        assert_eq!(parse_tags("").unwrap(), Tags::default());
        let permissions = Permission::AGENT_DEFAULTS.to_vec();
        assert_eq!(parse_permissions(&permissions_text(&permissions)).unwrap(), permissions);
        assert!(parse_permissions("").unwrap().is_empty());
    }

    #[test]
    fn ids_are_stored_lowercase_so_text_order_is_uuid_order() {
        let a = Uuid::from_u128(0x0191_abc0_0000_7000_8000_0000_0000_000a);
        let b = Uuid::from_u128(0x0191_abc0_0000_7000_8000_0000_0000_00f0);
        assert!(id_text(a) < id_text(b));
        assert_eq!(id_text(a), id_text(a).to_lowercase());
    }
}
