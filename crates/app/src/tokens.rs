//! The bearer-token port: how a credential a client presents becomes a [`Principal`], and
//! how the service mints its own tokens. The HTTP API implements it (its JWT rules live
//! there); the web console holds it as `Arc<dyn TokenAuthority>`, so a browser session and a
//! shop's single-sign-on link are verified by exactly the rules of the API's bearer tokens,
//! without the web crate depending on the HTTP crate.

use std::time::Duration;

use std::net::IpAddr;

use supportdesk_domain::{Email, TenantKey};
use time::OffsetDateTime;

use crate::accounts::AuthenticatedUser;
use crate::auth::Principal;
use crate::error::AppError;
use crate::App;

/// A credential that passed every check of the API's bearer tokens.
#[derive(Debug, Clone)]
pub struct VerifiedToken {
    /// Who it stands for now (a staff token: the live agent's role and permissions).
    pub principal: Principal,
    /// When it expires (`None` for an API key).
    pub expires_at: Option<OffsetDateTime>,
}

/// Verifies bearer credentials and mints the service's own tokens.
#[async_trait::async_trait]
pub trait TokenAuthority: Send + Sync {
    /// Verifies `token` exactly as the API verifies an `Authorization: Bearer` credential
    /// (signature, algorithm, times, signer rules, live agent, logout).
    ///
    /// # Errors
    ///
    /// MUST return `Unauthorized` for anything that is not a valid credential of a live
    /// account; `Internal` when the store fails.
    async fn verify(&self, app: &App, token: &str) -> Result<VerifiedToken, AppError>;

    /// A token of the service's own for a user who just logged in with a password, valid
    /// for `ttl` (staff tokens carry their session generation, so revoking the agent's
    /// sessions ends it).
    ///
    /// # Errors
    ///
    /// `Internal` when the token cannot be encoded.
    fn issue_for_user(&self, user: &AuthenticatedUser, ttl: Duration) -> Result<String, AppError>;

    /// A token of the service's own for a customer `principal` that another credential
    /// (a shop's token) already proved, valid for `ttl`.
    ///
    /// # Errors
    ///
    /// `Internal` when the token cannot be encoded.
    fn issue_for_principal(&self, principal: &Principal, ttl: Duration) -> Result<String, AppError>;
}

/// The login throttle the API applies, so a login form of the web console counts against the
/// same limits (and the same counters) as `POST /auth/login`.
pub trait LoginThrottle: Send + Sync {
    /// The key a client is counted under: `peer`, or the client named by the forwarded
    /// headers (`(name, value)` pairs) when `peer` is a trusted proxy.
    fn client_of(&self, peer: Option<IpAddr>, headers: &[(&str, &str)]) -> IpAddr;

    /// Counts a login attempt of `client` for `email` in `tenant` against the per-client
    /// limit, and refuses it while that client's wrong passwords for the account are past
    /// their rate.
    ///
    /// # Errors
    ///
    /// MUST return `Busy` with the seconds to wait when a limit is reached.
    fn check_login(&self, client: IpAddr, tenant: &TenantKey, email: &Email) -> Result<(), AppError>;

    /// Counts a wrong password of `client` for `email` in `tenant`.
    fn count_login_failure(&self, client: IpAddr, tenant: &TenantKey, email: &Email);
}
