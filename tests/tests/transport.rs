//! Trust at the edge, over the real binary: throttling that protects without locking
//! anyone out, trusted proxies, the transport headers, the slow-body deadline, secrets from
//! files, a bootstrap admin that never stops start-up, and an owner-only SQLite file; on
//! SQLite and (when `TEST_POSTGRES_URL` is set, always in CI) on PostgreSQL.

#![expect(clippy::unwrap_used, reason = "tests")]

use std::process::{Command, Stdio};
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{json, Value};
use supportdesk_tests::{Database, Server, ADMIN_EMAIL, ADMIN_PASSWORD};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

supportdesk_tests::on_both_backends!(
    wrong_passwords_from_one_client_never_refuse_the_right_password_from_another,
    forwarded_headers_from_an_untrusted_peer_are_ignored,
    ipv6_clients_in_one_slash_64_share_a_budget,
    a_registration_flood_from_one_client_is_refused_while_another_client_logs_in,
    every_response_is_nosniff_and_every_credentialed_answer_is_no_store,
    a_body_that_trickles_past_the_deadline_gets_408_and_a_closed_connection,
    secrets_can_come_from_files,
    a_customer_holding_the_bootstrap_email_does_not_stop_start_up,
    start_up_with_an_existing_admin_skips_the_bootstrap,
);

/// Behind a trusted proxy on loopback: `X-Forwarded-For` names the client.
const BEHIND_PROXY: (&str, &str) = ("SUPPORTDESK_TRUSTED_PROXIES", "127.0.0.1, ::1");

async fn login_from(server: &Server, client: &str, email: &str, password: &str) -> reqwest::Response {
    server
        .http
        .post(server.url("/api/v1/auth/login"))
        .header("X-Forwarded-For", client)
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .unwrap()
}

async fn register_from(server: &Server, client: &str, email: &str) -> reqwest::Response {
    server
        .http
        .post(server.url("/api/v1/auth/register"))
        .header("X-Forwarded-For", client)
        .json(&json!({"email": email, "password": "customer password 1", "name": "Alex Customer"}))
        .send()
        .await
        .unwrap()
}

/// The lock-out attempt: 30 wrong passwords for the admin from client A; the admin, from
/// client B, still logs in, while A is refused.
async fn wrong_passwords_from_one_client_never_refuse_the_right_password_from_another(database: Database) {
    let server = Server::start_with(&database, &[BEHIND_PROXY]);
    let mut limited = 0;
    for _ in 0..30 {
        let answer = login_from(&server, "198.51.100.1", ADMIN_EMAIL, "not the password").await;
        match answer.status() {
            StatusCode::UNAUTHORIZED => {}
            StatusCode::TOO_MANY_REQUESTS => {
                assert!(answer.headers().contains_key("retry-after"));
                limited += 1;
            }
            other => panic!("unexpected {other}"),
        }
    }
    // The burst of 5 and the failure that finds it spent are answered 401; the rest are
    // refused without a password check (a refill every 12 s may let one more through).
    assert!(limited >= 23, "only {limited} of 30 wrong passwords were throttled");

    let owner = login_from(&server, "203.0.113.9", ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(owner.status(), StatusCode::OK);
    let attacker = login_from(&server, "198.51.100.1", ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(attacker.status(), StatusCode::TOO_MANY_REQUESTS);
    let body: Value = attacker.json().await.unwrap();
    assert_eq!(body["code"], "rate_limited");
}

/// Without the trusted-proxy setting, two different `X-Forwarded-For` values are one
/// client: the TCP peer.
async fn forwarded_headers_from_an_untrusted_peer_are_ignored(database: Database) {
    let server = Server::start_with(&database, &[("SUPPORTDESK_LOGIN_CLIENT_RATE", "3/hour")]);
    for i in 0..3 {
        let answer = login_from(&server, "198.51.100.1", &format!("user{i}@example.com"), "wrong password").await;
        assert_eq!(answer.status(), StatusCode::UNAUTHORIZED);
    }
    let spoofed = login_from(&server, "198.51.100.2", "user9@example.com", "wrong password").await;
    assert_eq!(spoofed.status(), StatusCode::TOO_MANY_REQUESTS);
    let forwarded = server
        .http
        .post(server.url("/api/v1/auth/login"))
        .header("Forwarded", "for=198.51.100.3")
        .json(&json!({"email": "user9@example.com", "password": "wrong password"}))
        .send()
        .await
        .unwrap();
    assert_eq!(forwarded.status(), StatusCode::TOO_MANY_REQUESTS);
}

/// Two addresses of one /64 are one client; another /64 is another client.
async fn ipv6_clients_in_one_slash_64_share_a_budget(database: Database) {
    let server = Server::start_with(&database, &[BEHIND_PROXY, ("SUPPORTDESK_LOGIN_CLIENT_RATE", "2/hour")]);
    let wrong = |client: &'static str, email: &'static str| login_from(&server, client, email, "wrong password");
    assert_eq!(wrong("2001:db8:1:2::1", "a@example.com").await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(wrong("2001:db8:1:2::ffff", "b@example.com").await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(wrong("2001:db8:1:2:abcd::7", "c@example.com").await.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(wrong("2001:db8:1:3::1", "c@example.com").await.status(), StatusCode::UNAUTHORIZED);
}

/// 30 sign-ups at once from one client: most are refused (429), and the admin, from another
/// client, logs in while they are in flight.
async fn a_registration_flood_from_one_client_is_refused_while_another_client_logs_in(database: Database) {
    let server = Server::start_with(&database, &[BEHIND_PROXY, ("SUPPORTDESK_REGISTER_RATE", "5/hour")]);
    let flood: Vec<_> = (0..30)
        .map(|i| {
            let request = server
                .http
                .post(server.url("/api/v1/auth/register"))
                .header("X-Forwarded-For", "198.51.100.1")
                .json(&json!({"email": format!("flood{i}@example.com"), "password": "customer password 1", "name": "Flood"}));
            tokio::spawn(async move { request.send().await.unwrap() })
        })
        .collect();
    let admin = login_from(&server, "203.0.113.9", ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let mut answers = Vec::with_capacity(flood.len());
    for handle in flood {
        answers.push(handle.await.unwrap());
    }
    assert_eq!(admin.status(), StatusCode::OK);
    let created = answers.iter().filter(|a| a.status() == StatusCode::CREATED).count();
    let refused = answers.iter().filter(|a| a.status() == StatusCode::TOO_MANY_REQUESTS).count();
    assert!(created <= 5, "{created} sign-ups got through a limit of 5");
    assert_eq!(created + refused, 30);
    assert!(answers
        .iter()
        .filter(|a| a.status() == StatusCode::TOO_MANY_REQUESTS)
        .all(|a| a.headers().contains_key("retry-after")));
    // Another client may still sign up.
    assert_eq!(register_from(&server, "203.0.113.9", "other@example.com").await.status(), StatusCode::CREATED);
}

async fn every_response_is_nosniff_and_every_credentialed_answer_is_no_store(database: Database) {
    let server = Server::start(&database);
    let nosniff = |response: &reqwest::Response| {
        response.headers().get("x-content-type-options").map(|v| v.to_str().unwrap().to_owned())
    };
    let no_store = |response: &reqwest::Response| {
        response.headers().get("cache-control").is_some_and(|v| v.to_str().unwrap().contains("no-store"))
    };

    let ok = server.http.get(server.url("/health")).send().await.unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    assert_eq!(nosniff(&ok).as_deref(), Some("nosniff"));
    let missing = server.http.get(server.url("/no/such/route")).send().await.unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    assert_eq!(nosniff(&missing).as_deref(), Some("nosniff"));
    let anonymous = server.http.get(server.url("/api/v1/tickets")).send().await.unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(nosniff(&anonymous).as_deref(), Some("nosniff"));

    let bad_token = server.http.get(server.url("/api/v1/tickets")).bearer_auth("not-a-token").send().await.unwrap();
    assert_eq!(bad_token.status(), StatusCode::UNAUTHORIZED);
    assert!(no_store(&bad_token), "a 401 to a credentialed request must not be stored");
    assert_eq!(nosniff(&bad_token).as_deref(), Some("nosniff"));

    let customer = server.customer("headers@example.com").await;
    let mine = server.http.get(server.url("/api/v1/tickets")).bearer_auth(&customer).send().await.unwrap();
    assert_eq!(mine.status(), StatusCode::OK);
    assert!(no_store(&mine));
    assert_eq!(nosniff(&mine).as_deref(), Some("nosniff"));
    let admin = server.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let missing_ticket =
        server.http.get(server.url("/api/v1/admin/tickets/999999")).bearer_auth(&admin).send().await.unwrap();
    assert_eq!(missing_ticket.status(), StatusCode::NOT_FOUND);
    assert!(no_store(&missing_ticket));
}

/// The head with `Content-Length: 100`, then a byte now and then: the server answers 408
/// once the 2-second deadline passes, and closes the connection.
async fn a_body_that_trickles_past_the_deadline_gets_408_and_a_closed_connection(database: Database) {
    let server = Server::start_with(&database, &[("SUPPORTDESK_BODY_TIMEOUT_SECS", "2")]);
    let address = server.base.trim_start_matches("http://").to_owned();
    let stream = tokio::net::TcpStream::connect(&address).await.unwrap();
    let (mut reader, mut writer) = stream.into_split();
    writer
        .write_all(
            format!(
                "POST /api/v1/auth/login HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\n\
                 Content-Length: 100\r\n\r\n{{\"e"
            )
            .as_bytes(),
        )
        .await
        .unwrap();
    let trickle = tokio::spawn(async move {
        for _ in 0..40 {
            tokio::time::sleep(Duration::from_millis(500)).await;
            if writer.write_all(b" ").await.is_err() {
                break;
            }
        }
    });
    // A hang guard, not a timing assertion: the deadline is 2 s, the trickle lasts 20 s.
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(15), reader.read_to_end(&mut answer)).await;
    trickle.abort();
    assert!(read.is_ok(), "the server neither answered nor closed the connection while the body trickled");
    let text = String::from_utf8_lossy(&answer).to_lowercase();
    assert!(text.starts_with("http/1.1 408"), "{text}");
    assert!(text.contains("connection: close"), "{text}");
    assert!(text.contains("\"code\":\"request_timeout\""), "{text}");
    assert!(text.contains("application/problem+json"), "{text}");
}

/// The token secret and the admin's password from files (with the trailing newline an
/// editor leaves); a value and its file together stop start-up naming both variables.
async fn secrets_can_come_from_files(database: Database) {
    let folder = tempfile::tempdir().unwrap();
    let secret = "a secret from a file of at least thirty-two bytes";
    let secret_file = folder.path().join("jwt_secret");
    std::fs::write(&secret_file, format!("{secret}\n")).unwrap();
    let password_file = folder.path().join("admin_password");
    std::fs::write(&password_file, format!("{ADMIN_PASSWORD}\r\n")).unwrap();
    let files = [
        ("SUPPORTDESK_JWT_SECRET_FILE", secret_file.to_str().unwrap()),
        ("SUPPORTDESK_ADMIN_PASSWORD_FILE", password_file.to_str().unwrap()),
    ];

    let server = Server::start_without(&database, &files, &["SUPPORTDESK_JWT_SECRET", "SUPPORTDESK_ADMIN_PASSWORD"]);
    let token = server.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    drop(server);
    // The token was signed with the file's secret: a server given that secret as a value
    // accepts it.
    let same_secret = Server::start_with(&database, &[("SUPPORTDESK_JWT_SECRET", secret)]);
    let answer =
        same_secret.http.get(same_secret.url("/api/v1/admin/tickets")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
    drop(same_secret);

    let output = Command::new(supportdesk_tests::binary())
        .arg("serve")
        .env("SUPPORTDESK_DATABASE_URL", database.url())
        .env("SUPPORTDESK_BIND", "127.0.0.1:0")
        .env("SUPPORTDESK_JWT_SECRET", secret)
        .env("SUPPORTDESK_JWT_SECRET_FILE", &secret_file)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("SUPPORTDESK_JWT_SECRET_FILE") && stderr.contains("<SUPPORTDESK_JWT_SECRET>"), "{stderr}");
    assert!(!stderr.contains(secret), "the secret was printed: {stderr}");
}

/// A customer registered with the email the operator later gives the bootstrap admin: the
/// server still starts and serves (and the customer's account is untouched).
async fn a_customer_holding_the_bootstrap_email_does_not_stop_start_up(database: Database) {
    let without_admin =
        Server::start_without(&database, &[], &["SUPPORTDESK_ADMIN_EMAIL", "SUPPORTDESK_ADMIN_PASSWORD"]);
    let registered = without_admin
        .http
        .post(without_admin.url("/api/v1/auth/register"))
        .json(&json!({"email": ADMIN_EMAIL, "password": "customer password 1", "name": "Early Bird"}))
        .send()
        .await
        .unwrap();
    assert_eq!(registered.status(), StatusCode::CREATED);
    drop(without_admin);

    let server = Server::start(&database);
    let health = server.http.get(server.url("/health")).send().await.unwrap();
    assert_eq!(health.status(), StatusCode::OK);
    let customer = login_from(&server, "203.0.113.1", ADMIN_EMAIL, "customer password 1").await;
    assert_eq!(customer.status(), StatusCode::OK);
    let body: Value = customer.json().await.unwrap();
    assert_eq!(body["role"], "customer");
    let as_admin = login_from(&server, "203.0.113.2", ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(as_admin.status(), StatusCode::UNAUTHORIZED);
}

/// A restart with the bootstrap variables still set (the admin exists), and with another
/// bootstrap email: both start, and the first admin is the one that logs in.
async fn start_up_with_an_existing_admin_skips_the_bootstrap(database: Database) {
    drop(Server::start(&database));
    let again = Server::start(&database);
    again.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    drop(again);
    let other = Server::start_with(&database, &[("SUPPORTDESK_ADMIN_EMAIL", "second@shop.example")]);
    other.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let second = login_from(&other, "203.0.113.3", "second@shop.example", ADMIN_PASSWORD).await;
    assert_eq!(second.status(), StatusCode::UNAUTHORIZED);
}

/// The SQLite file is created 0600 in a folder created 0700 (its WAL and SHM files too).
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_sqlite_file_and_its_folder_are_created_owner_only() {
    use std::os::unix::fs::PermissionsExt;

    let database = Database::sqlite();
    let server = Server::start(&database);
    server.customer("modes@example.com").await;
    let url = database.url();
    let file = std::path::PathBuf::from(url.trim_start_matches("sqlite://"));
    let mode = |path: &std::path::Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&file), 0o600, "{}", file.display());
    assert_eq!(mode(file.parent().unwrap()), 0o700);
    for suffix in ["-wal", "-shm"] {
        let side = std::path::PathBuf::from(format!("{}{suffix}", file.display()));
        if side.exists() {
            assert_eq!(mode(&side), 0o600, "{}", side.display());
        }
    }
}
