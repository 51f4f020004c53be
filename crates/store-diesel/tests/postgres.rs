//! The Diesel store on PostgreSQL, when `TEST_POSTGRES_URL` is set: each test creates a
//! database of its own and drops it. Two stores on one database stand for two server
//! processes.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{scenarios, TestDb};
use supportdesk_app::TicketStore;
use supportdesk_domain::TenantKey;
use supportdesk_store_diesel::Backend;

/// 10,050 tickets of tenant `bulk`, newest last; every 1,000th is resolved.
const BULK: &str = "
INSERT INTO tickets (tenant, id, number, customer_id, category_id, subject, subject_search, status, priority,
                     source, tags, created_at, updated_at, last_activity_at, version,
                     public_version, public_updated_at, public_last_activity_at)
SELECT 'bulk', '00000000-0000-7000-8000-' || lpad(i::text, 12, '0'), i, '00000000-0000-7000-8000-000000000001',
       '00000000-0000-7000-8000-000000000002', 'Bulk ticket ' || i, 'bulk ticket ' || i,
       CASE WHEN i % 1000 = 0 THEN 'resolved' ELSE 'open' END, 1, 'api', '',
       timestamp '2026-01-01' + i * interval '1 second', timestamp '2026-01-01' + i * interval '1 second',
       timestamp '2026-01-01' + i * interval '1 second', 1,
       1, timestamp '2026-01-01' + i * interval '1 second', timestamp '2026-01-01' + i * interval '1 second'
FROM generate_series(1, 10050) AS i;";

/// A fresh database, created off the async workers; `None` skips the test (loudly).
async fn fresh() -> Option<TestDb> {
    tokio::task::spawn_blocking(TestDb::postgres).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_urls_choose_postgres() {
    let Some(db) = fresh().await else { return };
    let store = tokio::task::spawn_blocking(move || (db.connect(), db)).await.unwrap().0;
    assert_eq!(store.backend(), Backend::Postgres);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn migrations_apply_to_an_empty_database_and_are_idempotent() {
    let Some(db) = fresh().await else { return };
    scenarios::migrations_apply_to_an_empty_database_and_are_idempotent(db).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_stores_race_twenty_creates_for_one_order() {
    let Some(db) = fresh().await else { return };
    scenarios::two_stores_race_twenty_creates_for_one_order(db).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_stores_race_version_updates() {
    let Some(db) = fresh().await else { return };
    scenarios::two_stores_race_version_updates(db).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_creates_get_unique_numbers_and_refusals_reuse_none() {
    let Some(db) = fresh().await else { return };
    scenarios::concurrent_creates_get_unique_numbers_and_refusals_reuse_none(db).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writes_each_get_their_own_outcome() {
    let Some(db) = fresh().await else { return };
    scenarios::concurrent_writes_each_get_their_own_outcome(db, false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn idempotency_keys_expire_after_their_lifetime() {
    let Some(db) = fresh().await else { return };
    scenarios::idempotency_keys_expire_after_their_lifetime(db).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn writes_during_a_rebuild_of_the_search_index_are_found() {
    let Some(db) = fresh().await else { return };
    scenarios::writes_during_a_rebuild_of_the_search_index_are_found(db, BULK).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn searches_by_relevance_rank_the_newest_thousand_matches_and_say_there_are_more() {
    let Some(db) = fresh().await else { return };
    scenarios::searches_by_relevance_rank_the_newest_thousand_matches_and_say_there_are_more(db, BULK).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn queue_totals_are_exact_and_other_totals_stop_at_the_cap() {
    let Some(db) = fresh().await else { return };
    scenarios::queue_totals_are_exact_and_other_totals_stop_at_the_cap(db, BULK).await;
}

/// A tenant whose number sequence is gone (a data-only restore with triggers off, say) gets
/// it back on its next create, after the highest number it has: its creates never stop.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_missing_number_sequence_is_made_again_after_the_highest_number() {
    let Some(db) = fresh().await else { return };
    let db = std::sync::Arc::new(db);
    let opener = db.clone();
    let store = tokio::task::spawn_blocking(move || opener.connect()).await.unwrap();
    let tenant = TenantKey::parse("acme").unwrap();
    for _ in 0..3 {
        store.create_ticket(common::opened(&tenant, None), None).await.unwrap();
    }
    db.execute("DO $$ BEGIN EXECUTE format('DROP SEQUENCE %I', ticket_number_sequence('acme')); END $$;");
    let next = store.create_ticket(common::opened(&tenant, None), None).await.unwrap();
    assert_eq!(next.number.get(), 4, "numbering resumes after the highest number");
    let after = store.create_ticket(common::opened(&tenant, None), None).await.unwrap();
    assert_eq!(after.number.get(), 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn imported_tickets_read_back_as_made_and_are_found_after_inserts() {
    let Some(db) = fresh().await else { return };
    scenarios::imported_tickets_read_back_as_made_and_are_found(db, false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn imported_tickets_read_back_as_made_and_are_found_after_copy() {
    let Some(db) = fresh().await else { return };
    scenarios::imported_tickets_read_back_as_made_and_are_found(db, true).await;
}
