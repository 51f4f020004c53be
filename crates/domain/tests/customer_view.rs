//! What the customer sees move: which commands bump the public version and the public
//! timestamps (`api-v1.1.md`, "A customer learns nothing staff-only"), one table row per
//! command. Internal notes and tags are staff-only; everything else on the customer's view
//! (status, priority, category, subject, assignee, public messages) is customer-visible.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use supportdesk_domain::*;
use time::macros::datetime;
use time::OffsetDateTime;

/// When the ticket was opened.
const OPENED: OffsetDateTime = datetime!(2026-03-17 09:00 UTC);
/// When the customer last saw something change (an agent's public reply).
const PUBLIC_EARLIER: OffsetDateTime = datetime!(2026-03-17 09:30 UTC);
/// When staff last changed something (an internal note the customer never saw).
const STAFF_EARLIER: OffsetDateTime = datetime!(2026-03-17 10:00 UTC);
/// When the command under test runs.
const NOW: OffsetDateTime = datetime!(2026-03-17 12:00 UTC);

struct World {
    ids: SequentialIds,
    owner_id: CustomerId,
    owner: Actor,
    agent: Actor,
    agent_id: AgentId,
    other_agent_id: AgentId,
    other_category: CategoryId,
}

impl World {
    fn new() -> Self {
        let ids = SequentialIds::default();
        let owner_id = CustomerId::from_uuid(ids.next_uuid());
        let agent_id = AgentId::from_uuid(ids.next_uuid());
        let other_agent_id = AgentId::from_uuid(ids.next_uuid());
        let other_category = CategoryId::from_uuid(ids.next_uuid());
        Self {
            owner: Actor::customer(owner_id, "Alex"),
            agent: Actor::agent(agent_id, "Sam"),
            ids,
            owner_id,
            agent_id,
            other_agent_id,
            other_category,
        }
    }

    /// An assigned ticket in `status` whose staff fields ran ahead of the customer's: an
    /// internal note after the last public reply.
    fn ticket_in(&self, status: Status) -> Ticket {
        let finished = !status.is_unfinished();
        Ticket {
            id: TicketId::from_uuid(self.ids.next_uuid()),
            tenant: TenantKey::default(),
            number: TicketNumber::new(7).unwrap(),
            customer_id: self.owner_id,
            category_id: CategoryId::from_uuid(self.ids.next_uuid()),
            subject: Subject::parse("Order not received").unwrap(),
            status,
            priority: Priority::Normal,
            source: Source::Api,
            order_id: Some(ExternalRef::parse("ORD-1").unwrap()),
            delivery_id: None,
            assignee_id: Some(self.agent_id),
            tags: Tags::parse(&["carrier"]).unwrap(),
            resolution_note: finished.then(|| ResolutionNote::parse("Replacement sent").unwrap()),
            created_at: OPENED,
            updated_at: STAFF_EARLIER,
            last_activity_at: STAFF_EARLIER,
            last_customer_message_at: Some(OPENED),
            last_agent_message_at: Some(STAFF_EARLIER),
            first_responded_at: Some(PUBLIC_EARLIER),
            resolved_at: (status == Status::Resolved).then_some(STAFF_EARLIER),
            closed_at: (status == Status::Closed).then_some(STAFF_EARLIER),
            version: 9,
            public_version: 6,
            public_updated_at: PUBLIC_EARLIER,
            public_last_activity_at: PUBLIC_EARLIER,
            public_last_agent_message_at: Some(PUBLIC_EARLIER),
            sla: None,
            satisfaction: None,
            metrics: Default::default(),
        }
    }

    fn ctx<'a>(&'a self, actor: &'a Actor) -> CommandContext<'a> {
        CommandContext { actor, policy: TenantPolicy::default(), now: NOW, ids: &self.ids }
    }
}

fn reply(internal: bool, status: Option<Status>) -> AgentReply {
    AgentReply {
        body: MessageBody::parse("Checked with the carrier.").unwrap(),
        internal,
        attachments: vec![],
        status,
        resolution_note: None,
    }
}

/// What a command moves on the customer's view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Moves {
    /// `public_version` and `public_updated_at`.
    version: bool,
    /// `public_last_activity_at`.
    activity: bool,
    /// `public_last_agent_message_at`.
    agent_message: bool,
}

const STAFF_ONLY: Moves = Moves { version: false, activity: false, agent_message: false };
const VISIBLE: Moves = Moves { version: true, activity: false, agent_message: false };
const CUSTOMER_MESSAGE: Moves = Moves { version: true, activity: true, agent_message: false };
const AGENT_MESSAGE: Moves = Moves { version: true, activity: true, agent_message: true };

type Command = fn(&World, &Ticket) -> Result<Option<TicketChange>, DomainError>;

/// One row: a command, the status it runs from, and what it moves for the customer.
struct Row {
    name: &'static str,
    from: Status,
    run: Command,
    moves: Moves,
}

const TABLE: &[Row] = &[
    Row {
        name: "an internal note",
        from: Status::InProgress,
        run: |w, t| t.agent_reply(&w.ctx(&w.agent), reply(true, None)).map(Some),
        moves: STAFF_ONLY,
    },
    Row {
        name: "an internal note on a closed ticket",
        from: Status::Closed,
        run: |w, t| t.agent_reply(&w.ctx(&w.agent), reply(true, None)).map(Some),
        moves: STAFF_ONLY,
    },
    Row {
        name: "a triage of the tags alone",
        from: Status::InProgress,
        run: |w, t| {
            let tags = Tags::parse(&["carrier", "refund"]).unwrap();
            t.triage(&w.ctx(&w.agent), Triage { tags: Some(tags), ..Triage::default() })
        },
        moves: STAFF_ONLY,
    },
    Row {
        name: "an internal note that resolves the ticket",
        from: Status::InProgress,
        run: |w, t| t.agent_reply(&w.ctx(&w.agent), reply(true, Some(Status::Resolved))).map(Some),
        moves: VISIBLE,
    },
    Row {
        name: "an agent's public reply",
        from: Status::InProgress,
        run: |w, t| t.agent_reply(&w.ctx(&w.agent), reply(false, None)).map(Some),
        moves: AGENT_MESSAGE,
    },
    Row {
        name: "an agent's public reply to a resolved ticket",
        from: Status::Resolved,
        run: |w, t| t.agent_reply(&w.ctx(&w.agent), reply(false, None)).map(Some),
        moves: AGENT_MESSAGE,
    },
    Row {
        name: "a customer reply",
        from: Status::InProgress,
        run: |w, t| t.customer_reply(&w.ctx(&w.owner), MessageBody::parse("Any news?").unwrap(), vec![]).map(Some),
        moves: CUSTOMER_MESSAGE,
    },
    Row {
        name: "a status change",
        from: Status::InProgress,
        run: |w, t| t.set_status(&w.ctx(&w.agent), Status::Resolved, None),
        moves: VISIBLE,
    },
    Row {
        name: "an assignment to another agent",
        from: Status::InProgress,
        run: |w, t| t.assign(&w.ctx(&w.agent), Some((w.other_agent_id, "Kim"))),
        moves: VISIBLE,
    },
    Row {
        name: "an unassignment",
        from: Status::InProgress,
        run: |w, t| t.assign(&w.ctx(&w.agent), None),
        moves: VISIBLE,
    },
    Row {
        name: "a triage of the priority",
        from: Status::InProgress,
        run: |w, t| t.triage(&w.ctx(&w.agent), Triage { priority: Some(Priority::High), ..Triage::default() }),
        moves: VISIBLE,
    },
    Row {
        name: "a triage of the category",
        from: Status::InProgress,
        run: |w, t| t.triage(&w.ctx(&w.agent), Triage { category_id: Some(w.other_category), ..Triage::default() }),
        moves: VISIBLE,
    },
    Row {
        name: "a triage of the subject",
        from: Status::InProgress,
        run: |w, t| {
            let subject = Subject::parse("Parcel lost by the carrier").unwrap();
            t.triage(&w.ctx(&w.agent), Triage { subject: Some(subject), ..Triage::default() })
        },
        moves: VISIBLE,
    },
    Row {
        name: "a triage of the tags and the priority",
        from: Status::InProgress,
        run: |w, t| {
            let tags = Tags::parse(&["refund"]).unwrap();
            t.triage(&w.ctx(&w.agent), Triage { tags: Some(tags), priority: Some(Priority::Low), ..Triage::default() })
        },
        moves: VISIBLE,
    },
    Row {
        name: "the customer closing",
        from: Status::Answered,
        run: |w, t| t.customer_close(&w.ctx(&w.owner)),
        moves: VISIBLE,
    },
    Row {
        name: "the customer reopening",
        from: Status::Resolved,
        run: |w, t| t.customer_reopen(&w.ctx(&w.owner)),
        moves: VISIBLE,
    },
];

#[test]
fn only_customer_visible_changes_move_the_public_version_and_timestamps() {
    let world = World::new();
    let mut failures = Vec::new();
    for row in TABLE {
        let before = world.ticket_in(row.from);
        let change = (row.run)(&world, &before).unwrap_or_else(|e| panic!("{}: refused: {e}", row.name));
        let after = change.unwrap_or_else(|| panic!("{}: changed nothing", row.name)).ticket;
        // Staff always see the change.
        assert_eq!((after.version, after.updated_at), (before.version + 1, NOW), "{}", row.name);
        let got = Moves {
            version: after.public_version != before.public_version,
            activity: after.public_last_activity_at != before.public_last_activity_at,
            agent_message: after.public_last_agent_message_at != before.public_last_agent_message_at,
        };
        if got != row.moves {
            failures.push(format!("{}: expected {:?}, got {got:?}", row.name, row.moves));
        }
        // When it moves, it moves by one, to now; otherwise it stays exactly as it was.
        let (version, updated_at) = if row.moves.version {
            (before.public_version + 1, NOW)
        } else {
            (before.public_version, before.public_updated_at)
        };
        assert_eq!((after.public_version, after.public_updated_at), (version, updated_at), "{}", row.name);
        if row.moves.activity {
            assert_eq!(after.public_last_activity_at, NOW, "{}", row.name);
        }
        if row.moves.agent_message {
            assert_eq!(after.public_last_agent_message_at, Some(NOW), "{}", row.name);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn an_internal_note_moves_the_staff_times_but_not_the_customers() {
    let world = World::new();
    let before = world.ticket_in(Status::Answered);
    let after = before.agent_reply(&world.ctx(&world.agent), reply(true, None)).unwrap().ticket;
    assert_eq!((after.last_activity_at, after.last_agent_message_at), (NOW, Some(NOW)));
    assert_eq!(after.public_last_activity_at, PUBLIC_EARLIER);
    assert_eq!(after.public_last_agent_message_at, Some(PUBLIC_EARLIER));
    assert_eq!(after.public_version, before.public_version);
}

#[test]
fn a_new_ticket_shows_the_customer_the_same_version_and_times_as_staff() {
    let world = World::new();
    for actor in [&world.owner, &world.agent] {
        let opened = Ticket::open(
            &world.ctx(actor),
            OpenTicket {
                tenant: TenantKey::default(),
                customer_id: world.owner_id,
                category_id: world.other_category,
                subject: None,
                description: Description::parse("My parcel never arrived. It was due Monday.").unwrap(),
                priority: Priority::Normal,
                source: Source::Api,
                order_id: None,
                delivery_id: None,
                attachments: vec![],
            },
        )
        .unwrap();
        let ticket = opened.ticket.into_ticket(TicketNumber::new(1).unwrap());
        assert_eq!(ticket.public_version, ticket.version);
        assert_eq!(ticket.public_updated_at, ticket.updated_at);
        assert_eq!(ticket.public_last_activity_at, ticket.last_activity_at);
        assert_eq!(ticket.public_last_agent_message_at, ticket.last_agent_message_at);
    }
}
