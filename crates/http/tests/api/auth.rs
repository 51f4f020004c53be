//! Bearer tokens: what is accepted and what is refused with 401.

use actix_web::test::TestRequest;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::json;
use supportdesk_domain::Permission;

use crate::common::{b64url, send, ticket_body, Harness, SECRET};

async fn status_with_token(h: &Harness, token: &str) -> crate::common::Reply {
    let app = h.service().await;
    send(&app, TestRequest::get().uri("/api/v1/tickets").insert_header(("Authorization", format!("Bearer {token}"))))
        .await
}

#[actix_web::test]
async fn a_request_without_a_token_is_401_with_a_bearer_challenge() {
    let h = Harness::new();
    let app = h.service().await;
    let reply = send(&app, TestRequest::get().uri("/api/v1/tickets")).await;
    reply.assert_problem(401, "unauthorized");
    assert_eq!(reply.header("www-authenticate"), Some("Bearer"));
}

#[actix_web::test]
async fn a_non_bearer_authorization_header_is_401() {
    let h = Harness::new();
    let app = h.service().await;
    for value in ["Basic YWxhZGRpbjpvcGVuc2VzYW1l", "Bearer", "token"] {
        send(&app, TestRequest::get().uri("/api/v1/tickets").insert_header(("Authorization", value)))
            .await
            .assert_problem(401, "unauthorized");
    }
}

#[actix_web::test]
async fn an_expired_token_is_401() {
    let h = Harness::new();
    let mut claims = h.claims(&h.customer());
    claims.exp -= 3600;
    claims.iat = Some(claims.exp - 60);
    let token = h.keys.mint_claims(&claims).unwrap();
    let reply = status_with_token(&h, &token).await;
    reply.assert_problem(401, "unauthorized");
    assert_eq!(reply.body["detail"], "the token has expired");
}

#[actix_web::test]
async fn a_token_signed_with_another_secret_is_401() {
    let h = Harness::new();
    let other = supportdesk_http::JwtKeys::new(b"another-secret-that-is-long-enough-42").unwrap();
    let token = other.mint(&h.customer(), std::time::Duration::from_secs(60)).unwrap();
    status_with_token(&h, &token).await.assert_problem(401, "unauthorized");
}

#[actix_web::test]
async fn an_unsigned_alg_none_token_is_401() {
    let h = Harness::new();
    let claims = serde_json::to_vec(&h.claims(&h.customer())).unwrap();
    let token = format!("{}.{}.", b64url(br#"{"alg":"none","typ":"JWT"}"#), b64url(&claims));
    status_with_token(&h, &token).await.assert_problem(401, "unauthorized");
}

#[actix_web::test]
async fn a_token_of_another_algorithm_is_401_even_with_the_right_secret() {
    let h = Harness::new();
    let claims = h.claims(&h.customer());
    let hs384 =
        jsonwebtoken::encode(&Header::new(Algorithm::HS384), &claims, &EncodingKey::from_secret(SECRET)).unwrap();
    status_with_token(&h, &hs384).await.assert_problem(401, "unauthorized");
    // An RS256 header over an HMAC signature: the key-confusion attack.
    let payload = b64url(&serde_json::to_vec(&claims).unwrap());
    let forged = format!("{}.{payload}.{}", b64url(br#"{"alg":"RS256","typ":"JWT"}"#), b64url(b"signature"));
    status_with_token(&h, &forged).await.assert_problem(401, "unauthorized");
}

#[actix_web::test]
async fn a_token_with_an_unknown_role_is_401() {
    let h = Harness::new();
    let mut claims = h.claims(&h.customer());
    claims.role = "superuser".to_owned();
    let reply = status_with_token(&h, &h.keys.mint_claims(&claims).unwrap()).await;
    reply.assert_problem(401, "unauthorized");
}

#[actix_web::test]
async fn a_token_whose_sub_is_not_a_uuid_or_whose_tenant_is_malformed_is_401() {
    let h = Harness::new();
    let mut bad_sub = h.claims(&h.customer());
    bad_sub.sub = "alex".to_owned();
    status_with_token(&h, &h.keys.mint_claims(&bad_sub).unwrap()).await.assert_problem(401, "unauthorized");
    let mut bad_tenant = h.claims(&h.customer());
    bad_tenant.tenant = Some("shop one".to_owned());
    status_with_token(&h, &h.keys.mint_claims(&bad_tenant).unwrap()).await.assert_problem(401, "unauthorized");
}

#[actix_web::test]
async fn a_garbage_token_is_401() {
    let h = Harness::new();
    status_with_token(&h, "not.a.jwt").await.assert_problem(401, "unauthorized");
}

#[actix_web::test]
async fn a_shop_minted_token_for_an_unknown_customer_provisions_them_from_its_claims() {
    let h = Harness::new();
    let app = h.service().await;
    let mut claims = h.claims(&h.customer());
    claims.tenant = None;
    claims.name = Some("Jo Shopper".to_owned());
    claims.email = Some("jo@example.com".to_owned());
    claims.picture = Some("https://cdn.example.com/jo.png".to_owned());
    let token = h.keys.mint_claims(&claims).unwrap();
    let reply = send(
        &app,
        TestRequest::post()
            .uri("/api/v1/tickets")
            .insert_header(("Authorization", format!("Bearer {token}")))
            .set_json(ticket_body()),
    )
    .await;
    reply.assert_status(201);
    assert_eq!(reply.body["customer"]["name"], "Jo Shopper");
    assert_eq!(reply.body["customer"]["email"], "jo@example.com");
    assert_eq!(reply.body["messages"][0]["authorImage"], "https://cdn.example.com/jo.png");
    // The token had no tenant claim: the ticket is in `default`, where staff see it.
    let queue = send(&app, TestRequest::get().uri("/api/v1/admin/tickets").insert_header(h.bearer(&h.admin()))).await;
    assert_eq!(queue.body["meta"]["total"], 1);
    let profile = send(
        &app,
        TestRequest::get().uri(&format!("/api/v1/admin/customers/{}", claims.sub)).insert_header(h.bearer(&h.admin())),
    )
    .await;
    profile.assert_status(200);
    assert_eq!(profile.body["name"], "Jo Shopper");
}

#[actix_web::test]
async fn a_staff_token_gets_the_permissions_of_the_database_not_of_its_claims() {
    let h = Harness::new();
    let app = h.service().await;
    let mut claims = h.claims(&h.agent(&[]));
    claims.perms = vec!["tickets:everything".to_owned(), "tickets:read".to_owned(), "settings:manage".to_owned()];
    let token = format!("Bearer {}", h.keys.mint_claims(&claims).unwrap());
    send(&app, TestRequest::get().uri("/api/v1/admin/tickets").insert_header(("Authorization", token.clone())))
        .await
        .assert_problem(403, "forbidden");
    let mut reader = h.claims(&h.agent(&[Permission::TicketsRead]));
    reader.perms = Vec::new();
    reader.role = "admin".to_owned();
    let token = format!("Bearer {}", h.keys.mint_claims(&reader).unwrap());
    send(&app, TestRequest::get().uri("/api/v1/admin/tickets").insert_header(("Authorization", token.clone())))
        .await
        .assert_status(200);
    send(
        &app,
        TestRequest::put()
            .uri("/api/v1/admin/settings")
            .insert_header(("Authorization", token))
            .set_json(json!({"allowCustomerClose": true, "reopenClosedOnCustomerReply": true})),
    )
    .await
    .assert_problem(403, "forbidden");
}
