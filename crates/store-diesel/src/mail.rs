//! [`MailStore`]: notification settings and templates, and the mail outbox, fed from the
//! event feed and leased out like webhook deliveries (`webhooks.rs` explains the locking).

use async_trait::async_trait;
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::Bool;
use supportdesk_app::{
    ClaimedMail, DeliveryStatus, MailDelivery, MailSettings, MailStore, MailTemplate, NotificationKind, StoreResult,
};
use supportdesk_domain::{Email, TenantKey};
use time::{OffsetDateTime, PrimitiveDateTime};
use uuid::Uuid;

use crate::db::{bookkeeping_transaction, on_backend, one_snapshot, write_transaction, DbConnection};
use crate::error::Failure;
use crate::feed::{after_position, feed_events_by_id, SETTLED};
use crate::rows::{from_db_time, id_text, to_db_time, uuid};
use crate::schema::{events, mail_deliveries, mail_positions, notification_settings, notification_templates, tenants};
use crate::store::DieselStore;
use crate::webhooks::{feed_end, lease_due};

fn kind(raw: &str) -> Result<NotificationKind, Failure> {
    NotificationKind::parse(raw).map_err(|e| Failure::Corrupt(format!("notification kind: {}", e.message)))
}

/// A mail delivery row.
#[derive(Debug, Queryable, Selectable, QueryableByName, Insertable)]
#[diesel(table_name = mail_deliveries, treat_none_as_default_value = false)]
struct MailRow {
    tenant: String,
    id: String,
    event_id: String,
    status: String,
    attempts: i32,
    error: Option<String>,
    next_attempt_at: Option<PrimitiveDateTime>,
    lease_until: Option<PrimitiveDateTime>,
    created_at: PrimitiveDateTime,
}

impl TryFrom<MailRow> for MailDelivery {
    type Error = Failure;

    fn try_from(row: MailRow) -> Result<Self, Failure> {
        Ok(MailDelivery {
            id: uuid(&row.id)?,
            tenant: TenantKey::parse(&row.tenant)?,
            event_id: uuid(&row.event_id)?,
            attempts: row.attempts,
            status: DeliveryStatus::parse(&row.status)
                .ok_or_else(|| Failure::Corrupt(format!("mail status {} is unknown", row.status)))?,
            error: row.error,
            next_attempt_at: row.next_attempt_at.map(from_db_time),
            created_at: from_db_time(row.created_at),
        })
    }
}

const CLAIM_PG: &str = "UPDATE mail_deliveries SET lease_until = $1 WHERE (tenant, id) IN ( \
    SELECT tenant, id FROM mail_deliveries WHERE status = 'pending' AND next_attempt_at <= $2 \
    AND (lease_until IS NULL OR lease_until <= $2) ORDER BY next_attempt_at LIMIT $3 \
    FOR UPDATE SKIP LOCKED) RETURNING *";
const CLAIM_SQLITE: &str = "UPDATE mail_deliveries SET lease_until = ?1 WHERE (tenant, id) IN ( \
    SELECT tenant, id FROM mail_deliveries WHERE status = 'pending' AND next_attempt_at <= ?2 \
    AND (lease_until IS NULL OR lease_until <= ?2) ORDER BY next_attempt_at LIMIT ?3) RETURNING *";

/// Queues one tenant's mail after its position; returns how many.
fn fan_out_tenant(
    conn: &mut DbConnection,
    tenant: &str,
    position: (i64, i64),
    kinds: &[&'static str],
    now: PrimitiveDateTime,
    limit: i64,
) -> Result<usize, Failure> {
    let is_pg = matches!(conn, DbConnection::Pg(_));
    let (txid, seq) = position;
    let query =
        events::table.filter(events::tenant.eq(tenant)).filter(events::kind.eq_any(kinds.to_vec())).into_boxed();
    let mut query = after_position(query, is_pg, txid, seq);
    if is_pg {
        query = query.filter(sql::<Bool>(SETTLED));
    }
    let found: Vec<(String, i64, i64)> = query
        .order_by((events::txid.asc(), events::seq.asc()))
        .limit(limit)
        .select((events::id, events::txid, events::seq))
        .load(conn)?;
    let Some((_, last_txid, last_seq)) = found.last().cloned() else { return Ok(0) };
    let rows: Vec<MailRow> = found
        .into_iter()
        .map(|(event_id, _, _)| MailRow {
            tenant: tenant.to_owned(),
            id: id_text(Uuid::now_v7()),
            event_id,
            status: DeliveryStatus::Pending.as_str().to_owned(),
            attempts: 0,
            error: None,
            next_attempt_at: Some(now),
            lease_until: None,
            created_at: now,
        })
        .collect();
    let created = on_backend!(conn, |c| diesel::insert_into(mail_deliveries::table)
        .values(&rows)
        .on_conflict((mail_deliveries::tenant, mail_deliveries::event_id))
        .do_nothing()
        .execute(c))?;
    diesel::update(mail_positions::table.filter(mail_positions::tenant.eq(tenant)))
        .set((mail_positions::cursor_txid.eq(last_txid), mail_positions::cursor_seq.eq(last_seq)))
        .execute(conn)?;
    Ok(created)
}

#[async_trait]
impl MailStore for DieselStore {
    async fn mail_settings(&self, tenant: &TenantKey) -> StoreResult<Option<MailSettings>> {
        let tenant = tenant.to_string();
        self.read(move |conn| {
            let row: Option<(String, Option<String>)> = notification_settings::table
                .filter(notification_settings::tenant.eq(tenant))
                .select((notification_settings::enabled, notification_settings::tenant_address))
                .get_result(conn)
                .optional()?;
            row.map(|(enabled, address)| {
                Ok(MailSettings {
                    enabled: enabled.split(',').filter(|k| !k.is_empty()).map(kind).collect::<Result<_, _>>()?,
                    tenant_address: address.as_deref().map(Email::parse).transpose()?,
                })
            })
            .transpose()
        })
        .await
    }

    async fn save_mail_settings(&self, tenant: &TenantKey, settings: &MailSettings) -> StoreResult<()> {
        let tenant = tenant.to_string();
        let enabled = settings.enabled.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(",");
        let address = settings.tenant_address.as_ref().map(ToString::to_string);
        self.write(move |conn| {
            on_backend!(conn, |c| diesel::insert_into(notification_settings::table)
                .values((
                    notification_settings::tenant.eq(&tenant),
                    notification_settings::enabled.eq(&enabled),
                    notification_settings::tenant_address.eq(&address),
                ))
                .on_conflict(notification_settings::tenant)
                .do_update()
                .set((notification_settings::enabled.eq(&enabled), notification_settings::tenant_address.eq(&address),))
                .execute(c))?;
            Ok(())
        })
        .await
    }

    async fn mail_template(&self, tenant: &TenantKey, kind_: NotificationKind) -> StoreResult<Option<MailTemplate>> {
        let tenant = tenant.to_string();
        self.read(move |conn| {
            let row: Option<(String, String, String)> = notification_templates::table
                .filter(notification_templates::tenant.eq(tenant))
                .filter(notification_templates::kind.eq(kind_.as_str()))
                .select((
                    notification_templates::subject,
                    notification_templates::text_body,
                    notification_templates::html_body,
                ))
                .get_result(conn)
                .optional()?;
            Ok(row.map(|(subject, text, html)| MailTemplate { kind: kind_, subject, text, html }))
        })
        .await
    }

    async fn save_mail_template(&self, tenant: &TenantKey, template: &MailTemplate) -> StoreResult<()> {
        let tenant = tenant.to_string();
        let t = template.clone();
        self.write(move |conn| {
            on_backend!(conn, |c| diesel::insert_into(notification_templates::table)
                .values((
                    notification_templates::tenant.eq(&tenant),
                    notification_templates::kind.eq(t.kind.as_str()),
                    notification_templates::subject.eq(&t.subject),
                    notification_templates::text_body.eq(&t.text),
                    notification_templates::html_body.eq(&t.html),
                ))
                .on_conflict((notification_templates::tenant, notification_templates::kind))
                .do_update()
                .set((
                    notification_templates::subject.eq(&t.subject),
                    notification_templates::text_body.eq(&t.text),
                    notification_templates::html_body.eq(&t.html),
                ))
                .execute(c))?;
            Ok(())
        })
        .await
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn fan_out_mail(&self, now: OffsetDateTime, kinds: &[&'static str], limit: usize) -> StoreResult<usize> {
        let now = to_db_time(now);
        let kinds = kinds.to_vec();
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.write(move |conn| {
            // First sight of a tenant: its mail starts at the feed's end now, in a commit that
            // waits for the disk: a start lost to a crash of the database would be set again
            // later, past the events in between, which would then never be mailed.
            let unseen: Vec<String> = tenants::table
                .filter(diesel::dsl::not(diesel::dsl::exists(
                    mail_positions::table.filter(mail_positions::tenant.eq(tenants::key)),
                )))
                .select(tenants::key)
                .load(conn)?;
            if !unseen.is_empty() {
                write_transaction(conn, |conn| {
                    for tenant in &unseen {
                        // Another process may have just started it: inserting it is a no-op.
                        let (txid, seq) = feed_end(conn, tenant)?;
                        on_backend!(conn, |c| diesel::insert_into(mail_positions::table)
                            .values((
                                mail_positions::tenant.eq(tenant),
                                mail_positions::cursor_txid.eq(txid),
                                mail_positions::cursor_seq.eq(seq),
                            ))
                            .on_conflict_do_nothing()
                            .execute(c))?;
                    }
                    Ok::<_, Failure>(())
                })?;
            }
            // What the mail of the tenants seen before is: a position another process holds
            // locked is skipped (it is fanning that tenant out).
            bookkeeping_transaction(conn, |conn| {
                let positions: Vec<(String, i64, i64)> = match conn {
                    DbConnection::Pg(c) => mail_positions::table
                        .select((mail_positions::tenant, mail_positions::cursor_txid, mail_positions::cursor_seq))
                        .for_update()
                        .skip_locked()
                        .load(c)?,
                    DbConnection::Sqlite(c) => mail_positions::table
                        .select((mail_positions::tenant, mail_positions::cursor_txid, mail_positions::cursor_seq))
                        .load(c)?,
                };
                let mut created = 0;
                for (tenant, txid, seq) in positions {
                    created += fan_out_tenant(conn, &tenant, (txid, seq), &kinds, now, limit)?;
                }
                Ok(created)
            })
        })
        .await
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn claim_mail(
        &self,
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
        limit: usize,
    ) -> StoreResult<Vec<ClaimedMail>> {
        let (now, lease_until) = (to_db_time(now), to_db_time(lease_until));
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let any = self
            .quick_read(move |conn| {
                Ok(diesel::select(diesel::dsl::exists(
                    mail_deliveries::table
                        .filter(mail_deliveries::status.eq(DeliveryStatus::Pending.as_str()))
                        .filter(mail_deliveries::next_attempt_at.le(now)),
                ))
                .get_result::<bool>(conn)?)
            })
            .await?;
        if !any {
            return Ok(Vec::new());
        }
        let deliveries = self
            .write(move |conn| {
                bookkeeping_transaction(conn, |conn| {
                    let rows: Vec<MailRow> = lease_due(conn, (CLAIM_PG, CLAIM_SQLITE), now, lease_until, limit)?;
                    rows.into_iter().map(MailDelivery::try_from).collect::<Result<Vec<_>, Failure>>()
                })
            })
            .await?;
        if deliveries.is_empty() {
            return Ok(Vec::new());
        }
        // The events after the claim committed, on a reader (see `feed_events_by_id`).
        self.read(move |conn| {
            one_snapshot(conn, |conn| {
                let events = feed_events_by_id(conn, deliveries.iter().map(|d| (d.tenant.clone(), d.event_id)))?;
                Ok(deliveries
                    .into_iter()
                    .filter_map(|delivery| {
                        let event = events.get(&delivery.event_id).cloned()?;
                        Some(ClaimedMail { delivery, event })
                    })
                    .collect())
            })
        })
        .await
    }

    async fn pending_mail(&self) -> StoreResult<u64> {
        // As `pending_deliveries`: over the partial index `mail_deliveries_due`.
        let pending: i64 = self
            .quick_read(|conn| {
                Ok(mail_deliveries::table
                    .filter(mail_deliveries::status.eq(DeliveryStatus::Pending.as_str()))
                    .count()
                    .get_result(conn)?)
            })
            .await?;
        Ok(u64::try_from(pending).unwrap_or(0))
    }

    async fn record_mail_attempt(&self, delivery: &MailDelivery) -> StoreResult<()> {
        let d = delivery.clone();
        self.write(move |conn| {
            bookkeeping_transaction(conn, |conn| {
                diesel::update(
                    mail_deliveries::table
                        .filter(mail_deliveries::tenant.eq(d.tenant.to_string()))
                        .filter(mail_deliveries::id.eq(id_text(d.id))),
                )
                .set((
                    mail_deliveries::status.eq(d.status.as_str()),
                    mail_deliveries::attempts.eq(d.attempts),
                    mail_deliveries::error.eq(&d.error),
                    mail_deliveries::next_attempt_at.eq(d.next_attempt_at.map(to_db_time)),
                    mail_deliveries::lease_until.eq(None::<PrimitiveDateTime>),
                ))
                .execute(conn)?;
                Ok(())
            })
        })
        .await
    }
}
