//! The closed vocabularies of the domain: status, priority, source, roles and permissions.

use std::fmt;
use std::str::FromStr;

use crate::error::{InvalidValue, Rule};

/// Declares a fieldless enum with its wire names, `as_str`, `parse`, `ALL` and `Display`.
macro_rules! named_enum {
    ($(#[$meta:meta])* $name:ident, $field:literal, $names:literal { $($(#[$vmeta:meta])* $variant:ident = $wire:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize), serde(rename_all = "snake_case"))]
        pub enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The wire name, e.g. `in_progress`.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $wire),+
                }
            }

            /// Parses a wire name; anything else is a typed error naming the allowed values.
            pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
                match raw.trim() {
                    $($wire => Ok($name::$variant),)+
                    _ => Err(InvalidValue::new($field, Rule::OneOf($names))),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = InvalidValue;
            fn from_str(raw: &str) -> Result<Self, Self::Err> {
                Self::parse(raw)
            }
        }
    };
}

named_enum!(
    /// Where a ticket is in its life (`domain.md`).
    ///
    /// ```
    /// use supportdesk_domain::Status;
    /// assert!(Status::parse("answered").unwrap().is_unfinished());
    /// assert!(!Status::Resolved.is_unfinished());
    /// ```
    Status, "status", "open, in_progress, answered, resolved, closed" {
        /// Waiting for the support team.
        Open = "open",
        /// An agent is working on it.
        InProgress = "in_progress",
        /// The team replied; waiting for the customer.
        Answered = "answered",
        /// Solved; the customer may still reopen it by replying.
        Resolved = "resolved",
        /// Final; no customer replies unless the tenant's policy reopens.
        Closed = "closed",
    }
);

impl Status {
    /// Unfinished tickets count for the one-ticket-per-order rule.
    pub const fn is_unfinished(self) -> bool {
        match self {
            Status::Open | Status::InProgress | Status::Answered => true,
            Status::Resolved | Status::Closed => false,
        }
    }

    /// Whether an agent's `set status` may move a ticket from `self` to `to` (`domain.md`).
    /// Staying put is handled by the caller as "no change", and `answered` is reached only by
    /// a public reply.
    pub const fn agent_may_set(self, to: Status) -> bool {
        match (self, to) {
            (_, Status::Answered) => false,
            (Status::Open, to) => matches!(to, Status::InProgress | Status::Resolved | Status::Closed),
            (Status::InProgress, to) => matches!(to, Status::Open | Status::Resolved | Status::Closed),
            (Status::Answered, to) => {
                matches!(to, Status::Open | Status::InProgress | Status::Resolved | Status::Closed)
            }
            (Status::Resolved, to) => matches!(to, Status::Open | Status::Closed),
            (Status::Closed, to) => matches!(to, Status::Open),
        }
    }
}

named_enum!(
    /// A customer's satisfaction with a resolution.
    Rating, "rating", "good, bad" {
        /// Satisfied.
        Good = "good",
        /// Not satisfied.
        Bad = "bad",
    }
);

named_enum!(
    /// How urgent a ticket is; sorts `low < normal < high < urgent`.
    #[derive(Default)]
    Priority, "priority", "low, normal, high, urgent" {
        /// Can wait.
        Low = "low",
        /// The default.
        #[default]
        Normal = "normal",
        /// Soon.
        High = "high",
        /// Now.
        Urgent = "urgent",
    }
);

impl Priority {
    /// The sort rank, 0 for `low` to 3 for `urgent`.
    pub const fn rank(self) -> i16 {
        match self {
            Priority::Low => 0,
            Priority::Normal => 1,
            Priority::High => 2,
            Priority::Urgent => 3,
        }
    }

    /// The priority of a rank, if it is one.
    pub const fn from_rank(rank: i16) -> Option<Self> {
        match rank {
            0 => Some(Priority::Low),
            1 => Some(Priority::Normal),
            2 => Some(Priority::High),
            3 => Some(Priority::Urgent),
            _ => None,
        }
    }
}

impl PartialOrd for Priority {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Priority {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.rank().cmp(&other.rank())
    }
}

named_enum!(
    /// The channel a ticket came in through.
    #[derive(Default)]
    Source, "source", "api, customer_portal, storefront, email, phone, chat" {
        /// Through the API directly (the default).
        #[default]
        Api = "api",
        /// The shop's customer portal.
        CustomerPortal = "customer_portal",
        /// The storefront, always about an order.
        Storefront = "storefront",
        /// An email.
        Email = "email",
        /// A phone call.
        Phone = "phone",
        /// A chat.
        Chat = "chat",
    }
);

named_enum!(
    /// What kind of party wrote a message or caused an event.
    AuthorType, "authorType", "customer, agent, system" {
        /// The ticket's customer.
        Customer = "customer",
        /// A support agent or admin.
        Agent = "agent",
        /// The service itself.
        System = "system",
    }
);

named_enum!(
    /// The role in a token.
    Role, "role", "customer, agent, admin" {
        /// A shop's customer: sees and acts on their own tickets only.
        Customer = "customer",
        /// A support agent: acts within their permissions.
        Agent = "agent",
        /// An agent with every permission.
        Admin = "admin",
    }
);

impl Role {
    /// Agents and admins work the queue.
    pub const fn is_staff(self) -> bool {
        match self {
            Role::Customer => false,
            Role::Agent | Role::Admin => true,
        }
    }
}

named_enum!(
    /// One thing an agent may be allowed to do.
    Permission, "permissions", "tickets:read, tickets:reply, tickets:update, tickets:assign, categories:manage, agents:manage, settings:manage" {
        /// See the queue, tickets, events and categories.
        TicketsRead = "tickets:read",
        /// Reply, write internal notes, open tickets on a customer's behalf.
        TicketsReply = "tickets:reply",
        /// Change status, triage.
        TicketsUpdate = "tickets:update",
        /// Assign and unassign.
        TicketsAssign = "tickets:assign",
        /// Create, change and deactivate categories.
        CategoriesManage = "categories:manage",
        /// Manage agents and customer profiles.
        AgentsManage = "agents:manage",
        /// Change the tenant's policy.
        SettingsManage = "settings:manage",
    }
);

impl Permission {
    /// What a new agent gets unless told otherwise.
    pub const AGENT_DEFAULTS: &'static [Permission] =
        &[Permission::TicketsRead, Permission::TicketsReply, Permission::TicketsUpdate, Permission::TicketsAssign];
}
