//! The dataset, and the fast bulk path that writes it: multi-row `INSERT`s straight into the
//! server's tables, one transaction per 10,000 tickets, bypassing HTTP.
//!
//! Seeded rows are meant to be indistinguishable from rows the service wrote: the same
//! encodings as `crates/store-diesel/src/rows.rs` (ids as lowercase hyphenated UUID v7 text
//! whose time is the row's creation time, timestamps to the microsecond bound through
//! Diesel exactly as the store binds them, priority as its rank, tags comma-separated plus
//! `ticket_tags` rows, attachments and audit event data as the same JSON), and histories
//! the domain allows (`docs/domain.md`): every ticket has its first message and `created`
//! event; answered, assigned, reopened, resolved and closed tickets carry the messages,
//! events, versions and timestamps of the commands that got them there.
//!
//! Every ticket is a pure function of its number, so the bench knows the ids of the tickets
//! it drives (the 20-message threads, the tickets it replies to) without reading them back.
//!
//! The timeline: ticket `n` of at most `largest` was created `(largest - n)` steps of 30
//! seconds before the newest, which is an hour before the run. The first `base` tickets
//! seeded are the newest (numbers `largest - base + 1 ..= largest`); growing the dataset for
//! the scale runs adds *older* tickets below them, so numbers always increase with creation
//! time, and the newest tickets (the ones a queue shows first) stay the same at every size.
//! Old tickets are mostly closed, as in a real helpdesk: about 1 % of them are unfinished.

use std::ops::RangeInclusive;
use std::time::Instant;

use diesel::prelude::*;
use time::{OffsetDateTime, PrimitiveDateTime};
use uuid::Uuid;

use crate::db::{on_backend, Backend, Db};
use supportdesk_domain::{SlaPolicyId, SlaState, SlaStep, SlaTargets, Status, TicketMetrics, TicketSla, WorkingTime};

use crate::rng::Rng;
use crate::schema::{
    agents, categories, customers, events, messages, sla_policies, tenants, ticket_search, ticket_tags, tickets,
};
use crate::BoxError;

/// The tenant everything is seeded into (and the tokens name).
pub const TENANT: &str = "default";
/// Tickets with a 20-message thread, one per customer, for the `get` scenario.
pub const GET_TICKETS: usize = 64;
/// Messages of each `get` ticket.
pub const THREAD_LENGTH: usize = 20;
/// Customers whose open tickets the reply scenarios answer (one per load task).
pub const REPLY_CUSTOMERS: usize = 64;
/// Open tickets of each reply customer.
pub const REPLY_TICKETS_PER_CUSTOMER: usize = 4;
/// Customers who own everything else, open tickets and list their own.
pub const GENERAL_CUSTOMERS: usize = 2_000;
/// Agents: they answer, get assigned, and read the queue.
pub const AGENTS: usize = 8;
/// A common word: in about a quarter of the subjects and in every agent's reply, so in most
/// tickets (the `search (common word)` scenario and the queue's `q` filter).
pub const SEARCH_WORD: &str = "parcel";
/// How many product names the first messages mention ([`product_word`]): each is in one
/// ticket of every 50,000, about 20 of 1,000,000 (the `search (rare word)` scenario).
pub const PRODUCT_WORDS: u64 = 50_000;

/// The product ticket `number`'s first message names: a made-up word of three syllables
/// (letters only, so it folds to one search word), rare by construction.
pub fn product_word(number: u64) -> String {
    const CONSONANTS: &[u8; 20] = b"bcdfghjklmnprstvwxyz";
    const VOWELS: &[u8; 5] = b"aeiou";
    let mut k = number % PRODUCT_WORDS;
    let mut word = String::with_capacity(7);
    for _ in 0..3 {
        let syllable = (k % 100) as usize;
        k /= 100;
        word.push(char::from(CONSONANTS[syllable / 5]));
        word.push(char::from(VOWELS[syllable % 5]));
    }
    word.push('x');
    word
}
/// The one SLA policy every seeded ticket is under: 24/7, first response in 36 hours,
/// resolution in 4 days, paused while answered; with the seeded gaps between steps (up to
/// two days) about half the tickets breach one clock.
pub const SEEDED_SLA_POLICY: Uuid = Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_5e1a);
/// Its first response time, minutes.
const SEEDED_FIRST_RESPONSE_MINUTES: i32 = 36 * 60;
/// Its resolution time, minutes.
const SEEDED_RESOLUTION_MINUTES: i32 = 4 * 24 * 60;

/// The seeded policy's targets.
fn seeded_sla_targets() -> SlaTargets {
    SlaTargets {
        first_response: time::Duration::minutes(i64::from(SEEDED_FIRST_RESPONSE_MINUTES)),
        next_response: None,
        resolution: time::Duration::minutes(i64::from(SEEDED_RESOLUTION_MINUTES)),
        pause_while_answered: true,
    }
}

/// Tickets written per transaction.
const TICKETS_PER_TRANSACTION: u64 = 10_000;
/// Every row struct below says `treat_none_as_default_value = false`: without it Diesel
/// cannot prove a row has no `DEFAULT` value and, on SQLite, inserts a batch row by row in
/// a transaction of its own (which fails inside ours).
///
/// Rows per `INSERT` statement (tickets have 38 columns: 19,000 bound values, below
/// SQLite's 32,766 and PostgreSQL's 65,535).
const ROWS_PER_STATEMENT: usize = 500;
/// The time between two tickets' creation, in milliseconds.
const STEP_MS: i64 = 30_000;

/// A customer or agent.
#[derive(Debug, Clone)]
pub struct Person {
    /// Their id.
    pub id: Uuid,
    /// Display name.
    pub name: String,
    /// Email.
    pub email: String,
}

/// A category as seeded (the six defaults a new tenant gets).
#[derive(Debug, Clone)]
pub struct CategoryInfo {
    /// Its id.
    pub id: Uuid,
    /// Its slug.
    pub slug: &'static str,
    /// Its name.
    pub name: &'static str,
}

/// The default categories, as `supportdesk_domain::DEFAULT_CATEGORIES`.
const DEFAULT_CATEGORIES: [(&str, &str); 6] = [
    ("order", "Order"),
    ("product", "Product"),
    ("account", "Account"),
    ("technical", "Technical"),
    ("payment", "Payment"),
    ("general", "General"),
];

/// Subjects; `true` marks the ones with [`SEARCH_WORD`].
const SUBJECTS: [(&str, bool); 12] = [
    ("Parcel not delivered for order", true),
    ("Where is my parcel? Tracking has not moved", true),
    ("Refund request for order", false),
    ("Wrong size received, I want an exchange", false),
    ("Payment declined but the money was taken", false),
    ("Cannot log in to my account", false),
    ("Damaged item in the parcel", true),
    ("Question about the warranty of my blender", false),
    ("Invoice needs a different billing address", false),
    ("Discount code not accepted at checkout", false),
    ("Order arrived late and incomplete", false),
    ("Change the delivery address before shipping", false),
];

/// The story of a ticket: which commands it went through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Answered, the customer wrote back, answered again and resolved: `resolved` (four
    /// messages).
    ResolvedAfterTwoReplies,
    /// The same, closed: `closed`.
    ClosedAfterTwoReplies,
    /// Opened, nothing since: `open`.
    New,
    /// Assigned: `in_progress`.
    Assigned,
    /// An agent replied: `answered`.
    Answered,
    /// Assigned, answered, then the customer replied: `open` with an assignee.
    Reopened,
    /// Answered and resolved in one reply: `resolved`.
    Resolved,
    /// Answered and closed in one reply: `closed`.
    Closed,
    /// A 20-message conversation: `answered`.
    Thread,
}

/// The mix of the newest tickets (the `base` set): a third unfinished.
const RECENT_MIX: [(Kind, u32); 6] = [
    (Kind::New, 25),
    (Kind::Assigned, 10),
    (Kind::Answered, 15),
    (Kind::Reopened, 10),
    (Kind::Resolved, 15),
    (Kind::Closed, 25),
];

/// The mix of older tickets: about 1 % still open; three in five finished ones took two
/// replies, so there are about three messages a ticket (3,000,000 at 1,000,000 tickets).
const OLD_MIX: [(Kind, u32); 8] = [
    (Kind::New, 1),
    (Kind::Assigned, 1),
    (Kind::Answered, 3),
    (Kind::Reopened, 1),
    (Kind::Resolved, 10),
    (Kind::ResolvedAfterTwoReplies, 14),
    (Kind::Closed, 68),
    (Kind::ClosedAfterTwoReplies, 102),
];

/// A ticket row as inserted (the columns of `tickets`).
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = tickets, treat_none_as_default_value = false)]
pub struct TicketRow {
    /// Tenant key.
    pub tenant: &'static str,
    /// Id.
    pub id: String,
    /// Number.
    pub number: i64,
    /// Owner.
    pub customer_id: String,
    /// Category.
    pub category_id: String,
    /// Subject.
    pub subject: String,
    /// Subject lower-cased.
    pub subject_search: String,
    /// Status.
    pub status: &'static str,
    /// Priority rank.
    pub priority: i16,
    /// Source.
    pub source: &'static str,
    /// Order reference.
    pub order_id: Option<String>,
    /// Delivery reference.
    pub delivery_id: Option<String>,
    /// Assignee.
    pub assignee_id: Option<String>,
    /// Tags, comma-separated.
    pub tags: String,
    /// Resolution note.
    pub resolution_note: Option<String>,
    /// Created.
    pub created_at: PrimitiveDateTime,
    /// Last changed.
    pub updated_at: PrimitiveDateTime,
    /// Last message.
    pub last_activity_at: PrimitiveDateTime,
    /// Last customer message.
    pub last_customer_message_at: Option<PrimitiveDateTime>,
    /// Last agent message.
    pub last_agent_message_at: Option<PrimitiveDateTime>,
    /// First agent reply.
    pub first_responded_at: Option<PrimitiveDateTime>,
    /// Entered `resolved`.
    pub resolved_at: Option<PrimitiveDateTime>,
    /// Entered `closed`.
    pub closed_at: Option<PrimitiveDateTime>,
    /// Version.
    pub version: i64,
    /// The customer's version: every seeded change is customer-visible (no internal notes,
    /// no tag changes after opening), so it equals `version`.
    pub public_version: i64,
    /// Last changed, as the customer sees it.
    pub public_updated_at: PrimitiveDateTime,
    /// Last public message.
    pub public_last_activity_at: PrimitiveDateTime,
    /// Last public agent message.
    pub public_last_agent_message_at: Option<PrimitiveDateTime>,
    /// The SLA state, encoded as the store encodes it.
    pub sla: Option<String>,
    /// The soonest running due time.
    pub sla_due_at: PrimitiveDateTime,
    /// The soonest running due time not reported as breached.
    pub sla_alert_at: Option<PrimitiveDateTime>,
    /// Whether a breach was recorded.
    pub sla_breached: bool,
    /// Report metric: working minutes to the first response.
    pub first_response_minutes: Option<i64>,
    /// Report metric: working minutes to the current resolution.
    pub resolution_minutes: Option<i64>,
    /// When the current resolution happened.
    pub resolution_at: Option<PrimitiveDateTime>,
    /// The latest reopening.
    pub reopened_at: Option<PrimitiveDateTime>,
    /// Reopenings.
    pub reopen_count: i32,
    /// Whether the SLA was met (`None` without one).
    pub sla_met: Option<bool>,
}

/// A ticket's search row as inserted (the columns of `ticket_search`): the same folded
/// fields the store writes (`supportdesk_app::SearchDocument`). On SQLite the table's
/// triggers fill the FTS5 index; on PostgreSQL the `tsvector` is a generated column.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = ticket_search, treat_none_as_default_value = false)]
pub struct SearchRow {
    /// Tenant key.
    pub tenant: &'static str,
    /// Ticket.
    pub ticket_id: String,
    /// The subject, folded.
    pub subject: String,
    /// The public messages, folded.
    pub messages: String,
    /// The internal notes, folded.
    pub notes: String,
    /// The customer's name and email, folded.
    pub customer: String,
    /// The order and delivery ids, folded.
    pub refs: String,
}

impl SearchRow {
    /// The search row of a generated ticket whose customer is `customer`.
    fn of(ticket: &TicketRow, messages: &[MessageRow], customer: &Person) -> Self {
        use supportdesk_domain::search::index_text;
        let join = |parts: Vec<String>| parts.into_iter().filter(|p| !p.is_empty()).collect::<Vec<_>>().join(" ");
        let bodies = |internal: bool| {
            join(messages.iter().filter(|m| m.internal == internal).map(|m| index_text(&m.body)).collect())
        };
        Self {
            tenant: TENANT,
            ticket_id: ticket.id.clone(),
            subject: index_text(&ticket.subject),
            messages: bodies(false),
            notes: bodies(true),
            customer: join(vec![index_text(&customer.name), index_text(&customer.email)]),
            refs: join(vec![
                ticket.order_id.as_deref().map(index_text).unwrap_or_default(),
                ticket.delivery_id.as_deref().map(index_text).unwrap_or_default(),
            ]),
        }
    }
}

/// A message row as inserted.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = messages, treat_none_as_default_value = false)]
pub struct MessageRow {
    /// Tenant key.
    pub tenant: &'static str,
    /// Id.
    pub id: String,
    /// Ticket.
    pub ticket_id: String,
    /// `customer` or `agent`.
    pub author_type: &'static str,
    /// Author.
    pub author_id: String,
    /// Author's name.
    pub author_name: String,
    /// Author's avatar.
    pub author_image_url: Option<String>,
    /// Text.
    pub body: String,
    /// Internal note?
    pub internal: bool,
    /// JSON array of attachments.
    pub attachments: String,
    /// Written.
    pub created_at: PrimitiveDateTime,
}

/// An audit event row as inserted.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = events, treat_none_as_default_value = false)]
pub struct EventRow {
    /// Tenant key.
    pub tenant: &'static str,
    /// Id.
    pub id: String,
    /// Ticket.
    pub ticket_id: String,
    /// `customer` or `agent`.
    pub actor_type: &'static str,
    /// Actor.
    pub actor_id: String,
    /// Actor's name.
    pub actor_name: String,
    /// Actor's avatar.
    pub actor_image_url: Option<String>,
    /// Event type.
    pub kind: &'static str,
    /// JSON `{"type", "data"}`.
    pub data: String,
    /// When.
    pub created_at: PrimitiveDateTime,
    /// The ticket as the event left it (the public event shape reads it): here, as the
    /// story ends, as the migration that added these columns fills older events.
    pub ticket_number: i64,
    /// Its subject.
    pub ticket_subject: String,
    /// Its status.
    pub ticket_status: &'static str,
    /// Its priority.
    pub ticket_priority: i16,
    /// Its customer.
    pub ticket_customer_id: String,
    /// Its assignee.
    pub ticket_assignee_id: Option<String>,
    /// Its version.
    pub ticket_version: i64,
}

/// A tag row (for the tag filter).
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = ticket_tags, treat_none_as_default_value = false)]
pub struct TagRow {
    /// Tenant key.
    pub tenant: &'static str,
    /// Ticket.
    pub ticket_id: String,
    /// Tag.
    pub tag: &'static str,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = tenants, treat_none_as_default_value = false)]
struct TenantRow {
    key: &'static str,
    last_number: i64,
    allow_customer_close: bool,
    reopen_closed_on_customer_reply: bool,
    created_at: PrimitiveDateTime,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = categories, treat_none_as_default_value = false)]
struct CategoryRow {
    tenant: &'static str,
    id: String,
    slug: &'static str,
    name: &'static str,
    parent_id: Option<String>,
    active: bool,
    position: i32,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = customers, treat_none_as_default_value = false)]
struct CustomerRow {
    tenant: &'static str,
    id: String,
    name: String,
    email: Option<String>,
    image_url: Option<String>,
    created_at: PrimitiveDateTime,
    updated_at: PrimitiveDateTime,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = agents, treat_none_as_default_value = false)]
struct AgentRow {
    tenant: &'static str,
    id: String,
    email: String,
    name: String,
    role: &'static str,
    permissions: String,
    active: bool,
    created_at: PrimitiveDateTime,
    updated_at: PrimitiveDateTime,
}

/// Whether a ticket refers to an order.
enum OrderRule {
    /// Always, this one.
    Always(String),
    /// Storefront tickets and three in ten others.
    Sometimes(String),
}

/// A ticket with everything written with it.
#[derive(Debug, Clone)]
pub struct Generated {
    /// The ticket.
    pub ticket: TicketRow,
    /// Its messages, oldest first.
    pub messages: Vec<MessageRow>,
    /// Its audit events, oldest first.
    pub events: Vec<EventRow>,
    /// Its tag rows.
    pub tags: Vec<TagRow>,
    /// Its search row.
    pub search: SearchRow,
}

/// A timestamp as the store writes it: UTC, to the microsecond.
pub fn db_time(unix_micros: i64) -> PrimitiveDateTime {
    let at = OffsetDateTime::from_unix_timestamp_nanos(i128::from(unix_micros) * 1_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH);
    PrimitiveDateTime::new(at.date(), at.time())
}

/// A UUID v7 for a moment (in microseconds), with random bits from `rng`.
pub fn uuid_v7(unix_micros: i64, rng: &mut Rng) -> Uuid {
    let millis = u64::try_from(unix_micros / 1_000).unwrap_or(0);
    uuid::Builder::from_unix_timestamp_millis(millis, &rng.bytes10()).into_uuid()
}

/// The id as stored: lowercase hyphenated.
pub fn id_text(id: Uuid) -> String {
    id.hyphenated().to_string()
}

/// A string as a JSON string literal.
fn json_str(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| "\"\"".to_owned())
}

/// The wire name of a priority rank.
const fn priority_name(rank: i16) -> &'static str {
    match rank {
        0 => "low",
        2 => "high",
        3 => "urgent",
        _ => "normal",
    }
}

/// Everything the bench seeds and knows about its data.
#[derive(Debug, Clone)]
pub struct Dataset {
    /// The most tickets any stage of the run holds.
    pub largest: u64,
    /// Tickets of the first stage (the newest).
    pub base: u64,
    /// When the newest seeded ticket was created, in Unix microseconds.
    newest_micros: i64,
    /// When the tenant was set up.
    start_micros: i64,
    /// The six categories.
    pub categories: Vec<CategoryInfo>,
    /// The agents.
    pub agents: Vec<Person>,
    /// The customers: `get` owners, then reply customers, then everyone else.
    pub customers: Vec<Person>,
}

impl Dataset {
    /// A dataset of up to `largest` tickets whose first `base` are seeded first.
    pub fn new(largest: u64, base: u64) -> Self {
        let now = OffsetDateTime::now_utc();
        let newest_micros = i64::try_from((now.unix_timestamp_nanos() / 1_000) - 3_600_000_000).unwrap_or(0);
        // The tenant, its categories, agents and customers date from 500 days before the
        // newest ticket whatever the dataset's size, so their ids are the same in every
        // database of a run (a million tickets span 347 days).
        let start_micros = newest_micros - 500 * 86_400_000_000;
        let mut rng = Rng::new(0x5EED);
        let categories = DEFAULT_CATEGORIES
            .iter()
            .map(|(slug, name)| CategoryInfo { id: uuid_v7(start_micros, &mut rng), slug, name })
            .collect();
        let agents = (1..=AGENTS)
            .map(|n| Person {
                id: uuid_v7(start_micros, &mut rng),
                name: format!("Agent {n}"),
                email: format!("agent{n}@support.example.com"),
            })
            .collect();
        let customers = (1..=GET_TICKETS + REPLY_CUSTOMERS + GENERAL_CUSTOMERS)
            .map(|n| Person {
                id: uuid_v7(start_micros, &mut rng),
                name: format!("Customer {n}"),
                email: format!("customer{n}@shop.example.com"),
            })
            .collect();
        Self { largest, base: base.min(largest), newest_micros, start_micros, categories, agents, customers }
    }

    /// The customer who owns `get` ticket `g`.
    pub fn get_customer(&self, g: usize) -> usize {
        g % GET_TICKETS
    }

    /// Reply customer `r`'s index in [`Dataset::customers`].
    pub fn reply_customer(&self, r: usize) -> usize {
        GET_TICKETS + r % REPLY_CUSTOMERS
    }

    /// General customer `k`'s index in [`Dataset::customers`].
    pub fn general_customer(&self, k: usize) -> usize {
        GET_TICKETS + REPLY_CUSTOMERS + k % GENERAL_CUSTOMERS
    }

    /// The number of the oldest ticket of the base set.
    fn first_base_number(&self) -> u64 {
        self.largest - self.base + 1
    }

    /// The number of `get` ticket `g`.
    pub fn get_ticket_number(&self, g: usize) -> u64 {
        self.first_base_number() + (g % GET_TICKETS) as u64
    }

    /// The number of reply customer `r`'s ticket `k`.
    pub fn reply_ticket_number(&self, r: usize, k: usize) -> u64 {
        self.first_base_number()
            + (GET_TICKETS + (r % REPLY_CUSTOMERS) * REPLY_TICKETS_PER_CUSTOMER + k % REPLY_TICKETS_PER_CUSTOMER) as u64
    }

    /// The id of ticket `number` (without generating the rest of it).
    pub fn ticket_id(&self, number: u64) -> Uuid {
        let mut rng = Rng::new(number);
        let created = self.created_micros(number, &mut rng);
        uuid_v7(created, &mut rng)
    }

    /// When ticket `number` was created; draws the jitter from `rng` (the first draw of a
    /// ticket's generator).
    fn created_micros(&self, number: u64, rng: &mut Rng) -> i64 {
        let behind = i64::try_from(self.largest.saturating_sub(number)).unwrap_or(0);
        let jitter = i64::try_from(rng.below_u64((STEP_MS as u64 / 2) * 1_000)).unwrap_or(0);
        self.newest_micros - behind * STEP_MS * 1_000 - jitter
    }

    /// The story of ticket `number`.
    fn kind(&self, number: u64, rng: &mut Rng) -> Kind {
        if number >= self.first_base_number() {
            let index = (number - self.first_base_number()) as usize;
            if index < GET_TICKETS {
                return Kind::Thread;
            }
            if index < GET_TICKETS + REPLY_CUSTOMERS * REPLY_TICKETS_PER_CUSTOMER {
                return Kind::New;
            }
            return rng.weighted(&RECENT_MIX).unwrap_or(Kind::New);
        }
        rng.weighted(&OLD_MIX).unwrap_or(Kind::Closed)
    }

    /// Ticket `number` with its messages, events and tags.
    pub fn ticket(&self, number: u64) -> Generated {
        let mut rng = Rng::new(number);
        let created = self.created_micros(number, &mut rng);
        let id = uuid_v7(created, &mut rng);
        let kind = self.kind(number, &mut rng);
        let customer = self.owner(number, &mut rng);
        self.compose(number, created, id, kind, customer, OrderRule::Sometimes(format!("ORD-{number:08}")), rng)
    }

    /// A new ticket as a customer opens it now (`open`, its first message, `created` and
    /// `message_added`), with a unique order reference; its number is 0 until the caller
    /// bumps the tenant's counter.
    pub fn fresh(&self, rng: &mut Rng, created: i64) -> Generated {
        let id = uuid_v7(created, rng);
        let customer = self.general_customer(rng.below(GENERAL_CUSTOMERS));
        let order = format!("FLOOR-{}", id.simple());
        self.compose(0, created, id, Kind::New, customer, OrderRule::Always(order), Rng::new(rng.next_u64()))
    }

    /// The customer (index) who owns ticket `number`.
    fn owner(&self, number: u64, rng: &mut Rng) -> usize {
        if number >= self.first_base_number() {
            let index = (number - self.first_base_number()) as usize;
            if index < GET_TICKETS {
                self.get_customer(index)
            } else if index < GET_TICKETS + REPLY_CUSTOMERS * REPLY_TICKETS_PER_CUSTOMER {
                self.reply_customer((index - GET_TICKETS) / REPLY_TICKETS_PER_CUSTOMER)
            } else {
                self.general_customer(rng.below(GENERAL_CUSTOMERS))
            }
        } else {
            self.general_customer(rng.below(GENERAL_CUSTOMERS))
        }
    }

    /// A ticket and its history from its parts.
    #[expect(clippy::too_many_arguments, reason = "the parts of one ticket, each drawn by its caller")]
    fn compose(
        &self,
        number: u64,
        created: i64,
        id: Uuid,
        kind: Kind,
        customer: usize,
        order: OrderRule,
        mut rng: Rng,
    ) -> Generated {
        let customer = &self.customers[customer % self.customers.len()];
        let agent = &self.agents[rng.below(self.agents.len())];
        let category_index = rng.weighted(&[(0usize, 40), (1, 20), (2, 10), (3, 10), (4, 10), (5, 10)]).unwrap_or(0);
        let category = &self.categories[category_index % self.categories.len()];
        let (subject_text, _) = SUBJECTS[rng.below(SUBJECTS.len())];
        let source = rng
            .weighted(&[("api", 50), ("storefront", 20), ("email", 15), ("customer_portal", 10), ("chat", 5)])
            .unwrap_or("api");
        let order_id = match order {
            OrderRule::Always(order) => Some(order),
            OrderRule::Sometimes(order) => (source == "storefront" || rng.below(10) < 3).then_some(order),
        };
        let subject = match &order_id {
            Some(order) if subject_text.ends_with("order") => format!("{subject_text} {order}"),
            _ => subject_text.to_owned(),
        };
        let priority = rng.weighted(&[(0i16, 10), (1, 70), (2, 15), (3, 5)]).unwrap_or(1);
        let tags: &[&'static str] = match rng.below(100) {
            0..=3 => &["vip"],
            4..=5 => &["vip", "late-delivery"],
            6..=7 => &["late-delivery"],
            _ => &[],
        };
        let with_photo = rng.below(5) == 0;
        let description = format!(
            "{subject}. It is about the {} I bought. Hello, I placed this order a while ago and I am still waiting for a proper answer. \
             The confirmation email said it would arrive within three working days, but nothing has changed \
             since then. Could you please check what happened and tell me what the next step is? \
             Thank you in advance, {}",
            product_word(number),
            customer.name
        );
        let attachments = if with_photo {
            format!(
                "[{{\"fileName\":\"photo-{number}.jpg\",\"url\":\"https://cdn.shop.example.com/uploads/photo-{number}.jpg\",\
                 \"contentType\":\"image/jpeg\",\"sizeBytes\":{}}}]",
                100_000 + rng.below(900_000)
            )
        } else {
            "[]".to_owned()
        };
        let at = db_time(created);
        let ticket = TicketRow {
            tenant: TENANT,
            id: id_text(id),
            number: i64::try_from(number).unwrap_or(i64::MAX),
            customer_id: id_text(customer.id),
            category_id: id_text(category.id),
            subject_search: subject.to_lowercase(),
            subject,
            status: "open",
            priority,
            source,
            order_id,
            delivery_id: None,
            assignee_id: None,
            tags: tags.join(","),
            resolution_note: None,
            created_at: at,
            updated_at: at,
            last_activity_at: at,
            last_customer_message_at: Some(at),
            last_agent_message_at: None,
            first_responded_at: None,
            resolved_at: None,
            closed_at: None,
            version: 1,
            public_version: 1,
            public_updated_at: at,
            public_last_activity_at: at,
            public_last_agent_message_at: None,
            sla: None,
            sla_due_at: at,
            sla_alert_at: None,
            sla_breached: false,
            first_response_minutes: None,
            resolution_minutes: None,
            resolution_at: None,
            reopened_at: None,
            reopen_count: 0,
            sla_met: None,
        };
        let tag_rows =
            tags.iter().map(|tag| TagRow { tenant: TENANT, ticket_id: ticket.id.clone(), tag }).collect::<Vec<_>>();
        let mut story =
            Story { rng, ticket, messages: Vec::new(), events: Vec::new(), steps: Vec::new(), customer, agent };
        story.open(created, &description, &attachments, category.id);
        // The commands after the opening happen between it and the newest ticket's time.
        let steps: usize = match kind {
            Kind::New => 0,
            Kind::Assigned | Kind::Answered | Kind::Resolved | Kind::Closed => 1,
            Kind::Reopened | Kind::ResolvedAfterTwoReplies | Kind::ClosedAfterTwoReplies => 3,
            Kind::Thread => THREAD_LENGTH - 1,
        };
        let room = (self.newest_micros - created).max(0);
        let gap = (room / (steps as i64 + 1)).min(2 * 86_400_000_000);
        let mut now = created;
        let mut next = |rng: &mut Rng| {
            let share = i64::try_from(50 + rng.below(50)).unwrap_or(50);
            now += (gap * share / 100).max(1);
            now
        };
        match kind {
            Kind::New => {}
            Kind::Assigned => {
                let t = next(&mut story.rng);
                story.assign(t);
            }
            Kind::Answered => {
                let t = next(&mut story.rng);
                story.agent_reply(t, None);
            }
            Kind::Reopened => {
                let t = next(&mut story.rng);
                story.assign(t);
                let t = next(&mut story.rng);
                story.agent_reply(t, None);
                let t = next(&mut story.rng);
                story.customer_reply(t);
            }
            Kind::Resolved => {
                let t = next(&mut story.rng);
                story.agent_reply(t, Some("resolved"));
            }
            Kind::Closed => {
                let t = next(&mut story.rng);
                story.agent_reply(t, Some("closed"));
            }
            Kind::ResolvedAfterTwoReplies | Kind::ClosedAfterTwoReplies => {
                let t = next(&mut story.rng);
                story.agent_reply(t, None);
                let t = next(&mut story.rng);
                story.customer_reply(t);
                let t = next(&mut story.rng);
                let end = if kind == Kind::ResolvedAfterTwoReplies { "resolved" } else { "closed" };
                story.agent_reply(t, Some(end));
            }
            Kind::Thread => {
                for step in 0..steps {
                    let t = next(&mut story.rng);
                    if step % 2 == 0 {
                        story.agent_reply(t, None);
                    } else {
                        story.customer_reply(t);
                    }
                }
            }
        }
        story.settle_sla(created, self.newest_micros + 3_600_000_000);
        story.snapshot_ticket();
        let search = SearchRow::of(&story.ticket, &story.messages, customer);
        Generated { ticket: story.ticket, messages: story.messages, events: story.events, tags: tag_rows, search }
    }

    /// Writes the tenant, its categories, the customers and agents, and the base tickets.
    ///
    /// # Errors
    ///
    /// Database errors.
    pub fn seed_base(&self, db: &mut Db) -> Result<SeedReport, BoxError> {
        let started = Instant::now();
        let created = db_time(self.start_micros);
        db.write_transaction(|db| {
            let tenant = TenantRow {
                key: TENANT,
                last_number: i64::try_from(self.largest).unwrap_or(i64::MAX),
                allow_customer_close: true,
                reopen_closed_on_customer_reply: false,
                created_at: created,
            };
            on_backend!(db, |c| diesel::insert_into(tenants::table).values(&tenant).execute(c))?;
            let categories: Vec<CategoryRow> = self
                .categories
                .iter()
                .zip(0..)
                .map(|(category, position)| CategoryRow {
                    tenant: TENANT,
                    id: id_text(category.id),
                    slug: category.slug,
                    name: category.name,
                    parent_id: None,
                    active: true,
                    position,
                })
                .collect();
            on_backend!(db, |c| diesel::insert_into(categories::table).values(&categories).execute(c))?;
            let policy = (
                sla_policies::tenant.eq(TENANT),
                sla_policies::id.eq(id_text(SEEDED_SLA_POLICY)),
                sla_policies::name.eq("Standard"),
                sla_policies::position.eq(0),
                sla_policies::first_response_minutes.eq(SEEDED_FIRST_RESPONSE_MINUTES),
                sla_policies::resolution_minutes.eq(SEEDED_RESOLUTION_MINUTES),
                sla_policies::pause_while_answered.eq(true),
                sla_policies::created_at.eq(created),
                sla_policies::updated_at.eq(created),
            );
            on_backend!(db, |c| diesel::insert_into(sla_policies::table).values(&policy).execute(c))?;
            let agents: Vec<AgentRow> = self
                .agents
                .iter()
                .map(|agent| AgentRow {
                    tenant: TENANT,
                    id: id_text(agent.id),
                    email: agent.email.clone(),
                    name: agent.name.clone(),
                    role: "agent",
                    permissions: crate::tokens::AGENT_PERMISSIONS.join(","),
                    active: true,
                    created_at: created,
                    updated_at: created,
                })
                .collect();
            on_backend!(db, |c| diesel::insert_into(agents::table).values(&agents).execute(c))?;
            let customers: Vec<CustomerRow> = self
                .customers
                .iter()
                .map(|customer| CustomerRow {
                    tenant: TENANT,
                    id: id_text(customer.id),
                    name: customer.name.clone(),
                    email: Some(customer.email.clone()),
                    image_url: None,
                    created_at: created,
                    updated_at: created,
                })
                .collect();
            for chunk in customers.chunks(ROWS_PER_STATEMENT) {
                on_backend!(db, |c| diesel::insert_into(customers::table).values(chunk).execute(c))?;
            }
            Ok(())
        })?;
        let mut report = self.insert_tickets(db, self.first_base_number()..=self.largest)?;
        report.seconds = started.elapsed().as_secs_f64();
        Ok(report)
    }

    /// Adds older tickets until `total` of the dataset are present (`base <= total <=
    /// largest`).
    ///
    /// # Errors
    ///
    /// Database errors.
    pub fn grow(&self, db: &mut Db, from: u64, total: u64) -> Result<SeedReport, BoxError> {
        let total = total.min(self.largest);
        if total <= from {
            return Ok(SeedReport::default());
        }
        let first = self.largest - total + 1;
        let last = self.largest - from;
        self.insert_tickets(db, first..=last)
    }

    /// Inserts tickets `numbers` with their rows, one transaction per 10,000 tickets, then
    /// leaves the database as a long-running one would be: the SQLite write-ahead log
    /// checkpointed, PostgreSQL's statistics and visibility map up to date (autovacuum
    /// would get there on its own, later).
    fn insert_tickets(&self, db: &mut Db, numbers: RangeInclusive<u64>) -> Result<SeedReport, BoxError> {
        let started = Instant::now();
        let mut report = SeedReport::default();
        let (first, last) = (*numbers.start(), *numbers.end());
        // A big load goes faster into bare tables: the secondary indexes are dropped and
        // then built again from their own definitions (a sort instead of a million B-tree
        // inserts, as pg_restore does). Keys and unique constraints stay, and check every row.
        let rebuilt = if last + 1 - first >= BULK_THRESHOLD { Some(drop_secondary_indexes(db)?) } else { None };
        // One thread makes the rows of the next transaction while this one writes the
        // current one: the database works on one core, the generator on the other.
        std::thread::scope(|scope| -> Result<(), BoxError> {
            let (chunks, ready) = std::sync::mpsc::sync_channel::<Rows>(1);
            scope.spawn(move || {
                let mut at = first;
                while at <= last {
                    let until = (at + TICKETS_PER_TRANSACTION - 1).min(last);
                    let mut rows = Rows::default();
                    for generated in (at..=until).map(|n| self.ticket(n)) {
                        rows.tickets.push(generated.ticket);
                        rows.messages.extend(generated.messages);
                        rows.events.extend(generated.events);
                        rows.tags.extend(generated.tags);
                        rows.search.push(generated.search);
                    }
                    if chunks.send(rows).is_err() {
                        break;
                    }
                    at = until + 1;
                }
            });
            for rows in ready {
                db.write_transaction(|db| rows.write(db))?;
                report.tickets += rows.tickets.len() as u64;
                report.messages += rows.messages.len() as u64;
                report.events += rows.events.len() as u64;
            }
            Ok(())
        })?;
        if let Some(indexes) = rebuilt {
            finish_bulk_load(db, indexes)?;
        }
        // The per-status counts the queues' totals come from, as after a bulk import.
        db.write_transaction(|db| {
            db.execute("DELETE FROM ticket_counts")?;
            db.execute(crate::schema::COUNT_TICKETS)
        })?;
        match db.backend() {
            Backend::Sqlite => db.execute("PRAGMA wal_checkpoint(TRUNCATE)")?,
            Backend::Postgres => db.execute("VACUUM ANALYZE")?,
        }
        report.seconds = started.elapsed().as_secs_f64();
        Ok(report)
    }
}

/// From this many tickets on, a load drops the secondary indexes and builds them after.
const BULK_THRESHOLD: u64 = 50_000;

/// An index as its database describes it.
#[derive(Debug, QueryableByName)]
struct IndexDefinition {
    #[diesel(sql_type = diesel::sql_types::Text)]
    name: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    sql: String,
}

/// Drops the indexes of the bulk-loaded tables that are neither a primary key nor a unique
/// constraint, and returns their definitions (`CREATE INDEX …`, exactly as the migrations
/// wrote them) to build them again.
fn drop_secondary_indexes(db: &mut Db) -> Result<Vec<IndexDefinition>, BoxError> {
    const TABLES: &str = "('tickets', 'messages', 'events', 'ticket_tags', 'ticket_search')";
    let indexes: Vec<IndexDefinition> = match db {
        // Indexes SQLite makes for keys and UNIQUE constraints have no SQL.
        Db::Sqlite(c) => diesel::sql_query(format!(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN {TABLES}"
        ))
        .load(c)?,
        Db::Pg(c) => diesel::sql_query(format!(
            "SELECT indexname AS name, indexdef AS sql FROM pg_indexes \
             WHERE schemaname = current_schema() AND tablename IN {TABLES} \
             AND indexname NOT IN (SELECT conname FROM pg_constraint)"
        ))
        .load(c)?,
    };
    for index in &indexes {
        db.execute(&format!("DROP INDEX \"{}\"", index.name))?;
    }
    // SQLite checks a deferred foreign key from the parent's side too: inserting a ticket
    // looks for its messages, which without `messages_ticket` is a scan per ticket. The
    // keys are checked once at the end instead (`finish_bulk_load`).
    if db.backend() == Backend::Sqlite {
        db.execute("PRAGMA foreign_keys = OFF")?;
    }
    Ok(indexes)
}

/// Builds the dropped indexes again and, on SQLite, checks every foreign key of the load.
fn finish_bulk_load(db: &mut Db, indexes: Vec<IndexDefinition>) -> Result<(), BoxError> {
    #[derive(QueryableByName)]
    struct Violation {
        #[diesel(sql_type = diesel::sql_types::Text)]
        table: String,
    }
    if db.backend() == Backend::Postgres {
        db.execute("SET maintenance_work_mem = '256MB'")?;
    }
    for index in indexes {
        db.execute(&index.sql)?;
    }
    if let Db::Sqlite(c) = db {
        let violations: Vec<Violation> = diesel::sql_query("PRAGMA foreign_key_check").load(c)?;
        if let Some(first) = violations.first() {
            return Err(
                format!("the bulk load broke {} foreign keys, first in {}", violations.len(), first.table).into()
            );
        }
        db.execute("PRAGMA foreign_keys = ON")?;
    }
    Ok(())
}

/// The rows of one seeding transaction.
#[derive(Default)]
struct Rows {
    tickets: Vec<TicketRow>,
    messages: Vec<MessageRow>,
    events: Vec<EventRow>,
    tags: Vec<TagRow>,
    search: Vec<SearchRow>,
}

impl Rows {
    /// Writes the rows: PostgreSQL takes each table in one binary `COPY`, SQLite in
    /// multi-row `INSERT`s of [`ROWS_PER_STATEMENT`] rows. Messages and events first, as
    /// the store writes them (their foreign keys to the ticket are deferred).
    fn write(&self, db: &mut Db) -> Result<(), BoxError> {
        match db {
            Db::Pg(c) => {
                diesel::copy_from(messages::table).from_insertable(&self.messages).execute(c)?;
                diesel::copy_from(events::table).from_insertable(&self.events).execute(c)?;
                diesel::copy_from(tickets::table).from_insertable(&self.tickets).execute(c)?;
                if !self.tags.is_empty() {
                    diesel::copy_from(ticket_tags::table).from_insertable(&self.tags).execute(c)?;
                }
                diesel::copy_from(ticket_search::table).from_insertable(&self.search).execute(c)?;
            }
            Db::Sqlite(c) => {
                for chunk in self.messages.chunks(ROWS_PER_STATEMENT) {
                    diesel::insert_into(messages::table).values(chunk).execute(c)?;
                }
                for chunk in self.events.chunks(ROWS_PER_STATEMENT) {
                    diesel::insert_into(events::table).values(chunk).execute(c)?;
                }
                for chunk in self.tickets.chunks(ROWS_PER_STATEMENT) {
                    diesel::insert_into(tickets::table).values(chunk).execute(c)?;
                }
                for chunk in self.tags.chunks(ROWS_PER_STATEMENT) {
                    diesel::insert_into(ticket_tags::table).values(chunk).execute(c)?;
                }
                for chunk in self.search.chunks(ROWS_PER_STATEMENT) {
                    diesel::insert_into(ticket_search::table).values(chunk).execute(c)?;
                }
                // The word list the store keeps beside the FTS5 index, as the store keeps it.
                let texts = self.search.iter().flat_map(|r| [&r.subject, &r.messages, &r.notes, &r.customer, &r.refs]);
                supportdesk_store_diesel::remember_words(c, texts.map(String::as_str))?;
            }
        }
        Ok(())
    }
}

/// What a seeding step wrote, and how long it took.
#[derive(Debug, Clone, Copy, Default, serde::Serialize)]
pub struct SeedReport {
    /// Tickets inserted.
    pub tickets: u64,
    /// Messages inserted.
    pub messages: u64,
    /// Events inserted.
    pub events: u64,
    /// Wall time, seconds.
    pub seconds: f64,
}

/// A ticket's history being written: the domain's commands replayed as rows.
struct Story<'a> {
    rng: Rng,
    ticket: TicketRow,
    messages: Vec<MessageRow>,
    events: Vec<EventRow>,
    /// What moved the SLA clocks and report metrics, with when (Unix microseconds).
    steps: Vec<(SlaStep, i64)>,
    customer: &'a Person,
    agent: &'a Person,
}

impl Story<'_> {
    fn event(&mut self, by_agent: bool, at: i64, kind: &'static str, data: String) {
        let actor = if by_agent { self.agent } else { self.customer };
        let id = uuid_v7(at, &mut self.rng);
        self.events.push(EventRow {
            tenant: TENANT,
            id: id_text(id),
            ticket_id: self.ticket.id.clone(),
            actor_type: if by_agent { "agent" } else { "customer" },
            actor_id: id_text(actor.id),
            actor_name: actor.name.clone(),
            actor_image_url: None,
            kind,
            data: format!("{{\"type\":\"{kind}\",\"data\":{data}}}"),
            created_at: db_time(at),
            ticket_number: 0,
            ticket_subject: String::new(),
            ticket_status: "open",
            ticket_priority: 0,
            ticket_customer_id: String::new(),
            ticket_assignee_id: None,
            ticket_version: 0,
        });
    }

    /// The SLA state and report metrics the service would have written: the seeded policy's
    /// clocks over the story's steps (the domain's own rules), breaches detected as the
    /// breach job would have by `now`; the metrics in wall-clock minutes (the seeded policy
    /// counts 24/7).
    fn settle_sla(&mut self, opened: i64, now: i64) {
        let at = |micros: i64| {
            OffsetDateTime::from_unix_timestamp_nanos(i128::from(micros) * 1_000).unwrap_or(OffsetDateTime::UNIX_EPOCH)
        };
        let (targets, time) = (seeded_sla_targets(), WorkingTime::Always);
        let mut state = SlaState::start(&targets, &time, at(opened));
        let mut metrics = TicketMetrics::default();
        for (step, when) in &self.steps {
            state.apply(&targets, &time, *step, at(*when));
            metrics.apply(*step, at(*when), at(opened), &time);
        }
        state.detect_breaches(at(now));
        let sla = TicketSla { policy_id: SlaPolicyId::from_uuid(SEEDED_SLA_POLICY), state };
        let t = &mut self.ticket;
        t.sla = Some(supportdesk_store_diesel::sla_text(&sla));
        t.sla_due_at = supportdesk_store_diesel::sla_due_at_column(Some(&sla));
        t.sla_alert_at = state.alert_at().map(|due| PrimitiveDateTime::new(due.date(), due.time()));
        t.sla_breached = state.breached.any();
        t.sla_met = supportdesk_store_diesel::sla_met(Some(&sla));
        t.first_response_minutes = metrics.first_response_minutes;
        t.resolution_minutes = metrics.resolution_minutes;
        t.reopened_at = metrics.reopened_at.map(|r| PrimitiveDateTime::new(r.date(), r.time()));
        t.reopen_count = metrics.reopen_count;
        t.resolution_at = match t.status {
            "resolved" | "closed" => t.resolved_at.or(t.closed_at),
            _ => None,
        };
    }

    /// Every event carries the ticket as the story left it.
    fn snapshot_ticket(&mut self) {
        for event in &mut self.events {
            event.ticket_number = self.ticket.number;
            event.ticket_subject.clone_from(&self.ticket.subject);
            event.ticket_status = self.ticket.status;
            event.ticket_priority = self.ticket.priority;
            event.ticket_customer_id.clone_from(&self.ticket.customer_id);
            event.ticket_assignee_id.clone_from(&self.ticket.assignee_id);
            event.ticket_version = self.ticket.version;
        }
    }

    fn message(&mut self, by_agent: bool, at: i64, body: String, attachments: String) {
        let actor = if by_agent { self.agent } else { self.customer };
        let id = uuid_v7(at, &mut self.rng);
        let id = id_text(id);
        self.messages.push(MessageRow {
            tenant: TENANT,
            id: id.clone(),
            ticket_id: self.ticket.id.clone(),
            author_type: if by_agent { "agent" } else { "customer" },
            author_id: id_text(actor.id),
            author_name: actor.name.clone(),
            author_image_url: None,
            body,
            internal: false,
            attachments,
            created_at: db_time(at),
        });
        let t = db_time(at);
        self.ticket.last_activity_at = t;
        self.ticket.public_last_activity_at = t;
        if by_agent {
            self.ticket.last_agent_message_at = Some(t);
            self.ticket.public_last_agent_message_at = Some(t);
        } else {
            self.ticket.last_customer_message_at = Some(t);
        }
        self.event(by_agent, at, "message_added", format!("{{\"messageId\":\"{id}\"}}"));
        self.steps.push((if by_agent { SlaStep::AgentReply } else { SlaStep::CustomerMessage }, at));
    }

    /// Moves the status with its side effects, recording the change (nothing when equal).
    fn move_to(&mut self, by_agent: bool, at: i64, to: &'static str) {
        let from = self.ticket.status;
        if from == to {
            return;
        }
        self.ticket.status = to;
        let t = db_time(at);
        match to {
            "resolved" => {
                self.ticket.resolved_at = Some(t);
                self.ticket.closed_at = None;
            }
            "closed" => self.ticket.closed_at = Some(t),
            _ => {
                self.ticket.resolved_at = None;
                self.ticket.closed_at = None;
                self.ticket.resolution_note = None;
            }
        }
        self.event(by_agent, at, "status_changed", format!("{{\"from\":\"{from}\",\"to\":\"{to}\"}}"));
        if let (Ok(from), Ok(to)) = (Status::parse(from), Status::parse(to)) {
            self.steps.push((SlaStep::StatusChanged { from, to }, at));
        }
    }

    /// The end of a command: one more version.
    fn changed(&mut self, at: i64) {
        self.ticket.version += 1;
        self.ticket.updated_at = db_time(at);
        self.ticket.public_version = self.ticket.version;
        self.ticket.public_updated_at = self.ticket.updated_at;
    }

    fn open(&mut self, at: i64, description: &str, attachments: &str, category: Uuid) {
        // As `Ticket::open`: the first message, then `created` and `message_added`.
        self.message(false, at, description.to_owned(), attachments.to_owned());
        let added = self.events.pop();
        let data = format!(
            "{{\"status\":\"open\",\"priority\":\"{}\",\"categoryId\":\"{}\",\"subject\":{},\"source\":\"{}\"}}",
            priority_name(self.ticket.priority),
            id_text(category),
            json_str(&self.ticket.subject),
            self.ticket.source
        );
        self.event(false, at, "created", data);
        self.events.extend(added);
        // The opening message is not a reply (`SlaStep::from_history`).
        self.steps.clear();
    }

    fn assign(&mut self, at: i64) {
        let data = format!(
            "{{\"assigneeId\":\"{}\",\"assigneeName\":{}}}",
            id_text(self.agent.id),
            json_str(&self.agent.name)
        );
        self.event(true, at, "assigned", data);
        self.ticket.assignee_id = Some(id_text(self.agent.id));
        if self.ticket.status == "open" {
            self.move_to(true, at, "in_progress");
        }
        self.changed(at);
    }

    fn agent_reply(&mut self, at: i64, then: Option<&'static str>) {
        let body = format!(
            "Hello {}, thank you for your message. I have looked into it: the carrier confirmed the \
             parcel and we will keep you posted. Best regards, {}",
            self.customer.name, self.agent.name
        );
        self.message(true, at, body, "[]".to_owned());
        if self.ticket.first_responded_at.is_none() {
            self.ticket.first_responded_at = Some(db_time(at));
        }
        let answered = if self.ticket.status == "resolved" { "resolved" } else { "answered" };
        self.move_to(true, at, answered);
        if let Some(to) = then {
            self.move_to(true, at, to);
        }
        self.changed(at);
    }

    fn customer_reply(&mut self, at: i64) {
        let body = "Thanks for the quick answer. I checked again and I still have not received it, \
                    could you have another look?"
            .to_owned();
        self.message(false, at, body, "[]".to_owned());
        if matches!(self.ticket.status, "answered" | "resolved") {
            self.move_to(false, at, "open");
        }
        self.changed(at);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    /// The seeded search rows are the ones the store itself writes: rebuilt by
    /// `reindex_search` from the seeded tickets, messages and customers, they come out the
    /// same; and the FTS5 index the triggers keep finds them.
    #[test]
    fn seeded_search_rows_are_what_the_store_writes_and_are_found() {
        #[derive(QueryableByName, PartialEq, Debug)]
        struct Row {
            #[diesel(sql_type = diesel::sql_types::Text)]
            ticket_id: String,
            #[diesel(sql_type = diesel::sql_types::Text)]
            subject: String,
            #[diesel(sql_type = diesel::sql_types::Text)]
            messages: String,
            #[diesel(sql_type = diesel::sql_types::Text)]
            notes: String,
            #[diesel(sql_type = diesel::sql_types::Text)]
            customer: String,
            #[diesel(sql_type = diesel::sql_types::Text)]
            refs: String,
        }
        #[derive(QueryableByName)]
        struct Count {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let path = std::env::temp_dir().join(format!("seed-search-{}.db", Uuid::now_v7()));
        let url = format!("sqlite://{}", path.display());
        let store =
            supportdesk_store_diesel::DieselStore::connect(&supportdesk_store_diesel::DieselConfig::new(&url)).unwrap();
        let data = Dataset::new(600, 600);
        let mut db = Db::open(&url, crate::db::Role::Seeder).unwrap();
        data.seed_base(&mut db).unwrap();
        let rows = |db: &mut Db| -> Vec<Row> {
            let Db::Sqlite(c) = db else { unreachable!("a SQLite database") };
            diesel::sql_query(
                "SELECT ticket_id, subject, messages, notes, customer, refs FROM ticket_search ORDER BY ticket_id",
            )
            .load(c)
            .unwrap()
        };
        let seeded = rows(&mut db);
        assert_eq!(seeded.len(), 600);
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        assert_eq!(runtime.block_on(store.reindex_search()).unwrap(), 600);
        assert_eq!(rows(&mut db), seeded, "the store rebuilds exactly the seeded rows");
        let Db::Sqlite(c) = &mut db else { unreachable!("a SQLite database") };
        let found: Count =
            diesel::sql_query("SELECT count(*) AS n FROM ticket_fts WHERE ticket_fts MATCH '\"parcel\"*'")
                .get_result(c)
                .unwrap();
        assert!(found.n > 0, "the FTS5 index finds the seeded subjects");
        drop(db);
        drop(store);
        let _ = std::fs::remove_file(&path);
    }

    fn dataset() -> Dataset {
        Dataset::new(100_000, 10_000)
    }

    #[test]
    fn a_ticket_is_a_pure_function_of_its_number() {
        let data = dataset();
        let a = data.ticket(95_000);
        let b = data.ticket(95_000);
        assert_eq!(a.ticket.id, b.ticket.id);
        assert_eq!(a.ticket.id, id_text(data.ticket_id(95_000)));
        assert_eq!(a.messages.len(), b.messages.len());
    }

    #[test]
    fn numbers_increase_with_creation_time() {
        let data = dataset();
        let mut previous = data.ticket(1).ticket.created_at;
        for number in [2, 500, 89_999, 90_000, 90_001, 100_000] {
            let created = data.ticket(number).ticket.created_at;
            assert!(created > previous, "ticket {number}");
            previous = created;
        }
    }

    #[test]
    fn get_tickets_have_a_twenty_message_thread_of_their_customer() {
        let data = dataset();
        for g in [0, 17, GET_TICKETS - 1] {
            let generated = data.ticket(data.get_ticket_number(g));
            assert_eq!(generated.messages.len(), THREAD_LENGTH);
            assert_eq!(generated.ticket.customer_id, id_text(data.customers[data.get_customer(g)].id));
            assert_eq!(generated.ticket.status, "answered");
            assert_eq!(generated.ticket.version, THREAD_LENGTH as i64);
            let times: Vec<_> = generated.messages.iter().map(|m| m.created_at).collect();
            assert!(times.windows(2).all(|w| w[0] < w[1]), "messages are in time order");
        }
    }

    #[test]
    fn reply_tickets_are_open_and_belong_to_their_customer() {
        let data = dataset();
        for (r, k) in [(0, 0), (5, 3), (REPLY_CUSTOMERS - 1, 1)] {
            let generated = data.ticket(data.reply_ticket_number(r, k));
            assert_eq!(generated.ticket.status, "open");
            assert_eq!(generated.ticket.customer_id, id_text(data.customers[data.reply_customer(r)].id));
        }
    }

    #[test]
    fn histories_are_consistent() {
        let data = dataset();
        for number in 1..=3_000u64 {
            let g = data.ticket(number);
            let t = &g.ticket;
            assert!(!g.messages.is_empty());
            assert_eq!(g.events[0].kind, "created");
            assert_eq!(t.resolved_at.is_some(), t.status == "resolved", "ticket {number}");
            assert_eq!(t.closed_at.is_some(), t.status == "closed", "ticket {number}");
            assert_eq!(t.first_responded_at.is_some(), t.last_agent_message_at.is_some());
            if t.status == "in_progress" {
                assert!(t.assignee_id.is_some());
            }
            assert!(t.updated_at >= t.created_at && t.last_activity_at >= t.created_at);
            if t.status == "open" && t.storefront_without_order() {
                panic!("storefront ticket {number} has no order");
            }
        }
    }

    impl TicketRow {
        fn storefront_without_order(&self) -> bool {
            self.source == "storefront" && self.order_id.is_none()
        }
    }

    #[test]
    fn event_data_is_the_api_shape() {
        let data = dataset();
        let g = data.ticket(data.get_ticket_number(0));
        let created: serde_json::Value = serde_json::from_str(&g.events[0].data).unwrap();
        assert_eq!(created["type"], "created");
        assert_eq!(created["data"]["status"], "open");
        let changed = g.events.iter().find(|e| e.kind == "status_changed").unwrap();
        let changed: serde_json::Value = serde_json::from_str(&changed.data).unwrap();
        assert_eq!(changed["data"]["from"], "open");
        assert_eq!(changed["data"]["to"], "answered");
    }
}
