//! Full-text search: the `ticket_search` rows (one per ticket, its fields folded by the
//! service, written in the ticket's own write transaction), the `q` condition and the
//! relevance order on each backend (SQLite FTS5, PostgreSQL `tsvector`), the match info of
//! a page, and the rebuild for bulk imports. docs/storage.md ("Search") has the schema,
//! the plans and the reasons.

use std::collections::HashMap;

use diesel::backend::Backend;
use diesel::expression::{is_aggregate, ValidGrouping};
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::sql_types::{Bool, Double, Integer, Text};
use diesel::sqlite::Sqlite;
use supportdesk_app::{match_of, SearchDocument, SearchText, StoreError, TicketSummary};
use supportdesk_domain::search::SearchQuery;
use supportdesk_domain::{EventData, Message, TenantKey, Ticket, TicketChange};

use crate::db::{write_transaction, DbConnection};
use crate::error::Failure;
use crate::rows::{id_text, MessageRow, TicketRow};
use crate::schema::{customers, messages, ticket_search, tickets};
use crate::store::DieselStore;

diesel::define_sql_function! {
    /// `substr(text, start, length)`, the same on both backends (in characters).
    fn substr(text: Text, start: Integer, length: Integer) -> Text;
}

/// The most characters kept of one field, as an SQL integer.
fn max_field_chars() -> i32 {
    i32::try_from(SearchDocument::MAX_FIELD_CHARS).unwrap_or(i32::MAX)
}

/// `text` cut to [`SearchDocument::MAX_FIELD_CHARS`] characters.
fn capped(text: String) -> String {
    match text.char_indices().nth(SearchDocument::MAX_FIELD_CHARS) {
        Some((cut, _)) => text[..cut].to_owned(),
        None => text,
    }
}

/// The customer's name and email as stored, if the customer exists.
fn customer_of(conn: &mut DbConnection, tenant: &str, id: &str) -> Result<(String, Option<String>), Failure> {
    let found: Option<(String, Option<String>)> = customers::table
        .filter(customers::tenant.eq(tenant))
        .filter(customers::id.eq(id))
        .select((customers::name, customers::email))
        .get_result(conn)
        .optional()?;
    Ok(found.unwrap_or_default())
}

/// Writes the search row of a ticket from its document, replacing any.
fn write_document(conn: &mut DbConnection, ticket: &Ticket, document: SearchDocument) -> Result<(), Failure> {
    let (tenant, id) = (ticket.tenant.to_string(), id_text(ticket.id.as_uuid()));
    diesel::delete(
        ticket_search::table.filter(ticket_search::tenant.eq(&tenant)).filter(ticket_search::ticket_id.eq(&id)),
    )
    .execute(conn)?;
    diesel::insert_into(ticket_search::table)
        .values((
            ticket_search::tenant.eq(tenant),
            ticket_search::ticket_id.eq(id),
            ticket_search::subject.eq(capped(document.subject)),
            ticket_search::messages.eq(capped(document.public)),
            ticket_search::notes.eq(capped(document.notes)),
            ticket_search::customer.eq(capped(document.customer)),
            ticket_search::refs.eq(capped(document.refs)),
        ))
        .execute(conn)?;
    Ok(())
}

/// Indexes a new ticket with its first message (in the create's transaction).
pub(crate) fn index_new_ticket(conn: &mut DbConnection, ticket: &Ticket, first: &Message) -> Result<(), Failure> {
    let (name, email) = customer_of(conn, ticket.tenant.as_str(), &id_text(ticket.customer_id.as_uuid()))?;
    let document = SearchDocument::new(ticket, std::slice::from_ref(first), &name, email.as_deref());
    write_document(conn, ticket, document)
}

/// Adds what a change made searchable (its message, a new subject) to the ticket's row, in
/// the change's transaction.
pub(crate) fn index_change(conn: &mut DbConnection, change: &TicketChange) -> Result<(), Failure> {
    let ticket = &change.ticket;
    let (tenant, id) = (ticket.tenant.to_string(), id_text(ticket.id.as_uuid()));
    let row = || {
        ticket_search::table
            .filter(ticket_search::tenant.eq(tenant.clone()))
            .filter(ticket_search::ticket_id.eq(id.clone()))
    };
    if let Some(message) = &change.message {
        let mut added = SearchDocument::default();
        added.add_message(message);
        if message.internal {
            diesel::update(row())
                .set(ticket_search::notes.eq(substr(
                    ticket_search::notes.concat(" ").concat(added.notes),
                    1,
                    max_field_chars(),
                )))
                .execute(conn)?;
        } else {
            diesel::update(row())
                .set(ticket_search::messages.eq(substr(
                    ticket_search::messages.concat(" ").concat(added.public),
                    1,
                    max_field_chars(),
                )))
                .execute(conn)?;
        }
    }
    let subject_changed = change.events.iter().any(|e| matches!(&e.data, EventData::Triaged { subject: Some(_), .. }));
    if subject_changed {
        let subject = SearchDocument::new(ticket, &[], "", None).subject;
        diesel::update(row()).set(ticket_search::subject.eq(capped(subject))).execute(conn)?;
    }
    Ok(())
}

/// Rewrites the customer field of the customer's tickets (their name or email changed).
pub(crate) fn index_customer(
    conn: &mut DbConnection,
    tenant: &str,
    customer_id: &str,
    name: &str,
    email: Option<&str>,
) -> Result<(), Failure> {
    let theirs = tickets::table
        .filter(tickets::tenant.eq(tenant))
        .filter(tickets::customer_id.eq(customer_id))
        .select(tickets::id);
    diesel::update(
        ticket_search::table.filter(ticket_search::tenant.eq(tenant)).filter(ticket_search::ticket_id.eq_any(theirs)),
    )
    .set(ticket_search::customer.eq(capped(SearchDocument::customer_text(name, email))))
    .execute(conn)?;
    Ok(())
}

/// How many tickets a rebuild reads at a time.
const REINDEX_BATCH: i64 = 500;

/// Rebuilds every ticket's search row from the tickets, their messages and their customers
/// (in the caller's transaction); returns how many tickets were indexed.
pub(crate) fn reindex(conn: &mut DbConnection) -> Result<u64, Failure> {
    diesel::delete(ticket_search::table).execute(conn)?;
    let mut after: Option<(String, String)> = None;
    let mut indexed = 0;
    loop {
        let mut batch =
            tickets::table.select(TicketRow::as_select()).order_by((tickets::tenant, tickets::id)).into_boxed();
        if let Some((tenant, id)) = &after {
            batch = batch.filter(
                tickets::tenant
                    .gt(tenant.clone())
                    .or(tickets::tenant.eq(tenant.clone()).and(tickets::id.gt(id.clone()))),
            );
        }
        let rows: Vec<TicketRow> = batch.limit(REINDEX_BATCH).load(conn)?;
        let Some(last) = rows.last() else {
            return Ok(indexed);
        };
        after = Some((last.tenant.clone(), last.id.clone()));
        for row in rows {
            let ticket = Ticket::try_from(row)?;
            let (tenant, id) = (ticket.tenant.to_string(), id_text(ticket.id.as_uuid()));
            let thread: Vec<MessageRow> = messages::table
                .filter(messages::tenant.eq(&tenant))
                .filter(messages::ticket_id.eq(&id))
                .order_by(messages::seq.asc())
                .select(MessageRow::as_select())
                .load(conn)?;
            let thread = thread.into_iter().map(Message::try_from).collect::<Result<Vec<_>, _>>()?;
            let (name, email) = customer_of(conn, &tenant, &id_text(ticket.customer_id.as_uuid()))?;
            write_document(conn, &ticket, SearchDocument::new(&ticket, &thread, &name, email.as_deref()))?;
            indexed += 1;
        }
    }
}

impl DieselStore {
    /// Rebuilds the search index (`ticket_search` and, on SQLite, its FTS5 index) from the
    /// tickets, their messages and their customers; returns how many tickets it indexed.
    /// The service keeps the index itself; run this after writing tickets into the database
    /// by other means (a bulk import) and once after the migration that adds search.
    /// Writes wait for it (one transaction).
    ///
    /// # Errors
    ///
    /// [`StoreError::Unavailable`], or a stored ticket that no longer reads back.
    pub async fn reindex_search(&self) -> Result<u64, StoreError> {
        self.write(|conn| write_transaction(conn, reindex)).await
    }
}

/// How many matches a search on SQLite considers: the newest this many rows of the FTS
/// index that match (of every tenant; the tenant is filtered after). It bounds a common
/// word's cost (its page, count and ranks) to this many rows, whatever the data; a search
/// with more matches lists and ranks the newest of them (docs/storage.md, "Search").
pub(crate) const SQLITE_CANDIDATES: i64 = 10_000;

/// A `q` as each engine reads it, with the number it names and whose view it is.
#[derive(Debug, Clone)]
pub(crate) struct TextFilter {
    /// The tenant whose rows are searched.
    tenant: String,
    /// The FTS5 MATCH expression.
    fts5: String,
    /// The `to_tsquery('simple', ...)` text.
    tsquery: String,
    /// The ticket number `q` names, if any.
    number: Option<i64>,
}

impl TextFilter {
    pub(crate) fn new(tenant: &TenantKey, text: &SearchText, staff: bool) -> Self {
        Self {
            tenant: tenant.to_string(),
            fts5: fts5_query(text.query(), staff),
            tsquery: tsquery(text.query(), staff),
            number: text.number().map(|n| n.get()),
        }
    }

    /// The condition: the ticket's search row matches, or `q` is its number.
    pub(crate) fn condition(&self) -> TextCondition {
        TextCondition(self.clone())
    }

    /// The relevance, lower first (SQLite's bm25 is negative, PostgreSQL's rank is negated);
    /// 0 for a ticket found only by its number.
    pub(crate) fn rank(&self) -> TextRank {
        TextRank(self.clone())
    }
}

/// One term as FTS5 reads it: its words quoted as a phrase, `*` for a prefix.
fn fts5_term(words: &[String], prefix: bool) -> String {
    // The words hold only letters and digits; a quote would be doubled all the same.
    let phrase = words.join(" ").replace('"', "\"\"");
    if prefix {
        format!("\"{phrase}\"*")
    } else {
        format!("\"{phrase}\"")
    }
}

/// The FTS5 MATCH expression: `(a AND b) NOT c NOT d`, limited to the subject and the public
/// messages for a customer.
pub(crate) fn fts5_query(query: &SearchQuery, staff: bool) -> String {
    let wanted: Vec<String> = query.wanted().map(|t| fts5_term(t.words(), t.prefix())).collect();
    let mut expression = format!("({})", wanted.join(" AND "));
    for term in query.excluded() {
        expression = format!("{expression} NOT {}", fts5_term(term.words(), term.prefix()));
    }
    if staff {
        expression
    } else {
        format!("{{subject messages}} : ({expression})")
    }
}

/// One term as `to_tsquery` reads it: quoted words joined by `<->`, the last with `:*` for a
/// prefix, each limited to weights A and B (subject, public messages) for a customer.
fn ts_term(words: &[String], prefix: bool, staff: bool) -> String {
    let weights = if staff { "" } else { "AB" };
    let last = words.len().saturating_sub(1);
    let parts: Vec<String> = words
        .iter()
        .enumerate()
        .map(|(i, word)| {
            let star = if prefix && i == last { "*" } else { "" };
            let marks = if star.is_empty() && weights.is_empty() { String::new() } else { format!(":{star}{weights}") };
            format!("'{}'{marks}", word.replace('\'', "''").replace('\\', "\\\\"))
        })
        .collect();
    format!("({})", parts.join(" <-> "))
}

/// The `to_tsquery('simple', ...)` text: `a & b & !c`.
pub(crate) fn tsquery(query: &SearchQuery, staff: bool) -> String {
    let mut parts: Vec<String> = query.wanted().map(|t| ts_term(t.words(), t.prefix(), staff)).collect();
    parts.extend(query.excluded().map(|t| format!("!{}", ts_term(t.words(), t.prefix(), staff))));
    parts.join(" & ")
}

/// The `q` condition on `tickets` (see [`TextFilter::condition`]).
#[derive(Debug, Clone)]
pub(crate) struct TextCondition(TextFilter);

/// The relevance of a ticket for `q` (see [`TextFilter::rank`]).
#[derive(Debug, Clone)]
pub(crate) struct TextRank(TextFilter);

/// Implements the expression traits of a fragment over `tickets` with a given SQL type.
macro_rules! tickets_expression {
    ($name:ident, $sql_type:ty) => {
        impl Expression for $name {
            type SqlType = $sql_type;
        }

        impl<QS> SelectableExpression<QS> for $name {}

        impl<QS> AppearsOnTable<QS> for $name {}

        impl<GB> ValidGrouping<GB> for $name {
            type IsAggregate = is_aggregate::Never;
        }

        impl QueryId for $name {
            type QueryId = ();
            const HAS_STATIC_QUERY_ID: bool = false;
        }
    };
}

tickets_expression!(TextCondition, Bool);
tickets_expression!(TextRank, Double);

/// Writes `OR "tickets"."number" = ?` when `q` names a number.
fn or_number<'b, DB>(number: &'b Option<i64>, out: &mut AstPass<'_, 'b, DB>) -> QueryResult<()>
where
    DB: Backend + diesel::sql_types::HasSqlType<diesel::sql_types::BigInt>,
    i64: diesel::serialize::ToSql<diesel::sql_types::BigInt, DB>,
{
    if let Some(number) = number {
        out.push_sql(" OR \"tickets\".\"number\" = ");
        out.push_bind_param::<diesel::sql_types::BigInt, i64>(number)?;
    }
    Ok(())
}

impl QueryFragment<Sqlite> for TextCondition {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Sqlite>) -> QueryResult<()> {
        // The newest matching rows of the FTS index (at most SQLITE_CANDIDATES), then their
        // tickets of the tenant.
        out.push_sql("(\"tickets\".\"id\" IN (SELECT s.ticket_id FROM ticket_search s WHERE s.seq IN ");
        out.push_sql("(SELECT rowid FROM ticket_fts WHERE ticket_fts MATCH ");
        out.push_bind_param::<Text, String>(&self.0.fts5)?;
        out.push_sql(&format!(" ORDER BY rowid DESC LIMIT {SQLITE_CANDIDATES}"));
        out.push_sql(") AND s.tenant = ");
        out.push_bind_param::<Text, String>(&self.0.tenant)?;
        out.push_sql(")");
        or_number(&self.0.number, &mut out)?;
        out.push_sql(")");
        Ok(())
    }
}

impl QueryFragment<Pg> for TextCondition {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        // The GIN index finds the matching rows; the tenant filters them. The ticket a
        // number names joins the same list (a UNION inside the IN): written as
        // `… OR number = $n` beside the subquery, PostgreSQL scanned every ticket (400 ms
        // at 300,000 tickets).
        out.push_sql("(\"tickets\".\"id\" IN (SELECT s.ticket_id FROM ticket_search s WHERE s.tenant = ");
        out.push_bind_param::<Text, String>(&self.0.tenant)?;
        out.push_sql(" AND s.document @@ to_tsquery('simple', ");
        out.push_bind_param::<Text, String>(&self.0.tsquery)?;
        out.push_sql(")");
        if let Some(number) = &self.0.number {
            out.push_sql(" UNION ALL SELECT n.id FROM tickets n WHERE n.tenant = ");
            out.push_bind_param::<Text, String>(&self.0.tenant)?;
            out.push_sql(" AND n.number = ");
            out.push_bind_param::<diesel::sql_types::BigInt, i64>(number)?;
        }
        out.push_sql("))");
        Ok(())
    }
}

impl QueryFragment<Sqlite> for TextRank {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Sqlite>) -> QueryResult<()> {
        // bm25 of the ticket's row, weighted by field as `SearchDocument::WEIGHTS`; negative,
        // better first. The candidates' ranks come from one FTS5 cursor, which SQLite runs
        // once (a co-routine it indexes automatically): bm25 per row through a cursor of its
        // own would count the whole match for every row (its IDF), which at 100,000 matches
        // took seconds.
        out.push_sql("COALESCE((SELECT f.r FROM (SELECT rowid AS seq, bm25(ticket_fts, 1.0, 0.4, 0.2, 0.1, 0.1) AS r");
        out.push_sql(" FROM ticket_fts WHERE ticket_fts MATCH ");
        out.push_bind_param::<Text, String>(&self.0.fts5)?;
        out.push_sql(&format!(" ORDER BY rowid DESC LIMIT {SQLITE_CANDIDATES}) f"));
        out.push_sql(" WHERE f.seq = (SELECT s.seq FROM ticket_search s WHERE s.tenant = \"tickets\".\"tenant\"");
        out.push_sql(" AND s.ticket_id = \"tickets\".\"id\")), 0.0)");
        Ok(())
    }
}

impl QueryFragment<Pg> for TextRank {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        // ts_rank with its default weights {D 0.1, C 0.2, B 0.4, A 1.0}, negated so that
        // the better match sorts first in ascending order, as on SQLite.
        out.push_sql("COALESCE((SELECT -ts_rank(s.document, to_tsquery('simple', ");
        out.push_bind_param::<Text, String>(&self.0.tsquery)?;
        out.push_sql(")) FROM ticket_search s WHERE s.tenant = \"tickets\".\"tenant\"");
        out.push_sql(" AND s.ticket_id = \"tickets\".\"id\"), 0.0)::float8");
        Ok(())
    }
}

/// Sets each item's match info: one query for the page's messages (without the notes for a
/// customer), then the snippets in Rust, as every store makes them.
pub(crate) fn add_matches(
    conn: &mut DbConnection,
    tenant: &str,
    text: &SearchText,
    staff: bool,
    items: &mut [TicketSummary],
) -> Result<(), Failure> {
    if items.is_empty() {
        return Ok(());
    }
    let ids: Vec<String> = items.iter().map(|s| id_text(s.ticket.id.as_uuid())).collect();
    let mut thread = messages::table
        .filter(messages::tenant.eq(tenant))
        .filter(messages::ticket_id.eq_any(ids))
        .order_by(messages::seq.asc())
        .select(MessageRow::as_select())
        .into_boxed();
    if !staff {
        thread = thread.filter(messages::internal.eq(false));
    }
    let rows: Vec<MessageRow> = thread.load(conn)?;
    let mut threads: HashMap<String, Vec<Message>> = HashMap::new();
    for row in rows {
        let message = Message::try_from(row)?;
        threads.entry(id_text(message.ticket_id.as_uuid())).or_default().push(message);
    }
    for item in items {
        let thread = threads.get(&id_text(item.ticket.id.as_uuid())).map(Vec::as_slice).unwrap_or_default();
        item.search_match = match_of(text, item, thread, staff);
    }
    Ok(())
}

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;

    fn q(raw: &str) -> SearchQuery {
        SearchQuery::parse(raw).unwrap()
    }

    #[test]
    fn fts5_queries_quote_every_term_and_limit_customers_to_their_fields() {
        assert_eq!(
            fts5_query(&q(r#"Blue "Arrived Broken" -réfund"#), true),
            r#"("blue"* AND "arrived broken") NOT "refund"*"#
        );
        assert_eq!(fts5_query(&q("ORD-12"), false), r#"{subject messages} : (("ord 12"*))"#);
    }

    #[test]
    fn tsqueries_chain_phrases_and_limit_customers_to_weights_a_and_b() {
        assert_eq!(
            tsquery(&q(r#"blue "arrived broken" -refund"#), true),
            "('blue':*) & ('arrived' <-> 'broken') & !('refund':*)"
        );
        assert_eq!(tsquery(&q("ord-12"), false), "('ord':AB <-> '12':*AB)");
    }
}
