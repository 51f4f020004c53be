//! Business hours and SLA policies as the API shows and takes them.

use serde::{Deserialize, Serialize};
use supportdesk_app::{date_text, parse_date, BusinessHours, BusinessHoursInput, SlaPolicy, SlaPolicyInput, Validator};
use supportdesk_domain::{
    BusinessHoursId, CategoryId, OpenInterval, Priority, SlaMatch, Source, WeeklyHours, WEEKDAYS,
};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{finish, nullable, timestamp, ListMeta};
use crate::error::ApiError;

/// A week: for each day (`mon` ... `sun`) its opening intervals, `[["09:00", "17:00"]]`; a
/// day left out is closed. Intervals of a day may not overlap; `24:00` ends at midnight.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"mon": [["09:00", "12:00"], ["13:00", "17:00"]], "tue": [["09:00", "17:00"]]}))]
pub struct WeekBody {
    /// Monday.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schema(value_type = Vec<Vec<String>>)]
    pub mon: Vec<Vec<String>>,
    /// Tuesday.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schema(value_type = Vec<Vec<String>>)]
    pub tue: Vec<Vec<String>>,
    /// Wednesday.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schema(value_type = Vec<Vec<String>>)]
    pub wed: Vec<Vec<String>>,
    /// Thursday.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schema(value_type = Vec<Vec<String>>)]
    pub thu: Vec<Vec<String>>,
    /// Friday.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schema(value_type = Vec<Vec<String>>)]
    pub fri: Vec<Vec<String>>,
    /// Saturday.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schema(value_type = Vec<Vec<String>>)]
    pub sat: Vec<Vec<String>>,
    /// Sunday.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schema(value_type = Vec<Vec<String>>)]
    pub sun: Vec<Vec<String>>,
}

impl WeekBody {
    fn days(&self) -> [&Vec<Vec<String>>; 7] {
        [&self.mon, &self.tue, &self.wed, &self.thu, &self.fri, &self.sat, &self.sun]
    }

    /// The weekly hours, or the first problem (named `week.mon[0]` and so on).
    fn parse(&self, v: &mut Validator) -> Option<WeeklyHours> {
        let mut days: [Vec<OpenInterval>; 7] = Default::default();
        let mut ok = true;
        for ((slot, day), key) in days.iter_mut().zip(self.days()).zip(WEEKDAYS) {
            for (index, pair) in day.iter().enumerate() {
                let parsed = match pair.as_slice() {
                    [start, end] => OpenInterval::parse(start, end).map_err(|e| e.rule.to_string()),
                    _ => Err("must be a pair [\"HH:MM\", \"HH:MM\"]".to_owned()),
                };
                match parsed {
                    Ok(interval) => slot.push(interval),
                    Err(message) => {
                        v.push(format!("week.{key}[{index}]"), message);
                        ok = false;
                    }
                }
            }
        }
        if !ok {
            return None;
        }
        v.check(WeeklyHours::new(days))
    }

    fn of(week: &WeeklyHours) -> Self {
        let day = |i: usize| -> Vec<Vec<String>> {
            week.days()[i].iter().map(|iv| vec![iv.start.to_string(), iv.end.to_string()]).collect()
        };
        Self { mon: day(0), tue: day(1), wed: day(2), thu: day(3), fri: day(4), sat: day(5), sun: day(6) }
    }
}

/// `POST /admin/business-hours` (name, timeZone and week required) and `PATCH .../{id}`
/// (fields given change).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct BusinessHoursBody {
    /// 1..100 characters.
    #[schema(value_type = String, example = "Berlin office")]
    pub name: Option<String>,
    /// An IANA time zone.
    #[schema(value_type = String, example = "Europe/Berlin")]
    pub time_zone: Option<String>,
    /// The weekly hours; at least one interval in the week.
    #[schema(value_type = WeekBody)]
    pub week: Option<WeekBody>,
    /// Dates (in the zone) with no hours, `YYYY-MM-DD`; at most 1,000.
    #[schema(value_type = Vec<String>, example = json!(["2026-12-25"]))]
    pub holidays: Option<Vec<String>>,
}

impl BusinessHoursBody {
    /// The use case's input; every bad field at once.
    ///
    /// # Errors
    ///
    /// 400 `validation_failed`.
    pub fn try_into_domain(self) -> Result<BusinessHoursInput, ApiError> {
        let mut v = Validator::default();
        let week = self.week.as_ref().and_then(|w| w.parse(&mut v));
        let holidays = self.holidays.as_ref().map(|raw| {
            raw.iter()
                .enumerate()
                .filter_map(|(i, day)| match parse_date(day) {
                    Ok(date) => Some(date),
                    Err(e) => {
                        v.push(format!("holidays[{i}]"), e.rule.to_string());
                        None
                    }
                })
                .collect::<Vec<_>>()
        });
        finish(v)?;
        Ok(BusinessHoursInput { name: self.name, time_zone: self.time_zone, week, holidays })
    }
}

/// A business calendar.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BusinessHoursResponse {
    /// Its id.
    pub id: Uuid,
    /// Its name.
    pub name: String,
    /// The IANA zone its hours and holidays are in.
    #[schema(example = "Europe/Berlin")]
    pub time_zone: String,
    /// The opening intervals of each day; closed days are left out.
    pub week: WeekBody,
    /// Closed dates, sorted.
    #[schema(example = json!(["2026-12-25"]))]
    pub holidays: Vec<String>,
    /// When it was made.
    #[schema(format = DateTime)]
    pub created_at: String,
    /// When it last changed.
    #[schema(format = DateTime)]
    pub updated_at: String,
}

impl From<&BusinessHours> for BusinessHoursResponse {
    fn from(h: &BusinessHours) -> Self {
        Self {
            id: h.id.as_uuid(),
            name: h.name.clone(),
            time_zone: h.calendar.time_zone().to_owned(),
            week: WeekBody::of(h.calendar.week()),
            holidays: h.calendar.holidays().map(date_text).collect(),
            created_at: timestamp(h.created_at),
            updated_at: timestamp(h.updated_at),
        }
    }
}

/// The tenant's business calendars.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BusinessHoursListResponse {
    /// Oldest first.
    pub data: Vec<BusinessHoursResponse>,
    /// How many.
    pub meta: ListMeta,
}

/// Which tickets a policy applies to; every given field must match.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SlaMatchBody {
    /// `low`, `normal`, `high` or `urgent`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, example = "urgent")]
    pub priority: Option<String>,
    /// A category of the tenant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Uuid>)]
    pub category_id: Option<String>,
    /// The channel: `api`, `customer_portal`, `storefront`, `email`, `phone`, `chat`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, example = "email")]
    pub source: Option<String>,
}

impl SlaMatchBody {
    fn parse(&self, v: &mut Validator) -> SlaMatch {
        SlaMatch {
            priority: v.check_opt(
                self.priority.as_deref().map(|raw| Priority::parse(raw).map_err(|e| e.for_field("match.priority"))),
            ),
            category_id: v.check_opt(
                self.category_id
                    .as_deref()
                    .map(|raw| CategoryId::parse(raw).map_err(|e| e.for_field("match.categoryId"))),
            ),
            source: v.check_opt(
                self.source.as_deref().map(|raw| Source::parse(raw).map_err(|e| e.for_field("match.source"))),
            ),
        }
    }

    fn of(m: &SlaMatch) -> Self {
        Self {
            priority: m.priority.map(|p| p.as_str().to_owned()),
            category_id: m.category_id.map(|c| c.to_string()),
            source: m.source.map(|s| s.as_str().to_owned()),
        }
    }
}

/// `POST /admin/sla-policies` (name, firstResponseMinutes and resolutionMinutes required) and
/// `PATCH .../{id}` (fields given change; `null` clears `nextResponseMinutes` and
/// `businessHoursId`).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SlaPolicyBody {
    /// 1..100 characters.
    #[schema(value_type = String, example = "Urgent tickets")]
    pub name: Option<String>,
    /// Policies are tried by position (ascending), then age; the first match applies. Default 0.
    pub position: Option<i32>,
    /// Which tickets; `{}` (the default) matches all.
    #[serde(rename = "match")]
    #[schema(value_type = SlaMatchBody)]
    pub matches: Option<SlaMatchBody>,
    /// 1..525,600 minutes to the first public reply.
    #[schema(value_type = i32, example = 480)]
    pub first_response_minutes: Option<i32>,
    /// 1..525,600 minutes from a customer message to the next public reply; absent: not measured.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<i32>, example = 240)]
    pub next_response_minutes: Option<Option<i32>>,
    /// 1..525,600 minutes to resolution.
    #[schema(value_type = i32, example = 2400)]
    pub resolution_minutes: Option<i32>,
    /// Business hours of the tenant the minutes count in; absent: calendar time, 24/7.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<Uuid>)]
    pub business_hours_id: Option<Option<String>>,
    /// Whether the resolution clock stops while the ticket is `answered` (default true).
    pub pause_while_answered: Option<bool>,
}

impl SlaPolicyBody {
    /// The use case's input; every bad field at once.
    ///
    /// # Errors
    ///
    /// 400 `validation_failed`.
    pub fn try_into_domain(self) -> Result<SlaPolicyInput, ApiError> {
        let mut v = Validator::default();
        let matches = self.matches.as_ref().map(|m| m.parse(&mut v));
        let business_hours_id = match self.business_hours_id {
            None => None,
            Some(None) => Some(None),
            Some(Some(raw)) => v.check(BusinessHoursId::parse(&raw)).map(Some),
        };
        finish(v)?;
        Ok(SlaPolicyInput {
            name: self.name,
            position: self.position,
            matches,
            first_response_minutes: self.first_response_minutes,
            next_response_minutes: self.next_response_minutes,
            resolution_minutes: self.resolution_minutes,
            business_hours_id,
            pause_while_answered: self.pause_while_answered,
        })
    }
}

/// An SLA policy.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SlaPolicyResponse {
    /// Its id.
    pub id: Uuid,
    /// Its name.
    pub name: String,
    /// Its place in the order policies are tried.
    pub position: i32,
    /// Which tickets it applies to.
    #[serde(rename = "match")]
    pub matches: SlaMatchBody,
    /// Minutes to the first public reply.
    pub first_response_minutes: i32,
    /// Minutes from a customer message to the next public reply, if measured.
    pub next_response_minutes: Option<i32>,
    /// Minutes to resolution.
    pub resolution_minutes: i32,
    /// The business hours its minutes count in; `null`: 24/7.
    pub business_hours_id: Option<Uuid>,
    /// Whether the resolution clock stops while the ticket is `answered`.
    pub pause_while_answered: bool,
    /// When it was made.
    #[schema(format = DateTime)]
    pub created_at: String,
    /// When it last changed.
    #[schema(format = DateTime)]
    pub updated_at: String,
}

impl From<&SlaPolicy> for SlaPolicyResponse {
    fn from(p: &SlaPolicy) -> Self {
        Self {
            id: p.id.as_uuid(),
            name: p.name.clone(),
            position: p.position,
            matches: SlaMatchBody::of(&p.matches),
            first_response_minutes: p.first_response_minutes,
            next_response_minutes: p.next_response_minutes,
            resolution_minutes: p.resolution_minutes,
            business_hours_id: p.business_hours_id.map(|id| id.as_uuid()),
            pause_while_answered: p.pause_while_answered,
            created_at: timestamp(p.created_at),
            updated_at: timestamp(p.updated_at),
        }
    }
}

/// The tenant's policies.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SlaPolicyListResponse {
    /// In the order they are tried.
    pub data: Vec<SlaPolicyResponse>,
    /// How many.
    pub meta: ListMeta,
}
