//! Business time: weekly opening hours in an IANA time zone, minus holidays.
//!
//! SLA clocks count only the time a team is at work. A [`BusinessCalendar`] says when that is;
//! [`WorkingTime`] is what a clock counts in: every minute (`Always`, a policy without business
//! hours) or the minutes of a calendar. Both answer the two questions an SLA clock asks:
//! "when have `n` minutes of working time passed after `t`?" ([`WorkingTime::add`]) and "how
//! much working time lies between `a` and `b`?" ([`WorkingTime::between`]).
//!
//! Opening hours are wall-clock times in the calendar's zone, so a 09:00-17:00 day is eight
//! hours on both sides of a daylight-saving change, and a 00:00-24:00 day is 23 or 25 hours on
//! the day of the change. A wall-clock time that does not exist (skipped by a spring-forward
//! change) means the instant just after the gap; one that happens twice (a fall-back change)
//! means the first of the two (the "compatible" rule of RFC 5545 and Temporal).

use std::collections::BTreeSet;

use jiff::civil::{Date as CivilDate, DateTime as CivilDateTime};
use jiff::tz::TimeZone;
use jiff::Timestamp;
use time::{Date, Duration, OffsetDateTime};

use crate::error::{InvalidValue, Rule};

/// Minutes in a day: `24:00`, the latest end of an interval.
const DAY_MINUTES: u16 = 24 * 60;
/// Most intervals in one day.
const MAX_INTERVALS_PER_DAY: usize = 12;
/// Most holidays in a calendar.
pub const MAX_HOLIDAYS: usize = 1000;
/// How many days `add` walks before giving up (a calendar always has an open day within
/// `MAX_HOLIDAYS` weeks, so this bound is never reached by a valid calendar).
const MAX_DAYS_WALKED: u32 = 8 * (MAX_HOLIDAYS as u32 + 2);

/// The weekday keys of the API, Monday first.
pub const WEEKDAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// A wall-clock time of day, `00:00` to `24:00`, to the minute.
///
/// ```
/// use supportdesk_domain::ClockTime;
/// assert_eq!(ClockTime::parse("09:30").unwrap().minutes(), 570);
/// assert_eq!(ClockTime::parse("24:00").unwrap().to_string(), "24:00");
/// assert!(ClockTime::parse("9:30").is_err());
/// assert!(ClockTime::parse("24:01").is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ClockTime(u16);

impl ClockTime {
    /// Parses `"HH:MM"` (two digits each), from `00:00` to `24:00`.
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        let bad = || InvalidValue::new("week", Rule::Format("\"HH:MM\" from 00:00 to 24:00"));
        let bytes = raw.as_bytes();
        if bytes.len() != 5 || bytes[2] != b':' {
            return Err(bad());
        }
        let digit = |b: u8| if b.is_ascii_digit() { Ok(u16::from(b - b'0')) } else { Err(bad()) };
        let hours = digit(bytes[0])? * 10 + digit(bytes[1])?;
        let minutes = digit(bytes[3])? * 10 + digit(bytes[4])?;
        if minutes > 59 || hours * 60 + minutes > DAY_MINUTES {
            return Err(bad());
        }
        Ok(Self(hours * 60 + minutes))
    }

    /// A time from minutes since midnight, if it is within `0..=1440`.
    pub fn from_minutes(minutes: u16) -> Option<Self> {
        (minutes <= DAY_MINUTES).then_some(Self(minutes))
    }

    /// Minutes since midnight.
    pub const fn minutes(self) -> u16 {
        self.0
    }
}

impl std::fmt::Display for ClockTime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:02}:{:02}", self.0 / 60, self.0 % 60)
    }
}

/// One opening interval of a day, `[start, end)` in wall-clock time; `start < end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct OpenInterval {
    /// When work starts.
    pub start: ClockTime,
    /// When work stops (`24:00` for midnight at the end of the day).
    pub end: ClockTime,
}

impl OpenInterval {
    /// An interval; refuses an empty or reversed one.
    pub fn new(start: ClockTime, end: ClockTime) -> Result<Self, InvalidValue> {
        if start >= end {
            return Err(InvalidValue::new("week", Rule::Format("intervals whose start is before their end")));
        }
        Ok(Self { start, end })
    }

    /// Parses `["09:00", "17:00"]`.
    pub fn parse(start: &str, end: &str) -> Result<Self, InvalidValue> {
        Self::new(ClockTime::parse(start)?, ClockTime::parse(end)?)
    }
}

/// The opening hours of each day of the week, Monday first: several sorted, non-overlapping
/// intervals per day (intervals may touch: `09:00-12:00` and `12:00-17:00`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct WeeklyHours {
    days: [Vec<OpenInterval>; 7],
}

impl WeeklyHours {
    /// Checks and keeps the intervals of each day (Monday first), sorting them; refuses
    /// overlapping intervals and more than 12 in a day.
    pub fn new(mut days: [Vec<OpenInterval>; 7]) -> Result<Self, InvalidValue> {
        for day in &mut days {
            if day.len() > MAX_INTERVALS_PER_DAY {
                return Err(InvalidValue::new("week", Rule::TooMany { max: MAX_INTERVALS_PER_DAY }));
            }
            day.sort();
            if day.windows(2).any(|pair| pair[1].start < pair[0].end) {
                return Err(InvalidValue::new("week", Rule::Format("intervals that do not overlap")));
            }
        }
        Ok(Self { days })
    }

    /// Monday to Friday, `start` to `end` (a common office week).
    pub fn weekdays(start: ClockTime, end: ClockTime) -> Result<Self, InvalidValue> {
        let interval = OpenInterval::new(start, end)?;
        let mut days: [Vec<OpenInterval>; 7] = Default::default();
        for day in days.iter_mut().take(5) {
            day.push(interval);
        }
        Self::new(days)
    }

    /// The intervals of each day, Monday first.
    pub fn days(&self) -> &[Vec<OpenInterval>; 7] {
        &self.days
    }

    /// Whether no day has any interval.
    pub fn is_empty(&self) -> bool {
        self.days.iter().all(Vec::is_empty)
    }
}

/// When a team works: weekly hours in an IANA time zone, minus holidays (dates in that zone).
#[derive(Debug, Clone, PartialEq)]
pub struct BusinessCalendar {
    zone_name: String,
    zone: TimeZone,
    week: WeeklyHours,
    holidays: BTreeSet<Date>,
}

impl BusinessCalendar {
    /// A calendar; refuses an unknown zone, a week without any opening interval, and more than
    /// [`MAX_HOLIDAYS`] holidays.
    ///
    /// ```
    /// use supportdesk_domain::*;
    /// let week = WeeklyHours::weekdays(ClockTime::parse("09:00").unwrap(), ClockTime::parse("17:00").unwrap()).unwrap();
    /// assert!(BusinessCalendar::new("Europe/Berlin", week.clone(), vec![]).is_ok());
    /// assert_eq!(BusinessCalendar::new("Mars/Olympus", week, vec![]).unwrap_err().field, "timeZone");
    /// ```
    pub fn new(time_zone: &str, week: WeeklyHours, holidays: Vec<Date>) -> Result<Self, InvalidValue> {
        let zone = time_zone_named(time_zone)?;
        if week.is_empty() {
            return Err(InvalidValue::new("week", Rule::Format("at least one opening interval")));
        }
        if holidays.len() > MAX_HOLIDAYS {
            return Err(InvalidValue::new("holidays", Rule::TooMany { max: MAX_HOLIDAYS }));
        }
        let zone_name = zone.iana_name().unwrap_or(time_zone).to_owned();
        Ok(Self { zone_name, zone, week, holidays: holidays.into_iter().collect() })
    }

    /// The IANA name of the zone, e.g. `Europe/Berlin`.
    pub fn time_zone(&self) -> &str {
        &self.zone_name
    }

    /// The weekly hours.
    pub fn week(&self) -> &WeeklyHours {
        &self.week
    }

    /// The holidays, sorted.
    pub fn holidays(&self) -> impl Iterator<Item = Date> + '_ {
        self.holidays.iter().copied()
    }

    /// Whether `at` lies within an opening interval, ends included.
    pub fn is_open_at(&self, at: OffsetDateTime) -> bool {
        let Some(ts) = to_timestamp(at) else { return false };
        let date = self.zone.to_datetime(ts).date();
        // An interval ending at 24:00 of the day before ends at this day's midnight.
        [date.yesterday().ok(), Some(date)]
            .into_iter()
            .flatten()
            .flat_map(|day| self.intervals_of(day))
            .any(|(start, end)| start <= ts && ts <= end)
    }

    /// The instants of the opening intervals of `date`, in order; none on a holiday.
    fn intervals_of(&self, date: CivilDate) -> Vec<(Timestamp, Timestamp)> {
        if self.is_holiday(date) {
            return Vec::new();
        }
        let index = usize::try_from(date.weekday().to_monday_zero_offset()).unwrap_or(0);
        self.week.days[index]
            .iter()
            .filter_map(|interval| {
                let start = self.instant(date, interval.start)?;
                let end = self.instant(date, interval.end)?;
                (start < end).then_some((start, end))
            })
            .collect()
    }

    fn is_holiday(&self, date: CivilDate) -> bool {
        let month = time::Month::try_from(u8::try_from(date.month()).unwrap_or(0));
        match month {
            Ok(month) => Date::from_calendar_date(i32::from(date.year()), month, u8::try_from(date.day()).unwrap_or(0))
                .is_ok_and(|day| self.holidays.contains(&day)),
            Err(_) => false,
        }
    }

    /// The instant of a wall-clock time on `date` in the zone ("compatible" disambiguation).
    fn instant(&self, date: CivilDate, time: ClockTime) -> Option<Timestamp> {
        let (date, minutes) =
            if time.minutes() == DAY_MINUTES { (date.tomorrow().ok()?, 0) } else { (date, time.minutes()) };
        let hour = i8::try_from(minutes / 60).ok()?;
        let minute = i8::try_from(minutes % 60).ok()?;
        let civil: CivilDateTime = date.at(hour, minute, 0, 0);
        self.zone.to_ambiguous_timestamp(civil).compatible().ok()
    }

    fn add(&self, from: Timestamp, amount: i128) -> Option<Timestamp> {
        let mut left = amount;
        let mut date = self.zone.to_datetime(from).date().yesterday().ok()?;
        for _ in 0..MAX_DAYS_WALKED {
            for (start, end) in self.intervals_of(date) {
                if end <= from {
                    continue;
                }
                let start = start.max(from);
                let length = end.as_nanosecond() - start.as_nanosecond();
                if left <= length {
                    return Timestamp::from_nanosecond(start.as_nanosecond() + left).ok();
                }
                left -= length;
            }
            date = date.tomorrow().ok()?;
        }
        None
    }

    fn between(&self, from: Timestamp, to: Timestamp) -> i128 {
        let (Ok(mut date), last) = (self.zone.to_datetime(from).date().yesterday(), self.zone.to_datetime(to).date())
        else {
            return 0;
        };
        let mut total = 0;
        while date <= last {
            for (start, end) in self.intervals_of(date) {
                let (start, end) = (start.max(from), end.min(to));
                if start < end {
                    total += end.as_nanosecond() - start.as_nanosecond();
                }
            }
            match date.tomorrow() {
                Ok(next) => date = next,
                Err(_) => break,
            }
        }
        total
    }
}

/// Parses an IANA zone name against the bundled time-zone database.
fn time_zone_named(name: &str) -> Result<TimeZone, InvalidValue> {
    let bad = || InvalidValue::new("timeZone", Rule::Format("an IANA time zone such as Europe/Berlin"));
    if name.is_empty() || name.len() > 64 {
        return Err(bad());
    }
    TimeZone::get(name).map_err(|_| bad())
}

/// What an SLA clock counts: every minute, or the opening hours of a calendar.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum WorkingTime {
    /// Calendar time, 24/7 (a policy without business hours).
    #[default]
    Always,
    /// The opening hours of a business calendar.
    Hours(Box<BusinessCalendar>),
}

impl From<BusinessCalendar> for WorkingTime {
    fn from(calendar: BusinessCalendar) -> Self {
        WorkingTime::Hours(Box::new(calendar))
    }
}

impl WorkingTime {
    /// The instant at which `amount` of working time has passed after `from`: `from` itself
    /// for a zero or negative amount, otherwise an instant within opening hours (an interval's
    /// end counts as within). `None` past the year 9999, or when the amount needs more than
    /// about 22 years of the calendar's hours (a week with a few minutes of work and a year
    /// of minutes to count): such a clock is never due.
    ///
    /// ```
    /// use supportdesk_domain::*;
    /// use time::{macros::datetime, Duration};
    /// let week = WeeklyHours::weekdays(ClockTime::parse("09:00").unwrap(), ClockTime::parse("17:00").unwrap()).unwrap();
    /// let berlin = WorkingTime::from(BusinessCalendar::new("Europe/Berlin", week, vec![]).unwrap());
    /// // Friday 16:00 in Berlin (15:00 UTC) plus eight business hours: Monday 16:00.
    /// let due = berlin.add(datetime!(2026-11-27 15:00 UTC), Duration::hours(8)).unwrap();
    /// assert_eq!(due, datetime!(2026-11-30 15:00 UTC));
    /// ```
    pub fn add(&self, from: OffsetDateTime, amount: Duration) -> Option<OffsetDateTime> {
        if !amount.is_positive() {
            return Some(from);
        }
        match self {
            WorkingTime::Always => from.checked_add(amount),
            WorkingTime::Hours(calendar) => {
                from_timestamp(calendar.add(to_timestamp(from)?, amount.whole_nanoseconds())?)
            }
        }
    }

    /// The working time between `from` and `to`; zero when `to` is not after `from`.
    pub fn between(&self, from: OffsetDateTime, to: OffsetDateTime) -> Duration {
        if to <= from {
            return Duration::ZERO;
        }
        match self {
            WorkingTime::Always => to - from,
            WorkingTime::Hours(calendar) => match (to_timestamp(from), to_timestamp(to)) {
                (Some(from), Some(to)) => nanos(calendar.between(from, to)),
                _ => Duration::ZERO,
            },
        }
    }

    /// Whether `at` is working time (always, for [`WorkingTime::Always`]).
    pub fn is_open_at(&self, at: OffsetDateTime) -> bool {
        match self {
            WorkingTime::Always => true,
            WorkingTime::Hours(calendar) => calendar.is_open_at(at),
        }
    }
}

fn nanos(value: i128) -> Duration {
    let seconds = i64::try_from(value.div_euclid(1_000_000_000)).unwrap_or(i64::MAX);
    let rest = i32::try_from(value.rem_euclid(1_000_000_000)).unwrap_or(0);
    Duration::new(seconds, rest)
}

fn to_timestamp(at: OffsetDateTime) -> Option<Timestamp> {
    Timestamp::from_nanosecond(at.unix_timestamp_nanos()).ok()
}

fn from_timestamp(at: Timestamp) -> Option<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp_nanos(at.as_nanosecond()).ok()
}
