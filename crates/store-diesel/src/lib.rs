//! # supportdesk-store-diesel
//!
//! Every store port of `supportdesk-app` ([`TicketStore`](supportdesk_app::TicketStore),
//! [`CategoryStore`](supportdesk_app::CategoryStore),
//! [`AccountStore`](supportdesk_app::AccountStore),
//! [`TenantStore`](supportdesk_app::TenantStore)) on Diesel 2, for two backends chosen by
//! the database URL:
//!
//! - **SQLite** (bundled), the embedded default: a file created on first start, WAL,
//!   `synchronous=NORMAL`, `foreign_keys=ON`, `busy_timeout`, write transactions begun
//!   `IMMEDIATE`; one writer connection and a pool of readers.
//! - **PostgreSQL**: several server processes on one database stay correct, because the
//!   invariants are constraints (unique numbers, partial unique indexes for one unfinished
//!   ticket per order and per delivery, unique idempotency keys, version-checked updates).
//!
//! One code path serves both (`#[derive(diesel::MultiConnection)]`); the few statements
//! Diesel cannot express for both at once (`ON CONFLICT`, `BEGIN IMMEDIATE`) are compiled
//! per backend from the same source. Migrations are embedded and run at start-up.
//! `docs/storage.md` lists every query, the index it uses, and why the schema is as it is.
//!
//! ```no_run
//! use std::sync::Arc;
//! use supportdesk_app::App;
//! use supportdesk_store_diesel::{Backend, DieselConfig, DieselStore};
//!
//! # fn main() -> Result<(), supportdesk_app::StoreError> {
//! let store = DieselStore::connect(&DieselConfig::new("sqlite://data/supportdesk.db"))?;
//! assert_eq!(store.backend(), Backend::Sqlite);
//! let app = App::builder(Arc::new(store)).build();
//! # let _ = app;
//! # Ok(())
//! # }
//! ```

mod accounts;
mod categories;
mod config;
mod db;
mod error;
mod migrations;
mod query;
mod rows;
mod schema;
mod store;
mod tenants;
mod tickets;

pub use config::{Backend, DieselConfig};
pub use store::{DieselStore, PoolStats};
