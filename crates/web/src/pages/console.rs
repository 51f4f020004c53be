//! The agent console: log in and out, the queue, a ticket and its actions.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use supportdesk_app::{
    AgentReplyInput, AppError, AssigneeFilter, CategoryKey, Principal, SearchText, TicketQuery, TicketSort, TriageInput,
};
use supportdesk_domain::{
    AgentId, Email, MessageBody, Permission, Priority, ResolutionNote, Role, Status, Subject, Tag, Tags, TenantKey,
    TicketNumber, TicketRef,
};

use super::{login_response, logout, page_request, pager_links, password_login, render, see_other, Nav};
use crate::error::{describe, WebError};
use crate::forms::Fields;
use crate::session::{login_csrf, Area, Staff, StaffPost};
use crate::views::{sla_lines, status_label, Choice, EventItem, SlaLine, TicketPage, TicketRow};
use crate::WebState;

/// Registers the console's routes on its scope.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("", web::get().to(queue))
        .route("/", web::get().to(|| async { see_other("/console") }))
        .route("/login", web::get().to(login_page))
        .route("/login", web::post().to(login))
        .route("/logout", web::post().to(logout_staff))
        .route("/tickets/{number}", web::get().to(ticket))
        .route("/tickets/{number}/reply", web::post().to(reply))
        .route("/tickets/{number}/status", web::post().to(set_status))
        .route("/tickets/{number}/assign", web::post().to(assign))
        .route("/tickets/{number}/triage", web::post().to(triage))
        .route("/tickets/{number}/macro", web::post().to(apply_macro))
        .configure(super::settings::configure)
        .configure(super::integrations::configure)
        .configure(super::sla::configure)
        .configure(super::reports::configure);
}

#[derive(Template)]
#[template(path = "login.html")]
pub(crate) struct LoginPage {
    pub nav: Nav,
    pub heading: &'static str,
    pub csrf: String,
    pub error: String,
    pub tenant: String,
    pub email: String,
    pub other_link: &'static str,
    pub other_label: &'static str,
}

impl LoginPage {
    pub(crate) fn new(area: Area, csrf: String) -> Self {
        let (heading, other_link, other_label) = match area {
            Area::Console => ("Log in to the console", "/portal/login", "A customer? Go to the support portal."),
            Area::Portal => ("Log in to your support portal", "/console/login", "Staff? Go to the agent console."),
        };
        Self {
            nav: Nav::anonymous(area),
            heading,
            csrf,
            error: String::new(),
            tenant: TenantKey::default().to_string(),
            email: String::new(),
            other_link,
            other_label,
        }
    }
}

async fn login_page(req: HttpRequest) -> Result<HttpResponse, WebError> {
    let (csrf, cookie) = login_csrf(&req);
    login_response(&LoginPage::new(Area::Console, csrf), cookie, StatusCode::OK)
}

/// The login form of either area: a password login, or the form again with the reason.
pub(crate) async fn login_in(
    req: &HttpRequest,
    state: &WebState,
    area: Area,
    fields: &Fields,
) -> Result<HttpResponse, WebError> {
    let tenant_raw = fields.text("tenant").unwrap_or("default").to_owned();
    let email_raw = fields.text("email").unwrap_or("").to_owned();
    let forwarded: Vec<(&str, &str)> = ["x-forwarded-for", "forwarded"]
        .iter()
        .flat_map(|name| req.headers().get_all(*name).filter_map(move |v| v.to_str().ok().map(|v| (*name, v))))
        .collect();
    let client = state.throttle.client_of(req.peer_addr().map(|a| a.ip()), &forwarded);
    let attempt = async {
        let tenant = TenantKey::parse(&tenant_raw)?;
        let email = Email::parse(&email_raw)?;
        state.throttle.check_login(client, &tenant, &email)?;
        let result = password_login(state, area, &tenant, &email, fields.get("password").unwrap_or("")).await;
        if matches!(result, Err(AppError::InvalidCredentials)) {
            state.throttle.count_login_failure(client, &tenant, &email);
        }
        result
    };
    match attempt.await {
        Ok(response) => Ok(response),
        Err(AppError::Internal(cause)) => Err(WebError::App(AppError::Internal(cause))),
        Err(error) => {
            let (csrf, cookie) = login_csrf(req);
            let mut page = LoginPage::new(area, csrf);
            page.error = match error {
                AppError::Validation(_) => describe(&error),
                AppError::Busy { retry_after_secs } => {
                    format!("Too many login attempts; try again in {retry_after_secs} seconds.")
                }
                _ => "Wrong email or password.".to_owned(),
            };
            page.tenant = tenant_raw;
            page.email = email_raw;
            let status = match error {
                AppError::Busy { .. } => StatusCode::TOO_MANY_REQUESTS,
                _ => StatusCode::UNAUTHORIZED,
            };
            login_response(&page, cookie, status)
        }
    }
}

async fn login(
    req: HttpRequest,
    state: web::Data<WebState>,
    form: crate::session::LoginPost,
) -> Result<HttpResponse, WebError> {
    login_in(&req, &state, Area::Console, &form.fields).await
}

async fn logout_staff(state: web::Data<WebState>, post: StaffPost) -> Result<HttpResponse, WebError> {
    logout(&state, Area::Console, &post.session).await
}

#[derive(Template)]
#[template(path = "queue.html")]
struct QueuePage {
    nav: Nav,
    is_admin: bool,
    counts: Vec<StatusCount>,
    q: String,
    tag: String,
    status_choices: Vec<Choice>,
    assignee_choices: Vec<Choice>,
    category_choices: Vec<Choice>,
    priority_choices: Vec<Choice>,
    sort_choices: Vec<Choice>,
    /// The SLA view shown (`breaching`, `breached`), or empty.
    view: String,
    error: String,
    rows: Vec<TicketRow>,
    total: String,
    page: u32,
    pages: u64,
    prev_link: String,
    prev_label: &'static str,
    next_link: String,
}

struct StatusCount {
    status: &'static str,
    label: &'static str,
    count: String,
    active: bool,
}

/// The queue's filters as the query string gives them.
struct QueueFilters {
    status: String,
    assignee: String,
    category: String,
    priority: String,
    tag: String,
    q: String,
    sort: String,
    /// `breaching` (a running SLA clock due within the hour, soonest first), `breached`
    /// (a recorded SLA breach), or empty.
    view: String,
    page: String,
    /// The API's cursor of the page to show (the queue reads on by cursor: no depth limit).
    cursor: String,
}

/// How far ahead "breaching soon" looks.
const BREACHING_SOON_MINUTES: i64 = 60;

impl QueueFilters {
    fn from(fields: &Fields) -> Self {
        let get = |name: &str| fields.text(name).unwrap_or("").to_owned();
        Self {
            status: get("status"),
            assignee: get("assignee"),
            category: get("category"),
            priority: get("priority"),
            tag: get("tag"),
            q: get("q"),
            sort: get("sort"),
            view: get("view"),
            page: get("page"),
            cursor: get("cursor"),
        }
    }

    fn base(&self) -> Vec<(&'static str, String)> {
        vec![
            ("status", self.status.clone()),
            ("assignee", self.assignee.clone()),
            ("category", self.category.clone()),
            ("priority", self.priority.clone()),
            ("tag", self.tag.clone()),
            ("q", self.q.clone()),
            ("sort", self.sort.clone()),
            ("view", self.view.clone()),
        ]
    }

    async fn query(&self, state: &WebState, principal: &Principal) -> Result<TicketQuery, WebError> {
        let mut query = TicketQuery { page: page_request(Some(&self.page))?, ..TicketQuery::default() };
        if !self.cursor.is_empty() {
            query.cursor = Some(self.cursor.clone());
        }
        if !self.status.is_empty() && self.status != "all" {
            for part in self.status.split(',') {
                query.statuses.push(Status::parse(part).map_err(AppError::from)?);
            }
        }
        query.assignee = match self.assignee.as_str() {
            "" | "any" => None,
            "me" => Some(AssigneeFilter::Agent(AgentId::from_uuid(principal.id))),
            "unassigned" => Some(AssigneeFilter::Unassigned),
            other => Some(AssigneeFilter::Agent(AgentId::parse(other).map_err(AppError::from)?)),
        };
        if !self.category.is_empty() {
            let key = CategoryKey::parse(&self.category).map_err(AppError::from)?;
            query.category_id = Some(state.app().get_category(principal, &key).await?.id);
        }
        if !self.priority.is_empty() {
            query.priorities = vec![Priority::parse(&self.priority).map_err(AppError::from)?];
        }
        if !self.tag.is_empty() {
            query.tag = Some(Tag::parse(&self.tag).map_err(AppError::from)?);
        }
        if !self.q.is_empty() {
            query.text = Some(SearchText::parse(&self.q).map_err(AppError::from)?);
        }
        query.sort = match self.sort.as_str() {
            "" if self.view == "breaching" => TicketSort::DueAsc,
            // A search without a chosen order comes best match first, as in the API.
            "" if query.text.is_some() => TicketSort::Relevance,
            "" | "newest" => TicketSort::CreatedDesc,
            "oldest" => TicketSort::CreatedAsc,
            "activity" => TicketSort::ActivityDesc,
            "priority" => TicketSort::PriorityDesc,
            "due" => TicketSort::DueAsc,
            _ => return Err(WebError::BadRequest("sort must be newest, oldest, activity, priority or due".into())),
        };
        match self.view.as_str() {
            "" => {}
            "breaching" => {
                query.due_before = Some(state.app().now() + time::Duration::minutes(BREACHING_SOON_MINUTES));
            }
            "breached" => query.sla_breached = true,
            _ => return Err(WebError::BadRequest("view must be breaching or breached".into())),
        }
        Ok(query)
    }
}

fn status_choices(current: &str, with_all: bool) -> Vec<Choice> {
    let mut choices = Vec::new();
    if with_all {
        choices.push(Choice::new("", "Any status", current));
    }
    choices.extend(Status::ALL.iter().map(|s| Choice::new(s.as_str(), status_label(*s), current)));
    choices
}

fn priority_choices(current: &str, with_any: bool) -> Vec<Choice> {
    let mut choices = Vec::new();
    if with_any {
        choices.push(Choice::new("", "Any priority", current));
    }
    choices.extend(Priority::ALL.iter().map(|p| Choice::new(p.as_str(), p.as_str(), current)));
    choices
}

async fn category_choices(state: &WebState, principal: &Principal, current: &str, any: bool) -> Vec<Choice> {
    let mut choices = Vec::new();
    if any {
        choices.push(Choice::new("", "Any category", current));
    }
    match state.app().list_categories(principal, None).await {
        Ok(categories) => choices.extend(
            categories
                .iter()
                .filter(|c| c.active)
                .map(|c| Choice::new(c.slug.to_string(), c.name.to_string(), current)),
        ),
        Err(error) => tracing::warn!(error = %error, "categories could not be listed for a form"),
    }
    choices
}

/// A list's total as shown: `10000+` when the store stopped counting at its cap.
fn total_text<T>(page: &supportdesk_app::Page<T>) -> String {
    if page.total_is_capped {
        format!("{}+", page.total)
    } else {
        page.total.to_string()
    }
}

/// Counts of the whole queue by status (each a list of one item and its total).
async fn status_counts(state: &WebState, principal: &Principal, current: &str) -> Result<Vec<StatusCount>, WebError> {
    let mut counts = Vec::with_capacity(Status::ALL.len());
    for status in Status::ALL {
        let query = TicketQuery {
            statuses: vec![*status],
            page: supportdesk_app::PageRequest::new(1, 1).map_err(AppError::from)?,
            ..TicketQuery::default()
        };
        let page = state.app().list_tickets(principal, query).await?;
        counts.push(StatusCount {
            status: status.as_str(),
            label: status_label(*status),
            count: total_text(&page),
            active: current == status.as_str(),
        });
    }
    Ok(counts)
}

async fn queue(
    Staff(session): Staff,
    state: web::Data<WebState>,
    query: web::Query<Vec<(String, String)>>,
) -> Result<HttpResponse, WebError> {
    let principal = &session.principal;
    let filters = QueueFilters::from(&Fields::new(query.into_inner()));
    let mut page = QueuePage {
        nav: Nav::of(Area::Console, &session),
        is_admin: principal.role == Role::Admin
            || [Permission::CategoriesManage, Permission::AgentsManage, Permission::SettingsManage]
                .iter()
                .any(|p| principal.may(*p)),
        counts: status_counts(&state, principal, &filters.status).await?,
        q: filters.q.clone(),
        tag: filters.tag.clone(),
        status_choices: status_choices(&filters.status, true),
        assignee_choices: vec![
            Choice::new("", "Anyone", &filters.assignee),
            Choice::new("me", "Assigned to me", &filters.assignee),
            Choice::new("unassigned", "Unassigned", &filters.assignee),
        ],
        category_choices: category_choices(&state, principal, &filters.category, true).await,
        priority_choices: priority_choices(&filters.priority, true),
        sort_choices: vec![
            Choice::new("newest", "Newest first", if filters.sort.is_empty() { "newest" } else { &filters.sort }),
            Choice::new("oldest", "Oldest first", &filters.sort),
            Choice::new("activity", "Recent activity", &filters.sort),
            Choice::new("priority", "Most urgent", &filters.sort),
            Choice::new("due", "SLA due soonest", &filters.sort),
        ],
        view: filters.view.clone(),
        error: String::new(),
        rows: Vec::new(),
        total: "0".to_owned(),
        page: 1,
        pages: 1,
        prev_link: String::new(),
        prev_label: "",
        next_link: String::new(),
    };
    let listed = match filters.query(&state, principal).await {
        Ok(query) => state.app().list_tickets(principal, query).await.map_err(WebError::from),
        Err(error) => Err(error),
    };
    match listed {
        Ok(list) => {
            // Next pages go by the API's cursor, so the queue reads on past the 10,000 items
            // that page numbers reach; a page reached by cursor links back to the first.
            let (prev, _, pages) = pager_links("/console", &filters.base(), &list);
            let link = |extra: Option<(&'static str, String)>| {
                let params: Vec<(&str, String)> = filters.base().into_iter().chain(extra).collect();
                super::link("/console", &params)
            };
            let by_cursor = !filters.cursor.is_empty();
            page.rows = list.items.iter().map(TicketRow::from).collect();
            page.total = total_text(&list);
            page.page = list.request.page();
            page.pages = if by_cursor { 1 } else { pages };
            page.prev_link = if by_cursor { link(None) } else { prev };
            page.prev_label = if by_cursor { "← First page" } else { "← Newer page" };
            page.next_link = list.next_cursor.as_ref().map_or_else(String::new, |c| link(Some(("cursor", c.clone()))));
            render(&page, StatusCode::OK)
        }
        Err(WebError::App(AppError::Internal(cause))) => Err(WebError::App(AppError::Internal(cause))),
        Err(error) => {
            page.error = error.to_string();
            render(&page, StatusCode::BAD_REQUEST)
        }
    }
}

#[derive(Template)]
#[template(path = "ticket.html")]
struct TicketConsolePage {
    nav: Nav,
    t: TicketPage,
    notice: String,
    notice_kind: &'static str,
    draft: String,
    status_choices: Vec<Choice>,
    priority_choices: Vec<Choice>,
    category_choices: Vec<Choice>,
    agent_choices: Vec<Choice>,
    macro_choices: Vec<Choice>,
    events: Vec<EventItem>,
    sla: Vec<SlaLine>,
}

fn ticket_ref(raw: &str) -> Result<TicketRef, WebError> {
    TicketNumber::parse(raw)
        .map(TicketRef::Number)
        .map_err(|_| WebError::App(AppError::NotFound(supportdesk_app::Missing::Ticket)))
}

/// The ticket page, with an optional notice (an error, or "changed by someone else") and the
/// text the agent had typed.
async fn ticket_page(
    state: &WebState,
    session: &crate::session::Session,
    number: &str,
    notice: Option<(&'static str, String)>,
    draft: String,
    status: StatusCode,
) -> Result<HttpResponse, WebError> {
    let principal = &session.principal;
    let reference = ticket_ref(number)?;
    let view = state.app().get_ticket(principal, reference).await?;
    let events = match state.app().ticket_events(principal, reference).await {
        Ok(events) => events.iter().map(EventItem::from).collect(),
        Err(AppError::Forbidden(_)) => Vec::new(),
        Err(other) => return Err(other.into()),
    };
    let t = TicketPage::new(&view, view.summary.ticket.version);
    let sla = sla_lines(&view.summary.ticket);
    let me = principal.id.to_string();
    let mut agent_choices = vec![Choice::new("", "Nobody", &t.assignee_id), Choice::new(&me, "Me", &t.assignee_id)];
    match state.app().assignable_agents(principal).await {
        Ok(agents) => agent_choices.extend(
            agents
                .iter()
                .filter(|a| a.id.as_uuid() != principal.id)
                .map(|a| Choice::new(a.id.to_string(), a.name.to_string(), &t.assignee_id)),
        ),
        Err(AppError::Forbidden(_)) => {}
        Err(other) => return Err(other.into()),
    }
    // Whoever has it now is always a choice, so the form never silently proposes a change.
    if !t.assignee_id.is_empty() && !agent_choices.iter().any(|c| c.selected) {
        agent_choices.push(Choice::new(t.assignee_id.clone(), t.row.assignee.clone(), &t.assignee_id));
    }
    let macro_choices = match state.app().list_macros(principal).await {
        Ok(macros) => macros.iter().map(|m| Choice::new(m.id.to_string(), m.name.clone(), "")).collect(),
        Err(AppError::Forbidden(_)) => Vec::new(),
        Err(other) => return Err(other.into()),
    };
    let (notice_kind, notice) = notice.unwrap_or(("", String::new()));
    let page = TicketConsolePage {
        macro_choices,
        nav: Nav::of(Area::Console, session),
        status_choices: status_choices(t.row.status, false),
        priority_choices: priority_choices(t.row.priority, false),
        category_choices: category_choices(state, principal, &t.category_slug, false).await,
        agent_choices,
        events,
        sla,
        notice,
        notice_kind,
        draft,
        t,
    };
    render(&page, status)
}

async fn ticket(
    Staff(session): Staff,
    state: web::Data<WebState>,
    number: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    ticket_page(&state, &session, &number, None, String::new(), StatusCode::OK).await
}

/// After an action: back to the ticket, or the ticket page again with why it did not happen
/// (the current state included, so a stale form shows what changed).
pub(crate) fn is_shown_on_the_page(error: &AppError) -> bool {
    !matches!(error, AppError::Internal(_) | AppError::Unauthorized | AppError::InvalidCredentials)
        && !matches!(error, AppError::NotFound(supportdesk_app::Missing::Ticket))
}

async fn after(
    state: &WebState,
    post: &StaffPost,
    number: &str,
    result: Result<(), AppError>,
) -> Result<HttpResponse, WebError> {
    match result {
        Ok(()) => Ok(see_other(&format!("/console/tickets/{number}"))),
        Err(error) if is_shown_on_the_page(&error) => {
            let status = match &error {
                AppError::PreconditionFailed { .. } => StatusCode::CONFLICT,
                _ => StatusCode::UNPROCESSABLE_ENTITY,
            };
            let kind = if matches!(error, AppError::PreconditionFailed { .. }) { "stale" } else { "error" };
            let draft = post.fields.get("body").unwrap_or("").to_owned();
            ticket_page(state, &post.session, number, Some((kind, describe(&error))), draft, status).await
        }
        Err(error) => Err(error.into()),
    }
}

async fn reply(
    state: web::Data<WebState>,
    post: StaffPost,
    number: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let reference = ticket_ref(&number)?;
    let result = async {
        let fields = &post.fields;
        let body = fields.required("body", MessageBody::parse)?;
        let (internal, status) = match fields.get("kind").unwrap_or("reply") {
            "note" => (true, None),
            "resolve" => (false, Some(Status::Resolved)),
            _ => (false, None),
        };
        let resolution_note =
            if status.is_some() { fields.optional("resolutionNote", ResolutionNote::parse)? } else { None };
        let input = AgentReplyInput { body, internal, attachments: Vec::new(), status, resolution_note };
        state.app().agent_reply(&post.session.principal, reference, input, fields.version()?, None).await?;
        Ok(())
    }
    .await;
    after(&state, &post, &number, result).await
}

async fn set_status(
    state: web::Data<WebState>,
    post: StaffPost,
    number: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let reference = ticket_ref(&number)?;
    let result = async {
        let fields = &post.fields;
        let to = fields.required("status", Status::parse)?;
        let note = fields.optional("resolutionNote", ResolutionNote::parse)?;
        state.app().set_status(&post.session.principal, reference, to, note, fields.version()?).await?;
        Ok(())
    }
    .await;
    after(&state, &post, &number, result).await
}

async fn assign(
    state: web::Data<WebState>,
    post: StaffPost,
    number: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let reference = ticket_ref(&number)?;
    let result = async {
        let fields = &post.fields;
        let assignee = fields.optional("assignee", AgentId::parse)?;
        state.app().assign(&post.session.principal, reference, assignee, fields.version()?).await?;
        Ok(())
    }
    .await;
    after(&state, &post, &number, result).await
}

async fn triage(
    state: web::Data<WebState>,
    post: StaffPost,
    number: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let reference = ticket_ref(&number)?;
    let result = async {
        let fields = &post.fields;
        let tags: Vec<&str> =
            fields.get("tags").unwrap_or("").split(',').map(str::trim).filter(|t| !t.is_empty()).collect();
        let input = TriageInput {
            priority: fields.optional("priority", Priority::parse)?,
            category: fields.optional("category", CategoryKey::parse)?,
            tags: Some(Tags::parse(&tags)?),
            subject: fields.optional("subject", Subject::parse)?,
        };
        state.app().triage(&post.session.principal, reference, input, fields.version()?).await?;
        Ok(())
    }
    .await;
    after(&state, &post, &number, result).await
}

async fn apply_macro(
    state: web::Data<WebState>,
    post: StaffPost,
    number: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let reference = ticket_ref(&number)?;
    let result = async {
        let fields = &post.fields;
        let id = fields.required("macro", |raw| {
            uuid::Uuid::parse_str(raw.trim()).map_err(|_| {
                supportdesk_domain::InvalidValue::new(
                    "macro",
                    supportdesk_domain::Rule::Format("a macro of this tenant"),
                )
            })
        })?;
        state.app().apply_macro(&post.session.principal, reference, id, fields.version()?, None).await?;
        Ok(())
    }
    .await;
    after(&state, &post, &number, result).await
}
