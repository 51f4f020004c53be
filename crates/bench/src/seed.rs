//! The dataset, and the fast bulk path that writes it: multi-row `INSERT`s straight into the
//! server's tables, one transaction per 10,000 tickets, bypassing HTTP.
//!
//! Seeded rows are the rows the service writes: each ticket's history is made by the
//! domain's own commands (`Ticket::open`, `triage`, `assign`, `agent_reply`,
//! `customer_reply`) on the ticket's own clock and ids (UUID v7 of the command's time), its
//! SLA clocks and report metrics follow from that history by the domain's rules, and the
//! store's own rows are written (`supportdesk_store_diesel::import`): the same encodings,
//! search row and word list. A seeded ticket reads back through the store exactly as it
//! was made (the tests below check it).
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
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Instant;

use diesel::prelude::*;
use supportdesk_domain::{
    Actor, Agent, AgentId, AgentReply, Attachment, AuditEvent, Category, CategoryId, CategoryName, CommandContext,
    Customer, CustomerId, Description, DomainError, Email, ExternalRef, IdSource, Message, MessageBody, OpenTicket,
    Permission, PersonName, Priority, Role, SlaPolicyId, SlaState, SlaStep, SlaTargets, Slug, Source, Status, Subject,
    Tags, TenantKey, TenantPolicy, Ticket, TicketChange, TicketMetrics, TicketNumber, TicketSla, Triage, WorkingTime,
    DEFAULT_CATEGORIES,
};
use supportdesk_store_diesel::import::{ImportBatch, TicketRows};
use time::{OffsetDateTime, PrimitiveDateTime};
use uuid::Uuid;

use crate::db::{on_backend, Backend, Db};
use crate::rng::Rng;
use crate::schema::{sla_policies, tenants};
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

/// Where a ticket comes from, which decides its order reference and its tags.
enum Origin {
    /// The seeded history: storefront tickets and three in ten others refer to this order,
    /// and about one in twelve was tagged as it came in.
    Seeded(String),
    /// A create as the service's `create` scenario sends it (the database floor's): always
    /// about this order, untagged.
    Fresh(String),
}

/// A ticket with everything written with it, as the domain's commands left it.
#[derive(Debug, Clone)]
pub struct Generated {
    /// The ticket.
    pub ticket: Ticket,
    /// Its messages, oldest first.
    pub messages: Vec<Message>,
    /// Its audit events, oldest first.
    pub events: Vec<AuditEvent>,
    /// Its customer's index in [`Dataset::customers`].
    customer: usize,
}

/// A moment in Unix microseconds, as a time.
fn instant(unix_micros: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(unix_micros) * 1_000).unwrap_or(OffsetDateTime::UNIX_EPOCH)
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

/// A ticket's ids, as the service makes them (UUID v7 of the command's time), drawn from
/// the ticket's own generator so that the ticket is a pure function of its number.
struct SeededIds {
    /// The time of the command running, Unix microseconds.
    at: AtomicI64,
    rng: Mutex<Rng>,
}

impl SeededIds {
    /// The ids of ticket `number`; its own id is the first drawn.
    fn of_ticket(number: u64) -> Self {
        Self::new(Rng::new(number ^ 0x01D5_0F7E_C4E7))
    }

    fn new(rng: Rng) -> Self {
        Self { at: AtomicI64::new(0), rng: Mutex::new(rng) }
    }

    /// Ids drawn from now on carry the time `unix_micros`.
    fn at(&self, unix_micros: i64) {
        self.at.store(unix_micros, Ordering::Relaxed);
    }
}

impl IdSource for SeededIds {
    fn next_uuid(&self) -> Uuid {
        let mut rng = self.rng.lock().unwrap_or_else(PoisonError::into_inner);
        uuid_v7(self.at.load(Ordering::Relaxed), &mut rng)
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
        let ids = SeededIds::of_ticket(number);
        ids.at(self.created_micros(number, &mut rng));
        ids.next_uuid()
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

    /// Ticket `number` with its messages and events.
    ///
    /// # Errors
    ///
    /// A command the domain refuses: a story this module got wrong.
    pub fn ticket(&self, number: u64) -> Result<Generated, BoxError> {
        let mut rng = Rng::new(number);
        let created = self.created_micros(number, &mut rng);
        let kind = self.kind(number, &mut rng);
        let customer = self.owner(number, &mut rng);
        let order = Origin::Seeded(format!("ORD-{number:08}"));
        self.compose(number, created, SeededIds::of_ticket(number), kind, customer, order, rng)
    }

    /// A new ticket numbered `number` as a customer opens it now (`open`, its first message,
    /// `created` and `message_added`), with a unique order reference.
    ///
    /// # Errors
    ///
    /// A command the domain refuses.
    pub fn fresh(&self, rng: &mut Rng, created: i64, number: u64) -> Result<Generated, BoxError> {
        let ids = SeededIds::new(Rng::new(rng.next_u64()));
        ids.at(created);
        let order = format!("FLOOR-{}", ids.next_uuid().simple());
        let customer = self.general_customer(rng.below(GENERAL_CUSTOMERS));
        self.compose(number, created, ids, Kind::New, customer, Origin::Fresh(order), Rng::new(rng.next_u64()))
    }

    /// The store's rows of a generated ticket.
    ///
    /// # Errors
    ///
    /// An event whose data does not encode.
    pub fn rows(&self, generated: &Generated) -> Result<TicketRows, BoxError> {
        let customer = &self.customers[generated.customer % self.customers.len()];
        Ok(TicketRows::new(
            &generated.ticket,
            &generated.messages,
            &generated.events,
            &customer.name,
            Some(&customer.email),
        )?)
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

    /// A ticket and its history from its parts: opened by its customer at `created`, then
    /// the commands of its story between then and the newest ticket's time.
    #[expect(clippy::too_many_arguments, reason = "the parts of one ticket, each drawn by its caller")]
    fn compose(
        &self,
        number: u64,
        created: i64,
        ids: SeededIds,
        kind: Kind,
        customer: usize,
        origin: Origin,
        mut rng: Rng,
    ) -> Result<Generated, BoxError> {
        let customer = customer % self.customers.len();
        let person = &self.customers[customer];
        let agent = &self.agents[rng.below(self.agents.len())];
        let category_index = rng.weighted(&[(0usize, 40), (1, 20), (2, 10), (3, 10), (4, 10), (5, 10)]).unwrap_or(0);
        let category = &self.categories[category_index % self.categories.len()];
        let (subject_text, _) = SUBJECTS[rng.below(SUBJECTS.len())];
        let source = rng
            .weighted(&[
                (Source::Api, 50),
                (Source::Storefront, 20),
                (Source::Email, 15),
                (Source::CustomerPortal, 10),
                (Source::Chat, 5),
            ])
            .unwrap_or(Source::Api);
        let (order_id, seeded) = match origin {
            Origin::Fresh(order) => (Some(order), false),
            Origin::Seeded(order) => ((source == Source::Storefront || rng.below(10) < 3).then_some(order), true),
        };
        let subject = match &order_id {
            Some(order) if subject_text.ends_with("order") => format!("{subject_text} {order}"),
            _ => subject_text.to_owned(),
        };
        let priority = rng.weighted(&[(0i16, 10), (1, 70), (2, 15), (3, 5)]).unwrap_or(1);
        let tags: &[&str] = match rng.below(100) {
            0..=3 => &["vip"],
            4..=5 => &["vip", "late-delivery"],
            6..=7 => &["late-delivery"],
            _ => &[],
        };
        let attachments = if rng.below(5) == 0 {
            vec![Attachment::parse(
                &format!("photo-{number}.jpg"),
                &format!("https://cdn.shop.example.com/uploads/photo-{number}.jpg"),
                "image/jpeg",
                100_000 + rng.below_u64(900_000),
            )?]
        } else {
            Vec::new()
        };
        let description = format!(
            "{subject}. It is about the {} I bought. Hello, I placed this order a while ago and I am still waiting for a proper answer. \
             The confirmation email said it would arrive within three working days, but nothing has changed \
             since then. Could you please check what happened and tell me what the next step is? \
             Thank you in advance, {}",
            product_word(number),
            person.name
        );
        let customer_id = CustomerId::from_uuid(person.id);
        let agent_id = AgentId::from_uuid(agent.id);
        let customer_actor = Actor::customer(customer_id, person.name.clone());
        ids.at(created);
        let opened = Ticket::open(
            &CommandContext {
                actor: &customer_actor,
                policy: TenantPolicy::default(),
                now: instant(created),
                ids: &ids,
            },
            OpenTicket {
                tenant: TenantKey::parse(TENANT)?,
                customer_id,
                category_id: CategoryId::from_uuid(category.id),
                subject: Some(Subject::parse(&subject)?),
                description: Description::parse(&description)?,
                priority: Priority::from_rank(priority).unwrap_or_default(),
                source,
                order_id: order_id.as_deref().map(ExternalRef::parse).transpose()?,
                delivery_id: None,
                attachments,
            },
        )?;
        let mut story = Story {
            ticket: opened.ticket.into_ticket(TicketNumber::new(i64::try_from(number)?)?),
            messages: vec![opened.message],
            events: opened.events,
            ids,
            customer: customer_actor,
            agent: Actor::agent(agent_id, agent.name.clone()),
            agent_id,
        };
        if seeded && !tags.is_empty() {
            // Tagged by an agent (or a rule) as it came in.
            story.tag(created, tags)?;
        }
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
            Kind::Assigned => story.assign(next(&mut rng))?,
            Kind::Answered => story.agent_reply(next(&mut rng), None)?,
            Kind::Reopened => {
                story.assign(next(&mut rng))?;
                story.agent_reply(next(&mut rng), None)?;
                story.customer_reply(next(&mut rng))?;
            }
            Kind::Resolved => story.agent_reply(next(&mut rng), Some(Status::Resolved))?,
            Kind::Closed => story.agent_reply(next(&mut rng), Some(Status::Closed))?,
            Kind::ResolvedAfterTwoReplies | Kind::ClosedAfterTwoReplies => {
                story.agent_reply(next(&mut rng), None)?;
                story.customer_reply(next(&mut rng))?;
                let end = if kind == Kind::ResolvedAfterTwoReplies { Status::Resolved } else { Status::Closed };
                story.agent_reply(next(&mut rng), Some(end))?;
            }
            Kind::Thread => {
                for step in 0..steps {
                    if step % 2 == 0 {
                        story.agent_reply(next(&mut rng), None)?;
                    } else {
                        story.customer_reply(next(&mut rng))?;
                    }
                }
            }
        }
        story.settle_sla(self.newest_micros + 3_600_000_000);
        Ok(Generated { ticket: story.ticket, messages: story.messages, events: story.events, customer })
    }

    /// Writes the tenant, its SLA policy, categories, customers and agents, and the base
    /// tickets.
    ///
    /// # Errors
    ///
    /// Database errors.
    pub fn seed_base(&self, db: &mut Db) -> Result<SeedReport, BoxError> {
        let started = Instant::now();
        let since = instant(self.start_micros);
        let created = PrimitiveDateTime::new(since.date(), since.time());
        let tenant = TenantKey::parse(TENANT)?;
        let mut directory = ImportBatch::default();
        for (position, category) in (0..).zip(&self.categories) {
            directory.add_category(&Category {
                id: CategoryId::from_uuid(category.id),
                tenant: tenant.clone(),
                slug: Slug::parse(category.slug)?,
                name: CategoryName::parse(category.name)?,
                parent_id: None,
                active: true,
                position,
            });
        }
        let permissions =
            crate::tokens::AGENT_PERMISSIONS.iter().map(|p| Permission::parse(p)).collect::<Result<Vec<_>, _>>()?;
        for agent in &self.agents {
            directory.add_agent(&Agent {
                id: AgentId::from_uuid(agent.id),
                tenant: tenant.clone(),
                email: Email::parse(&agent.email)?,
                name: PersonName::parse(&agent.name)?,
                role: Role::Agent,
                permissions: permissions.clone(),
                active: true,
                created_at: since,
                updated_at: since,
            });
        }
        for customer in &self.customers {
            directory.add_customer(&Customer {
                id: CustomerId::from_uuid(customer.id),
                tenant: tenant.clone(),
                name: PersonName::parse(&customer.name)?,
                email: Some(Email::parse(&customer.email)?),
                image_url: None,
                created_at: since,
                updated_at: since,
            });
        }
        db.write_transaction(|db| {
            let tenant = (
                tenants::key.eq(TENANT),
                tenants::last_number.eq(i64::try_from(self.largest).unwrap_or(i64::MAX)),
                tenants::allow_customer_close.eq(true),
                tenants::reopen_closed_on_customer_reply.eq(false),
                tenants::created_at.eq(created),
            );
            on_backend!(db, |c| diesel::insert_into(tenants::table).values(&tenant).execute(c))?;
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
            directory.insert(db.import())?;
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
            let (chunks, ready) = std::sync::mpsc::sync_channel::<Result<(ImportBatch, SeedReport), String>>(1);
            scope.spawn(move || {
                let mut at = first;
                while at <= last {
                    let until = (at + TICKETS_PER_TRANSACTION - 1).min(last);
                    let batch = self.batch(at..=until).map_err(|e| format!("generating tickets {at}..={until}: {e}"));
                    if chunks.send(batch).is_err() {
                        break;
                    }
                    at = until + 1;
                }
            });
            for batch in ready {
                let (batch, written) = batch?;
                db.write_transaction(|db| {
                    match db {
                        Db::Pg(c) => batch.copy(c)?,
                        Db::Sqlite(_) => batch.insert(db.import())?,
                    }
                    Ok(())
                })?;
                report.tickets += written.tickets;
                report.messages += written.messages;
                report.events += written.events;
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

    /// The rows of tickets `numbers`, and what they hold.
    fn batch(&self, numbers: RangeInclusive<u64>) -> Result<(ImportBatch, SeedReport), BoxError> {
        let mut batch = ImportBatch::default();
        let mut written = SeedReport::default();
        for number in numbers {
            let rows = self.rows(&self.ticket(number)?)?;
            written.tickets += 1;
            written.messages += rows.message_count() as u64;
            written.events += rows.event_count() as u64;
            batch.add_ticket(rows);
        }
        Ok((batch, written))
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

/// A ticket's history being made, command by command.
struct Story {
    ticket: Ticket,
    messages: Vec<Message>,
    events: Vec<AuditEvent>,
    ids: SeededIds,
    customer: Actor,
    agent: Actor,
    agent_id: AgentId,
}

impl Story {
    /// Runs `command` on the ticket as the agent or the customer at `at`, and keeps what it
    /// changed.
    fn run(
        &mut self,
        by_agent: bool,
        at: i64,
        command: impl FnOnce(&Ticket, &CommandContext<'_>) -> Result<Option<TicketChange>, DomainError>,
    ) -> Result<(), BoxError> {
        self.ids.at(at);
        let actor = if by_agent { &self.agent } else { &self.customer };
        let ctx = CommandContext { actor, policy: TenantPolicy::default(), now: instant(at), ids: &self.ids };
        if let Some(change) = command(&self.ticket, &ctx)? {
            self.ticket = change.ticket;
            self.messages.extend(change.message);
            self.events.extend(change.events);
        }
        Ok(())
    }

    fn tag(&mut self, at: i64, tags: &[&str]) -> Result<(), BoxError> {
        let tags = Tags::parse(tags)?;
        self.run(true, at, |ticket, ctx| ticket.triage(ctx, Triage { tags: Some(tags), ..Triage::default() }))
    }

    fn assign(&mut self, at: i64) -> Result<(), BoxError> {
        let (id, name) = (self.agent_id, self.agent.name.clone());
        self.run(true, at, |ticket, ctx| ticket.assign(ctx, Some((id, &name))))
    }

    fn agent_reply(&mut self, at: i64, then: Option<Status>) -> Result<(), BoxError> {
        let body = MessageBody::parse(&format!(
            "Hello {}, thank you for your message. I have looked into it: the carrier confirmed the \
             parcel and we will keep you posted. Best regards, {}",
            self.customer.name, self.agent.name
        ))?;
        let reply = AgentReply { body, internal: false, attachments: Vec::new(), status: then, resolution_note: None };
        self.run(true, at, |ticket, ctx| ticket.agent_reply(ctx, reply).map(Some))
    }

    fn customer_reply(&mut self, at: i64) -> Result<(), BoxError> {
        let body = MessageBody::parse(
            "Thanks for the quick answer. I checked again and I still have not received it, \
             could you have another look?",
        )?;
        self.run(false, at, |ticket, ctx| ticket.customer_reply(ctx, body, Vec::new()).map(Some))
    }

    /// The SLA state and report metrics the service would have written: the seeded policy's
    /// clocks over the history (the domain's own rules), breaches detected as the breach job
    /// would have by `now`; the metrics in wall-clock minutes (the seeded policy counts
    /// 24/7).
    fn settle_sla(&mut self, now: i64) {
        let (targets, time) = (seeded_sla_targets(), WorkingTime::Always);
        self.ticket.sla = SlaState::from_history(&targets, &time, &self.events).map(|mut state| {
            state.detect_breaches(instant(now));
            TicketSla { policy_id: SlaPolicyId::from_uuid(SEEDED_SLA_POLICY), state }
        });
        let mut metrics = TicketMetrics::default();
        for (step, at) in SlaStep::from_history(&self.events) {
            metrics.apply(step, at, self.ticket.created_at, &time);
        }
        self.ticket.metrics = metrics;
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use supportdesk_app::TicketStore;
    use supportdesk_domain::TicketRef;

    use super::*;

    /// A scratch SQLite database with the service's schema, seeded with `tickets` tickets.
    struct Seeded {
        path: std::path::PathBuf,
        store: supportdesk_store_diesel::DieselStore,
        db: Db,
        data: Dataset,
    }

    impl Seeded {
        fn new(tickets: u64) -> Self {
            let path = std::env::temp_dir().join(format!("seed-{}.db", Uuid::now_v7()));
            let url = format!("sqlite://{}", path.display());
            let config = supportdesk_store_diesel::DieselConfig::new(&url);
            let store = supportdesk_store_diesel::DieselStore::connect(&config).unwrap();
            let data = Dataset::new(tickets, tickets);
            let mut db = Db::open(&url, crate::db::Role::Seeder).unwrap();
            data.seed_base(&mut db).unwrap();
            Self { path, store, db, data }
        }
    }

    impl Drop for Seeded {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.path);
        }
    }

    fn block_on<F: std::future::Future>(future: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(future)
    }

    /// Every seeded ticket reads back through the store exactly as the domain made it: the
    /// ticket (SLA state and metrics included), each message, and the audit trail.
    #[test]
    fn seeded_tickets_read_back_through_the_store_as_made() {
        let seeded = Seeded::new(400);
        let tenant = TenantKey::parse(TENANT).unwrap();
        for number in 1..=400 {
            let made = seeded.data.ticket(number).unwrap();
            let id = made.ticket.id;
            let stored = block_on(seeded.store.load_ticket(&tenant, TicketRef::Id(id))).unwrap().unwrap();
            assert_eq!(stored, made.ticket, "ticket {number}");
            for message in &made.messages {
                let read = block_on(seeded.store.message(&tenant, message.id)).unwrap();
                assert_eq!(read.as_ref(), Some(message), "ticket {number}");
            }
            let trail = block_on(seeded.store.events(&tenant, id)).unwrap();
            assert_eq!(trail, made.events, "ticket {number}");
        }
    }

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
        let mut seeded = Seeded::new(600);
        let rows = |db: &mut Db| -> Vec<Row> {
            let Db::Sqlite(c) = db else { unreachable!("a SQLite database") };
            diesel::sql_query(
                "SELECT ticket_id, subject, messages, notes, customer, refs FROM ticket_search ORDER BY ticket_id",
            )
            .load(c)
            .unwrap()
        };
        let written = rows(&mut seeded.db);
        assert_eq!(written.len(), 600);
        assert_eq!(block_on(seeded.store.reindex_search()).unwrap(), 600);
        assert_eq!(rows(&mut seeded.db), written, "the store rebuilds exactly the seeded rows");
        let Db::Sqlite(c) = &mut seeded.db else { unreachable!("a SQLite database") };
        let found: Count =
            diesel::sql_query("SELECT count(*) AS n FROM ticket_fts WHERE ticket_fts MATCH '\"parcel\"*'")
                .get_result(c)
                .unwrap();
        assert!(found.n > 0, "the FTS5 index finds the seeded subjects");
    }

    fn dataset() -> Dataset {
        Dataset::new(100_000, 10_000)
    }

    #[test]
    fn a_ticket_is_a_pure_function_of_its_number() {
        let data = dataset();
        let a = data.ticket(95_000).unwrap();
        let b = data.ticket(95_000).unwrap();
        assert_eq!(a.ticket, b.ticket);
        assert_eq!(a.messages, b.messages);
        assert_eq!(a.ticket.id.as_uuid(), data.ticket_id(95_000));
    }

    #[test]
    fn numbers_increase_with_creation_time() {
        let data = dataset();
        let mut previous = data.ticket(1).unwrap().ticket.created_at;
        for number in [2, 500, 89_999, 90_000, 90_001, 100_000] {
            let created = data.ticket(number).unwrap().ticket.created_at;
            assert!(created > previous, "ticket {number}");
            previous = created;
        }
    }

    #[test]
    fn get_tickets_have_a_twenty_message_thread_of_their_customer() {
        let data = dataset();
        for g in [0, 17, GET_TICKETS - 1] {
            let generated = data.ticket(data.get_ticket_number(g)).unwrap();
            assert_eq!(generated.messages.len(), THREAD_LENGTH);
            assert_eq!(generated.ticket.customer_id.as_uuid(), data.customers[data.get_customer(g)].id);
            assert_eq!(generated.ticket.status, Status::Answered);
            let times: Vec<_> = generated.messages.iter().map(|m| m.created_at).collect();
            assert!(times.windows(2).all(|w| w[0] < w[1]), "messages are in time order");
        }
    }

    #[test]
    fn reply_tickets_are_open_and_belong_to_their_customer() {
        let data = dataset();
        for (r, k) in [(0, 0), (5, 3), (REPLY_CUSTOMERS - 1, 1)] {
            let generated = data.ticket(data.reply_ticket_number(r, k)).unwrap();
            assert_eq!(generated.ticket.status, Status::Open);
            assert_eq!(generated.ticket.customer_id.as_uuid(), data.customers[data.reply_customer(r)].id);
        }
    }

    /// The mixes give what the scenarios and the report count on: old tickets mostly
    /// finished, about three messages a ticket, half the SLA clocks breached.
    #[test]
    fn the_old_tickets_are_mostly_finished_with_about_three_messages_each() {
        let data = dataset();
        let (mut unfinished, mut messages, mut breached) = (0, 0, 0);
        for number in 1..=3_000u64 {
            let g = data.ticket(number).unwrap();
            unfinished += usize::from(g.ticket.is_unfinished());
            messages += g.messages.len();
            breached += usize::from(g.ticket.sla.is_some_and(|sla| sla.state.breached.any()));
        }
        assert!(unfinished < 100, "{unfinished} of 3,000 old tickets unfinished");
        assert!((8_000..10_000).contains(&messages), "{messages} messages for 3,000 tickets");
        assert!((900..2_100).contains(&breached), "{breached} of 3,000 breached");
    }
}
