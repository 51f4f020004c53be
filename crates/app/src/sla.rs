//! SLA settings: business hours (calendars) and SLA policies, managed by admins
//! (`settings:manage`). The clock rules themselves are the domain's ([`SlaState`]).

use supportdesk_domain::{
    Actor, AuditEvent, BusinessCalendar, BusinessHoursId, CategoryId, EventData, EventId, Permission, Priority,
    SlaBreach, SlaMatch, SlaPolicyId, SlaState, SlaStep, SlaTargets, Source, TenantKey, Ticket, TicketChange,
    TicketSla, WeeklyHours, WorkingTime,
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
        holidays.map(super::date_text).collect::<Vec<_>>().join(",")
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
        let time = self.working_time(tenant, &policy).await?;
        Ok(Some((policy, time)))
    }

    /// The working time a policy counts in: its business hours, or 24/7 (also when they are
    /// gone: deleting hours a policy uses is refused, but not transactionally).
    pub(crate) async fn working_time(&self, tenant: &TenantKey, policy: &SlaPolicy) -> Result<WorkingTime, AppError> {
        Ok(match policy.business_hours_id {
            None => WorkingTime::Always,
            Some(id) => self.sla.business_hours(tenant, id).await?.map_or(WorkingTime::Always, |h| h.calendar.into()),
        })
    }

    /// The SLA a new ticket is born with: the first matching policy's clocks, started at
    /// `opened_at`.
    pub(crate) async fn sla_at_open(&self, draft: &Ticket) -> Result<Option<TicketSla>, AppError> {
        let found = self.matching_sla_policy(&draft.tenant, draft.priority, draft.category_id, draft.source).await?;
        Ok(found.map(|(policy, time)| TicketSla {
            policy_id: policy.id,
            state: SlaState::start(&policy.targets(), &time, draft.created_at),
        }))
    }

    /// Moves the SLA of `change.ticket` for what the change did, in the change itself (so it
    /// is saved in the same transaction): each public message and status change moves the
    /// clocks, a clock stopped late adds a `sla_breached` event; a triage that changes the
    /// priority or category matches the policies again. A ticket without a policy keeps none
    /// until a triage, as the contract says ("at create and again after triage").
    pub(crate) async fn settle_sla(&self, change: &mut TicketChange, now: OffsetDateTime) -> Result<(), AppError> {
        let tenant = change.ticket.tenant.clone();
        let rematch = change.events.iter().any(|e| {
            matches!(&e.data, EventData::Triaged { priority, category_id, .. } if priority.is_some() || category_id.is_some())
        });
        let current = match change.ticket.sla {
            Some(sla) => self.sla.sla_policy(&tenant, sla.policy_id).await?.map(|policy| (sla, policy)),
            None => None,
        };
        // The ticket keeps its policy unless a triage makes another one the first match, or
        // the policy is gone.
        let keep = match &current {
            Some((_, policy)) if rematch => self.first_match_is(&change.ticket, policy.id).await?,
            Some(_) => true,
            None => false,
        };
        match current {
            Some((sla, policy)) if keep => {
                let time = self.working_time(&tenant, &policy).await?;
                let targets = policy.targets();
                let mut state = sla.state;
                let mut breaches: Vec<SlaBreach> = Vec::new();
                for event in &change.events {
                    if let Some(step) = SlaStep::of_event(event) {
                        breaches.extend(state.apply(&targets, &time, step, event.created_at));
                    }
                }
                change.ticket.sla = Some(TicketSla { policy_id: sla.policy_id, state });
                let ticket_id = change.ticket.id;
                change.events.extend(breaches.into_iter().map(|b| self.breach_event(ticket_id, b, now)));
            }
            None if change.ticket.sla.is_none() && !rematch => {}
            _ => {
                // A triage moved the ticket to another policy (or none), or its policy is gone:
                // the clocks of the policy that applies now, over the whole history. Markers
                // already recorded stay; nothing is reported for the past.
                let t = &change.ticket;
                let found = self.matching_sla_policy(&tenant, t.priority, t.category_id, t.source).await?;
                change.ticket.sla = match found {
                    None => None,
                    Some((policy, time)) => {
                        let mut history = self.tickets.events(&tenant, change.ticket.id).await?;
                        history.extend(change.events.iter().cloned());
                        SlaState::from_history(&policy.targets(), &time, &history).map(|mut state| {
                            if let Some(old) = change.ticket.sla {
                                state.breached.first_response |= old.state.breached.first_response;
                                state.breached.next_response |= old.state.breached.next_response;
                                state.breached.resolution |= old.state.breached.resolution;
                            }
                            TicketSla { policy_id: policy.id, state }
                        })
                    }
                };
            }
        }
        Ok(())
    }

    async fn first_match_is(&self, ticket: &Ticket, id: SlaPolicyId) -> Result<bool, AppError> {
        let found =
            self.matching_sla_policy(&ticket.tenant, ticket.priority, ticket.category_id, ticket.source).await?;
        Ok(found.is_some_and(|(policy, _)| policy.id == id))
    }

    pub(crate) fn breach_event(
        &self,
        ticket_id: supportdesk_domain::TicketId,
        breach: SlaBreach,
        now: OffsetDateTime,
    ) -> AuditEvent {
        AuditEvent {
            id: EventId::from_uuid(self.ids.next_uuid()),
            ticket_id,
            actor: Actor::system(),
            data: EventData::SlaBreached { metric: breach.metric, due_at: breach.due_at },
            created_at: now,
        }
    }

    /// Breach detection: finds up to `limit` tickets (of every tenant) with a running SLA
    /// clock past its due time at `now` and not yet reported, marks each such clock breached
    /// and records a `ticket.sla_breached {metric, dueAt}` event by the `system` actor, in
    /// one transaction per ticket, so the event flows to the feed, webhooks and mail like any
    /// other. Returns how many breaches it reported. Idempotent: a breach is reported once,
    /// however often and from however many processes this runs (a ticket changed meanwhile
    /// is skipped by the version check and found again by the next run). The caller runs it
    /// at least every 60 seconds.
    ///
    /// # Errors
    ///
    /// `Internal` when the store fails.
    pub async fn detect_sla_breaches(&self, now: OffsetDateTime, limit: usize) -> Result<usize, AppError> {
        let due = self.sla.tickets_with_sla_alerts(now, limit).await?;
        let mut reported = 0;
        for ticket in due {
            let Some(mut sla) = ticket.sla else { continue };
            let breaches = sla.state.detect_breaches(now);
            if breaches.is_empty() {
                continue;
            }
            let mut after = ticket.clone();
            after.sla = Some(sla);
            after.version += 1;
            after.updated_at = now;
            let events = breaches.iter().map(|b| self.breach_event(ticket.id, *b, now)).collect();
            let change = TicketChange { expected_version: ticket.version, ticket: after, message: None, events };
            match self.tickets.save_change(&change, None).await {
                Ok(()) => reported += breaches.len(),
                Err(crate::StoreError::VersionConflict | crate::StoreError::NotFound) => {}
                Err(other) => return Err(other.into()),
            }
        }
        if reported > 0 {
            tracing::info!(breaches = reported, "SLA breaches reported");
        }
        Ok(reported)
    }
}
