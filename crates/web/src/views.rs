//! What the templates show, already in words: the use cases' views turned into plain strings,
//! so a template only places values (which askama escapes) and decides nothing.

use supportdesk_app::{TicketSummary, TicketView};
use supportdesk_domain::{AuditEvent, AuthorType, EventData, Message, SlaMetric, Status};
use time::OffsetDateTime;

/// A time as people read it: `2026-11-29 08:55 UTC`.
pub fn when(at: OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    format!("{:04}-{:02}-{:02} {:02}:{:02} UTC", at.year(), u8::from(at.month()), at.day(), at.hour(), at.minute())
}

/// A status in words.
pub fn status_label(status: Status) -> &'static str {
    match status {
        Status::Open => "Open",
        Status::InProgress => "In progress",
        Status::Answered => "Answered",
        Status::Resolved => "Resolved",
        Status::Closed => "Closed",
    }
}

/// One line of a ticket list.
#[derive(Debug, Clone)]
pub struct TicketRow {
    /// The number as a path segment (`42`).
    pub number: i64,
    /// The number as shown (`#000042`).
    pub label: String,
    /// The subject.
    pub subject: String,
    /// The status's wire name (a CSS class).
    pub status: &'static str,
    /// The status in words.
    pub status_label: &'static str,
    /// The priority.
    pub priority: &'static str,
    /// The customer's name.
    pub customer: String,
    /// The category's name.
    pub category: String,
    /// The assignee's name, or empty.
    pub assignee: String,
    /// The tags, comma-separated.
    pub tags: String,
    /// When it last moved.
    pub updated: String,
    /// The SLA badge (staff pages only): `SLA breached`, `Due ...`, `SLA paused`, or empty.
    pub sla: String,
    /// The badge's CSS class: `breached`, `due`, `paused`, or empty.
    pub sla_class: &'static str,
    /// Where a search matched (empty outside a search).
    pub found_in: &'static str,
    /// The search snippet in parts, each to be shown plain or highlighted (empty outside a
    /// search).
    pub snippet: Vec<SnippetPart>,
}

/// The SLA badge of a ticket: a recorded breach first, then the soonest running due time,
/// then a pause.
fn sla_badge(ticket: &supportdesk_domain::Ticket) -> (String, &'static str) {
    let Some(sla) = ticket.sla else { return (String::new(), "") };
    if sla.state.breached.any() {
        ("SLA breached".to_owned(), "breached")
    } else if let Some(due) = sla.state.due_at() {
        (format!("Due {}", when(due)), "due")
    } else if sla.state.paused_since.is_some() {
        ("SLA paused".to_owned(), "paused")
    } else {
        (String::new(), "")
    }
}

/// One line of a ticket's SLA panel.
#[derive(Debug, Clone)]
pub struct SlaLine {
    /// The clock.
    pub label: &'static str,
    /// When it is due, or what became of it.
    pub value: String,
    /// Whether it breached.
    pub breached: bool,
}

/// The SLA panel of a ticket: one line per clock, empty when no policy applies.
pub fn sla_lines(ticket: &supportdesk_domain::Ticket) -> Vec<SlaLine> {
    let Some(sla) = ticket.sla else { return Vec::new() };
    let s = &sla.state;
    let due = |at: Option<time::OffsetDateTime>, done: &str| {
        at.map_or_else(|| done.to_owned(), |at| format!("due {}", when(at)))
    };
    let mut resolution = due(s.resolution_due_at, "stopped");
    if let Some(since) = s.paused_since {
        resolution.push_str(&format!(" (paused since {})", when(since)));
    }
    vec![
        SlaLine {
            label: "First response",
            value: due(s.first_response_due_at, if ticket.first_responded_at.is_some() { "given" } else { "stopped" }),
            breached: s.breached.first_response,
        },
        SlaLine {
            label: "Next response",
            value: due(s.next_response_due_at, "not waiting"),
            breached: s.breached.next_response,
        },
        SlaLine { label: "Resolution", value: resolution, breached: s.breached.resolution },
    ]
}

/// A piece of a search snippet; the template escapes the text and wraps a highlighted part
/// in `<mark>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnippetPart {
    /// The text.
    pub text: String,
    /// Whether it is where the query's words are.
    pub mark: bool,
}

/// Cuts a snippet at its highlight ranges (in characters).
pub fn snippet_parts(snippet: &str, highlights: &[(usize, usize)]) -> Vec<SnippetPart> {
    let chars: Vec<char> = snippet.chars().collect();
    let mut parts = Vec::new();
    let mut at = 0;
    for &(start, end) in highlights {
        let (start, end) = (start.min(chars.len()).max(at), end.min(chars.len()));
        if start >= end {
            continue;
        }
        if start > at {
            parts.push(SnippetPart { text: chars[at..start].iter().collect(), mark: false });
        }
        parts.push(SnippetPart { text: chars[start..end].iter().collect(), mark: true });
        at = end;
    }
    if at < chars.len() {
        parts.push(SnippetPart { text: chars[at..].iter().collect(), mark: false });
    }
    parts
}

impl From<&TicketSummary> for TicketRow {
    fn from(summary: &TicketSummary) -> Self {
        let t = &summary.ticket;
        Self {
            number: t.number.get(),
            label: t.number.to_string(),
            subject: t.subject.to_string(),
            status: t.status.as_str(),
            status_label: status_label(t.status),
            priority: t.priority.as_str(),
            customer: summary.customer.name.clone(),
            category: summary.category.name.clone(),
            assignee: summary.assignee.as_ref().map(|a| a.name.clone()).unwrap_or_default(),
            tags: t.tags.iter_str().collect::<Vec<_>>().join(", "),
            updated: when(t.updated_at),
            sla: sla_badge(t).0,
            sla_class: sla_badge(t).1,
            found_in: summary.search_match.as_ref().map_or("", |m| m.field.as_str()),
            snippet: summary
                .search_match
                .as_ref()
                .map(|m| snippet_parts(&m.snippet, &m.highlights))
                .unwrap_or_default(),
        }
    }
}

/// One message of a thread.
#[derive(Debug, Clone)]
pub struct ThreadItem {
    /// Who wrote it.
    pub author: String,
    /// `customer`, `agent`, `note` or `system`: a CSS class, and what the reader sees.
    pub kind: &'static str,
    /// What the label says.
    pub label: &'static str,
    /// The text.
    pub body: String,
    /// When.
    pub at: String,
}

impl From<&Message> for ThreadItem {
    fn from(message: &Message) -> Self {
        let (kind, label) = match (message.internal, message.author.kind) {
            (true, _) => ("note", "Internal note"),
            (false, AuthorType::Customer) => ("customer", "Customer"),
            (false, AuthorType::Agent) => ("agent", "Reply"),
            (false, AuthorType::System) => ("system", "System"),
        };
        Self {
            author: message.author.name.clone(),
            kind,
            label,
            body: message.body.to_string(),
            at: when(message.created_at),
        }
    }
}

/// One line of the audit trail.
#[derive(Debug, Clone)]
pub struct EventItem {
    /// When.
    pub at: String,
    /// Who.
    pub actor: String,
    /// What happened.
    pub text: String,
}

impl From<&AuditEvent> for EventItem {
    fn from(event: &AuditEvent) -> Self {
        let text = match &event.data {
            EventData::Created { .. } => "opened the ticket".to_owned(),
            EventData::MessageAdded { .. } => "added a public message".to_owned(),
            EventData::NoteAdded { .. } => "added an internal note".to_owned(),
            EventData::StatusChanged { from, to, resolution_note } => {
                let mut text = format!("moved it from {} to {}", status_label(*from), status_label(*to));
                if let Some(note) = resolution_note {
                    text.push_str(&format!(" ({note})"));
                }
                text
            }
            EventData::Assigned { assignee_name, .. } => format!("assigned it to {assignee_name}"),
            EventData::Unassigned { .. } => "unassigned it".to_owned(),
            EventData::SatisfactionRated { rating, comment } => match comment {
                Some(comment) => format!("rated the resolution {}: “{comment}”", rating.as_str()),
                None => format!("rated the resolution {}", rating.as_str()),
            },
            EventData::Triaged { priority, category_id, tags, subject } => {
                let mut parts = Vec::new();
                if let Some(change) = priority {
                    parts.push(format!("priority {} → {}", change.from.as_str(), change.to.as_str()));
                }
                if category_id.is_some() {
                    parts.push("category".to_owned());
                }
                if let Some(change) = tags {
                    parts.push(format!("tags [{}] → [{}]", change.from.join(", "), change.to.join(", ")));
                }
                if let Some(change) = subject {
                    parts.push(format!("subject “{}” → “{}”", change.from, change.to));
                }
                format!("triaged: {}", parts.join("; "))
            }
            EventData::SlaBreached { metric, due_at } => {
                let clock = match metric {
                    SlaMetric::FirstResponse => "first response",
                    SlaMetric::NextResponse => "next response",
                    SlaMetric::Resolution => "resolution",
                };
                format!("recorded an SLA breach: {clock} was due {}", when(*due_at))
            }
        };
        Self { at: when(event.created_at), actor: event.actor.name.clone(), text }
    }
}

/// A ticket as its page shows it.
#[derive(Debug, Clone)]
pub struct TicketPage {
    /// The list line (number, subject, status, names).
    pub row: TicketRow,
    /// The version the forms carry (the staff version for staff, the public one for customers).
    pub version: i64,
    /// The order it is about, or empty.
    pub order_id: String,
    /// The category's slug.
    pub category_slug: String,
    /// The customer's id.
    pub customer_id: String,
    /// The assignee's id, or empty.
    pub assignee_id: String,
    /// The resolution note, or empty.
    pub resolution_note: String,
    /// The customer's latest satisfaction rating as a line (`Good: “Fast, thanks”`), or
    /// empty.
    pub satisfaction: String,
    /// Whether the customer may rate the current resolution (resolved or closed, not yet
    /// rated).
    pub can_rate: bool,
    /// The thread, oldest first.
    pub thread: Vec<ThreadItem>,
}

impl TicketPage {
    /// The page of `view`, whose forms carry `version`.
    pub fn new(view: &TicketView, version: i64) -> Self {
        let t = &view.summary.ticket;
        Self {
            row: TicketRow::from(&view.summary),
            version,
            order_id: t.order_id.as_ref().map(ToString::to_string).unwrap_or_default(),
            category_slug: view.summary.category.slug.clone(),
            customer_id: view.summary.customer.id.to_string(),
            assignee_id: t.assignee_id.map(|id| id.to_string()).unwrap_or_default(),
            resolution_note: t.resolution_note.as_ref().map(ToString::to_string).unwrap_or_default(),
            satisfaction: t.satisfaction.as_ref().map(satisfaction_line).unwrap_or_default(),
            can_rate: t.resolution_at().is_some() && !t.resolution_rated(),
            thread: view.messages.iter().map(ThreadItem::from).collect(),
        }
    }
}

/// A rating as one line: `Good`, or `Bad: “comment”`, with when.
fn satisfaction_line(s: &supportdesk_domain::Satisfaction) -> String {
    let rating = match s.rating {
        supportdesk_domain::Rating::Good => "Good",
        supportdesk_domain::Rating::Bad => "Bad",
    };
    match &s.comment {
        Some(comment) => format!("{rating}: “{comment}” ({})", when(s.rated_at)),
        None => format!("{rating} ({})", when(s.rated_at)),
    }
}

/// A choice in a `<select>`.
#[derive(Debug, Clone)]
pub struct Choice {
    /// The value sent.
    pub value: String,
    /// The text shown.
    pub label: String,
    /// Whether it is the current one.
    pub selected: bool,
}

impl Choice {
    /// A choice, selected when `value == current`.
    pub fn new(value: impl Into<String>, label: impl Into<String>, current: &str) -> Self {
        let value = value.into();
        let selected = value == current;
        Self { value, label: label.into(), selected }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn times_read_in_utc_to_the_minute() {
        assert_eq!(when(datetime!(2026-11-29 08:55:41 +01:00)), "2026-11-29 07:55 UTC");
    }

    #[test]
    fn a_choice_is_selected_when_it_is_the_current_value() {
        assert!(Choice::new("high", "High", "high").selected);
        assert!(!Choice::new("low", "Low", "high").selected);
    }

    #[test]
    fn a_snippet_is_cut_at_its_highlights_by_characters() {
        let parts = snippet_parts("Die Crème brûlée war kalt", &[(4, 9), (10, 16)]);
        let shown: Vec<(&str, bool)> = parts.iter().map(|p| (p.text.as_str(), p.mark)).collect();
        assert_eq!(shown, [("Die ", false), ("Crème", true), (" ", false), ("brûlée", true), (" war kalt", false)]);
        assert_eq!(snippet_parts("abc", &[(2, 9)]).last().map(|p| p.text.as_str()), Some("c"));
        assert!(snippet_parts("", &[]).is_empty());
    }
}
