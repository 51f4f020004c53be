//! Authentication: HS256 bearer tokens in, [`Principal`]s out; and minting tokens for the
//! login route and for tests.
//!
//! The algorithm is pinned to HS256, so `alg: none`, RS256 and the other HMAC sizes are
//! refused; `exp` is required and enforced (5 seconds of leeway). Unknown `perms` strings are
//! ignored (they grant nothing); an unknown `role` is refused. Optional profile claims
//! (`name`, `email`, `picture`) that do not parse are ignored rather than refused, so a shop's
//! odd display name never locks its customer out.

use std::future::{ready, Ready};
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpRequest};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use supportdesk_app::{AuthenticatedUser, Principal};
use supportdesk_domain::{Email, Permission, PersonName, Role, TenantKey};
use uuid::Uuid;

use crate::error::ApiError;

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
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
}

/// The HS256 keys tokens are signed and checked with. Cheap to clone; `Debug` never shows
/// the secret.
#[derive(Clone)]
pub struct JwtKeys {
    inner: Arc<KeysInner>,
}

impl std::fmt::Debug for JwtKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("JwtKeys([redacted])")
    }
}

impl JwtKeys {
    /// The shortest secret accepted: 256 bits, the size of an HS256 key.
    pub const MIN_SECRET_BYTES: usize = 32;

    /// Seconds of clock skew tolerated on `exp`.
    pub const LEEWAY_SECS: u64 = 5;

    /// Keys from the shared secret (`SUPPORTDESK_JWT_SECRET`).
    ///
    /// # Errors
    ///
    /// [`AuthError::SecretTooShort`] below [`JwtKeys::MIN_SECRET_BYTES`].
    pub fn new(secret: &[u8]) -> Result<Self, AuthError> {
        if secret.len() < Self::MIN_SECRET_BYTES {
            return Err(AuthError::SecretTooShort { min: Self::MIN_SECRET_BYTES, actual: secret.len() });
        }
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = Self::LEEWAY_SECS;
        validation.validate_exp = true;
        validation.validate_aud = false;
        validation.set_required_spec_claims(&["exp", "sub"]);
        let inner = KeysInner {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
        };
        Ok(Self { inner: Arc::new(inner) })
    }

    /// A token for `principal`, valid for `ttl`.
    ///
    /// # Errors
    ///
    /// [`AuthError::Encode`], [`AuthError::Clock`].
    pub fn mint(&self, principal: &Principal, ttl: Duration) -> Result<String, AuthError> {
        self.mint_claims(&Claims::for_principal(principal, ttl)?)
    }

    /// A token carrying exactly `claims` (tests use it for expired or odd tokens).
    ///
    /// # Errors
    ///
    /// [`AuthError::Encode`].
    pub fn mint_claims(&self, claims: &Claims) -> Result<String, AuthError> {
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &self.inner.encoding).map_err(AuthError::Encode)
    }

    /// Verifies a token's signature, algorithm and expiry, and reads its principal.
    ///
    /// # Errors
    ///
    /// 401 `unauthorized` for any token that is not a valid, unexpired HS256 token of ours
    /// with known claims.
    pub fn verify(&self, token: &str) -> Result<Principal, ApiError> {
        use jsonwebtoken::errors::ErrorKind;
        let data =
            jsonwebtoken::decode::<Claims>(token, &self.inner.decoding, &self.inner.validation).map_err(|error| {
                match error.kind() {
                    ErrorKind::ExpiredSignature => ApiError::unauthorized("the token has expired"),
                    ErrorKind::InvalidAlgorithm | ErrorKind::InvalidAlgorithmName => {
                        ApiError::unauthorized("the token must be signed with HS256")
                    }
                    ErrorKind::InvalidSignature => ApiError::unauthorized("the token's signature is invalid"),
                    ErrorKind::MissingRequiredClaim(claim) => {
                        ApiError::unauthorized(format!("the token has no {claim} claim"))
                    }
                    _ => ApiError::unauthorized("the token is malformed"),
                }
            })?;
        data.claims.into_principal()
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
    /// `email`, `iat`, `exp`.
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
        };
        let token = self.keys.mint(&principal, self.ttl)?;
        Ok(AccessToken { token, expires_in: self.ttl.as_secs(), role: user.role })
    }
}

/// The bearer token of a request, verified: any role.
#[derive(Debug, Clone)]
pub struct Authenticated(pub Principal);

/// A verified caller with the `customer` role (the customer routes); staff get 403.
#[derive(Debug, Clone)]
pub struct CustomerCaller(pub Principal);

/// A verified caller with the `agent` or `admin` role (the `/admin` routes); customers get
/// 403. Permissions are checked by the use cases.
#[derive(Debug, Clone)]
pub struct StaffCaller(pub Principal);

fn authenticate(req: &HttpRequest) -> Result<Principal, ApiError> {
    let keys = req
        .app_data::<web::Data<JwtKeys>>()
        .ok_or_else(|| ApiError::internal("JwtKeys are not registered as app data"))?;
    let value =
        req.headers().get(header::AUTHORIZATION).ok_or_else(|| ApiError::unauthorized("a bearer token is required"))?;
    let value = value.to_str().map_err(|_| ApiError::unauthorized("the Authorization header is malformed"))?;
    let (scheme, token) =
        value.trim().split_once(' ').ok_or_else(|| ApiError::unauthorized("use Authorization: Bearer <token>"))?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(ApiError::unauthorized("use Authorization: Bearer <token>"));
    }
    keys.verify(token.trim())
}

impl FromRequest for Authenticated {
    type Error = ApiError;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        ready(authenticate(req).map(Authenticated))
    }
}

impl FromRequest for CustomerCaller {
    type Error = ApiError;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        ready(authenticate(req).and_then(|principal| match principal.role {
            Role::Customer => Ok(CustomerCaller(principal)),
            Role::Agent | Role::Admin => {
                Err(ApiError::forbidden("this route is for customers; staff use /api/v1/admin"))
            }
        }))
    }
}

impl FromRequest for StaffCaller {
    type Error = ApiError;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        ready(authenticate(req).and_then(|principal| match principal.role {
            Role::Agent | Role::Admin => Ok(StaffCaller(principal)),
            Role::Customer => Err(ApiError::forbidden("this needs an agent account")),
        }))
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

    #[test]
    fn a_minted_token_verifies_to_the_same_principal() {
        let principal =
            Principal::agent(TenantKey::parse("shop-1").unwrap(), Uuid::now_v7(), vec![Permission::TicketsRead])
                .named("Sam");
        let token = keys().mint(&principal, Duration::from_secs(60)).unwrap();
        assert_eq!(keys().verify(&token).unwrap(), principal);
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
