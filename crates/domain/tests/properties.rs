//! Properties of the domain crate: no sequence of commands breaks an invariant of
//! `domain.md`, and the parsers never panic and round-trip.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod parsers;

use proptest::prelude::*;
use proptest::sample::select;
use supportdesk_domain::*;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

// ---------------------------------------------------------------------------------------
// Random command sequences
// ---------------------------------------------------------------------------------------

const START: OffsetDateTime = datetime!(2026-03-17 09:00 UTC);

/// Who runs a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    /// The ticket's customer.
    Owner,
    /// Another customer of the same tenant.
    Stranger,
    /// One of two agents.
    Agent(usize),
}

impl Who {
    fn is_customer(self) -> bool {
        matches!(self, Who::Owner | Who::Stranger)
    }
}

/// A command with its input.
#[derive(Debug, Clone)]
enum Op {
    CustomerReply,
    AgentReply {
        internal: bool,
        status: Option<Status>,
        note: Option<ResolutionNote>,
    },
    SetStatus {
        to: Status,
        note: Option<ResolutionNote>,
    },
    /// Assign one of the two agents.
    Assign {
        agent: usize,
    },
    Unassign,
    Triage {
        priority: Option<Priority>,
        tags: Option<Tags>,
    },
    CustomerClose,
    CustomerReopen,
}

impl Op {
    /// The commands only the ticket's customer may run.
    fn is_customer_command(&self) -> bool {
        matches!(self, Op::CustomerReply | Op::CustomerClose | Op::CustomerReopen)
    }
}

#[derive(Debug, Clone)]
struct Step {
    who: Who,
    op: Op,
    policy: TenantPolicy,
    /// Minutes since the previous step.
    after: i64,
}

/// How the ticket is opened.
#[derive(Debug, Clone)]
struct Opening {
    by_agent: bool,
    source: Source,
    order_id: Option<ExternalRef>,
    description: Description,
    subject: Option<Subject>,
}

fn status() -> impl Strategy<Value = Status> {
    select(Status::ALL)
}

fn policy() -> impl Strategy<Value = TenantPolicy> {
    (any::<bool>(), any::<bool>()).prop_map(|(allow_customer_close, reopen_closed_on_customer_reply)| TenantPolicy {
        allow_customer_close,
        reopen_closed_on_customer_reply,
        ..TenantPolicy::default()
    })
}

fn resolution_note() -> impl Strategy<Value = Option<ResolutionNote>> {
    proptest::option::of("[A-Za-z][A-Za-z0-9 .,!]{0,40}".prop_map(|raw| ResolutionNote::parse(&raw).unwrap()))
}

fn who() -> impl Strategy<Value = Who> {
    prop_oneof![3 => Just(Who::Owner), 1 => Just(Who::Stranger), 2 => Just(Who::Agent(0)), 2 => Just(Who::Agent(1))]
}

fn op() -> impl Strategy<Value = Op> {
    let tags = proptest::option::of(
        proptest::collection::vec("[a-z0-9_-]{1,8}", 0..4).prop_map(|raw| Tags::parse(&raw).unwrap()),
    );
    prop_oneof![
        Just(Op::CustomerReply),
        (any::<bool>(), proptest::option::of(status()), resolution_note())
            .prop_map(|(internal, status, note)| Op::AgentReply { internal, status, note }),
        (status(), resolution_note()).prop_map(|(to, note)| Op::SetStatus { to, note }),
        (0..2usize).prop_map(|agent| Op::Assign { agent }),
        Just(Op::Unassign),
        (proptest::option::of(select(Priority::ALL)), tags).prop_map(|(priority, tags)| Op::Triage { priority, tags }),
        Just(Op::CustomerClose),
        Just(Op::CustomerReopen),
    ]
}

fn step() -> impl Strategy<Value = Step> {
    (who(), op(), policy(), 0..180i64).prop_map(|(who, op, policy, after)| Step { who, op, policy, after })
}

fn opening() -> impl Strategy<Value = Opening> {
    let description =
        "[A-Za-z][A-Za-z0-9 .!?\n]{9,120}".prop_filter_map("a description", |raw| Description::parse(&raw).ok());
    let subject = proptest::option::of("[A-Za-z]{3,40}".prop_map(|raw| Subject::parse(&raw).unwrap()));
    let order_id = proptest::option::of("ORD-[0-9]{1,6}".prop_map(|raw| ExternalRef::parse(&raw).unwrap()));
    (any::<bool>(), select(Source::ALL), order_id, description, subject).prop_map(
        |(by_agent, source, order_id, description, subject)| Opening {
            by_agent,
            source,
            order_id,
            description,
            subject,
        },
    )
}

/// The parties of one run.
struct World {
    ids: SequentialIds,
    owner_id: CustomerId,
    owner: Actor,
    stranger: Actor,
    agent_ids: [AgentId; 2],
    agents: [Actor; 2],
}

impl World {
    fn new() -> Self {
        let ids = SequentialIds::default();
        let owner_id = CustomerId::from_uuid(ids.next_uuid());
        let stranger = Actor::customer(CustomerId::from_uuid(ids.next_uuid()), "Mallory");
        let agent_ids = [AgentId::from_uuid(ids.next_uuid()), AgentId::from_uuid(ids.next_uuid())];
        let agents = [Actor::agent(agent_ids[0], "Sam"), Actor::agent(agent_ids[1], "Kim")];
        Self { owner: Actor::customer(owner_id, "Alex"), ids, owner_id, stranger, agent_ids, agents }
    }

    fn actor(&self, who: Who) -> &Actor {
        match who {
            Who::Owner => &self.owner,
            Who::Stranger => &self.stranger,
            Who::Agent(index) => &self.agents[index],
        }
    }
}

/// Runs one command; `Ok(None)` is "no change".
fn apply(
    world: &World,
    ticket: &Ticket,
    ctx: &CommandContext<'_>,
    op: &Op,
) -> Result<Option<TicketChange>, DomainError> {
    let body = MessageBody::parse("A message").unwrap();
    match op {
        Op::CustomerReply => ticket.customer_reply(ctx, body, vec![]).map(Some),
        Op::AgentReply { internal, status, note } => ticket
            .agent_reply(
                ctx,
                AgentReply {
                    body,
                    internal: *internal,
                    attachments: vec![],
                    status: *status,
                    resolution_note: note.clone(),
                },
            )
            .map(Some),
        Op::SetStatus { to, note } => ticket.set_status(ctx, *to, note.clone()),
        Op::Assign { agent } => ticket.assign(ctx, Some((world.agent_ids[*agent], world.agents[*agent].name.as_str()))),
        Op::Unassign => ticket.assign(ctx, None),
        Op::Triage { priority, tags } => {
            ticket.triage(ctx, Triage { priority: *priority, tags: tags.clone(), ..Triage::default() })
        }
        Op::CustomerClose => ticket.customer_close(ctx),
        Op::CustomerReopen => ticket.customer_reopen(ctx),
    }
}

/// The state invariants of `domain.md` that hold for every ticket at rest.
fn check_ticket(ticket: &Ticket) -> Result<(), TestCaseError> {
    match ticket.status {
        Status::Resolved => {
            prop_assert!(ticket.resolved_at.is_some(), "resolved without resolved_at: {ticket:?}");
            prop_assert!(ticket.closed_at.is_none(), "resolved with closed_at: {ticket:?}");
        }
        Status::Closed => prop_assert!(ticket.closed_at.is_some(), "closed without closed_at: {ticket:?}"),
        Status::Open | Status::InProgress | Status::Answered => {
            prop_assert_eq!(ticket.resolved_at, None, "unfinished with resolved_at");
            prop_assert_eq!(ticket.closed_at, None, "unfinished with closed_at");
            prop_assert_eq!(&ticket.resolution_note, &None, "unfinished with a resolution note");
        }
    }
    prop_assert!(ticket.created_at <= ticket.last_activity_at);
    prop_assert!(ticket.last_activity_at <= ticket.updated_at);
    for at in
        [ticket.last_customer_message_at, ticket.last_agent_message_at, ticket.first_responded_at].into_iter().flatten()
    {
        prop_assert!(ticket.created_at <= at && at <= ticket.last_activity_at, "{at} outside the ticket's life");
    }
    prop_assert!(ticket.version >= 1);
    // The customer's view moves with a subset of the changes, so it never runs ahead.
    prop_assert!(1 <= ticket.public_version && ticket.public_version <= ticket.version);
    prop_assert!(ticket.created_at <= ticket.public_updated_at && ticket.public_updated_at <= ticket.updated_at);
    prop_assert!(ticket.created_at <= ticket.public_last_activity_at);
    prop_assert!(ticket.public_last_activity_at <= ticket.last_activity_at);
    if let Some(at) = ticket.public_last_agent_message_at {
        prop_assert!(ticket.last_agent_message_at.is_some_and(|staff| at <= staff));
        prop_assert!(at <= ticket.public_last_activity_at);
    }
    Ok(())
}

/// What must hold of a change made by `who` running `op` at `now`.
fn check_change(
    before: &Ticket,
    change: &TicketChange,
    who: Who,
    op: &Op,
    now: OffsetDateTime,
) -> Result<(), TestCaseError> {
    let after = &change.ticket;
    prop_assert_eq!(change.expected_version, before.version, "expected_version is the version decided on");
    prop_assert_eq!(after.version, before.version + 1, "a change bumps the version by exactly one");
    prop_assert_eq!(after.updated_at, now, "a change sets updated_at");
    // The customer's version moves by one exactly when something the customer sees changed:
    // anything but an internal note alone or the tags alone.
    let customer_sees = before.status != after.status
        || before.priority != after.priority
        || before.category_id != after.category_id
        || before.subject != after.subject
        || before.assignee_id != after.assignee_id
        || before.resolution_note != after.resolution_note
        || change.message.as_ref().is_some_and(|m| !m.internal);
    let public_bump = i64::from(customer_sees);
    prop_assert_eq!(after.public_version, before.public_version + public_bump, "{:?} and the public version", op);
    if customer_sees {
        prop_assert_eq!(after.public_updated_at, now);
    } else {
        prop_assert_eq!(after.public_updated_at, before.public_updated_at, "{:?} moved public_updated_at", op);
        prop_assert_eq!(after.public_last_activity_at, before.public_last_activity_at);
        prop_assert_eq!(after.public_last_agent_message_at, before.public_last_agent_message_at);
    }
    prop_assert!(!change.events.is_empty(), "a change appends an event");
    let moved = (before.status != after.status).then_some((before.status, after.status));
    prop_assert_eq!(change.status_moved(), moved, "status_moved tells what per-status counts must adjust");
    prop_assert_eq!(after.id, before.id);
    prop_assert_eq!(after.customer_id, before.customer_id);
    prop_assert_eq!(&after.tenant, &before.tenant);
    prop_assert_eq!(after.number, before.number);
    prop_assert_eq!(after.created_at, before.created_at);
    prop_assert_eq!(&after.order_id, &before.order_id);
    prop_assert_eq!(after.source, before.source);
    if before.first_responded_at.is_some() {
        prop_assert_eq!(after.first_responded_at, before.first_responded_at, "first_responded_at moved");
    }

    // Permissions: a successful command was run by a party allowed to run it.
    if op.is_customer_command() {
        prop_assert_eq!(who, Who::Owner, "only the owner runs customer commands");
    } else {
        prop_assert!(!who.is_customer(), "only agents run agent commands");
    }

    // The events: of this ticket, by this actor, now; status moves chain up.
    let mut status = before.status;
    for event in &change.events {
        prop_assert_eq!(event.ticket_id, after.id);
        prop_assert_eq!(event.created_at, now);
        prop_assert!(event.data.kind() != "created", "only opening records created");
        if let EventData::StatusChanged { from, to, .. } = event.data {
            prop_assert_eq!(from, status, "status_changed starts where the ticket was");
            prop_assert_ne!(from, to, "status_changed moves");
            status = to;
        }
    }
    prop_assert_eq!(status, after.status, "the status events end where the ticket is");

    // Only a public reply answers a ticket.
    let public_reply = matches!(op, Op::AgentReply { internal: false, .. });
    if after.status == Status::Answered && before.status != Status::Answered {
        prop_assert!(public_reply, "{op:?} answered the ticket");
    }
    if public_reply {
        prop_assert!(after.first_responded_at.is_some(), "a public reply sets first_responded_at");
    }

    // Messages: the command's message, its event, and the activity timestamps.
    let adds_message = matches!(op, Op::CustomerReply | Op::AgentReply { .. });
    prop_assert_eq!(change.message.is_some(), adds_message, "{:?} and its message", op);
    match &change.message {
        Some(message) => {
            let naming: Vec<_> = change
                .events
                .iter()
                .filter(|event| match event.data {
                    EventData::MessageAdded { message_id } | EventData::NoteAdded { message_id } => {
                        message_id == message.id
                    }
                    _ => false,
                })
                .collect();
            prop_assert_eq!(naming.len(), 1, "exactly one event names the message");
            let internal = matches!(op, Op::AgentReply { internal: true, .. });
            prop_assert_eq!(message.internal, internal);
            prop_assert_eq!(naming[0].data.kind(), if internal { "note_added" } else { "message_added" });
            prop_assert_eq!(message.ticket_id, after.id);
            prop_assert_eq!(after.last_activity_at, now, "a message sets last_activity_at");
            if who.is_customer() {
                prop_assert_eq!(after.last_customer_message_at, Some(now));
                prop_assert_eq!(after.last_agent_message_at, before.last_agent_message_at);
            } else {
                prop_assert_eq!(after.last_agent_message_at, Some(now));
                prop_assert_eq!(after.last_customer_message_at, before.last_customer_message_at);
            }
        }
        None => {
            prop_assert_eq!(after.last_activity_at, before.last_activity_at);
            prop_assert_eq!(after.last_customer_message_at, before.last_customer_message_at);
            prop_assert_eq!(after.last_agent_message_at, before.last_agent_message_at);
        }
    }
    Ok(())
}

/// What must hold of a refusal: the wrong party is refused as such.
fn check_refusal(who: Who, op: &Op, error: &DomainError) -> Result<(), TestCaseError> {
    if op.is_customer_command() {
        match who {
            Who::Stranger => prop_assert_eq!(error, &DomainError::NotOwner),
            Who::Agent(_) => prop_assert!(matches!(error, DomainError::WrongActor(_)), "{error:?}"),
            Who::Owner => prop_assert!(
                !matches!(error, DomainError::NotOwner | DomainError::WrongActor(_)),
                "the owner was refused as {error:?}"
            ),
        }
    } else if who.is_customer() {
        prop_assert!(matches!(error, DomainError::WrongActor(_)), "{error:?}");
    }
    Ok(())
}

/// Opens a ticket as `opening` says and checks what opening produced.
fn open(world: &World, opening: &Opening) -> Result<Ticket, TestCaseError> {
    let actor = if opening.by_agent { &world.agents[0] } else { &world.owner };
    let ctx = CommandContext { actor, policy: TenantPolicy::default(), now: START, ids: &world.ids };
    let input = OpenTicket {
        tenant: TenantKey::default(),
        customer_id: world.owner_id,
        category_id: CategoryId::from_uuid(world.ids.next_uuid()),
        subject: opening.subject.clone(),
        description: opening.description.clone(),
        priority: Priority::Normal,
        source: opening.source,
        order_id: opening.order_id.clone(),
        delivery_id: None,
        attachments: vec![],
    };
    let opened = match Ticket::open(&ctx, input.clone()) {
        Err(DomainError::Invalid(invalid)) if opening.source == Source::Storefront && opening.order_id.is_none() => {
            prop_assert_eq!(invalid.field, "orderId");
            // Opened the way the storefront should have.
            let order_id = Some(ExternalRef::parse("ORD-1").unwrap());
            Ticket::open(&ctx, OpenTicket { order_id, ..input }).map_err(|e| TestCaseError::fail(e.to_string()))?
        }
        Err(error) => return Err(TestCaseError::fail(format!("opening refused: {error:?}"))),
        Ok(opened) => opened,
    };
    let ticket = opened.ticket.into_ticket(TicketNumber::new(1).unwrap());
    prop_assert_eq!(ticket.status, Status::Open);
    prop_assert_eq!(ticket.version, 1);
    prop_assert_eq!(ticket.first_responded_at, None);
    prop_assert_eq!(opened.message.body.as_str(), opening.description.as_str(), "the description is the first message");
    prop_assert_eq!(&opened.message.author, actor);
    prop_assert!(!opened.message.internal);
    prop_assert_eq!(opened.message.ticket_id, ticket.id);
    let kinds: Vec<_> = opened.events.iter().map(|event| event.data.kind()).collect();
    prop_assert_eq!(kinds, ["created", "message_added"]);
    prop_assert_eq!(&opened.events[1].data, &EventData::MessageAdded { message_id: opened.message.id });
    check_ticket(&ticket)?;
    Ok(ticket)
}

proptest! {
    #[test]
    fn no_sequence_of_commands_breaks_an_invariant(
        opening in opening(),
        steps in proptest::collection::vec(step(), 1..40),
    ) {
        let world = World::new();
        let mut ticket = open(&world, &opening)?;
        let mut now = START;
        let mut messages = 1;
        let mut changes = 0;
        let mut first_response: Option<OffsetDateTime> = None;
        for step in &steps {
            now += Duration::minutes(step.after);
            let ctx = CommandContext { actor: world.actor(step.who), policy: step.policy, now, ids: &world.ids };
            match apply(&world, &ticket, &ctx, &step.op) {
                Ok(Some(change)) => {
                    check_change(&ticket, &change, step.who, &step.op, now)?;
                    messages += usize::from(change.message.is_some());
                    changes += 1;
                    ticket = change.ticket;
                }
                Ok(None) => {}
                Err(error) => check_refusal(step.who, &step.op, &error)?,
            }
            check_ticket(&ticket)?;
            prop_assert_eq!(ticket.version, 1 + changes, "the version counts the changes");
            match first_response {
                Some(at) => prop_assert_eq!(ticket.first_responded_at, Some(at), "first_responded_at moved"),
                None => first_response = ticket.first_responded_at,
            }
        }
        prop_assert!(messages >= 1, "a ticket always has its description");
    }
}

// ---------------------------------------------------------------------------------------
// Parsers
// ---------------------------------------------------------------------------------------

// The strategies and checks live in `parsers/mod.rs`, shared with `parsers_at_scale.rs`
// (`make fuzz-parsers` runs them for minutes).

proptest! {
    #[test]
    fn ticket_numbers_parse_without_panicking(raw in parsers::any_text()) {
        parsers::ticket_number(&raw)?;
    }

    #[test]
    fn digit_strings_parse_without_panicking(raw in parsers::number_text()) {
        parsers::ticket_number(&raw)?;
    }

    #[test]
    fn every_ticket_number_round_trips(n in 1..=i64::MAX) {
        parsers::number_round_trip(n)?;
    }

    #[test]
    fn small_ticket_numbers_round_trip(n in 1..1_000_000i64) {
        parsers::number_round_trip(n)?;
    }

    #[test]
    fn text_parsers_never_panic_on_arbitrary_unicode(raw in parsers::any_text()) {
        parsers::text(&raw)?;
    }

    #[test]
    fn tag_lists_parse_without_panicking(raw in parsers::tag_list()) {
        parsers::tags(&raw)?;
    }

    #[test]
    fn subjects_made_from_descriptions_are_3_to_80_characters(description in parsers::description()) {
        parsers::subject_from(&description)?;
    }
}

// Regressions found by the property above.

#[test]
fn a_subject_made_from_a_one_letter_word_and_a_long_word_has_at_least_three_characters() {
    let description = Description::parse(&format!("a {}", "x".repeat(100))).unwrap();
    let subject = Subject::from_description(&description);
    assert!(Subject::parse(subject.as_str()).is_ok(), "{:?}", subject.as_str());
    assert!((3..=80).contains(&subject.as_str().chars().count()));
}

#[test]
fn a_subject_made_from_two_letters_far_apart_has_at_least_three_characters() {
    let description = Description::parse(&format!("a{}b", " ".repeat(100))).unwrap();
    let subject = Subject::from_description(&description);
    assert_eq!(subject.as_str(), "a b");
}
