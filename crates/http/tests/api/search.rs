//! Full-text search through `q`: the match info on each item, the customer's narrower
//! view, the order, and the 400s for queries that cannot be searched.

use actix_web::test::TestRequest;
use serde_json::{json, Value};

use crate::common::{open_ticket, send, Harness};

/// The characters of `snippet` that each highlight covers (offsets count characters).
fn highlighted(found: &Value) -> Vec<String> {
    let chars: Vec<char> = found["snippet"].as_str().unwrap().chars().collect();
    found["highlights"]
        .as_array()
        .unwrap()
        .iter()
        .map(|range| {
            let (start, end) = (range[0].as_u64().unwrap() as usize, range[1].as_u64().unwrap() as usize);
            chars[start..end].iter().collect()
        })
        .collect()
}

#[actix_web::test]
async fn a_staff_search_finds_notes_and_says_where_it_matched() {
    let h = Harness::new();
    let app = h.service().await;
    let alex = h.customer();
    let ticket = open_ticket(
        &h,
        &app,
        &alex,
        json!({"category": "order", "subject": "Damaged delivery", "description": "The blue kettle arrived broken."}),
    )
    .await;
    open_ticket(&h, &app, &h.customer(), json!({"category": "order", "description": "Wrong size of the shoes."})).await;
    let number = ticket["number"].as_i64().unwrap();
    send(
        &app,
        TestRequest::post()
            .uri(&format!("/api/v1/admin/tickets/{number}/messages"))
            .insert_header(h.bearer(&h.admin()))
            .set_json(json!({"body": "Courier says the Kühlschrank was dropped", "internal": true})),
    )
    .await
    .assert_status(201);
    let admin = h.bearer(&h.admin());
    let search = |q: &str| TestRequest::get().uri(&format!("/api/v1/admin/tickets?q={q}")).insert_header(admin.clone());

    let reply = send(&app, search("kuhlschr")).await;
    reply.assert_status(200);
    assert_eq!(reply.body["meta"]["total"], 1);
    let found = &reply.body["data"][0]["match"];
    assert_eq!(found["field"], "note");
    assert_eq!(found["snippet"], "Courier says the Kühlschrank was dropped");
    assert_eq!(found["highlights"], json!([[17, 28]]), "characters, not bytes or UTF-16 units");
    assert_eq!(highlighted(found), ["Kühlschrank"]);

    let reply = send(&app, search("%22arrived%20broken%22%20kettle")).await;
    assert_eq!(reply.body["data"][0]["number"], number);
    assert_eq!(reply.body["data"][0]["match"]["field"], "message");
    assert_eq!(highlighted(&reply.body["data"][0]["match"]), ["kettle", "arrived broken"]);

    let all = send(&app, TestRequest::get().uri("/api/v1/admin/tickets").insert_header(admin.clone())).await;
    assert_eq!(all.body["meta"]["total"], 2);
    assert!(all.body["data"].as_array().unwrap().iter().all(|t| t.get("match").is_none()), "no match without q");
    let detail =
        send(&app, TestRequest::get().uri(&format!("/api/v1/admin/tickets/{number}")).insert_header(admin)).await;
    assert!(detail.body.get("match").is_none());
}

#[actix_web::test]
async fn a_customers_search_never_reaches_notes_or_other_customers() {
    let h = Harness::new();
    let app = h.service().await;
    let alex = h.customer();
    let ticket =
        open_ticket(&h, &app, &alex, json!({"category": "order", "description": "My kettle leaks water everywhere."}))
            .await;
    open_ticket(&h, &app, &h.customer(), json!({"category": "order", "description": "Another kettle leaks too."}))
        .await;
    let number = ticket["number"].as_i64().unwrap();
    send(
        &app,
        TestRequest::post()
            .uri(&format!("/api/v1/admin/tickets/{number}/messages"))
            .insert_header(h.bearer(&h.admin()))
            .set_json(json!({"body": "Suspicious refund pattern", "internal": true})),
    )
    .await
    .assert_status(201);
    let mine = |q: &str| TestRequest::get().uri(&format!("/api/v1/tickets?q={q}")).insert_header(h.bearer(&alex));

    let reply = send(&app, mine("kettle")).await;
    assert_eq!(reply.body["meta"]["total"], 1);
    assert_eq!(reply.body["data"][0]["number"], number);
    assert_eq!(reply.body["data"][0]["match"]["field"], "subject");
    assert_eq!(send(&app, mine("suspicious")).await.body["meta"]["total"], 0);
    assert_eq!(send(&app, mine("kettle%20-refund")).await.body["meta"]["total"], 1, "a note excludes nothing");
}

#[actix_web::test]
async fn a_search_comes_best_match_first_unless_sorted() {
    let h = Harness::new();
    let app = h.service().await;
    let alex = h.customer();
    let subject = open_ticket(
        &h,
        &app,
        &alex,
        json!({"category": "order", "subject": "Kettle", "description": "Please call me back soon."}),
    )
    .await;
    let message = open_ticket(
        &h,
        &app,
        &alex,
        json!({"category": "order", "subject": "Question", "description": "Which kettle fits the blue set? Asking for a friend who likes tea."}),
    )
    .await;
    let get = |query: &str| TestRequest::get().uri(&format!("/api/v1/tickets?{query}")).insert_header(h.bearer(&alex));
    let numbers =
        |body: &Value| -> Vec<Value> { body["data"].as_array().unwrap().iter().map(|t| t["number"].clone()).collect() };
    assert_eq!(
        numbers(&send(&app, get("q=kettle")).await.body),
        [subject["number"].clone(), message["number"].clone()]
    );
    assert_eq!(
        numbers(&send(&app, get("q=kettle&sort=relevance")).await.body),
        [subject["number"].clone(), message["number"].clone()]
    );
    assert_eq!(
        numbers(&send(&app, get("q=kettle&sort=-createdAt")).await.body),
        [message["number"].clone(), subject["number"].clone()]
    );
}

#[actix_web::test]
async fn queries_that_cannot_be_searched_are_400_naming_q() {
    let h = Harness::new();
    let app = h.service().await;
    let alex = h.customer();
    let many = (0..17).map(|i| format!("w{i}")).collect::<Vec<_>>().join("%20");
    let long = "a".repeat(201);
    for q in ["", "%20%20", "-refund", "-refund%20-kettle", "%22%22", "%21%3F%25", many.as_str(), long.as_str()] {
        let reply =
            send(&app, TestRequest::get().uri(&format!("/api/v1/tickets?q={q}")).insert_header(h.bearer(&alex))).await;
        reply.assert_problem(400, "validation_failed");
        assert_eq!(reply.error_fields(), ["q"], "q={q}");
        let reply = send(
            &app,
            TestRequest::get().uri(&format!("/api/v1/admin/tickets?q={q}")).insert_header(h.bearer(&h.admin())),
        )
        .await;
        reply.assert_problem(400, "validation_failed");
    }
}
