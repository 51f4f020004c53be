//! Notification settings and templates, as the API shows them.

use serde::{Deserialize, Serialize};
use supportdesk_app::{AppError, FieldError, MailSettings, MailTemplate, NotificationKind};
use supportdesk_domain::Email;
use utoipa::ToSchema;

/// The tenant's notification settings: each kind on or off, and the tenant's address.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct NotificationSettingsBody {
    /// Mail the customer when their ticket is opened (with its number).
    pub ticket_created: bool,
    /// Mail the customer on a public agent reply.
    pub agent_reply: bool,
    /// Mail the customer when the ticket is resolved.
    pub ticket_resolved: bool,
    /// Mail the assignee when the customer replies.
    pub customer_reply: bool,
    /// Mail `tenantAddress` on every new ticket.
    pub new_ticket: bool,
    /// Where `newTicket` mails go.
    #[schema(value_type = Option<String>, example = "support@shop.example")]
    pub tenant_address: Option<String>,
}

impl From<&MailSettings> for NotificationSettingsBody {
    fn from(s: &MailSettings) -> Self {
        let on = |k| s.enabled.contains(&k);
        Self {
            ticket_created: on(NotificationKind::TicketCreated),
            agent_reply: on(NotificationKind::AgentReply),
            ticket_resolved: on(NotificationKind::TicketResolved),
            customer_reply: on(NotificationKind::CustomerReply),
            new_ticket: on(NotificationKind::NewTicket),
            tenant_address: s.tenant_address.as_ref().map(ToString::to_string),
        }
    }
}

impl NotificationSettingsBody {
    /// The settings.
    ///
    /// # Errors
    ///
    /// `Validation` for a bad address.
    pub fn try_into_domain(self) -> Result<MailSettings, AppError> {
        let tenant_address = self
            .tenant_address
            .as_deref()
            .filter(|a| !a.trim().is_empty())
            .map(Email::parse)
            .transpose()
            .map_err(|e| {
                AppError::Validation(vec![FieldError { field: "tenantAddress".into(), message: e.rule.to_string() }])
            })?;
        let enabled = [
            (self.ticket_created, NotificationKind::TicketCreated),
            (self.agent_reply, NotificationKind::AgentReply),
            (self.ticket_resolved, NotificationKind::TicketResolved),
            (self.customer_reply, NotificationKind::CustomerReply),
            (self.new_ticket, NotificationKind::NewTicket),
        ]
        .into_iter()
        .filter_map(|(on, kind)| on.then_some(kind))
        .collect();
        Ok(MailSettings { enabled, tenant_address })
    }
}

/// A notification template: minijinja syntax, rendered sandboxed. Values: `tenant`,
/// `ticket.number`, `ticket.subject`, `ticket.status`, `ticket.priority`, `customer.name`,
/// `actor.name`, `message.body`, `resolution_note`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct NotificationTemplateBody {
    /// The subject (one line after rendering).
    #[schema(example = "[#{{ ticket.number }}] {{ ticket.subject }}")]
    pub subject: String,
    /// The plain-text part.
    pub text: String,
    /// The HTML part (values are HTML-escaped).
    pub html: String,
}

impl NotificationTemplateBody {
    /// The template of `kind`.
    ///
    /// # Errors
    ///
    /// `Validation` for an empty or oversized part.
    pub fn try_into_domain(self, kind: NotificationKind) -> Result<MailTemplate, AppError> {
        MailTemplate::from_parts(kind, self.subject, self.text, self.html)
    }
}

impl From<&MailTemplate> for NotificationTemplateBody {
    fn from(t: &MailTemplate) -> Self {
        Self { subject: t.subject.clone(), text: t.text.clone(), html: t.html.clone() }
    }
}
