//! Reports (permission `tickets:read`).

use actix_web::{web, HttpResponse};

use crate::auth::StaffCaller;
use crate::dto::reports::{ReportSummaryQuery, ReportSummaryResponse};
use crate::error::{ApiError, Problem};
use crate::routes::Routes;
use crate::ApiState;

/// Registers the report routes.
pub fn configure(routes: &mut Routes<'_>) {
    routes.resource("/api/v1/admin/reports/summary", |r| r.get(report_summary));
}

/// The summary of a range of days: volume, first response and resolution times, SLA
/// attainment and satisfaction, grouped by day, week, agent, category or priority.
#[utoipa::path(
    get, path = "/api/v1/admin/reports/summary", tag = "admin-reports",
    params(ReportSummaryQuery),
    responses(
        (status = 200, description = "One row per group, and the total in `meta`", body = ReportSummaryResponse),
        (status = 400, description = "Invalid `from`, `to` or `groupBy`, or a range over 366 days", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not staff, or lacks `tickets:read`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn report_summary(
    state: web::Data<ApiState>,
    caller: StaffCaller,
    query: web::Query<ReportSummaryQuery>,
) -> Result<HttpResponse, ApiError> {
    let query = query.into_inner().try_into_domain()?;
    let summary = state.app().report_summary(&caller.0, query).await?;
    Ok(HttpResponse::Ok().json(ReportSummaryResponse::from(&summary)))
}
