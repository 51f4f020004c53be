//! The store's own serialised form of an audit event's data (the `data` column, its
//! version in `format`). It is independent of the domain's `serde` derives (those are for
//! embedders) and of the public event shape (the HTTP layer's): a change to either leaves
//! stored rows readable. Every value is parsed back into its domain type when read, so a
//! row that does not hold a valid event fails the read instead of passing a bad value on.
//!
//! Format 1 is the JSON the first releases wrote: `{"type": kind, "data": {...}}` with
//! camelCase fields and the vocabularies' wire names.

use serde::{Deserialize, Serialize};
use supportdesk_app::TenantEventData;
use supportdesk_domain::{
    AgentId, CategoryId, EventData, FieldChange, MessageId, Priority, Rating, SlaMetric, Source, Status,
};
use uuid::Uuid;

use crate::error::Failure;

/// The format this release writes.
pub(crate) const CURRENT_FORMAT: i16 = 1;

/// A field's value before and after, as stored.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StoredChange<T> {
    from: T,
    to: T,
}

/// Format 1 of an event's data.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "type", content = "data", rename_all = "snake_case", rename_all_fields = "camelCase")]
enum StoredEventV1 {
    Created {
        status: String,
        priority: String,
        category_id: Uuid,
        subject: String,
        source: String,
    },
    MessageAdded {
        message_id: Uuid,
    },
    NoteAdded {
        message_id: Uuid,
    },
    StatusChanged {
        from: String,
        to: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        resolution_note: Option<String>,
    },
    Assigned {
        assignee_id: Uuid,
        assignee_name: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        previous_assignee_id: Option<Uuid>,
    },
    Unassigned {
        previous_assignee_id: Uuid,
    },
    Triaged {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        priority: Option<StoredChange<String>>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        category_id: Option<StoredChange<Uuid>>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        tags: Option<StoredChange<Vec<String>>>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        subject: Option<StoredChange<String>>,
    },
    SlaBreached {
        metric: String,
        /// Unix nanoseconds.
        due_at: i128,
    },
    SatisfactionRated {
        rating: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        comment: Option<String>,
    },
}

fn change<T, U>(c: &FieldChange<T>, f: impl Fn(&T) -> U) -> StoredChange<U> {
    StoredChange { from: f(&c.from), to: f(&c.to) }
}

fn back<T, U, E>(c: StoredChange<T>, f: impl Fn(T) -> Result<U, E>) -> Result<FieldChange<U>, E> {
    Ok(FieldChange { from: f(c.from)?, to: f(c.to)? })
}

impl From<&EventData> for StoredEventV1 {
    fn from(data: &EventData) -> Self {
        match data {
            EventData::Created { status, priority, category_id, subject, source } => StoredEventV1::Created {
                status: status.as_str().to_owned(),
                priority: priority.as_str().to_owned(),
                category_id: category_id.as_uuid(),
                subject: subject.clone(),
                source: source.as_str().to_owned(),
            },
            EventData::MessageAdded { message_id } => StoredEventV1::MessageAdded { message_id: message_id.as_uuid() },
            EventData::NoteAdded { message_id } => StoredEventV1::NoteAdded { message_id: message_id.as_uuid() },
            EventData::StatusChanged { from, to, resolution_note } => StoredEventV1::StatusChanged {
                from: from.as_str().to_owned(),
                to: to.as_str().to_owned(),
                resolution_note: resolution_note.clone(),
            },
            EventData::Assigned { assignee_id, assignee_name, previous_assignee_id } => StoredEventV1::Assigned {
                assignee_id: assignee_id.as_uuid(),
                assignee_name: assignee_name.clone(),
                previous_assignee_id: previous_assignee_id.map(|a| a.as_uuid()),
            },
            EventData::Unassigned { previous_assignee_id } => {
                StoredEventV1::Unassigned { previous_assignee_id: previous_assignee_id.as_uuid() }
            }
            EventData::Triaged { priority, category_id, tags, subject } => StoredEventV1::Triaged {
                priority: priority.as_ref().map(|c| change(c, |p| p.as_str().to_owned())),
                category_id: category_id.as_ref().map(|c| change(c, |id| id.as_uuid())),
                tags: tags.as_ref().map(|c| change(c, Clone::clone)),
                subject: subject.as_ref().map(|c| change(c, Clone::clone)),
            },
            EventData::SlaBreached { metric, due_at } => {
                StoredEventV1::SlaBreached { metric: metric.as_str().to_owned(), due_at: due_at.unix_timestamp_nanos() }
            }
            EventData::SatisfactionRated { rating, comment } => {
                StoredEventV1::SatisfactionRated { rating: rating.as_str().to_owned(), comment: comment.clone() }
            }
        }
    }
}

impl TryFrom<StoredEventV1> for EventData {
    type Error = Failure;

    fn try_from(stored: StoredEventV1) -> Result<Self, Failure> {
        Ok(match stored {
            StoredEventV1::Created { status, priority, category_id, subject, source } => EventData::Created {
                status: Status::parse(&status)?,
                priority: Priority::parse(&priority)?,
                category_id: CategoryId::from_uuid(category_id),
                subject,
                source: Source::parse(&source)?,
            },
            StoredEventV1::MessageAdded { message_id } => {
                EventData::MessageAdded { message_id: MessageId::from_uuid(message_id) }
            }
            StoredEventV1::NoteAdded { message_id } => {
                EventData::NoteAdded { message_id: MessageId::from_uuid(message_id) }
            }
            StoredEventV1::StatusChanged { from, to, resolution_note } => {
                EventData::StatusChanged { from: Status::parse(&from)?, to: Status::parse(&to)?, resolution_note }
            }
            StoredEventV1::Assigned { assignee_id, assignee_name, previous_assignee_id } => EventData::Assigned {
                assignee_id: AgentId::from_uuid(assignee_id),
                assignee_name,
                previous_assignee_id: previous_assignee_id.map(AgentId::from_uuid),
            },
            StoredEventV1::Unassigned { previous_assignee_id } => {
                EventData::Unassigned { previous_assignee_id: AgentId::from_uuid(previous_assignee_id) }
            }
            StoredEventV1::Triaged { priority, category_id, tags, subject } => EventData::Triaged {
                priority: priority.map(|c| back(c, |p| Priority::parse(&p))).transpose()?,
                category_id: category_id
                    .map(|c| back(c, |id| Ok::<_, Failure>(CategoryId::from_uuid(id))))
                    .transpose()?,
                tags: tags.map(|c| back(c, Ok::<_, Failure>)).transpose()?,
                subject: subject.map(|c| back(c, Ok::<_, Failure>)).transpose()?,
            },
            StoredEventV1::SlaBreached { metric, due_at } => EventData::SlaBreached {
                metric: SlaMetric::parse(&metric)
                    .ok_or_else(|| Failure::Corrupt(format!("SLA metric {metric} is unknown")))?,
                due_at: time::OffsetDateTime::from_unix_timestamp_nanos(due_at)
                    .map_err(|_| Failure::Corrupt(format!("SLA due time {due_at} is out of range")))?,
            },
            StoredEventV1::SatisfactionRated { rating, comment } => {
                EventData::SatisfactionRated { rating: Rating::parse(&rating)?, comment }
            }
        })
    }
}

/// The stored form of `data` in the current format.
pub(crate) fn encode(data: &EventData) -> Result<String, Failure> {
    Ok(serde_json::to_string(&StoredEventV1::from(data))?)
}

/// Format 1 of a tenant event's data (an event that belongs to no ticket).
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "type", content = "data", rename_all = "snake_case", rename_all_fields = "camelCase")]
enum StoredTenantEventV1 {
    WebhookDisabled {
        webhook_id: Uuid,
        url: String,
        /// Unix nanoseconds.
        failing_since: i128,
    },
}

/// The stored form of a tenant event's `data` in the current format.
pub(crate) fn encode_tenant(data: &TenantEventData) -> Result<String, Failure> {
    let stored = match data {
        TenantEventData::WebhookDisabled { webhook_id, url, failing_since } => StoredTenantEventV1::WebhookDisabled {
            webhook_id: *webhook_id,
            url: url.clone(),
            failing_since: failing_since.unix_timestamp_nanos(),
        },
    };
    Ok(serde_json::to_string(&stored)?)
}

/// Reads a tenant event's `data` back, checking that `kind` agrees with it.
pub(crate) fn decode_tenant(format: i16, kind: &str, raw: &str) -> Result<TenantEventData, Failure> {
    let data = match format {
        1 => match serde_json::from_str::<StoredTenantEventV1>(raw)? {
            StoredTenantEventV1::WebhookDisabled { webhook_id, url, failing_since } => {
                TenantEventData::WebhookDisabled {
                    webhook_id,
                    url,
                    failing_since: time::OffsetDateTime::from_unix_timestamp_nanos(failing_since)
                        .map_err(|_| Failure::Corrupt(format!("time {failing_since} is out of range")))?,
                }
            }
        },
        other => return Err(Failure::Corrupt(format!("event data format {other} is unknown to this release"))),
    };
    if data.kind() != kind {
        return Err(Failure::Corrupt(format!("event of kind {kind} holds {} data", data.kind())));
    }
    Ok(data)
}

/// Reads `data` back from its stored form, checking that `kind` agrees with it.
pub(crate) fn decode(format: i16, kind: &str, raw: &str) -> Result<EventData, Failure> {
    let data = match format {
        1 => EventData::try_from(serde_json::from_str::<StoredEventV1>(raw)?)?,
        other => return Err(Failure::Corrupt(format!("event data format {other} is unknown to this release"))),
    };
    if data.kind() != kind {
        return Err(Failure::Corrupt(format!("event of kind {kind} holds {} data", data.kind())));
    }
    Ok(data)
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used, reason = "tests")]

    use super::*;

    #[test]
    fn format_one_reads_the_json_the_first_releases_wrote() {
        let raw = r#"{"type":"status_changed","data":{"from":"open","to":"resolved","resolutionNote":"done"}}"#;
        let data = decode(1, "status_changed", raw).unwrap();
        assert_eq!(
            data,
            EventData::StatusChanged { from: Status::Open, to: Status::Resolved, resolution_note: Some("done".into()) }
        );
        assert_eq!(decode(1, "status_changed", &encode(&data).unwrap()).unwrap(), data);
    }

    #[test]
    fn a_satisfaction_rating_round_trips() {
        let data = EventData::SatisfactionRated { rating: Rating::Good, comment: Some("Thanks".into()) };
        let raw = encode(&data).unwrap();
        assert_eq!(raw, r#"{"type":"satisfaction_rated","data":{"rating":"good","comment":"Thanks"}}"#);
        assert_eq!(decode(1, "satisfaction_rated", &raw).unwrap(), data);
        assert!(decode(1, "satisfaction_rated", r#"{"type":"satisfaction_rated","data":{"rating":"meh"}}"#).is_err());
    }

    #[test]
    fn a_webhook_disabled_event_round_trips_and_a_mismatched_kind_fails() {
        let data = TenantEventData::WebhookDisabled {
            webhook_id: Uuid::nil(),
            url: "https://shop.example/hook".into(),
            failing_since: time::OffsetDateTime::UNIX_EPOCH,
        };
        let raw = encode_tenant(&data).unwrap();
        assert_eq!(
            raw,
            r#"{"type":"webhook_disabled","data":{"webhookId":"00000000-0000-0000-0000-000000000000","url":"https://shop.example/hook","failingSince":0}}"#
        );
        assert_eq!(decode_tenant(1, "webhook_disabled", &raw).unwrap(), data);
        assert!(decode_tenant(1, "created", &raw).is_err());
        assert!(decode_tenant(2, "webhook_disabled", &raw).is_err());
    }

    #[test]
    fn a_stored_event_with_a_bad_value_or_an_unknown_format_fails_to_read() {
        let raw = r#"{"type":"status_changed","data":{"from":"open","to":"gone"}}"#;
        assert!(decode(1, "status_changed", raw).is_err());
        let good = r#"{"type":"status_changed","data":{"from":"open","to":"resolved"}}"#;
        assert!(decode(2, "status_changed", good).is_err());
        assert!(decode(1, "assigned", good).is_err());
    }
}
