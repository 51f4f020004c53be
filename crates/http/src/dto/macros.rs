//! Macros as the API shows and takes them.

use serde::{Deserialize, Serialize};
use supportdesk_app::{AppError, FieldError, Macro, MacroInput, MacroPatch};
use supportdesk_domain::{Priority, Status, Tags};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{nullable, timestamp};

/// A macro.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MacroResponse {
    /// Its id.
    pub id: Uuid,
    /// What agents pick it by.
    #[schema(example = "Replacement sent")]
    pub name: String,
    /// The message; may use `{{ticket.number}}`, `{{customer.name}}`, `{{agent.name}}`.
    #[schema(example = "Hello {{customer.name}}, we sent a replacement for ticket {{ticket.number}}. {{agent.name}}")]
    pub body: String,
    /// Whether it adds an internal note rather than a public reply.
    pub internal: bool,
    /// The status it moves the ticket to, or null.
    #[schema(example = "resolved")]
    pub status: Option<String>,
    /// The priority it sets, or null.
    pub priority: Option<String>,
    /// The tags it adds.
    pub add_tags: Vec<String>,
    /// Whether it assigns the ticket to the agent who applies it.
    pub assign_to_self: bool,
    /// When it was made.
    #[schema(format = DateTime)]
    pub created_at: String,
    /// When it last changed.
    #[schema(format = DateTime)]
    pub updated_at: String,
}

impl From<&Macro> for MacroResponse {
    fn from(m: &Macro) -> Self {
        Self {
            id: m.id,
            name: m.name.clone(),
            body: m.body.clone(),
            internal: m.internal,
            status: m.status.map(|s| s.as_str().to_owned()),
            priority: m.priority.map(|p| p.as_str().to_owned()),
            add_tags: m.add_tags.iter_str().map(str::to_owned).collect(),
            assign_to_self: m.assign_to_self,
            created_at: timestamp(m.created_at),
            updated_at: timestamp(m.updated_at),
        }
    }
}

/// The tenant's macros, by name.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MacroListResponse {
    /// The macros.
    pub data: Vec<MacroResponse>,
}

/// `POST /admin/macros` (`name` and `body` required) and `PATCH /admin/macros/{id}` (only
/// the fields given change; `null` clears `status` or `priority`).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct MacroBody {
    /// 1..100 characters.
    #[schema(value_type = String, example = "Replacement sent")]
    pub name: Option<String>,
    /// 1..10,000 characters; `{{ticket.number}}`, `{{customer.name}}` and `{{agent.name}}`
    /// are filled in when it is applied; any other `{{ }}` is refused.
    #[schema(value_type = String)]
    pub body: Option<String>,
    /// An internal note rather than a public reply (default false).
    pub internal: Option<bool>,
    /// `open`, `in_progress`, `resolved` or `closed`, or null for none.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, example = "resolved")]
    pub status: Option<Option<String>>,
    /// `low`, `normal`, `high` or `urgent`, or null for none.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub priority: Option<Option<String>>,
    /// Tags to add to the ticket (default none).
    pub add_tags: Option<Vec<String>>,
    /// Assign the ticket to the agent applying the macro (default false).
    pub assign_to_self: Option<bool>,
}

impl MacroBody {
    fn parts(&self, errors: &mut Vec<FieldError>) -> (Option<Option<Status>>, Option<Option<Priority>>, Option<Tags>) {
        let mut push = |field: &str, message: String| errors.push(FieldError { field: field.into(), message });
        let status = match &self.status {
            None => None,
            Some(None) => Some(None),
            Some(Some(raw)) => match Status::parse(raw) {
                Ok(status) => Some(Some(status)),
                Err(e) => {
                    push("status", e.rule.to_string());
                    None
                }
            },
        };
        let priority = match &self.priority {
            None => None,
            Some(None) => Some(None),
            Some(Some(raw)) => match Priority::parse(raw) {
                Ok(priority) => Some(Some(priority)),
                Err(e) => {
                    push("priority", e.rule.to_string());
                    None
                }
            },
        };
        let tags = match &self.add_tags {
            None => None,
            Some(raw) => match Tags::parse(raw) {
                Ok(tags) => Some(tags),
                Err(e) => {
                    push("addTags", e.rule.to_string());
                    None
                }
            },
        };
        (status, priority, tags)
    }

    /// The new macro's fields.
    ///
    /// # Errors
    ///
    /// `Validation` naming every bad or missing field.
    pub fn try_into_input(self) -> Result<MacroInput, AppError> {
        let mut errors = Vec::new();
        let (status, priority, tags) = self.parts(&mut errors);
        for (field, missing) in [("name", self.name.is_none()), ("body", self.body.is_none())] {
            if missing {
                errors.push(FieldError { field: field.into(), message: "must not be blank".into() });
            }
        }
        if !errors.is_empty() {
            return Err(AppError::Validation(errors));
        }
        Ok(MacroInput {
            name: self.name.unwrap_or_default(),
            body: self.body.unwrap_or_default(),
            internal: self.internal.unwrap_or(false),
            status: status.flatten(),
            priority: priority.flatten(),
            add_tags: tags.unwrap_or_default(),
            assign_to_self: self.assign_to_self.unwrap_or(false),
        })
    }

    /// The change.
    ///
    /// # Errors
    ///
    /// `Validation` naming every bad field.
    pub fn try_into_patch(self) -> Result<MacroPatch, AppError> {
        let mut errors = Vec::new();
        let (status, priority, add_tags) = self.parts(&mut errors);
        if !errors.is_empty() {
            return Err(AppError::Validation(errors));
        }
        Ok(MacroPatch {
            name: self.name,
            body: self.body,
            internal: self.internal,
            status,
            priority,
            add_tags,
            assign_to_self: self.assign_to_self,
        })
    }
}
