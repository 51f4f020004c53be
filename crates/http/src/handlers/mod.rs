//! The route handlers: short `verb_noun` functions that turn a request into a use-case call
//! and its result into a response. One module per resource, each with its `configure`.

pub mod admin_tickets;
pub mod agents;
pub mod auth;
pub mod categories;
pub mod customers;
pub mod events;
pub mod macros;
pub mod notifications;
pub mod ops;
pub mod reports;
pub mod settings;
pub mod sla;
pub mod test_clock;
pub mod tickets;
pub mod trust;
pub mod webhooks;

use actix_web::http::header::{HeaderName, ETAG, LOCATION};
use actix_web::http::StatusCode;
use actix_web::HttpResponse;
use supportdesk_app::{App, AppError, CategoryKey, Outcome, Principal, ReplyResult, TicketView};
use supportdesk_domain::CategoryId;

use crate::dto::tickets::{CustomerTicketResponse, ReplyResponse, TicketResponse};
use crate::error::ApiError;
use crate::extract::etag;

/// Set on the answer to a retried idempotent request.
pub const IDEMPOTENT_REPLAYED: HeaderName = HeaderName::from_static("idempotent-replayed");

/// A staff ticket detail with its `ETag` (the version of every change).
pub(crate) fn ticket_detail(status: StatusCode, view: &TicketView) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((ETAG, etag(view.summary.ticket.version)))
        .json(TicketResponse::from(view))
}

/// A customer's ticket detail with its `ETag`: the public version, which staff-only changes
/// do not move.
pub(crate) fn customer_ticket_detail(status: StatusCode, view: &TicketView) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((ETAG, etag(view.summary.ticket.public_version)))
        .json(CustomerTicketResponse::from(view))
}

/// 201 for a new (or replayed) ticket: `Location` under `base`, `ETag` (`version`), and
/// `Idempotent-Replayed: true` for a replay.
fn created(outcome: &Outcome<TicketView>, base: &str, version: i64) -> actix_web::HttpResponseBuilder {
    let view = &outcome.value;
    let mut response = HttpResponse::Created();
    response
        .insert_header((LOCATION, format!("{base}/{}", view.summary.ticket.id)))
        .insert_header((ETAG, etag(version)));
    if outcome.replayed {
        response.insert_header((IDEMPOTENT_REPLAYED, "true"));
    }
    response
}

/// 201 for a ticket opened by staff, in the staff's form.
pub(crate) fn created_ticket(outcome: &Outcome<TicketView>, base: &str) -> HttpResponse {
    created(outcome, base, outcome.value.summary.ticket.version).json(TicketResponse::from(&outcome.value))
}

/// 201 for a ticket opened by its customer, in the customer's form.
pub(crate) fn created_customer_ticket(outcome: &Outcome<TicketView>, base: &str) -> HttpResponse {
    created(outcome, base, outcome.value.summary.ticket.public_version)
        .json(CustomerTicketResponse::from(&outcome.value))
}

/// 201 for a reply: `Location` of the ticket under `base`, and `Idempotent-Replayed: true`
/// for a replay.
pub(crate) fn created_reply(outcome: &Outcome<ReplyResult>, base: &str) -> HttpResponse {
    let mut response = HttpResponse::Created();
    response.insert_header((LOCATION, format!("{base}/{}", outcome.value.message.ticket_id)));
    if outcome.replayed {
        response.insert_header((IDEMPOTENT_REPLAYED, "true"));
    }
    response.json(ReplyResponse::from(&outcome.value))
}

/// The id of a category filter: an id as given, a slug looked up among the categories the
/// principal may see.
///
/// # Errors
///
/// 400 for a slug no visible category has.
pub(crate) async fn resolve_category_filter(
    app: &App,
    principal: &Principal,
    key: Option<CategoryKey>,
) -> Result<Option<CategoryId>, ApiError> {
    match key {
        None => Ok(None),
        Some(CategoryKey::Id(id)) => Ok(Some(id)),
        Some(key @ CategoryKey::Slug(_)) => match app.get_category(principal, &key).await {
            Ok(category) => Ok(Some(category.id)),
            Err(AppError::NotFound(_)) => Err(ApiError::invalid_field("category", "must be a category of this tenant")),
            Err(other) => Err(other.into()),
        },
    }
}
