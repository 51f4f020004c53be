//! Email notifications over the real binary (api-v1.1.md section 2), against a real SMTP
//! server on loopback (a small sink inside the test): each notification kind reaches its
//! recipient with its subject, a plain-text and an HTML part, and the threading headers
//! that keep one ticket's mails in one conversation; templates are editable and checked.

#![expect(clippy::unwrap_used, reason = "tests")]

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{json, Value};
use supportdesk_tests::{Database, Server, ADMIN_EMAIL, ADMIN_PASSWORD};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

supportdesk_tests::on_both_backends!(
    each_notification_reaches_its_recipient_with_both_parts_in_one_thread,
    a_mail_the_server_refuses_is_sent_again_on_the_retry_schedule,
);

/// One mail the sink accepted.
#[derive(Debug, Clone)]
struct Mail {
    recipients: Vec<String>,
    data: String,
}

impl Mail {
    /// A header's value, unfolded.
    fn header(&self, name: &str) -> Option<String> {
        let head = self.data.split("\r\n\r\n").next().unwrap_or_default().replace("\r\n ", " ").replace("\r\n\t", " ");
        head.lines().find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.eq_ignore_ascii_case(name).then(|| value.trim().to_owned())
        })
    }
}

/// A minimal SMTP server that accepts everything and keeps it.
#[derive(Clone, Default)]
struct Sink {
    mails: Arc<Mutex<Vec<Mail>>>,
    /// How many more messages to refuse with a temporary error (451) after their data.
    refuse: Arc<Mutex<usize>>,
    refused: Arc<Mutex<usize>>,
}

impl Sink {
    async fn start() -> (Self, u16) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let sink = Sink::default();
        let this = sink.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let this = this.clone();
                tokio::spawn(async move { this.session(stream).await });
            }
        });
        (sink, port)
    }

    async fn session(&self, stream: tokio::net::TcpStream) {
        let (read, mut write) = stream.into_split();
        let mut lines = BufReader::new(read).lines();
        let _ = write.write_all(b"220 sink ESMTP\r\n").await;
        let mut recipients = Vec::new();
        while let Ok(Some(line)) = lines.next_line().await {
            let upper = line.to_ascii_uppercase();
            let reply: &[u8] = if upper.starts_with("EHLO") || upper.starts_with("HELO") {
                b"250 sink\r\n"
            } else if upper.starts_with("RCPT TO:") {
                recipients.push(line[8..].trim().trim_matches(['<', '>']).to_owned());
                b"250 OK\r\n"
            } else if upper.starts_with("DATA") {
                let _ = write.write_all(b"354 go on\r\n").await;
                let mut data = String::new();
                while let Ok(Some(line)) = lines.next_line().await {
                    if line == "." {
                        break;
                    }
                    data.push_str(line.strip_prefix('.').filter(|_| line.starts_with("..")).unwrap_or(&line));
                    data.push_str("\r\n");
                }
                let refuse = {
                    let mut left = self.refuse.lock().unwrap();
                    let refuse = *left > 0;
                    *left = left.saturating_sub(1);
                    refuse
                };
                if refuse {
                    recipients.clear();
                    *self.refused.lock().unwrap() += 1;
                    b"451 try again later\r\n"
                } else {
                    self.mails.lock().unwrap().push(Mail { recipients: std::mem::take(&mut recipients), data });
                    b"250 OK\r\n"
                }
            } else if upper.starts_with("QUIT") {
                let _ = write.write_all(b"221 bye\r\n").await;
                return;
            } else {
                b"250 OK\r\n"
            };
            if write.write_all(reply).await.is_err() {
                return;
            }
        }
    }

    async fn wait_for(&self, count: usize) -> Vec<Mail> {
        let deadline = Instant::now() + Duration::from_secs(30);
        while self.mails.lock().unwrap().len() < count && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        self.mails.lock().unwrap().clone()
    }
}

fn to<'a>(mails: &'a [Mail], address: &str, subject_part: &str) -> &'a Mail {
    mails
        .iter()
        .find(|m| m.recipients == [address] && m.header("Subject").is_some_and(|s| s.contains(subject_part)))
        .unwrap_or_else(|| panic!("no mail to {address} with {subject_part:?} in {mails:#?}"))
}

fn assert_both_parts(mail: &Mail, text: &str) {
    assert!(mail.header("Content-Type").unwrap().starts_with("multipart/alternative"), "{}", mail.data);
    assert!(mail.data.contains("Content-Type: text/plain"), "{}", mail.data);
    assert!(mail.data.contains("Content-Type: text/html"), "{}", mail.data);
    // Undo quoted-printable's soft line breaks (the parts are short ASCII otherwise).
    let decoded = mail.data.replace("=\r\n", "");
    assert!(decoded.matches(text).count() >= 2, "{text:?} in both parts: {}", mail.data);
}

async fn send(server: &Server, method: reqwest::Method, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
    let response = server.http.request(method, server.url(path)).bearer_auth(token).json(&body).send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// The customer gets the new ticket (with its number), the agent's public reply and the
/// resolution; the tenant address gets the new ticket; the assignee gets the customer's
/// reply. Every mail has both parts; the first is the thread's root and the others answer it.
async fn each_notification_reaches_its_recipient_with_both_parts_in_one_thread(database: Database) {
    let (sink, port) = Sink::start().await;
    let smtp = format!("smtp://127.0.0.1:{port}");
    let server = Server::start_with(
        &database,
        &[("SUPPORTDESK_SMTP_URL", smtp.as_str()), ("SUPPORTDESK_MAIL_FROM", "Support <support@shop.example>")],
    );
    let admin = server.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let settings = json!({"ticketCreated": true, "agentReply": true, "ticketResolved": true,
                          "customerReply": true, "newTicket": true, "tenantAddress": "desk@shop.example"});
    let (status, saved) =
        send(&server, reqwest::Method::PUT, "/api/v1/admin/notification-settings", &admin, settings).await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    let template = json!({"subject": "[#{{ ticket.number }}] Reply from {{ actor.name }}",
                          "text": "{{ message.body }}", "html": "<p>{{ message.body }}</p>"});
    let path = "/api/v1/admin/notification-templates/agent_reply";
    assert_eq!(send(&server, reqwest::Method::PUT, path, &admin, template).await.0, StatusCode::OK);
    let broken = json!({"subject": "{{ ticket.number", "text": "x", "html": "x"});
    assert_eq!(send(&server, reqwest::Method::PUT, path, &admin, broken).await.0, StatusCode::BAD_REQUEST);
    let shown = server.get_json(path, &admin).await;
    assert_eq!(shown["text"], "{{ message.body }}");
    // The worker positions the tenant's mail at the end of the feed on its first look.
    tokio::time::sleep(Duration::from_millis(600)).await;

    let alex = server.customer("alex@example.com").await;
    let body = json!({"category": "order", "description": "My parcel never arrived. It was due on Monday."});
    let (status, ticket) = send(&server, reqwest::Method::POST, "/api/v1/tickets", &alex, body).await;
    assert_eq!(status, StatusCode::CREATED);
    let id = ticket["id"].as_str().unwrap().to_owned();
    let mails = sink.wait_for(2).await;
    let created = to(&mails, "alex@example.com", "[#1]");
    assert_both_parts(created, "never arrived");
    let root = created.header("Message-ID").unwrap();
    assert!(root.starts_with("<ticket-") && root.ends_with("@shop.example>"), "{root}");
    assert_eq!(created.header("In-Reply-To"), None);
    let desk = to(&mails, "desk@shop.example", "New ticket");
    assert_both_parts(desk, "never arrived");
    assert_eq!(desk.header("In-Reply-To").as_deref(), Some(root.as_str()));
    assert_eq!(desk.header("References").as_deref(), Some(root.as_str()));

    let reply = json!({"body": "A replacement is on its way.", "internal": false});
    let messages = format!("/api/v1/admin/tickets/{id}/messages");
    assert_eq!(send(&server, reqwest::Method::POST, &messages, &admin, reply).await.0, StatusCode::CREATED);
    let note = json!({"body": "Courier says lost.", "internal": true});
    assert_eq!(send(&server, reqwest::Method::POST, &messages, &admin, note).await.0, StatusCode::CREATED);
    let mails = sink.wait_for(3).await;
    let replied = to(&mails, "alex@example.com", "Reply from");
    assert_both_parts(replied, "A replacement is on its way.");
    assert_eq!(replied.header("In-Reply-To").as_deref(), Some(root.as_str()));
    assert_ne!(replied.header("Message-ID").as_deref(), Some(root.as_str()));

    let admin_id = server.get_json("/api/v1/admin/agents", &admin).await["data"][0]["id"].as_str().unwrap().to_owned();
    let assign = json!({"assigneeId": admin_id});
    let (status, _) =
        send(&server, reqwest::Method::PATCH, &format!("/api/v1/admin/tickets/{id}/assign"), &admin, assign).await;
    assert_eq!(status, StatusCode::OK);
    let answer = json!({"body": "Thank you, that helps."});
    let (status, _) =
        send(&server, reqwest::Method::POST, &format!("/api/v1/tickets/{id}/messages"), &alex, answer).await;
    assert_eq!(status, StatusCode::CREATED);
    let mails = sink.wait_for(4).await;
    let to_assignee = to(&mails, ADMIN_EMAIL, "Customer reply");
    assert_both_parts(to_assignee, "Thank you, that helps.");
    assert_eq!(to_assignee.header("In-Reply-To").as_deref(), Some(root.as_str()));

    let resolve = json!({"status": "resolved", "resolutionNote": "Replacement delivered."});
    let (status, body) =
        send(&server, reqwest::Method::PATCH, &format!("/api/v1/admin/tickets/{id}/status"), &admin, resolve).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let mails = sink.wait_for(5).await;
    let resolved = to(&mails, "alex@example.com", "Resolved");
    assert_both_parts(resolved, "Replacement delivered.");
    assert_eq!(resolved.header("References").as_deref(), Some(root.as_str()));
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(sink.mails.lock().unwrap().len(), 5, "no mail for the note, the assignment or the status moves");
}

/// The SMTP server answers the first mail with a temporary error: the mail is sent again
/// about 5 seconds later, once, and the customer gets it.
async fn a_mail_the_server_refuses_is_sent_again_on_the_retry_schedule(database: Database) {
    let (sink, port) = Sink::start().await;
    *sink.refuse.lock().unwrap() = 1;
    let smtp = format!("smtp://127.0.0.1:{port}");
    let server = Server::start_with(&database, &[("SUPPORTDESK_SMTP_URL", smtp.as_str())]);
    let admin = server.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let settings = json!({"ticketCreated": true, "agentReply": false, "ticketResolved": false,
                          "customerReply": false, "newTicket": false, "tenantAddress": null});
    let (status, _) =
        send(&server, reqwest::Method::PUT, "/api/v1/admin/notification-settings", &admin, settings).await;
    assert_eq!(status, StatusCode::OK);
    tokio::time::sleep(Duration::from_millis(600)).await;
    let alex = server.customer("alex@example.com").await;
    let body = json!({"category": "order", "description": "My parcel never arrived. It was due on Monday."});
    assert_eq!(send(&server, reqwest::Method::POST, "/api/v1/tickets", &alex, body).await.0, StatusCode::CREATED);
    let started = Instant::now();
    let mails = sink.wait_for(1).await;
    assert_eq!(*sink.refused.lock().unwrap(), 1, "the first try was refused");
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].recipients, ["alex@example.com"]);
    assert!(started.elapsed() >= Duration::from_secs(3), "sent again on the schedule, not at once");
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(sink.mails.lock().unwrap().len(), 1, "once");
}
