//! Full-text search as the stores share it: the searchable fields of a ticket (what each
//! store indexes), and the match a result item carries (which field, a snippet, where the
//! words are in it). The query language and the folding live in the domain
//! (`supportdesk_domain::search`).

use supportdesk_domain::search::{index_text, snippet, SearchQuery};
use supportdesk_domain::{InvalidValue, Message, Ticket, TicketNumber};

use crate::model::TicketSummary;

/// The `q` filter: a full-text query, and the ticket number it names when it is one
/// (`42`, `#42`, `#000042` also find ticket 42).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchText {
    query: SearchQuery,
    number: Option<TicketNumber>,
}

impl SearchText {
    /// Parses `q` (see [`SearchQuery::parse`] for the rules).
    ///
    /// # Errors
    ///
    /// An [`InvalidValue`] for `q`: empty or longer than 200 characters, more than 16
    /// terms, no word, or only excluded words.
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        Ok(Self { query: SearchQuery::parse(raw)?, number: TicketNumber::parse(raw).ok() })
    }

    /// The full-text query.
    pub fn query(&self) -> &SearchQuery {
        &self.query
    }

    /// The ticket number the text names, if it names one.
    pub fn number(&self) -> Option<TicketNumber> {
        self.number
    }
}

/// Where a search result matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchField {
    /// The subject.
    Subject,
    /// A public message.
    Message,
    /// An internal note (staff only).
    Note,
    /// The customer's name or email (staff only).
    Customer,
    /// The order id (staff only).
    OrderId,
    /// The delivery id (staff only).
    DeliveryId,
    /// The ticket number `q` names.
    Number,
}

impl MatchField {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            MatchField::Subject => "subject",
            MatchField::Message => "message",
            MatchField::Note => "note",
            MatchField::Customer => "customer",
            MatchField::OrderId => "orderId",
            MatchField::DeliveryId => "deliveryId",
            MatchField::Number => "number",
        }
    }
}

/// The match info of one search result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchMatch {
    /// The field that matched best.
    pub field: MatchField,
    /// Plain text around the match (no markup).
    pub snippet: String,
    /// `[start, end)` ranges of `snippet` where the query's words are, in Unicode scalar
    /// values (characters), sorted.
    pub highlights: Vec<(usize, usize)>,
}

/// How wide a snippet is, in characters (an ellipsis may be added at each end).
pub const SNIPPET_CHARS: usize = 160;

/// A ticket's searchable text as every store indexes it: the folded words of each field
/// (`supportdesk_domain::search::index_text`), joined by spaces. Customers search the
/// subject and the public messages; staff search every field.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchDocument {
    /// The subject.
    pub subject: String,
    /// Every public message, in thread order.
    pub public: String,
    /// Every internal note, in thread order.
    pub notes: String,
    /// The customer's name, then their email.
    pub customer: String,
    /// The order id, then the delivery id.
    pub refs: String,
}

impl SearchDocument {
    /// The most characters a store keeps of one field; the rest of a very long thread is
    /// not searchable (PostgreSQL's `tsvector` holds at most 1 MB).
    pub const MAX_FIELD_CHARS: usize = 200_000;

    /// The weight of each field in a store's ranking, in the order subject, public, notes,
    /// customer, refs.
    pub const WEIGHTS: [f64; 5] = [1.0, 0.4, 0.2, 0.1, 0.1];

    /// The document of a ticket with its thread and its customer's name and email.
    pub fn new(ticket: &Ticket, messages: &[Message], customer_name: &str, customer_email: Option<&str>) -> Self {
        let mut document = Self {
            subject: index_text(ticket.subject.as_str()),
            customer: Self::customer_text(customer_name, customer_email),
            refs: Self::refs_text(ticket),
            ..Self::default()
        };
        for message in messages {
            document.add_message(message);
        }
        document
    }

    /// The customer field: their name, then their email.
    pub fn customer_text(name: &str, email: Option<&str>) -> String {
        join(&[index_text(name), email.map(index_text).unwrap_or_default()])
    }

    /// The refs field: the order id, then the delivery id.
    pub fn refs_text(ticket: &Ticket) -> String {
        let order = ticket.order_id.as_ref().map(|o| index_text(o.as_str())).unwrap_or_default();
        let delivery = ticket.delivery_id.as_ref().map(|d| index_text(d.as_str())).unwrap_or_default();
        join(&[order, delivery])
    }

    /// Adds a message to the public messages or to the notes.
    pub fn add_message(&mut self, message: &Message) {
        let text = index_text(message.body.as_str());
        let field = if message.internal { &mut self.notes } else { &mut self.public };
        *field = join(&[std::mem::take(field), text]);
    }

    /// The fields `staff` (or a customer) may search, with their weights.
    fn fields(&self, staff: bool) -> Vec<(f64, Vec<&str>)> {
        let all = [&self.subject, &self.public, &self.notes, &self.customer, &self.refs];
        let searchable = if staff { 5 } else { 2 };
        all.iter()
            .zip(Self::WEIGHTS)
            .take(searchable)
            .map(|(text, weight)| (weight, text.split(' ').filter(|w| !w.is_empty()).collect()))
            .collect()
    }

    /// Whether the document matches `query` for staff (every field) or a customer (the
    /// subject and the public messages).
    pub fn matches(&self, query: &SearchQuery, staff: bool) -> bool {
        let fields: Vec<Vec<&str>> = self.fields(staff).into_iter().map(|(_, words)| words).collect();
        query.matches(&fields)
    }

    /// The relevance of a matching document: higher is better.
    pub fn score(&self, query: &SearchQuery, staff: bool) -> f64 {
        query.score(&self.fields(staff))
    }
}

/// Joins the non-empty parts with a space.
fn join(parts: &[String]) -> String {
    parts.iter().filter(|p| !p.is_empty()).map(String::as_str).collect::<Vec<_>>().join(" ")
}

/// The match info of a search result: the field where the most of the query's words occur
/// (the first such field in the order subject, messages, customer name and email, order id,
/// delivery id), with a snippet of it; the ticket number when `q` named it and no text
/// matched. `messages` are the ones the caller may see; `staff` adds the customer and the
/// ids.
pub fn match_of(text: &SearchText, summary: &TicketSummary, messages: &[Message], staff: bool) -> Option<SearchMatch> {
    let ticket = &summary.ticket;
    let mut candidates: Vec<(MatchField, &str)> = vec![(MatchField::Subject, ticket.subject.as_str())];
    for message in messages.iter().filter(|m| staff || !m.internal) {
        let field = if message.internal { MatchField::Note } else { MatchField::Message };
        candidates.push((field, message.body.as_str()));
    }
    if staff {
        candidates.push((MatchField::Customer, summary.customer.name.as_str()));
        if let Some(email) = &summary.customer.email {
            candidates.push((MatchField::Customer, email.as_str()));
        }
        if let Some(order) = &ticket.order_id {
            candidates.push((MatchField::OrderId, order.as_str()));
        }
        if let Some(delivery) = &ticket.delivery_id {
            candidates.push((MatchField::DeliveryId, delivery.as_str()));
        }
    }
    let mut best: Option<(usize, MatchField, &str)> = None;
    for (field, candidate) in candidates {
        let found = text.query().terms_found_in(candidate);
        if found > 0 && best.is_none_or(|(most, _, _)| found > most) {
            best = Some((found, field, candidate));
        }
    }
    if let Some((_, field, candidate)) = best {
        if let Some(s) = snippet(text.query(), candidate, SNIPPET_CHARS) {
            return Some(SearchMatch { field, snippet: s.text, highlights: s.highlights });
        }
    }
    if text.number() == Some(ticket.number) {
        let snippet = ticket.number.to_string();
        let end = snippet.chars().count();
        return Some(SearchMatch { field: MatchField::Number, snippet, highlights: vec![(0, end)] });
    }
    None
}
