//! The admins' screens for events out (issue 12): the webhook endpoints with their delivery
//! logs, and the email notifications (settings and templates). Every action calls the same
//! use case as the API (`settings:manage` is checked there); the page only reads the form.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use supportdesk_app::{
    event_kinds, public_event_type, AppError, Delivery, EventSelection, FieldError, MailSettings, MailTemplate,
    Missing, NotificationKind, RenderedMail, WebhookEndpoint, WebhookInput, WebhookUrl,
};
use supportdesk_domain::Email;
use uuid::Uuid;

use super::{render, see_other, Nav};
use crate::error::{describe, WebError};
use crate::forms::Fields;
use crate::session::{Area, Session, Staff, StaffPost};
use crate::views::when;
use crate::WebState;

/// How many deliveries the log shows.
const LOG_LENGTH: usize = 50;

/// Registers the webhook and email routes on the console's scope.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/settings/webhooks", web::get().to(webhooks))
        .route("/settings/webhooks", web::post().to(create_webhook))
        .route("/settings/webhooks/{id}", web::get().to(webhook_log))
        .route("/settings/webhooks/{id}/delete", web::post().to(delete_webhook))
        .route("/settings/webhooks/{id}/ping", web::post().to(ping_webhook))
        .route("/settings/webhooks/{id}/deliveries/{delivery}/retry", web::post().to(retry_delivery))
        .route("/settings/email", web::get().to(email))
        .route("/settings/email", web::post().to(save_email_settings))
        .route("/settings/email/{kind}", web::get().to(template_editor))
        .route("/settings/email/{kind}", web::post().to(post_template));
}

/// What a `?done=` query says was saved.
fn done_notice(query: Vec<(String, String)>) -> Option<(&'static str, String)> {
    Fields::new(query).text("done").map(|what| ("info", format!("Saved: {what}.")))
}

/// The status of a page that shows a refused change again.
fn refused_status(error: &AppError) -> StatusCode {
    match error {
        AppError::Forbidden(_) => StatusCode::FORBIDDEN,
        AppError::NotFound(_) => StatusCode::NOT_FOUND,
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    }
}

fn field_error(error: FieldError) -> AppError {
    AppError::Validation(vec![error])
}

fn uuid_of(raw: &str, what: Missing) -> Result<Uuid, AppError> {
    Uuid::parse_str(raw.trim()).map_err(|_| AppError::NotFound(what))
}

// ---- Webhooks ----

struct EventBox {
    value: String,
}

struct EndpointLine {
    id: String,
    url: String,
    description: String,
    events: String,
    state: &'static str,
    failing_since: String,
}

impl From<&WebhookEndpoint> for EndpointLine {
    fn from(e: &WebhookEndpoint) -> Self {
        Self {
            id: e.id.to_string(),
            url: e.url.as_str().to_owned(),
            description: e.description.clone(),
            events: e.events.to_public().join(", "),
            state: if e.active { "active" } else { "disabled" },
            failing_since: e.failing_since.map(when).unwrap_or_default(),
        }
    }
}

#[derive(Template)]
#[template(path = "webhooks.html")]
struct WebhooksPage {
    nav: Nav,
    notice: String,
    notice_kind: &'static str,
    endpoints: Vec<EndpointLine>,
    event_types: Vec<EventBox>,
}

async fn webhooks_page(
    state: &WebState,
    session: &Session,
    notice: Option<(&'static str, String)>,
    status: StatusCode,
) -> Result<HttpResponse, WebError> {
    let endpoints = state.app().list_webhooks(&session.principal).await?;
    let (notice_kind, notice) = notice.unwrap_or(("", String::new()));
    let page = WebhooksPage {
        nav: Nav::of(Area::Console, session),
        notice,
        notice_kind,
        endpoints: endpoints.iter().map(EndpointLine::from).collect(),
        event_types: event_kinds().map(|k| EventBox { value: public_event_type(k) }).collect(),
    };
    render(&page, status)
}

async fn webhooks(
    Staff(session): Staff,
    state: web::Data<WebState>,
    query: web::Query<Vec<(String, String)>>,
) -> Result<HttpResponse, WebError> {
    webhooks_page(&state, &session, done_notice(query.into_inner()), StatusCode::OK).await
}

/// After a change on the webhooks screen: back to it with what was done, or the screen again
/// with why not.
async fn after_webhooks(
    state: &WebState,
    post: &StaffPost,
    result: Result<String, AppError>,
) -> Result<HttpResponse, WebError> {
    match result {
        Ok(what) => Ok(see_other(&format!("/console/settings/webhooks?done={}", super::encode(&what)))),
        Err(AppError::Internal(cause)) => Err(AppError::Internal(cause).into()),
        Err(error) => {
            webhooks_page(state, &post.session, Some(("error", describe(&error))), refused_status(&error)).await
        }
    }
}

async fn create_webhook(state: web::Data<WebState>, post: StaffPost) -> Result<HttpResponse, WebError> {
    let made = async {
        let fields = &post.fields;
        let url = WebhookUrl::parse(fields.text("url").unwrap_or_default()).map_err(field_error)?;
        let types: Vec<String> = fields.all("events").into_iter().map(str::to_owned).collect();
        let events = EventSelection::parse(&types).map_err(field_error)?;
        let input = WebhookInput {
            url: Some(url),
            events: Some(events),
            active: Some(true),
            description: Some(fields.text("description").unwrap_or_default().to_owned()),
        };
        state.app().create_webhook(&post.session.principal, input).await
    }
    .await;
    match made {
        Ok(issued) => {
            let notice = format!(
                "Endpoint {} subscribed. Copy its signing secret now, it will not be shown again: {}",
                issued.endpoint.url.as_str(),
                issued.endpoint.secret.expose()
            );
            webhooks_page(&state, &post.session, Some(("secret", notice)), StatusCode::OK).await
        }
        Err(error) => after_webhooks(&state, &post, Err(error)).await,
    }
}

async fn delete_webhook(
    state: web::Data<WebState>,
    post: StaffPost,
    id: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let result = async {
        let id = uuid_of(&id, Missing::Webhook)?;
        state.app().delete_webhook(&post.session.principal, id).await.map(|()| "endpoint deleted".to_owned())
    }
    .await;
    after_webhooks(&state, &post, result).await
}

async fn ping_webhook(
    state: web::Data<WebState>,
    post: StaffPost,
    id: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let pinged = async {
        let id = uuid_of(&id, Missing::Webhook)?;
        state.app().ping_webhook(&post.session.principal, id).await
    }
    .await;
    match pinged {
        Ok(outcome) => {
            let millis = outcome.duration.as_millis();
            let answer = match (outcome.status, &outcome.error) {
                (Some(code), _) if outcome.succeeded() => format!("Ping delivered: the endpoint answered {code}"),
                (Some(code), error) => format!(
                    "Ping failed: the endpoint answered {code}{}",
                    error.as_deref().map(|e| format!(" ({e})")).unwrap_or_default()
                ),
                (None, error) => format!("Ping failed: {}", error.as_deref().unwrap_or("no response")),
            };
            let kind = if outcome.succeeded() { "info" } else { "error" };
            let notice = format!("{answer}, in {millis} ms.");
            webhooks_page(&state, &post.session, Some((kind, notice)), StatusCode::OK).await
        }
        Err(error) => after_webhooks(&state, &post, Err(error)).await,
    }
}

struct DeliveryLine {
    id: String,
    event_id: String,
    status: &'static str,
    attempts: i32,
    response_status: String,
    error: String,
    next_attempt: String,
    created: String,
}

impl From<&Delivery> for DeliveryLine {
    fn from(d: &Delivery) -> Self {
        Self {
            id: d.id.to_string(),
            event_id: d.event_id.to_string(),
            status: d.status.as_str(),
            attempts: d.attempts,
            response_status: d.response_status.map(|s| s.to_string()).unwrap_or_else(|| "—".to_owned()),
            error: d.error.clone().unwrap_or_default(),
            next_attempt: d.next_attempt_at.map(when).unwrap_or_else(|| "—".to_owned()),
            created: when(d.created_at),
        }
    }
}

#[derive(Template)]
#[template(path = "webhook.html")]
struct WebhookLogPage {
    nav: Nav,
    notice: String,
    notice_kind: &'static str,
    endpoint: EndpointLine,
    deliveries: Vec<DeliveryLine>,
}

async fn webhook_log_page(
    state: &WebState,
    session: &Session,
    id: Uuid,
    notice: Option<(&'static str, String)>,
    status: StatusCode,
) -> Result<HttpResponse, WebError> {
    let endpoint = state.app().get_webhook(&session.principal, id).await?;
    let deliveries = state.app().list_deliveries(&session.principal, id, None, LOG_LENGTH).await?;
    let (notice_kind, notice) = notice.unwrap_or(("", String::new()));
    let page = WebhookLogPage {
        nav: Nav::of(Area::Console, session),
        notice,
        notice_kind,
        endpoint: EndpointLine::from(&endpoint),
        deliveries: deliveries.iter().map(DeliveryLine::from).collect(),
    };
    render(&page, status)
}

async fn webhook_log(
    Staff(session): Staff,
    state: web::Data<WebState>,
    id: web::Path<String>,
    query: web::Query<Vec<(String, String)>>,
) -> Result<HttpResponse, WebError> {
    let id = uuid_of(&id, Missing::Webhook)?;
    webhook_log_page(&state, &session, id, done_notice(query.into_inner()), StatusCode::OK).await
}

async fn retry_delivery(
    state: web::Data<WebState>,
    post: StaffPost,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, WebError> {
    let (raw_id, raw_delivery) = path.into_inner();
    let id = uuid_of(&raw_id, Missing::Webhook)?;
    let result = async {
        let delivery = uuid_of(&raw_delivery, Missing::Delivery)?;
        state.app().retry_delivery(&post.session.principal, id, delivery).await
    }
    .await;
    match result {
        Ok(_) => Ok(see_other(&format!(
            "/console/settings/webhooks/{id}?done={}",
            super::encode("the delivery is due now; reload to see the outcome")
        ))),
        Err(AppError::Internal(cause)) => Err(AppError::Internal(cause).into()),
        Err(error) => {
            let status = refused_status(&error);
            webhook_log_page(&state, &post.session, id, Some(("error", describe(&error))), status).await
        }
    }
}

// ---- Email ----

struct KindLine {
    value: &'static str,
    label: &'static str,
    enabled: bool,
}

fn label(kind: NotificationKind) -> &'static str {
    match kind {
        NotificationKind::TicketCreated => "To the customer when their ticket is opened",
        NotificationKind::AgentReply => "To the customer on a public agent reply",
        NotificationKind::TicketResolved => "To the customer when their ticket is resolved",
        NotificationKind::CustomerReply => "To the assignee when the customer replies",
        NotificationKind::NewTicket => "To the tenant's address on every new ticket",
    }
}

#[derive(Template)]
#[template(path = "email.html")]
struct EmailPage {
    nav: Nav,
    notice: String,
    notice_kind: &'static str,
    kinds: Vec<KindLine>,
    tenant_address: String,
}

async fn email_page(
    state: &WebState,
    session: &Session,
    notice: Option<(&'static str, String)>,
    status: StatusCode,
) -> Result<HttpResponse, WebError> {
    let settings = state.app().mail_settings(&session.principal).await?;
    let (notice_kind, notice) = notice.unwrap_or(("", String::new()));
    let page = EmailPage {
        nav: Nav::of(Area::Console, session),
        notice,
        notice_kind,
        kinds: NotificationKind::ALL
            .iter()
            .map(|k| KindLine { value: k.as_str(), label: label(*k), enabled: settings.enabled.contains(k) })
            .collect(),
        tenant_address: settings.tenant_address.as_ref().map(ToString::to_string).unwrap_or_default(),
    };
    render(&page, status)
}

async fn email(
    Staff(session): Staff,
    state: web::Data<WebState>,
    query: web::Query<Vec<(String, String)>>,
) -> Result<HttpResponse, WebError> {
    email_page(&state, &session, done_notice(query.into_inner()), StatusCode::OK).await
}

async fn save_email_settings(state: web::Data<WebState>, post: StaffPost) -> Result<HttpResponse, WebError> {
    let result = async {
        let fields = &post.fields;
        let on = fields.all("enabled");
        let enabled = NotificationKind::ALL.into_iter().filter(|k| on.contains(&k.as_str())).collect();
        let tenant_address = fields.optional("tenantAddress", Email::parse)?;
        state.app().save_mail_settings(&post.session.principal, MailSettings { enabled, tenant_address }).await
    }
    .await;
    match result {
        Ok(_) => Ok(see_other(&format!("/console/settings/email?done={}", super::encode("notification settings")))),
        Err(AppError::Internal(cause)) => Err(AppError::Internal(cause).into()),
        Err(error) => {
            email_page(&state, &post.session, Some(("error", describe(&error))), refused_status(&error)).await
        }
    }
}

#[derive(Template)]
#[template(path = "email_template.html")]
struct TemplatePage {
    nav: Nav,
    notice: String,
    notice_kind: &'static str,
    kind: &'static str,
    label: &'static str,
    subject: String,
    text: String,
    html: String,
    preview: Option<RenderedMail>,
}

fn template_page(
    session: &Session,
    template: &MailTemplate,
    notice: Option<(&'static str, String)>,
    preview: Option<RenderedMail>,
    status: StatusCode,
) -> Result<HttpResponse, WebError> {
    let (notice_kind, notice) = notice.unwrap_or(("", String::new()));
    let page = TemplatePage {
        nav: Nav::of(Area::Console, session),
        notice,
        notice_kind,
        kind: template.kind.as_str(),
        label: label(template.kind),
        subject: template.subject.clone(),
        text: template.text.clone(),
        html: template.html.clone(),
        preview,
    };
    render(&page, status)
}

fn kind_of(raw: &str) -> Result<NotificationKind, WebError> {
    NotificationKind::parse(raw).map_err(|e| WebError::BadRequest(format!("{} {}", e.field, e.message)))
}

async fn template_editor(
    Staff(session): Staff,
    state: web::Data<WebState>,
    kind: web::Path<String>,
    query: web::Query<Vec<(String, String)>>,
) -> Result<HttpResponse, WebError> {
    let kind = kind_of(&kind)?;
    let template = state.app().mail_template(&session.principal, kind).await?;
    template_page(&session, &template, done_notice(query.into_inner()), None, StatusCode::OK)
}

/// Previews (`action=preview`) or saves the template as typed; either way a template that
/// does not render comes back with its error and the text the admin typed.
async fn post_template(
    state: web::Data<WebState>,
    post: StaffPost,
    kind: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let kind = kind_of(&kind)?;
    let fields = &post.fields;
    let part = |name: &str| fields.get(name).unwrap_or_default().to_owned();
    let typed = MailTemplate { kind, subject: part("subject"), text: part("text"), html: part("html") };
    let preview_only = fields.get("action") == Some("preview");
    let principal = &post.session.principal;
    let result = MailTemplate::from_parts(kind, typed.subject.clone(), typed.text.clone(), typed.html.clone());
    let outcome = match result {
        Ok(template) if preview_only => state.app().preview_mail_template(principal, &template).map(Some),
        Ok(template) => state.app().save_mail_template(principal, template).await.map(|_| None),
        Err(error) => Err(error),
    };
    match outcome {
        Ok(Some(preview)) => template_page(&post.session, &typed, None, Some(preview), StatusCode::OK),
        Ok(None) => {
            Ok(see_other(&format!("/console/settings/email/{}?done={}", kind.as_str(), super::encode("template"))))
        }
        Err(error @ (AppError::Internal(_) | AppError::Forbidden(_))) => Err(error.into()),
        Err(error) => {
            let status = match error {
                // As the API's 400: the template does not render.
                AppError::Validation(_) => StatusCode::BAD_REQUEST,
                ref other => refused_status(other),
            };
            template_page(&post.session, &typed, Some(("error", describe(&error))), None, status)
        }
    }
}
