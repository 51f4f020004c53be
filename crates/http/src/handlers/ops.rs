//! Operations routes: liveness, readiness, metrics and the OpenAPI document. None needs a
//! token; keep `/metrics` off the public internet at the proxy.

use actix_web::http::header::ContentType;
use actix_web::{web, HttpResponse};
use serde::Serialize;
use supportdesk_app::AppError;
use utoipa::ToSchema;

use crate::error::{ApiError, Problem};
use crate::routes::Routes;
use crate::ApiState;

/// Registers the operations routes.
pub fn configure(routes: &mut Routes<'_>) {
    routes.resource("/health", |r| r.get(get_health));
    routes.resource("/ready", |r| r.get(get_ready));
    routes.resource("/metrics", |r| r.get(get_metrics));
    routes.resource("/api/v1/openapi.json", |r| r.get(get_openapi));
}

/// `{"status": "ok"}`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HealthResponse {
    /// Always `ok`.
    #[schema(example = "ok")]
    pub status: String,
}

/// Liveness: the process answers.
#[utoipa::path(get, path = "/health", tag = "ops", responses((status = 200, description = "Alive", body = HealthResponse)))]
pub async fn get_health() -> HttpResponse {
    HttpResponse::Ok().json(HealthResponse { status: "ok".to_owned() })
}

/// Readiness: the store answers.
#[utoipa::path(
    get, path = "/ready", tag = "ops",
    responses(
        (status = 200, description = "Ready", body = HealthResponse),
        (status = 503, description = "The store does not answer", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get_ready(state: web::Data<ApiState>) -> Result<HttpResponse, ApiError> {
    match state.app().ready().await {
        Ok(()) => Ok(HttpResponse::Ok().json(HealthResponse { status: "ok".to_owned() })),
        Err(AppError::Internal(cause)) => Err(ApiError::unavailable(cause)),
        Err(other) => Err(ApiError::unavailable(Box::new(other))),
    }
}

/// Prometheus metrics (OpenMetrics text format 1.0.0).
#[utoipa::path(
    get, path = "/metrics", tag = "ops",
    responses((status = 200, description = "Metrics", body = String, content_type = "application/openmetrics-text; version=1.0.0"))
)]
pub async fn get_metrics(state: web::Data<ApiState>) -> HttpResponse {
    HttpResponse::Ok().content_type(crate::metrics::CONTENT_TYPE).body(state.metrics().render())
}

/// This API's OpenAPI 3.1 document.
#[utoipa::path(
    get, path = "/api/v1/openapi.json", tag = "ops",
    responses((status = 200, description = "The OpenAPI document", content_type = "application/json"))
)]
pub async fn get_openapi(state: web::Data<ApiState>) -> HttpResponse {
    HttpResponse::Ok().insert_header(ContentType::json()).body(state.openapi_json().to_owned())
}
