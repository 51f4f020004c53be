//! Request extractors and header helpers: JSON bodies with field-named errors, `If-Match`,
//! `Idempotency-Key`, and path values.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header::{HeaderName, IF_MATCH};
use actix_web::{web, FromRequest, HttpRequest};
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};
use supportdesk_app::{Idempotency, IdempotencyKey};
use supportdesk_domain::TicketRef;

use crate::error::{unknown_or_missing_field, ApiError, FieldProblem};
use crate::ApiState;

/// The idempotency header.
pub const IDEMPOTENCY_KEY: HeaderName = HeaderName::from_static("idempotency-key");

/// A JSON body deserialized into `T`, with errors that name the field
/// (`attachments[0].url: invalid type ...`). Content type, size limit and malformed JSON are
/// checked by actix-web's `JsonConfig` (its error handler answers problem+json).
///
/// When the request carries an `Idempotency-Key`, the body's canonical JSON (keys sorted,
/// no whitespace) is kept for the request's fingerprint.
///
/// The body must arrive within the state's body timeout ([`crate::HttpConfig::body_timeout`]):
/// actix-web's own `client_request_timeout` covers only the head, so a client trickling a
/// body would otherwise hold its connection (and a worker's attention) for as long as it
/// likes. Past the deadline the answer is 408 `request_timeout` and the connection closes.
#[derive(Debug)]
pub struct JsonBody<T> {
    /// The body.
    pub value: T,
    canonical: Option<String>,
}

impl<T> JsonBody<T> {
    /// The canonical JSON of the body, when the request is idempotent.
    pub fn canonical(&self) -> Option<&str> {
        self.canonical.as_deref()
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for JsonBody<T> {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let json = web::Json::<serde_json::Value>::from_request(req, payload);
        let idempotent = req.headers().contains_key(IDEMPOTENCY_KEY);
        let timeout = req
            .app_data::<web::Data<ApiState>>()
            .map_or(crate::HttpConfig::DEFAULT_BODY_TIMEOUT, |state| state.body_timeout());
        Box::pin(async move {
            let web::Json(raw) =
                actix_web::rt::time::timeout(timeout, json).await.map_err(|_| ApiError::request_timeout(timeout))??;
            let canonical = idempotent.then(|| canonical_json(&raw));
            let value = serde_path_to_error::deserialize::<_, T>(raw).map_err(body_error)?;
            Ok(JsonBody { value, canonical })
        })
    }
}

/// A deserialization error as a field problem: unknown and missing fields by name, wrong
/// types by their path.
fn body_error(error: serde_path_to_error::Error<serde_json::Error>) -> ApiError {
    let path = error.path().to_string();
    let message = error.inner().to_string();
    let prefix = if path == "." { String::new() } else { format!("{path}.") };
    if let Some(mut problem) = unknown_or_missing_field(&message) {
        // The path may or may not already end with the field itself.
        let already_named = path == problem.field || path.ends_with(&format!(".{}", problem.field));
        problem.field = if already_named { path } else { format!("{prefix}{}", problem.field) };
        return ApiError::validation(vec![problem]);
    }
    if path == "." {
        return ApiError::malformed_body(format!("the body does not have the expected shape: {message}"));
    }
    ApiError::validation(vec![FieldProblem { field: path, message }])
}

/// JSON with object keys sorted at every level and no insignificant whitespace, so two
/// bodies that mean the same produce the same text.
pub fn canonical_json(value: &serde_json::Value) -> String {
    let mut out = String::new();
    write_canonical(value, &mut out);
    out
}

fn write_canonical(value: &serde_json::Value, out: &mut String) {
    match value {
        serde_json::Value::Object(map) => {
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (index, (key, value)) in entries.into_iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                out.push_str(&serde_json::Value::String(key.clone()).to_string());
                out.push(':');
                write_canonical(value, out);
            }
            out.push('}');
        }
        serde_json::Value::Array(items) => {
            out.push('[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

/// The request's `Idempotency-Key`, if any, with the fingerprint of the request: hex
/// SHA-256 of the method, the path and the canonical JSON body.
///
/// # Errors
///
/// 400 for a key that is not 1..=255 visible ASCII characters.
pub fn idempotency(req: &HttpRequest, canonical_body: Option<&str>) -> Result<Option<Idempotency>, ApiError> {
    let Some(value) = req.headers().get(IDEMPOTENCY_KEY) else {
        return Ok(None);
    };
    let raw = value.to_str().map_err(|_| invalid_idempotency_key())?;
    let key = IdempotencyKey::parse(raw).map_err(|_| invalid_idempotency_key())?;
    let mut hasher = Sha256::new();
    hasher.update(req.method().as_str().as_bytes());
    hasher.update(b"\n");
    hasher.update(req.path().as_bytes());
    hasher.update(b"\n");
    hasher.update(canonical_body.unwrap_or("").as_bytes());
    let fingerprint = hasher.finalize().iter().map(|b| format!("{b:02x}")).collect();
    Ok(Some(Idempotency { key, fingerprint }))
}

fn invalid_idempotency_key() -> ApiError {
    ApiError::invalid_field("Idempotency-Key", "must be 1 to 255 visible ASCII characters")
}

/// The version an `If-Match` header expects: `"3"`, `3` and `W/"3"` all mean 3; `*` or no
/// header means no check.
///
/// # Errors
///
/// 400 for anything else (a list, a non-number, an empty value).
pub fn if_match(req: &HttpRequest) -> Result<Option<i64>, ApiError> {
    let Some(value) = req.headers().get(IF_MATCH) else {
        return Ok(None);
    };
    let malformed = || ApiError::invalid_field("If-Match", "must be a ticket version like \"3\", or *");
    let raw = value.to_str().map_err(|_| malformed())?.trim();
    if raw == "*" {
        return Ok(None);
    }
    let raw = raw.strip_prefix("W/").unwrap_or(raw);
    let raw = match raw.strip_prefix('"') {
        Some(rest) => rest.strip_suffix('"').ok_or_else(malformed)?,
        None => raw,
    };
    if raw.is_empty() || !raw.bytes().all(|b| b.is_ascii_digit()) {
        return Err(malformed());
    }
    raw.parse::<i64>().map(Some).map_err(|_| malformed())
}

/// The `ETag` of a ticket version.
pub fn etag(version: i64) -> String {
    format!("\"{version}\"")
}

/// Parses a `{ticket}` path segment (already percent-decoded): a UUID or a number.
///
/// # Errors
///
/// 400 naming the field `ticket`.
pub fn ticket_ref(raw: &str) -> Result<TicketRef, ApiError> {
    TicketRef::parse(raw)
        .map_err(|_| ApiError::invalid_field("ticket", "must be a ticket UUID or number like 42 or #000042"))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use actix_web::test::TestRequest;

    use super::*;

    #[test]
    fn canonical_json_sorts_keys_at_every_level() {
        let a: serde_json::Value =
            serde_json::from_str(r#"{"b": 1, "a": {"y": [1, {"d": 2, "c": 3}], "x": null}}"#).unwrap();
        let b: serde_json::Value = serde_json::from_str(r#"{"a":{"x":null,"y":[1,{"c":3,"d":2}]},"b":1}"#).unwrap();
        assert_eq!(canonical_json(&a), canonical_json(&b));
        assert_eq!(canonical_json(&a), r#"{"a":{"x":null,"y":[1,{"c":3,"d":2}]},"b":1}"#);
    }

    #[test]
    fn if_match_accepts_quoted_unquoted_weak_and_star() {
        for (header, expected) in [("\"3\"", Some(3)), ("3", Some(3)), ("W/\"3\"", Some(3)), ("*", None)] {
            let req = TestRequest::default().insert_header((IF_MATCH, header)).to_http_request();
            assert_eq!(if_match(&req).unwrap(), expected, "{header}");
        }
        assert_eq!(if_match(&TestRequest::default().to_http_request()).unwrap(), None);
    }

    #[test]
    fn a_malformed_if_match_is_a_validation_error() {
        for header in ["\"abc\"", "\"3", "\"3\", \"4\"", "", "-1"] {
            let req = TestRequest::default().insert_header((IF_MATCH, header)).to_http_request();
            assert_eq!(if_match(&req).unwrap_err().code(), "validation_failed", "{header}");
        }
    }

    #[test]
    fn the_fingerprint_depends_on_method_path_and_body() {
        let req = TestRequest::post().uri("/api/v1/tickets").insert_header((IDEMPOTENCY_KEY, "k1")).to_http_request();
        let one = idempotency(&req, Some("{\"a\":1}")).unwrap().unwrap();
        let same = idempotency(&req, Some("{\"a\":1}")).unwrap().unwrap();
        let other = idempotency(&req, Some("{\"a\":2}")).unwrap().unwrap();
        assert_eq!(one.key.as_str(), "k1");
        assert_eq!(one.fingerprint, same.fingerprint);
        assert_ne!(one.fingerprint, other.fingerprint);
        assert_eq!(one.fingerprint.len(), 64);
    }
}
