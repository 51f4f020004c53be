//! Business hours and SLA policies (permission `settings:manage`).

use actix_web::http::header::LOCATION;
use actix_web::{web, HttpResponse};
use supportdesk_domain::{BusinessHoursId, SlaPolicyId};

use crate::auth::StaffCaller;
use crate::dto::sla::{
    BusinessHoursBody, BusinessHoursListResponse, BusinessHoursResponse, SlaPolicyBody, SlaPolicyListResponse,
    SlaPolicyResponse,
};
use crate::dto::webhooks::path_id;
use crate::dto::ListMeta;
use crate::error::{ApiError, Problem};
use crate::extract::JsonBody;
use crate::routes::Routes;
use crate::ApiState;

/// Registers the SLA routes.
pub fn configure(routes: &mut Routes<'_>) {
    routes.resource("/api/v1/admin/business-hours", |r| r.get(list_business_hours).post(create_business_hours));
    routes.resource("/api/v1/admin/business-hours/{id}", |r| {
        r.get(get_business_hours).patch(update_business_hours).delete(delete_business_hours)
    });
    routes.resource("/api/v1/admin/sla-policies", |r| r.get(list_sla_policies).post(create_sla_policy));
    routes.resource("/api/v1/admin/sla-policies/{id}", |r| {
        r.get(get_sla_policy).patch(update_sla_policy).delete(delete_sla_policy)
    });
}

fn hours_id(raw: &str) -> Result<BusinessHoursId, ApiError> {
    path_id(raw, "id").map(BusinessHoursId::from_uuid)
}

fn policy_id(raw: &str) -> Result<SlaPolicyId, ApiError> {
    path_id(raw, "id").map(SlaPolicyId::from_uuid)
}

/// The tenant's business hours.
#[utoipa::path(
    get, path = "/api/v1/admin/business-hours", tag = "admin-sla",
    responses(
        (status = 200, description = "The calendars, oldest first", body = BusinessHoursListResponse),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Lacks `settings:manage`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn list_business_hours(state: web::Data<ApiState>, caller: StaffCaller) -> Result<HttpResponse, ApiError> {
    let found = state.app().list_business_hours(&caller.0).await?;
    Ok(HttpResponse::Ok().json(BusinessHoursListResponse {
        data: found.iter().map(BusinessHoursResponse::from).collect(),
        meta: ListMeta::of(&found),
    }))
}

/// Add business hours.
#[utoipa::path(
    post, path = "/api/v1/admin/business-hours", tag = "admin-sla",
    request_body = BusinessHoursBody,
    responses(
        (status = 201, description = "Added", body = BusinessHoursResponse,
            headers(("Location" = String, description = "The calendar's URL"))),
        (status = 400, description = "A missing or invalid field: unknown zone, bad `HH:MM`, reversed or overlapping intervals, no hours at all, a bad date", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Lacks `settings:manage`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn create_business_hours(
    state: web::Data<ApiState>,
    caller: StaffCaller,
    body: JsonBody<BusinessHoursBody>,
) -> Result<HttpResponse, ApiError> {
    let input = body.value.try_into_domain()?;
    let hours = state.app().create_business_hours(&caller.0, input).await?;
    Ok(HttpResponse::Created()
        .insert_header((LOCATION, format!("/api/v1/admin/business-hours/{}", hours.id)))
        .json(BusinessHoursResponse::from(&hours)))
}

/// One calendar.
#[utoipa::path(
    get, path = "/api/v1/admin/business-hours/{id}", tag = "admin-sla",
    params(("id" = uuid::Uuid, Path, description = "The calendar")),
    responses(
        (status = 200, description = "The calendar", body = BusinessHoursResponse),
        (status = 400, description = "Malformed id", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Lacks `settings:manage`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such calendar in the tenant", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn get_business_hours(
    state: web::Data<ApiState>,
    caller: StaffCaller,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let hours = state.app().get_business_hours(&caller.0, hours_id(&path)?).await?;
    Ok(HttpResponse::Ok().json(BusinessHoursResponse::from(&hours)))
}

/// Change a calendar (only the fields given).
#[utoipa::path(
    patch, path = "/api/v1/admin/business-hours/{id}", tag = "admin-sla",
    params(("id" = uuid::Uuid, Path, description = "The calendar")),
    request_body = BusinessHoursBody,
    responses(
        (status = 200, description = "Changed", body = BusinessHoursResponse),
        (status = 400, description = "Malformed id or an invalid field", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Lacks `settings:manage`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such calendar in the tenant", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn update_business_hours(
    state: web::Data<ApiState>,
    caller: StaffCaller,
    path: web::Path<String>,
    body: JsonBody<BusinessHoursBody>,
) -> Result<HttpResponse, ApiError> {
    let id = hours_id(&path)?;
    let input = body.value.try_into_domain()?;
    let hours = state.app().update_business_hours(&caller.0, id, input).await?;
    Ok(HttpResponse::Ok().json(BusinessHoursResponse::from(&hours)))
}

/// Delete a calendar no policy uses.
#[utoipa::path(
    delete, path = "/api/v1/admin/business-hours/{id}", tag = "admin-sla",
    params(("id" = uuid::Uuid, Path, description = "The calendar")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, description = "Malformed id", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Lacks `settings:manage`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such calendar in the tenant", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`in_use`: an SLA policy counts in these hours", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn delete_business_hours(
    state: web::Data<ApiState>,
    caller: StaffCaller,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    state.app().delete_business_hours(&caller.0, hours_id(&path)?).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The tenant's SLA policies.
#[utoipa::path(
    get, path = "/api/v1/admin/sla-policies", tag = "admin-sla",
    responses(
        (status = 200, description = "The policies in the order they are tried", body = SlaPolicyListResponse),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Lacks `settings:manage`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn list_sla_policies(state: web::Data<ApiState>, caller: StaffCaller) -> Result<HttpResponse, ApiError> {
    let found = state.app().list_sla_policies(&caller.0).await?;
    Ok(HttpResponse::Ok().json(SlaPolicyListResponse {
        data: found.iter().map(SlaPolicyResponse::from).collect(),
        meta: ListMeta::of(&found),
    }))
}

/// Add an SLA policy; it applies to tickets opened or triaged from now on.
#[utoipa::path(
    post, path = "/api/v1/admin/sla-policies", tag = "admin-sla",
    request_body = SlaPolicyBody,
    responses(
        (status = 201, description = "Added", body = SlaPolicyResponse,
            headers(("Location" = String, description = "The policy's URL"))),
        (status = 400, description = "A missing or invalid field, minutes out of range, an unknown `businessHoursId` or `match.categoryId`", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Lacks `settings:manage`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn create_sla_policy(
    state: web::Data<ApiState>,
    caller: StaffCaller,
    body: JsonBody<SlaPolicyBody>,
) -> Result<HttpResponse, ApiError> {
    let input = body.value.try_into_domain()?;
    let policy = state.app().create_sla_policy(&caller.0, input).await?;
    Ok(HttpResponse::Created()
        .insert_header((LOCATION, format!("/api/v1/admin/sla-policies/{}", policy.id)))
        .json(SlaPolicyResponse::from(&policy)))
}

/// One policy.
#[utoipa::path(
    get, path = "/api/v1/admin/sla-policies/{id}", tag = "admin-sla",
    params(("id" = uuid::Uuid, Path, description = "The policy")),
    responses(
        (status = 200, description = "The policy", body = SlaPolicyResponse),
        (status = 400, description = "Malformed id", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Lacks `settings:manage`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such policy in the tenant", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn get_sla_policy(
    state: web::Data<ApiState>,
    caller: StaffCaller,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let policy = state.app().get_sla_policy(&caller.0, policy_id(&path)?).await?;
    Ok(HttpResponse::Ok().json(SlaPolicyResponse::from(&policy)))
}

/// Change a policy (only the fields given; `null` clears an optional one).
#[utoipa::path(
    patch, path = "/api/v1/admin/sla-policies/{id}", tag = "admin-sla",
    params(("id" = uuid::Uuid, Path, description = "The policy")),
    request_body = SlaPolicyBody,
    responses(
        (status = 200, description = "Changed", body = SlaPolicyResponse),
        (status = 400, description = "Malformed id or an invalid field", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Lacks `settings:manage`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such policy in the tenant", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn update_sla_policy(
    state: web::Data<ApiState>,
    caller: StaffCaller,
    path: web::Path<String>,
    body: JsonBody<SlaPolicyBody>,
) -> Result<HttpResponse, ApiError> {
    let id = policy_id(&path)?;
    let input = body.value.try_into_domain()?;
    let policy = state.app().update_sla_policy(&caller.0, id, input).await?;
    Ok(HttpResponse::Ok().json(SlaPolicyResponse::from(&policy)))
}

/// Delete a policy.
#[utoipa::path(
    delete, path = "/api/v1/admin/sla-policies/{id}", tag = "admin-sla",
    params(("id" = uuid::Uuid, Path, description = "The policy")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, description = "Malformed id", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Lacks `settings:manage`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such policy in the tenant", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn delete_sla_policy(
    state: web::Data<ApiState>,
    caller: StaffCaller,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    state.app().delete_sla_policy(&caller.0, policy_id(&path)?).await?;
    Ok(HttpResponse::NoContent().finish())
}
