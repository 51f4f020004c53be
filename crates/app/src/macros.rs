//! Macros: a tenant's canned answers with actions (api-v1.1.md section 3). An agent applies
//! one to a ticket: its body, with `{{ticket.number}}`, `{{customer.name}}` and
//! `{{agent.name}}` filled in, becomes a reply or a note, and its status, priority, tags and
//! "assign to self" apply in the same transaction, as [`Ticket::apply_macro`] decides.
//!
//! The variables are filled by a plain substitution here, not by the mail template engine:
//! a macro's body is text an agent sends as their own message, with exactly three values to
//! fill and no logic (no conditions, loops or filters) to sandbox. Unknown or unclosed
//! variables are refused when the macro is saved, so applying one never fails on them.
//!
//! [`Ticket::apply_macro`]: supportdesk_domain::Ticket::apply_macro

use supportdesk_domain::{
    AgentId, CustomerId, MacroActions, MessageBody, Permission, Priority, Status, Tags, TenantKey, TicketRef,
};
use time::OffsetDateTime;
use tracing::instrument;
use uuid::Uuid;

use crate::auth::Principal;
use crate::error::{AppError, FieldError, Missing};
use crate::model::Idempotency;
use crate::tickets::{Outcome, ReplyResult};
use crate::App;

/// The variables a macro's body may use.
pub const MACRO_VARIABLES: [&str; 3] = ["ticket.number", "customer.name", "agent.name"];

/// The longest macro name, in characters.
pub const MACRO_NAME_MAX: usize = 100;

/// A stored macro.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Macro {
    /// Its id.
    pub id: Uuid,
    /// Its tenant.
    pub tenant: TenantKey,
    /// What agents pick it by (1..100 characters).
    pub name: String,
    /// The message template (1..10,000 characters; the variables of [`MACRO_VARIABLES`]).
    pub body: String,
    /// Whether it adds an internal note rather than a public reply.
    pub internal: bool,
    /// A status to move the ticket to.
    pub status: Option<Status>,
    /// A priority to set.
    pub priority: Option<Priority>,
    /// Tags to add.
    pub add_tags: Tags,
    /// Whether the ticket is assigned to the agent who applies it.
    pub assign_to_self: bool,
    /// When it was made.
    pub created_at: OffsetDateTime,
    /// When it last changed.
    pub updated_at: OffsetDateTime,
}

/// A macro's fields as an admin gives them; checked by [`MacroInput::check`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MacroInput {
    /// See [`Macro::name`].
    pub name: String,
    /// See [`Macro::body`].
    pub body: String,
    /// See [`Macro::internal`].
    pub internal: bool,
    /// See [`Macro::status`].
    pub status: Option<Status>,
    /// See [`Macro::priority`].
    pub priority: Option<Priority>,
    /// See [`Macro::add_tags`].
    pub add_tags: Tags,
    /// See [`Macro::assign_to_self`].
    pub assign_to_self: bool,
}

/// A partial change of a macro: `None` keeps a field; `Some(None)` clears the optional ones.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MacroPatch {
    /// A new name.
    pub name: Option<String>,
    /// A new body.
    pub body: Option<String>,
    /// Note or reply.
    pub internal: Option<bool>,
    /// A new status, or none.
    pub status: Option<Option<Status>>,
    /// A new priority, or none.
    pub priority: Option<Option<Priority>>,
    /// The new set of tags to add.
    pub add_tags: Option<Tags>,
    /// Assign to self or not.
    pub assign_to_self: Option<bool>,
}

impl MacroInput {
    /// Checks every field at once.
    ///
    /// # Errors
    ///
    /// `Validation` naming `name` (blank or longer than 100 characters), `body` (blank,
    /// longer than 10,000 characters, an unknown or unclosed `{{ }}` variable) or `status`
    /// (`answered`, which only a public reply makes).
    pub fn check(&self) -> Result<(), AppError> {
        let mut errors = Vec::new();
        let name = self.name.trim();
        if name.is_empty() || name.chars().count() > MACRO_NAME_MAX || name.chars().any(char::is_control) {
            errors.push(FieldError {
                field: "name".into(),
                message: format!("must be 1 to {MACRO_NAME_MAX} characters"),
            });
        }
        if let Err(invalid) = MessageBody::parse(&self.body) {
            errors.push(FieldError { field: "body".into(), message: invalid.rule.to_string() });
        } else if let Err(message) = check_variables(&self.body) {
            errors.push(FieldError { field: "body".into(), message });
        }
        if self.status == Some(Status::Answered) {
            errors.push(FieldError {
                field: "status".into(),
                message: "must be open, in_progress, resolved or closed (a public reply answers by itself)".into(),
            });
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(AppError::Validation(errors))
        }
    }
}

/// Every `{{ ... }}` of `body` names a known variable and is closed.
fn check_variables(body: &str) -> Result<(), String> {
    let mut rest = body;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let end = after.find("}}").ok_or_else(|| "has a {{ without its }}".to_owned())?;
        let name = after[..end].trim();
        if !MACRO_VARIABLES.contains(&name) {
            return Err(format!("uses {{{{{name}}}}}; the variables are {{{{ticket.number}}}}, {{{{customer.name}}}} and {{{{agent.name}}}}"));
        }
        rest = &after[end + 2..];
    }
    Ok(())
}

/// The values a macro's variables take on one ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MacroValues {
    /// `ticket.number`.
    pub ticket_number: i64,
    /// `customer.name`.
    pub customer_name: String,
    /// `agent.name`.
    pub agent_name: String,
}

/// `body` with its variables filled in (`{{ticket.number}}` and `{{ ticket.number }}` alike).
/// A variable that is not known stays as it is (a saved macro has none).
pub fn render_macro_body(body: &str, values: &MacroValues) -> String {
    let mut out = String::with_capacity(body.len());
    let mut rest = body;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            out.push_str(&rest[start..]);
            return out;
        };
        match after[..end].trim() {
            "ticket.number" => out.push_str(&values.ticket_number.to_string()),
            "customer.name" => out.push_str(&values.customer_name),
            "agent.name" => out.push_str(&values.agent_name),
            _ => out.push_str(&rest[start..start + 2 + end + 2]),
        }
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    out
}

impl App {
    /// The tenant's macros, by name (`tickets:read`: every agent may pick one).
    ///
    /// # Errors
    ///
    /// `Forbidden` without the permission.
    pub async fn list_macros(&self, principal: &Principal) -> Result<Vec<Macro>, AppError> {
        principal.require(Permission::TicketsRead)?;
        Ok(self.macros.list_macros(&principal.tenant).await?)
    }

    /// One macro of the tenant (`tickets:read`).
    ///
    /// # Errors
    ///
    /// `NotFound`, `Forbidden`.
    pub async fn get_macro(&self, principal: &Principal, id: Uuid) -> Result<Macro, AppError> {
        principal.require(Permission::TicketsRead)?;
        self.macros.macro_by_id(&principal.tenant, id).await?.ok_or(AppError::NotFound(Missing::Macro))
    }

    /// Adds a macro (`settings:manage`).
    ///
    /// # Errors
    ///
    /// `Validation` as [`MacroInput::check`]; `Forbidden`.
    #[instrument(skip_all, fields(tenant = %principal.tenant))]
    pub async fn create_macro(&self, principal: &Principal, input: MacroInput) -> Result<Macro, AppError> {
        principal.require(Permission::SettingsManage)?;
        input.check()?;
        self.ensure_tenant(&principal.tenant).await?;
        let now = self.clock.now();
        let created = Macro {
            id: self.ids.next_uuid(),
            tenant: principal.tenant.clone(),
            name: input.name.trim().to_owned(),
            body: input.body.trim().to_owned(),
            internal: input.internal,
            status: input.status,
            priority: input.priority,
            add_tags: input.add_tags,
            assign_to_self: input.assign_to_self,
            created_at: now,
            updated_at: now,
        };
        self.macros.insert_macro(&created).await?;
        Ok(created)
    }

    /// Changes a macro's fields (`settings:manage`).
    ///
    /// # Errors
    ///
    /// `NotFound`; `Validation` as [`MacroInput::check`]; `Forbidden`.
    #[instrument(skip_all, fields(tenant = %principal.tenant))]
    pub async fn update_macro(&self, principal: &Principal, id: Uuid, patch: MacroPatch) -> Result<Macro, AppError> {
        principal.require(Permission::SettingsManage)?;
        let current =
            self.macros.macro_by_id(&principal.tenant, id).await?.ok_or(AppError::NotFound(Missing::Macro))?;
        let input = MacroInput {
            name: patch.name.unwrap_or(current.name),
            body: patch.body.unwrap_or(current.body),
            internal: patch.internal.unwrap_or(current.internal),
            status: patch.status.unwrap_or(current.status),
            priority: patch.priority.unwrap_or(current.priority),
            add_tags: patch.add_tags.unwrap_or(current.add_tags),
            assign_to_self: patch.assign_to_self.unwrap_or(current.assign_to_self),
        };
        input.check()?;
        let updated = Macro {
            name: input.name.trim().to_owned(),
            body: input.body.trim().to_owned(),
            internal: input.internal,
            status: input.status,
            priority: input.priority,
            add_tags: input.add_tags,
            assign_to_self: input.assign_to_self,
            updated_at: self.clock.now(),
            ..current
        };
        self.macros.update_macro(&updated).await?;
        Ok(updated)
    }

    /// Deletes a macro (`settings:manage`).
    ///
    /// # Errors
    ///
    /// `NotFound`, `Forbidden`.
    pub async fn delete_macro(&self, principal: &Principal, id: Uuid) -> Result<(), AppError> {
        principal.require(Permission::SettingsManage)?;
        if self.macros.delete_macro(&principal.tenant, id).await? {
            Ok(())
        } else {
            Err(AppError::NotFound(Missing::Macro))
        }
    }

    /// Applies a macro to a ticket in one transaction: its rendered body as a reply or a
    /// note, then its status, priority, added tags and assignment to the calling agent
    /// (`tickets:reply`; `tickets:update` too when it changes the status, the priority or
    /// the tags, and `tickets:assign` when it assigns). With `idempotency`, a retry returns
    /// the first message and changes nothing.
    ///
    /// # Errors
    ///
    /// `NotFound` for an unknown macro or ticket, and (`Assignee`) for a macro that assigns
    /// applied by a caller that is not an active agent (an API key); `Forbidden`;
    /// `PreconditionFailed`;
    /// `TicketClosed` for a public reply to a closed ticket; `InvalidTransition`;
    /// `Validation` when the rendered body is too long or the tags too many;
    /// `IdempotencyKeyReused`.
    #[instrument(skip_all, fields(tenant = %principal.tenant))]
    pub async fn apply_macro(
        &self,
        principal: &Principal,
        ticket: TicketRef,
        macro_id: Uuid,
        expected_version: Option<i64>,
        idempotency: Option<Idempotency>,
    ) -> Result<Outcome<ReplyResult>, AppError> {
        principal.require(Permission::TicketsReply)?;
        let chosen = self.get_macro(principal, macro_id).await?;
        if chosen.status.is_some() || chosen.priority.is_some() || !chosen.add_tags.is_empty() {
            principal.require(Permission::TicketsUpdate)?;
        }
        // A stored, active agent; an API key acts under its own name and cannot be assigned.
        let agent =
            self.accounts.agent(&principal.tenant, AgentId::from_uuid(principal.id)).await?.filter(|a| a.active);
        let agent_name = agent.as_ref().map_or_else(|| principal.actor().name, |a| a.name.to_string());
        let assign_to = if chosen.assign_to_self {
            principal.require(Permission::TicketsAssign)?;
            let agent = agent.ok_or(AppError::NotFound(Missing::Assignee))?;
            Some((agent.id, agent_name.clone()))
        } else {
            None
        };
        let current =
            self.tickets.load_ticket(&principal.tenant, ticket).await?.ok_or(AppError::NotFound(Missing::Ticket))?;
        let customer = self.accounts.customer(&principal.tenant, current.customer_id).await?;
        let customer_name = customer.map(|c| c.name.to_string()).unwrap_or_default();
        let customer_id: CustomerId = current.customer_id;
        let values = MacroValues { ticket_number: current.number.get(), customer_name, agent_name };
        let body = MessageBody::parse(&render_macro_body(&chosen.body, &values)).map_err(|e| e.for_field("body"))?;
        let actions = MacroActions {
            body,
            internal: chosen.internal,
            status: chosen.status,
            priority: chosen.priority,
            add_tags: chosen.add_tags.clone(),
            assign_to,
        };
        tracing::debug!(customer.id = %customer_id, r#macro = %chosen.id, "applying a macro");
        self.reply(principal, TicketRef::Id(current.id), expected_version, idempotency, move |t, ctx| {
            t.apply_macro(ctx, actions.clone()).map(Some)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values() -> MacroValues {
        MacroValues { ticket_number: 42, customer_name: "Alex".into(), agent_name: "Sam".into() }
    }

    #[test]
    fn variables_are_filled_with_or_without_spaces() {
        let body = "Hi {{customer.name}}, about #{{ ticket.number }}: done. {{ agent.name }}";
        assert_eq!(render_macro_body(body, &values()), "Hi Alex, about #42: done. Sam");
        assert_eq!(render_macro_body("no variables", &values()), "no variables");
        assert_eq!(render_macro_body("{{ other }} and {{", &values()), "{{ other }} and {{");
    }

    #[test]
    fn unknown_or_unclosed_variables_are_refused_when_saved() {
        assert!(check_variables("Hi {{customer.name}} {{ agent.name }} #{{ticket.number}}").is_ok());
        assert!(check_variables("{{ customer.email }}").is_err());
        assert!(check_variables("Hello {{ customer.name").is_err());
        assert!(check_variables("{{}}").is_err());
    }
}
