//! The admins' settings (categories, agents and their permissions, tenant policy, signing
//! keys, API keys), the customer directory, and a customer's profile with their tickets. Each section shows only when
//! its use case lets the caller read it; every change goes through the same use case as the
//! API, with its permission check.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use supportdesk_app::{
    AgentPatch, AppError, CustomerQuery, NewAgent, NewApiKey, NewCategory, Password, Principal, TicketQuery,
};
use supportdesk_domain::search::DirectoryQuery;
use supportdesk_domain::{
    AgentId, CategoryId, CategoryName, CustomerId, Email, Permission, PersonName, Role, Slug, Tags, TenantPolicy,
};

use super::{render, see_other, Nav};
use crate::error::{describe, WebError};
use crate::forms::Fields;
use crate::session::{Area, Session, Staff, StaffPost};
use crate::views::{when, TicketRow};
use crate::WebState;

/// Registers the settings and customer routes on the console's scope.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/settings", web::get().to(settings))
        .route("/settings/categories", web::post().to(create_category))
        .route("/settings/categories/{id}/deactivate", web::post().to(deactivate_category))
        .route("/settings/agents", web::post().to(create_agent))
        .route("/settings/agents/{id}", web::post().to(update_agent))
        .route("/settings/agents/{id}/revoke", web::post().to(revoke_sessions))
        .route("/settings/policy", web::post().to(update_policy))
        .route("/settings/signing-keys", web::post().to(create_signing_key))
        .route("/settings/signing-keys/{kid}/delete", web::post().to(delete_signing_key))
        .route("/settings/api-keys", web::post().to(create_api_key))
        .route("/settings/api-keys/{id}/delete", web::post().to(delete_api_key))
        .route("/settings/macros", web::post().to(create_macro))
        .route("/settings/macros/{id}/delete", web::post().to(delete_macro))
        .route("/customers", web::get().to(customers))
        .route("/customers/{id}", web::get().to(customer));
}

struct CategoryLine {
    id: String,
    slug: String,
    name: String,
    active: bool,
}

struct PermissionBox {
    value: &'static str,
    checked: bool,
}

struct AgentLine {
    id: String,
    name: String,
    email: String,
    role: &'static str,
    active: bool,
    permissions: Vec<PermissionBox>,
}

struct KeyLine {
    id: String,
    label: String,
    detail: String,
}

#[derive(Template)]
#[template(path = "settings.html")]
struct SettingsPage {
    nav: Nav,
    notice: String,
    notice_kind: &'static str,
    categories: Option<Vec<CategoryLine>>,
    agents: Option<Vec<AgentLine>>,
    all_permissions: Vec<&'static str>,
    policy: Option<(bool, bool, bool, u16)>,
    signing_keys: Option<Vec<KeyLine>>,
    api_keys: Option<Vec<KeyLine>>,
    /// The tenant's macros (for `settings:manage`).
    macros: Option<Vec<KeyLine>>,
    /// Whether the webhook and email screens are the caller's (`settings:manage`).
    integrations: bool,
}

/// `Some(value)` when the caller may read it, `None` when refused; other errors propagate.
fn readable<T>(result: Result<T, AppError>) -> Result<Option<T>, WebError> {
    match result {
        Ok(value) => Ok(Some(value)),
        Err(AppError::Forbidden(_)) => Ok(None),
        Err(other) => Err(other.into()),
    }
}

fn permission_boxes(granted: &[Permission]) -> Vec<PermissionBox> {
    Permission::ALL.iter().map(|p| PermissionBox { value: p.as_str(), checked: granted.contains(p) }).collect()
}

async fn settings_page(
    state: &WebState,
    session: &Session,
    notice: Option<(&'static str, String)>,
    status: StatusCode,
) -> Result<HttpResponse, WebError> {
    let principal = &session.principal;
    let app = state.app();
    let categories = if principal.may(Permission::CategoriesManage) {
        readable(app.list_categories(principal, None).await)?.map(|list| {
            list.iter()
                .map(|c| CategoryLine {
                    id: c.id.to_string(),
                    slug: c.slug.to_string(),
                    name: c.name.to_string(),
                    active: c.active,
                })
                .collect()
        })
    } else {
        None
    };
    let agents = if principal.may(Permission::AgentsManage) {
        readable(app.list_agents(principal).await)?.map(|list| {
            list.iter()
                .map(|a| AgentLine {
                    id: a.id.to_string(),
                    name: a.name.to_string(),
                    email: a.email.to_string(),
                    role: a.role.as_str(),
                    active: a.active,
                    permissions: permission_boxes(&a.permissions),
                })
                .collect()
        })
    } else {
        None
    };
    let policy = readable(app.tenant_settings(principal).await)?.map(|s| {
        (
            s.policy.allow_customer_close,
            s.policy.reopen_closed_on_customer_reply,
            s.allow_registration,
            s.policy.auto_close_resolved_after_days,
        )
    });
    let signing_keys = readable(app.list_signing_keys(principal).await)?.map(|keys| {
        keys.iter()
            .map(|k| KeyLine {
                id: k.kid.clone(),
                label: k.kid.clone(),
                detail: format!(
                    "{}, made {}",
                    if k.allow_staff { "customers and staff" } else { "customers only" },
                    when(k.created_at)
                ),
            })
            .collect()
    });
    let api_keys = readable(app.list_api_keys(principal).await)?.map(|keys| {
        keys.iter()
            .map(|k| KeyLine {
                id: k.id.to_string(),
                label: format!("{} ({}…)", k.name, k.prefix),
                detail: format!(
                    "{}; made {}{}",
                    k.permissions.iter().map(|p| p.as_str()).collect::<Vec<_>>().join(", "),
                    when(k.created_at),
                    k.last_used_at.map(|at| format!(", last used {}", when(at))).unwrap_or_default()
                ),
            })
            .collect()
    });
    let macros = if principal.may(Permission::SettingsManage) {
        readable(app.list_macros(principal).await)?.map(|list| list.iter().map(macro_line).collect())
    } else {
        None
    };
    let (notice_kind, notice) = notice.unwrap_or(("", String::new()));
    let page = SettingsPage {
        macros,
        nav: Nav::of(Area::Console, session),
        notice,
        notice_kind,
        categories,
        agents,
        all_permissions: Permission::ALL.iter().map(|p| p.as_str()).collect(),
        policy,
        signing_keys,
        api_keys,
        integrations: principal.may(Permission::SettingsManage),
    };
    render(&page, status)
}

async fn settings(
    Staff(session): Staff,
    state: web::Data<WebState>,
    query: web::Query<Vec<(String, String)>>,
) -> Result<HttpResponse, WebError> {
    let done = Fields::new(query.into_inner()).text("done").map(|what| ("info", format!("Saved: {what}.")));
    settings_page(&state, &session, done, StatusCode::OK).await
}

/// After a change: back to the settings with what was saved, or the page again with why not.
async fn after(
    state: &WebState,
    post: &StaffPost,
    what: &str,
    result: Result<(), AppError>,
) -> Result<HttpResponse, WebError> {
    match result {
        Ok(()) => Ok(see_other(&format!("/console/settings?done={}", super::encode(what)))),
        Err(AppError::Internal(cause)) => Err(AppError::Internal(cause).into()),
        Err(error) => {
            let status = match error {
                AppError::Forbidden(_) => StatusCode::FORBIDDEN,
                AppError::Conflict(_) | AppError::LastAdmin => StatusCode::CONFLICT,
                _ => StatusCode::UNPROCESSABLE_ENTITY,
            };
            settings_page(state, &post.session, Some(("error", describe(&error))), status).await
        }
    }
}

fn permissions_of(fields: &Fields) -> Result<Vec<Permission>, AppError> {
    fields.all("permissions").into_iter().map(|raw| Permission::parse(raw).map_err(AppError::from)).collect()
}

async fn create_category(state: web::Data<WebState>, post: StaffPost) -> Result<HttpResponse, WebError> {
    let result = async {
        let input = NewCategory {
            slug: post.fields.required("slug", Slug::parse)?,
            name: post.fields.required("name", CategoryName::parse)?,
            parent_id: None,
            position: 0,
            active: true,
        };
        state.app().create_category(&post.session.principal, input).await.map(|_| ())
    }
    .await;
    after(&state, &post, "category created", result).await
}

async fn deactivate_category(
    state: web::Data<WebState>,
    post: StaffPost,
    id: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let result = async {
        let id = CategoryId::parse(&id)?;
        state.app().deactivate_category(&post.session.principal, id).await.map(|_| ())
    }
    .await;
    after(&state, &post, "category deactivated", result).await
}

async fn create_agent(state: web::Data<WebState>, post: StaffPost) -> Result<HttpResponse, WebError> {
    let result = async {
        let fields = &post.fields;
        let input = NewAgent {
            email: fields.required("email", Email::parse)?,
            name: fields.required("name", PersonName::parse)?,
            password: fields.required("password", Password::parse)?,
            role: fields.optional("role", Role::parse)?.unwrap_or(Role::Agent),
            permissions: None,
            active: true,
        };
        state.app().create_agent(&post.session.principal, input).await.map(|_| ())
    }
    .await;
    after(&state, &post, "agent created", result).await
}

async fn update_agent(
    state: web::Data<WebState>,
    post: StaffPost,
    id: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let result = async {
        let fields = &post.fields;
        let patch = AgentPatch {
            role: fields.optional("role", Role::parse)?,
            permissions: Some(permissions_of(fields)?),
            active: Some(fields.get("active") == Some("true")),
            ..AgentPatch::default()
        };
        state.app().update_agent(&post.session.principal, AgentId::parse(&id)?, patch).await.map(|_| ())
    }
    .await;
    after(&state, &post, "agent updated", result).await
}

async fn revoke_sessions(
    state: web::Data<WebState>,
    post: StaffPost,
    id: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let result = async {
        let id = AgentId::parse(&id)?;
        state.app().revoke_agent_sessions(&post.session.principal, id).await
    }
    .await;
    after(&state, &post, "the agent's sessions were ended", result).await
}

async fn update_policy(state: web::Data<WebState>, post: StaffPost) -> Result<HttpResponse, WebError> {
    let fields = &post.fields;
    let allow_registration = Some(fields.get("allowRegistration") == Some("true"));
    let result = async {
        let days = match fields.get("autoCloseResolvedAfterDays").map(str::trim) {
            None | Some("") => 0,
            Some(raw) => raw
                .parse::<u16>()
                .map_err(|_| AppError::invalid("autoCloseResolvedAfterDays", "must be between 0 and 365"))?,
        };
        let policy = TenantPolicy {
            allow_customer_close: fields.get("allowCustomerClose") == Some("true"),
            reopen_closed_on_customer_reply: fields.get("reopenClosedOnCustomerReply") == Some("true"),
            auto_close_resolved_after_days: days,
        };
        state.app().update_tenant_settings(&post.session.principal, policy, allow_registration).await.map(|_| ())
    }
    .await;
    after(&state, &post, "tenant policy", result).await
}

/// Shows a new secret once, on the settings page itself (it is never stored in the clear).
async fn show_secret(state: &WebState, session: &Session, what: &str, secret: &str) -> Result<HttpResponse, WebError> {
    let notice = format!("{what}. Copy its secret now, it will not be shown again: {secret}");
    settings_page(state, session, Some(("secret", notice)), StatusCode::OK).await
}

async fn create_signing_key(state: web::Data<WebState>, post: StaffPost) -> Result<HttpResponse, WebError> {
    let allow_staff = post.fields.get("allowStaff") == Some("true");
    match state.app().create_signing_key(&post.session.principal, allow_staff).await {
        Ok(key) => {
            let what = format!("Signing key {} made", key.kid);
            show_secret(&state, &post.session, &what, key.secret.expose()).await
        }
        Err(error) => after(&state, &post, "", Err(error)).await,
    }
}

async fn delete_signing_key(
    state: web::Data<WebState>,
    post: StaffPost,
    kid: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let result = state.app().delete_signing_key(&post.session.principal, &kid).await;
    after(&state, &post, "signing key deleted", result).await
}

async fn create_api_key(state: web::Data<WebState>, post: StaffPost) -> Result<HttpResponse, WebError> {
    let made = async {
        let input = NewApiKey {
            name: post.fields.required("name", PersonName::parse)?,
            permissions: permissions_of(&post.fields)?,
            expires_at: None,
        };
        state.app().create_api_key(&post.session.principal, input).await
    }
    .await;
    match made {
        Ok(issued) => {
            let what = format!("API key {} made", issued.key.name);
            show_secret(&state, &post.session, &what, issued.secret.expose()).await
        }
        Err(error) => after(&state, &post, "", Err(error)).await,
    }
}

async fn delete_api_key(
    state: web::Data<WebState>,
    post: StaffPost,
    id: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let result = async {
        let id = uuid::Uuid::parse_str(&id).map_err(|_| AppError::invalid("id", "must be a UUID"))?;
        state.app().delete_api_key(&post.session.principal, id).await
    }
    .await;
    after(&state, &post, "API key deleted", result).await
}

/// A macro as one line: its name, and what it does besides its message.
fn macro_line(m: &supportdesk_app::Macro) -> KeyLine {
    let mut does = vec![if m.internal { "internal note".to_owned() } else { "public reply".to_owned() }];
    if let Some(status) = m.status {
        does.push(format!("status {}", status.as_str()));
    }
    if let Some(priority) = m.priority {
        does.push(format!("priority {}", priority.as_str()));
    }
    if !m.add_tags.is_empty() {
        does.push(format!("tags +{}", m.add_tags.iter_str().collect::<Vec<_>>().join(", +")));
    }
    if m.assign_to_self {
        does.push("assign to me".to_owned());
    }
    KeyLine { id: m.id.to_string(), label: m.name.clone(), detail: does.join("; ") }
}

async fn create_macro(state: web::Data<WebState>, post: StaffPost) -> Result<HttpResponse, WebError> {
    let result = async {
        let fields = &post.fields;
        let tags: Vec<&str> =
            fields.get("addTags").unwrap_or("").split(',').map(str::trim).filter(|t| !t.is_empty()).collect();
        let input = supportdesk_app::MacroInput {
            name: fields.get("name").unwrap_or("").to_owned(),
            body: fields.get("body").unwrap_or("").to_owned(),
            internal: fields.get("internal") == Some("true"),
            status: fields.optional("status", supportdesk_domain::Status::parse)?,
            priority: fields.optional("priority", supportdesk_domain::Priority::parse)?,
            add_tags: Tags::parse(&tags).map_err(|e| e.for_field("addTags"))?,
            assign_to_self: fields.get("assignToSelf") == Some("true"),
        };
        state.app().create_macro(&post.session.principal, input).await.map(|_| ())
    }
    .await;
    after(&state, &post, "macro created", result).await
}

async fn delete_macro(
    state: web::Data<WebState>,
    post: StaffPost,
    id: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let result = async {
        let id = uuid::Uuid::parse_str(&id).map_err(|_| AppError::invalid("id", "must be a UUID"))?;
        state.app().delete_macro(&post.session.principal, id).await
    }
    .await;
    after(&state, &post, "macro deleted", result).await
}

/// One customer of the directory page.
struct CustomerLine {
    id: String,
    name: String,
    email: String,
    since: String,
}

#[derive(Template)]
#[template(path = "customers.html")]
struct DirectoryPage {
    nav: Nav,
    q: String,
    rows: Vec<CustomerLine>,
    total: u64,
    capped: bool,
    next: String,
}

/// The customer directory: every customer by name, or those `q` finds by a name or email
/// prefix, read on by cursor (`GET /admin/customers`).
async fn customers(
    Staff(session): Staff,
    state: web::Data<WebState>,
    query: web::Query<Vec<(String, String)>>,
) -> Result<HttpResponse, WebError> {
    let fields = Fields::new(query.into_inner());
    let q = fields.text("q").unwrap_or_default().to_owned();
    let text = fields.optional("q", DirectoryQuery::parse)?;
    let cursor = fields.text("cursor").map(str::to_owned);
    let page =
        state.app().list_customers(&session.principal, CustomerQuery { text, cursor, ..CustomerQuery::default() });
    let page = page.await?;
    let next = page.next_cursor.as_ref().map_or_else(String::new, |cursor| {
        super::link("/console/customers", &[("q", q.clone()), ("cursor", cursor.clone())])
    });
    let rows = page
        .items
        .iter()
        .map(|c| CustomerLine {
            id: c.id.to_string(),
            name: c.name.to_string(),
            email: c.email.as_ref().map(ToString::to_string).unwrap_or_default(),
            since: when(c.created_at),
        })
        .collect();
    let directory = DirectoryPage {
        nav: Nav::of(Area::Console, &session),
        q,
        rows,
        total: page.total,
        capped: page.total_is_capped,
        next,
    };
    render(&directory, StatusCode::OK)
}

#[derive(Template)]
#[template(path = "customer.html")]
struct CustomerPage {
    nav: Nav,
    name: String,
    email: String,
    since: String,
    rows: Vec<TicketRow>,
    total: u64,
}

async fn customer(
    Staff(session): Staff,
    state: web::Data<WebState>,
    id: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let principal: &Principal = &session.principal;
    let id =
        CustomerId::parse(&id).map_err(|_| WebError::App(AppError::NotFound(supportdesk_app::Missing::Customer)))?;
    let profile = state.app().get_customer(principal, id).await?;
    let query = TicketQuery { customer_id: Some(id), ..TicketQuery::default() };
    let tickets = state.app().list_tickets(principal, query).await?;
    let page = CustomerPage {
        nav: Nav::of(Area::Console, &session),
        name: profile.name.to_string(),
        email: profile.email.as_ref().map(ToString::to_string).unwrap_or_default(),
        since: when(profile.created_at),
        rows: tickets.items.iter().map(TicketRow::from).collect(),
        total: tickets.total,
    };
    render(&page, StatusCode::OK)
}
