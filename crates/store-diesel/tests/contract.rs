//! The Diesel store passes the port contract suite, on SQLite and on PostgreSQL (when
//! `TEST_POSTGRES_URL` is set). Every case gets a database of its own.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;

use common::TestDb;
use supportdesk_app::testkit::ContractStore;
use supportdesk_store_diesel::DieselStore;

/// A store on `db`, which lives as long as the case.
async fn store_on(db: Option<TestDb>) -> Option<ContractStore<DieselStore>> {
    let db = db?;
    // Connecting blocks (it creates the database file or runs migrations).
    let (store, db) = tokio::task::spawn_blocking(move || (db.connect(), db)).await.expect("connect");
    Some(ContractStore::with_guard(Arc::new(store), db))
}

async fn sqlite_store() -> Option<ContractStore<DieselStore>> {
    store_on(Some(TestDb::sqlite())).await
}

async fn postgres_store() -> Option<ContractStore<DieselStore>> {
    let db = tokio::task::spawn_blocking(TestDb::postgres).await.expect("create database");
    store_on(db).await
}

mod sqlite {
    supportdesk_app::store_contract_tests!(super::sqlite_store);
}

mod postgres {
    supportdesk_app::store_contract_tests!(super::postgres_store);
}
