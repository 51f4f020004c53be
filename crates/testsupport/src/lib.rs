//! Test plumbing shared by the black-box tests, `make bench` and `make crash-test`, so each
//! does not carry its own drifting copy. Never a dependency of the service itself.

pub mod database;
pub mod process;
pub mod webhook_receiver;

/// Errors of the plumbing.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;
