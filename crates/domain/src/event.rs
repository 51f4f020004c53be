//! The audit trail: one event per thing that happened to a ticket, with who did it.

use time::OffsetDateTime;

use crate::ids::{AgentId, CategoryId, EventId, MessageId, TicketId};
use crate::party::Actor;
use crate::sla::SlaMetric;
use crate::status::{Priority, Rating, Source, Status};

/// One entry of a ticket's audit trail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    /// Its id (time-ordered).
    pub id: EventId,
    /// The ticket it belongs to.
    pub ticket_id: TicketId,
    /// Who caused it.
    pub actor: Actor,
    /// What happened.
    pub data: EventData,
    /// When.
    pub created_at: OffsetDateTime,
}

/// A field that changed: its value before and after.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct FieldChange<T> {
    /// The value before.
    pub from: T,
    /// The value after.
    pub to: T,
}

/// What an audit event records. The wire name of each variant is the event's `type`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(tag = "type", content = "data", rename_all = "snake_case", rename_all_fields = "camelCase")
)]
pub enum EventData {
    /// The ticket was opened.
    Created {
        /// Its status at birth (`open`).
        status: Status,
        /// Its priority at birth.
        priority: Priority,
        /// Its category at birth.
        category_id: CategoryId,
        /// Its subject at birth.
        subject: String,
        /// The channel it came through.
        source: Source,
    },
    /// A public message was added.
    MessageAdded {
        /// The message.
        message_id: MessageId,
    },
    /// An internal note was added.
    NoteAdded {
        /// The note.
        message_id: MessageId,
    },
    /// The status moved.
    StatusChanged {
        /// The status before.
        from: Status,
        /// The status after.
        to: Status,
        /// The resolution note given with the change, if any.
        #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Option::is_none"))]
        resolution_note: Option<String>,
    },
    /// The ticket was given to an agent.
    Assigned {
        /// The new assignee.
        assignee_id: AgentId,
        /// The new assignee's name at the time.
        assignee_name: String,
        /// Who had it before, if anyone.
        #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Option::is_none"))]
        previous_assignee_id: Option<AgentId>,
    },
    /// The ticket was taken away from its agent.
    Unassigned {
        /// Who had it.
        previous_assignee_id: AgentId,
    },
    /// Priority, category, tags or subject changed.
    Triaged {
        /// The priority change, if any.
        #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Option::is_none"))]
        priority: Option<FieldChange<Priority>>,
        /// The category change, if any.
        #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Option::is_none"))]
        category_id: Option<FieldChange<CategoryId>>,
        /// The tag change, if any.
        #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Option::is_none"))]
        tags: Option<FieldChange<Vec<String>>>,
        /// The subject change, if any.
        #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Option::is_none"))]
        subject: Option<FieldChange<String>>,
    },
    /// An SLA clock ran past its due time unmet (reported once per clock and cycle).
    SlaBreached {
        /// Which clock.
        metric: SlaMetric,
        /// When it was due.
        #[cfg_attr(feature = "serde", serde(with = "time::serde::rfc3339"))]
        due_at: OffsetDateTime,
    },
    /// The customer rated the ticket's resolution.
    SatisfactionRated {
        /// `good` or `bad`.
        rating: Rating,
        /// What they added, if anything.
        #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Option::is_none"))]
        comment: Option<String>,
    },
}

impl EventData {
    /// The event's `type` as the API names it.
    pub const fn kind(&self) -> &'static str {
        match self {
            EventData::Created { .. } => "created",
            EventData::MessageAdded { .. } => "message_added",
            EventData::NoteAdded { .. } => "note_added",
            EventData::StatusChanged { .. } => "status_changed",
            EventData::Assigned { .. } => "assigned",
            EventData::Unassigned { .. } => "unassigned",
            EventData::Triaged { .. } => "triaged",
            EventData::SlaBreached { .. } => "sla_breached",
            EventData::SatisfactionRated { .. } => "satisfaction_rated",
        }
    }
}
