//! [`TicketStore`]: tickets, their messages, their audit trail and idempotency records.
//!
//! The order of the statements in a create is deliberate (docs/storage.md):
//!
//! 1. the idempotency record, so a retry with the same key waits on its unique index and
//!    then fails as `IdempotencyKeyTaken` before doing anything else;
//! 2. the first message (its foreign key is deferred);
//! 3. the tenant's next number (on PostgreSQL from its sequence, which holds no lock to
//!    the commit; on SQLite from the tenant row's counter, which the one writer owns);
//! 4. the ticket itself, whose partial unique indexes refuse a customer a second unfinished
//!    ticket for an order or a delivery. The holder (the customer's own ticket) is looked up
//!    after the rollback;
//! 5. the events (they carry the ticket's number) and the tags.

use async_trait::async_trait;
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::Bool;
use diesel::upsert::excluded;
use supportdesk_app::{
    IdempotencyKey, IdempotencyRecord, Page, StoreError, StoreResult, TicketQuery, TicketStore, TicketSummary,
    TicketView, Visibility,
};
use supportdesk_domain::{
    AuditEvent, EventData, Message, MessageId, OpenedTicket, Status, TenantKey, Ticket, TicketChange, TicketId,
    TicketNumber, TicketRef,
};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::db::{on_backend, one_snapshot, write_transaction, DbConnection};
use crate::error::{unique_as, Failure};
use crate::query::{summary, summary_columns, summary_source, Filter, SummaryRow};
use crate::rows::{
    id_text, to_db_time, EventRow, IdempotencyRow, MessageRow, NewEventRow, NewMessageRow, NewTicketRow, TagRow,
    TicketChangeset, TicketRow,
};
use crate::schema::{
    breached_counts, events, idempotency_keys, messages, tenants, ticket_counts, ticket_tags, tickets, COUNT_BREACHED,
    COUNT_TICKETS,
};
use crate::search;
use crate::store::DieselStore;
use crate::tenants::insert_tenant_if_absent;

/// How often a write is tried again when a conflicting ticket vanished between the
/// violation and the lookup of its holder (it was resolved meanwhile).
const ATTEMPTS: usize = 3;

/// The unfinished statuses, written as SQL literals so PostgreSQL can prove that the query
/// implies the partial indexes' predicate (with bound parameters it cannot).
const UNFINISHED: &str = "status IN ('open', 'in_progress', 'answered')";

/// Runs `$query` (a query over `tickets`, alone or joined) once per way of naming a ticket,
/// each a static statement: Diesel prepares it once per connection and PostgreSQL can
/// reuse its plan, where a boxed query would be parsed and planned on every call (for the
/// joined view, planning costs several times the execution).
macro_rules! by_ref {
    ($tenant:expr, $ticket:expr, |$named:ident| $query:expr) => {
        match $ticket {
            TicketRef::Id(id) => {
                let $named = tickets::tenant.eq($tenant).and(tickets::id.eq(id_text(id.as_uuid())));
                $query
            }
            TicketRef::Number(number) => {
                let $named = tickets::tenant.eq($tenant).and(tickets::number.eq(number.get()));
                $query
            }
        }
    };
}

/// Claims an idempotency key: an expired record with the same key is replaced, a live one
/// refuses the claim.
fn claim(conn: &mut DbConnection, record: &IdempotencyRecord) -> Result<(), Failure> {
    let row = IdempotencyRow::from(record);
    let expired_before = to_db_time(record.created_at - IdempotencyRecord::LIFETIME);
    diesel::delete(
        idempotency_keys::table
            .filter(idempotency_keys::tenant.eq(&row.tenant))
            .filter(idempotency_keys::principal_id.eq(&row.principal_id))
            .filter(idempotency_keys::key.eq(&row.key))
            .filter(idempotency_keys::created_at.le(expired_before)),
    )
    .execute(conn)?;
    diesel::insert_into(idempotency_keys::table)
        .values(&row)
        .execute(conn)
        .map_err(|e| unique_as(e, || Failure::Store(StoreError::IdempotencyKeyTaken)))?;
    Ok(())
}

fn insert_message(conn: &mut DbConnection, tenant: &TenantKey, message: &Message) -> Result<(), Failure> {
    diesel::insert_into(messages::table).values(NewMessageRow::new(tenant, message)?).execute(conn)?;
    Ok(())
}

/// Writes the events with the ticket as the write left it (the feed shows that ticket).
fn insert_events(conn: &mut DbConnection, ticket: &Ticket, events: &[AuditEvent]) -> Result<(), Failure> {
    if events.is_empty() {
        return Ok(());
    }
    let rows = events.iter().map(|e| NewEventRow::new(ticket, e)).collect::<Result<Vec<_>, _>>()?;
    // One multi-row INSERT; MultiBackend has no batch insert, so it is compiled per backend.
    on_backend!(conn, |c| diesel::insert_into(events::table).values(&rows).execute(c))?;
    Ok(())
}

/// Replaces the ticket's rows in `ticket_tags`.
fn write_tags(conn: &mut DbConnection, ticket: &Ticket, replace: bool) -> Result<(), Failure> {
    if replace {
        diesel::delete(
            ticket_tags::table
                .filter(ticket_tags::tenant.eq(ticket.tenant.as_str()))
                .filter(ticket_tags::ticket_id.eq(id_text(ticket.id.as_uuid()))),
        )
        .execute(conn)?;
    }
    let rows = TagRow::of(ticket);
    if !rows.is_empty() {
        on_backend!(conn, |c| diesel::insert_into(ticket_tags::table).values(&rows).execute(c))?;
    }
    Ok(())
}

diesel::define_sql_function! {
    /// PostgreSQL: the next value of the tenant's number sequence, NULL when the tenant
    /// has none yet (migration `ticket_number_sequences`).
    fn next_ticket_number(tenant: diesel::sql_types::Text) -> diesel::sql_types::Nullable<diesel::sql_types::BigInt>;
}

/// The tenant's next ticket number.
///
/// On SQLite the tenant row's counter: one writer at a time, the row costs nothing more. On
/// PostgreSQL the tenant's sequence, which concurrent creates take without waiting on each
/// other (a counter row's lock would be held by each create until its commit); a number
/// taken by a create that then fails leaves a gap (docs/decisions.md). The counter's row
/// lock on SQLite is held to the commit anyway, so the statement's place does not matter
/// there; on PostgreSQL it runs last but one as before, for the insert's unique check.
fn next_number(conn: &mut DbConnection, tenant: &TenantKey) -> Result<TicketNumber, Failure> {
    let take = |conn: &mut DbConnection| match conn {
        DbConnection::Pg(c) => diesel::select(next_ticket_number(tenant.as_str())).get_result::<Option<i64>>(c),
        DbConnection::Sqlite(c) => diesel::update(tenants::table.filter(tenants::key.eq(tenant.as_str())))
            .set(tenants::last_number.eq(tenants::last_number + 1))
            .returning(tenants::last_number)
            .get_result::<i64>(c)
            .optional(),
    };
    let number = match take(conn)? {
        Some(number) => number,
        // A ticket for a tenant never set up: it gets its row (and on PostgreSQL, through
        // the row's trigger, its sequence); no categories: the caller chose a category that
        // exists somewhere already.
        None => {
            insert_tenant_if_absent(conn, tenant)?;
            take(conn)?.ok_or_else(|| Failure::Corrupt("the tenant has no ticket numbering".to_owned()))?
        }
    };
    Ok(TicketNumber::new(number)?)
}

/// A queue page that skips fewer rows than this is a short read (`DieselStore::quick_read`).
const SHORT_READ_OFFSET: u64 = 1_000;

/// How many rows each (tenant, status) count is spread over; the migration
/// `ticket_counts` fills them with the same modulo.
const COUNT_SHARDS: i64 = 8;

/// Adds `delta` to the tenant's count of tickets in `status`, in the ticket's shard.
fn add_to_count(conn: &mut DbConnection, ticket: &Ticket, status: Status, delta: i64) -> Result<(), Failure> {
    let row = (
        ticket_counts::tenant.eq(ticket.tenant.to_string()),
        ticket_counts::status.eq(status.as_str()),
        ticket_counts::shard.eq(i16::try_from(ticket.number.get() % COUNT_SHARDS).unwrap_or_default()),
        ticket_counts::tickets.eq(delta),
    );
    on_backend!(conn, |c| diesel::insert_into(ticket_counts::table)
        .values(row)
        .on_conflict((ticket_counts::tenant, ticket_counts::status, ticket_counts::shard))
        .do_update()
        .set(ticket_counts::tickets.eq(ticket_counts::tickets + excluded(ticket_counts::tickets)))
        .execute(c))?;
    Ok(())
}

/// Counts a status move: one fewer before, one more after. Like the count of a new ticket,
/// it runs as the write's last statement, so the count rows' locks are held only until the
/// commit; the two rows are taken in the order of their status names, so concurrent moves
/// never wait on each other in a cycle.
fn count_move(conn: &mut DbConnection, ticket: &Ticket, from: Status, to: Status) -> Result<(), Failure> {
    let mut deltas = [(from, -1), (to, 1)];
    deltas.sort_by_key(|(status, _)| status.as_str());
    for (status, delta) in deltas {
        add_to_count(conn, ticket, status, delta)?;
    }
    Ok(())
}

/// Which kept counts a total is read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Counted {
    /// Every ticket (`ticket_counts`).
    All,
    /// The breached ones (`breached_counts`, kept by triggers).
    Breached,
}

/// The tenant's number of tickets in `statuses` (every status when empty), from the
/// per-status counts: a sum over at most 8 rows a status.
fn counted_total(conn: &mut DbConnection, tenant: &str, statuses: &[Status], which: Counted) -> Result<u64, Failure> {
    let statuses: Vec<&str> =
        if statuses.is_empty() { Status::ALL } else { statuses }.iter().map(|s| s.as_str()).collect();
    let shards: Vec<i64> = match which {
        Counted::All => ticket_counts::table
            .filter(ticket_counts::tenant.eq(tenant))
            .filter(ticket_counts::status.eq_any(statuses))
            .select(ticket_counts::tickets)
            .load(conn)?,
        Counted::Breached => breached_counts::table
            .filter(breached_counts::tenant.eq(tenant))
            .filter(breached_counts::status.eq_any(statuses))
            .select(breached_counts::tickets)
            .load(conn)?,
    };
    Ok(u64::try_from(shards.iter().sum::<i64>()).unwrap_or(0))
}

impl DieselStore {
    /// Rebuilds the per-status ticket counts (which give the queues their exact totals)
    /// from the tickets. The service keeps them itself; run this after writing tickets
    /// into the database by other means (a bulk import). Concurrent writes wait for it.
    ///
    /// # Errors
    ///
    /// [`StoreError::Unavailable`].
    pub async fn recount_tickets(&self) -> Result<(), StoreError> {
        self.write(|conn| {
            write_transaction(conn, |conn| {
                // On SQLite the write transaction already excludes other writers.
                if let DbConnection::Pg(c) = conn {
                    diesel::sql_query("LOCK TABLE ticket_counts, breached_counts IN SHARE ROW EXCLUSIVE MODE")
                        .execute(c)?;
                }
                diesel::delete(ticket_counts::table).execute(conn)?;
                diesel::sql_query(COUNT_TICKETS).execute(conn)?;
                diesel::delete(breached_counts::table).execute(conn)?;
                diesel::sql_query(COUNT_BREACHED).execute(conn)?;
                Ok(())
            })
        })
        .await
    }
}

fn create(
    conn: &mut DbConnection,
    opened: &OpenedTicket,
    record: Option<&IdempotencyRecord>,
) -> Result<Ticket, Failure> {
    let tenant = opened.ticket.tenant().clone();
    if let Some(record) = record {
        claim(conn, record)?;
    }
    insert_message(conn, &tenant, &opened.message)?;
    let number = next_number(conn, &tenant)?;
    let ticket = opened.ticket.clone().into_ticket(number);
    diesel::insert_into(tickets::table)
        .values(NewTicketRow::from(&ticket))
        .execute(conn)
        .map_err(|e| unique_as(e, || Failure::UnfinishedTaken))?;
    // The events carry the ticket's number, known only now; one multi-row insert keeps
    // the counter's lock held for little longer than before.
    insert_events(conn, &ticket, &opened.events)?;
    write_tags(conn, &ticket, false)?;
    search::index_new_ticket(conn, &ticket, &opened.message)?;
    add_to_count(conn, &ticket, ticket.status, 1)?;
    Ok(ticket)
}

fn save(conn: &mut DbConnection, change: &TicketChange, record: Option<&IdempotencyRecord>) -> Result<(), Failure> {
    let ticket = &change.ticket;
    let (tenant, id) = (ticket.tenant.to_string(), id_text(ticket.id.as_uuid()));
    let this = tickets::table.filter(tickets::tenant.eq(&tenant)).filter(tickets::id.eq(&id));
    // The optimistic check: on PostgreSQL a concurrent update of the row makes this wait,
    // then re-read the row and find the version moved.
    let updated = diesel::update(this.filter(tickets::version.eq(change.expected_version)))
        .set(TicketChangeset::from(ticket))
        .execute(conn)
        .map_err(|e| unique_as(e, || Failure::UnfinishedTaken))?;
    if updated == 0 {
        let exists = diesel::select(diesel::dsl::exists(this)).get_result::<bool>(conn)?;
        return Err(Failure::Store(if exists { StoreError::VersionConflict } else { StoreError::NotFound }));
    }
    if let Some(record) = record {
        claim(conn, record)?;
    }
    if let Some(message) = &change.message {
        insert_message(conn, &ticket.tenant, message)?;
    }
    insert_events(conn, ticket, &change.events)?;
    // Only triage changes tags, and it says so in its event.
    let tags_changed = change.events.iter().any(|e| matches!(&e.data, EventData::Triaged { tags: Some(_), .. }));
    if tags_changed {
        write_tags(conn, ticket, true)?;
    }
    search::index_change(conn, change)?;
    if let Some((from, to)) = change.status_moved() {
        count_move(conn, ticket, from, to)?;
    }
    Ok(())
}

/// The unfinished ticket of the same customer, other than `except`, that holds the
/// ticket's order or delivery. Only the customer's own tickets are looked at: another
/// customer's never blocks (the unique indexes include the customer) and so is never named.
fn holder(conn: &mut DbConnection, ticket: &Ticket, except: Option<TicketId>) -> Result<Option<StoreError>, Failure> {
    let order = ticket.order_id.as_ref().map(ToString::to_string);
    let delivery = ticket.delivery_id.as_ref().map(ToString::to_string);
    let mut query = tickets::table
        .filter(tickets::tenant.eq(ticket.tenant.to_string()))
        .filter(tickets::customer_id.eq(id_text(ticket.customer_id.as_uuid())))
        .filter(sql::<Bool>(UNFINISHED))
        .into_boxed();
    query = match (order, delivery) {
        (Some(order), Some(delivery)) => {
            query.filter(tickets::order_id.eq(order).or(tickets::delivery_id.eq(delivery)))
        }
        (Some(order), None) => query.filter(tickets::order_id.eq(order)),
        (None, Some(delivery)) => query.filter(tickets::delivery_id.eq(delivery)),
        (None, None) => return Ok(None),
    };
    if let Some(except) = except {
        query = query.filter(tickets::id.ne(id_text(except.as_uuid())));
    }
    let found: Option<(String, i64)> = query.select((tickets::id, tickets::number)).first(conn).optional()?;
    found
        .map(|(id, number)| {
            Ok(StoreError::OpenTicketExists {
                existing_id: TicketId::from_uuid(Uuid::parse_str(&id)?),
                existing_number: TicketNumber::new(number)?,
            })
        })
        .transpose()
}

/// Runs a ticket write, turning a refused order or delivery into `OpenTicketExists` with
/// its holder, looked up after the rollback. If the holder finished in between, the write
/// is tried again.
fn with_holder_lookup<T>(
    conn: &mut DbConnection,
    ticket: &Ticket,
    except: Option<TicketId>,
    mut work: impl FnMut(&mut DbConnection) -> Result<T, Failure>,
) -> Result<T, Failure> {
    for _ in 0..ATTEMPTS {
        match write_transaction(conn, &mut work) {
            Err(Failure::UnfinishedTaken) => {
                if let Some(exists) = holder(conn, ticket, except)? {
                    return Err(Failure::Store(exists));
                }
            }
            other => return other,
        }
    }
    Err(Failure::Corrupt("a unique violation on tickets names no holder".to_owned()))
}

#[async_trait]
impl TicketStore for DieselStore {
    #[tracing::instrument(level = "debug", skip_all, fields(tenant = %opened.ticket.tenant(), ticket.id = %opened.ticket.id()))]
    async fn create_ticket(&self, opened: OpenedTicket, idempotency: Option<IdempotencyRecord>) -> StoreResult<Ticket> {
        self.write(move |conn| {
            // The holder lookup needs the ticket's order and delivery; the number is not
            // known yet and does not matter to it.
            let probe = opened.ticket.clone().into_ticket(TicketNumber::new(1)?);
            with_holder_lookup(conn, &probe, None, |conn| create(conn, &opened, idempotency.as_ref()))
        })
        .await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant = %change.ticket.tenant, ticket.id = %change.ticket.id))]
    async fn save_change(&self, change: &TicketChange, idempotency: Option<IdempotencyRecord>) -> StoreResult<()> {
        let change = change.clone();
        self.write(move |conn| {
            with_holder_lookup(conn, &change.ticket, Some(change.ticket.id), |conn| {
                save(conn, &change, idempotency.as_ref())
            })
        })
        .await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant = %tenant))]
    async fn load_ticket(&self, tenant: &TenantKey, ticket: TicketRef) -> StoreResult<Option<Ticket>> {
        let tenant = tenant.to_string();
        self.quick_read(move |conn| {
            let row = by_ref!(tenant, ticket, |named| tickets::table
                .filter(named)
                .select(TicketRow::as_select())
                .get_result(conn)
                .optional())?;
            row.map(Ticket::try_from).transpose()
        })
        .await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant = %tenant))]
    async fn ticket_view(
        &self,
        tenant: &TenantKey,
        ticket: TicketRef,
        visibility: Visibility,
    ) -> StoreResult<Option<TicketView>> {
        let tenant = tenant.to_string();
        self.quick_read(move |conn| {
            // Two queries, whatever the thread's length: the ticket with its names, then
            // its messages. Both run on the concrete connection (see `on_backend!`): through
            // `MultiConnection` every execution renders the statement's SQL again, even
            // when the prepared statement is cached, which cost more than the query.
            one_snapshot(conn, |conn| {
                on_backend!(conn, |c| {
                    let found: Option<SummaryRow> = match visibility.customer() {
                        None => by_ref!(tenant.clone(), ticket, |named| summary_source()
                            .filter(named)
                            .select(summary_columns())
                            .get_result(c)
                            .optional())?,
                        Some(customer) => {
                            let own = tickets::customer_id.eq(id_text(customer.as_uuid()));
                            by_ref!(tenant.clone(), ticket, |named| summary_source()
                                .filter(named.and(own))
                                .select(summary_columns())
                                .get_result(c)
                                .optional())?
                        }
                    };
                    let Some(row) = found else {
                        return Ok(None);
                    };
                    let summary = summary(row)?;
                    let thread = messages::table
                        .filter(messages::tenant.eq(tenant))
                        .filter(messages::ticket_id.eq(id_text(summary.ticket.id.as_uuid())))
                        .order_by(messages::seq.asc())
                        .select(MessageRow::as_select());
                    let rows: Vec<MessageRow> = if visibility.shows_internal_notes() {
                        thread.load(c)?
                    } else {
                        thread.filter(messages::internal.eq(false)).load(c)?
                    };
                    let messages = rows.into_iter().map(Message::try_from).collect::<Result<Vec<_>, _>>()?;
                    Ok(Some(TicketView { summary, messages }))
                })
            })
        })
        .await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant = %tenant))]
    async fn list_tickets(&self, tenant: &TenantKey, query: &TicketQuery) -> StoreResult<Page<TicketSummary>> {
        let mut filter = Filter::new(tenant, query);
        let request = query.page;
        // A queue (statuses alone, or with `sla_breached`) is totalled exactly from the kept
        // per-status counts; other filters are counted, up to the cap.
        let counted_statuses = match (query.status_only(), query.breached_status_only()) {
            (Some(statuses), _) => Some((statuses.to_vec(), Counted::All)),
            (None, Some(statuses)) => Some((statuses.to_vec(), Counted::Breached)),
            (None, None) => None,
        };
        // A queue of one status (or all) walks a few entries of its index, whatever the data:
        // a short read. Several statuses cannot be read in index order, so SQLite may walk
        // every ticket to find a page of rare ones: that read hops.
        let one_index = counted_statuses.as_ref().is_some_and(|(statuses, _)| statuses.len() <= 1);
        let short = one_index && query.page.offset() < SHORT_READ_OFFSET;
        let tenant = tenant.to_string();
        let text = query.text.clone();
        let staff = !query.customer_view;
        let work = move |conn: &mut DbConnection| {
            one_snapshot(conn, |conn| {
                filter.expand_prefixes(conn)?;
                let (mut items, counted) = filter.page(conn)?;
                if let Some(text) = &text {
                    search::add_matches(conn, &tenant, text, staff, &mut items)?;
                }
                Ok(match counted_statuses {
                    Some((statuses, which)) => {
                        let total = counted_total(conn, &tenant, &statuses, which)?;
                        Page::exact(items, request, total)
                    }
                    None => {
                        // A page past the end of a ranked search counts nothing itself.
                        let total = match counted {
                            Some(total) => total,
                            None => filter.total(items.len(), conn)?,
                        };
                        let mut page = Page::counted_up_to_cap(items, request, total);
                        page.total_is_capped |= filter.ranked_window_full(total, conn)?;
                        page
                    }
                })
            })
        };
        if short {
            self.quick_read(work).await
        } else {
            self.read(work).await
        }
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant = %tenant, message.id = %id))]
    async fn message(&self, tenant: &TenantKey, id: MessageId) -> StoreResult<Option<Message>> {
        let (tenant, id) = (tenant.to_string(), id_text(id.as_uuid()));
        self.quick_read(move |conn| {
            messages::table
                .filter(messages::tenant.eq(tenant))
                .filter(messages::id.eq(id))
                .select(MessageRow::as_select())
                .get_result(conn)
                .optional()?
                .map(Message::try_from)
                .transpose()
        })
        .await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant = %tenant, ticket.id = %ticket))]
    async fn events(&self, tenant: &TenantKey, ticket: TicketId) -> StoreResult<Vec<AuditEvent>> {
        let (tenant, ticket) = (tenant.to_string(), id_text(ticket.as_uuid()));
        self.quick_read(move |conn| {
            events::table
                .filter(events::tenant.eq(tenant))
                .filter(events::ticket_id.eq(ticket))
                .order_by(events::seq.asc())
                .select(EventRow::as_select())
                .load(conn)?
                .into_iter()
                .map(AuditEvent::try_from)
                .collect()
        })
        .await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant = %tenant))]
    async fn idempotency_record(
        &self,
        tenant: &TenantKey,
        principal_id: Uuid,
        key: &IdempotencyKey,
        not_before: OffsetDateTime,
    ) -> StoreResult<Option<IdempotencyRecord>> {
        let (tenant, principal, key) = (tenant.to_string(), id_text(principal_id), key.as_str().to_owned());
        let not_before = to_db_time(not_before);
        self.quick_read(move |conn| {
            idempotency_keys::table
                .filter(idempotency_keys::tenant.eq(tenant))
                .filter(idempotency_keys::principal_id.eq(principal))
                .filter(idempotency_keys::key.eq(key))
                .filter(idempotency_keys::created_at.ge(not_before))
                .select(IdempotencyRow::as_select())
                .get_result(conn)
                .optional()?
                .map(IdempotencyRecord::try_from)
                .transpose()
        })
        .await
    }
}
