//! Bearer tokens: customers' minted with the server's shared secret, as a single-shop
//! deployment's shop would (HS256, a day long; an unknown `sub` provisions the customer on
//! first use), and the admin's from logging in as the bootstrap admin (a staff token must
//! stand for a live account).

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

/// The bootstrap admin every crash-test server starts with.
pub const ADMIN_EMAIL: &str = "crash-admin@shop.example";
/// Its password.
pub const ADMIN_PASSWORD: &str = "crash admin password";

/// Logs in as the bootstrap admin on the server at `base`; returns the access token.
///
/// # Errors
///
/// The request fails or the login is refused.
pub async fn log_in_admin(http: &reqwest::Client, base: &str) -> Result<String, BoxError> {
    let response = http
        .post(format!("{base}/api/v1/auth/login"))
        .json(&serde_json::json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}))
        .send()
        .await?;
    if !response.status().is_success() {
        return Err(format!("admin login answered {}", response.status()).into());
    }
    let body: serde_json::Value = response.json().await?;
    Ok(body["accessToken"].as_str().ok_or("login answer without accessToken")?.to_owned())
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
