//! Macros: the tenant's canned replies with actions. Listed for every agent
//! (`tickets:read`), managed by `settings:manage`, applied to a ticket by `tickets:reply`.

use actix_web::http::header::LOCATION;
use actix_web::{web, HttpRequest, HttpResponse};

use super::created_reply;
use crate::auth::StaffCaller;
use crate::dto::macros::{MacroBody, MacroListResponse, MacroResponse};
use crate::dto::tickets::ReplyResponse;
use crate::dto::webhooks::path_id;
use crate::error::{ApiError, Problem};
use crate::extract::{idempotency, if_match, ticket_ref, JsonBody};
use crate::routes::Routes;
use crate::ApiState;

/// Registers the macro routes.
pub fn configure(routes: &mut Routes<'_>) {
    routes.resource("/api/v1/admin/macros", |r| r.get(list_macros).post(create_macro));
    routes.resource("/api/v1/admin/macros/{id}", |r| r.get(get_macro).patch(update_macro).delete(delete_macro));
    routes.resource("/api/v1/admin/tickets/{ticket}/macros/{id}", |r| r.post(apply_macro));
}

/// The tenant's macros, by name (permission `tickets:read`).
#[utoipa::path(
    get, path = "/api/v1/admin/macros", tag = "admin-macros",
    responses(
        (status = 200, description = "The macros", body = MacroListResponse),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not staff, or lacks `tickets:read`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn list_macros(state: web::Data<ApiState>, caller: StaffCaller) -> Result<HttpResponse, ApiError> {
    let macros = state.app().list_macros(&caller.0).await?;
    Ok(HttpResponse::Ok().json(MacroListResponse { data: macros.iter().map(MacroResponse::from).collect() }))
}

/// Add a macro (permission `settings:manage`).
#[utoipa::path(
    post, path = "/api/v1/admin/macros", tag = "admin-macros",
    request_body = MacroBody,
    responses(
        (status = 201, description = "Added", body = MacroResponse, headers(("Location" = String, description = "The macro's URL"))),
        (status = 400, description = "Invalid field (an unknown `{{ }}` variable in the body included)", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Lacks `settings:manage`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn create_macro(
    state: web::Data<ApiState>,
    caller: StaffCaller,
    body: JsonBody<MacroBody>,
) -> Result<HttpResponse, ApiError> {
    let input = body.value.try_into_input()?;
    let created = state.app().create_macro(&caller.0, input).await?;
    Ok(HttpResponse::Created()
        .insert_header((LOCATION, format!("/api/v1/admin/macros/{}", created.id)))
        .json(MacroResponse::from(&created)))
}

/// One macro (permission `tickets:read`).
#[utoipa::path(
    get, path = "/api/v1/admin/macros/{id}", tag = "admin-macros",
    params(("id" = uuid::Uuid, Path, description = "The macro")),
    responses(
        (status = 200, description = "The macro", body = MacroResponse),
        (status = 400, description = "Malformed id", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not staff, or lacks `tickets:read`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such macro in the tenant", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn get_macro(
    state: web::Data<ApiState>,
    caller: StaffCaller,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let found = state.app().get_macro(&caller.0, path_id(&path, "id")?).await?;
    Ok(HttpResponse::Ok().json(MacroResponse::from(&found)))
}

/// Change a macro: only the fields given (permission `settings:manage`).
#[utoipa::path(
    patch, path = "/api/v1/admin/macros/{id}", tag = "admin-macros",
    params(("id" = uuid::Uuid, Path, description = "The macro")),
    request_body = MacroBody,
    responses(
        (status = 200, description = "Changed", body = MacroResponse),
        (status = 400, description = "Invalid field or malformed id", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Lacks `settings:manage`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such macro in the tenant", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn update_macro(
    state: web::Data<ApiState>,
    caller: StaffCaller,
    path: web::Path<String>,
    body: JsonBody<MacroBody>,
) -> Result<HttpResponse, ApiError> {
    let id = path_id(&path, "id")?;
    let patch = body.value.try_into_patch()?;
    let updated = state.app().update_macro(&caller.0, id, patch).await?;
    Ok(HttpResponse::Ok().json(MacroResponse::from(&updated)))
}

/// Delete a macro (permission `settings:manage`).
#[utoipa::path(
    delete, path = "/api/v1/admin/macros/{id}", tag = "admin-macros",
    params(("id" = uuid::Uuid, Path, description = "The macro")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, description = "Malformed id", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Lacks `settings:manage`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such macro in the tenant", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn delete_macro(
    state: web::Data<ApiState>,
    caller: StaffCaller,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    state.app().delete_macro(&caller.0, path_id(&path, "id")?).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Apply a macro to a ticket in one transaction: its body (variables filled in) as a reply
/// or note, then its status, priority, tags and assignment to the caller (permission
/// `tickets:reply`; `tickets:update` too when the macro changes status, priority or tags,
/// `tickets:assign` when it assigns).
#[utoipa::path(
    post, path = "/api/v1/admin/tickets/{ticket}/macros/{id}", tag = "admin-macros",
    params(
        ("ticket" = String, Path, description = "Ticket UUID or number"),
        ("id" = uuid::Uuid, Path, description = "The macro"),
        ("If-Match" = Option<String>, Header, description = "The version the change is based on"),
        ("Idempotency-Key" = Option<String>, Header, description = "Retries with the same key return the same message and change nothing"),
    ),
    responses(
        (status = 201, description = "The message, and the ticket's status after the macro", body = ReplyResponse, headers(
            ("Location" = String, description = "The ticket's URL"),
            ("Idempotent-Replayed" = String, description = "`true` on a replay"))),
        (status = 400, description = "Malformed reference, or the rendered body is too long or the tags too many", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not staff, or lacks a permission", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such ticket or macro in the tenant", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`ticket_closed`, `invalid_transition` or `idempotency_key_reused`", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "If-Match does not match", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn apply_macro(
    state: web::Data<ApiState>,
    caller: StaffCaller,
    req: HttpRequest,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (raw_ticket, raw_id) = path.into_inner();
    let ticket = ticket_ref(&raw_ticket)?;
    let id = path_id(&raw_id, "id")?;
    let expected = if_match(&req)?;
    let idempotency = idempotency(&req, None)?;
    let outcome = state.app().apply_macro(&caller.0, ticket, id, expected, idempotency).await?;
    Ok(created_reply(&outcome, "/api/v1/admin/tickets"))
}
