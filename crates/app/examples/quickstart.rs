//! Embeds supportdesk with the in-memory store: a customer opens a ticket, an agent replies
//! and resolves it in one step, and the audit trail is printed.
//!
//! `cargo run -p supportdesk-app --example quickstart`

#![expect(clippy::print_stdout, reason = "an example prints what it does")]

use std::error::Error;
use std::sync::Arc;

use supportdesk_app::{AgentReplyInput, App, CategoryKey, OpenTicketInput, Password, Principal};
use supportdesk_domain::{Description, Email, MessageBody, PersonName, ResolutionNote, Status, TenantKey, TicketRef};
use supportdesk_store_memory::MemoryStore;

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let app = App::builder(Arc::new(MemoryStore::new())).build();
    let tenant = TenantKey::default();

    // An admin account, as `supportdesk admin create` would make it.
    let admin = app
        .create_admin(
            &tenant,
            Email::parse("ada@shop.example")?,
            Password::parse("a long admin password")?,
            PersonName::parse("Ada")?,
        )
        .await?;
    let agent = Principal::admin(tenant.clone(), admin.id.as_uuid()).named("Ada");

    // A customer known from the shop's own token: provisioned on first use.
    let customer = Principal::customer(tenant.clone(), uuid::Uuid::now_v7()).named("Alex");
    let mut input = OpenTicketInput::new(
        CategoryKey::parse("order")?,
        Description::parse("My parcel never arrived. It was due on Monday, order 1042.")?,
    );
    input.order_id = Some(supportdesk_domain::ExternalRef::parse("1042")?);
    let opened = app.open_ticket(&customer, input, None).await?.value;
    let ticket = &opened.summary.ticket;
    println!("opened {} \"{}\" ({})", ticket.number, ticket.subject, ticket.status);

    let reply = AgentReplyInput {
        body: MessageBody::parse("Sorry about that, Alex! A replacement is on its way.")?,
        internal: false,
        attachments: vec![],
        status: Some(Status::Resolved),
        resolution_note: Some(ResolutionNote::parse("Replacement shipped")?),
    };
    let replied = app.agent_reply(&agent, TicketRef::Number(ticket.number), reply, None, None).await?.value;
    println!("replied as {} -> status {}", replied.message.author.name, replied.status);

    println!("audit trail:");
    for event in app.ticket_events(&agent, TicketRef::Id(ticket.id)).await? {
        println!("  {}  {:<15} by {}", event.created_at, event.data.kind(), event.actor.name);
    }
    Ok(())
}
