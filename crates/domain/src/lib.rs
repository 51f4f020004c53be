//! # supportdesk-domain
//!
//! The pure core of supportdesk: tickets and their messages, the status machine, and every
//! rule of `domain.md`. No I/O, no async: time and ids come in from the caller, so every
//! rule is a plain, deterministic function.
//!
//! Values are parsed once, at the edge, into types that cannot hold a bad value
//! ([`Subject`], [`MessageBody`], [`TicketNumber`], [`Tag`], [`Email`] ...). A failed parse
//! is an [`InvalidValue`] naming the field and the [`Rule`]. Commands on [`Ticket`] return a
//! [`TicketChange`] with the audit events they produced, or a [`DomainError`].
//!
//! ```
//! use supportdesk_domain::*;
//! use time::macros::datetime;
//!
//! let ids = SequentialIds::default();
//! let customer = CustomerId::from_uuid(ids.next_uuid());
//! let alex = Actor::customer(customer, "Alex");
//! let sam = Actor::agent(AgentId::from_uuid(ids.next_uuid()), "Sam");
//! let ctx = |actor| CommandContext {
//!     actor,
//!     policy: TenantPolicy::default(),
//!     now: datetime!(2026-03-17 10:05 UTC),
//!     ids: &ids,
//! };
//!
//! let opened = Ticket::open(&ctx(&alex), OpenTicket {
//!     tenant: TenantKey::default(),
//!     customer_id: customer,
//!     category_id: CategoryId::from_uuid(ids.next_uuid()),
//!     subject: Some(Subject::parse("Order not received").unwrap()),
//!     description: Description::parse("Ordered two weeks ago, nothing yet.").unwrap(),
//!     priority: Priority::Normal,
//!     source: Source::Api,
//!     order_id: None,
//!     delivery_id: None,
//!     attachments: vec![],
//! }).unwrap();
//! let ticket = opened.ticket.into_ticket(TicketNumber::new(1).unwrap());
//!
//! let reply = ticket.agent_reply(&ctx(&sam), AgentReply {
//!     body: MessageBody::parse("Sorry! A replacement is on its way.").unwrap(),
//!     internal: false,
//!     attachments: vec![],
//!     status: Some(Status::Resolved),
//!     resolution_note: Some(ResolutionNote::parse("Replacement sent").unwrap()),
//! }).unwrap();
//! assert_eq!(reply.ticket.status, Status::Resolved);
//! assert_eq!(reply.ticket.version, 2);
//! assert!(reply.ticket.first_responded_at.is_some());
//!
//! // Replying to a resolved ticket reopens it.
//! let back = reply.ticket.customer_reply(&ctx(&alex), MessageBody::parse("Still nothing").unwrap(), vec![]).unwrap();
//! assert_eq!(back.ticket.status, Status::Open);
//! assert_eq!(back.ticket.resolved_at, None);
//! ```

mod attachment;
mod business;
mod error;
mod event;
mod ids;
mod number;
mod party;
mod report;
pub mod search;
mod sla;
mod status;
mod text;
mod ticket;

pub use attachment::Attachment;
pub use business::{BusinessCalendar, ClockTime, OpenInterval, WeeklyHours, WorkingTime, MAX_HOLIDAYS, WEEKDAYS};
pub use error::{DomainError, InvalidValue, Rule};
pub use event::{AuditEvent, EventData, FieldChange};
pub use ids::{
    AgentId, BusinessHoursId, CategoryId, CustomerId, EventId, IdSource, MessageId, SequentialIds, SlaPolicyId,
    TicketId, UuidV7,
};
pub use number::{TicketNumber, TicketRef};
pub use party::{Actor, Agent, Category, Customer, TenantPolicy, DEFAULT_CATEGORIES};
pub use report::{
    summarize, CreatedFact, FactGroup, Percentiles, RangeError, ReportFacts, ReportGroupBy, ReportKey, ReportRange,
    ReportRow, ResolvedFact, TicketMetrics, MAX_REPORT_DAYS,
};
pub use sla::{SlaBreach, SlaBreaches, SlaMatch, SlaMetric, SlaState, SlaStep, SlaTargets, TicketSla};
pub use status::{AuthorType, Permission, Priority, Rating, Role, Source, Status};
pub use text::{
    CategoryName, Description, Email, ExternalRef, MessageBody, PersonName, ResolutionNote, SatisfactionComment, Slug,
    Subject, Tag, Tags, TenantKey,
};
pub use ticket::{
    AgentReply, CommandContext, MacroActions, Message, NewTicket, OpenTicket, OpenedTicket, Satisfaction, Ticket,
    TicketChange, Triage,
};

/// Re-exported so embedders name the same `uuid` and `time` types the domain uses.
pub use time;
pub use uuid;
