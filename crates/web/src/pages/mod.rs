//! The page handlers: each reads its input, calls one use case (or a few reads), and renders
//! a template or redirects. No rule lives here.

pub mod assets;
pub mod console;
pub mod integrations;
pub mod portal;
pub mod reports;
pub mod settings;
pub mod sla;

use actix_web::cookie::Cookie;
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use supportdesk_app::{AppError, Page, PageRequest};
use supportdesk_domain::Role;

use crate::error::WebError;
use crate::session::{self, Area, Session};
use crate::WebState;

/// What the header of every page shows.
#[derive(Debug, Clone)]
pub struct Nav {
    /// `console` or `portal`.
    pub area: &'static str,
    /// The area's start page.
    pub home: &'static str,
    /// Whether someone is logged in.
    pub logged_in: bool,
    /// Their name.
    pub user: String,
    /// The session's CSRF token, for the logout form and every other form.
    pub csrf: String,
}

impl Nav {
    /// The header for `session` in `area`.
    pub fn of(area: Area, session: &Session) -> Self {
        Self {
            area: area.name(),
            home: area.home_path(),
            logged_in: true,
            user: session.principal.display_name(),
            csrf: session.csrf.clone(),
        }
    }

    /// The header of a login page.
    pub fn anonymous(area: Area) -> Self {
        Self { area: area.name(), home: area.home_path(), logged_in: false, user: String::new(), csrf: String::new() }
    }
}

/// Renders `template` as a page with `status`.
pub fn render(template: &impl Template, status: actix_web::http::StatusCode) -> Result<HttpResponse, WebError> {
    let body = template.render().map_err(|e| WebError::App(AppError::Internal(Box::new(e))))?;
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body))
}

/// A 303 to `location`.
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther().insert_header((header::LOCATION, location.to_owned())).finish()
}

/// `GET /`: staff to the console, customers to the portal, anyone else to the console's
/// login page (which links to the portal's).
pub async fn root(req: HttpRequest, state: web::Data<WebState>) -> Result<HttpResponse, WebError> {
    let area = match session::current(&req, &state).await? {
        Some(session) => match session.principal.role {
            Role::Agent | Role::Admin => Area::Console.home_path(),
            Role::Customer => Area::Portal.home_path(),
        },
        None => Area::Console.login_path(),
    };
    Ok(see_other(area))
}

/// Logs in with a password; `Ok` is the redirect that sets the session cookie.
pub async fn password_login(
    state: &WebState,
    area: Area,
    tenant: &supportdesk_domain::TenantKey,
    email: &supportdesk_domain::Email,
    password: &str,
) -> Result<HttpResponse, AppError> {
    let user = state.app().login(tenant, email, password).await?;
    if !area.admits(user.role) {
        // The same answer as a wrong password: the page does not tell who has which account.
        return Err(AppError::InvalidCredentials);
    }
    let token = state.tokens.issue_for_user(&user, state.config.session_ttl)?;
    Ok(start_session(state, area, token))
}

/// The redirect to the area's start page that sets the session cookie.
pub fn start_session(state: &WebState, area: Area, token: String) -> HttpResponse {
    let cookie = session::session_cookie(token, state.config.secure_cookies, state.config.session_ttl);
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, area.home_path()))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .cookie(cookie)
        .finish()
}

/// Ends the session (its token is recorded as revoked) and goes to the login page.
pub async fn logout(state: &WebState, area: Area, session: &Session) -> Result<HttpResponse, WebError> {
    state.app().logout(&session.principal, &session.token, session.expires_at).await?;
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, area.login_path()))
        .cookie(session::cleared_session_cookie(state.config.secure_cookies))
        .finish())
}

/// The login page's response, setting the double-submit cookie when it is new.
pub fn login_response(
    page: &impl Template,
    cookie: Option<Cookie<'static>>,
    status: actix_web::http::StatusCode,
) -> Result<HttpResponse, WebError> {
    let mut response = render(page, status)?;
    if let Some(cookie) = cookie {
        response.add_cookie(&cookie).map_err(|e| WebError::App(AppError::Internal(Box::new(e))))?;
    }
    Ok(response)
}

/// The `page` query parameter, 20 to a page.
pub fn page_request(raw: Option<&str>) -> Result<PageRequest, WebError> {
    let page = match raw.map(str::trim).filter(|r| !r.is_empty()) {
        None => 1,
        Some(raw) => raw.parse::<i64>().map_err(|_| WebError::BadRequest("page must be a number".into()))?,
    };
    PageRequest::new(page, 20).map_err(|e| WebError::App(e.into()))
}

/// `path` with the non-empty `params` as its query, values percent-encoded (`path` alone
/// when none is left).
pub fn link(path: &str, params: &[(&str, String)]) -> String {
    let query: Vec<String> =
        params.iter().filter(|(_, v)| !v.is_empty()).map(|(k, v)| format!("{k}={}", encode(v))).collect();
    if query.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{}", query.join("&"))
    }
}

/// Links to the previous and next page of `page`, over the query `base` (without `page`).
pub fn pager_links<T>(path: &str, base: &[(&str, String)], page: &Page<T>) -> (String, String, u64) {
    let size = u64::from(page.request.size()).max(1);
    let pages = page.total.div_ceil(size).max(1);
    let current = u64::from(page.request.page());
    let link = |n: u64| {
        let mut params = base.to_vec();
        params.push(("page", n.to_string()));
        link(path, &params)
    };
    let prev = if current > 1 { link(current - 1) } else { String::new() };
    let next = if current < pages { link(current + 1) } else { String::new() };
    (prev, next, pages)
}

/// Percent-encodes a query value.
pub fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(char::from(byte)),
            other => out.push_str(&format!("%{other:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(encode("a b&c=d/é"), "a%20b%26c%3Dd%2F%C3%A9");
        assert_eq!(encode("in_progress"), "in_progress");
    }

    #[test]
    fn a_page_number_that_is_not_a_number_is_refused() {
        assert!(page_request(Some("x")).is_err());
        assert!(page_request(Some("0")).is_err());
        assert_eq!(page_request(None).ok().map(|p| p.page()), Some(1));
    }
}
