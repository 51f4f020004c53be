//! Test databases: a fresh SQLite file per test, or a fresh PostgreSQL database per test
//! (created from `TEST_POSTGRES_URL`, dropped when the guard drops), so runs never see each
//! other's data; and domain values built the short way.

#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

pub mod scenarios;

use std::path::Path;

use diesel::prelude::*;
use diesel::PgConnection;
use supportdesk_domain::{
    Actor, CategoryId, CommandContext, CustomerId, Description, ExternalRef, OpenTicket, OpenedTicket, Priority,
    Source, TenantKey, TenantPolicy, Ticket, UuidV7,
};
use supportdesk_store_diesel::{DieselConfig, DieselStore};
use supportdesk_testsupport::database::{ScratchPg, ScratchSqlite};
use uuid::Uuid;

/// Where a test's database lives; dropping it deletes the database.
pub enum TestDb {
    /// A file in a temporary folder.
    Sqlite(ScratchSqlite),
    /// A database of its own on the PostgreSQL server.
    Postgres(ScratchPg),
}

impl TestDb {
    /// A fresh SQLite file (not created yet: the store creates it).
    pub fn sqlite() -> Self {
        TestDb::Sqlite(ScratchSqlite::new().expect("temp dir"))
    }

    /// A fresh PostgreSQL database, or `None` (with a loud line) without `TEST_POSTGRES_URL`.
    pub fn postgres() -> Option<Self> {
        ScratchPg::from_env("sd_test", "the PostgreSQL store tests").map(TestDb::Postgres)
    }

    /// The SQLite file's path.
    ///
    /// # Panics
    ///
    /// On PostgreSQL.
    pub fn sqlite_path(&self) -> &Path {
        match self {
            TestDb::Sqlite(file) => file.path(),
            TestDb::Postgres(_) => panic!("not a SQLite database"),
        }
    }

    /// The URL a store connects to.
    pub fn url(&self) -> String {
        match self {
            TestDb::Sqlite(file) => file.url(),
            TestDb::Postgres(db) => db.url.clone(),
        }
    }

    /// A new store on this database: another pool, as another process would have.
    pub fn connect(&self) -> DieselStore {
        let config = DieselConfig { max_connections: 4, ..DieselConfig::new(self.url()) };
        DieselStore::connect(&config).expect("connect")
    }

    /// Runs raw SQL on a connection of its own (for setting up bulk data).
    pub fn execute(&self, sql: &str) {
        use diesel::connection::SimpleConnection;
        match self {
            TestDb::Sqlite(file) => {
                let mut conn = SqliteConnection::establish(file.path().to_str().unwrap()).unwrap();
                conn.batch_execute(sql).unwrap();
            }
            TestDb::Postgres(db) => {
                let mut conn = PgConnection::establish(&db.url).unwrap();
                conn.batch_execute(sql).unwrap();
            }
        }
    }
}

/// The customer who opens the scenarios' tickets.
pub fn alex() -> CustomerId {
    CustomerId::from_uuid(Uuid::from_u128(0x0193_0000_0000_7000_8000_0000_0000_00a1))
}

/// Another customer of the same tenant.
pub fn blake() -> CustomerId {
    CustomerId::from_uuid(Uuid::from_u128(0x0193_0000_0000_7000_8000_0000_0000_00b1))
}

/// Alex opens a ticket of `tenant`, about `order` when given.
pub fn opened(tenant: &TenantKey, order: Option<&str>) -> OpenedTicket {
    opened_by(tenant, alex(), order)
}

/// `customer` opens a ticket of `tenant`, about `order` when given.
pub fn opened_by(tenant: &TenantKey, customer: CustomerId, order: Option<&str>) -> OpenedTicket {
    let actor = Actor::customer(customer, "Alex");
    let ctx = CommandContext {
        actor: &actor,
        policy: TenantPolicy::default(),
        now: supportdesk_app::Clock::now(&supportdesk_app::SystemClock),
        ids: &UuidV7,
    };
    Ticket::open(
        &ctx,
        OpenTicket {
            tenant: tenant.clone(),
            customer_id: customer,
            category_id: CategoryId::from_uuid(Uuid::now_v7()),
            subject: None,
            description: Description::parse("My parcel never arrived. It was due on Monday.").unwrap(),
            priority: Priority::Normal,
            source: Source::Api,
            order_id: order.map(|o| ExternalRef::parse(o).unwrap()),
            delivery_id: None,
            attachments: vec![],
        },
    )
    .unwrap()
}

/// An agent actor.
pub fn agent() -> Actor {
    Actor::agent(supportdesk_domain::AgentId::from_uuid(Uuid::now_v7()), "Sam")
}
