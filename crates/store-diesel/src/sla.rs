//! [`SlaStore`]: business calendars and SLA policies.

use async_trait::async_trait;
use diesel::dsl::sql;
use diesel::expression::SqlLiteral;
use diesel::prelude::*;
use diesel::sql_types::{Nullable, Text, Timestamp};
use supportdesk_app::{sla_storage, BusinessHours, SlaPolicy, SlaStore, StoreError, StoreResult};
use supportdesk_domain::{
    AgentId, BusinessCalendar, BusinessHoursId, CategoryId, CreatedFact, FactGroup, Priority, Rating, ReportFacts,
    ReportGroupBy, ReportRange, ResolvedFact, SlaMatch, SlaPolicyId, Source, TenantKey, Ticket,
};
use time::{OffsetDateTime, PrimitiveDateTime};

use crate::db::on_backend;
use crate::error::Failure;
use crate::rows::{from_db_time, id_text, to_db_time, uuid, TicketRow};
use crate::schema::{business_hours, sla_policies, tickets};
use crate::store::DieselStore;

/// A calendar row.
#[derive(Debug, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = business_hours)]
struct HoursRow {
    tenant: String,
    id: String,
    name: String,
    time_zone: String,
    week: String,
    holidays: String,
    created_at: PrimitiveDateTime,
    updated_at: PrimitiveDateTime,
}

impl From<&BusinessHours> for HoursRow {
    fn from(h: &BusinessHours) -> Self {
        Self {
            tenant: h.tenant.to_string(),
            id: id_text(h.id.as_uuid()),
            name: h.name.clone(),
            time_zone: h.calendar.time_zone().to_owned(),
            week: sla_storage::week_text(h.calendar.week()),
            holidays: sla_storage::holidays_text(h.calendar.holidays()),
            created_at: to_db_time(h.created_at),
            updated_at: to_db_time(h.updated_at),
        }
    }
}

impl TryFrom<HoursRow> for BusinessHours {
    type Error = Failure;

    fn try_from(row: HoursRow) -> Result<Self, Failure> {
        let calendar = BusinessCalendar::new(
            &row.time_zone,
            sla_storage::parse_week(&row.week)?,
            sla_storage::parse_holidays(&row.holidays)?,
        )?;
        Ok(BusinessHours {
            id: BusinessHoursId::from_uuid(uuid(&row.id)?),
            tenant: TenantKey::parse(&row.tenant)?,
            name: row.name,
            calendar,
            created_at: from_db_time(row.created_at),
            updated_at: from_db_time(row.updated_at),
        })
    }
}

/// A policy row.
#[derive(Debug, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = sla_policies, treat_none_as_null = true)]
struct PolicyRow {
    tenant: String,
    id: String,
    name: String,
    position: i32,
    match_priority: Option<String>,
    match_category_id: Option<String>,
    match_source: Option<String>,
    first_response_minutes: i32,
    next_response_minutes: Option<i32>,
    resolution_minutes: i32,
    business_hours_id: Option<String>,
    pause_while_answered: bool,
    created_at: PrimitiveDateTime,
    updated_at: PrimitiveDateTime,
}

impl From<&SlaPolicy> for PolicyRow {
    fn from(p: &SlaPolicy) -> Self {
        Self {
            tenant: p.tenant.to_string(),
            id: id_text(p.id.as_uuid()),
            name: p.name.clone(),
            position: p.position,
            match_priority: p.matches.priority.map(|v| v.as_str().to_owned()),
            match_category_id: p.matches.category_id.map(|v| id_text(v.as_uuid())),
            match_source: p.matches.source.map(|v| v.as_str().to_owned()),
            first_response_minutes: p.first_response_minutes,
            next_response_minutes: p.next_response_minutes,
            resolution_minutes: p.resolution_minutes,
            business_hours_id: p.business_hours_id.map(|v| id_text(v.as_uuid())),
            pause_while_answered: p.pause_while_answered,
            created_at: to_db_time(p.created_at),
            updated_at: to_db_time(p.updated_at),
        }
    }
}

impl TryFrom<PolicyRow> for SlaPolicy {
    type Error = Failure;

    fn try_from(row: PolicyRow) -> Result<Self, Failure> {
        Ok(SlaPolicy {
            id: SlaPolicyId::from_uuid(uuid(&row.id)?),
            tenant: TenantKey::parse(&row.tenant)?,
            name: row.name,
            position: row.position,
            matches: SlaMatch {
                priority: row.match_priority.as_deref().map(Priority::parse).transpose()?,
                category_id: row
                    .match_category_id
                    .as_deref()
                    .map(|raw| uuid(raw).map(CategoryId::from_uuid))
                    .transpose()?,
                source: row.match_source.as_deref().map(Source::parse).transpose()?,
            },
            first_response_minutes: row.first_response_minutes,
            next_response_minutes: row.next_response_minutes,
            resolution_minutes: row.resolution_minutes,
            business_hours_id: row
                .business_hours_id
                .as_deref()
                .map(|raw| uuid(raw).map(BusinessHoursId::from_uuid))
                .transpose()?,
            pause_while_answered: row.pause_while_answered,
            created_at: from_db_time(row.created_at),
            updated_at: from_db_time(row.updated_at),
        })
    }
}

#[async_trait]
impl SlaStore for DieselStore {
    async fn insert_business_hours(&self, hours: &BusinessHours) -> StoreResult<()> {
        let row = HoursRow::from(hours);
        self.write(move |conn| {
            diesel::insert_into(business_hours::table).values(&row).execute(conn)?;
            Ok(())
        })
        .await
    }

    async fn business_hours(&self, tenant: &TenantKey, id: BusinessHoursId) -> StoreResult<Option<BusinessHours>> {
        let (tenant, id) = (tenant.to_string(), id_text(id.as_uuid()));
        self.read(move |conn| {
            business_hours::table
                .filter(business_hours::tenant.eq(tenant))
                .filter(business_hours::id.eq(id))
                .select(HoursRow::as_select())
                .get_result(conn)
                .optional()?
                .map(BusinessHours::try_from)
                .transpose()
        })
        .await
    }

    async fn list_business_hours(&self, tenant: &TenantKey) -> StoreResult<Vec<BusinessHours>> {
        let tenant = tenant.to_string();
        self.read(move |conn| {
            business_hours::table
                .filter(business_hours::tenant.eq(tenant))
                .order_by((business_hours::created_at.asc(), business_hours::id.asc()))
                .select(HoursRow::as_select())
                .load(conn)?
                .into_iter()
                .map(BusinessHours::try_from)
                .collect()
        })
        .await
    }

    async fn update_business_hours(&self, hours: &BusinessHours) -> StoreResult<()> {
        let row = HoursRow::from(hours);
        self.write(move |conn| {
            let updated = diesel::update(
                business_hours::table
                    .filter(business_hours::tenant.eq(&row.tenant))
                    .filter(business_hours::id.eq(&row.id)),
            )
            .set((
                business_hours::name.eq(&row.name),
                business_hours::time_zone.eq(&row.time_zone),
                business_hours::week.eq(&row.week),
                business_hours::holidays.eq(&row.holidays),
                business_hours::updated_at.eq(row.updated_at),
            ))
            .execute(conn)?;
            if updated == 0 {
                return Err(Failure::Store(StoreError::NotFound));
            }
            Ok(())
        })
        .await
    }

    async fn delete_business_hours(&self, tenant: &TenantKey, id: BusinessHoursId) -> StoreResult<bool> {
        let (tenant, id) = (tenant.to_string(), id_text(id.as_uuid()));
        self.write(move |conn| {
            let deleted = diesel::delete(
                business_hours::table.filter(business_hours::tenant.eq(tenant)).filter(business_hours::id.eq(id)),
            )
            .execute(conn)?;
            Ok(deleted > 0)
        })
        .await
    }

    async fn insert_sla_policy(&self, policy: &SlaPolicy) -> StoreResult<()> {
        let row = PolicyRow::from(policy);
        self.write(move |conn| {
            diesel::insert_into(sla_policies::table).values(&row).execute(conn)?;
            Ok(())
        })
        .await
    }

    async fn sla_policy(&self, tenant: &TenantKey, id: SlaPolicyId) -> StoreResult<Option<SlaPolicy>> {
        let (tenant, id) = (tenant.to_string(), id_text(id.as_uuid()));
        self.read(move |conn| {
            sla_policies::table
                .filter(sla_policies::tenant.eq(tenant))
                .filter(sla_policies::id.eq(id))
                .select(PolicyRow::as_select())
                .get_result(conn)
                .optional()?
                .map(SlaPolicy::try_from)
                .transpose()
        })
        .await
    }

    async fn list_sla_policies(&self, tenant: &TenantKey) -> StoreResult<Vec<SlaPolicy>> {
        let tenant = tenant.to_string();
        self.read(move |conn| {
            sla_policies::table
                .filter(sla_policies::tenant.eq(tenant))
                .order_by((sla_policies::position.asc(), sla_policies::created_at.asc(), sla_policies::id.asc()))
                .select(PolicyRow::as_select())
                .load(conn)?
                .into_iter()
                .map(SlaPolicy::try_from)
                .collect()
        })
        .await
    }

    async fn update_sla_policy(&self, policy: &SlaPolicy) -> StoreResult<()> {
        let row = PolicyRow::from(policy);
        self.write(move |conn| {
            let updated = diesel::update(
                sla_policies::table.filter(sla_policies::tenant.eq(&row.tenant)).filter(sla_policies::id.eq(&row.id)),
            )
            .set(&row)
            .execute(conn)?;
            if updated == 0 {
                return Err(Failure::Store(StoreError::NotFound));
            }
            Ok(())
        })
        .await
    }

    async fn delete_sla_policy(&self, tenant: &TenantKey, id: SlaPolicyId) -> StoreResult<bool> {
        let (tenant, id) = (tenant.to_string(), id_text(id.as_uuid()));
        self.write(move |conn| {
            let deleted = diesel::delete(
                sla_policies::table.filter(sla_policies::tenant.eq(tenant)).filter(sla_policies::id.eq(id)),
            )
            .execute(conn)?;
            Ok(deleted > 0)
        })
        .await
    }

    async fn tickets_with_sla_alerts(&self, now: OffsetDateTime, limit: usize) -> StoreResult<Vec<Ticket>> {
        let now = to_db_time(now);
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.read(move |conn| {
            // Served by the partial index `tickets_sla_alert`.
            tickets::table
                .filter(tickets::sla_alert_at.lt(now))
                .order_by((tickets::sla_alert_at.asc(), tickets::id.asc()))
                .limit(limit)
                .select(TicketRow::as_select())
                .load(conn)?
                .into_iter()
                .map(Ticket::try_from)
                .collect()
        })
        .await
    }

    async fn report_facts(
        &self,
        tenant: &TenantKey,
        range: ReportRange,
        by: ReportGroupBy,
    ) -> StoreResult<ReportFacts> {
        let tenant = tenant.to_string();
        let (start, end) = (to_db_time(range.start()), to_db_time(range.end()));
        self.read(move |conn| {
            // Each of the three reads is one range of a covering index:
            // `tickets_report_created`, `tickets_report_resolved`, `tickets_report_reopened`.
            // A 30-day report at 1,000,000 tickets reads about 170,000 rows, so each row
            // carries only what the grouping needs, and decodes through the concrete
            // connection (through `MultiConnection` every field goes through one more layer
            // of enums).
            let group = |at: &'static str| group_columns(by, at);
            let created: Vec<(GroupColumns, Option<i64>)> = on_backend!(conn, |c| {
                tickets::table
                    .filter(tickets::tenant.eq(&tenant))
                    .filter(tickets::created_at.ge(start))
                    .filter(tickets::created_at.lt(end))
                    .select((group("created_at"), tickets::first_response_minutes))
                    .load(c)
            })?;
            type ResolvedRow = (GroupColumns, Option<i64>, Option<bool>, Option<String>);
            let resolved: Vec<ResolvedRow> = on_backend!(conn, |c| {
                tickets::table
                    .filter(tickets::tenant.eq(&tenant))
                    .filter(tickets::resolution_at.ge(start))
                    .filter(tickets::resolution_at.lt(end))
                    .select((
                        group("resolution_at"),
                        tickets::resolution_minutes,
                        tickets::sla_met,
                        tickets::satisfaction_rating,
                    ))
                    .load(c)
            })?;
            let reopened: Vec<GroupColumns> = on_backend!(conn, |c| {
                tickets::table
                    .filter(tickets::tenant.eq(&tenant))
                    .filter(tickets::reopened_at.ge(start))
                    .filter(tickets::reopened_at.lt(end))
                    .select(group("reopened_at"))
                    .load(c)
            })?;
            let mut facts = ReportFacts {
                created: Vec::with_capacity(created.len()),
                resolved: Vec::with_capacity(resolved.len()),
                reopened: Vec::with_capacity(reopened.len()),
            };
            for (columns, minutes) in created {
                facts.created.push(CreatedFact { group: fact_group(by, columns)?, first_response_minutes: minutes });
            }
            for (columns, minutes, sla_met, rating) in resolved {
                let group = fact_group(by, columns)?;
                let rating = rating.as_deref().map(Rating::parse).transpose()?;
                facts.resolved.push(ResolvedFact { group, resolution_minutes: minutes, sla_met, rating });
            }
            for columns in reopened {
                facts.reopened.push(fact_group(by, columns)?);
            }
            Ok(facts)
        })
        .await
    }
}

/// What a report reads of a fact's ticket for its grouping: the fact's time (for the time
/// groupings), the assignee or category id (for those), the priority's rank.
type GroupColumns = (Option<PrimitiveDateTime>, Option<String>, i16);

/// The select of [`GroupColumns`] for grouping `by`, with the fact's time in column `at`.
/// Columns the grouping does not use are read as SQL `NULL`, so no row decodes a time or
/// allocates an id it will not look at. The names are constants of this module, never input.
fn group_columns(
    by: ReportGroupBy,
    at: &'static str,
) -> (SqlLiteral<Nullable<Timestamp>>, SqlLiteral<Nullable<Text>>, tickets::priority) {
    let at = if by.by_time() { at } else { "CAST(NULL AS TIMESTAMP)" };
    let id = match by {
        ReportGroupBy::Agent => "assignee_id",
        ReportGroupBy::Category => "category_id",
        ReportGroupBy::Day | ReportGroupBy::Week | ReportGroupBy::Priority => "CAST(NULL AS TEXT)",
    };
    (sql::<Nullable<Timestamp>>(at), sql::<Nullable<Text>>(id), tickets::priority)
}

/// The group of a fact from the columns [`group_columns`] read for `by`.
fn fact_group(by: ReportGroupBy, (at, id, priority): GroupColumns) -> Result<FactGroup, Failure> {
    let missing = |what: &str| Failure::Corrupt(format!("a report row without its {what}"));
    Ok(match by {
        ReportGroupBy::Day | ReportGroupBy::Week => FactGroup::At(from_db_time(at.ok_or_else(|| missing("time"))?)),
        ReportGroupBy::Agent => FactGroup::Agent(id.as_deref().map(uuid).transpose()?.map(AgentId::from_uuid)),
        ReportGroupBy::Category => {
            FactGroup::Category(CategoryId::from_uuid(uuid(id.as_deref().ok_or_else(|| missing("category"))?)?))
        }
        ReportGroupBy::Priority => FactGroup::Priority(
            Priority::from_rank(priority)
                .ok_or_else(|| Failure::Corrupt(format!("priority rank {priority} is not 0..3")))?,
        ),
    })
}
