//! Category routes: the customer's picker, and management by staff.

use actix_web::http::header::LOCATION;
use actix_web::{web, HttpResponse};
use supportdesk_app::CategoryKey;

use crate::auth::{Authenticated, StaffCaller};
use crate::dto::categories::{
    category_id, CategoryListResponse, CategoryQuery, CategoryResponse, CreateCategoryBody, UpdateCategoryBody,
};
use crate::error::{ApiError, Problem};
use crate::extract::JsonBody;
use crate::routes::Routes;
use crate::ApiState;

/// Registers the category routes.
pub fn configure(routes: &mut Routes<'_>) {
    routes.resource("/api/v1/categories", |r| r.get(list_categories));
    routes.resource("/api/v1/admin/categories", |r| r.get(list_admin_categories).post(create_category));
    routes.resource("/api/v1/admin/categories/{id}", |r| {
        r.get(get_category).patch(update_category).delete(delete_category)
    });
}

/// The tenant's active categories, by position then name (any role).
#[utoipa::path(
    get, path = "/api/v1/categories", tag = "categories",
    params(CategoryQuery),
    responses(
        (status = 200, description = "Active categories", body = CategoryListResponse),
        (status = 400, description = "Invalid parentId", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn list_categories(
    state: web::Data<ApiState>,
    caller: Authenticated,
    query: web::Query<CategoryQuery>,
) -> Result<HttpResponse, ApiError> {
    let parent = query.into_inner().try_into_domain()?;
    let mut categories = state.app().list_categories(&caller.0, parent).await?;
    categories.retain(|c| c.active);
    Ok(HttpResponse::Ok().json(CategoryListResponse::of(&categories)))
}

/// Every category of the tenant, inactive ones included (permission `tickets:read`).
#[utoipa::path(
    get, path = "/api/v1/admin/categories", tag = "admin-categories",
    params(CategoryQuery),
    responses(
        (status = 200, description = "All categories", body = CategoryListResponse),
        (status = 400, description = "Invalid parentId", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not staff, or lacks `tickets:read`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn list_admin_categories(
    state: web::Data<ApiState>,
    caller: StaffCaller,
    query: web::Query<CategoryQuery>,
) -> Result<HttpResponse, ApiError> {
    let parent = query.into_inner().try_into_domain()?;
    let categories = state.app().list_categories(&caller.0, parent).await?;
    Ok(HttpResponse::Ok().json(CategoryListResponse::of(&categories)))
}

/// One category, active or not (permission `tickets:read`).
#[utoipa::path(
    get, path = "/api/v1/admin/categories/{id}", tag = "admin-categories",
    params(("id" = uuid::Uuid, Path, description = "The category's id")),
    responses(
        (status = 200, description = "The category", body = CategoryResponse),
        (status = 400, description = "Malformed id", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not staff, or lacks `tickets:read`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such category in the tenant", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn get_category(
    state: web::Data<ApiState>,
    caller: StaffCaller,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = category_id(&path)?;
    let category = state.app().get_category(&caller.0, &CategoryKey::Id(id)).await?;
    Ok(HttpResponse::Ok().json(CategoryResponse::from(&category)))
}

/// Add a category or subcategory (permission `categories:manage`).
#[utoipa::path(
    post, path = "/api/v1/admin/categories", tag = "admin-categories",
    request_body = CreateCategoryBody,
    responses(
        (status = 201, description = "Created", body = CategoryResponse, headers(("Location" = String, description = "The category's URL"))),
        (status = 400, description = "Invalid input or parent", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not staff, or lacks `categories:manage`", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`slug_taken`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn create_category(
    state: web::Data<ApiState>,
    caller: StaffCaller,
    body: JsonBody<CreateCategoryBody>,
) -> Result<HttpResponse, ApiError> {
    let input = body.value.try_into_domain()?;
    let category = state.app().create_category(&caller.0, input).await?;
    Ok(HttpResponse::Created()
        .insert_header((LOCATION, format!("/api/v1/admin/categories/{}", category.id)))
        .json(CategoryResponse::from(&category)))
}

/// Change a category (permission `categories:manage`).
#[utoipa::path(
    patch, path = "/api/v1/admin/categories/{id}", tag = "admin-categories",
    request_body = UpdateCategoryBody,
    params(("id" = uuid::Uuid, Path, description = "The category's id")),
    responses(
        (status = 200, description = "The category after the change", body = CategoryResponse),
        (status = 400, description = "Invalid input or parent", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not staff, or lacks `categories:manage`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such category in the tenant", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`slug_taken`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn update_category(
    state: web::Data<ApiState>,
    caller: StaffCaller,
    path: web::Path<String>,
    body: JsonBody<UpdateCategoryBody>,
) -> Result<HttpResponse, ApiError> {
    let id = category_id(&path)?;
    let patch = body.value.try_into_domain()?;
    let category = state.app().update_category(&caller.0, id, patch).await?;
    Ok(HttpResponse::Ok().json(CategoryResponse::from(&category)))
}

/// Deactivate a category: it can no longer be chosen; tickets keep it (permission `categories:manage`).
#[utoipa::path(
    delete, path = "/api/v1/admin/categories/{id}", tag = "admin-categories",
    params(("id" = uuid::Uuid, Path, description = "The category's id")),
    responses(
        (status = 200, description = "The deactivated category", body = CategoryResponse),
        (status = 400, description = "Malformed id", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not staff, or lacks `categories:manage`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such category in the tenant", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn delete_category(
    state: web::Data<ApiState>,
    caller: StaffCaller,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = category_id(&path)?;
    let category = state.app().deactivate_category(&caller.0, id).await?;
    Ok(HttpResponse::Ok().json(CategoryResponse::from(&category)))
}
