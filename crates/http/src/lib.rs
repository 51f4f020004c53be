//! # supportdesk-http
//!
//! supportdesk's HTTP API on actix-web 4, as `api.md` specifies it: thin handlers over the
//! use cases of [`supportdesk_app::App`], request and response DTOs, bearer-token
//! authentication, `application/problem+json` errors, the OpenAPI 3.1 document, metrics and
//! the request middleware.
//!
//! The server binary and the tests build the very same app:
//!
//! ```no_run
//! use std::sync::Arc;
//! use actix_web::{App as ActixApp, HttpServer};
//! use supportdesk_http::{configure_app, ApiState, HttpConfig, JwtKeys, Metrics, RequestTelemetry};
//!
//! # async fn run(app: Arc<supportdesk_app::App>) -> std::io::Result<()> {
//! let keys = JwtKeys::new(b"a secret of at least thirty-two bytes!").expect("secret");
//! let state = ApiState::new(app, keys, Arc::new(Metrics::new()), HttpConfig::default());
//! HttpServer::new(move || {
//!     let state = state.clone();
//!     ActixApp::new().wrap(RequestTelemetry).configure(move |cfg| configure_app(cfg, state))
//! })
//! .bind(("127.0.0.1", 8080))?
//! .run()
//! .await
//! # }
//! ```

pub mod auth;
pub mod dto;
pub mod error;
pub mod extract;
pub mod handlers;
pub mod metrics;
pub mod middleware;
pub mod openapi;
pub mod rate_limit;
pub mod routes;

use std::sync::Arc;
use std::time::Duration;

use actix_web::{web, HttpRequest};
use supportdesk_app::App;
use supportdesk_domain::{Email, TenantKey};

pub use auth::{
    AccessToken, AuthError, Authenticated, Claims, CustomerCaller, JwtKeys, Session, StaffCaller, TokenIssuer, Verified,
};
pub use error::{ApiError, FieldProblem, Problem};
pub use metrics::{Metrics, PoolStats};
pub use middleware::{request_middleware, RequestId, RequestTelemetry};
pub use openapi::openapi;
pub use rate_limit::{RateLimitConfig, RateLimiter, Verdict};

/// The HTTP layer's settings; every field has a default (`HttpConfig::default()`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpConfig {
    /// How long tokens from the login route live (default one hour).
    pub token_ttl: Duration,
    /// The largest JSON body accepted, in bytes (default 256 KiB).
    pub body_limit: usize,
    /// Login attempt limits (default 10 a minute per client address, 5 per email).
    pub login_rate: RateLimitConfig,
    /// Take the client address for rate limiting from `Forwarded` / `X-Forwarded-For`
    /// (only behind a proxy that sets them; default `false`: the peer address).
    pub trust_forwarded_for: bool,
}

impl HttpConfig {
    /// The default body limit: 256 KiB.
    pub const DEFAULT_BODY_LIMIT: usize = 256 * 1024;
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            token_ttl: Duration::from_secs(3600),
            body_limit: Self::DEFAULT_BODY_LIMIT,
            login_rate: RateLimitConfig::default(),
            trust_forwarded_for: false,
        }
    }
}

struct StateInner {
    app: Arc<App>,
    jwt: JwtKeys,
    issuer: TokenIssuer,
    metrics: web::Data<Metrics>,
    login_by_client: RateLimiter,
    login_by_account: RateLimiter,
    trust_forwarded_for: bool,
    body_limit: usize,
    openapi_json: String,
}

/// What the handlers share: the use cases, the keys, the metrics and the login limiters.
/// Cheap to clone; build one and give clones to every worker's app.
#[derive(Clone)]
pub struct ApiState {
    inner: Arc<StateInner>,
}

impl std::fmt::Debug for ApiState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiState").field("body_limit", &self.inner.body_limit).finish_non_exhaustive()
    }
}

impl ApiState {
    /// The state for `app`: tokens checked and minted with `jwt`, requests counted in
    /// `metrics` (plug the pool in with [`Metrics::set_pool_stats`]), under `config`.
    pub fn new(app: Arc<App>, jwt: JwtKeys, metrics: Arc<Metrics>, config: HttpConfig) -> Self {
        let rate = config.login_rate;
        let inner = StateInner {
            app,
            issuer: TokenIssuer::new(jwt.clone(), config.token_ttl),
            jwt,
            metrics: web::Data::from(metrics),
            login_by_client: RateLimiter::new(rate.per_client, rate.window, rate.max_keys),
            login_by_account: RateLimiter::new(rate.per_account, rate.window, rate.max_keys),
            trust_forwarded_for: config.trust_forwarded_for,
            body_limit: config.body_limit,
            openapi_json: openapi::openapi_json(),
        };
        Self { inner: Arc::new(inner) }
    }

    /// The same state reporting `pool` in `/metrics`.
    #[must_use]
    pub fn with_pool_stats(self, pool: Arc<dyn PoolStats>) -> Self {
        self.inner.metrics.set_pool_stats(pool);
        self
    }

    /// The use cases.
    pub fn app(&self) -> &App {
        &self.inner.app
    }

    /// The token keys.
    pub fn jwt(&self) -> &JwtKeys {
        &self.inner.jwt
    }

    /// The login token issuer.
    pub fn issuer(&self) -> &TokenIssuer {
        &self.inner.issuer
    }

    /// The metrics.
    pub fn metrics(&self) -> &Metrics {
        &self.inner.metrics
    }

    /// The body limit in bytes.
    pub fn body_limit(&self) -> usize {
        self.inner.body_limit
    }

    /// Counts a login attempt from the request's client address.
    ///
    /// # Errors
    ///
    /// 429 `rate_limited` with `Retry-After`.
    pub fn check_login_client(&self, req: &HttpRequest) -> Result<(), ApiError> {
        let client = if self.inner.trust_forwarded_for {
            req.connection_info().realip_remote_addr().map(strip_port)
        } else {
            req.peer_addr().map(|addr| addr.ip().to_string())
        };
        let key = client.unwrap_or_else(|| "unknown".to_owned());
        verdict(self.inner.login_by_client.check(&key))
    }

    /// Counts a login attempt for an email in a tenant.
    ///
    /// # Errors
    ///
    /// 429 `rate_limited` with `Retry-After`.
    pub fn check_login_account(&self, tenant: &TenantKey, email: &Email) -> Result<(), ApiError> {
        verdict(self.inner.login_by_account.check(&format!("{tenant}\n{email}")))
    }

    pub(crate) fn openapi_json(&self) -> &str {
        &self.inner.openapi_json
    }
}

fn verdict(verdict: Verdict) -> Result<(), ApiError> {
    match verdict {
        Verdict::Allowed => Ok(()),
        Verdict::Limited { retry_after_secs } => Err(ApiError::rate_limited(retry_after_secs)),
    }
}

/// `1.2.3.4:5678` -> `1.2.3.4`; `[::1]:80` -> `::1`; anything else as it is.
fn strip_port(addr: &str) -> String {
    if let Ok(socket) = addr.parse::<std::net::SocketAddr>() {
        return socket.ip().to_string();
    }
    addr.to_owned()
}

/// Registers everything on `cfg`: the shared data, the extractor error handlers that answer
/// problem+json, every route of `api.md` plus the operations routes, and the 404 default.
/// Wrap the app with [`RequestTelemetry`] for request ids, tracing and metrics.
pub fn configure_app(cfg: &mut web::ServiceConfig, state: ApiState) {
    let limit = state.body_limit();
    cfg.app_data(web::Data::new(state.jwt().clone()))
        .app_data(state.inner.metrics.clone())
        .app_data(web::Data::new(state.clone()))
        .app_data(web::JsonConfig::default().limit(limit).error_handler(error::json_error_handler(limit)))
        .app_data(web::QueryConfig::default().error_handler(error::query_error_handler))
        .app_data(web::PathConfig::default().error_handler(error::path_error_handler))
        .default_service(web::to(routes::no_route));
    register_routes(cfg);
}

/// Registers every route and returns the list of them (the OpenAPI completeness test holds
/// this list against the document).
pub(crate) fn register_routes(cfg: &mut web::ServiceConfig) -> Vec<routes::RouteEntry> {
    let mut routes = routes::Routes::new(cfg);
    handlers::ops::configure(&mut routes);
    handlers::auth::configure(&mut routes);
    handlers::tickets::configure(&mut routes);
    handlers::categories::configure(&mut routes);
    handlers::admin_tickets::configure(&mut routes);
    handlers::agents::configure(&mut routes);
    handlers::customers::configure(&mut routes);
    handlers::settings::configure(&mut routes);
    handlers::trust::configure(&mut routes);
    routes.into_registered()
}
