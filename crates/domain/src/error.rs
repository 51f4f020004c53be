//! The errors a value or a command can produce. Each names the rule that refused.

use crate::status::Status;

/// The rule a raw value broke when it was parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rule {
    /// The value had to be present and non-blank.
    #[error("must not be blank")]
    Required,
    /// The value's length, in characters after trimming, is outside the bounds.
    #[error("must be {min} to {max} characters")]
    Length {
        /// Fewest characters allowed.
        min: usize,
        /// Most characters allowed.
        max: usize,
    },
    /// The value does not have the required shape; the text says which.
    #[error("must be {0}")]
    Format(&'static str),
    /// A number is outside its range.
    #[error("must be between {min} and {max}")]
    Range {
        /// Smallest allowed value.
        min: i64,
        /// Largest allowed value.
        max: i64,
    },
    /// A list holds more items than allowed.
    #[error("must have at most {max} items")]
    TooMany {
        /// Most items allowed.
        max: usize,
    },
    /// The value is not one of the allowed names.
    #[error("must be one of: {0}")]
    OneOf(&'static str),
}

/// A raw value that failed to parse: which field, and which rule it broke.
///
/// ```
/// use supportdesk_domain::{Subject, Rule};
/// let err = Subject::parse("  a ").unwrap_err();
/// assert_eq!(err.field, "subject");
/// assert_eq!(err.rule, Rule::Length { min: 3, max: 200 });
/// assert_eq!(err.to_string(), "subject: must be 3 to 200 characters");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {rule}")]
pub struct InvalidValue {
    /// The field's name as clients spell it (`camelCase`).
    pub field: &'static str,
    /// The rule that refused the value.
    pub rule: Rule,
}

impl InvalidValue {
    /// An error for `field` breaking `rule`.
    pub fn new(field: &'static str, rule: Rule) -> Self {
        Self { field, rule }
    }

    /// The same error reported under another field name, e.g. `subject` -> `triage.subject`.
    #[must_use]
    pub fn for_field(self, field: &'static str) -> Self {
        Self { field, ..self }
    }
}

/// A command the domain refused, naming the rule of `domain.md` that refused it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    /// The status change is not allowed from the current status.
    #[error("cannot move a ticket from {from} to {to}")]
    InvalidTransition {
        /// The ticket's current status.
        from: Status,
        /// The status that was asked for.
        to: Status,
    },
    /// A reply to a closed ticket where the tenant's policy does not reopen it.
    #[error("the ticket is closed")]
    TicketClosed,
    /// The tenant's policy does not let customers close their tickets.
    #[error("customers may not close tickets in this tenant")]
    CustomerCloseDisabled,
    /// A satisfaction rating for a ticket that is not `resolved` or `closed`.
    #[error("only a resolved or closed ticket can be rated; this one is {0}")]
    NotResolved(Status),
    /// A second satisfaction rating of the same resolution.
    #[error("this resolution has been rated already")]
    AlreadyRated,
    /// The acting customer does not own the ticket.
    #[error("the ticket belongs to another customer")]
    NotOwner,
    /// The actor's kind may not run this command (a customer using an agent command).
    #[error("only {0} may do this")]
    WrongActor(&'static str),
    /// A command input broke a rule that involves more than one field.
    #[error(transparent)]
    Invalid(#[from] InvalidValue),
}
