//! Registration hashes within its own share of the password hasher, so a flood of sign-ups
//! cannot take the capacity logins need.

#![expect(clippy::unwrap_used, reason = "tests")]

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use supportdesk_app::{App, AppError, PasswordHasher, RegisterInput};
use supportdesk_domain::{Email, PersonName, TenantKey};
use supportdesk_store_memory::MemoryStore;
use tokio::sync::Notify;

/// Hashes only when released; verifies at once. The hash is the password itself.
struct GatedHasher {
    release: Notify,
}

#[async_trait]
impl PasswordHasher for GatedHasher {
    async fn hash(&self, password: &str) -> Result<String, AppError> {
        self.release.notified().await;
        Ok(format!("plain:{password}"))
    }

    async fn verify(&self, password: &str, hash: Option<&str>) -> Result<bool, AppError> {
        Ok(hash == Some(format!("plain:{password}").as_str()))
    }
}

fn input(email: &str) -> RegisterInput {
    RegisterInput {
        tenant: TenantKey::parse("default").unwrap(),
        email: Email::parse(email).unwrap(),
        password: supportdesk_app::Password::parse("a long enough password").unwrap(),
        name: PersonName::parse("Alex").unwrap(),
    }
}

#[tokio::test]
async fn a_registration_waiting_past_its_share_is_busy_while_logins_still_verify() {
    let hasher = Arc::new(GatedHasher { release: Notify::new() });
    let app = Arc::new(
        App::builder(Arc::new(MemoryStore::new()))
            .hasher(hasher.clone())
            .registration_hashing(1, Duration::from_millis(200))
            .build(),
    );
    app.ensure_tenant(&TenantKey::default()).await.unwrap();
    // One registration completes, so there is an account to log in to.
    let first = tokio::spawn({
        let app = app.clone();
        async move { app.register(input("first@example.com")).await }
    });
    tokio::time::sleep(Duration::from_millis(50)).await;
    hasher.release.notify_one();
    first.await.unwrap().unwrap();

    // A second registration holds the share, stuck in the hasher.
    let holder = tokio::spawn({
        let app = app.clone();
        async move { app.register(input("holder@example.com")).await }
    });
    tokio::time::sleep(Duration::from_millis(50)).await;

    let refused = app.register(input("third@example.com")).await;
    assert!(matches!(refused, Err(AppError::Busy { retry_after_secs: 1 })), "{refused:?}");

    let tenant = TenantKey::parse("default").unwrap();
    let email = Email::parse("first@example.com").unwrap();
    let user = app.login(&tenant, &email, "a long enough password").await.unwrap();
    assert_eq!(user.email, email);

    hasher.release.notify_one();
    holder.await.unwrap().unwrap();
    let after = tokio::spawn({
        let app = app.clone();
        async move { app.register(input("third@example.com")).await }
    });
    tokio::time::sleep(Duration::from_millis(50)).await;
    hasher.release.notify_one();
    after.await.unwrap().unwrap();
}
