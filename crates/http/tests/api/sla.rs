//! Business hours and SLA policy routes.

use actix_web::test::TestRequest;
use serde_json::{json, Value};
use supportdesk_domain::Permission;

use crate::common::{send, Harness};

fn berlin() -> Value {
    json!({
        "name": "Berlin office",
        "timeZone": "Europe/Berlin",
        "week": {"mon": [["13:00", "17:00"], ["09:00", "12:00"]], "fri": [["09:00", "17:00"]]},
        "holidays": ["2026-12-25"]
    })
}

#[actix_web::test]
async fn an_admin_manages_business_hours_and_policies_that_use_them() {
    let h = Harness::new();
    let app = h.service().await;
    let admin = h.bearer(&h.admin());

    let created = send(
        &app,
        TestRequest::post().uri("/api/v1/admin/business-hours").insert_header(admin.clone()).set_json(berlin()),
    )
    .await;
    created.assert_status(201);
    let hours_url = created.header("location").unwrap().to_owned();
    let hours_id = created.body["id"].as_str().unwrap().to_owned();
    assert_eq!(hours_url, format!("/api/v1/admin/business-hours/{hours_id}"));
    assert_eq!(created.body["timeZone"], "Europe/Berlin");
    assert_eq!(
        created.body["week"],
        json!({"mon": [["09:00", "12:00"], ["13:00", "17:00"]], "fri": [["09:00", "17:00"]]})
    );
    assert_eq!(created.body["holidays"], json!(["2026-12-25"]));

    let changed = send(
        &app,
        TestRequest::patch()
            .uri(&hours_url)
            .insert_header(admin.clone())
            .set_json(json!({"holidays": [], "name": "Berlin"})),
    )
    .await;
    changed.assert_status(200);
    assert_eq!(changed.body["name"], "Berlin");
    assert_eq!(changed.body["holidays"], json!([]));
    assert_eq!(changed.body["week"], created.body["week"], "unchanged fields stay");

    let policy = send(
        &app,
        TestRequest::post().uri("/api/v1/admin/sla-policies").insert_header(admin.clone()).set_json(json!({
            "name": "Urgent", "position": 1, "match": {"priority": "urgent"},
            "firstResponseMinutes": 60, "nextResponseMinutes": 120, "resolutionMinutes": 480,
            "businessHoursId": hours_id
        })),
    )
    .await;
    policy.assert_status(201);
    let policy_url = policy.header("location").unwrap().to_owned();
    assert_eq!(policy.body["match"], json!({"priority": "urgent"}));
    assert_eq!(policy.body["pauseWhileAnswered"], true, "the default");
    assert_eq!(policy.body["businessHoursId"], hours_id.as_str());

    let general = send(
        &app,
        TestRequest::post().uri("/api/v1/admin/sla-policies").insert_header(admin.clone()).set_json(json!({
            "name": "General", "firstResponseMinutes": 480, "resolutionMinutes": 2400, "pauseWhileAnswered": false
        })),
    )
    .await;
    general.assert_status(201);
    assert_eq!(general.body["position"], 0);
    assert_eq!(general.body["match"], json!({}));
    let list = send(&app, TestRequest::get().uri("/api/v1/admin/sla-policies").insert_header(admin.clone())).await;
    let names: Vec<&str> = list.body["data"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["General", "Urgent"], "tried by position");

    let in_use = send(&app, TestRequest::delete().uri(&hours_url).insert_header(admin.clone())).await;
    in_use.assert_problem(409, "in_use");

    let cleared = send(
        &app,
        TestRequest::patch()
            .uri(&policy_url)
            .insert_header(admin.clone())
            .set_json(json!({"businessHoursId": null, "nextResponseMinutes": null})),
    )
    .await;
    cleared.assert_status(200);
    assert_eq!(cleared.body["businessHoursId"], Value::Null);
    assert_eq!(cleared.body["nextResponseMinutes"], Value::Null);
    assert_eq!(cleared.body["firstResponseMinutes"], 60);

    send(&app, TestRequest::delete().uri(&hours_url).insert_header(admin.clone())).await.assert_status(204);
    send(&app, TestRequest::get().uri(&hours_url).insert_header(admin.clone())).await.assert_problem(404, "not_found");
    send(&app, TestRequest::delete().uri(&policy_url).insert_header(admin.clone())).await.assert_status(204);
    send(&app, TestRequest::delete().uri(&policy_url).insert_header(admin.clone()))
        .await
        .assert_problem(404, "not_found");
}

#[actix_web::test]
async fn bad_calendars_are_refused_field_by_field_and_create_nothing() {
    let h = Harness::new();
    let app = h.service().await;
    let admin = h.bearer(&h.admin());
    let cases: Vec<(Value, &str)> = vec![
        (json!({"timeZone": "Mars/Olympus"}), "timeZone"),
        (json!({"week": {"mon": [["9:00", "17:00"]]}}), "week.mon[0]"),
        (json!({"week": {"tue": [["17:00", "09:00"]]}}), "week.tue[0]"),
        (json!({"week": {"wed": [["09:00", "24:01"]]}}), "week.wed[0]"),
        (json!({"week": {"thu": [["09:00"]]}}), "week.thu[0]"),
        (json!({"week": {"fri": [["09:00", "13:00"], ["12:00", "17:00"]]}}), "week"),
        (json!({"week": {}}), "week"),
        (json!({"holidays": ["2026-02-30"]}), "holidays[0]"),
        (json!({"name": ""}), "name"),
    ];
    for (change, field) in cases {
        let mut body = berlin();
        for (key, value) in change.as_object().unwrap() {
            body[key] = value.clone();
        }
        let reply = send(
            &app,
            TestRequest::post().uri("/api/v1/admin/business-hours").insert_header(admin.clone()).set_json(&body),
        )
        .await;
        reply.assert_problem(400, "validation_failed");
        assert!(reply.error_fields().contains(&field.to_owned()), "{field}: {:?}", reply.body);
    }
    let unknown_field = json!({"name": "x", "timeZone": "UTC", "week": {"monday": [["09:00", "17:00"]]}});
    send(
        &app,
        TestRequest::post().uri("/api/v1/admin/business-hours").insert_header(admin.clone()).set_json(unknown_field),
    )
    .await
    .assert_status(400);
    let missing = send(
        &app,
        TestRequest::post()
            .uri("/api/v1/admin/business-hours")
            .insert_header(admin.clone())
            .set_json(json!({"name": "x"})),
    )
    .await;
    missing.assert_problem(400, "validation_failed");
    assert_eq!(missing.error_fields(), ["timeZone", "week"]);
    let list = send(&app, TestRequest::get().uri("/api/v1/admin/business-hours").insert_header(admin.clone())).await;
    assert_eq!(list.body["meta"]["total"], 0);
}

#[actix_web::test]
async fn bad_policies_are_refused_and_only_settings_managers_may_see_them() {
    let h = Harness::new();
    let app = h.service().await;
    let admin = h.bearer(&h.admin());
    let valid = json!({"name": "P", "firstResponseMinutes": 60, "resolutionMinutes": 480});
    let cases: Vec<(Value, &str)> = vec![
        (json!({"firstResponseMinutes": 0}), "firstResponseMinutes"),
        (json!({"resolutionMinutes": 525_601}), "resolutionMinutes"),
        (json!({"nextResponseMinutes": -5}), "nextResponseMinutes"),
        (json!({"businessHoursId": "0193a1b2-0000-7000-8000-000000000000"}), "businessHoursId"),
        (json!({"businessHoursId": "not-a-uuid"}), "businessHoursId"),
        (json!({"match": {"categoryId": "0193a1b2-0000-7000-8000-000000000000"}}), "match.categoryId"),
        (json!({"match": {"priority": "asap"}}), "match.priority"),
        (json!({"match": {"source": "fax"}}), "match.source"),
    ];
    for (change, field) in cases {
        let mut body = valid.clone();
        for (key, value) in change.as_object().unwrap() {
            body[key] = value.clone();
        }
        let reply = send(
            &app,
            TestRequest::post().uri("/api/v1/admin/sla-policies").insert_header(admin.clone()).set_json(&body),
        )
        .await;
        reply.assert_problem(400, "validation_failed");
        assert!(reply.error_fields().contains(&field.to_owned()), "{field}: {:?}", reply.body);
    }
    let list = send(&app, TestRequest::get().uri("/api/v1/admin/sla-policies").insert_header(admin.clone())).await;
    assert_eq!(list.body["meta"]["total"], 0);

    let agent = h.bearer(&h.agent(Permission::AGENT_DEFAULTS));
    send(&app, TestRequest::get().uri("/api/v1/admin/sla-policies").insert_header(agent.clone()))
        .await
        .assert_problem(403, "forbidden");
    send(&app, TestRequest::post().uri("/api/v1/admin/business-hours").insert_header(agent).set_json(berlin()))
        .await
        .assert_problem(403, "forbidden");
    send(&app, TestRequest::get().uri("/api/v1/admin/business-hours").insert_header(h.bearer(&h.customer())))
        .await
        .assert_status(403);
    send(&app, TestRequest::get().uri("/api/v1/admin/sla-policies/not-a-uuid").insert_header(admin))
        .await
        .assert_problem(400, "validation_failed");
}

fn parse(raw: &Value) -> time::OffsetDateTime {
    time::OffsetDateTime::parse(raw.as_str().unwrap(), &time::format_description::well_known::Rfc3339).unwrap()
}

#[actix_web::test]
async fn staff_see_a_tickets_sla_and_its_breach_customers_do_not() {
    let h = Harness::new();
    let app = h.service().await;
    let admin = h.bearer(&h.admin());
    let customer = h.customer();
    let policy = send(
        &app,
        TestRequest::post().uri("/api/v1/admin/sla-policies").insert_header(admin.clone()).set_json(json!({
            "name": "Everything", "firstResponseMinutes": 60, "resolutionMinutes": 600
        })),
    )
    .await;
    policy.assert_status(201);
    let ticket = crate::common::open_ticket(&h, &app, &customer, crate::common::ticket_body()).await;
    assert!(ticket.get("sla").is_none(), "the customer's answer has no SLA: {ticket}");
    let id = ticket["id"].as_str().unwrap().to_owned();

    let staff =
        send(&app, TestRequest::get().uri(&format!("/api/v1/admin/tickets/{id}")).insert_header(admin.clone())).await;
    staff.assert_status(200);
    let sla = &staff.body["sla"];
    assert_eq!(sla["policyId"], policy.body["id"]);
    let created = parse(&staff.body["createdAt"]);
    assert_eq!(parse(&sla["firstResponseDueAt"]), created + time::Duration::minutes(60));
    assert_eq!(parse(&sla["resolutionDueAt"]), created + time::Duration::minutes(600));
    assert_eq!(sla["nextResponseDueAt"], Value::Null);
    assert_eq!(sla["pausedSince"], Value::Null);
    assert_eq!(sla["breached"], json!({"firstResponse": false, "nextResponse": false, "resolution": false}));
    let own =
        send(&app, TestRequest::get().uri(&format!("/api/v1/tickets/{id}")).insert_header(h.bearer(&customer))).await;
    own.assert_status(200);
    assert!(own.body.get("sla").is_none(), "customers do not see SLA clocks");
    let own_list = send(&app, TestRequest::get().uri("/api/v1/tickets").insert_header(h.bearer(&customer))).await;
    assert!(own_list.body["data"][0].get("sla").is_none());

    let queue = "/api/v1/admin/tickets?sort=dueAt&slaBreached=true";
    let none = send(&app, TestRequest::get().uri(queue).insert_header(admin.clone())).await;
    none.assert_status(200);
    assert_eq!(none.body["meta"]["total"], 0);
    let reported = h.app.detect_sla_breaches(created + time::Duration::minutes(61), 100).await.unwrap();
    assert_eq!(reported, 1);
    let breached = send(&app, TestRequest::get().uri(queue).insert_header(admin.clone())).await;
    assert_eq!(breached.body["meta"]["total"], 1);
    assert_eq!(breached.body["data"][0]["sla"]["breached"]["firstResponse"], true);

    let events = send(
        &app,
        TestRequest::get().uri("/api/v1/admin/events?types=ticket.sla_breached").insert_header(admin.clone()),
    )
    .await;
    events.assert_status(200);
    let event = &events.body["data"][0];
    assert_eq!(event["type"], "ticket.sla_breached");
    assert_eq!(event["actor"]["type"], "system");
    assert_eq!(event["data"]["metric"], "first_response");
    assert_eq!(parse(&event["data"]["dueAt"]), created + time::Duration::minutes(60));
    assert_eq!(event["ticket"]["id"], id.as_str());

    let before = |at: time::OffsetDateTime| {
        let at = at.format(&time::format_description::well_known::Rfc3339).unwrap().replace('+', "%2B");
        format!("/api/v1/admin/tickets?dueBefore={at}")
    };
    let soon =
        send(&app, TestRequest::get().uri(&before(created + time::Duration::minutes(61))).insert_header(admin.clone()))
            .await;
    assert_eq!(soon.body["meta"]["total"], 1);
    let earlier = send(&app, TestRequest::get().uri(&before(created)).insert_header(admin.clone())).await;
    assert_eq!(earlier.body["meta"]["total"], 0);
}

#[actix_web::test]
async fn bad_sla_queue_parameters_are_refused() {
    let h = Harness::new();
    let app = h.service().await;
    let admin = h.bearer(&h.admin());
    for (query, field) in
        [("slaBreached=maybe", "slaBreached"), ("dueBefore=tomorrow", "dueBefore"), ("sort=-dueAt", "sort")]
    {
        let reply =
            send(&app, TestRequest::get().uri(&format!("/api/v1/admin/tickets?{query}")).insert_header(admin.clone()))
                .await;
        reply.assert_problem(400, "validation_failed");
        assert_eq!(reply.error_fields(), [field], "{query}");
    }
    let customer =
        send(&app, TestRequest::get().uri("/api/v1/tickets?sort=dueAt").insert_header(h.bearer(&h.customer()))).await;
    customer.assert_problem(400, "validation_failed");
    assert_eq!(customer.error_fields(), ["sort"]);
}

/// A clock the test moves by hand.
struct ManualClock(std::sync::Mutex<time::OffsetDateTime>);

impl supportdesk_app::Clock for ManualClock {
    fn now(&self) -> time::OffsetDateTime {
        *self.0.lock().unwrap()
    }
}

impl ManualClock {
    fn advance(&self, by: time::Duration) {
        *self.0.lock().unwrap() += by;
    }
}

#[actix_web::test]
async fn a_reply_after_the_due_time_records_the_breach_itself_and_a_pause_moves_the_due_time() {
    let start = time::macros::datetime!(2026-11-27 15:00 UTC);
    let clock = std::sync::Arc::new(ManualClock(std::sync::Mutex::new(start)));
    let store = std::sync::Arc::new(supportdesk_store_memory::MemoryStore::new());
    let app = std::sync::Arc::new(
        supportdesk_app::App::builder(store.clone()).hasher(crate::common::cheap_hasher()).clock(clock.clone()).build(),
    );
    let h = Harness::over(app, Some(store), |_| {});
    h.tenant("default");
    let service = h.service().await;
    let admin = h.bearer(&h.admin());
    let customer = h.customer();
    // Monday to Friday 09:00-17:00 in Berlin; the ticket opens Friday 16:00 Berlin time.
    let hours = send(
        &service,
        TestRequest::post().uri("/api/v1/admin/business-hours").insert_header(admin.clone()).set_json(json!({
            "name": "Office", "timeZone": "Europe/Berlin",
            "week": {"mon": [["09:00", "17:00"]], "tue": [["09:00", "17:00"]], "wed": [["09:00", "17:00"]],
                     "thu": [["09:00", "17:00"]], "fri": [["09:00", "17:00"]]}
        })),
    )
    .await;
    hours.assert_status(201);
    send(
        &service,
        TestRequest::post().uri("/api/v1/admin/sla-policies").insert_header(admin.clone()).set_json(json!({
            "name": "Office", "firstResponseMinutes": 480, "resolutionMinutes": 1440, "businessHoursId": hours.body["id"]
        })),
    )
    .await
    .assert_status(201);
    let ticket = crate::common::open_ticket(&h, &service, &customer, crate::common::ticket_body()).await;
    let url = format!("/api/v1/admin/tickets/{}", ticket["id"].as_str().unwrap());
    let view = send(&service, TestRequest::get().uri(&url).insert_header(admin.clone())).await;
    assert_eq!(view.body["sla"]["firstResponseDueAt"], "2026-11-30T15:00:00.000Z", "Monday 16:00 Berlin");
    assert_eq!(view.body["sla"]["resolutionDueAt"], "2026-12-02T15:00:00.000Z", "Wednesday 16:00 Berlin");

    // Monday 17:00 Berlin: the first reply is an hour late and records the breach itself.
    clock.advance(time::Duration::days(3) + time::Duration::hours(1));
    let reply = send(
        &service,
        TestRequest::post()
            .uri(&format!("{url}/messages"))
            .insert_header(admin.clone())
            .set_json(json!({"body": "Sorry for the wait, a new parcel is on its way."})),
    )
    .await;
    reply.assert_status(201);
    let view = send(&service, TestRequest::get().uri(&url).insert_header(admin.clone())).await;
    let sla = &view.body["sla"];
    assert_eq!(sla["breached"]["firstResponse"], true);
    assert_eq!(sla["firstResponseDueAt"], Value::Null);
    assert_eq!(sla["pausedSince"], "2026-11-30T16:00:00.000Z", "answered pauses resolution");
    let events = send(&service, TestRequest::get().uri(&format!("{url}/events")).insert_header(admin.clone())).await;
    let breached: Vec<&Value> =
        events.body["data"].as_array().unwrap().iter().filter(|e| e["type"] == "sla_breached").collect();
    assert_eq!(breached.len(), 1, "{}", events.body);
    assert_eq!(breached[0]["data"], json!({"metric": "first_response", "dueAt": "2026-11-30T15:00:00Z"}));
    assert_eq!(breached[0]["actor"]["type"], "system");
    assert_eq!(h.app.detect_sla_breaches(h.app.now(), 100).await.unwrap(), 0, "already reported");

    // Tuesday 10:00 Berlin the customer writes: the pause lasted 1 business hour (Tuesday
    // 09:00-10:00), so resolution moves from Wednesday 16:00 to 17:00.
    clock.advance(time::Duration::hours(17));
    send(
        &service,
        TestRequest::post()
            .uri(&format!("/api/v1/tickets/{}/messages", ticket["id"].as_str().unwrap()))
            .insert_header(h.bearer(&customer))
            .set_json(json!({"body": "Thanks, I will wait for it."})),
    )
    .await
    .assert_status(201);
    let view = send(&service, TestRequest::get().uri(&url).insert_header(admin.clone())).await;
    assert_eq!(view.body["sla"]["pausedSince"], Value::Null);
    assert_eq!(view.body["sla"]["resolutionDueAt"], "2026-12-02T16:00:00.000Z");
}
