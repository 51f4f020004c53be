//! The request middleware the server wraps the whole app with: a request id on every
//! response, one access log line, the request metrics, the single place where a 5xx's cause
//! chain is logged, and the transport headers: `X-Content-Type-Options: nosniff` on every
//! response, `Cache-Control: no-store` on every response to a request that carried
//! credentials (an `Authorization` header), errors too. Each request's tracing span comes
//! from `tracing-actix-web` ([`request_spans`], with our [`RequestSpan`]), wrapped outside.

use std::future::{ready, Future, Ready};
use std::pin::Pin;
use std::rc::Rc;
use std::time::Instant;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform};
use actix_web::http::header::{HeaderName, HeaderValue, AUTHORIZATION, CACHE_CONTROL, X_CONTENT_TYPE_OPTIONS};
use actix_web::http::Method;
use actix_web::{web, HttpMessage};
use tracing::Span;
use tracing_actix_web::{RootSpanBuilder, TracingLogger};

use crate::error::ApiError;
use crate::metrics::{Metrics, UNMATCHED_ROUTE};

/// The request id header, echoed or generated.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The request's id, in the request's extensions for handlers that want it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(pub String);

impl RequestId {
    /// The client's id when it is 1..=200 visible ASCII characters, else a new UUID v7.
    pub fn from_header(value: Option<&HeaderValue>) -> Self {
        let client = value
            .and_then(|v| v.to_str().ok())
            .filter(|v| (1..=200).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_graphic()));
        Self(client.map_or_else(|| uuid::Uuid::now_v7().to_string(), str::to_owned))
    }
}

/// The root span of each request, built for `tracing-actix-web`'s [`TracingLogger`]:
/// `http.request` with the request id (echoed or generated, see [`RequestId`], which it
/// also leaves in the request's extensions), the method, and once answered the route
/// pattern and the status. Unlike `tracing-actix-web`'s default span it records neither
/// the path nor the query, the client's address or its user agent: paths and queries
/// carry customers' emails and search words, and the route pattern says which endpoint.
#[derive(Debug, Clone, Copy, Default)]
pub struct RequestSpan;

impl RootSpanBuilder for RequestSpan {
    fn on_request_start(request: &ServiceRequest) -> Span {
        let request_id = RequestId::from_header(request.headers().get(&REQUEST_ID));
        let span = tracing::info_span!(
            "http.request",
            request.id = %request_id.0,
            http.method = %method_label(request.method()),
            http.route = tracing::field::Empty,
            http.status = tracing::field::Empty,
        );
        request.extensions_mut().insert(request_id);
        span
    }

    fn on_request_end<B: MessageBody>(span: Span, outcome: &Result<ServiceResponse<B>, actix_web::Error>) {
        if let Ok(response) = outcome {
            let route = response.request().match_pattern().unwrap_or_else(|| UNMATCHED_ROUTE.to_owned());
            span.record("http.route", route.as_str());
            span.record("http.status", response.status().as_u16());
        }
    }
}

/// The request spans, outermost: `App::new().wrap(RequestTelemetry).wrap(request_spans())`,
/// so that everything a request does, [`RequestTelemetry`]'s access log line included, is
/// inside its span.
pub fn request_spans() -> TracingLogger<RequestSpan> {
    TracingLogger::new()
}

/// The middleware: `App::new().wrap(RequestTelemetry)`. It finds the
/// [`Metrics`] in the app data that [`crate::configure_app`] registers.
#[derive(Debug, Clone, Copy, Default)]
pub struct RequestTelemetry;

/// The request middleware, [`RequestTelemetry`].
pub fn request_middleware() -> RequestTelemetry {
    RequestTelemetry
}

impl<S, B> Transform<S, ServiceRequest> for RequestTelemetry
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<BoxBody>;
    type Error = actix_web::Error;
    type Transform = RequestTelemetryService<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(RequestTelemetryService { service: Rc::new(service) }))
    }
}

/// The service [`RequestTelemetry`] wraps around the app.
#[derive(Debug)]
pub struct RequestTelemetryService<S> {
    service: Rc<S>,
}

impl<S, B> Service<ServiceRequest> for RequestTelemetryService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<BoxBody>;
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>>>>;

    actix_web::dev::forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        let started = Instant::now();
        // The span's builder has read the id already; without it (an app wrapped without
        // `request_spans`), the id is read here.
        let known = req.extensions().get::<RequestId>().cloned();
        let request_id = known.unwrap_or_else(|| {
            let id = RequestId::from_header(req.headers().get(&REQUEST_ID));
            req.extensions_mut().insert(id.clone());
            id
        });
        let method = method_label(req.method());
        let credentials = req.headers().contains_key(AUTHORIZATION);
        let metrics = req.app_data::<web::Data<Metrics>>().cloned();
        let service = Rc::clone(&self.service);
        Box::pin(async move {
            // The app's routes and handlers turn every error into a response, so an `Err`
            // here can only come from actix itself; it is logged and passed on as it is
            // (the request is gone by now, and cloning it earlier would break routing).
            let mut response = match service.call(req).await {
                Ok(response) => response.map_into_boxed_body(),
                Err(error) => {
                    tracing::error!(request.id = %request_id.0, error = %error, "request failed in actix");
                    if let Some(metrics) = &metrics {
                        let status = error.as_response_error().status_code().as_u16();
                        metrics.observe_request(method, UNMATCHED_ROUTE, status, started.elapsed());
                    }
                    return Err(error);
                }
            };
            let status = response.status();
            let route = response.request().match_pattern().unwrap_or_else(|| UNMATCHED_ROUTE.to_owned());
            if status.is_server_error() {
                log_server_error(&response, &request_id);
            }
            if let Ok(value) = HeaderValue::from_str(&request_id.0) {
                response.headers_mut().insert(REQUEST_ID, value);
            }
            transport_headers(response.headers_mut(), credentials);
            let elapsed = started.elapsed();
            if let Some(metrics) = metrics {
                metrics.observe_request(method, &route, status.as_u16(), elapsed);
            }
            tracing::info!(
                http.route = %route,
                http.status = status.as_u16(),
                latency_ms = elapsed.as_secs_f64() * 1000.0,
                "request finished"
            );
            Ok(response)
        })
    }
}

/// `nosniff` always; `no-store` when the request carried credentials, so no cache keeps an
/// answer meant for one caller.
fn transport_headers(headers: &mut actix_web::http::header::HeaderMap, credentials: bool) {
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    if credentials {
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
}

/// Logs a 5xx's cause chain once, with the request id.
fn log_server_error(response: &ServiceResponse<BoxBody>, request_id: &RequestId) {
    let api_error = response.response().error().and_then(|e| e.as_error::<ApiError>());
    let cause = match api_error {
        Some(error) => error.cause_chain().unwrap_or_else(|| error.to_string()),
        None => response.response().error().map_or_else(|| "no error recorded".to_owned(), ToString::to_string),
    };
    let code = api_error.map_or("internal", ApiError::code);
    tracing::error!(request.id = %request_id.0, error.code = code, error.cause = %cause, "request failed");
}

/// The method as a metrics label: the standard ones, else `OTHER` (bounded cardinality).
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "OTHER",
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    #[test]
    fn a_visible_ascii_request_id_is_echoed() {
        let value = HeaderValue::from_static("abc-123_XYZ");
        assert_eq!(RequestId::from_header(Some(&value)).0, "abc-123_XYZ");
    }

    #[test]
    fn a_request_id_with_spaces_or_too_long_is_replaced_by_a_uuid() {
        let spaced = HeaderValue::from_static("has space");
        let generated = RequestId::from_header(Some(&spaced)).0;
        assert!(uuid::Uuid::parse_str(&generated).is_ok());
        let long = HeaderValue::from_str(&"a".repeat(201)).unwrap();
        assert!(uuid::Uuid::parse_str(&RequestId::from_header(Some(&long)).0).is_ok());
        assert!(uuid::Uuid::parse_str(&RequestId::from_header(None).0).is_ok());
    }
}
