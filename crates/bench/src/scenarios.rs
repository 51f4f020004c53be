//! The scenarios: which requests each one sends, with whose token, about which tickets.
//!
//! Writes are partitioned by load task: task `t` replies only to the tickets of reply
//! customer `t`, so no two tasks change the same ticket at once (the service's optimistic
//! version check would otherwise turn the race into retries, which is a different
//! benchmark). Reads spread over many customers and the agents.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use crate::driver::{Request, Workload};
use crate::rng::Rng;
use crate::seed::{
    id_text, product_word, Dataset, GENERAL_CUSTOMERS, GET_TICKETS, REPLY_CUSTOMERS, REPLY_TICKETS_PER_CUSTOMER,
    SEARCH_WORD,
};
use crate::tokens::Minter;
use crate::BoxError;

/// The queue as the agents' inbox shows it.
pub const QUEUE: &str = "/api/v1/admin/tickets?status=open&sort=-createdAt&size=20";

/// The queue of breached tickets (issue 13), newest first.
pub const QUEUE_BREACHED: &str = "/api/v1/admin/tickets?slaBreached=true&size=20";

/// The queue by SLA due time (issue 13), soonest first.
pub const QUEUE_DUE: &str = "/api/v1/admin/tickets?sort=dueAt&size=20";

/// Every ticket, newest first: the list the cursor scenarios read (its first page, and a
/// page far into it by `cursor`).
pub const ALL_TICKETS: &str = "/api/v1/admin/tickets?sort=-createdAt&size=20";

/// The report summary of the last 30 days (the default range), per day.
pub const REPORT_DAY: &str = "/api/v1/admin/reports/summary?groupBy=day";

/// The same summary per agent.
pub const REPORT_AGENT: &str = "/api/v1/admin/reports/summary?groupBy=agent";

/// The console's queue page as an agent opens it.
pub const CONSOLE_QUEUE: &str = "/console?status=open";

/// Every order reference the bench sends is new: the service refuses a second unfinished
/// ticket for one order.
static ORDER_SEQUENCE: AtomicU64 = AtomicU64::new(0);

/// A scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// A customer opens a ticket (about 600 bytes of JSON, one attachment, a new order id).
    Create,
    /// A customer replies to their open ticket.
    ReplyCustomer,
    /// An agent replies and moves the ticket to `in_progress` in the same request.
    ReplyAgent,
    /// A customer reads their ticket with its 20 messages.
    Get,
    /// An agent reads the queue: open, newest first, 20 a page.
    Queue,
    /// The same queue, of one assignee.
    QueueAssignee,
    /// The same queue, with a subject search.
    QueueSearch,
    /// All tickets searched for one seeded ticket's order id (`q=ORD-…`, at most one
    /// match: a rare term), best match first.
    QueueSearchOrder,
    /// All tickets searched for a word of about one ticket in 50,000 (a product name in
    /// the first message), best match first.
    SearchRare,
    /// All tickets searched for a word in most of them (`parcel`), best match first.
    SearchCommon,
    /// All tickets searched for a ticket number (`q=<number>`), best match first.
    SearchNumber,
    /// The first page of every ticket, newest first (`cursor` scenarios' baseline).
    CursorFirst,
    /// The queue of tickets with a recorded SLA breach, newest first.
    QueueBreached,
    /// The whole queue, soonest SLA due time first.
    QueueDue,
    /// A 30-day report summary (the default range), one row per day.
    Report,
    /// The same summary, one row per agent.
    ReportAgent,
    /// A customer lists their own tickets.
    Mine,
    /// An agent looks a customer up in the directory by a name prefix (`q=customer 12`:
    /// about a dozen matches of the 2,128 customers).
    Customers,
    /// 70 % reads (get, queue, mine), 30 % writes (create, both replies).
    Mixed,
    /// An agent opens the console's queue page: open tickets, newest first, with the counts
    /// per status.
    ConsoleQueue,
    /// An agent opens a ticket's page in the console: thread, notes, forms and audit trail.
    ConsoleTicket,
    /// The HTTP floor's copy of `get`: the same bytes, from memory.
    FloorGet,
    /// The HTTP floor's copy of the queue.
    FloorQueue,
    /// The HTTP floor's copy of create: the same request, a canned answer.
    FloorCreate,
}

impl Kind {
    /// Its name in reports.
    pub const fn name(self) -> &'static str {
        match self {
            Kind::Create => "create",
            Kind::ReplyCustomer => "reply (customer)",
            Kind::ReplyAgent => "reply (agent + status)",
            Kind::Get => "get",
            Kind::Queue => "queue",
            Kind::QueueAssignee => "queue (assigneeId)",
            Kind::QueueSearch => "queue (q)",
            Kind::QueueSearchOrder => "queue (q order id)",
            Kind::SearchRare => "search (rare word)",
            Kind::SearchCommon => "search (common word)",
            Kind::SearchNumber => "search (number)",
            Kind::CursorFirst => "cursor (first page)",
            Kind::QueueBreached => "queue (slaBreached)",
            Kind::QueueDue => "queue (sort=dueAt)",
            Kind::Report => "report (day)",
            Kind::ReportAgent => "report (agent)",
            Kind::Mine => "mine",
            Kind::Customers => "customers (q)",
            Kind::Mixed => "mixed",
            Kind::ConsoleQueue => "console queue",
            Kind::ConsoleTicket => "console ticket",
            Kind::FloorGet => "get",
            Kind::FloorQueue => "queue",
            Kind::FloorCreate => "create",
        }
    }
}

/// The tokens and ids the workloads use.
pub struct Actors {
    customers: Vec<Arc<str>>,
    agents: Vec<Arc<str>>,
    agent_ids: Vec<String>,
    get_tickets: Vec<String>,
    reply_tickets: Vec<Vec<String>>,
}

impl Actors {
    /// Tokens for every customer and agent of `data`, and the ids of its `get` and reply
    /// tickets.
    ///
    /// # Errors
    ///
    /// Token encoding failures.
    pub fn new(data: &Dataset, minter: &Minter) -> Result<Self, BoxError> {
        let customers =
            data.customers.iter().map(|c| minter.customer(c.id, &c.name, &c.email)).collect::<Result<_, _>>()?;
        let agents = data.agents.iter().map(|a| minter.agent(a.id, &a.name, &a.email)).collect::<Result<_, _>>()?;
        let agent_ids = data.agents.iter().map(|a| id_text(a.id)).collect();
        let get_tickets = (0..GET_TICKETS).map(|g| id_text(data.ticket_id(data.get_ticket_number(g)))).collect();
        let reply_tickets = (0..REPLY_CUSTOMERS)
            .map(|r| {
                (0..REPLY_TICKETS_PER_CUSTOMER)
                    .map(|k| id_text(data.ticket_id(data.reply_ticket_number(r, k))))
                    .collect()
            })
            .collect();
        Ok(Self { customers, agents, agent_ids, get_tickets, reply_tickets })
    }

    /// The first agent's token (an agent may read the change feed).
    pub fn agent_token(&self) -> Option<Arc<str>> {
        self.agents.first().cloned()
    }
}

/// The `feed` scenario: an agent reads 100 events of the change feed after a random one of
/// its cursors (collected by walking the feed once).
pub struct FeedPages {
    /// Cursors into the feed; empty: read from its start.
    pub cursors: Vec<String>,
    /// The agent's token.
    pub token: Arc<str>,
}

impl Workload for FeedPages {
    fn next(&self, _task: usize, rng: &mut Rng) -> Request {
        let path = match self.cursors.len() {
            0 => "/api/v1/admin/events?limit=100".to_owned(),
            n => format!("/api/v1/admin/events?limit=100&after={}", self.cursors[rng.below(n)]),
        };
        Request::get(path, &self.token)
    }
}

/// `cursor (deep page)`: an agent reads the page of [`ALL_TICKETS`] that a cursor far into
/// the list names (found by walking the list once).
pub struct DeepPage {
    /// The page's path, cursor included.
    pub path: String,
    /// The agent's token.
    pub token: Arc<str>,
}

/// The name of the deep page's scenario.
pub const CURSOR_DEEP: &str = "cursor (deep page)";

impl Workload for DeepPage {
    fn next(&self, _task: usize, _rng: &mut Rng) -> Request {
        Request::get(self.path.clone(), &self.token)
    }
}

/// A scenario over a dataset's actors.
pub struct Scenario {
    kind: Kind,
    actors: Arc<Actors>,
    data: Arc<Dataset>,
}

impl Scenario {
    /// Scenario `kind`.
    pub fn new(kind: Kind, actors: Arc<Actors>, data: Arc<Dataset>) -> Self {
        Self { kind, actors, data }
    }

    fn customer(&self, index: usize) -> &Arc<str> {
        &self.actors.customers[index % self.actors.customers.len()]
    }

    fn agent(&self, index: usize) -> &Arc<str> {
        &self.actors.agents[index % self.actors.agents.len()]
    }

    fn general_customer(&self, rng: &mut Rng) -> &Arc<str> {
        self.customer(self.data.general_customer(rng.below(GENERAL_CUSTOMERS)))
    }

    fn create(&self, task: usize, rng: &mut Rng, path: &str) -> Request {
        let token = self.general_customer(rng).clone();
        Request::post(path.to_owned(), &token, create_body(task))
    }

    fn get(&self, rng: &mut Rng, path: Option<&str>) -> Request {
        let g = rng.below(GET_TICKETS);
        let token = self.customer(self.data.get_customer(g));
        let path = path.map_or_else(|| format!("/api/v1/tickets/{}", self.actors.get_tickets[g]), str::to_owned);
        Request::get(path, token)
    }

    fn queue(&self, rng: &mut Rng, path: &str) -> Request {
        Request::get(path.to_owned(), self.agent(rng.below(self.actors.agents.len())))
    }

    /// One of the base tickets' numbers: present at every size of the dataset.
    fn base_number(&self, rng: &mut Rng) -> u64 {
        self.data.largest - rng.below(usize::try_from(self.data.base).unwrap_or(1).max(1)) as u64
    }

    fn reply_ticket(&self, task: usize, rng: &mut Rng) -> &str {
        let tickets = &self.actors.reply_tickets[task % REPLY_CUSTOMERS];
        &tickets[rng.below(tickets.len())]
    }

    fn reply_customer(&self, task: usize, rng: &mut Rng) -> Request {
        let ticket = self.reply_ticket(task, rng).to_owned();
        let token = self.customer(self.data.reply_customer(task));
        let body = br#"{"body":"Thanks, I checked again: the parcel is still not here. The tracking page shows no update since Monday. Could you ask the carrier?"}"#;
        Request::post(format!("/api/v1/tickets/{ticket}/messages"), token, body.to_vec())
    }

    fn reply_agent(&self, task: usize, rng: &mut Rng) -> Request {
        let ticket = self.reply_ticket(task, rng).to_owned();
        let token = self.agent(task);
        let body = br#"{"body":"Hello, I have asked the carrier for an investigation and will update you as soon as they answer. Sorry for the wait.","status":"in_progress"}"#;
        Request::post(format!("/api/v1/admin/tickets/{ticket}/messages"), token, body.to_vec())
    }
}

impl Workload for Scenario {
    fn next(&self, task: usize, rng: &mut Rng) -> Request {
        match self.kind {
            Kind::Create => self.create(task, rng, "/api/v1/tickets"),
            Kind::ReplyCustomer => self.reply_customer(task, rng),
            Kind::ReplyAgent => self.reply_agent(task, rng),
            Kind::Get => self.get(rng, None),
            Kind::Queue => self.queue(rng, QUEUE),
            Kind::QueueAssignee => {
                let agent = &self.actors.agent_ids[rng.below(self.actors.agent_ids.len())];
                self.queue(rng, &format!("{QUEUE}&assigneeId={agent}"))
            }
            Kind::QueueSearch => self.queue(rng, &format!("{QUEUE}&q={SEARCH_WORD}")),
            Kind::QueueSearchOrder => {
                // About a third of the tickets have an order.
                let number = self.base_number(rng);
                self.queue(rng, &format!("/api/v1/admin/tickets?size=20&q=ORD-{number:08}"))
            }
            Kind::SearchRare => {
                let word = product_word(self.base_number(rng));
                self.queue(rng, &format!("/api/v1/admin/tickets?size=20&q={word}"))
            }
            Kind::SearchCommon => self.queue(rng, &format!("/api/v1/admin/tickets?size=20&q={SEARCH_WORD}")),
            Kind::SearchNumber => {
                let number = self.base_number(rng);
                self.queue(rng, &format!("/api/v1/admin/tickets?size=20&q={number}"))
            }
            Kind::CursorFirst => self.queue(rng, ALL_TICKETS),
            Kind::QueueBreached => self.queue(rng, QUEUE_BREACHED),
            Kind::QueueDue => self.queue(rng, QUEUE_DUE),
            Kind::Report => self.queue(rng, REPORT_DAY),
            Kind::ReportAgent => self.queue(rng, REPORT_AGENT),
            Kind::Mine => Request::get("/api/v1/tickets".to_owned(), self.general_customer(rng)),
            Kind::Customers => {
                let n = 1 + rng.below(self.data.customers.len());
                self.queue(rng, &format!("/api/v1/admin/customers?size=20&q=customer%20{n}"))
            }
            Kind::ConsoleQueue => {
                Request::page(CONSOLE_QUEUE.to_owned(), self.agent(rng.below(self.actors.agents.len())))
            }
            // The `get` tickets (20 messages each) exist at every size of the dataset.
            Kind::ConsoleTicket => Request::page(
                format!("/console/tickets/{}", self.data.get_ticket_number(rng.below(GET_TICKETS))),
                self.agent(rng.below(self.actors.agents.len())),
            ),
            Kind::Mixed => match rng.below(100) {
                0..=24 => self.get(rng, None),
                25..=44 => self.queue(rng, QUEUE),
                45..=69 => Request::get("/api/v1/tickets".to_owned(), self.general_customer(rng)),
                70..=79 => self.create(task, rng, "/api/v1/tickets"),
                80..=89 => self.reply_customer(task, rng),
                _ => self.reply_agent(task, rng),
            },
            Kind::FloorGet => self.get(rng, Some("/floor/get")),
            Kind::FloorQueue => self.queue(rng, "/floor/queue"),
            Kind::FloorCreate => self.create(task, rng, "/floor/create"),
        }
    }
}

/// The body of a create: about 600 bytes, one attachment, a never-used order id.
pub fn create_body(task: usize) -> Vec<u8> {
    let n = ORDER_SEQUENCE.fetch_add(1, Ordering::Relaxed);
    let pid = std::process::id();
    format!(
        concat!(
            r#"{{"category":"order","subject":"Parcel arrived damaged, order BENCH-{pid}-{n}","#,
            r#""description":"Hello, my parcel arrived today but the box was crushed and the blender inside has a "#,
            r#"cracked jug. I attached a photo of the box and of the jug. I would like a replacement rather "#,
            r#"than a refund if possible, as I need it for a birthday on Saturday. Please tell me whether I "#,
            r#"should send the broken one back first. Thank you, load task {task}.","#,
            r#""orderId":"BENCH-{pid}-{n}","attachments":[{{"fileName":"crushed-box.jpg","#,
            r#""url":"https://cdn.shop.example.com/uploads/2026/03/crushed-box-{n}.jpg","#,
            r#""contentType":"image/jpeg","sizeBytes":482113}}]}}"#
        ),
        pid = pid,
        n = n,
        task = task
    )
    .into_bytes()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn a_create_body_is_about_600_bytes_of_valid_json_with_a_new_order() {
        let a = create_body(3);
        let b = create_body(3);
        assert!((550..=700).contains(&a.len()), "{} bytes", a.len());
        let a: serde_json::Value = serde_json::from_slice(&a).unwrap();
        let b: serde_json::Value = serde_json::from_slice(&b).unwrap();
        assert_ne!(a["orderId"], b["orderId"]);
        assert_eq!(a["attachments"].as_array().unwrap().len(), 1);
    }

    #[test]
    fn each_task_replies_to_tickets_of_its_own() {
        let data = Arc::new(Dataset::new(20_000, 10_000));
        let actors = Arc::new(Actors::new(&data, &Minter::new(&[7u8; 32])).unwrap());
        let scenario = Scenario::new(Kind::ReplyCustomer, actors.clone(), data);
        let mut rng = Rng::new(1);
        for task in 0..32 {
            for _ in 0..10 {
                let request = scenario.next(task, &mut rng);
                assert!(actors.reply_tickets[task].iter().any(|t| request.path.contains(t.as_str())));
                for other in (0..32).filter(|o| *o != task) {
                    assert!(!actors.reply_tickets[other].iter().any(|t| request.path.contains(t.as_str())));
                }
            }
        }
    }

    #[test]
    fn request_bodies_are_valid_json() {
        for body in [
            br#"{"body":"Thanks, I checked again: the parcel is still not here. The tracking page shows no update since Monday. Could you ask the carrier?"}"#.as_slice(),
            br#"{"body":"Hello, I have asked the carrier for an investigation and will update you as soon as they answer. Sorry for the wait.","status":"in_progress"}"#.as_slice(),
        ] {
            serde_json::from_slice::<serde_json::Value>(body).unwrap();
        }
    }
}
