//! [`TrustStore`]: tenants as the operator creates them, signing keys, API keys, logged-out
//! tokens and the state of agents' sessions.

use async_trait::async_trait;
use diesel::prelude::*;
use supportdesk_app::Taken;
use supportdesk_app::{AgentSession, ApiKey, Secret, SigningKey, StoreError, StoreResult, TenantRecord, TrustStore};
use supportdesk_domain::{Agent, AgentId, Category, PersonName, TenantKey, TenantPolicy};
use time::{OffsetDateTime, PrimitiveDateTime};
use uuid::Uuid;

use crate::db::{on_backend, write_transaction, DbConnection};
use crate::error::{unique_as, Failure};
use crate::rows::{
    from_db_time, id_text, parse_permissions, permissions_text, to_db_time, uuid, AgentRead, CategoryRow,
};
use crate::schema::{agents, api_keys, categories, revoked_tokens, service_secrets, signing_keys, tenants};
use crate::store::DieselStore;

/// A tenant row as first inserted.
#[derive(Debug, Insertable)]
#[diesel(table_name = tenants)]
pub(crate) struct NewTenantRow {
    key: String,
    last_number: i64,
    allow_customer_close: bool,
    reopen_closed_on_customer_reply: bool,
    created_at: PrimitiveDateTime,
    name: String,
    allow_registration: bool,
    auto_close_resolved_after_days: i32,
}

impl NewTenantRow {
    pub(crate) fn new(tenant: &TenantKey, name: &str, allow_registration: bool, policy: TenantPolicy) -> Self {
        Self {
            key: tenant.to_string(),
            last_number: 0,
            allow_customer_close: policy.allow_customer_close,
            reopen_closed_on_customer_reply: policy.reopen_closed_on_customer_reply,
            created_at: to_db_time(OffsetDateTime::now_utc()),
            name: name.to_owned(),
            allow_registration,
            auto_close_resolved_after_days: i32::from(policy.auto_close_resolved_after_days),
        }
    }
}

/// Inserts the tenant row unless it exists, and seeds its categories when it was inserted
/// now; returns whether it was. Under concurrency the losers wait for the winner's commit
/// and then insert nothing.
pub(crate) fn create_tenant_in(
    conn: &mut DbConnection,
    row: &NewTenantRow,
    default_categories: &[CategoryRow],
) -> Result<bool, Failure> {
    write_transaction(conn, |conn| {
        let inserted = on_backend!(conn, |c| diesel::insert_into(tenants::table)
            .values(row)
            .on_conflict(tenants::key)
            .do_nothing()
            .execute(c))?;
        if inserted == 0 {
            return Ok(false);
        }
        // A slug taken meanwhile (a category added before the tenant row existed) keeps its
        // category.
        for category in default_categories {
            on_backend!(conn, |c| diesel::insert_into(categories::table)
                .values(category)
                .on_conflict_do_nothing()
                .execute(c))?;
        }
        Ok(true)
    })
}

#[derive(Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = signing_keys)]
struct SigningKeyRow {
    kid: String,
    tenant: String,
    secret: String,
    allow_staff: bool,
    created_at: PrimitiveDateTime,
}

impl From<&SigningKey> for SigningKeyRow {
    fn from(key: &SigningKey) -> Self {
        Self {
            kid: key.kid.clone(),
            tenant: key.tenant.to_string(),
            secret: key.secret.expose().to_owned(),
            allow_staff: key.allow_staff,
            created_at: to_db_time(key.created_at),
        }
    }
}

impl TryFrom<SigningKeyRow> for SigningKey {
    type Error = Failure;

    fn try_from(row: SigningKeyRow) -> Result<Self, Failure> {
        Ok(SigningKey {
            kid: row.kid,
            tenant: TenantKey::parse(&row.tenant)?,
            secret: Secret::new(row.secret),
            allow_staff: row.allow_staff,
            created_at: from_db_time(row.created_at),
        })
    }
}

#[derive(Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = api_keys)]
struct ApiKeyRow {
    tenant: String,
    id: String,
    name: String,
    prefix: String,
    key_hash: String,
    permissions: String,
    created_at: PrimitiveDateTime,
    expires_at: Option<PrimitiveDateTime>,
    last_used_at: Option<PrimitiveDateTime>,
}

impl ApiKeyRow {
    fn new(key: &ApiKey, key_hash: &str) -> Self {
        Self {
            tenant: key.tenant.to_string(),
            id: id_text(key.id),
            name: key.name.to_string(),
            prefix: key.prefix.clone(),
            key_hash: key_hash.to_owned(),
            permissions: permissions_text(&key.permissions),
            created_at: to_db_time(key.created_at),
            expires_at: key.expires_at.map(to_db_time),
            last_used_at: key.last_used_at.map(to_db_time),
        }
    }
}

impl TryFrom<ApiKeyRow> for ApiKey {
    type Error = Failure;

    fn try_from(row: ApiKeyRow) -> Result<Self, Failure> {
        Ok(ApiKey {
            id: uuid(&row.id)?,
            tenant: TenantKey::parse(&row.tenant)?,
            name: PersonName::parse(&row.name)?,
            prefix: row.prefix,
            permissions: parse_permissions(&row.permissions)?,
            created_at: from_db_time(row.created_at),
            expires_at: row.expires_at.map(from_db_time),
            last_used_at: row.last_used_at.map(from_db_time),
        })
    }
}

#[async_trait]
impl TrustStore for DieselStore {
    #[tracing::instrument(level = "debug", skip_all, fields(tenant = %tenant))]
    async fn create_tenant(
        &self,
        tenant: &TenantKey,
        name: &str,
        allow_registration: bool,
        default_categories: &[Category],
    ) -> StoreResult<bool> {
        let row = NewTenantRow::new(tenant, name, allow_registration, TenantPolicy::default());
        let categories: Vec<CategoryRow> = default_categories.iter().map(CategoryRow::from).collect();
        self.write(move |conn| create_tenant_in(conn, &row, &categories)).await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant = %tenant))]
    async fn tenant(&self, tenant: &TenantKey) -> StoreResult<Option<TenantRecord>> {
        let key = tenant.clone();
        self.quick_read(move |conn| {
            let row = tenants::table
                .filter(tenants::key.eq(key.as_str()))
                .select((tenants::name, tenants::allow_registration, tenants::created_at))
                .get_result::<(String, bool, PrimitiveDateTime)>(conn)
                .optional()?;
            Ok(row.map(|(name, allow_registration, created_at)| TenantRecord {
                key,
                name,
                allow_registration,
                created_at: from_db_time(created_at),
            }))
        })
        .await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant = %tenant))]
    async fn set_allow_registration(&self, tenant: &TenantKey, allow: bool) -> StoreResult<()> {
        let key = tenant.to_string();
        self.write(move |conn| {
            let updated = diesel::update(tenants::table.filter(tenants::key.eq(key)))
                .set(tenants::allow_registration.eq(allow))
                .execute(conn)?;
            if updated == 0 {
                return Err(Failure::Store(StoreError::NotFound));
            }
            Ok(())
        })
        .await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant = %key.tenant))]
    async fn insert_signing_key(&self, key: &SigningKey) -> StoreResult<()> {
        let row = SigningKeyRow::from(key);
        self.write(move |conn| {
            diesel::insert_into(signing_keys::table)
                .values(&row)
                .execute(conn)
                .map_err(|e| unique_as(e, || Failure::Store(StoreError::Duplicate(Taken::SigningKeyId))))?;
            Ok(())
        })
        .await
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn signing_key(&self, kid: &str) -> StoreResult<Option<SigningKey>> {
        let kid = kid.to_owned();
        self.quick_read(move |conn| {
            signing_keys::table
                .filter(signing_keys::kid.eq(kid))
                .select(SigningKeyRow::as_select())
                .get_result(conn)
                .optional()?
                .map(SigningKey::try_from)
                .transpose()
        })
        .await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant = %tenant))]
    async fn list_signing_keys(&self, tenant: &TenantKey) -> StoreResult<Vec<SigningKey>> {
        let tenant = tenant.to_string();
        self.read(move |conn| {
            signing_keys::table
                .filter(signing_keys::tenant.eq(tenant))
                .order_by((signing_keys::created_at.asc(), signing_keys::kid.asc()))
                .select(SigningKeyRow::as_select())
                .load(conn)?
                .into_iter()
                .map(SigningKey::try_from)
                .collect()
        })
        .await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant = %tenant))]
    async fn delete_signing_key(&self, tenant: &TenantKey, kid: &str) -> StoreResult<bool> {
        let (tenant, kid) = (tenant.to_string(), kid.to_owned());
        self.write(move |conn| {
            let deleted = diesel::delete(
                signing_keys::table.filter(signing_keys::tenant.eq(tenant)).filter(signing_keys::kid.eq(kid)),
            )
            .execute(conn)?;
            Ok(deleted > 0)
        })
        .await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant = %key.tenant, api_key.id = %key.id))]
    async fn insert_api_key(&self, key: &ApiKey, key_hash: &str) -> StoreResult<()> {
        let row = ApiKeyRow::new(key, key_hash);
        self.write(move |conn| {
            diesel::insert_into(api_keys::table)
                .values(&row)
                .execute(conn)
                .map_err(|e| unique_as(e, || Failure::Store(StoreError::Duplicate(Taken::ApiKey))))?;
            Ok(())
        })
        .await
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn api_key_by_hash(&self, key_hash: &str) -> StoreResult<Option<ApiKey>> {
        let key_hash = key_hash.to_owned();
        self.quick_read(move |conn| {
            api_keys::table
                .filter(api_keys::key_hash.eq(key_hash))
                .select(ApiKeyRow::as_select())
                .get_result(conn)
                .optional()?
                .map(ApiKey::try_from)
                .transpose()
        })
        .await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant = %tenant))]
    async fn list_api_keys(&self, tenant: &TenantKey) -> StoreResult<Vec<ApiKey>> {
        let tenant = tenant.to_string();
        self.read(move |conn| {
            api_keys::table
                .filter(api_keys::tenant.eq(tenant))
                .order_by((api_keys::created_at.asc(), api_keys::id.asc()))
                .select(ApiKeyRow::as_select())
                .load(conn)?
                .into_iter()
                .map(ApiKey::try_from)
                .collect()
        })
        .await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant = %tenant, api_key.id = %id))]
    async fn delete_api_key(&self, tenant: &TenantKey, id: Uuid) -> StoreResult<bool> {
        let (tenant, id) = (tenant.to_string(), id_text(id));
        self.write(move |conn| {
            let deleted =
                diesel::delete(api_keys::table.filter(api_keys::tenant.eq(tenant)).filter(api_keys::id.eq(id)))
                    .execute(conn)?;
            Ok(deleted > 0)
        })
        .await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant = %tenant, api_key.id = %id))]
    async fn touch_api_key(&self, tenant: &TenantKey, id: Uuid, at: OffsetDateTime) -> StoreResult<()> {
        let (tenant, id, at) = (tenant.to_string(), id_text(id), to_db_time(at));
        self.write(move |conn| {
            diesel::update(api_keys::table.filter(api_keys::tenant.eq(tenant)).filter(api_keys::id.eq(id)))
                .set(api_keys::last_used_at.eq(at))
                .execute(conn)?;
            Ok(())
        })
        .await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant = %tenant))]
    async fn revoke_token(&self, tenant: &TenantKey, token_hash: &str, expires_at: OffsetDateTime) -> StoreResult<()> {
        let (tenant, token_hash, expires_at) = (tenant.to_string(), token_hash.to_owned(), to_db_time(expires_at));
        self.write(move |conn| {
            on_backend!(conn, |c| diesel::insert_into(revoked_tokens::table)
                .values((
                    revoked_tokens::token_hash.eq(&token_hash),
                    revoked_tokens::tenant.eq(&tenant),
                    revoked_tokens::expires_at.eq(expires_at),
                ))
                .on_conflict(revoked_tokens::token_hash)
                .do_nothing()
                .execute(c))?;
            Ok(())
        })
        .await
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn is_token_revoked(&self, token_hash: &str) -> StoreResult<bool> {
        let token_hash = token_hash.to_owned();
        self.quick_read(move |conn| {
            let revoked = revoked_tokens::table.filter(revoked_tokens::token_hash.eq(token_hash));
            Ok(diesel::select(diesel::dsl::exists(revoked)).get_result::<bool>(conn)?)
        })
        .await
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn prune_revoked_tokens(&self, now: OffsetDateTime) -> StoreResult<u64> {
        let now = to_db_time(now);
        self.write(move |conn| {
            let deleted =
                diesel::delete(revoked_tokens::table.filter(revoked_tokens::expires_at.lt(now))).execute(conn)?;
            Ok(u64::try_from(deleted).unwrap_or(u64::MAX))
        })
        .await
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn service_secret(&self, name: &str, candidate: &Secret) -> StoreResult<Secret> {
        let (name, candidate) = (name.to_owned(), candidate.expose().to_owned());
        let now = to_db_time(OffsetDateTime::now_utc());
        self.write(move |conn| {
            on_backend!(conn, |c| diesel::insert_into(service_secrets::table)
                .values((
                    service_secrets::name.eq(&name),
                    service_secrets::secret.eq(&candidate),
                    service_secrets::created_at.eq(now),
                ))
                .on_conflict(service_secrets::name)
                .do_nothing()
                .execute(c))?;
            let stored = service_secrets::table
                .filter(service_secrets::name.eq(&name))
                .select(service_secrets::secret)
                .get_result::<String>(conn)?;
            Ok(Secret::new(stored))
        })
        .await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant = %tenant, agent.id = %id))]
    async fn agent_session(&self, tenant: &TenantKey, id: AgentId) -> StoreResult<Option<AgentSession>> {
        let (tenant, id) = (tenant.to_string(), id_text(id.as_uuid()));
        self.quick_read(move |conn| {
            let row = agents::table
                .filter(agents::tenant.eq(tenant))
                .filter(agents::id.eq(id))
                .select((AgentRead::as_select(), agents::session_generation, agents::sessions_revoked_at))
                .get_result::<(AgentRead, i64, Option<PrimitiveDateTime>)>(conn)
                .optional()?;
            row.map(|(agent, generation, revoked_at)| {
                Ok(AgentSession {
                    agent: Agent::try_from(agent)?,
                    generation,
                    revoked_at: revoked_at.map(from_db_time),
                })
            })
            .transpose()
        })
        .await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant = %tenant, agent.id = %id))]
    async fn revoke_agent_sessions(&self, tenant: &TenantKey, id: AgentId, at: OffsetDateTime) -> StoreResult<()> {
        let (tenant, id, at) = (tenant.to_string(), id_text(id.as_uuid()), to_db_time(at));
        self.write(move |conn| {
            if revoke_sessions_in(conn, &tenant, &id, at)? == 0 {
                return Err(Failure::Store(StoreError::NotFound));
            }
            Ok(())
        })
        .await
    }
}

/// Ends an agent's sessions: bumps the generation and records when; returns the rows changed.
pub(crate) fn revoke_sessions_in(
    conn: &mut DbConnection,
    tenant: &str,
    id: &str,
    at: PrimitiveDateTime,
) -> Result<usize, Failure> {
    Ok(diesel::update(agents::table.filter(agents::tenant.eq(tenant)).filter(agents::id.eq(id)))
        .set((agents::session_generation.eq(agents::session_generation + 1), agents::sessions_revoked_at.eq(at)))
        .execute(conn)?)
}
