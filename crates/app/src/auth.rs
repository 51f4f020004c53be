//! Who is calling: the principal every use case receives, and the checks on it.

use crate::error::Refusal;
use supportdesk_domain::{Actor, AgentId, CustomerId, Email, Permission, PersonName, Role, TenantKey};
use uuid::Uuid;

use crate::error::AppError;

/// What a principal authenticated with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Credential {
    /// A token of a customer's or agent's account (or an embedder's principal).
    #[default]
    Account,
    /// An integration's API key: a staff principal named after the key.
    ApiKey,
}

/// The authenticated caller, as a verified token (or an embedder) describes them.
///
/// ```
/// use supportdesk_app::Principal;
/// use supportdesk_domain::{Permission, Role, TenantKey};
///
/// let agent = Principal::agent(TenantKey::default(), uuid::Uuid::now_v7(), Permission::AGENT_DEFAULTS.to_vec());
/// assert!(agent.may(Permission::TicketsReply));
/// assert!(!agent.may(Permission::SettingsManage));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The tenant every read and write is scoped to.
    pub tenant: TenantKey,
    /// The customer's or agent's id.
    pub id: Uuid,
    /// Their role.
    pub role: Role,
    /// An agent's permissions (an admin has all; a customer none).
    pub permissions: Vec<Permission>,
    /// Display name from the token, if any.
    pub name: Option<PersonName>,
    /// Email from the token, if any.
    pub email: Option<Email>,
    /// Avatar from the token, if any.
    pub picture: Option<String>,
    /// What they authenticated with.
    pub credential: Credential,
}

impl Principal {
    /// A customer with no profile claims.
    pub fn customer(tenant: TenantKey, id: Uuid) -> Self {
        Self {
            tenant,
            id,
            role: Role::Customer,
            permissions: Vec::new(),
            name: None,
            email: None,
            picture: None,
            credential: Credential::Account,
        }
    }

    /// An agent with `permissions`.
    pub fn agent(tenant: TenantKey, id: Uuid, permissions: Vec<Permission>) -> Self {
        Self {
            tenant,
            id,
            role: Role::Agent,
            permissions,
            name: None,
            email: None,
            picture: None,
            credential: Credential::Account,
        }
    }

    /// An admin: every permission.
    pub fn admin(tenant: TenantKey, id: Uuid) -> Self {
        Self {
            tenant,
            id,
            role: Role::Admin,
            permissions: Vec::new(),
            name: None,
            email: None,
            picture: None,
            credential: Credential::Account,
        }
    }

    /// The same principal with a display name.
    #[must_use]
    pub fn named(mut self, name: &str) -> Self {
        self.name = PersonName::parse(name).ok();
        self
    }

    /// Whether the principal may do `permission`: admins always, agents when granted,
    /// customers never.
    pub fn may(&self, permission: Permission) -> bool {
        match self.role {
            Role::Admin => true,
            Role::Agent => self.permissions.contains(&permission),
            Role::Customer => false,
        }
    }

    /// `Ok` when the principal is staff with `permission`; customers get `Forbidden` too.
    ///
    /// # Errors
    ///
    /// [`AppError::Forbidden`] naming nothing secret.
    pub fn require(&self, permission: Permission) -> Result<(), AppError> {
        if self.may(permission) {
            Ok(())
        } else if self.role == Role::Customer {
            Err(AppError::Forbidden(Refusal::NeedsAgentAccount))
        } else {
            Err(AppError::Forbidden(Refusal::MissingPermission))
        }
    }

    /// `Ok` with the customer id when the principal is a customer.
    ///
    /// # Errors
    ///
    /// [`AppError::Forbidden`] for staff.
    pub fn require_customer(&self) -> Result<CustomerId, AppError> {
        match self.role {
            Role::Customer => Ok(CustomerId::from_uuid(self.id)),
            Role::Agent | Role::Admin => Err(AppError::Forbidden(Refusal::ForCustomersOnly)),
        }
    }

    /// The display name to record on messages and events.
    pub fn display_name(&self) -> String {
        self.name.as_ref().map_or_else(
            || match self.role {
                Role::Customer => "Customer".to_owned(),
                Role::Agent | Role::Admin => "Agent".to_owned(),
            },
            |n| n.to_string(),
        )
    }

    /// The principal as the actor of a command.
    pub fn actor(&self) -> Actor {
        let actor = match self.role {
            Role::Customer => Actor::customer(CustomerId::from_uuid(self.id), self.display_name()),
            Role::Agent | Role::Admin => Actor::agent(AgentId::from_uuid(self.id), self.display_name()),
        };
        actor.with_image(self.picture.clone())
    }
}
