//! Properties of business time and SLA clocks: due times fall within opening hours, adding
//! working time is monotonic and additive, a pause shifts a due time by exactly the working
//! time paused, and daylight-saving changes in both directions count right.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;

use proptest::prelude::*;
use proptest::sample::select;
use supportdesk_domain::*;
use time::macros::datetime;
use time::{Date, Duration, OffsetDateTime};

// ---------------------------------------------------------------------------------------
// Generators
// ---------------------------------------------------------------------------------------

/// Zones with summer time north and south, a half-hour change, and none at all.
const ZONES: [&str; 6] =
    ["Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "America/Sao_Paulo", "Asia/Kolkata", "UTC"];

/// One day's intervals: sorted distinct cut points paired up, so never overlapping.
fn day() -> impl Strategy<Value = Vec<OpenInterval>> {
    prop_oneof![
        Just(vec![]),
        Just(vec![OpenInterval::parse("09:00", "17:00").unwrap()]),
        // Around the night of a daylight-saving change, and to midnight.
        Just(vec![OpenInterval::parse("01:30", "03:30").unwrap(), OpenInterval::parse("20:00", "24:00").unwrap()]),
        Just(vec![OpenInterval::parse("00:00", "24:00").unwrap()]),
        proptest::collection::btree_set(0u16..=1440, 2..=6).prop_map(|points: BTreeSet<u16>| {
            let points: Vec<u16> = points.into_iter().collect();
            points
                .chunks_exact(2)
                .map(|pair| {
                    OpenInterval::new(
                        ClockTime::from_minutes(pair[0]).unwrap(),
                        ClockTime::from_minutes(pair[1]).unwrap(),
                    )
                    .unwrap()
                })
                .collect()
        }),
    ]
}

fn calendar() -> impl Strategy<Value = BusinessCalendar> {
    (select(ZONES.to_vec()), proptest::array::uniform7(day()), proptest::collection::vec(0i64..500, 0..8)).prop_map(
        |(zone, mut days, holidays)| {
            if days.iter().all(Vec::is_empty) {
                days[2] = vec![OpenInterval::parse("10:00", "11:00").unwrap()];
            }
            let base = time::macros::date!(2025 - 12 - 01);
            let holidays = holidays.into_iter().map(|d| base + Duration::days(d)).collect();
            BusinessCalendar::new(zone, WeeklyHours::new(days).unwrap(), holidays).unwrap()
        },
    )
}

fn working_time() -> impl Strategy<Value = WorkingTime> {
    prop_oneof![1 => Just(WorkingTime::Always), 4 => calendar().prop_map(WorkingTime::from)]
}

/// An instant from December 2025 to March 2027: two years of daylight-saving changes.
fn instant() -> impl Strategy<Value = OffsetDateTime> {
    (0i64..(480 * 24 * 3600), 0i64..1000).prop_map(|(seconds, millis)| {
        datetime!(2025-12-01 00:00 UTC) + Duration::seconds(seconds) + Duration::milliseconds(millis)
    })
}

/// A length of working time from a minute to about a quarter of a year of office hours.
fn minutes() -> impl Strategy<Value = i64> {
    prop_oneof![1i64..600, 1i64..30_000]
}

fn add(time: &WorkingTime, from: OffsetDateTime, minutes: i64) -> OffsetDateTime {
    time.add(from, Duration::minutes(minutes)).unwrap()
}

// ---------------------------------------------------------------------------------------
// Properties of working time
// ---------------------------------------------------------------------------------------

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn a_due_time_never_falls_outside_business_hours(time in working_time(), from in instant(), n in minutes()) {
        let due = add(&time, from, n);
        prop_assert!(time.is_open_at(due), "{due} is outside the hours of {time:?}");
        prop_assert!(due > from);
    }

    #[test]
    fn adding_is_monotonic_in_the_amount_and_the_start(
        time in working_time(), from in instant(), later in 0i64..100_000, a in minutes(), b in minutes(),
    ) {
        let (small, large) = (a.min(b), a.max(b));
        prop_assert!(add(&time, from, small) <= add(&time, from, large));
        prop_assert!(add(&time, from, a) <= add(&time, from + Duration::seconds(later), a));
    }

    #[test]
    fn adding_is_additive(time in working_time(), from in instant(), a in minutes(), b in minutes()) {
        prop_assert_eq!(add(&time, add(&time, from, a), b), add(&time, from, a + b));
    }

    #[test]
    fn between_measures_what_add_added(time in working_time(), from in instant(), n in minutes()) {
        prop_assert_eq!(time.between(from, add(&time, from, n)), Duration::minutes(n));
    }

    #[test]
    fn between_is_additive_over_a_split(time in working_time(), from in instant(), a in 0i64..5_000_000, b in 0i64..5_000_000) {
        let mid = from + Duration::seconds(a);
        let to = mid + Duration::seconds(b);
        prop_assert_eq!(time.between(from, mid) + time.between(mid, to), time.between(from, to));
        prop_assert!(time.between(from, to) <= to - from);
    }

    #[test]
    fn a_pause_shifts_the_resolution_due_time_by_exactly_the_working_time_paused(
        time in working_time(), opened in instant(), res in minutes(), to_pause in 0i64..2_000_000, paused in 0i64..2_000_000,
    ) {
        let targets = SlaTargets {
            first_response: Duration::minutes(res),
            next_response: None,
            resolution: Duration::minutes(res),
            pause_while_answered: true,
        };
        let mut state = SlaState::start(&targets, &time, opened);
        let due = state.resolution_due_at.unwrap();
        let pause_at = opened + Duration::seconds(to_pause);
        let resume_at = pause_at + Duration::seconds(paused);
        state.apply(&targets, &time, SlaStep::AgentReply, pause_at);
        state.apply(&targets, &time, SlaStep::StatusChanged { from: Status::Open, to: Status::Answered }, pause_at);
        prop_assert_eq!(state.paused_since, Some(pause_at));
        prop_assert_eq!(state.due_at(), None, "a paused clock is not due");
        state.apply(&targets, &time, SlaStep::CustomerMessage, resume_at);
        state.apply(&targets, &time, SlaStep::StatusChanged { from: Status::Answered, to: Status::Open }, resume_at);
        let shifted = state.resolution_due_at.unwrap();
        let pause = time.between(pause_at, resume_at);
        prop_assert_eq!(shifted, time.add(due, pause).unwrap());
        prop_assert_eq!(time.between(due, shifted), pause);
        prop_assert_eq!(state.paused_since, None);
        if pause_at <= due {
            // The working time the clock ran is still exactly the target.
            prop_assert_eq!(time.between(opened, shifted) - pause, Duration::minutes(res));
        }
    }

    #[test]
    fn the_fold_over_a_history_equals_the_steps_applied_one_by_one(
        time in working_time(), opened in instant(), gaps in proptest::collection::vec((0i64..200_000, 0usize..4), 0..12),
    ) {
        // Incremental application is what the app stores; the fold is the definition.
        let targets = SlaTargets {
            first_response: Duration::minutes(60),
            next_response: Some(Duration::minutes(120)),
            resolution: Duration::minutes(600),
            pause_while_answered: true,
        };
        let ids = SequentialIds::default();
        let ticket_id = TicketId::from_uuid(ids.next_uuid());
        let customer = Actor::customer(CustomerId::from_uuid(ids.next_uuid()), "Alex");
        let agent = Actor::agent(AgentId::from_uuid(ids.next_uuid()), "Sam");
        let event = |actor: &Actor, data: EventData, at: OffsetDateTime| AuditEvent {
            id: EventId::from_uuid(ids.next_uuid()),
            ticket_id,
            actor: actor.clone(),
            data,
            created_at: at,
        };
        let message = |actor: &Actor, at| event(actor, EventData::MessageAdded { message_id: MessageId::from_uuid(ids.next_uuid()) }, at);
        let mut history = vec![
            event(&customer, EventData::Created {
                status: Status::Open,
                priority: Priority::Normal,
                category_id: CategoryId::from_uuid(ids.next_uuid()),
                subject: "Parcel".into(),
                source: Source::Api,
            }, opened),
            message(&customer, opened),
        ];
        let mut at = opened;
        let mut status = Status::Open;
        let mut incremental = SlaState::start(&targets, &time, opened);
        let mut reported = Vec::new();
        for (gap, what) in gaps {
            at += Duration::seconds(gap);
            let steps: Vec<SlaStep> = match what {
                0 => vec![SlaStep::AgentReply, SlaStep::StatusChanged { from: status, to: Status::Answered }],
                1 => vec![SlaStep::CustomerMessage, SlaStep::StatusChanged { from: status, to: Status::Open }],
                2 => vec![SlaStep::StatusChanged { from: status, to: Status::Resolved }],
                _ => vec![SlaStep::StatusChanged { from: status, to: Status::InProgress }],
            };
            for step in steps {
                history.push(match step {
                    SlaStep::AgentReply => message(&agent, at),
                    SlaStep::CustomerMessage => message(&customer, at),
                    SlaStep::StatusChanged { from, to } => {
                        status = to;
                        event(&agent, EventData::StatusChanged { from, to, resolution_note: None }, at)
                    }
                });
                reported.extend(incremental.apply(&targets, &time, step, at));
            }
        }
        // Every clock that stopped late was reported exactly once.
        let distinct: std::collections::HashSet<_> = reported.iter().map(|b: &SlaBreach| (b.metric, b.due_at)).collect();
        prop_assert_eq!(distinct.len(), reported.len());
        prop_assert_eq!(SlaState::from_history(&targets, &time, &history), Some(incremental));
        // Detection reports each overdue clock once.
        let mut detected = incremental;
        let first = detected.detect_breaches(at + Duration::days(400));
        prop_assert!(detected.detect_breaches(at + Duration::days(800)).is_empty());
        prop_assert_eq!(first.len(), incremental.running().filter(|(m, _)| !incremental.breached.get(*m)).count());
    }
}

// ---------------------------------------------------------------------------------------
// Daylight-saving changes (Europe/Berlin: last Sunday of March and of October)
// ---------------------------------------------------------------------------------------

fn berlin(days: [Vec<OpenInterval>; 7], holidays: Vec<Date>) -> WorkingTime {
    WorkingTime::from(BusinessCalendar::new("Europe/Berlin", WeeklyHours::new(days).unwrap(), holidays).unwrap())
}

fn all_day() -> WorkingTime {
    berlin(std::array::from_fn(|_| vec![OpenInterval::parse("00:00", "24:00").unwrap()]), vec![])
}

fn office() -> WorkingTime {
    WorkingTime::from(
        BusinessCalendar::new(
            "Europe/Berlin",
            WeeklyHours::weekdays(ClockTime::parse("09:00").unwrap(), ClockTime::parse("17:00").unwrap()).unwrap(),
            vec![],
        )
        .unwrap(),
    )
}

#[test]
fn the_spring_forward_day_has_23_working_hours_and_the_fall_back_day_25() {
    let time = all_day();
    // 2026-03-29 00:00 CET = 28th 23:00 UTC; 2026-03-30 00:00 CEST = 29th 22:00 UTC.
    assert_eq!(time.between(datetime!(2026-03-28 23:00 UTC), datetime!(2026-03-29 22:00 UTC)), Duration::hours(23));
    // 2026-10-25 00:00 CEST = 24th 22:00 UTC; 2026-10-26 00:00 CET = 25th 23:00 UTC.
    assert_eq!(time.between(datetime!(2026-10-24 22:00 UTC), datetime!(2026-10-25 23:00 UTC)), Duration::hours(25));
}

#[test]
fn office_hours_stay_at_nine_to_five_wall_clock_across_both_changes() {
    let time = office();
    // Friday 27 March 16:00 CET + 8 h: one hour on Friday, seven on Monday 30 March (CEST):
    // due 16:00 CEST = 14:00 UTC.
    assert_eq!(time.add(datetime!(2026-03-27 15:00 UTC), Duration::hours(8)), Some(datetime!(2026-03-30 14:00 UTC)));
    // Friday 23 October 16:00 CEST + 8 h: Monday 26 October 16:00 CET = 15:00 UTC.
    assert_eq!(time.add(datetime!(2026-10-23 14:00 UTC), Duration::hours(8)), Some(datetime!(2026-10-26 15:00 UTC)));
}

#[test]
fn hours_inside_the_skipped_and_the_repeated_hour() {
    let night = berlin(std::array::from_fn(|_| vec![OpenInterval::parse("01:30", "03:30").unwrap()]), vec![]);
    // 29 March: 01:30 CET (00:30 UTC) to 03:30 CEST (01:30 UTC) is one real hour.
    assert_eq!(night.between(datetime!(2026-03-29 00:00 UTC), datetime!(2026-03-29 06:00 UTC)), Duration::hours(1));
    // 25 October: 01:30 CEST (23:30 UTC on the 24th) to 03:30 CET (02:30 UTC) is three hours.
    assert_eq!(night.between(datetime!(2026-10-24 20:00 UTC), datetime!(2026-10-25 06:00 UTC)), Duration::hours(3));
    // A due time on those nights is within the hours.
    let due = night.add(datetime!(2026-03-29 00:00 UTC), Duration::minutes(45)).unwrap();
    assert_eq!(due, datetime!(2026-03-29 01:15 UTC));
    assert!(night.is_open_at(due));
}

#[test]
fn holidays_are_dates_in_the_calendars_zone() {
    let christmas = time::macros::date!(2026 - 12 - 25);
    let time = berlin(
        std::array::from_fn(|i| if i < 5 { vec![OpenInterval::parse("09:00", "17:00").unwrap()] } else { vec![] }),
        vec![christmas],
    );
    // Thursday 24 December 16:00 CET + 2 h: Friday is a holiday, so Monday 28th 10:00 CET.
    assert_eq!(time.add(datetime!(2026-12-24 15:00 UTC), Duration::hours(2)), Some(datetime!(2026-12-28 09:00 UTC)));
    assert!(!time.is_open_at(datetime!(2026-12-25 12:00 UTC)));
}

#[test]
fn the_worked_example_of_the_docs_friday_to_monday() {
    // docs/workflow.md: a ticket opened Friday 27 November 2026 16:00 Berlin, 8 business hours
    // for the first response, Monday to Friday 09-17: due Monday 30 November 16:00.
    let time = office();
    let targets = SlaTargets {
        first_response: Duration::hours(8),
        next_response: Some(Duration::hours(4)),
        resolution: Duration::hours(24),
        pause_while_answered: true,
    };
    let state = SlaState::start(&targets, &time, datetime!(2026-11-27 15:00 UTC));
    assert_eq!(state.first_response_due_at, Some(datetime!(2026-11-30 15:00 UTC)));
    // 24 business hours = 1 on Friday, 8 on Monday, 8 on Tuesday, 7 on Wednesday: 16:00.
    assert_eq!(state.resolution_due_at, Some(datetime!(2026-12-02 15:00 UTC)));

    let mut state = state;
    let targets = SlaTargets { next_response: Some(Duration::hours(4)), ..targets };
    // Monday 10:00: a public reply meets the first response and pauses resolution.
    let monday_ten = datetime!(2026-11-30 09:00 UTC);
    assert!(state.apply(&targets, &time, SlaStep::AgentReply, monday_ten).is_empty());
    state.apply(&targets, &time, SlaStep::StatusChanged { from: Status::Open, to: Status::Answered }, monday_ten);
    assert_eq!(state.first_response_due_at, None);
    assert_eq!(state.paused_since, Some(monday_ten));
    // Monday 20:00: the customer writes; 7 business hours paused move resolution to
    // Thursday 15:00; the next response is due Tuesday 13:00.
    let monday_eight_pm = datetime!(2026-11-30 19:00 UTC);
    state.apply(&targets, &time, SlaStep::CustomerMessage, monday_eight_pm);
    state.apply(&targets, &time, SlaStep::StatusChanged { from: Status::Answered, to: Status::Open }, monday_eight_pm);
    assert_eq!(state.resolution_due_at, Some(datetime!(2026-12-03 14:00 UTC)));
    assert_eq!(state.next_response_due_at, Some(datetime!(2026-12-01 12:00 UTC)));
    // Tuesday 13:00 passes: detection reports the next response once.
    let reported = state.detect_breaches(datetime!(2026-12-01 12:01 UTC));
    assert_eq!(reported, vec![SlaBreach { metric: SlaMetric::NextResponse, due_at: datetime!(2026-12-01 12:00 UTC) }]);
    // Tuesday 15:00: the late reply reports nothing more.
    assert!(state.apply(&targets, &time, SlaStep::AgentReply, datetime!(2026-12-01 14:00 UTC)).is_empty());
    assert!(state.breached.next_response);
    // Thursday 11:00: resolved before 15:00, on time.
    state.apply(
        &targets,
        &time,
        SlaStep::StatusChanged { from: Status::Open, to: Status::Answered },
        datetime!(2026-12-01 14:00 UTC),
    );
    let resolved = state.apply(
        &targets,
        &time,
        SlaStep::StatusChanged { from: Status::Answered, to: Status::Resolved },
        datetime!(2026-12-03 10:00 UTC),
    );
    assert!(resolved.is_empty());
    assert!(!state.breached.resolution);
}

#[test]
fn bad_calendars_are_refused_with_the_field_that_is_wrong() {
    let week = WeeklyHours::weekdays(ClockTime::parse("09:00").unwrap(), ClockTime::parse("17:00").unwrap()).unwrap();
    assert_eq!(BusinessCalendar::new("Europe/Nowhere", week.clone(), vec![]).unwrap_err().field, "timeZone");
    assert_eq!(BusinessCalendar::new("", week, vec![]).unwrap_err().field, "timeZone");
    assert_eq!(BusinessCalendar::new("UTC", WeeklyHours::default(), vec![]).unwrap_err().field, "week");
    assert!(OpenInterval::parse("17:00", "09:00").is_err(), "reversed");
    assert!(OpenInterval::parse("09:00", "09:00").is_err(), "empty");
    for bad in ["9:00", "25:00", "12:60", "ab:cd", "12-00", "", "24:30", "12:00:00"] {
        assert!(ClockTime::parse(bad).is_err(), "{bad}");
    }
    let overlapping = [
        vec![OpenInterval::parse("09:00", "13:00").unwrap(), OpenInterval::parse("12:00", "17:00").unwrap()],
        vec![],
        vec![],
        vec![],
        vec![],
        vec![],
        vec![],
    ];
    assert_eq!(WeeklyHours::new(overlapping).unwrap_err().field, "week");
    let touching = [
        vec![OpenInterval::parse("13:00", "17:00").unwrap(), OpenInterval::parse("09:00", "13:00").unwrap()],
        vec![],
        vec![],
        vec![],
        vec![],
        vec![],
        vec![],
    ];
    let week = WeeklyHours::new(touching).unwrap();
    assert_eq!(week.days()[0][0].start, ClockTime::parse("09:00").unwrap(), "sorted");
}
