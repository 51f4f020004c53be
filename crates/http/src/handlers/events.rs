//! The change feed: `GET /admin/events`, every committed event of the tenant after a cursor,
//! with long-polling.

use actix_web::{web, HttpResponse};

use crate::auth::StaffCaller;
use crate::dto::events::{FeedQuery, FeedResponse};
use crate::error::{ApiError, Problem};
use crate::routes::Routes;
use crate::ApiState;

/// Registers the feed.
pub fn configure(routes: &mut Routes<'_>) {
    routes.resource("/api/v1/admin/events", |r| r.get(list_events));
}

/// The tenant's event feed (permission `tickets:read`): oldest first, after `after`;
/// every committed event appears exactly once, also when transactions commit out of order.
#[utoipa::path(
    get, path = "/api/v1/admin/events", tag = "admin-events",
    params(FeedQuery),
    responses(
        (status = 200, description = "The next events and the cursor to read on", body = FeedResponse),
        (status = 400, description = "Bad cursor, limit, types or wait", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not staff, or lacks `tickets:read`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn list_events(
    state: web::Data<ApiState>,
    caller: StaffCaller,
    query: web::Query<FeedQuery>,
) -> Result<HttpResponse, ApiError> {
    let request = query.into_inner().try_into_domain()?;
    let page = state.app().event_feed(&caller.0, &request).await?;
    Ok(HttpResponse::Ok().json(FeedResponse::from(&page)))
}
