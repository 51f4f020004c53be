//! The console and the portal in headless Chromium (Debian's `chromium` and
//! `chromium-driver`, through WebDriver), over the real binary, on SQLite and (when
//! `TEST_POSTGRES_URL` is set, always in CI) on PostgreSQL: an agent works a customer's new
//! ticket, the customer sees the reply and not the note and reopens, a stale edit is caught, a
//! forged cross-site post is refused, a deactivated agent's open session stops working.
//!
//! Without `chromium` or `chromedriver` on the machine every test here prints a loud SKIPPED
//! line and returns (`.ci/run` installs both). With `SUPPORTDESK_SCREENSHOTS=<folder>` the
//! SQLite run saves the screenshots of `docs/console.md` there.

#![expect(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use reqwest::StatusCode;
use serde_json::{json, Value};
use supportdesk_tests::{Database, Server, ADMIN_EMAIL, ADMIN_PASSWORD};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

supportdesk_tests::on_both_backends!(
    an_agent_works_a_new_ticket_and_the_customer_sees_the_reply_not_the_note_and_reopens,
    a_second_agents_stale_edit_is_caught,
    a_forged_cross_site_post_is_refused,
    a_deactivated_agents_open_session_stops_working,
    a_lead_finds_a_customer_in_the_directory_and_opens_the_reports,
);

/// Where a program is on `PATH`, if anywhere.
fn which(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|dir| dir.join(program)).find(|candidate| candidate.is_file())
}

/// A chromedriver on a free port and a Chromium session driven through it.
struct Browser {
    client: Client,
    driver: Child,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// Starts chromedriver and Chromium, or says loudly why not and returns `None`.
    async fn start(test: &str) -> Option<Self> {
        let (Some(chromium), Some(chromedriver)) =
            (which("chromium").or_else(|| which("chromium-browser")), which("chromedriver"))
        else {
            // Straight to the terminal: the test harness captures `eprintln!` of passing tests.
            let line = format!(
                "\n*** SKIPPED browser test {test}: chromium and chromedriver are not installed \
                 (apt-get install -y chromium chromium-driver) ***\n"
            );
            let _ = std::io::Write::write_all(&mut std::io::stderr(), line.as_bytes());
            return None;
        };
        let port = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            listener.local_addr().unwrap().port()
        };
        let driver = Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(started.elapsed() < Duration::from_secs(20), "chromedriver did not listen");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let profile = tempfile::tempdir().unwrap();
        let args = vec![
            "--headless".to_owned(),
            "--no-sandbox".to_owned(),
            "--disable-gpu".to_owned(),
            "--disable-quic".to_owned(),
            "--no-first-run".to_owned(),
            "--disable-background-networking".to_owned(),
            "--disable-component-update".to_owned(),
            "--disable-sync".to_owned(),
            "--disable-dev-shm-usage".to_owned(),
            "--window-size=1280,900".to_owned(),
            format!("--user-data-dir={}", profile.path().display()),
        ];
        let mut capabilities = serde_json::Map::new();
        capabilities
            .insert("goog:chromeOptions".to_owned(), json!({"binary": chromium.display().to_string(), "args": args}));
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let mut browser = None;
        for _ in 0..3 {
            match ClientBuilder::new(connector.clone())
                .capabilities(capabilities.clone())
                .connect(&format!("http://127.0.0.1:{port}"))
                .await
            {
                Ok(client) => {
                    browser = Some(client);
                    break;
                }
                Err(error) => {
                    eprintln!("chromedriver session failed, retrying: {error}");
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
            }
        }
        let client = browser.expect("a Chromium session");
        Some(Self { client, driver, _profile: profile })
    }

    async fn goto(&self, server: &Server, path: &str) {
        self.client.goto(&server.url(path)).await.unwrap();
    }

    async fn fill(&self, css: &str, text: &str) {
        let field = self.client.find(Locator::Css(css)).await.unwrap();
        field.clear().await.unwrap();
        field.send_keys(text).await.unwrap();
    }

    async fn click(&self, css: &str) {
        self.client.find(Locator::Css(css)).await.unwrap().click().await.unwrap();
    }

    async fn select(&self, css: &str, value: &str) {
        self.client.find(Locator::Css(css)).await.unwrap().select_by_value(value).await.unwrap();
    }

    /// The text of the element at `css`, once there is one. A page that is still being
    /// replaced (a form just submitted) can hand out an element that is gone a moment later,
    /// so a stale element is looked up again, for up to 10 seconds.
    async fn text(&self, css: &str) -> String {
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            let found = self.client.wait().at_most(Duration::from_secs(10)).for_element(Locator::Css(css)).await;
            let text = match found {
                Ok(element) => element.text().await,
                Err(error) => Err(error),
            };
            match text {
                Ok(text) => return text,
                Err(error) if std::time::Instant::now() < deadline => {
                    eprintln!("{css}: {error}; looking again");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(error) => panic!("no text at {css}: {error}"),
            }
        }
    }

    /// The text at `css` once it contains `needle` (the next page may still be loading),
    /// or whatever it is after 10 seconds.
    async fn text_once_it_contains(&self, css: &str, needle: &str) -> String {
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            let text = self.text(css).await;
            if text.contains(needle) || std::time::Instant::now() >= deadline {
                return text;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn source(&self) -> String {
        self.client.source().await.unwrap()
    }

    async fn path(&self) -> String {
        self.client.current_url().await.unwrap().path().to_owned()
    }

    /// Logs in through the area's login page.
    async fn login(&self, server: &Server, area: &str, email: &str, password: &str) {
        self.goto(server, &format!("/{area}/login")).await;
        self.fill("input[name=email]", email).await;
        self.fill("input[name=password]", password).await;
        self.click("#login").await;
        self.client.wait().at_most(Duration::from_secs(10)).for_element(Locator::Css("#logout")).await.unwrap();
    }

    async fn logout(&self) {
        self.click("#logout").await;
        self.client.wait().at_most(Duration::from_secs(10)).for_element(Locator::Css("#login")).await.unwrap();
    }

    /// Saves a screenshot when `SUPPORTDESK_SCREENSHOTS` names a folder.
    async fn screenshot(&self, name: &str) {
        let Some(folder) = std::env::var_os("SUPPORTDESK_SCREENSHOTS") else {
            return;
        };
        let png = self.client.screenshot().await.unwrap();
        std::fs::create_dir_all(&folder).unwrap();
        std::fs::write(PathBuf::from(folder).join(format!("{name}.png")), png).unwrap();
    }

    async fn close(mut self) {
        let _ = self.client.clone().close().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// Registers a customer with a password and opens a ticket for them; returns its number.
async fn customer_ticket(server: &Server, email: &str, description: &str, order: &str) -> i64 {
    let token = server.customer(email).await;
    let response = server
        .http
        .post(server.url("/api/v1/tickets"))
        .bearer_auth(&token)
        .json(&json!({"category": "order", "description": description, "orderId": order}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    response.json::<Value>().await.unwrap()["number"].as_i64().unwrap()
}

fn is_sqlite(database: &Database) -> bool {
    matches!(database, Database::Sqlite(_))
}

async fn an_agent_works_a_new_ticket_and_the_customer_sees_the_reply_not_the_note_and_reopens(database: Database) {
    let Some(browser) = Browser::start("agent works a ticket").await else { return };
    let server = Server::start(&database);
    customer_ticket(&server, "older@customer.example", "The invoice shows the wrong address.", "B-7").await;
    let number =
        customer_ticket(&server, "alex@customer.example", "My parcel never arrived. It was due Monday.", "A-1001")
            .await;

    // The agent finds it in the queue with the search.
    browser.login(&server, "console", ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(browser.path().await, "/console");
    if is_sqlite(&database) {
        browser.screenshot("queue").await;
    }
    // Keyboard: `j` selects the first row of the queue, `/` jumps to the search.
    let press = |key: &'static str| {
        browser.client.execute(
            "document.dispatchEvent(new KeyboardEvent('keydown', {key: arguments[0], bubbles: true}));",
            vec![json!(key)],
        )
    };
    press("j").await.unwrap();
    assert_eq!(browser.client.find_all(Locator::Css("tr.row.selected")).await.unwrap().len(), 1);
    press("/").await.unwrap();
    let focused = browser.client.execute("return document.activeElement.id;", vec![]).await.unwrap();
    assert_eq!(focused, json!("search"));
    browser.fill("#search", "parcel").await;
    browser.click("#filters button[type=submit]").await;
    let started = Instant::now();
    while !browser.client.current_url().await.unwrap().query().unwrap_or("").contains("q=parcel") {
        assert!(started.elapsed() < Duration::from_secs(10), "the search did not load");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let queue = browser.text("#queue").await;
    assert!(queue.contains("My parcel never arrived."), "{queue}");
    assert!(!queue.contains("wrong address"), "the search filters: {queue}");
    browser.click("#queue a.subject").await;
    browser.text("#reply-form").await;
    assert_eq!(browser.path().await, format!("/console/tickets/{number}"));

    // An internal note, then a reply that resolves.
    browser.fill("#reply-body", "Carrier confirms the parcel is lost. SECRET-NOTE").await;
    browser.click("#add-note").await;
    browser.text("article.message.note").await;
    browser.fill("#reply-body", "We are sorry: a new parcel left today.").await;
    browser.click("#reply-resolve").await;
    let status = browser.text_once_it_contains("#status", "Resolved").await;
    assert_eq!(status, "Resolved");
    let thread = browser.text("#thread").await;
    assert!(thread.contains("SECRET-NOTE") && thread.contains("a new parcel left today"));
    let audit = browser.text("#audit").await;
    assert!(audit.contains("added an internal note") && audit.contains("to Resolved"), "{audit}");
    if is_sqlite(&database) {
        browser.screenshot("ticket").await;
    }
    browser.logout().await;

    // The customer sees the reply, not the note, and reopens.
    browser.login(&server, "portal", "alex@customer.example", "customer password 1").await;
    assert_eq!(browser.path().await, "/portal");
    browser.click(&format!("a[href='/portal/tickets/{number}']")).await;
    let thread = browser.text("#thread").await;
    assert!(thread.contains("a new parcel left today"), "{thread}");
    assert!(!browser.source().await.contains("SECRET-NOTE"), "the portal never shows a note");
    if is_sqlite(&database) {
        browser.screenshot("portal").await;
    }
    browser.click("#reopen").await;
    browser.client.wait().at_most(Duration::from_secs(10)).for_element(Locator::Css("#close")).await.unwrap();
    assert_eq!(browser.text("#status").await, "Open");
    // At a phone's width nothing sticks out sideways.
    browser.client.set_window_size(390, 844).await.unwrap();
    browser.goto(&server, &format!("/portal/tickets/{number}")).await;
    let overflow = browser
        .client
        .execute("return document.documentElement.scrollWidth - document.documentElement.clientWidth;", vec![])
        .await
        .unwrap();
    assert!(overflow.as_i64().unwrap() <= 0, "the portal scrolls sideways on a phone by {overflow}px");
    if is_sqlite(&database) {
        browser.screenshot("phone").await;
    }
    browser.close().await;
}

async fn a_second_agents_stale_edit_is_caught(database: Database) {
    let Some(browser) = Browser::start("stale edit").await else { return };
    let server = Server::start(&database);
    let number = customer_ticket(&server, "stale@customer.example", "The box arrived crushed and wet.", "C-1").await;
    browser.login(&server, "console", ADMIN_EMAIL, ADMIN_PASSWORD).await;
    browser.goto(&server, &format!("/console/tickets/{number}")).await;
    browser.text("#triage-form").await;
    // Meanwhile another agent changes the ticket through the API.
    let other = server.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let response = server
        .http
        .patch(server.url(&format!("/api/v1/admin/tickets/{number}")))
        .bearer_auth(&other)
        .json(&json!({"subject": "Crushed box", "priority": "urgent"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK, "{}", response.text().await.unwrap());
    // The form on the screen still carries the old version.
    browser.fill("#triage-subject", "My stale subject").await;
    browser.select("#triage-form select[name=priority]", "low").await;
    browser.click("#triage").await;
    let notice = browser.text("#notice").await;
    assert!(notice.contains("changed by someone else"), "{notice}");
    assert_eq!(browser.text("#subject").await, "Crushed box", "the new state is shown");
    let api = server.get_json(&format!("/api/v1/admin/tickets/{number}"), &other).await;
    assert_eq!(api["subject"], "Crushed box");
    assert_eq!(api["priority"], "urgent");
    browser.close().await;
}

/// Serves `html` to every request on a port of its own (another origin), until dropped.
async fn evil_site(html: String) -> (String, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let task = tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let mut buffer = [0u8; 4096];
            let _ = stream.read(&mut buffer).await;
            let response = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{html}",
                html.len()
            );
            let _ = stream.write_all(response.as_bytes()).await;
        }
    });
    (base, task)
}

async fn a_forged_cross_site_post_is_refused(database: Database) {
    let Some(browser) = Browser::start("forged cross-site post").await else { return };
    let server = Server::start(&database);
    let number = customer_ticket(&server, "victim@customer.example", "Please change my delivery address.", "D-1").await;
    browser.login(&server, "console", ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let action = server.url(&format!("/console/tickets/{number}/reply"));
    let (evil, task) = evil_site(format!(
        "<!doctype html><form method=post action=\"{action}\"><input name=body value=FORGED-REPLY>\
         <input name=csrf value=guessed><button id=go type=submit>Win a prize</button></form>"
    ))
    .await;
    browser.client.goto(&evil).await.unwrap();
    browser.click("#go").await;
    let refused = browser.text_once_it_contains("body", "another site").await;
    assert!(refused.contains("another site"), "{refused}");
    browser.goto(&server, &format!("/console/tickets/{number}")).await;
    let thread = browser.text("#thread").await;
    assert!(!thread.contains("FORGED-REPLY"), "nothing was written: {thread}");
    task.abort();
    browser.close().await;
}

async fn a_deactivated_agents_open_session_stops_working(database: Database) {
    let Some(browser) = Browser::start("deactivated agent").await else { return };
    let server = Server::start(&database);
    let admin = server.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let created = server
        .http
        .post(server.url("/api/v1/admin/agents"))
        .bearer_auth(&admin)
        .json(
            &json!({"email": "sam@shop.example", "name": "Sam Agent", "password": "sam password 123", "role": "agent"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let id = created.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
    browser.login(&server, "console", "sam@shop.example", "sam password 123").await;
    assert_eq!(browser.path().await, "/console");
    let deactivated = server
        .http
        .patch(server.url(&format!("/api/v1/admin/agents/{id}")))
        .bearer_auth(&admin)
        .json(&json!({"active": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(deactivated.status(), StatusCode::OK);
    let started = Instant::now();
    loop {
        browser.goto(&server, "/console").await;
        if browser.path().await == "/console/login" {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(5), "the open session still works after 5 s");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    browser.close().await;
}

/// The customer directory and the reports page in a real browser: a lookup by email
/// prefix from the Customers tab finds one customer, whose page lists their ticket; the
/// Reports tab draws its charts.
async fn a_lead_finds_a_customer_in_the_directory_and_opens_the_reports(database: Database) {
    let Some(browser) = Browser::start("customer directory and reports").await else { return };
    let server = Server::start(&database);
    customer_ticket(&server, "older@customer.example", "The invoice shows the wrong address.", "B-7").await;
    customer_ticket(&server, "alex@customer.example", "My parcel never arrived. It was due Monday.", "A-1001").await;
    browser.login(&server, "console", ADMIN_EMAIL, ADMIN_PASSWORD).await;

    browser.click("#nav-customers").await;
    let everyone = browser.text_once_it_contains("#customers", "Alex Customer").await;
    assert_eq!(everyone.matches("Alex Customer").count(), 2, "{everyone}");
    browser.fill("#customer-q", "OLDER@cust").await;
    browser.click("#customer-search button[type=submit]").await;
    let found = browser.text_once_it_contains("#customer-count", "matching").await;
    assert!(found.starts_with("1 customer(s)"), "{found}");
    assert!(browser.text("#customers").await.contains("older@customer.example"));
    browser.click("#customers a.subject").await;
    let tickets = browser.text_once_it_contains("#customer-tickets", "invoice").await;
    assert!(tickets.contains("invoice") && !tickets.contains("parcel"), "{tickets}");
    if is_sqlite(&database) {
        browser.screenshot("customer").await;
    }

    browser.goto(&server, "/console").await;
    browser.click("#nav-reports").await;
    browser.text("#report-total").await;
    for chart in ["#chart-volume", "#chart-times", "#chart-sla", "#chart-satisfaction"] {
        assert_eq!(browser.client.find_all(Locator::Css(chart)).await.unwrap().len(), 1, "{chart}");
    }
    let total = browser.text("#report-total").await;
    assert!(total.starts_with("Total 2"), "two tickets opened today: {total}");
    browser.close().await;
}
