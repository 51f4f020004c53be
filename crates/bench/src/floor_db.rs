//! The database floor: the rows a request needs, written or read straight through Diesel
//! from the bench process, with no HTTP, no JSON, no domain and no async hop. What the
//! service does per request can only cost more than this.
//!
//! - `create`: in one write transaction, the first message, the `created` audit event, the
//!   tenant's next number (SQLite: its counter row, `UPDATE … RETURNING`; PostgreSQL: its
//!   sequence) and the ticket, in the store's order.
//! - `create (without search)`: the same without the ticket's search row (and so without
//!   its FTS5 or GIN entries and, on SQLite, its words in `search_words`): the difference
//!   is what the search index costs a create.
//! - `get`: the ticket with its customer, category and assignee names by tenant and id,
//!   then its public messages in order (the two queries of a ticket view).
//! - `queue`: the queue page (open tickets with their names, newest first, 20) and its
//!   total, the sum of the tenant's per-status count rows for `open` (as the service).
//! - `queue + capped count` (diagnostic): the page plus a count over the matching tickets,
//!   capped at 10,000 (what the service runs for lists filtered on more than status), to
//!   show what counting costs at scale.
//!
//! The floor is the most the database gives with the service's connection budget
//! (`SUPPORTDESK_DB_POOL_SIZE`, 8): `min(concurrency, 8)` workers, each with its own
//! connection and never idle; SQLite writes get one worker on one writer connection, as the
//! service's writer (SQLite has one writer), which commits as many creates together as
//! there are concurrent clients, as the writer's group commit does (its latency is then a
//! group's). More threads than that only lower
//! the floor on two cores (32 threads queueing on 8 connections, or 32 PostgreSQL backends
//! queueing on the tenant's counter row, commit fewer tickets per second). A floor's
//! latency is therefore the operation's own time, without queueing: compare throughput
//! with the service, not latency at concurrency 32.

use std::sync::Barrier;
use std::time::{Duration, Instant};

use diesel::prelude::*;
use diesel::sql_types::BigInt;

use crate::db::{on_backend, Backend, Db, Role};
use crate::driver::{histogram, Outcome};
use crate::rng::Rng;
use crate::schema::{agents, categories, customers, messages, tenants, ticket_counts, tickets};
use crate::seed::{id_text, Dataset, GET_TICKETS, TENANT};
use crate::BoxError;
use supportdesk_store_diesel::import::ImportBatch;
use supportdesk_store_diesel::Paged;

use crate::floor_raw::pg_sql;

/// What the floor does per operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// Ticket + first message + events + number bump + search row, one transaction.
    Create,
    /// The same without the search row.
    CreateWithoutSearch,
    /// Ticket by id with names + its messages.
    Get,
    /// The queue page and its total from the per-status counts.
    Queue,
    /// The queue page and a capped count over the tickets.
    QueueWithCount,
}

impl Op {
    /// Its name in reports.
    pub const fn name(self) -> &'static str {
        match self {
            Op::Create => "create",
            Op::CreateWithoutSearch => "create (without search)",
            Op::Get => "get",
            Op::Queue => "queue",
            Op::QueueWithCount => "queue + capped count",
        }
    }
}

/// The ticket columns the service reads.
#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = tickets)]
#[expect(dead_code, reason = "read as the service reads them; the floor only needs them loaded")]
struct TicketRead {
    tenant: String,
    id: String,
    number: i64,
    customer_id: String,
    category_id: String,
    subject: String,
    status: String,
    priority: i16,
    source: String,
    order_id: Option<String>,
    delivery_id: Option<String>,
    assignee_id: Option<String>,
    tags: String,
    resolution_note: Option<String>,
    created_at: time::PrimitiveDateTime,
    updated_at: time::PrimitiveDateTime,
    last_activity_at: time::PrimitiveDateTime,
    last_customer_message_at: Option<time::PrimitiveDateTime>,
    last_agent_message_at: Option<time::PrimitiveDateTime>,
    first_responded_at: Option<time::PrimitiveDateTime>,
    resolved_at: Option<time::PrimitiveDateTime>,
    closed_at: Option<time::PrimitiveDateTime>,
    version: i64,
    public_version: i64,
    public_updated_at: time::PrimitiveDateTime,
    public_last_activity_at: time::PrimitiveDateTime,
    public_last_agent_message_at: Option<time::PrimitiveDateTime>,
}

/// The message columns the service reads.
#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = messages)]
#[expect(dead_code, reason = "read as the service reads them; the floor only needs them loaded")]
struct MessageRead {
    id: String,
    ticket_id: String,
    author_type: String,
    author_id: String,
    author_name: String,
    author_image_url: Option<String>,
    body: String,
    internal: bool,
    attachments: String,
    created_at: time::PrimitiveDateTime,
}

/// A list item as read: the ticket and the names joined to it.
type SummaryRead = (
    TicketRead,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// Tickets with their customer, category and assignee, as the service joins them.
macro_rules! summary_source {
    () => {
        tickets::table
            .left_join(
                customers::table.on(customers::tenant.eq(tickets::tenant).and(customers::id.eq(tickets::customer_id))),
            )
            .left_join(
                categories::table
                    .on(categories::tenant.eq(tickets::tenant).and(categories::id.eq(tickets::category_id))),
            )
            .left_join(
                agents::table
                    .on(agents::tenant.eq(tickets::tenant).and(agents::id.nullable().eq(tickets::assignee_id))),
            )
    };
}

macro_rules! summary_columns {
    () => {
        (
            TicketRead::as_select(),
            customers::name.nullable(),
            customers::email.nullable(),
            customers::image_url.nullable(),
            categories::slug.nullable(),
            categories::name.nullable(),
            agents::name.nullable(),
            agents::email.nullable(),
        )
    };
}

/// The ticket view's first query: the ticket with its names.
macro_rules! ticket_query {
    ($ticket:expr, $customer:expr) => {
        summary_source!()
            .filter(tickets::tenant.eq(TENANT))
            .filter(tickets::id.eq($ticket))
            .filter(tickets::customer_id.eq($customer))
            .select(summary_columns!())
    };
}

/// The ticket view's second query: its public messages in order.
macro_rules! thread_query {
    ($ticket:expr) => {
        messages::table
            .filter(messages::tenant.eq(TENANT))
            .filter(messages::ticket_id.eq($ticket))
            .filter(messages::internal.eq(false))
            .order_by(messages::seq.asc())
            .select(MessageRead::as_select())
    };
}

/// The queue page. The page size is a literal, as the store writes it (`Paged`): a bound
/// LIMIT would make SQLite re-prepare the statement on every execution.
macro_rules! queue_query {
    () => {
        Paged {
            query: summary_source!()
                .filter(tickets::tenant.eq(TENANT))
                .filter(tickets::status.eq("open"))
                .select(summary_columns!())
                .order_by((tickets::created_at.desc(), tickets::id.desc())),
            limit: 20,
            offset: 0,
        }
    };
}

/// The queue's total as the service reads it: the per-status count rows of `open`.
macro_rules! total_query {
    () => {
        ticket_counts::table
            .filter(ticket_counts::tenant.eq(TENANT))
            .filter(ticket_counts::status.eq_any(["open"]))
            .select(ticket_counts::tickets)
    };
}

fn get(db: &mut Db, ticket: &str, customer: &str) -> Result<usize, BoxError> {
    // Not `first`: its bound `LIMIT 1` makes SQLite re-prepare the statement on every
    // execution (see `Paged` in the store), which would lower the floor.
    let summary: Option<SummaryRead> =
        on_backend!(db, |c| ticket_query!(ticket, customer).get_result::<SummaryRead>(c).optional())?;
    if summary.is_none() {
        return Err(format!("ticket {ticket} not found").into());
    }
    let thread: Vec<MessageRead> = on_backend!(db, |c| thread_query!(ticket).load::<MessageRead>(c))?;
    Ok(thread.len())
}

fn queue(db: &mut Db) -> Result<usize, BoxError> {
    let page: Vec<SummaryRead> = on_backend!(db, |c| queue_query!().load::<SummaryRead>(c))?;
    Ok(page.len())
}

/// The statements of `op` (`Get` or `Queue`) as PostgreSQL receives them from the floor,
/// each with its bind values in order, for the prepared floor (`floor_raw`). The ticket is
/// the first of the floor's `get` tickets.
///
/// # Errors
///
/// Another op.
pub fn statements(data: &Dataset, op: Op) -> Result<Vec<(String, Vec<String>)>, BoxError> {
    let ticket = id_text(data.ticket_id(data.get_ticket_number(0)));
    let customer = id_text(data.customers[data.get_customer(0)].id);
    let tenant = TENANT.to_owned();
    match op {
        Op::Get => Ok(vec![
            (pg_sql(&ticket_query!(&ticket, &customer)), vec![tenant.clone(), ticket.clone(), customer]),
            (pg_sql(&thread_query!(&ticket)), vec![tenant, ticket, "false".to_owned()]),
        ]),
        Op::Queue => Ok(vec![
            (pg_sql(&queue_query!()), vec![tenant.clone(), "open".to_owned()]),
            (pg_sql(&total_query!()), vec![tenant, "{open}".to_owned()]),
        ]),
        other => Err(format!("no prepared floor for {}", other.name()).into()),
    }
}

/// The service's capped count for lists filtered on more than status
/// (`crates/store-diesel/src/query.rs`): the page's filters on `tickets` alone, at most
/// 10,000 rows, `SELECT COUNT(*) FROM (… LIMIT 10000)`.
fn capped_count(db: &mut Db) -> Result<i64, BoxError> {
    let sql = "SELECT COUNT(*) AS n FROM (SELECT 1 FROM tickets \
        WHERE tickets.tenant = 'default' AND tickets.status = 'open' LIMIT 10000) AS capped";
    let count: Count = on_backend!(db, |c| diesel::sql_query(sql).get_result::<Count>(c))?;
    Ok(count.n)
}

fn open_total(db: &mut Db) -> Result<i64, BoxError> {
    let shards: Vec<i64> = on_backend!(db, |c| total_query!().load::<i64>(c))?;
    Ok(shards.iter().sum())
}

diesel::define_sql_function! {
    /// The tenant's next ticket number on PostgreSQL (the store's migration
    /// `ticket_number_sequences`).
    fn next_ticket_number(tenant: diesel::sql_types::Text) -> diesel::sql_types::Nullable<diesel::sql_types::BigInt>;
}

/// `group` creates in one transaction, each under its own savepoint when there are several:
/// on SQLite the service's writer commits the creates queued at once together (its group
/// commit), so the floor does too, as many as there are concurrent clients (at most the
/// writer's 64). Returns how many were written.
fn create(db: &mut Db, data: &Dataset, rng: &mut Rng, indexed: bool, group: usize) -> Result<u64, BoxError> {
    db.write_transaction(|db| {
        for _ in 0..group {
            if group > 1 {
                db.execute("SAVEPOINT unit")?;
            }
            create_rows(db, data, rng, indexed)?;
            if group > 1 {
                db.execute("RELEASE unit")?;
            }
        }
        Ok(u64::try_from(group).unwrap_or(u64::MAX))
    })
}

/// One ticket's rows, as the store writes them (`supportdesk_store_diesel::import`), inside
/// the caller's transaction; without its search row unless `indexed`.
fn create_rows(db: &mut Db, data: &Dataset, rng: &mut Rng, indexed: bool) -> Result<i64, BoxError> {
    // The store's numbering: the tenant's sequence on PostgreSQL, its counter row on
    // SQLite.
    let number: i64 = match db {
        Db::Pg(c) => diesel::select(next_ticket_number(TENANT))
            .get_result::<Option<i64>>(c)?
            .ok_or("the tenant has no ticket number sequence")?,
        Db::Sqlite(c) => diesel::update(tenants::table.filter(tenants::key.eq(TENANT)))
            .set(tenants::last_number.eq(tenants::last_number + 1))
            .returning(tenants::last_number)
            .get_result::<i64>(c)?,
    };
    let now = i64::try_from(time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000).unwrap_or(0);
    let rows = data.rows(&data.fresh(rng, now, u64::try_from(number)?)?)?;
    let mut batch = ImportBatch::default();
    batch.add_ticket(if indexed { rows } else { rows.without_search() });
    batch.insert(db.import())?;
    Ok(number)
}

/// The service's connection budget (`SUPPORTDESK_DB_POOL_SIZE`, default 8): the floor gets
/// the same, so it measures the database, not a different pool.
pub const POOL_SIZE: usize = 8;

/// The most writes the service's SQLite writer commits together (`group_commit::GROUP_LIMIT`).
const WRITER_GROUP_LIMIT: usize = 64;

/// Runs `op` for `duration` against `url` with as many workers as the service has
/// connections for it at this concurrency: `min(concurrency, 8)`, each with its own
/// connection, always busy (SQLite writes: one, its single writer).
///
/// # Errors
///
/// Connection failures; an operation's failure is counted, not returned.
pub fn run(url: &str, data: &Dataset, op: Op, concurrency: usize, duration: Duration) -> Result<Outcome, BoxError> {
    let probe = Db::open(url, Role::Reader)?;
    let backend = probe.backend();
    drop(probe);
    let (role, workers) = match (op, backend) {
        (Op::Create | Op::CreateWithoutSearch, Backend::Sqlite) => (Role::Writer, 1),
        (Op::Create | Op::CreateWithoutSearch, Backend::Postgres) => (Role::Writer, POOL_SIZE.min(concurrency)),
        _ => (Role::Reader, POOL_SIZE.min(concurrency)),
    };
    let group = match (op, backend) {
        (Op::Create | Op::CreateWithoutSearch, Backend::Sqlite) => concurrency.clamp(1, WRITER_GROUP_LIMIT),
        _ => 1,
    };
    let connections = (0..workers).map(|_| Db::open(url, role)).collect::<Result<Vec<_>, _>>()?;
    let gets: Vec<(String, String)> = (0..GET_TICKETS)
        .map(|g| (id_text(data.ticket_id(data.get_ticket_number(g))), id_text(data.customers[data.get_customer(g)].id)))
        .collect();
    let barrier = Barrier::new(workers);
    let results = std::thread::scope(|scope| {
        let handles: Vec<_> = connections
            .into_iter()
            .enumerate()
            .map(|(task, mut db)| {
                let (barrier, gets) = (&barrier, &gets);
                scope.spawn(move || -> Result<(Outcome, Instant, Instant), String> {
                    let mut rng = Rng::new(0xF100_u64 ^ task as u64);
                    let mut outcome = Outcome {
                        histogram: histogram().map_err(|e| e.to_string())?,
                        ok: 0,
                        errors: 0,
                        elapsed: Duration::ZERO,
                        samples: Vec::new(),
                    };
                    barrier.wait();
                    let start = Instant::now();
                    let end = start + duration;
                    let mut last = start;
                    while Instant::now() < end {
                        let began = Instant::now();
                        let result = once(&mut db, data, op, gets, &mut rng, group);
                        last = Instant::now();
                        let micros = u64::try_from(last.duration_since(began).as_micros()).unwrap_or(u64::MAX);
                        outcome.histogram.saturating_record(micros.max(1));
                        match result {
                            Ok(done) => outcome.ok += done,
                            Err(error) => {
                                outcome.errors += 1;
                                if outcome.samples.len() < 3 {
                                    outcome.samples.push(format!("{}: {error}", op.name()));
                                }
                            }
                        }
                    }
                    Ok((outcome, start, last))
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join()).collect::<Vec<_>>()
    });
    let mut total = Outcome { histogram: histogram()?, ok: 0, errors: 0, elapsed: Duration::ZERO, samples: Vec::new() };
    let mut first: Option<Instant> = None;
    let mut last: Option<Instant> = None;
    for result in results {
        let (outcome, start, end) = match result {
            Ok(Ok(done)) => done,
            Ok(Err(error)) => return Err(error.into()),
            Err(_) => return Err("a database floor thread panicked".into()),
        };
        total.histogram.add(&outcome.histogram)?;
        total.ok += outcome.ok;
        total.errors += outcome.errors;
        total.samples.extend(outcome.samples.into_iter().take(5usize.saturating_sub(total.samples.len())));
        first = Some(first.map_or(start, |f| f.min(start)));
        last = Some(last.map_or(end, |l| l.max(end)));
    }
    if let (Some(first), Some(last)) = (first, last) {
        total.elapsed = last.duration_since(first);
    }
    Ok(total)
}

/// One operation (for a SQLite create, one group of them); returns how many were done.
fn once(
    db: &mut Db,
    data: &Dataset,
    op: Op,
    gets: &[(String, String)],
    rng: &mut Rng,
    group: usize,
) -> Result<u64, BoxError> {
    match op {
        Op::Create | Op::CreateWithoutSearch => {
            return create(db, data, rng, op == Op::Create, group);
        }
        Op::Get => {
            let (ticket, customer) = &gets[rng.below(gets.len())];
            let found = get(db, ticket, customer)?;
            if found == 0 {
                return Err(format!("ticket {ticket} has no messages").into());
            }
        }
        Op::Queue => {
            queue(db)?;
            open_total(db)?;
        }
        Op::QueueWithCount => {
            if queue(db)? == 20 {
                capped_count(db)?;
            }
        }
    }
    Ok(1)
}
