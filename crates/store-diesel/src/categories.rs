//! [`CategoryStore`]: categories and subcategories of a tenant.

use async_trait::async_trait;
use diesel::prelude::*;
use supportdesk_app::Taken;
use supportdesk_app::{CategoryFilter, CategoryKey, CategoryStore, StoreError, StoreResult};
use supportdesk_domain::{Category, TenantKey};

use crate::error::{unique_as, Failure};
use crate::rows::{id_text, CategoryRow};
use crate::schema::categories;
use crate::store::DieselStore;

#[async_trait]
impl CategoryStore for DieselStore {
    #[tracing::instrument(level = "debug", skip_all, fields(tenant = %tenant))]
    async fn list_categories(&self, tenant: &TenantKey, filter: CategoryFilter) -> StoreResult<Vec<Category>> {
        let tenant = tenant.to_string();
        self.quick_read(move |conn| {
            let mut query = categories::table.filter(categories::tenant.eq(tenant)).into_boxed();
            if !filter.include_inactive {
                query = query.filter(categories::active.eq(true));
            }
            if let Some(parent) = filter.parent_id {
                query = query.filter(categories::parent_id.eq(id_text(parent.as_uuid())));
            }
            query
                .order_by((categories::position.asc(), categories::name.asc(), categories::id.asc()))
                .select(CategoryRow::as_select())
                .load(conn)?
                .into_iter()
                .map(Category::try_from)
                .collect()
        })
        .await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant = %tenant))]
    async fn find_category(&self, tenant: &TenantKey, key: &CategoryKey) -> StoreResult<Option<Category>> {
        let tenant = tenant.to_string();
        let key = key.clone();
        self.quick_read(move |conn| {
            let query = categories::table.filter(categories::tenant.eq(tenant)).into_boxed();
            let query = match key {
                CategoryKey::Id(id) => query.filter(categories::id.eq(id_text(id.as_uuid()))),
                CategoryKey::Slug(slug) => query.filter(categories::slug.eq(slug.into_string())),
            };
            query.select(CategoryRow::as_select()).get_result(conn).optional()?.map(Category::try_from).transpose()
        })
        .await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant = %category.tenant, category.id = %category.id))]
    async fn insert_category(&self, category: &Category) -> StoreResult<()> {
        let row = CategoryRow::from(category);
        self.write(move |conn| {
            diesel::insert_into(categories::table)
                .values(&row)
                .execute(conn)
                .map_err(|e| unique_as(e, || Failure::Store(StoreError::Duplicate(Taken::Slug))))?;
            Ok(())
        })
        .await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant = %category.tenant, category.id = %category.id))]
    async fn update_category(&self, category: &Category) -> StoreResult<()> {
        let row = CategoryRow::from(category);
        self.write(move |conn| {
            let target =
                categories::table.filter(categories::tenant.eq(&row.tenant)).filter(categories::id.eq(&row.id));
            let updated = diesel::update(target)
                .set(&row)
                .execute(conn)
                .map_err(|e| unique_as(e, || Failure::Store(StoreError::Duplicate(Taken::Slug))))?;
            if updated == 0 {
                return Err(Failure::Store(StoreError::NotFound));
            }
            Ok(())
        })
        .await
    }
}
