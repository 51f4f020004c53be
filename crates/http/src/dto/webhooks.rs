//! Webhook endpoints, their deliveries and the ping, as the API shows them.

use serde::{Deserialize, Serialize};
use supportdesk_app::{
    AppError, Delivery, EventEncoder, EventSelection, FeedEvent, FieldError, IssuedWebhook, SendOutcome,
    WebhookEndpoint, WebhookInput, WebhookUrl,
};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::events::EventV1;
use super::{timestamp, timestamp_opt};
use crate::error::ApiError;

/// `POST /admin/webhooks` and `PATCH /admin/webhooks/{id}` (on PATCH every field is optional).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct WebhookBody {
    /// Where deliveries go: an absolute `https` (or `http`) URL of a public host.
    #[schema(value_type = String, example = "https://shop.example/hooks/supportdesk")]
    pub url: Option<String>,
    /// The event types to deliver, or `["*"]` for all.
    #[schema(value_type = Vec<String>, example = json!(["ticket.created", "ticket.message_added"]))]
    pub events: Option<Vec<String>>,
    /// Whether deliveries are made (default true); setting it true again re-enables an
    /// endpoint the failure rule disabled.
    pub active: Option<bool>,
    /// A note for the admins, at most 500 characters.
    pub description: Option<String>,
}

impl WebhookBody {
    /// The use case's input; every bad field at once.
    ///
    /// # Errors
    ///
    /// `Validation`.
    pub fn try_into_domain(self) -> Result<WebhookInput, AppError> {
        let mut errors: Vec<FieldError> = Vec::new();
        let url = self.url.as_deref().map(WebhookUrl::parse).transpose().map_err(|e| errors.push(e)).ok().flatten();
        let events =
            self.events.as_deref().map(EventSelection::parse).transpose().map_err(|e| errors.push(e)).ok().flatten();
        if self.description.as_ref().is_some_and(|d| d.chars().count() > 500) {
            errors.push(FieldError { field: "description".into(), message: "must be at most 500 characters".into() });
        }
        if !errors.is_empty() {
            return Err(AppError::Validation(errors));
        }
        Ok(WebhookInput {
            url,
            events,
            active: self.active,
            description: self.description.map(|d| d.trim().to_owned()),
        })
    }
}

/// An endpoint.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WebhookResponse {
    /// Its id.
    pub id: Uuid,
    /// Where deliveries go.
    pub url: String,
    /// The types it receives (`["*"]` for all).
    pub events: Vec<String>,
    /// Whether deliveries are made.
    pub active: bool,
    /// The admins' note.
    pub description: String,
    /// Since when every attempt failed, if it is failing.
    #[schema(format = DateTime)]
    pub failing_since: Option<String>,
    /// When the failure rule disabled it, if it did.
    #[schema(format = DateTime)]
    pub disabled_at: Option<String>,
    /// When it was made.
    #[schema(format = DateTime)]
    pub created_at: String,
    /// When it last changed.
    #[schema(format = DateTime)]
    pub updated_at: String,
}

impl From<&WebhookEndpoint> for WebhookResponse {
    fn from(e: &WebhookEndpoint) -> Self {
        Self {
            id: e.id,
            url: e.url.as_str().to_owned(),
            events: e.events.to_public(),
            active: e.active,
            description: e.description.clone(),
            failing_since: timestamp_opt(e.failing_since),
            disabled_at: timestamp_opt(e.disabled_at),
            created_at: timestamp(e.created_at),
            updated_at: timestamp(e.updated_at),
        }
    }
}

/// An endpoint with its secret: the answer to a create or a rotation, the only time the
/// secret is shown.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct WebhookWithSecretResponse {
    /// The endpoint.
    #[serde(flatten)]
    pub endpoint: WebhookResponse,
    /// `whsec_` and the base64 of 24 random bytes; the HMAC key is the decoded part.
    pub secret: String,
}

impl From<&IssuedWebhook> for WebhookWithSecretResponse {
    fn from(issued: &IssuedWebhook) -> Self {
        Self { endpoint: WebhookResponse::from(&issued.endpoint), secret: issued.endpoint.secret.expose().to_owned() }
    }
}

/// The tenant's endpoints.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct WebhookListResponse {
    /// Oldest first.
    pub data: Vec<WebhookResponse>,
}

/// One delivery of an event to an endpoint.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryResponse {
    /// Its id.
    pub id: Uuid,
    /// The event (the `webhook-id` header).
    pub event_id: Uuid,
    /// Attempts made.
    pub attempts: i32,
    /// `pending`, `succeeded` or `failed`.
    #[schema(example = "pending")]
    pub status: String,
    /// The last attempt's HTTP status.
    pub response_status: Option<i32>,
    /// How long the last attempt took.
    pub duration_ms: Option<i64>,
    /// Why the last attempt failed.
    pub error: Option<String>,
    /// When it is tried next (pending only).
    #[schema(format = DateTime)]
    pub next_attempt_at: Option<String>,
    /// When the event was queued for this endpoint.
    #[schema(format = DateTime)]
    pub created_at: String,
}

impl From<&Delivery> for DeliveryResponse {
    fn from(d: &Delivery) -> Self {
        Self {
            id: d.id,
            event_id: d.event_id,
            attempts: d.attempts,
            status: d.status.as_str().to_owned(),
            response_status: d.response_status,
            duration_ms: d.duration_ms,
            error: d.error.clone(),
            next_attempt_at: timestamp_opt(d.next_attempt_at),
            created_at: timestamp(d.created_at),
        }
    }
}

/// One page of an endpoint's deliveries, newest first.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DeliveryListResponse {
    /// The deliveries.
    pub data: Vec<DeliveryResponse>,
    /// Paging.
    pub meta: DeliveryListMeta,
}

/// The delivery log's paging.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryListMeta {
    /// Pass as `cursor` for older deliveries; absent on the last page.
    pub next_cursor: Option<String>,
}

/// The delivery log's query.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DeliveryQuery {
    /// The previous page's `nextCursor`.
    pub cursor: Option<String>,
    /// 1..100 (default 50).
    #[param(value_type = Option<i64>)]
    pub limit: Option<String>,
}

impl DeliveryQuery {
    /// The position and size.
    ///
    /// # Errors
    ///
    /// 400 for a bad cursor or limit.
    pub fn parse(&self) -> Result<(Option<Uuid>, usize), ApiError> {
        let before = self
            .cursor
            .as_deref()
            .map(|c| {
                Uuid::parse_str(c).map_err(|_| ApiError::invalid_field("cursor", "is not a cursor this service issued"))
            })
            .transpose()?;
        let limit = match self.limit.as_deref() {
            None => 50,
            Some(raw) => match raw.parse::<usize>() {
                Ok(n @ 1..=100) => n,
                _ => return Err(ApiError::invalid_field("limit", "must be between 1 and 100")),
            },
        };
        Ok((before, limit))
    }
}

impl DeliveryListResponse {
    /// The page, with a cursor when it is full.
    pub fn page(deliveries: &[Delivery], limit: usize) -> Self {
        let next_cursor = if deliveries.len() == limit { deliveries.last().map(|d| d.id.to_string()) } else { None };
        Self { data: deliveries.iter().map(DeliveryResponse::from).collect(), meta: DeliveryListMeta { next_cursor } }
    }
}

/// What a ping got back.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PingResponse {
    /// Whether a 2xx came back.
    pub success: bool,
    /// The HTTP status, if a response came.
    pub response_status: Option<u16>,
    /// How long it took.
    pub duration_ms: u64,
    /// Why it failed.
    pub error: Option<String>,
}

impl From<&SendOutcome> for PingResponse {
    fn from(o: &SendOutcome) -> Self {
        Self {
            success: o.succeeded(),
            response_status: o.status,
            duration_ms: u64::try_from(o.duration.as_millis()).unwrap_or(u64::MAX),
            error: o.error.clone(),
        }
    }
}

/// The body of a ping: `type` `webhook.ping`, no ticket.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PingV1 {
    /// Its id (the `webhook-id`).
    pub id: Uuid,
    /// `webhook.ping`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The tenant.
    pub tenant: String,
    /// When.
    pub occurred_at: String,
    /// The endpoint pinged.
    pub data: PingData,
}

/// What a ping names.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PingData {
    /// The endpoint.
    pub webhook_id: Uuid,
}

/// Writes deliveries as [`EventV1`]: the encoder the server gives the app.
#[derive(Debug, Clone, Copy, Default)]
pub struct PublicEventEncoder;

impl EventEncoder for PublicEventEncoder {
    fn encode(&self, event: &FeedEvent) -> Vec<u8> {
        serde_json::to_vec(&EventV1::from(event)).unwrap_or_default()
    }

    fn ping(&self, endpoint: &WebhookEndpoint, id: Uuid, at: OffsetDateTime) -> Vec<u8> {
        let ping = PingV1 {
            id,
            kind: "webhook.ping".into(),
            tenant: endpoint.tenant.to_string(),
            occurred_at: timestamp(at),
            data: PingData { webhook_id: endpoint.id },
        };
        serde_json::to_vec(&ping).unwrap_or_default()
    }
}

/// The id in a webhook path.
///
/// # Errors
///
/// 400 when it is not a UUID.
pub fn path_id(raw: &str, field: &'static str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(raw).map_err(|_| ApiError::invalid_field(field, "must be a UUID"))
}
