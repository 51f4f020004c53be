//! Authentication: bearer tokens and API keys in, [`Principal`]s out; and minting tokens for
//! the login route and for tests.
//!
//! What a token is signed with decides what it may claim (api-v1.1.md section 1):
//!
//! - a header `kid` naming a tenant's signing key: that tenant only (a `tenant` claim must be
//!   the key's), and staff roles only when the key allows staff;
//! - the service's own login tokens (`kid: "supportdesk"`, signed with
//!   `SUPPORTDESK_JWT_SECRET`): any tenant that exists;
//! - no `kid`, signed with `SUPPORTDESK_JWT_SECRET`: customers of the `default` tenant, and
//!   staff of any tenant (single-shop deployments keep working);
//! - `sdk_…`: an API key, looked up by its hash.
//!
//! Whatever signed it, a staff token stands for the live, active agent named by `sub`, with
//! the role and permissions the database gives them now; the token's `perms` are ignored.
//! A customer token's tenant must exist. A logged-out token is refused.
//!
//! The algorithm is pinned to HS256, so `alg: none`, RS256 and the other HMAC sizes are
//! refused; `exp` is required and enforced and `nbf` too (5 seconds of leeway); an `iat`
//! more than 60 seconds ahead and a lifetime over 30 days are refused; `aud` and `iss` are
//! enforced when configured. An unknown `role` is refused. Optional profile claims (`name`,
//! `email`, `picture`) that do not parse are ignored rather than refused, so a shop's odd
//! display name never locks its customer out.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpRequest};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use supportdesk_app::{
    App, AppError, AuthenticatedUser, Credential, Principal, SigningKey, TokenFacts, API_KEY_PREFIX,
};
use supportdesk_domain::{AgentId, Email, Permission, PersonName, Role, TenantKey};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::error::ApiError;
use crate::ApiState;

/// Why keys could not be made or a token could not be minted.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// The HS256 secret is shorter than [`JwtKeys::MIN_SECRET_BYTES`].
    #[error("the JWT secret must be at least {min} bytes, got {actual}")]
    SecretTooShort {
        /// The minimum length.
        min: usize,
        /// The length given.
        actual: usize,
    },
    /// The token could not be encoded.
    #[error("the token could not be encoded")]
    Encode(#[source] jsonwebtoken::errors::Error),
    /// The clock is before 1970.
    #[error("the system clock is before the Unix epoch")]
    Clock,
}

/// The claims of a supportdesk token (`api.md`, "Authentication and roles").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The customer's or agent's UUID.
    pub sub: String,
    /// `customer`, `agent` or `admin`.
    pub role: String,
    /// The tenant; `default` when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant: Option<String>,
    /// An agent's permissions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub perms: Vec<String>,
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Email.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Avatar URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub picture: Option<String>,
    /// Expiry, seconds since the Unix epoch (required).
    pub exp: i64,
    /// Issued at, seconds since the Unix epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iat: Option<i64>,
    /// Not before, seconds since the Unix epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<i64>,
    /// The audience: one or several (checked when `SUPPORTDESK_JWT_AUDIENCE` is set).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aud: Option<Audience>,
    /// The issuer (checked when `SUPPORTDESK_JWT_ISSUER` is set).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
    /// The staff session generation a token of the service's own was issued under.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sgen: Option<i64>,
}

/// A token's `aud`: RFC 7519 allows one string or a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Audience {
    /// `"aud": "supportdesk"`.
    One(String),
    /// `"aud": ["supportdesk", "other"]`.
    Many(Vec<String>),
}

impl Claims {
    /// Claims for `principal`, valid for `ttl` from now.
    ///
    /// # Errors
    ///
    /// [`AuthError::Clock`] when the system clock is before 1970.
    pub fn for_principal(principal: &Principal, ttl: Duration) -> Result<Self, AuthError> {
        let now = unix_now()?;
        let ttl = i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX / 2);
        Ok(Self {
            sub: principal.id.to_string(),
            role: principal.role.as_str().to_owned(),
            tenant: Some(principal.tenant.to_string()),
            perms: principal.permissions.iter().map(|p| p.as_str().to_owned()).collect(),
            name: principal.name.as_ref().map(ToString::to_string),
            email: principal.email.as_ref().map(ToString::to_string),
            picture: principal.picture.clone(),
            exp: now.saturating_add(ttl),
            iat: Some(now),
            nbf: None,
            aud: None,
            iss: None,
            sgen: None,
        })
    }

    /// The principal these (already verified) claims describe.
    ///
    /// # Errors
    ///
    /// 401 for a `sub` that is not a UUID, an unknown `role`, or a malformed `tenant`.
    pub fn into_principal(self) -> Result<Principal, ApiError> {
        let id = Uuid::parse_str(&self.sub).map_err(|_| ApiError::unauthorized("the token's sub is not a UUID"))?;
        let role = Role::parse(&self.role).map_err(|_| ApiError::unauthorized("the token's role is unknown"))?;
        let tenant = match self.tenant.as_deref() {
            None => TenantKey::default(),
            Some(raw) => TenantKey::parse(raw).map_err(|_| ApiError::unauthorized("the token's tenant is invalid"))?,
        };
        let permissions = match role {
            Role::Agent => {
                let mut permissions: Vec<Permission> = Vec::new();
                for permission in self.perms.iter().filter_map(|raw| Permission::parse(raw).ok()) {
                    if !permissions.contains(&permission) {
                        permissions.push(permission);
                    }
                }
                permissions
            }
            Role::Customer | Role::Admin => Vec::new(),
        };
        Ok(Principal {
            tenant,
            id,
            role,
            permissions,
            name: self.name.as_deref().and_then(|raw| PersonName::parse(raw).ok()),
            email: self.email.as_deref().and_then(|raw| Email::parse(raw).ok()),
            picture: self.picture.filter(|url| is_http_url(url)),
            credential: Credential::Account,
        })
    }
}

fn is_http_url(url: &str) -> bool {
    (url.starts_with("https://") || url.starts_with("http://"))
        && url.len() <= 2048
        && !url.chars().any(char::is_whitespace)
}

fn unix_now() -> Result<i64, AuthError> {
    let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_err(|_| AuthError::Clock)?;
    Ok(i64::try_from(since.as_secs()).unwrap_or(i64::MAX / 2))
}

struct KeysInner {
    /// `SUPPORTDESK_JWT_SECRET`: checks tokens without `kid`.
    shared: DecodingKey,
    /// The service's own key: signs and checks the login tokens (`kid: "supportdesk"`).
    login_encoding: EncodingKey,
    login_decoding: DecodingKey,
    validation: Validation,
    audience: Option<String>,
    issuer: Option<String>,
}

/// The `kid` of the tokens the service's own login hands out (signed with
/// `SUPPORTDESK_JWT_SECRET`). Tenant signing keys get random ids, which never take this one.
pub const SERVICE_KID: &str = "supportdesk";

/// The longest lifetime a token may have (`exp` minus `iat`, or minus now without `iat`).
pub const MAX_TOKEN_LIFETIME_SECS: i64 = 30 * 24 * 3600;

/// How far ahead of this server's clock an `iat` may be.
pub const MAX_IAT_SKEW_SECS: i64 = supportdesk_app::ISSUER_CLOCK_SKEW_SECS;

/// The HS256 keys tokens are checked with (the shared `SUPPORTDESK_JWT_SECRET`, and the
/// service's own login key, which signs the tokens it mints) and the rules every token is
/// checked against. Cheap to clone; `Debug` never shows a secret.
#[derive(Clone)]
pub struct JwtKeys {
    inner: Arc<KeysInner>,
}

impl std::fmt::Debug for JwtKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("JwtKeys([redacted])")
    }
}

/// What signed a token, and so what it may claim.
enum Signer {
    /// The service's own login (`kid: "supportdesk"`, its own key).
    Service,
    /// `SUPPORTDESK_JWT_SECRET` without a `kid`: default-tenant customers, or staff.
    SharedSecret,
    /// A tenant's signing key.
    Tenant(SigningKey),
}

/// A verified bearer credential: who it stands for, and what logout needs to end it.
#[derive(Debug, Clone)]
pub struct Verified {
    /// Who is calling.
    pub principal: Principal,
    /// The token as presented.
    pub token: String,
    /// When it expires (`None` for an API key).
    pub expires_at: Option<OffsetDateTime>,
}

impl JwtKeys {
    /// The shortest secret accepted: 256 bits, the size of an HS256 key.
    pub const MIN_SECRET_BYTES: usize = 32;

    /// Seconds of clock skew tolerated on `exp` and `nbf`.
    pub const LEEWAY_SECS: u64 = 5;

    /// Keys from the shared secret (`SUPPORTDESK_JWT_SECRET`), with a random login key of
    /// this process (the server gives the one in the database with
    /// [`JwtKeys::with_login_secret`]).
    ///
    /// # Errors
    ///
    /// [`AuthError::SecretTooShort`] below [`JwtKeys::MIN_SECRET_BYTES`].
    pub fn new(secret: &[u8]) -> Result<Self, AuthError> {
        Self::with_claims(secret, None, None)
    }

    /// The same keys with `secret` (at least 32 bytes) as the login key, which signs the
    /// tokens this service mints and checks those with `kid: "supportdesk"`.
    ///
    /// # Errors
    ///
    /// [`AuthError::SecretTooShort`] below [`JwtKeys::MIN_SECRET_BYTES`].
    pub fn with_login_secret(&self, secret: &[u8]) -> Result<Self, AuthError> {
        if secret.len() < Self::MIN_SECRET_BYTES {
            return Err(AuthError::SecretTooShort { min: Self::MIN_SECRET_BYTES, actual: secret.len() });
        }
        let inner = KeysInner {
            shared: self.inner.shared.clone(),
            login_encoding: EncodingKey::from_secret(secret),
            login_decoding: DecodingKey::from_secret(secret),
            validation: self.inner.validation.clone(),
            audience: self.inner.audience.clone(),
            issuer: self.inner.issuer.clone(),
        };
        Ok(Self { inner: Arc::new(inner) })
    }

    /// Keys from the shared secret that also require every token's `aud` and `iss` to be
    /// these (when given), and put them in the tokens they mint.
    ///
    /// # Errors
    ///
    /// [`AuthError::SecretTooShort`] below [`JwtKeys::MIN_SECRET_BYTES`].
    pub fn with_claims(secret: &[u8], audience: Option<String>, issuer: Option<String>) -> Result<Self, AuthError> {
        if secret.len() < Self::MIN_SECRET_BYTES {
            return Err(AuthError::SecretTooShort { min: Self::MIN_SECRET_BYTES, actual: secret.len() });
        }
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = Self::LEEWAY_SECS;
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.validate_aud = audience.is_some();
        let mut required = vec!["exp", "sub"];
        if let Some(audience) = &audience {
            validation.set_audience(&[audience]);
            required.push("aud");
        }
        if let Some(issuer) = &issuer {
            validation.set_issuer(&[issuer]);
            required.push("iss");
        }
        validation.set_required_spec_claims(&required);
        let login = supportdesk_app::Secret::random(32);
        let inner = KeysInner {
            shared: DecodingKey::from_secret(secret),
            login_encoding: EncodingKey::from_secret(login.expose().as_bytes()),
            login_decoding: DecodingKey::from_secret(login.expose().as_bytes()),
            validation,
            audience,
            issuer,
        };
        Ok(Self { inner: Arc::new(inner) })
    }

    /// A token for `principal`, valid for `ttl`, signed as the service's own.
    ///
    /// # Errors
    ///
    /// [`AuthError::Encode`], [`AuthError::Clock`].
    pub fn mint(&self, principal: &Principal, ttl: Duration) -> Result<String, AuthError> {
        self.mint_claims(&Claims::for_principal(principal, ttl)?)
    }

    /// A token carrying exactly `claims` (plus the configured `aud`/`iss` when absent),
    /// signed as the service's own (`kid: "supportdesk"`).
    ///
    /// # Errors
    ///
    /// [`AuthError::Encode`].
    pub fn mint_claims(&self, claims: &Claims) -> Result<String, AuthError> {
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(SERVICE_KID.to_owned());
        let mut claims = claims.clone();
        if claims.aud.is_none() {
            claims.aud = self.inner.audience.clone().map(Audience::One);
        }
        if claims.iss.is_none() {
            claims.iss.clone_from(&self.inner.issuer);
        }
        jsonwebtoken::encode(&header, &claims, &self.inner.login_encoding).map_err(AuthError::Encode)
    }

    /// Checks a token's signature (with the key its `kid` names), algorithm and times, and
    /// reads its claims; the caller then checks what the signer may claim.
    fn decode(&self, token: &str, key: &DecodingKey) -> Result<Claims, ApiError> {
        use jsonwebtoken::errors::ErrorKind;
        let data =
            jsonwebtoken::decode::<Claims>(token, key, &self.inner.validation).map_err(|error| match error.kind() {
                ErrorKind::ExpiredSignature => ApiError::unauthorized("the token has expired"),
                ErrorKind::ImmatureSignature => ApiError::unauthorized("the token is not valid yet (nbf)"),
                ErrorKind::InvalidAudience => ApiError::unauthorized("the token's aud is not this service"),
                ErrorKind::InvalidIssuer => ApiError::unauthorized("the token's iss is not accepted"),
                ErrorKind::InvalidAlgorithm | ErrorKind::InvalidAlgorithmName => {
                    ApiError::unauthorized("the token must be signed with HS256")
                }
                ErrorKind::InvalidSignature => ApiError::unauthorized("the token's signature is invalid"),
                ErrorKind::MissingRequiredClaim(claim) => {
                    ApiError::unauthorized(format!("the token has no {claim} claim"))
                }
                _ => ApiError::unauthorized("the token is malformed"),
            })?;
        let claims = data.claims;
        let now = unix_now().map_err(ApiError::internal)?;
        if claims.iat.is_some_and(|iat| iat > now.saturating_add(MAX_IAT_SKEW_SECS)) {
            return Err(ApiError::unauthorized("the token's iat is in the future"));
        }
        if claims.exp.saturating_sub(claims.iat.unwrap_or(now).min(now)) > MAX_TOKEN_LIFETIME_SECS {
            return Err(ApiError::unauthorized("the token lives longer than 30 days"));
        }
        Ok(claims)
    }

    /// Verifies a bearer credential (a token or an API key) and finds who it stands for now.
    ///
    /// # Errors
    ///
    /// 401 `unauthorized` for anything that is not a valid credential of a live account.
    pub async fn verify(&self, app: &App, token: &str) -> Result<Verified, ApiError> {
        if token.starts_with(API_KEY_PREFIX) {
            let principal = app.authenticate_api_key(token).await.map_err(refused("the API key is not valid"))?;
            return Ok(Verified { principal, token: token.to_owned(), expires_at: None });
        }
        let header =
            jsonwebtoken::decode_header(token).map_err(|_| ApiError::unauthorized("the token is malformed"))?;
        if header.alg != Algorithm::HS256 {
            return Err(ApiError::unauthorized("the token must be signed with HS256"));
        }
        let (claims, signer) = match header.kid.as_deref() {
            None => (self.decode(token, &self.inner.shared)?, Signer::SharedSecret),
            Some(SERVICE_KID) => (self.decode(token, &self.inner.login_decoding)?, Signer::Service),
            Some(kid) => {
                let key =
                    app.signing_key(kid).await?.ok_or_else(|| ApiError::unauthorized("the token's kid is unknown"))?;
                let claims = self.decode(token, &DecodingKey::from_secret(key.secret.expose().as_bytes()))?;
                (claims, Signer::Tenant(key))
            }
        };
        let expires_at = OffsetDateTime::from_unix_timestamp(claims.exp).ok();
        let facts = TokenFacts {
            issued_at: claims.iat.and_then(|iat| OffsetDateTime::from_unix_timestamp(iat).ok()),
            // Only the service's own tokens speak for a session generation: anyone else's
            // could otherwise outlive a revocation.
            generation: match signer {
                Signer::Service => claims.sgen,
                Signer::SharedSecret | Signer::Tenant(_) => None,
            },
        };
        // Without a `tenant` claim a tenant key's token belongs to the key's tenant.
        let names_a_tenant = claims.tenant.is_some();
        let claimed = claims.into_principal()?;
        let tenant = match &signer {
            Signer::Tenant(key) if names_a_tenant && claimed.tenant != key.tenant => {
                return Err(ApiError::unauthorized("the token's tenant is not its key's tenant"));
            }
            Signer::Tenant(key) => key.tenant.clone(),
            Signer::Service | Signer::SharedSecret => claimed.tenant.clone(),
        };
        let principal = match claimed.role {
            Role::Customer => {
                if matches!(signer, Signer::SharedSecret) && tenant != TenantKey::default() {
                    return Err(ApiError::unauthorized(
                        "a token without kid is for the default tenant's customers; sign with the tenant's key",
                    ));
                }
                app.require_tenant(&tenant).await.map_err(refused("the token's tenant does not exist"))?;
                Principal { tenant, ..claimed }
            }
            Role::Agent | Role::Admin => {
                if let Signer::Tenant(key) = &signer {
                    if !key.allow_staff {
                        return Err(ApiError::unauthorized("the token's key may sign customer tokens only"));
                    }
                }
                app.authenticate_staff(&tenant, AgentId::from_uuid(claimed.id), facts)
                    .await
                    .map_err(refused("the token's account is unknown, inactive or signed out"))?
            }
        };
        if app.is_token_revoked(token).await? {
            return Err(ApiError::unauthorized("the token was revoked"));
        }
        Ok(Verified { principal, token: token.to_owned(), expires_at })
    }
}

/// Turns a refusal of the use cases into a 401 that says `why`; store failures stay 5xx.
fn refused(why: &'static str) -> impl Fn(AppError) -> ApiError {
    move |error| match error {
        AppError::Internal(cause) => ApiError::internal(cause),
        _ => ApiError::unauthorized(why),
    }
}

/// What the login route answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessToken {
    /// The bearer token.
    pub token: String,
    /// Seconds until it expires.
    pub expires_in: u64,
    /// The role it carries.
    pub role: Role,
}

/// Mints the tokens the service's own login hands out.
#[derive(Debug, Clone)]
pub struct TokenIssuer {
    keys: JwtKeys,
    ttl: Duration,
}

impl TokenIssuer {
    /// Tokens signed with `keys`, valid for `ttl`.
    pub fn new(keys: JwtKeys, ttl: Duration) -> Self {
        Self { keys, ttl }
    }

    /// A token for a user who just logged in: `sub`, `role`, `tenant`, `perms`, `name`,
    /// `email`, `iat`, `exp`, and for staff the session generation (`sgen`).
    ///
    /// # Errors
    ///
    /// [`AuthError`] when encoding fails.
    pub fn issue(&self, user: &AuthenticatedUser) -> Result<AccessToken, AuthError> {
        let principal = Principal {
            tenant: user.tenant.clone(),
            id: user.id,
            role: user.role,
            permissions: user.permissions.clone(),
            name: PersonName::parse(&user.name).ok(),
            email: Some(user.email.clone()),
            picture: None,
            credential: Credential::Account,
        };
        let mut claims = Claims::for_principal(&principal, self.ttl)?;
        claims.sgen = user.session_generation;
        let token = self.keys.mint_claims(&claims)?;
        Ok(AccessToken { token, expires_in: self.ttl.as_secs(), role: user.role })
    }
}

/// The verified bearer credential of a request: any role.
#[derive(Debug, Clone)]
pub struct Authenticated(pub Principal);

/// The verified bearer credential with the token itself (for logout).
#[derive(Debug, Clone)]
pub struct Session(pub Verified);

/// A verified caller with the `customer` role (the customer routes); staff get 403.
#[derive(Debug, Clone)]
pub struct CustomerCaller(pub Principal);

/// A verified caller with the `agent` or `admin` role (the `/admin` routes); customers get
/// 403. Permissions are checked by the use cases.
#[derive(Debug, Clone)]
pub struct StaffCaller(pub Principal);

fn bearer_token(req: &HttpRequest) -> Result<String, ApiError> {
    let value =
        req.headers().get(header::AUTHORIZATION).ok_or_else(|| ApiError::unauthorized("a bearer token is required"))?;
    let value = value.to_str().map_err(|_| ApiError::unauthorized("the Authorization header is malformed"))?;
    let (scheme, token) =
        value.trim().split_once(' ').ok_or_else(|| ApiError::unauthorized("use Authorization: Bearer <token>"))?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(ApiError::unauthorized("use Authorization: Bearer <token>"));
    }
    Ok(token.trim().to_owned())
}

/// The future an authenticating extractor returns.
type Extracted<T> = Pin<Box<dyn Future<Output = Result<T, ApiError>>>>;

async fn authenticate(req: HttpRequest) -> Result<Verified, ApiError> {
    let state = req
        .app_data::<web::Data<ApiState>>()
        .ok_or_else(|| ApiError::internal("ApiState is not registered as app data"))?
        .clone();
    let token = bearer_token(&req)?;
    state.jwt().verify(state.app(), &token).await
}

impl FromRequest for Session {
    type Error = ApiError;
    type Future = Extracted<Self>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { authenticate(req).await.map(Session) })
    }
}

impl FromRequest for Authenticated {
    type Error = ApiError;
    type Future = Extracted<Self>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { authenticate(req).await.map(|v| Authenticated(v.principal)) })
    }
}

impl FromRequest for CustomerCaller {
    type Error = ApiError;
    type Future = Extracted<Self>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let principal = authenticate(req).await?.principal;
            match principal.role {
                Role::Customer => Ok(CustomerCaller(principal)),
                Role::Agent | Role::Admin => {
                    Err(ApiError::forbidden("this route is for customers; staff use /api/v1/admin"))
                }
            }
        })
    }
}

impl FromRequest for StaffCaller {
    type Error = ApiError;
    type Future = Extracted<Self>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let principal = authenticate(req).await?.principal;
            match principal.role {
                Role::Agent | Role::Admin => Ok(StaffCaller(principal)),
                Role::Customer => Err(ApiError::forbidden("this needs an agent account")),
            }
        })
    }
}

/// The web console verifies session cookies and shops' sign-on links through this port, so
/// they follow exactly the rules of the API's bearer tokens.
#[async_trait::async_trait]
impl supportdesk_app::TokenAuthority for JwtKeys {
    async fn verify(&self, app: &App, token: &str) -> Result<supportdesk_app::VerifiedToken, AppError> {
        match JwtKeys::verify(self, app, token).await {
            Ok(verified) => {
                Ok(supportdesk_app::VerifiedToken { principal: verified.principal, expires_at: verified.expires_at })
            }
            Err(error) if error.status() == actix_web::http::StatusCode::UNAUTHORIZED => {
                tracing::debug!(reason = %error, "a web credential was refused");
                Err(AppError::Unauthorized)
            }
            Err(error) => Err(AppError::Internal(Box::new(error))),
        }
    }

    fn issue_for_user(&self, user: &AuthenticatedUser, ttl: Duration) -> Result<String, AppError> {
        TokenIssuer::new(self.clone(), ttl)
            .issue(user)
            .map(|access| access.token)
            .map_err(|error| AppError::Internal(Box::new(error)))
    }

    fn issue_for_principal(&self, principal: &Principal, ttl: Duration) -> Result<String, AppError> {
        self.mint(principal, ttl).map_err(|error| AppError::Internal(Box::new(error)))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    fn keys() -> JwtKeys {
        JwtKeys::new(b"0123456789abcdef0123456789abcdef").unwrap()
    }

    #[test]
    fn a_secret_shorter_than_32_bytes_is_refused() {
        assert!(matches!(JwtKeys::new(b"short"), Err(AuthError::SecretTooShort { min: 32, actual: 5 })));
    }

    fn decoded(keys: &JwtKeys, claims: &Claims) -> Result<Claims, ApiError> {
        let token = keys.mint_claims(claims).unwrap();
        keys.decode(&token, &keys.inner.login_decoding)
    }

    fn claims() -> Claims {
        let principal =
            Principal::agent(TenantKey::parse("shop-1").unwrap(), Uuid::now_v7(), vec![Permission::TicketsRead])
                .named("Sam");
        Claims::for_principal(&principal, Duration::from_secs(60)).unwrap()
    }

    #[test]
    fn a_minted_token_decodes_to_the_same_principal() {
        let principal =
            Principal::agent(TenantKey::parse("shop-1").unwrap(), Uuid::now_v7(), vec![Permission::TicketsRead])
                .named("Sam");
        let token = keys().mint(&principal, Duration::from_secs(60)).unwrap();
        let header = jsonwebtoken::decode_header(&token).unwrap();
        assert_eq!(header.kid.as_deref(), Some(SERVICE_KID));
        let keys = keys();
        let token = keys.mint(&principal, Duration::from_secs(60)).unwrap();
        let claims = keys.decode(&token, &keys.inner.login_decoding).unwrap();
        assert_eq!(claims.into_principal().unwrap(), principal);
    }

    #[test]
    fn a_token_not_valid_yet_is_refused() {
        let mut future = claims();
        future.nbf = Some(future.exp - 30);
        assert_eq!(decoded(&keys(), &future).unwrap_err().status(), 401);
        let mut now = claims();
        now.nbf = now.iat;
        assert!(decoded(&keys(), &now).is_ok());
    }

    #[test]
    fn an_iat_more_than_a_minute_ahead_is_refused() {
        let mut ahead = claims();
        let iat = ahead.iat.unwrap();
        ahead.iat = Some(iat + 120);
        ahead.exp = iat + 600;
        assert_eq!(decoded(&keys(), &ahead).unwrap_err().status(), 401);
        ahead.iat = Some(iat + 30);
        assert!(decoded(&keys(), &ahead).is_ok());
    }

    #[test]
    fn an_audience_list_is_read_and_checked() {
        let strict = JwtKeys::with_claims(b"0123456789abcdef0123456789abcdef", Some("desk".into()), None).unwrap();
        let mut listed = claims();
        listed.aud = Some(Audience::Many(vec!["shop".into(), "desk".into()]));
        assert!(decoded(&strict, &listed).is_ok());
        listed.aud = Some(Audience::Many(vec!["shop".into()]));
        assert_eq!(decoded(&strict, &listed).unwrap_err().status(), 401);
        // Without a configured audience, a list is simply accepted.
        listed.aud = Some(Audience::Many(vec!["shop".into()]));
        assert!(decoded(&keys(), &listed).is_ok());
    }

    #[test]
    fn a_lifetime_over_30_days_is_refused() {
        let mut long = claims();
        let iat = long.iat.unwrap();
        long.exp = iat + MAX_TOKEN_LIFETIME_SECS + 60;
        assert_eq!(decoded(&keys(), &long).unwrap_err().status(), 401);
        long.iat = None;
        assert_eq!(decoded(&keys(), &long).unwrap_err().status(), 401);
        long.exp = iat + MAX_TOKEN_LIFETIME_SECS - 60;
        assert!(decoded(&keys(), &long).is_ok());
    }

    #[test]
    fn audience_and_issuer_are_enforced_when_configured() {
        let strict =
            JwtKeys::with_claims(b"0123456789abcdef0123456789abcdef", Some("desk".into()), Some("shop".into()))
                .unwrap();
        // Its own tokens carry both.
        assert!(decoded(&strict, &claims()).is_ok());
        let mut wrong = claims();
        wrong.aud = Some(Audience::One("elsewhere".into()));
        assert_eq!(decoded(&strict, &wrong).unwrap_err().status(), 401);
        let mut wrong = claims();
        wrong.iss = Some("elsewhere".into());
        assert_eq!(decoded(&strict, &wrong).unwrap_err().status(), 401);
        // A token without them, signed with the same key, is refused.
        let plain = strict.with_login_secret(b"0123456789abcdef0123456789abcdef").unwrap();
        let mut bare = claims();
        bare.aud = None;
        bare.iss = None;
        let token = jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &bare,
            &EncodingKey::from_secret(b"0123456789abcdef0123456789abcdef"),
        )
        .unwrap();
        assert_eq!(plain.decode(&token, &plain.inner.login_decoding).unwrap_err().status(), 401);
    }

    #[test]
    fn unknown_permissions_are_ignored() {
        let mut claims = Claims::for_principal(
            &Principal::agent(TenantKey::default(), Uuid::now_v7(), vec![]),
            Duration::from_secs(60),
        )
        .unwrap();
        claims.perms = vec!["tickets:read".into(), "rockets:launch".into()];
        let principal = claims.into_principal().unwrap();
        assert_eq!(principal.permissions, vec![Permission::TicketsRead]);
    }

    #[test]
    fn the_debug_form_of_keys_hides_the_secret() {
        assert_eq!(format!("{:?}", keys()), "JwtKeys([redacted])");
    }
}
