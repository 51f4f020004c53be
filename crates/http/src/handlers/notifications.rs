//! Email notification settings and templates (permission `settings:manage`).

use actix_web::{web, HttpResponse};
use supportdesk_app::NotificationKind;

use crate::auth::StaffCaller;
use crate::dto::notifications::{NotificationSettingsBody, NotificationTemplateBody};
use crate::error::{ApiError, Problem};
use crate::extract::JsonBody;
use crate::routes::Routes;
use crate::ApiState;

/// Registers the notification routes.
pub fn configure(routes: &mut Routes<'_>) {
    routes.resource("/api/v1/admin/notification-settings", |r| {
        r.get(get_notification_settings).put(put_notification_settings)
    });
    routes.resource("/api/v1/admin/notification-templates/{kind}", |r| {
        r.get(get_notification_template).put(put_notification_template)
    });
}

fn kind(raw: &str) -> Result<NotificationKind, ApiError> {
    NotificationKind::parse(raw).map_err(|e| ApiError::invalid_field(e.field, e.message))
}

/// Which notification mails the tenant sends.
#[utoipa::path(
    get, path = "/api/v1/admin/notification-settings", tag = "admin-notifications",
    responses(
        (status = 200, description = "The settings", body = NotificationSettingsBody),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Lacks `settings:manage`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn get_notification_settings(
    state: web::Data<ApiState>,
    caller: StaffCaller,
) -> Result<HttpResponse, ApiError> {
    let settings = state.app().mail_settings(&caller.0).await?;
    Ok(HttpResponse::Ok().json(NotificationSettingsBody::from(&settings)))
}

/// Replace the notification settings.
#[utoipa::path(
    put, path = "/api/v1/admin/notification-settings", tag = "admin-notifications",
    request_body = NotificationSettingsBody,
    responses(
        (status = 200, description = "Saved", body = NotificationSettingsBody),
        (status = 400, description = "Invalid address or field", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Lacks `settings:manage`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn put_notification_settings(
    state: web::Data<ApiState>,
    caller: StaffCaller,
    body: JsonBody<NotificationSettingsBody>,
) -> Result<HttpResponse, ApiError> {
    let settings = state.app().save_mail_settings(&caller.0, body.value.try_into_domain()?).await?;
    Ok(HttpResponse::Ok().json(NotificationSettingsBody::from(&settings)))
}

/// The tenant's template of one kind (the default until edited).
#[utoipa::path(
    get, path = "/api/v1/admin/notification-templates/{kind}", tag = "admin-notifications",
    params(("kind" = String, Path, description = "`ticket_created`, `agent_reply`, `ticket_resolved`, `customer_reply` or `new_ticket`")),
    responses(
        (status = 200, description = "The template", body = NotificationTemplateBody),
        (status = 400, description = "Unknown kind", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Lacks `settings:manage`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn get_notification_template(
    state: web::Data<ApiState>,
    caller: StaffCaller,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let template = state.app().mail_template(&caller.0, kind(&path)?).await?;
    Ok(HttpResponse::Ok().json(NotificationTemplateBody::from(&template)))
}

/// Replace a template; it must render (with sample values) to be saved.
#[utoipa::path(
    put, path = "/api/v1/admin/notification-templates/{kind}", tag = "admin-notifications",
    params(("kind" = String, Path, description = "`ticket_created`, `agent_reply`, `ticket_resolved`, `customer_reply` or `new_ticket`")),
    request_body = NotificationTemplateBody,
    responses(
        (status = 200, description = "Saved", body = NotificationTemplateBody),
        (status = 400, description = "Unknown kind, or a template that does not render", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Lacks `settings:manage`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn put_notification_template(
    state: web::Data<ApiState>,
    caller: StaffCaller,
    path: web::Path<String>,
    body: JsonBody<NotificationTemplateBody>,
) -> Result<HttpResponse, ApiError> {
    let kind = kind(&path)?;
    let template = state.app().save_mail_template(&caller.0, body.value.try_into_domain(kind)?).await?;
    Ok(HttpResponse::Ok().json(NotificationTemplateBody::from(&template)))
}
