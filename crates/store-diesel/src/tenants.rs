//! [`TenantStore`]: tenants, their default categories and their policy.

use async_trait::async_trait;
use diesel::prelude::*;
use diesel::upsert::excluded;
use supportdesk_app::{StoreResult, TenantStore};
use supportdesk_domain::{Category, TenantKey, TenantPolicy};

use crate::db::{on_backend, DbConnection};
use crate::error::Failure;
use crate::rows::CategoryRow;
use crate::schema::tenants;
use crate::store::DieselStore;
use crate::trust::{create_tenant_in, NewTenantRow};

/// Inserts the tenant row unless it exists (the `default` tenant takes registrations, others
/// do not until an admin allows it); returns whether it was inserted.
pub(crate) fn insert_tenant_if_absent(conn: &mut DbConnection, tenant: &TenantKey) -> Result<bool, Failure> {
    let row = new_tenant_row(tenant, TenantPolicy::default());
    let inserted = on_backend!(conn, |c| diesel::insert_into(tenants::table)
        .values(&row)
        .on_conflict(tenants::key)
        .do_nothing()
        .execute(c))?;
    Ok(inserted == 1)
}

/// A tenant made on the fly (by an embedder's principal or a ticket of an unknown tenant):
/// named by its key.
fn new_tenant_row(tenant: &TenantKey, policy: TenantPolicy) -> NewTenantRow {
    NewTenantRow::new(tenant, tenant.as_str(), *tenant == TenantKey::default(), policy)
}

#[async_trait]
impl TenantStore for DieselStore {
    #[tracing::instrument(level = "debug", skip_all, fields(tenant = %tenant))]
    async fn ensure_tenant(&self, tenant: &TenantKey, default_categories: &[Category]) -> StoreResult<bool> {
        let row = new_tenant_row(tenant, TenantPolicy::default());
        let categories: Vec<CategoryRow> = default_categories.iter().map(CategoryRow::from).collect();
        self.write(move |conn| create_tenant_in(conn, &row, &categories)).await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant = %tenant))]
    async fn policy(&self, tenant: &TenantKey) -> StoreResult<TenantPolicy> {
        let tenant = tenant.to_string();
        self.quick_read(move |conn| {
            let stored = tenants::table
                .filter(tenants::key.eq(tenant))
                .select((
                    tenants::allow_customer_close,
                    tenants::reopen_closed_on_customer_reply,
                    tenants::auto_close_resolved_after_days,
                ))
                .get_result::<(bool, bool, i32)>(conn)
                .optional()?;
            Ok(stored
                .map(|(allow_customer_close, reopen_closed_on_customer_reply, days)| TenantPolicy {
                    allow_customer_close,
                    reopen_closed_on_customer_reply,
                    // The column's CHECK keeps it in 0..=365.
                    auto_close_resolved_after_days: u16::try_from(days).unwrap_or(0),
                })
                .unwrap_or_default())
        })
        .await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant = %tenant))]
    async fn save_policy(&self, tenant: &TenantKey, policy: TenantPolicy) -> StoreResult<()> {
        let row = new_tenant_row(tenant, policy);
        self.write(move |conn| {
            on_backend!(conn, |c| diesel::insert_into(tenants::table)
                .values(&row)
                .on_conflict(tenants::key)
                .do_update()
                .set((
                    tenants::allow_customer_close.eq(excluded(tenants::allow_customer_close)),
                    tenants::reopen_closed_on_customer_reply.eq(excluded(tenants::reopen_closed_on_customer_reply)),
                    tenants::auto_close_resolved_after_days.eq(excluded(tenants::auto_close_resolved_after_days)),
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
