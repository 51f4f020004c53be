//! The server's configuration: one typed struct read once from the environment, with
//! command-line flags overriding it (clap's `env` support), passed down to the wiring.
//!
//! Every option's value name is its environment variable, so a bad value stops start-up
//! with a message that names the variable.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use clap::{ArgAction, Args, Parser, Subcommand, ValueEnum};
use supportdesk_http::Rate;

/// The `supportdesk` command line.
#[derive(Debug, Parser)]
#[command(name = "supportdesk", version, about = "A support-ticket service for online shops")]
pub struct Cli {
    /// What to do (default: serve).
    #[command(subcommand)]
    pub command: Option<Command>,
    /// The configuration, from flags or the environment.
    #[command(flatten)]
    pub config: Config,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the HTTP API (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Manage accounts.
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Manage tenants (shops) and their signing keys.
    #[command(subcommand)]
    Tenant(TenantCommand),
}

/// `supportdesk tenant ...`
#[derive(Debug, Subcommand)]
pub enum TenantCommand {
    /// Create a tenant with the default categories; prints `{"key": ..., "name": ...}`.
    /// An existing tenant is left as it is (exit code 0).
    Create {
        /// The tenant key: letters, digits, '.', '_' or '-', at most 64.
        #[arg(long)]
        key: String,
        /// The shop's display name.
        #[arg(long)]
        name: String,
    },
    /// Manage a tenant's signing keys.
    #[command(subcommand)]
    Key(TenantKeyCommand),
}

/// `supportdesk tenant key ...`
#[derive(Debug, Subcommand)]
pub enum TenantKeyCommand {
    /// Add an HS256 signing key; prints, once, `{"tenant", "kid", "secret", "allowStaff"}`.
    Add {
        /// The tenant the key's tokens belong to.
        #[arg(long)]
        tenant: String,
        /// Let the key sign staff tokens too (default: customer tokens only).
        #[arg(long)]
        staff: bool,
    },
}

/// `supportdesk admin ...`
#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create an admin account.
    Create {
        /// The admin's login email.
        #[arg(long)]
        email: String,
        /// The admin's password (10 to 128 characters).
        #[arg(long)]
        password: String,
        /// The admin's display name.
        #[arg(long, default_value = "Admin")]
        name: String,
        /// The tenant the admin belongs to.
        #[arg(long, default_value = "default")]
        tenant: String,
    },
    /// Rebuild the per-status ticket counts (the queues' totals) from the tickets, after
    /// tickets were written into the database by other means, e.g. a bulk import.
    Recount,
    /// Rebuild the full-text search index (what `q` searches) from the tickets, their
    /// messages and their customers, after tickets were written into the database by other
    /// means (a bulk import), and once after upgrading to the release that adds search.
    Reindex,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// Every setting of the server.
#[derive(Debug, Clone, Args)]
pub struct Config {
    /// Database: `sqlite://PATH` (created on first start) or `postgres://...`.
    #[arg(
        long,
        global = true,
        env = "SUPPORTDESK_DATABASE_URL",
        value_name = "SUPPORTDESK_DATABASE_URL",
        default_value = "sqlite://./data/supportdesk.db",
        hide_env_values = true
    )]
    pub database_url: String,

    /// Address to listen on.
    #[arg(
        long,
        global = true,
        env = "SUPPORTDESK_BIND",
        value_name = "SUPPORTDESK_BIND",
        default_value = "127.0.0.1:8080"
    )]
    pub bind: SocketAddr,

    /// HS256 secret for tokens, at least 32 bytes. Without one a random secret is generated
    /// and tokens do not survive a restart.
    #[arg(
        long,
        global = true,
        env = "SUPPORTDESK_JWT_SECRET",
        value_name = "SUPPORTDESK_JWT_SECRET",
        hide_env_values = true
    )]
    pub jwt_secret: Option<String>,

    /// Every token must carry this `aud` (and the service's own tokens do); unset: `aud` is
    /// not checked.
    #[arg(long, global = true, env = "SUPPORTDESK_JWT_AUDIENCE", value_name = "SUPPORTDESK_JWT_AUDIENCE")]
    pub jwt_audience: Option<String>,

    /// Every token must carry this `iss` (and the service's own tokens do); unset: `iss` is
    /// not checked.
    #[arg(long, global = true, env = "SUPPORTDESK_JWT_ISSUER", value_name = "SUPPORTDESK_JWT_ISSUER")]
    pub jwt_issuer: Option<String>,

    /// Seconds a server process trusts what it read about a session, a key or a tenant: a
    /// deactivation, password change, logout or deleted key made through another process
    /// takes effect here within this time (0: check the database on every request).
    #[arg(long, global = true, env = "SUPPORTDESK_REVOCATION_CHECK_SECS", value_name = "SUPPORTDESK_REVOCATION_CHECK_SECS",
          default_value_t = 2, value_parser = clap::value_parser!(u64).range(0..=4))]
    pub revocation_check_secs: u64,

    /// A file holding the token secret (a trailing newline is dropped); instead of
    /// `SUPPORTDESK_JWT_SECRET`, not with it.
    #[arg(
        long,
        global = true,
        env = "SUPPORTDESK_JWT_SECRET_FILE",
        value_name = "SUPPORTDESK_JWT_SECRET_FILE",
        conflicts_with = "jwt_secret"
    )]
    pub jwt_secret_file: Option<PathBuf>,

    /// Lifetime of the tokens the service issues, in seconds.
    #[arg(long, global = true, env = "SUPPORTDESK_TOKEN_TTL_SECS", value_name = "SUPPORTDESK_TOKEN_TTL_SECS",
          default_value_t = 3600, value_parser = clap::value_parser!(u64).range(60..=86_400 * 30))]
    pub token_ttl_secs: u64,

    /// Where users reach the service (`https://desk.example.com`); when it is https, the
    /// console's and portal's session cookie is `Secure`.
    #[arg(long, global = true, env = "SUPPORTDESK_PUBLIC_URL", value_name = "SUPPORTDESK_PUBLIC_URL")]
    pub public_url: Option<String>,

    /// Lifetime of a console or portal session, in seconds (default 8 hours, at most 30 days).
    #[arg(long, global = true, env = "SUPPORTDESK_WEB_SESSION_TTL_SECS", value_name = "SUPPORTDESK_WEB_SESSION_TTL_SECS",
          default_value_t = 8 * 3600, value_parser = clap::value_parser!(u64).range(60..=86_400 * 30))]
    pub web_session_ttl_secs: u64,

    /// Email of the first admin, created at start-up when the tenant has no admin.
    #[arg(long, global = true, env = "SUPPORTDESK_ADMIN_EMAIL", value_name = "SUPPORTDESK_ADMIN_EMAIL")]
    pub admin_email: Option<String>,

    /// Password of the first admin.
    #[arg(
        long,
        global = true,
        env = "SUPPORTDESK_ADMIN_PASSWORD",
        value_name = "SUPPORTDESK_ADMIN_PASSWORD",
        hide_env_values = true
    )]
    pub admin_password: Option<String>,

    /// A file holding the first admin's password (a trailing newline is dropped); instead of
    /// `SUPPORTDESK_ADMIN_PASSWORD`, not with it.
    #[arg(
        long,
        global = true,
        env = "SUPPORTDESK_ADMIN_PASSWORD_FILE",
        value_name = "SUPPORTDESK_ADMIN_PASSWORD_FILE",
        conflicts_with = "admin_password"
    )]
    pub admin_password_file: Option<PathBuf>,

    /// Tenant of the first admin.
    #[arg(
        long,
        global = true,
        env = "SUPPORTDESK_ADMIN_TENANT",
        value_name = "SUPPORTDESK_ADMIN_TENANT",
        default_value = "default"
    )]
    pub admin_tenant: String,

    /// Whether customers may register accounts with the service.
    #[arg(long, global = true, env = "SUPPORTDESK_ALLOW_REGISTRATION", value_name = "SUPPORTDESK_ALLOW_REGISTRATION",
          default_value_t = true, action = ArgAction::Set)]
    pub allow_registration: bool,

    /// Whether webhooks may go to loopback, private and link-local addresses (refused by
    /// default, at registration and at delivery after DNS resolution).
    #[arg(long, global = true, env = "SUPPORTDESK_WEBHOOK_ALLOW_PRIVATE", value_name = "SUPPORTDESK_WEBHOOK_ALLOW_PRIVATE",
          default_value_t = false, action = ArgAction::Set)]
    pub webhook_allow_private: bool,

    /// Seconds one webhook attempt may take before it counts as failed and is retried.
    #[arg(long, global = true, env = "SUPPORTDESK_WEBHOOK_TIMEOUT_SECS", value_name = "SUPPORTDESK_WEBHOOK_TIMEOUT_SECS",
          default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=60))]
    pub webhook_timeout_secs: u64,

    /// Seconds an endpoint may fail every delivery before it is disabled.
    #[arg(long, global = true, env = "SUPPORTDESK_WEBHOOK_DISABLE_AFTER_SECS",
          value_name = "SUPPORTDESK_WEBHOOK_DISABLE_AFTER_SECS", default_value_t = 24 * 3600,
          value_parser = clap::value_parser!(u64).range(1..=30 * 24 * 3600))]
    pub webhook_disable_after_secs: u64,

    /// Milliseconds between two looks of the webhook worker for new events and due
    /// deliveries, an eighth of it while it keeps finding new events (each server process
    /// runs one worker; they share the work).
    #[arg(long, global = true, env = "SUPPORTDESK_WEBHOOK_POLL_MS", value_name = "SUPPORTDESK_WEBHOOK_POLL_MS",
          default_value_t = 200, value_parser = clap::value_parser!(u64).range(10..=60_000))]
    pub webhook_poll_ms: u64,

    /// Milliseconds between two looks of the job runner for due jobs (auto-close, pruning).
    /// Each server process runs one runner; the jobs table's leases make them share the jobs.
    #[arg(long, global = true, env = "SUPPORTDESK_JOBS_POLL_MS", value_name = "SUPPORTDESK_JOBS_POLL_MS",
          default_value_t = 5_000, value_parser = clap::value_parser!(u64).range(10..=600_000))]
    pub jobs_poll_ms: u64,

    /// FOR TESTS ONLY: the service's clock becomes adjustable through the unauthenticated
    /// `POST /api/v1/test/clock {"advanceSeconds": N}`, so black-box tests move time instead
    /// of sleeping. Never set it in production (start-up logs a warning when it is on).
    #[arg(long, global = true, env = "SUPPORTDESK_TEST_CLOCK", value_name = "SUPPORTDESK_TEST_CLOCK",
          default_value_t = false, action = ArgAction::Set)]
    pub test_clock: bool,

    /// The SMTP server notification mail goes through (`smtp://host:port`,
    /// `smtp://user:password@host:587?tls=required`, `smtps://host`); unset: no mail.
    #[arg(long, global = true, env = "SUPPORTDESK_SMTP_URL", value_name = "SUPPORTDESK_SMTP_URL")]
    pub smtp_url: Option<String>,

    /// The sender of notification mail (`Support <support@shop.example>`); its domain names
    /// the `Message-ID`s.
    #[arg(
        long,
        global = true,
        env = "SUPPORTDESK_MAIL_FROM",
        value_name = "SUPPORTDESK_MAIL_FROM",
        default_value = "supportdesk@localhost"
    )]
    pub mail_from: String,

    /// Largest request body, in bytes.
    #[arg(long, global = true, env = "SUPPORTDESK_BODY_LIMIT", value_name = "SUPPORTDESK_BODY_LIMIT",
          default_value_t = 256 * 1024, value_parser = clap::value_parser!(u64).range(1024..=16 * 1024 * 1024))]
    pub body_limit: u64,

    /// Seconds a request body may take to arrive once the head is in; past it the answer is
    /// 408 and the connection is closed.
    #[arg(long, global = true, env = "SUPPORTDESK_BODY_TIMEOUT_SECS", value_name = "SUPPORTDESK_BODY_TIMEOUT_SECS",
          default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=600))]
    pub body_timeout_secs: u64,

    /// Login attempts per client and account (tenant and email), as COUNT/UNIT (`s`, `min`,
    /// `hour`, `day`); the burst is the count.
    #[arg(long, global = true, env = "SUPPORTDESK_LOGIN_RATE", value_name = "SUPPORTDESK_LOGIN_RATE",
          default_value = supportdesk_http::ThrottleConfig::DEFAULT_LOGIN_PER_ACCOUNT)]
    pub login_rate: Rate,

    /// Login attempts per client, whatever the account and outcome.
    #[arg(long, global = true, env = "SUPPORTDESK_LOGIN_CLIENT_RATE", value_name = "SUPPORTDESK_LOGIN_CLIENT_RATE",
          default_value = supportdesk_http::ThrottleConfig::DEFAULT_LOGIN_PER_CLIENT)]
    pub login_client_rate: Rate,

    /// Registrations per client.
    #[arg(long, global = true, env = "SUPPORTDESK_REGISTER_RATE", value_name = "SUPPORTDESK_REGISTER_RATE",
          default_value = supportdesk_http::ThrottleConfig::DEFAULT_REGISTER_PER_CLIENT)]
    pub register_rate: Rate,

    /// Reverse proxies whose `X-Forwarded-For` / `Forwarded` headers are believed, as a
    /// comma-separated list of CIDR networks or addresses (default: none, the TCP peer is
    /// the client).
    #[arg(long, global = true, env = "SUPPORTDESK_TRUSTED_PROXIES", value_name = "SUPPORTDESK_TRUSTED_PROXIES")]
    pub trusted_proxies: Option<ProxyList>,

    /// The one header those proxies record the client in: `x-forwarded-for` or
    /// `forwarded` (RFC 7239). Only that header is read.
    #[arg(
        long,
        global = true,
        env = "SUPPORTDESK_FORWARDED_HEADER",
        value_name = "SUPPORTDESK_FORWARDED_HEADER",
        default_value = "x-forwarded-for"
    )]
    pub forwarded_header: supportdesk_http::ForwardedHeader,

    /// Database connections for reads (SQLite adds one writer; PostgreSQL uses this many).
    #[arg(long, global = true, env = "SUPPORTDESK_DB_POOL_SIZE", value_name = "SUPPORTDESK_DB_POOL_SIZE",
          default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=256))]
    pub db_pool_size: u32,

    /// SQLite: run short reads on the HTTP worker when a reader is free (`false`: every
    /// database call goes through the blocking pool).
    #[arg(long, global = true, env = "SUPPORTDESK_DB_INLINE_READS", value_name = "SUPPORTDESK_DB_INLINE_READS",
          default_value_t = true, action = ArgAction::Set)]
    pub db_inline_reads: bool,

    /// How long a request waits for a database connection, in milliseconds.
    #[arg(long, global = true, env = "SUPPORTDESK_DB_TIMEOUT_MS", value_name = "SUPPORTDESK_DB_TIMEOUT_MS",
          default_value_t = 5000, value_parser = clap::value_parser!(u64).range(10..=600_000))]
    pub db_timeout_ms: u64,

    /// HTTP worker threads (default: one per core).
    #[arg(long, global = true, env = "SUPPORTDESK_WORKERS", value_name = "SUPPORTDESK_WORKERS",
          value_parser = clap::value_parser!(u16).range(1..=256))]
    pub workers: Option<u16>,

    /// Seconds in-flight requests get to finish on SIGTERM/SIGINT.
    #[arg(
        long,
        global = true,
        env = "SUPPORTDESK_SHUTDOWN_TIMEOUT_SECS",
        value_name = "SUPPORTDESK_SHUTDOWN_TIMEOUT_SECS",
        default_value_t = 30
    )]
    pub shutdown_timeout_secs: u64,

    /// Log filter, in `tracing`'s `EnvFilter` syntax (e.g. `info`, `supportdesk=debug`).
    #[arg(long, global = true, env = "SUPPORTDESK_LOG", value_name = "SUPPORTDESK_LOG", default_value = "info")]
    pub log: String,

    /// Log format.
    #[arg(long, global = true, env = "SUPPORTDESK_LOG_FORMAT", value_name = "SUPPORTDESK_LOG_FORMAT",
          value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
}

/// A list of trusted proxy networks, `10.0.0.0/8, ::1`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProxyList(pub Vec<ipnet::IpNet>);

impl FromStr for ProxyList {
    type Err = String;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        supportdesk_http::parse_trusted_proxies(raw).map(ProxyList)
    }
}

impl Config {
    /// How long a request waits for a database connection.
    pub fn db_timeout(&self) -> Duration {
        Duration::from_millis(self.db_timeout_ms)
    }

    /// The throttling settings.
    pub fn throttle(&self) -> supportdesk_http::ThrottleConfig {
        supportdesk_http::ThrottleConfig {
            login_per_account: self.login_rate,
            login_per_client: self.login_client_rate,
            register_per_client: self.register_rate,
            trusted_proxies: self.trusted_proxies.clone().unwrap_or_default().0,
            forwarded_header: self.forwarded_header,
            ..supportdesk_http::ThrottleConfig::default()
        }
    }
}

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "tests")]
mod tests {
    use clap::Parser;

    use super::*;

    #[test]
    fn defaults_serve_sqlite_on_localhost_8080() {
        let cli = Cli::try_parse_from(["supportdesk"]).unwrap();
        assert!(cli.command.is_none());
        assert_eq!(cli.config.bind.to_string(), "127.0.0.1:8080");
        assert_eq!(cli.config.database_url, "sqlite://./data/supportdesk.db");
        assert_eq!(cli.config.body_limit, 256 * 1024);
        assert!(cli.config.allow_registration);
        assert_eq!(cli.config.body_timeout_secs, 10);
        assert_eq!(cli.config.throttle(), supportdesk_http::ThrottleConfig::default());
    }

    #[test]
    fn rates_and_trusted_proxies_parse_or_name_their_variable() {
        let cli = Cli::try_parse_from([
            "supportdesk",
            "--login-rate",
            "3/s",
            "--register-rate",
            "1/day",
            "--trusted-proxies",
            "127.0.0.1, 10.0.0.0/8",
        ])
        .unwrap();
        let throttle = cli.config.throttle();
        assert_eq!(throttle.login_per_account.to_string(), "3/s");
        assert_eq!(throttle.register_per_client.to_string(), "1/day");
        assert_eq!(throttle.trusted_proxies.len(), 2);
        let error = Cli::try_parse_from(["supportdesk", "--login-client-rate", "lots"]).unwrap_err().to_string();
        assert!(error.contains("SUPPORTDESK_LOGIN_CLIENT_RATE"), "{error}");
        let error = Cli::try_parse_from(["supportdesk", "--trusted-proxies", "10.0.0.0/99"]).unwrap_err().to_string();
        assert!(error.contains("SUPPORTDESK_TRUSTED_PROXIES"), "{error}");
    }

    #[test]
    fn a_secret_and_its_file_together_are_refused_naming_both() {
        let error = Cli::try_parse_from(["supportdesk", "--jwt-secret", "x", "--jwt-secret-file", "/run/secret"])
            .unwrap_err()
            .to_string();
        assert!(error.contains("SUPPORTDESK_JWT_SECRET_FILE") && error.contains("<SUPPORTDESK_JWT_SECRET>"), "{error}");
    }

    #[test]
    fn a_bad_value_is_refused_with_the_variable_named() {
        let error = Cli::try_parse_from(["supportdesk", "--body-limit", "lots"]).unwrap_err().to_string();
        assert!(error.contains("SUPPORTDESK_BODY_LIMIT"), "{error}");
        let error = Cli::try_parse_from(["supportdesk", "--bind", "nowhere"]).unwrap_err().to_string();
        assert!(error.contains("SUPPORTDESK_BIND"), "{error}");
    }

    #[test]
    fn flags_parse_for_admin_create() {
        let cli = Cli::try_parse_from([
            "supportdesk",
            "admin",
            "create",
            "--email",
            "a@b.example",
            "--password",
            "0123456789",
        ])
        .unwrap();
        assert!(matches!(cli.command, Some(Command::Admin(AdminCommand::Create { .. }))));
    }

    #[test]
    fn tenant_commands_parse() {
        let cli =
            Cli::try_parse_from(["supportdesk", "tenant", "create", "--key", "shop-1", "--name", "Shop"]).unwrap();
        assert!(matches!(cli.command, Some(Command::Tenant(TenantCommand::Create { .. }))));
        let cli =
            Cli::try_parse_from(["supportdesk", "tenant", "key", "add", "--tenant", "shop-1", "--staff"]).unwrap();
        assert!(matches!(
            cli.command,
            Some(Command::Tenant(TenantCommand::Key(TenantKeyCommand::Add { staff: true, .. })))
        ));
        assert!(Cli::try_parse_from(["supportdesk", "--revocation-check-secs", "6"]).is_err());
    }

    #[test]
    fn admin_recount_takes_no_flags() {
        let cli = Cli::try_parse_from(["supportdesk", "admin", "recount"]).unwrap();
        assert!(matches!(cli.command, Some(Command::Admin(AdminCommand::Recount))));
        assert!(Cli::try_parse_from(["supportdesk", "admin", "recount", "--tenant", "x"]).is_err());
    }

    #[test]
    fn admin_reindex_takes_no_flags() {
        let cli = Cli::try_parse_from(["supportdesk", "admin", "reindex"]).unwrap();
        assert!(matches!(cli.command, Some(Command::Admin(AdminCommand::Reindex))));
        assert!(Cli::try_parse_from(["supportdesk", "admin", "reindex", "--tenant", "x"]).is_err());
    }
}
