//! A customer learns nothing staff-only (api-v1.1.md, section 1), over the real binary on
//! SQLite and (when `TEST_POSTGRES_URL` is set) PostgreSQL: another customer's ticket for
//! the same order neither blocks nor leaks, and internal notes and tag changes leave every
//! byte of the customer's detail, `ETag` and list as it was.

#![expect(clippy::unwrap_used, reason = "tests")]

use reqwest::StatusCode;
use serde_json::{json, Value};
use supportdesk_tests::{Database, Server, ADMIN_EMAIL, ADMIN_PASSWORD};

supportdesk_tests::on_both_backends!(
    another_customers_ticket_for_the_same_order_neither_blocks_nor_leaks,
    internal_notes_and_tag_changes_leave_every_byte_the_customer_sees_unchanged,
);

/// What a request answered: status, `ETag`, and the body's exact bytes.
struct Answer {
    status: StatusCode,
    etag: Option<String>,
    bytes: Vec<u8>,
}

impl Answer {
    async fn of(response: reqwest::Response) -> Self {
        let status = response.status();
        let etag = response.headers().get("etag").map(|v| v.to_str().unwrap().to_owned());
        let bytes = response.bytes().await.unwrap().to_vec();
        Self { status, etag, bytes }
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.bytes).unwrap()
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes).into_owned()
    }
}

async fn open_for_order(server: &Server, token: &str, order: &str) -> Answer {
    let body = json!({
        "category": "order",
        "description": "My parcel never arrived. It was due on Monday.",
        "orderId": order,
    });
    Answer::of(server.http.post(server.url("/api/v1/tickets")).bearer_auth(token).json(&body).send().await.unwrap())
        .await
}

async fn get(server: &Server, path: &str, token: &str) -> Answer {
    Answer::of(server.http.get(server.url(path)).bearer_auth(token).send().await.unwrap()).await
}

/// Customer A opens a ticket for order X; customer B opens one for X too (201), and no
/// answer B ever gets names A's ticket; A's second ticket for X is refused naming A's own.
async fn another_customers_ticket_for_the_same_order_neither_blocks_nor_leaks(database: Database) {
    let server = Server::start(&database);
    let alex = server.customer("alex@example.com").await;
    let blake = server.customer("blake@example.com").await;

    let alexs = open_for_order(&server, &alex, "ORDER-X").await;
    assert_eq!(alexs.status, StatusCode::CREATED, "{}", alexs.text());
    let alexs = alexs.json();
    let alex_id = alexs["id"].as_str().unwrap().to_owned();
    let alex_number = alexs["number"].as_i64().unwrap();

    let blakes = open_for_order(&server, &blake, "ORDER-X").await;
    assert_eq!(blakes.status, StatusCode::CREATED, "another customer's ticket does not block: {}", blakes.text());
    let blake_ticket = blakes.json();
    let blakes_again = open_for_order(&server, &blake, "ORDER-X").await;
    assert_eq!(blakes_again.status, StatusCode::CONFLICT);
    let conflict = blakes_again.json();
    assert_eq!(conflict["code"], "open_ticket_exists");
    assert_eq!(conflict["existingTicketId"], blake_ticket["id"], "B's conflict names B's own ticket");
    let list = get(&server, "/api/v1/tickets?orderId=ORDER-X", &blake).await;
    let detail = get(&server, &format!("/api/v1/tickets/{alex_id}"), &blake).await;
    assert_eq!(detail.status, StatusCode::NOT_FOUND);
    let by_number = get(&server, &format!("/api/v1/tickets/{alex_number}"), &blake).await;
    for answer in [&blakes, &blakes_again, &list, &detail, &by_number] {
        let text = answer.text();
        assert!(!text.contains(&alex_id), "an answer to B names A's ticket: {text}");
        let json = answer.json();
        assert_ne!(json["existingTicketNumber"], alex_number, "{text}");
    }
    assert_eq!(list.json()["data"].as_array().unwrap().len(), 1);

    let alex_again = open_for_order(&server, &alex, "ORDER-X").await;
    assert_eq!(alex_again.status, StatusCode::CONFLICT);
    let conflict = alex_again.json();
    assert_eq!(conflict["code"], "open_ticket_exists");
    assert_eq!(conflict["existingTicketId"], alex_id.as_str());
    assert_eq!(conflict["existingTicketNumber"], alex_number);
}

/// The customer's detail (bytes and `ETag`) and list (bytes) of a ticket stay exactly the
/// same while an agent adds an internal note and changes tags; a public reply changes them.
async fn internal_notes_and_tag_changes_leave_every_byte_the_customer_sees_unchanged(database: Database) {
    let server = Server::start(&database);
    let admin = server.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let alex = server.customer("alex@example.com").await;
    let first = open_for_order(&server, &alex, "ORDER-1").await.json();
    let second = open_for_order(&server, &alex, "ORDER-2").await.json();
    let id = first["id"].as_str().unwrap().to_owned();
    let detail_path = format!("/api/v1/tickets/{id}");
    let list_paths = ["/api/v1/tickets", "/api/v1/tickets?sort=-lastActivityAt", "/api/v1/tickets?sort=lastActivityAt"];
    let read = || async {
        let detail = get(&server, &detail_path, &alex).await;
        assert_eq!(detail.status, StatusCode::OK);
        let mut seen = vec![(detail.etag, detail.bytes)];
        for path in list_paths {
            let list = get(&server, path, &alex).await;
            assert_eq!(list.status, StatusCode::OK);
            seen.push((list.etag, list.bytes));
        }
        seen
    };
    let before = read().await;
    assert_eq!(before[0].0.as_deref(), Some("\"1\""));
    // The older ticket is the less recently active one for the customer.
    let order: Vec<Value> = serde_json::from_slice::<Value>(&before[2].1).unwrap()["data"].as_array().unwrap().clone();
    assert_eq!(order[0]["id"], second["id"]);

    let staff_path = format!("/api/v1/admin/tickets/{id}");
    let note = server
        .http
        .post(server.url(&format!("{staff_path}/messages")))
        .bearer_auth(&admin)
        .json(&json!({"body": "The customer seems upset; check the carrier.", "internal": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(note.status(), StatusCode::CREATED);
    let tags = server
        .http
        .patch(server.url(&staff_path))
        .bearer_auth(&admin)
        .json(&json!({"tags": ["upset", "carrier"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(tags.status(), StatusCode::OK);

    let after = read().await;
    for (index, (was, is)) in before.iter().zip(&after).enumerate() {
        assert_eq!(was.0, is.0, "ETag of answer {index}");
        assert_eq!(
            String::from_utf8_lossy(&was.1),
            String::from_utf8_lossy(&is.1),
            "answer {index} changed after staff-only work"
        );
    }
    // Staff did see it.
    let staff = get(&server, &staff_path, &admin).await;
    assert_eq!(staff.etag.as_deref(), Some("\"3\""));
    assert!(staff.text().contains("upset"));

    let reply = server
        .http
        .post(server.url(&format!("{staff_path}/messages")))
        .bearer_auth(&admin)
        .json(&json!({"body": "A replacement is on its way."}))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), StatusCode::CREATED);
    let replied = read().await;
    assert_eq!(replied[0].0.as_deref(), Some("\"2\""), "a public reply moves the customer's ETag");
    assert_ne!(replied[0].1, before[0].1);
    let detail: Value = serde_json::from_slice(&replied[0].1).unwrap();
    assert_eq!(detail["version"], 2);
    assert_eq!(detail["lastAgentMessageAt"], detail["lastActivityAt"]);
    assert!(detail.get("tags").is_none());
    let order: Vec<Value> = serde_json::from_slice::<Value>(&replied[2].1).unwrap()["data"].as_array().unwrap().clone();
    assert_eq!(order[0]["id"], id.as_str(), "the replied ticket is now the most recently active");
}
