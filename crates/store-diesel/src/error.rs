//! How failures travel inside the adapter, and the one place where they become the port's
//! [`StoreError`].
//!
//! A constraint violation is recognised at the statement that can raise it (only there is
//! it known which promise it stands for: a taken slug, a taken idempotency key, an order
//! that already has an unfinished ticket) through [`unique_as`]. Whatever reaches
//! [`Failure::into_store_error`] uninterpreted is the store being unavailable.

use diesel::result::{DatabaseErrorKind, Error as DieselError};
use supportdesk_app::StoreError;
use supportdesk_domain::InvalidValue;

/// Why a unit of work did not finish.
#[derive(Debug)]
pub(crate) enum Failure {
    /// A typed outcome the port promises.
    Store(StoreError),
    /// An order or delivery already has an unfinished ticket: the holder is looked up after
    /// the rollback (on PostgreSQL the failed transaction can run nothing more).
    UnfinishedTaken,
    /// A database error not interpreted where it happened.
    Db(DieselError),
    /// A stored value that does not read back into the domain.
    Corrupt(String),
}

impl From<DieselError> for Failure {
    fn from(error: DieselError) -> Self {
        Failure::Db(error)
    }
}

impl From<StoreError> for Failure {
    fn from(error: StoreError) -> Self {
        Failure::Store(error)
    }
}

impl From<InvalidValue> for Failure {
    fn from(error: InvalidValue) -> Self {
        Failure::Corrupt(error.to_string())
    }
}

impl From<serde_json::Error> for Failure {
    fn from(error: serde_json::Error) -> Self {
        Failure::Corrupt(format!("stored JSON does not parse: {error}"))
    }
}

impl From<uuid::Error> for Failure {
    fn from(error: uuid::Error) -> Self {
        Failure::Corrupt(format!("stored id is not a UUID: {error}"))
    }
}

impl Failure {
    /// The port's error.
    pub(crate) fn into_store_error(self) -> StoreError {
        match self {
            Failure::Store(error) => error,
            Failure::Db(error) => StoreError::unavailable(error),
            Failure::Corrupt(reason) => StoreError::unavailable(CorruptRow(reason)),
            // Resolved to `OpenTicketExists` by the caller; one that escapes is a bug.
            Failure::UnfinishedTaken => {
                StoreError::unavailable(CorruptRow("an order conflict escaped its lookup".to_owned()))
            }
        }
    }
}

/// A row that does not read back as a valid domain value: written by something else, or by
/// an older, laxer version.
#[derive(Debug, thiserror::Error)]
#[error("a stored row does not read back: {0}")]
pub(crate) struct CorruptRow(pub(crate) String);

/// Whether `error` is a unique (or primary key) violation.
pub(crate) fn is_unique_violation(error: &DieselError) -> bool {
    matches!(error, DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _))
}

/// The statement's error, with a unique violation read as `typed`: the promise this
/// statement's constraint stands for.
pub(crate) fn unique_as(error: DieselError, typed: impl FnOnce() -> Failure) -> Failure {
    if is_unique_violation(&error) {
        typed()
    } else {
        Failure::Db(error)
    }
}
