//! [`AccountStore`]: customers, agents and logins.
//!
//! A login row (unique per tenant and email) belongs to a customer or an agent; agents
//! always have one, written and changed in the same transaction as the agent.

use async_trait::async_trait;
use diesel::prelude::*;
use diesel::upsert::excluded;
use supportdesk_app::Taken;
use supportdesk_app::{AccountStore, CustomerQuery, Login, Page, StoreError, StoreResult};
use supportdesk_domain::search::{directory_email_key, directory_name_key};
use supportdesk_domain::{Agent, AgentId, Customer, CustomerId, Email, Role, TenantKey};
use time::OffsetDateTime;

use crate::db::{on_backend, one_snapshot, write_transaction, DbConnection};
use crate::error::{unique_as, Failure};
use crate::query::{CappedCount, One};
use crate::rows::{id_text, to_db_time, AgentChangeset, AgentRead, AgentRow, CustomerRow, LoginRow};
use crate::schema::{agents, customers, logins};
use crate::search;
use crate::store::DieselStore;
use crate::trust::revoke_sessions_in;

fn email_taken() -> Failure {
    Failure::Store(StoreError::Duplicate(Taken::Email))
}

fn insert_login(conn: &mut DbConnection, login: &LoginRow) -> Result<(), Failure> {
    diesel::insert_into(logins::table).values(login).execute(conn).map_err(|e| unique_as(e, email_taken))?;
    Ok(())
}

/// The tenant's customers that `query`'s lookup finds, as a boxed query of `customers`: a
/// name prefix is a range of `customers_name_key`, from the start of the key or of a word
/// of it; an email prefix a range of `customers_email_key`. Folded words hold only letters
/// and digits; the email prefix has its `LIKE` wildcards escaped.
macro_rules! directory_filter {
    ($tenant:expr, $query:expr) => {{
        let mut found = customers::table.filter(customers::tenant.eq($tenant.to_owned())).into_boxed();
        if let Some(text) = &$query.text {
            let email = customers::email_key.like(format!("{}%", escape_like(text.email_prefix()))).escape('\\');
            found = match text.name_prefix() {
                "" => found.filter(email),
                name => found.filter(
                    customers::name_key
                        .like(format!("{name}%"))
                        .or(customers::name_key.like(format!("% {name}%")))
                        .or(email),
                ),
            };
        }
        found
    }};
}

/// `raw` with `\`, `%` and `_` escaped by `\`, to match literally in a `LIKE ... ESCAPE '\'`.
fn escape_like(raw: &str) -> String {
    let mut escaped = String::with_capacity(raw.len());
    for c in raw.chars() {
        if matches!(c, '\\' | '%' | '_') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

/// Gives the customers written before the directory's migration their keys (SQL cannot
/// fold as the service does), 500 at a time; returns how many it keyed. A row whose name
/// keys to '' is keyed again on the next start, at no harm.
pub(crate) fn key_customers(conn: &mut DbConnection) -> Result<u64, Failure> {
    let mut keyed = 0;
    let mut after: Option<(String, String)> = None;
    loop {
        let mut unkeyed = customers::table
            .filter(customers::name_key.eq(""))
            .select(CustomerRow::as_select())
            .order_by((customers::tenant, customers::id))
            .limit(500)
            .into_boxed();
        if let Some((tenant, id)) = after.take() {
            unkeyed = unkeyed.filter(
                customers::tenant.gt(tenant.clone()).or(customers::tenant.eq(tenant).and(customers::id.gt(id))),
            );
        }
        let rows: Vec<CustomerRow> = unkeyed.load(conn)?;
        let Some(last) = rows.last() else { return Ok(keyed) };
        after = Some((last.tenant.clone(), last.id.clone()));
        write_transaction(conn, |conn| {
            for row in &rows {
                let keys = (
                    customers::name_key.eq(directory_name_key(&row.name)),
                    customers::email_key.eq(directory_email_key(row.email.as_deref())),
                );
                let this = customers::table.filter(customers::tenant.eq(&row.tenant)).filter(customers::id.eq(&row.id));
                diesel::update(this).set(keys).execute(conn)?;
            }
            Ok::<_, Failure>(())
        })?;
        keyed += rows.len() as u64;
    }
}

fn find_customer(conn: &mut DbConnection, tenant: &str, id: &str) -> Result<Option<Customer>, Failure> {
    customers::table
        .filter(customers::tenant.eq(tenant))
        .filter(customers::id.eq(id))
        .select(CustomerRow::as_select())
        .get_result(conn)
        .optional()?
        .map(Customer::try_from)
        .transpose()
}

/// Refuses a change that takes agent `id` out of the tenant's active admins when no other
/// active admin would remain. The active admins' rows are locked first, in id order, so two
/// such changes on PostgreSQL run one after the other (the second sees the first's result)
/// instead of both seeing the other admin; SQLite's writer is single anyway.
fn check_not_last_admin(conn: &mut DbConnection, tenant: &str, id: &str) -> Result<(), Failure> {
    let admins = agents::table
        .filter(agents::tenant.eq(tenant))
        .filter(agents::role.eq(Role::Admin.as_str()))
        .filter(agents::active.eq(true))
        .order_by(agents::id.asc())
        .select(agents::id);
    let active_admins: Vec<String> = match conn {
        DbConnection::Pg(c) => admins.for_update().load(c)?,
        DbConnection::Sqlite(c) => admins.load(c)?,
    };
    if active_admins.iter().any(|admin| admin == id) && active_admins.len() == 1 {
        return Err(Failure::Store(StoreError::LastAdmin));
    }
    Ok(())
}

#[async_trait]
impl AccountStore for DieselStore {
    #[tracing::instrument(level = "debug", skip_all, fields(tenant = %tenant, customer.id = %id))]
    async fn customer(&self, tenant: &TenantKey, id: CustomerId) -> StoreResult<Option<Customer>> {
        let (tenant, id) = (tenant.to_string(), id_text(id.as_uuid()));
        self.quick_read(move |conn| find_customer(conn, &tenant, &id)).await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant = %tenant))]
    async fn list_customers(&self, tenant: &TenantKey, query: &CustomerQuery) -> StoreResult<Page<Customer>> {
        let tenant = tenant.to_string();
        let query = query.clone();
        self.read(move |conn| {
            one_snapshot(conn, |conn| {
                let rows: Vec<CustomerRow> = on_backend!(conn, |c| {
                    let mut page = directory_filter!(&tenant, &query).select(CustomerRow::as_select());
                    if let Some(after) = &query.after {
                        let id = id_text(after.id.as_uuid());
                        page = page.filter(
                            customers::name_key
                                .gt(after.name_key.clone())
                                .or(customers::name_key.eq(after.name_key.clone()).and(customers::id.gt(id))),
                        );
                    }
                    page.order_by((customers::name_key.asc(), customers::id.asc()))
                        .limit(i64::from(query.page.fetch()))
                        .offset(i64::try_from(query.page.offset()).unwrap_or(i64::MAX))
                        .load(c)
                })?;
                let cap = i64::try_from(Page::<()>::TOTAL_CAP).unwrap_or(i64::MAX);
                let total: i64 = on_backend!(conn, |c| {
                    CappedCount { query: directory_filter!(&tenant, &query).select(One), cap }.get_result(c)
                })?;
                let items = rows.into_iter().map(Customer::try_from).collect::<Result<Vec<_>, _>>()?;
                Ok(Page::counted_up_to_cap(items, query.page, u64::try_from(total).unwrap_or(0)))
            })
        })
        .await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant = %customer.tenant, customer.id = %customer.id))]
    async fn upsert_customer(&self, customer: &Customer) -> StoreResult<Customer> {
        let row = CustomerRow::from(customer);
        self.write(move |conn| {
            write_transaction(conn, |conn| {
                // One statement, so concurrent upserts of one customer cannot both insert;
                // created_at is kept from the first insert.
                let stored: CustomerRow = on_backend!(conn, |c| diesel::insert_into(customers::table)
                    .values(&row)
                    .on_conflict((customers::tenant, customers::id))
                    .do_update()
                    .set((
                        customers::name.eq(excluded(customers::name)),
                        customers::email.eq(excluded(customers::email)),
                        customers::image_url.eq(excluded(customers::image_url)),
                        customers::updated_at.eq(excluded(customers::updated_at)),
                        customers::name_key.eq(excluded(customers::name_key)),
                        customers::email_key.eq(excluded(customers::email_key)),
                    ))
                    .returning(CustomerRow::as_returning())
                    .get_result(c))?;
                // Their tickets are found by the name and email they have now.
                search::index_customer(conn, &stored.tenant, &stored.id, &stored.name, stored.email.as_deref())?;
                Customer::try_from(stored)
            })
        })
        .await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant = %customer.tenant, customer.id = %customer.id))]
    async fn provision_customer(&self, customer: &Customer) -> StoreResult<Customer> {
        let row = CustomerRow::from(customer);
        self.write(move |conn| {
            on_backend!(conn, |c| diesel::insert_into(customers::table)
                .values(&row)
                .on_conflict((customers::tenant, customers::id))
                .do_nothing()
                .execute(c))?;
            // Customers are never deleted, so the row is there: ours or an earlier one.
            find_customer(conn, &row.tenant, &row.id)?
                .ok_or_else(|| Failure::Corrupt("a provisioned customer is missing".to_owned()))
        })
        .await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant = %customer.tenant, customer.id = %customer.id))]
    async fn register_customer(&self, customer: &Customer, login: &Login) -> StoreResult<()> {
        let (row, login) = (CustomerRow::from(customer), LoginRow::from(login));
        self.write(move |conn| {
            write_transaction(conn, |conn| {
                insert_login(conn, &login)?;
                diesel::insert_into(customers::table).values(&row).execute(conn)?;
                Ok(())
            })
        })
        .await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant = %tenant, agent.id = %id))]
    async fn agent(&self, tenant: &TenantKey, id: AgentId) -> StoreResult<Option<Agent>> {
        let (tenant, id) = (tenant.to_string(), id_text(id.as_uuid()));
        self.quick_read(move |conn| {
            agents::table
                .filter(agents::tenant.eq(tenant))
                .filter(agents::id.eq(id))
                .select(AgentRead::as_select())
                .get_result(conn)
                .optional()?
                .map(Agent::try_from)
                .transpose()
        })
        .await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant = %tenant))]
    async fn list_agents(&self, tenant: &TenantKey) -> StoreResult<Vec<Agent>> {
        let tenant = tenant.to_string();
        self.quick_read(move |conn| {
            agents::table
                .filter(agents::tenant.eq(tenant))
                .order_by((agents::name.asc(), agents::id.asc()))
                .select(AgentRead::as_select())
                .load(conn)?
                .into_iter()
                .map(Agent::try_from)
                .collect()
        })
        .await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant = %agent.tenant, agent.id = %agent.id))]
    async fn insert_agent(&self, agent: &Agent, password_hash: &str) -> StoreResult<()> {
        let row = AgentRow::from(agent);
        let login = LoginRow {
            tenant: row.tenant.clone(),
            email: row.email.clone(),
            principal_id: row.id.clone(),
            role: agent.role.as_str().to_owned(),
            password_hash: password_hash.to_owned(),
        };
        self.write(move |conn| {
            write_transaction(conn, |conn| {
                insert_login(conn, &login)?;
                diesel::insert_into(agents::table).values(&row).execute(conn)?;
                Ok(())
            })
        })
        .await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant = %agent.tenant, agent.id = %agent.id))]
    async fn update_agent(
        &self,
        agent: &Agent,
        password_hash: Option<&str>,
        revoke_sessions_at: Option<OffsetDateTime>,
    ) -> StoreResult<()> {
        let (tenant, id) = (agent.tenant.to_string(), id_text(agent.id.as_uuid()));
        let changes = AgentChangeset::from(agent);
        let password_hash = password_hash.map(str::to_owned);
        let stays_active_admin = agent.role == Role::Admin && agent.active;
        self.write(move |conn| {
            write_transaction(conn, |conn| {
                if !stays_active_admin {
                    check_not_last_admin(conn, &tenant, &id)?;
                }
                let updated =
                    diesel::update(agents::table.filter(agents::tenant.eq(&tenant)).filter(agents::id.eq(&id)))
                        .set(&changes)
                        .execute(conn)?;
                if updated == 0 {
                    return Err(Failure::Store(StoreError::NotFound));
                }
                let login = logins::table.filter(logins::tenant.eq(&tenant)).filter(logins::principal_id.eq(&id));
                let moved = match &password_hash {
                    Some(hash) => diesel::update(login)
                        .set((
                            logins::email.eq(&changes.email),
                            logins::role.eq(changes.role),
                            logins::password_hash.eq(hash),
                        ))
                        .execute(conn),
                    None => diesel::update(login)
                        .set((logins::email.eq(&changes.email), logins::role.eq(changes.role)))
                        .execute(conn),
                }
                .map_err(|e| unique_as(e, email_taken))?;
                if moved == 0 {
                    // An agent without a login (written by something else): give it one,
                    // unusable until a password is set.
                    insert_login(
                        conn,
                        &LoginRow {
                            tenant: tenant.clone(),
                            email: changes.email.clone(),
                            principal_id: id.clone(),
                            role: changes.role.to_owned(),
                            password_hash: password_hash.clone().unwrap_or_default(),
                        },
                    )?;
                }
                if let Some(at) = revoke_sessions_at {
                    revoke_sessions_in(conn, &tenant, &id, to_db_time(at))?;
                }
                Ok(())
            })
        })
        .await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant = %tenant))]
    async fn login(&self, tenant: &TenantKey, email: &Email) -> StoreResult<Option<Login>> {
        let (tenant, email) = (tenant.to_string(), email.to_string());
        self.quick_read(move |conn| {
            logins::table
                .filter(logins::tenant.eq(tenant))
                .filter(logins::email.eq(email))
                .select(LoginRow::as_select())
                .get_result(conn)
                .optional()?
                .map(Login::try_from)
                .transpose()
        })
        .await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant = %tenant))]
    async fn has_admin(&self, tenant: &TenantKey) -> StoreResult<bool> {
        let tenant = tenant.to_string();
        self.quick_read(move |conn| {
            let admin = agents::table
                .filter(agents::tenant.eq(tenant))
                .filter(agents::role.eq(Role::Admin.as_str()))
                .filter(agents::active.eq(true));
            Ok(diesel::select(diesel::dsl::exists(admin)).get_result::<bool>(conn)?)
        })
        .await
    }
}
