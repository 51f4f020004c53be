//! SLA settings: business hours (calendars) and SLA policies, managed by admins
//! (`settings:manage`). The clock rules themselves are the domain's ([`SlaState`]).

use supportdesk_domain::{
    BusinessCalendar, BusinessHoursId, CategoryId, Permission, Priority, SlaMatch, SlaPolicyId, SlaTargets, Source,
    TenantKey, WeeklyHours, WorkingTime,
};
use time::{Date, Duration, OffsetDateTime};

use crate::auth::Principal;
use crate::error::{AppError, Missing, Validator};
use crate::model::CategoryKey;
use crate::App;

/// The longest clock a policy may set: one year of minutes.
pub const MAX_SLA_MINUTES: i32 = 525_600;
/// The longest name of a calendar or policy, in characters.
const MAX_NAME: usize = 100;

/// A named business calendar of a tenant.
#[derive(Debug, Clone, PartialEq)]
pub struct BusinessHours {
    /// Its id.
    pub id: BusinessHoursId,
    /// Its tenant.
    pub tenant: TenantKey,
    /// 1 to 100 characters.
    pub name: String,
    /// The zone, weekly hours and holidays.
    pub calendar: BusinessCalendar,
    /// When it was made.
    pub created_at: OffsetDateTime,
    /// When it last changed.
    pub updated_at: OffsetDateTime,
}

/// An SLA policy of a tenant: which tickets, and what it promises them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlaPolicy {
    /// Its id.
    pub id: SlaPolicyId,
    /// Its tenant.
    pub tenant: TenantKey,
    /// 1 to 100 characters.
    pub name: String,
    /// Policies are tried by position (ascending), then creation; the first match applies.
    pub position: i32,
    /// Which tickets it applies to.
    pub matches: SlaMatch,
    /// Minutes to the first response.
    pub first_response_minutes: i32,
    /// Minutes from a customer message to the next response, if measured.
    pub next_response_minutes: Option<i32>,
    /// Minutes to resolution.
    pub resolution_minutes: i32,
    /// The calendar its minutes count in; `None`: calendar time, 24/7.
    pub business_hours_id: Option<BusinessHoursId>,
    /// Whether the resolution clock stops while the ticket is `answered`.
    pub pause_while_answered: bool,
    /// When it was made.
    pub created_at: OffsetDateTime,
    /// When it last changed.
    pub updated_at: OffsetDateTime,
}

impl SlaPolicy {
    /// The clock lengths and pause rule of the policy.
    pub fn targets(&self) -> SlaTargets {
        SlaTargets {
            first_response: Duration::minutes(i64::from(self.first_response_minutes)),
            next_response: self.next_response_minutes.map(|m| Duration::minutes(i64::from(m))),
            resolution: Duration::minutes(i64::from(self.resolution_minutes)),
            pause_while_answered: self.pause_while_answered,
        }
    }

    /// Whether it applies to a ticket with these fields.
    pub fn applies_to(&self, priority: Priority, category_id: CategoryId, source: Source) -> bool {
        self.matches.matches(priority, category_id, source)
    }
}

/// `POST` (name, time zone and week required) and `PATCH` (fields given change) of business
/// hours.
#[derive(Debug, Clone, Default)]
pub struct BusinessHoursInput {
    /// A name.
    pub name: Option<String>,
    /// An IANA zone name.
    pub time_zone: Option<String>,
    /// The weekly hours.
    pub week: Option<WeeklyHours>,
    /// The holidays (replacing all).
    pub holidays: Option<Vec<Date>>,
}

/// `POST` (name, first response and resolution minutes required) and `PATCH` of a policy.
/// `Some(None)` clears an optional field.
#[derive(Debug, Clone, Default)]
pub struct SlaPolicyInput {
    /// A name.
    pub name: Option<String>,
    /// A position (default 0).
    pub position: Option<i32>,
    /// The match (replacing the whole match).
    pub matches: Option<SlaMatch>,
    /// Minutes to the first response.
    pub first_response_minutes: Option<i32>,
    /// Minutes to the next response.
    pub next_response_minutes: Option<Option<i32>>,
    /// Minutes to resolution.
    pub resolution_minutes: Option<i32>,
    /// The calendar.
    pub business_hours_id: Option<Option<BusinessHoursId>>,
    /// Default `true`.
    pub pause_while_answered: Option<bool>,
}

/// Week and holidays as stored: seven `;`-separated days (Monday first), each a `,` list of
/// `HH:MM-HH:MM`; holidays a `,` list of `YYYY-MM-DD`. Adapters store these texts.
pub mod storage {
    use supportdesk_domain::{ClockTime, InvalidValue, OpenInterval, Rule, WeeklyHours};
    use time::Date;

    /// The stored text of a week.
    pub fn week_text(week: &WeeklyHours) -> String {
        week.days()
            .iter()
            .map(|day| day.iter().map(|i| format!("{}-{}", i.start, i.end)).collect::<Vec<_>>().join(","))
            .collect::<Vec<_>>()
            .join(";")
    }

    /// A week from its stored text.
    ///
    /// # Errors
    ///
    /// The text is not one [`week_text`] writes.
    pub fn parse_week(raw: &str) -> Result<WeeklyHours, InvalidValue> {
        let days: Vec<&str> = raw.split(';').collect();
        if days.len() != 7 {
            return Err(InvalidValue::new("week", Rule::Format("seven days")));
        }
        let mut parsed: [Vec<OpenInterval>; 7] = Default::default();
        for (slot, day) in parsed.iter_mut().zip(days) {
            for interval in day.split(',').filter(|s| !s.is_empty()) {
                let (start, end) =
                    interval.split_once('-').ok_or(InvalidValue::new("week", Rule::Format("HH:MM-HH:MM")))?;
                slot.push(OpenInterval::new(ClockTime::parse(start)?, ClockTime::parse(end)?)?);
            }
        }
        WeeklyHours::new(parsed)
    }

    /// The stored text of holidays.
    pub fn holidays_text(holidays: impl Iterator<Item = Date>) -> String {
        holidays.map(|d| super::date_text(d)).collect::<Vec<_>>().join(",")
    }

    /// Holidays from their stored text.
    ///
    /// # Errors
    ///
    /// A date that is not `YYYY-MM-DD`.
    pub fn parse_holidays(raw: &str) -> Result<Vec<Date>, InvalidValue> {
        raw.split(',').filter(|s| !s.is_empty()).map(super::parse_date).collect()
    }
}

/// A date as `YYYY-MM-DD`.
pub fn date_text(date: Date) -> String {
    format!("{:04}-{:02}-{:02}", date.year(), u8::from(date.month()), date.day())
}

/// Parses a holiday, `YYYY-MM-DD`.
///
/// # Errors
///
/// Anything else, or a date that does not exist.
pub fn parse_date(raw: &str) -> Result<Date, supportdesk_domain::InvalidValue> {
    let bad =
        || supportdesk_domain::InvalidValue::new("holidays", supportdesk_domain::Rule::Format("dates as YYYY-MM-DD"));
    let bytes = raw.as_bytes();
    if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return Err(bad());
    }
    let number = |range: std::ops::Range<usize>| raw.get(range).and_then(|s| s.parse::<u16>().ok()).ok_or_else(bad);
    let (year, month, day) = (number(0..4)?, number(5..7)?, number(8..10)?);
    let month = u8::try_from(month).ok().and_then(|m| time::Month::try_from(m).ok()).ok_or_else(bad)?;
    Date::from_calendar_date(i32::from(year), month, u8::try_from(day).map_err(|_| bad())?).map_err(|_| bad())
}

fn check_name(v: &mut Validator, raw: &str) -> Option<String> {
    let name = raw.trim();
    let length = name.chars().count();
    if length == 0 || length > MAX_NAME {
        v.push("name", format!("must be 1 to {MAX_NAME} characters"));
        None
    } else {
        Some(name.to_owned())
    }
}

fn check_minutes(v: &mut Validator, field: &'static str, minutes: i32) {
    if !(1..=MAX_SLA_MINUTES).contains(&minutes) {
        v.push(field, format!("must be between 1 and {MAX_SLA_MINUTES}"));
    }
}

impl App {
    /// The tenant's business hours, oldest first (`settings:manage`).
    ///
    /// # Errors
    ///
    /// `Forbidden`.
    pub async fn list_business_hours(&self, principal: &Principal) -> Result<Vec<BusinessHours>, AppError> {
        principal.require(Permission::SettingsManage)?;
        Ok(self.sla.list_business_hours(&principal.tenant).await?)
    }

    /// One of the tenant's business calendars (`settings:manage`).
    ///
    /// # Errors
    ///
    /// `Forbidden`, `NotFound`.
    pub async fn get_business_hours(
        &self,
        principal: &Principal,
        id: BusinessHoursId,
    ) -> Result<BusinessHours, AppError> {
        principal.require(Permission::SettingsManage)?;
        self.sla.business_hours(&principal.tenant, id).await?.ok_or(AppError::NotFound(Missing::Resource))
    }

    /// Adds business hours (`settings:manage`).
    ///
    /// # Errors
    ///
    /// `Forbidden`; `Validation` for a missing name, zone or week, an unknown zone, a week
    /// without hours.
    pub async fn create_business_hours(
        &self,
        principal: &Principal,
        input: BusinessHoursInput,
    ) -> Result<BusinessHours, AppError> {
        principal.require(Permission::SettingsManage)?;
        self.ensure_tenant(&principal.tenant).await?;
        let mut v = Validator::default();
        let name = match input.name.as_deref() {
            Some(raw) => check_name(&mut v, raw),
            None => {
                v.push("name", "is required");
                None
            }
        };
        if input.time_zone.is_none() {
            v.push("timeZone", "is required");
        }
        if input.week.is_none() {
            v.push("week", "is required");
        }
        let calendar = match (input.time_zone, input.week) {
            (Some(zone), Some(week)) => v.check(BusinessCalendar::new(&zone, week, input.holidays.unwrap_or_default())),
            _ => None,
        };
        v.finish()?;
        let (Some(name), Some(calendar)) = (name, calendar) else {
            return Err(AppError::invalid("week", "is required"));
        };
        let now = self.clock.now();
        let hours = BusinessHours {
            id: BusinessHoursId::from_uuid(self.ids.next_uuid()),
            tenant: principal.tenant.clone(),
            name,
            calendar,
            created_at: now,
            updated_at: now,
        };
        self.sla.insert_business_hours(&hours).await?;
        Ok(hours)
    }

    /// Changes business hours (`settings:manage`); tickets keep the due times they have, the
    /// next change of each recomputes with the new calendar.
    ///
    /// # Errors
    ///
    /// `Forbidden`, `NotFound`, `Validation`.
    pub async fn update_business_hours(
        &self,
        principal: &Principal,
        id: BusinessHoursId,
        input: BusinessHoursInput,
    ) -> Result<BusinessHours, AppError> {
        let mut hours = self.get_business_hours(principal, id).await?;
        let mut v = Validator::default();
        if let Some(raw) = input.name.as_deref() {
            if let Some(name) = check_name(&mut v, raw) {
                hours.name = name;
            }
        }
        let zone = input.time_zone.unwrap_or_else(|| hours.calendar.time_zone().to_owned());
        let week = input.week.unwrap_or_else(|| hours.calendar.week().clone());
        let holidays = input.holidays.unwrap_or_else(|| hours.calendar.holidays().collect());
        let calendar = v.check(BusinessCalendar::new(&zone, week, holidays));
        v.finish()?;
        if let Some(calendar) = calendar {
            hours.calendar = calendar;
        }
        hours.updated_at = self.clock.now();
        self.sla.update_business_hours(&hours).await?;
        Ok(hours)
    }

    /// Deletes business hours no policy uses (`settings:manage`).
    ///
    /// # Errors
    ///
    /// `Forbidden`, `NotFound`; `InUse` while a policy counts in them.
    pub async fn delete_business_hours(&self, principal: &Principal, id: BusinessHoursId) -> Result<(), AppError> {
        principal.require(Permission::SettingsManage)?;
        let policies = self.sla.list_sla_policies(&principal.tenant).await?;
        if policies.iter().any(|p| p.business_hours_id == Some(id)) {
            return Err(AppError::InUse("business hours used by an SLA policy"));
        }
        if self.sla.delete_business_hours(&principal.tenant, id).await? {
            Ok(())
        } else {
            Err(AppError::NotFound(Missing::Resource))
        }
    }

    /// The tenant's policies in the order they are tried (`settings:manage`).
    ///
    /// # Errors
    ///
    /// `Forbidden`.
    pub async fn list_sla_policies(&self, principal: &Principal) -> Result<Vec<SlaPolicy>, AppError> {
        principal.require(Permission::SettingsManage)?;
        Ok(self.sla.list_sla_policies(&principal.tenant).await?)
    }

    /// One policy (`settings:manage`).
    ///
    /// # Errors
    ///
    /// `Forbidden`, `NotFound`.
    pub async fn get_sla_policy(&self, principal: &Principal, id: SlaPolicyId) -> Result<SlaPolicy, AppError> {
        principal.require(Permission::SettingsManage)?;
        self.sla.sla_policy(&principal.tenant, id).await?.ok_or(AppError::NotFound(Missing::Resource))
    }

    /// Adds a policy (`settings:manage`). It applies to tickets opened or triaged from now on.
    ///
    /// # Errors
    ///
    /// `Forbidden`; `Validation` for a missing or out-of-range field, an unknown
    /// `businessHoursId` or `match.categoryId`.
    pub async fn create_sla_policy(&self, principal: &Principal, input: SlaPolicyInput) -> Result<SlaPolicy, AppError> {
        principal.require(Permission::SettingsManage)?;
        self.ensure_tenant(&principal.tenant).await?;
        let mut v = Validator::default();
        for (field, given) in [
            ("name", input.name.is_some()),
            ("firstResponseMinutes", input.first_response_minutes.is_some()),
            ("resolutionMinutes", input.resolution_minutes.is_some()),
        ] {
            if !given {
                v.push(field, "is required");
            }
        }
        v.finish()?;
        let now = self.clock.now();
        let policy = SlaPolicy {
            id: SlaPolicyId::from_uuid(self.ids.next_uuid()),
            tenant: principal.tenant.clone(),
            name: String::new(),
            position: 0,
            matches: SlaMatch::default(),
            first_response_minutes: 0,
            next_response_minutes: None,
            resolution_minutes: 0,
            business_hours_id: None,
            pause_while_answered: true,
            created_at: now,
            updated_at: now,
        };
        let policy = self.apply_policy_input(principal, policy, input).await?;
        self.sla.insert_sla_policy(&policy).await?;
        Ok(policy)
    }

    /// Changes a policy (`settings:manage`); tickets keep their due times until their next
    /// change.
    ///
    /// # Errors
    ///
    /// As [`App::create_sla_policy`], and `NotFound`.
    pub async fn update_sla_policy(
        &self,
        principal: &Principal,
        id: SlaPolicyId,
        input: SlaPolicyInput,
    ) -> Result<SlaPolicy, AppError> {
        let policy = self.get_sla_policy(principal, id).await?;
        let mut policy = self.apply_policy_input(principal, policy, input).await?;
        policy.updated_at = self.clock.now();
        self.sla.update_sla_policy(&policy).await?;
        Ok(policy)
    }

    /// Deletes a policy (`settings:manage`); tickets it applied to keep their SLA state until
    /// their next change, when the policies are matched again.
    ///
    /// # Errors
    ///
    /// `Forbidden`, `NotFound`.
    pub async fn delete_sla_policy(&self, principal: &Principal, id: SlaPolicyId) -> Result<(), AppError> {
        principal.require(Permission::SettingsManage)?;
        if self.sla.delete_sla_policy(&principal.tenant, id).await? {
            Ok(())
        } else {
            Err(AppError::NotFound(Missing::Resource))
        }
    }

    async fn apply_policy_input(
        &self,
        principal: &Principal,
        mut policy: SlaPolicy,
        input: SlaPolicyInput,
    ) -> Result<SlaPolicy, AppError> {
        let mut v = Validator::default();
        if let Some(raw) = input.name.as_deref() {
            if let Some(name) = check_name(&mut v, raw) {
                policy.name = name;
            }
        }
        if let Some(position) = input.position {
            policy.position = position;
        }
        if let Some(minutes) = input.first_response_minutes {
            check_minutes(&mut v, "firstResponseMinutes", minutes);
            policy.first_response_minutes = minutes;
        }
        if let Some(minutes) = input.next_response_minutes {
            if let Some(minutes) = minutes {
                check_minutes(&mut v, "nextResponseMinutes", minutes);
            }
            policy.next_response_minutes = minutes;
        }
        if let Some(minutes) = input.resolution_minutes {
            check_minutes(&mut v, "resolutionMinutes", minutes);
            policy.resolution_minutes = minutes;
        }
        if let Some(pause) = input.pause_while_answered {
            policy.pause_while_answered = pause;
        }
        if let Some(matches) = input.matches {
            if let Some(category) = matches.category_id {
                let found = self.categories.find_category(&principal.tenant, &CategoryKey::Id(category)).await?;
                if found.is_none() {
                    v.push("match.categoryId", "must be a category of this tenant");
                }
            }
            policy.matches = matches;
        }
        if let Some(hours) = input.business_hours_id {
            if let Some(id) = hours {
                if self.sla.business_hours(&principal.tenant, id).await?.is_none() {
                    v.push("businessHoursId", "must be business hours of this tenant");
                }
            }
            policy.business_hours_id = hours;
        }
        v.finish()?;
        Ok(policy)
    }

    /// The policy that applies to a ticket with these fields, with the working time it counts
    /// in: the first match by position. `None` when none matches.
    pub(crate) async fn matching_sla_policy(
        &self,
        tenant: &TenantKey,
        priority: Priority,
        category_id: CategoryId,
        source: Source,
    ) -> Result<Option<(SlaPolicy, WorkingTime)>, AppError> {
        let policies = self.sla.list_sla_policies(tenant).await?;
        let Some(policy) = policies.into_iter().find(|p| p.applies_to(priority, category_id, source)) else {
            return Ok(None);
        };
        let time = match policy.business_hours_id {
            None => WorkingTime::Always,
            Some(id) => match self.sla.business_hours(tenant, id).await? {
                Some(hours) => WorkingTime::from(hours.calendar),
                // Deleted under the policy's feet (the check is not transactional): 24/7.
                None => WorkingTime::Always,
            },
        };
        Ok(Some((policy, time)))
    }
}
