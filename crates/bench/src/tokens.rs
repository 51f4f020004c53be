//! Bearer tokens the bench mints itself with the server's shared secret, as a shop would
//! (`api.md`, "Authentication and roles"): HS256, a day long, one per customer and agent.

use std::sync::Arc;

use jsonwebtoken::{encode, EncodingKey, Header};
use serde::Serialize;
use uuid::Uuid;

use crate::BoxError;

/// The permissions an agent needs for every scenario.
pub const AGENT_PERMISSIONS: [&str; 4] = ["tickets:read", "tickets:reply", "tickets:update", "tickets:assign"];

#[derive(Serialize)]
struct Claims<'a> {
    sub: String,
    role: &'a str,
    tenant: &'a str,
    #[serde(skip_serializing_if = "<[&str]>::is_empty")]
    perms: &'a [&'a str],
    name: &'a str,
    email: &'a str,
    exp: i64,
    iat: i64,
}

/// Mints tokens with one secret.
pub struct Minter {
    key: EncodingKey,
    now: i64,
}

impl Minter {
    /// A minter for `secret` (at least 32 bytes, as the server requires).
    pub fn new(secret: &[u8]) -> Self {
        Self { key: EncodingKey::from_secret(secret), now: time::OffsetDateTime::now_utc().unix_timestamp() }
    }

    fn mint(&self, id: Uuid, role: &str, perms: &[&str], name: &str, email: &str) -> Result<Arc<str>, BoxError> {
        let claims = Claims {
            sub: id.hyphenated().to_string(),
            role,
            tenant: crate::seed::TENANT,
            perms,
            name,
            email,
            exp: self.now + 24 * 3600,
            iat: self.now,
        };
        Ok(Arc::from(encode(&Header::default(), &claims, &self.key)?))
    }

    /// A customer's token.
    ///
    /// # Errors
    ///
    /// Encoding failures.
    pub fn customer(&self, id: Uuid, name: &str, email: &str) -> Result<Arc<str>, BoxError> {
        self.mint(id, "customer", &[], name, email)
    }

    /// An agent's token with [`AGENT_PERMISSIONS`].
    ///
    /// # Errors
    ///
    /// Encoding failures.
    pub fn agent(&self, id: Uuid, name: &str, email: &str) -> Result<Arc<str>, BoxError> {
        self.mint(id, "agent", &AGENT_PERMISSIONS, name, email)
    }
}
