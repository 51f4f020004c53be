//! Category bodies.

use serde::{Deserialize, Serialize};
use supportdesk_app::{CategoryPatch, NewCategory, Validator};
use supportdesk_domain::{Category, CategoryId, CategoryName, Slug};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::{finish, nullable, parse_required, present, ListMeta};
use crate::error::ApiError;

/// A category or subcategory.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CategoryResponse {
    /// Its id.
    pub id: Uuid,
    /// Unique in the tenant.
    #[schema(example = "order")]
    pub slug: String,
    /// Display name.
    #[schema(example = "Order")]
    pub name: String,
    /// The parent, for a subcategory.
    pub parent_id: Option<Uuid>,
    /// Deactivated categories cannot be chosen for new tickets.
    pub active: bool,
    /// Sort position (ascending), then name.
    pub position: i32,
}

impl From<&Category> for CategoryResponse {
    fn from(category: &Category) -> Self {
        Self {
            id: category.id.as_uuid(),
            slug: category.slug.to_string(),
            name: category.name.to_string(),
            parent_id: category.parent_id.map(|id| id.as_uuid()),
            active: category.active,
            position: category.position,
        }
    }
}

/// The categories, ordered by position, then name.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CategoryListResponse {
    /// The categories.
    pub data: Vec<CategoryResponse>,
    /// How many.
    pub meta: ListMeta,
}

impl CategoryListResponse {
    /// The list of `categories`.
    pub fn of(categories: &[Category]) -> Self {
        Self { data: categories.iter().map(CategoryResponse::from).collect(), meta: ListMeta::of(categories) }
    }
}

/// `?parentId=`: only the subcategories of one category.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct CategoryQuery {
    /// Only the children of this category.
    #[param(value_type = Option<Uuid>)]
    pub parent_id: Option<String>,
}

impl CategoryQuery {
    /// The parent filter.
    ///
    /// # Errors
    ///
    /// 400 for a parent that is not a UUID.
    pub fn try_into_domain(self) -> Result<Option<CategoryId>, ApiError> {
        self.parent_id
            .as_deref()
            .map(|raw| CategoryId::parse(raw).map_err(|e| ApiError::from(e.for_field("parentId"))))
            .transpose()
    }
}

/// `POST /admin/categories`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CreateCategoryBody {
    /// `[a-z0-9-]{1,64}`, unique in the tenant.
    #[schema(required = true, value_type = String, example = "returns")]
    pub slug: Option<String>,
    /// 1..100 characters.
    #[schema(required = true, value_type = String, example = "Returns")]
    pub name: Option<String>,
    /// A top-level category, to make this a subcategory.
    #[schema(value_type = Option<Uuid>)]
    pub parent_id: Option<String>,
    /// Sort position (default 0).
    pub position: Option<i32>,
    /// Default `true`.
    pub active: Option<bool>,
}

impl CreateCategoryBody {
    /// The new category, or every invalid field.
    ///
    /// # Errors
    ///
    /// 400 `validation_failed`.
    pub fn try_into_domain(self) -> Result<NewCategory, ApiError> {
        let mut v = Validator::default();
        let slug = parse_required(&mut v, "slug", self.slug.as_deref(), Slug::parse);
        let name = parse_required(&mut v, "name", self.name.as_deref(), CategoryName::parse);
        let parent_id = v.check_opt(
            self.parent_id.as_deref().map(|raw| CategoryId::parse(raw).map_err(|e| e.for_field("parentId"))),
        );
        finish(v)?;
        Ok(NewCategory {
            slug: present(slug, "slug")?,
            name: present(name, "name")?,
            parent_id,
            position: self.position.unwrap_or(0),
            active: self.active.unwrap_or(true),
        })
    }
}

/// `PATCH /admin/categories/{id}`: absent fields stay; `parentId: null` makes it top-level.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct UpdateCategoryBody {
    /// A new slug.
    pub slug: Option<String>,
    /// A new name.
    pub name: Option<String>,
    /// A new parent, or `null` for none.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<Uuid>)]
    pub parent_id: Option<Option<String>>,
    /// A new position.
    pub position: Option<i32>,
    /// Activate or deactivate.
    pub active: Option<bool>,
}

impl UpdateCategoryBody {
    /// The patch, or every invalid field.
    ///
    /// # Errors
    ///
    /// 400 `validation_failed`.
    pub fn try_into_domain(self) -> Result<CategoryPatch, ApiError> {
        let mut v = Validator::default();
        let slug = v.check_opt(self.slug.as_deref().map(Slug::parse));
        let name = v.check_opt(self.name.as_deref().map(CategoryName::parse));
        let parent_id = match self.parent_id {
            None => None,
            Some(None) => Some(None),
            Some(Some(raw)) => v.check(CategoryId::parse(&raw).map_err(|e| e.for_field("parentId"))).map(Some),
        };
        finish(v)?;
        Ok(CategoryPatch { slug, name, parent_id, position: self.position, active: self.active })
    }
}

/// A category id in a path.
///
/// # Errors
///
/// 400 naming `id`.
pub fn category_id(raw: &str) -> Result<CategoryId, ApiError> {
    CategoryId::parse(raw).map_err(|_| ApiError::invalid_field("id", "must be a category UUID"))
}
