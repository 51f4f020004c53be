//! Customer routes: the shop pushes profiles, staff read them, look customers up in the
//! directory and list a customer's tickets.

use actix_web::{web, HttpResponse};

use super::resolve_category_filter;
use crate::auth::StaffCaller;
use crate::dto::accounts::{
    customer_id, CustomerListQuery, CustomerListResponse, CustomerProfileBody, CustomerResponse,
};
use crate::dto::tickets::{AdminTicketQuery, TicketListResponse};
use crate::error::{ApiError, Problem};
use crate::extract::JsonBody;
use crate::routes::Routes;
use crate::ApiState;

/// Registers the customer profile routes.
pub fn configure(routes: &mut Routes<'_>) {
    routes.resource("/api/v1/admin/customers", |r| r.get(list_customers));
    routes.resource("/api/v1/admin/customers/{id}", |r| r.get(get_customer).put(put_customer));
    routes.resource("/api/v1/admin/customers/{id}/tickets", |r| r.get(list_customer_tickets));
}

/// The customer directory (permission `tickets:read`): every customer by name, or those `q`
/// finds by a name or email prefix.
#[utoipa::path(
    get, path = "/api/v1/admin/customers", tag = "admin-customers",
    params(CustomerListQuery),
    responses(
        (status = 200, description = "One page of the tenant's customers, by name", body = CustomerListResponse),
        (status = 400, description = "Invalid `q` or paging, or a cursor of another list", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not staff, or lacks `tickets:read`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn list_customers(
    state: web::Data<ApiState>,
    caller: StaffCaller,
    query: web::Query<CustomerListQuery>,
) -> Result<HttpResponse, ApiError> {
    let query = query.into_inner().try_into_domain()?;
    let page = state.app().list_customers(&caller.0, query).await?;
    Ok(HttpResponse::Ok().json(CustomerListResponse::from(&page)))
}

/// A customer's tickets (permission `tickets:read`): the queue's filters, sorts and paging,
/// limited to this customer (`customerId` is the path's).
#[utoipa::path(
    get, path = "/api/v1/admin/customers/{id}/tickets", tag = "admin-customers",
    params(("id" = uuid::Uuid, Path, description = "The customer's id"), AdminTicketQuery),
    responses(
        (status = 200, description = "One page of the customer's tickets", body = TicketListResponse),
        (status = 400, description = "Malformed id, invalid filter or paging, or `customerId` given", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not staff, or lacks `tickets:read`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such customer in the tenant", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn list_customer_tickets(
    state: web::Data<ApiState>,
    caller: StaffCaller,
    path: web::Path<String>,
    query: web::Query<AdminTicketQuery>,
) -> Result<HttpResponse, ApiError> {
    let id = customer_id(&path)?;
    let query = query.into_inner();
    if query.customer_id.is_some() {
        return Err(ApiError::invalid_field("customerId", "must not be given: the path names the customer"));
    }
    let parsed = query.try_into_domain()?;
    let mut ticket_query = parsed.query;
    ticket_query.category_id = resolve_category_filter(state.app(), &caller.0, parsed.category).await?;
    let page = state.app().customer_tickets(&caller.0, id, ticket_query).await?;
    Ok(HttpResponse::Ok().json(TicketListResponse::from(&page)))
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
