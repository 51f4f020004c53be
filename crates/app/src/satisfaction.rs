//! The customer's satisfaction rating of a resolution (api-v1.1.md section 3).

use supportdesk_domain::{Rating, SatisfactionComment, TicketRef};
use tracing::instrument;

use crate::auth::Principal;
use crate::error::AppError;
use crate::model::TicketView;
use crate::App;

impl App {
    /// The owner rates the resolution of their `resolved` or `closed` ticket, once per
    /// resolution (after a reopen and a new resolution, again). Records
    /// `satisfaction_rated`; the status does not move. Returns the ticket as the customer
    /// sees it, its `satisfaction` set.
    ///
    /// # Errors
    ///
    /// `NotResolved` while the ticket is unfinished; `AlreadyRated` for a second rating of
    /// the same resolution; `NotFound` for another's ticket; `Forbidden` for staff;
    /// `PreconditionFailed` when `expected_version` is not the customer's version.
    #[instrument(skip_all, fields(tenant = %principal.tenant))]
    pub async fn rate_satisfaction(
        &self,
        principal: &Principal,
        ticket: TicketRef,
        rating: Rating,
        comment: Option<SatisfactionComment>,
        expected_version: Option<i64>,
    ) -> Result<TicketView, AppError> {
        principal.require_customer()?;
        self.ensure_customer(principal).await?;
        self.change_and_view(principal, ticket, expected_version, move |t, ctx| {
            t.rate(ctx, rating, comment.clone()).map(Some)
        })
        .await
    }
}
