//! The console's reports page (issue 13): the summary of `GET /admin/reports/summary` as
//! charts drawn on the server as SVG (no script: the Content-Security-Policy stays strict),
//! with every figure also in the marks' `<title>` and in a table. Staff with `tickets:read`.

use std::collections::HashMap;
use std::fmt::Write as _;

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use supportdesk_app::{date_text, parse_date, Principal, ReportQuery, ReportSummary};
use supportdesk_domain::{ReportGroupBy, ReportRow};

use super::{render, Nav};
use crate::error::WebError;
use crate::forms::Fields;
use crate::session::{Area, Staff};
use crate::views::Choice;
use crate::WebState;

/// Registers the reports route on the console's scope.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/reports", web::get().to(reports));
}

/// One line of the figures table.
struct Line {
    key: String,
    created: u64,
    resolved: u64,
    reopened: u64,
    first_response: String,
    resolution: String,
    attainment: String,
    good: u64,
    bad: u64,
}

impl Line {
    fn of(label: String, row: &ReportRow) -> Self {
        let minutes = |p: supportdesk_domain::Percentiles| match (p.median, p.p90) {
            (Some(median), Some(p90)) => format!("{} / {}", duration(median), duration(p90)),
            _ => "-".to_owned(),
        };
        Self {
            key: label,
            created: row.created,
            resolved: row.resolved,
            reopened: row.reopened,
            first_response: minutes(row.first_response),
            resolution: minutes(row.resolution),
            attainment: row.sla_attainment.map_or_else(|| "-".to_owned(), percent),
            good: row.satisfaction_good,
            bad: row.satisfaction_bad,
        }
    }
}

#[derive(Template)]
#[template(path = "reports.html")]
struct ReportsPage {
    nav: Nav,
    from: String,
    to: String,
    group_choices: Vec<Choice>,
    volume: String,
    times: String,
    attainment: String,
    satisfaction: String,
    lines: Vec<Line>,
    total: Line,
}

async fn reports(
    Staff(session): Staff,
    state: web::Data<WebState>,
    query: web::Query<Vec<(String, String)>>,
) -> Result<HttpResponse, WebError> {
    let fields = Fields::new(query.into_inner());
    let day = |field: &str| -> Result<_, WebError> {
        fields
            .text(field)
            .map(|raw| {
                parse_date(raw).map_err(|_| WebError::BadRequest(format!("{field} must be a date as YYYY-MM-DD")))
            })
            .transpose()
    };
    let group_by = match fields.text("groupBy") {
        None => ReportGroupBy::Day,
        Some(raw) => ReportGroupBy::parse(raw).ok_or_else(|| {
            WebError::BadRequest("groupBy must be one of day, week, agent, category, priority".into())
        })?,
    };
    let query = ReportQuery { from: day("from")?, to: day("to")?, group_by };
    let summary = state.app().report_summary(&session.principal, query).await?;
    let names = names(&state, &session.principal, group_by).await;
    render(&page(Nav::of(Area::Console, &session), &summary, &names), StatusCode::OK)
}

/// The names of the agents or categories a summary grouped by them shows, by id (the API
/// keys rows by id); empty for other groupings, and for agents when the caller may neither
/// manage nor assign agents (then rows show ids).
async fn names(state: &WebState, principal: &Principal, group_by: ReportGroupBy) -> HashMap<String, String> {
    let app = state.app();
    match group_by {
        ReportGroupBy::Agent => {
            let agents = match app.list_agents(principal).await {
                Ok(agents) => agents,
                Err(_) => app.assignable_agents(principal).await.unwrap_or_default(),
            };
            agents.into_iter().map(|a| (a.id.to_string(), a.name.to_string())).collect()
        }
        ReportGroupBy::Category => {
            let categories = app.list_categories(principal, None).await.unwrap_or_default();
            categories.into_iter().map(|c| (c.id.to_string(), c.name.to_string())).collect()
        }
        ReportGroupBy::Day | ReportGroupBy::Week | ReportGroupBy::Priority => HashMap::new(),
    }
}

fn page(nav: Nav, summary: &ReportSummary, names: &HashMap<String, String>) -> ReportsPage {
    let labels: Vec<String> = summary.rows.iter().map(|row| label(row, names)).collect();
    let series = |f: &dyn Fn(&ReportRow) -> Option<f64>| summary.rows.iter().map(f).collect::<Vec<_>>();
    let count = |n: u64| Some(n as f64);
    let minutes = |m: Option<i64>| m.map(|m| m as f64);
    let volume = Chart {
        id: "chart-volume",
        title: "Tickets created and resolved",
        unit: Unit::Count,
        labels: &labels,
        series: vec![
            Series { name: "created", class: "s1", values: series(&|r| count(r.created)) },
            Series { name: "resolved", class: "s2", values: series(&|r| count(r.resolved)) },
            Series { name: "reopened", class: "s3", values: series(&|r| count(r.reopened)) },
        ],
    };
    let times = Chart {
        id: "chart-times",
        title: "Median first response and resolution time",
        unit: Unit::Minutes,
        labels: &labels,
        series: vec![
            Series { name: "first response", class: "s1", values: series(&|r| minutes(r.first_response.median)) },
            Series { name: "resolution", class: "s2", values: series(&|r| minutes(r.resolution.median)) },
        ],
    };
    let attainment = Chart {
        id: "chart-sla",
        title: "SLA attainment of the tickets resolved",
        unit: Unit::Share,
        labels: &labels,
        series: vec![Series { name: "met", class: "s2", values: series(&|r| r.sla_attainment) }],
    };
    let satisfaction = Chart {
        id: "chart-satisfaction",
        title: "Satisfaction ratings of the tickets resolved",
        unit: Unit::Count,
        labels: &labels,
        series: vec![
            Series { name: "good", class: "good", values: series(&|r| count(r.satisfaction_good)) },
            Series { name: "bad", class: "bad", values: series(&|r| count(r.satisfaction_bad)) },
        ],
    };
    let group_choices = [
        ReportGroupBy::Day,
        ReportGroupBy::Week,
        ReportGroupBy::Agent,
        ReportGroupBy::Category,
        ReportGroupBy::Priority,
    ]
    .iter()
    .map(|g| Choice::new(g.as_str(), g.as_str(), summary.group_by.as_str()))
    .collect();
    ReportsPage {
        nav,
        from: date_text(summary.range.from()),
        to: date_text(summary.range.to()),
        group_choices,
        volume: volume.svg(),
        times: times.svg(),
        attainment: attainment.svg(),
        satisfaction: satisfaction.svg(),
        lines: summary.rows.iter().zip(&labels).map(|(row, l)| Line::of(l.clone(), row)).collect(),
        total: Line::of("Total".to_owned(), &summary.total),
    }
}

fn label(row: &ReportRow, names: &HashMap<String, String>) -> String {
    match row.key.map(|key| key.text()) {
        None => "Total".to_owned(),
        Some(None) => "unassigned".to_owned(),
        Some(Some(text)) => names.get(&text).cloned().unwrap_or(text),
    }
}

/// Minutes as `42 min`, `3 h 05`, `2 d 4 h`.
fn duration(minutes: i64) -> String {
    match minutes {
        m if m < 60 => format!("{m} min"),
        m if m < 24 * 60 => format!("{} h {:02}", m / 60, m % 60),
        m => format!("{} d {} h", m / (24 * 60), m % (24 * 60) / 60),
    }
}

fn percent(share: f64) -> String {
    format!("{:.0} %", share * 100.0)
}

/// What a chart's values are.
#[derive(Clone, Copy)]
enum Unit {
    Count,
    Minutes,
    Share,
}

impl Unit {
    fn text(self, value: f64) -> String {
        match self {
            Unit::Count => format!("{value:.0}"),
            Unit::Minutes => duration(value.round() as i64),
            Unit::Share => percent(value),
        }
    }
}

struct Series {
    name: &'static str,
    class: &'static str,
    values: Vec<Option<f64>>,
}

/// A grouped bar chart: one group of bars per row, one bar per series.
struct Chart<'a> {
    id: &'static str,
    title: &'static str,
    unit: Unit,
    labels: &'a [String],
    series: Vec<Series>,
}

const WIDTH: f64 = 720.0;
const HEIGHT: f64 = 220.0;
const LEFT: f64 = 48.0;
const BOTTOM: f64 = 36.0;
const TOP: f64 = 12.0;

impl Chart<'_> {
    fn svg(&self) -> String {
        let max = match self.unit {
            Unit::Share => 1.0,
            _ => self.series.iter().flat_map(|s| s.values.iter().flatten()).fold(0.0_f64, |a, b| a.max(*b)).max(1.0),
        };
        let plot_h = HEIGHT - TOP - BOTTOM;
        let groups = self.labels.len().max(1) as f64;
        let group_w = (WIDTH - LEFT) / groups;
        let bar_w = (group_w * 0.8 / self.series.len().max(1) as f64).max(1.0);
        let mut out = String::new();
        let desc = format!(
            "{} per {}; {}. Scale 0 to {}.",
            self.title,
            if self.labels.is_empty() { "group" } else { "row of the table below" },
            self.series.iter().map(|s| s.name).collect::<Vec<_>>().join(", "),
            self.unit.text(max)
        );
        let _ = write!(
            out,
            r#"<svg class="chart" id="{id}" role="img" aria-labelledby="{id}-title {id}-desc" viewBox="0 0 {WIDTH} {HEIGHT}" xmlns="http://www.w3.org/2000/svg"><title id="{id}-title">{title}</title><desc id="{id}-desc">{desc}</desc>"#,
            id = self.id,
            title = escape(self.title),
            desc = escape(&desc),
        );
        // The axis and its top value.
        let _ = write!(
            out,
            r#"<line class="axis" x1="{LEFT}" y1="{y0}" x2="{WIDTH}" y2="{y0}"/><line class="grid" x1="{LEFT}" y1="{TOP}" x2="{WIDTH}" y2="{TOP}"/><text class="tick" x="{x}" y="{ty}" text-anchor="end">{top}</text><text class="tick" x="{x}" y="{y0}" text-anchor="end">0</text>"#,
            y0 = TOP + plot_h,
            x = LEFT - 4.0,
            ty = TOP + 4.0,
            top = escape(&self.unit.text(max)),
        );
        let every = (self.labels.len() / 12).max(1);
        for (g, label) in self.labels.iter().enumerate() {
            let x0 = LEFT + g as f64 * group_w + group_w * 0.1;
            for (s, series) in self.series.iter().enumerate() {
                let Some(value) = series.values.get(g).copied().flatten() else { continue };
                let h = (value / max * plot_h).max(0.0);
                let _ = write!(
                    out,
                    r#"<rect class="bar {class}" x="{x:.1}" y="{y:.1}" width="{bar_w:.1}" height="{h:.1}"><title>{label}: {name} {value}</title></rect>"#,
                    class = series.class,
                    x = x0 + s as f64 * bar_w,
                    y = TOP + plot_h - h,
                    label = escape(label),
                    name = series.name,
                    value = escape(&self.unit.text(value)),
                );
            }
            if g % every == 0 {
                let short = label.get(5..).filter(|_| label.len() == 10).unwrap_or(label);
                let _ = write!(
                    out,
                    r#"<text class="tick" x="{x:.1}" y="{y}" text-anchor="middle">{text}</text>"#,
                    x = LEFT + (g as f64 + 0.5) * group_w,
                    y = HEIGHT - BOTTOM + 14.0,
                    text = escape(&short.chars().take(10).collect::<String>()),
                );
            }
        }
        // The legend.
        for (s, series) in self.series.iter().enumerate() {
            let x = LEFT + s as f64 * 130.0;
            let _ = write!(
                out,
                r#"<rect class="bar {class}" x="{x}" y="{y}" width="10" height="10"/><text class="legend" x="{tx}" y="{ty}">{name}</text>"#,
                class = series.class,
                y = HEIGHT - 14.0,
                tx = x + 14.0,
                ty = HEIGHT - 5.0,
                name = series.name,
            );
        }
        out.push_str("</svg>");
        out
    }
}

/// Escapes text for SVG markup.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_like_a_person_writes_them() {
        assert_eq!(duration(42), "42 min");
        assert_eq!(duration(125), "2 h 05");
        assert_eq!(duration(3 * 24 * 60 + 5 * 60), "3 d 5 h");
    }

    #[test]
    fn a_chart_titles_every_bar_with_its_figure() {
        let labels = vec!["2026-12-04".to_owned(), "2026-12-05".to_owned()];
        let chart = Chart {
            id: "c",
            title: "Volume <&>",
            unit: Unit::Count,
            labels: &labels,
            series: vec![Series { name: "created", class: "s1", values: vec![Some(2.0), None] }],
        };
        let svg = chart.svg();
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains("<title id=\"c-title\">Volume &lt;&amp;&gt;</title>"));
        assert!(svg.contains("<title>2026-12-04: created 2</title>"));
        assert_eq!(svg.matches("<rect class=\"bar s1\"").count(), 2, "one bar and its legend key");
    }
}
