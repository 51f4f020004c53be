//! SLA clocks: the due times a policy sets for a ticket, as a pure function of its history.
//!
//! A policy has three clocks, each counted in [`WorkingTime`] (business hours or 24/7):
//!
//! | clock | starts | met (stops) | stopped unmet | pauses |
//! |---|---|---|---|---|
//! | first response | when the ticket is opened | the first public agent reply | resolved or closed | never |
//! | next response | a customer message while no response clock runs (needs `nextResponseMinutes`) | the next public agent reply | resolved or closed | never (a public reply, the only way to `answered`, meets it) |
//! | resolution | when the ticket is opened | resolved or closed (paused, see below) | never | while `answered` if `pauseWhileAnswered`; always while `resolved` or `closed` |
//!
//! - A clock is met on time when it stops at or before its due time; stopping after it is a
//!   breach. A breach is reported once per clock (per cycle for next response): either by
//!   breach detection after the due time passed, or by the step that stops the clock late.
//! - A pause keeps the resolution due time as it stood and records `paused_since`; resuming
//!   (leaving `answered`, `resolved` or `closed` for `open` or `in_progress`) moves the due
//!   time later by exactly the working time the pause lasted. A paused clock is not due.
//!   Reopening a resolved ticket therefore continues its resolution clock where it stopped.
//! - The opening message is not a reply, also when an agent opened the ticket for a customer.
//! - A new next-response cycle clears that clock's breach marker, so each cycle can breach.

use time::{Duration, OffsetDateTime};

use crate::business::WorkingTime;
use crate::event::{AuditEvent, EventData};
use crate::ids::{CategoryId, SlaPolicyId};
use crate::status::{AuthorType, Priority, Source, Status};

/// One of a policy's clocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize), serde(rename_all = "snake_case"))]
pub enum SlaMetric {
    /// Time to the first public agent reply.
    FirstResponse,
    /// Time from a customer message to the next public agent reply.
    NextResponse,
    /// Time to resolution.
    Resolution,
}

impl SlaMetric {
    /// Every metric.
    pub const ALL: [SlaMetric; 3] = [SlaMetric::FirstResponse, SlaMetric::NextResponse, SlaMetric::Resolution];

    /// The wire name: `first_response`, `next_response`, `resolution`.
    pub const fn as_str(self) -> &'static str {
        match self {
            SlaMetric::FirstResponse => "first_response",
            SlaMetric::NextResponse => "next_response",
            SlaMetric::Resolution => "resolution",
        }
    }

    /// Parses a wire name.
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|metric| metric.as_str() == raw)
    }
}

/// Which tickets a policy applies to: every given field must equal the ticket's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SlaMatch {
    /// Only tickets of this priority.
    pub priority: Option<Priority>,
    /// Only tickets of this category.
    pub category_id: Option<CategoryId>,
    /// Only tickets from this channel.
    pub source: Option<Source>,
}

impl SlaMatch {
    /// Whether a ticket with these fields matches.
    pub fn matches(&self, priority: Priority, category_id: CategoryId, source: Source) -> bool {
        self.priority.is_none_or(|p| p == priority)
            && self.category_id.is_none_or(|c| c == category_id)
            && self.source.is_none_or(|s| s == source)
    }
}

/// What a policy promises: the length of each clock, and the pause rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlaTargets {
    /// Working time to the first response.
    pub first_response: Duration,
    /// Working time from a customer message to the next response; `None`: not measured.
    pub next_response: Option<Duration>,
    /// Working time to resolution.
    pub resolution: Duration,
    /// Whether the resolution clock stops while the ticket is `answered`.
    pub pause_while_answered: bool,
}

/// Which clocks have breached (and been reported).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SlaBreaches {
    /// The first response came late, or has not come and is overdue.
    pub first_response: bool,
    /// The current next-response cycle is late.
    pub next_response: bool,
    /// The resolution is late.
    pub resolution: bool,
}

impl SlaBreaches {
    /// The marker of one metric.
    pub fn get(&self, metric: SlaMetric) -> bool {
        match metric {
            SlaMetric::FirstResponse => self.first_response,
            SlaMetric::NextResponse => self.next_response,
            SlaMetric::Resolution => self.resolution,
        }
    }

    fn slot(&mut self, metric: SlaMetric) -> &mut bool {
        match metric {
            SlaMetric::FirstResponse => &mut self.first_response,
            SlaMetric::NextResponse => &mut self.next_response,
            SlaMetric::Resolution => &mut self.resolution,
        }
    }

    /// Whether any metric breached.
    pub fn any(&self) -> bool {
        self.first_response || self.next_response || self.resolution
    }
}

/// A clock that ran past its due time unmet: what `ticket.sla_breached` reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlaBreach {
    /// Which clock.
    pub metric: SlaMetric,
    /// When it was due.
    pub due_at: OffsetDateTime,
}

/// Something that happened to a ticket that moves its clocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlaStep {
    /// The customer wrote a public message.
    CustomerMessage,
    /// An agent wrote a public reply (internal notes do not count).
    AgentReply,
    /// The status moved.
    StatusChanged {
        /// The status before.
        from: Status,
        /// The status after.
        to: Status,
    },
}

impl SlaStep {
    /// The step an audit event is, if it is one (a public message by the customer or an
    /// agent, a status change).
    pub fn of_event(event: &AuditEvent) -> Option<SlaStep> {
        match &event.data {
            EventData::MessageAdded { .. } => match event.actor.kind {
                AuthorType::Customer => Some(SlaStep::CustomerMessage),
                AuthorType::Agent => Some(SlaStep::AgentReply),
                AuthorType::System => None,
            },
            EventData::StatusChanged { from, to, .. } => Some(SlaStep::StatusChanged { from: *from, to: *to }),
            _ => None,
        }
    }

    /// The steps of a ticket's audit trail, in order, with their times; the opening (the
    /// `created` event and the opening message) is not a step.
    pub fn from_history(events: &[AuditEvent]) -> Vec<(SlaStep, OffsetDateTime)> {
        let mut opening_message_seen = false;
        let mut steps = Vec::new();
        for event in events {
            let step = match &event.data {
                EventData::MessageAdded { .. } if !opening_message_seen => {
                    opening_message_seen = true;
                    None
                }
                _ => SlaStep::of_event(event),
            };
            if let Some(step) = step {
                steps.push((step, event.created_at));
            }
        }
        steps
    }
}

/// Where a ticket's clocks stand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SlaState {
    /// When the first response is due; `None` once met or stopped.
    pub first_response_due_at: Option<OffsetDateTime>,
    /// When the next response is due; `None` unless a customer waits for one.
    pub next_response_due_at: Option<OffsetDateTime>,
    /// When the resolution is due; while paused, the due time as it stood when the pause
    /// began.
    pub resolution_due_at: Option<OffsetDateTime>,
    /// Since when the resolution clock is paused.
    pub paused_since: Option<OffsetDateTime>,
    /// Which clocks breached.
    pub breached: SlaBreaches,
}

impl SlaState {
    /// The clocks of a ticket opened at `opened_at`.
    ///
    /// ```
    /// use supportdesk_domain::*;
    /// use time::{macros::datetime, Duration};
    /// let targets = SlaTargets {
    ///     first_response: Duration::hours(8),
    ///     next_response: None,
    ///     resolution: Duration::hours(40),
    ///     pause_while_answered: true,
    /// };
    /// let state = SlaState::start(&targets, &WorkingTime::Always, datetime!(2026-11-27 15:00 UTC));
    /// assert_eq!(state.first_response_due_at, Some(datetime!(2026-11-27 23:00 UTC)));
    /// ```
    pub fn start(targets: &SlaTargets, time: &WorkingTime, opened_at: OffsetDateTime) -> Self {
        Self {
            first_response_due_at: time.add(opened_at, targets.first_response),
            next_response_due_at: None,
            resolution_due_at: time.add(opened_at, targets.resolution),
            paused_since: None,
            breached: SlaBreaches::default(),
        }
    }

    /// The clocks after a whole history: [`SlaState::start`] at the `created` event, then
    /// every step. `None` when the history has no `created` event.
    pub fn from_history(targets: &SlaTargets, time: &WorkingTime, events: &[AuditEvent]) -> Option<Self> {
        let opened_at = events.iter().find(|event| matches!(event.data, EventData::Created { .. }))?.created_at;
        let mut state = Self::start(targets, time, opened_at);
        for (step, at) in SlaStep::from_history(events) {
            state.apply(targets, time, step, at);
        }
        Some(state)
    }

    /// Moves the clocks for one step at `at`; returns the breaches the step revealed (a clock
    /// stopped after its due time, not reported before).
    pub fn apply(
        &mut self,
        targets: &SlaTargets,
        time: &WorkingTime,
        step: SlaStep,
        at: OffsetDateTime,
    ) -> Vec<SlaBreach> {
        let mut breaches = Vec::new();
        match step {
            SlaStep::AgentReply => {
                self.stop(SlaMetric::FirstResponse, at, &mut breaches);
                self.stop(SlaMetric::NextResponse, at, &mut breaches);
            }
            SlaStep::CustomerMessage => {
                if let Some(length) = targets.next_response {
                    if self.first_response_due_at.is_none() && self.next_response_due_at.is_none() {
                        self.next_response_due_at = time.add(at, length);
                        self.breached.next_response = false;
                    }
                }
            }
            SlaStep::StatusChanged { to, .. } => {
                if matches!(to, Status::Resolved | Status::Closed) {
                    self.stop(SlaMetric::FirstResponse, at, &mut breaches);
                    self.stop(SlaMetric::NextResponse, at, &mut breaches);
                }
                let pause = match to {
                    Status::Resolved | Status::Closed => true,
                    Status::Answered => targets.pause_while_answered,
                    Status::Open | Status::InProgress => false,
                };
                match (pause, self.paused_since) {
                    (true, None) => {
                        if let Some(due) = self.resolution_due_at {
                            self.report_if_late(SlaMetric::Resolution, due, at, &mut breaches);
                        }
                        self.paused_since = Some(at);
                    }
                    (false, Some(since)) => {
                        self.resolution_due_at =
                            self.resolution_due_at.and_then(|due| time.add(due, time.between(since, at)));
                        self.paused_since = None;
                    }
                    _ => {}
                }
            }
        }
        breaches
    }

    fn stop(&mut self, metric: SlaMetric, at: OffsetDateTime, breaches: &mut Vec<SlaBreach>) {
        let due = match metric {
            SlaMetric::FirstResponse => self.first_response_due_at.take(),
            SlaMetric::NextResponse => self.next_response_due_at.take(),
            SlaMetric::Resolution => None,
        };
        if let Some(due) = due {
            self.report_if_late(metric, due, at, breaches);
        }
    }

    fn report_if_late(
        &mut self,
        metric: SlaMetric,
        due_at: OffsetDateTime,
        at: OffsetDateTime,
        out: &mut Vec<SlaBreach>,
    ) {
        let marker = self.breached.slot(metric);
        if at > due_at && !*marker {
            *marker = true;
            out.push(SlaBreach { metric, due_at });
        }
    }

    /// The due time of each running clock (a paused resolution clock is not running).
    pub fn running(&self) -> impl Iterator<Item = (SlaMetric, OffsetDateTime)> {
        let resolution = if self.paused_since.is_none() { self.resolution_due_at } else { None };
        [
            (SlaMetric::FirstResponse, self.first_response_due_at),
            (SlaMetric::NextResponse, self.next_response_due_at),
            (SlaMetric::Resolution, resolution),
        ]
        .into_iter()
        .filter_map(|(metric, due)| due.map(|due| (metric, due)))
    }

    /// The soonest due time of a running clock: what the queue sorts by (`sort=dueAt`).
    pub fn due_at(&self) -> Option<OffsetDateTime> {
        self.running().map(|(_, due)| due).min()
    }

    /// The soonest due time of a running clock not yet reported as breached: when breach
    /// detection must next look at the ticket.
    pub fn alert_at(&self) -> Option<OffsetDateTime> {
        self.running().filter(|(metric, _)| !self.breached.get(*metric)).map(|(_, due)| due).min()
    }

    /// Whether a clock is breached at `now`: reported, or running and past its due time.
    pub fn is_breached(&self, metric: SlaMetric, now: OffsetDateTime) -> bool {
        self.breached.get(metric) || self.running().any(|(m, due)| m == metric && due < now)
    }

    /// Marks every running clock past its due time at `now` and not yet reported as breached,
    /// and returns them: what breach detection reports. Calling it again reports nothing new.
    pub fn detect_breaches(&mut self, now: OffsetDateTime) -> Vec<SlaBreach> {
        let due: Vec<_> = self.running().filter(|(metric, due)| *due < now && !self.breached.get(*metric)).collect();
        due.into_iter()
            .map(|(metric, due_at)| {
                *self.breached.slot(metric) = true;
                SlaBreach { metric, due_at }
            })
            .collect()
    }
}

/// The SLA of one ticket: the policy that applies and where its clocks stand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TicketSla {
    /// The policy (it may have been deleted since; the state stays until the next change).
    pub policy_id: SlaPolicyId,
    /// The clocks.
    pub state: SlaState,
}
