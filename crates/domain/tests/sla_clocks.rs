//! The SLA clock rules of `docs/workflow.md`, row by row: one table of (clocks before, step,
//! clocks after, breaches reported), run through [`SlaState::apply`], then breach detection.
//!
//! Times are 24/7 (`WorkingTime::Always`) so every due time reads off the table; business
//! hours are covered by `business_time.rs`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use supportdesk_domain::*;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

/// Opened at 09:00: first response due 10:00, resolution due 19:00, next response 2 h.
const OPENED: OffsetDateTime = datetime!(2026-03-17 09:00 UTC);

fn at(hh_mm: &str) -> OffsetDateTime {
    let t = ClockTime::parse(hh_mm).unwrap();
    OPENED - Duration::hours(9) + Duration::minutes(i64::from(t.minutes()))
}

fn targets(next_response: bool, pause_while_answered: bool) -> SlaTargets {
    SlaTargets {
        first_response: Duration::hours(1),
        next_response: next_response.then_some(Duration::hours(2)),
        resolution: Duration::hours(10),
        pause_while_answered,
    }
}

/// A state written out: first response, next response and resolution due ("-" for none),
/// paused since ("-" for not paused), and the breach markers.
fn clocks(fr: &str, nr: &str, res: &str, paused: &str, breached: [bool; 3]) -> SlaState {
    let opt = |s: &str| (s != "-").then(|| at(s));
    SlaState {
        first_response_due_at: opt(fr),
        next_response_due_at: opt(nr),
        resolution_due_at: opt(res),
        paused_since: opt(paused),
        breached: SlaBreaches { first_response: breached[0], next_response: breached[1], resolution: breached[2] },
    }
}

const NONE: [bool; 3] = [false, false, false];
const FR: SlaMetric = SlaMetric::FirstResponse;
const NR: SlaMetric = SlaMetric::NextResponse;
const RES: SlaMetric = SlaMetric::Resolution;

fn status(from: Status, to: Status) -> SlaStep {
    SlaStep::StatusChanged { from, to }
}

struct Row {
    rule: &'static str,
    targets: SlaTargets,
    before: SlaState,
    step: SlaStep,
    at: &'static str,
    after: SlaState,
    reported: Vec<(SlaMetric, &'static str)>,
}

#[allow(clippy::too_many_lines)]
fn table() -> Vec<Row> {
    use Status::*;
    let fresh = clocks("10:00", "-", "19:00", "-", NONE);
    let responded = clocks("-", "-", "19:00", "-", NONE);
    let waiting = clocks("-", "13:00", "19:00", "-", NONE);
    let answered = clocks("-", "-", "19:00", "11:00", NONE);
    let std = targets(true, true);
    vec![
        Row {
            rule: "a public reply before the due time meets the first response",
            targets: std,
            before: fresh,
            step: SlaStep::AgentReply,
            at: "09:30",
            after: responded,
            reported: vec![],
        },
        Row {
            rule: "a reply exactly at the due time is on time",
            targets: std,
            before: fresh,
            step: SlaStep::AgentReply,
            at: "10:00",
            after: responded,
            reported: vec![],
        },
        Row {
            rule: "a late first reply stops the clock and reports the breach",
            targets: std,
            before: fresh,
            step: SlaStep::AgentReply,
            at: "10:30",
            after: clocks("-", "-", "19:00", "-", [true, false, false]),
            reported: vec![(FR, "10:00")],
        },
        Row {
            rule: "a late first reply after detection reported it reports nothing more",
            targets: std,
            before: clocks("10:00", "-", "19:00", "-", [true, false, false]),
            step: SlaStep::AgentReply,
            at: "10:30",
            after: clocks("-", "-", "19:00", "-", [true, false, false]),
            reported: vec![],
        },
        Row {
            rule: "a customer message before the first response starts no next-response clock",
            targets: std,
            before: fresh,
            step: SlaStep::CustomerMessage,
            at: "09:30",
            after: fresh,
            reported: vec![],
        },
        Row {
            rule: "a customer message after the first response starts the next-response clock",
            targets: std,
            before: responded,
            step: SlaStep::CustomerMessage,
            at: "11:00",
            after: waiting,
            reported: vec![],
        },
        Row {
            rule: "without nextResponseMinutes there is no next-response clock",
            targets: targets(false, true),
            before: responded,
            step: SlaStep::CustomerMessage,
            at: "11:00",
            after: responded,
            reported: vec![],
        },
        Row {
            rule: "a second customer message keeps the running next-response clock",
            targets: std,
            before: waiting,
            step: SlaStep::CustomerMessage,
            at: "12:00",
            after: waiting,
            reported: vec![],
        },
        Row {
            rule: "a new next-response cycle clears the last cycle's breach",
            targets: std,
            before: clocks("-", "-", "19:00", "-", [false, true, false]),
            step: SlaStep::CustomerMessage,
            at: "11:00",
            after: waiting,
            reported: vec![],
        },
        Row {
            rule: "a public reply meets the next response",
            targets: std,
            before: waiting,
            step: SlaStep::AgentReply,
            at: "12:00",
            after: responded,
            reported: vec![],
        },
        Row {
            rule: "a late next response is reported",
            targets: std,
            before: waiting,
            step: SlaStep::AgentReply,
            at: "14:00",
            after: clocks("-", "-", "19:00", "-", [false, true, false]),
            reported: vec![(NR, "13:00")],
        },
        Row {
            rule: "answered pauses the resolution clock with pauseWhileAnswered",
            targets: std,
            before: responded,
            step: status(Open, Answered),
            at: "11:00",
            after: answered,
            reported: vec![],
        },
        Row {
            rule: "answered does not pause it without pauseWhileAnswered",
            targets: targets(true, false),
            before: responded,
            step: status(Open, Answered),
            at: "11:00",
            after: responded,
            reported: vec![],
        },
        Row {
            rule: "leaving answered for open resumes it, later by the time paused",
            targets: std,
            before: answered,
            step: status(Answered, Open),
            at: "13:00",
            after: clocks("-", "-", "21:00", "-", NONE),
            reported: vec![],
        },
        Row {
            rule: "leaving answered for in progress resumes it too",
            targets: std,
            before: answered,
            step: status(Answered, InProgress),
            at: "12:00",
            after: clocks("-", "-", "20:00", "-", NONE),
            reported: vec![],
        },
        Row {
            rule: "resolving a paused ticket keeps the pause that began when answered",
            targets: std,
            before: answered,
            step: status(Answered, Resolved),
            at: "12:00",
            after: answered,
            reported: vec![],
        },
        Row {
            rule: "resolving stops the first response unmet, on time: no breach",
            targets: std,
            before: fresh,
            step: status(Open, Resolved),
            at: "09:30",
            after: clocks("-", "-", "19:00", "09:30", NONE),
            reported: vec![],
        },
        Row {
            rule: "resolving after the first response was due reports it",
            targets: std,
            before: fresh,
            step: status(Open, Resolved),
            at: "11:00",
            after: clocks("-", "-", "19:00", "11:00", [true, false, false]),
            reported: vec![(FR, "10:00")],
        },
        Row {
            rule: "closing late reports every clock it stops late",
            targets: std,
            before: clocks("-", "13:00", "19:00", "-", NONE),
            step: status(InProgress, Closed),
            at: "20:00",
            after: clocks("-", "-", "19:00", "20:00", [false, true, true]),
            reported: vec![(NR, "13:00"), (RES, "19:00")],
        },
        Row {
            rule: "resolved pauses the resolution clock even without pauseWhileAnswered",
            targets: targets(true, false),
            before: responded,
            step: status(InProgress, Resolved),
            at: "12:00",
            after: clocks("-", "-", "19:00", "12:00", NONE),
            reported: vec![],
        },
        Row {
            rule: "reopening continues the resolution clock where it stopped",
            targets: std,
            before: clocks("-", "-", "19:00", "12:00", NONE),
            step: status(Resolved, Open),
            at: "14:00",
            after: clocks("-", "-", "21:00", "-", NONE),
            reported: vec![],
        },
        Row {
            rule: "closing a resolved ticket changes no clock",
            targets: std,
            before: clocks("-", "-", "19:00", "12:00", NONE),
            step: status(Resolved, Closed),
            at: "14:00",
            after: clocks("-", "-", "19:00", "12:00", NONE),
            reported: vec![],
        },
        Row {
            rule: "taking a ticket in progress changes no clock",
            targets: std,
            before: fresh,
            step: status(Open, InProgress),
            at: "09:10",
            after: fresh,
            reported: vec![],
        },
        Row {
            rule: "pausing after the resolution was due reports it",
            targets: std,
            before: responded,
            step: status(InProgress, Answered),
            at: "19:30",
            after: clocks("-", "-", "19:00", "19:30", [false, false, true]),
            reported: vec![(RES, "19:00")],
        },
    ]
}

#[test]
fn every_sla_clock_rule() {
    for row in table() {
        let mut state = row.before;
        let reported = state.apply(&row.targets, &WorkingTime::Always, row.step, at(row.at));
        assert_eq!(state, row.after, "{}", row.rule);
        let expected: Vec<SlaBreach> =
            row.reported.iter().map(|(metric, due)| SlaBreach { metric: *metric, due_at: at(due) }).collect();
        assert_eq!(reported, expected, "{}", row.rule);
    }
}

#[test]
fn opening_starts_the_first_response_and_resolution_clocks() {
    let state = SlaState::start(&targets(true, true), &WorkingTime::Always, OPENED);
    assert_eq!(state, clocks("10:00", "-", "19:00", "-", NONE));
    assert_eq!(state.due_at(), Some(at("10:00")));
}

#[test]
fn detection_reports_each_overdue_running_clock_once() {
    let mut state = clocks("10:00", "-", "19:00", "-", NONE);
    assert!(state.detect_breaches(at("10:00")).is_empty(), "due is not yet late");
    assert_eq!(state.detect_breaches(at("10:01")), vec![SlaBreach { metric: FR, due_at: at("10:00") }]);
    assert!(state.detect_breaches(at("10:02")).is_empty(), "reported once");
    assert!(state.is_breached(FR, at("10:02")));
    assert_eq!(state.alert_at(), Some(at("19:00")), "the next clock to watch");
    assert_eq!(state.due_at(), Some(at("10:00")), "a breached clock still sorts by its due time");
    assert_eq!(state.detect_breaches(at("19:01")), vec![SlaBreach { metric: RES, due_at: at("19:00") }]);
    assert_eq!(state.alert_at(), None);
}

#[test]
fn a_paused_clock_is_neither_due_nor_breached() {
    let mut state = clocks("-", "-", "19:00", "11:00", NONE);
    assert_eq!(state.due_at(), None);
    assert!(state.detect_breaches(at("23:00")).is_empty());
    assert!(!state.is_breached(RES, at("23:00")));
}

#[test]
fn a_running_clock_past_due_shows_as_breached_before_detection_ran() {
    let state = clocks("10:00", "-", "19:00", "-", NONE);
    assert!(!state.is_breached(FR, at("10:00")));
    assert!(state.is_breached(FR, at("10:01")));
    assert!(!state.is_breached(RES, at("10:01")));
}

#[test]
fn policies_match_on_every_given_field() {
    let ids = SequentialIds::default();
    let billing = CategoryId::from_uuid(ids.next_uuid());
    let other = CategoryId::from_uuid(ids.next_uuid());
    assert!(SlaMatch::default().matches(Priority::Low, other, Source::Email), "an empty match takes all");
    let urgent_billing = SlaMatch { priority: Some(Priority::Urgent), category_id: Some(billing), source: None };
    assert!(urgent_billing.matches(Priority::Urgent, billing, Source::Chat));
    assert!(!urgent_billing.matches(Priority::High, billing, Source::Chat));
    assert!(!urgent_billing.matches(Priority::Urgent, other, Source::Chat));
    let email = SlaMatch { source: Some(Source::Email), ..SlaMatch::default() };
    assert!(!email.matches(Priority::Urgent, billing, Source::Chat));
}
