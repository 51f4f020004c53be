//! # supportdesk-web
//!
//! The agent console (`/console`) and the customer portal (`/portal`): server-rendered HTML
//! over the same use cases as the API ([`supportdesk_app::App`]), from compile-time checked
//! `askama` templates that escape every value, with plain forms and one small script for
//! keyboard shortcuts.
//!
//! Safety (api-v1.1.md section 5):
//!
//! - the session is the cookie `sd_session` (HttpOnly, SameSite=Lax, Secure behind https)
//!   holding a token of the service's own, verified on every request by the very rules of the
//!   API's bearer tokens ([`supportdesk_app::TokenAuthority`]): the live agent, their session
//!   generation and logout records are all checked, so deactivating an agent, changing their
//!   permissions, revoking their sessions or logging out ends the session on every process
//!   within the revocation interval;
//! - every POST carries a CSRF token (derived from the session token, or for the login forms
//!   a double-submit cookie) and a cross-site `Origin` is refused;
//! - a strict Content-Security-Policy (`script-src 'self'`, no inline script or style).

mod error;
mod forms;
mod pages;
mod session;
mod views;

use std::sync::Arc;
use std::time::Duration;

use actix_web::middleware::DefaultHeaders;
use actix_web::web;
use supportdesk_app::{App, LoginThrottle, TokenAuthority};

pub use error::WebError;

/// The Content-Security-Policy of every page: nothing inline, nothing from elsewhere.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The console's and portal's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebConfig {
    /// Whether the session cookie is `Secure` (when `SUPPORTDESK_PUBLIC_URL` is https).
    pub secure_cookies: bool,
    /// How long a browser session lasts (`SUPPORTDESK_WEB_SESSION_TTL_SECS`, default 8 hours).
    pub session_ttl: Duration,
    /// The host (and port) of `SUPPORTDESK_PUBLIC_URL`: a form posted from there is
    /// same-origin even when a proxy rewrote the `Host` header.
    pub public_host: Option<String>,
}

impl Default for WebConfig {
    fn default() -> Self {
        Self { secure_cookies: false, session_ttl: Duration::from_secs(8 * 3600), public_host: None }
    }
}

impl WebConfig {
    /// The settings for a service reachable at `public_url`: secure cookies behind https.
    pub fn for_public_url(public_url: Option<&str>, session_ttl: Duration) -> Self {
        let url = public_url.map(|url| url.trim().to_ascii_lowercase());
        let secure_cookies = url.as_deref().is_some_and(|url| url.starts_with("https://"));
        let public_host = url
            .as_deref()
            .and_then(|url| url.split_once("://"))
            .and_then(|(_, rest)| rest.split('/').next())
            .filter(|host| !host.is_empty())
            .map(str::to_owned);
        Self { secure_cookies, session_ttl, public_host }
    }
}

/// What the pages share: the use cases, the token authority and the settings. Cheap to clone.
#[derive(Clone)]
pub struct WebState {
    app: Arc<App>,
    tokens: Arc<dyn TokenAuthority>,
    throttle: Arc<dyn LoginThrottle>,
    config: WebConfig,
}

impl std::fmt::Debug for WebState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebState").field("config", &self.config).finish_non_exhaustive()
    }
}

impl WebState {
    /// The state for `app`, whose sessions `tokens` verifies and mints, whose login forms
    /// `throttle` counts (pass the API's, so both share one set of limits).
    pub fn new(
        app: Arc<App>,
        tokens: Arc<dyn TokenAuthority>,
        throttle: Arc<dyn LoginThrottle>,
        config: WebConfig,
    ) -> Self {
        Self { app, tokens, throttle, config }
    }

    pub(crate) fn app(&self) -> &App {
        &self.app
    }
}

/// The largest form accepted, in bytes (a reply of 50,000 characters fits).
const FORM_LIMIT: usize = 256 * 1024;

fn security_headers() -> DefaultHeaders {
    DefaultHeaders::new()
        .add(("Content-Security-Policy", CONTENT_SECURITY_POLICY))
        .add(("X-Frame-Options", "DENY"))
        .add(("Referrer-Policy", "same-origin"))
        .add(("X-Content-Type-Options", "nosniff"))
}

/// Registers `/`, `/console`, `/portal` and `/assets` on `cfg`. Register it before the API's
/// `configure_app`, whose default service answers every other path.
pub fn configure(cfg: &mut web::ServiceConfig, state: WebState) {
    let data = web::Data::new(state);
    cfg.service(web::resource("/").app_data(data.clone()).wrap(security_headers()).route(web::get().to(pages::root)))
        .service(
            web::scope("/console")
                .app_data(data.clone())
                .app_data(web::FormConfig::default().limit(FORM_LIMIT))
                .wrap(security_headers())
                .configure(pages::console::configure),
        )
        .service(
            web::scope("/portal")
                .app_data(data.clone())
                .app_data(web::FormConfig::default().limit(FORM_LIMIT))
                .wrap(security_headers())
                .configure(pages::portal::configure),
        )
        .service(web::scope("/assets").wrap(security_headers()).configure(pages::assets::configure));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_https_public_url_makes_cookies_secure_and_names_the_public_host() {
        let config = WebConfig::for_public_url(Some("HTTPS://Desk.Shop.example:8443/support"), Duration::from_secs(60));
        assert!(config.secure_cookies);
        assert_eq!(config.public_host.as_deref(), Some("desk.shop.example:8443"));
        let plain = WebConfig::for_public_url(Some("http://127.0.0.1:8080"), Duration::from_secs(60));
        assert!(!plain.secure_cookies);
        assert!(WebConfig::for_public_url(None, Duration::from_secs(60)).public_host.is_none());
    }
}
