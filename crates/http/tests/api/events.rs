//! The feed and the webhook routes, against the memory store, with a fake webhook sender
//! that records what it was asked to send and answers from a script.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::test::TestRequest;
use async_trait::async_trait;
use serde_json::{json, Value};
use supportdesk_app::{App, SendOutcome, WebhookRequest, WebhookSender, WebhookSettings, WebhookUrl};
use supportdesk_domain::Permission;
use supportdesk_http::dto::webhooks::PublicEventEncoder;
use supportdesk_store_memory::MemoryStore;

use crate::common::{cheap_hasher, open_ticket, send, ticket_body, Harness};

/// Refuses hosts named `*.internal`; answers every send with `status`.
#[derive(Default)]
struct FakeSender {
    sent: Mutex<Vec<WebhookRequest>>,
    status: Mutex<Option<u16>>,
}

#[async_trait]
impl WebhookSender for FakeSender {
    async fn check_destination(&self, url: &WebhookUrl) -> Result<(), String> {
        if url.as_str().contains(".internal") {
            Err("the host resolves to 10.0.0.1, which is not a public address".into())
        } else {
            Ok(())
        }
    }

    async fn send(&self, request: &WebhookRequest) -> SendOutcome {
        self.sent.lock().unwrap().push(request.clone());
        let status = self.status.lock().unwrap().unwrap_or(200);
        SendOutcome { status: Some(status), duration: Duration::from_millis(3), error: None }
    }
}

fn harness() -> (Harness, Arc<FakeSender>) {
    let store = Arc::new(MemoryStore::new());
    let sender = Arc::new(FakeSender::default());
    let app = App::builder(store.clone())
        .hasher(cheap_hasher())
        .webhooks(sender.clone(), Arc::new(PublicEventEncoder), WebhookSettings::default())
        .build();
    let h = Harness::over(Arc::new(app), Some(store), |_| {});
    h.tenant("default");
    (h, sender)
}

#[actix_web::test]
async fn the_feed_lists_events_for_staff_refuses_customers_and_bad_parameters() {
    let (h, _) = harness();
    let app = h.service().await;
    let customer = h.customer();
    open_ticket(&h, &app, &customer, ticket_body()).await;
    let agent = h.default_agent();
    let page = send(&app, TestRequest::get().uri("/api/v1/admin/events?limit=1").insert_header(h.bearer(&agent))).await;
    page.assert_status(200);
    assert_eq!(page.body["data"][0]["type"], "ticket.created");
    assert_eq!(page.body["data"][0]["ticket"]["number"], 1);
    let cursor = page.body["meta"]["nextCursor"].as_str().unwrap().to_owned();
    let next = send(
        &app,
        TestRequest::get().uri(&format!("/api/v1/admin/events?after={cursor}")).insert_header(h.bearer(&agent)),
    )
    .await;
    assert_eq!(next.body["data"][0]["type"], "ticket.message_added");
    assert_eq!(next.body["data"].as_array().unwrap().len(), 1);
    send(&app, TestRequest::get().uri("/api/v1/admin/events").insert_header(h.bearer(&customer)))
        .await
        .assert_problem(403, "forbidden");
    send(&app, TestRequest::get().uri("/api/v1/admin/events")).await.assert_problem(401, "unauthorized");
    let bad = send(
        &app,
        TestRequest::get()
            .uri("/api/v1/admin/events?after=zzz&limit=0&types=x&wait=99")
            .insert_header(h.bearer(&agent)),
    )
    .await;
    bad.assert_problem(400, "validation_failed");
    let mut fields = bad.error_fields();
    fields.sort();
    assert_eq!(fields, ["after", "limit", "types", "wait"]);
    send(&app, TestRequest::get().uri("/api/v1/admin/events?page=2").insert_header(h.bearer(&agent)))
        .await
        .assert_status(400);
}

#[actix_web::test]
async fn webhooks_are_created_shown_changed_and_deleted_by_settings_managers_only() {
    let (h, _) = harness();
    let app = h.service().await;
    let admin = h.admin();
    let body = json!({"url": "https://shop.example/hooks", "events": ["ticket.created"], "description": "orders"});
    let created =
        send(&app, TestRequest::post().uri("/api/v1/admin/webhooks").insert_header(h.bearer(&admin)).set_json(&body))
            .await;
    created.assert_status(201);
    let id = created.body["id"].as_str().unwrap().to_owned();
    assert_eq!(created.header("location").unwrap(), format!("/api/v1/admin/webhooks/{id}"));
    assert!(created.body["secret"].as_str().unwrap().starts_with("whsec_"));
    assert_eq!(created.body["active"], true);
    let path = format!("/api/v1/admin/webhooks/{id}");
    let shown = send(&app, TestRequest::get().uri(&path).insert_header(h.bearer(&admin))).await;
    shown.assert_status(200);
    assert!(shown.body.get("secret").is_none());
    let listed = send(&app, TestRequest::get().uri("/api/v1/admin/webhooks").insert_header(h.bearer(&admin))).await;
    assert_eq!(listed.body["data"].as_array().unwrap().len(), 1);
    let patched = send(
        &app,
        TestRequest::patch()
            .uri(&path)
            .insert_header(h.bearer(&admin))
            .set_json(json!({"events": ["*"], "active": false})),
    )
    .await;
    patched.assert_status(200);
    assert_eq!(patched.body["events"], json!(["*"]));
    assert_eq!(patched.body["active"], false);
    assert_eq!(patched.body["description"], "orders");
    let rotated =
        send(&app, TestRequest::post().uri(&format!("{path}/rotate-secret")).insert_header(h.bearer(&admin))).await;
    rotated.assert_status(200);
    assert_ne!(rotated.body["secret"], created.body["secret"]);

    for (bad, field) in [
        (json!({"url": "https://hooks.internal/x", "events": ["*"]}), "url"),
        (json!({"url": "ftp://shop.example", "events": ["*"]}), "url"),
        (json!({"url": "https://shop.example", "events": ["ticket.exploded"]}), "events"),
        (json!({"url": "https://shop.example", "events": []}), "events"),
        (json!({"events": ["*"]}), "url"),
    ] {
        let refused = send(
            &app,
            TestRequest::post().uri("/api/v1/admin/webhooks").insert_header(h.bearer(&admin)).set_json(&bad),
        )
        .await;
        refused.assert_problem(400, "validation_failed");
        assert_eq!(refused.error_fields(), [field], "{bad}");
    }
    let agent = h.agent(&[Permission::TicketsRead]);
    send(&app, TestRequest::get().uri("/api/v1/admin/webhooks").insert_header(h.bearer(&agent)))
        .await
        .assert_problem(403, "forbidden");
    send(&app, TestRequest::get().uri("/api/v1/admin/webhooks/nope").insert_header(h.bearer(&admin)))
        .await
        .assert_problem(400, "validation_failed");
    let other_tenant = h.admin_in("other");
    send(&app, TestRequest::get().uri(&path).insert_header(h.bearer(&other_tenant)))
        .await
        .assert_problem(404, "not_found");
    send(&app, TestRequest::delete().uri(&path).insert_header(h.bearer(&admin))).await.assert_status(204);
    send(&app, TestRequest::delete().uri(&path).insert_header(h.bearer(&admin))).await.assert_problem(404, "not_found");
}

#[actix_web::test]
async fn deliveries_are_logged_retried_and_an_endpoint_is_pinged_with_a_signature() {
    let (h, sender) = harness();
    let app = h.service().await;
    let admin = h.admin();
    let body = json!({"url": "https://shop.example/hooks", "events": ["ticket.created"]});
    let created =
        send(&app, TestRequest::post().uri("/api/v1/admin/webhooks").insert_header(h.bearer(&admin)).set_json(&body))
            .await;
    let id = created.body["id"].as_str().unwrap().to_owned();
    let secret = supportdesk_app::WebhookSecret::parse(created.body["secret"].as_str().unwrap()).unwrap();
    open_ticket(&h, &app, &h.customer(), ticket_body()).await;
    assert_eq!(h.app.fan_out_webhooks(100).await.unwrap(), 1);
    *sender.status.lock().unwrap() = Some(500);
    assert_eq!(h.app.deliver_webhooks(10).await.unwrap(), 1);
    let sent = sender.sent.lock().unwrap().clone();
    assert_eq!(sent.len(), 1);
    let event: Value = serde_json::from_slice(&sent[0].body).unwrap();
    assert_eq!(event["type"], "ticket.created");
    assert_eq!(sent[0].id, event["id"].as_str().unwrap());
    assert_eq!(sent[0].signature, secret.sign(&sent[0].id, sent[0].timestamp, &sent[0].body));

    let log_path = format!("/api/v1/admin/webhooks/{id}/deliveries");
    let log = send(&app, TestRequest::get().uri(&log_path).insert_header(h.bearer(&admin))).await;
    log.assert_status(200);
    let delivery = &log.body["data"][0];
    assert_eq!(delivery["status"], "pending");
    assert_eq!(delivery["attempts"], 1);
    assert_eq!(delivery["responseStatus"], 500);
    assert!(delivery["nextAttemptAt"].is_string());
    let delivery_id = delivery["id"].as_str().unwrap().to_owned();

    *sender.status.lock().unwrap() = Some(200);
    let retried =
        send(&app, TestRequest::post().uri(&format!("{log_path}/{delivery_id}/retry")).insert_header(h.bearer(&admin)))
            .await;
    retried.assert_status(202);
    assert_eq!(h.app.deliver_webhooks(10).await.unwrap(), 1);
    let log = send(&app, TestRequest::get().uri(&log_path).insert_header(h.bearer(&admin))).await;
    assert_eq!(log.body["data"][0]["status"], "succeeded");
    assert_eq!(log.body["data"][0]["attempts"], 2);
    send(&app, TestRequest::get().uri(&format!("{log_path}?cursor=nope")).insert_header(h.bearer(&admin)))
        .await
        .assert_problem(400, "validation_failed");
    send(
        &app,
        TestRequest::post().uri(&format!("{log_path}/{}/retry", uuid::Uuid::now_v7())).insert_header(h.bearer(&admin)),
    )
    .await
    .assert_problem(404, "not_found");

    let ping = send(
        &app,
        TestRequest::post().uri(&format!("/api/v1/admin/webhooks/{id}/ping")).insert_header(h.bearer(&admin)),
    )
    .await;
    ping.assert_status(200);
    assert_eq!(ping.body["success"], true);
    let sent = sender.sent.lock().unwrap().clone();
    let pinged = sent.last().unwrap();
    let body: Value = serde_json::from_slice(&pinged.body).unwrap();
    assert_eq!(body["type"], "webhook.ping");
    assert_eq!(body["data"]["webhookId"], id.as_str());
    assert_eq!(pinged.signature, secret.sign(&pinged.id, pinged.timestamp, &pinged.body));
}

/// Refuses templates whose `{{` and `}}` do not pair up; sends nothing.
struct FakeRenderer;

impl supportdesk_app::TemplateRenderer for FakeRenderer {
    fn render(
        &self,
        template: &supportdesk_app::MailTemplate,
        _: &supportdesk_app::MailContext,
    ) -> Result<supportdesk_app::RenderedMail, String> {
        let parts = [&template.subject, &template.text, &template.html];
        if parts.iter().any(|p| p.matches("{{").count() != p.matches("}}").count()) {
            return Err("unexpected end of template".into());
        }
        Ok(supportdesk_app::RenderedMail {
            subject: template.subject.clone(),
            text: template.text.clone(),
            html: template.html.clone(),
        })
    }
}

struct NoMail;

#[async_trait]
impl supportdesk_app::Mailer for NoMail {
    async fn send(&self, _: &supportdesk_app::OutgoingMail) -> Result<(), String> {
        Err("no mail in these tests".into())
    }

    fn domain(&self) -> String {
        "shop.example".into()
    }
}

#[actix_web::test]
async fn notification_settings_and_templates_are_read_and_replaced_by_settings_managers() {
    let store = Arc::new(MemoryStore::new());
    let app = App::builder(store.clone()).hasher(cheap_hasher()).mail(Arc::new(NoMail), Arc::new(FakeRenderer)).build();
    let h = Harness::over(Arc::new(app), Some(store), |_| {});
    h.tenant("default");
    let app = h.service().await;
    let admin = h.admin();
    let settings =
        send(&app, TestRequest::get().uri("/api/v1/admin/notification-settings").insert_header(h.bearer(&admin))).await;
    settings.assert_status(200);
    assert_eq!(settings.body["ticketCreated"], true);
    assert_eq!(settings.body["tenantAddress"], Value::Null);
    let new = json!({"ticketCreated": false, "agentReply": true, "ticketResolved": true, "customerReply": false,
                     "newTicket": true, "tenantAddress": "desk@shop.example"});
    let saved = send(
        &app,
        TestRequest::put().uri("/api/v1/admin/notification-settings").insert_header(h.bearer(&admin)).set_json(&new),
    )
    .await;
    saved.assert_status(200);
    assert_eq!(saved.body, new);
    let mut bad = new.clone();
    bad["tenantAddress"] = json!("not an address");
    send(
        &app,
        TestRequest::put().uri("/api/v1/admin/notification-settings").insert_header(h.bearer(&admin)).set_json(&bad),
    )
    .await
    .assert_problem(400, "validation_failed");

    let path = "/api/v1/admin/notification-templates/agent_reply";
    let template = send(&app, TestRequest::get().uri(path).insert_header(h.bearer(&admin))).await;
    template.assert_status(200);
    assert!(template.body["subject"].as_str().unwrap().contains("ticket.number"));
    let edited = json!({"subject": "Re: {{ ticket.subject }}", "text": "{{ message.body }}", "html": "<p>hi</p>"});
    send(&app, TestRequest::put().uri(path).insert_header(h.bearer(&admin)).set_json(&edited)).await.assert_status(200);
    let shown = send(&app, TestRequest::get().uri(path).insert_header(h.bearer(&admin))).await;
    assert_eq!(shown.body, edited);
    let broken = json!({"subject": "{{ ticket.subject", "text": "x", "html": "x"});
    let refused = send(&app, TestRequest::put().uri(path).insert_header(h.bearer(&admin)).set_json(&broken)).await;
    refused.assert_problem(400, "validation_failed");
    assert_eq!(refused.error_fields(), ["template"]);
    send(&app, TestRequest::get().uri("/api/v1/admin/notification-templates/nope").insert_header(h.bearer(&admin)))
        .await
        .assert_problem(400, "validation_failed");
    let agent = h.default_agent();
    send(&app, TestRequest::get().uri(path).insert_header(h.bearer(&agent))).await.assert_problem(403, "forbidden");
}
