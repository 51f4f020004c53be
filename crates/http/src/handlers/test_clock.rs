//! The test-only clock route, `POST /api/v1/test/clock`: registered only when the server
//! runs with `SUPPORTDESK_TEST_CLOCK=true` (see [`crate::configure_test_clock`]), never part
//! of the API or its OpenAPI document. Black-box tests move the service's time forward with
//! it instead of sleeping.

use std::sync::Arc;

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use supportdesk_app::{AdjustableClock, Clock};
use time::format_description::well_known::Rfc3339;

use crate::error::ApiError;
use crate::extract::JsonBody;

/// How far to move the clock.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AdvanceBody {
    /// Seconds to move forward, 0 to ten years.
    pub advance_seconds: u64,
}

/// The clock after the move.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ClockResponse {
    /// The service's time now.
    pub now: String,
    /// How far ahead of the system clock it runs, in seconds.
    pub offset_seconds: i64,
}

/// The most one call moves the clock: ten years.
const MAX_ADVANCE_SECS: u64 = 10 * 366 * 86_400;

/// Moves the service's clock forward by `advanceSeconds`; answers the new time.
async fn advance_clock(
    clock: web::Data<Arc<AdjustableClock>>,
    body: JsonBody<AdvanceBody>,
) -> Result<HttpResponse, ApiError> {
    let seconds = body.value.advance_seconds;
    if seconds > MAX_ADVANCE_SECS {
        return Err(ApiError::invalid_field("advanceSeconds", "must be between 0 and 316224000"));
    }
    let offset = clock.advance(std::time::Duration::from_secs(seconds));
    let now =
        clock.now().format(&Rfc3339).map_err(|e| ApiError::from(supportdesk_app::AppError::Internal(e.into())))?;
    tracing::warn!(advanced_secs = seconds, offset_secs = offset.whole_seconds(), "test clock advanced");
    Ok(HttpResponse::Ok().json(ClockResponse { now, offset_seconds: offset.whole_seconds() }))
}

/// Registers `POST /api/v1/test/clock` over `clock`.
pub fn configure(cfg: &mut web::ServiceConfig, clock: Arc<AdjustableClock>) {
    cfg.app_data(web::Data::new(clock))
        .service(web::resource("/api/v1/test/clock").route(web::post().to(advance_clock)));
}
