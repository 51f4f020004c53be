//! Ticket numbers, and the two ways a path can name a ticket.

use std::fmt;
use std::str::FromStr;

use crate::error::{InvalidValue, Rule};
use crate::ids::TicketId;

/// A ticket's number within its tenant: 1, 2, 3 ... never reused.
///
/// Accepts `42`, `000042` and `#000042`; displays as `#000042`.
///
/// ```
/// use supportdesk_domain::TicketNumber;
/// for raw in ["42", "000042", "#000042"] {
///     assert_eq!(TicketNumber::parse(raw).unwrap().get(), 42);
/// }
/// assert_eq!(TicketNumber::new(42).unwrap().to_string(), "#000042");
/// assert!(TicketNumber::parse("0").is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize), serde(transparent))]
pub struct TicketNumber(i64);

impl TicketNumber {
    /// The largest number, so that every number fits a signed 64-bit column.
    pub const MAX: i64 = i64::MAX;

    /// A number from an integer; it must be at least 1.
    pub fn new(value: i64) -> Result<Self, InvalidValue> {
        if value >= 1 {
            Ok(Self(value))
        } else {
            Err(InvalidValue::new("number", Rule::Range { min: 1, max: Self::MAX }))
        }
    }

    /// Parses `42`, `000042` or `#000042`.
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        let digits = raw.trim();
        let digits = digits.strip_prefix('#').unwrap_or(digits);
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(InvalidValue::new("number", Rule::Format("a ticket number like 42 or #000042")));
        }
        let value: i64 =
            digits.parse().map_err(|_| InvalidValue::new("number", Rule::Range { min: 1, max: Self::MAX }))?;
        Self::new(value)
    }

    /// The number as an integer.
    pub const fn get(self) -> i64 {
        self.0
    }
}

impl fmt::Display for TicketNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{:06}", self.0)
    }
}

impl FromStr for TicketNumber {
    type Err = InvalidValue;
    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        Self::parse(raw)
    }
}

/// How a path names a ticket: by UUID or by number.
///
/// ```
/// use supportdesk_domain::TicketRef;
/// assert!(matches!(TicketRef::parse("#000042").unwrap(), TicketRef::Number(n) if n.get() == 42));
/// assert!(matches!(
///     TicketRef::parse("0191abc0-1234-7def-8000-000000000001").unwrap(),
///     TicketRef::Id(_)
/// ));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TicketRef {
    /// By UUID.
    Id(TicketId),
    /// By number within the tenant.
    Number(TicketNumber),
}

impl TicketRef {
    /// A UUID, or a number in any accepted spelling.
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        if let Ok(id) = TicketId::parse(raw) {
            return Ok(TicketRef::Id(id));
        }
        TicketNumber::parse(raw)
            .map(TicketRef::Number)
            .map_err(|_| InvalidValue::new("ticket", Rule::Format("a ticket UUID or number like 42 or #000042")))
    }
}

impl From<TicketId> for TicketRef {
    fn from(id: TicketId) -> Self {
        TicketRef::Id(id)
    }
}

impl From<TicketNumber> for TicketRef {
    fn from(number: TicketNumber) -> Self {
        TicketRef::Number(number)
    }
}
