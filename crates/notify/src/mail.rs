//! Notification mail: [`SmtpMailer`] sends through SMTP with `lettre` (plain-text and HTML
//! parts, threading headers), and [`SandboxedRenderer`] renders templates with `minijinja`:
//! no loader (a template cannot include files), a fuel limit (no template can loop
//! forever), HTML auto-escaping in the HTML part only, and undefined values are errors.

use async_trait::async_trait;
use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use minijinja::{context, AutoEscape, Environment, UndefinedBehavior};
use supportdesk_app::{MailContext, MailTemplate, Mailer, OutgoingMail, RenderedMail, TemplateRenderer};

/// How much work one rendering may do (minijinja fuel units).
const FUEL: u64 = 50_000;

/// Renders templates in a sandbox.
#[derive(Debug, Clone, Copy, Default)]
pub struct SandboxedRenderer;

impl SandboxedRenderer {
    fn env(html: bool) -> Environment<'static> {
        let mut env = Environment::new();
        env.set_fuel(Some(FUEL));
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_auto_escape_callback(move |_| if html { AutoEscape::Html } else { AutoEscape::None });
        env
    }

    fn one(html: bool, source: &str, context: &MailContext) -> Result<String, String> {
        let env = Self::env(html);
        let ctx = context! {
            tenant => context.tenant,
            ticket => context! {
                number => context.ticket_number,
                subject => context.ticket_subject,
                status => context.ticket_status,
                priority => context.ticket_priority,
                url => context.ticket_url,
            },
            customer => context! { name => context.customer_name },
            actor => context! { name => context.actor_name },
            message => context! { body => context.message_body },
            resolution_note => context.resolution_note,
        };
        env.render_str(source, ctx).map_err(|e| e.to_string())
    }
}

impl TemplateRenderer for SandboxedRenderer {
    fn render(&self, template: &MailTemplate, context: &MailContext) -> Result<RenderedMail, String> {
        let subject = Self::one(false, &template.subject, context).map_err(|e| format!("subject: {e}"))?;
        Ok(RenderedMail {
            // A subject is one line, whatever the template or the values hold.
            subject: subject.split_whitespace().collect::<Vec<_>>().join(" "),
            text: Self::one(false, &template.text, context).map_err(|e| format!("text: {e}"))?,
            html: Self::one(true, &template.html, context).map_err(|e| format!("html: {e}"))?,
        })
    }
}

/// Sends mail through an SMTP server.
#[derive(Clone)]
pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl std::fmt::Debug for SmtpMailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpMailer").field("from", &self.from.to_string()).finish_non_exhaustive()
    }
}

impl SmtpMailer {
    /// A mailer for `url` (`smtp://host:port`, `smtps://...`, `smtp://...?tls=required`,
    /// credentials as `user:password@`) sending as `from`.
    ///
    /// # Errors
    ///
    /// When the URL or the address does not parse.
    pub fn new(url: &str, from: &str) -> Result<Self, String> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| format!("not an SMTP URL: {e}"))?
            .timeout(Some(std::time::Duration::from_secs(30)))
            .build();
        let from: Mailbox = from.parse().map_err(|e| format!("not a mail address: {e}"))?;
        Ok(Self { transport, from })
    }
}

/// A raw header the builder has no type for.
fn raw_header(name: &'static str, value: String) -> HeaderValue {
    HeaderValue::new(HeaderName::new_from_ascii_str(name), value)
}

#[async_trait]
impl Mailer for SmtpMailer {
    async fn send(&self, mail: &OutgoingMail) -> Result<(), String> {
        let to: Mailbox = mail.to.as_str().parse().map_err(|e| format!("recipient: {e}"))?;
        let mut builder = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(mail.content.subject.clone())
            .message_id(Some(format!("<{}>", mail.message_id)));
        if let Some(root) = &mail.thread_root {
            builder = builder.in_reply_to(format!("<{root}>")).references(format!("<{root}>"));
        }
        let mut message = builder
            .multipart(MultiPart::alternative_plain_html(mail.content.text.clone(), mail.content.html.clone()))
            .map_err(|e| format!("cannot build the mail: {e}"))?;
        message.headers_mut().insert_raw(raw_header("Auto-Submitted", "auto-generated".into()));
        self.transport.send(message).await.map(|_| ()).map_err(|e| format!("SMTP: {e}"))
    }

    fn domain(&self) -> String {
        self.from.email.domain().to_owned()
    }
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used, reason = "tests")]

    use supportdesk_app::NotificationKind;

    use super::*;

    #[test]
    fn every_default_template_renders_and_html_values_are_escaped() {
        let mut context = MailContext::sample();
        context.message_body = "<script>alert(1)</script>".into();
        for kind in NotificationKind::ALL {
            let mail = SandboxedRenderer.render(&kind.default_template(), &context).unwrap();
            assert!(mail.subject.contains("42"), "{kind:?}: {}", mail.subject);
            assert!(!mail.html.contains("<script>"), "{kind:?}");
        }
        let resolved =
            SandboxedRenderer.render(&NotificationKind::TicketResolved.default_template(), &context).unwrap();
        assert!(resolved.text.contains("https://desk.example.com/portal/tickets/42"), "{}", resolved.text);
        // HTML escaping writes `/` as `&#x2f;`, which a browser decodes back in an attribute.
        let href = "href=\"https:&#x2f;&#x2f;desk.example.com&#x2f;portal&#x2f;tickets&#x2f;42\"";
        assert!(resolved.html.contains(href), "{}", resolved.html);
        let created = SandboxedRenderer.render(&NotificationKind::TicketCreated.default_template(), &context).unwrap();
        assert!(created.text.contains("<script>"), "the text part is not HTML");
    }

    #[test]
    fn a_template_that_loops_forever_includes_files_or_names_nothing_fails() {
        let context = MailContext::sample();
        for bad in [
            "{% for a in range(100000) %}{% for b in range(100000) %}x{% endfor %}{% endfor %}",
            "{% include '/etc/passwd' %}",
            "{{ nothing.here }}",
            "{{ unclosed",
        ] {
            let template = MailTemplate {
                kind: NotificationKind::AgentReply,
                subject: "s".into(),
                text: bad.into(),
                html: "h".into(),
            };
            assert!(SandboxedRenderer.render(&template, &context).is_err(), "{bad}");
        }
    }
}
