//! Request and response bodies. They live here only: the domain and the use cases never see
//! JSON. Request bodies deny unknown fields and turn into use-case input with
//! `try_into_domain()`, which parses every field with the domain's parsers and reports every
//! invalid field at once; response bodies are built `From` the use cases' views.

pub mod accounts;
pub mod categories;
pub mod events;
pub mod macros;
pub mod notifications;
pub mod reports;
pub mod sla;
pub mod tickets;
pub mod trust;
pub mod webhooks;

use serde::{Deserialize, Deserializer, Serialize};
use supportdesk_app::{AppError, Validator};
use supportdesk_domain::{InvalidValue, Rule};
use time::OffsetDateTime;
use utoipa::ToSchema;

use crate::error::ApiError;

/// RFC 3339 in UTC with milliseconds: `2026-03-17T10:05:00.000Z`.
pub fn timestamp(at: OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    // Written digit by digit: `format!` costs several times as much, and a list response
    // holds a few hundred timestamps. Years outside 0..=9999 take the general path.
    if let Ok(year @ 0..=9999) = u32::try_from(at.year()) {
        let mut out = String::with_capacity(24);
        push_digits(&mut out, year, 4);
        out.push('-');
        push_digits(&mut out, u32::from(u8::from(at.month())), 2);
        out.push('-');
        push_digits(&mut out, u32::from(at.day()), 2);
        out.push('T');
        push_digits(&mut out, u32::from(at.hour()), 2);
        out.push(':');
        push_digits(&mut out, u32::from(at.minute()), 2);
        out.push(':');
        push_digits(&mut out, u32::from(at.second()), 2);
        out.push('.');
        push_digits(&mut out, u32::from(at.millisecond()), 3);
        out.push('Z');
        return out;
    }
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second(),
        at.millisecond()
    )
}

/// Appends `value` as exactly `width` decimal digits (`value` < 10^`width`).
fn push_digits(out: &mut String, value: u32, width: u32) {
    for power in (0..width).rev() {
        out.push(char::from_digit(value / 10u32.pow(power) % 10, 10).unwrap_or('0'));
    }
}

/// [`timestamp`] of an optional time.
pub fn timestamp_opt(at: Option<OffsetDateTime>) -> Option<String> {
    at.map(timestamp)
}

/// Deserializes a field that may be absent (`None`), `null` (`Some(None)`) or a value.
pub(crate) fn nullable<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// `{"page": 1, "size": 20, "total": 137, "totalIsCapped": false, "nextCursor": "..."}`. With
/// a cursor, `page` is 1 (a search by relevance: the page the cursor's offset falls on) and
/// `total` still counts the whole list.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PageMeta {
    /// This page, from 1.
    #[schema(example = 1)]
    pub page: u32,
    /// Items per page.
    #[schema(example = 20)]
    pub size: u32,
    /// Items that match. Exact when the list filters on status alone (the queues); with
    /// other filters, counting stops at 10,000, and a search by relevance (`q` without
    /// `sort`) ranks and counts the newest 1,000 matches: then `totalIsCapped` is true and
    /// `total` is a lower bound.
    #[schema(example = 137)]
    pub total: u64,
    /// Whether `total` is the counting cap rather than an exact count.
    pub total_is_capped: bool,
    /// Pass as `cursor` to read the next page (same filters and sort); `null` on the last
    /// page. Opaque: do not build or change it.
    pub next_cursor: Option<String>,
}

impl<T> From<&supportdesk_app::Page<T>> for PageMeta {
    fn from(page: &supportdesk_app::Page<T>) -> Self {
        Self {
            page: page.request.page(),
            size: page.request.size(),
            total: page.total,
            total_is_capped: page.total_is_capped,
            next_cursor: page.next_cursor.clone(),
        }
    }
}

/// The meta of a list that is not paged: `{"total": 6}`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ListMeta {
    /// Items in `data`.
    #[schema(example = 6)]
    pub total: u64,
}

impl ListMeta {
    /// The meta of `items`.
    pub fn of<T>(items: &[T]) -> Self {
        Self { total: items.len() as u64 }
    }
}

/// Turns the errors a [`Validator`] collected into a 400.
pub(crate) fn finish(validator: Validator) -> Result<(), ApiError> {
    validator.finish().map_err(ApiError::from)
}

/// Reports a required field that was absent.
pub(crate) fn required<T>(v: &mut Validator, field: &'static str, value: Option<T>) -> Option<T> {
    if value.is_none() {
        v.push(field, Rule::Required.to_string());
    }
    value
}

/// Parses a required raw field; absence is reported as `must not be blank`.
pub(crate) fn parse_required<T>(
    v: &mut Validator,
    field: &'static str,
    raw: Option<&str>,
    parse: impl FnOnce(&str) -> Result<T, InvalidValue>,
) -> Option<T> {
    match raw {
        Some(raw) => v.check(parse(raw)),
        None => required::<T>(v, field, None),
    }
}

/// A value the validator has already vouched for: only absent when an error was recorded,
/// in which case `finish` has returned first. Never panics: a bug shows as a 500.
pub(crate) fn present<T>(value: Option<T>, field: &'static str) -> Result<T, ApiError> {
    value.ok_or_else(|| ApiError::from(AppError::Internal(format!("{field} passed validation without a value").into())))
}

/// An attachment as clients send it.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AttachmentBody {
    /// 1..255 characters.
    #[schema(example = "photo.jpg")]
    pub file_name: String,
    /// An http(s) URL, at most 2,048 characters.
    #[schema(example = "https://cdn.example.com/photo.jpg")]
    pub url: String,
    /// A media type like `image/jpeg`.
    #[schema(example = "image/jpeg")]
    pub content_type: String,
    /// Size in bytes, at most 1 GiB.
    #[schema(example = 12345)]
    pub size_bytes: u64,
}

/// Parses a list of attachments, naming each bad one by index (`attachments[1].url`).
pub(crate) fn parse_attachments(
    v: &mut Validator,
    raw: Option<Vec<AttachmentBody>>,
) -> Vec<supportdesk_domain::Attachment> {
    let raw = raw.unwrap_or_default();
    if let Err(error) = supportdesk_domain::Attachment::check_count(raw.len()) {
        v.check::<()>(Err(error));
        return Vec::new();
    }
    let mut parsed = Vec::with_capacity(raw.len());
    for (index, item) in raw.iter().enumerate() {
        match supportdesk_domain::Attachment::parse(&item.file_name, &item.url, &item.content_type, item.size_bytes) {
            Ok(attachment) => parsed.push(attachment),
            Err(error) => {
                let field = error.field.replacen("attachments.", &format!("attachments[{index}]."), 1);
                v.push(field, error.rule.to_string());
            }
        }
    }
    parsed
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use time::macros::datetime;

    use super::*;

    #[test]
    fn timestamps_are_utc_with_milliseconds() {
        assert_eq!(timestamp(datetime!(2026-03-17 10:05:00.123456 UTC)), "2026-03-17T10:05:00.123Z");
        assert_eq!(timestamp(datetime!(2026-03-17 12:05:00 +02:00)), "2026-03-17T10:05:00.000Z");
        assert_eq!(timestamp(datetime!(0005-01-02 03:04:05.006 UTC)), "0005-01-02T03:04:05.006Z");
        assert_eq!(timestamp(datetime!(9999-12-31 23:59:59.999999 UTC)), "9999-12-31T23:59:59.999Z");
        assert_eq!(timestamp(datetime!(-0001-12-31 23:59:59 UTC)), "-001-12-31T23:59:59.000Z");
    }
}
