//! Trust (api-v1.1.md section 1): tenants the operator creates, the signing keys shops mint
//! their own tokens with, API keys for integrations, staff sessions that are only as good as
//! the live account behind them, and tokens ended by logout.
//!
//! Token parsing and signatures are the HTTP layer's business; what a verified token is
//! worth is decided here, so an embedder gets the same rules.

use crate::error::{Missing, Refusal};
use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use rand::RngCore as _;
use sha2::{Digest as _, Sha256};
use supportdesk_domain::{Agent, AgentId, Permission, PersonName, Role, TenantKey, TenantPolicy};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::auth::{Credential, Principal};
use crate::error::AppError;
use crate::App;

/// A secret that never shows in `Debug` output or logs.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(secret: impl Into<String>) -> Self {
        Self(secret.into())
    }

    /// `bytes` random bytes written as unpadded base64url.
    pub fn random(bytes: usize) -> Self {
        let mut buffer = vec![0u8; bytes];
        rand::thread_rng().fill_bytes(&mut buffer);
        Self(URL_SAFE_NO_PAD.encode(buffer))
    }

    /// The secret itself.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

/// The SHA-256 of a token or key, as lowercase hex: how tokens and API keys are looked up
/// without being stored.
pub fn token_hash(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    let mut hex = String::with_capacity(64);
    for byte in digest {
        hex.push(char::from_digit(u32::from(byte >> 4), 16).unwrap_or('0'));
        hex.push(char::from_digit(u32::from(byte & 0xf), 16).unwrap_or('0'));
    }
    hex
}

/// A tenant as the operator created it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantRecord {
    /// Its key.
    pub key: TenantKey,
    /// Its display name.
    pub name: String,
    /// Whether customers may create accounts with `POST /auth/register` (still under the
    /// global switch).
    pub allow_registration: bool,
    /// When it was created.
    pub created_at: OffsetDateTime,
}

/// An HS256 key a shop signs its own tokens with; a token names it in its header's `kid`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigningKey {
    /// The key id, unique across tenants.
    pub kid: String,
    /// The tenant its tokens belong to.
    pub tenant: TenantKey,
    /// The HS256 key is this string's bytes.
    pub secret: Secret,
    /// Whether it may sign staff tokens (otherwise customer tokens only).
    pub allow_staff: bool,
    /// When it was made.
    pub created_at: OffsetDateTime,
}

/// An integration's key: a staff principal of its tenant with exactly its permissions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKey {
    /// Its id.
    pub id: Uuid,
    /// Its tenant.
    pub tenant: TenantKey,
    /// What it is for; its messages are authored by this name.
    pub name: PersonName,
    /// The key's first characters (`sdk_` and 8 more), to tell keys apart.
    pub prefix: String,
    /// What it may do.
    pub permissions: Vec<Permission>,
    /// When it was made.
    pub created_at: OffsetDateTime,
    /// When it stops working, if ever.
    pub expires_at: Option<OffsetDateTime>,
    /// When it was last used (updated at most once a minute).
    pub last_used_at: Option<OffsetDateTime>,
}

/// A new API key and its secret, which is shown once and never stored.
#[derive(Debug, Clone)]
pub struct IssuedApiKey {
    /// The key's record.
    pub key: ApiKey,
    /// `sdk_…`: what the integration sends as its bearer token.
    pub secret: Secret,
}

/// What a new API key is made of.
#[derive(Debug, Clone)]
pub struct NewApiKey {
    /// What it is for.
    pub name: PersonName,
    /// What it may do: no more than the principal who makes it may do.
    pub permissions: Vec<Permission>,
    /// When it stops working (must be in the future).
    pub expires_at: Option<OffsetDateTime>,
}

/// A tenant's settings as its admins see them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TenantSettings {
    /// The ticket policy.
    pub policy: TenantPolicy,
    /// Whether customers may create accounts (under the global switch).
    pub allow_registration: bool,
}

/// An agent and the state of their sessions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentSession {
    /// The agent as stored now.
    pub agent: Agent,
    /// Bumped by every revocation; the service's own tokens carry the generation they were
    /// issued under.
    pub generation: i64,
    /// When their sessions were last revoked: tokens issued before it are refused.
    pub revoked_at: Option<OffsetDateTime>,
}

impl AgentSession {
    /// Whether a token with `facts` is still good for this agent.
    pub fn honours(&self, facts: &TokenFacts) -> bool {
        if !self.agent.active {
            return false;
        }
        match (facts.generation, self.revoked_at) {
            (Some(generation), _) => generation == self.generation,
            (None, None) => true,
            // A token's `iat` is its issuer's clock, which may run up to
            // ISSUER_CLOCK_SKEW_SECS ahead of ours (more is refused outright): only a token
            // dated later than that after the revocation was surely issued after it.
            (None, Some(revoked_at)) => facts.issued_at.is_some_and(|issued| {
                issued.unix_timestamp() > revoked_at.unix_timestamp().saturating_add(ISSUER_CLOCK_SKEW_SECS)
            }),
        }
    }
}

/// What a verified staff token says about when and under which session it was issued.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TokenFacts {
    /// Its `iat`.
    pub issued_at: Option<OffsetDateTime>,
    /// The session generation a token of the service's own carries.
    pub generation: Option<i64>,
}

/// How far ahead of this server an issuer's clock may run: a token whose `iat` is further
/// ahead is refused, and a staff token judged by its `iat` must be dated this much after
/// the agent's last revocation.
pub const ISSUER_CLOCK_SKEW_SECS: i64 = 60;

/// The prefix of every API key.
pub const API_KEY_PREFIX: &str = "sdk_";

/// How long the per-process trust caches believe what they read (see [`crate::AppSettings`]).
pub(crate) fn cache_ttl(settings: &crate::AppSettings) -> Duration {
    settings.revocation_check_interval
}

impl App {
    /// Creates a tenant with its default categories (the `supportdesk tenant create`
    /// command); returns it and whether it was created now (an existing tenant is left as
    /// it is). The `default` tenant takes registrations from the start; others do not until
    /// an admin allows it.
    ///
    /// # Errors
    ///
    /// `Validation` for a blank name; `Internal` when the store fails.
    pub async fn create_tenant(&self, tenant: &TenantKey, name: &str) -> Result<(TenantRecord, bool), AppError> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 200 {
            return Err(AppError::invalid("name", "must be 1 to 200 characters"));
        }
        let allow_registration = *tenant == TenantKey::default();
        let created =
            self.trust.create_tenant(tenant, name, allow_registration, &self.default_categories(tenant)).await?;
        let record = self.trust.tenant(tenant).await?.ok_or(AppError::NotFound(Missing::Tenant))?;
        self.tenant_cache.put(tenant.clone(), Some(record.clone()));
        Ok((record, created))
    }

    /// The tenant, if the operator created it (cached for a moment).
    ///
    /// # Errors
    ///
    /// `Internal` when the store fails.
    pub async fn find_tenant(&self, tenant: &TenantKey) -> Result<Option<TenantRecord>, AppError> {
        let read = || async { Ok::<_, AppError>(self.trust.tenant(tenant).await?) };
        self.tenant_cache.get_or_read(tenant.clone(), |_| true, read).await
    }

    /// `Ok` when the tenant exists.
    ///
    /// # Errors
    ///
    /// [`AppError::Unauthorized`] for an unknown tenant: a token for it is worth nothing.
    pub async fn require_tenant(&self, tenant: &TenantKey) -> Result<TenantRecord, AppError> {
        self.find_tenant(tenant).await?.ok_or(AppError::Unauthorized)
    }

    /// Adds a signing key to a tenant (the `supportdesk tenant key add` command).
    ///
    /// # Errors
    ///
    /// `NotFound(Missing::Tenant)` for an unknown tenant.
    pub async fn add_signing_key(&self, tenant: &TenantKey, allow_staff: bool) -> Result<SigningKey, AppError> {
        self.find_tenant(tenant).await?.ok_or(AppError::NotFound(Missing::Tenant))?;
        let key = SigningKey {
            kid: Secret::random(12).expose().to_owned(),
            tenant: tenant.clone(),
            secret: Secret::random(32),
            allow_staff,
            created_at: self.clock.now(),
        };
        self.trust.insert_signing_key(&key).await?;
        Ok(key)
    }

    /// Adds a signing key to the principal's tenant (`settings:manage`; a key that may sign
    /// staff tokens can impersonate any agent, so only an admin may make one).
    ///
    /// # Errors
    ///
    /// `Forbidden`.
    pub async fn create_signing_key(&self, principal: &Principal, allow_staff: bool) -> Result<SigningKey, AppError> {
        principal.require(Permission::SettingsManage)?;
        if allow_staff && principal.role != Role::Admin {
            return Err(AppError::Forbidden(Refusal::OnlyAdminsMakeStaffKeys));
        }
        self.add_signing_key(&principal.tenant, allow_staff).await
    }

    /// The tenant's signing keys, oldest first (`settings:manage`).
    ///
    /// # Errors
    ///
    /// `Forbidden`.
    pub async fn list_signing_keys(&self, principal: &Principal) -> Result<Vec<SigningKey>, AppError> {
        principal.require(Permission::SettingsManage)?;
        Ok(self.trust.list_signing_keys(&principal.tenant).await?)
    }

    /// Deletes a signing key (`settings:manage`): tokens it signed stop working within
    /// [`crate::AppSettings::revocation_check_interval`].
    ///
    /// # Errors
    ///
    /// `NotFound(Missing::SigningKey)`, `Forbidden`.
    pub async fn delete_signing_key(&self, principal: &Principal, kid: &str) -> Result<(), AppError> {
        principal.require(Permission::SettingsManage)?;
        if !self.trust.delete_signing_key(&principal.tenant, kid).await? {
            return Err(AppError::NotFound(Missing::SigningKey));
        }
        self.signing_key_cache.forget(&kid.to_owned());
        Ok(())
    }

    /// The signing key named by a token's `kid`, if it exists (cached for a moment).
    ///
    /// # Errors
    ///
    /// `Internal` when the store fails.
    pub async fn signing_key(&self, kid: &str) -> Result<Option<SigningKey>, AppError> {
        // Only keys this service made can exist; anything else is not worth a store read.
        if !is_key_id(kid) {
            return Ok(None);
        }
        // An unknown kid is not remembered: random ones must not crowd out real keys.
        let read = || async { Ok::<_, AppError>(self.trust.signing_key(kid).await?) };
        self.signing_key_cache.get_or_read(kid.to_owned(), Option::is_some, read).await
    }

    /// Makes an API key (`agents:manage`), with no permission its maker lacks.
    ///
    /// # Errors
    ///
    /// `Forbidden`; `Validation` for an expiry in the past.
    pub async fn create_api_key(&self, principal: &Principal, input: NewApiKey) -> Result<IssuedApiKey, AppError> {
        principal.require(Permission::AgentsManage)?;
        if let Some(missing) = input.permissions.iter().find(|p| !principal.may(**p)) {
            return Err(AppError::invalid("permissions", format!("you cannot grant {}", missing.as_str())));
        }
        let now = self.clock.now();
        if input.expires_at.is_some_and(|at| at <= now) {
            return Err(AppError::invalid("expiresAt", "must be in the future"));
        }
        let secret = Secret::new(format!("{API_KEY_PREFIX}{}", Secret::random(32).expose()));
        let key = ApiKey {
            id: self.ids.next_uuid(),
            tenant: principal.tenant.clone(),
            name: input.name,
            prefix: secret.expose().chars().take(API_KEY_PREFIX.len() + 8).collect(),
            permissions: dedup_permissions(input.permissions),
            created_at: now,
            expires_at: input.expires_at,
            last_used_at: None,
        };
        self.trust.insert_api_key(&key, &token_hash(secret.expose())).await?;
        Ok(IssuedApiKey { key, secret })
    }

    /// The tenant's API keys, oldest first, without secrets (`agents:manage`).
    ///
    /// # Errors
    ///
    /// `Forbidden`.
    pub async fn list_api_keys(&self, principal: &Principal) -> Result<Vec<ApiKey>, AppError> {
        principal.require(Permission::AgentsManage)?;
        Ok(self.trust.list_api_keys(&principal.tenant).await?)
    }

    /// Deletes an API key (`agents:manage`); it stops working within
    /// [`crate::AppSettings::revocation_check_interval`] on every server process.
    ///
    /// # Errors
    ///
    /// `NotFound(Missing::ApiKey)`, `Forbidden`.
    pub async fn delete_api_key(&self, principal: &Principal, id: Uuid) -> Result<(), AppError> {
        principal.require(Permission::AgentsManage)?;
        if !self.trust.delete_api_key(&principal.tenant, id).await? {
            return Err(AppError::NotFound(Missing::ApiKey));
        }
        Ok(())
    }

    /// The principal an API key stands for.
    ///
    /// # Errors
    ///
    /// `Unauthorized` for an unknown, deleted or expired key.
    pub async fn authenticate_api_key(&self, raw: &str) -> Result<Principal, AppError> {
        let hash = token_hash(raw);
        let read = || async { Ok::<_, AppError>(self.trust.api_key_by_hash(&hash).await?) };
        let key = self.api_key_cache.get_or_read(hash.clone(), Option::is_some, read).await?;
        let key = key.ok_or(AppError::Unauthorized)?;
        let now = self.clock.now();
        if key.expires_at.is_some_and(|at| at <= now) {
            return Err(AppError::Unauthorized);
        }
        self.note_api_key_use(&key, now).await;
        Ok(Principal {
            tenant: key.tenant.clone(),
            id: key.id,
            role: Role::Agent,
            permissions: key.permissions.clone(),
            name: Some(key.name.clone()),
            email: None,
            picture: None,
            credential: Credential::ApiKey,
        })
    }

    /// Records `lastUsedAt`, at most once a minute per key and process: a busy integration
    /// should not turn every read into a write.
    async fn note_api_key_use(&self, key: &ApiKey, now: OffsetDateTime) {
        if self.api_key_touches.get(&key.id).is_some() {
            return;
        }
        self.api_key_touches.put(key.id, ());
        if let Err(error) = self.trust.touch_api_key(&key.tenant, key.id, now).await {
            tracing::warn!(api_key.id = %key.id, error = %error, "could not record an API key's use");
        }
    }

    /// The principal a verified staff token stands for: the agent as stored now, with the
    /// role and permissions of the database (claims cannot add any).
    ///
    /// # Errors
    ///
    /// `Unauthorized` for an unknown tenant or agent, an inactive agent, or a token issued
    /// before the agent's sessions were revoked.
    pub async fn authenticate_staff(
        &self,
        tenant: &TenantKey,
        id: AgentId,
        facts: TokenFacts,
    ) -> Result<Principal, AppError> {
        self.require_tenant(tenant).await?;
        let read = || async { Ok::<_, AppError>(self.trust.agent_session(tenant, id).await?) };
        let session = self.session_cache.get_or_read((tenant.clone(), id), |_| true, read).await?;
        let session = session.filter(|s| s.honours(&facts)).ok_or(AppError::Unauthorized)?;
        let agent = session.agent;
        Ok(Principal {
            tenant: agent.tenant,
            id: agent.id.as_uuid(),
            role: agent.role,
            permissions: agent.permissions,
            name: Some(agent.name),
            email: Some(agent.email),
            picture: None,
            credential: Credential::Account,
        })
    }

    /// Ends every session of an agent (`agents:manage`; an admin's only by an admin): their
    /// tokens answer 401 within [`crate::AppSettings::revocation_check_interval`].
    ///
    /// # Errors
    ///
    /// `NotFound(Missing::Agent)`, `Forbidden`.
    pub async fn revoke_agent_sessions(&self, principal: &Principal, id: AgentId) -> Result<(), AppError> {
        principal.require(Permission::AgentsManage)?;
        let agent = self.accounts.agent(&principal.tenant, id).await?.ok_or(AppError::NotFound(Missing::Agent))?;
        if agent.role == Role::Admin && principal.role != Role::Admin {
            return Err(AppError::Forbidden(Refusal::OnlyAdminsManageAdmins));
        }
        self.trust.revoke_agent_sessions(&principal.tenant, id, self.clock.now()).await?;
        self.session_cache.forget(&(principal.tenant.clone(), id));
        Ok(())
    }

    /// Ends one token (logout): it answers 401 from now on, on every server process within
    /// [`crate::AppSettings::revocation_check_interval`]. `expires_at` is when it would have
    /// expired anyway, after which the record may be pruned.
    ///
    /// # Errors
    ///
    /// `Validation` for an API key (delete it instead).
    pub async fn logout(&self, principal: &Principal, token: &str, expires_at: OffsetDateTime) -> Result<(), AppError> {
        if principal.credential == Credential::ApiKey {
            return Err(AppError::invalid("Authorization", "API keys end with DELETE /api/v1/admin/api-keys/{id}"));
        }
        let hash = token_hash(token);
        self.trust.revoke_token(&principal.tenant, &hash, expires_at).await?;
        self.revoked_cache.put(hash, true);
        Ok(())
    }

    /// Whether the token was ended by logout.
    ///
    /// # Errors
    ///
    /// `Internal` when the store fails.
    pub async fn is_token_revoked(&self, token: &str) -> Result<bool, AppError> {
        let hash = token_hash(token);
        let read = || async { Ok::<_, AppError>(self.trust.is_token_revoked(&hash).await?) };
        self.revoked_cache.get_or_read(hash.clone(), |_| true, read).await
    }

    /// The secret the service signs its own login tokens with: made at random on first use
    /// and kept in the store, so every server process on one database shares it and no
    /// holder of `SUPPORTDESK_JWT_SECRET` can mint such tokens.
    ///
    /// # Errors
    ///
    /// `Internal` when the store fails.
    pub async fn login_token_secret(&self) -> Result<Secret, AppError> {
        Ok(self.trust.service_secret("login-tokens", &Secret::random(32)).await?)
    }

    /// Deletes logout records of tokens that have expired anyway; returns how many.
    ///
    /// # Errors
    ///
    /// `Internal` when the store fails.
    pub async fn prune_revoked_tokens(&self) -> Result<u64, AppError> {
        Ok(self.trust.prune_revoked_tokens(self.clock.now()).await?)
    }

    /// The tenant's settings: its ticket policy and whether it takes registrations
    /// (`settings:manage`).
    ///
    /// # Errors
    ///
    /// `Forbidden`.
    pub async fn tenant_settings(&self, principal: &Principal) -> Result<TenantSettings, AppError> {
        let policy = self.tenant_policy(principal).await?;
        let tenant = self.trust.tenant(&principal.tenant).await?.ok_or(AppError::NotFound(Missing::Tenant))?;
        Ok(TenantSettings { policy, allow_registration: tenant.allow_registration })
    }

    /// Replaces the tenant's policy and, when given, its registration switch
    /// (`settings:manage`); returns the settings now.
    ///
    /// # Errors
    ///
    /// `Forbidden`.
    pub async fn update_tenant_settings(
        &self,
        principal: &Principal,
        policy: TenantPolicy,
        allow_registration: Option<bool>,
    ) -> Result<TenantSettings, AppError> {
        self.set_tenant_policy(principal, policy).await?;
        if let Some(allow) = allow_registration {
            self.trust.set_allow_registration(&principal.tenant, allow).await?;
            self.tenant_cache.forget(&principal.tenant);
        }
        self.tenant_settings(principal).await
    }
}

/// The shape of the key ids this service makes: 16 base64url characters (12 random bytes).
fn is_key_id(kid: &str) -> bool {
    kid.len() == 16 && kid.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

pub(crate) fn dedup_permissions(permissions: Vec<Permission>) -> Vec<Permission> {
    let mut unique = Vec::with_capacity(permissions.len());
    for permission in permissions {
        if !unique.contains(&permission) {
            unique.push(permission);
        }
    }
    unique
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use supportdesk_domain::{Email, PersonName};
    use time::macros::datetime;

    use super::*;

    fn session(generation: i64, revoked_at: Option<OffsetDateTime>, active: bool) -> AgentSession {
        AgentSession {
            agent: Agent {
                id: AgentId::from_uuid(Uuid::now_v7()),
                tenant: TenantKey::default(),
                email: Email::parse("sam@shop.example").unwrap(),
                name: PersonName::parse("Sam").unwrap(),
                role: Role::Agent,
                permissions: vec![],
                active,
                created_at: datetime!(2026-01-01 0:00 UTC),
                updated_at: datetime!(2026-01-01 0:00 UTC),
            },
            generation,
            revoked_at,
        }
    }

    #[test]
    fn a_token_of_the_current_generation_is_honoured_and_an_older_one_is_not() {
        let s = session(3, Some(datetime!(2026-05-01 12:00 UTC)), true);
        assert!(s.honours(&TokenFacts { issued_at: None, generation: Some(3) }));
        assert!(!s.honours(&TokenFacts { issued_at: None, generation: Some(2) }));
    }

    #[test]
    fn a_shop_token_must_be_dated_a_clock_skew_after_the_last_revocation() {
        let s = session(1, Some(datetime!(2026-05-01 12:00:00.500 UTC)), true);
        let at = |t| TokenFacts { issued_at: Some(t), generation: None };
        assert!(!s.honours(&at(datetime!(2026-05-01 11:59 UTC))));
        assert!(!s.honours(&at(datetime!(2026-05-01 12:00 UTC))));
        // Minted before the revocation by a clock running 59 s fast: still refused.
        assert!(!s.honours(&at(datetime!(2026-05-01 12:00:59 UTC))));
        assert!(!s.honours(&at(datetime!(2026-05-01 12:01:00 UTC))));
        assert!(s.honours(&at(datetime!(2026-05-01 12:01:01 UTC))));
        assert!(!s.honours(&TokenFacts::default()));
        assert!(session(0, None, true).honours(&TokenFacts::default()));
    }

    #[test]
    fn no_token_of_an_inactive_agent_is_honoured() {
        assert!(!session(0, None, false).honours(&TokenFacts { issued_at: None, generation: Some(0) }));
    }

    #[test]
    fn token_hashes_are_hex_sha256() {
        assert_eq!(token_hash("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }

    #[test]
    fn secrets_are_redacted_and_random() {
        let secret = Secret::random(32);
        assert_eq!(format!("{secret:?}"), "Secret([redacted])");
        assert_eq!(secret.expose().len(), 43);
        assert_ne!(secret, Secret::random(32));
    }
}
