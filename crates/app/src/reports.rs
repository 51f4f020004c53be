//! Reports (api-v1.1.md section 3): the summary of a range of days, and the per-ticket
//! metrics it reads, kept with every change. The counting rules are the domain's
//! ([`supportdesk_domain::summarize`]).

use supportdesk_domain::{
    summarize, Permission, RangeError, ReportGroupBy, ReportRange, ReportRow, SlaStep, TicketChange, WorkingTime,
};
use time::Date;
use tracing::instrument;

use crate::auth::Principal;
use crate::error::AppError;
use crate::App;

/// What `GET /admin/reports/summary` asks for; a missing day defaults (see
/// [`App::report_summary`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReportQuery {
    /// The first day (UTC), included.
    pub from: Option<Date>,
    /// The last day (UTC), included.
    pub to: Option<Date>,
    /// How rows are grouped.
    pub group_by: ReportGroupBy,
}

/// A computed summary.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportSummary {
    /// The days it covers.
    pub range: ReportRange,
    /// How rows are grouped.
    pub group_by: ReportGroupBy,
    /// One row per group.
    pub rows: Vec<ReportRow>,
    /// The whole range in one row (its key is `None`).
    pub total: ReportRow,
}

impl App {
    /// The summary of the tenant's tickets over a range of UTC days (`tickets:read`). Without
    /// `to`, today (UTC); without `from`, 29 days before `to` (30 days in all).
    ///
    /// # Errors
    ///
    /// `Forbidden`; `Validation` naming `to` when it is before `from`, naming `from` when the
    /// range is longer than [`supportdesk_domain::MAX_REPORT_DAYS`] days.
    #[instrument(skip_all, fields(tenant = %principal.tenant))]
    pub async fn report_summary(&self, principal: &Principal, query: ReportQuery) -> Result<ReportSummary, AppError> {
        principal.require(Permission::TicketsRead)?;
        let today = self.clock.now().date();
        let to = query.to.unwrap_or(today);
        let range = match query.from {
            None => ReportRange::last_30_days(to),
            Some(from) => ReportRange::new(from, to).map_err(|error| match error {
                RangeError::Reversed => AppError::invalid("to", "must not be before from"),
                RangeError::TooLong => AppError::invalid(
                    "from",
                    format!("the range may cover at most {} days", supportdesk_domain::MAX_REPORT_DAYS),
                ),
            })?,
        };
        let facts = self.sla.report_facts(&principal.tenant, range, query.group_by).await?;
        let (rows, total) = summarize(range, query.group_by, &facts);
        Ok(ReportSummary { range, group_by: query.group_by, rows, total })
    }

    /// Moves `change.ticket.metrics` for what the change did, in the change itself (saved in
    /// the same transaction): the first public agent reply fixes the first response time, a
    /// resolution its resolution time, a reopening counts. Times are working time of the
    /// ticket's SLA policy when it has business hours, wall-clock time otherwise. Call after
    /// [`App::settle_sla`], so the policy is the one the change leaves.
    pub(crate) async fn settle_metrics(&self, change: &mut TicketChange) -> Result<(), AppError> {
        let mut metrics = change.ticket.metrics;
        let steps: Vec<_> = change
            .events
            .iter()
            .filter_map(|event| SlaStep::of_event(event).map(|step| (step, event.created_at)))
            .collect();
        if !steps.iter().any(|(step, _)| metrics.moved_by(*step)) {
            return Ok(());
        }
        let time = match change.ticket.sla {
            None => WorkingTime::Always,
            Some(sla) => match self.sla.sla_policy(&change.ticket.tenant, sla.policy_id).await? {
                Some(policy) => self.working_time(&change.ticket.tenant, &policy).await?,
                None => WorkingTime::Always,
            },
        };
        for (step, at) in steps {
            metrics.apply(step, at, change.ticket.created_at, &time);
        }
        change.ticket.metrics = metrics;
        Ok(())
    }
}
