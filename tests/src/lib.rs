//! The black-box harness: starts the real `supportdesk` binary on a random port, with a
//! fresh SQLite file or a fresh PostgreSQL database, and drives it over HTTP like a client.

pub mod forms;

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use diesel::{Connection, PgConnection, RunQueryDsl};
use serde_json::{json, Value};
use supportdesk_testsupport::database::{ScratchPg, ScratchSqlite};
use supportdesk_testsupport::process::{start_listening, Listening, Output};

/// Runs each scenario (an `async fn(Database)` of the calling file) on SQLite and on
/// PostgreSQL, as two tests each: `mod sqlite` and `mod postgres`. Without
/// `TEST_POSTGRES_URL` the PostgreSQL tests say loudly that they skipped.
#[macro_export]
macro_rules! on_both_backends {
    ($($scenario:ident),+ $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $scenario() {
                    super::$scenario($crate::Database::sqlite()).await;
                }
            )+
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $scenario() {
                    if let Some(database) = $crate::Database::postgres() {
                        super::$scenario(database).await;
                    }
                }
            )+
        }
    };
}

/// The bootstrap admin every test server starts with.
pub const ADMIN_EMAIL: &str = "admin@shop.example";
/// Its password.
pub const ADMIN_PASSWORD: &str = "correct horse battery staple";

/// A database for one server: a temporary SQLite file, or a PostgreSQL database dropped at
/// the end.
pub enum Database {
    /// A file in a temporary folder.
    Sqlite(ScratchSqlite),
    /// A database created for this test on the `TEST_POSTGRES_URL` server.
    Postgres(ScratchPg),
}

impl Database {
    /// A fresh SQLite file (in folders that do not exist yet, to check they are created).
    ///
    /// # Panics
    ///
    /// When no temporary folder can be made.
    #[expect(clippy::expect_used, reason = "test harness")]
    pub fn sqlite() -> Self {
        Database::Sqlite(ScratchSqlite::new().expect("temporary folder"))
    }

    /// A fresh PostgreSQL database, or `None` (with a loud line) when `TEST_POSTGRES_URL`
    /// is not set.
    ///
    /// # Panics
    ///
    /// When the server named by `TEST_POSTGRES_URL` refuses.
    pub fn postgres() -> Option<Self> {
        ScratchPg::from_env("sd_blackbox", "the PostgreSQL black-box test").map(Database::Postgres)
    }

    /// Runs SQL straight on the database, as an operator's script would (the server should
    /// be stopped).
    ///
    /// # Panics
    ///
    /// When the database cannot be opened or the SQL fails.
    #[expect(clippy::expect_used, reason = "test harness")]
    pub fn execute(&self, sql: &str) {
        use diesel::connection::SimpleConnection;
        match self {
            Database::Sqlite(file) => {
                let mut conn =
                    diesel::SqliteConnection::establish(&file.path().display().to_string()).expect("open SQLite");
                conn.batch_execute(sql).expect("run SQL");
            }
            Database::Postgres(db) => {
                let mut conn = PgConnection::establish(&db.url).expect("connect to PostgreSQL");
                conn.batch_execute(sql).expect("run SQL");
            }
        }
    }

    /// The first column of the first row of `sql` as a number (e.g. a `COUNT(*)`), read
    /// straight from the database.
    ///
    /// # Panics
    ///
    /// When the database cannot be opened or the SQL fails.
    #[expect(clippy::expect_used, reason = "test harness")]
    pub fn count(&self, sql: &str) -> i64 {
        #[derive(diesel::QueryableByName)]
        struct Count {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let sql = format!("SELECT CAST(({sql}) AS BIGINT) AS n");
        let row: Count = match self {
            Database::Sqlite(file) => {
                let mut conn =
                    diesel::SqliteConnection::establish(&file.path().display().to_string()).expect("open SQLite");
                diesel::sql_query(sql).get_result(&mut conn).expect("run SQL")
            }
            Database::Postgres(db) => {
                let mut conn = PgConnection::establish(&db.url).expect("connect to PostgreSQL");
                diesel::sql_query(sql).get_result(&mut conn).expect("run SQL")
            }
        };
        row.n
    }

    /// Runs a `supportdesk` command (e.g. `tenant create ...`) on this database; returns
    /// whether it succeeded and what it printed on standard output.
    ///
    /// # Panics
    ///
    /// When the binary cannot be run.
    #[expect(clippy::expect_used, reason = "test harness")]
    pub fn command(&self, args: &[&str]) -> (bool, String) {
        let output = Command::new(binary())
            .args(args)
            .env("SUPPORTDESK_DATABASE_URL", self.url())
            .env("SUPPORTDESK_LOG", "warn")
            .stderr(Stdio::inherit())
            .output()
            .expect("run supportdesk");
        (output.status.success(), String::from_utf8_lossy(&output.stdout).into_owned())
    }

    /// The URL the server is given.
    pub fn url(&self) -> String {
        match self {
            Database::Sqlite(file) => file.url(),
            Database::Postgres(db) => db.url.clone(),
        }
    }
}

/// A running server process.
pub struct Server {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// An HTTP client.
    pub http: reqwest::Client,
    /// What the server printed (shown when a test fails).
    output: Arc<Output>,
}

/// The path of the `supportdesk` binary next to this test binary, built if missing.
///
/// # Panics
///
/// When it cannot be found or built.
#[expect(clippy::expect_used, reason = "test harness")]
pub fn binary() -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    let profile_dir = exe.parent().and_then(|deps| deps.parent()).expect("target profile folder");
    let binary = profile_dir.join("supportdesk");
    if !binary.exists() {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
        let status = Command::new(cargo).args(["build", "-p", "supportdesk"]).status().expect("run cargo build");
        assert!(status.success(), "cargo build -p supportdesk failed");
    }
    binary
}

impl Server {
    /// Starts the binary on a random port over `database`, with the bootstrap admin.
    ///
    /// # Panics
    ///
    /// When it does not say it listens within a minute.
    pub fn start(database: &Database) -> Self {
        Self::start_with(database, &[])
    }

    /// Like [`Server::start`], with extra environment variables.
    ///
    /// # Panics
    ///
    /// When it does not say it listens within a minute.
    pub fn start_with(database: &Database, env: &[(&str, &str)]) -> Self {
        Self::start_without(database, env, &[])
    }

    /// Like [`Server::start_with`], with the harness's own variables named in `remove`
    /// unset (e.g. `SUPPORTDESK_ADMIN_EMAIL` for a server without a bootstrap admin).
    ///
    /// # Panics
    ///
    /// When it does not say it listens within a minute.
    #[expect(clippy::expect_used, reason = "test harness")]
    pub fn start_without(database: &Database, env: &[(&str, &str)], remove: &[&str]) -> Self {
        let mut command = Command::new(binary());
        command
            .arg("serve")
            .env("SUPPORTDESK_DATABASE_URL", database.url())
            .env("SUPPORTDESK_BIND", "127.0.0.1:0")
            .env("SUPPORTDESK_JWT_SECRET", "black-box-test-secret-of-at-least-32-bytes")
            .env("SUPPORTDESK_ADMIN_EMAIL", ADMIN_EMAIL)
            .env("SUPPORTDESK_ADMIN_PASSWORD", ADMIN_PASSWORD)
            .env("SUPPORTDESK_LOG", "warn,supportdesk=info");
        for key in remove {
            command.env_remove(key);
        }
        for (key, value) in env {
            command.env(key, value);
        }
        let started = start_listening(command, "supportdesk", Duration::from_secs(60), Arc::default())
            .expect("start supportdesk");
        let Listening { child, address, output } = started;
        Server { child, base: format!("http://{address}"), http: reqwest::Client::new(), output }
    }

    /// The URL of `path` (which starts with `/`).
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends SIGTERM and waits for the process to end; returns whether it exited cleanly.
    ///
    /// # Panics
    ///
    /// When the signal cannot be sent.
    #[expect(clippy::expect_used, reason = "test harness")]
    pub fn terminate(mut self) -> bool {
        let status = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status().expect("kill");
        assert!(status.success());
        self.child.wait().map(|s| s.success()).unwrap_or(false)
    }

    /// Logs in and returns the access token.
    ///
    /// # Panics
    ///
    /// When the login fails.
    #[expect(clippy::expect_used, reason = "test harness")]
    pub async fn login(&self, email: &str, password: &str) -> String {
        let response = self
            .http
            .post(self.url("/api/v1/auth/login"))
            .json(&json!({"email": email, "password": password}))
            .send()
            .await
            .expect("login request");
        assert_eq!(response.status(), 200, "login of {email}");
        let body: Value = response.json().await.expect("login body");
        body["accessToken"].as_str().expect("accessToken").to_owned()
    }

    /// `GET path` with `token`; the answer's JSON body (whatever its status).
    ///
    /// # Panics
    ///
    /// When the request fails or the body is not JSON.
    #[expect(clippy::expect_used, reason = "test harness")]
    pub async fn get_json(&self, path: &str, token: &str) -> Value {
        let response = self.http.get(self.url(path)).bearer_auth(token).send().await.expect("GET request");
        response.json().await.expect("JSON body")
    }

    /// `method path` with `token` and a JSON `body`; the answer's JSON body (`null` when
    /// it has none).
    ///
    /// # Panics
    ///
    /// When the request fails or its status is not a success.
    #[expect(clippy::expect_used, reason = "test harness")]
    pub async fn send(&self, method: reqwest::Method, path: &str, token: &str, body: Value) -> Value {
        let request = self.http.request(method, self.url(path)).bearer_auth(token).json(&body);
        let response = request.send().await.expect("request");
        let status = response.status();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        assert!(status.is_success(), "{path}: {status} {body}");
        body
    }

    /// Moves the service's test clock (`SUPPORTDESK_TEST_CLOCK=true`) `seconds` forward.
    ///
    /// # Panics
    ///
    /// When the request fails or is refused.
    #[expect(clippy::expect_used, reason = "test harness")]
    pub async fn advance_clock(&self, seconds: u64) {
        let request = self.http.post(self.url("/api/v1/test/clock")).json(&json!({"advanceSeconds": seconds}));
        let response = request.send().await.expect("clock request");
        assert_eq!(response.status(), 200, "advance the test clock by {seconds} s");
    }

    /// Registers a customer and logs them in; returns the token.
    ///
    /// # Panics
    ///
    /// When registration fails.
    #[expect(clippy::expect_used, reason = "test harness")]
    pub async fn customer(&self, email: &str) -> String {
        let password = "customer password 1";
        let response = self
            .http
            .post(self.url("/api/v1/auth/register"))
            .json(&json!({"email": email, "password": password, "name": "Alex Customer"}))
            .send()
            .await
            .expect("register request");
        assert_eq!(response.status(), 201, "register {email}");
        self.login(email, password).await
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            eprintln!("--- the server's last lines ---\n{}", self.output.tail());
        }
    }
}
