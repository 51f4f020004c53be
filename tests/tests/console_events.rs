//! The console's screens for events out (webhooks and email notifications) over the real
//! binary, spoken to as a browser would (cookies, forms, redirects), on SQLite and (when
//! `TEST_POSTGRES_URL` is set, always in CI) on PostgreSQL, with a real webhook receiver on
//! loopback: an admin subscribes an endpoint, sees its secret once, pings it (a signed
//! request arrives), sees the deliveries of a ticket's events in the log, retries one and
//! deletes the endpoint; an admin edits, previews and saves a mail template and a broken one
//! is refused with its error; an agent without `settings:manage` gets 403 on these screens.

#![expect(clippy::unwrap_used, reason = "tests")]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use reqwest::StatusCode;
use serde_json::{json, Value};
use sha2::Sha256;
use supportdesk_tests::forms::Browser;
use supportdesk_tests::{Database, Server, ADMIN_EMAIL, ADMIN_PASSWORD};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

supportdesk_tests::on_both_backends!(
    an_admin_subscribes_pings_follows_and_deletes_a_webhook_from_the_console,
    an_admin_edits_previews_and_saves_a_mail_template_and_a_broken_one_is_refused,
    an_agent_without_settings_manage_gets_403_on_the_webhook_and_email_screens,
);

/// One request the receiver got.
#[derive(Debug, Clone)]
struct Hit {
    headers: HashMap<String, String>,
    body: Vec<u8>,
}

impl Hit {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

/// A tiny HTTP/1.1 server on loopback that records each request and answers 200.
#[derive(Clone)]
struct Receiver {
    address: SocketAddr,
    hits: Arc<Mutex<Vec<Hit>>>,
}

impl Receiver {
    async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let receiver = Receiver { address: listener.local_addr().unwrap(), hits: Arc::default() };
        let this = receiver.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let this = this.clone();
                tokio::spawn(async move { this.serve(stream).await });
            }
        });
        receiver
    }

    async fn serve(&self, mut stream: tokio::net::TcpStream) {
        let mut buffer = Vec::new();
        let mut chunk = [0_u8; 8192];
        let head_end = loop {
            let Ok(n) = stream.read(&mut chunk).await else { return };
            if n == 0 {
                return;
            }
            buffer.extend_from_slice(&chunk[..n]);
            if let Some(at) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
                break at + 4;
            }
        };
        let head = String::from_utf8_lossy(&buffer[..head_end]).to_string();
        let headers: HashMap<String, String> = head
            .lines()
            .skip(1)
            .filter_map(|line| line.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
            .collect();
        let length: usize = headers.get("content-length").and_then(|v| v.parse().ok()).unwrap_or(0);
        while buffer.len() < head_end + length {
            let Ok(n) = stream.read(&mut chunk).await else { return };
            if n == 0 {
                break;
            }
            buffer.extend_from_slice(&chunk[..n]);
        }
        let body = buffer[head_end..].to_vec();
        self.hits.lock().unwrap().push(Hit { headers, body });
        let _ = stream.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok").await;
    }

    fn url(&self) -> String {
        format!("http://{}/hooks", self.address)
    }

    /// Waits until `count` requests came (at most 30 s).
    async fn wait_for(&self, count: usize) -> Vec<Hit> {
        let deadline = Instant::now() + Duration::from_secs(30);
        while self.hits.lock().unwrap().len() < count && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        self.hits.lock().unwrap().clone()
    }
}

/// Verifies a request as a shop would, with the Standard Webhooks algorithm.
fn verify(secret: &str, hit: &Hit) -> bool {
    let key = STANDARD.decode(secret.strip_prefix("whsec_").unwrap()).unwrap();
    let signed = format!(
        "{}.{}.{}",
        hit.headers["webhook-id"],
        hit.headers["webhook-timestamp"],
        String::from_utf8_lossy(&hit.body)
    );
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
    mac.update(signed.as_bytes());
    let expected = format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()));
    hit.headers["webhook-signature"].split(' ').any(|s| s == expected)
}

/// The HTML entities askama writes, back to text.
fn unescape(text: &str) -> String {
    text.replace("&#x2f;", "/")
        .replace("&#47;", "/")
        .replace("&#x2b;", "+")
        .replace("&#43;", "+")
        .replace("&#x3d;", "=")
        .replace("&#61;", "=")
        .replace("&#60;", "<")
        .replace("&lt;", "<")
        .replace("&#62;", ">")
        .replace("&gt;", ">")
        .replace("&#34;", "\"")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

async fn open_ticket(server: &Server) {
    let alex = server.customer("alex@example.com").await;
    let body = json!({"category": "order", "description": "My parcel never arrived. It was due on Monday."});
    let response = server.http.post(server.url("/api/v1/tickets")).bearer_auth(alex).json(&body).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
}

async fn an_admin_subscribes_pings_follows_and_deletes_a_webhook_from_the_console(database: Database) {
    let receiver = Receiver::start().await;
    let server = Server::start_with(&database, &[("SUPPORTDESK_WEBHOOK_ALLOW_PRIVATE", "true")]);
    let mut admin = Browser::new(&server);
    assert_eq!(admin.login("console", ADMIN_EMAIL, ADMIN_PASSWORD).await.location(), "/console");
    let settings = admin.get("/console/settings").await;
    assert!(settings.body.contains("href=\"/console/settings/webhooks\""), "the settings link the screen");
    let list = admin.get("/console/settings/webhooks").await;
    assert_eq!(list.status, 200);
    assert!(list.body.contains("No endpoint yet"));

    // A bad URL is refused with the reason, and nothing is subscribed.
    let refused = admin
        .submit("/console/settings/webhooks", "/console/settings/webhooks", &[("url", "ftp://x"), ("events", "*")])
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains("url: must be an absolute http or https URL"), "{}", refused.body);
    assert!(refused.body.contains("No endpoint yet"));

    let url = receiver.url();
    let created = admin
        .submit(
            "/console/settings/webhooks",
            "/console/settings/webhooks",
            &[("url", &url), ("events", "*"), ("description", "the <shop>")],
        )
        .await;
    assert_eq!(created.status, 200, "{}", created.body);
    let secret = unescape(&created.after("it will not be shown again: "));
    assert!(secret.starts_with("whsec_") && STANDARD.decode(&secret[6..]).unwrap().len() >= 24, "{secret}");
    assert!(!created.body.contains("the <shop>") && unescape(&created.body).contains("the <shop>"), "escaped");
    let id = created.after("href=\"/console/settings/webhooks/");
    let list = admin.get("/console/settings/webhooks").await;
    assert!(!list.body.contains("whsec_"), "the secret is shown once");
    assert!(list.body.contains("active") && list.body.contains(&url));

    // Ping: the receiver gets a signed request and the page says what came back.
    let pinged =
        admin.submit("/console/settings/webhooks", &format!("/console/settings/webhooks/{id}/ping"), &[]).await;
    assert_eq!(pinged.status, 200, "{}", pinged.body);
    assert!(pinged.body.contains("Ping delivered: the endpoint answered 200"), "{}", pinged.body);
    let hits = receiver.wait_for(1).await;
    assert_eq!(hits[0].json()["type"], "webhook.ping");
    assert!(verify(&secret, &hits[0]), "the ping is signed with the secret shown");

    // A ticket's events show in the log, delivered.
    open_ticket(&server).await;
    receiver.wait_for(3).await;
    let log_path = format!("/console/settings/webhooks/{id}");
    let deadline = Instant::now() + Duration::from_secs(30);
    let log = loop {
        let log = admin.get(&log_path).await;
        assert_eq!(log.status, 200);
        if log.body.matches("class=\"delivery\"").count() == 2 && log.body.matches(">succeeded").count() == 2 {
            break log;
        }
        assert!(Instant::now() < deadline, "the log shows two deliveries: {}", log.body);
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert!(log.body.contains("<td>200</td>") && log.body.contains("<td>1</td>"), "{}", log.body);
    assert_eq!(log.body.matches("Retry now").count(), 2);

    // Retry now: the delivery goes out again.
    let retry = format!("/console/settings/webhooks/{id}/deliveries/{}", log.after(&format!("{log_path}/deliveries/")));
    assert!(retry.ends_with("/retry"), "{retry}");
    let retried = admin.submit(&log_path, &retry, &[]).await;
    assert_eq!(retried.status, StatusCode::SEE_OTHER, "{}", retried.body);
    assert!(retried.location().starts_with(&format!("{log_path}?done=")));
    assert_eq!(receiver.wait_for(4).await.len(), 4, "the retried delivery arrives");

    // Delete: gone from the list, its log is a 404.
    let deleted =
        admin.submit("/console/settings/webhooks", &format!("/console/settings/webhooks/{id}/delete"), &[]).await;
    assert_eq!(deleted.status, StatusCode::SEE_OTHER);
    let list = admin.get(deleted.location()).await;
    assert!(list.body.contains("Saved: endpoint deleted.") && list.body.contains("No endpoint yet"), "{}", list.body);
    assert_eq!(admin.get(&log_path).await.status, StatusCode::NOT_FOUND);
    let admin_token = server.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(server.get_json("/api/v1/admin/webhooks", &admin_token).await["data"], json!([]));
}

async fn an_admin_edits_previews_and_saves_a_mail_template_and_a_broken_one_is_refused(database: Database) {
    // Nothing listens there: no mail is sent in this story, the templates need the mailer's renderer.
    let server = Server::start_with(&database, &[("SUPPORTDESK_SMTP_URL", "smtp://127.0.0.1:9")]);
    let token = server.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let mut admin = Browser::new(&server);
    admin.login("console", ADMIN_EMAIL, ADMIN_PASSWORD).await;

    // Settings: the kinds and the tenant's address, as the API then shows them.
    let email = admin.get("/console/settings/email").await;
    assert_eq!(email.status, 200);
    assert!(email.body.contains("href=\"/console/settings/email/agent_reply\""));
    let bad = admin
        .submit(
            "/console/settings/email",
            "/console/settings/email",
            &[("enabled", "agent_reply"), ("tenantAddress", "nope")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("class=\"notice error\""), "{}", bad.body);
    let before = server.get_json("/api/v1/admin/notification-settings", &token).await;
    assert_eq!(before["ticketCreated"], true, "a refused form changes nothing");
    let saved = admin
        .submit(
            "/console/settings/email",
            "/console/settings/email",
            &[("enabled", "agent_reply"), ("enabled", "new_ticket"), ("tenantAddress", "desk@shop.example")],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let shown = server.get_json("/api/v1/admin/notification-settings", &token).await;
    assert_eq!(
        shown,
        json!({"ticketCreated": false, "agentReply": true, "ticketResolved": false, "customerReply": false,
               "newTicket": true, "tenantAddress": "desk@shop.example"})
    );
    let page = admin.get("/console/settings/email").await;
    assert!(
        page.body.contains("value=\"agent_reply\" checked") && !page.body.contains("value=\"ticket_created\" checked")
    );
    assert!(page.body.contains("value=\"desk@shop.example\""));

    // The editor starts from the default template.
    let editor_path = "/console/settings/email/agent_reply";
    let editor = admin.get(editor_path).await;
    assert_eq!(editor.status, 200);
    assert!(editor.body.contains("replied:"), "{}", editor.body);

    // Preview renders with the sample values, escaped on the page, and saves nothing.
    let subject = "Reply <b>{{ actor.name }}</b> on #{{ ticket.number }}";
    let fields = [
        ("subject", subject),
        ("text", "Hi {{ customer.name }}: {{ message.body }}"),
        ("html", "<p>{{ message.body }}</p>"),
    ];
    let mut preview = fields.to_vec();
    preview.push(("action", "preview"));
    let previewed = admin.submit(editor_path, editor_path, &preview).await;
    assert_eq!(previewed.status, 200, "{}", previewed.body);
    assert!(unescape(&previewed.body).contains("Reply <b>Ada</b> on #42"), "{}", previewed.body);
    assert!(previewed.body.contains("Hi Alex: My parcel never arrived."));
    assert!(!previewed.body.contains("<b>Ada</b>"), "the preview is escaped");
    let api_path = "/api/v1/admin/notification-templates/agent_reply";
    assert_ne!(server.get_json(api_path, &token).await["subject"], subject, "a preview saves nothing");

    // Save.
    let mut save = fields.to_vec();
    save.push(("action", "save"));
    let saved = admin.submit(editor_path, editor_path, &save).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    assert_eq!(server.get_json(api_path, &token).await["subject"], subject);
    let editor = admin.get(saved.location()).await;
    assert!(editor.body.contains("Saved: template."));

    // A broken template is refused with its error, both on preview and on save; the typed
    // text comes back and nothing changes.
    for action in ["preview", "save"] {
        let broken = [("subject", "{{ ticket.number"), ("text", "x"), ("html", "x"), ("action", action)];
        let refused = admin.submit(editor_path, editor_path, &broken).await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{}", refused.body);
        assert!(
            refused.body.contains("class=\"notice error\"") && refused.body.contains("template: "),
            "{}",
            refused.body
        );
        assert!(refused.body.contains("value=\"{{ ticket.number\""), "the typed text is kept: {}", refused.body);
        assert!(!refused.body.contains("id=\"preview\""));
    }
    assert_eq!(server.get_json(api_path, &token).await["subject"], subject);
}

async fn an_agent_without_settings_manage_gets_403_on_the_webhook_and_email_screens(database: Database) {
    let server = Server::start_with(&database, &[("SUPPORTDESK_SMTP_URL", "smtp://127.0.0.1:9")]);
    let admin = server.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let response = server
        .http
        .post(server.url("/api/v1/admin/agents"))
        .bearer_auth(&admin)
        .json(
            &json!({"email": "sam@shop.example", "name": "Sam Agent", "password": "sam password 123", "role": "agent"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let mut sam = Browser::new(&server);
    assert_eq!(sam.login("console", "sam@shop.example", "sam password 123").await.location(), "/console");
    let settings = sam.get("/console/settings").await;
    assert!(!settings.body.contains("/console/settings/webhooks"), "no link to a screen that is not theirs");
    for path in ["/console/settings/webhooks", "/console/settings/email", "/console/settings/email/agent_reply"] {
        assert_eq!(sam.get(path).await.status, StatusCode::FORBIDDEN, "{path}");
    }
    let url = "http://127.0.0.1:9/hooks";
    let create = sam.submit("/console", "/console/settings/webhooks", &[("url", url), ("events", "*")]).await;
    assert_eq!(create.status, StatusCode::FORBIDDEN);
    let template = sam
        .submit(
            "/console",
            "/console/settings/email/agent_reply",
            &[("subject", "x"), ("text", "x"), ("html", "x"), ("action", "save")],
        )
        .await;
    assert_eq!(template.status, StatusCode::FORBIDDEN);
    let settings = sam.submit("/console", "/console/settings/email", &[("enabled", "agent_reply")]).await;
    assert_eq!(settings.status, StatusCode::FORBIDDEN);
    assert_eq!(server.get_json("/api/v1/admin/webhooks", &admin).await["data"], json!([]), "nothing was made");
    assert_eq!(server.get_json("/api/v1/admin/notification-settings", &admin).await["ticketCreated"], true);
}
