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
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::{BigInt, Bool, Double, Integer, Text};
use diesel::sqlite::Sqlite;
use supportdesk_app::{match_of, SearchDocument, SearchText, StoreError, TicketSummary};
use supportdesk_domain::search::{SearchQuery, Term};
use supportdesk_domain::{EventData, Message, TenantKey, Ticket, TicketChange};

use crate::db::{write_transaction, DbConnection};
use crate::error::Failure;
use crate::query::Paged;
use crate::rows::{capped, id_text, MessageRow, SearchRow, TicketRow};
use crate::schema::{customers, messages, ticket_search, tickets};
use crate::store::DieselStore;

diesel::define_sql_function! {
    /// `substr(text, start, length)`, the same on both backends (in characters).
    fn substr(text: Text, start: Integer, length: Integer) -> Text;
}

diesel::define_sql_function! {
    /// `ltrim(text)`: the text without its leading spaces, the same on both backends.
    fn ltrim(text: Text) -> Text;
}

diesel::define_sql_function! {
    /// The natural logarithm: PostgreSQL's own; on SQLite (built without its math
    /// functions) registered on every connection by [`register_functions`].
    fn ln(x: Double) -> Double;
}

/// Registers on a SQLite connection the SQL functions the search's rank uses and SQLite
/// lacks (`ln`).
///
/// # Errors
///
/// SQLite refuses the registration.
pub(crate) fn register_functions(conn: &mut diesel::SqliteConnection) -> QueryResult<()> {
    ln_utils::register_impl(conn, |x: f64| x.ln())
}

diesel::table! {
    /// SQLite only (migration `20261209000000_search_words`): every word of the index.
    search_words (word) {
        word -> Text,
    }
}

/// How many words a prefix may stand for and still be searched as those words; a prefix
/// of more (a short one) is left to FTS5.
const MAX_PREFIX_WORDS: i64 = 32;

/// Records the words of `texts` (folded, space-separated) in `search_words`, on SQLite, in
/// the caller's transaction. PostgreSQL's GIN index needs no word list.
///
/// # Errors
///
/// Database errors.
pub(crate) fn remember_words<'a>(
    conn: &mut diesel::SqliteConnection,
    texts: impl IntoIterator<Item = &'a str>,
) -> QueryResult<()> {
    let mut words: Vec<&str> = texts.into_iter().flat_map(|t| t.split(' ')).filter(|w| !w.is_empty()).collect();
    if words.is_empty() {
        return Ok(());
    }
    words.sort_unstable();
    words.dedup();
    let list = serde_json::to_string(&words).map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))?;
    InsertWords(list).execute(conn)?;
    Ok(())
}

/// `INSERT OR IGNORE INTO search_words (word) SELECT value FROM json_each(?)`: a write's
/// words in one statement with one bind (a JSON array), so each connection prepares it
/// once. A multi-row `VALUES` list is another statement for every number of words, which
/// SQLite parsed and planned again on every create.
#[derive(Debug)]
struct InsertWords(String);

impl QueryId for InsertWords {
    type QueryId = InsertWords;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl QueryFragment<Sqlite> for InsertWords {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Sqlite>) -> QueryResult<()> {
        out.push_sql("INSERT OR IGNORE INTO search_words (word) SELECT value FROM json_each(");
        out.push_bind_param::<Text, String>(&self.0)?;
        out.push_sql(")");
        Ok(())
    }
}

impl RunQueryDsl<diesel::SqliteConnection> for InsertWords {}

/// [`remember_words`] on either backend's connection (a no-op on PostgreSQL).
fn remember(conn: &mut DbConnection, texts: &[&str]) -> Result<(), Failure> {
    if let DbConnection::Sqlite(c) = conn {
        remember_words(c, texts.iter().copied())?;
    }
    Ok(())
}

/// The most characters kept of one field, as an SQL integer.
fn max_field_chars() -> i32 {
    i32::try_from(SearchDocument::MAX_FIELD_CHARS).unwrap_or(i32::MAX)
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

/// Writes the search row of a ticket that has none from its document: one `INSERT` (a
/// `DELETE` first was one more round trip in every create on PostgreSQL). A rebuild
/// writes no row twice: it starts from an empty table that no one else writes until it
/// commits.
fn write_document(conn: &mut DbConnection, ticket: &Ticket, document: SearchDocument) -> Result<(), Failure> {
    // The words as stored: a field cut in the middle of a word holds the fragment, which a
    // prefix must expand to as FTS5 indexes it.
    let row = SearchRow::new(ticket, document);
    remember(conn, &row.texts())?;
    diesel::insert_into(ticket_search::table).values(&row).execute(conn)?;
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
        let words = if message.internal { added.notes } else { added.public };
        // A message without words (an emoji, an attachment alone) changes nothing; the
        // first words of a field are not preceded by a space: the field stays words joined
        // by single spaces, as `SearchDocument` joins them, which the rank counts on.
        if !words.is_empty() {
            remember(conn, &[&words])?;
            if message.internal {
                let notes = ltrim(ticket_search::notes.concat(" ").concat(words));
                diesel::update(row())
                    .set(ticket_search::notes.eq(substr(notes, 1, max_field_chars())))
                    .execute(conn)?;
            } else {
                let messages = ltrim(ticket_search::messages.concat(" ").concat(words));
                diesel::update(row())
                    .set(ticket_search::messages.eq(substr(messages, 1, max_field_chars())))
                    .execute(conn)?;
            }
        }
    }
    let subject_changed = change.events.iter().any(|e| matches!(&e.data, EventData::Triaged { subject: Some(_), .. }));
    if subject_changed {
        let subject = SearchDocument::new(ticket, &[], "", None).subject;
        remember(conn, &[&subject])?;
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
    let text = SearchDocument::customer_text(name, email);
    remember(conn, &[&text])?;
    diesel::update(
        ticket_search::table.filter(ticket_search::tenant.eq(tenant)).filter(ticket_search::ticket_id.eq_any(theirs)),
    )
    .set(ticket_search::customer.eq(capped(text)))
    .execute(conn)?;
    Ok(())
}

/// How many tickets a rebuild reads at a time.
const REINDEX_BATCH: i64 = 500;

/// Rebuilds every ticket's search row from the tickets, their messages and their customers
/// (in the caller's transaction); returns how many tickets were indexed.
///
/// Every write that touches the index waits until it commits. SQLite's one writer does that
/// by itself; on PostgreSQL the table lock does (`SHARE ROW EXCLUSIVE` lets reads through).
/// Without it, a reply during a rebuild lost its words: the rebuild had read the thread
/// before the reply committed, and the reply's `UPDATE` then found its row deleted by the
/// rebuild and the rebuild's new row outside its snapshot.
pub(crate) fn reindex(conn: &mut DbConnection) -> Result<u64, Failure> {
    if let DbConnection::Pg(c) = conn {
        diesel::sql_query("LOCK TABLE ticket_search IN SHARE ROW EXCLUSIVE MODE").execute(c)?;
    }
    diesel::delete(ticket_search::table).execute(conn)?;
    if let DbConnection::Sqlite(c) = conn {
        diesel::delete(search_words::table).execute(c)?;
    }
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

/// How many matches a search by relevance ranks: the newest this many of the tenant's
/// matching tickets (on SQLite the newest rows of the FTS index, of every tenant, the tenant
/// filtered after). It bounds a common word's cost (its ranks, its page, its count) whatever
/// the data; such a search's total says "at least" (`totalIsCapped`) and its pages reach the
/// best of those matches. A search with a `sort` has no such bound on PostgreSQL and walks
/// every match by cursor (docs/storage.md, "Search").
pub(crate) const RANKED_MATCHES: i64 = 1_000;

/// How many matches a sorted search considers on SQLite: the newest this many rows of the
/// FTS index that match.
pub(crate) const SQLITE_SORTED_MATCHES: i64 = 10_000;

/// One wanted term as the rank counts it: the text to find in a field with a space before
/// each word (`" arrived broken"`; a quoted phrase also ends with a space, so that its last
/// word matches whole), and its length in bytes.
#[derive(Debug, Clone)]
struct Needle {
    text: String,
    /// Its length in bytes, bound (as a double) rather than written into the SQL, so that
    /// the statement's text, its key in the prepared-statement cache, does not change with
    /// the words' lengths.
    bytes: f64,
}

/// A `q` as each engine reads it, with the number it names and whose view it is.
#[derive(Debug, Clone)]
pub(crate) struct TextFilter {
    /// The tenant whose rows are searched.
    tenant: String,
    /// The query.
    query: SearchQuery,
    /// The FTS5 MATCH expression.
    fts5: String,
    /// The `to_tsquery('simple', ...)` text.
    tsquery: String,
    /// The ticket number `q` names, if any.
    number: Option<i64>,
    /// The wanted terms, for the rank.
    needles: Vec<Needle>,
    /// Whether the caller is staff (every field) or a customer (subject, public messages).
    staff: bool,
    /// `Some(n)`: only the newest `n` matches of the tenant (a search by relevance).
    window: Option<i64>,
    /// The list is one customer's tickets: each ticket is tested on its own (see
    /// [`TextCondition`]), with no window, so their matches are never crowded out by other
    /// customers' newer ones.
    per_ticket: bool,
}

impl TextFilter {
    /// The search `text` of `tenant`, for staff or a customer; `ranked` when its results
    /// come by relevance; `one_customer` when the list is one customer's tickets.
    pub(crate) fn new(tenant: &TenantKey, text: &SearchText, staff: bool, ranked: bool, one_customer: bool) -> Self {
        let needles = text
            .query()
            .wanted()
            .map(|term| {
                let mut needle = format!(" {}", term.words().join(" "));
                if !term.prefix() {
                    needle.push(' ');
                }
                // At most 200 characters of query: exact as a double.
                let bytes = f64::from(u32::try_from(needle.len()).unwrap_or(u32::MAX).max(1));
                Needle { text: needle, bytes }
            })
            .collect();
        Self {
            tenant: tenant.to_string(),
            query: text.query().clone(),
            fts5: fts5_query(text.query(), staff, &HashMap::new()),
            tsquery: tsquery(text.query(), staff),
            number: text.number().map(|n| n.get()),
            needles,
            staff,
            window: if ranked && !one_customer { Some(RANKED_MATCHES) } else { None },
            per_ticket: one_customer,
        }
    }

    /// On SQLite, rewrites each prefix of four characters or more (shorter ones FTS5's
    /// prefix indexes serve) as the words of the index it starts, read from `search_words`:
    /// FTS5 streams words newest first and stops after the window, where a prefix query
    /// first merges every entry of every word it starts (30 ms for a word in 1,000,000
    /// tickets). A prefix of more than [`MAX_PREFIX_WORDS`] words stays a prefix.
    pub(crate) fn expand_prefixes(&mut self, conn: &mut DbConnection) -> Result<(), Failure> {
        let DbConnection::Sqlite(c) = conn else {
            return Ok(());
        };
        let mut words_of: HashMap<String, Vec<String>> = HashMap::new();
        for term in self.query.wanted().chain(self.query.excluded()) {
            let Some(last) = term.words().last() else { continue };
            if !term.prefix() || last.chars().count() < 4 || words_of.contains_key(last) {
                continue;
            }
            // Every word that starts with `last` sorts from `last` up to `last` followed by
            // the greatest character.
            let words = search_words::table
                .filter(search_words::word.ge(last.clone()))
                .filter(search_words::word.lt(format!("{last}\u{10FFFF}")))
                .order_by(search_words::word)
                .select(search_words::word);
            let found: Vec<String> = Paged { query: words, limit: MAX_PREFIX_WORDS + 1, offset: 0 }.load(c)?;
            if i64::try_from(found.len()).unwrap_or(i64::MAX) <= MAX_PREFIX_WORDS {
                words_of.insert(last.clone(), found);
            }
        }
        self.fts5 = fts5_query(&self.query, self.staff, &words_of);
        Ok(())
    }

    /// The condition: the ticket's search row matches, or `q` is its number.
    pub(crate) fn condition(&self) -> TextCondition {
        TextCondition(self.clone())
    }

    /// The relevance, lower first (the score negated); 0 for a ticket found only by its
    /// number.
    pub(crate) fn rank(&self) -> TextRank {
        TextRank(self.clone())
    }

    /// How many of the newest matches the search ranks, if it has a window.
    pub(crate) fn window(&self) -> Option<i64> {
        self.window
    }

    /// Whether the list's tenant filter may be served by an index: not when the search's
    /// own key lookups must drive the query (see [`TenantIs`]).
    pub(crate) fn tenant_indexed(&self) -> bool {
        self.per_ticket
    }

    /// On SQLite, whether the FTS index holds at least `window` matches of every tenant:
    /// the window is taken before the tenant is, so a tenant whose matches newer ones of
    /// other tenants crowded out sees fewer than the window, and its total is a lower bound
    /// all the same. PostgreSQL's window is the tenant's own.
    pub(crate) fn index_window_full(&self, conn: &mut DbConnection) -> Result<bool, Failure> {
        let (DbConnection::Sqlite(c), Some(window)) = (conn, self.window) else {
            return Ok(false);
        };
        #[derive(QueryableByName)]
        struct Found {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let found: Found = diesel::sql_query(format!(
            "SELECT COUNT(*) AS n FROM (SELECT rowid FROM ticket_fts WHERE ticket_fts MATCH ? LIMIT {window})"
        ))
        .bind::<Text, _>(&self.fts5)
        .get_result(c)?;
        Ok(found.n >= window)
    }
}

/// A phrase as FTS5 reads it: its words quoted.
fn fts5_phrase(words: &[&str]) -> String {
    // The words hold only letters and digits; a quote would be doubled all the same.
    format!("\"{}\"", words.join(" ").replace('"', "\"\""))
}

/// One term as FTS5 reads it: its words quoted as a phrase, `*` for a prefix; a prefix
/// whose words `words_of` lists becomes those phrases joined by `OR` (none: the exact
/// phrase, which no row holds either).
fn fts5_term(term: &Term, words_of: &HashMap<String, Vec<String>>) -> String {
    let words: Vec<&str> = term.words().iter().map(String::as_str).collect();
    let Some((last, before)) = words.split_last() else {
        return String::new();
    };
    if !term.prefix() {
        return fts5_phrase(&words);
    }
    match words_of.get(*last) {
        Some(expanded) if !expanded.is_empty() => {
            let phrases: Vec<String> = expanded
                .iter()
                .map(|word| {
                    let mut phrase = before.to_vec();
                    phrase.push(word);
                    fts5_phrase(&phrase)
                })
                .collect();
            format!("({})", phrases.join(" OR "))
        }
        Some(_) => fts5_phrase(&words),
        None => format!("{}*", fts5_phrase(&words)),
    }
}

/// The FTS5 MATCH expression: `(a AND b) NOT c NOT d`, limited to the subject and the public
/// messages for a customer; prefixes as `words_of` expands them.
pub(crate) fn fts5_query(query: &SearchQuery, staff: bool, words_of: &HashMap<String, Vec<String>>) -> String {
    let wanted: Vec<String> = query.wanted().map(|t| fts5_term(t, words_of)).collect();
    let mut expression = format!("({})", wanted.join(" AND "));
    for term in query.excluded() {
        expression = format!("{expression} NOT {}", fts5_term(term, words_of));
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

/// `COUNT(*) OVER ()`: every row the filters pass, before the page's `LIMIT` (a search's
/// page that counts itself).
#[derive(Debug, Clone, Copy)]
pub(crate) struct CountOver;

tickets_expression!(CountOver, BigInt);

impl<DB: Backend> QueryFragment<DB> for CountOver {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        out.push_sql("COUNT(*) OVER ()");
        Ok(())
    }
}

/// One customer's list (`TextFilter::per_ticket`): each of their tickets tested on its own
/// search row, `matches` writing the backend's test of the row `s`, or the ticket the
/// number names.
fn walk_one_customer<'b, DB>(
    filter: &'b TextFilter,
    out: &mut AstPass<'_, 'b, DB>,
    matches: impl FnOnce(&mut AstPass<'_, 'b, DB>) -> QueryResult<()>,
) -> QueryResult<()>
where
    DB: Backend + diesel::sql_types::HasSqlType<BigInt>,
    i64: diesel::serialize::ToSql<BigInt, DB>,
{
    out.push_sql("(EXISTS (SELECT 1 FROM ticket_search s WHERE s.tenant = \"tickets\".\"tenant\"");
    out.push_sql(" AND s.ticket_id = \"tickets\".\"id\" AND ");
    matches(out)?;
    out.push_sql(")");
    if let Some(number) = &filter.number {
        out.push_sql(" OR \"tickets\".\"number\" = ");
        out.push_bind_param::<BigInt, i64>(number)?;
    }
    out.push_sql(")");
    Ok(())
}

impl QueryFragment<Sqlite> for TextCondition {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Sqlite>) -> QueryResult<()> {
        // The newest matching rows of the FTS index, then their tickets of the tenant, each
        // looked up by its key: `(tenant, id) IN (…)` is the only condition on `tickets`
        // an index serves here (the list's tenant filter is `+tenant`, see [`TenantIs`]),
        // so SQLite cannot walk the tenant's tickets in the page's order probing the match
        // list (it did: 240 ms for a common word at 1,000,000 tickets). Likewise the search
        // row's tenant is `+s.tenant`, or SQLite walked the tenant's whole `(tenant,
        // ticket_id)` index instead of looking up each match by its rowid (43 ms vs 0.2 ms).
        if self.0.per_ticket {
            // One customer's tickets, walked by their own index, each tested against the
            // FTS index by its rowid (`MATCH ? AND rowid = ?`): a customer has few tickets,
            // and a window of the tenant's newest matches could hold none of theirs.
            return walk_one_customer(&self.0, &mut out, |out| {
                out.push_sql("EXISTS (SELECT 1 FROM ticket_fts WHERE ticket_fts MATCH ");
                out.push_bind_param::<Text, String>(&self.0.fts5)?;
                out.push_sql(" AND ticket_fts.rowid = s.seq)");
                Ok(())
            });
        }
        let limit = self.0.window.unwrap_or(SQLITE_SORTED_MATCHES);
        out.push_sql(
            "((\"tickets\".\"tenant\", \"tickets\".\"id\") IN (SELECT s.tenant, s.ticket_id FROM ticket_search s",
        );
        out.push_sql(" WHERE s.seq IN (SELECT rowid FROM ticket_fts WHERE ticket_fts MATCH ");
        out.push_bind_param::<Text, String>(&self.0.fts5)?;
        out.push_sql(&format!(" ORDER BY rowid DESC LIMIT {limit})"));
        out.push_sql(" AND +s.tenant = ");
        out.push_bind_param::<Text, String>(&self.0.tenant)?;
        out.push_sql(")");
        if let Some(number) = &self.0.number {
            out.push_sql(" OR (\"tickets\".\"tenant\" = ");
            out.push_bind_param::<Text, String>(&self.0.tenant)?;
            out.push_sql(" AND \"tickets\".\"number\" = ");
            out.push_bind_param::<diesel::sql_types::BigInt, i64>(number)?;
            out.push_sql(")");
        }
        out.push_sql(")");
        Ok(())
    }
}

/// A list's tenant filter, `"tickets"."tenant" = ?`. With a search on SQLite it is written
/// `+"tickets"."tenant" = ?`, which no index serves, so that the search's own key lookups
/// drive the query (see [`TextCondition`]); SQLite, with no statistics, takes an equality
/// on an index's first column for about ten rows and would rather walk the tenant's tickets.
#[derive(Debug, Clone)]
pub(crate) struct TenantIs {
    tenant: String,
    searched: bool,
}

impl TenantIs {
    /// The filter on `tenant`'s tickets; `searched` when the list has a `q` whose key
    /// lookups drive the query.
    pub(crate) fn new(tenant: String, searched: bool) -> Self {
        Self { tenant, searched }
    }
}

tickets_expression!(TenantIs, Bool);

impl QueryFragment<Sqlite> for TenantIs {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Sqlite>) -> QueryResult<()> {
        out.push_sql(if self.searched { "+\"tickets\".\"tenant\" = " } else { "\"tickets\".\"tenant\" = " });
        out.push_bind_param::<Text, String>(&self.tenant)
    }
}

impl QueryFragment<Pg> for TenantIs {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_sql("\"tickets\".\"tenant\" = ");
        out.push_bind_param::<Text, String>(&self.tenant)
    }
}

impl QueryFragment<Pg> for TextCondition {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        // By relevance: the newest matching tickets, a semi-join PostgreSQL runs either way
        // round: from the GIN index (a rare word: a few matches, sorted) or along
        // `tickets_created` probing each ticket's search row (a common word: stops after
        // the window). The window is an array, `id = ANY (ARRAY(…))`, computed once and
        // looked up by key: as `id IN (…)` the planner sometimes hashed it and scanned
        // every ticket of the tenant to join (258 ms for a common word at 100,000 tickets).
        // Sorted: every match, from the GIN index. The ticket a number names joins the same
        // list (a UNION): written as `… OR number = $n` beside the subquery, PostgreSQL
        // scanned every ticket (400 ms at 300,000 tickets).
        if self.0.per_ticket {
            // One customer's tickets, each probed by its search row's key.
            return walk_one_customer(&self.0, &mut out, |out| {
                out.push_sql("s.document @@ to_tsquery('simple', ");
                out.push_bind_param::<Text, String>(&self.0.tsquery)?;
                out.push_sql(")");
                Ok(())
            });
        }
        // Planned for its words every time (see [`RankedWindowPage`]).
        out.unsafe_to_cache_prepared();
        match self.0.window {
            Some(limit) => {
                out.push_sql("(\"tickets\".\"id\" = ANY (ARRAY(");
                walk_pg_window(&self.0, limit, "id", "UNION ALL", &mut out)?;
                out.push_sql(")))");
            }
            None => {
                out.push_sql("(\"tickets\".\"id\" IN (SELECT s.ticket_id FROM ticket_search s WHERE s.tenant = ");
                out.push_bind_param::<Text, String>(&self.0.tenant)?;
                out.push_sql(" AND s.document @@ to_tsquery('simple', ");
                out.push_bind_param::<Text, String>(&self.0.tsquery)?;
                out.push_sql(")");
                if let Some(number) = &self.0.number {
                    out.push_sql(" UNION ALL SELECT n.id FROM tickets n WHERE n.tenant = ");
                    out.push_bind_param::<Text, String>(&self.0.tenant)?;
                    out.push_sql(" AND n.number = ");
                    out.push_bind_param::<BigInt, i64>(number)?;
                }
                out.push_sql("))");
            }
        }
        Ok(())
    }
}

/// PostgreSQL: a search's window, the newest `limit` matching tickets of the tenant, and
/// the ticket its number names, as `(SELECT w.{columns} … LIMIT n) {union} SELECT
/// n.{columns} …`.
fn walk_pg_window<'b>(
    filter: &'b TextFilter,
    limit: i64,
    columns: &str,
    union: &str,
    out: &mut AstPass<'_, 'b, Pg>,
) -> QueryResult<()> {
    let aliased = |alias: &str| columns.split(", ").map(|c| format!("{alias}.{c}")).collect::<Vec<_>>().join(", ");
    out.push_sql(&format!("(SELECT {} FROM tickets w WHERE w.tenant = ", aliased("w")));
    out.push_bind_param::<Text, String>(&filter.tenant)?;
    out.push_sql(" AND EXISTS (SELECT 1 FROM ticket_search s WHERE s.tenant = w.tenant");
    out.push_sql(" AND s.ticket_id = w.id AND s.document @@ to_tsquery('simple', ");
    out.push_bind_param::<Text, String>(&filter.tsquery)?;
    out.push_sql(&format!(")) ORDER BY w.created_at DESC, w.id DESC LIMIT {limit})"));
    if let Some(number) = &filter.number {
        out.push_sql(&format!(" {union} SELECT {} FROM tickets n WHERE n.tenant = ", aliased("n")));
        out.push_bind_param::<Text, String>(&filter.tenant)?;
        out.push_sql(" AND n.number = ");
        out.push_bind_param::<BigInt, i64>(number)?;
    }
    Ok(())
}

/// PostgreSQL: one page of a search by relevance with no filter but the tenant, as ids,
/// best first, each with how many tickets the window holds (`COUNT(*) OVER ()`). The rank
/// reads only the window's ids and times (from `tickets_created`) and each match's search
/// row: no ticket row is read, nothing is joined. Ranking the window as a condition on
/// `tickets` read, joined and sorted 1,000 whole tickets for a page of 20, half of a common
/// word's time at 1,000,000 tickets (docs/benchmarks.md).
#[derive(Debug, Clone)]
pub(crate) struct RankedWindowPage<'a> {
    filter: &'a TextFilter,
    window: i64,
    limit: i64,
    offset: i64,
}

impl<'a> RankedWindowPage<'a> {
    /// The page of `limit` ids after `offset` of the ranked window of `filter` (`None` when
    /// the filter has no window).
    pub(crate) fn new(filter: &'a TextFilter, limit: i64, offset: i64) -> Option<Self> {
        Some(Self { filter, window: filter.window?, limit, offset })
    }
}

impl QueryId for RankedWindowPage<'_> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl Query for RankedWindowPage<'_> {
    type SqlType = (Text, BigInt);
}

impl QueryFragment<Pg> for RankedWindowPage<'_> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        // Never a cached prepared statement: its plan depends on the word (a rare one from
        // the GIN index, a common one along `tickets_created`), and after five executions
        // PostgreSQL may keep a generic plan made without the word. At 10,000 tickets it did:
        // it estimated 50 matches, read all 7,332 of `parcel` from the GIN index and sorted
        // them (`make bench`'s common word p50 17.8 ms, 9.0 ms planned for the word). Unnamed,
        // it is planned with its values every time, as it was anyway at 1,000,000 tickets
        // (1.3 to 2.4 ms); a rare word's search costs that planning (p50 1.1 to 1.4 ms).
        out.unsafe_to_cache_prepared();
        out.push_sql("SELECT m.id, COUNT(*) OVER () FROM (");
        walk_pg_window(self.filter, self.window, "tenant, id, created_at", "UNION", &mut out)?;
        out.push_sql(") m ORDER BY ");
        walk_rank(self.filter, pg_float, "m", &mut out)?;
        out.push_sql(&format!(" ASC, m.created_at DESC, m.id DESC LIMIT {} OFFSET ", self.limit));
        out.push_bind_param::<BigInt, i64>(&self.offset)
    }
}

impl RunQueryDsl<diesel::PgConnection> for RankedWindowPage<'_> {}

/// The fields a caller searches, with their weights (as `SearchDocument`'s).
const RANKED_FIELDS: [(&str, f64); 5] =
    [("subject", 1.0), ("messages", 0.4), ("notes", 0.2), ("customer", 0.1), ("refs", 0.1)];

/// Writes the rank, the same SQL on both backends and the same score as
/// `SearchDocument::score` (the memory store's): for each wanted term and each field the
/// caller may search, `weight × occurrences / (1 + ln(1 + words in the field))`, negated.
/// Occurrences are counted in the stored folded text (words joined by single spaces) as
/// the times the term's needle (`" word"`, `" a phrase "`) occurs in `" " || field || " "`,
/// by the bytes `replace` takes out; words as the spaces plus one. It reads only the
/// ticket's own search row, so it costs the same for a common word as for a rare one
/// (FTS5's bm25 counted every match of a word for its IDF: 18 ms for a word in 1,000,000
/// tickets). `float` writes a number as a double on the backend (PostgreSQL would
/// otherwise compute in `numeric`, four times slower); `ticket` names the row ranked (its
/// `tenant` and `id`).
fn walk_rank<'b, DB>(
    filter: &'b TextFilter,
    float: fn(f64) -> String,
    ticket: &str,
    out: &mut AstPass<'_, 'b, DB>,
) -> QueryResult<()>
where
    DB: Backend + diesel::sql_types::HasSqlType<Text> + diesel::sql_types::HasSqlType<Double>,
    String: diesel::serialize::ToSql<Text, DB>,
    f64: diesel::serialize::ToSql<Double, DB>,
{
    let fields = if filter.staff { &RANKED_FIELDS[..] } else { &RANKED_FIELDS[..2] };
    out.push_sql(&format!("COALESCE((SELECT {}", float(0.0)));
    for needle in &filter.needles {
        for (column, weight) in fields {
            // `octet_length(' ' || field || ' ')` is the field's length plus 2.
            out.push_sql(&format!(
                " - {} * (2 + octet_length(s.{column}) - octet_length(replace(' ' || s.{column} || ' ', ",
                float(*weight)
            ));
            out.push_bind_param::<Text, String>(&needle.text)?;
            out.push_sql(", ''))) / ");
            out.push_bind_param::<Double, f64>(&needle.bytes)?;
            out.push_sql(&format!(
                " / ({} + ln({} + octet_length(s.{column}) - octet_length(replace(s.{column}, ' ', ''))))",
                float(1.0),
                float(2.0)
            ));
        }
    }
    out.push_sql(&format!(
        " FROM ticket_search s WHERE s.tenant = {ticket}.tenant AND s.ticket_id = {ticket}.id), {})",
        float(0.0)
    ));
    Ok(())
}

impl QueryFragment<Sqlite> for TextRank {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Sqlite>) -> QueryResult<()> {
        walk_rank(&self.0, |x| format!("{x:?}"), "\"tickets\"", &mut out)
    }
}

impl QueryFragment<Pg> for TextRank {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        walk_rank(&self.0, pg_float, "\"tickets\"", &mut out)
    }
}

/// A number as a PostgreSQL double.
fn pg_float(x: f64) -> String {
    format!("{x:?}::float8")
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
        let none = HashMap::new();
        assert_eq!(
            fts5_query(&q(r#"Blue "Arrived Broken" -réfund"#), true, &none),
            r#"("blue"* AND "arrived broken") NOT "refund"*"#
        );
        assert_eq!(fts5_query(&q("ORD-12"), false, &none), r#"{subject messages} : (("ord 12"*))"#);
    }

    /// The SQL of `fragment` on both backends, without its binds.
    fn statement_texts<F: QueryFragment<Sqlite> + QueryFragment<Pg>>(fragment: &F) -> (String, String) {
        let without_binds = |text: String| text.split(" -- binds: ").next().unwrap_or_default().to_owned();
        (
            without_binds(diesel::debug_query::<Sqlite, _>(fragment).to_string()),
            without_binds(diesel::debug_query::<Pg, _>(fragment).to_string()),
        )
    }

    #[test]
    fn a_search_statement_is_the_same_whatever_its_words() {
        // Each connection keeps one prepared statement per SQL text, with no bound: a text
        // that changed with the words searched would grow it with every new query.
        let filter = |raw: &str| {
            let text = SearchText::parse(raw).unwrap();
            TextFilter::new(&TenantKey::default(), &text, true, true, false)
        };
        let (short, long) = (filter("kettle broken"), filter(r#"a "parcel never arrived""#));
        assert_eq!(statement_texts(&TextRank(short.clone())), statement_texts(&TextRank(long.clone())));
        assert_eq!(statement_texts(&TextCondition(short)), statement_texts(&TextCondition(long)));
    }

    #[test]
    fn fts5_queries_search_an_expanded_prefix_as_its_words() {
        let words_of = HashMap::from([
            ("parc".to_owned(), vec!["parcel".to_owned(), "parcels".to_owned()]),
            ("refu".to_owned(), vec![]),
        ]);
        assert_eq!(
            fts5_query(&q("blue parc -refu"), true, &words_of),
            r#"("blue"* AND ("parcel" OR "parcels")) NOT "refu""#
        );
        assert_eq!(fts5_query(&q("damaged-parc"), true, &words_of), r#"(("damaged parcel" OR "damaged parcels"))"#);
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
