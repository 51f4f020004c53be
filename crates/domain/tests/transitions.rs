//! The status machine of `domain.md`, through the public API of the domain crate.
//!
//! One table-driven test runs every command from every status under every tenant policy
//! against the table below, which is the "What moves a ticket" table of `domain.md` row by
//! row. The named tests after it check the side effects and the actor rules.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use supportdesk_domain::*;
use time::macros::datetime;
use time::OffsetDateTime;

// ---------------------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------------------

/// When the ticket was opened.
const OPENED: OffsetDateTime = datetime!(2026-03-17 09:00 UTC);
/// When the ticket last changed before the command under test.
const EARLIER: OffsetDateTime = datetime!(2026-03-17 10:00 UTC);
/// When the command under test runs.
const NOW: OffsetDateTime = datetime!(2026-03-17 12:00 UTC);
/// A later command, for "never changes after" checks.
const LATER: OffsetDateTime = datetime!(2026-03-18 08:30 UTC);
/// The version of every fixture ticket.
const VERSION: i64 = 7;

/// Every policy a tenant can have.
const POLICIES: [TenantPolicy; 4] = [
    TenantPolicy {
        allow_customer_close: true,
        reopen_closed_on_customer_reply: true,
        auto_close_resolved_after_days: 0,
    },
    TenantPolicy {
        allow_customer_close: true,
        reopen_closed_on_customer_reply: false,
        auto_close_resolved_after_days: 0,
    },
    TenantPolicy {
        allow_customer_close: false,
        reopen_closed_on_customer_reply: true,
        auto_close_resolved_after_days: 0,
    },
    TenantPolicy {
        allow_customer_close: false,
        reopen_closed_on_customer_reply: false,
        auto_close_resolved_after_days: 0,
    },
];

/// The parties around one ticket.
struct World {
    ids: SequentialIds,
    owner_id: CustomerId,
    owner: Actor,
    stranger: Actor,
    agent_id: AgentId,
    agent: Actor,
    other_agent_id: AgentId,
    category_id: CategoryId,
}

impl World {
    fn new() -> Self {
        let ids = SequentialIds::default();
        let owner_id = CustomerId::from_uuid(ids.next_uuid());
        let stranger_id = CustomerId::from_uuid(ids.next_uuid());
        let agent_id = AgentId::from_uuid(ids.next_uuid());
        let other_agent_id = AgentId::from_uuid(ids.next_uuid());
        let category_id = CategoryId::from_uuid(ids.next_uuid());
        Self {
            owner: Actor::customer(owner_id, "Alex"),
            stranger: Actor::customer(stranger_id, "Mallory"),
            agent: Actor::agent(agent_id, "Sam"),
            ids,
            owner_id,
            agent_id,
            other_agent_id,
            category_id,
        }
    }

    fn ctx<'a>(&'a self, actor: &'a Actor, policy: TenantPolicy, now: OffsetDateTime) -> CommandContext<'a> {
        CommandContext { actor, policy, now, ids: &self.ids }
    }

    fn owner_ctx(&self) -> CommandContext<'_> {
        self.ctx(&self.owner, TenantPolicy::default(), NOW)
    }

    fn agent_ctx(&self) -> CommandContext<'_> {
        self.ctx(&self.agent, TenantPolicy::default(), NOW)
    }

    /// A ticket of the owner in `status`, with timestamps consistent with having got there:
    /// opened by the customer, answered once by an agent, and `resolved_at` / `closed_at` and
    /// a resolution note exactly when the status calls for them.
    fn ticket_in(&self, status: Status) -> Ticket {
        let finished = !status.is_unfinished();
        Ticket {
            id: TicketId::from_uuid(self.ids.next_uuid()),
            tenant: TenantKey::default(),
            number: TicketNumber::new(42).unwrap(),
            customer_id: self.owner_id,
            category_id: self.category_id,
            subject: Subject::parse("Order not received").unwrap(),
            status,
            priority: Priority::Normal,
            source: Source::Api,
            order_id: None,
            delivery_id: None,
            assignee_id: None,
            tags: Tags::default(),
            resolution_note: finished.then(|| note("Replacement sent")),
            created_at: OPENED,
            updated_at: EARLIER,
            last_activity_at: EARLIER,
            last_customer_message_at: Some(OPENED),
            last_agent_message_at: Some(EARLIER),
            first_responded_at: Some(EARLIER),
            resolved_at: (status == Status::Resolved).then_some(EARLIER),
            closed_at: (status == Status::Closed).then_some(EARLIER),
            version: VERSION,
            public_version: VERSION,
            public_updated_at: EARLIER,
            public_last_activity_at: EARLIER,
            public_last_agent_message_at: Some(EARLIER),
            sla: None,
            satisfaction: None,
            metrics: Default::default(),
        }
    }

    /// A fresh `open` ticket nobody has answered yet.
    fn unanswered_ticket(&self) -> Ticket {
        Ticket {
            last_agent_message_at: None,
            first_responded_at: None,
            last_activity_at: OPENED,
            updated_at: OPENED,
            version: 1,
            public_version: 1,
            public_updated_at: OPENED,
            public_last_activity_at: OPENED,
            public_last_agent_message_at: None,
            ..self.ticket_in(Status::Open)
        }
    }

    fn ticket_assigned_in(&self, status: Status) -> Ticket {
        Ticket { assignee_id: Some(self.agent_id), ..self.ticket_in(status) }
    }

    fn open_input(&self, source: Source, order_id: Option<&str>) -> OpenTicket {
        OpenTicket {
            tenant: TenantKey::default(),
            customer_id: self.owner_id,
            category_id: self.category_id,
            subject: None,
            description: Description::parse("My parcel never arrived. It was due Monday.").unwrap(),
            priority: Priority::Normal,
            source,
            order_id: order_id.map(|raw| ExternalRef::parse(raw).unwrap()),
            delivery_id: None,
            attachments: vec![],
        }
    }
}

fn body(text: &str) -> MessageBody {
    MessageBody::parse(text).unwrap()
}

fn note(text: &str) -> ResolutionNote {
    ResolutionNote::parse(text).unwrap()
}

fn public_reply(status: Option<Status>, resolution_note: Option<ResolutionNote>) -> AgentReply {
    AgentReply { body: body("We are on it."), internal: false, attachments: vec![], status, resolution_note }
}

fn internal_note(status: Option<Status>, resolution_note: Option<ResolutionNote>) -> AgentReply {
    AgentReply { body: body("Checked with the carrier."), internal: true, attachments: vec![], status, resolution_note }
}

fn kinds(change: &TicketChange) -> Vec<&'static str> {
    change.events.iter().map(|event| event.data.kind()).collect()
}

fn invalid_field(result: Result<impl std::fmt::Debug, DomainError>) -> &'static str {
    match result {
        Err(DomainError::Invalid(invalid)) => invalid.field,
        other => panic!("expected DomainError::Invalid, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------
// The transition table
// ---------------------------------------------------------------------------------------

/// A command of the table, run by the actor `domain.md` names for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Command {
    CustomerReply,
    AgentPublicReply,
    AgentInternalNote,
    Assign,
    Unassign,
    SetStatus(Status),
    CustomerClose,
    CustomerReopen,
}

impl Command {
    fn all() -> Vec<Command> {
        let mut all = vec![
            Command::CustomerReply,
            Command::AgentPublicReply,
            Command::AgentInternalNote,
            Command::Assign,
            Command::Unassign,
        ];
        all.extend(Status::ALL.iter().map(|&to| Command::SetStatus(to)));
        all.extend([Command::CustomerClose, Command::CustomerReopen]);
        all
    }
}

/// What a command did, in the terms of the table.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Outcome {
    /// A change, leaving the ticket in this status.
    To(Status),
    /// `Ok(None)`: nothing changed, no event, not an error.
    NoChange,
    /// Refused with this error.
    Refused(DomainError),
}

/// Which commands a row is about.
#[derive(Debug, Clone, Copy)]
enum On {
    Command(Command),
    /// Assign or unassign.
    AssignOrUnassign,
    /// `set status` to any of these.
    SetStatusTo(&'static [Status]),
    /// `set status` to the status the ticket already has.
    SetStatusToSame,
    /// `set status` to anything.
    SetStatusToAny,
}

/// The policy a row applies under.
#[derive(Debug, Clone, Copy)]
enum When {
    Always,
    CustomerCloseAllowed,
    CustomerCloseForbidden,
    ClosedReopensOnReply,
    ClosedStaysClosed,
}

impl When {
    fn holds(self, policy: TenantPolicy) -> bool {
        match self {
            When::Always => true,
            When::CustomerCloseAllowed => policy.allow_customer_close,
            When::CustomerCloseForbidden => !policy.allow_customer_close,
            When::ClosedReopensOnReply => policy.reopen_closed_on_customer_reply,
            When::ClosedStaysClosed => !policy.reopen_closed_on_customer_reply,
        }
    }
}

/// What a row says happens.
#[derive(Debug, Clone, Copy)]
enum Then {
    /// A change that leaves the status as it was.
    Unchanged,
    /// A change to this status.
    To(Status),
    /// A change to the status `set status` asked for.
    ToTarget,
    /// `Ok(None)`.
    NoChange,
    /// `invalid_transition` from the current status to the one asked for.
    InvalidTransition,
    /// `ticket_closed`.
    TicketClosed,
    /// `customer_close_disabled`.
    CustomerCloseDisabled,
}

struct Row {
    on: On,
    from: &'static [Status],
    when: When,
    then: Then,
}

const fn row(on: On, from: &'static [Status], when: When, then: Then) -> Row {
    Row { on, from, when, then }
}

use Status::{Answered, Closed, InProgress, Open, Resolved};
const ANY: &[Status] = &[Open, InProgress, Answered, Resolved, Closed];

/// `domain.md`, "What moves a ticket", one row per line; the first row that matches wins.
/// Rows marked "(implemented)" pin down behaviour the table leaves implicit.
const TABLE: &[Row] = &[
    // customer reply | owner | open, in_progress | unchanged
    row(On::Command(Command::CustomerReply), &[Open, InProgress], When::Always, Then::Unchanged),
    // customer reply | owner | answered, resolved | open
    row(On::Command(Command::CustomerReply), &[Answered, Resolved], When::Always, Then::To(Open)),
    // customer reply | owner | closed | open where policy reopenClosedOnCustomerReply
    row(On::Command(Command::CustomerReply), &[Closed], When::ClosedReopensOnReply, Then::To(Open)),
    // customer reply | owner | closed | refused ticket_closed
    row(On::Command(Command::CustomerReply), &[Closed], When::ClosedStaysClosed, Then::TicketClosed),
    // agent public reply | agent | open, in_progress, answered | answered
    row(On::Command(Command::AgentPublicReply), &[Open, InProgress, Answered], When::Always, Then::To(Answered)),
    // agent public reply | agent | resolved | unchanged
    row(On::Command(Command::AgentPublicReply), &[Resolved], When::Always, Then::Unchanged),
    // agent public reply | agent | closed | refused ticket_closed (reopen first)
    row(On::Command(Command::AgentPublicReply), &[Closed], When::Always, Then::TicketClosed),
    // agent internal note | agent | any | unchanged
    row(On::Command(Command::AgentInternalNote), ANY, When::Always, Then::Unchanged),
    // assign | agent | open | in_progress
    row(On::Command(Command::Assign), &[Open], When::Always, Then::To(InProgress)),
    // assign / unassign | agent | any other | unchanged
    row(On::AssignOrUnassign, ANY, When::Always, Then::Unchanged),
    // set status | agent | X | X: no change, no event, not an error
    row(On::SetStatusToSame, ANY, When::Always, Then::NoChange),
    // set status | agent | open | in_progress, resolved, closed
    row(On::SetStatusTo(&[InProgress, Resolved, Closed]), &[Open], When::Always, Then::ToTarget),
    // set status | agent | in_progress | open, resolved, closed
    row(On::SetStatusTo(&[Open, Resolved, Closed]), &[InProgress], When::Always, Then::ToTarget),
    // set status | agent | answered | open, in_progress, resolved, closed
    row(On::SetStatusTo(&[Open, InProgress, Resolved, Closed]), &[Answered], When::Always, Then::ToTarget),
    // set status | agent | resolved | open, closed
    row(On::SetStatusTo(&[Open, Closed]), &[Resolved], When::Always, Then::ToTarget),
    // set status | agent | closed | open
    row(On::SetStatusTo(&[Open]), &[Closed], When::Always, Then::ToTarget),
    // set status | agent | any | answered: refused invalid_transition (only a public reply answers)
    row(On::SetStatusTo(&[Answered]), ANY, When::Always, Then::InvalidTransition),
    // set status | agent | anything not listed above | refused invalid_transition
    row(On::SetStatusToAny, ANY, When::Always, Then::InvalidTransition),
    // close | owner | anything | customer_close_disabled where the policy forbids it (implemented)
    row(On::Command(Command::CustomerClose), ANY, When::CustomerCloseForbidden, Then::CustomerCloseDisabled),
    // close | owner | any unfinished, or resolved | closed, only where policy allowCustomerClose
    row(
        On::Command(Command::CustomerClose),
        &[Open, InProgress, Answered, Resolved],
        When::CustomerCloseAllowed,
        Then::To(Closed),
    ),
    // close | owner | closed | no change (implemented)
    row(On::Command(Command::CustomerClose), &[Closed], When::CustomerCloseAllowed, Then::NoChange),
    // reopen | owner | answered, resolved | open
    row(On::Command(Command::CustomerReopen), &[Answered, Resolved], When::Always, Then::To(Open)),
    // reopen | owner | closed | open only where policy reopenClosedOnCustomerReply
    row(On::Command(Command::CustomerReopen), &[Closed], When::ClosedReopensOnReply, Then::To(Open)),
    // reopen | owner | closed | else invalid_transition
    row(On::Command(Command::CustomerReopen), &[Closed], When::ClosedStaysClosed, Then::InvalidTransition),
    // reopen | owner | open | no change (implemented)
    row(On::Command(Command::CustomerReopen), &[Open], When::Always, Then::NoChange),
    // reopen | owner | in_progress | invalid_transition (implemented)
    row(On::Command(Command::CustomerReopen), &[InProgress], When::Always, Then::InvalidTransition),
];

impl On {
    fn matches(self, command: Command, from: Status) -> bool {
        match (self, command) {
            (On::Command(expected), command) => expected == command,
            (On::AssignOrUnassign, command) => matches!(command, Command::Assign | Command::Unassign),
            (On::SetStatusTo(targets), Command::SetStatus(to)) => targets.contains(&to),
            (On::SetStatusToSame, Command::SetStatus(to)) => to == from,
            (On::SetStatusToAny, Command::SetStatus(_)) => true,
            (On::SetStatusTo(_) | On::SetStatusToSame | On::SetStatusToAny, _) => false,
        }
    }
}

/// The status a command asks for, for `Then::ToTarget` and `Then::InvalidTransition`.
fn target(command: Command) -> Status {
    match command {
        Command::SetStatus(to) => to,
        // Customer close and reopen are the only other commands refused with
        // `invalid_transition`; reopen targets `open`, close `closed`.
        Command::CustomerReopen => Open,
        Command::CustomerClose => Closed,
        other => panic!("{other:?} has no target status"),
    }
}

/// The index of the row that decides `command` from `from` under `policy`, and its outcome.
fn expected(command: Command, from: Status, policy: TenantPolicy) -> (usize, Outcome) {
    let (index, row) = TABLE
        .iter()
        .enumerate()
        .find(|(_, row)| row.on.matches(command, from) && row.from.contains(&from) && row.when.holds(policy))
        .unwrap_or_else(|| panic!("no row of the table covers {command:?} from {from} under {policy:?}"));
    let outcome = match row.then {
        Then::Unchanged => Outcome::To(from),
        Then::To(to) => Outcome::To(to),
        Then::ToTarget => Outcome::To(target(command)),
        Then::NoChange => Outcome::NoChange,
        Then::InvalidTransition => Outcome::Refused(DomainError::InvalidTransition { from, to: target(command) }),
        Then::TicketClosed => Outcome::Refused(DomainError::TicketClosed),
        Then::CustomerCloseDisabled => Outcome::Refused(DomainError::CustomerCloseDisabled),
    };
    (index, outcome)
}

/// Runs `command` on a ticket in `from`, by the actor `domain.md` names for it.
fn run(
    world: &World,
    command: Command,
    from: Status,
    policy: TenantPolicy,
) -> Result<Option<TicketChange>, DomainError> {
    let owner = world.ctx(&world.owner, policy, NOW);
    let agent = world.ctx(&world.agent, policy, NOW);
    match command {
        Command::CustomerReply => world.ticket_in(from).customer_reply(&owner, body("Any news?"), vec![]).map(Some),
        Command::AgentPublicReply => world.ticket_in(from).agent_reply(&agent, public_reply(None, None)).map(Some),
        Command::AgentInternalNote => world.ticket_in(from).agent_reply(&agent, internal_note(None, None)).map(Some),
        Command::Assign => world.ticket_in(from).assign(&agent, Some((world.agent_id, "Sam"))),
        Command::Unassign => world.ticket_assigned_in(from).assign(&agent, None),
        Command::SetStatus(to) => world.ticket_in(from).set_status(&agent, to, None),
        Command::CustomerClose => world.ticket_in(from).customer_close(&owner),
        Command::CustomerReopen => world.ticket_in(from).customer_reopen(&owner),
    }
}

fn outcome(result: Result<Option<TicketChange>, DomainError>) -> Outcome {
    match result {
        Ok(Some(change)) => Outcome::To(change.ticket.status),
        Ok(None) => Outcome::NoChange,
        Err(error) => Outcome::Refused(error),
    }
}

#[test]
fn every_command_from_every_status_under_every_policy_follows_the_transition_table() {
    let world = World::new();
    let mut used = vec![false; TABLE.len()];
    let mut failures = Vec::new();
    let mut cases = 0;
    for command in Command::all() {
        for &from in Status::ALL {
            for policy in POLICIES {
                cases += 1;
                let (index, want) = expected(command, from, policy);
                used[index] = true;
                let got = outcome(run(&world, command, from, policy));
                if got != want {
                    failures.push(format!(
                        "{command:?} from {from} under {policy:?}: expected {want:?} (row {index}), got {got:?}"
                    ));
                }
            }
        }
    }
    assert_eq!(cases, 12 * 5 * 4, "every command, status and policy is tried");
    assert!(failures.is_empty(), "{} of {cases} cases differ from domain.md:\n{}", failures.len(), failures.join("\n"));
    let dead: Vec<usize> = used.iter().enumerate().filter(|(_, used)| !**used).map(|(index, _)| index).collect();
    assert!(dead.is_empty(), "rows {dead:?} of the table never decide anything");
}

// ---------------------------------------------------------------------------------------
// The table, spelled out for the moves people ask about
// ---------------------------------------------------------------------------------------

#[test]
fn customer_reply_reopens_an_answered_ticket() {
    let world = World::new();
    let change = world.ticket_in(Answered).customer_reply(&world.owner_ctx(), body("Still nothing"), vec![]).unwrap();
    assert_eq!(change.ticket.status, Open);
    assert_eq!(kinds(&change), ["message_added", "status_changed"]);
}

#[test]
fn customer_reply_to_a_closed_ticket_is_refused_unless_the_policy_reopens_it() {
    let world = World::new();
    let ticket = world.ticket_in(Closed);
    let keep = TenantPolicy { reopen_closed_on_customer_reply: false, ..TenantPolicy::default() };
    let reopen = TenantPolicy { reopen_closed_on_customer_reply: true, ..TenantPolicy::default() };
    assert_eq!(
        ticket.customer_reply(&world.ctx(&world.owner, keep, NOW), body("Hello?"), vec![]),
        Err(DomainError::TicketClosed)
    );
    let change = ticket.customer_reply(&world.ctx(&world.owner, reopen, NOW), body("Hello?"), vec![]).unwrap();
    assert_eq!(change.ticket.status, Open);
}

#[test]
fn an_agent_can_reply_and_resolve_an_open_ticket_in_one_step() {
    let world = World::new();
    let ticket = world.unanswered_ticket();
    let change =
        ticket.agent_reply(&world.agent_ctx(), public_reply(Some(Resolved), Some(note("Replacement sent")))).unwrap();
    assert_eq!(change.ticket.status, Resolved);
    assert_eq!(change.ticket.resolved_at, Some(NOW));
    assert_eq!(change.ticket.first_responded_at, Some(NOW));
    assert_eq!(change.ticket.resolution_note, Some(note("Replacement sent")));
    assert_eq!(change.ticket.version, ticket.version + 1, "one change, however many steps");
    assert_eq!(kinds(&change), ["message_added", "status_changed", "status_changed"]);
    let moves: Vec<(Status, Status)> = change
        .events
        .iter()
        .filter_map(|event| match event.data {
            EventData::StatusChanged { from, to, .. } => Some((from, to)),
            _ => None,
        })
        .collect();
    assert_eq!(moves, [(Open, Answered), (Answered, Resolved)]);
}

#[test]
fn agent_reply_checks_its_status_change_from_the_status_the_reply_left() {
    let world = World::new();
    let agent = world.agent_ctx();
    // open -> answered by the reply, then answered -> in_progress is allowed.
    let change = world.ticket_in(Open).agent_reply(&agent, public_reply(Some(InProgress), None)).unwrap();
    assert_eq!(change.ticket.status, InProgress);
    // The reply answers; asking for answered as well is no extra move.
    let change = world.ticket_in(InProgress).agent_reply(&agent, public_reply(Some(Answered), None)).unwrap();
    assert_eq!(change.ticket.status, Answered);
    assert_eq!(kinds(&change), ["message_added", "status_changed"]);
    // A reply leaves resolved as it is, and resolved -> in_progress is not allowed.
    assert_eq!(
        world.ticket_in(Resolved).agent_reply(&agent, public_reply(Some(InProgress), None)),
        Err(DomainError::InvalidTransition { from: Resolved, to: InProgress })
    );
    // An internal note does not answer, so asking for answered is refused.
    assert_eq!(
        world.ticket_in(Open).agent_reply(&agent, internal_note(Some(Answered), None)),
        Err(DomainError::InvalidTransition { from: Open, to: Answered })
    );
    // A closed ticket takes notes, and a note may reopen it.
    let change = world.ticket_in(Closed).agent_reply(&agent, internal_note(Some(Open), None)).unwrap();
    assert_eq!(change.ticket.status, Open);
    // ... but a public reply is refused before any status change is looked at.
    assert_eq!(
        world.ticket_in(Closed).agent_reply(&agent, public_reply(Some(Open), None)),
        Err(DomainError::TicketClosed)
    );
}

#[test]
fn assigning_an_open_ticket_puts_it_in_progress_and_records_both_events() {
    let world = World::new();
    let change = world.ticket_in(Open).assign(&world.agent_ctx(), Some((world.agent_id, "Sam"))).unwrap().unwrap();
    assert_eq!(change.ticket.status, InProgress);
    assert_eq!(change.ticket.assignee_id, Some(world.agent_id));
    assert_eq!(kinds(&change), ["assigned", "status_changed"]);
}

#[test]
fn reassigning_records_the_previous_assignee() {
    let world = World::new();
    let change = world
        .ticket_assigned_in(InProgress)
        .assign(&world.agent_ctx(), Some((world.other_agent_id, "Kim")))
        .unwrap()
        .unwrap();
    assert_eq!(change.ticket.assignee_id, Some(world.other_agent_id));
    assert_eq!(
        change.events[0].data,
        EventData::Assigned {
            assignee_id: world.other_agent_id,
            assignee_name: "Kim".to_owned(),
            previous_assignee_id: Some(world.agent_id),
        }
    );
}

#[test]
fn unassigning_clears_the_assignee_and_leaves_the_status() {
    let world = World::new();
    let change = world.ticket_assigned_in(InProgress).assign(&world.agent_ctx(), None).unwrap().unwrap();
    assert_eq!(change.ticket.assignee_id, None);
    assert_eq!(change.ticket.status, InProgress);
    assert_eq!(change.events[0].data, EventData::Unassigned { previous_assignee_id: world.agent_id });
}

#[test]
fn commands_that_change_nothing_return_no_change() {
    let world = World::new();
    let agent = world.agent_ctx();
    let owner = world.owner_ctx();
    for &status in Status::ALL {
        assert_eq!(
            world.ticket_in(status).set_status(&agent, status, None),
            Ok(None),
            "set status {status} -> {status}"
        );
        assert_eq!(world.ticket_in(status).assign(&agent, None), Ok(None), "unassign nobody from {status}");
        assert_eq!(
            world.ticket_assigned_in(status).assign(&agent, Some((world.agent_id, "Sam"))),
            Ok(None),
            "assign the assignee again from {status}"
        );
        assert_eq!(world.ticket_in(status).triage(&agent, Triage::default()), Ok(None), "empty triage from {status}");
    }
    assert_eq!(world.ticket_in(Closed).customer_close(&owner), Ok(None));
    assert_eq!(world.ticket_in(Open).customer_reopen(&owner), Ok(None));
    let ticket = world.ticket_in(Open);
    let same = Triage { priority: Some(ticket.priority), subject: Some(ticket.subject.clone()), ..Triage::default() };
    assert_eq!(ticket.triage(&agent, same), Ok(None), "triage to the current values");
}

// ---------------------------------------------------------------------------------------
// Side effects
// ---------------------------------------------------------------------------------------

#[test]
fn a_resolution_note_is_refused_unless_the_status_becomes_resolved_or_closed() {
    let world = World::new();
    let agent = world.agent_ctx();
    for &from in Status::ALL {
        for &to in Status::ALL {
            let result = world.ticket_in(from).set_status(&agent, to, Some(note("Because")));
            if matches!(to, Resolved | Closed) {
                assert!(
                    !matches!(result, Err(DomainError::Invalid(_))),
                    "set status {from} -> {to} with a note: {result:?}"
                );
            } else {
                assert_eq!(invalid_field(result), "resolutionNote", "set status {from} -> {to} with a note");
            }
        }
        for status in [None, Some(Open), Some(InProgress), Some(Answered)] {
            for reply in [public_reply(status, Some(note("Because"))), internal_note(status, Some(note("Because")))] {
                let internal = reply.internal;
                let result = world.ticket_in(from).agent_reply(&agent, reply);
                assert_eq!(
                    invalid_field(result),
                    "resolutionNote",
                    "agent reply (internal: {internal}) from {from} with status {status:?} and a note"
                );
            }
        }
    }
}

#[test]
fn a_resolution_note_is_kept_on_the_ticket_and_in_the_status_changed_event() {
    let world = World::new();
    for to in [Resolved, Closed] {
        let change =
            world.unanswered_ticket().set_status(&world.agent_ctx(), to, Some(note("Refunded"))).unwrap().unwrap();
        assert_eq!(change.ticket.resolution_note, Some(note("Refunded")));
        assert_eq!(
            change.events[0].data,
            EventData::StatusChanged { from: Open, to, resolution_note: Some("Refunded".to_owned()) }
        );
    }
}

#[test]
fn entering_resolved_sets_resolved_at() {
    let world = World::new();
    for from in [Open, InProgress, Answered] {
        let change = world.ticket_in(from).set_status(&world.agent_ctx(), Resolved, None).unwrap().unwrap();
        assert_eq!(change.ticket.resolved_at, Some(NOW), "from {from}");
        assert_eq!(change.ticket.closed_at, None, "from {from}");
    }
}

#[test]
fn entering_closed_sets_closed_at() {
    let world = World::new();
    for from in [Open, InProgress, Answered, Resolved] {
        let by_agent = world.ticket_in(from).set_status(&world.agent_ctx(), Closed, None).unwrap().unwrap();
        assert_eq!(by_agent.ticket.closed_at, Some(NOW), "agent closes from {from}");
        let by_owner = world.ticket_in(from).customer_close(&world.owner_ctx()).unwrap().unwrap();
        assert_eq!(by_owner.ticket.closed_at, Some(NOW), "owner closes from {from}");
    }
}

#[test]
fn reopening_clears_resolved_at_closed_at_and_the_resolution_note() {
    let world = World::new();
    let reopening = TenantPolicy { reopen_closed_on_customer_reply: true, ..TenantPolicy::default() };
    let owner = world.ctx(&world.owner, reopening, NOW);
    let agent = world.ctx(&world.agent, reopening, NOW);
    for from in [Resolved, Closed] {
        // A ticket closed after being resolved has both timestamps.
        let ticket = Ticket { resolved_at: Some(EARLIER), ..world.ticket_in(from) };
        let ways = [
            ("customer reply", ticket.customer_reply(&owner, body("Not fixed"), vec![]).unwrap()),
            ("customer reopen", ticket.customer_reopen(&owner).unwrap().unwrap()),
            ("agent sets open", ticket.set_status(&agent, Open, None).unwrap().unwrap()),
            ("agent note and open", ticket.agent_reply(&agent, internal_note(Some(Open), None)).unwrap()),
        ];
        for (way, change) in ways {
            assert_eq!(change.ticket.status, Open, "{way} from {from}");
            assert_eq!(change.ticket.resolved_at, None, "{way} from {from}");
            assert_eq!(change.ticket.closed_at, None, "{way} from {from}");
            assert_eq!(change.ticket.resolution_note, None, "{way} from {from}");
        }
    }
}

#[test]
fn the_first_agent_public_reply_sets_first_responded_at() {
    let world = World::new();
    let ticket = world.unanswered_ticket();
    let change = ticket.agent_reply(&world.agent_ctx(), public_reply(None, None)).unwrap();
    assert_eq!(change.ticket.first_responded_at, Some(NOW));
}

#[test]
fn a_second_agent_reply_never_changes_first_responded_at() {
    let world = World::new();
    let first = world.unanswered_ticket().agent_reply(&world.agent_ctx(), public_reply(None, None)).unwrap();
    let later = world.ctx(&world.agent, TenantPolicy::default(), LATER);
    let second = first.ticket.agent_reply(&later, public_reply(None, None)).unwrap();
    assert_eq!(second.ticket.first_responded_at, Some(NOW));
    assert_eq!(second.ticket.last_agent_message_at, Some(LATER));
    // Also after the ticket went back to the customer and was answered again.
    let customer = world.ctx(&world.owner, TenantPolicy::default(), LATER);
    let reopened = second.ticket.customer_reply(&customer, body("Not yet"), vec![]).unwrap();
    let third = reopened.ticket.agent_reply(&later, public_reply(None, None)).unwrap();
    assert_eq!(third.ticket.first_responded_at, Some(NOW));
}

#[test]
fn an_internal_note_does_not_set_first_responded_at() {
    let world = World::new();
    let change = world.unanswered_ticket().agent_reply(&world.agent_ctx(), internal_note(None, None)).unwrap();
    assert_eq!(change.ticket.first_responded_at, None);
    assert_eq!(change.ticket.status, Open);
}

#[test]
fn a_customer_reply_sets_last_activity_at_and_last_customer_message_at() {
    let world = World::new();
    for from in [Open, InProgress, Answered, Resolved] {
        let ticket = world.ticket_in(from);
        let change = ticket.customer_reply(&world.owner_ctx(), body("Any news?"), vec![]).unwrap();
        assert_eq!(change.ticket.last_activity_at, NOW, "from {from}");
        assert_eq!(change.ticket.last_customer_message_at, Some(NOW), "from {from}");
        assert_eq!(change.ticket.last_agent_message_at, ticket.last_agent_message_at, "from {from}");
        let message = change.message.expect("a reply adds a message");
        assert_eq!((message.author, message.internal, message.created_at), (world.owner.clone(), false, NOW));
    }
}

#[test]
fn agent_replies_and_internal_notes_set_last_activity_at_and_last_agent_message_at() {
    let world = World::new();
    for internal in [false, true] {
        let ticket = world.unanswered_ticket();
        let reply = if internal { internal_note(None, None) } else { public_reply(None, None) };
        let change = ticket.agent_reply(&world.agent_ctx(), reply).unwrap();
        assert_eq!(change.ticket.last_activity_at, NOW, "internal: {internal}");
        assert_eq!(change.ticket.last_agent_message_at, Some(NOW), "internal: {internal}");
        assert_eq!(change.ticket.last_customer_message_at, ticket.last_customer_message_at, "internal: {internal}");
        let message = change.message.expect("a reply adds a message");
        assert_eq!((message.author, message.internal), (world.agent.clone(), internal));
    }
}

#[test]
fn commands_without_a_message_leave_the_message_timestamps_alone() {
    let world = World::new();
    let ticket = world.ticket_in(Open);
    let changes = [
        ticket.set_status(&world.agent_ctx(), Resolved, None).unwrap().unwrap(),
        ticket.assign(&world.agent_ctx(), Some((world.agent_id, "Sam"))).unwrap().unwrap(),
        ticket.customer_close(&world.owner_ctx()).unwrap().unwrap(),
    ];
    for change in changes {
        assert_eq!(change.message, None);
        assert_eq!(change.ticket.last_activity_at, ticket.last_activity_at);
        assert_eq!(change.ticket.last_customer_message_at, ticket.last_customer_message_at);
        assert_eq!(change.ticket.last_agent_message_at, ticket.last_agent_message_at);
    }
}

#[test]
fn every_change_bumps_version_by_exactly_one_and_sets_updated_at() {
    let world = World::new();
    let mut changes = 0;
    for command in Command::all() {
        for &from in Status::ALL {
            for policy in POLICIES {
                if let Ok(Some(change)) = run(&world, command, from, policy) {
                    changes += 1;
                    let what = format!("{command:?} from {from} under {policy:?}");
                    assert_eq!(change.expected_version, VERSION, "{what}");
                    assert_eq!(change.ticket.version, VERSION + 1, "{what}");
                    assert_eq!(change.ticket.updated_at, NOW, "{what}");
                    assert!(!change.events.is_empty(), "{what}: a change appends at least one event");
                }
            }
        }
    }
    assert!(changes > 100, "only {changes} changes were tried");
    let triage = Triage { priority: Some(Priority::Urgent), ..Triage::default() };
    let change = world.ticket_in(Open).triage(&world.agent_ctx(), triage).unwrap().unwrap();
    assert_eq!((change.expected_version, change.ticket.version, change.ticket.updated_at), (VERSION, VERSION + 1, NOW));
}

#[test]
fn every_command_appends_the_audit_events_it_should() {
    let world = World::new();
    let owner = world.owner_ctx();
    let agent = world.agent_ctx();
    let tags = Tags::parse(&["vip"]).unwrap();
    let cases: Vec<(&str, TicketChange, Vec<&str>)> = vec![
        (
            "customer reply to an open ticket",
            world.ticket_in(Open).customer_reply(&owner, body("Hi"), vec![]).unwrap(),
            vec!["message_added"],
        ),
        (
            "customer reply to a resolved ticket",
            world.ticket_in(Resolved).customer_reply(&owner, body("Hi"), vec![]).unwrap(),
            vec!["message_added", "status_changed"],
        ),
        (
            "agent reply to an open ticket",
            world.ticket_in(Open).agent_reply(&agent, public_reply(None, None)).unwrap(),
            vec!["message_added", "status_changed"],
        ),
        (
            "agent reply to an answered ticket",
            world.ticket_in(Answered).agent_reply(&agent, public_reply(None, None)).unwrap(),
            vec!["message_added"],
        ),
        (
            "internal note",
            world.ticket_in(Answered).agent_reply(&agent, internal_note(None, None)).unwrap(),
            vec!["note_added"],
        ),
        (
            "internal note that resolves",
            world.ticket_in(Answered).agent_reply(&agent, internal_note(Some(Resolved), None)).unwrap(),
            vec!["note_added", "status_changed"],
        ),
        (
            "assign an open ticket",
            world.ticket_in(Open).assign(&agent, Some((world.agent_id, "Sam"))).unwrap().unwrap(),
            vec!["assigned", "status_changed"],
        ),
        (
            "assign an answered ticket",
            world.ticket_in(Answered).assign(&agent, Some((world.agent_id, "Sam"))).unwrap().unwrap(),
            vec!["assigned"],
        ),
        ("unassign", world.ticket_assigned_in(Answered).assign(&agent, None).unwrap().unwrap(), vec!["unassigned"]),
        (
            "set status",
            world.ticket_in(Answered).set_status(&agent, Resolved, None).unwrap().unwrap(),
            vec!["status_changed"],
        ),
        (
            "triage",
            world
                .ticket_in(Open)
                .triage(
                    &agent,
                    Triage { priority: Some(Priority::High), tags: Some(tags.clone()), ..Triage::default() },
                )
                .unwrap()
                .unwrap(),
            vec!["triaged"],
        ),
        ("customer close", world.ticket_in(Answered).customer_close(&owner).unwrap().unwrap(), vec!["status_changed"]),
        (
            "customer reopen",
            world.ticket_in(Resolved).customer_reopen(&owner).unwrap().unwrap(),
            vec!["status_changed"],
        ),
    ];
    for (what, change, expected) in cases {
        assert_eq!(kinds(&change), expected, "{what}");
        let actor = if what.starts_with("customer") { &world.owner } else { &world.agent };
        for event in &change.events {
            assert_eq!(event.ticket_id, change.ticket.id, "{what}");
            assert_eq!(&event.actor, actor, "{what}");
            assert_eq!(event.created_at, NOW, "{what}");
        }
        if let Some(message) = &change.message {
            let message_id = match change.events[0].data {
                EventData::MessageAdded { message_id } | EventData::NoteAdded { message_id } => message_id,
                ref other => panic!("{what}: the first event is {other:?}, not the message"),
            };
            assert_eq!(message_id, message.id, "{what}: the event names the message");
            assert_eq!(message.ticket_id, change.ticket.id, "{what}");
        }
    }
}

#[test]
fn triage_records_only_the_fields_that_changed() {
    let world = World::new();
    let ticket = world.ticket_in(InProgress);
    let triage =
        Triage { priority: Some(Priority::Urgent), subject: Some(ticket.subject.clone()), ..Triage::default() };
    let change = ticket.triage(&world.agent_ctx(), triage).unwrap().unwrap();
    assert_eq!(change.ticket.priority, Priority::Urgent);
    assert_eq!(change.ticket.status, InProgress);
    assert_eq!(
        change.events[0].data,
        EventData::Triaged {
            priority: Some(FieldChange { from: Priority::Normal, to: Priority::Urgent }),
            category_id: None,
            tags: None,
            subject: None,
        }
    );
}

#[test]
fn set_status_to_the_current_status_with_a_note_changes_nothing() {
    let world = World::new();
    let ticket = world.ticket_in(Resolved);
    assert_eq!(ticket.set_status(&world.agent_ctx(), Resolved, Some(note("Again"))), Ok(None));
}

#[test]
fn closing_a_resolved_ticket_keeps_its_resolution_note_unless_given_a_new_one() {
    let world = World::new();
    let ticket = world.ticket_in(Resolved);
    let kept = ticket.set_status(&world.agent_ctx(), Closed, None).unwrap().unwrap();
    assert_eq!(kept.ticket.resolution_note, ticket.resolution_note);
    let replaced = ticket.set_status(&world.agent_ctx(), Closed, Some(note("Cancelled"))).unwrap().unwrap();
    assert_eq!(replaced.ticket.resolution_note, Some(note("Cancelled")));
}

// ---------------------------------------------------------------------------------------
// Who may do what
// ---------------------------------------------------------------------------------------

#[test]
fn a_customer_acting_on_another_customers_ticket_gets_not_owner() {
    let world = World::new();
    for policy in POLICIES {
        let stranger = world.ctx(&world.stranger, policy, NOW);
        for &status in Status::ALL {
            let ticket = world.ticket_in(status);
            assert_eq!(
                ticket.customer_reply(&stranger, body("Hi"), vec![]),
                Err(DomainError::NotOwner),
                "reply, {status}"
            );
            assert_eq!(ticket.customer_close(&stranger), Err(DomainError::NotOwner), "close, {status}");
            assert_eq!(ticket.customer_reopen(&stranger), Err(DomainError::NotOwner), "reopen, {status}");
        }
    }
    let opened =
        Ticket::open(&world.ctx(&world.stranger, TenantPolicy::default(), NOW), world.open_input(Source::Api, None));
    assert_eq!(opened.map(|_| ()), Err(DomainError::NotOwner), "opening a ticket for someone else");
}

#[test]
fn an_agent_using_customer_close_gets_wrong_actor() {
    let world = World::new();
    for &status in Status::ALL {
        let ticket = world.ticket_in(status);
        let agent = world.agent_ctx();
        assert!(matches!(ticket.customer_close(&agent), Err(DomainError::WrongActor(_))), "close, {status}");
        assert!(matches!(ticket.customer_reopen(&agent), Err(DomainError::WrongActor(_))), "reopen, {status}");
        assert!(
            matches!(ticket.customer_reply(&agent, body("Hi"), vec![]), Err(DomainError::WrongActor(_))),
            "customer reply, {status}"
        );
    }
}

#[test]
fn a_customer_using_set_status_gets_wrong_actor() {
    let world = World::new();
    for customer in [&world.owner, &world.stranger] {
        let ctx = world.ctx(customer, TenantPolicy::default(), NOW);
        for &status in Status::ALL {
            let ticket = world.ticket_in(status);
            for &to in Status::ALL {
                assert!(
                    matches!(ticket.set_status(&ctx, to, None), Err(DomainError::WrongActor(_))),
                    "{status} -> {to}"
                );
            }
            assert!(matches!(ticket.agent_reply(&ctx, public_reply(None, None)), Err(DomainError::WrongActor(_))));
            assert!(matches!(ticket.agent_reply(&ctx, internal_note(None, None)), Err(DomainError::WrongActor(_))));
            assert!(matches!(ticket.assign(&ctx, Some((world.agent_id, "Sam"))), Err(DomainError::WrongActor(_))));
            assert!(matches!(ticket.assign(&ctx, None), Err(DomainError::WrongActor(_))));
            let triage = Triage { priority: Some(Priority::Low), ..Triage::default() };
            assert!(matches!(ticket.triage(&ctx, triage), Err(DomainError::WrongActor(_))));
        }
    }
}

// ---------------------------------------------------------------------------------------
// Opening
// ---------------------------------------------------------------------------------------

#[test]
fn a_storefront_ticket_without_an_order_id_is_refused_with_field_order_id() {
    let world = World::new();
    for actor in [&world.owner, &world.agent] {
        let ctx = world.ctx(actor, TenantPolicy::default(), NOW);
        assert_eq!(invalid_field(Ticket::open(&ctx, world.open_input(Source::Storefront, None))), "orderId");
    }
}

#[test]
fn a_storefront_ticket_with_an_order_id_is_opened() {
    let world = World::new();
    let opened = Ticket::open(&world.owner_ctx(), world.open_input(Source::Storefront, Some("ORD-1001"))).unwrap();
    assert_eq!(opened.ticket.order_id().map(ExternalRef::as_str), Some("ORD-1001"));
}

#[test]
fn an_opened_ticket_is_open_with_its_description_as_the_first_message() {
    let world = World::new();
    let input = world.open_input(Source::Api, None);
    let description = input.description.clone();
    let opened = Ticket::open(&world.owner_ctx(), input).unwrap();
    let ticket = opened.ticket.into_ticket(TicketNumber::new(5).unwrap());
    assert_eq!(ticket.status, Open);
    assert_eq!(ticket.version, 1);
    assert_eq!(ticket.number.get(), 5);
    assert_eq!(ticket.subject.as_str(), "My parcel never arrived.");
    assert_eq!((ticket.created_at, ticket.updated_at, ticket.last_activity_at), (NOW, NOW, NOW));
    assert_eq!((ticket.last_customer_message_at, ticket.last_agent_message_at), (Some(NOW), None));
    assert_eq!((ticket.first_responded_at, ticket.resolved_at, ticket.closed_at), (None, None, None));
    assert_eq!(ticket.resolution_note, None);
    assert_eq!(opened.message.body.as_str(), description.as_str());
    assert_eq!(opened.message.author, world.owner);
    assert!(!opened.message.internal);
    assert_eq!(opened.message.ticket_id, ticket.id);
    let kinds: Vec<_> = opened.events.iter().map(|event| event.data.kind()).collect();
    assert_eq!(kinds, ["created", "message_added"]);
    assert_eq!(opened.events[1].data, EventData::MessageAdded { message_id: opened.message.id });
}

#[test]
fn a_ticket_opened_by_an_agent_shows_the_agent_as_author_of_the_description() {
    let world = World::new();
    let opened = Ticket::open(&world.agent_ctx(), world.open_input(Source::Phone, None)).unwrap();
    assert_eq!(opened.message.author, world.agent);
    assert_eq!(opened.ticket.customer_id(), world.owner_id);
    let ticket = opened.ticket.into_ticket(TicketNumber::new(1).unwrap());
    assert_eq!((ticket.last_customer_message_at, ticket.last_agent_message_at), (None, Some(NOW)));
    assert_eq!(ticket.first_responded_at, None, "opening on someone's behalf is not a response");
}

// ---------------------------------------------------------------------------------------
// Auto-close by the system
// ---------------------------------------------------------------------------------------

fn auto_close_policy(days: u16) -> TenantPolicy {
    TenantPolicy { auto_close_resolved_after_days: days, ..TenantPolicy::default() }
}

#[test]
fn the_system_closes_a_resolved_ticket_once_its_days_have_passed() {
    let w = World::new();
    let system = Actor::system();
    let ticket = w.ticket_in(Status::Resolved);
    let due = EARLIER + time::Duration::days(3);
    let early = w.ctx(&system, auto_close_policy(3), due - time::Duration::seconds(1));
    assert_eq!(ticket.auto_close(&early).unwrap(), None, "a second early is no change");
    let change = ticket.auto_close(&w.ctx(&system, auto_close_policy(3), due)).unwrap().unwrap();
    assert_eq!(change.ticket.status, Status::Closed);
    assert_eq!(change.ticket.closed_at, Some(due));
    assert_eq!(change.ticket.resolution_note, ticket.resolution_note, "the resolution note stays");
    assert_eq!(change.ticket.version, VERSION + 1);
    assert_eq!(change.ticket.public_version, VERSION + 1, "the customer sees the close");
    assert_eq!(change.events.len(), 1);
    assert_eq!(change.events[0].actor, system);
    assert_eq!(
        change.events[0].data,
        EventData::StatusChanged { from: Status::Resolved, to: Status::Closed, resolution_note: None }
    );
}

#[test]
fn auto_close_leaves_tickets_alone_when_off_unresolved_or_answered_by_the_customer() {
    let w = World::new();
    let system = Actor::system();
    let late = EARLIER + time::Duration::days(400);
    let resolved = w.ticket_in(Status::Resolved);
    assert_eq!(resolved.auto_close(&w.ctx(&system, auto_close_policy(0), late)).unwrap(), None, "0 is off");
    for status in [Status::Open, Status::InProgress, Status::Answered, Status::Closed] {
        let ticket = w.ticket_in(status);
        assert_eq!(ticket.auto_close(&w.ctx(&system, auto_close_policy(1), late)).unwrap(), None, "{status}");
    }
    let written_after = Ticket { last_customer_message_at: Some(EARLIER + time::Duration::minutes(1)), ..resolved };
    assert_eq!(written_after.auto_close(&w.ctx(&system, auto_close_policy(1), late)).unwrap(), None);
}

#[test]
fn only_the_system_auto_closes() {
    let w = World::new();
    let ticket = w.ticket_in(Status::Resolved);
    let late = EARLIER + time::Duration::days(30);
    for actor in [&w.agent, &w.owner] {
        let refused = ticket.auto_close(&w.ctx(actor, auto_close_policy(1), late)).unwrap_err();
        assert_eq!(refused, DomainError::WrongActor("the system"));
    }
}

// ---------------------------------------------------------------------------------------
// Satisfaction
// ---------------------------------------------------------------------------------------

#[test]
fn the_owner_rates_a_resolved_or_closed_ticket_once_per_resolution() {
    let w = World::new();
    for status in [Status::Resolved, Status::Closed] {
        let ticket = w.ticket_in(status);
        let comment = SatisfactionComment::parse("Quick and kind").unwrap();
        let change = ticket.rate(&w.owner_ctx(), Rating::Good, Some(comment.clone())).unwrap();
        assert_eq!(change.ticket.status, status, "rating moves no status");
        let rated = change.ticket.satisfaction.clone().unwrap();
        assert_eq!((rated.rating, rated.comment, rated.rated_at), (Rating::Good, Some(comment), NOW));
        assert_eq!(change.ticket.public_version, VERSION + 1);
        assert_eq!(
            change.events[0].data,
            EventData::SatisfactionRated { rating: Rating::Good, comment: Some("Quick and kind".to_owned()) }
        );
        let again = change.ticket.rate(&w.ctx(&w.owner, TenantPolicy::default(), LATER), Rating::Bad, None);
        assert_eq!(again.unwrap_err(), DomainError::AlreadyRated, "{status}");
    }
}

#[test]
fn rating_an_unfinished_ticket_or_someone_elses_is_refused() {
    let w = World::new();
    for status in [Status::Open, Status::InProgress, Status::Answered] {
        let refused = w.ticket_in(status).rate(&w.owner_ctx(), Rating::Good, None).unwrap_err();
        assert_eq!(refused, DomainError::NotResolved(status));
    }
    let resolved = w.ticket_in(Status::Resolved);
    let stranger = w.ctx(&w.stranger, TenantPolicy::default(), NOW);
    assert_eq!(resolved.rate(&stranger, Rating::Bad, None).unwrap_err(), DomainError::NotOwner);
    assert!(matches!(resolved.rate(&w.agent_ctx(), Rating::Bad, None), Err(DomainError::WrongActor(_))));
}

#[test]
fn a_new_resolution_after_a_reopen_may_be_rated_again_and_closing_keeps_the_rating() {
    let w = World::new();
    let rated = w.ticket_in(Status::Resolved).rate(&w.owner_ctx(), Rating::Bad, None).unwrap().ticket;
    let later = w.ctx(&w.agent, TenantPolicy::default(), LATER);
    let closed = rated.set_status(&later, Status::Closed, None).unwrap().unwrap().ticket;
    assert!(closed.resolution_rated(), "closing a rated resolution is the same resolution");
    let owner_later = w.ctx(&w.owner, TenantPolicy::default(), LATER + time::Duration::hours(1));
    assert_eq!(closed.rate(&owner_later, Rating::Good, None).unwrap_err(), DomainError::AlreadyRated);

    let reopened = rated.set_status(&later, Status::Open, None).unwrap().unwrap().ticket;
    assert!(!reopened.resolution_rated());
    assert_eq!(reopened.satisfaction.as_ref().map(|s| s.rating), Some(Rating::Bad), "the last rating stays visible");
    let resolved_again = w.ctx(&w.agent, TenantPolicy::default(), LATER + time::Duration::hours(2));
    let resolved = reopened.set_status(&resolved_again, Status::Resolved, None).unwrap().unwrap().ticket;
    let owner_then = w.ctx(&w.owner, TenantPolicy::default(), LATER + time::Duration::hours(3));
    let second = resolved.rate(&owner_then, Rating::Good, None).unwrap();
    assert_eq!(second.ticket.satisfaction.unwrap().rating, Rating::Good);
}

// ---------------------------------------------------------------------------------------
// Macros
// ---------------------------------------------------------------------------------------

fn macro_actions(internal: bool) -> MacroActions {
    MacroActions {
        body: MessageBody::parse("We sent a replacement.").unwrap(),
        internal,
        status: Some(Status::Resolved),
        priority: Some(Priority::High),
        add_tags: Tags::parse(&["replacement", "carrier"]).unwrap(),
        assign_to: None,
    }
}

#[test]
fn a_macro_replies_resolves_triages_and_assigns_in_one_change() {
    let w = World::new();
    let ticket = Ticket { tags: Tags::parse(&["carrier"]).unwrap(), ..w.ticket_in(Status::Open) };
    let actions = MacroActions { assign_to: Some((w.agent_id, "Sam".to_owned())), ..macro_actions(false) };
    let change = ticket.apply_macro(&w.agent_ctx(), actions).unwrap();
    let after = &change.ticket;
    assert_eq!(change.expected_version, VERSION);
    assert_eq!(after.version, VERSION + 1, "one change, one version");
    assert_eq!(after.public_version, VERSION + 1);
    assert_eq!(after.status, Status::Resolved);
    assert_eq!(after.priority, Priority::High);
    assert_eq!(after.tags.iter_str().collect::<Vec<_>>(), ["carrier", "replacement"], "added, not replaced");
    assert_eq!(after.assignee_id, Some(w.agent_id));
    assert_eq!(after.first_responded_at, Some(EARLIER), "already answered before");
    let message = change.message.as_ref().unwrap();
    assert!(!message.internal);
    let kinds: Vec<&str> = change.events.iter().map(|e| e.data.kind()).collect();
    assert_eq!(kinds, ["message_added", "status_changed", "status_changed", "triaged", "assigned"]);
}

#[test]
fn a_note_macro_on_a_closed_ticket_works_and_a_reply_macro_is_refused() {
    let w = World::new();
    let closed = w.ticket_in(Status::Closed);
    let note = MacroActions { status: None, ..macro_actions(true) };
    let change = closed.apply_macro(&w.agent_ctx(), note).unwrap();
    assert_eq!(change.ticket.status, Status::Closed);
    assert!(change.message.unwrap().internal);
    let reply = MacroActions { status: None, ..macro_actions(false) };
    assert_eq!(closed.apply_macro(&w.agent_ctx(), reply).unwrap_err(), DomainError::TicketClosed);
    let refused = w
        .ticket_in(Status::Resolved)
        .apply_macro(&w.agent_ctx(), MacroActions { status: Some(Status::Answered), ..macro_actions(true) });
    assert!(matches!(refused, Err(DomainError::InvalidTransition { .. })), "{refused:?}");
    assert!(matches!(
        w.ticket_in(Status::Open).apply_macro(&w.owner_ctx(), macro_actions(false)),
        Err(DomainError::WrongActor(_))
    ));
}

#[test]
fn a_macro_that_would_give_a_ticket_too_many_tags_is_refused() {
    let w = World::new();
    let many: Vec<String> = (0..Tags::MAX).map(|i| format!("t{i}")).collect();
    let ticket = Ticket { tags: Tags::parse(&many).unwrap(), ..w.ticket_in(Status::Open) };
    let refused = ticket.apply_macro(&w.agent_ctx(), macro_actions(false)).unwrap_err();
    assert!(matches!(refused, DomainError::Invalid(ref invalid) if invalid.field == "addTags"), "{refused:?}");
}

#[test]
fn text_with_a_nul_character_is_refused_naming_its_field() {
    for refused in [
        MessageBody::parse("a\0b").unwrap_err(),
        SatisfactionComment::parse("fine\0").unwrap_err(),
        PersonName::parse("Al\0ex").unwrap_err(),
    ] {
        assert_eq!(refused.rule, Rule::Format("text without NUL characters"), "{refused}");
    }
    assert_eq!(CategoryName::parse("Or\0der").unwrap_err().field, "name");
}
