//! Account bodies: registration and login, customers, agents, tenant settings.

use serde::{Deserialize, Serialize};
use supportdesk_app::{
    AgentPatch, CustomerProfile, CustomerQuery, NewAgent, Page, Password, RegisterInput, TenantSettings, Validator,
};
use supportdesk_domain::search::DirectoryQuery;
use supportdesk_domain::{Agent, Customer, Email, Permission, PersonName, Role, TenantKey, TenantPolicy};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use super::{finish, parse_required, present, timestamp, ListMeta};
use crate::error::{ApiError, FieldProblem};

/// `POST /auth/register`: a customer signs up.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RegisterBody {
    /// Login email, unique in the tenant.
    #[schema(required = true, value_type = String, example = "alex@example.com")]
    pub email: Option<String>,
    /// 10..128 characters.
    #[schema(required = true, value_type = String, example = "correct horse battery")]
    pub password: Option<String>,
    /// Display name, 1..200 characters.
    #[schema(required = true, value_type = String, example = "Alex")]
    pub name: Option<String>,
    /// The tenant (default `default`).
    pub tenant: Option<String>,
}

impl RegisterBody {
    /// The registration, or every invalid field.
    ///
    /// # Errors
    ///
    /// 400 `validation_failed`.
    pub fn try_into_domain(self) -> Result<RegisterInput, ApiError> {
        let mut v = Validator::default();
        let email = parse_required(&mut v, "email", self.email.as_deref(), Email::parse);
        let password = parse_required(&mut v, "password", self.password.as_deref(), Password::parse);
        let name = parse_required(&mut v, "name", self.name.as_deref(), PersonName::parse);
        let tenant = v.check_opt(self.tenant.as_deref().map(TenantKey::parse)).unwrap_or_default();
        finish(v)?;
        Ok(RegisterInput {
            tenant,
            email: present(email, "email")?,
            password: present(password, "password")?,
            name: present(name, "name")?,
        })
    }
}

/// `POST /auth/login`.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct LoginBody {
    /// Login email.
    #[schema(required = true, value_type = String, example = "alex@example.com")]
    pub email: Option<String>,
    /// The password (at most 1,024 characters are looked at).
    #[validate(length(min = 1, max = 1024, message = "must be 1 to 1024 characters"))]
    #[schema(required = true, value_type = String)]
    pub password: Option<String>,
    /// The tenant (default `default`).
    pub tenant: Option<String>,
}

/// A parsed login.
#[derive(Debug, Clone)]
pub struct LoginInput {
    /// The tenant.
    pub tenant: TenantKey,
    /// The email.
    pub email: Email,
    /// The password as typed.
    pub password: String,
}

impl LoginBody {
    /// The credentials, or every invalid field. The password is not checked against the
    /// registration rules, so the answer to a wrong one is always the same 401.
    ///
    /// # Errors
    ///
    /// 400 `validation_failed`.
    pub fn try_into_domain(self) -> Result<LoginInput, ApiError> {
        let mut v = Validator::default();
        if let Err(errors) = self.validate() {
            for problem in validation_problems(&errors) {
                v.push(problem.field, problem.message);
            }
        }
        let email = parse_required(&mut v, "email", self.email.as_deref(), Email::parse);
        let password = super::required(&mut v, "password", self.password);
        let tenant = v.check_opt(self.tenant.as_deref().map(TenantKey::parse)).unwrap_or_default();
        finish(v)?;
        Ok(LoginInput { tenant, email: present(email, "email")?, password: present(password, "password")? })
    }
}

/// The `validator` crate's errors as field problems (camelCase field names).
fn validation_problems(errors: &validator::ValidationErrors) -> Vec<FieldProblem> {
    let mut problems = Vec::new();
    for (field, errors) in errors.field_errors() {
        for error in errors {
            let message = error.message.as_ref().map_or_else(|| error.code.to_string(), ToString::to_string);
            problems.push(FieldProblem { field: camel_case(&field), message });
        }
    }
    problems
}

fn camel_case(snake: &str) -> String {
    let mut out = String::with_capacity(snake.len());
    let mut upper = false;
    for c in snake.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// What login answers.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TokenResponse {
    /// The bearer token (HS256 JWT).
    pub access_token: String,
    /// Always `Bearer`.
    #[schema(example = "Bearer")]
    pub token_type: String,
    /// Seconds until the token expires.
    #[schema(example = 3600)]
    pub expires_in: u64,
    /// `customer`, `agent` or `admin`.
    #[schema(example = "customer")]
    pub role: String,
}

/// A customer's profile.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CustomerResponse {
    /// Their id (the `sub` of their tokens).
    pub id: Uuid,
    /// The tenant.
    #[schema(example = "default")]
    pub tenant: String,
    /// Display name.
    #[schema(example = "Alex")]
    pub name: String,
    /// Contact email.
    pub email: Option<String>,
    /// Avatar URL.
    pub image_url: Option<String>,
    /// When first seen.
    #[schema(format = DateTime)]
    pub created_at: String,
    /// When last changed.
    #[schema(format = DateTime)]
    pub updated_at: String,
}

/// The lookup and paging of `GET /admin/customers` (the customer directory).
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct CustomerListQuery {
    /// Finds customers whose name has a word beginning with these words (`ale`, `alex cu`:
    /// case and accents do not matter), or whose email begins with it (`alex@ex`).
    /// 1..200 characters. Without it, every customer.
    #[param(example = "alex")]
    pub q: Option<String>,
    /// Page, from 1 (default 1); `page * size` at most 10,000 (further on, use `cursor`).
    /// Not together with `cursor`.
    #[param(value_type = Option<u32>, minimum = 1)]
    pub page: Option<String>,
    /// The `meta.nextCursor` of the previous page, to read on (same `q`): opaque; refused
    /// (400) on another list.
    pub cursor: Option<String>,
    /// Items per page, 1..100 (default 20).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100)]
    pub size: Option<String>,
}

impl CustomerListQuery {
    /// The query, or every invalid parameter.
    ///
    /// # Errors
    ///
    /// 400 `validation_failed`.
    pub fn try_into_domain(self) -> Result<CustomerQuery, ApiError> {
        let mut v = Validator::default();
        let text = v.check_opt(self.q.as_deref().map(DirectoryQuery::parse));
        let (page, cursor) =
            super::tickets::parse_paging(&mut v, self.page.as_deref(), self.size.as_deref(), self.cursor.as_deref());
        finish(v)?;
        Ok(CustomerQuery { text, page, cursor, after: None })
    }
}

/// One page of the customer directory, by name.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CustomerListResponse {
    /// The customers.
    pub data: Vec<CustomerResponse>,
    /// Paging.
    pub meta: super::PageMeta,
}

impl From<&Page<Customer>> for CustomerListResponse {
    fn from(page: &Page<Customer>) -> Self {
        Self { data: page.items.iter().map(CustomerResponse::from).collect(), meta: super::PageMeta::from(page) }
    }
}

impl From<&Customer> for CustomerResponse {
    fn from(customer: &Customer) -> Self {
        Self {
            id: customer.id.as_uuid(),
            tenant: customer.tenant.to_string(),
            name: customer.name.to_string(),
            email: customer.email.as_ref().map(ToString::to_string),
            image_url: customer.image_url.clone(),
            created_at: timestamp(customer.created_at),
            updated_at: timestamp(customer.updated_at),
        }
    }
}

/// `PUT /admin/customers/{id}`: the profile as the shop knows it.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CustomerProfileBody {
    /// Display name, 1..200 characters.
    #[schema(required = true, value_type = String, example = "Alex")]
    pub name: Option<String>,
    /// Contact email.
    pub email: Option<String>,
    /// Avatar URL (http or https).
    pub image_url: Option<String>,
}

impl CustomerProfileBody {
    /// The profile, or every invalid field.
    ///
    /// # Errors
    ///
    /// 400 `validation_failed`.
    pub fn try_into_domain(self) -> Result<CustomerProfile, ApiError> {
        // An absent name parses as a blank one, so every bad field is reported together.
        let name = self.name.as_deref().unwrap_or("");
        Ok(CustomerProfile::parse(name, self.email.as_deref(), self.image_url.as_deref())?)
    }
}

/// An agent or admin.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AgentResponse {
    /// Their id.
    pub id: Uuid,
    /// Login email.
    pub email: String,
    /// Display name.
    pub name: String,
    /// `agent` or `admin`.
    #[schema(example = "agent")]
    pub role: String,
    /// What they may do (an admin may do everything).
    pub permissions: Vec<String>,
    /// Inactive agents cannot log in or be assigned.
    pub active: bool,
    /// When created.
    #[schema(format = DateTime)]
    pub created_at: String,
    /// When last changed.
    #[schema(format = DateTime)]
    pub updated_at: String,
}

impl From<&Agent> for AgentResponse {
    fn from(agent: &Agent) -> Self {
        Self {
            id: agent.id.as_uuid(),
            email: agent.email.to_string(),
            name: agent.name.to_string(),
            role: agent.role.as_str().to_owned(),
            permissions: agent.permissions.iter().map(|p| p.as_str().to_owned()).collect(),
            active: agent.active,
            created_at: timestamp(agent.created_at),
            updated_at: timestamp(agent.updated_at),
        }
    }
}

/// The tenant's agents, by name.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AgentListResponse {
    /// The agents.
    pub data: Vec<AgentResponse>,
    /// How many.
    pub meta: ListMeta,
}

impl AgentListResponse {
    /// The list of `agents`.
    pub fn of(agents: &[Agent]) -> Self {
        Self { data: agents.iter().map(AgentResponse::from).collect(), meta: ListMeta::of(agents) }
    }
}

pub(crate) fn parse_permissions(v: &mut Validator, raw: Option<Vec<String>>) -> Option<Vec<Permission>> {
    let raw = raw?;
    let mut permissions = Vec::with_capacity(raw.len());
    for (index, item) in raw.iter().enumerate() {
        match Permission::parse(item) {
            Ok(permission) => permissions.push(permission),
            Err(error) => v.push(format!("permissions[{index}]"), error.rule.to_string()),
        }
    }
    Some(permissions)
}

fn parse_role(raw: &str) -> Result<Role, supportdesk_domain::InvalidValue> {
    Role::parse(raw)
}

/// `POST /admin/agents`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CreateAgentBody {
    /// Login email, unique in the tenant.
    #[schema(required = true, value_type = String, example = "sam@shop.example")]
    pub email: Option<String>,
    /// Display name.
    #[schema(required = true, value_type = String, example = "Sam")]
    pub name: Option<String>,
    /// Initial password, 10..128 characters.
    #[schema(required = true, value_type = String)]
    pub password: Option<String>,
    /// `agent` or `admin` (only admins create admins).
    #[schema(required = true, value_type = String, example = "agent")]
    pub role: Option<String>,
    /// Default: `tickets:read`, `tickets:reply`, `tickets:update`, `tickets:assign`.
    pub permissions: Option<Vec<String>>,
    /// Default `true`.
    pub active: Option<bool>,
}

impl CreateAgentBody {
    /// The new agent, or every invalid field.
    ///
    /// # Errors
    ///
    /// 400 `validation_failed`.
    pub fn try_into_domain(self) -> Result<NewAgent, ApiError> {
        let mut v = Validator::default();
        let email = parse_required(&mut v, "email", self.email.as_deref(), Email::parse);
        let name = parse_required(&mut v, "name", self.name.as_deref(), PersonName::parse);
        let password = parse_required(&mut v, "password", self.password.as_deref(), Password::parse);
        let role = parse_required(&mut v, "role", self.role.as_deref(), parse_role);
        let permissions = parse_permissions(&mut v, self.permissions);
        finish(v)?;
        Ok(NewAgent {
            email: present(email, "email")?,
            name: present(name, "name")?,
            password: present(password, "password")?,
            role: present(role, "role")?,
            permissions,
            active: self.active.unwrap_or(true),
        })
    }
}

/// `PATCH /admin/agents/{id}`: absent fields stay.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct UpdateAgentBody {
    /// New login email.
    pub email: Option<String>,
    /// New name.
    pub name: Option<String>,
    /// New password, 10..128 characters.
    pub password: Option<String>,
    /// `agent` or `admin`.
    pub role: Option<String>,
    /// The complete new set of permissions.
    pub permissions: Option<Vec<String>>,
    /// Activate or deactivate.
    pub active: Option<bool>,
}

impl UpdateAgentBody {
    /// The patch, or every invalid field.
    ///
    /// # Errors
    ///
    /// 400 `validation_failed`.
    pub fn try_into_domain(self) -> Result<AgentPatch, ApiError> {
        let mut v = Validator::default();
        let email = v.check_opt(self.email.as_deref().map(Email::parse));
        let name = v.check_opt(self.name.as_deref().map(PersonName::parse));
        let password = v.check_opt(self.password.as_deref().map(Password::parse));
        let role = v.check_opt(self.role.as_deref().map(parse_role));
        let permissions = parse_permissions(&mut v, self.permissions);
        finish(v)?;
        Ok(AgentPatch { email, name, password, role, permissions, active: self.active })
    }
}

/// The tenant's policy.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SettingsResponse {
    /// Customers may close their own tickets.
    pub allow_customer_close: bool,
    /// A customer's reply (or reopen) brings a closed ticket back to `open`.
    pub reopen_closed_on_customer_reply: bool,
    /// Customers may create accounts with `POST /auth/register` (under the global
    /// `SUPPORTDESK_ALLOW_REGISTRATION`). Default: true for `default`, false for new tenants.
    pub allow_registration: bool,
    /// Resolved tickets without a later customer message are closed by the `system` actor
    /// this many days after they were resolved; 0 (the default) turns it off.
    #[schema(minimum = 0, maximum = 365)]
    pub auto_close_resolved_after_days: u16,
}

impl From<TenantSettings> for SettingsResponse {
    fn from(settings: TenantSettings) -> Self {
        Self {
            allow_customer_close: settings.policy.allow_customer_close,
            reopen_closed_on_customer_reply: settings.policy.reopen_closed_on_customer_reply,
            allow_registration: settings.allow_registration,
            auto_close_resolved_after_days: settings.policy.auto_close_resolved_after_days,
        }
    }
}

/// `PUT /admin/settings`: the complete policy.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SettingsBody {
    /// Customers may close their own tickets.
    #[schema(required = true, value_type = bool)]
    pub allow_customer_close: Option<bool>,
    /// A customer's reply (or reopen) brings a closed ticket back to `open`.
    #[schema(required = true, value_type = bool)]
    pub reopen_closed_on_customer_reply: Option<bool>,
    /// Customers may create accounts; absent keeps the current value.
    pub allow_registration: Option<bool>,
    /// Days after which resolved tickets without a later customer message are closed by
    /// the `system` actor, 0 to 365 (0 = off); absent keeps the current value.
    #[schema(minimum = 0, maximum = 365)]
    pub auto_close_resolved_after_days: Option<u32>,
}

impl SettingsBody {
    /// The policy; an absent `autoCloseResolvedAfterDays` keeps `current`'s.
    ///
    /// # Errors
    ///
    /// 400 when a required field is absent or the days are out of range.
    pub fn try_into_domain(self, current: TenantPolicy) -> Result<TenantPolicy, ApiError> {
        let mut v = Validator::default();
        let allow = super::required(&mut v, "allowCustomerClose", self.allow_customer_close);
        let reopen = super::required(&mut v, "reopenClosedOnCustomerReply", self.reopen_closed_on_customer_reply);
        let days = match self.auto_close_resolved_after_days {
            None => Some(current.auto_close_resolved_after_days),
            Some(days) => u16::try_from(days).ok().filter(|days| *days <= TenantPolicy::MAX_AUTO_CLOSE_DAYS),
        };
        if days.is_none() {
            v.push("autoCloseResolvedAfterDays", "must be between 0 and 365");
        }
        finish(v)?;
        Ok(TenantPolicy {
            allow_customer_close: present(allow, "allowCustomerClose")?,
            reopen_closed_on_customer_reply: present(reopen, "reopenClosedOnCustomerReply")?,
            auto_close_resolved_after_days: present(days, "autoCloseResolvedAfterDays")?,
        })
    }
}

/// A customer id in a path.
///
/// # Errors
///
/// 400 naming `id`.
pub fn customer_id(raw: &str) -> Result<supportdesk_domain::CustomerId, ApiError> {
    supportdesk_domain::CustomerId::parse(raw).map_err(|_| ApiError::invalid_field("id", "must be a customer UUID"))
}

/// An agent id in a path.
///
/// # Errors
///
/// 400 naming `id`.
pub fn agent_id(raw: &str) -> Result<supportdesk_domain::AgentId, ApiError> {
    supportdesk_domain::AgentId::parse(raw).map_err(|_| ApiError::invalid_field("id", "must be an agent UUID"))
}
