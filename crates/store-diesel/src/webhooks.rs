//! [`WebhookStore`]: endpoints, the fan-out of the feed into deliveries, and deliveries
//! handed out under leases.
//!
//! Several server processes may run the same loops on one PostgreSQL: the fan-out locks the
//! endpoints it works on with `FOR UPDATE SKIP LOCKED` (each endpoint's position moves in
//! the transaction that creates its deliveries, and a unique key refuses a second delivery of
//! one event to one endpoint), and a claim leases due deliveries with
//! `FOR UPDATE SKIP LOCKED`, so two processes never take the same one while its lease runs.
//! On SQLite the write transaction (`BEGIN IMMEDIATE`) is the lock.

use std::collections::HashMap;

use async_trait::async_trait;
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Integer, Nullable, Text, Timestamp};
use supportdesk_app::{
    event_kinds, ClaimedDelivery, Delivery, DeliveryStatus, EventSelection, StoreError, StoreResult, TenantEvent,
    WebhookEndpoint, WebhookSecret, WebhookStore, WebhookUrl,
};
use supportdesk_domain::TenantKey;
use time::{OffsetDateTime, PrimitiveDateTime};
use uuid::Uuid;

use crate::db::{bookkeeping_transaction, on_backend, one_snapshot, write_transaction, DbConnection};
use crate::error::Failure;
use crate::feed::{after_position, feed_events_by_id, SETTLED};
use crate::rows::{from_db_time, id_text, to_db_time, uuid, NewEventRow};
use crate::schema::{events, webhook_deliveries, webhook_endpoints};
use crate::store::DieselStore;

/// An endpoint row.
#[derive(Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = webhook_endpoints)]
struct EndpointRow {
    tenant: String,
    id: String,
    url: String,
    events: String,
    active: bool,
    description: String,
    secret: String,
    cursor_txid: i64,
    cursor_seq: i64,
    failing_since: Option<PrimitiveDateTime>,
    disabled_at: Option<PrimitiveDateTime>,
    created_at: PrimitiveDateTime,
    updated_at: PrimitiveDateTime,
}

fn selection_text(events: &EventSelection) -> String {
    match events {
        EventSelection::All => "*".to_owned(),
        EventSelection::Only(kinds) => kinds.join(","),
    }
}

fn selection(raw: &str) -> Result<EventSelection, Failure> {
    if raw == "*" {
        return Ok(EventSelection::All);
    }
    raw.split(',')
        .map(|kind| {
            event_kinds()
                .find(|k| *k == kind)
                .ok_or_else(|| Failure::Corrupt(format!("webhook event kind {kind} is unknown")))
        })
        .collect::<Result<Vec<_>, _>>()
        .map(EventSelection::Only)
}

impl EndpointRow {
    fn new(e: &WebhookEndpoint, cursor: (i64, i64)) -> Self {
        Self {
            tenant: e.tenant.to_string(),
            id: id_text(e.id),
            url: e.url.as_str().to_owned(),
            events: selection_text(&e.events),
            active: e.active,
            description: e.description.clone(),
            secret: e.secret.expose().to_owned(),
            cursor_txid: cursor.0,
            cursor_seq: cursor.1,
            failing_since: e.failing_since.map(to_db_time),
            disabled_at: e.disabled_at.map(to_db_time),
            created_at: to_db_time(e.created_at),
            updated_at: to_db_time(e.updated_at),
        }
    }
}

impl TryFrom<EndpointRow> for WebhookEndpoint {
    type Error = Failure;

    fn try_from(row: EndpointRow) -> Result<Self, Failure> {
        let corrupt = |e: supportdesk_app::FieldError| Failure::Corrupt(format!("webhook {}: {}", e.field, e.message));
        Ok(WebhookEndpoint {
            id: uuid(&row.id)?,
            tenant: TenantKey::parse(&row.tenant)?,
            url: WebhookUrl::parse(&row.url).map_err(corrupt)?,
            events: selection(&row.events)?,
            active: row.active,
            description: row.description,
            secret: WebhookSecret::parse(&row.secret).map_err(corrupt)?,
            failing_since: row.failing_since.map(from_db_time),
            disabled_at: row.disabled_at.map(from_db_time),
            created_at: from_db_time(row.created_at),
            updated_at: from_db_time(row.updated_at),
        })
    }
}

/// A delivery row. `None` is written as NULL (not `DEFAULT`) so that SQLite takes several
/// rows in one `INSERT`.
#[derive(Debug, Queryable, Selectable, QueryableByName, Insertable)]
#[diesel(table_name = webhook_deliveries, treat_none_as_default_value = false)]
struct DeliveryRow {
    tenant: String,
    id: String,
    endpoint_id: String,
    event_id: String,
    status: String,
    attempts: i32,
    response_status: Option<i32>,
    duration_ms: Option<i64>,
    error: Option<String>,
    next_attempt_at: Option<PrimitiveDateTime>,
    lease_until: Option<PrimitiveDateTime>,
    created_at: PrimitiveDateTime,
}

impl TryFrom<DeliveryRow> for Delivery {
    type Error = Failure;

    fn try_from(row: DeliveryRow) -> Result<Self, Failure> {
        Ok(Delivery {
            id: uuid(&row.id)?,
            tenant: TenantKey::parse(&row.tenant)?,
            endpoint_id: uuid(&row.endpoint_id)?,
            event_id: uuid(&row.event_id)?,
            attempts: row.attempts,
            status: DeliveryStatus::parse(&row.status)
                .ok_or_else(|| Failure::Corrupt(format!("delivery status {} is unknown", row.status)))?,
            response_status: row.response_status,
            duration_ms: row.duration_ms,
            error: row.error,
            next_attempt_at: row.next_attempt_at.map(from_db_time),
            created_at: from_db_time(row.created_at),
        })
    }
}

/// The last committed position of the tenant's feed, `(0, 0)` when it is empty: a new
/// endpoint gets what commits after it was added. (An event of a transaction still in
/// flight at that moment and positioned below goes to the endpoints that existed before.)
pub(crate) fn feed_end(conn: &mut DbConnection, tenant: &str) -> Result<(i64, i64), Failure> {
    Ok(events::table
        .filter(events::tenant.eq(tenant))
        .order_by((events::txid.desc(), events::seq.desc()))
        .select((events::txid, events::seq))
        .first::<(i64, i64)>(conn)
        .optional()?
        .unwrap_or((0, 0)))
}

/// Saves the attempts' outcomes and moves each endpoint's failing mark as if the attempts
/// were recorded one after the other (a failure marks the endpoint failing since `at`
/// unless it already was, a success clears the mark); returns, for each attempt, its
/// endpoint's mark after it. One statement for up to [`OUTCOMES_PER_STATEMENT`] attempts,
/// one read of the endpoints' marks, and one write per endpoint whose mark moved: on
/// PostgreSQL each statement is a round trip, and the worker records every delivery it
/// sends.
fn record(
    conn: &mut DbConnection,
    attempts: &[(Delivery, bool)],
    at: PrimitiveDateTime,
) -> Result<Vec<Option<OffsetDateTime>>, Failure> {
    for batch in attempts.chunks(OUTCOMES_PER_STATEMENT) {
        save_outcomes(conn, batch)?;
    }
    // Each endpoint's mark as stored (absent: the endpoint was deleted meanwhile), then as
    // each attempt leaves it.
    let mut marks: HashMap<(String, String), (Option<PrimitiveDateTime>, Option<PrimitiveDateTime>)> = HashMap::new();
    for (tenant, ids) in group_endpoints(attempts) {
        let stored: Vec<(String, Option<PrimitiveDateTime>)> = webhook_endpoints::table
            .filter(webhook_endpoints::tenant.eq(&tenant))
            .filter(webhook_endpoints::id.eq_any(ids))
            .select((webhook_endpoints::id, webhook_endpoints::failing_since))
            .load(conn)?;
        for (id, failing) in stored {
            marks.insert((tenant.clone(), id), (failing, failing));
        }
    }
    let after = attempts
        .iter()
        .map(|(d, succeeded)| {
            let key = (d.tenant.to_string(), id_text(d.endpoint_id));
            let (_, mark) = marks.get_mut(&key)?;
            *mark = if *succeeded { None } else { Some(mark.unwrap_or(at)) };
            mark.map(from_db_time)
        })
        .collect();
    // A success on an endpoint that was not failing changes nothing: no write. The rows are
    // locked in key order, so two processes recording for the same endpoints cannot
    // deadlock.
    let mut moved: Vec<_> = marks.into_iter().filter(|(_, (stored, mark))| mark != stored).collect();
    moved.sort_by(|(a, _), (b, _)| a.cmp(b));
    for ((tenant, id), (_, mark)) in moved {
        diesel::update(
            webhook_endpoints::table.filter(webhook_endpoints::tenant.eq(tenant)).filter(webhook_endpoints::id.eq(id)),
        )
        .set(webhook_endpoints::failing_since.eq(mark))
        .execute(conn)?;
    }
    Ok(after)
}

/// The most outcomes one statement saves (8 values each; SQLite binds at most 32,766).
const OUTCOMES_PER_STATEMENT: usize = 64;

/// The type of each column of an outcome's `VALUES` row on PostgreSQL, in bind order.
const PG_OUTCOME_CASTS: [&str; 8] = ["", "", "", "::int4", "::int4", "::int8", "::text", "::timestamp"];

/// Saves the outcomes of `batch` in one `UPDATE … FROM (VALUES …)`, each row by its key,
/// its lease freed.
fn save_outcomes(conn: &mut DbConnection, batch: &[(Delivery, bool)]) -> QueryResult<usize> {
    // PostgreSQL types a VALUES column from its first row: the casts keep NULLs typed.
    // SQLite names the columns column1 … column8.
    let (rows, sql) = match conn {
        DbConnection::Pg(_) => (
            (0..batch.len())
                .map(|row| {
                    let values = PG_OUTCOME_CASTS
                        .iter()
                        .enumerate()
                        .map(|(column, cast)| format!("${}{cast}", row * PG_OUTCOME_CASTS.len() + column + 1));
                    format!("({})", values.collect::<Vec<_>>().join(", "))
                })
                .collect::<Vec<_>>(),
            "UPDATE webhook_deliveries d SET status = v.status, attempts = v.attempts, \
             response_status = v.response_status, duration_ms = v.duration_ms, error = v.error, \
             next_attempt_at = v.next_attempt_at, lease_until = NULL FROM (VALUES {rows}) \
             AS v (tenant, id, status, attempts, response_status, duration_ms, error, next_attempt_at) \
             WHERE d.tenant = v.tenant AND d.id = v.id",
        ),
        DbConnection::Sqlite(_) => (
            vec!["(?, ?, ?, ?, ?, ?, ?, ?)".to_owned(); batch.len()],
            "UPDATE webhook_deliveries SET status = v.column3, attempts = v.column4, \
             response_status = v.column5, duration_ms = v.column6, error = v.column7, \
             next_attempt_at = v.column8, lease_until = NULL FROM (VALUES {rows}) AS v \
             WHERE webhook_deliveries.tenant = v.column1 AND webhook_deliveries.id = v.column2",
        ),
    };
    let sql = sql.replace("{rows}", &rows.join(", "));
    macro_rules! bind_outcomes {
        ($c:expr, $backend:ty) => {{
            let mut query = diesel::sql_query(&sql).into_boxed::<$backend>();
            for (d, _) in batch {
                query = query
                    .bind::<Text, _>(d.tenant.as_str().to_owned())
                    .bind::<Text, _>(id_text(d.id))
                    .bind::<Text, _>(d.status.as_str())
                    .bind::<Integer, _>(d.attempts)
                    .bind::<Nullable<Integer>, _>(d.response_status)
                    .bind::<Nullable<BigInt>, _>(d.duration_ms)
                    .bind::<Nullable<Text>, _>(d.error.clone())
                    .bind::<Nullable<Timestamp>, _>(d.next_attempt_at.map(to_db_time));
            }
            query.execute($c)
        }};
    }
    match conn {
        DbConnection::Pg(c) => bind_outcomes!(c, diesel::pg::Pg),
        DbConnection::Sqlite(c) => bind_outcomes!(c, diesel::sqlite::Sqlite),
    }
}

/// The endpoints of `attempts`, by tenant, each once.
fn group_endpoints(attempts: &[(Delivery, bool)]) -> HashMap<String, Vec<String>> {
    let mut by_tenant: HashMap<String, Vec<String>> = HashMap::new();
    for (d, _) in attempts {
        let ids = by_tenant.entry(d.tenant.to_string()).or_default();
        let id = id_text(d.endpoint_id);
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    by_tenant
}

/// Creates the deliveries of one endpoint after its position, the first `lease.1` of them
/// leased until `lease.0` when given; returns how many it created and the leased ones.
fn fan_out_one(
    conn: &mut DbConnection,
    row: &EndpointRow,
    now: PrimitiveDateTime,
    lease: Option<(PrimitiveDateTime, usize)>,
    limit: i64,
) -> Result<(usize, Vec<DeliveryRow>), Failure> {
    let is_pg = matches!(conn, DbConnection::Pg(_));
    let query = events::table.filter(events::tenant.eq(&row.tenant)).into_boxed();
    let mut query = after_position(query, is_pg, row.cursor_txid, row.cursor_seq);
    let kinds = selection(&row.events)?;
    if !kinds.kinds().is_empty() {
        query = query.filter(events::kind.eq_any(kinds.kinds().to_vec()));
    }
    if is_pg {
        query = query.filter(sql::<Bool>(SETTLED));
    }
    let found: Vec<(String, i64, i64)> = query
        .order_by((events::txid.asc(), events::seq.asc()))
        .limit(limit)
        .select((events::id, events::txid, events::seq))
        .load(conn)?;
    let Some((_, txid, seq)) = found.last().cloned() else { return Ok((0, Vec::new())) };
    let (lease_until, leased) = lease.map_or((None, 0), |(until, at_most)| (Some(until), at_most));
    let rows: Vec<DeliveryRow> = found
        .into_iter()
        .enumerate()
        .map(|(index, (event_id, _, _))| DeliveryRow {
            tenant: row.tenant.clone(),
            id: id_text(Uuid::now_v7()),
            endpoint_id: row.id.clone(),
            event_id,
            status: DeliveryStatus::Pending.as_str().to_owned(),
            attempts: 0,
            response_status: None,
            duration_ms: None,
            error: None,
            next_attempt_at: Some(now),
            lease_until: lease_until.filter(|_| index < leased),
            created_at: now,
        })
        .collect();
    // Only the rows this call inserted are returned: one already there (another process's)
    // is not handed out twice.
    let inserted: Vec<String> = on_backend!(conn, |c| diesel::insert_into(webhook_deliveries::table)
        .values(&rows)
        .on_conflict((webhook_deliveries::tenant, webhook_deliveries::endpoint_id, webhook_deliveries::event_id))
        .do_nothing()
        .returning(webhook_deliveries::id)
        .get_results(c))?;
    diesel::update(
        webhook_endpoints::table
            .filter(webhook_endpoints::tenant.eq(&row.tenant))
            .filter(webhook_endpoints::id.eq(&row.id)),
    )
    .set((webhook_endpoints::cursor_txid.eq(txid), webhook_endpoints::cursor_seq.eq(seq)))
    .execute(conn)?;
    let mut created = rows;
    if created.len() != inserted.len() {
        created.retain(|row| inserted.contains(&row.id));
    }
    let count = created.len();
    created.retain(|row| row.lease_until.is_some());
    Ok((count, created))
}

/// Fans out every active endpoint (see [`WebhookStore::fan_out`]) in one transaction, at
/// most `lease.1` of the new deliveries leased until `lease.0` when given; returns how many
/// it created and the leased ones.
fn fan_out_all(
    conn: &mut DbConnection,
    now: PrimitiveDateTime,
    lease: Option<(PrimitiveDateTime, usize)>,
    limit: i64,
) -> Result<(usize, Vec<Delivery>), Failure> {
    bookkeeping_transaction(conn, |conn| {
        let endpoints: Vec<EndpointRow> = match conn {
            DbConnection::Pg(c) => webhook_endpoints::table
                .filter(webhook_endpoints::active.eq(true))
                .select(EndpointRow::as_select())
                .for_update()
                .skip_locked()
                .load(c)?,
            DbConnection::Sqlite(c) => webhook_endpoints::table
                .filter(webhook_endpoints::active.eq(true))
                .select(EndpointRow::as_select())
                .load(c)?,
        };
        let (mut created, mut leased) = (0, Vec::new());
        for row in &endpoints {
            let budget = lease.map(|(until, at_most)| (until, at_most.saturating_sub(leased.len())));
            let (count, rows) = fan_out_one(conn, row, now, budget, limit)?;
            created += count;
            for delivery in rows {
                leased.push(Delivery::try_from(delivery)?);
            }
        }
        Ok((created, leased))
    })
}

/// The claim: due, pending, lease free; leased in the same statement.
const CLAIM_PG: &str = "UPDATE webhook_deliveries SET lease_until = $1 WHERE (tenant, id) IN ( \
    SELECT tenant, id FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= $2 \
    AND (lease_until IS NULL OR lease_until <= $2) AND EXISTS (SELECT 1 FROM webhook_endpoints e WHERE e.tenant = webhook_deliveries.tenant \
    AND e.id = webhook_deliveries.endpoint_id AND e.active) ORDER BY next_attempt_at LIMIT $3 \
    FOR UPDATE SKIP LOCKED) RETURNING *";
const CLAIM_SQLITE: &str = "UPDATE webhook_deliveries SET lease_until = ?1 WHERE (tenant, id) IN ( \
    SELECT tenant, id FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= ?2 \
    AND (lease_until IS NULL OR lease_until <= ?2) AND EXISTS (SELECT 1 FROM webhook_endpoints e WHERE e.tenant = webhook_deliveries.tenant \
    AND e.id = webhook_deliveries.endpoint_id AND e.active) ORDER BY next_attempt_at LIMIT ?3) RETURNING *";

fn claim(
    conn: &mut DbConnection,
    now: PrimitiveDateTime,
    lease_until: PrimitiveDateTime,
    limit: i64,
) -> Result<Vec<Delivery>, Failure> {
    let rows: Vec<DeliveryRow> = lease_due(conn, (CLAIM_PG, CLAIM_SQLITE), now, lease_until, limit)?;
    rows.into_iter().map(Delivery::try_from).collect()
}

/// Runs an outbox's claim statement, `sql` for PostgreSQL and for SQLite, each binding the
/// lease's end, the time and the limit: it leases up to `limit` due rows and returns them.
pub(crate) fn lease_due<R>(
    conn: &mut DbConnection,
    (pg, sqlite): (&str, &str),
    now: PrimitiveDateTime,
    lease_until: PrimitiveDateTime,
    limit: i64,
) -> QueryResult<Vec<R>>
where
    R: QueryableByName<diesel::pg::Pg> + QueryableByName<diesel::sqlite::Sqlite> + 'static,
{
    match conn {
        DbConnection::Pg(c) => diesel::sql_query(pg)
            .bind::<Timestamp, _>(lease_until)
            .bind::<Timestamp, _>(now)
            .bind::<BigInt, _>(limit)
            .load(c),
        DbConnection::Sqlite(c) => diesel::sql_query(sqlite)
            .bind::<Timestamp, _>(lease_until)
            .bind::<Timestamp, _>(now)
            .bind::<BigInt, _>(limit)
            .load(c),
    }
}

/// The claimed `deliveries` with their endpoints and events, read after the claim
/// committed (events never change; an endpoint deleted or disabled since drops its
/// deliveries, which keep their lease until it runs out; see [`feed_events_by_id`]).
fn with_endpoints_and_events(
    conn: &mut DbConnection,
    deliveries: Vec<Delivery>,
) -> Result<Vec<ClaimedDelivery>, Failure> {
    let mut endpoints: HashMap<(TenantKey, Uuid), Option<WebhookEndpoint>> = HashMap::new();
    for d in &deliveries {
        if let std::collections::hash_map::Entry::Vacant(slot) = endpoints.entry((d.tenant.clone(), d.endpoint_id)) {
            // Disabled since the claim: not sent; the claim passes it by until it is active.
            slot.insert(endpoint(conn, d.tenant.as_str(), &id_text(d.endpoint_id))?.filter(|e| e.active));
        }
    }
    let events = feed_events_by_id(conn, deliveries.iter().map(|d| (d.tenant.clone(), d.event_id)))?;
    Ok(deliveries
        .into_iter()
        .filter_map(|delivery| {
            let endpoint = endpoints.get(&(delivery.tenant.clone(), delivery.endpoint_id)).cloned().flatten()?;
            let event = events.get(&delivery.event_id).cloned()?;
            Some(ClaimedDelivery { delivery, endpoint, event })
        })
        .collect())
}

fn endpoint(conn: &mut DbConnection, tenant: &str, id: &str) -> Result<Option<WebhookEndpoint>, Failure> {
    webhook_endpoints::table
        .filter(webhook_endpoints::tenant.eq(tenant))
        .filter(webhook_endpoints::id.eq(id))
        .select(EndpointRow::as_select())
        .get_result(conn)
        .optional()?
        .map(WebhookEndpoint::try_from)
        .transpose()
}

#[async_trait]
impl WebhookStore for DieselStore {
    #[tracing::instrument(level = "debug", skip_all, fields(tenant = %endpoint.tenant, webhook.id = %endpoint.id))]
    async fn insert_webhook(&self, endpoint: &WebhookEndpoint) -> StoreResult<()> {
        let endpoint = endpoint.clone();
        self.write(move |conn| {
            write_transaction(conn, |conn| {
                let cursor = feed_end(conn, endpoint.tenant.as_str())?;
                diesel::insert_into(webhook_endpoints::table)
                    .values(EndpointRow::new(&endpoint, cursor))
                    .execute(conn)?;
                Ok(())
            })
        })
        .await
    }

    async fn webhook(&self, tenant: &TenantKey, id: Uuid) -> StoreResult<Option<WebhookEndpoint>> {
        let (tenant, id) = (tenant.to_string(), id_text(id));
        self.read(move |conn| endpoint(conn, &tenant, &id)).await
    }

    async fn list_webhooks(&self, tenant: &TenantKey) -> StoreResult<Vec<WebhookEndpoint>> {
        let tenant = tenant.to_string();
        self.read(move |conn| {
            webhook_endpoints::table
                .filter(webhook_endpoints::tenant.eq(tenant))
                .order_by((webhook_endpoints::created_at.asc(), webhook_endpoints::id.asc()))
                .select(EndpointRow::as_select())
                .load(conn)?
                .into_iter()
                .map(WebhookEndpoint::try_from)
                .collect()
        })
        .await
    }

    async fn update_webhook(&self, endpoint: &WebhookEndpoint) -> StoreResult<()> {
        let row = EndpointRow::new(endpoint, (0, 0));
        self.write(move |conn| {
            let updated = diesel::update(
                webhook_endpoints::table
                    .filter(webhook_endpoints::tenant.eq(&row.tenant))
                    .filter(webhook_endpoints::id.eq(&row.id)),
            )
            .set((
                webhook_endpoints::url.eq(&row.url),
                webhook_endpoints::events.eq(&row.events),
                webhook_endpoints::active.eq(row.active),
                webhook_endpoints::description.eq(&row.description),
                webhook_endpoints::secret.eq(&row.secret),
                webhook_endpoints::failing_since.eq(row.failing_since),
                webhook_endpoints::disabled_at.eq(row.disabled_at),
                webhook_endpoints::updated_at.eq(row.updated_at),
            ))
            .execute(conn)?;
            if updated == 0 {
                return Err(Failure::Store(StoreError::NotFound));
            }
            Ok(())
        })
        .await
    }

    async fn disable_webhook(
        &self,
        tenant: &TenantKey,
        id: Uuid,
        at: OffsetDateTime,
        event: &TenantEvent,
    ) -> StoreResult<bool> {
        let row = NewEventRow::tenant_event(tenant, event).map_err(Failure::into_store_error)?;
        let (tenant, id, at) = (tenant.to_string(), id_text(id), to_db_time(at));
        self.write(move |conn| {
            write_transaction(conn, |conn| {
                let disabled = diesel::update(
                    webhook_endpoints::table
                        .filter(webhook_endpoints::tenant.eq(&tenant))
                        .filter(webhook_endpoints::id.eq(&id))
                        .filter(webhook_endpoints::active.eq(true)),
                )
                .set((
                    webhook_endpoints::active.eq(false),
                    webhook_endpoints::disabled_at.eq(Some(at)),
                    webhook_endpoints::updated_at.eq(at),
                ))
                .execute(conn)?;
                if disabled == 0 {
                    return Ok(false);
                }
                diesel::insert_into(events::table).values(&row).execute(conn)?;
                Ok(true)
            })
        })
        .await
    }

    async fn delete_webhook(&self, tenant: &TenantKey, id: Uuid) -> StoreResult<bool> {
        let (tenant, id) = (tenant.to_string(), id_text(id));
        self.write(move |conn| {
            write_transaction(conn, |conn| {
                diesel::delete(
                    webhook_deliveries::table
                        .filter(webhook_deliveries::tenant.eq(&tenant))
                        .filter(webhook_deliveries::endpoint_id.eq(&id)),
                )
                .execute(conn)?;
                let deleted = diesel::delete(
                    webhook_endpoints::table
                        .filter(webhook_endpoints::tenant.eq(&tenant))
                        .filter(webhook_endpoints::id.eq(&id)),
                )
                .execute(conn)?;
                Ok(deleted > 0)
            })
        })
        .await
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn fan_out(&self, now: OffsetDateTime, limit: usize) -> StoreResult<usize> {
        Ok(self.fan_out_deliveries(now, None, limit).await?.0)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn fan_out_leased(
        &self,
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
        limit: usize,
        at_most: usize,
    ) -> StoreResult<Vec<ClaimedDelivery>> {
        let (_, created) = self.fan_out_deliveries(now, Some((lease_until, at_most)), limit).await?;
        self.ready_to_send(created).await
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn claim_deliveries(
        &self,
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
        limit: usize,
    ) -> StoreResult<Vec<ClaimedDelivery>> {
        let (now, lease_until) = (to_db_time(now), to_db_time(lease_until));
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        // As in `fan_out`: look before taking the write lock. The partial index on pending
        // deliveries makes this a probe; deliveries in flight under a lease do not count
        // (the worker sends what it fans out under a lease and claims between).
        let any = self
            .quick_read(move |conn| {
                Ok(diesel::select(diesel::dsl::exists(
                    webhook_deliveries::table
                        .filter(webhook_deliveries::status.eq(DeliveryStatus::Pending.as_str()))
                        .filter(webhook_deliveries::next_attempt_at.le(now))
                        .filter(webhook_deliveries::lease_until.is_null().or(webhook_deliveries::lease_until.le(now)))
                        .filter(diesel::dsl::exists(
                            webhook_endpoints::table
                                .filter(webhook_endpoints::tenant.eq(webhook_deliveries::tenant))
                                .filter(webhook_endpoints::id.eq(webhook_deliveries::endpoint_id))
                                .filter(webhook_endpoints::active.eq(true)),
                        )),
                ))
                .get_result::<bool>(conn)?)
            })
            .await?;
        if !any {
            return Ok(Vec::new());
        }
        let deliveries =
            self.write(move |conn| bookkeeping_transaction(conn, |conn| claim(conn, now, lease_until, limit))).await?;
        self.ready_to_send(deliveries).await
    }

    async fn pending_deliveries(&self) -> StoreResult<u64> {
        // The partial index of pending deliveries (`webhook_deliveries_due`) holds exactly
        // these rows: the count reads it, not the delivery log (on PostgreSQL without the
        // heap only where the visibility map allows, which the table's vacuum keeps up).
        let pending: i64 = self
            .quick_read(|conn| {
                Ok(webhook_deliveries::table
                    .filter(webhook_deliveries::status.eq(DeliveryStatus::Pending.as_str()))
                    .count()
                    .get_result(conn)?)
            })
            .await?;
        Ok(u64::try_from(pending).unwrap_or(0))
    }

    #[tracing::instrument(level = "debug", skip_all, fields(attempts = attempts.len()))]
    async fn record_attempts(
        &self,
        attempts: &[(Delivery, bool)],
        at: OffsetDateTime,
    ) -> StoreResult<Vec<Option<OffsetDateTime>>> {
        let attempts = attempts.to_vec();
        let at = to_db_time(at);
        self.write(move |conn| bookkeeping_transaction(conn, |conn| record(conn, &attempts, at))).await
    }

    async fn list_deliveries(
        &self,
        tenant: &TenantKey,
        endpoint: Uuid,
        before: Option<Uuid>,
        limit: usize,
    ) -> StoreResult<Vec<Delivery>> {
        let (tenant, endpoint) = (tenant.to_string(), id_text(endpoint));
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.read(move |conn| {
            let mut query = webhook_deliveries::table
                .filter(webhook_deliveries::tenant.eq(tenant))
                .filter(webhook_deliveries::endpoint_id.eq(endpoint))
                .into_boxed();
            if let Some(before) = before {
                query = query.filter(webhook_deliveries::id.lt(id_text(before)));
            }
            query
                .order_by(webhook_deliveries::id.desc())
                .limit(limit)
                .select(DeliveryRow::as_select())
                .load(conn)?
                .into_iter()
                .map(Delivery::try_from)
                .collect()
        })
        .await
    }

    async fn retry_delivery(
        &self,
        tenant: &TenantKey,
        endpoint: Uuid,
        delivery: Uuid,
        now: OffsetDateTime,
    ) -> StoreResult<Option<Delivery>> {
        let (tenant, endpoint, delivery) = (tenant.to_string(), id_text(endpoint), id_text(delivery));
        let now = to_db_time(now);
        self.write(move |conn| {
            write_transaction(conn, |conn| {
                let this = webhook_deliveries::table
                    .filter(webhook_deliveries::tenant.eq(&tenant))
                    .filter(webhook_deliveries::endpoint_id.eq(&endpoint))
                    .filter(webhook_deliveries::id.eq(&delivery));
                let updated = diesel::update(this)
                    .set((
                        webhook_deliveries::status.eq(DeliveryStatus::Pending.as_str()),
                        webhook_deliveries::next_attempt_at.eq(Some(now)),
                        webhook_deliveries::lease_until.eq(None::<PrimitiveDateTime>),
                    ))
                    .execute(conn)?;
                if updated == 0 {
                    return Ok(None);
                }
                this.select(DeliveryRow::as_select()).get_result(conn)?.try_into().map(Some)
            })
        })
        .await
    }
}

impl DieselStore {
    /// Leased `deliveries` with their endpoints and events, read on a reader after the lease
    /// committed ([`with_endpoints_and_events`]).
    async fn ready_to_send(&self, deliveries: Vec<Delivery>) -> StoreResult<Vec<ClaimedDelivery>> {
        if deliveries.is_empty() {
            return Ok(Vec::new());
        }
        self.read(move |conn| one_snapshot(conn, |conn| with_endpoints_and_events(conn, deliveries))).await
    }

    /// The fan-out of [`WebhookStore::fan_out`], at most `lease.1` of its deliveries leased
    /// until `lease.0` when given; how many it created and the leased ones.
    async fn fan_out_deliveries(
        &self,
        now: OffsetDateTime,
        lease: Option<(OffsetDateTime, usize)>,
        limit: usize,
    ) -> StoreResult<(usize, Vec<Delivery>)> {
        let (now, lease) = (to_db_time(now), lease.map(|(until, at_most)| (to_db_time(until), at_most)));
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        // The worker calls this several times a second: without an active endpoint it must
        // not take the write lock (SQLite) or a connection from the writer pool.
        let any = self
            .quick_read(|conn| {
                Ok(diesel::select(diesel::dsl::exists(
                    webhook_endpoints::table.filter(webhook_endpoints::active.eq(true)),
                ))
                .get_result::<bool>(conn)?)
            })
            .await?;
        if !any {
            return Ok((0, Vec::new()));
        }
        self.write(move |conn| fan_out_all(conn, now, lease, limit)).await
    }
}
