//! The tenant's policy (permission `settings:manage`).

use actix_web::{web, HttpResponse};

use crate::auth::StaffCaller;
use crate::dto::accounts::{SettingsBody, SettingsResponse};
use crate::error::{ApiError, Problem};
use crate::extract::JsonBody;
use crate::routes::Routes;
use crate::ApiState;

/// Registers the settings routes.
pub fn configure(routes: &mut Routes<'_>) {
    routes.resource("/api/v1/admin/settings", |r| r.get(get_settings).put(put_settings));
}

/// The tenant's policy (permission `settings:manage`).
#[utoipa::path(
    get, path = "/api/v1/admin/settings", tag = "admin-settings",
    responses(
        (status = 200, description = "The policy", body = SettingsResponse),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not staff, or lacks `settings:manage`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn get_settings(state: web::Data<ApiState>, caller: StaffCaller) -> Result<HttpResponse, ApiError> {
    let settings = state.app().tenant_settings(&caller.0).await?;
    Ok(HttpResponse::Ok().json(SettingsResponse::from(settings)))
}

/// Replace the tenant's policy (permission `settings:manage`).
#[utoipa::path(
    put, path = "/api/v1/admin/settings", tag = "admin-settings",
    request_body = SettingsBody,
    responses(
        (status = 200, description = "The policy now", body = SettingsResponse),
        (status = 400, description = "Invalid input", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not staff, or lacks `settings:manage`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn put_settings(
    state: web::Data<ApiState>,
    caller: StaffCaller,
    body: JsonBody<SettingsBody>,
) -> Result<HttpResponse, ApiError> {
    let allow_registration = body.value.allow_registration;
    let current = state.app().tenant_policy(&caller.0).await?;
    let policy = body.value.try_into_domain(current)?;
    let settings = state.app().update_tenant_settings(&caller.0, policy, allow_registration).await?;
    Ok(HttpResponse::Ok().json(SettingsResponse::from(settings)))
}
