//! Webhook endpoints (permission `settings:manage`): subscribe, change, delete, rotate the
//! secret, ping, and the delivery log with manual retry.

use actix_web::http::header::LOCATION;
use actix_web::{web, HttpResponse};

use crate::auth::StaffCaller;
use crate::dto::webhooks::{
    path_id, DeliveryListResponse, DeliveryQuery, DeliveryResponse, PingResponse, WebhookBody, WebhookListResponse,
    WebhookResponse, WebhookWithSecretResponse,
};
use crate::error::{ApiError, Problem};
use crate::extract::JsonBody;
use crate::routes::Routes;
use crate::ApiState;

/// Registers the webhook routes.
pub fn configure(routes: &mut Routes<'_>) {
    routes.resource("/api/v1/admin/webhooks", |r| r.get(list_webhooks).post(create_webhook));
    routes.resource("/api/v1/admin/webhooks/{id}", |r| r.get(get_webhook).patch(update_webhook).delete(delete_webhook));
    routes.resource("/api/v1/admin/webhooks/{id}/rotate-secret", |r| r.post(rotate_webhook_secret));
    routes.resource("/api/v1/admin/webhooks/{id}/ping", |r| r.post(ping_webhook));
    routes.resource("/api/v1/admin/webhooks/{id}/deliveries", |r| r.get(list_deliveries));
    routes.resource("/api/v1/admin/webhooks/{id}/deliveries/{delivery}/retry", |r| r.post(retry_delivery));
}

/// The tenant's endpoints.
#[utoipa::path(
    get, path = "/api/v1/admin/webhooks", tag = "admin-webhooks",
    responses(
        (status = 200, description = "The endpoints, oldest first", body = WebhookListResponse),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Lacks `settings:manage`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn list_webhooks(state: web::Data<ApiState>, caller: StaffCaller) -> Result<HttpResponse, ApiError> {
    let endpoints = state.app().list_webhooks(&caller.0).await?;
    Ok(HttpResponse::Ok().json(WebhookListResponse { data: endpoints.iter().map(WebhookResponse::from).collect() }))
}

/// Subscribe an endpoint; the answer carries its secret, shown this once.
#[utoipa::path(
    post, path = "/api/v1/admin/webhooks", tag = "admin-webhooks",
    request_body = WebhookBody,
    responses(
        (status = 201, description = "Subscribed", body = WebhookWithSecretResponse,
            headers(("Location" = String, description = "The endpoint's URL"))),
        (status = 400, description = "Invalid URL or types, or a private, loopback or link-local destination", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Lacks `settings:manage`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn create_webhook(
    state: web::Data<ApiState>,
    caller: StaffCaller,
    body: JsonBody<WebhookBody>,
) -> Result<HttpResponse, ApiError> {
    let input = body.value.try_into_domain()?;
    let issued = state.app().create_webhook(&caller.0, input).await?;
    Ok(HttpResponse::Created()
        .insert_header((LOCATION, format!("/api/v1/admin/webhooks/{}", issued.endpoint.id)))
        .json(WebhookWithSecretResponse::from(&issued)))
}

/// One endpoint.
#[utoipa::path(
    get, path = "/api/v1/admin/webhooks/{id}", tag = "admin-webhooks",
    params(("id" = uuid::Uuid, Path, description = "The endpoint")),
    responses(
        (status = 200, description = "The endpoint", body = WebhookResponse),
        (status = 400, description = "Malformed id", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Lacks `settings:manage`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such endpoint in the tenant", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn get_webhook(
    state: web::Data<ApiState>,
    caller: StaffCaller,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let endpoint = state.app().get_webhook(&caller.0, path_id(&path, "id")?).await?;
    Ok(HttpResponse::Ok().json(WebhookResponse::from(&endpoint)))
}

/// Change an endpoint (only the fields given).
#[utoipa::path(
    patch, path = "/api/v1/admin/webhooks/{id}", tag = "admin-webhooks",
    params(("id" = uuid::Uuid, Path, description = "The endpoint")),
    request_body = WebhookBody,
    responses(
        (status = 200, description = "Changed", body = WebhookResponse),
        (status = 400, description = "Invalid field or refused destination", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Lacks `settings:manage`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such endpoint in the tenant", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn update_webhook(
    state: web::Data<ApiState>,
    caller: StaffCaller,
    path: web::Path<String>,
    body: JsonBody<WebhookBody>,
) -> Result<HttpResponse, ApiError> {
    let id = path_id(&path, "id")?;
    let input = body.value.try_into_domain()?;
    let endpoint = state.app().update_webhook(&caller.0, id, input).await?;
    Ok(HttpResponse::Ok().json(WebhookResponse::from(&endpoint)))
}

/// Delete an endpoint and its delivery log.
#[utoipa::path(
    delete, path = "/api/v1/admin/webhooks/{id}", tag = "admin-webhooks",
    params(("id" = uuid::Uuid, Path, description = "The endpoint")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, description = "Malformed id", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Lacks `settings:manage`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such endpoint in the tenant", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn delete_webhook(
    state: web::Data<ApiState>,
    caller: StaffCaller,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    state.app().delete_webhook(&caller.0, path_id(&path, "id")?).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Give the endpoint a new secret, shown this once; the old one stops signing at once.
#[utoipa::path(
    post, path = "/api/v1/admin/webhooks/{id}/rotate-secret", tag = "admin-webhooks",
    params(("id" = uuid::Uuid, Path, description = "The endpoint")),
    responses(
        (status = 200, description = "The endpoint with its new secret", body = WebhookWithSecretResponse),
        (status = 400, description = "Malformed id", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Lacks `settings:manage`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such endpoint in the tenant", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn rotate_webhook_secret(
    state: web::Data<ApiState>,
    caller: StaffCaller,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let issued = state.app().rotate_webhook_secret(&caller.0, path_id(&path, "id")?).await?;
    Ok(HttpResponse::Ok().json(WebhookWithSecretResponse::from(&issued)))
}

/// Send a signed `webhook.ping` now and show what came back.
#[utoipa::path(
    post, path = "/api/v1/admin/webhooks/{id}/ping", tag = "admin-webhooks",
    params(("id" = uuid::Uuid, Path, description = "The endpoint")),
    responses(
        (status = 200, description = "What the endpoint answered", body = PingResponse),
        (status = 400, description = "Malformed id", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Lacks `settings:manage`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such endpoint in the tenant", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn ping_webhook(
    state: web::Data<ApiState>,
    caller: StaffCaller,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let outcome = state.app().ping_webhook(&caller.0, path_id(&path, "id")?).await?;
    Ok(HttpResponse::Ok().json(PingResponse::from(&outcome)))
}

/// The endpoint's delivery log, newest first.
#[utoipa::path(
    get, path = "/api/v1/admin/webhooks/{id}/deliveries", tag = "admin-webhooks",
    params(("id" = uuid::Uuid, Path, description = "The endpoint"), DeliveryQuery),
    responses(
        (status = 200, description = "One page of deliveries", body = DeliveryListResponse),
        (status = 400, description = "Malformed id, cursor or limit", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Lacks `settings:manage`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such endpoint in the tenant", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn list_deliveries(
    state: web::Data<ApiState>,
    caller: StaffCaller,
    path: web::Path<String>,
    query: web::Query<DeliveryQuery>,
) -> Result<HttpResponse, ApiError> {
    let id = path_id(&path, "id")?;
    let (before, limit) = query.parse()?;
    let deliveries = state.app().list_deliveries(&caller.0, id, before, limit).await?;
    Ok(HttpResponse::Ok().json(DeliveryListResponse::page(&deliveries, limit)))
}

/// Try a delivery again now, whatever its state.
#[utoipa::path(
    post, path = "/api/v1/admin/webhooks/{id}/deliveries/{delivery}/retry", tag = "admin-webhooks",
    params(("id" = uuid::Uuid, Path, description = "The endpoint"), ("delivery" = uuid::Uuid, Path, description = "The delivery")),
    responses(
        (status = 202, description = "Due now; the log shows the outcome", body = DeliveryResponse),
        (status = 400, description = "Malformed id", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Lacks `settings:manage`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such endpoint or delivery", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn retry_delivery(
    state: web::Data<ApiState>,
    caller: StaffCaller,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (id, delivery) = path.into_inner();
    let delivery = state.app().retry_delivery(&caller.0, path_id(&id, "id")?, path_id(&delivery, "delivery")?).await?;
    Ok(HttpResponse::Accepted().json(DeliveryResponse::from(&delivery)))
}
