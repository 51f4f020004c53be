//! Agent management routes (permission `agents:manage`).

use actix_web::http::header::LOCATION;
use actix_web::{web, HttpResponse};

use crate::auth::StaffCaller;
use crate::dto::accounts::{agent_id, AgentListResponse, AgentResponse, CreateAgentBody, UpdateAgentBody};
use crate::error::{ApiError, Problem};
use crate::extract::JsonBody;
use crate::routes::Routes;
use crate::ApiState;

/// Registers the agent routes.
pub fn configure(routes: &mut Routes<'_>) {
    routes.resource("/api/v1/admin/agents", |r| r.get(list_agents).post(create_agent));
    routes.resource("/api/v1/admin/agents/{id}", |r| r.get(get_agent).patch(update_agent));
}

/// The tenant's agents, by name (permission `agents:manage`).
#[utoipa::path(
    get, path = "/api/v1/admin/agents", tag = "admin-agents",
    responses(
        (status = 200, description = "The agents", body = AgentListResponse),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not staff, or lacks `agents:manage`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn list_agents(state: web::Data<ApiState>, caller: StaffCaller) -> Result<HttpResponse, ApiError> {
    let agents = state.app().list_agents(&caller.0).await?;
    Ok(HttpResponse::Ok().json(AgentListResponse::of(&agents)))
}

/// One agent (permission `agents:manage`).
#[utoipa::path(
    get, path = "/api/v1/admin/agents/{id}", tag = "admin-agents",
    params(("id" = uuid::Uuid, Path, description = "The agent's id")),
    responses(
        (status = 200, description = "The agent", body = AgentResponse),
        (status = 400, description = "Malformed id", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not staff, or lacks `agents:manage`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such agent in the tenant", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn get_agent(
    state: web::Data<ApiState>,
    caller: StaffCaller,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = agent_id(&path)?;
    let agent = state.app().get_agent(&caller.0, id).await?;
    Ok(HttpResponse::Ok().json(AgentResponse::from(&agent)))
}

/// Add an agent or admin (only admins add admins) (permission `agents:manage`).
#[utoipa::path(
    post, path = "/api/v1/admin/agents", tag = "admin-agents",
    request_body = CreateAgentBody,
    responses(
        (status = 201, description = "Created", body = AgentResponse, headers(("Location" = String, description = "The agent's URL"))),
        (status = 400, description = "Invalid input", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not staff, lacks `agents:manage`, or an agent creating an admin", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`email_taken`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn create_agent(
    state: web::Data<ApiState>,
    caller: StaffCaller,
    body: JsonBody<CreateAgentBody>,
) -> Result<HttpResponse, ApiError> {
    let input = body.value.try_into_domain()?;
    let agent = state.app().create_agent(&caller.0, input).await?;
    Ok(HttpResponse::Created()
        .insert_header((LOCATION, format!("/api/v1/admin/agents/{}", agent.id)))
        .json(AgentResponse::from(&agent)))
}

/// Change an agent (permission `agents:manage`).
#[utoipa::path(
    patch, path = "/api/v1/admin/agents/{id}", tag = "admin-agents",
    request_body = UpdateAgentBody,
    params(("id" = uuid::Uuid, Path, description = "The agent's id")),
    responses(
        (status = 200, description = "The agent after the change", body = AgentResponse),
        (status = 400, description = "Invalid input", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not staff, lacks `agents:manage`, or an agent changing an admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such agent in the tenant", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`email_taken`, or `last_admin`: the tenant's last active admin cannot be deactivated or demoted", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn update_agent(
    state: web::Data<ApiState>,
    caller: StaffCaller,
    path: web::Path<String>,
    body: JsonBody<UpdateAgentBody>,
) -> Result<HttpResponse, ApiError> {
    let id = agent_id(&path)?;
    let patch = body.value.try_into_domain()?;
    let agent = state.app().update_agent(&caller.0, id, patch).await?;
    Ok(HttpResponse::Ok().json(AgentResponse::from(&agent)))
}
