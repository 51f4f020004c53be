//! Scenarios the contract suite cannot express, run on each backend: two stores (two
//! pools, as two processes would have) racing on one database, migrations, idempotency
//! expiry, and the capped total at scale.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use supportdesk_app::{
    IdempotencyKey, IdempotencyRecord, JobStore, Page, PageRequest, SearchText, StoreError, TenantStore, TicketQuery,
    TicketSort, TicketStore,
};
use supportdesk_domain::{
    AgentReply, CommandContext, MessageBody, Status, TenantKey, TenantPolicy, Ticket, TicketChange, TicketId,
    TicketRef, UuidV7,
};
use supportdesk_store_diesel::DieselStore;
use time::OffsetDateTime;
use uuid::Uuid;

use super::{agent, alex, blake, opened, opened_by, TestDb};

fn tenant(key: &str) -> TenantKey {
    TenantKey::parse(key).unwrap()
}

async fn connect(db: &Arc<TestDb>) -> DieselStore {
    let db = db.clone();
    tokio::task::spawn_blocking(move || db.connect()).await.unwrap()
}

fn status_change(ticket: &Ticket, to: Status) -> TicketChange {
    let actor = agent();
    let ctx = CommandContext { actor: &actor, policy: TenantPolicy::default(), now: ticket.created_at, ids: &UuidV7 };
    ticket.set_status(&ctx, to, None).unwrap().unwrap()
}

fn record(tenant: &TenantKey, principal: Uuid, key: &str, ticket: TicketId, at: OffsetDateTime) -> IdempotencyRecord {
    IdempotencyRecord {
        tenant: tenant.clone(),
        principal_id: principal,
        key: IdempotencyKey::parse(key).unwrap(),
        fingerprint: "fingerprint".to_owned(),
        ticket_id: ticket,
        message_id: None,
        status: Status::Open,
        created_at: at,
    }
}

/// Migrations apply to an empty database, and running them again (or connecting again)
/// changes nothing.
pub async fn migrations_apply_to_an_empty_database_and_are_idempotent(db: TestDb) {
    let db = Arc::new(db);
    let first = connect(&db).await;
    let t = tenant("acme");
    first.ensure_tenant(&t, &[]).await.unwrap();
    let created = first.create_ticket(opened(&t, None), None).await.unwrap();
    let again = first.clone();
    tokio::task::spawn_blocking(move || {
        again.run_migrations().unwrap();
        again.run_migrations().unwrap();
    })
    .await
    .unwrap();
    let second = connect(&db).await;
    let read = second.load_ticket(&t, TicketRef::Id(created.id)).await.unwrap();
    assert_eq!(read, Some(created), "data survives a second start");
    assert!(first.pool_state().connections >= 1);
    assert!(first.pool_state().idle <= first.pool_state().connections);
}

/// Two stores on one database race twenty creates for one order by two customers: exactly
/// one ticket per customer, and every refusal names the refused customer's own ticket.
pub async fn two_stores_race_twenty_creates_for_one_order(db: TestDb) {
    let db = Arc::new(db);
    let stores = [Arc::new(connect(&db).await), Arc::new(connect(&db).await)];
    let t = tenant("acme");
    stores[0].ensure_tenant(&t, &[]).await.unwrap();
    let mut tasks = Vec::new();
    for i in 0..20 {
        let store = stores[i % 2].clone();
        let customer = if i % 4 < 2 { alex() } else { blake() };
        let t = t.clone();
        tasks.push(tokio::spawn(async move {
            (customer, store.create_ticket(opened_by(&t, customer, Some("ORD-RACE")), None).await)
        }));
    }
    let mut winners = HashMap::new();
    let mut holders = Vec::new();
    for task in tasks {
        match task.await.unwrap() {
            (customer, Ok(ticket)) => assert!(winners.insert(customer, ticket).is_none(), "two won for one customer"),
            (customer, Err(StoreError::OpenTicketExists { existing_id, existing_number })) => {
                holders.push((customer, existing_id, existing_number));
            }
            (_, Err(other)) => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!((winners.len(), holders.len()), (2, 18));
    for (customer, id, number) in holders {
        let own = &winners[&customer];
        assert_eq!((id, number), (own.id, own.number), "a refusal names the customer's own ticket");
    }
    let page = stores[1].list_tickets(&t, &TicketQuery::default()).await.unwrap();
    assert_eq!(page.total, 2);
}

/// Two stores save changes decided on the same version: exactly one wins, the others get
/// `VersionConflict` and write nothing.
pub async fn two_stores_race_version_updates(db: TestDb) {
    let db = Arc::new(db);
    let stores = [Arc::new(connect(&db).await), Arc::new(connect(&db).await)];
    let t = tenant("acme");
    let ticket = stores[0].create_ticket(opened(&t, None), None).await.unwrap();
    let mut tasks = Vec::new();
    for i in 0..10 {
        let store = stores[i % 2].clone();
        let to = if i % 3 == 0 { Status::Resolved } else { Status::InProgress };
        let change = status_change(&ticket, to);
        tasks.push(tokio::spawn(async move { store.save_change(&change, None).await }));
    }
    let mut won = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(()) => won += 1,
            Err(StoreError::VersionConflict) => {}
            Err(other) => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(won, 1);
    let now = stores[1].load_ticket(&t, TicketRef::Id(ticket.id)).await.unwrap().unwrap();
    assert_eq!(now.version, 2);
    assert_eq!(stores[0].events(&t, ticket.id).await.unwrap().len(), 3, "created, message_added, one change");
}

/// Creates from two stores at once all succeed (no `SQLITE_BUSY`, no lost update of the
/// counter), with unique numbers; sequential creates get increasing numbers, per tenant.
pub async fn concurrent_creates_get_unique_numbers_and_refusals_reuse_none(db: TestDb) {
    let db = Arc::new(db);
    let stores = [Arc::new(connect(&db).await), Arc::new(connect(&db).await)];
    let t = tenant("acme");
    let mut tasks = Vec::new();
    for i in 0..30 {
        let store = stores[i % 2].clone();
        let t = t.clone();
        tasks.push(tokio::spawn(async move { store.create_ticket(opened(&t, None), None).await.unwrap().number }));
    }
    let mut numbers = HashSet::new();
    for task in tasks {
        assert!(numbers.insert(task.await.unwrap()), "a number was handed out twice");
    }
    assert_eq!(numbers.len(), 30);
    let first = stores[0].create_ticket(opened(&t, Some("ORD-1")), None).await.unwrap();
    let refused = stores[1].create_ticket(opened(&t, Some("ORD-1")), None).await;
    assert!(matches!(refused, Err(StoreError::OpenTicketExists { existing_id, .. }) if existing_id == first.id));
    let next = stores[1].create_ticket(opened(&t, None), None).await.unwrap();
    assert!(next.number > first.number, "numbers increase with creation order");
    assert!(!numbers.contains(&next.number), "a refused create does not hand its number out twice");
    let other = stores[0].create_ticket(opened(&tenant("other"), None), None).await.unwrap();
    assert_eq!(other.number.get(), 1, "each tenant counts on its own");
}

/// A live idempotency key refuses a second claim and nothing is written; an expired one
/// (older than 24 hours) is replaced; reads honour `not_before`.
pub async fn idempotency_keys_expire_after_their_lifetime(db: TestDb) {
    let db = Arc::new(db);
    let store = connect(&db).await;
    let t = tenant("acme");
    let principal = Uuid::now_v7();
    let now = supportdesk_app::Clock::now(&supportdesk_app::SystemClock);
    let old = now - IdempotencyRecord::LIFETIME - time::Duration::minutes(5);
    let first = opened(&t, None);
    let first_record = record(&t, principal, "k-1", first.ticket.id(), old);
    store.create_ticket(first, Some(first_record.clone())).await.unwrap();
    let key = IdempotencyKey::parse("k-1").unwrap();
    let found = store.idempotency_record(&t, principal, &key, old).await.unwrap();
    assert_eq!(found, Some(first_record));
    let live_only = store.idempotency_record(&t, principal, &key, now - IdempotencyRecord::LIFETIME).await;
    assert_eq!(live_only.unwrap(), None, "an expired record is not returned");

    let second = opened(&t, None);
    let second_record = record(&t, principal, "k-1", second.ticket.id(), now);
    store.create_ticket(second, Some(second_record.clone())).await.unwrap();
    let found = store.idempotency_record(&t, principal, &key, now - IdempotencyRecord::LIFETIME).await.unwrap();
    assert_eq!(found, Some(second_record), "the expired record was replaced");

    let third = opened(&t, None);
    let refused = store.create_ticket(third.clone(), Some(record(&t, principal, "k-1", third.ticket.id(), now))).await;
    assert!(matches!(refused, Err(StoreError::IdempotencyKeyTaken)), "got {refused:?}");
    assert!(store.load_ticket(&t, TicketRef::Id(third.ticket.id())).await.unwrap().is_none());
    assert_eq!(store.list_tickets(&t, &TicketQuery::default()).await.unwrap().total, 2);
    let live_cutoff = now - IdempotencyRecord::LIFETIME;
    assert_eq!(store.prune_idempotency_records(live_cutoff).await.unwrap(), 0, "the live record stays");
    let pruned = store.prune_idempotency_records(now + time::Duration::seconds(1)).await.unwrap();
    assert_eq!(pruned, 1, "the record (the replaced one is gone already) is older than a cutoff after it");
    assert_eq!(store.idempotency_record(&t, principal, &key, old).await.unwrap(), None);
}

/// Tickets written straight into the database are counted by `recount_tickets`; then a
/// queue (statuses alone) totals exactly past 10,000, while other filters stop counting at
/// the cap; a last page knows its total without counting; a page past the end still counts.
pub async fn queue_totals_are_exact_and_other_totals_stop_at_the_cap(db: TestDb, bulk_insert_sql: &str) {
    let db = Arc::new(db);
    let store = connect(&db).await;
    let setup = db.clone();
    let sql = bulk_insert_sql.to_owned();
    tokio::task::spawn_blocking(move || setup.execute(&sql)).await.unwrap();
    let t = tenant("bulk");
    assert_eq!(store.list_tickets(&t, &TicketQuery::default()).await.unwrap().total, 0, "not counted yet");
    store.recount_tickets().await.unwrap();
    store.recount_tickets().await.unwrap();

    let all = store.list_tickets(&t, &TicketQuery::default()).await.unwrap();
    assert_eq!((all.total, all.total_is_capped), (10_050, false));
    assert_eq!(all.items.len(), 21, "a page of 20 and the one after it, that tells a next page follows");
    assert_eq!(all.items[0].ticket.number.get(), 10_050, "newest first");
    let open = TicketQuery { statuses: vec![Status::Open], ..TicketQuery::default() };
    let open = store.list_tickets(&t, &open).await.unwrap();
    assert_eq!((open.total, open.total_is_capped), (10_040, false));
    let by_customer = TicketQuery { customer_id: Some(all.items[0].ticket.customer_id), ..TicketQuery::default() };
    let by_customer = store.list_tickets(&t, &by_customer).await.unwrap();
    assert_eq!((by_customer.total, by_customer.total_is_capped), (Page::<()>::TOTAL_CAP, true));
    let resolved = |page, size| TicketQuery {
        statuses: vec![Status::Resolved],
        page: PageRequest::new(page, size).unwrap(),
        ..TicketQuery::default()
    };
    let last = store.list_tickets(&t, &resolved(1, 20)).await.unwrap();
    assert_eq!((last.items.len(), last.total), (10, 10));
    let full = store.list_tickets(&t, &resolved(2, 5)).await.unwrap();
    assert_eq!((full.items.len(), full.total), (5, 10));
    let past = store.list_tickets(&t, &resolved(3, 5)).await.unwrap();
    assert_eq!((past.items.len(), past.total), (0, 10));

    // Breached queues are totalled exactly from counts the database's triggers keep, past
    // the cap too, however the flag and the status change (here by plain SQL, as a bulk
    // import or another process would).
    let breached = |statuses: Vec<Status>| TicketQuery { statuses, sla_breached: true, ..TicketQuery::default() };
    let exact = |page: &Page<_>| (page.total, page.total_is_capped);
    let change = |sql: &'static str| {
        let db = db.clone();
        async move { tokio::task::spawn_blocking(move || db.execute(sql)).await.unwrap() }
    };
    assert_eq!(exact(&store.list_tickets(&t, &breached(vec![])).await.unwrap()), (0, false));
    change("UPDATE tickets SET sla_breached = TRUE WHERE tenant = 'bulk' AND number % 2 = 0").await;
    assert_eq!(exact(&store.list_tickets(&t, &breached(vec![])).await.unwrap()), (5_025, false));
    assert_eq!(exact(&store.list_tickets(&t, &breached(vec![Status::Resolved])).await.unwrap()), (10, false));
    change("UPDATE tickets SET sla_breached = TRUE WHERE tenant = 'bulk'").await;
    let all_breached = store.list_tickets(&t, &breached(vec![])).await.unwrap();
    assert_eq!(exact(&all_breached), (10_050, false), "exact past the cap");
    assert_eq!(all_breached.items.len(), 21);
    change("UPDATE tickets SET status = 'closed' WHERE tenant = 'bulk' AND status = 'resolved' AND number <= 5000")
        .await;
    change("UPDATE tickets SET sla_breached = FALSE WHERE tenant = 'bulk' AND number % 10 = 1").await;
    let open = breached(vec![Status::Open]);
    let closed = breached(vec![Status::Closed]);
    assert_eq!(exact(&store.list_tickets(&t, &open).await.unwrap()), (10_040 - 1_005, false));
    assert_eq!(exact(&store.list_tickets(&t, &closed).await.unwrap()), (5, false));
    assert_eq!(exact(&store.list_tickets(&t, &breached(vec![Status::Resolved])).await.unwrap()), (5, false));
    // A recount agrees with what the triggers kept.
    store.recount_tickets().await.unwrap();
    assert_eq!(exact(&store.list_tickets(&t, &open).await.unwrap()), (10_040 - 1_005, false));
    assert_eq!(exact(&store.list_tickets(&t, &breached(vec![])).await.unwrap()), (10_050 - 1_005, false));
}

/// A rebuild of the search index while the service writes (PostgreSQL lets writes start
/// beside the rebuild's transaction): a reply during it is found by its words afterwards,
/// and a ticket created during it has exactly one search row.
pub async fn writes_during_a_rebuild_of_the_search_index_are_found(db: TestDb, bulk_insert_sql: &str) {
    let db = Arc::new(db);
    let store = Arc::new(connect(&db).await);
    let setup = db.clone();
    let sql = bulk_insert_sql.to_owned();
    tokio::task::spawn_blocking(move || setup.execute(&sql)).await.unwrap();
    let t = tenant("acme");
    // Indexed in the rebuild's first batch ("acme" before "bulk"), long before it commits.
    let ticket = store.create_ticket(opened(&t, None), None).await.unwrap();
    let rebuild = {
        let store = store.clone();
        tokio::spawn(async move { store.reindex_search().await })
    };
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let sam = agent();
    let ctx = CommandContext { actor: &sam, policy: TenantPolicy::default(), now: ticket.created_at, ids: &UuidV7 };
    let reply = AgentReply {
        body: MessageBody::parse("The Zanzibar courier confirmed the pickup").unwrap(),
        internal: false,
        attachments: vec![],
        status: None,
        resolution_note: None,
    };
    let change = ticket.agent_reply(&ctx, reply).unwrap();
    let replied = {
        let store = store.clone();
        tokio::spawn(async move { store.save_change(&change, None).await })
    };
    let created = {
        let (store, t) = (store.clone(), t.clone());
        tokio::spawn(async move { store.create_ticket(opened(&t, Some("ORD-DURING")), None).await })
    };
    assert_eq!(rebuild.await.unwrap().unwrap(), 10_051, "the bulk tickets and the first one");
    replied.await.unwrap().unwrap();
    let during = created.await.unwrap().unwrap();
    let found = |q: &str| TicketQuery {
        text: Some(SearchText::parse(q).unwrap()),
        sort: TicketSort::Relevance,
        ..TicketQuery::default()
    };
    let page = store.list_tickets(&t, &found("zanzibar")).await.unwrap();
    assert_eq!(page.items.iter().map(|i| i.ticket.id).collect::<Vec<_>>(), vec![ticket.id], "the reply's words");
    let page = store.list_tickets(&t, &found("ORD-DURING")).await.unwrap();
    assert_eq!((page.total, page.items.len()), (1, 1), "one search row for the ticket created meanwhile");
    assert_eq!(page.items[0].ticket.id, during.id);
}

/// A search by relevance ranks the newest 1,000 matching tickets of the tenant (a common
/// word costs what a thousand matches cost, whatever the data) and says when there were
/// more: its total is then a lower bound (`totalIsCapped`), also when other filters leave
/// fewer; a search with a sort counts as every list does. The search rows come from
/// `reindex_search`, as after a bulk import.
pub async fn searches_by_relevance_rank_the_newest_thousand_matches_and_say_there_are_more(
    db: TestDb,
    bulk_insert_sql: &str,
) {
    let db = Arc::new(db);
    let store = connect(&db).await;
    let setup = db.clone();
    let sql = bulk_insert_sql.to_owned();
    tokio::task::spawn_blocking(move || setup.execute(&sql)).await.unwrap();
    // One older ticket of another customer (its id, like a UUID v7, sorts before theirs, so
    // `reindex` indexes it first), behind the 10,050 newer matches of the first.
    let setup = db.clone();
    tokio::task::spawn_blocking(move || {
        setup.execute(
            "INSERT INTO tickets (tenant, id, number, customer_id, category_id, subject, subject_search, status,
                                  priority, source, tags, created_at, updated_at, last_activity_at, version,
                                  public_version, public_updated_at, public_last_activity_at)
             VALUES ('bulk', '00000000-0000-7000-8000-000000000000', 20000, '00000000-0000-7000-8000-000000000003',
                     '00000000-0000-7000-8000-000000000002', 'Bulk ticket of another customer',
                     'bulk ticket of another customer', 'open', 1, 'api', '', '2025-12-31 00:00:00',
                     '2025-12-31 00:00:00', '2025-12-31 00:00:00', 1, 1, '2025-12-31 00:00:00',
                     '2025-12-31 00:00:00')",
        )
    })
    .await
    .unwrap();
    assert_eq!(store.reindex_search().await.unwrap(), 10_051);
    let t = tenant("bulk");
    let search = |q: &str, sort: TicketSort, statuses: Vec<Status>, page: i64| TicketQuery {
        text: Some(SearchText::parse(q).unwrap()),
        sort,
        statuses,
        page: PageRequest::new(page, 20).unwrap(),
        ..TicketQuery::default()
    };
    let ranked = store.list_tickets(&t, &search("bulk", TicketSort::Relevance, vec![], 1)).await.unwrap();
    assert_eq!((ranked.total, ranked.total_is_capped), (1_000, true));
    let numbers = |page: &Page<supportdesk_app::TicketSummary>| {
        page.items.iter().take(20).map(|i| i.ticket.number.get()).collect::<Vec<_>>()
    };
    assert_eq!(numbers(&ranked), (10_031..=10_050).rev().collect::<Vec<_>>(), "equal ranks: newest first");
    let last = store.list_tickets(&t, &search("bulk", TicketSort::Relevance, vec![], 50)).await.unwrap();
    assert_eq!(numbers(&last), (9_051..=9_070).rev().collect::<Vec<_>>(), "the thousandth match ends the list");
    let past = store.list_tickets(&t, &search("bulk", TicketSort::Relevance, vec![], 51)).await.unwrap();
    assert!(past.items.is_empty());
    assert_eq!((past.total, past.total_is_capped), (1_000, true));
    // Ticket 10,000 is the one resolved ticket among the newest thousand; there are more.
    let resolved = store.list_tickets(&t, &search("bulk", TicketSort::Relevance, vec![Status::Resolved], 1)).await;
    let resolved = resolved.unwrap();
    assert_eq!((numbers(&resolved), resolved.total, resolved.total_is_capped), (vec![10_000], 1, true));
    let sorted = search("bulk", TicketSort::CreatedDesc, vec![Status::Resolved], 1);
    let sorted = store.list_tickets(&t, &sorted).await.unwrap();
    assert_eq!((sorted.total, sorted.total_is_capped), (10, false), "a sorted search counts every match");
    // One customer's search tests each of their tickets: the tenant's newest thousand
    // matches hold none of this customer's, and it is found all the same.
    let other = supportdesk_domain::CustomerId::from_uuid(Uuid::from_u128(0x0000_0000_0000_7000_8000_0000_0000_0003));
    for sort in [TicketSort::Relevance, TicketSort::CreatedDesc] {
        let theirs = TicketQuery { customer_id: Some(other), ..search("bulk", sort, vec![], 1) };
        let theirs = store.list_tickets(&t, &theirs).await.unwrap();
        assert_eq!((numbers(&theirs), theirs.total, theirs.total_is_capped), (vec![20_000], 1, false), "{sort:?}");
    }
    // A prefix of four letters or more is searched as the words of the index it starts.
    let rare = store.list_tickets(&t, &search("10049", TicketSort::Relevance, vec![], 1)).await.unwrap();
    assert_eq!((numbers(&rare), rare.total, rare.total_is_capped), (vec![10_049], 1, false));
    let prefix = store.list_tickets(&t, &search("tick 1004", TicketSort::Relevance, vec![], 1)).await.unwrap();
    assert_eq!((prefix.total, prefix.total_is_capped), (11, false), "1004 and 10040 to 10049");
}

/// Sixty writes at once on one store, refused and accepted mixed: each gets its own
/// outcome, and a refused one leaves nothing behind. On SQLite they share commits (the
/// writer's group commit, each write a savepoint of the group's transaction), so this is
/// what a savepoint rolled back in a committed group must give: exactly one winner of each
/// race, no refused ticket stored, and (`dense_numbers`) no number taken by a refused create.
pub async fn concurrent_writes_each_get_their_own_outcome(db: TestDb, dense_numbers: bool) {
    let db = Arc::new(db);
    let store = Arc::new(connect(&db).await);
    let t = tenant("acme");
    let target = store.create_ticket(opened(&t, None), None).await.unwrap();
    let principal = Uuid::now_v7();
    let now = supportdesk_app::Clock::now(&supportdesk_app::SystemClock);
    #[derive(Debug)]
    enum Outcome {
        Created(Box<Ticket>),
        Saved,
        Refused(StoreError),
    }
    let mut tasks = Vec::new();
    for i in 0..60 {
        let (store, t) = (store.clone(), t.clone());
        let change = status_change(&target, Status::InProgress);
        tasks.push(tokio::spawn(async move {
            let created = match i % 4 {
                // Thirty plain creates, all accepted.
                0 | 1 => store.create_ticket(opened(&t, None), None).await,
                // Eight creates with one idempotency key: one is accepted.
                2 if i % 8 == 2 => {
                    let ticket = opened(&t, None);
                    let claim = record(&t, principal, "same-key", ticket.ticket.id(), now);
                    store.create_ticket(ticket, Some(claim)).await
                }
                // Seven creates of one customer for one order: one is accepted.
                2 => store.create_ticket(opened(&t, Some("ORD-SAME")), None).await,
                // Fifteen moves of one ticket from one version: one is accepted.
                _ => return store.save_change(&change, None).await.map_or_else(Outcome::Refused, |()| Outcome::Saved),
            };
            created.map_or_else(Outcome::Refused, |ticket| Outcome::Created(Box::new(ticket)))
        }));
    }
    let mut created = Vec::new();
    let (mut saved, mut key_taken, mut order_taken, mut conflicts) = (0, 0, 0, 0);
    for task in tasks {
        match task.await.unwrap() {
            Outcome::Created(ticket) => created.push(*ticket),
            Outcome::Saved => saved += 1,
            Outcome::Refused(StoreError::IdempotencyKeyTaken) => key_taken += 1,
            Outcome::Refused(StoreError::OpenTicketExists { .. }) => order_taken += 1,
            Outcome::Refused(StoreError::VersionConflict) => conflicts += 1,
            Outcome::Refused(other) => panic!("unexpected refusal {other:?}"),
        }
    }
    assert_eq!((saved, conflicts), (1, 14), "one move wins, the others conflict");
    assert_eq!(key_taken, 7, "one create of the key wins, seven are refused");
    assert_eq!(order_taken, 6, "one create for the order wins, six are refused");
    assert_eq!(created.len(), 30 + 1 + 1);
    let listed = store
        .list_tickets(&t, &TicketQuery { page: PageRequest::new(1, 100).unwrap(), ..TicketQuery::default() })
        .await
        .unwrap();
    assert_eq!(listed.total, 33, "the 32 accepted creates and the first ticket, nothing refused");
    let ids: HashSet<TicketId> = listed.items.iter().map(|s| s.ticket.id).collect();
    assert!(created.iter().all(|ticket| ids.contains(&ticket.id)), "every answered create is stored");
    let now_target = store.load_ticket(&t, TicketRef::Id(target.id)).await.unwrap().unwrap();
    assert_eq!((now_target.status, now_target.version), (Status::InProgress, 2));
    let mut numbers: Vec<i64> = listed.items.iter().map(|s| s.ticket.number.get()).collect();
    numbers.sort_unstable();
    numbers.dedup();
    assert_eq!(numbers.len(), 33, "numbers are unique");
    if dense_numbers {
        assert_eq!(numbers, (1..=33).collect::<Vec<_>>(), "a refused create hands no number out");
    }
}

/// Tickets written by the bulk import (`supportdesk_store_diesel::import`) read back exactly
/// as the domain made them, thread and audit trail included, and search finds them by their
/// messages and their customer; `copy` loads them with PostgreSQL's `COPY`.
pub async fn imported_tickets_read_back_as_made_and_are_found(db: TestDb, copy: bool) {
    use supportdesk_domain::{AgentReply, MessageBody, TicketNumber};
    use supportdesk_store_diesel::import::{ImportBatch, ImportConnection, TicketRows};

    let db = Arc::new(db);
    let store = connect(&db).await;
    let t = tenant("acme");
    store.ensure_tenant(&t, &[]).await.unwrap();
    let sam = agent();
    let mut batch = ImportBatch::default();
    let mut made = Vec::new();
    for n in 1..=3 {
        let opened = opened(&t, Some(&format!("ORD-{n}")));
        let ticket = opened.ticket.into_ticket(TicketNumber::new(100 + n).unwrap());
        let ctx = CommandContext { actor: &sam, policy: TenantPolicy::default(), now: ticket.created_at, ids: &UuidV7 };
        let reply = AgentReply {
            body: MessageBody::parse("The blue kettle ships again tomorrow").unwrap(),
            internal: false,
            attachments: vec![],
            status: Some(Status::Resolved),
            resolution_note: None,
        };
        let change = ticket.agent_reply(&ctx, reply).unwrap();
        let thread = vec![opened.message, change.message.clone().unwrap()];
        let trail = [opened.events, change.events].concat();
        let rows = TicketRows::new(&change.ticket, &thread, &trail, "Alex Doe", Some("alex@example.com")).unwrap();
        batch.add_ticket(rows);
        made.push((change.ticket, thread, trail));
    }
    let url = db.url();
    tokio::task::spawn_blocking(move || {
        use diesel::connection::{Connection, SimpleConnection};
        if let Some(path) = url.strip_prefix("sqlite://") {
            let mut conn = diesel::SqliteConnection::establish(path).unwrap();
            conn.batch_execute("PRAGMA foreign_keys = ON; BEGIN IMMEDIATE").unwrap();
            batch.insert(ImportConnection::Sqlite(&mut conn)).unwrap();
            conn.batch_execute("COMMIT").unwrap();
        } else {
            let mut conn = diesel::PgConnection::establish(&url).unwrap();
            conn.transaction(|conn| {
                if copy { batch.copy(conn) } else { batch.insert(ImportConnection::Pg(conn)) }
                    .map_err(|e| diesel::result::Error::QueryBuilderError(Box::new(e)))
            })
            .unwrap();
        }
    })
    .await
    .unwrap();
    for (ticket, thread, trail) in &made {
        let stored = store.load_ticket(&t, TicketRef::Id(ticket.id)).await.unwrap();
        assert_eq!(stored.as_ref(), Some(ticket));
        for message in thread {
            assert_eq!(store.message(&t, message.id).await.unwrap().as_ref(), Some(message));
        }
        assert_eq!(&store.events(&t, ticket.id).await.unwrap(), trail);
    }
    for words in ["kettle", "\"blue kettle\"", "alex@example.com", "ORD-2"] {
        let query = TicketQuery {
            text: Some(SearchText::parse(words).unwrap()),
            sort: TicketSort::Relevance,
            ..TicketQuery::default()
        };
        let found = store.list_tickets(&t, &query).await.unwrap();
        let wanted = if words == "ORD-2" { 1 } else { 3 };
        assert_eq!(found.items.len(), wanted, "{words}");
    }
}
