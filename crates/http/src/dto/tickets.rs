//! Ticket bodies: opening, replying, status, triage, assignment, list queries, and the
//! ticket, message and event representations.

use serde::{Deserialize, Serialize};
use supportdesk_app::{
    AgentReplyInput, AssigneeFilter, CategoryKey, OpenTicketInput, PageRequest, PersonSummary, ReplyResult,
    SearchMatch, SearchText, TicketEvent, TicketQuery, TicketSort, TicketSummary, TicketView, TriageInput, Validator,
};
use supportdesk_domain::{
    AgentId, Attachment, CustomerId, Description, ExternalRef, Message, MessageBody, Priority, ResolutionNote, Source,
    Status, Subject, Tag, Tags, TicketSla,
};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::{finish, nullable, parse_attachments, parse_required, present, timestamp, timestamp_opt, AttachmentBody};
use crate::error::ApiError;

// ---------------------------------------------------------------------------------------
// Requests
// ---------------------------------------------------------------------------------------

/// `POST /tickets`: a customer opens a ticket.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct OpenTicketBody {
    /// Slug or id of an active category.
    #[schema(required = true, value_type = String, example = "order")]
    pub category: Option<String>,
    /// 10..10,000 characters; becomes the first message.
    #[schema(required = true, value_type = String, example = "My parcel never arrived. It was due on Monday.")]
    pub description: Option<String>,
    /// 3..200 characters; made from the description when omitted.
    pub subject: Option<String>,
    /// `low`, `normal` (default), `high`, `urgent`.
    #[schema(example = "normal")]
    pub priority: Option<String>,
    /// `api` (default), `customer_portal`, `storefront` (requires `orderId`), `email`, `phone`, `chat`.
    #[schema(example = "api")]
    pub source: Option<String>,
    /// The shop's order reference, 1..100 characters.
    pub order_id: Option<String>,
    /// The shop's delivery reference, 1..100 characters.
    pub delivery_id: Option<String>,
    /// At most 20 files.
    pub attachments: Option<Vec<AttachmentBody>>,
}

/// `POST /admin/tickets`: an agent opens a ticket on a customer's behalf.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AdminOpenTicketBody {
    /// The customer the ticket is for (404 if unknown in the tenant).
    #[schema(required = true, value_type = Uuid)]
    pub customer_id: Option<String>,
    /// Slug or id of an active category.
    #[schema(required = true, value_type = String, example = "order")]
    pub category: Option<String>,
    /// 10..10,000 characters; becomes the first message.
    #[schema(required = true, value_type = String)]
    pub description: Option<String>,
    /// 3..200 characters; made from the description when omitted.
    pub subject: Option<String>,
    /// `low`, `normal` (default), `high`, `urgent`.
    pub priority: Option<String>,
    /// `api` (default), `customer_portal`, `storefront`, `email`, `phone`, `chat`.
    pub source: Option<String>,
    /// The shop's order reference.
    pub order_id: Option<String>,
    /// The shop's delivery reference.
    pub delivery_id: Option<String>,
    /// At most 20 files.
    pub attachments: Option<Vec<AttachmentBody>>,
}

struct OpenFields {
    category: Option<String>,
    description: Option<String>,
    subject: Option<String>,
    priority: Option<String>,
    source: Option<String>,
    order_id: Option<String>,
    delivery_id: Option<String>,
    attachments: Option<Vec<AttachmentBody>>,
}

fn parse_open(v: &mut Validator, fields: OpenFields) -> Option<OpenTicketInput> {
    let category = parse_required(v, "category", fields.category.as_deref(), CategoryKey::parse);
    let description = parse_required(v, "description", fields.description.as_deref(), Description::parse);
    let subject = v.check_opt(fields.subject.as_deref().map(Subject::parse));
    let priority = v.check_opt(fields.priority.as_deref().map(Priority::parse));
    let source = v.check_opt(fields.source.as_deref().map(Source::parse));
    let order_id = v.check_opt(fields.order_id.as_deref().map(ExternalRef::parse));
    let delivery_id = v.check_opt(fields.delivery_id.as_deref().map(ExternalRef::parse_delivery));
    let attachments = parse_attachments(v, fields.attachments);
    let mut input = OpenTicketInput::new(category?, description?);
    input.subject = subject;
    input.priority = priority.unwrap_or_default();
    input.source = source.unwrap_or_default();
    input.order_id = order_id;
    input.delivery_id = delivery_id;
    input.attachments = attachments;
    Some(input)
}

impl OpenTicketBody {
    /// The use case's input, or every invalid field.
    ///
    /// # Errors
    ///
    /// 400 `validation_failed`.
    pub fn try_into_domain(self) -> Result<OpenTicketInput, ApiError> {
        let mut v = Validator::default();
        let input = parse_open(
            &mut v,
            OpenFields {
                category: self.category,
                description: self.description,
                subject: self.subject,
                priority: self.priority,
                source: self.source,
                order_id: self.order_id,
                delivery_id: self.delivery_id,
                attachments: self.attachments,
            },
        );
        finish(v)?;
        present(input, "ticket")
    }
}

impl AdminOpenTicketBody {
    /// The use case's input (with `customer_id` set), or every invalid field.
    ///
    /// # Errors
    ///
    /// 400 `validation_failed`.
    pub fn try_into_domain(self) -> Result<OpenTicketInput, ApiError> {
        let mut v = Validator::default();
        let customer_id = parse_required(&mut v, "customerId", self.customer_id.as_deref(), CustomerId::parse);
        let input = parse_open(
            &mut v,
            OpenFields {
                category: self.category,
                description: self.description,
                subject: self.subject,
                priority: self.priority,
                source: self.source,
                order_id: self.order_id,
                delivery_id: self.delivery_id,
                attachments: self.attachments,
            },
        );
        finish(v)?;
        let mut input = present(input, "ticket")?;
        input.customer_id = Some(present(customer_id, "customerId")?);
        Ok(input)
    }
}

/// `POST /tickets/{ticket}/messages`: the customer replies.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CustomerReplyBody {
    /// 1..10,000 characters.
    #[schema(required = true, value_type = String, example = "Still nothing arrived.")]
    pub body: Option<String>,
    /// At most 20 files.
    pub attachments: Option<Vec<AttachmentBody>>,
}

impl CustomerReplyBody {
    /// The message and its attachments, or every invalid field.
    ///
    /// # Errors
    ///
    /// 400 `validation_failed`.
    pub fn try_into_domain(self) -> Result<(MessageBody, Vec<Attachment>), ApiError> {
        let mut v = Validator::default();
        let body = parse_required(&mut v, "body", self.body.as_deref(), MessageBody::parse);
        let attachments = parse_attachments(&mut v, self.attachments);
        finish(v)?;
        Ok((present(body, "body")?, attachments))
    }
}

/// `POST /admin/tickets/{ticket}/messages`: an agent replies, or writes an internal note,
/// optionally changing the status in the same step.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AgentReplyBody {
    /// 1..10,000 characters.
    #[schema(required = true, value_type = String, example = "Sorry! A replacement is on its way.")]
    pub body: Option<String>,
    /// An internal note (never shown to the customer). Default `false`.
    pub internal: Option<bool>,
    /// At most 20 files.
    pub attachments: Option<Vec<AttachmentBody>>,
    /// A status to move to after the message (needs `tickets:update`), e.g. `resolved`.
    #[schema(example = "resolved")]
    pub status: Option<String>,
    /// Why, only with `status` `resolved` or `closed`; 1..2,000 characters.
    pub resolution_note: Option<String>,
}

impl AgentReplyBody {
    /// The use case's input, or every invalid field.
    ///
    /// # Errors
    ///
    /// 400 `validation_failed`.
    pub fn try_into_domain(self) -> Result<AgentReplyInput, ApiError> {
        let mut v = Validator::default();
        let body = parse_required(&mut v, "body", self.body.as_deref(), MessageBody::parse);
        let attachments = parse_attachments(&mut v, self.attachments);
        let status = v.check_opt(self.status.as_deref().map(Status::parse));
        let resolution_note = v.check_opt(self.resolution_note.as_deref().map(ResolutionNote::parse));
        if resolution_note.is_some() && !matches!(status, Some(Status::Resolved | Status::Closed)) {
            v.push("resolutionNote", "must be given only with status resolved or closed");
        }
        finish(v)?;
        Ok(AgentReplyInput {
            body: present(body, "body")?,
            internal: self.internal.unwrap_or(false),
            attachments,
            status,
            resolution_note,
        })
    }
}

/// `PATCH /tickets/{ticket}`: the customer closes (`closed`) or reopens (`open`).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CustomerStatusBody {
    /// `closed` or `open`.
    #[schema(required = true, value_type = String, example = "closed")]
    pub status: Option<String>,
}

impl CustomerStatusBody {
    /// The status asked for.
    ///
    /// # Errors
    ///
    /// 400 `validation_failed` for anything but `closed` or `open`.
    pub fn try_into_domain(self) -> Result<Status, ApiError> {
        let mut v = Validator::default();
        let status = parse_required(&mut v, "status", self.status.as_deref(), Status::parse);
        if let Some(Status::InProgress | Status::Answered | Status::Resolved) = status {
            v.push("status", "must be closed or open");
        }
        finish(v)?;
        present(status, "status")
    }
}

/// `PATCH /admin/tickets/{ticket}/status`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SetStatusBody {
    /// `open`, `in_progress`, `resolved` or `closed` (`answered` only comes from a reply).
    #[schema(required = true, value_type = String, example = "resolved")]
    pub status: Option<String>,
    /// Why, only with `resolved` or `closed`; 1..2,000 characters.
    pub resolution_note: Option<String>,
}

impl SetStatusBody {
    /// The status and note.
    ///
    /// # Errors
    ///
    /// 400 `validation_failed`, also for a note with another status.
    pub fn try_into_domain(self) -> Result<(Status, Option<ResolutionNote>), ApiError> {
        let mut v = Validator::default();
        let status = parse_required(&mut v, "status", self.status.as_deref(), Status::parse);
        let note = v.check_opt(self.resolution_note.as_deref().map(ResolutionNote::parse));
        if note.is_some() && status.is_some() && !matches!(status, Some(Status::Resolved | Status::Closed)) {
            v.push("resolutionNote", "must be given only with status resolved or closed");
        }
        finish(v)?;
        Ok((present(status, "status")?, note))
    }
}

/// `PATCH /admin/tickets/{ticket}`: triage. Absent fields stay as they are.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TriageBody {
    /// `low`, `normal`, `high`, `urgent`.
    #[schema(example = "high")]
    pub priority: Option<String>,
    /// Slug or id of an active category.
    pub category: Option<String>,
    /// The complete new set of tags (lowercase `[a-z0-9_-]{1,32}`, at most 20).
    pub tags: Option<Vec<String>>,
    /// 3..200 characters.
    pub subject: Option<String>,
}

impl TriageBody {
    /// The triage input, or every invalid field.
    ///
    /// # Errors
    ///
    /// 400 `validation_failed`.
    pub fn try_into_domain(self) -> Result<TriageInput, ApiError> {
        let mut v = Validator::default();
        let priority = v.check_opt(self.priority.as_deref().map(Priority::parse));
        let category = v.check_opt(self.category.as_deref().map(CategoryKey::parse));
        let tags = v.check_opt(self.tags.as_deref().map(Tags::parse));
        let subject = v.check_opt(self.subject.as_deref().map(Subject::parse));
        finish(v)?;
        Ok(TriageInput { priority, category, tags, subject })
    }
}

/// `PATCH /admin/tickets/{ticket}/assign`: `{"assigneeId": "..."}`, or `null` to clear.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AssignBody {
    /// An active agent of the tenant, or `null` to unassign. Required.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(required = true, value_type = Option<Uuid>)]
    pub assignee_id: Option<Option<String>>,
}

impl AssignBody {
    /// The assignee, or `None` to clear.
    ///
    /// # Errors
    ///
    /// 400 when `assigneeId` is absent or not a UUID.
    pub fn try_into_domain(self) -> Result<Option<AgentId>, ApiError> {
        match self.assignee_id {
            None => Err(ApiError::invalid_field("assigneeId", "is required (null to unassign)")),
            Some(None) => Ok(None),
            Some(Some(raw)) => AgentId::parse(&raw).map(Some).map_err(ApiError::from),
        }
    }
}

/// The filters of `GET /tickets` (a customer's own tickets).
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct CustomerTicketQuery {
    /// One status, a comma list (`open,answered`), or `all` (the default).
    #[param(example = "open,answered")]
    pub status: Option<String>,
    /// Category slug or id.
    pub category: Option<String>,
    /// `low`, `normal`, `high`, `urgent`, or a comma list of them (`high,urgent`).
    #[param(example = "high,urgent")]
    pub priority: Option<String>,
    /// `api`, `customer_portal`, `storefront`, `email`, `phone`, `chat`.
    pub source: Option<String>,
    /// The shop's order reference.
    pub order_id: Option<String>,
    /// The shop's delivery reference.
    pub delivery_id: Option<String>,
    /// Only tickets changed (as the customer sees them) at or after this RFC 3339 time.
    #[param(value_type = Option<String>, format = DateTime)]
    pub updated_since: Option<String>,
    /// Full-text search of the caller's tickets: their subjects and public messages. Words
    /// match by prefix, `"a phrase"` exactly, `-word` excludes; case and accents do not
    /// matter. A ticket number (`42`, `#000042`) also finds that ticket. 1..200 characters,
    /// at most 16 terms, at least one word not excluded.
    #[param(example = "kettle -refund")]
    pub q: Option<String>,
    /// Page, from 1 (default 1); `page * size` at most 10,000 (further on, use `cursor`).
    /// Not together with `cursor`.
    #[param(value_type = Option<u32>, minimum = 1)]
    pub page: Option<String>,
    /// The `meta.nextCursor` of the previous page, to read on (same filters and sort):
    /// opaque; refused (400) on another list.
    pub cursor: Option<String>,
    /// Items per page, 1..100 (default 20).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100)]
    pub size: Option<String>,
    /// `createdAt`, `-createdAt` (default), `lastActivityAt`, `-lastActivityAt`, `priority`,
    /// `-priority`, `updatedAt`, `-updatedAt`, `relevance` (the default with `q`: best match
    /// first).
    #[param(example = "-createdAt")]
    pub sort: Option<String>,
}

/// The filters of `GET /admin/tickets` (the queue).
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct AdminTicketQuery {
    /// One status, a comma list (`open,in_progress`), or `all` (the default).
    #[param(example = "open,in_progress")]
    pub status: Option<String>,
    /// Category slug or id.
    pub category: Option<String>,
    /// Only this customer's tickets.
    #[param(value_type = Option<Uuid>)]
    pub customer_id: Option<String>,
    /// Only this agent's tickets.
    #[param(value_type = Option<Uuid>)]
    pub assignee_id: Option<String>,
    /// `true`: only tickets nobody is assigned to (not together with `assigneeId`).
    #[param(value_type = Option<bool>)]
    pub unassigned: Option<String>,
    /// `low`, `normal`, `high`, `urgent`, or a comma list of them (`high,urgent`).
    #[param(example = "high,urgent")]
    pub priority: Option<String>,
    /// `api`, `customer_portal`, `storefront`, `email`, `phone`, `chat`.
    pub source: Option<String>,
    /// The shop's order reference.
    pub order_id: Option<String>,
    /// The shop's delivery reference.
    pub delivery_id: Option<String>,
    /// Only tickets changed at or after this RFC 3339 time; with `sort=updatedAt`, an
    /// incremental export (everything changed since the last one).
    #[param(value_type = Option<String>, format = DateTime)]
    pub updated_since: Option<String>,
    /// Only tickets with this tag.
    pub tag: Option<String>,
    /// Full-text search of the subject, every message and note, the customer's name and
    /// email, and the order and delivery ids. Words match by prefix, `"a phrase"` exactly,
    /// `-word` excludes; case and accents do not matter. A ticket number (`42`, `#000042`)
    /// also finds that ticket. 1..200 characters, at most 16 terms, at least one word not
    /// excluded.
    #[param(example = "\"blue kettle\" -refund")]
    pub q: Option<String>,
    /// Page, from 1 (default 1); `page * size` at most 10,000 (further on, use `cursor`).
    /// Not together with `cursor`.
    #[param(value_type = Option<u32>, minimum = 1)]
    pub page: Option<String>,
    /// The `meta.nextCursor` of the previous page, to read on (same filters and sort):
    /// opaque; refused (400) on another list.
    pub cursor: Option<String>,
    /// Items per page, 1..100 (default 20).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100)]
    pub size: Option<String>,
    /// `createdAt`, `-createdAt` (default), `lastActivityAt`, `-lastActivityAt`, `priority`,
    /// `-priority`, `updatedAt`, `-updatedAt`, `dueAt` (soonest SLA due time first; tickets
    /// without one last), `relevance` (the default with `q`: best match first among the
    /// newest 1,000 matches; sort by another key to read every match by cursor).
    pub sort: Option<String>,
    /// `true`: only tickets with a recorded SLA breach.
    #[param(value_type = Option<bool>)]
    pub sla_breached: Option<String>,
    /// Only tickets whose soonest running SLA clock is due before this RFC 3339 time; without
    /// `sort`, soonest due first.
    #[param(value_type = Option<String>, format = DateTime)]
    pub due_before: Option<String>,
}

/// A parsed list query; `category` still needs resolving when it is a slug.
#[derive(Debug, Clone)]
pub struct ParsedTicketQuery {
    /// Every filter but the category.
    pub query: TicketQuery,
    /// The category filter, by id or slug.
    pub category: Option<CategoryKey>,
}

fn parse_statuses(raw: &str) -> Result<Vec<Status>, supportdesk_domain::InvalidValue> {
    let raw = raw.trim();
    if raw == "all" {
        return Ok(Vec::new());
    }
    let mut statuses = Vec::new();
    for part in raw.split(',') {
        let status = Status::parse(part)?;
        if !statuses.contains(&status) {
            statuses.push(status);
        }
    }
    Ok(statuses)
}

/// An RFC 3339 time parameter; a bad one is reported on `field`.
fn parse_time(v: &mut Validator, field: &'static str, raw: Option<&str>) -> Option<OffsetDateTime> {
    let raw = raw?;
    match OffsetDateTime::parse(raw.trim(), &time::format_description::well_known::Rfc3339) {
        Ok(at) => Some(at),
        Err(_) => {
            v.push(field, "must be an RFC 3339 time");
            None
        }
    }
}

fn parse_priorities(raw: &str) -> Result<Vec<Priority>, supportdesk_domain::InvalidValue> {
    let mut priorities = Vec::new();
    for part in raw.split(',') {
        let priority = Priority::parse(part)?;
        if !priorities.contains(&priority) {
            priorities.push(priority);
        }
    }
    Ok(priorities)
}

fn parse_number(v: &mut Validator, field: &'static str, raw: Option<&str>, default: i64) -> Option<i64> {
    match raw {
        None => Some(default),
        Some(raw) => match raw.trim().parse::<i64>() {
            Ok(number) => Some(number),
            Err(_) => {
                v.push(field, "must be a whole number");
                None
            }
        },
    }
}

struct CommonQuery<'a> {
    status: Option<&'a str>,
    category: Option<&'a str>,
    priority: Option<&'a str>,
    source: Option<&'a str>,
    order_id: Option<&'a str>,
    delivery_id: Option<&'a str>,
    updated_since: Option<&'a str>,
    q: Option<&'a str>,
    page: Option<&'a str>,
    cursor: Option<&'a str>,
    size: Option<&'a str>,
    sort: Option<&'a str>,
}

/// `page`, `size` and `cursor` of a list: the page, and the cursor (not with `page`).
pub(crate) fn parse_paging(
    v: &mut Validator,
    page: Option<&str>,
    size: Option<&str>,
    cursor: Option<&str>,
) -> (PageRequest, Option<String>) {
    let number = parse_number(v, "page", page, 1);
    let items = parse_number(v, "size", size, i64::from(PageRequest::DEFAULT_SIZE));
    // Each bound is checked on its own, so that both are reported when both are wrong.
    let number = number.and_then(|page| v.check(PageRequest::new(page, 1)).map(|_| page));
    let items = items.and_then(|size| v.check(PageRequest::new(1, size)).map(|_| size));
    let request = match (number, items) {
        (Some(page), Some(size)) => v.check(PageRequest::new(page, size)).unwrap_or_default(),
        _ => PageRequest::default(),
    };
    if cursor.is_some() && page.is_some() {
        v.push("cursor", "must not be combined with page");
    }
    (request, cursor.map(str::to_owned))
}

fn parse_common(v: &mut Validator, raw: CommonQuery<'_>) -> (TicketQuery, Option<CategoryKey>) {
    let statuses = v.check_opt(raw.status.map(parse_statuses)).unwrap_or_default();
    let category = v.check_opt(raw.category.map(CategoryKey::parse));
    let priorities = v.check_opt(raw.priority.map(parse_priorities)).unwrap_or_default();
    let source = v.check_opt(raw.source.map(Source::parse));
    let order_id = v.check_opt(raw.order_id.map(ExternalRef::parse));
    let delivery_id =
        v.check_opt(raw.delivery_id.map(|d| ExternalRef::parse(d).map_err(|e| e.for_field("deliveryId"))));
    let updated_since = parse_time(v, "updatedSince", raw.updated_since);
    let text = v.check_opt(raw.q.map(SearchText::parse));
    // A search without `sort` comes best match first.
    let default_sort = if raw.q.is_some() { TicketSort::Relevance } else { TicketSort::default() };
    let sort = v.check_opt(raw.sort.map(TicketSort::parse)).unwrap_or(default_sort);
    let (page, cursor) = parse_paging(v, raw.page, raw.size, raw.cursor);
    let query = TicketQuery {
        statuses,
        priorities,
        source,
        order_id,
        delivery_id,
        updated_since,
        text,
        sort,
        page,
        cursor,
        ..TicketQuery::default()
    };
    (query, category)
}

impl CustomerTicketQuery {
    /// The query, or every invalid parameter.
    ///
    /// # Errors
    ///
    /// 400 `validation_failed`.
    pub fn try_into_domain(self) -> Result<ParsedTicketQuery, ApiError> {
        let mut v = Validator::default();
        let (query, category) = parse_common(
            &mut v,
            CommonQuery {
                status: self.status.as_deref(),
                category: self.category.as_deref(),
                priority: self.priority.as_deref(),
                source: self.source.as_deref(),
                order_id: self.order_id.as_deref(),
                delivery_id: self.delivery_id.as_deref(),
                updated_since: self.updated_since.as_deref(),
                q: self.q.as_deref(),
                page: self.page.as_deref(),
                cursor: self.cursor.as_deref(),
                size: self.size.as_deref(),
                sort: self.sort.as_deref(),
            },
        );
        if query.sort == TicketSort::DueAsc {
            // Customers do not see SLA clocks, so they cannot sort by them.
            v.push(
                "sort",
                "must be one of: createdAt, -createdAt, lastActivityAt, -lastActivityAt, priority, -priority, \
                 updatedAt, -updatedAt, relevance",
            );
        }
        finish(v)?;
        Ok(ParsedTicketQuery { query, category })
    }
}

impl AdminTicketQuery {
    /// The query, or every invalid parameter.
    ///
    /// # Errors
    ///
    /// 400 `validation_failed`, also for `unassigned=true` together with `assigneeId`.
    pub fn try_into_domain(self) -> Result<ParsedTicketQuery, ApiError> {
        let mut v = Validator::default();
        let (mut query, category) = parse_common(
            &mut v,
            CommonQuery {
                status: self.status.as_deref(),
                category: self.category.as_deref(),
                priority: self.priority.as_deref(),
                source: self.source.as_deref(),
                order_id: self.order_id.as_deref(),
                delivery_id: self.delivery_id.as_deref(),
                updated_since: self.updated_since.as_deref(),
                q: self.q.as_deref(),
                page: self.page.as_deref(),
                cursor: self.cursor.as_deref(),
                size: self.size.as_deref(),
                sort: self.sort.as_deref(),
            },
        );
        query.customer_id = v.check_opt(self.customer_id.as_deref().map(CustomerId::parse));
        let assignee = v.check_opt(self.assignee_id.as_deref().map(AgentId::parse));
        let unassigned = match self.unassigned.as_deref().map(str::trim) {
            None | Some("false") => false,
            Some("true") => true,
            Some(_) => {
                v.push("unassigned", "must be true or false");
                false
            }
        };
        if unassigned && assignee.is_some() {
            v.push("unassigned", "must not be combined with assigneeId");
        }
        query.assignee = match (assignee, unassigned) {
            (Some(id), _) => Some(AssigneeFilter::Agent(id)),
            (None, true) => Some(AssigneeFilter::Unassigned),
            (None, false) => None,
        };
        query.tag = v.check_opt(self.tag.as_deref().map(|raw| Tag::parse(raw).map_err(|e| e.for_field("tag"))));
        query.sla_breached = match self.sla_breached.as_deref().map(str::trim) {
            None | Some("false") => false,
            Some("true") => true,
            Some(_) => {
                v.push("slaBreached", "must be true or false");
                false
            }
        };
        query.due_before = parse_time(&mut v, "dueBefore", self.due_before.as_deref());
        if query.due_before.is_some() && self.sort.is_none() {
            // "What is due soon" reads soonest first, and walks the due-time index.
            query.sort = TicketSort::DueAsc;
        }
        finish(v)?;
        Ok(ParsedTicketQuery { query, category })
    }
}

// ---------------------------------------------------------------------------------------
// Responses
// ---------------------------------------------------------------------------------------

/// A customer or agent next to a ticket.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PersonResponse {
    /// Their id.
    pub id: Uuid,
    /// Display name.
    #[schema(example = "Alex")]
    pub name: String,
    /// Email, if known.
    pub email: Option<String>,
    /// Avatar URL, if any.
    pub image_url: Option<String>,
}

impl From<&PersonSummary> for PersonResponse {
    fn from(person: &PersonSummary) -> Self {
        Self {
            id: person.id,
            name: person.name.clone(),
            email: person.email.clone(),
            image_url: person.image_url.clone(),
        }
    }
}

/// Where a search result matched: the field, a plain-text snippet of it, and where the
/// query's words are in the snippet.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SearchMatchResponse {
    /// `subject`, `message`, `note` (staff only), `customer` (name or email, staff only),
    /// `orderId`, `deliveryId` (staff only), or `number` (`q` named the ticket's number).
    #[schema(example = "message")]
    pub field: String,
    /// Plain text (no HTML, no markup: escape it before putting it in a page), about 160
    /// characters around the first match, with `…` where the text was cut.
    #[schema(example = "…the blue kettle arrived broken, the box was…")]
    pub snippet: String,
    /// `[start, end)` ranges of the snippet to highlight, sorted and not overlapping.
    /// Offsets count Unicode scalar values (characters, as Rust `chars()` or Python `str`
    /// index them), not bytes and not UTF-16 code units: in JavaScript use
    /// `Array.from(snippet).slice(start, end)`.
    #[schema(example = json!([[9, 15]]))]
    pub highlights: Vec<[usize; 2]>,
}

impl From<&SearchMatch> for SearchMatchResponse {
    fn from(found: &SearchMatch) -> Self {
        Self {
            field: found.field.as_str().to_owned(),
            snippet: found.snippet.clone(),
            highlights: found.highlights.iter().map(|(start, end)| [*start, *end]).collect(),
        }
    }
}

/// A ticket's category.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CategoryRefResponse {
    /// Its id.
    pub id: Uuid,
    /// Its slug.
    #[schema(example = "order")]
    pub slug: String,
    /// Its name.
    #[schema(example = "Order")]
    pub name: String,
}

/// A file attached to a message.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AttachmentResponse {
    /// The file's name.
    pub file_name: String,
    /// Where it can be fetched.
    pub url: String,
    /// Its media type.
    pub content_type: String,
    /// Its size in bytes.
    pub size_bytes: u64,
}

impl From<&Attachment> for AttachmentResponse {
    fn from(attachment: &Attachment) -> Self {
        Self {
            file_name: attachment.file_name().to_owned(),
            url: attachment.url().to_owned(),
            content_type: attachment.content_type().to_owned(),
            size_bytes: attachment.size_bytes(),
        }
    }
}

/// One message of a ticket's thread.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MessageResponse {
    /// Its id.
    pub id: Uuid,
    /// `customer`, `agent` or `system`.
    #[schema(example = "customer")]
    pub author_type: String,
    /// The author's id.
    pub author_id: Uuid,
    /// The author's name when they wrote it.
    pub author_name: String,
    /// The author's avatar, if any.
    pub author_image: Option<String>,
    /// What they wrote.
    pub body: String,
    /// An internal note (agents only ever see these).
    pub internal: bool,
    /// Files it refers to.
    pub attachments: Vec<AttachmentResponse>,
    /// When it was written.
    #[schema(format = DateTime, example = "2026-03-17T10:05:00.000Z")]
    pub created_at: String,
}

impl From<&Message> for MessageResponse {
    fn from(message: &Message) -> Self {
        Self {
            id: message.id.as_uuid(),
            author_type: message.author.kind.as_str().to_owned(),
            author_id: message.author.id,
            author_name: message.author.name.clone(),
            author_image: message.author.image_url.clone(),
            body: message.body.to_string(),
            internal: message.internal,
            attachments: message.attachments.iter().map(AttachmentResponse::from).collect(),
            created_at: timestamp(message.created_at),
        }
    }
}

/// A ticket as the staff's lists show it (the detail adds `messages`). Customers get
/// [`CustomerTicketSummaryResponse`].
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TicketSummaryResponse {
    /// Its id.
    pub id: Uuid,
    /// Its number in the tenant.
    #[schema(example = 42)]
    pub number: i64,
    /// Its customer's id.
    pub customer_id: Uuid,
    /// Its customer.
    pub customer: PersonResponse,
    /// Its category.
    pub category: CategoryRefResponse,
    /// Its subject.
    #[schema(example = "Order not received")]
    pub subject: String,
    /// `open`, `in_progress`, `answered`, `resolved`, `closed`.
    #[schema(example = "open")]
    pub status: String,
    /// `low`, `normal`, `high`, `urgent`.
    #[schema(example = "normal")]
    pub priority: String,
    /// `api`, `customer_portal`, `storefront`, `email`, `phone`, `chat`.
    #[schema(example = "api")]
    pub source: String,
    /// The shop order it is about.
    pub order_id: Option<String>,
    /// The delivery it is about.
    pub delivery_id: Option<String>,
    /// The assigned agent's id.
    pub assignee_id: Option<Uuid>,
    /// The assigned agent.
    pub assignee: Option<PersonResponse>,
    /// Its tags.
    pub tags: Vec<String>,
    /// Why it was resolved or closed.
    pub resolution_note: Option<String>,
    /// When it was opened.
    #[schema(format = DateTime)]
    pub created_at: String,
    /// When it last changed.
    #[schema(format = DateTime)]
    pub updated_at: String,
    /// When the last message was added.
    #[schema(format = DateTime)]
    pub last_activity_at: String,
    /// When the customer last wrote.
    #[schema(format = DateTime)]
    pub last_customer_message_at: Option<String>,
    /// When an agent last wrote.
    #[schema(format = DateTime)]
    pub last_agent_message_at: Option<String>,
    /// When an agent first replied publicly.
    #[schema(format = DateTime)]
    pub first_responded_at: Option<String>,
    /// When it was resolved.
    #[schema(format = DateTime)]
    pub resolved_at: Option<String>,
    /// When it was closed.
    #[schema(format = DateTime)]
    pub closed_at: Option<String>,
    /// Bumped by every change; the detail's `ETag`.
    #[schema(example = 3)]
    pub version: i64,
    /// The SLA policy that applies and its clocks; `null` when no policy applies.
    pub sla: Option<SlaResponse>,
    /// The customer's latest rating of a resolution of this ticket, or null. After a reopen
    /// it stays until the next resolution is rated.
    pub satisfaction: Option<SatisfactionResponse>,
    /// Where a `q` search matched: only on the items of a `q` search, absent elsewhere.
    #[serde(rename = "match", skip_serializing_if = "Option::is_none")]
    pub search_match: Option<SearchMatchResponse>,
}

/// Which SLA clocks breached (recorded by breach detection within a minute of the due
/// time, or when a clock stopped late).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SlaBreachedResponse {
    /// The first response.
    pub first_response: bool,
    /// The current next-response cycle.
    pub next_response: bool,
    /// The resolution.
    pub resolution: bool,
}

/// A ticket's SLA: the policy and when each running clock is due (docs/workflow.md).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SlaResponse {
    /// The policy that applies.
    pub policy_id: Uuid,
    /// When the first public reply is due; `null` once given, or when the ticket was resolved
    /// first.
    #[schema(format = DateTime)]
    pub first_response_due_at: Option<String>,
    /// When the next public reply is due; `null` unless the customer waits for one.
    #[schema(format = DateTime)]
    pub next_response_due_at: Option<String>,
    /// When resolution is due; while paused, as it stood when the pause began.
    #[schema(format = DateTime)]
    pub resolution_due_at: Option<String>,
    /// Since when the resolution clock is paused (`answered` with `pauseWhileAnswered`, or
    /// `resolved`/`closed`); `null` while it runs.
    #[schema(format = DateTime)]
    pub paused_since: Option<String>,
    /// Which clocks breached.
    pub breached: SlaBreachedResponse,
}

impl From<&TicketSla> for SlaResponse {
    fn from(sla: &TicketSla) -> Self {
        let s = &sla.state;
        Self {
            policy_id: sla.policy_id.as_uuid(),
            first_response_due_at: timestamp_opt(s.first_response_due_at),
            next_response_due_at: timestamp_opt(s.next_response_due_at),
            resolution_due_at: timestamp_opt(s.resolution_due_at),
            paused_since: timestamp_opt(s.paused_since),
            breached: SlaBreachedResponse {
                first_response: s.breached.first_response,
                next_response: s.breached.next_response,
                resolution: s.breached.resolution,
            },
        }
    }
}

/// A customer's satisfaction rating.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SatisfactionResponse {
    /// `good` or `bad`.
    #[schema(example = "good")]
    pub rating: String,
    /// What the customer added, or null.
    pub comment: Option<String>,
    /// When they rated.
    #[schema(format = DateTime)]
    pub rated_at: String,
}

impl From<&supportdesk_domain::Satisfaction> for SatisfactionResponse {
    fn from(s: &supportdesk_domain::Satisfaction) -> Self {
        Self {
            rating: s.rating.as_str().to_owned(),
            comment: s.comment.as_ref().map(ToString::to_string),
            rated_at: timestamp(s.rated_at),
        }
    }
}

/// `POST /tickets/{ticket}/satisfaction`: the customer's rating of the resolution.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SatisfactionBody {
    /// `good` or `bad`.
    #[schema(required = true, value_type = String, example = "good")]
    pub rating: Option<String>,
    /// Anything the customer adds, 1..2,000 characters.
    pub comment: Option<String>,
}

impl SatisfactionBody {
    /// The rating and the comment.
    ///
    /// # Errors
    ///
    /// 400 `validation_failed` naming `rating` or `comment`.
    pub fn try_into_domain(
        self,
    ) -> Result<(supportdesk_domain::Rating, Option<supportdesk_domain::SatisfactionComment>), ApiError> {
        let mut v = Validator::default();
        let rating = parse_required(&mut v, "rating", self.rating.as_deref(), supportdesk_domain::Rating::parse);
        let comment = v.check_opt(self.comment.as_deref().map(supportdesk_domain::SatisfactionComment::parse));
        finish(v)?;
        Ok((present(rating, "rating")?, comment))
    }
}

impl From<&TicketSummary> for TicketSummaryResponse {
    fn from(summary: &TicketSummary) -> Self {
        let ticket = &summary.ticket;
        Self {
            id: ticket.id.as_uuid(),
            number: ticket.number.get(),
            customer_id: ticket.customer_id.as_uuid(),
            customer: PersonResponse::from(&summary.customer),
            category: CategoryRefResponse {
                id: summary.category.id.as_uuid(),
                slug: summary.category.slug.clone(),
                name: summary.category.name.clone(),
            },
            subject: ticket.subject.to_string(),
            status: ticket.status.as_str().to_owned(),
            priority: ticket.priority.as_str().to_owned(),
            source: ticket.source.as_str().to_owned(),
            order_id: ticket.order_id.as_ref().map(ToString::to_string),
            delivery_id: ticket.delivery_id.as_ref().map(ToString::to_string),
            assignee_id: ticket.assignee_id.map(|id| id.as_uuid()),
            assignee: summary.assignee.as_ref().map(PersonResponse::from),
            tags: ticket.tags.iter_str().map(str::to_owned).collect(),
            resolution_note: ticket.resolution_note.as_ref().map(ToString::to_string),
            created_at: timestamp(ticket.created_at),
            updated_at: timestamp(ticket.updated_at),
            last_activity_at: timestamp(ticket.last_activity_at),
            last_customer_message_at: timestamp_opt(ticket.last_customer_message_at),
            last_agent_message_at: timestamp_opt(ticket.last_agent_message_at),
            first_responded_at: timestamp_opt(ticket.first_responded_at),
            resolved_at: timestamp_opt(ticket.resolved_at),
            closed_at: timestamp_opt(ticket.closed_at),
            version: ticket.version,
            sla: ticket.sla.as_ref().map(SlaResponse::from),
            satisfaction: ticket.satisfaction.as_ref().map(SatisfactionResponse::from),
            search_match: summary.search_match.as_ref().map(SearchMatchResponse::from),
        }
    }
}

/// A ticket with its thread.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TicketResponse {
    /// The ticket's fields.
    #[serde(flatten)]
    pub ticket: TicketSummaryResponse,
    /// Its messages, oldest first (customers never see internal notes).
    pub messages: Vec<MessageResponse>,
}

impl From<&TicketView> for TicketResponse {
    fn from(view: &TicketView) -> Self {
        Self {
            ticket: TicketSummaryResponse::from(&view.summary),
            messages: view.messages.iter().map(MessageResponse::from).collect(),
        }
    }
}

/// One page of tickets.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TicketListResponse {
    /// The tickets of this page.
    pub data: Vec<TicketSummaryResponse>,
    /// Paging.
    pub meta: super::PageMeta,
}

impl From<&supportdesk_app::Page<TicketSummary>> for TicketListResponse {
    fn from(page: &supportdesk_app::Page<TicketSummary>) -> Self {
        Self { data: page.items.iter().map(TicketSummaryResponse::from).collect(), meta: super::PageMeta::from(page) }
    }
}

/// The answer to a reply: the message, and the ticket's status after it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReplyResponse {
    /// The message or note added.
    pub message: MessageResponse,
    /// The ticket's status right after the reply.
    #[schema(example = "open")]
    pub status: String,
}

impl From<&ReplyResult> for ReplyResponse {
    fn from(result: &ReplyResult) -> Self {
        Self { message: MessageResponse::from(&result.message), status: result.status.as_str().to_owned() }
    }
}

// ---------------------------------------------------------------------------------------
// The customer's view: its own types, so that nothing staff-only can reach it by accident
// ---------------------------------------------------------------------------------------

/// The agent working on a customer's ticket, as the customer sees them: no email.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CustomerAssigneeResponse {
    /// Their id.
    pub id: Uuid,
    /// Display name.
    #[schema(example = "Sam")]
    pub name: String,
    /// Avatar URL, if any.
    pub image_url: Option<String>,
}

impl From<&PersonSummary> for CustomerAssigneeResponse {
    fn from(person: &PersonSummary) -> Self {
        Self { id: person.id, name: person.name.clone(), image_url: person.image_url.clone() }
    }
}

/// A ticket in a customer's list (the detail adds `messages`). It has no `tags`, the
/// assignee has no email, and `version`, `updatedAt`, `lastActivityAt` and
/// `lastAgentMessageAt` move only with changes the customer can see: internal notes and tag
/// changes leave them (and the list's order) exactly as they were.
///
/// It repeats most of [`TicketSummaryResponse`] on purpose: with no shared part, a field
/// added to the staff view cannot reach customers without being written here.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CustomerTicketSummaryResponse {
    /// Its id.
    pub id: Uuid,
    /// Its number in the tenant.
    #[schema(example = 42)]
    pub number: i64,
    /// The customer's id.
    pub customer_id: Uuid,
    /// The customer.
    pub customer: PersonResponse,
    /// Its category.
    pub category: CategoryRefResponse,
    /// Its subject.
    #[schema(example = "Order not received")]
    pub subject: String,
    /// `open`, `in_progress`, `answered`, `resolved`, `closed`.
    #[schema(example = "open")]
    pub status: String,
    /// `low`, `normal`, `high`, `urgent`.
    #[schema(example = "normal")]
    pub priority: String,
    /// `api`, `customer_portal`, `storefront`, `email`, `phone`, `chat`.
    #[schema(example = "api")]
    pub source: String,
    /// The shop order it is about.
    pub order_id: Option<String>,
    /// The delivery it is about.
    pub delivery_id: Option<String>,
    /// The assigned agent's id.
    pub assignee_id: Option<Uuid>,
    /// The assigned agent: id, name and picture only.
    pub assignee: Option<CustomerAssigneeResponse>,
    /// Why it was resolved or closed.
    pub resolution_note: Option<String>,
    /// When it was opened.
    #[schema(format = DateTime)]
    pub created_at: String,
    /// When it last changed in a way the customer can see.
    #[schema(format = DateTime)]
    pub updated_at: String,
    /// When the last public message was added.
    #[schema(format = DateTime)]
    pub last_activity_at: String,
    /// When the customer last wrote.
    #[schema(format = DateTime)]
    pub last_customer_message_at: Option<String>,
    /// When an agent last replied publicly.
    #[schema(format = DateTime)]
    pub last_agent_message_at: Option<String>,
    /// When an agent first replied publicly.
    #[schema(format = DateTime)]
    pub first_responded_at: Option<String>,
    /// When it was resolved.
    #[schema(format = DateTime)]
    pub resolved_at: Option<String>,
    /// When it was closed.
    #[schema(format = DateTime)]
    pub closed_at: Option<String>,
    /// Bumped by every change the customer can see; the detail's `ETag`, and what the
    /// customer's `If-Match` is compared with.
    #[schema(example = 3)]
    pub version: i64,
    /// Where a `q` search matched (the subject or a public message): only on the items of
    /// a `q` search, absent elsewhere.
    #[serde(rename = "match", skip_serializing_if = "Option::is_none")]
    pub search_match: Option<SearchMatchResponse>,
}

impl From<&TicketSummary> for CustomerTicketSummaryResponse {
    fn from(summary: &TicketSummary) -> Self {
        let ticket = &summary.ticket;
        Self {
            id: ticket.id.as_uuid(),
            number: ticket.number.get(),
            customer_id: ticket.customer_id.as_uuid(),
            customer: PersonResponse::from(&summary.customer),
            category: CategoryRefResponse {
                id: summary.category.id.as_uuid(),
                slug: summary.category.slug.clone(),
                name: summary.category.name.clone(),
            },
            subject: ticket.subject.to_string(),
            status: ticket.status.as_str().to_owned(),
            priority: ticket.priority.as_str().to_owned(),
            source: ticket.source.as_str().to_owned(),
            order_id: ticket.order_id.as_ref().map(ToString::to_string),
            delivery_id: ticket.delivery_id.as_ref().map(ToString::to_string),
            assignee_id: ticket.assignee_id.map(|id| id.as_uuid()),
            assignee: summary.assignee.as_ref().map(CustomerAssigneeResponse::from),
            resolution_note: ticket.resolution_note.as_ref().map(ToString::to_string),
            created_at: timestamp(ticket.created_at),
            updated_at: timestamp(ticket.public_updated_at),
            last_activity_at: timestamp(ticket.public_last_activity_at),
            last_customer_message_at: timestamp_opt(ticket.last_customer_message_at),
            last_agent_message_at: timestamp_opt(ticket.public_last_agent_message_at),
            first_responded_at: timestamp_opt(ticket.first_responded_at),
            resolved_at: timestamp_opt(ticket.resolved_at),
            closed_at: timestamp_opt(ticket.closed_at),
            version: ticket.public_version,
            search_match: summary.search_match.as_ref().map(SearchMatchResponse::from),
        }
    }
}

/// One of a customer's tickets with its public messages.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CustomerTicketResponse {
    /// The ticket's fields.
    #[serde(flatten)]
    pub ticket: CustomerTicketSummaryResponse,
    /// Its public messages, oldest first (never an internal note).
    pub messages: Vec<MessageResponse>,
}

impl From<&TicketView> for CustomerTicketResponse {
    fn from(view: &TicketView) -> Self {
        Self {
            ticket: CustomerTicketSummaryResponse::from(&view.summary),
            // The use case gives a customer public messages only; this holds it again.
            messages: view.messages.iter().filter(|m| !m.internal).map(MessageResponse::from).collect(),
        }
    }
}

/// One page of a customer's tickets.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CustomerTicketListResponse {
    /// The tickets of this page.
    pub data: Vec<CustomerTicketSummaryResponse>,
    /// Paging.
    pub meta: super::PageMeta,
}

impl From<&supportdesk_app::Page<TicketSummary>> for CustomerTicketListResponse {
    fn from(page: &supportdesk_app::Page<TicketSummary>) -> Self {
        Self {
            data: page.items.iter().map(CustomerTicketSummaryResponse::from).collect(),
            meta: super::PageMeta::from(page),
        }
    }
}

/// Who caused an audit event.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EventActorResponse {
    /// `customer`, `agent` or `system`.
    #[serde(rename = "type")]
    #[schema(example = "agent")]
    pub kind: String,
    /// Their id.
    pub id: Uuid,
    /// Their name at the time.
    pub name: String,
}

/// One entry of a ticket's audit trail.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EventResponse {
    /// Its id.
    pub id: Uuid,
    /// `created`, `message_added`, `note_added`, `status_changed`, `assigned`, `unassigned`, `triaged`,
    /// `sla_breached`, `satisfaction_rated`.
    #[serde(rename = "type")]
    #[schema(example = "status_changed")]
    pub kind: String,
    /// Who caused it.
    pub actor: EventActorResponse,
    /// What changed, by type: e.g. `{"from": "open", "to": "resolved"}` for `status_changed`.
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
    /// When.
    #[schema(format = DateTime)]
    pub created_at: String,
}

impl From<&TicketEvent> for EventResponse {
    fn from(event: &TicketEvent) -> Self {
        let data = serde_json::to_value(&event.data)
            .ok()
            .and_then(|mut tagged| tagged.get_mut("data").map(serde_json::Value::take))
            .unwrap_or_else(|| serde_json::Value::Object(serde_json::Map::new()));
        Self {
            id: event.id.as_uuid(),
            kind: event.data.kind().to_owned(),
            actor: EventActorResponse {
                kind: event.actor.kind.as_str().to_owned(),
                id: event.actor.id,
                name: event.actor.name.clone(),
            },
            data,
            created_at: timestamp(event.created_at),
        }
    }
}

/// A ticket's audit trail, oldest first.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EventListResponse {
    /// The events.
    pub data: Vec<EventResponse>,
    /// How many.
    pub meta: super::ListMeta,
}
