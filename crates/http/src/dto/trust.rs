//! Trust bodies: signing keys, API keys.

use serde::{Deserialize, Serialize};
use supportdesk_app::{ApiKey, IssuedApiKey, NewApiKey, SigningKey, Validator};
use supportdesk_domain::{InvalidValue, PersonName, Rule};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use utoipa::ToSchema;

use super::accounts::parse_permissions;
use super::{finish, parse_required, present, timestamp, timestamp_opt, ListMeta};
use crate::error::ApiError;

/// `POST /admin/signing-keys`.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CreateSigningKeyBody {
    /// Whether the key may sign staff tokens (default false: customer tokens only). Only an
    /// admin may make such a key.
    #[serde(default)]
    pub allow_staff: bool,
}

/// A signing key; the secret only in the answer that created it.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SigningKeyResponse {
    /// The tenant whose tokens it signs.
    #[schema(example = "shop-1")]
    pub tenant: String,
    /// The key id: put it in the token header's `kid`.
    #[schema(example = "q3Xq0mG8cP1t2ZkA")]
    pub kid: String,
    /// The HS256 key (its UTF-8 bytes), shown once.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// Whether it may sign staff tokens.
    pub allow_staff: bool,
    /// When it was made.
    pub created_at: String,
}

impl SigningKeyResponse {
    /// The key without its secret.
    pub fn listed(key: &SigningKey) -> Self {
        Self {
            tenant: key.tenant.to_string(),
            kid: key.kid.clone(),
            secret: None,
            allow_staff: key.allow_staff,
            created_at: timestamp(key.created_at),
        }
    }

    /// The key with its secret, as created.
    pub fn created(key: &SigningKey) -> Self {
        Self { secret: Some(key.secret.expose().to_owned()), ..Self::listed(key) }
    }
}

/// The tenant's signing keys.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SigningKeyListResponse {
    /// The keys, oldest first, without secrets.
    pub data: Vec<SigningKeyResponse>,
    /// How many.
    pub meta: ListMeta,
}

impl SigningKeyListResponse {
    /// The list of `keys`.
    pub fn of(keys: &[SigningKey]) -> Self {
        Self { data: keys.iter().map(SigningKeyResponse::listed).collect(), meta: ListMeta::of(keys) }
    }
}

/// `POST /admin/api-keys`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CreateApiKeyBody {
    /// What it is for; messages it writes are authored by this name. 1..100 characters.
    #[schema(required = true, value_type = String, example = "Storefront sync")]
    pub name: Option<String>,
    /// What it may do: permission names, none of which its maker lacks.
    #[schema(required = true, value_type = Vec<String>, example = json!(["tickets:read", "tickets:reply"]))]
    pub permissions: Option<Vec<String>>,
    /// When it stops working (RFC 3339, in the future); absent: never.
    #[schema(value_type = Option<String>, example = "2027-01-01T00:00:00.000Z")]
    pub expires_at: Option<String>,
}

fn parse_time(raw: &str) -> Result<OffsetDateTime, InvalidValue> {
    OffsetDateTime::parse(raw, &Rfc3339).map_err(|_| InvalidValue::new("expiresAt", Rule::Format("an RFC 3339 time")))
}

impl CreateApiKeyBody {
    /// The key to make.
    ///
    /// # Errors
    ///
    /// 400 listing every invalid field.
    pub fn try_into_domain(self) -> Result<NewApiKey, ApiError> {
        let mut v = Validator::default();
        let name = parse_required(&mut v, "name", self.name.as_deref(), PersonName::parse);
        let permissions = parse_permissions(&mut v, self.permissions);
        if permissions.is_none() {
            v.push("permissions", Rule::Required.to_string());
        }
        let expires_at = v.check_opt(self.expires_at.as_deref().map(parse_time));
        finish(v)?;
        Ok(NewApiKey { name: present(name, "name")?, permissions: present(permissions, "permissions")?, expires_at })
    }
}

/// An API key, without its secret (but for the answer that created it).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApiKeyResponse {
    /// Its id.
    pub id: String,
    /// What it is for.
    pub name: String,
    /// Its first characters, to tell keys apart.
    #[schema(example = "sdk_Xk3v9QpL")]
    pub prefix: String,
    /// What it may do.
    pub permissions: Vec<String>,
    /// The key itself (`sdk_…`), shown once: send it as `Authorization: Bearer <key>`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// When it was made.
    pub created_at: String,
    /// When it stops working, if ever.
    pub expires_at: Option<String>,
    /// When it was last used (to the minute).
    pub last_used_at: Option<String>,
}

impl From<&ApiKey> for ApiKeyResponse {
    fn from(key: &ApiKey) -> Self {
        Self {
            id: key.id.to_string(),
            name: key.name.to_string(),
            prefix: key.prefix.clone(),
            permissions: key.permissions.iter().map(|p| p.as_str().to_owned()).collect(),
            key: None,
            created_at: timestamp(key.created_at),
            expires_at: timestamp_opt(key.expires_at),
            last_used_at: timestamp_opt(key.last_used_at),
        }
    }
}

impl From<&IssuedApiKey> for ApiKeyResponse {
    fn from(issued: &IssuedApiKey) -> Self {
        Self { key: Some(issued.secret.expose().to_owned()), ..Self::from(&issued.key) }
    }
}

/// The tenant's API keys.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ApiKeyListResponse {
    /// The keys, oldest first, without secrets.
    pub data: Vec<ApiKeyResponse>,
    /// How many.
    pub meta: ListMeta,
}

impl ApiKeyListResponse {
    /// The list of `keys`.
    pub fn of(keys: &[ApiKey]) -> Self {
        Self { data: keys.iter().map(ApiKeyResponse::from).collect(), meta: ListMeta::of(keys) }
    }
}

/// An API key id in a path.
///
/// # Errors
///
/// 400 naming `id`.
pub fn api_key_id(raw: &str) -> Result<uuid::Uuid, ApiError> {
    uuid::Uuid::parse_str(raw).map_err(|_| ApiError::invalid_field("id", "must be an API key UUID"))
}
