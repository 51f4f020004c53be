//! Typed identifiers, and the id source commands draw new ids from.

use std::fmt;
use std::str::FromStr;

use uuid::Uuid;

use crate::error::{InvalidValue, Rule};

/// Declares a UUID newtype so that a ticket id can never be passed where an agent id is meant.
macro_rules! id_type {
    ($(#[$meta:meta])* $name:ident, $field:literal) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize), serde(transparent))]
        pub struct $name(Uuid);

        impl $name {
            /// Wraps a UUID.
            pub const fn from_uuid(uuid: Uuid) -> Self {
                Self(uuid)
            }

            /// The UUID inside.
            pub const fn as_uuid(&self) -> Uuid {
                self.0
            }

            /// Parses a UUID string, reporting a failure under this id's field name.
            pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
                Uuid::parse_str(raw.trim())
                    .map(Self)
                    .map_err(|_| InvalidValue::new($field, Rule::Format("a UUID")))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = InvalidValue;
            fn from_str(raw: &str) -> Result<Self, Self::Err> {
                Self::parse(raw)
            }
        }

        impl From<Uuid> for $name {
            fn from(uuid: Uuid) -> Self {
                Self(uuid)
            }
        }
    };
}

id_type!(
    /// A ticket's UUID.
    TicketId, "ticketId"
);
id_type!(
    /// A message's UUID.
    MessageId, "messageId"
);
id_type!(
    /// An audit event's UUID.
    EventId, "eventId"
);
id_type!(
    /// A customer's UUID (the `sub` of a customer token).
    CustomerId, "customerId"
);
id_type!(
    /// An agent's or admin's UUID (the `sub` of an agent token).
    AgentId, "assigneeId"
);
id_type!(
    /// A category's UUID.
    CategoryId, "category"
);
id_type!(
    /// A business calendar's UUID.
    BusinessHoursId, "businessHoursId"
);
id_type!(
    /// An SLA policy's UUID.
    SlaPolicyId, "slaPolicyId"
);

/// Where commands get new ids from. Production uses [`UuidV7`]; tests use a counter.
pub trait IdSource: Send + Sync {
    /// A fresh, never used UUID.
    fn next_uuid(&self) -> Uuid;
}

/// Time-ordered UUID v7 ids, as the API promises.
#[derive(Debug, Clone, Copy, Default)]
pub struct UuidV7;

impl IdSource for UuidV7 {
    fn next_uuid(&self) -> Uuid {
        Uuid::now_v7()
    }
}

/// Deterministic ids for tests: 1, 2, 3 ... as UUIDs.
#[derive(Debug, Default)]
pub struct SequentialIds(std::sync::atomic::AtomicU64);

impl IdSource for SequentialIds {
    fn next_uuid(&self) -> Uuid {
        let next = self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        Uuid::from_u64_pair(0, next)
    }
}
