//! Reading tickets with their names: the joined source (tickets with their customer,
//! category and assignee), the list filters (the same for a page and its count), the
//! orders, and the capped count. Each list or view is a fixed number of queries, whatever
//! the size of the data: one for the tickets with their names, one for the count or the
//! thread.

use std::collections::HashMap;

use diesel::backend::Backend;
use diesel::dsl::{AsSelect, Nullable};
use diesel::prelude::*;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::{BigInt, Bool, Integer, SmallInt, Text, Timestamp};
use supportdesk_app::{
    AssigneeFilter, CategorySummary, Page, PersonSummary, SortKey, TicketQuery, TicketSort, TicketSummary,
};
use supportdesk_domain::{TenantKey, Ticket};

use crate::db::{on_backend, DbConnection, MultiBackend};
use crate::error::Failure;
use crate::rows::{id_text, TicketRow};
use crate::schema::{agents, categories, customers, ticket_tags, tickets};
use crate::search::{CountOver, RankedWindowPage, TenantIs, TextFilter};

/// Tickets with the rows that name their customer, category and assignee. Left joins: a
/// ticket whose customer or category row is missing still lists, with empty names (as the
/// memory store does).
#[diesel::dsl::auto_type]
pub(crate) fn summary_source() -> _ {
    tickets::table
        .left_join(
            customers::table.on(customers::tenant.eq(tickets::tenant).and(customers::id.eq(tickets::customer_id))),
        )
        .left_join(
            categories::table.on(categories::tenant.eq(tickets::tenant).and(categories::id.eq(tickets::category_id))),
        )
        .left_join(
            agents::table.on(agents::tenant.eq(tickets::tenant).and(agents::id.nullable().eq(tickets::assignee_id))),
        )
}

/// The columns of one list item, for the backend that runs the query.
pub(crate) type SummaryColumns<DB = MultiBackend> = (
    AsSelect<TicketRow, DB>,
    Nullable<customers::name>,
    Nullable<customers::email>,
    Nullable<customers::image_url>,
    Nullable<categories::slug>,
    Nullable<categories::name>,
    Nullable<agents::name>,
    Nullable<agents::email>,
);

/// One list item as read.
pub(crate) type SummaryRow = (
    TicketRow,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

pub(crate) fn summary_columns<DB>() -> SummaryColumns<DB>
where
    DB: Backend,
    TicketRow: Selectable<DB>,
{
    (
        TicketRow::as_select(),
        customers::name.nullable(),
        customers::email.nullable(),
        customers::image_url.nullable(),
        categories::slug.nullable(),
        categories::name.nullable(),
        agents::name.nullable(),
        agents::email.nullable(),
    )
}

/// A list item from its row.
pub(crate) fn summary(row: SummaryRow) -> Result<TicketSummary, Failure> {
    let (ticket, customer_name, customer_email, customer_image, category_slug, category_name, agent_name, agent_email) =
        row;
    let ticket = Ticket::try_from(ticket)?;
    let assignee = match (ticket.assignee_id, agent_name) {
        (Some(id), Some(name)) => Some(PersonSummary { id: id.as_uuid(), name, email: agent_email, image_url: None }),
        _ => None,
    };
    Ok(TicketSummary {
        customer: PersonSummary {
            id: ticket.customer_id.as_uuid(),
            name: customer_name.unwrap_or_default(),
            email: customer_email,
            image_url: customer_image,
        },
        category: CategorySummary {
            id: ticket.category_id,
            slug: category_slug.unwrap_or_default(),
            name: category_name.unwrap_or_default(),
        },
        assignee,
        ticket,
        search_match: None,
    })
}

/// How the tag filter is written: the best form differs for a page and for a count
/// (docs/storage.md has the measurements).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TagFilter {
    /// `EXISTS (SELECT 1 FROM ticket_tags WHERE ticket_id = tickets.id ...)`.
    Exists,
    /// `tickets.id IN (SELECT ticket_id FROM ticket_tags WHERE tag = ...)`.
    In,
}

/// Adds a [`Filter`]'s conditions to a boxed query over `tickets`, alone or joined: the
/// page and its count filter alike, from one definition.
macro_rules! filter_tickets {
    ($query:expr, $filter:expr, $tag:expr) => {{
        let filter: &Filter = $filter;
        let searched = filter.text.as_ref().is_some_and(|text| !text.tenant_indexed());
        let mut query = $query.filter(TenantIs::new(filter.tenant.clone(), searched));
        if let Some(customer) = &filter.customer_id {
            query = query.filter(tickets::customer_id.eq(customer.clone()));
        }
        match filter.statuses.as_slice() {
            [] => {}
            [status] => query = query.filter(tickets::status.eq(*status)),
            statuses => query = query.filter(tickets::status.eq_any(statuses.to_vec())),
        }
        if let Some(category) = &filter.category_id {
            query = query.filter(tickets::category_id.eq(category.clone()));
        }
        match filter.priorities.as_slice() {
            [] => {}
            [priority] => query = query.filter(tickets::priority.eq(*priority)),
            priorities => query = query.filter(tickets::priority.eq_any(priorities.to_vec())),
        }
        if let Some(source) = filter.source {
            query = query.filter(tickets::source.eq(source));
        }
        if let Some(delivery) = &filter.delivery_id {
            query = query.filter(tickets::delivery_id.eq(delivery.clone()));
        }
        if let Some(since) = filter.updated_since {
            query = if filter.customer_view {
                query.filter(tickets::public_updated_at.ge(since))
            } else {
                query.filter(tickets::updated_at.ge(since))
            };
        }
        if let Some(order) = &filter.order_id {
            query = query.filter(tickets::order_id.eq(order.clone()));
        }
        match &filter.assignee {
            None => {}
            Some(Some(agent)) => query = query.filter(tickets::assignee_id.eq(agent.clone())),
            Some(None) => query = query.filter(tickets::assignee_id.is_null()),
        }
        if let Some(tag) = &filter.tag {
            query = match $tag {
                // Walk the order's index and probe each ticket's tags: stops after a page.
                TagFilter::Exists => query.filter(diesel::dsl::exists(
                    ticket_tags::table
                        .filter(ticket_tags::tenant.eq(tickets::tenant))
                        .filter(ticket_tags::ticket_id.eq(tickets::id))
                        .filter(ticket_tags::tag.eq(tag.clone())),
                )),
                // Start from the tag's rows: a count visits every match anyway.
                TagFilter::In => {
                    let tagged = ticket_tags::table
                        .filter(ticket_tags::tenant.eq(filter.tenant.clone()))
                        .filter(ticket_tags::tag.eq(tag.clone()))
                        .select(ticket_tags::ticket_id);
                    query.filter(tickets::id.eq_any(tagged))
                }
            };
        }
        if filter.sla_breached {
            // Compared with the constant `TRUE`, not a bound value: PostgreSQL folds it into
            // the bare column and proves its partial indexes' `WHERE sla_breached`; SQLite
            // reads it as an equality on the second column of `tickets_sla_breached
            // (tenant, sla_breached, created_at, id)`, an index it then picks by its shape
            // alone (migration `20261208000001_breached_index`).
            query = query.filter(tickets::sla_breached.eq(diesel::dsl::sql::<Bool>("TRUE")));
        }
        if let Some(before) = filter.due_before {
            query = query.filter(tickets::sla_due_at.lt(before));
        }
        if let Some(text) = &filter.text {
            query = query.filter(text.condition());
        }
        query
    }};
}

/// A [`TicketQuery`]'s filters as owned SQL values, so the query can move to the blocking
/// thread and be applied twice (page and count).
#[derive(Debug, Clone)]
pub(crate) struct Filter {
    tenant: String,
    customer_id: Option<String>,
    statuses: Vec<&'static str>,
    category_id: Option<String>,
    priorities: Vec<i16>,
    delivery_id: Option<String>,
    updated_since: Option<time::PrimitiveDateTime>,
    source: Option<&'static str>,
    order_id: Option<String>,
    /// `Some(None)`: unassigned tickets only.
    assignee: Option<Option<String>>,
    tag: Option<String>,
    /// The full-text search (`q`), as each engine reads it.
    text: Option<TextFilter>,
    /// Only tickets with a recorded breach.
    sla_breached: bool,
    /// Only tickets whose `sla_due_at` is before this (never the "no due time" value).
    due_before: Option<time::PrimitiveDateTime>,
    sort: TicketSort,
    /// A customer's own list: activity sorts use the customer-visible activity time.
    customer_view: bool,
    /// A keyset page: only tickets after this sort value and id, in the order.
    after: Option<(KeyValue, String)>,
    limit: i64,
    offset: i64,
}

/// The sort value of a keyset position, as stored.
#[derive(Debug, Clone, Copy)]
pub(crate) enum KeyValue {
    /// A time column's value (`sla_due_at` holds [`crate::rows::NO_DUE_AT`] for none).
    Time(time::PrimitiveDateTime),
    /// The priority's rank.
    Rank(i16),
}

impl Filter {
    pub(crate) fn new(tenant: &TenantKey, query: &TicketQuery) -> Self {
        Self {
            tenant: tenant.to_string(),
            customer_id: query.customer_id.map(|id| id_text(id.as_uuid())),
            statuses: query.statuses.iter().map(|s| s.as_str()).collect(),
            category_id: query.category_id.map(|id| id_text(id.as_uuid())),
            priorities: query.priorities.iter().map(|p| p.rank()).collect(),
            delivery_id: query.delivery_id.as_ref().map(ToString::to_string),
            updated_since: query.updated_since.map(crate::rows::to_db_time),
            source: query.source.map(|s| s.as_str()),
            order_id: query.order_id.as_ref().map(ToString::to_string),
            assignee: query.assignee.map(|a| match a {
                AssigneeFilter::Agent(id) => Some(id_text(id.as_uuid())),
                AssigneeFilter::Unassigned => None,
            }),
            tag: query.tag.as_ref().map(ToString::to_string),
            text: query.text.as_ref().map(|q| {
                let ranked = query.sort == TicketSort::Relevance;
                TextFilter::new(tenant, q, !query.customer_view, ranked, query.customer_id.is_some())
            }),
            sla_breached: query.sla_breached,
            due_before: query.due_before.map(|at| crate::rows::to_db_time(at).min(crate::rows::NO_DUE_AT)),
            sort: query.sort,
            customer_view: query.customer_view,
            after: query.after.map(|after| {
                let value =
                    match after.key {
                        SortKey::At(at) => KeyValue::Time(crate::rows::to_db_time(at)),
                        SortKey::Priority(priority) => KeyValue::Rank(priority.rank()),
                        SortKey::Due(due) => KeyValue::Time(due.map_or(crate::rows::NO_DUE_AT, |at| {
                            crate::rows::to_db_time(at).min(crate::rows::NO_DUE_AT)
                        })),
                    };
                (value, id_text(after.id.as_uuid()))
            }),
            limit: i64::from(query.page.fetch()),
            offset: i64::try_from(query.page.offset()).unwrap_or(i64::MAX),
        }
    }

    /// One page of list items, in the query's order; ties break on the id, the same way;
    /// and for a search by relevance how many tickets pass the filters among its ranked
    /// matches (see [`Filter::ranked_page`]).
    ///
    /// The page and the count are built for the concrete connection (`on_backend!`): through
    /// `MultiConnection`, every execution renders the statement's SQL several times over (to
    /// look it up in the statement cache, to check that it may be cached, to collect its
    /// binds), which cost more than running it.
    pub(crate) fn page(&self, conn: &mut DbConnection) -> Result<(Vec<TicketSummary>, Option<u64>), Failure> {
        if let Some(text) = self.text.as_ref().filter(|text| text.window().is_some() && self.after.is_none()) {
            return self.ranked_page(text, conn);
        }
        let rows: Vec<SummaryRow> = on_backend!(conn, |c| {
            // The tickets of the tenant that pass every filter, with their names.
            let mut query = filter_tickets!(summary_source().into_boxed(), self, TagFilter::Exists);
            if let Some((value, id)) = &self.after {
                // The keyset condition: `(sort column, id)` past the cursor's, as a row value
                // that both planners read as a range of the order's index.
                let descending = self.descending();
                let id = id.clone().into_sql::<Text>();
                query = match (self.sort_column(), *value) {
                    (SortColumn::Time(column), KeyValue::Time(at)) => {
                        let at = at.into_sql::<Timestamp>();
                        match column {
                            TimeColumn::Created => query.filter(RowAfter::new(tickets::created_at, at, id, descending)),
                            TimeColumn::Activity => {
                                query.filter(RowAfter::new(tickets::last_activity_at, at, id, descending))
                            }
                            TimeColumn::PublicActivity => {
                                query.filter(RowAfter::new(tickets::public_last_activity_at, at, id, descending))
                            }
                            TimeColumn::Updated => query.filter(RowAfter::new(tickets::updated_at, at, id, descending)),
                            TimeColumn::PublicUpdated => {
                                query.filter(RowAfter::new(tickets::public_updated_at, at, id, descending))
                            }
                            TimeColumn::Due => query.filter(RowAfter::new(tickets::sla_due_at, at, id, descending)),
                        }
                    }
                    (SortColumn::Priority, KeyValue::Rank(rank)) => {
                        query.filter(RowAfter::new(tickets::priority, rank.into_sql::<SmallInt>(), id, descending))
                    }
                    // A position of another kind than the order's (the use case never makes
                    // one): nothing follows it.
                    _ => query.filter(diesel::dsl::sql::<Bool>("1 = 0")),
                };
            }
            let query = query.select(summary_columns());
            let query = match self.sort {
                // Best match first, then newest first.
                TicketSort::Relevance => match &self.text {
                    Some(text) => query.order_by((text.rank().asc(), tickets::created_at.desc(), tickets::id.desc())),
                    None => query.order_by((tickets::created_at.desc(), tickets::id.desc())),
                },
                TicketSort::CreatedAsc => query.order_by((tickets::created_at.asc(), tickets::id.asc())),
                TicketSort::CreatedDesc => query.order_by((tickets::created_at.desc(), tickets::id.desc())),
                // A customer's list orders by the activity they can see (internal notes do
                // not count), served by `tickets_customer_public_activity`.
                TicketSort::ActivityAsc if self.customer_view => {
                    query.order_by((tickets::public_last_activity_at.asc(), tickets::id.asc()))
                }
                TicketSort::ActivityDesc if self.customer_view => {
                    query.order_by((tickets::public_last_activity_at.desc(), tickets::id.desc()))
                }
                TicketSort::ActivityAsc => query.order_by((tickets::last_activity_at.asc(), tickets::id.asc())),
                TicketSort::ActivityDesc => query.order_by((tickets::last_activity_at.desc(), tickets::id.desc())),
                TicketSort::PriorityAsc => query.order_by((tickets::priority.asc(), tickets::id.asc())),
                TicketSort::PriorityDesc => query.order_by((tickets::priority.desc(), tickets::id.desc())),
                // A customer's list orders by the changes they can see; the staff's is
                // served by `tickets_updated (tenant, updated_at, id)`.
                TicketSort::UpdatedAsc if self.customer_view => {
                    query.order_by((tickets::public_updated_at.asc(), tickets::id.asc()))
                }
                TicketSort::UpdatedDesc if self.customer_view => {
                    query.order_by((tickets::public_updated_at.desc(), tickets::id.desc()))
                }
                TicketSort::UpdatedAsc => query.order_by((tickets::updated_at.asc(), tickets::id.asc())),
                TicketSort::UpdatedDesc => query.order_by((tickets::updated_at.desc(), tickets::id.desc())),
                // Served by `tickets_sla_due`; tickets without a due time hold the largest value.
                TicketSort::DueAsc => query.order_by((tickets::sla_due_at.asc(), tickets::id.asc())),
            };
            Paged { query, limit: self.limit, offset: self.offset }.load(c)
        })?;
        let items = rows.into_iter().map(summary).collect::<Result<_, _>>()?;
        Ok((items, None))
    }

    /// A page of a search by relevance, in two statements. First the page's ids, ranked
    /// among the window's matches that pass the filters, with how many pass (`COUNT(*) OVER
    /// ()`, where a separate count would find the window a second time): from `tickets`
    /// alone, so what is ranked, counted and sorted is an id, a time and a score per match.
    /// Then the page's tickets with their names. As one statement, PostgreSQL read, joined
    /// and sorted the whole row of every match in the window (1,000) for a page of 20: half
    /// of a common word's time at 1,000,000 tickets (docs/benchmarks.md).
    fn ranked_page(
        &self,
        text: &TextFilter,
        conn: &mut DbConnection,
    ) -> Result<(Vec<TicketSummary>, Option<u64>), Failure> {
        let window = RankedWindowPage::new(text, self.limit, self.offset).filter(|_| !self.narrowed());
        let ranked: Vec<(String, i64)> = match (&mut *conn, window) {
            // The search box's case, on PostgreSQL: no ticket row is needed to rank.
            (DbConnection::Pg(c), Some(window)) => window.load(c)?,
            (conn, _) => on_backend!(conn, |c| {
                let query = filter_tickets!(tickets::table.into_boxed(), self, TagFilter::Exists)
                    .select((tickets::id, CountOver))
                    .order_by((text.rank().asc(), tickets::created_at.desc(), tickets::id.desc()));
                Paged { query, limit: self.limit, offset: self.offset }.load(c)
            })?,
        };
        // A page past the end counts nothing itself.
        let Some(total) = ranked.first().map(|(_, total)| u64::try_from(*total).unwrap_or(0)) else {
            return Ok((Vec::new(), None));
        };
        let ids: Vec<String> = ranked.into_iter().map(|(id, _)| id).collect();
        let rows: Vec<SummaryRow> = on_backend!(conn, |c| summary_source()
            .filter(tickets::tenant.eq(self.tenant.clone()))
            .filter(tickets::id.eq_any(&ids))
            .select(summary_columns())
            .load(c))?;
        let mut by_id: HashMap<String, SummaryRow> = rows.into_iter().map(|row| (row.0.id.clone(), row)).collect();
        // In the rank's order (on PostgreSQL the two statements see two snapshots; tickets
        // are never deleted, so every id reads back).
        let items = ids.iter().filter_map(|id| by_id.remove(id)).map(summary).collect::<Result<_, _>>()?;
        Ok((items, Some(total)))
    }

    /// Whether the order runs from the largest value down.
    fn descending(&self) -> bool {
        !matches!(
            self.sort,
            TicketSort::CreatedAsc
                | TicketSort::ActivityAsc
                | TicketSort::PriorityAsc
                | TicketSort::UpdatedAsc
                | TicketSort::DueAsc
        )
    }

    /// The column the order (and so a keyset position) is on, besides the id.
    fn sort_column(&self) -> SortColumn {
        match self.sort {
            TicketSort::CreatedAsc | TicketSort::CreatedDesc | TicketSort::Relevance => {
                SortColumn::Time(TimeColumn::Created)
            }
            TicketSort::ActivityAsc | TicketSort::ActivityDesc if self.customer_view => {
                SortColumn::Time(TimeColumn::PublicActivity)
            }
            TicketSort::ActivityAsc | TicketSort::ActivityDesc => SortColumn::Time(TimeColumn::Activity),
            TicketSort::UpdatedAsc | TicketSort::UpdatedDesc if self.customer_view => {
                SortColumn::Time(TimeColumn::PublicUpdated)
            }
            TicketSort::UpdatedAsc | TicketSort::UpdatedDesc => SortColumn::Time(TimeColumn::Updated),
            TicketSort::PriorityAsc | TicketSort::PriorityDesc => SortColumn::Priority,
            TicketSort::DueAsc => SortColumn::Time(TimeColumn::Due),
        }
    }

    /// How many tickets match, counting at most [`Page::TOTAL_CAP`]: the count stops at the
    /// cap, so it costs at most that many index entries whatever the table's size.
    pub(crate) fn capped_count(&self, conn: &mut DbConnection) -> Result<u64, Failure> {
        let cap = i64::try_from(Page::<()>::TOTAL_CAP).unwrap_or(i64::MAX);
        let count: i64 = on_backend!(conn, |c| {
            // The same filters on `tickets` alone: without the joins PostgreSQL can count
            // with an index-only scan.
            let matching = filter_tickets!(tickets::table.into_boxed(), self, TagFilter::In);
            CappedCount { query: matching.select(One), cap }.get_result(c)
        })?;
        Ok(u64::try_from(count).unwrap_or(0))
    }

    /// Expands the search's prefixes (see [`TextFilter::expand_prefixes`]).
    pub(crate) fn expand_prefixes(&mut self, conn: &mut DbConnection) -> Result<(), Failure> {
        match &mut self.text {
            Some(text) => text.expand_prefixes(conn),
            None => Ok(()),
        }
    }

    /// Whether a search by relevance had more matches than it ranks (the newest
    /// [`crate::search::RANKED_MATCHES`] of the tenant, before the other filters), given the
    /// list's `total`: then the total is a lower bound. Counts only when other filters may
    /// have hidden some of the window.
    pub(crate) fn ranked_window_full(&self, total: u64, conn: &mut DbConnection) -> Result<bool, Failure> {
        let Some((text, window)) = self.text.as_ref().and_then(|t| t.window().map(|w| (t, w))) else {
            return Ok(false);
        };
        if total >= u64::try_from(window).unwrap_or(u64::MAX) || text.index_window_full(conn)? {
            return Ok(true);
        }
        if !self.narrowed() {
            return Ok(false);
        }
        let count: i64 = on_backend!(conn, |c| {
            let matching = tickets::table
                .filter(TenantIs::new(self.tenant.clone(), true))
                .filter(text.condition())
                .select(One)
                .into_boxed();
            CappedCount { query: matching, cap: window }.get_result(c)
        })?;
        Ok(count >= window)
    }

    /// Whether any filter but the tenant and the search applies.
    fn narrowed(&self) -> bool {
        self.customer_id.is_some()
            || !self.statuses.is_empty()
            || self.category_id.is_some()
            || !self.priorities.is_empty()
            || self.delivery_id.is_some()
            || self.updated_since.is_some()
            || self.source.is_some()
            || self.order_id.is_some()
            || self.assignee.is_some()
            || self.tag.is_some()
            || self.sla_breached
            || self.due_before.is_some()
    }

    /// The total for a page of `found` items, counted up to the cap: known without counting
    /// when the page is the last one (fewer items than asked, and not past the end).
    /// A keyset page counts: its total is the whole list's, not what follows the cursor.
    pub(crate) fn total(&self, found: usize, conn: &mut DbConnection) -> Result<u64, Failure> {
        let found = found as u64;
        let offset = u64::try_from(self.offset).unwrap_or(0);
        let last_page =
            self.after.is_none() && found < u64::try_from(self.limit).unwrap_or(0) && (found > 0 || offset == 0);
        Ok(if last_page { offset + found } else { self.capped_count(conn)? })
    }
}

/// Which column a ticket order sorts by.
#[derive(Debug, Clone, Copy)]
enum SortColumn {
    Time(TimeColumn),
    Priority,
}

/// The time columns the orders sort by.
#[derive(Debug, Clone, Copy)]
enum TimeColumn {
    Created,
    Activity,
    PublicActivity,
    Updated,
    PublicUpdated,
    Due,
}

/// `(<column>, tickets.id) > (?, ?)` (`<` for a descending order): the rows after a keyset
/// position. A row value, not `a > x OR (a = x AND id > y)`: both SQLite and PostgreSQL
/// read a row-value inequality as a range of an index on `(..., column, id)`, so a page deep
/// in the list starts where the position is, instead of filtering every row before it
/// (`docs/storage.md` has the plans).
#[derive(Debug, Clone)]
pub(crate) struct RowAfter<A, X, I> {
    column: A,
    value: X,
    id: I,
    descending: bool,
}

impl<A, X, I> RowAfter<A, X, I> {
    fn new(column: A, value: X, id: I, descending: bool) -> Self {
        Self { column, value, id, descending }
    }
}

impl<A, X, I> Expression for RowAfter<A, X, I> {
    type SqlType = Bool;
}

impl<A, X, I, QS> SelectableExpression<QS> for RowAfter<A, X, I> {}

impl<A, X, I, QS> AppearsOnTable<QS> for RowAfter<A, X, I> {}

impl<A, X, I, GB> diesel::expression::ValidGrouping<GB> for RowAfter<A, X, I> {
    type IsAggregate = diesel::expression::is_aggregate::Never;
}

impl<A, X, I> QueryId for RowAfter<A, X, I> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<A, X, I, DB> QueryFragment<DB> for RowAfter<A, X, I>
where
    DB: Backend,
    A: QueryFragment<DB>,
    X: QueryFragment<DB>,
    I: QueryFragment<DB>,
    tickets::id: QueryFragment<DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        out.push_sql("(");
        self.column.walk_ast(out.reborrow())?;
        out.push_sql(", ");
        tickets::id.walk_ast(out.reborrow())?;
        out.push_sql(if self.descending { ") < (" } else { ") > (" });
        self.value.walk_ast(out.reborrow())?;
        out.push_sql(", ");
        self.id.walk_ast(out.reborrow())?;
        out.push_sql(")");
        Ok(())
    }
}

/// `SELECT COUNT(*) FROM (<inner> LIMIT <cap>) AS capped`: counts the rows of a query, at
/// most `cap`. Diesel's DSL has no subquery in FROM, so this small fragment writes it. The cap
/// is written as a literal (see [`Paged`] for why a bound LIMIT costs a re-prepare on SQLite);
/// it is a constant, so the statement text stays the same from call to call.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CappedCount<Q> {
    pub(crate) query: Q,
    pub(crate) cap: i64,
}

impl<Q> QueryId for CappedCount<Q> {
    type QueryId = ();
    // The SQL depends on a value (the cap), not only on the type: never cache by type.
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Q> Query for CappedCount<Q> {
    type SqlType = BigInt;
}

impl<Q, DB> QueryFragment<DB> for CappedCount<Q>
where
    DB: Backend,
    Q: QueryFragment<DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        out.push_sql("SELECT COUNT(*) FROM (");
        self.query.walk_ast(out.reborrow())?;
        out.push_sql(&format!(" LIMIT {}", self.cap));
        out.push_sql(") AS capped");
        Ok(())
    }
}

impl<Q, Conn> RunQueryDsl<Conn> for CappedCount<Q> {}

/// The constant `1`, as a select list. Diesel's `sql("1")` would do, but a query holding
/// raw SQL is never kept in the prepared-statement cache: the count would be parsed and
/// planned on every call.
#[derive(Debug, Clone, Copy, QueryId)]
pub(crate) struct One;

impl Expression for One {
    type SqlType = Integer;
}

impl<QS> SelectableExpression<QS> for One {}

impl<QS> AppearsOnTable<QS> for One {}

impl<GB> diesel::expression::ValidGrouping<GB> for One {
    type IsAggregate = diesel::expression::is_aggregate::Never;
}

impl<DB: Backend> QueryFragment<DB> for One {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        out.push_sql("1");
        Ok(())
    }
}

/// `<query> LIMIT <limit> OFFSET ?`: a page of an ordered query, with the page size written
/// as a literal and the offset bound.
///
/// A bound `LIMIT ?` makes SQLite (3.47 and later) look at the bound value when it plans,
/// and mark the statement to be planned again whenever a new value is bound: every execution
/// of a cached statement then re-parses and re-plans it (`sqlite3Reprepare`), which cost
/// more than the query itself. A literal size keeps the plan SQLite chooses for that size
/// (the same plan as before) and lets the statement be cached and reused as it is; page
/// sizes are bounded (`PageRequest::MAX_SIZE`), so they add a bounded number of statements
/// to the cache. The offset is bound: SQLite does not re-plan on it.
#[derive(Debug, Clone, Copy)]
pub struct Paged<Q> {
    /// The ordered query.
    pub query: Q,
    /// The page size, written into the SQL.
    pub limit: i64,
    /// The rows skipped, bound.
    pub offset: i64,
}

impl<Q> QueryId for Paged<Q> {
    type QueryId = ();
    // The SQL depends on a value (the page size), not only on the type: never cache by type.
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Q: Query> Query for Paged<Q> {
    type SqlType = Q::SqlType;
}

impl<Q, DB> QueryFragment<DB> for Paged<Q>
where
    DB: Backend,
    Q: QueryFragment<DB>,
    i64: diesel::serialize::ToSql<BigInt, DB>,
    DB: diesel::sql_types::HasSqlType<BigInt>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        self.query.walk_ast(out.reborrow())?;
        out.push_sql(&format!(" LIMIT {} OFFSET ", self.limit));
        out.push_bind_param::<BigInt, i64>(&self.offset)?;
        Ok(())
    }
}

impl<Q, Conn> RunQueryDsl<Conn> for Paged<Q> {}
