//! The customer's ticket routes: open, list, get, reply, close or reopen, rate.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};

use super::{created_customer_ticket, created_reply, customer_ticket_detail, resolve_category_filter};
use crate::auth::CustomerCaller;
use crate::dto::tickets::{
    CustomerReplyBody, CustomerStatusBody, CustomerTicketListResponse, CustomerTicketQuery, CustomerTicketResponse,
    OpenTicketBody, ReplyResponse, SatisfactionBody, SatisfactionResponse,
};
use crate::error::{ApiError, Problem};
use crate::extract::{etag, idempotency, if_match, ticket_ref, JsonBody};
use crate::routes::Routes;
use crate::ApiState;

const BASE: &str = "/api/v1/tickets";

/// Registers the customer's ticket routes.
pub fn configure(routes: &mut Routes<'_>) {
    routes.resource("/api/v1/tickets", |r| r.post(open_ticket).get(list_tickets));
    routes.resource("/api/v1/tickets/{ticket}", |r| r.get(get_ticket).patch(update_ticket));
    routes.resource("/api/v1/tickets/{ticket}/messages", |r| r.post(create_message));
    routes.resource("/api/v1/tickets/{ticket}/satisfaction", |r| r.post(rate_ticket));
}

/// Open a ticket.
#[utoipa::path(
    post, path = "/api/v1/tickets", tag = "tickets",
    request_body = OpenTicketBody,
    params(("Idempotency-Key" = Option<String>, Header, description = "1..255 visible ASCII characters; retries with the same key and body return the first ticket")),
    responses(
        (status = 201, description = "Opened (or replayed)", body = CustomerTicketResponse, headers(
            ("Location" = String, description = "The ticket's URL"),
            ("ETag" = String, description = "The ticket's customer-visible version"),
            ("Idempotent-Replayed" = String, description = "`true` on a replay"))),
        (status = 400, description = "Invalid input", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a customer", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`open_ticket_exists` (naming only the caller's own unfinished ticket for the order or delivery) or `idempotency_key_reused`", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body too large", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn open_ticket(
    state: web::Data<ApiState>,
    caller: CustomerCaller,
    req: HttpRequest,
    body: JsonBody<OpenTicketBody>,
) -> Result<HttpResponse, ApiError> {
    let idempotency = idempotency(&req, body.canonical())?;
    let input = body.value.try_into_domain()?;
    let outcome = state.app().open_ticket(&caller.0, input, idempotency).await?;
    if !outcome.replayed {
        state.metrics().ticket_created();
    }
    Ok(created_customer_ticket(&outcome, BASE))
}

/// The customer's own tickets.
#[utoipa::path(
    get, path = "/api/v1/tickets", tag = "tickets",
    params(CustomerTicketQuery),
    responses(
        (status = 200, description = "One page of the customer's tickets", body = CustomerTicketListResponse),
        (status = 400, description = "Invalid filter or paging", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a customer", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn list_tickets(
    state: web::Data<ApiState>,
    caller: CustomerCaller,
    query: web::Query<CustomerTicketQuery>,
) -> Result<HttpResponse, ApiError> {
    let parsed = query.into_inner().try_into_domain()?;
    let mut ticket_query = parsed.query;
    ticket_query.category_id = resolve_category_filter(state.app(), &caller.0, parsed.category).await?;
    let page = state.app().list_tickets(&caller.0, ticket_query).await?;
    Ok(HttpResponse::Ok().json(CustomerTicketListResponse::from(&page)))
}

/// One of the customer's tickets, with its public messages.
#[utoipa::path(
    get, path = "/api/v1/tickets/{ticket}", tag = "tickets",
    params(("ticket" = String, Path, description = "Ticket UUID or number: `42`, `000042`, `%23000042`")),
    responses(
        (status = 200, description = "The ticket", body = CustomerTicketResponse, headers(("ETag" = String, description = "The ticket's customer-visible version, `\"3\"`: internal notes and tag changes do not move it"))),
        (status = 400, description = "Malformed ticket reference", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a customer", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such ticket of this customer", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn get_ticket(
    state: web::Data<ApiState>,
    caller: CustomerCaller,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let ticket = ticket_ref(&path)?;
    let view = state.app().get_ticket(&caller.0, ticket).await?;
    Ok(customer_ticket_detail(StatusCode::OK, &view))
}

/// Close (`closed`) or reopen (`open`) a ticket.
#[utoipa::path(
    patch, path = "/api/v1/tickets/{ticket}", tag = "tickets",
    request_body = CustomerStatusBody,
    params(
        ("ticket" = String, Path, description = "Ticket UUID or number"),
        ("If-Match" = Option<String>, Header, description = "The customer-visible version the change is based on: `\"3\"`"),
    ),
    responses(
        (status = 200, description = "The ticket after the change", body = CustomerTicketResponse, headers(("ETag" = String, description = "The new version"))),
        (status = 400, description = "Invalid input or If-Match", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The tenant does not let customers close tickets", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such ticket of this customer", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`invalid_transition`", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "If-Match does not match", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn update_ticket(
    state: web::Data<ApiState>,
    caller: CustomerCaller,
    req: HttpRequest,
    path: web::Path<String>,
    body: JsonBody<CustomerStatusBody>,
) -> Result<HttpResponse, ApiError> {
    let ticket = ticket_ref(&path)?;
    let expected = if_match(&req)?;
    let status = body.value.try_into_domain()?;
    let view = state.app().customer_set_status(&caller.0, ticket, status, expected).await?;
    Ok(customer_ticket_detail(StatusCode::OK, &view))
}

/// Reply to one's own ticket.
#[utoipa::path(
    post, path = "/api/v1/tickets/{ticket}/messages", tag = "tickets",
    request_body = CustomerReplyBody,
    params(
        ("ticket" = String, Path, description = "Ticket UUID or number"),
        ("If-Match" = Option<String>, Header, description = "The customer-visible version the reply is based on"),
        ("Idempotency-Key" = Option<String>, Header, description = "Retries with the same key and body return the same message"),
    ),
    responses(
        (status = 201, description = "The message, and the ticket's status after it", body = ReplyResponse, headers(
            ("Location" = String, description = "The ticket's URL"),
            ("Idempotent-Replayed" = String, description = "`true` on a replay"))),
        (status = 400, description = "Invalid input", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a customer", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such ticket of this customer", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`ticket_closed`, `idempotency_key_reused` or `open_ticket_exists`", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "If-Match does not match", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn create_message(
    state: web::Data<ApiState>,
    caller: CustomerCaller,
    req: HttpRequest,
    path: web::Path<String>,
    body: JsonBody<CustomerReplyBody>,
) -> Result<HttpResponse, ApiError> {
    let ticket = ticket_ref(&path)?;
    let expected = if_match(&req)?;
    let idempotency = idempotency(&req, body.canonical())?;
    let (message, attachments) = body.value.try_into_domain()?;
    let outcome = state.app().customer_reply(&caller.0, ticket, message, attachments, expected, idempotency).await?;
    Ok(created_reply(&outcome, BASE))
}

/// Rate the resolution of one's own resolved or closed ticket: once per resolution (after a
/// reopen and a new resolution, again).
#[utoipa::path(
    post, path = "/api/v1/tickets/{ticket}/satisfaction", tag = "tickets",
    request_body = SatisfactionBody,
    params(
        ("ticket" = String, Path, description = "Ticket UUID or number"),
        ("If-Match" = Option<String>, Header, description = "The customer-visible version the rating is based on"),
    ),
    responses(
        (status = 201, description = "The rating", body = SatisfactionResponse, headers(("ETag" = String, description = "The ticket's new customer-visible version"))),
        (status = 400, description = "Invalid input or If-Match", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a customer", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such ticket of this customer", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`not_resolved` (the ticket is not resolved or closed) or `already_rated` (this resolution was rated)", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "If-Match does not match", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn rate_ticket(
    state: web::Data<ApiState>,
    caller: CustomerCaller,
    req: HttpRequest,
    path: web::Path<String>,
    body: JsonBody<SatisfactionBody>,
) -> Result<HttpResponse, ApiError> {
    let ticket = ticket_ref(&path)?;
    let expected = if_match(&req)?;
    let (rating, comment) = body.value.try_into_domain()?;
    let view = state.app().rate_satisfaction(&caller.0, ticket, rating, comment, expected).await?;
    let rated =
        view.summary.ticket.satisfaction.as_ref().ok_or_else(|| {
            ApiError::from(supportdesk_app::AppError::Internal("a rating left no satisfaction".into()))
        })?;
    Ok(HttpResponse::Created()
        .insert_header((actix_web::http::header::ETAG, etag(view.summary.ticket.public_version)))
        .json(SatisfactionResponse::from(rated)))
}
