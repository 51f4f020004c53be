//! The console's SLA screens over the real binary, spoken to as a browser would, on SQLite
//! and (when `TEST_POSTGRES_URL` is set, always in CI) on PostgreSQL: an admin adds business
//! hours and a policy from the settings, a bad calendar is refused with its reason, hours a
//! policy uses cannot be deleted; a new ticket shows its due time in the queue, in the
//! "due within the hour" view and on its page; an agent without `settings:manage` gets 403.

#![expect(clippy::unwrap_used, reason = "tests")]

use reqwest::StatusCode;
use serde_json::{json, Value};
use supportdesk_tests::forms::Browser;
use supportdesk_tests::{Database, Server, ADMIN_EMAIL, ADMIN_PASSWORD};

supportdesk_tests::on_both_backends!(
    an_admin_sets_up_an_sla_and_the_queue_shows_what_is_due,
    an_agent_without_settings_manage_gets_403_on_the_sla_screen,
);

const SCREEN: &str = "/console/settings/sla";

async fn an_admin_sets_up_an_sla_and_the_queue_shows_what_is_due(database: Database) {
    let server = Server::start(&database);
    let admin_token = server.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let mut admin = Browser::new(&server);
    admin.login("console", ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert!(admin.get("/console/settings").await.body.contains(SCREEN), "the settings link to the SLA screen");

    let bad = admin
        .submit(
            SCREEN,
            "/console/settings/sla/hours",
            &[("name", "Mars"), ("timeZone", "Mars/Olympus"), ("week", "mon 09:00-17:00")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    assert!(bad.body.contains("timeZone"), "says what is wrong: {}", bad.body);
    let reversed = admin
        .submit(
            SCREEN,
            "/console/settings/sla/hours",
            &[("name", "Odd"), ("timeZone", "UTC"), ("week", "tue 17:00-09:00")],
        )
        .await;
    assert_eq!(reversed.status, StatusCode::UNPROCESSABLE_ENTITY);

    let hours = admin
        .submit(
            SCREEN,
            "/console/settings/sla/hours",
            &[
                ("name", "Berlin office"),
                ("timeZone", "Europe/Berlin"),
                ("week", "mon 09:00-12:00 13:00-17:00\nfri 09:00-17:00"),
                ("holidays", "2026-12-25"),
            ],
        )
        .await;
    assert_eq!(hours.status, StatusCode::SEE_OTHER, "{}", hours.body);
    let listed = server.get_json("/api/v1/admin/business-hours", &admin_token).await;
    let hours_id = listed["data"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(listed["data"][0]["week"]["mon"], json!([["09:00", "12:00"], ["13:00", "17:00"]]));
    assert_eq!(listed["data"][0]["holidays"], json!(["2026-12-25"]));

    let office = admin
        .submit(
            SCREEN,
            "/console/settings/sla/policies",
            &[
                ("name", "Office hours"),
                ("position", "5"),
                ("source", "email"),
                ("firstResponseMinutes", "480"),
                ("resolutionMinutes", "2400"),
                ("businessHoursId", &hours_id),
            ],
        )
        .await;
    assert_eq!(office.status, StatusCode::SEE_OTHER, "{}", office.body);
    let everything = admin
        .submit(
            SCREEN,
            "/console/settings/sla/policies",
            &[
                ("name", "Everything"),
                ("firstResponseMinutes", "30"),
                ("resolutionMinutes", "600"),
                ("pauseWhileAnswered", "true"),
            ],
        )
        .await;
    assert_eq!(everything.status, StatusCode::SEE_OTHER, "{}", everything.body);
    let screen = admin.get(SCREEN).await;
    assert!(screen.body.contains("Office hours") && screen.body.contains("Berlin office"), "{}", screen.body);
    let policies = server.get_json("/api/v1/admin/sla-policies", &admin_token).await;
    let names: Vec<&str> = policies["data"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Everything", "Office hours"], "tried by position");
    assert_eq!(policies["data"][1]["match"], json!({"source": "email"}));
    assert_eq!(policies["data"][0]["pauseWhileAnswered"], true);

    let in_use = admin.submit(SCREEN, &format!("/console/settings/sla/hours/{hours_id}/delete"), &[]).await;
    assert_eq!(in_use.status, StatusCode::CONFLICT, "{}", in_use.body);
    assert_eq!(server.get_json("/api/v1/admin/business-hours", &admin_token).await["meta"]["total"], 1);

    // A customer's ticket gets the "Everything" policy: due in 30 minutes.
    let customer = server.customer("alex@customer.example").await;
    let response = server
        .http
        .post(server.url("/api/v1/tickets"))
        .bearer_auth(&customer)
        .json(&json!({"category": "order", "description": "My parcel never arrived. It was due Monday."}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let ticket: Value = response.json().await.unwrap();
    assert!(ticket.get("sla").is_none(), "not in the customer's answer");
    let number = ticket["number"].as_i64().unwrap();

    let queue = admin.get("/console").await;
    assert!(queue.body.contains("class=\"sla due\""), "a due badge in the queue: {}", queue.body);
    let soon = admin.get("/console?view=breaching").await;
    assert_eq!(soon.status, StatusCode::OK);
    assert!(soon.body.contains("My parcel never arrived."), "due within the hour: {}", soon.body);
    let breached = admin.get("/console?view=breached").await;
    assert!(!breached.body.contains("My parcel never arrived."), "nothing breached yet");
    let page = admin.get(&format!("/console/tickets/{number}")).await;
    assert!(page.body.contains("id=\"sla\""), "{}", page.body);
    assert!(page.body.contains("First response"));
    let mut portal = Browser::new(&server);
    portal.login("portal", "alex@customer.example", "customer password 1").await;
    let own = portal.get(&format!("/portal/tickets/{number}")).await;
    assert!(!own.body.contains("id=\"sla\"") && !own.body.contains("class=\"sla"), "the portal shows no SLA");

    // Deleting the policy frees the hours.
    let office_id = policies["data"][1]["id"].as_str().unwrap();
    let gone = admin.submit(SCREEN, &format!("/console/settings/sla/policies/{office_id}/delete"), &[]).await;
    assert_eq!(gone.status, StatusCode::SEE_OTHER);
    let freed = admin.submit(SCREEN, &format!("/console/settings/sla/hours/{hours_id}/delete"), &[]).await;
    assert_eq!(freed.status, StatusCode::SEE_OTHER, "{}", freed.body);
}

async fn an_agent_without_settings_manage_gets_403_on_the_sla_screen(database: Database) {
    let server = Server::start(&database);
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
    assert!(!sam.get("/console/settings").await.body.contains(SCREEN), "no link to a screen that is not theirs");
    assert_eq!(sam.get(SCREEN).await.status, StatusCode::FORBIDDEN);
    let made = sam
        .submit(
            "/console",
            "/console/settings/sla/policies",
            &[("name", "Mine"), ("firstResponseMinutes", "5"), ("resolutionMinutes", "50")],
        )
        .await;
    assert_eq!(made.status, StatusCode::FORBIDDEN);
    assert_eq!(server.get_json("/api/v1/admin/sla-policies", &admin).await["data"], json!([]), "nothing was made");
    // The queue's SLA views work for every agent.
    assert_eq!(sam.get("/console?view=breaching").await.status, StatusCode::OK);
    assert_eq!(sam.get("/console?view=nonsense").await.status, StatusCode::BAD_REQUEST);
}
