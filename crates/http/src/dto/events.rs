//! The public event: the shape the feed and webhook deliveries carry, version 1. It is this
//! crate's own type, built from the use cases' [`FeedEvent`]; neither the domain's `serde`
//! derives nor the store's serialised form ever reach the wire. A breaking change to the
//! shape would be a new type (`EventV2`) beside this one, never an edit of it.

use serde::{Deserialize, Serialize};
use supportdesk_app::{
    event_kinds, public_event_type, AppError, FeedEvent, FeedItem, FeedPage, FeedRequest, TenantEventData,
    TicketFeedEvent, TicketSnapshot,
};
use supportdesk_domain::{EventData, FieldChange};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::timestamp;

/// Who caused an event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct EventActorV1 {
    /// `customer`, `agent` or `system`.
    #[serde(rename = "type")]
    #[schema(example = "agent")]
    pub kind: String,
    /// Their id.
    pub id: Uuid,
    /// Their name at the time.
    pub name: String,
}

/// The ticket as the event left it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EventTicketV1 {
    /// Its id.
    pub id: Uuid,
    /// Its number in the tenant.
    pub number: i64,
    /// Its subject.
    pub subject: String,
    /// `open`, `in_progress`, `answered`, `resolved` or `closed`.
    pub status: String,
    /// `low`, `normal`, `high` or `urgent`.
    pub priority: String,
    /// Its customer.
    pub customer_id: Uuid,
    /// Its assignee, if any.
    pub assignee_id: Option<Uuid>,
    /// Its version after the change.
    pub version: i64,
}

/// A value before and after a change: a string (priority, category id, subject) or a list
/// of strings (tags).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ChangeV1 {
    /// Before.
    pub from: serde_json::Value,
    /// After.
    pub to: serde_json::Value,
}

/// What happened, by the event's `type`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum EventDataV1 {
    /// `ticket.created`.
    #[serde(rename_all = "camelCase")]
    Created {
        /// The status at birth.
        status: String,
        /// The priority at birth.
        priority: String,
        /// The category.
        category_id: Uuid,
        /// The subject.
        subject: String,
        /// The channel: `api`, `customer_portal`, `storefront`, `email`, `phone`, `chat`.
        source: String,
    },
    /// `ticket.message_added` and `ticket.note_added`.
    #[serde(rename_all = "camelCase")]
    Message {
        /// The message.
        message_id: Uuid,
        /// Whether it is an internal note.
        internal: bool,
        /// Its text.
        body: String,
        /// `customer` or `agent`.
        author_type: String,
    },
    /// `ticket.status_changed`.
    #[serde(rename_all = "camelCase")]
    StatusChanged {
        /// The status before.
        from: String,
        /// The status after.
        to: String,
        /// The resolution note, if one was given.
        #[serde(skip_serializing_if = "Option::is_none")]
        resolution_note: Option<String>,
    },
    /// `ticket.assigned`.
    #[serde(rename_all = "camelCase")]
    Assigned {
        /// The new assignee.
        assignee_id: Uuid,
        /// Their name.
        assignee_name: String,
        /// The assignee before, if any.
        previous_assignee_id: Option<Uuid>,
    },
    /// `ticket.unassigned`.
    #[serde(rename_all = "camelCase")]
    Unassigned {
        /// The assignee before.
        previous_assignee_id: Uuid,
    },
    /// `ticket.sla_breached`: an SLA clock ran past its due time unmet (by the `system`
    /// actor, within a minute of the due time).
    #[serde(rename_all = "camelCase")]
    SlaBreached {
        /// `first_response`, `next_response` or `resolution`.
        #[schema(example = "first_response")]
        metric: String,
        /// When it was due.
        #[schema(format = DateTime)]
        due_at: String,
    },
    /// `ticket.satisfaction_rated`: the customer's rating of the resolution.
    #[serde(rename_all = "camelCase")]
    SatisfactionRated {
        /// `good` or `bad`.
        rating: String,
        /// What the customer added, if anything.
        #[serde(skip_serializing_if = "Option::is_none")]
        comment: Option<String>,
    },
    /// `webhook.disabled`: the failure rule disabled an endpoint (by the `system` actor);
    /// the event has no ticket.
    #[serde(rename_all = "camelCase")]
    WebhookDisabled {
        /// The endpoint.
        webhook_id: Uuid,
        /// Its URL.
        url: String,
        /// Since when every delivery to it failed.
        #[schema(format = DateTime)]
        failing_since: String,
    },
    /// `ticket.triaged`: only the fields that changed are present.
    #[serde(rename_all = "camelCase")]
    Triaged {
        /// The priority change.
        #[serde(skip_serializing_if = "Option::is_none")]
        priority: Option<ChangeV1>,
        /// The category change (ids).
        #[serde(skip_serializing_if = "Option::is_none")]
        category_id: Option<ChangeV1>,
        /// The tag change (lists).
        #[serde(skip_serializing_if = "Option::is_none")]
        tags: Option<ChangeV1>,
        /// The subject change.
        #[serde(skip_serializing_if = "Option::is_none")]
        subject: Option<ChangeV1>,
    },
}

/// One event, version 1: what the feed lists and what a webhook delivery posts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EventV1 {
    /// Its id; also the `webhook-id` of its deliveries.
    pub id: Uuid,
    /// `ticket.created`, `ticket.message_added`, `ticket.note_added`, `ticket.status_changed`,
    /// `ticket.assigned`, `ticket.unassigned`, `ticket.triaged`, `ticket.sla_breached`,
    /// `ticket.satisfaction_rated`, `webhook.disabled`.
    #[serde(rename = "type")]
    #[schema(example = "ticket.message_added")]
    pub kind: String,
    /// The tenant.
    pub tenant: String,
    /// When it happened: RFC 3339, UTC, milliseconds.
    #[schema(format = DateTime)]
    pub occurred_at: String,
    /// Who caused it.
    pub actor: EventActorV1,
    /// The ticket as the event left it; `null` for an event of no ticket (`webhook.disabled`).
    pub ticket: Option<EventTicketV1>,
    /// What happened.
    pub data: EventDataV1,
}

fn change<T>(c: &FieldChange<T>, f: impl Fn(&T) -> serde_json::Value) -> ChangeV1 {
    ChangeV1 { from: f(&c.from), to: f(&c.to) }
}

impl From<&FeedEvent> for EventV1 {
    fn from(e: &FeedEvent) -> Self {
        let (ticket, data) = match &e.item {
            FeedItem::Ticket(t) => (Some(ticket_v1(&t.ticket)), ticket_data_v1(t)),
            FeedItem::Tenant(t) => (None, tenant_data_v1(&t.data)),
        };
        let actor = e.item.actor();
        Self {
            id: e.id().as_uuid(),
            kind: public_event_type(e.kind()),
            tenant: e.tenant.to_string(),
            occurred_at: timestamp(e.item.occurred_at()),
            actor: EventActorV1 { kind: actor.kind.as_str().to_owned(), id: actor.id, name: actor.name.clone() },
            ticket,
            data,
        }
    }
}

fn ticket_v1(t: &TicketSnapshot) -> EventTicketV1 {
    EventTicketV1 {
        id: t.id.as_uuid(),
        number: t.number.get(),
        subject: t.subject.to_string(),
        status: t.status.as_str().to_owned(),
        priority: t.priority.as_str().to_owned(),
        customer_id: t.customer_id.as_uuid(),
        assignee_id: t.assignee_id.map(|a| a.as_uuid()),
        version: t.version,
    }
}

fn ticket_data_v1(e: &TicketFeedEvent) -> EventDataV1 {
    let message = |message_id: Uuid, internal: bool| match &e.message {
        Some(m) => EventDataV1::Message {
            message_id,
            internal: m.internal,
            body: m.body.to_string(),
            author_type: m.author.kind.as_str().to_owned(),
        },
        None => EventDataV1::Message {
            message_id,
            internal,
            body: String::new(),
            author_type: e.event.actor.kind.as_str().to_owned(),
        },
    };
    match &e.event.data {
        EventData::Created { status, priority, category_id, subject, source } => EventDataV1::Created {
            status: status.as_str().to_owned(),
            priority: priority.as_str().to_owned(),
            category_id: category_id.as_uuid(),
            subject: subject.clone(),
            source: source.as_str().to_owned(),
        },
        EventData::MessageAdded { message_id } => message(message_id.as_uuid(), false),
        EventData::NoteAdded { message_id } => message(message_id.as_uuid(), true),
        EventData::StatusChanged { from, to, resolution_note } => EventDataV1::StatusChanged {
            from: from.as_str().to_owned(),
            to: to.as_str().to_owned(),
            resolution_note: resolution_note.clone(),
        },
        EventData::Assigned { assignee_id, assignee_name, previous_assignee_id } => EventDataV1::Assigned {
            assignee_id: assignee_id.as_uuid(),
            assignee_name: assignee_name.clone(),
            previous_assignee_id: previous_assignee_id.map(|a| a.as_uuid()),
        },
        EventData::Unassigned { previous_assignee_id } => {
            EventDataV1::Unassigned { previous_assignee_id: previous_assignee_id.as_uuid() }
        }
        EventData::Triaged { priority, category_id, tags, subject } => EventDataV1::Triaged {
            priority: priority.as_ref().map(|c| change(c, |p| p.as_str().into())),
            category_id: category_id.as_ref().map(|c| change(c, |id| id.as_uuid().to_string().into())),
            tags: tags.as_ref().map(|c| change(c, |t| t.clone().into())),
            subject: subject.as_ref().map(|c| change(c, |s| s.clone().into())),
        },
        EventData::SlaBreached { metric, due_at } => {
            EventDataV1::SlaBreached { metric: metric.as_str().to_owned(), due_at: timestamp(*due_at) }
        }
        EventData::SatisfactionRated { rating, comment } => {
            EventDataV1::SatisfactionRated { rating: rating.as_str().to_owned(), comment: comment.clone() }
        }
    }
}

fn tenant_data_v1(data: &TenantEventData) -> EventDataV1 {
    match data {
        TenantEventData::WebhookDisabled { webhook_id, url, failing_since } => EventDataV1::WebhookDisabled {
            webhook_id: *webhook_id,
            url: url.clone(),
            failing_since: timestamp(*failing_since),
        },
    }
}

/// The public event types of the catalogue, in order.
pub fn event_types() -> Vec<String> {
    event_kinds().map(public_event_type).collect()
}

/// The query of `GET /admin/events`.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct FeedQuery {
    /// The `nextCursor` of the previous page; from the start of the feed when absent.
    pub after: Option<String>,
    /// 1..500 events (default 100).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 500)]
    pub limit: Option<String>,
    /// Only these types, comma-separated (e.g. `ticket.created,ticket.message_added`).
    pub types: Option<String>,
    /// When no event is there yet, wait up to this many seconds (0..30, default 0) for one.
    #[param(value_type = Option<i64>, minimum = 0, maximum = 30)]
    pub wait: Option<String>,
}

impl FeedQuery {
    /// The use case's request.
    ///
    /// # Errors
    ///
    /// `Validation` naming each bad parameter.
    pub fn try_into_domain(self) -> Result<FeedRequest, AppError> {
        let mut errors = Vec::new();
        let mut number = |field: &str, raw: Option<String>| match raw {
            None => None,
            Some(raw) => match raw.trim().parse::<i64>() {
                Ok(n) => Some(n),
                Err(_) => {
                    errors.push(supportdesk_app::FieldError {
                        field: field.into(),
                        message: "must be a whole number".into(),
                    });
                    Some(-1)
                }
            },
        };
        let limit = number("limit", self.limit);
        let wait = number("wait", self.wait);
        let parsed = FeedRequest::parse(self.after.as_deref(), limit, self.types.as_deref(), wait);
        match parsed {
            Ok(request) if errors.is_empty() => Ok(request),
            Ok(_) => Err(AppError::Validation(errors)),
            Err(AppError::Validation(more)) => {
                let mut all = errors;
                for error in more {
                    if !all.iter().any(|e| e.field == error.field) {
                        all.push(error);
                    }
                }
                Err(AppError::Validation(all))
            }
            Err(other) => Err(other),
        }
    }
}

/// One page of the feed.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct FeedResponse {
    /// The events, oldest first.
    pub data: Vec<EventV1>,
    /// Where to go on.
    pub meta: FeedMeta,
}

/// The feed's paging.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FeedMeta {
    /// Pass as `after` to read on; present also on an empty page (then it is the cursor you
    /// sent, or absent when the feed is still empty).
    pub next_cursor: Option<String>,
}

impl From<&FeedPage> for FeedResponse {
    fn from(page: &FeedPage) -> Self {
        Self {
            data: page.events.iter().map(EventV1::from).collect(),
            meta: FeedMeta { next_cursor: page.next.map(|p| p.to_cursor()) },
        }
    }
}
