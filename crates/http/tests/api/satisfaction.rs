//! `POST /tickets/{ticket}/satisfaction`: the customer's rating of a resolution, and the
//! staff views' `satisfaction`.

use actix_web::test::TestRequest;
use serde_json::{json, Value};

use crate::common::{open_ticket, send, ticket_body, Harness};

fn rate(h: &Harness, customer: &supportdesk_app::Principal, id: &str, body: Value) -> TestRequest {
    TestRequest::post()
        .uri(&format!("/api/v1/tickets/{id}/satisfaction"))
        .insert_header(h.bearer(customer))
        .set_json(body)
}

fn set_status(h: &Harness, admin: &supportdesk_app::Principal, id: &str, status: &str) -> TestRequest {
    TestRequest::patch()
        .uri(&format!("/api/v1/admin/tickets/{id}/status"))
        .insert_header(h.bearer(admin))
        .set_json(json!({"status": status}))
}

#[actix_web::test]
async fn a_customer_rates_a_resolved_ticket_once_and_staff_see_the_rating() {
    let h = Harness::new();
    let app = h.service().await;
    let (alex, admin) = (h.customer(), h.admin());
    let ticket = open_ticket(&h, &app, &alex, ticket_body()).await;
    let id = ticket["id"].as_str().unwrap();
    let open = send(&app, rate(&h, &alex, id, json!({"rating": "good"}))).await;
    open.assert_problem(409, "not_resolved");
    assert_eq!(open.body["ticketStatus"], "open");

    send(&app, set_status(&h, &admin, id, "resolved")).await.assert_status(200);
    let rated = send(&app, rate(&h, &alex, id, json!({"rating": "good", "comment": "Quick, thanks!"}))).await;
    rated.assert_status(201);
    assert_eq!(rated.body["rating"], "good");
    assert_eq!(rated.body["comment"], "Quick, thanks!");
    assert!(rated.body["ratedAt"].as_str().unwrap().ends_with('Z'));
    assert!(rated.header("etag").is_some());

    let staff =
        send(&app, TestRequest::get().uri(&format!("/api/v1/admin/tickets/{id}")).insert_header(h.bearer(&admin)));
    let staff = staff.await;
    assert_eq!(staff.body["satisfaction"], rated.body, "the staff view carries the rating");
    assert_eq!(staff.body["status"], "resolved", "rating moves no status");
    let queue = send(&app, TestRequest::get().uri("/api/v1/admin/tickets").insert_header(h.bearer(&admin))).await;
    assert_eq!(queue.body["data"][0]["satisfaction"]["rating"], "good");

    let again = send(&app, rate(&h, &alex, id, json!({"rating": "bad"}))).await;
    again.assert_problem(409, "already_rated");
    let trail = send(
        &app,
        TestRequest::get().uri(&format!("/api/v1/admin/tickets/{id}/events")).insert_header(h.bearer(&admin)),
    );
    let trail = trail.await;
    let last = trail.body["data"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["type"], "satisfaction_rated");
    assert_eq!(last["data"], json!({"rating": "good", "comment": "Quick, thanks!"}));
    let feed = send(
        &app,
        TestRequest::get().uri("/api/v1/admin/events?types=ticket.satisfaction_rated").insert_header(h.bearer(&admin)),
    )
    .await;
    feed.assert_status(200);
    let events = feed.body["data"].as_array().unwrap();
    assert_eq!(events.len(), 1, "one rating, once: {}", feed.body);
    assert_eq!(events[0]["type"], "ticket.satisfaction_rated");
    assert_eq!(events[0]["data"]["rating"], "good");
    assert_eq!(events[0]["actor"]["type"], "customer");
}

#[actix_web::test]
async fn a_new_resolution_after_a_reopen_may_be_rated_again() {
    let h = Harness::new();
    let app = h.service().await;
    let (alex, admin) = (h.customer(), h.admin());
    let ticket = open_ticket(&h, &app, &alex, ticket_body()).await;
    let id = ticket["id"].as_str().unwrap();
    send(&app, set_status(&h, &admin, id, "closed")).await.assert_status(200);
    send(&app, rate(&h, &alex, id, json!({"rating": "bad"}))).await.assert_status(201);
    send(&app, set_status(&h, &admin, id, "open")).await.assert_status(200);
    send(&app, rate(&h, &alex, id, json!({"rating": "good"}))).await.assert_problem(409, "not_resolved");
    send(&app, set_status(&h, &admin, id, "resolved")).await.assert_status(200);
    send(&app, rate(&h, &alex, id, json!({"rating": "good"}))).await.assert_status(201);
    let staff =
        send(&app, TestRequest::get().uri(&format!("/api/v1/admin/tickets/{id}")).insert_header(h.bearer(&admin)));
    let staff = staff.await;
    assert_eq!(staff.body["satisfaction"]["rating"], "good");
    assert_eq!(staff.body["satisfaction"]["comment"], Value::Null);
}

#[actix_web::test]
async fn bad_ratings_are_400_and_others_tickets_404_and_staff_403() {
    let h = Harness::new();
    let app = h.service().await;
    let (alex, admin) = (h.customer(), h.admin());
    let ticket = open_ticket(&h, &app, &alex, ticket_body()).await;
    let id = ticket["id"].as_str().unwrap();
    send(&app, set_status(&h, &admin, id, "resolved")).await.assert_status(200);
    for (body, field) in [
        (json!({}), "rating"),
        (json!({"rating": "meh"}), "rating"),
        (json!({"rating": "good", "comment": " "}), "comment"),
        (json!({"rating": "good", "comment": "x".repeat(2001)}), "comment"),
        (json!({"rating": "good", "comment": "nul\u{0}here"}), "comment"),
    ] {
        let refused = send(&app, rate(&h, &alex, id, body.clone())).await;
        refused.assert_problem(400, "validation_failed");
        assert_eq!(refused.error_fields(), [field], "{body}");
    }
    let unknown = send(&app, rate(&h, &alex, id, json!({"rating": "good", "stars": 5}))).await;
    unknown.assert_problem(400, "validation_failed");
    send(&app, rate(&h, &h.customer(), id, json!({"rating": "good"}))).await.assert_problem(404, "not_found");
    send(&app, rate(&h, &admin, id, json!({"rating": "good"}))).await.assert_problem(403, "forbidden");
    let stale = send(&app, rate(&h, &alex, id, json!({"rating": "good"})).insert_header(("If-Match", "\"1\""))).await;
    stale.assert_problem(412, "precondition_failed");
    let staff =
        send(&app, TestRequest::get().uri(&format!("/api/v1/admin/tickets/{id}")).insert_header(h.bearer(&admin)));
    assert_eq!(staff.await.body["satisfaction"], Value::Null, "nothing refused was stored");
}
