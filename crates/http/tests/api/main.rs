//! HTTP tests: every route against the memory store, through the same app the server
//! builds (`configure_app` + `RequestTelemetry`).

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

mod accounts;
mod admin_tickets;
mod auth;
mod categories;
mod customer_view;
mod errors;
mod events;
mod macros;
mod ops;
mod satisfaction;
mod search;
mod sla;
mod tickets;
mod trust;
