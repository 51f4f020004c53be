//! The customer portal: log in (or arrive with a shop's sign-on link), my tickets, open a
//! ticket, a ticket's public thread, reply, close or reopen, rate the resolution.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use supportdesk_app::{AppError, CategoryKey, Missing, OpenTicketInput, TicketQuery};
use supportdesk_domain::{
    Description, ExternalRef, MessageBody, Rating, Role, SatisfactionComment, Source, Status, TicketNumber, TicketRef,
};

use super::console::{is_shown_on_the_page, login_in, LoginPage};
use super::{login_response, logout, page_request, pager_links, render, see_other, start_session, Nav};
use crate::error::{describe, WebError};
use crate::forms::Fields;
use crate::session::{login_csrf, Area, Customer, CustomerPost, LoginPost, Session};
use crate::views::{Choice, TicketPage, TicketRow};
use crate::WebState;

/// Registers the portal's routes on its scope.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("", web::get().to(my_tickets))
        .route("/", web::get().to(|| async { see_other("/portal") }))
        .route("/login", web::get().to(login_page))
        .route("/login", web::post().to(login))
        .route("/sso", web::get().to(sso))
        .route("/logout", web::post().to(logout_customer))
        .route("/new", web::get().to(new_ticket))
        .route("/tickets", web::post().to(open_ticket))
        .route("/tickets/{number}", web::get().to(ticket))
        .route("/tickets/{number}/reply", web::post().to(reply))
        .route("/tickets/{number}/status", web::post().to(set_status))
        .route("/tickets/{number}/satisfaction", web::post().to(rate));
}

async fn login_page(req: HttpRequest) -> Result<HttpResponse, WebError> {
    let (csrf, cookie) = login_csrf(&req);
    login_response(&LoginPage::new(Area::Portal, csrf), cookie, StatusCode::OK)
}

async fn login(req: HttpRequest, state: web::Data<WebState>, form: LoginPost) -> Result<HttpResponse, WebError> {
    login_in(&req, &state, Area::Portal, &form.fields).await
}

async fn logout_customer(state: web::Data<WebState>, post: CustomerPost) -> Result<HttpResponse, WebError> {
    logout(&state, Area::Portal, &post.session).await
}

/// `GET /portal/sso?token=…`: a shop's customer token, verified exactly like a bearer token
/// of the API, is exchanged for a session; the answer redirects to `/portal`, so the token
/// leaves the address bar (and the history) at once.
async fn sso(state: web::Data<WebState>, query: web::Query<Vec<(String, String)>>) -> Result<HttpResponse, WebError> {
    let fields = Fields::new(query.into_inner());
    let token = fields.text("token").ok_or_else(|| WebError::BadRequest("the link has no token".into()))?;
    let verified =
        match state.tokens.verify(state.app(), token).await {
            Ok(verified) => verified,
            Err(AppError::Internal(cause)) => return Err(WebError::App(AppError::Internal(cause))),
            Err(_) => return Err(WebError::App(AppError::invalid(
                "token",
                "this sign-in link is not valid (expired, revoked or not for this service); ask the shop for a new one",
            ))),
        };
    if verified.principal.role != Role::Customer || verified.expires_at.is_none() {
        return Err(WebError::App(AppError::invalid(
            "token",
            "this link is for customers; staff log in to the console",
        )));
    }
    // The customer exists from now on, as with the API's first call.
    state.app().provision_customer(&verified.principal).await?;
    let token = state.tokens.issue_for_principal(&verified.principal, state.config.session_ttl)?;
    Ok(start_session(&state, Area::Portal, token))
}

#[derive(Template)]
#[template(path = "portal_list.html")]
struct ListPage {
    nav: Nav,
    error: String,
    rows: Vec<TicketRow>,
    prev_link: String,
    next_link: String,
}

async fn my_tickets(
    Customer(session): Customer,
    state: web::Data<WebState>,
    query: web::Query<Vec<(String, String)>>,
) -> Result<HttpResponse, WebError> {
    let fields = Fields::new(query.into_inner());
    let query = TicketQuery { page: page_request(fields.get("page"))?, ..TicketQuery::default() };
    let list = state.app().list_tickets(&session.principal, query).await?;
    let (prev_link, next_link, _) = pager_links("/portal", &[], &list);
    let page = ListPage {
        nav: Nav::of(Area::Portal, &session),
        error: String::new(),
        rows: list.items.iter().map(TicketRow::from).collect(),
        prev_link,
        next_link,
    };
    render(&page, StatusCode::OK)
}

#[derive(Template)]
#[template(path = "portal_new.html")]
struct NewPage {
    nav: Nav,
    error: String,
    categories: Vec<Choice>,
    order_id: String,
    description: String,
}

async fn new_page(state: &WebState, session: &Session, fields: &Fields, error: String) -> Result<NewPage, WebError> {
    let current = fields.get("category").unwrap_or("");
    let categories = state.app().list_categories(&session.principal, None).await?;
    Ok(NewPage {
        nav: Nav::of(Area::Portal, session),
        error,
        categories: categories
            .iter()
            .filter(|c| c.active)
            .map(|c| Choice::new(c.slug.to_string(), c.name.to_string(), current))
            .collect(),
        order_id: fields.get("orderId").unwrap_or("").to_owned(),
        description: fields.get("description").unwrap_or("").to_owned(),
    })
}

async fn new_ticket(Customer(session): Customer, state: web::Data<WebState>) -> Result<HttpResponse, WebError> {
    render(&new_page(&state, &session, &Fields::default(), String::new()).await?, StatusCode::OK)
}

async fn open_ticket(state: web::Data<WebState>, post: CustomerPost) -> Result<HttpResponse, WebError> {
    let fields = &post.fields;
    let opened = async {
        let mut input = OpenTicketInput::new(
            fields.required("category", CategoryKey::parse)?,
            fields.required("description", Description::parse)?,
        );
        input.order_id = fields.optional("orderId", ExternalRef::parse)?;
        input.source = Source::CustomerPortal;
        state.app().open_ticket(&post.session.principal, input, None).await
    }
    .await;
    match opened {
        Ok(outcome) => Ok(see_other(&format!("/portal/tickets/{}", outcome.value.summary.ticket.number.get()))),
        Err(AppError::OpenTicketExists { existing_number, .. }) => {
            Ok(see_other(&format!("/portal/tickets/{}?notice=exists", existing_number.get())))
        }
        Err(error) if is_shown_on_the_page(&error) => {
            let page = new_page(&state, &post.session, fields, describe(&error)).await?;
            render(&page, StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(error) => Err(error.into()),
    }
}

#[derive(Template)]
#[template(path = "portal_ticket.html")]
struct TicketView {
    nav: Nav,
    t: TicketPage,
    notice: String,
    notice_kind: &'static str,
    draft: String,
}

fn ticket_ref(raw: &str) -> Result<TicketRef, WebError> {
    TicketNumber::parse(raw).map(TicketRef::Number).map_err(|_| WebError::App(AppError::NotFound(Missing::Ticket)))
}

async fn ticket_page(
    state: &WebState,
    session: &Session,
    number: &str,
    notice: Option<(&'static str, String)>,
    draft: String,
    status: StatusCode,
) -> Result<HttpResponse, WebError> {
    // The use case gives a customer their own ticket with public messages only.
    let view = state.app().get_ticket(&session.principal, ticket_ref(number)?).await?;
    let (notice_kind, notice) = notice.unwrap_or(("", String::new()));
    let page = TicketView {
        nav: Nav::of(Area::Portal, session),
        t: TicketPage::new(&view, view.summary.ticket.public_version),
        notice,
        notice_kind,
        draft,
    };
    render(&page, status)
}

async fn ticket(
    Customer(session): Customer,
    state: web::Data<WebState>,
    number: web::Path<String>,
    query: web::Query<Vec<(String, String)>>,
) -> Result<HttpResponse, WebError> {
    let notice = Fields::new(query.into_inner())
        .get("notice")
        .filter(|n| *n == "exists")
        .map(|_| ("info", "You already have an open ticket for this order; add to it here.".to_owned()));
    ticket_page(&state, &session, &number, notice, String::new(), StatusCode::OK).await
}

async fn after(
    state: &WebState,
    post: &CustomerPost,
    number: &str,
    result: Result<(), AppError>,
) -> Result<HttpResponse, WebError> {
    match result {
        Ok(()) => Ok(see_other(&format!("/portal/tickets/{number}"))),
        Err(error) if is_shown_on_the_page(&error) => {
            let (kind, status) = match &error {
                AppError::PreconditionFailed { .. } => ("stale", StatusCode::CONFLICT),
                _ => ("error", StatusCode::UNPROCESSABLE_ENTITY),
            };
            let draft = post.fields.get("body").unwrap_or("").to_owned();
            ticket_page(state, &post.session, number, Some((kind, describe(&error))), draft, status).await
        }
        Err(error) => Err(error.into()),
    }
}

async fn reply(
    state: web::Data<WebState>,
    post: CustomerPost,
    number: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let reference = ticket_ref(&number)?;
    let result = async {
        let body = post.fields.required("body", MessageBody::parse)?;
        let version = post.fields.version()?;
        state.app().customer_reply(&post.session.principal, reference, body, Vec::new(), version, None).await?;
        Ok(())
    }
    .await;
    after(&state, &post, &number, result).await
}

async fn set_status(
    state: web::Data<WebState>,
    post: CustomerPost,
    number: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let reference = ticket_ref(&number)?;
    let result = async {
        let to = post.fields.required("status", Status::parse)?;
        let version = post.fields.version()?;
        state.app().customer_set_status(&post.session.principal, reference, to, version).await?;
        Ok(())
    }
    .await;
    after(&state, &post, &number, result).await
}

async fn rate(
    state: web::Data<WebState>,
    post: CustomerPost,
    number: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let reference = ticket_ref(&number)?;
    let result = async {
        let rating = post.fields.required("rating", Rating::parse)?;
        let comment = match post.fields.get("comment").map(str::trim) {
            None | Some("") => None,
            Some(raw) => Some(SatisfactionComment::parse(raw)?),
        };
        let version = post.fields.version()?;
        state.app().rate_satisfaction(&post.session.principal, reference, rating, comment, version).await?;
        Ok(())
    }
    .await;
    after(&state, &post, &number, result).await
}
