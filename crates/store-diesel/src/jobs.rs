//! [`JobStore`]: the job runner's table, and what the standard jobs read and delete.
//!
//! A claim takes one due job row whose lease is free or ran out: on PostgreSQL with
//! `FOR UPDATE SKIP LOCKED`, so two processes never take the same job and neither waits for
//! the other; on SQLite the write transaction (`BEGIN IMMEDIATE`) is the lock.

use async_trait::async_trait;
use diesel::prelude::*;
use supportdesk_app::{JobStore, StoreResult};
use supportdesk_domain::{Status, TenantKey, TicketId};
use time::{OffsetDateTime, PrimitiveDateTime};

use crate::db::{on_backend, write_transaction, DbConnection};
use crate::error::Failure;
use crate::rows::{from_db_time, to_db_time, uuid};
use crate::schema::{idempotency_keys, jobs, tenants, tickets};
use crate::store::DieselStore;

#[derive(Debug, Insertable)]
#[diesel(table_name = jobs)]
struct NewJobRow {
    name: String,
    next_run_at: PrimitiveDateTime,
}

/// The due, unleased job among `names` that waited longest, locked for this transaction.
fn due_job(conn: &mut DbConnection, names: &[String], now: PrimitiveDateTime) -> Result<Option<String>, Failure> {
    let due = jobs::table
        .filter(jobs::name.eq_any(names.to_vec()))
        .filter(jobs::next_run_at.le(now))
        .filter(jobs::lease_until.is_null().or(jobs::lease_until.le(now)))
        .order((jobs::next_run_at, jobs::name))
        .select(jobs::name)
        .limit(1);
    Ok(match conn {
        DbConnection::Pg(c) => due.for_update().skip_locked().get_result(c).optional()?,
        DbConnection::Sqlite(c) => due.get_result(c).optional()?,
    })
}

#[async_trait]
impl JobStore for DieselStore {
    #[tracing::instrument(level = "debug", skip_all)]
    async fn ensure_jobs(&self, names: &[&'static str], now: OffsetDateTime) -> StoreResult<()> {
        let rows: Vec<NewJobRow> =
            names.iter().map(|name| NewJobRow { name: (*name).to_owned(), next_run_at: to_db_time(now) }).collect();
        self.write(move |conn| {
            for row in &rows {
                on_backend!(conn, |c| diesel::insert_into(jobs::table)
                    .values(row)
                    .on_conflict(jobs::name)
                    .do_nothing()
                    .execute(c))?;
            }
            Ok(())
        })
        .await
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn claim_job(
        &self,
        names: &[&'static str],
        owner: &str,
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
    ) -> StoreResult<Option<String>> {
        let names: Vec<String> = names.iter().map(|name| (*name).to_owned()).collect();
        let (now, lease_until, owner) = (to_db_time(now), to_db_time(lease_until), owner.to_owned());
        // Look before taking the write lock: most polls find nothing due.
        let probe = names.clone();
        let any = self
            .quick_read(move |conn| {
                Ok(diesel::select(diesel::dsl::exists(
                    jobs::table
                        .filter(jobs::name.eq_any(probe))
                        .filter(jobs::next_run_at.le(now))
                        .filter(jobs::lease_until.is_null().or(jobs::lease_until.le(now))),
                ))
                .get_result::<bool>(conn)?)
            })
            .await?;
        if !any {
            return Ok(None);
        }
        self.write(move |conn| {
            write_transaction(conn, |conn| {
                let Some(name) = due_job(conn, &names, now)? else { return Ok(None) };
                diesel::update(jobs::table.filter(jobs::name.eq(&name)))
                    .set((jobs::lease_owner.eq(&owner), jobs::lease_until.eq(lease_until)))
                    .execute(conn)?;
                Ok(Some(name))
            })
        })
        .await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(job = %name))]
    async fn finish_job(
        &self,
        name: &str,
        owner: &str,
        next_run_at: OffsetDateTime,
        error: Option<&str>,
    ) -> StoreResult<bool> {
        let (name, owner, error) = (name.to_owned(), owner.to_owned(), error.map(str::to_owned));
        let next_run_at = to_db_time(next_run_at);
        self.write(move |conn| {
            let updated = diesel::update(jobs::table.filter(jobs::name.eq(name)).filter(jobs::lease_owner.eq(owner)))
                .set((
                    jobs::lease_owner.eq(None::<String>),
                    jobs::lease_until.eq(None::<PrimitiveDateTime>),
                    jobs::next_run_at.eq(next_run_at),
                    jobs::last_error.eq(error),
                ))
                .execute(conn)?;
            Ok(updated == 1)
        })
        .await
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn prune_idempotency_records(&self, before: OffsetDateTime) -> StoreResult<u64> {
        let cutoff = to_db_time(before);
        self.write(move |conn| {
            let expired = idempotency_keys::table.filter(idempotency_keys::created_at.lt(cutoff));
            Ok(diesel::delete(expired).execute(conn)? as u64)
        })
        .await
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn auto_close_candidates(
        &self,
        now: OffsetDateTime,
        limit: usize,
    ) -> StoreResult<Vec<(TenantKey, TicketId)>> {
        let limit_rows = i64::try_from(limit).unwrap_or(i64::MAX);
        self.read(move |conn| {
            let policies: Vec<(String, i32)> = tenants::table
                .filter(tenants::auto_close_resolved_after_days.gt(0))
                .select((tenants::key, tenants::auto_close_resolved_after_days))
                .load(conn)?;
            let mut due: Vec<(OffsetDateTime, String, TenantKey)> = Vec::new();
            for (tenant, days) in policies {
                let cutoff = to_db_time(now - time::Duration::days(i64::from(days)));
                // Served by the partial index `tickets_resolved` (tenant, resolved_at).
                let rows: Vec<(String, Option<PrimitiveDateTime>)> = tickets::table
                    .filter(tickets::tenant.eq(&tenant))
                    .filter(tickets::status.eq(Status::Resolved.as_str()))
                    .filter(tickets::resolved_at.le(cutoff))
                    .filter(
                        tickets::last_customer_message_at
                            .is_null()
                            .or(tickets::last_customer_message_at.le(tickets::resolved_at)),
                    )
                    .order((tickets::resolved_at, tickets::id))
                    .select((tickets::id, tickets::resolved_at))
                    .limit(limit_rows)
                    .load(conn)?;
                let key = TenantKey::parse(&tenant)?;
                for (id, resolved_at) in rows {
                    let Some(resolved_at) = resolved_at else { continue };
                    due.push((from_db_time(resolved_at), id, key.clone()));
                }
            }
            due.sort();
            due.truncate(limit);
            due.into_iter().map(|(_, id, tenant)| Ok((tenant, TicketId::from_uuid(uuid(&id)?)))).collect()
        })
        .await
    }
}
