//! Reports as the API shows them (api-v1.1.md section 3).

use serde::{Deserialize, Serialize};
use supportdesk_app::{date_text, parse_date, ReportQuery, ReportSummary, Validator};
use supportdesk_domain::{Percentiles, ReportGroupBy, ReportRow};
use utoipa::{IntoParams, ToSchema};

use super::finish;
use crate::error::ApiError;

/// The parameters of `GET /admin/reports/summary`.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct ReportSummaryQuery {
    /// The first day, `YYYY-MM-DD` (UTC), included; default 29 days before `to`.
    #[param(value_type = Option<String>, format = Date, example = "2026-11-02")]
    pub from: Option<String>,
    /// The last day, `YYYY-MM-DD` (UTC), included; default today. At most 366 days in all.
    #[param(value_type = Option<String>, format = Date, example = "2026-12-01")]
    pub to: Option<String>,
    /// `day` (default), `week` (ISO weeks, Monday to Sunday, UTC), `agent`, `category`,
    /// `priority`.
    #[param(example = "day")]
    pub group_by: Option<String>,
}

impl ReportSummaryQuery {
    /// The query, or every invalid parameter.
    ///
    /// # Errors
    ///
    /// 400 naming `from`, `to` or `groupBy`.
    pub fn try_into_domain(self) -> Result<ReportQuery, ApiError> {
        let mut v = Validator::default();
        let mut day = |field: &'static str, raw: Option<String>| match raw.as_deref().map(str::trim) {
            None => None,
            Some(raw) => match parse_date(raw) {
                Ok(date) => Some(date),
                Err(_) => {
                    v.push(field, "must be a date as YYYY-MM-DD");
                    None
                }
            },
        };
        let from = day("from", self.from);
        let to = day("to", self.to);
        let group_by = match self.group_by.as_deref().map(str::trim) {
            None => Some(ReportGroupBy::Day),
            Some(raw) => {
                let parsed = ReportGroupBy::parse(raw);
                if parsed.is_none() {
                    v.push("groupBy", "must be one of day, week, agent, category, priority");
                }
                parsed
            }
        };
        finish(v)?;
        Ok(ReportQuery { from, to, group_by: group_by.unwrap_or(ReportGroupBy::Day) })
    }
}

/// A median and a 90th percentile in minutes (nearest rank); `null` without values.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PercentilesResponse {
    /// The median.
    #[schema(example = 42)]
    pub median: Option<i64>,
    /// The 90th percentile.
    #[schema(example = 180)]
    pub p90: Option<i64>,
}

impl From<Percentiles> for PercentilesResponse {
    fn from(p: Percentiles) -> Self {
        Self { median: p.median, p90: p.p90 }
    }
}

/// Good and bad ratings.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SatisfactionCounts {
    /// Good ratings.
    pub good: u64,
    /// Bad ratings.
    pub bad: u64,
}

/// One row of a summary.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReportRowResponse {
    /// `2026-12-01` (day), `2026-W49` (ISO week), an agent id (`null`: unassigned), a
    /// category id, or a priority name; `null` in `meta.total`.
    #[schema(example = "2026-12-01")]
    pub key: Option<String>,
    /// Tickets opened in the group.
    pub created: u64,
    /// Tickets whose current resolution (resolved, or closed unresolved) lies in the group.
    pub resolved: u64,
    /// Tickets whose latest reopening lies in the group.
    pub reopened: u64,
    /// Opening to first public agent reply, of the tickets opened (working minutes: business
    /// hours where the ticket's SLA policy has them).
    pub first_response_minutes: PercentilesResponse,
    /// Opening to resolution, of the tickets resolved (working minutes).
    pub resolution_minutes: PercentilesResponse,
    /// Of the tickets resolved that have an SLA policy, the share (0..1) whose clocks never
    /// breached; `null` when none has one.
    #[schema(example = 0.9)]
    pub sla_attainment: Option<f64>,
    /// The customers' ratings of the tickets resolved.
    pub satisfaction: SatisfactionCounts,
}

impl From<&ReportRow> for ReportRowResponse {
    fn from(row: &ReportRow) -> Self {
        Self {
            key: row.key.and_then(|key| key.text()),
            created: row.created,
            resolved: row.resolved,
            reopened: row.reopened,
            first_response_minutes: row.first_response.into(),
            resolution_minutes: row.resolution.into(),
            sla_attainment: row.sla_attainment.map(|share| (share * 10_000.0).round() / 10_000.0),
            satisfaction: SatisfactionCounts { good: row.satisfaction_good, bad: row.satisfaction_bad },
        }
    }
}

/// The meta of a summary.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReportMeta {
    /// The first day.
    #[schema(example = "2026-11-02")]
    pub from: String,
    /// The last day.
    #[schema(example = "2026-12-01")]
    pub to: String,
    /// The grouping.
    #[schema(example = "day")]
    pub group_by: String,
    /// The zone days and weeks are counted in: always `UTC`.
    #[schema(example = "UTC")]
    pub time_zone: String,
    /// The whole range in one row (`key` is `null`).
    pub total: ReportRowResponse,
}

/// `GET /admin/reports/summary`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReportSummaryResponse {
    /// One row per group: every day or week of the range in order; for agent, category and
    /// priority the groups with any ticket.
    pub data: Vec<ReportRowResponse>,
    /// The range, grouping and total.
    pub meta: ReportMeta,
}

impl From<&ReportSummary> for ReportSummaryResponse {
    fn from(summary: &ReportSummary) -> Self {
        Self {
            data: summary.rows.iter().map(ReportRowResponse::from).collect(),
            meta: ReportMeta {
                from: date_text(summary.range.from()),
                to: date_text(summary.range.to()),
                group_by: summary.group_by.as_str().to_owned(),
                time_zone: "UTC".to_owned(),
                total: ReportRowResponse::from(&summary.total),
            },
        }
    }
}
