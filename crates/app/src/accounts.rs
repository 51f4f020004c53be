//! Account use cases: registration and login, agents, customer profiles, tenant settings,
//! and provisioning customers from a shop's tokens.

use crate::error::{Missing, Refusal};
use async_trait::async_trait;
use supportdesk_domain::search::directory_name_key;
use supportdesk_domain::{
    Agent, AgentId, Customer, CustomerId, Email, InvalidValue, Permission, PersonName, Role, Rule, TenantKey,
    TenantPolicy,
};
use uuid::Uuid;

use crate::auth::Principal;
use crate::cursor::{CursorPoint, CursorScope, CursorValue};
use crate::error::AppError;
use crate::model::{CustomerPosition, CustomerQuery, Login, Page, TicketQuery, TicketSummary};
use crate::ports::PasswordHasher;
use crate::tickets::principal_kind;
use crate::trust::dedup_permissions;
use crate::App;

/// A password as typed: 10..=128 characters, never trimmed, never printed.
#[derive(Clone)]
pub struct Password(String);

impl Password {
    /// Checks the length.
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        let length = raw.chars().count();
        if (10..=128).contains(&length) {
            Ok(Self(raw.to_owned()))
        } else {
            Err(InvalidValue::new("password", Rule::Length { min: 10, max: 128 }))
        }
    }

    /// The secret itself.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password([redacted])")
    }
}

/// A customer signing up with the service's own accounts.
#[derive(Debug, Clone)]
pub struct RegisterInput {
    /// The tenant (default `default`).
    pub tenant: TenantKey,
    /// Login email, unique in the tenant.
    pub email: Email,
    /// The password.
    pub password: Password,
    /// Display name.
    pub name: PersonName,
}

/// Who logged in, for the caller to mint a token for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthenticatedUser {
    /// The tenant.
    pub tenant: TenantKey,
    /// The customer's or agent's id.
    pub id: Uuid,
    /// Their role.
    pub role: Role,
    /// An agent's permissions (empty for customers).
    pub permissions: Vec<Permission>,
    /// Display name.
    pub name: String,
    /// Email.
    pub email: Email,
    /// Staff only: the session generation the token is issued under (a revocation bumps it).
    pub session_generation: Option<i64>,
}

/// A new agent or admin.
#[derive(Debug, Clone)]
pub struct NewAgent {
    /// Login email.
    pub email: Email,
    /// Display name.
    pub name: PersonName,
    /// Initial password.
    pub password: Password,
    /// `agent` or `admin`.
    pub role: Role,
    /// Default: [`Permission::AGENT_DEFAULTS`].
    pub permissions: Option<Vec<Permission>>,
    /// Default `true`.
    pub active: bool,
}

/// Changes to an agent; `None` keeps a field.
#[derive(Debug, Clone, Default)]
pub struct AgentPatch {
    /// New login email.
    pub email: Option<Email>,
    /// New name.
    pub name: Option<PersonName>,
    /// New password.
    pub password: Option<Password>,
    /// New role.
    pub role: Option<Role>,
    /// New permissions.
    pub permissions: Option<Vec<Permission>>,
    /// Activate or deactivate.
    pub active: Option<bool>,
}

/// A customer profile as the shop sends it.
#[derive(Debug, Clone)]
pub struct CustomerProfile {
    /// Display name.
    pub name: PersonName,
    /// Contact email.
    pub email: Option<Email>,
    /// Avatar URL (http or https).
    pub image_url: Option<String>,
}

/// Checks an avatar URL: http(s), at most 2,048 characters, no spaces.
///
/// # Errors
///
/// A validation error on `field`.
pub(crate) fn image_url(raw: &str, field: &'static str) -> Result<String, InvalidValue> {
    let url = raw.trim();
    let ok = (url.starts_with("https://") || url.starts_with("http://"))
        && url.len() <= 2048
        && !url.chars().any(char::is_whitespace);
    if ok {
        Ok(url.to_owned())
    } else {
        Err(InvalidValue::new(field, Rule::Format("an http or https URL")))
    }
}

impl CustomerProfile {
    /// Parses the raw parts, reporting every bad field.
    ///
    /// # Errors
    ///
    /// [`AppError::Validation`].
    pub fn parse(name: &str, email: Option<&str>, image_url: Option<&str>) -> Result<Self, AppError> {
        let mut v = crate::Validator::default();
        let name = v.check(PersonName::parse(name));
        let email = v.check_opt(email.map(Email::parse));
        let image = v.check_opt(image_url.map(|u| self::image_url(u, "imageUrl")));
        v.finish()?;
        let name = name.ok_or_else(|| AppError::invalid("name", "must not be blank"))?;
        Ok(Self { name, email, image_url: image })
    }
}

/// A hasher that refuses everything; stands in only if Argon2 cannot even start.
pub(crate) struct RefusingHasher;

#[async_trait]
impl PasswordHasher for RefusingHasher {
    async fn hash(&self, _password: &str) -> Result<String, AppError> {
        Err(AppError::Internal("no password hasher is available".into()))
    }

    async fn verify(&self, _password: &str, _hash: Option<&str>) -> Result<bool, AppError> {
        Ok(false)
    }
}

impl App {
    /// Creates a customer account with a password, when registration is enabled globally
    /// and for the tenant.
    ///
    /// Registrations hash in turn within their share of the hasher (see
    /// [`crate::HashShare`]), so a flood of sign-ups never takes the capacity logins need.
    ///
    /// # Errors
    ///
    /// `Forbidden` when registration is disabled; `NotFound(Missing::Tenant)` for a tenant the
    /// operator has not created (nothing is created); `Conflict(Taken::Email)` for a taken email;
    /// `Busy` when registration's share of the hasher stayed taken for its whole wait.
    pub async fn register(&self, input: RegisterInput) -> Result<Customer, AppError> {
        if !self.settings.allow_registration {
            return Err(AppError::Forbidden(Refusal::RegistrationDisabled));
        }
        let tenant = self.find_tenant(&input.tenant).await?.ok_or(AppError::NotFound(Missing::Tenant))?;
        if !tenant.allow_registration {
            return Err(AppError::Forbidden(Refusal::TenantRegistrationDisabled));
        }
        let password_hash = {
            let _turn = self.registration_hashing.turn().await?;
            self.hasher.hash(input.password.expose()).await?
        };
        let now = self.clock.now();
        let customer = Customer {
            id: CustomerId::from_uuid(self.ids.next_uuid()),
            tenant: input.tenant.clone(),
            name: input.name,
            email: Some(input.email.clone()),
            image_url: None,
            created_at: now,
            updated_at: now,
        };
        let login = Login {
            tenant: input.tenant,
            email: input.email,
            principal_id: customer.id.as_uuid(),
            role: Role::Customer,
            password_hash,
        };
        self.accounts.register_customer(&customer, &login).await?;
        Ok(customer)
    }

    /// Checks an email and password. An unknown tenant, an unknown email, a wrong password
    /// and an inactive agent are the same [`AppError::InvalidCredentials`], after the same
    /// hashing work.
    ///
    /// # Errors
    ///
    /// `InvalidCredentials`.
    pub async fn login(
        &self,
        tenant: &TenantKey,
        email: &Email,
        password: &str,
    ) -> Result<AuthenticatedUser, AppError> {
        let login = match self.find_tenant(tenant).await? {
            Some(_) => self.accounts.login(tenant, email).await?,
            None => None,
        };
        let matches = self.hasher.verify(password, login.as_ref().map(|l| l.password_hash.as_str())).await?;
        let Some(login) = login.filter(|_| matches) else {
            return Err(AppError::InvalidCredentials);
        };
        match login.role {
            Role::Customer => {
                let customer = self.accounts.customer(tenant, CustomerId::from_uuid(login.principal_id)).await?;
                let customer = customer.ok_or(AppError::InvalidCredentials)?;
                Ok(AuthenticatedUser {
                    tenant: tenant.clone(),
                    id: login.principal_id,
                    role: Role::Customer,
                    permissions: Vec::new(),
                    name: customer.name.to_string(),
                    email: login.email,
                    session_generation: None,
                })
            }
            Role::Agent | Role::Admin => {
                let session = self.trust.agent_session(tenant, AgentId::from_uuid(login.principal_id)).await?;
                let session = session.filter(|s| s.agent.active).ok_or(AppError::InvalidCredentials)?;
                let agent = session.agent;
                Ok(AuthenticatedUser {
                    tenant: tenant.clone(),
                    id: login.principal_id,
                    role: agent.role,
                    permissions: agent.permissions,
                    name: agent.name.to_string(),
                    email: login.email,
                    session_generation: Some(session.generation),
                })
            }
        }
    }

    /// Creates the first admin of `tenant` unless it has an active admin; returns the new
    /// admin, or `None` when one existed.
    ///
    /// # Errors
    ///
    /// `Conflict(Taken::Email)` when the email belongs to another account.
    pub async fn bootstrap_admin(
        &self,
        tenant: &TenantKey,
        email: Email,
        password: Password,
        name: PersonName,
    ) -> Result<Option<Agent>, AppError> {
        self.ensure_tenant(tenant).await?;
        if self.accounts.has_admin(tenant).await? {
            return Ok(None);
        }
        self.insert_agent(
            tenant,
            NewAgent { email, name, password, role: Role::Admin, permissions: None, active: true },
        )
        .await
        .map(Some)
    }

    /// Creates an admin without a principal: the `supportdesk admin create` command.
    ///
    /// # Errors
    ///
    /// `Conflict(Taken::Email)`.
    pub async fn create_admin(
        &self,
        tenant: &TenantKey,
        email: Email,
        password: Password,
        name: PersonName,
    ) -> Result<Agent, AppError> {
        self.ensure_tenant(tenant).await?;
        self.insert_agent(
            tenant,
            NewAgent { email, name, password, role: Role::Admin, permissions: None, active: true },
        )
        .await
    }

    /// The tenant's agents (`agents:manage`).
    ///
    /// # Errors
    ///
    /// `Forbidden`.
    pub async fn list_agents(&self, principal: &Principal) -> Result<Vec<Agent>, AppError> {
        principal.require(Permission::AgentsManage)?;
        Ok(self.accounts.list_agents(&principal.tenant).await?)
    }

    /// The active agents a ticket may be assigned to (`tickets:assign`): what an assign
    /// form offers to an agent who may assign but not manage agents.
    ///
    /// # Errors
    ///
    /// `Forbidden`.
    pub async fn assignable_agents(&self, principal: &Principal) -> Result<Vec<Agent>, AppError> {
        principal.require(Permission::TicketsAssign)?;
        let mut agents = self.accounts.list_agents(&principal.tenant).await?;
        agents.retain(|agent| agent.active);
        Ok(agents)
    }

    /// One agent of the tenant (`agents:manage`).
    ///
    /// # Errors
    ///
    /// `NotFound`, `Forbidden`.
    pub async fn get_agent(&self, principal: &Principal, id: AgentId) -> Result<Agent, AppError> {
        principal.require(Permission::AgentsManage)?;
        self.accounts.agent(&principal.tenant, id).await?.ok_or(AppError::NotFound(Missing::Agent))
    }

    /// Adds an agent (`agents:manage`); only an admin may create an admin.
    ///
    /// # Errors
    ///
    /// `Forbidden`, `Conflict(Taken::Email)`, `Validation` for the role `customer`.
    pub async fn create_agent(&self, principal: &Principal, input: NewAgent) -> Result<Agent, AppError> {
        principal.require(Permission::AgentsManage)?;
        self.check_role_grant(principal, input.role)?;
        self.ensure_tenant(&principal.tenant).await?;
        self.insert_agent(&principal.tenant, input).await
    }

    /// Changes an agent (`agents:manage`); only an admin may make or change an admin. A
    /// change of password, role, permissions or activity ends the agent's sessions: their
    /// earlier tokens answer 401 within [`crate::AppSettings::revocation_check_interval`].
    ///
    /// # Errors
    ///
    /// `NotFound`, `Forbidden`, `Conflict(Taken::Email)`, `LastAdmin` when it would leave the
    /// tenant without an active admin.
    pub async fn update_agent(&self, principal: &Principal, id: AgentId, patch: AgentPatch) -> Result<Agent, AppError> {
        principal.require(Permission::AgentsManage)?;
        let mut agent = self.accounts.agent(&principal.tenant, id).await?.ok_or(AppError::NotFound(Missing::Agent))?;
        let before = agent.clone();
        if agent.role == Role::Admin {
            self.check_role_grant(principal, Role::Admin)?;
        }
        if let Some(role) = patch.role {
            self.check_role_grant(principal, role)?;
            agent.role = role;
        }
        if let Some(email) = patch.email {
            agent.email = email;
        }
        if let Some(name) = patch.name {
            agent.name = name;
        }
        if let Some(permissions) = patch.permissions {
            agent.permissions = dedup_permissions(permissions);
        }
        if let Some(active) = patch.active {
            agent.active = active;
        }
        let now = self.clock.now();
        agent.updated_at = now;
        let hash = match &patch.password {
            Some(password) => Some(self.hasher.hash(password.expose()).await?),
            None => None,
        };
        let ends_sessions = hash.is_some()
            || agent.role != before.role
            || agent.permissions != before.permissions
            || agent.active != before.active;
        self.accounts.update_agent(&agent, hash.as_deref(), ends_sessions.then_some(now)).await?;
        self.session_cache.forget(&(principal.tenant.clone(), id));
        Ok(agent)
    }

    fn check_role_grant(&self, principal: &Principal, role: Role) -> Result<(), AppError> {
        match role {
            Role::Customer => Err(AppError::invalid("role", "must be agent or admin")),
            Role::Admin if principal.role != Role::Admin => Err(AppError::Forbidden(Refusal::OnlyAdminsManageAdmins)),
            Role::Admin | Role::Agent => Ok(()),
        }
    }

    async fn insert_agent(&self, tenant: &TenantKey, input: NewAgent) -> Result<Agent, AppError> {
        let password_hash = self.hasher.hash(input.password.expose()).await?;
        let now = self.clock.now();
        let agent = Agent {
            id: AgentId::from_uuid(self.ids.next_uuid()),
            tenant: tenant.clone(),
            email: input.email,
            name: input.name,
            role: input.role,
            permissions: dedup_permissions(input.permissions.unwrap_or_else(|| Permission::AGENT_DEFAULTS.to_vec())),
            active: input.active,
            created_at: now,
            updated_at: now,
        };
        self.accounts.insert_agent(&agent, &password_hash).await?;
        Ok(agent)
    }

    /// Creates or replaces a customer's profile as the shop knows it (`agents:manage`).
    ///
    /// # Errors
    ///
    /// `Forbidden`.
    pub async fn upsert_customer(
        &self,
        principal: &Principal,
        id: CustomerId,
        profile: CustomerProfile,
    ) -> Result<Customer, AppError> {
        principal.require(Permission::AgentsManage)?;
        self.ensure_tenant(&principal.tenant).await?;
        let now = self.clock.now();
        let customer = Customer {
            id,
            tenant: principal.tenant.clone(),
            name: profile.name,
            email: profile.email,
            image_url: profile.image_url,
            created_at: now,
            updated_at: now,
        };
        let stored = self.accounts.upsert_customer(&customer).await?;
        if let Ok(mut known) = self.known_customers.write() {
            known.insert((principal.tenant.clone(), id.as_uuid()));
        }
        Ok(stored)
    }

    /// A customer's profile (`tickets:read`).
    ///
    /// # Errors
    ///
    /// `NotFound`, `Forbidden`.
    pub async fn get_customer(&self, principal: &Principal, id: CustomerId) -> Result<Customer, AppError> {
        principal.require(Permission::TicketsRead)?;
        self.accounts.customer(&principal.tenant, id).await?.ok_or(AppError::NotFound(Missing::Customer))
    }

    /// A page of the customer directory (`tickets:read`): every customer, or those
    /// `query.text` finds by name or email prefix, by name; read on with
    /// `page.next_cursor`.
    ///
    /// # Errors
    ///
    /// `Forbidden`; `Invalid` on `cursor` for a cursor of another list, lookup or tenant,
    /// or on `page` with a cursor.
    pub async fn list_customers(
        &self,
        principal: &Principal,
        mut query: CustomerQuery,
    ) -> Result<Page<Customer>, AppError> {
        principal.require(Permission::TicketsRead)?;
        query.after = None;
        let filters = query.cursor_filters();
        let scope = CursorScope {
            tenant: &principal.tenant,
            principal_kind: principal_kind(principal),
            list: "customers",
            filters: &filters,
        };
        if let Some(raw) = query.cursor.take() {
            if query.page.offset() != 0 {
                return Err(AppError::invalid("page", "must not be combined with cursor"));
            }
            match self.cursor_signer().await?.decode(&scope, &raw)? {
                CursorPoint::After { value: CursorValue::Text(name_key), id } => {
                    query.after = Some(CustomerPosition { name_key, id: CustomerId::from_uuid(id) });
                }
                _ => return Err(AppError::invalid("cursor", "is not a cursor of this list's order")),
            }
        }
        let mut page = self.accounts.list_customers(&principal.tenant, &query).await?;
        let size = query.page.size() as usize;
        if page.items.len() > size {
            page.items.truncate(size);
            if let Some(last) = page.items.last() {
                let value = CursorValue::Text(directory_name_key(last.name.as_str()));
                let next = CursorPoint::After { value, id: last.id.as_uuid() };
                page.next_cursor = Some(self.cursor_signer().await?.encode(&scope, &next));
            }
        }
        Ok(page)
    }

    /// A customer's tickets (`tickets:read`): the queue's `query` limited to this customer.
    ///
    /// # Errors
    ///
    /// `NotFound` for a customer the tenant does not have; as [`App::list_tickets`].
    pub async fn customer_tickets(
        &self,
        principal: &Principal,
        id: CustomerId,
        mut query: TicketQuery,
    ) -> Result<Page<TicketSummary>, AppError> {
        self.get_customer(principal, id).await?;
        query.customer_id = Some(id);
        self.list_tickets(principal, query).await
    }

    /// The tenant's policy (`settings:manage`).
    ///
    /// # Errors
    ///
    /// `Forbidden`.
    pub async fn tenant_policy(&self, principal: &Principal) -> Result<TenantPolicy, AppError> {
        principal.require(Permission::SettingsManage)?;
        self.ensure_tenant(&principal.tenant).await?;
        Ok(self.tenants.policy(&principal.tenant).await?)
    }

    /// Replaces the tenant's policy (`settings:manage`).
    ///
    /// # Errors
    ///
    /// `Forbidden`; `Validation` (field `autoCloseResolvedAfterDays`) for more than
    /// [`TenantPolicy::MAX_AUTO_CLOSE_DAYS`] days.
    pub async fn set_tenant_policy(
        &self,
        principal: &Principal,
        policy: TenantPolicy,
    ) -> Result<TenantPolicy, AppError> {
        principal.require(Permission::SettingsManage)?;
        if policy.auto_close_resolved_after_days > TenantPolicy::MAX_AUTO_CLOSE_DAYS {
            return Err(AppError::invalid("autoCloseResolvedAfterDays", "must be between 0 and 365"));
        }
        self.ensure_tenant(&principal.tenant).await?;
        self.tenants.save_policy(&principal.tenant, policy).await?;
        Ok(policy)
    }

    /// Whether this process has seen the customer stored already.
    fn is_known_customer(&self, principal: &Principal) -> bool {
        self.known_customers.read().is_ok_and(|set| set.contains(&(principal.tenant.clone(), principal.id)))
    }

    /// Makes sure the calling customer exists, provisioning them from the token's claims on
    /// first use; remembered per process, so it costs one store call per customer.
    pub(crate) async fn ensure_customer(&self, principal: &Principal) -> Result<(), AppError> {
        let known = self.is_known_customer(principal);
        if !known {
            self.provision_customer(principal).await?;
        }
        Ok(())
    }

    /// The calling customer's profile: read when the customer is known to exist (a read
    /// connection), provisioned otherwise (a write).
    pub(crate) async fn customer_profile(&self, principal: &Principal) -> Result<Customer, AppError> {
        let id = principal.require_customer()?;
        let known = self.is_known_customer(principal);
        if known {
            if let Some(customer) = self.accounts.customer(&principal.tenant, id).await? {
                return Ok(customer);
            }
        }
        self.provision_customer(principal).await
    }

    /// The calling customer's profile, provisioned from the token's claims on first use (a
    /// shop's own token for a customer supportdesk has never seen).
    ///
    /// # Errors
    ///
    /// `Forbidden` for staff.
    pub async fn provision_customer(&self, principal: &Principal) -> Result<Customer, AppError> {
        let id = principal.require_customer()?;
        let now = self.clock.now();
        let from_claims = Customer {
            id,
            tenant: principal.tenant.clone(),
            name: principal.name.clone().map_or_else(|| PersonName::parse("Customer").map_err(AppError::from), Ok)?,
            email: principal.email.clone(),
            image_url: principal.picture.clone(),
            created_at: now,
            updated_at: now,
        };
        let key = (principal.tenant.clone(), principal.id);
        let stored = self.accounts.provision_customer(&from_claims).await?;
        if let Ok(mut known) = self.known_customers.write() {
            if known.len() > 100_000 {
                known.clear();
            }
            known.insert(key);
        }
        Ok(stored)
    }
}
