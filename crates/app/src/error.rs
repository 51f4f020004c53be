//! The errors of the use cases and of the store ports.

use std::error::Error as StdError;

use supportdesk_domain::{DomainError, InvalidValue, Status, TicketId, TicketNumber};

/// A value that must be unique in its scope, and is taken: what a `409 *_taken` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Taken {
    /// A login email in a tenant (customers and agents share them).
    Email,
    /// A category slug in a tenant.
    Slug,
    /// A signing key's kid (across tenants).
    SigningKeyId,
    /// An API key's hash (across tenants).
    ApiKey,
}

impl Taken {
    /// The field as clients spell it.
    pub fn field(self) -> &'static str {
        match self {
            Taken::Email => "email",
            Taken::Slug => "slug",
            Taken::SigningKeyId => "kid",
            Taken::ApiKey => "key",
        }
    }
}

impl std::fmt::Display for Taken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.field())
    }
}

/// What a `404 not_found` did not find (or found in another tenant or customer's hands).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Missing {
    /// A ticket.
    Ticket,
    /// A message of a ticket.
    Message,
    /// A category.
    Category,
    /// A customer.
    Customer,
    /// An agent.
    Agent,
    /// The agent a ticket is to be assigned to.
    Assignee,
    /// A tenant.
    Tenant,
    /// A signing key.
    SigningKey,
    /// An API key.
    ApiKey,
    /// The row a store was asked to change.
    Resource,
    /// A webhook endpoint.
    Webhook,
    /// A delivery of a webhook endpoint.
    Delivery,
    /// A macro.
    Macro,
}

impl Missing {
    /// What it is, in words.
    pub fn as_str(self) -> &'static str {
        match self {
            Missing::Ticket => "ticket",
            Missing::Webhook => "webhook",
            Missing::Delivery => "delivery",
            Missing::Macro => "macro",
            Missing::Message => "message",
            Missing::Category => "category",
            Missing::Customer => "customer",
            Missing::Agent => "agent",
            Missing::Assignee => "assignee",
            Missing::Tenant => "tenant",
            Missing::SigningKey => "signing key",
            Missing::ApiKey => "API key",
            Missing::Resource => "resource",
        }
    }
}

impl std::fmt::Display for Missing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why an authenticated caller may not do what they asked: a `403 forbidden`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Refusal {
    /// Staff without the permission the operation needs.
    MissingPermission,
    /// A customer on a staff operation.
    NeedsAgentAccount,
    /// Staff on a customer operation.
    ForCustomersOnly,
    /// The domain refused the acting party's role.
    WrongRole,
    /// The tenant's policy does not let customers close tickets.
    CustomerCloseDisabled,
    /// `SUPPORTDESK_ALLOW_REGISTRATION=false`.
    RegistrationDisabled,
    /// The tenant's `allowRegistration` is off.
    TenantRegistrationDisabled,
    /// An agent (not an admin) managing an admin.
    OnlyAdminsManageAdmins,
    /// An agent (not an admin) making a signing key for staff tokens.
    OnlyAdminsMakeStaffKeys,
}

impl Refusal {
    /// Why, in words a client can show.
    pub fn message(self) -> &'static str {
        match self {
            Refusal::MissingPermission => "missing permission",
            Refusal::NeedsAgentAccount => "this needs an agent account",
            Refusal::ForCustomersOnly => "this is for customers",
            Refusal::WrongRole => "this role may not do that",
            Refusal::CustomerCloseDisabled => "customers may not close tickets here",
            Refusal::RegistrationDisabled => "registration is disabled",
            Refusal::TenantRegistrationDisabled => "registration is disabled for this shop",
            Refusal::OnlyAdminsManageAdmins => "only admins manage admins",
            Refusal::OnlyAdminsMakeStaffKeys => "only admins make keys that sign staff tokens",
        }
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.message())
    }
}

/// What a store adapter reports besides success. Adapters translate their own failures
/// (a unique violation, a lost connection) into these, never into strings.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// An unfinished ticket of the tenant already has the order or delivery.
    #[error("an unfinished ticket already exists for this order or delivery")]
    OpenTicketExists {
        /// The ticket that holds the order or delivery.
        existing_id: TicketId,
        /// Its number.
        existing_number: TicketNumber,
    },
    /// The ticket's version is no longer the one the change was decided on.
    #[error("the ticket was changed by someone else")]
    VersionConflict,
    /// The idempotency key was claimed by a concurrent request first.
    #[error("the idempotency key was claimed by another request")]
    IdempotencyKeyTaken,
    /// A unique value (a category slug, a login email) is taken.
    #[error("{0} is already taken")]
    Duplicate(Taken),
    /// The row to change does not exist.
    #[error("not found")]
    NotFound,
    /// The change would leave the tenant without an active admin.
    #[error("the tenant's last active admin cannot be deactivated or demoted")]
    LastAdmin,
    /// The store could not be reached or failed; the cause says why.
    #[error("the store is unavailable")]
    Unavailable(#[source] Box<dyn StdError + Send + Sync>),
}

impl StoreError {
    /// Wraps any failure as [`StoreError::Unavailable`].
    pub fn unavailable(error: impl Into<Box<dyn StdError + Send + Sync>>) -> Self {
        StoreError::Unavailable(error.into())
    }
}

/// One invalid field of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The field, as clients spell it.
    pub field: String,
    /// What is wrong with it, readable on its own.
    pub message: String,
}

impl From<InvalidValue> for FieldError {
    fn from(error: InvalidValue) -> Self {
        Self { field: error.field.to_owned(), message: error.rule.to_string() }
    }
}

/// Why a use case refused or failed. Each case maps to one status and code of `api.md`.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Input broke a rule: 400 `validation_failed`.
    #[error("request validation failed")]
    Validation(Vec<FieldError>),
    /// No valid identity: 401 `unauthorized`.
    #[error("unauthorized")]
    Unauthorized,
    /// Email or password wrong, or the account inactive: 401, the same either way.
    #[error("invalid email or password")]
    InvalidCredentials,
    /// Authenticated, but not allowed: 403 `forbidden`.
    #[error("forbidden: {0}")]
    Forbidden(Refusal),
    /// Missing, or another customer's or tenant's: 404 `not_found`.
    #[error("{0} not found")]
    NotFound(Missing),
    /// 409 `open_ticket_exists`.
    #[error("an unfinished ticket already exists for this order or delivery")]
    OpenTicketExists {
        /// The ticket that holds the order or delivery.
        existing_id: TicketId,
        /// Its number.
        existing_number: TicketNumber,
    },
    /// 409 `invalid_transition`.
    #[error("cannot move a ticket from {from} to {to}")]
    InvalidTransition {
        /// The current status.
        from: Status,
        /// The status asked for.
        to: Status,
    },
    /// 409 `ticket_closed`.
    #[error("the ticket is closed")]
    TicketClosed,
    /// 409 `not_resolved`: only a resolved or closed ticket can be rated.
    #[error("only a resolved or closed ticket can be rated; this one is {0}")]
    NotResolved(Status),
    /// 409 `already_rated`: the customer rated this resolution already.
    #[error("this resolution has been rated already")]
    AlreadyRated,
    /// 409 `idempotency_key_reused`.
    #[error("the idempotency key was used with a different request")]
    IdempotencyKeyReused,
    /// 409 `email_taken` / `slug_taken` / `key_taken`.
    #[error("{0} is already taken")]
    Conflict(Taken),
    /// 409 `last_admin`: the tenant's last active admin cannot be deactivated or demoted.
    #[error("the tenant's last active admin cannot be deactivated or demoted")]
    LastAdmin,
    /// 409 `in_use`: the thing to delete is still used (the text says by what).
    #[error("still in use: {0}")]
    InUse(&'static str),
    /// 412 `precondition_failed`.
    #[error("the ticket's version is {current}, not the expected one")]
    PreconditionFailed {
        /// The ticket's current version.
        current: i64,
    },
    /// The work's share of a scarce resource (the password hasher) is taken: 429
    /// `rate_limited`, retry after the given seconds.
    #[error("busy; retry in {retry_after_secs} seconds")]
    Busy {
        /// Seconds to wait before retrying.
        retry_after_secs: u64,
    },
    /// 500 `internal` (or 503 for readiness): the cause is logged, never shown.
    #[error("internal error")]
    Internal(#[source] Box<dyn StdError + Send + Sync>),
}

impl AppError {
    /// A validation error for one field.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        AppError::Validation(vec![FieldError { field: field.into(), message: message.into() }])
    }
}

impl From<InvalidValue> for AppError {
    fn from(error: InvalidValue) -> Self {
        AppError::Validation(vec![error.into()])
    }
}

impl From<DomainError> for AppError {
    fn from(error: DomainError) -> Self {
        match error {
            DomainError::InvalidTransition { from, to } => AppError::InvalidTransition { from, to },
            DomainError::TicketClosed => AppError::TicketClosed,
            DomainError::NotResolved(status) => AppError::NotResolved(status),
            DomainError::AlreadyRated => AppError::AlreadyRated,
            DomainError::CustomerCloseDisabled => AppError::Forbidden(Refusal::CustomerCloseDisabled),
            DomainError::NotOwner => AppError::NotFound(Missing::Ticket),
            DomainError::WrongActor(_) => AppError::Forbidden(Refusal::WrongRole),
            DomainError::Invalid(invalid) => invalid.into(),
        }
    }
}

impl From<StoreError> for AppError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::OpenTicketExists { existing_id, existing_number } => {
                AppError::OpenTicketExists { existing_id, existing_number }
            }
            StoreError::Duplicate(field) => AppError::Conflict(field),
            StoreError::NotFound => AppError::NotFound(Missing::Resource),
            StoreError::LastAdmin => AppError::LastAdmin,
            StoreError::VersionConflict => AppError::Internal("a version conflict escaped the retry loop".into()),
            StoreError::IdempotencyKeyTaken => AppError::Internal("an idempotency race escaped the replay loop".into()),
            StoreError::Unavailable(cause) => AppError::Internal(cause),
        }
    }
}

/// Collects the field errors of several parses, so a client learns every problem at once.
#[derive(Debug, Default)]
pub struct Validator {
    errors: Vec<FieldError>,
}

impl Validator {
    /// Keeps the value, or remembers its error and returns `None`.
    pub fn check<T>(&mut self, result: Result<T, InvalidValue>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(error) => {
                self.errors.push(error.into());
                None
            }
        }
    }

    /// Like [`Validator::check`] for an optional raw value.
    pub fn check_opt<T>(&mut self, result: Option<Result<T, InvalidValue>>) -> Option<T> {
        result.and_then(|r| self.check(r))
    }

    /// Remembers an error found by other means.
    pub fn push(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.errors.push(FieldError { field: field.into(), message: message.into() });
    }

    /// `Ok` when nothing was wrong, else every error at once.
    pub fn finish(self) -> Result<(), AppError> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(AppError::Validation(self.errors))
        }
    }
}
