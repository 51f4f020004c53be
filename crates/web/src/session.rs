//! Browser sessions and CSRF.
//!
//! The cookie `sd_session` holds a token of the service's own, minted at login and verified
//! on every request through [`supportdesk_app::TokenAuthority`], the same check the API makes
//! of a bearer token: so a session ends with its agent (deactivation, permission change,
//! revoked sessions) and with logout (the token's hash is recorded as revoked).
//!
//! CSRF: every form carries `csrf`. With a session it must equal the session's CSRF token, a
//! hash of the session token that a page of another site can neither read nor compute; the
//! login forms, before any session, use a double-submit cookie (`sd_login`). Besides, a POST
//! whose `Origin` names another host is refused outright, and the cookie is `SameSite=Lax`.

use std::future::Future;
use std::pin::Pin;

use actix_web::cookie::{time::Duration as CookieDuration, Cookie, SameSite};
use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpRequest};
use supportdesk_app::{token_hash, AppError, Principal, Secret};
use supportdesk_domain::Role;
use time::OffsetDateTime;

use crate::error::WebError;
use crate::forms::Fields;
use crate::WebState;

/// The session cookie.
pub const SESSION_COOKIE: &str = "sd_session";
/// The double-submit cookie of the login forms.
pub const LOGIN_COOKIE: &str = "sd_login";

/// Where a page belongs: the staff console or the customer portal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Area {
    /// `/console`, staff.
    Console,
    /// `/portal`, customers.
    Portal,
}

impl Area {
    /// The area's name in words.
    pub fn name(self) -> &'static str {
        match self {
            Area::Console => "console",
            Area::Portal => "portal",
        }
    }

    /// Its login page.
    pub fn login_path(self) -> &'static str {
        match self {
            Area::Console => "/console/login",
            Area::Portal => "/portal/login",
        }
    }

    /// Its start page.
    pub fn home_path(self) -> &'static str {
        match self {
            Area::Console => "/console",
            Area::Portal => "/portal",
        }
    }

    /// Whether `role` belongs here.
    pub fn admits(self, role: Role) -> bool {
        match (self, role) {
            (Area::Console, Role::Agent | Role::Admin) | (Area::Portal, Role::Customer) => true,
            (Area::Console, Role::Customer) | (Area::Portal, Role::Agent | Role::Admin) => false,
        }
    }
}

/// A verified browser session.
#[derive(Debug, Clone)]
pub struct Session {
    /// Who is logged in, as the store says now.
    pub principal: Principal,
    /// The session token (for logout).
    pub token: String,
    /// When it expires.
    pub expires_at: OffsetDateTime,
    /// The CSRF token every form of this session carries.
    pub csrf: String,
}

/// The CSRF token of a session token.
pub fn csrf_token(session_token: &str) -> String {
    token_hash(&format!("supportdesk-csrf\n{session_token}"))
}

/// Compares two strings in time that does not depend on where they differ.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

pub(crate) fn state(req: &HttpRequest) -> Result<web::Data<WebState>, WebError> {
    req.app_data::<web::Data<WebState>>()
        .cloned()
        .ok_or_else(|| WebError::App(AppError::Internal("WebState is not registered".into())))
}

/// The request's session, if its cookie holds a valid one.
///
/// # Errors
///
/// `Internal` when the store fails.
pub async fn current(req: &HttpRequest, state: &WebState) -> Result<Option<Session>, WebError> {
    let Some(cookie) = req.cookie(SESSION_COOKIE) else {
        return Ok(None);
    };
    let token = cookie.value().to_owned();
    match state.tokens.verify(state.app(), &token).await {
        Ok(verified) => {
            let Some(expires_at) = verified.expires_at else {
                // An API key is not a browser session.
                return Ok(None);
            };
            let csrf = csrf_token(&token);
            Ok(Some(Session { principal: verified.principal, token, expires_at, csrf }))
        }
        Err(AppError::Internal(cause)) => Err(WebError::App(AppError::Internal(cause))),
        Err(_) => Ok(None),
    }
}

async fn session_in(req: &HttpRequest, area: Area) -> Result<Session, WebError> {
    let state = state(req)?;
    match current(req, &state).await? {
        Some(session) if area.admits(session.principal.role) => Ok(session),
        Some(_) | None => Err(WebError::LoginRequired(area)),
    }
}

/// Refuses a POST whose `Origin` (or, without one, `Referer`) names another host than the
/// request's (as a proxy forwards it) or `SUPPORTDESK_PUBLIC_URL`'s.
fn same_origin(req: &HttpRequest) -> Result<(), WebError> {
    let public_host = state(req)?.config.public_host.clone();
    let host = req.connection_info().host().to_ascii_lowercase();
    let origin = req
        .headers()
        .get(header::ORIGIN)
        .or_else(|| req.headers().get(header::REFERER))
        .and_then(|value| value.to_str().ok());
    // No header, or the opaque `null` of a privacy-minded browser: the CSRF token decides.
    let Some(origin) = origin.filter(|o| *o != "null") else {
        return Ok(());
    };
    let rest = origin.split_once("://").map_or("", |(_, rest)| rest);
    let origin_host = rest.split('/').next().unwrap_or("").to_ascii_lowercase();
    if origin_host == host || public_host.is_some_and(|public| public == origin_host) {
        Ok(())
    } else {
        tracing::warn!(origin = %origin, host = %host, "a cross-site form post was refused");
        Err(WebError::Csrf)
    }
}

async fn read_fields(req: &HttpRequest, payload: &mut Payload) -> Result<Fields, WebError> {
    let form = web::Form::<Vec<(String, String)>>::from_request(req, payload)
        .await
        .map_err(|error| WebError::BadRequest(format!("the form could not be read: {error}")))?;
    Ok(Fields::new(form.into_inner()))
}

/// The future the extractors return.
type Extracted<T> = Pin<Box<dyn Future<Output = Result<T, WebError>>>>;

/// A staff member's session, for a console page (`GET`).
#[derive(Debug, Clone)]
pub struct Staff(pub Session);

/// A customer's session, for a portal page (`GET`).
#[derive(Debug, Clone)]
pub struct Customer(pub Session);

/// A console form post: a staff session whose CSRF token the form carries.
#[derive(Debug)]
pub struct StaffPost {
    /// The session.
    pub session: Session,
    /// The form's fields.
    pub fields: Fields,
}

/// A portal form post: a customer session whose CSRF token the form carries.
#[derive(Debug)]
pub struct CustomerPost {
    /// The session.
    pub session: Session,
    /// The form's fields.
    pub fields: Fields,
}

/// A login form post: no session yet; the form carries the `sd_login` cookie's value.
#[derive(Debug)]
pub struct LoginPost {
    /// The form's fields.
    pub fields: Fields,
}

impl FromRequest for Staff {
    type Error = WebError;
    type Future = Extracted<Self>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { session_in(&req, Area::Console).await.map(Staff) })
    }
}

impl FromRequest for Customer {
    type Error = WebError;
    type Future = Extracted<Self>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { session_in(&req, Area::Portal).await.map(Customer) })
    }
}

async fn posted(req: HttpRequest, mut payload: Payload, area: Area) -> Result<(Session, Fields), WebError> {
    same_origin(&req)?;
    let session = session_in(&req, area).await?;
    let fields = read_fields(&req, &mut payload).await?;
    if !same(fields.get("csrf").unwrap_or(""), &session.csrf) {
        tracing::warn!(principal.id = %session.principal.id, "a form post without the session's CSRF token was refused");
        return Err(WebError::Csrf);
    }
    Ok((session, fields))
}

impl FromRequest for StaffPost {
    type Error = WebError;
    type Future = Extracted<Self>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let (req, payload) = (req.clone(), payload.take());
        Box::pin(async move {
            posted(req, payload, Area::Console).await.map(|(session, fields)| StaffPost { session, fields })
        })
    }
}

impl FromRequest for CustomerPost {
    type Error = WebError;
    type Future = Extracted<Self>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let (req, payload) = (req.clone(), payload.take());
        Box::pin(async move {
            posted(req, payload, Area::Portal).await.map(|(session, fields)| CustomerPost { session, fields })
        })
    }
}

impl FromRequest for LoginPost {
    type Error = WebError;
    type Future = Extracted<Self>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let (req, mut payload) = (req.clone(), payload.take());
        Box::pin(async move {
            same_origin(&req)?;
            let fields = read_fields(&req, &mut payload).await?;
            let cookie = req.cookie(LOGIN_COOKIE).map(|c| c.value().to_owned()).unwrap_or_default();
            if cookie.is_empty() || !same(fields.get("csrf").unwrap_or(""), &cookie) {
                return Err(WebError::Csrf);
            }
            Ok(LoginPost { fields })
        })
    }
}

/// The login form's CSRF value: the request's `sd_login` cookie, or a new one to set.
pub fn login_csrf(req: &HttpRequest) -> (String, Option<Cookie<'static>>) {
    if let Some(existing) = req.cookie(LOGIN_COOKIE).filter(|c| c.value().len() >= 32) {
        return (existing.value().to_owned(), None);
    }
    let value = Secret::random(24).expose().to_owned();
    let cookie = Cookie::build(LOGIN_COOKIE, value.clone())
        .path("/")
        .http_only(true)
        .same_site(SameSite::Strict)
        .max_age(CookieDuration::hours(2))
        .finish();
    (value, Some(cookie))
}

/// The session cookie for `token`.
pub fn session_cookie(token: String, secure: bool, ttl: std::time::Duration) -> Cookie<'static> {
    let seconds = i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX / 2);
    Cookie::build(SESSION_COOKIE, token)
        .path("/")
        .http_only(true)
        .secure(secure)
        .same_site(SameSite::Lax)
        .max_age(CookieDuration::seconds(seconds))
        .finish()
}

/// A cookie that deletes the session cookie.
pub fn cleared_session_cookie(secure: bool) -> Cookie<'static> {
    let mut cookie = session_cookie(String::new(), secure, std::time::Duration::ZERO);
    cookie.make_removal();
    cookie
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_csrf_token_depends_on_the_session_token() {
        assert_ne!(csrf_token("a"), csrf_token("b"));
        assert_eq!(csrf_token("a"), csrf_token("a"));
        assert_eq!(csrf_token("a").len(), 64);
    }

    #[test]
    fn strings_of_different_content_or_length_are_not_the_same() {
        assert!(same("abc", "abc"));
        assert!(!same("abc", "abd"));
        assert!(!same("abc", "ab"));
        assert!(!same("", "a"));
    }

    #[test]
    fn the_session_cookie_is_http_only_lax_and_secure_when_asked() {
        let cookie = session_cookie("t".into(), true, std::time::Duration::from_secs(60));
        assert_eq!(cookie.http_only(), Some(true));
        assert_eq!(cookie.same_site(), Some(SameSite::Lax));
        assert_eq!(cookie.secure(), Some(true));
        let plain = session_cookie("t".into(), false, std::time::Duration::from_secs(60));
        assert_eq!(plain.secure(), Some(false));
    }

    #[test]
    fn staff_belong_in_the_console_and_customers_in_the_portal() {
        assert!(Area::Console.admits(Role::Agent));
        assert!(Area::Console.admits(Role::Admin));
        assert!(!Area::Console.admits(Role::Customer));
        assert!(Area::Portal.admits(Role::Customer));
        assert!(!Area::Portal.admits(Role::Admin));
    }
}
