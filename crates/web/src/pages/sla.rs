//! The admins' SLA screen (issue 13): business hours and SLA policies. Every action calls the
//! same use case as the API (`settings:manage` is checked there); the page only reads the
//! form.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use supportdesk_app::{
    date_text, parse_date, AppError, BusinessHours, BusinessHoursInput, SlaPolicy, SlaPolicyInput, Validator,
};
use supportdesk_domain::{
    BusinessHoursId, OpenInterval, Priority, SlaMatch, SlaPolicyId, Source, WeeklyHours, WEEKDAYS,
};

use super::{render, see_other, Nav};
use crate::error::{describe, WebError};
use crate::forms::Fields;
use crate::session::{Area, Session, Staff, StaffPost};
use crate::views::Choice;
use crate::WebState;

/// Registers the SLA routes on the console's scope.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/settings/sla", web::get().to(sla))
        .route("/settings/sla/hours", web::post().to(create_hours))
        .route("/settings/sla/hours/{id}/delete", web::post().to(delete_hours))
        .route("/settings/sla/policies", web::post().to(create_policy))
        .route("/settings/sla/policies/{id}/delete", web::post().to(delete_policy));
}

struct HoursLine {
    id: String,
    name: String,
    zone: String,
    week: String,
    holidays: String,
}

impl From<&BusinessHours> for HoursLine {
    fn from(h: &BusinessHours) -> Self {
        Self {
            id: h.id.to_string(),
            name: h.name.clone(),
            zone: h.calendar.time_zone().to_owned(),
            week: week_text(h.calendar.week()),
            holidays: h.calendar.holidays().map(date_text).collect::<Vec<_>>().join(", "),
        }
    }
}

struct PolicyLine {
    id: String,
    name: String,
    position: i32,
    matches: String,
    minutes: String,
    hours: String,
}

fn policy_line(p: &SlaPolicy, hours: &[BusinessHours]) -> PolicyLine {
    let mut matches = Vec::new();
    if let Some(priority) = p.matches.priority {
        matches.push(format!("priority {priority}"));
    }
    if let Some(source) = p.matches.source {
        matches.push(format!("source {source}"));
    }
    if p.matches.category_id.is_some() {
        matches.push("one category".to_owned());
    }
    let next = p.next_response_minutes.map(|m| format!(", next response {m} min")).unwrap_or_default();
    PolicyLine {
        id: p.id.to_string(),
        name: p.name.clone(),
        position: p.position,
        matches: if matches.is_empty() { "every ticket".to_owned() } else { matches.join(", ") },
        minutes: format!(
            "first response {} min{next}, resolution {} min{}",
            p.first_response_minutes,
            p.resolution_minutes,
            if p.pause_while_answered { ", paused while answered" } else { "" }
        ),
        hours: p
            .business_hours_id
            .and_then(|id| hours.iter().find(|h| h.id == id))
            .map_or_else(|| "24/7".to_owned(), |h| h.name.clone()),
    }
}

/// A week as the form writes it: one line per open day, `mon 09:00-12:00 13:00-17:00`.
fn week_text(week: &WeeklyHours) -> String {
    week.days()
        .iter()
        .zip(WEEKDAYS)
        .filter(|(day, _)| !day.is_empty())
        .map(|(day, key)| {
            let intervals: Vec<String> = day.iter().map(|i| format!("{}-{}", i.start, i.end)).collect();
            format!("{key} {}", intervals.join(" "))
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Reads the week textarea back; every bad line is named.
fn parse_week(v: &mut Validator, raw: &str) -> Option<WeeklyHours> {
    let mut days: [Vec<OpenInterval>; 7] = Default::default();
    let mut ok = true;
    for line in raw.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let mut parts = line.split_whitespace();
        let key = parts.next().unwrap_or_default().to_lowercase();
        let Some(index) = WEEKDAYS.iter().position(|d| key.starts_with(d)) else {
            v.push("week", format!("`{line}`: start each line with a day, mon to sun"));
            ok = false;
            continue;
        };
        for interval in parts {
            match interval.split_once('-').map(|(a, b)| OpenInterval::parse(a, b)) {
                Some(Ok(parsed)) => days[index].push(parsed),
                _ => {
                    v.push("week", format!("`{interval}`: write intervals as HH:MM-HH:MM, start before end"));
                    ok = false;
                }
            }
        }
    }
    if !ok {
        return None;
    }
    v.check(WeeklyHours::new(days))
}

#[derive(Template)]
#[template(path = "sla.html")]
struct SlaPage {
    nav: Nav,
    notice: String,
    notice_kind: &'static str,
    hours: Vec<HoursLine>,
    policies: Vec<PolicyLine>,
    hours_choices: Vec<Choice>,
    priority_choices: Vec<Choice>,
    source_choices: Vec<Choice>,
}

async fn sla_page(
    state: &WebState,
    session: &Session,
    notice: Option<(&'static str, String)>,
    status: StatusCode,
) -> Result<HttpResponse, WebError> {
    let principal = &session.principal;
    let hours = state.app().list_business_hours(principal).await?;
    let policies = state.app().list_sla_policies(principal).await?;
    let (notice_kind, notice) = notice.unwrap_or(("", String::new()));
    let mut hours_choices = vec![Choice::new("", "24/7 (calendar time)", "")];
    hours_choices.extend(hours.iter().map(|h| Choice::new(h.id.to_string(), h.name.clone(), "")));
    let mut priority_choices = vec![Choice::new("", "Any priority", "")];
    priority_choices.extend(Priority::ALL.iter().map(|p| Choice::new(p.as_str(), p.as_str(), "")));
    let mut source_choices = vec![Choice::new("", "Any channel", "")];
    source_choices.extend(Source::ALL.iter().map(|s| Choice::new(s.as_str(), s.as_str(), "")));
    let page = SlaPage {
        nav: Nav::of(Area::Console, session),
        notice,
        notice_kind,
        policies: policies.iter().map(|p| policy_line(p, &hours)).collect(),
        hours: hours.iter().map(HoursLine::from).collect(),
        hours_choices,
        priority_choices,
        source_choices,
    };
    render(&page, status)
}

async fn sla(
    Staff(session): Staff,
    state: web::Data<WebState>,
    query: web::Query<Vec<(String, String)>>,
) -> Result<HttpResponse, WebError> {
    let notice = Fields::new(query.into_inner()).text("done").map(|what| ("info", format!("Saved: {what}.")));
    sla_page(&state, &session, notice, StatusCode::OK).await
}

/// After a change: back to the screen with what was done, or the screen again with why not.
async fn after(state: &WebState, post: &StaffPost, result: Result<String, AppError>) -> Result<HttpResponse, WebError> {
    match result {
        Ok(what) => Ok(see_other(&format!("/console/settings/sla?done={}", super::encode(&what)))),
        Err(AppError::Internal(cause)) => Err(AppError::Internal(cause).into()),
        Err(error) => {
            let status = match error {
                AppError::Forbidden(_) => StatusCode::FORBIDDEN,
                AppError::NotFound(_) => StatusCode::NOT_FOUND,
                AppError::InUse(_) => StatusCode::CONFLICT,
                _ => StatusCode::UNPROCESSABLE_ENTITY,
            };
            sla_page(state, &post.session, Some(("error", describe(&error))), status).await
        }
    }
}

async fn create_hours(state: web::Data<WebState>, post: StaffPost) -> Result<HttpResponse, WebError> {
    let result = async {
        let fields = &post.fields;
        let mut v = Validator::default();
        let week = parse_week(&mut v, fields.get("week").unwrap_or_default());
        let mut holidays = Vec::new();
        for raw in fields.get("holidays").unwrap_or_default().split([',', ' ', '\n']).filter(|s| !s.trim().is_empty()) {
            if let Some(day) = v.check(parse_date(raw.trim())) {
                holidays.push(day);
            }
        }
        v.finish()?;
        let input = BusinessHoursInput {
            name: fields.text("name").map(str::to_owned),
            time_zone: fields.text("timeZone").map(str::to_owned),
            week,
            holidays: Some(holidays),
        };
        let made = state.app().create_business_hours(&post.session.principal, input).await?;
        Ok(format!("business hours {}", made.name))
    }
    .await;
    after(&state, &post, result).await
}

async fn delete_hours(
    state: web::Data<WebState>,
    post: StaffPost,
    id: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let result = async {
        let id = BusinessHoursId::parse(&id).map_err(|_| AppError::NotFound(supportdesk_app::Missing::Resource))?;
        state
            .app()
            .delete_business_hours(&post.session.principal, id)
            .await
            .map(|()| "business hours deleted".to_owned())
    }
    .await;
    after(&state, &post, result).await
}

async fn create_policy(state: web::Data<WebState>, post: StaffPost) -> Result<HttpResponse, WebError> {
    let result = async {
        let fields = &post.fields;
        let mut v = Validator::default();
        let mut number = |field: &'static str| -> Option<i32> {
            let raw = fields.text(field)?;
            match raw.parse::<i32>() {
                Ok(n) => Some(n),
                Err(_) => {
                    v.push(field, "must be a whole number");
                    None
                }
            }
        };
        let position = number("position");
        let first = number("firstResponseMinutes");
        let next = number("nextResponseMinutes");
        let resolution = number("resolutionMinutes");
        let matches = SlaMatch {
            priority: v.check_opt(fields.text("priority").map(Priority::parse)),
            category_id: None,
            source: v.check_opt(fields.text("source").map(Source::parse)),
        };
        let hours = v.check_opt(fields.text("businessHoursId").map(BusinessHoursId::parse));
        v.finish()?;
        let input = SlaPolicyInput {
            name: fields.text("name").map(str::to_owned),
            position,
            matches: Some(matches),
            first_response_minutes: first,
            next_response_minutes: Some(next),
            resolution_minutes: resolution,
            business_hours_id: Some(hours),
            pause_while_answered: Some(fields.get("pauseWhileAnswered").is_some()),
        };
        let made = state.app().create_sla_policy(&post.session.principal, input).await?;
        Ok(format!("SLA policy {}", made.name))
    }
    .await;
    after(&state, &post, result).await
}

async fn delete_policy(
    state: web::Data<WebState>,
    post: StaffPost,
    id: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let result = async {
        let id = SlaPolicyId::parse(&id).map_err(|_| AppError::NotFound(supportdesk_app::Missing::Resource))?;
        state.app().delete_sla_policy(&post.session.principal, id).await.map(|()| "SLA policy deleted".to_owned())
    }
    .await;
    after(&state, &post, result).await
}
