//! Email notifications: which events mail whom (the rules), per-tenant settings and
//! editable templates, and the use cases that send them from the same outbox as webhooks,
//! with the same retries. Rendering (sandboxed templates) and SMTP are ports, implemented in
//! the `notify` crate.

use std::sync::Arc;

use async_trait::async_trait;
use supportdesk_domain::{Email, EventData, Permission, Status, TenantKey, TicketRef};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::auth::Principal;
use crate::error::{AppError, FieldError};
use crate::feed::FeedEvent;
use crate::webhooks::{next_attempt, DeliveryStatus};
use crate::App;

/// A kind of notification mail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NotificationKind {
    /// To the customer, when their ticket was opened (with its number).
    TicketCreated,
    /// To the customer, on a public agent reply (with the reply).
    AgentReply,
    /// To the customer, when the ticket was resolved.
    TicketResolved,
    /// To the assignee, when the customer replied.
    CustomerReply,
    /// To the tenant's address, on every new ticket.
    NewTicket,
}

impl NotificationKind {
    /// Every kind.
    pub const ALL: [NotificationKind; 5] = [
        NotificationKind::TicketCreated,
        NotificationKind::AgentReply,
        NotificationKind::TicketResolved,
        NotificationKind::CustomerReply,
        NotificationKind::NewTicket,
    ];

    /// Its wire name.
    pub const fn as_str(self) -> &'static str {
        match self {
            NotificationKind::TicketCreated => "ticket_created",
            NotificationKind::AgentReply => "agent_reply",
            NotificationKind::TicketResolved => "ticket_resolved",
            NotificationKind::CustomerReply => "customer_reply",
            NotificationKind::NewTicket => "new_ticket",
        }
    }

    /// Reads a wire name.
    ///
    /// # Errors
    ///
    /// A [`FieldError`] on `kind`.
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        Self::ALL.into_iter().find(|k| k.as_str() == raw).ok_or_else(|| FieldError {
            field: "kind".into(),
            message: "must be one of ticket_created, agent_reply, ticket_resolved, customer_reply, new_ticket".into(),
        })
    }

    /// The template a tenant starts with.
    pub fn default_template(self) -> MailTemplate {
        let (subject, text, html) = match self {
            NotificationKind::TicketCreated => (
                "[#{{ ticket.number }}] We received your request: {{ ticket.subject }}",
                "Hello {{ customer.name }},\n\nwe received your request and gave it the number {{ ticket.number }}.\nReply to this mail to add to it.\n\n{{ message.body }}\n",
                "<p>Hello {{ customer.name }},</p><p>we received your request and gave it the number <b>{{ ticket.number }}</b>. Reply to this mail to add to it.</p><blockquote>{{ message.body }}</blockquote>",
            ),
            NotificationKind::AgentReply => (
                "[#{{ ticket.number }}] {{ ticket.subject }}",
                "Hello {{ customer.name }},\n\n{{ actor.name }} replied:\n\n{{ message.body }}\n",
                "<p>Hello {{ customer.name }},</p><p>{{ actor.name }} replied:</p><blockquote>{{ message.body }}</blockquote>",
            ),
            NotificationKind::TicketResolved => (
                "[#{{ ticket.number }}] Resolved: {{ ticket.subject }}",
                "Hello {{ customer.name }},\n\nyour request {{ ticket.number }} was resolved.{% if resolution_note %}\n\n{{ resolution_note }}{% endif %}\nReply to this mail if something is still missing.\n\nHow did we do? Rate our help: {{ ticket.url }}\n",
                "<p>Hello {{ customer.name }},</p><p>your request <b>{{ ticket.number }}</b> was resolved.</p>{% if resolution_note %}<p>{{ resolution_note }}</p>{% endif %}<p>Reply to this mail if something is still missing.</p><p>How did we do? <a href=\"{{ ticket.url }}\">Rate our help</a></p>",
            ),
            NotificationKind::CustomerReply => (
                "[#{{ ticket.number }}] Customer reply: {{ ticket.subject }}",
                "{{ customer.name }} replied on ticket {{ ticket.number }}:\n\n{{ message.body }}\n",
                "<p>{{ customer.name }} replied on ticket <b>{{ ticket.number }}</b>:</p><blockquote>{{ message.body }}</blockquote>",
            ),
            NotificationKind::NewTicket => (
                "[#{{ ticket.number }}] New ticket: {{ ticket.subject }}",
                "{{ customer.name }} opened ticket {{ ticket.number }} ({{ ticket.priority }}):\n\n{{ message.body }}\n",
                "<p>{{ customer.name }} opened ticket <b>{{ ticket.number }}</b> ({{ ticket.priority }}):</p><blockquote>{{ message.body }}</blockquote>",
            ),
        };
        MailTemplate { kind: self, subject: subject.into(), text: text.into(), html: html.into() }
    }
}

/// A tenant's notification settings: which kinds are sent, and the tenant's own address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailSettings {
    /// The kinds sent.
    pub enabled: Vec<NotificationKind>,
    /// Where `new_ticket` mails go (none: not sent).
    pub tenant_address: Option<Email>,
}

impl Default for MailSettings {
    fn default() -> Self {
        Self { enabled: NotificationKind::ALL.to_vec(), tenant_address: None }
    }
}

/// A tenant's template of one kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailTemplate {
    /// The kind.
    pub kind: NotificationKind,
    /// The subject template.
    pub subject: String,
    /// The plain-text part's template.
    pub text: String,
    /// The HTML part's template (values are HTML-escaped).
    pub html: String,
}

impl MailTemplate {
    /// A template of `kind` from its three parts as an admin typed them.
    ///
    /// # Errors
    ///
    /// `Validation` for an empty part, or one longer than 500 (subject), 20,000 (text) or
    /// 50,000 (HTML) characters.
    pub fn from_parts(kind: NotificationKind, subject: String, text: String, html: String) -> Result<Self, AppError> {
        let mut errors = Vec::new();
        for (field, value, max) in [("subject", &subject, 500), ("text", &text, 20_000), ("html", &html, 50_000)] {
            if value.trim().is_empty() || value.chars().count() > max {
                errors.push(FieldError { field: field.into(), message: format!("must be 1 to {max} characters") });
            }
        }
        if !errors.is_empty() {
            return Err(AppError::Validation(errors));
        }
        Ok(MailTemplate { kind, subject, text, html })
    }
}

/// What a template sees. Every value is text.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MailContext {
    /// `tenant`.
    pub tenant: String,
    /// `ticket.number`.
    pub ticket_number: i64,
    /// `ticket.subject`.
    pub ticket_subject: String,
    /// `ticket.status`.
    pub ticket_status: String,
    /// `ticket.priority`.
    pub ticket_priority: String,
    /// `ticket.url`: the ticket's page in the customer portal, where the customer reads
    /// the thread and rates a resolution (absolute with `SUPPORTDESK_PUBLIC_URL`, else the
    /// path alone).
    pub ticket_url: String,
    /// `customer.name`.
    pub customer_name: String,
    /// `actor.name`.
    pub actor_name: String,
    /// `message.body` (empty when the event has none).
    pub message_body: String,
    /// `resolution_note` (empty when none).
    pub resolution_note: String,
}

impl MailContext {
    /// A context with sample values, to check a template before it is saved.
    pub fn sample() -> Self {
        Self {
            tenant: "default".into(),
            ticket_number: 42,
            ticket_subject: "Parcel not received".into(),
            ticket_status: "open".into(),
            ticket_priority: "normal".into(),
            ticket_url: "https://desk.example.com/portal/tickets/42".into(),
            customer_name: "Alex".into(),
            actor_name: "Ada".into(),
            message_body: "My parcel never arrived.".into(),
            resolution_note: String::new(),
        }
    }
}

/// A rendered mail's three parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedMail {
    /// Subject (one line).
    pub subject: String,
    /// Plain text.
    pub text: String,
    /// HTML.
    pub html: String,
}

/// One mail to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingMail {
    /// The recipient.
    pub to: Email,
    /// The parts.
    pub content: RenderedMail,
    /// `Message-ID` (without angle brackets): `ticket-<id>@…` for the first mail of a ticket,
    /// `ticket-<id>-<event>-<kind>@…` for the others.
    pub message_id: String,
    /// `In-Reply-To` and `References`: the ticket's first mail, for all but it.
    pub thread_root: Option<String>,
}

/// Renders templates, sandboxed (no file or network access, bounded work).
pub trait TemplateRenderer: Send + Sync {
    /// The template's parts with `context`.
    ///
    /// # Errors
    ///
    /// Why it does not render, in words an admin can act on.
    fn render(&self, template: &MailTemplate, context: &MailContext) -> Result<RenderedMail, String>;
}

/// Sends mail (SMTP in the server).
#[async_trait]
pub trait Mailer: Send + Sync {
    /// Sends one mail.
    ///
    /// # Errors
    ///
    /// Why it was not accepted (then it is retried).
    async fn send(&self, mail: &OutgoingMail) -> Result<(), String>;

    /// The domain of the sender address, for `Message-ID`s.
    fn domain(&self) -> String;
}

/// One event's mails, to be sent (attempts and outcome as for a webhook delivery).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailDelivery {
    /// Its id.
    pub id: Uuid,
    /// Its tenant.
    pub tenant: TenantKey,
    /// The event.
    pub event_id: Uuid,
    /// Attempts made.
    pub attempts: i32,
    /// Where it stands.
    pub status: DeliveryStatus,
    /// Why the last attempt failed.
    pub error: Option<String>,
    /// When it is tried next.
    pub next_attempt_at: Option<OffsetDateTime>,
    /// When it was queued.
    pub created_at: OffsetDateTime,
}

/// A claimed mail delivery with its event.
#[derive(Debug, Clone)]
pub struct ClaimedMail {
    /// The delivery.
    pub delivery: MailDelivery,
    /// The event.
    pub event: FeedEvent,
}

/// The event kinds that can make mail.
pub const MAIL_EVENT_KINDS: [&str; 3] = ["created", "message_added", "status_changed"];

/// The mail parts of the app.
pub(crate) struct MailParts {
    pub(crate) mailer: Arc<dyn Mailer>,
    pub(crate) renderer: Arc<dyn TemplateRenderer>,
}

/// Which notification kinds an event makes, by the rules of api-v1.1.md.
pub fn notification_kinds(event: &FeedEvent) -> Vec<NotificationKind> {
    let Some(event) = event.ticket_event() else { return Vec::new() };
    match &event.event.data {
        EventData::Created { .. } => vec![NotificationKind::TicketCreated, NotificationKind::NewTicket],
        EventData::MessageAdded { .. } => {
            let by_customer = event.event.actor.is_customer(event.ticket.customer_id);
            if event.event.actor.is_agent() {
                vec![NotificationKind::AgentReply]
            } else if by_customer && event.ticket.version > 1 && event.ticket.assignee_id.is_some() {
                vec![NotificationKind::CustomerReply]
            } else {
                Vec::new()
            }
        }
        EventData::StatusChanged { to: Status::Resolved, .. } => vec![NotificationKind::TicketResolved],
        _ => Vec::new(),
    }
}

impl App {
    fn mail_parts(&self) -> Result<&MailParts, AppError> {
        self.mail_parts.as_ref().ok_or_else(|| AppError::Internal("mail is not configured in this process".into()))
    }

    /// The tenant's notification settings (permission `settings:manage`).
    ///
    /// # Errors
    ///
    /// `Forbidden`.
    pub async fn mail_settings(&self, principal: &Principal) -> Result<MailSettings, AppError> {
        principal.require(Permission::SettingsManage)?;
        Ok(self.mail.mail_settings(&principal.tenant).await?.unwrap_or_default())
    }

    /// Replaces the tenant's notification settings.
    ///
    /// # Errors
    ///
    /// `Forbidden`.
    pub async fn save_mail_settings(
        &self,
        principal: &Principal,
        settings: MailSettings,
    ) -> Result<MailSettings, AppError> {
        principal.require(Permission::SettingsManage)?;
        self.mail.save_mail_settings(&principal.tenant, &settings).await?;
        Ok(settings)
    }

    /// The tenant's template of `kind` (the default until edited).
    ///
    /// # Errors
    ///
    /// `Forbidden`.
    pub async fn mail_template(&self, principal: &Principal, kind: NotificationKind) -> Result<MailTemplate, AppError> {
        principal.require(Permission::SettingsManage)?;
        Ok(self.mail.mail_template(&principal.tenant, kind).await?.unwrap_or_else(|| kind.default_template()))
    }

    /// Renders a template with sample values ([`MailContext::sample`]) by the renderer the
    /// mailer uses, without saving it: what the console's preview shows.
    ///
    /// # Errors
    ///
    /// `Forbidden`; `Validation` on `template` when it does not render.
    pub fn preview_mail_template(
        &self,
        principal: &Principal,
        template: &MailTemplate,
    ) -> Result<RenderedMail, AppError> {
        principal.require(Permission::SettingsManage)?;
        let parts = self.mail_parts()?;
        parts
            .renderer
            .render(template, &MailContext::sample())
            .map_err(|message| AppError::Validation(vec![FieldError { field: "template".into(), message }]))
    }

    /// Saves a template after rendering it with sample values.
    ///
    /// # Errors
    ///
    /// `Forbidden`; `Validation` when it does not render.
    pub async fn save_mail_template(
        &self,
        principal: &Principal,
        template: MailTemplate,
    ) -> Result<MailTemplate, AppError> {
        self.preview_mail_template(principal, &template)?;
        self.mail.save_mail_template(&principal.tenant, &template).await?;
        Ok(template)
    }

    /// How many mails are pending, of every tenant: due, being sent, or waiting for a retry
    /// (the mail worker's queue depth, for monitoring).
    ///
    /// # Errors
    ///
    /// `Internal` when the store fails.
    pub async fn pending_mail(&self) -> Result<u64, AppError> {
        Ok(self.mail.pending_mail().await?)
    }

    /// Queues the mail of newly settled events; returns how many.
    ///
    /// # Errors
    ///
    /// `Internal` when the store fails.
    pub async fn fan_out_mail(&self, limit: usize) -> Result<usize, AppError> {
        Ok(self.mail.fan_out_mail(self.clock.now(), &MAIL_EVENT_KINDS, limit).await?)
    }

    /// Claims due mail deliveries, renders and sends their mails, records each outcome
    /// (retried on the webhook schedule); returns how many were attempted.
    ///
    /// # Errors
    ///
    /// `Internal` when the store fails.
    pub async fn deliver_mail(&self, limit: usize) -> Result<usize, AppError> {
        let parts = self.mail_parts()?;
        let now = self.clock.now();
        let lease_until = now + std::time::Duration::from_secs(120);
        let claimed = self.mail.claim_mail(now, lease_until, limit).await?;
        let count = claimed.len();
        for claim in claimed {
            let outcome = self.send_mails(parts, &claim.event).await;
            let mut delivery = claim.delivery;
            delivery.attempts += 1;
            match outcome {
                Ok(()) => {
                    delivery.status = DeliveryStatus::Succeeded;
                    delivery.error = None;
                    delivery.next_attempt_at = None;
                }
                Err(error) => {
                    tracing::info!(delivery.id = %delivery.id, attempts = delivery.attempts, error = %error, "mail not sent");
                    delivery.error = Some(error);
                    delivery.next_attempt_at =
                        next_attempt(&crate::webhooks::RETRY_SCHEDULE, delivery.attempts, self.clock.now());
                    delivery.status = if delivery.next_attempt_at.is_some() {
                        DeliveryStatus::Pending
                    } else {
                        DeliveryStatus::Failed
                    };
                }
            }
            self.mail.record_mail_attempt(&delivery).await?;
        }
        Ok(count)
    }

    /// Renders and sends every mail one event makes.
    async fn send_mails(&self, parts: &MailParts, event: &FeedEvent) -> Result<(), String> {
        let kinds = notification_kinds(event);
        let tenant = &event.tenant;
        let Some(event) = event.ticket_event().filter(|_| !kinds.is_empty()) else { return Ok(()) };
        let settings = self.mail.mail_settings(tenant).await.map_err(|e| e.to_string())?.unwrap_or_default();
        let customer = self.accounts.customer(tenant, event.ticket.customer_id).await.map_err(|e| e.to_string())?;
        let context = MailContext {
            tenant: tenant.to_string(),
            ticket_number: event.ticket.number.get(),
            ticket_subject: event.ticket.subject.to_string(),
            ticket_status: event.ticket.status.as_str().into(),
            ticket_priority: event.ticket.priority.as_str().into(),
            ticket_url: self.portal_ticket_url(event.ticket.number.get()),
            customer_name: customer.as_ref().map(|c| c.name.to_string()).unwrap_or_default(),
            actor_name: event.event.actor.name.clone(),
            message_body: match (&event.message, &event.event.data) {
                (Some(message), _) => message.body.to_string(),
                // A new ticket's mail shows its description: the first message.
                (None, EventData::Created { .. }) => self
                    .tickets
                    .ticket_view(tenant, TicketRef::Id(event.ticket.id), crate::model::Visibility::Staff)
                    .await
                    .map_err(|e| e.to_string())?
                    .and_then(|view| view.messages.first().map(|m| m.body.to_string()))
                    .unwrap_or_default(),
                (None, _) => String::new(),
            },
            resolution_note: match &event.event.data {
                EventData::StatusChanged { resolution_note: Some(note), .. } => note.clone(),
                _ => String::new(),
            },
        };
        let domain = parts.mailer.domain();
        let root = format!("ticket-{}@{domain}", event.ticket.id);
        for kind in kinds.into_iter().filter(|k| settings.enabled.contains(k)) {
            let to = match kind {
                NotificationKind::TicketCreated | NotificationKind::AgentReply | NotificationKind::TicketResolved => {
                    customer.as_ref().and_then(|c| c.email.clone())
                }
                NotificationKind::CustomerReply => match event.ticket.assignee_id {
                    Some(id) => self.accounts.agent(tenant, id).await.map_err(|e| e.to_string())?.map(|a| a.email),
                    None => None,
                },
                NotificationKind::NewTicket => settings.tenant_address.clone(),
            };
            let Some(to) = to else { continue };
            let template = self
                .mail
                .mail_template(tenant, kind)
                .await
                .map_err(|e| e.to_string())?
                .unwrap_or_else(|| kind.default_template());
            let content = parts.renderer.render(&template, &context)?;
            let first = kind == NotificationKind::TicketCreated;
            let mail = OutgoingMail {
                to,
                content,
                message_id: if first {
                    root.clone()
                } else {
                    format!("ticket-{}-{}-{}@{domain}", event.ticket.id, event.event.id, kind.as_str())
                },
                thread_root: if first { None } else { Some(root.clone()) },
            };
            parts.mailer.send(&mail).await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_template_part_that_is_blank_or_too_long_is_refused_by_name() {
        let kind = NotificationKind::AgentReply;
        assert!(MailTemplate::from_parts(kind, "s".into(), "t".into(), "h".into()).is_ok());
        let Err(AppError::Validation(fields)) =
            MailTemplate::from_parts(kind, "  ".into(), "t".repeat(20_001), "h".into())
        else {
            panic!("a blank subject and an oversized text are refused");
        };
        let named: Vec<&str> = fields.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(named, ["subject", "text"]);
    }
}
