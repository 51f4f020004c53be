//! [`MacroStore`]: a tenant's macros.

use async_trait::async_trait;
use diesel::prelude::*;
use supportdesk_app::{Macro, MacroStore, StoreError, StoreResult};
use supportdesk_domain::{Priority, Status, TenantKey};
use time::PrimitiveDateTime;
use uuid::Uuid;

use crate::error::Failure;
use crate::rows::{from_db_time, id_text, parse_tags, tags_text, to_db_time, uuid};
use crate::schema::macros;
use crate::store::DieselStore;

/// A macro row.
#[derive(Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = macros)]
struct MacroRow {
    tenant: String,
    id: String,
    name: String,
    body: String,
    internal: bool,
    status: Option<String>,
    priority: Option<i16>,
    add_tags: String,
    assign_to_self: bool,
    created_at: PrimitiveDateTime,
    updated_at: PrimitiveDateTime,
}

impl From<&Macro> for MacroRow {
    fn from(m: &Macro) -> Self {
        Self {
            tenant: m.tenant.to_string(),
            id: id_text(m.id),
            name: m.name.clone(),
            body: m.body.clone(),
            internal: m.internal,
            status: m.status.map(|s| s.as_str().to_owned()),
            priority: m.priority.map(Priority::rank),
            add_tags: tags_text(&m.add_tags),
            assign_to_self: m.assign_to_self,
            created_at: to_db_time(m.created_at),
            updated_at: to_db_time(m.updated_at),
        }
    }
}

impl TryFrom<MacroRow> for Macro {
    type Error = Failure;

    fn try_from(row: MacroRow) -> Result<Self, Failure> {
        Ok(Macro {
            id: uuid(&row.id)?,
            tenant: TenantKey::parse(&row.tenant)?,
            name: row.name,
            body: row.body,
            internal: row.internal,
            status: row.status.as_deref().map(Status::parse).transpose()?,
            priority: row
                .priority
                .map(|rank| Priority::from_rank(rank).ok_or_else(|| Failure::Corrupt(format!("priority rank {rank}"))))
                .transpose()?,
            add_tags: parse_tags(&row.add_tags)?,
            assign_to_self: row.assign_to_self,
            created_at: from_db_time(row.created_at),
            updated_at: from_db_time(row.updated_at),
        })
    }
}

#[async_trait]
impl MacroStore for DieselStore {
    #[tracing::instrument(level = "debug", skip_all, fields(tenant = %tenant))]
    async fn list_macros(&self, tenant: &TenantKey) -> StoreResult<Vec<Macro>> {
        let tenant = tenant.to_string();
        self.read(move |conn| {
            let rows: Vec<MacroRow> = macros::table
                .filter(macros::tenant.eq(tenant))
                .order((macros::name, macros::id))
                .select(MacroRow::as_select())
                .load(conn)?;
            rows.into_iter().map(Macro::try_from).collect()
        })
        .await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant = %tenant))]
    async fn macro_by_id(&self, tenant: &TenantKey, id: Uuid) -> StoreResult<Option<Macro>> {
        let (tenant, id) = (tenant.to_string(), id_text(id));
        self.quick_read(move |conn| {
            let row: Option<MacroRow> = macros::table
                .filter(macros::tenant.eq(tenant))
                .filter(macros::id.eq(id))
                .select(MacroRow::as_select())
                .get_result(conn)
                .optional()?;
            row.map(Macro::try_from).transpose()
        })
        .await
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn insert_macro(&self, value: &Macro) -> StoreResult<()> {
        let row = MacroRow::from(value);
        self.write(move |conn| {
            diesel::insert_into(macros::table).values(&row).execute(conn)?;
            Ok(())
        })
        .await
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn update_macro(&self, value: &Macro) -> StoreResult<()> {
        let row = MacroRow::from(value);
        let updated = self
            .write(move |conn| {
                Ok(diesel::update(macros::table.filter(macros::tenant.eq(&row.tenant)).filter(macros::id.eq(&row.id)))
                    .set((
                        macros::name.eq(&row.name),
                        macros::body.eq(&row.body),
                        macros::internal.eq(row.internal),
                        macros::status.eq(&row.status),
                        macros::priority.eq(row.priority),
                        macros::add_tags.eq(&row.add_tags),
                        macros::assign_to_self.eq(row.assign_to_self),
                        macros::updated_at.eq(row.updated_at),
                    ))
                    .execute(conn)?)
            })
            .await?;
        if updated == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant = %tenant))]
    async fn delete_macro(&self, tenant: &TenantKey, id: Uuid) -> StoreResult<bool> {
        let (tenant, id) = (tenant.to_string(), id_text(id));
        self.write(move |conn| {
            let deleted = diesel::delete(macros::table.filter(macros::tenant.eq(tenant)).filter(macros::id.eq(id)))
                .execute(conn)?;
            Ok(deleted == 1)
        })
        .await
    }
}
