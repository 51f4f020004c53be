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
//! use supportdesk_http::{configure_app, request_spans, ApiState, HttpConfig, JwtKeys, Metrics, RequestTelemetry};
//!
//! # async fn run(app: Arc<supportdesk_app::App>) -> std::io::Result<()> {
//! let keys = JwtKeys::new(b"a secret of at least thirty-two bytes!").expect("secret");
//! let state = ApiState::new(app, keys, Arc::new(Metrics::new()), HttpConfig::default());
//! HttpServer::new(move || {
//!     let state = state.clone();
//!     ActixApp::new().wrap(RequestTelemetry).wrap(request_spans()).configure(move |cfg| configure_app(cfg, state))
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

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use actix_web::{web, HttpRequest};
use supportdesk_app::App;
use supportdesk_domain::{Email, TenantKey};

pub use auth::{
    AccessToken, Audience, AuthError, Authenticated, Claims, CustomerCaller, JwtKeys, Session, StaffCaller,
    TokenIssuer, Verified,
};
pub use error::{ApiError, FieldProblem, Problem};
pub use metrics::{Metrics, PoolStats};
pub use middleware::{request_middleware, request_spans, RequestId, RequestSpan, RequestTelemetry};
pub use openapi::openapi;
pub use rate_limit::{
    client_ip, client_key, parse_trusted_proxies, ForwardedHeader, KeyedLimiter, Rate, ThrottleConfig, Verdict,
};

/// The HTTP layer's settings; every field has a default (`HttpConfig::default()`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpConfig {
    /// How long tokens from the login route live (default one hour).
    pub token_ttl: Duration,
    /// The largest JSON body accepted, in bytes (default 256 KiB).
    pub body_limit: usize,
    /// Login and registration throttling, and the proxies whose forwarded headers are
    /// believed (see [`ThrottleConfig`]).
    pub throttle: ThrottleConfig,
    /// How long a request body may take to arrive once its head is in (default 10 s);
    /// past it the answer is 408 and the connection is closed.
    pub body_timeout: Duration,
}

impl HttpConfig {
    /// The default body limit: 256 KiB.
    pub const DEFAULT_BODY_LIMIT: usize = 256 * 1024;
    /// The default body timeout: 10 seconds.
    pub const DEFAULT_BODY_TIMEOUT: Duration = Duration::from_secs(10);
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            token_ttl: Duration::from_secs(3600),
            body_limit: Self::DEFAULT_BODY_LIMIT,
            throttle: ThrottleConfig::default(),
            body_timeout: Self::DEFAULT_BODY_TIMEOUT,
        }
    }
}

struct StateInner {
    app: Arc<App>,
    jwt: JwtKeys,
    issuer: TokenIssuer,
    metrics: web::Data<Metrics>,
    login_by_client: KeyedLimiter<IpAddr>,
    login_by_account: KeyedLimiter<(IpAddr, String)>,
    register_by_client: KeyedLimiter<IpAddr>,
    trusted_proxies: Vec<ipnet::IpNet>,
    forwarded_header: ForwardedHeader,
    body_limit: usize,
    body_timeout: Duration,
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
        let throttle = config.throttle;
        let inner = StateInner {
            app,
            issuer: TokenIssuer::new(jwt.clone(), config.token_ttl),
            jwt,
            metrics: web::Data::from(metrics),
            login_by_client: KeyedLimiter::new(throttle.login_per_client, throttle.max_keys),
            login_by_account: KeyedLimiter::new(throttle.login_per_account, throttle.max_keys),
            register_by_client: KeyedLimiter::new(throttle.register_per_client, throttle.max_keys),
            trusted_proxies: throttle.trusted_proxies,
            forwarded_header: throttle.forwarded_header,
            body_limit: config.body_limit,
            body_timeout: config.body_timeout,
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

    /// The body timeout.
    pub fn body_timeout(&self) -> Duration {
        self.inner.body_timeout
    }

    /// The key the request's client is counted under: its address (from the forwarded
    /// headers only when the peer is a trusted proxy), an IPv6 address as its /64.
    pub fn client(&self, req: &HttpRequest) -> IpAddr {
        let peer = req.peer_addr().map(|addr| addr.ip());
        let ip = client_ip(peer, req.headers(), &self.inner.trusted_proxies, self.inner.forwarded_header);
        client_key(ip.unwrap_or(IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED)))
    }

    /// Counts a login attempt from `client`, whatever its outcome: the ceiling that bounds
    /// the guesses one client has in flight at once.
    ///
    /// # Errors
    ///
    /// 429 `rate_limited` with `Retry-After`.
    pub fn check_login_client(&self, client: IpAddr) -> Result<(), ApiError> {
        verdict(self.inner.login_by_client.check(&client))
    }

    /// Refuses a login from `client` for an email in a tenant while that client's wrong
    /// passwords for that account are past their rate; counts nothing. Another client's
    /// failures never count here, so a storm of wrong passwords from one client cannot
    /// refuse the owner's right password from another.
    ///
    /// # Errors
    ///
    /// 429 `rate_limited` with `Retry-After`.
    pub fn check_login_account(&self, client: IpAddr, tenant: &TenantKey, email: &Email) -> Result<(), ApiError> {
        verdict(self.inner.login_by_account.refusal(&(client, format!("{tenant}\n{email}"))))
    }

    /// Counts a wrong password from `client` for an email in a tenant.
    pub fn count_login_failure(&self, client: IpAddr, tenant: &TenantKey, email: &Email) {
        self.inner.login_by_account.count_failure(&(client, format!("{tenant}\n{email}")));
    }

    /// Counts a registration from `client`.
    ///
    /// # Errors
    ///
    /// 429 `rate_limited` with `Retry-After`.
    pub fn check_register(&self, client: IpAddr) -> Result<(), ApiError> {
        verdict(self.inner.register_by_client.check(&client))
    }

    pub(crate) fn openapi_json(&self) -> &str {
        &self.inner.openapi_json
    }
}

/// The web console's login forms count against the API's login limits, on the same counters.
impl supportdesk_app::LoginThrottle for ApiState {
    fn client_of(&self, peer: Option<IpAddr>, headers: &[(&str, &str)]) -> IpAddr {
        let mut map = actix_web::http::header::HeaderMap::new();
        for (name, value) in headers {
            if let (Ok(name), Ok(value)) = (
                actix_web::http::header::HeaderName::from_bytes(name.as_bytes()),
                actix_web::http::header::HeaderValue::from_str(value),
            ) {
                map.append(name, value);
            }
        }
        let ip = client_ip(peer, &map, &self.inner.trusted_proxies, self.inner.forwarded_header);
        client_key(ip.unwrap_or(IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED)))
    }

    fn check_login(&self, client: IpAddr, tenant: &TenantKey, email: &Email) -> Result<(), supportdesk_app::AppError> {
        let busy = |verdict: Verdict| match verdict {
            Verdict::Allowed => Ok(()),
            Verdict::Limited { retry_after_secs } => Err(supportdesk_app::AppError::Busy { retry_after_secs }),
        };
        busy(self.inner.login_by_client.check(&client))?;
        busy(self.inner.login_by_account.refusal(&(client, format!("{tenant}\n{email}"))))
    }

    fn count_login_failure(&self, client: IpAddr, tenant: &TenantKey, email: &Email) {
        ApiState::count_login_failure(self, client, tenant, email);
    }
}

fn verdict(verdict: Verdict) -> Result<(), ApiError> {
    match verdict {
        Verdict::Allowed => Ok(()),
        Verdict::Limited { retry_after_secs } => Err(ApiError::rate_limited(retry_after_secs)),
    }
}

/// Registers everything on `cfg`: the shared data, the extractor error handlers that answer
/// problem+json, every route of `api.md` plus the operations routes, and the 404 default.
/// Wrap the app with [`RequestTelemetry`] (request ids, access log, metrics) and, outside it,
/// [`request_spans`] (a tracing span per request).
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

/// Registers the test-only `POST /api/v1/test/clock`, which moves `clock` (the app's clock)
/// forward. Only for black-box tests: a server registers it only with
/// `SUPPORTDESK_TEST_CLOCK=true`. It needs no token and is not in the OpenAPI document.
/// Register it before [`configure_app`].
pub fn configure_test_clock(cfg: &mut web::ServiceConfig, clock: Arc<supportdesk_app::AdjustableClock>) {
    handlers::test_clock::configure(cfg, clock);
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
    handlers::events::configure(&mut routes);
    handlers::webhooks::configure(&mut routes);
    handlers::macros::configure(&mut routes);
    handlers::notifications::configure(&mut routes);
    handlers::settings::configure(&mut routes);
    handlers::sla::configure(&mut routes);
    handlers::reports::configure(&mut routes);
    handlers::trust::configure(&mut routes);
    routes.into_registered()
}
