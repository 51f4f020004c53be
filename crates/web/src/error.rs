//! What a page answers when it cannot do what was asked: a redirect to the login page, or
//! an HTML error page. A 5xx logs its cause once and shows nothing of it.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use askama::Template;
use supportdesk_app::AppError;

use crate::session::Area;

/// Why a page was refused.
#[derive(Debug)]
pub enum WebError {
    /// No valid session: go to the area's login page.
    LoginRequired(Area),
    /// The form's CSRF token or the request's origin is wrong: 403.
    Csrf,
    /// The use case refused or failed.
    App(AppError),
    /// A form field or query parameter is malformed: 400.
    BadRequest(String),
}

impl std::fmt::Display for WebError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WebError::LoginRequired(area) => write!(f, "log in to the {}", area.name()),
            WebError::Csrf => f.write_str("the form is stale or came from another site; reload the page and try again"),
            WebError::App(error) => f.write_str(&describe(error)),
            WebError::BadRequest(message) => f.write_str(message),
        }
    }
}

impl std::error::Error for WebError {}

impl From<AppError> for WebError {
    fn from(error: AppError) -> Self {
        WebError::App(error)
    }
}

/// A use case's error in words a person at the screen can act on.
pub(crate) fn describe(error: &AppError) -> String {
    match error {
        AppError::Validation(fields) => {
            let parts: Vec<String> = fields.iter().map(|f| format!("{}: {}", f.field, f.message)).collect();
            parts.join("; ")
        }
        AppError::PreconditionFailed { .. } => {
            "This ticket was changed by someone else while you were looking at it. Here is its current state; \
             your change was not saved."
                .to_owned()
        }
        AppError::Internal(_) => "Something went wrong on our side. Please try again.".to_owned(),
        other => {
            let text = other.to_string();
            let mut chars = text.chars();
            chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or(text)
        }
    }
}

fn status_of(error: &AppError) -> StatusCode {
    match error {
        AppError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
        AppError::Unauthorized | AppError::InvalidCredentials => StatusCode::UNAUTHORIZED,
        AppError::Forbidden(_) => StatusCode::FORBIDDEN,
        AppError::NotFound(_) => StatusCode::NOT_FOUND,
        AppError::OpenTicketExists { .. }
        | AppError::InvalidTransition { .. }
        | AppError::TicketClosed
        | AppError::NotResolved(_)
        | AppError::AlreadyRated
        | AppError::IdempotencyKeyReused
        | AppError::Conflict(_)
        | AppError::LastAdmin
        | AppError::InUse(_)
        | AppError::PreconditionFailed { .. } => StatusCode::CONFLICT,
        AppError::Busy { .. } => StatusCode::TOO_MANY_REQUESTS,
        AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    title: &'a str,
    message: String,
    back: &'a str,
}

impl ResponseError for WebError {
    fn status_code(&self) -> StatusCode {
        match self {
            WebError::LoginRequired(_) => StatusCode::SEE_OTHER,
            WebError::Csrf => StatusCode::FORBIDDEN,
            WebError::App(error) => status_of(error),
            WebError::BadRequest(_) => StatusCode::BAD_REQUEST,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let WebError::LoginRequired(area) = self {
            return HttpResponse::SeeOther()
                .insert_header((header::LOCATION, area.login_path()))
                .insert_header((header::CACHE_CONTROL, "no-store"))
                .finish();
        }
        if let WebError::App(AppError::Internal(cause)) = self {
            tracing::error!(error = %cause, "a page failed");
        }
        let status = self.status_code();
        let page =
            ErrorPage { title: status.canonical_reason().unwrap_or("Error"), message: self.to_string(), back: "/" };
        let body = page.render().unwrap_or_else(|_| "An error occurred.".to_owned());
        HttpResponse::build(status)
            .content_type("text/html; charset=utf-8")
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .body(body)
    }
}
