//! The Diesel store on SQLite: the file is created on first start, and the scenarios of
//! `common::scenarios` (two stores on one file stand for two processes).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{scenarios, TestDb};
use diesel::prelude::*;
use diesel::sql_types::Text;
use supportdesk_app::StoreError;
use supportdesk_store_diesel::{Backend, DieselConfig, DieselStore};

/// 10,050 tickets of tenant `bulk`, newest last; every 1,000th is resolved.
const BULK: &str = "
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10050)
INSERT INTO tickets (tenant, id, number, customer_id, category_id, subject, subject_search, status, priority,
                     source, tags, created_at, updated_at, last_activity_at, version,
                     public_version, public_updated_at, public_last_activity_at)
SELECT 'bulk', printf('00000000-0000-7000-8000-%012d', i), i, '00000000-0000-7000-8000-000000000001',
       '00000000-0000-7000-8000-000000000002', 'Bulk ticket ' || i, 'bulk ticket ' || i,
       CASE WHEN i % 1000 = 0 THEN 'resolved' ELSE 'open' END, 1, 'api', '',
       datetime('2026-01-01', '+' || i || ' seconds'), datetime('2026-01-01', '+' || i || ' seconds'),
       datetime('2026-01-01', '+' || i || ' seconds'), 1,
       1, datetime('2026-01-01', '+' || i || ' seconds'), datetime('2026-01-01', '+' || i || ' seconds')
FROM n;";

#[derive(QueryableByName)]
struct Mode {
    #[diesel(sql_type = Text)]
    journal_mode: String,
}

#[derive(QueryableByName)]
struct PlanStep {
    #[diesel(sql_type = Text)]
    detail: String,
}

/// The query plan of `sql`, one line per step.
fn plan(path: &std::path::Path, sql: &str) -> String {
    let mut conn = SqliteConnection::establish(path.to_str().unwrap()).unwrap();
    let steps: Vec<PlanStep> = diesel::sql_query(format!("EXPLAIN QUERY PLAN {sql}")).load(&mut conn).unwrap();
    steps.into_iter().map(|step| step.detail).collect::<Vec<_>>().join("\n")
}

/// A breached queue (`slaBreached=true`, the filter `sla_breached = TRUE`) is counted from
/// `tickets_sla_breached` alone and paged in its order, without statistics: the flag is an
/// index column after `tenant`, so the planner picks the index by its shape. (With the
/// partial indexes it had before, every index on `tenant` looked alike and the count walked
/// every ticket of the tenant: 5 ms at 10,000 tickets in `make bench`.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn breached_queues_are_counted_and_paged_from_their_index_without_statistics() {
    let db = TestDb::sqlite();
    let path = db.sqlite_path();
    let _store = db.connect();
    db.execute(BULK);
    db.execute("UPDATE tickets SET sla_breached = TRUE WHERE number % 100 = 0");
    let breached = "tickets.tenant = 'bulk' AND tickets.sla_breached = TRUE";
    let count = plan(path, &format!("SELECT COUNT(*) FROM (SELECT 1 FROM tickets WHERE {breached} LIMIT 10000)"));
    assert!(count.contains("USING COVERING INDEX tickets_sla_breached (tenant=? AND sla_breached=?)"), "{count}");
    let page =
        plan(path, &format!("SELECT id FROM tickets WHERE {breached} ORDER BY created_at DESC, id DESC LIMIT 21"));
    assert!(page.contains("INDEX tickets_sla_breached (tenant=? AND sla_breached=?)"), "{page}");
    assert!(!page.contains("TEMP B-TREE"), "read in the index's order: {page}");
    let open = plan(
        path,
        &format!("SELECT COUNT(*) FROM (SELECT 1 FROM tickets WHERE {breached} AND status = 'open' LIMIT 10000)"),
    );
    assert!(open.contains("INDEX tickets_status_sla_breached (tenant=? AND status=? AND sla_breached=?)"), "{open}");
}

#[test]
fn the_file_and_its_folders_are_created_on_first_start_in_wal_mode() {
    let db = TestDb::sqlite();
    let path = db.sqlite_path();
    assert!(!path.exists() && !path.parent().unwrap().exists());
    let store = db.connect();
    assert_eq!(store.backend(), Backend::Sqlite);
    assert!(path.is_file());
    let mut conn = SqliteConnection::establish(path.to_str().unwrap()).unwrap();
    let mode: Mode = diesel::sql_query("PRAGMA journal_mode").get_result(&mut conn).unwrap();
    assert_eq!(mode.journal_mode, "wal");
    // The writer (1) and the readers (4) are open.
    assert_eq!(store.pool_state().connections, 5);
}

#[test]
fn every_url_form_names_a_file_and_other_schemes_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    for url in [
        format!("sqlite://{}/a.db", dir.path().display()),
        format!("sqlite:{}/b.db", dir.path().display()),
        format!("{}/c.db", dir.path().display()),
    ] {
        let store = DieselStore::connect(&DieselConfig::new(url.clone())).unwrap();
        assert_eq!(store.backend(), Backend::Sqlite, "{url}");
    }
    for name in ["a.db", "b.db", "c.db"] {
        assert!(dir.path().join(name).is_file(), "{name}");
    }
    for url in ["mysql://localhost/sd", ":memory:", "sqlite://"] {
        let refused = DieselStore::connect(&DieselConfig::new(url));
        assert!(matches!(refused, Err(StoreError::Unavailable(_))), "{url}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn migrations_apply_to_an_empty_database_and_are_idempotent() {
    scenarios::migrations_apply_to_an_empty_database_and_are_idempotent(TestDb::sqlite()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_stores_race_twenty_creates_for_one_order() {
    scenarios::two_stores_race_twenty_creates_for_one_order(TestDb::sqlite()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_stores_race_version_updates() {
    scenarios::two_stores_race_version_updates(TestDb::sqlite()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_creates_get_unique_numbers_and_refusals_reuse_none() {
    scenarios::concurrent_creates_get_unique_numbers_and_refusals_reuse_none(TestDb::sqlite()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writes_each_get_their_own_outcome() {
    scenarios::concurrent_writes_each_get_their_own_outcome(TestDb::sqlite(), true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn idempotency_keys_expire_after_their_lifetime() {
    scenarios::idempotency_keys_expire_after_their_lifetime(TestDb::sqlite()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn queue_totals_are_exact_and_other_totals_stop_at_the_cap() {
    scenarios::queue_totals_are_exact_and_other_totals_stop_at_the_cap(TestDb::sqlite(), BULK).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn writes_during_a_rebuild_of_the_search_index_are_found() {
    scenarios::writes_during_a_rebuild_of_the_search_index_are_found(TestDb::sqlite(), BULK).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn searches_by_relevance_rank_the_newest_thousand_matches_and_say_there_are_more() {
    scenarios::searches_by_relevance_rank_the_newest_thousand_matches_and_say_there_are_more(TestDb::sqlite(), BULK)
        .await;
}

/// Short reads run on the caller's thread while a reader is free and fall back to the
/// blocking pool when none is: with one reader connection and 64 views at once on a
/// two-thread runtime, every view still answers, and with its whole thread; the same with
/// inline reads turned off.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn short_reads_answer_whether_or_not_a_reader_is_free() {
    use std::sync::Arc;
    use supportdesk_app::{TicketStore, Visibility};
    use supportdesk_domain::TicketRef;

    for inline_sqlite_reads in [true, false] {
        let db = TestDb::sqlite();
        let config = DieselConfig { max_connections: 1, inline_sqlite_reads, ..DieselConfig::new(db.url()) };
        let store = Arc::new(DieselStore::connect(&config).unwrap());
        let tenant = supportdesk_domain::TenantKey::parse("acme").unwrap();
        let ticket = store.create_ticket(common::opened(&tenant, None), None).await.unwrap();
        let mut views = Vec::new();
        for _ in 0..64 {
            let (store, tenant) = (store.clone(), tenant.clone());
            views.push(tokio::spawn(async move {
                store.ticket_view(&tenant, TicketRef::Id(ticket.id), Visibility::Staff).await
            }));
        }
        for view in views {
            let view = view.await.unwrap().unwrap().expect("the ticket is there");
            assert_eq!(view.summary.ticket.id, ticket.id);
            assert_eq!(view.messages.len(), 1);
        }
    }
}

#[derive(QueryableByName)]
struct SearchFields {
    #[diesel(sql_type = Text)]
    messages: String,
    #[diesel(sql_type = Text)]
    notes: String,
}

/// A ticket's search fields stay its words joined by single spaces, as the memory store
/// joins them (the relevance counts words by their spaces): a first note starts the notes
/// without a space, and a message without words (an emoji) adds nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_fields_stay_single_spaced_after_a_first_note_and_a_wordless_message() {
    use supportdesk_app::TicketStore;
    use supportdesk_domain::{AgentReply, CommandContext, MessageBody, TenantKey, TenantPolicy, UuidV7};

    let db = TestDb::sqlite();
    let path = db.sqlite_path();
    let store = db.connect();
    let tenant = TenantKey::parse("acme").unwrap();
    let mut ticket = store.create_ticket(common::opened(&tenant, None), None).await.unwrap();
    let actor = common::agent();
    for (text, internal) in [("Check the courier", true), ("🙂", false), ("It is on its way", false)] {
        let ctx =
            CommandContext { actor: &actor, policy: TenantPolicy::default(), now: ticket.created_at, ids: &UuidV7 };
        let reply = AgentReply {
            body: MessageBody::parse(text).unwrap(),
            internal,
            attachments: vec![],
            status: None,
            resolution_note: None,
        };
        let change = ticket.agent_reply(&ctx, reply).unwrap();
        store.save_change(&change, None).await.unwrap();
        ticket = change.ticket;
    }
    let mut conn = SqliteConnection::establish(path.to_str().unwrap()).unwrap();
    let fields: SearchFields =
        diesel::sql_query("SELECT messages, notes FROM ticket_search").get_result(&mut conn).unwrap();
    assert_eq!(fields.notes, "check the courier");
    assert_eq!(fields.messages, "my parcel never arrived it was due on monday it is on its way");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn imported_tickets_read_back_as_made_and_are_found() {
    scenarios::imported_tickets_read_back_as_made_and_are_found(TestDb::sqlite(), false).await;
}
