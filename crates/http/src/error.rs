//! The one error type of the HTTP layer, [`ApiError`], and its `application/problem+json`
//! body. Use-case errors ([`AppError`]) and actix-web's own extractor errors (bad JSON, wrong
//! content type, body too large, bad query or path) all end up here, so every error a client
//! sees has the same shape.

use std::error::Error as StdError;
use std::fmt;

use actix_web::error::{JsonPayloadError, PathError, QueryPayloadError};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use serde::Serialize;
use supportdesk_app::{AppError, FieldError, Taken};
use supportdesk_domain::InvalidValue;
use utoipa::ToSchema;

/// The media type of every error body.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// One invalid field, as the `errors` list of a problem shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct FieldProblem {
    /// The field, as clients spell it (`subject`, `attachments[0].url`, `If-Match`).
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}

impl From<FieldError> for FieldProblem {
    fn from(error: FieldError) -> Self {
        Self { field: error.field, message: error.message }
    }
}

/// The body of every error response (`application/problem+json`). Some codes add members:
/// `existingTicketId` and `existingTicketNumber` (`open_ticket_exists`), `from` and `to`
/// (`invalid_transition`), `currentVersion` (`precondition_failed`), `retryAfter`
/// (`rate_limited`).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Problem {
    /// The HTTP status.
    #[schema(example = 400)]
    pub status: u16,
    /// A stable, machine-readable code, e.g. `validation_failed`.
    #[schema(example = "validation_failed")]
    pub code: String,
    /// A short, human-readable summary of the code.
    #[schema(example = "Request validation failed")]
    pub title: String,
    /// What went wrong with this request.
    #[schema(example = "1 field is invalid")]
    pub detail: String,
    /// The invalid fields (validation errors only).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldProblem>,
    /// Members some codes add (see above).
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

/// An error answered as `application/problem+json`.
///
/// Build one from an [`AppError`] (`?` does it), from an [`InvalidValue`], or with the
/// constructors below. A 5xx keeps its cause for the request middleware to log once, with
/// the request id; the body never shows it.
pub struct ApiError {
    // Boxed: errors travel in every `Result` of the crate, so they stay one pointer wide.
    inner: Box<Inner>,
}

struct Inner {
    status: StatusCode,
    code: &'static str,
    title: &'static str,
    detail: String,
    errors: Vec<FieldProblem>,
    extra: serde_json::Map<String, serde_json::Value>,
    headers: Vec<(header::HeaderName, String)>,
    close_connection: bool,
    cause: Option<Box<dyn StdError + Send + Sync>>,
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, title: &'static str, detail: impl Into<String>) -> Self {
        let inner = Inner {
            status,
            code,
            title,
            detail: detail.into(),
            errors: Vec::new(),
            extra: serde_json::Map::new(),
            headers: Vec::new(),
            close_connection: false,
            cause: None,
        };
        Self { inner: Box::new(inner) }
    }

    fn with_extra(mut self, key: &str, value: impl Into<serde_json::Value>) -> Self {
        self.inner.extra.insert(key.to_owned(), value.into());
        self
    }

    fn with_header(mut self, name: header::HeaderName, value: impl Into<String>) -> Self {
        self.inner.headers.push((name, value.into()));
        self
    }

    /// 400 `validation_failed` listing every invalid field.
    pub fn validation(errors: Vec<FieldProblem>) -> Self {
        let detail = match errors.len() {
            1 => "1 field is invalid".to_owned(),
            n => format!("{n} fields are invalid"),
        };
        let mut error = Self::new(StatusCode::BAD_REQUEST, "validation_failed", "Request validation failed", detail);
        error.inner.errors = errors;
        error
    }

    /// 400 `validation_failed` for one field.
    pub fn invalid_field(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::validation(vec![FieldProblem { field: field.into(), message: message.into() }])
    }

    /// 400 `validation_failed` for a body that is not JSON at all, or not the expected shape.
    pub fn malformed_body(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "validation_failed", "Request validation failed", detail)
    }

    /// 401 `unauthorized`, with `WWW-Authenticate: Bearer`.
    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", "Unauthorized", detail)
            .with_header(header::WWW_AUTHENTICATE, "Bearer")
    }

    /// 403 `forbidden`.
    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", "Forbidden", detail)
    }

    /// 404 `not_found`.
    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", "Not found", detail)
    }

    /// 405 `method_not_allowed`, with `Allow`.
    pub fn method_not_allowed(method: &str, allowed: &str) -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "Method not allowed",
            format!("{method} is not allowed here; use {allowed}"),
        )
        .with_header(header::ALLOW, allowed)
    }

    /// 413 `payload_too_large`.
    pub fn payload_too_large(limit: usize) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            "Payload too large",
            format!("the body is larger than the limit of {limit} bytes"),
        )
    }

    /// 415 `unsupported_media_type`.
    pub fn unsupported_media_type() -> Self {
        Self::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "Unsupported media type",
            "the body must be application/json",
        )
    }

    /// 429 `rate_limited`, with `Retry-After` in seconds.
    pub fn rate_limited(retry_after_secs: u64) -> Self {
        Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            "Too many requests",
            format!("too many attempts; retry in {retry_after_secs} seconds"),
        )
        .with_extra("retryAfter", retry_after_secs)
        .with_header(header::RETRY_AFTER, retry_after_secs.to_string())
    }

    /// 408 `request_timeout`: the body did not arrive within `timeout`. The answer closes
    /// the connection (`Connection: close`): the rest of the body may still be on its way.
    pub fn request_timeout(timeout: std::time::Duration) -> Self {
        let mut error = Self::new(
            StatusCode::REQUEST_TIMEOUT,
            "request_timeout",
            "Request timeout",
            format!("the request body did not arrive within {} seconds", timeout.as_secs_f64()),
        );
        error.inner.close_connection = true;
        error
    }

    /// 503 `unavailable` (readiness); the cause is logged, not shown.
    pub fn unavailable(cause: Box<dyn StdError + Send + Sync>) -> Self {
        let mut error = Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "Service unavailable",
            "the store does not answer",
        );
        error.inner.cause = Some(cause);
        error
    }

    /// 500 `internal`; the cause is logged once by the request middleware, never shown.
    pub fn internal(cause: impl Into<Box<dyn StdError + Send + Sync>>) -> Self {
        let mut error = Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Internal server error",
            "something went wrong; the request id identifies it in the logs",
        );
        error.inner.cause = Some(cause.into());
        error
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.inner.status
    }

    /// The problem's `code`.
    pub fn code(&self) -> &'static str {
        self.inner.code
    }

    /// The hidden cause of a 5xx, if any, with its whole chain: `a: b: c`.
    pub fn cause_chain(&self) -> Option<String> {
        let cause = self.inner.cause.as_deref()?;
        let mut text = cause.to_string();
        let mut next = cause.source();
        while let Some(source) = next {
            text.push_str(": ");
            text.push_str(&source.to_string());
            next = source.source();
        }
        Some(text)
    }

    /// The problem body.
    pub fn problem(&self) -> Problem {
        Problem {
            status: self.inner.status.as_u16(),
            code: self.inner.code.to_owned(),
            title: self.inner.title.to_owned(),
            detail: self.inner.detail.clone(),
            errors: self.inner.errors.clone(),
            extra: self.inner.extra.clone(),
        }
    }
}

impl fmt::Debug for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {}", self.inner.status.as_u16(), self.inner.code, self.inner.detail)?;
        if let Some(chain) = self.cause_chain() {
            write!(f, " (caused by: {chain})")?;
        }
        Ok(())
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.inner.code, self.inner.detail)
    }
}

impl StdError for ApiError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.inner.cause.as_deref().map(|cause| cause as &(dyn StdError + 'static))
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.inner.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.inner.status);
        response.insert_header((header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON)));
        if self.inner.close_connection {
            response.force_close();
        }
        for (name, value) in &self.inner.headers {
            if let Ok(value) = HeaderValue::from_str(value) {
                response.insert_header((name.clone(), value));
            }
        }
        let body = serde_json::to_vec(&self.problem()).unwrap_or_else(|_| {
            br#"{"status":500,"code":"internal","title":"Internal server error","detail":"something went wrong"}"#
                .to_vec()
        });
        response.body(body)
    }
}

impl From<AppError> for ApiError {
    fn from(error: AppError) -> Self {
        match error {
            AppError::Validation(errors) => Self::validation(errors.into_iter().map(FieldProblem::from).collect()),
            AppError::Unauthorized => Self::unauthorized("a valid bearer token is required"),
            AppError::InvalidCredentials => Self::unauthorized("invalid email or password"),
            AppError::Forbidden(why) => Self::forbidden(why.message()),
            AppError::NotFound(what) => Self::not_found(format!("{what} not found")),
            AppError::OpenTicketExists { existing_id, existing_number } => Self::new(
                StatusCode::CONFLICT,
                "open_ticket_exists",
                "An unfinished ticket already exists",
                format!("ticket {existing_number} is still unfinished for this order or delivery"),
            )
            .with_extra("existingTicketId", existing_id.to_string())
            .with_extra("existingTicketNumber", existing_number.get()),
            AppError::InvalidTransition { from, to } => Self::new(
                StatusCode::CONFLICT,
                "invalid_transition",
                "Status change not allowed",
                format!("a ticket cannot move from {from} to {to}"),
            )
            .with_extra("from", from.as_str())
            .with_extra("to", to.as_str()),
            AppError::TicketClosed => Self::new(
                StatusCode::CONFLICT,
                "ticket_closed",
                "Ticket is closed",
                "the ticket is closed and does not take replies",
            ),
            AppError::NotResolved(status) => Self::new(
                StatusCode::CONFLICT,
                "not_resolved",
                "Ticket is not resolved",
                format!("only a resolved or closed ticket can be rated; this one is {status}"),
            )
            .with_extra("ticketStatus", status.as_str()),
            AppError::AlreadyRated => Self::new(
                StatusCode::CONFLICT,
                "already_rated",
                "Already rated",
                "this resolution has been rated already; a new resolution can be rated again",
            ),
            AppError::IdempotencyKeyReused => Self::new(
                StatusCode::CONFLICT,
                "idempotency_key_reused",
                "Idempotency key reused",
                "this Idempotency-Key was used with a different request",
            ),
            AppError::Conflict(field) => {
                let (code, title) = match field {
                    Taken::Email => ("email_taken", "Email already taken"),
                    Taken::Slug => ("slug_taken", "Slug already taken"),
                    Taken::SigningKeyId | Taken::ApiKey => ("key_taken", "Key already taken"),
                };
                Self::new(StatusCode::CONFLICT, code, title, format!("the {field} is already taken"))
            }
            AppError::LastAdmin => Self::new(
                StatusCode::CONFLICT,
                "last_admin",
                "Last active admin",
                "the tenant's last active admin cannot be deactivated or demoted; make another admin first",
            ),
            AppError::InUse(what) => {
                Self::new(StatusCode::CONFLICT, "in_use", "Still in use", format!("cannot delete: {what}"))
            }
            AppError::PreconditionFailed { current } => Self::new(
                StatusCode::PRECONDITION_FAILED,
                "precondition_failed",
                "Precondition failed",
                "If-Match does not match the ticket's current version",
            )
            .with_extra("currentVersion", current),
            AppError::Busy { retry_after_secs } => Self::rate_limited(retry_after_secs),
            AppError::Internal(cause) => Self::internal(cause),
        }
    }
}

impl From<InvalidValue> for ApiError {
    fn from(error: InvalidValue) -> Self {
        Self::from(AppError::from(error))
    }
}

/// Maps actix-web's JSON extractor errors: 413, 415, or 400.
pub(crate) fn json_error(error: JsonPayloadError, limit: usize) -> ApiError {
    match error {
        JsonPayloadError::Overflow { limit } | JsonPayloadError::OverflowKnownLength { limit, .. } => {
            ApiError::payload_too_large(limit)
        }
        JsonPayloadError::ContentType => ApiError::unsupported_media_type(),
        JsonPayloadError::Deserialize(error) if error.is_data() => ApiError::malformed_body(error.to_string()),
        JsonPayloadError::Deserialize(error) => {
            ApiError::malformed_body(format!("the body is not valid JSON: {error}"))
        }
        JsonPayloadError::Payload(error) => match error {
            actix_web::error::PayloadError::Overflow => ApiError::payload_too_large(limit),
            other => ApiError::malformed_body(format!("the body could not be read: {other}")),
        },
        other => ApiError::malformed_body(other.to_string()),
    }
}

/// The error handler of [`actix_web::web::JsonConfig`].
pub(crate) fn json_error_handler(limit: usize) -> impl Fn(JsonPayloadError, &HttpRequest) -> actix_web::Error {
    move |error, _req| json_error(error, limit).into()
}

/// The error handler of [`actix_web::web::QueryConfig`]: a query that does not fit its
/// parameters (an unknown parameter, a repeated one).
pub(crate) fn query_error_handler(error: QueryPayloadError, _req: &HttpRequest) -> actix_web::Error {
    let detail = match &error {
        QueryPayloadError::Deserialize(inner) => inner.to_string(),
        other => other.to_string(),
    };
    match unknown_or_missing_field(&detail) {
        Some(problem) => ApiError::validation(vec![problem]).into(),
        None => ApiError::malformed_body(format!("invalid query string: {detail}")).into(),
    }
}

/// The error handler of [`actix_web::web::PathConfig`].
pub(crate) fn path_error_handler(error: PathError, _req: &HttpRequest) -> actix_web::Error {
    let detail = match &error {
        PathError::Deserialize(inner) => inner.to_string(),
        other => other.to_string(),
    };
    ApiError::invalid_field("path", detail).into()
}

/// Reads serde's "unknown field `x`" and "missing field `x`" messages into a field problem.
pub(crate) fn unknown_or_missing_field(message: &str) -> Option<FieldProblem> {
    let quoted = |rest: &str| rest.split('`').next().map(str::to_owned);
    if let Some(rest) = message.strip_prefix("unknown field `") {
        return quoted(rest).map(|field| FieldProblem { field, message: "is not a known field".to_owned() });
    }
    if let Some(rest) = message.strip_prefix("missing field `") {
        return quoted(rest).map(|field| FieldProblem { field, message: "is required".to_owned() });
    }
    None
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    #[test]
    fn serde_unknown_field_messages_name_the_field() {
        let problem = unknown_or_missing_field("unknown field `sujbect`, expected one of `subject`").unwrap();
        assert_eq!(problem.field, "sujbect");
        assert_eq!(problem.message, "is not a known field");
    }

    #[test]
    fn internal_errors_keep_their_cause_chain_out_of_the_body() {
        let error = ApiError::from(AppError::Internal("disk on fire".into()));
        assert_eq!(error.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(error.cause_chain().as_deref(), Some("disk on fire"));
        let body = serde_json::to_string(&error.problem()).unwrap();
        assert!(!body.contains("disk"));
    }

    #[test]
    fn conflicts_on_email_and_slug_have_their_own_codes() {
        assert_eq!(ApiError::from(AppError::Conflict(Taken::Email)).code(), "email_taken");
        assert_eq!(ApiError::from(AppError::Conflict(Taken::Slug)).code(), "slug_taken");
        assert_eq!(ApiError::from(AppError::Conflict(Taken::SigningKeyId)).code(), "key_taken");
    }
}
