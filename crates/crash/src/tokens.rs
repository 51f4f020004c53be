//! Bearer tokens minted with the server's shared secret, as a shop would (`api.md`,
//! "Authentication and roles"): HS256, a day long. A customer token with an unknown `sub`
//! provisions the customer on first use; an admin token needs no account.

use jsonwebtoken::{encode, EncodingKey, Header};
use serde::Serialize;
use uuid::Uuid;

use crate::BoxError;

#[derive(Serialize)]
struct Claims<'a> {
    sub: String,
    role: &'a str,
    tenant: &'a str,
    name: &'a str,
    exp: u64,
    iat: u64,
}

/// Mints `role` tokens for `sub`, valid for a day from now.
///
/// # Errors
///
/// The clock is before 1970, or encoding fails.
pub fn mint(secret: &str, sub: Uuid, role: &str, name: &str) -> Result<String, BoxError> {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_secs();
    let claims =
        Claims { sub: sub.hyphenated().to_string(), role, tenant: "default", name, exp: now + 24 * 3600, iat: now };
    Ok(encode(&Header::default(), &claims, &EncodingKey::from_secret(secret.as_bytes()))?)
}
