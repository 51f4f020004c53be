//! Category use cases: the customer's picker, and management by staff.

use crate::error::Missing;
use supportdesk_domain::{Category, CategoryId, CategoryName, Permission, Role, Slug};

use crate::auth::Principal;
use crate::error::AppError;
use crate::model::{CategoryFilter, CategoryKey};
use crate::App;

/// A new category or subcategory.
#[derive(Debug, Clone)]
pub struct NewCategory {
    /// Unique in the tenant.
    pub slug: Slug,
    /// Display name.
    pub name: CategoryName,
    /// A top-level category of the tenant, for a subcategory.
    pub parent_id: Option<CategoryId>,
    /// Sort position (default 0).
    pub position: i32,
    /// Default `true`.
    pub active: bool,
}

/// Changes to a category; `None` keeps a field. `parent_id: Some(None)` makes it top-level.
#[derive(Debug, Clone, Default)]
pub struct CategoryPatch {
    /// A new slug.
    pub slug: Option<Slug>,
    /// A new name.
    pub name: Option<CategoryName>,
    /// A new parent, or `Some(None)` for none.
    pub parent_id: Option<Option<CategoryId>>,
    /// A new position.
    pub position: Option<i32>,
    /// Activate or deactivate.
    pub active: Option<bool>,
}

impl App {
    /// The categories the principal may choose from: active ones for customers; all, with
    /// inactive ones, for staff with `tickets:read`. Ordered by position, then name.
    ///
    /// # Errors
    ///
    /// `Forbidden` for staff without `tickets:read`.
    pub async fn list_categories(
        &self,
        principal: &Principal,
        parent_id: Option<CategoryId>,
    ) -> Result<Vec<Category>, AppError> {
        self.ensure_tenant(&principal.tenant).await?;
        let include_inactive = match principal.role {
            Role::Customer => false,
            Role::Agent | Role::Admin => {
                principal.require(Permission::TicketsRead)?;
                true
            }
        };
        let filter = CategoryFilter { include_inactive, parent_id };
        Ok(self.categories.list_categories(&principal.tenant, filter).await?)
    }

    /// One category by id or slug: any of the tenant's for staff with `tickets:read`, an
    /// active one for customers.
    ///
    /// # Errors
    ///
    /// `NotFound`, `Forbidden`.
    pub async fn get_category(&self, principal: &Principal, key: &CategoryKey) -> Result<Category, AppError> {
        self.ensure_tenant(&principal.tenant).await?;
        let staff = match principal.role {
            Role::Customer => false,
            Role::Agent | Role::Admin => {
                principal.require(Permission::TicketsRead)?;
                true
            }
        };
        let found = self.categories.find_category(&principal.tenant, key).await?;
        found.filter(|c| staff || c.active).ok_or(AppError::NotFound(Missing::Category))
    }

    /// Adds a category (`categories:manage`). Subcategories hang under a top-level category.
    ///
    /// # Errors
    ///
    /// `Conflict(Taken::Slug)` for a taken slug; `Validation` for an unknown or nested parent.
    pub async fn create_category(&self, principal: &Principal, input: NewCategory) -> Result<Category, AppError> {
        principal.require(Permission::CategoriesManage)?;
        self.ensure_tenant(&principal.tenant).await?;
        if let Some(parent) = input.parent_id {
            self.check_parent(principal, parent, None).await?;
        }
        let category = Category {
            id: CategoryId::from_uuid(self.ids.next_uuid()),
            tenant: principal.tenant.clone(),
            slug: input.slug,
            name: input.name,
            parent_id: input.parent_id,
            active: input.active,
            position: input.position,
        };
        self.categories.insert_category(&category).await?;
        Ok(category)
    }

    /// Changes a category (`categories:manage`).
    ///
    /// # Errors
    ///
    /// `NotFound`, `Conflict(Taken::Slug)`, `Validation` for a bad parent.
    pub async fn update_category(
        &self,
        principal: &Principal,
        id: CategoryId,
        patch: CategoryPatch,
    ) -> Result<Category, AppError> {
        principal.require(Permission::CategoriesManage)?;
        let mut category = self.category(principal, id).await?;
        if let Some(Some(parent)) = patch.parent_id {
            self.check_parent(principal, parent, Some(id)).await?;
        }
        if let Some(slug) = patch.slug {
            category.slug = slug;
        }
        if let Some(name) = patch.name {
            category.name = name;
        }
        if let Some(parent_id) = patch.parent_id {
            category.parent_id = parent_id;
        }
        if let Some(position) = patch.position {
            category.position = position;
        }
        if let Some(active) = patch.active {
            category.active = active;
        }
        self.categories.update_category(&category).await?;
        Ok(category)
    }

    /// Deactivates a category (`categories:manage`): it can no longer be chosen, and tickets
    /// keep it.
    ///
    /// # Errors
    ///
    /// `NotFound`.
    pub async fn deactivate_category(&self, principal: &Principal, id: CategoryId) -> Result<Category, AppError> {
        self.update_category(principal, id, CategoryPatch { active: Some(false), ..CategoryPatch::default() }).await
    }

    async fn category(&self, principal: &Principal, id: CategoryId) -> Result<Category, AppError> {
        self.categories
            .find_category(&principal.tenant, &CategoryKey::Id(id))
            .await?
            .ok_or(AppError::NotFound(Missing::Category))
    }

    /// A parent must be a top-level category of the tenant, and not the category itself, so
    /// the tree is at most two levels deep and has no cycles.
    async fn check_parent(
        &self,
        principal: &Principal,
        parent: CategoryId,
        child: Option<CategoryId>,
    ) -> Result<(), AppError> {
        let found = self.categories.find_category(&principal.tenant, &CategoryKey::Id(parent)).await?;
        match found {
            None => Err(AppError::invalid("parentId", "must be a category of this tenant")),
            Some(p) if p.parent_id.is_some() || Some(p.id) == child => {
                Err(AppError::invalid("parentId", "must be a top-level category other than this one"))
            }
            Some(_) => {
                if let Some(child) = child {
                    let children = self
                        .categories
                        .list_categories(
                            &principal.tenant,
                            CategoryFilter { include_inactive: true, parent_id: Some(child) },
                        )
                        .await?;
                    if !children.is_empty() {
                        return Err(AppError::invalid("parentId", "a category with subcategories stays top-level"));
                    }
                }
                Ok(())
            }
        }
    }

    /// An active category of the tenant named by `key`; anything else is a validation error
    /// on `field`.
    pub(crate) async fn active_category(
        &self,
        principal: &Principal,
        key: &CategoryKey,
        field: &'static str,
    ) -> Result<Category, AppError> {
        let category = self.categories.find_category(&principal.tenant, key).await?;
        category.filter(|c| c.active).ok_or_else(|| AppError::invalid(field, "must be an active category"))
    }
}
