//! The people and settings around tickets: customers, agents, categories, tenant policy.

use time::OffsetDateTime;

use crate::ids::{AgentId, CategoryId, CustomerId};
use crate::status::{AuthorType, Permission, Role};
use crate::text::{CategoryName, Email, PersonName, Slug, TenantKey};

/// A shop's customer, as a profile: supportdesk does not own the customer, the shop does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Customer {
    /// Their id (the `sub` of their token).
    pub id: CustomerId,
    /// The tenant they belong to.
    pub tenant: TenantKey,
    /// Display name.
    pub name: PersonName,
    /// Contact address, if known.
    pub email: Option<Email>,
    /// Avatar URL, if any.
    pub image_url: Option<String>,
    /// When the profile was first seen.
    pub created_at: OffsetDateTime,
    /// When the profile last changed.
    pub updated_at: OffsetDateTime,
}

/// A support agent or admin of one tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Agent {
    /// Their id (the `sub` of their token).
    pub id: AgentId,
    /// The tenant they work for.
    pub tenant: TenantKey,
    /// Login address, unique in the tenant.
    pub email: Email,
    /// Display name.
    pub name: PersonName,
    /// `Agent` or `Admin` (never `Customer`).
    pub role: Role,
    /// What they may do; an admin may do everything whatever this says.
    pub permissions: Vec<Permission>,
    /// Inactive agents cannot log in or be assigned.
    pub active: bool,
    /// When the agent was created.
    pub created_at: OffsetDateTime,
    /// When the agent last changed.
    pub updated_at: OffsetDateTime,
}

impl Agent {
    /// Whether the agent may do `permission`: admins may do everything.
    pub fn may(&self, permission: Permission) -> bool {
        self.role == Role::Admin || self.permissions.contains(&permission)
    }
}

/// A ticket category; `parent` makes it a subcategory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Category {
    /// Its id.
    pub id: CategoryId,
    /// The tenant it belongs to.
    pub tenant: TenantKey,
    /// Unique within the tenant.
    pub slug: Slug,
    /// Display name.
    pub name: CategoryName,
    /// The parent category, for a subcategory.
    pub parent_id: Option<CategoryId>,
    /// Deactivated categories cannot be chosen for new tickets; old tickets keep them.
    pub active: bool,
    /// Sort position (ascending), then name.
    pub position: i32,
}

/// The six categories every new tenant starts with: slug, name.
pub const DEFAULT_CATEGORIES: [(&str, &str); 6] = [
    ("order", "Order"),
    ("product", "Product"),
    ("account", "Account"),
    ("technical", "Technical"),
    ("payment", "Payment"),
    ("general", "General"),
];

/// A tenant's rules for what customers may do.
///
/// ```
/// use supportdesk_domain::TenantPolicy;
/// let policy = TenantPolicy::default();
/// assert!(policy.allow_customer_close);
/// assert!(!policy.reopen_closed_on_customer_reply);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize), serde(rename_all = "camelCase"))]
pub struct TenantPolicy {
    /// Customers may close their own tickets.
    pub allow_customer_close: bool,
    /// A customer's reply (or reopen) brings a closed ticket back to `open`.
    pub reopen_closed_on_customer_reply: bool,
    /// Resolved tickets without a later customer message are closed by the system this many
    /// days after they were resolved; 0 turns it off (the default). At most
    /// [`TenantPolicy::MAX_AUTO_CLOSE_DAYS`].
    #[cfg_attr(feature = "serde", serde(default))]
    pub auto_close_resolved_after_days: u16,
}

impl TenantPolicy {
    /// The longest `auto_close_resolved_after_days` a tenant may set (a year).
    pub const MAX_AUTO_CLOSE_DAYS: u16 = 365;
}

impl Default for TenantPolicy {
    fn default() -> Self {
        Self { allow_customer_close: true, reopen_closed_on_customer_reply: false, auto_close_resolved_after_days: 0 }
    }
}

/// Who is acting: the author of a message and the actor of an audit event.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize), serde(rename_all = "camelCase"))]
pub struct Actor {
    /// Customer, agent or system.
    #[cfg_attr(feature = "serde", serde(rename = "type"))]
    pub kind: AuthorType,
    /// The customer's or agent's id (nil for the system).
    pub id: uuid::Uuid,
    /// Their name at the time, kept so the trail reads the same after a rename.
    pub name: String,
    /// Their avatar at the time, if any.
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Option::is_none"))]
    pub image_url: Option<String>,
}

impl Actor {
    /// A customer acting on their own tickets.
    pub fn customer(id: CustomerId, name: impl Into<String>) -> Self {
        Self { kind: AuthorType::Customer, id: id.as_uuid(), name: name.into(), image_url: None }
    }

    /// The service itself, acting on a timer (auto-close, breach detection): kind `system`,
    /// the nil id, the name `System`.
    pub fn system() -> Self {
        Self { kind: AuthorType::System, id: uuid::Uuid::nil(), name: "System".to_owned(), image_url: None }
    }

    /// An agent or admin.
    pub fn agent(id: AgentId, name: impl Into<String>) -> Self {
        Self { kind: AuthorType::Agent, id: id.as_uuid(), name: name.into(), image_url: None }
    }

    /// The same actor with an avatar.
    #[must_use]
    pub fn with_image(mut self, image_url: Option<String>) -> Self {
        self.image_url = image_url;
        self
    }

    /// Whether this is the customer `id`.
    pub fn is_customer(&self, id: CustomerId) -> bool {
        self.kind == AuthorType::Customer && self.id == id.as_uuid()
    }

    /// Whether this is an agent.
    pub fn is_agent(&self) -> bool {
        self.kind == AuthorType::Agent
    }
}
