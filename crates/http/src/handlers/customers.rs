//! Customer profile routes: the shop pushes profiles, staff read them.

use actix_web::{web, HttpResponse};

use crate::auth::StaffCaller;
use crate::dto::accounts::{customer_id, CustomerProfileBody, CustomerResponse};
use crate::error::{ApiError, Problem};
use crate::extract::JsonBody;
use crate::routes::Routes;
use crate::ApiState;

/// Registers the customer profile routes.
pub fn configure(routes: &mut Routes<'_>) {
    routes.resource("/api/v1/admin/customers/{id}", |r| r.get(get_customer).put(put_customer));
}

/// A customer's profile (permission `tickets:read`).
#[utoipa::path(
    get, path = "/api/v1/admin/customers/{id}", tag = "admin-customers",
    params(("id" = uuid::Uuid, Path, description = "The customer's id")),
    responses(
        (status = 200, description = "The profile", body = CustomerResponse),
        (status = 400, description = "Malformed id", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not staff, or lacks `tickets:read`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such customer in the tenant", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn get_customer(
    state: web::Data<ApiState>,
    caller: StaffCaller,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = customer_id(&path)?;
    let customer = state.app().get_customer(&caller.0, id).await?;
    Ok(HttpResponse::Ok().json(CustomerResponse::from(&customer)))
}

/// Create or replace a customer's profile as the shop knows it (permission `agents:manage`).
#[utoipa::path(
    put, path = "/api/v1/admin/customers/{id}", tag = "admin-customers",
    request_body = CustomerProfileBody,
    params(("id" = uuid::Uuid, Path, description = "The customer's id (the `sub` of their tokens)")),
    responses(
        (status = 200, description = "The stored profile", body = CustomerResponse),
        (status = 400, description = "Invalid input", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not staff, or lacks `agents:manage`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn put_customer(
    state: web::Data<ApiState>,
    caller: StaffCaller,
    path: web::Path<String>,
    body: JsonBody<CustomerProfileBody>,
) -> Result<HttpResponse, ApiError> {
    let id = customer_id(&path)?;
    let profile = body.value.try_into_domain()?;
    let customer = state.app().upsert_customer(&caller.0, id, profile).await?;
    Ok(HttpResponse::Ok().json(CustomerResponse::from(&customer)))
}
