//! Reports: what a ticket's history measured ([`TicketMetrics`], kept on the ticket with every
//! change) and the summary a support lead reads ([`summarize`]), as pure functions.
//!
//! A report row counts three kinds of facts, each on the day it happened (UTC):
//!
//! - **created**: tickets opened in the range; their `firstResponseMinutes` (working time
//!   from opening to the first public agent reply, for those answered so far).
//! - **resolved**: tickets whose current resolution (resolved, or closed without being
//!   resolved first) lies in the range; their `resolutionMinutes` (working time from opening
//!   to that resolution, pauses included), whether their SLA was met (`slaAttainment`: the
//!   share of those with an SLA policy whose clocks never breached; `null` when none has
//!   one), and their customer's rating (`satisfaction`).
//! - **reopened**: tickets whose latest reopening (leaving `resolved` or `closed`) lies in
//!   the range.
//!
//! Working time is the business time of the ticket's SLA policy when the policy has business
//! hours, wall-clock time otherwise; it is measured when the fact happens and kept, so a
//! later change of the calendar does not rewrite the past. Minutes are whole minutes,
//! rounded down. Medians and 90th percentiles use the nearest-rank method: the value at rank
//! `ceil(p * n)` of the `n` values sorted ascending (so always one of the measured values).

use time::{Date, Duration, OffsetDateTime, Time, Weekday};

use crate::business::WorkingTime;
use crate::ids::{AgentId, CategoryId};
use crate::sla::SlaStep;
use crate::status::{Priority, Rating};
use crate::ticket::Ticket;

/// The longest range a report covers, in days (both ends included).
pub const MAX_REPORT_DAYS: i64 = 366;

/// What a ticket's history measured, for reports. Kept with the ticket and saved in the
/// same transaction as the change that fixed it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TicketMetrics {
    /// Working minutes from opening to the first public agent reply; `None` until then.
    pub first_response_minutes: Option<i64>,
    /// Working minutes from opening to the current resolution; `None` while unfinished.
    pub resolution_minutes: Option<i64>,
    /// When the ticket was last reopened (left `resolved` or `closed`).
    pub reopened_at: Option<OffsetDateTime>,
    /// How often it was reopened.
    pub reopen_count: i32,
}

impl TicketMetrics {
    /// Whether `step` would change the metrics (so the caller knows whether it needs the
    /// ticket's working time at all).
    pub fn moved_by(&self, step: SlaStep) -> bool {
        match step {
            SlaStep::AgentReply => self.first_response_minutes.is_none(),
            SlaStep::CustomerMessage => false,
            SlaStep::StatusChanged { from, to } => from.is_unfinished() != to.is_unfinished(),
        }
    }

    /// Records one step at `at` of a ticket opened at `opened_at`, counting in `time`: the
    /// first public agent reply fixes the first response; a move from an unfinished status to
    /// `resolved` or `closed` fixes the resolution; a move back reopens (clearing it).
    ///
    /// ```
    /// use supportdesk_domain::*;
    /// use time::macros::datetime;
    /// let mut metrics = TicketMetrics::default();
    /// let opened = datetime!(2026-12-04 16:00 UTC);
    /// metrics.apply(SlaStep::AgentReply, datetime!(2026-12-04 16:42:59 UTC), opened, &WorkingTime::Always);
    /// assert_eq!(metrics.first_response_minutes, Some(42));
    /// ```
    pub fn apply(&mut self, step: SlaStep, at: OffsetDateTime, opened_at: OffsetDateTime, time: &WorkingTime) {
        let minutes = || time.between(opened_at, at).whole_minutes();
        match step {
            SlaStep::AgentReply => {
                if self.first_response_minutes.is_none() {
                    self.first_response_minutes = Some(minutes());
                }
            }
            SlaStep::CustomerMessage => {}
            SlaStep::StatusChanged { from, to } => {
                if from.is_unfinished() && !to.is_unfinished() {
                    self.resolution_minutes = Some(minutes());
                } else if !from.is_unfinished() && to.is_unfinished() {
                    self.resolution_minutes = None;
                    self.reopened_at = Some(at);
                    self.reopen_count = self.reopen_count.saturating_add(1);
                }
            }
        }
    }
}

/// How a report groups its rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReportGroupBy {
    /// One row per UTC day of the range, empty days included.
    Day,
    /// One row per ISO week (Monday to Sunday, UTC) touching the range, empty weeks included.
    Week,
    /// One row per current assignee with any fact (unassigned tickets: key `null`).
    Agent,
    /// One row per current category with any fact.
    Category,
    /// One row per current priority with any fact, most urgent first.
    Priority,
}

impl ReportGroupBy {
    /// Every grouping.
    pub const ALL: [ReportGroupBy; 5] = [
        ReportGroupBy::Day,
        ReportGroupBy::Week,
        ReportGroupBy::Agent,
        ReportGroupBy::Category,
        ReportGroupBy::Priority,
    ];

    /// The wire name.
    pub const fn as_str(self) -> &'static str {
        match self {
            ReportGroupBy::Day => "day",
            ReportGroupBy::Week => "week",
            ReportGroupBy::Agent => "agent",
            ReportGroupBy::Category => "category",
            ReportGroupBy::Priority => "priority",
        }
    }

    /// Parses a wire name.
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|g| g.as_str() == raw)
    }

    /// Whether rows are periods of time (the store then gives each fact's time).
    pub const fn by_time(self) -> bool {
        matches!(self, ReportGroupBy::Day | ReportGroupBy::Week)
    }
}

/// The days a report covers: `from` to `to`, both included, UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReportRange {
    from: Date,
    to: Date,
}

/// Why a range was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangeError {
    /// `to` is before `from`.
    Reversed,
    /// More than [`MAX_REPORT_DAYS`] days.
    TooLong,
}

impl ReportRange {
    /// A range; refuses `to` before `from` and more than [`MAX_REPORT_DAYS`] days.
    pub fn new(from: Date, to: Date) -> Result<Self, RangeError> {
        if to < from {
            return Err(RangeError::Reversed);
        }
        if (to - from).whole_days() + 1 > MAX_REPORT_DAYS {
            return Err(RangeError::TooLong);
        }
        Ok(Self { from, to })
    }

    /// The default: the 30 days ending with `today`.
    pub fn last_30_days(today: Date) -> Self {
        Self { from: today.saturating_sub(Duration::days(29)), to: today }
    }

    /// The first day.
    pub const fn from(&self) -> Date {
        self.from
    }

    /// The last day.
    pub const fn to(&self) -> Date {
        self.to
    }

    /// The first instant: midnight UTC starting `from`.
    pub fn start(&self) -> OffsetDateTime {
        self.from.with_time(Time::MIDNIGHT).assume_utc()
    }

    /// The instant after the range: midnight UTC after `to` (excluded).
    pub fn end(&self) -> OffsetDateTime {
        self.to.saturating_add(Duration::days(1)).with_time(Time::MIDNIGHT).assume_utc()
    }

    /// Whether `at` lies in `[start, end)`.
    pub fn contains(&self, at: OffsetDateTime) -> bool {
        self.start() <= at && at < self.end()
    }
}

/// What a fact is grouped by, as the store reads it for the grouping asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FactGroup {
    /// When it happened (grouping by day or week).
    At(OffsetDateTime),
    /// The ticket's assignee.
    Agent(Option<AgentId>),
    /// The ticket's category.
    Category(CategoryId),
    /// The ticket's priority.
    Priority(Priority),
}

/// A ticket opened in the range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CreatedFact {
    /// Its group.
    pub group: FactGroup,
    /// Its first response time, if answered.
    pub first_response_minutes: Option<i64>,
}

/// A ticket whose current resolution lies in the range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResolvedFact {
    /// Its group.
    pub group: FactGroup,
    /// Its resolution time.
    pub resolution_minutes: Option<i64>,
    /// `None` without an SLA policy; otherwise whether no clock breached.
    pub sla_met: Option<bool>,
    /// The customer's latest rating.
    pub rating: Option<Rating>,
}

/// Everything a summary counts, as a store reads it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ReportFacts {
    /// Tickets opened in the range.
    pub created: Vec<CreatedFact>,
    /// Tickets resolved in the range.
    pub resolved: Vec<ResolvedFact>,
    /// Tickets last reopened in the range.
    pub reopened: Vec<FactGroup>,
}

impl FactGroup {
    /// The group of a fact of `ticket` that happened at `at`.
    pub fn of(ticket: &Ticket, by: ReportGroupBy, at: OffsetDateTime) -> Self {
        match by {
            ReportGroupBy::Day | ReportGroupBy::Week => FactGroup::At(at),
            ReportGroupBy::Agent => FactGroup::Agent(ticket.assignee_id),
            ReportGroupBy::Category => FactGroup::Category(ticket.category_id),
            ReportGroupBy::Priority => FactGroup::Priority(ticket.priority),
        }
    }
}

impl ReportFacts {
    /// Adds what `ticket` counts in a report over `range` grouped `by`: the reference a
    /// store's query must agree with (the memory store uses it as is).
    pub fn add_ticket(&mut self, ticket: &Ticket, range: ReportRange, by: ReportGroupBy) {
        if range.contains(ticket.created_at) {
            self.created.push(CreatedFact {
                group: FactGroup::of(ticket, by, ticket.created_at),
                first_response_minutes: ticket.metrics.first_response_minutes,
            });
        }
        if let Some(at) = ticket.resolution_at().filter(|at| range.contains(*at)) {
            self.resolved.push(ResolvedFact {
                group: FactGroup::of(ticket, by, at),
                resolution_minutes: ticket.metrics.resolution_minutes,
                sla_met: ticket.sla.map(|sla| !sla.state.breached.any()),
                rating: ticket.satisfaction.as_ref().map(|s| s.rating),
            });
        }
        if let Some(at) = ticket.metrics.reopened_at.filter(|at| range.contains(*at)) {
            self.reopened.push(FactGroup::of(ticket, by, at));
        }
    }
}

/// The key of a report row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ReportKey {
    /// A UTC day: `2026-12-01`.
    Day(Date),
    /// An ISO week: `2026-W49` (its Monday).
    Week(Date),
    /// An assignee (`None`: unassigned).
    Agent(Option<AgentId>),
    /// A category.
    Category(CategoryId),
    /// A priority (ordered most urgent first).
    Priority(std::cmp::Reverse<i16>),
}

impl ReportKey {
    /// The wire text: `2026-12-01`, `2026-W49`, an agent or category id, a priority name;
    /// `None` for unassigned.
    pub fn text(&self) -> Option<String> {
        match self {
            ReportKey::Day(date) => Some(format!("{:04}-{:02}-{:02}", date.year(), u8::from(date.month()), date.day())),
            ReportKey::Week(monday) => {
                let (year, week, _) = monday.to_iso_week_date();
                Some(format!("{year:04}-W{week:02}"))
            }
            ReportKey::Agent(agent) => agent.map(|a| a.to_string()),
            ReportKey::Category(category) => Some(category.to_string()),
            ReportKey::Priority(rank) => Priority::from_rank(rank.0).map(|p| p.as_str().to_owned()),
        }
    }

    fn of(group: FactGroup, by: ReportGroupBy) -> Self {
        match group {
            FactGroup::At(at) => {
                let day = at.to_offset(time::UtcOffset::UTC).date();
                if by == ReportGroupBy::Week {
                    ReportKey::Week(monday_of(day))
                } else {
                    ReportKey::Day(day)
                }
            }
            FactGroup::Agent(agent) => ReportKey::Agent(agent),
            FactGroup::Category(category) => ReportKey::Category(category),
            FactGroup::Priority(priority) => ReportKey::Priority(std::cmp::Reverse(priority.rank())),
        }
    }
}

fn monday_of(day: Date) -> Date {
    day.saturating_sub(Duration::days(i64::from(day.weekday().number_days_from_monday())))
}

/// A median and a 90th percentile, in minutes; `None` without values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Percentiles {
    /// The value at rank `ceil(n / 2)`.
    pub median: Option<i64>,
    /// The value at rank `ceil(0.9 n)`.
    pub p90: Option<i64>,
}

impl Percentiles {
    /// The nearest-rank median and 90th percentile of `values` (sorted here).
    ///
    /// ```
    /// use supportdesk_domain::Percentiles;
    /// let p = Percentiles::of(vec![40, 10, 30, 20]);
    /// assert_eq!((p.median, p.p90), (Some(20), Some(40)));
    /// assert_eq!(Percentiles::of(vec![]).median, None);
    /// ```
    pub fn of(mut values: Vec<i64>) -> Self {
        values.sort_unstable();
        Self { median: nearest_rank(&values, 50), p90: nearest_rank(&values, 90) }
    }
}

/// The value at rank `ceil(percent / 100 * n)` of sorted `values`.
fn nearest_rank(sorted: &[i64], percent: usize) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (percent * sorted.len()).div_ceil(100).max(1);
    sorted.get(rank - 1).copied()
}

/// One row of a summary.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportRow {
    /// Its key; `None` for the total.
    pub key: Option<ReportKey>,
    /// Tickets opened.
    pub created: u64,
    /// Tickets resolved.
    pub resolved: u64,
    /// Tickets reopened.
    pub reopened: u64,
    /// First response times of the tickets opened.
    pub first_response: Percentiles,
    /// Resolution times of the tickets resolved.
    pub resolution: Percentiles,
    /// The share of resolved tickets with an SLA whose clocks never breached; `None` when no
    /// resolved ticket has an SLA.
    pub sla_attainment: Option<f64>,
    /// Good ratings of the tickets resolved.
    pub satisfaction_good: u64,
    /// Bad ratings of the tickets resolved.
    pub satisfaction_bad: u64,
}

#[derive(Default)]
struct Tally {
    created: u64,
    resolved: u64,
    reopened: u64,
    first_response: Vec<i64>,
    resolution: Vec<i64>,
    with_sla: u64,
    sla_met: u64,
    good: u64,
    bad: u64,
}

impl Tally {
    fn created(&mut self, fact: &CreatedFact) {
        self.created += 1;
        self.first_response.extend(fact.first_response_minutes);
    }

    fn resolved(&mut self, fact: &ResolvedFact) {
        self.resolved += 1;
        self.resolution.extend(fact.resolution_minutes);
        if let Some(met) = fact.sla_met {
            self.with_sla += 1;
            self.sla_met += u64::from(met);
        }
        match fact.rating {
            Some(Rating::Good) => self.good += 1,
            Some(Rating::Bad) => self.bad += 1,
            None => {}
        }
    }

    fn row(self, key: Option<ReportKey>) -> ReportRow {
        let sla_attainment = (self.with_sla > 0).then(|| self.sla_met as f64 / self.with_sla as f64);
        ReportRow {
            key,
            created: self.created,
            resolved: self.resolved,
            reopened: self.reopened,
            first_response: Percentiles::of(self.first_response),
            resolution: Percentiles::of(self.resolution),
            sla_attainment,
            satisfaction_good: self.good,
            satisfaction_bad: self.bad,
        }
    }
}

/// The summary of `facts`: one row per group (every day or week of the range for the time
/// groupings, in order; otherwise the groups with any fact, ordered by key), and the total
/// of the whole range. Facts outside the range (by time) are ignored.
pub fn summarize(range: ReportRange, by: ReportGroupBy, facts: &ReportFacts) -> (Vec<ReportRow>, ReportRow) {
    let mut groups: std::collections::BTreeMap<ReportKey, Tally> = std::collections::BTreeMap::new();
    match by {
        ReportGroupBy::Day => {
            let mut day = range.from;
            while day <= range.to {
                groups.insert(ReportKey::Day(day), Tally::default());
                day = match day.next_day() {
                    Some(next) => next,
                    None => break,
                };
            }
        }
        ReportGroupBy::Week => {
            let mut monday = monday_of(range.from);
            while monday <= range.to {
                groups.insert(ReportKey::Week(monday), Tally::default());
                monday = monday.saturating_add(Duration::days(7));
                if monday.weekday() != Weekday::Monday {
                    break;
                }
            }
        }
        _ => {}
    }
    let in_range = |group: &FactGroup| match group {
        FactGroup::At(at) => range.contains(*at),
        _ => true,
    };
    let mut total = Tally::default();
    for fact in facts.created.iter().filter(|f| in_range(&f.group)) {
        total.created(fact);
        groups.entry(ReportKey::of(fact.group, by)).or_default().created(fact);
    }
    for fact in facts.resolved.iter().filter(|f| in_range(&f.group)) {
        total.resolved(fact);
        groups.entry(ReportKey::of(fact.group, by)).or_default().resolved(fact);
    }
    for group in facts.reopened.iter().filter(|g| in_range(g)) {
        total.reopened += 1;
        groups.entry(ReportKey::of(*group, by)).or_default().reopened += 1;
    }
    let rows = groups.into_iter().map(|(key, tally)| tally.row(Some(key))).collect();
    (rows, total.row(None))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::status::Status;
    use time::macros::{date, datetime};

    #[test]
    fn nearest_rank_percentiles() {
        assert_eq!(Percentiles::of(vec![5]), Percentiles { median: Some(5), p90: Some(5) });
        let ten: Vec<i64> = (1..=10).collect();
        assert_eq!(Percentiles::of(ten), Percentiles { median: Some(5), p90: Some(9) });
        let eleven: Vec<i64> = (1..=11).rev().collect();
        assert_eq!(Percentiles::of(eleven), Percentiles { median: Some(6), p90: Some(10) });
    }

    #[test]
    fn metrics_follow_resolution_and_reopening() {
        let opened = datetime!(2026-12-01 10:00 UTC);
        let mut m = TicketMetrics::default();
        let resolve = SlaStep::StatusChanged { from: Status::Answered, to: Status::Resolved };
        let close = SlaStep::StatusChanged { from: Status::Resolved, to: Status::Closed };
        let reopen = SlaStep::StatusChanged { from: Status::Closed, to: Status::Open };
        assert!(m.moved_by(resolve) && !m.moved_by(close));
        m.apply(resolve, datetime!(2026-12-01 12:30 UTC), opened, &WorkingTime::Always);
        m.apply(close, datetime!(2026-12-02 12:30 UTC), opened, &WorkingTime::Always);
        assert_eq!(m.resolution_minutes, Some(150));
        m.apply(reopen, datetime!(2026-12-03 09:00 UTC), opened, &WorkingTime::Always);
        assert_eq!((m.resolution_minutes, m.reopen_count), (None, 1));
        assert_eq!(m.reopened_at, Some(datetime!(2026-12-03 09:00 UTC)));
    }

    #[test]
    fn ranges_refuse_reversed_and_long() {
        assert_eq!(ReportRange::new(date!(2026 - 12 - 02), date!(2026 - 12 - 01)), Err(RangeError::Reversed));
        assert!(ReportRange::new(date!(2026 - 01 - 01), date!(2027 - 01 - 01)).is_ok());
        assert_eq!(ReportRange::new(date!(2026 - 01 - 01), date!(2027 - 01 - 02)), Err(RangeError::TooLong));
        let last = ReportRange::last_30_days(date!(2026 - 12 - 31));
        assert_eq!((last.from(), last.to()), (date!(2026 - 12 - 02), date!(2026 - 12 - 31)));
    }

    #[test]
    fn weeks_are_iso_weeks_from_monday() {
        let range = ReportRange::new(date!(2026 - 12 - 02), date!(2026 - 12 - 08)).unwrap();
        let facts = ReportFacts {
            created: vec![
                CreatedFact { group: FactGroup::At(datetime!(2026-12-06 23:59 UTC)), first_response_minutes: Some(1) },
                CreatedFact { group: FactGroup::At(datetime!(2026-12-07 00:00 UTC)), first_response_minutes: None },
                CreatedFact { group: FactGroup::At(datetime!(2026-12-09 00:00 UTC)), first_response_minutes: None },
            ],
            ..ReportFacts::default()
        };
        let (rows, total) = summarize(range, ReportGroupBy::Week, &facts);
        let keys: Vec<_> = rows.iter().map(|r| r.key.and_then(|k| k.text())).collect();
        assert_eq!(keys, [Some("2026-W49".to_owned()), Some("2026-W50".to_owned())]);
        assert_eq!((rows[0].created, rows[1].created, total.created), (1, 1, 2));
        assert_eq!(total.first_response.median, Some(1));
    }
}
