//! The agents' ticket routes: the queue, opening on a customer's behalf, detail, triage,
//! status, assignment, replies and notes, and the audit trail.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};

use super::{created_reply, created_ticket, resolve_category_filter, ticket_detail};
use crate::auth::StaffCaller;
use crate::dto::tickets::{
    AdminOpenTicketBody, AdminTicketQuery, AgentReplyBody, AssignBody, EventListResponse, EventResponse, ReplyResponse,
    SetStatusBody, TicketListResponse, TicketResponse, TriageBody,
};
use crate::dto::ListMeta;
use crate::error::{ApiError, Problem};
use crate::extract::{idempotency, if_match, ticket_ref, JsonBody};
use crate::routes::Routes;
use crate::ApiState;

const BASE: &str = "/api/v1/admin/tickets";

/// Registers the agents' ticket routes.
pub fn configure(routes: &mut Routes<'_>) {
    routes.resource("/api/v1/admin/tickets", |r| r.get(list_admin_tickets).post(open_admin_ticket));
    routes.resource("/api/v1/admin/tickets/{ticket}", |r| r.get(get_admin_ticket).patch(triage_ticket));
    routes.resource("/api/v1/admin/tickets/{ticket}/status", |r| r.patch(set_ticket_status));
    routes.resource("/api/v1/admin/tickets/{ticket}/assign", |r| r.patch(assign_ticket));
    routes.resource("/api/v1/admin/tickets/{ticket}/messages", |r| r.post(create_admin_message));
    routes.resource("/api/v1/admin/tickets/{ticket}/events", |r| r.get(list_ticket_events));
}

/// The queue (permission `tickets:read`).
#[utoipa::path(
    get, path = "/api/v1/admin/tickets", tag = "admin-tickets",
    params(AdminTicketQuery),
    responses(
        (status = 200, description = "One page of the tenant's tickets", body = TicketListResponse),
        (status = 400, description = "Invalid filter or paging", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not staff, or lacks `tickets:read`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn list_admin_tickets(
    state: web::Data<ApiState>,
    caller: StaffCaller,
    query: web::Query<AdminTicketQuery>,
) -> Result<HttpResponse, ApiError> {
    let parsed = query.into_inner().try_into_domain()?;
    let mut ticket_query = parsed.query;
    ticket_query.category_id = resolve_category_filter(state.app(), &caller.0, parsed.category).await?;
    let page = state.app().list_tickets(&caller.0, ticket_query).await?;
    Ok(HttpResponse::Ok().json(TicketListResponse::from(&page)))
}

/// Open a ticket on a customer's behalf (permission `tickets:reply`).
#[utoipa::path(
    post, path = "/api/v1/admin/tickets", tag = "admin-tickets",
    request_body = AdminOpenTicketBody,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retries with the same key and body return the first ticket")),
    responses(
        (status = 201, description = "Opened (or replayed)", body = TicketResponse, headers(
            ("Location" = String, description = "The ticket's URL"),
            ("ETag" = String, description = "The ticket's version"),
            ("Idempotent-Replayed" = String, description = "`true` on a replay"))),
        (status = 400, description = "Invalid input", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not staff, or lacks `tickets:reply`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown customer", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`open_ticket_exists` or `idempotency_key_reused`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn open_admin_ticket(
    state: web::Data<ApiState>,
    caller: StaffCaller,
    req: HttpRequest,
    body: JsonBody<AdminOpenTicketBody>,
) -> Result<HttpResponse, ApiError> {
    let idempotency = idempotency(&req, body.canonical())?;
    let input = body.value.try_into_domain()?;
    let outcome = state.app().open_ticket(&caller.0, input, idempotency).await?;
    if !outcome.replayed {
        state.metrics().ticket_created();
    }
    Ok(created_ticket(&outcome, BASE))
}

/// A ticket with every message, internal notes included (permission `tickets:read`).
#[utoipa::path(
    get, path = "/api/v1/admin/tickets/{ticket}", tag = "admin-tickets",
    params(("ticket" = String, Path, description = "Ticket UUID or number: `42`, `000042`, `%23000042`")),
    responses(
        (status = 200, description = "The ticket", body = TicketResponse, headers(("ETag" = String, description = "The ticket's version"))),
        (status = 400, description = "Malformed ticket reference", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not staff, or lacks `tickets:read`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such ticket in the tenant", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn get_admin_ticket(
    state: web::Data<ApiState>,
    caller: StaffCaller,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let ticket = ticket_ref(&path)?;
    let view = state.app().get_ticket(&caller.0, ticket).await?;
    Ok(ticket_detail(StatusCode::OK, &view))
}

/// Triage: priority, category, tags, subject (permission `tickets:update`).
#[utoipa::path(
    patch, path = "/api/v1/admin/tickets/{ticket}", tag = "admin-tickets",
    request_body = TriageBody,
    params(
        ("ticket" = String, Path, description = "Ticket UUID or number"),
        ("If-Match" = Option<String>, Header, description = "The version the change is based on"),
    ),
    responses(
        (status = 200, description = "The ticket after the change", body = TicketResponse, headers(("ETag" = String, description = "The new version"))),
        (status = 400, description = "Invalid input", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not staff, or lacks `tickets:update`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such ticket in the tenant", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "If-Match does not match", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn triage_ticket(
    state: web::Data<ApiState>,
    caller: StaffCaller,
    req: HttpRequest,
    path: web::Path<String>,
    body: JsonBody<TriageBody>,
) -> Result<HttpResponse, ApiError> {
    let ticket = ticket_ref(&path)?;
    let expected = if_match(&req)?;
    let input = body.value.try_into_domain()?;
    let view = state.app().triage(&caller.0, ticket, input, expected).await?;
    Ok(ticket_detail(StatusCode::OK, &view))
}

/// Set the status (permission `tickets:update`).
#[utoipa::path(
    patch, path = "/api/v1/admin/tickets/{ticket}/status", tag = "admin-tickets",
    request_body = SetStatusBody,
    params(
        ("ticket" = String, Path, description = "Ticket UUID or number"),
        ("If-Match" = Option<String>, Header, description = "The version the change is based on"),
    ),
    responses(
        (status = 200, description = "The ticket after the change", body = TicketResponse, headers(("ETag" = String, description = "The new version"))),
        (status = 400, description = "Invalid input (also a resolution note with another status)", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not staff, or lacks `tickets:update`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such ticket in the tenant", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`invalid_transition`", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "If-Match does not match", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn set_ticket_status(
    state: web::Data<ApiState>,
    caller: StaffCaller,
    req: HttpRequest,
    path: web::Path<String>,
    body: JsonBody<SetStatusBody>,
) -> Result<HttpResponse, ApiError> {
    let ticket = ticket_ref(&path)?;
    let expected = if_match(&req)?;
    let (status, note) = body.value.try_into_domain()?;
    let view = state.app().set_status(&caller.0, ticket, status, note, expected).await?;
    Ok(ticket_detail(StatusCode::OK, &view))
}

/// Assign to an active agent, or clear with `null` (permission `tickets:assign`).
#[utoipa::path(
    patch, path = "/api/v1/admin/tickets/{ticket}/assign", tag = "admin-tickets",
    request_body = AssignBody,
    params(
        ("ticket" = String, Path, description = "Ticket UUID or number"),
        ("If-Match" = Option<String>, Header, description = "The version the change is based on"),
    ),
    responses(
        (status = 200, description = "The ticket after the change", body = TicketResponse, headers(("ETag" = String, description = "The new version"))),
        (status = 400, description = "Invalid input", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not staff, or lacks `tickets:assign`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such ticket, or no such active agent, in the tenant", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "If-Match does not match", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn assign_ticket(
    state: web::Data<ApiState>,
    caller: StaffCaller,
    req: HttpRequest,
    path: web::Path<String>,
    body: JsonBody<AssignBody>,
) -> Result<HttpResponse, ApiError> {
    let ticket = ticket_ref(&path)?;
    let expected = if_match(&req)?;
    let assignee = body.value.try_into_domain()?;
    let view = state.app().assign(&caller.0, ticket, assignee, expected).await?;
    Ok(ticket_detail(StatusCode::OK, &view))
}

/// Reply publicly or add an internal note, optionally changing the status (permission
/// `tickets:reply`, and `tickets:update` too with `status`).
#[utoipa::path(
    post, path = "/api/v1/admin/tickets/{ticket}/messages", tag = "admin-tickets",
    request_body = AgentReplyBody,
    params(
        ("ticket" = String, Path, description = "Ticket UUID or number"),
        ("If-Match" = Option<String>, Header, description = "The version the reply is based on"),
        ("Idempotency-Key" = Option<String>, Header, description = "Retries with the same key and body return the same message"),
    ),
    responses(
        (status = 201, description = "The message, and the ticket's status after it", body = ReplyResponse, headers(
            ("Location" = String, description = "The ticket's URL"),
            ("Idempotent-Replayed" = String, description = "`true` on a replay"))),
        (status = 400, description = "Invalid input", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not staff, or lacks a permission", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such ticket in the tenant", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`ticket_closed`, `invalid_transition` or `idempotency_key_reused`", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "If-Match does not match", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn create_admin_message(
    state: web::Data<ApiState>,
    caller: StaffCaller,
    req: HttpRequest,
    path: web::Path<String>,
    body: JsonBody<AgentReplyBody>,
) -> Result<HttpResponse, ApiError> {
    let ticket = ticket_ref(&path)?;
    let expected = if_match(&req)?;
    let idempotency = idempotency(&req, body.canonical())?;
    let input = body.value.try_into_domain()?;
    let outcome = state.app().agent_reply(&caller.0, ticket, input, expected, idempotency).await?;
    Ok(created_reply(&outcome, BASE))
}

/// The ticket's audit trail, oldest first (permission `tickets:read`).
#[utoipa::path(
    get, path = "/api/v1/admin/tickets/{ticket}/events", tag = "admin-tickets",
    params(("ticket" = String, Path, description = "Ticket UUID or number")),
    responses(
        (status = 200, description = "The events", body = EventListResponse),
        (status = 400, description = "Malformed ticket reference", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not staff, or lacks `tickets:read`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such ticket in the tenant", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn list_ticket_events(
    state: web::Data<ApiState>,
    caller: StaffCaller,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let ticket = ticket_ref(&path)?;
    let events = state.app().ticket_events(&caller.0, ticket).await?;
    let data: Vec<EventResponse> = events.iter().map(EventResponse::from).collect();
    Ok(HttpResponse::Ok().json(EventListResponse { meta: ListMeta::of(&data), data }))
}
