//! The service's own accounts: customer registration and login.

use actix_web::http::header::{CacheControl, CacheDirective, LOCATION};
use actix_web::{web, HttpRequest, HttpResponse};

use supportdesk_app::AppError;

use crate::dto::accounts::{CustomerResponse, LoginBody, RegisterBody, TokenResponse};
use crate::error::{ApiError, Problem};
use crate::extract::JsonBody;
use crate::routes::Routes;
use crate::ApiState;

/// Registers the account routes.
pub fn configure(routes: &mut Routes<'_>) {
    routes.resource("/api/v1/auth/register", |r| r.post(register_customer));
    routes.resource("/api/v1/auth/login", |r| r.post(create_token));
}

/// Register a customer account (unless registration is disabled).
#[utoipa::path(
    post, path = "/api/v1/auth/register", tag = "auth",
    request_body = RegisterBody,
    responses(
        (status = 201, description = "The new customer's profile", body = CustomerResponse, headers(("Location" = String, description = "The customer's URL (for staff)"))),
        (status = 400, description = "Invalid input (password 10..128 characters)", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Registration is disabled, globally or for the tenant (`allowRegistration`)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such tenant (tenants are created by the operator); nothing is created", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`email_taken`", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`rate_limited`: too many registrations from this client, or the server is busy hashing other registrations' passwords", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
    )
)]
pub async fn register_customer(
    state: web::Data<ApiState>,
    req: HttpRequest,
    body: JsonBody<RegisterBody>,
) -> Result<HttpResponse, ApiError> {
    state.check_register(state.client(&req))?;
    let input = body.value.try_into_domain()?;
    let customer = state.app().register(input).await?;
    Ok(HttpResponse::Created()
        .insert_header((LOCATION, format!("/api/v1/admin/customers/{}", customer.id)))
        .json(CustomerResponse::from(&customer)))
}

/// Log in with email and password; answers a bearer token.
#[utoipa::path(
    post, path = "/api/v1/auth/login", tag = "auth",
    request_body = LoginBody,
    responses(
        (status = 200, description = "A token", body = TokenResponse),
        (status = 400, description = "Invalid input", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Wrong email or password (the same answer either way)", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`rate_limited`: too many attempts from this client, or too many wrong passwords from this client for this email", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
    )
)]
pub async fn create_token(
    state: web::Data<ApiState>,
    req: HttpRequest,
    body: JsonBody<LoginBody>,
) -> Result<HttpResponse, ApiError> {
    let client = state.client(&req);
    state.check_login_client(client)?;
    let input = body.value.try_into_domain()?;
    state.check_login_account(client, &input.tenant, &input.email)?;
    let user = match state.app().login(&input.tenant, &input.email, &input.password).await {
        Err(AppError::InvalidCredentials) => {
            state.count_login_failure(client, &input.tenant, &input.email);
            return Err(AppError::InvalidCredentials.into());
        }
        result => result?,
    };
    let token = state.issuer().issue(&user).map_err(ApiError::internal)?;
    Ok(HttpResponse::Ok().insert_header(CacheControl(vec![CacheDirective::NoStore])).json(TokenResponse {
        access_token: token.token,
        token_type: "Bearer".to_owned(),
        expires_in: token.expires_in,
        role: token.role.as_str().to_owned(),
    }))
}
