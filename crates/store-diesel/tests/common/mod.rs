//! Test databases: a fresh SQLite file per test, or a fresh PostgreSQL database per test
//! (created from `TEST_POSTGRES_URL`, dropped when the guard drops), so runs never see each
//! other's data; and domain values built the short way.

#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

pub mod scenarios;

use std::path::PathBuf;

use diesel::prelude::*;
use diesel::PgConnection;
use supportdesk_domain::{
    Actor, CategoryId, CommandContext, CustomerId, Description, ExternalRef, OpenTicket, OpenedTicket, Priority,
    Source, TenantKey, TenantPolicy, Ticket, UuidV7,
};
use supportdesk_store_diesel::{DieselConfig, DieselStore};
use uuid::Uuid;

/// Where a test's database lives; dropping it deletes the database.
pub enum TestDb {
    /// A file in a temporary folder.
    Sqlite { dir: tempfile::TempDir, path: PathBuf },
    /// A database of its own on the PostgreSQL server.
    Postgres(PgDatabase),
}

impl TestDb {
    /// A fresh SQLite file (not created yet: the store creates it).
    pub fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("nested").join("folder").join("supportdesk.db");
        TestDb::Sqlite { dir, path }
    }

    /// A fresh PostgreSQL database, or `None` (with a loud line) without `TEST_POSTGRES_URL`.
    pub fn postgres() -> Option<Self> {
        PgDatabase::create().map(TestDb::Postgres)
    }

    /// The URL a store connects to.
    pub fn url(&self) -> String {
        match self {
            TestDb::Sqlite { path, .. } => format!("sqlite://{}", path.display()),
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
            TestDb::Sqlite { path, .. } => {
                let mut conn = SqliteConnection::establish(path.to_str().unwrap()).unwrap();
                conn.batch_execute(sql).unwrap();
            }
            TestDb::Postgres(db) => {
                let mut conn = PgConnection::establish(&db.url).unwrap();
                conn.batch_execute(sql).unwrap();
            }
        }
    }
}

/// A PostgreSQL database made for one test and dropped after it.
pub struct PgDatabase {
    admin_url: String,
    name: String,
    /// The database's URL.
    pub url: String,
}

impl PgDatabase {
    /// Creates `sd_test_<uuid>` through `TEST_POSTGRES_URL`.
    pub fn create() -> Option<Self> {
        let Ok(admin_url) = std::env::var("TEST_POSTGRES_URL") else {
            eprintln!("SKIPPED: TEST_POSTGRES_URL not set: PostgreSQL tests did not run");
            return None;
        };
        let name = format!("sd_test_{}", Uuid::now_v7().simple());
        let mut admin = PgConnection::establish(&admin_url).expect("connect to TEST_POSTGRES_URL");
        diesel::sql_query(format!("CREATE DATABASE {name}")).execute(&mut admin).expect("create database");
        let url = with_database(&admin_url, &name);
        Some(Self { admin_url, name, url })
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        // FORCE ends the store's pooled connections, which may outlive the test's last use.
        if let Ok(mut admin) = PgConnection::establish(&self.admin_url) {
            let _ =
                diesel::sql_query(format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name)).execute(&mut admin);
        }
    }
}

/// `url` with its database name replaced by `name` (query parameters kept).
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let server = match base[scheme_end..].find('/') {
        Some(slash) => &base[..scheme_end + slash],
        None => base,
    };
    match query {
        Some(query) => format!("{server}/{name}?{query}"),
        None => format!("{server}/{name}"),
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
