//! [`TenantStore`]: tenants, their default categories and their policy.

use async_trait::async_trait;
use diesel::prelude::*;
use diesel::upsert::excluded;
use supportdesk_app::{StoreResult, TenantStore};
use supportdesk_domain::{Category, TenantKey, TenantPolicy};
use time::OffsetDateTime;

use crate::db::{on_backend, write_transaction, DbConnection};
use crate::error::Failure;
use crate::rows::{to_db_time, CategoryRow};
use crate::schema::{categories, tenants};
use crate::store::DieselStore;

/// A tenant row as first inserted.
#[derive(Debug, Insertable)]
#[diesel(table_name = tenants)]
struct NewTenantRow {
    key: String,
    last_number: i64,
    allow_customer_close: bool,
    reopen_closed_on_customer_reply: bool,
    created_at: time::PrimitiveDateTime,
}

impl NewTenantRow {
    fn new(tenant: &TenantKey, policy: TenantPolicy) -> Self {
        Self {
            key: tenant.to_string(),
            last_number: 0,
            allow_customer_close: policy.allow_customer_close,
            reopen_closed_on_customer_reply: policy.reopen_closed_on_customer_reply,
            created_at: to_db_time(OffsetDateTime::now_utc()),
        }
    }
}

/// Inserts the tenant row unless it exists; returns whether it was inserted. Under
/// concurrency the losers wait for the winner's commit and then insert nothing.
pub(crate) fn insert_tenant_if_absent(conn: &mut DbConnection, tenant: &TenantKey) -> Result<bool, Failure> {
    let row = NewTenantRow::new(tenant, TenantPolicy::default());
    let inserted = on_backend!(conn, |c| diesel::insert_into(tenants::table)
        .values(&row)
        .on_conflict(tenants::key)
        .do_nothing()
        .execute(c))?;
    Ok(inserted == 1)
}

#[async_trait]
impl TenantStore for DieselStore {
    #[tracing::instrument(level = "debug", skip_all, fields(tenant = %tenant))]
    async fn ensure_tenant(&self, tenant: &TenantKey, default_categories: &[Category]) -> StoreResult<bool> {
        let tenant = tenant.clone();
        let rows: Vec<CategoryRow> = default_categories.iter().map(CategoryRow::from).collect();
        self.write(move |conn| {
            write_transaction(conn, |conn| {
                if !insert_tenant_if_absent(conn, &tenant)? {
                    return Ok(false);
                }
                // Only the call that created the tenant seeds it. A slug taken meanwhile
                // (a category added before the tenant row existed) keeps its category.
                for row in &rows {
                    on_backend!(conn, |c| diesel::insert_into(categories::table)
                        .values(row)
                        .on_conflict_do_nothing()
                        .execute(c))?;
                }
                Ok(true)
            })
        })
        .await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant = %tenant))]
    async fn policy(&self, tenant: &TenantKey) -> StoreResult<TenantPolicy> {
        let tenant = tenant.to_string();
        self.quick_read(move |conn| {
            let stored = tenants::table
                .filter(tenants::key.eq(tenant))
                .select((tenants::allow_customer_close, tenants::reopen_closed_on_customer_reply))
                .get_result::<(bool, bool)>(conn)
                .optional()?;
            Ok(stored
                .map(|(allow_customer_close, reopen_closed_on_customer_reply)| TenantPolicy {
                    allow_customer_close,
                    reopen_closed_on_customer_reply,
                })
                .unwrap_or_default())
        })
        .await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant = %tenant))]
    async fn save_policy(&self, tenant: &TenantKey, policy: TenantPolicy) -> StoreResult<()> {
        let row = NewTenantRow::new(tenant, policy);
        self.write(move |conn| {
            on_backend!(conn, |c| diesel::insert_into(tenants::table)
                .values(&row)
                .on_conflict(tenants::key)
                .do_update()
                .set((
                    tenants::allow_customer_close.eq(excluded(tenants::allow_customer_close)),
                    tenants::reopen_closed_on_customer_reply.eq(excluded(tenants::reopen_closed_on_customer_reply)),
                ))
                .execute(c))?;
            Ok(())
        })
        .await
    }

    async fn ping(&self) -> StoreResult<()> {
        self.read(|conn| {
            diesel::connection::SimpleConnection::batch_execute(conn, "SELECT 1")?;
            Ok(())
        })
        .await
    }
}
