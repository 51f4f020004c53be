//! A small world for the contract cases: an app over the store under test, two tenants,
//! customers and agents, and helpers that open tickets the short way.

use std::sync::Arc;

use supportdesk_domain::{
    AgentId, CustomerId, Description, Email, ExternalRef, Permission, PersonName, Source, Status, TenantKey,
};
use uuid::Uuid;

use crate::{App, AppError, Argon2Hasher, CategoryKey, OpenTicketInput, Password, Principal, Store, TicketView};

/// An app over the store under test, with people in two tenants.
pub struct World<S> {
    /// The adapter under test.
    pub store: Arc<S>,
    /// The use cases over it.
    pub app: App,
    /// Tenant `alpha`.
    pub alpha: TenantKey,
    /// Tenant `beta`.
    pub beta: TenantKey,
    /// A customer of alpha.
    pub alex: Principal,
    /// Another customer of alpha.
    pub blake: Principal,
    /// A customer of beta.
    pub casey: Principal,
    /// An admin of alpha (a stored agent, so it can be assigned).
    pub admin: Principal,
    /// An agent of alpha with the default permissions (stored).
    pub sam: Principal,
    /// An admin of beta.
    pub beta_admin: Principal,
}

impl<S: Store + 'static> World<S> {
    /// Builds the world: tenants, customers and agents exist when it returns.
    ///
    /// # Panics
    ///
    /// When the store fails to set it up: the case cannot run.
    #[expect(clippy::expect_used, reason = "a contract case cannot run without its world")]
    pub async fn new(store: Arc<S>) -> Self {
        let hasher = argon2::Params::new(1024, 1, 1, None)
            .ok()
            .and_then(|params| Argon2Hasher::with_params(params, 8).ok())
            .expect("cheap argon2 parameters");
        let app = App::builder(store.clone()).hasher(Arc::new(hasher)).build();
        let alpha = TenantKey::parse("alpha").expect("tenant");
        let beta = TenantKey::parse("beta").expect("tenant");
        let customer = |tenant: &TenantKey, name: &str| {
            let mut p = Principal::customer(tenant.clone(), Uuid::now_v7()).named(name);
            p.email = Email::parse(&format!("{}@example.com", name.to_lowercase())).ok();
            p
        };
        let alex = customer(&alpha, "Alex");
        let blake = customer(&alpha, "Blake");
        let casey = customer(&beta, "Casey");
        for c in [&alex, &blake, &casey] {
            app.provision_customer(c).await.expect("provision customer");
        }
        let password = Password::parse("correct horse battery").expect("password");
        let admin_agent = app
            .create_admin(
                &alpha,
                Email::parse("admin@alpha.example").expect("email"),
                password.clone(),
                PersonName::parse("Ada Admin").expect("name"),
            )
            .await
            .expect("admin");
        let admin = Principal::admin(alpha.clone(), admin_agent.id.as_uuid()).named("Ada Admin");
        let sam_agent = app
            .create_agent(
                &admin,
                crate::NewAgent {
                    email: Email::parse("sam@alpha.example").expect("email"),
                    name: PersonName::parse("Sam Agent").expect("name"),
                    password: password.clone(),
                    role: supportdesk_domain::Role::Agent,
                    permissions: None,
                    active: true,
                },
            )
            .await
            .expect("agent");
        let sam = Principal::agent(alpha.clone(), sam_agent.id.as_uuid(), Permission::AGENT_DEFAULTS.to_vec())
            .named("Sam Agent");
        let beta_admin_agent = app
            .create_admin(
                &beta,
                Email::parse("admin@beta.example").expect("email"),
                password,
                PersonName::parse("Bea Admin").expect("name"),
            )
            .await
            .expect("admin");
        let beta_admin = Principal::admin(beta.clone(), beta_admin_agent.id.as_uuid()).named("Bea Admin");
        Self { store, app, alpha, beta, alex, blake, casey, admin, sam, beta_admin }
    }

    /// The id of a stored agent principal.
    pub fn agent_id(principal: &Principal) -> AgentId {
        AgentId::from_uuid(principal.id)
    }

    /// The id of a customer principal.
    pub fn customer_id(principal: &Principal) -> CustomerId {
        CustomerId::from_uuid(principal.id)
    }

    /// An input with a description made from `subject_hint`, in the `order` category.
    ///
    /// # Panics
    ///
    /// On a hint that makes an invalid description (shorter than 10 characters in all).
    #[expect(clippy::expect_used, reason = "test input built from literals")]
    pub fn input(subject_hint: &str) -> OpenTicketInput {
        let description = Description::parse(&format!("{subject_hint}. Please help with this.")).expect("description");
        let mut input = OpenTicketInput::new(CategoryKey::parse("order").expect("slug"), description);
        input.source = Source::Api;
        input
    }

    /// The same input about an order.
    ///
    /// # Panics
    ///
    /// On an invalid order reference.
    #[expect(clippy::expect_used, reason = "test input built from literals")]
    pub fn about_order(mut input: OpenTicketInput, order: &str) -> OpenTicketInput {
        input.order_id = Some(ExternalRef::parse(order).expect("order"));
        input
    }

    /// Opens a ticket for `customer` as that customer.
    ///
    /// # Errors
    ///
    /// What the use case returns.
    pub async fn try_open(&self, customer: &Principal, input: OpenTicketInput) -> Result<TicketView, AppError> {
        self.app.open_ticket(customer, input, None).await.map(|o| o.value)
    }

    /// Opens a ticket for `customer` with a subject hint.
    ///
    /// # Panics
    ///
    /// When the store refuses.
    #[expect(clippy::expect_used, reason = "the case's setup must succeed")]
    pub async fn open(&self, customer: &Principal, hint: &str) -> TicketView {
        self.try_open(customer, Self::input(hint)).await.expect("open ticket")
    }

    /// Moves a ticket to `status` as the admin, the short way (through a public reply for
    /// `answered`).
    ///
    /// # Panics
    ///
    /// When the move is refused.
    #[expect(clippy::expect_used, reason = "the case's setup must succeed")]
    pub async fn move_to(&self, view: &TicketView, status: Status) {
        let id = supportdesk_domain::TicketRef::Id(view.summary.ticket.id);
        if status == Status::Answered {
            self.app
                .agent_reply(
                    &self.admin,
                    id,
                    crate::AgentReplyInput {
                        body: supportdesk_domain::MessageBody::parse("We are on it").expect("body"),
                        internal: false,
                        attachments: vec![],
                        status: None,
                        resolution_note: None,
                    },
                    None,
                    None,
                )
                .await
                .expect("reply");
        } else {
            self.app.set_status(&self.admin, id, status, None, None).await.expect("set status");
        }
    }
}
