//! Bulk loads that bypass the service: a migration from another help desk, the bench's
//! seeder. The rows are the store's own (the same encodings, the same search row, the same
//! word list), built from domain values, so that a loaded ticket reads back exactly as one
//! the service wrote; the loader decides the transactions and the order of the batches.
//!
//! Nothing here checks what the service checks (the one-unfinished rules hold through the
//! unique indexes, the rest is the caller's): build the histories with the domain's own
//! commands. After a load, rebuild the per-status counts (`COUNT_TICKETS`) and, on
//! PostgreSQL, move the tenant's number sequence past the highest number
//! (`docs/operations.md`).
//!
//! The imported audit events join the tenant's feed like any others: webhook endpoints and
//! mail notifications that follow the feed send them. Import into a tenant before it
//! subscribes endpoints and turns mail on, or expect the history to go out.

use diesel::prelude::*;
use diesel::{PgConnection, SqliteConnection};
use supportdesk_app::{SearchDocument, StoreError};
use supportdesk_domain::{Agent, AuditEvent, Category, Customer, Message, Ticket};

use crate::error::Failure;
use crate::rows::{AgentRow, CategoryRow, CustomerRow, NewEventRow, NewMessageRow, NewTicketRow, SearchRow, TagRow};
use crate::schema::{agents, categories, customers, events, messages, ticket_search, ticket_tags, tickets};
use crate::search::remember_words;

/// Rows per `INSERT` statement: tickets have 41 columns, 20,500 bound values, below
/// SQLite's 32,766 and PostgreSQL's 65,535.
const ROWS_PER_STATEMENT: usize = 500;

/// One ticket as the store keeps it: the ticket row, its thread, its audit trail (each
/// event with the ticket as given, the state the history ends in), its tags and its search
/// row.
///
/// ```
/// # use supportdesk_domain::*;
/// # use supportdesk_store_diesel::import::TicketRows;
/// # fn example(ticket: &Ticket, thread: &[Message], trail: &[AuditEvent]) -> Result<(), supportdesk_app::StoreError> {
/// let rows = TicketRows::new(ticket, thread, trail, "Alex Doe", Some("alex@example.com"))?;
/// # let _ = rows;
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct TicketRows {
    ticket: NewTicketRow,
    messages: Vec<NewMessageRow>,
    events: Vec<NewEventRow>,
    tags: Vec<TagRow>,
    search: Option<SearchRow>,
}

impl TicketRows {
    /// The rows of `ticket` with its whole `thread` and audit `trail`, its customer being
    /// called `customer_name` with `customer_email` (the search row holds both).
    ///
    /// # Errors
    ///
    /// [`StoreError::Unavailable`] when an event's data does not encode.
    pub fn new(
        ticket: &Ticket,
        thread: &[Message],
        trail: &[AuditEvent],
        customer_name: &str,
        customer_email: Option<&str>,
    ) -> Result<Self, StoreError> {
        let rows = || -> Result<Self, Failure> {
            Ok(Self {
                ticket: NewTicketRow::from(ticket),
                messages: thread.iter().map(|m| NewMessageRow::new(&ticket.tenant, m)).collect::<Result<_, _>>()?,
                events: trail.iter().map(|e| NewEventRow::new(ticket, e)).collect::<Result<_, _>>()?,
                tags: TagRow::of(ticket),
                search: Some(SearchRow::new(
                    ticket,
                    SearchDocument::new(ticket, thread, customer_name, customer_email),
                )),
            })
        };
        rows().map_err(Failure::into_store_error)
    }

    /// The same rows without the search row, as a store before full-text search wrote them
    /// (what the index costs a write is measured against this).
    #[must_use]
    pub fn without_search(mut self) -> Self {
        self.search = None;
        self
    }

    /// How many messages the ticket has.
    pub fn message_count(&self) -> usize {
        self.messages.len()
    }

    /// How many audit events it has.
    pub fn event_count(&self) -> usize {
        self.events.len()
    }
}

/// Rows to load together: the directory (customers, agents, categories) and tickets.
#[derive(Debug, Default)]
pub struct ImportBatch {
    customers: Vec<CustomerRow>,
    agents: Vec<AgentRow>,
    categories: Vec<CategoryRow>,
    tickets: Vec<NewTicketRow>,
    messages: Vec<NewMessageRow>,
    events: Vec<NewEventRow>,
    tags: Vec<TagRow>,
    search: Vec<SearchRow>,
}

/// A connection of either backend, for [`ImportBatch::insert`].
pub enum ImportConnection<'a> {
    /// SQLite.
    Sqlite(&'a mut SqliteConnection),
    /// PostgreSQL.
    Pg(&'a mut PgConnection),
}

/// Runs the same Diesel code on the concrete connection inside an [`ImportConnection`].
macro_rules! on_import {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            ImportConnection::Pg(inner) => {
                let $c: &mut PgConnection = &mut **inner;
                $body
            }
            ImportConnection::Sqlite(inner) => {
                let $c: &mut SqliteConnection = &mut **inner;
                $body
            }
        }
    };
}

/// Inserts `rows` into `$table` in statements of [`ROWS_PER_STATEMENT`] rows.
macro_rules! insert_chunks {
    ($conn:expr, $table:expr, $rows:expr) => {
        for chunk in $rows.chunks(ROWS_PER_STATEMENT) {
            on_import!(&mut *$conn, |c| diesel::insert_into($table).values(chunk).execute(c))?;
        }
    };
}

impl ImportBatch {
    /// Adds a customer.
    pub fn add_customer(&mut self, customer: &Customer) {
        self.customers.push(CustomerRow::from(customer));
    }

    /// Adds an agent.
    pub fn add_agent(&mut self, agent: &Agent) {
        self.agents.push(AgentRow::from(agent));
    }

    /// Adds a category.
    pub fn add_category(&mut self, category: &Category) {
        self.categories.push(CategoryRow::from(category));
    }

    /// Adds a ticket with its rows.
    pub fn add_ticket(&mut self, rows: TicketRows) {
        self.tickets.push(rows.ticket);
        self.messages.extend(rows.messages);
        self.events.extend(rows.events);
        self.tags.extend(rows.tags);
        self.search.extend(rows.search);
    }

    /// How many tickets it holds.
    pub fn ticket_count(&self) -> usize {
        self.tickets.len()
    }

    /// Writes the batch in the caller's transaction with multi-row `INSERT`s: the directory,
    /// the messages and events (their foreign keys to the ticket are deferred, checked at
    /// commit), the tickets, their tags and search rows; on SQLite the word list the store
    /// keeps beside its FTS5 index too.
    ///
    /// # Errors
    ///
    /// [`StoreError::Unavailable`] for any database error, a constraint violation included.
    pub fn insert(&self, mut conn: ImportConnection<'_>) -> Result<(), StoreError> {
        let mut write = || -> Result<(), Failure> {
            let conn = &mut conn;
            insert_chunks!(conn, customers::table, self.customers);
            insert_chunks!(conn, agents::table, self.agents);
            insert_chunks!(conn, categories::table, self.categories);
            insert_chunks!(conn, messages::table, self.messages);
            insert_chunks!(conn, events::table, self.events);
            insert_chunks!(conn, tickets::table, self.tickets);
            insert_chunks!(conn, ticket_tags::table, self.tags);
            insert_chunks!(conn, ticket_search::table, self.search);
            if let ImportConnection::Sqlite(c) = conn {
                remember_words(c, self.search.iter().flat_map(SearchRow::texts))?;
            }
            Ok(())
        };
        write().map_err(Failure::into_store_error)
    }

    /// Writes the batch on PostgreSQL with one binary `COPY` per table, in the order of
    /// [`ImportBatch::insert`]: several times faster for a large load.
    ///
    /// # Errors
    ///
    /// [`StoreError::Unavailable`] for any database error, a constraint violation included.
    pub fn copy(&self, conn: &mut PgConnection) -> Result<(), StoreError> {
        macro_rules! copy {
            ($table:expr, $rows:expr) => {
                if !$rows.is_empty() {
                    diesel::copy_from($table).from_insertable(&$rows).execute(conn)?;
                }
            };
        }
        let mut write = || -> Result<(), diesel::result::Error> {
            copy!(customers::table, self.customers);
            copy!(agents::table, self.agents);
            copy!(categories::table, self.categories);
            copy!(messages::table, self.messages);
            copy!(events::table, self.events);
            copy!(tickets::table, self.tickets);
            copy!(ticket_tags::table, self.tags);
            copy!(ticket_search::table, self.search);
            Ok(())
        };
        write().map_err(|e| Failure::from(e).into_store_error())
    }
}
