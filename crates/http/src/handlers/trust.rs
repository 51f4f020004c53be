//! Trust routes: signing keys (`settings:manage`), API keys and ending an agent's sessions
//! (`agents:manage`), and logout.

use actix_web::http::header::LOCATION;
use actix_web::{web, HttpResponse};

use crate::auth::{Session, StaffCaller};
use crate::dto::accounts::agent_id;
use crate::dto::trust::{
    api_key_id, ApiKeyListResponse, ApiKeyResponse, CreateApiKeyBody, CreateSigningKeyBody, SigningKeyListResponse,
    SigningKeyResponse,
};
use crate::error::{ApiError, Problem};
use crate::extract::JsonBody;
use crate::routes::Routes;
use crate::ApiState;

/// Registers the trust routes.
pub fn configure(routes: &mut Routes<'_>) {
    routes.resource("/api/v1/auth/logout", |r| r.post(delete_session));
    routes.resource("/api/v1/admin/signing-keys", |r| r.get(list_signing_keys).post(create_signing_key));
    routes.resource("/api/v1/admin/signing-keys/{kid}", |r| r.delete(delete_signing_key));
    routes.resource("/api/v1/admin/api-keys", |r| r.get(list_api_keys).post(create_api_key));
    routes.resource("/api/v1/admin/api-keys/{id}", |r| r.delete(delete_api_key));
    routes.resource("/api/v1/admin/agents/{id}/revoke-sessions", |r| r.post(revoke_agent_sessions));
}

/// Log out: the presented token answers 401 from now on (on every server process within
/// `SUPPORTDESK_REVOCATION_CHECK_SECS`, default 2 seconds).
#[utoipa::path(
    post, path = "/api/v1/auth/logout", tag = "auth",
    responses(
        (status = 204, description = "The token is revoked"),
        (status = 400, description = "An API key (delete it instead)", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn delete_session(state: web::Data<ApiState>, session: Session) -> Result<HttpResponse, ApiError> {
    let verified = session.0;
    // Kept past `exp` by the leeway tokens are still accepted for.
    let leeway = time::Duration::seconds(i64::try_from(crate::JwtKeys::LEEWAY_SECS).unwrap_or(5));
    let expires_at = verified.expires_at.unwrap_or_else(time::OffsetDateTime::now_utc) + leeway;
    state.app().logout(&verified.principal, &verified.token, expires_at).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The tenant's signing keys, without secrets (permission `settings:manage`).
#[utoipa::path(
    get, path = "/api/v1/admin/signing-keys", tag = "admin-trust",
    responses(
        (status = 200, description = "The keys, oldest first", body = SigningKeyListResponse),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not staff, or lacks `settings:manage`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn list_signing_keys(state: web::Data<ApiState>, caller: StaffCaller) -> Result<HttpResponse, ApiError> {
    let keys = state.app().list_signing_keys(&caller.0).await?;
    Ok(HttpResponse::Ok().json(SigningKeyListResponse::of(&keys)))
}

/// Make a signing key for the shop's own tokens; the secret is in this answer only
/// (permission `settings:manage`; `allowStaff` needs an admin).
#[utoipa::path(
    post, path = "/api/v1/admin/signing-keys", tag = "admin-trust",
    request_body = CreateSigningKeyBody,
    responses(
        (status = 201, description = "The key with its secret", body = SigningKeyResponse, headers(("Location" = String, description = "The key's URL"))),
        (status = 400, description = "Invalid input", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not staff, lacks `settings:manage`, or `allowStaff` by a non-admin", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn create_signing_key(
    state: web::Data<ApiState>,
    caller: StaffCaller,
    body: JsonBody<CreateSigningKeyBody>,
) -> Result<HttpResponse, ApiError> {
    let key = state.app().create_signing_key(&caller.0, body.value.allow_staff).await?;
    Ok(HttpResponse::Created()
        .insert_header((LOCATION, format!("/api/v1/admin/signing-keys/{}", key.kid)))
        .json(SigningKeyResponse::created(&key)))
}

/// Delete a signing key: tokens it signed stop working within
/// `SUPPORTDESK_REVOCATION_CHECK_SECS` (permission `settings:manage`).
#[utoipa::path(
    delete, path = "/api/v1/admin/signing-keys/{kid}", tag = "admin-trust",
    params(("kid" = String, Path, description = "The key id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not staff, or lacks `settings:manage`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such key in the tenant", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn delete_signing_key(
    state: web::Data<ApiState>,
    caller: StaffCaller,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    state.app().delete_signing_key(&caller.0, &path).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The tenant's API keys, without secrets (permission `agents:manage`).
#[utoipa::path(
    get, path = "/api/v1/admin/api-keys", tag = "admin-trust",
    responses(
        (status = 200, description = "The keys, oldest first", body = ApiKeyListResponse),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not staff, or lacks `agents:manage`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn list_api_keys(state: web::Data<ApiState>, caller: StaffCaller) -> Result<HttpResponse, ApiError> {
    let keys = state.app().list_api_keys(&caller.0).await?;
    Ok(HttpResponse::Ok().json(ApiKeyListResponse::of(&keys)))
}

/// Make an API key for an integration; the key is in this answer only (permission
/// `agents:manage`; no permission its maker lacks).
#[utoipa::path(
    post, path = "/api/v1/admin/api-keys", tag = "admin-trust",
    request_body = CreateApiKeyBody,
    responses(
        (status = 201, description = "The key with its secret", body = ApiKeyResponse, headers(("Location" = String, description = "The key's URL"))),
        (status = 400, description = "Invalid input, or a permission its maker lacks", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not staff, or lacks `agents:manage`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn create_api_key(
    state: web::Data<ApiState>,
    caller: StaffCaller,
    body: JsonBody<CreateApiKeyBody>,
) -> Result<HttpResponse, ApiError> {
    let input = body.value.try_into_domain()?;
    let issued = state.app().create_api_key(&caller.0, input).await?;
    Ok(HttpResponse::Created()
        .insert_header((LOCATION, format!("/api/v1/admin/api-keys/{}", issued.key.id)))
        .json(ApiKeyResponse::from(&issued)))
}

/// Delete an API key: it stops working within `SUPPORTDESK_REVOCATION_CHECK_SECS`
/// (permission `agents:manage`).
#[utoipa::path(
    delete, path = "/api/v1/admin/api-keys/{id}", tag = "admin-trust",
    params(("id" = uuid::Uuid, Path, description = "The key's id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, description = "Malformed id", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not staff, or lacks `agents:manage`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such key in the tenant", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn delete_api_key(
    state: web::Data<ApiState>,
    caller: StaffCaller,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    state.app().delete_api_key(&caller.0, api_key_id(&path)?).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// End every session of an agent: their tokens answer 401 within 5 seconds on every server
/// process (permission `agents:manage`; an admin's sessions only by an admin).
#[utoipa::path(
    post, path = "/api/v1/admin/agents/{id}/revoke-sessions", tag = "admin-agents",
    params(("id" = uuid::Uuid, Path, description = "The agent's id")),
    responses(
        (status = 204, description = "Their earlier tokens are revoked"),
        (status = 400, description = "Malformed id", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not staff, lacks `agents:manage`, or an agent ending an admin's sessions", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such agent in the tenant", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn revoke_agent_sessions(
    state: web::Data<ApiState>,
    caller: StaffCaller,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    state.app().revoke_agent_sessions(&caller.0, agent_id(&path)?).await?;
    Ok(HttpResponse::NoContent().finish())
}
