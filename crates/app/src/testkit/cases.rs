//! The contract cases. Each is a public async function over a fresh store; the
//! [`store_contract_tests!`](crate::store_contract_tests) macro turns each into a test.
//! They drive the store through the use cases (as the service does) and, where a promise
//! is the store's alone (version checks, numbering), through the port directly.

#![expect(clippy::unwrap_used, reason = "test code")]

use crate::Taken;
use std::collections::HashSet;
use std::sync::Arc;

use supportdesk_domain::search::directory_name_key;
use supportdesk_domain::{
    AgentId, Attachment, CategoryName, CommandContext, Email, ExternalRef, IdSource, MessageBody, PersonName, Priority,
    ResolutionNote, Role, Slug, Source, Status, Subject, Tags, TenantPolicy, TicketRef, UuidV7,
};
use uuid::Uuid;

use super::{ContractStore, World};
use crate::{
    AgentPatch, AgentReplyInput, AppError, AssigneeFilter, CategoryFilter, CategoryKey, CustomerProfile, CustomerQuery,
    FeedEvent, Idempotency, IdempotencyKey, NewAgent, NewCategory, PageRequest, Password, Principal, RegisterInput,
    SearchText, Store, StoreError, TicketFeedEvent, TicketQuery, TicketSort, TicketView, TriageInput,
};

async fn world<S: Store + 'static>(subject: ContractStore<S>) -> (World<S>, ContractStore<S>) {
    (World::new(subject.store.clone()).await, subject)
}

fn by_id(view: &TicketView) -> TicketRef {
    TicketRef::Id(view.summary.ticket.id)
}

fn query() -> TicketQuery {
    TicketQuery::default()
}

/// The ticket part of a feed event the case knows to be a ticket's.
fn ticket_part(event: &FeedEvent) -> &TicketFeedEvent {
    let Some(part) = event.ticket_event() else { panic!("{event:?} is not a ticket event") };
    part
}

fn numbers(page: &crate::Page<crate::TicketSummary>) -> Vec<i64> {
    page.items.iter().map(|s| s.ticket.number.get()).collect()
}

fn idem(key: &str, fingerprint: &str) -> Option<Idempotency> {
    Some(Idempotency { key: IdempotencyKey::parse(key).unwrap(), fingerprint: fingerprint.to_owned() })
}

fn reply(body: &str) -> AgentReplyInput {
    AgentReplyInput {
        body: MessageBody::parse(body).unwrap(),
        internal: false,
        attachments: vec![],
        status: None,
        resolution_note: None,
    }
}

/// A created ticket reads back by id and by number, with its names.
pub async fn creates_a_ticket_and_reads_it_back_by_id_and_by_number<S: Store + 'static>(s: ContractStore<S>) {
    let (w, _s) = world(s).await;
    let created = w.open(&w.alex, "Order not received").await;
    let ticket = &created.summary.ticket;
    let by_id = w.app.get_ticket(&w.admin, by_id(&created)).await.unwrap();
    let by_number = w.app.get_ticket(&w.admin, TicketRef::Number(ticket.number)).await.unwrap();
    assert_eq!(by_id, by_number);
    assert_eq!(by_id.summary.ticket, *ticket);
    assert_eq!(by_id.summary.customer.name, "Alex");
    assert_eq!(by_id.summary.customer.email.as_deref(), Some("alex@example.com"));
    assert_eq!(by_id.summary.category.slug, "order");
    assert_eq!(by_id.summary.assignee, None);
    assert_eq!(ticket.status, Status::Open);
    assert_eq!(ticket.version, 1);
}

/// Numbers start at 1 in each tenant and increase with creation order, independently.
pub async fn numbers_start_at_one_and_increase_per_tenant<S: Store + 'static>(s: ContractStore<S>) {
    let (w, _s) = world(s).await;
    let mut alpha = Vec::new();
    let mut beta = Vec::new();
    for i in 0..4 {
        alpha.push(w.open(&w.alex, &format!("Alpha ticket {i}")).await.summary.ticket.number.get());
        beta.push(w.open(&w.casey, &format!("Beta ticket {i}")).await.summary.ticket.number.get());
    }
    assert_eq!(alpha, [1, 2, 3, 4]);
    assert_eq!(beta, [1, 2, 3, 4]);
}

/// The description is the first message, and the trail starts with `created`.
pub async fn the_first_message_is_the_description_and_the_trail_starts_with_created<S: Store + 'static>(
    s: ContractStore<S>,
) {
    let (w, _s) = world(s).await;
    let created = w.open(&w.alex, "Parcel damaged").await;
    let view = w.app.get_ticket(&w.alex, by_id(&created)).await.unwrap();
    assert_eq!(view.messages.len(), 1);
    assert_eq!(view.messages[0].body.as_str(), "Parcel damaged. Please help with this.");
    assert_eq!(view.messages[0].author.name, "Alex");
    let events = w.app.ticket_events(&w.admin, by_id(&created)).await.unwrap();
    let kinds: Vec<&str> = events.iter().map(|e| e.data.kind()).collect();
    assert_eq!(kinds, ["created", "message_added"]);
    assert_eq!(events[0].actor.name, "Alex");
}

/// Every field reads back as written: attachments, tags, references, timestamps.
pub async fn values_read_back_exactly_as_written<S: Store + 'static>(s: ContractStore<S>) {
    let (w, _s) = world(s).await;
    let mut input = World::<S>::input("Wrong colour");
    input.subject = Some(Subject::parse("Wrong colour — ünïcödé ✓").unwrap());
    input.priority = Priority::High;
    input.source = Source::Storefront;
    input.order_id = Some(ExternalRef::parse("ORD-1001").unwrap());
    input.delivery_id = Some(ExternalRef::parse("DLV-77").unwrap());
    input.attachments =
        vec![Attachment::parse("photo.jpg", "https://cdn.example.com/p.jpg", "image/jpeg", 12_345).unwrap()];
    let created = w.try_open(&w.alex, input).await.unwrap();
    let tags = Tags::parse(&["vip", "colour"]).unwrap();
    let triage = TriageInput { tags: Some(tags.clone()), ..TriageInput::default() };
    let triaged = w.app.triage(&w.admin, by_id(&created), triage, None).await.unwrap();
    let read = w.app.get_ticket(&w.admin, by_id(&created)).await.unwrap();
    assert_eq!(read, triaged);
    let ticket = &read.summary.ticket;
    assert_eq!(ticket.subject.as_str(), "Wrong colour — ünïcödé ✓");
    assert_eq!(ticket.priority, Priority::High);
    assert_eq!(ticket.source, Source::Storefront);
    assert_eq!(ticket.order_id.as_ref().map(ExternalRef::as_str), Some("ORD-1001"));
    assert_eq!(ticket.delivery_id.as_ref().map(ExternalRef::as_str), Some("DLV-77"));
    assert_eq!(ticket.tags, tags);
    assert_eq!(ticket.created_at, created.summary.ticket.created_at);
    assert_eq!(read.messages[0].attachments, created.messages[0].attachments);
    assert_eq!(read.messages[0].attachments[0].size_bytes(), 12_345);
}

/// `status` filters on one status or several.
pub async fn lists_filter_by_status<S: Store + 'static>(s: ContractStore<S>) {
    let (w, _s) = world(s).await;
    let open = w.open(&w.alex, "Stays open").await;
    let resolved = w.open(&w.alex, "Gets resolved").await;
    let closed = w.open(&w.alex, "Gets closed").await;
    w.move_to(&resolved, Status::Resolved).await;
    w.move_to(&closed, Status::Closed).await;
    let only = |statuses: Vec<Status>| TicketQuery { statuses, ..query() };
    let page = w.app.list_tickets(&w.admin, only(vec![Status::Open])).await.unwrap();
    assert_eq!(numbers(&page), [open.summary.ticket.number.get()]);
    let page = w.app.list_tickets(&w.admin, only(vec![Status::Resolved, Status::Closed])).await.unwrap();
    assert_eq!(page.total, 2);
    let page = w.app.list_tickets(&w.admin, only(vec![])).await.unwrap();
    assert_eq!(page.total, 3);
}

/// A queue's total (statuses alone) stays exact while tickets are created and move
/// between statuses concurrently: each status's total is the number of tickets listed in
/// it, they add up to every ticket, and `totalIsCapped` stays false.
pub async fn queue_totals_stay_exact_under_concurrent_status_moves<S: Store + 'static>(s: ContractStore<S>) {
    let (w, _s) = world(s).await;
    let w = Arc::new(w);
    let mut tickets = Vec::new();
    for i in 0..10 {
        tickets.push(w.open(&w.alex, &format!("Counted {i}")).await);
    }
    let moves = [
        (Status::Answered, Status::Resolved),
        (Status::Resolved, Status::Closed),
        (Status::Closed, Status::Open),
        (Status::InProgress, Status::Answered),
        (Status::InProgress, Status::Resolved),
    ];
    let mut tasks = Vec::new();
    for (i, ticket) in tickets.into_iter().enumerate() {
        let w = w.clone();
        let (first, then) = moves[i % moves.len()];
        tasks.push(tokio::spawn(async move {
            w.move_to(&ticket, first).await;
            w.move_to(&ticket, then).await;
        }));
    }
    for i in 0..4 {
        let w = w.clone();
        tasks.push(tokio::spawn(async move {
            w.open(&w.blake, &format!("Opened meanwhile {i}")).await;
        }));
    }
    // One ticket moved back and forth by racing replies: agent replies answer it, the
    // customer's reopen it; losers of the version race retry on the fresh ticket.
    let contended = by_id(&w.open(&w.alex, "Contended").await);
    for i in 0..6 {
        let w = w.clone();
        tasks.push(tokio::spawn(async move {
            if i % 2 == 0 {
                w.app.agent_reply(&w.sam, contended, reply(&format!("Agent {i}")), None, None).await.unwrap();
            } else {
                let body = MessageBody::parse(&format!("Customer {i}")).unwrap();
                w.app.customer_reply(&w.alex, contended, body, vec![], None, None).await.unwrap();
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let mut sum = 0;
    for status in Status::ALL {
        let listed = TicketQuery { statuses: vec![*status], page: PageRequest::new(1, 100).unwrap(), ..query() };
        let page = w.app.list_tickets(&w.admin, listed).await.unwrap();
        assert_eq!(page.total, page.items.len() as u64, "the total of {status} is what it lists");
        assert!(!page.total_is_capped);
        sum += page.total;
    }
    assert_eq!(sum, 15);
    let all = w.app.list_tickets(&w.admin, query()).await.unwrap();
    assert_eq!((all.total, all.total_is_capped), (15, false));
    let two = TicketQuery {
        statuses: vec![Status::Open, Status::Closed],
        page: PageRequest::new(1, 100).unwrap(),
        ..query()
    };
    let two = w.app.list_tickets(&w.admin, two).await.unwrap();
    assert_eq!(two.total, two.items.len() as u64);
}

/// `category` filters on one category.
pub async fn lists_filter_by_category<S: Store + 'static>(s: ContractStore<S>) {
    let (w, _s) = world(s).await;
    w.open(&w.alex, "About an order").await;
    let mut input = World::<S>::input("About a payment");
    input.category = CategoryKey::parse("payment").unwrap();
    let payment = w.try_open(&w.alex, input).await.unwrap();
    let category_id = payment.summary.category.id;
    let page = w.app.list_tickets(&w.admin, TicketQuery { category_id: Some(category_id), ..query() }).await.unwrap();
    assert_eq!(numbers(&page), [payment.summary.ticket.number.get()]);
    assert_eq!(page.items[0].category.slug, "payment");
}

/// `priority` filters on one value or several, `source` on one.
pub async fn lists_filter_by_priority_and_source<S: Store + 'static>(s: ContractStore<S>) {
    let (w, _s) = world(s).await;
    let mut urgent = World::<S>::input("Urgent matter");
    urgent.priority = Priority::Urgent;
    urgent.source = Source::Email;
    let urgent = w.try_open(&w.alex, urgent).await.unwrap();
    w.open(&w.alex, "Normal matter").await;
    let page =
        w.app.list_tickets(&w.admin, TicketQuery { priorities: vec![Priority::Urgent], ..query() }).await.unwrap();
    assert_eq!(numbers(&page), [urgent.summary.ticket.number.get()]);
    let mut low = World::<S>::input("Low matter");
    low.priority = Priority::Low;
    let low = w.try_open(&w.alex, low).await.unwrap();
    let several =
        TicketQuery { priorities: vec![Priority::Low, Priority::Urgent], sort: TicketSort::CreatedAsc, ..query() };
    let page = w.app.list_tickets(&w.admin, several).await.unwrap();
    assert_eq!(numbers(&page), [urgent.summary.ticket.number.get(), low.summary.ticket.number.get()]);
    assert_eq!(page.total, 2);
    let page = w.app.list_tickets(&w.admin, TicketQuery { source: Some(Source::Email), ..query() }).await.unwrap();
    assert_eq!(numbers(&page), [urgent.summary.ticket.number.get()]);
    let page = w.app.list_tickets(&w.admin, TicketQuery { source: Some(Source::Phone), ..query() }).await.unwrap();
    assert_eq!(page.total, 0);
}

/// `orderId` filters on the exact order reference.
pub async fn lists_filter_by_order_id<S: Store + 'static>(s: ContractStore<S>) {
    let (w, _s) = world(s).await;
    let with_order = w.try_open(&w.alex, World::<S>::about_order(World::<S>::input("Late"), "ORD-1")).await.unwrap();
    w.try_open(&w.alex, World::<S>::about_order(World::<S>::input("Late too"), "ORD-10")).await.unwrap();
    let order = Some(ExternalRef::parse("ORD-1").unwrap());
    let page = w.app.list_tickets(&w.alex, TicketQuery { order_id: order, ..query() }).await.unwrap();
    assert_eq!(numbers(&page), [with_order.summary.ticket.number.get()]);
}

/// `deliveryId` filters on the exact delivery reference; `updatedSince` keeps the tickets
/// changed at or after an instant, and with `sort=updatedAt` lists them in the order they
/// changed: an export that picks up where the last one ended.
pub async fn lists_filter_by_delivery_and_export_by_updated_since<S: Store + 'static>(s: ContractStore<S>) {
    let (w, _s) = world(s).await;
    let mut shipped = World::<S>::input("Parcel lost");
    shipped.delivery_id = Some(ExternalRef::parse("DLV-7").unwrap());
    let shipped = w.try_open(&w.alex, shipped).await.unwrap();
    let other = w.open(&w.blake, "Wrong size").await;
    let delivery = Some(ExternalRef::parse("DLV-7").unwrap());
    let page = w.app.list_tickets(&w.admin, TicketQuery { delivery_id: delivery, ..query() }).await.unwrap();
    assert_eq!(numbers(&page), [shipped.summary.ticket.number.get()]);
    let none = Some(ExternalRef::parse("DLV-70").unwrap());
    assert_eq!(w.app.list_tickets(&w.admin, TicketQuery { delivery_id: none, ..query() }).await.unwrap().total, 0);

    // Everything changed since a moment: the ticket answered after it, oldest change first.
    let since = now();
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    w.app
        .customer_reply(&w.blake, by_id(&other), MessageBody::parse("Any news?").unwrap(), vec![], None, None)
        .await
        .unwrap();
    w.app
        .customer_reply(&w.alex, by_id(&shipped), MessageBody::parse("Still lost").unwrap(), vec![], None, None)
        .await
        .unwrap();
    let export = TicketQuery { updated_since: Some(since), sort: TicketSort::UpdatedAsc, ..query() };
    let page = w.app.list_tickets(&w.admin, export).await.unwrap();
    assert_eq!(numbers(&page), [other.summary.ticket.number.get(), shipped.summary.ticket.number.get()]);
    let newest_first = TicketQuery { updated_since: Some(since), sort: TicketSort::UpdatedDesc, ..query() };
    let page = w.app.list_tickets(&w.admin, newest_first).await.unwrap();
    assert_eq!(numbers(&page), [shipped.summary.ticket.number.get(), other.summary.ticket.number.get()]);
    let later = TicketQuery { updated_since: Some(now() + std::time::Duration::from_secs(60)), ..query() };
    assert_eq!(w.app.list_tickets(&w.admin, later).await.unwrap().total, 0);
}

/// A customer lists only their own tickets; staff filter by customer.
pub async fn lists_filter_by_customer<S: Store + 'static>(s: ContractStore<S>) {
    let (w, _s) = world(s).await;
    let alex = w.open(&w.alex, "Alex's ticket").await;
    let blake = w.open(&w.blake, "Blake's ticket").await;
    let mine = w.app.list_tickets(&w.alex, query()).await.unwrap();
    assert_eq!(numbers(&mine), [alex.summary.ticket.number.get()]);
    // A customer cannot widen the filter to someone else.
    let sneaky = TicketQuery { customer_id: Some(World::<S>::customer_id(&w.blake)), ..query() };
    let mine = w.app.list_tickets(&w.alex, sneaky).await.unwrap();
    assert_eq!(numbers(&mine), [alex.summary.ticket.number.get()]);
    let for_blake = TicketQuery { customer_id: Some(World::<S>::customer_id(&w.blake)), ..query() };
    let page = w.app.list_tickets(&w.admin, for_blake).await.unwrap();
    assert_eq!(numbers(&page), [blake.summary.ticket.number.get()]);
}

/// `assigneeId` and `unassigned=true` filter on the assignee.
pub async fn lists_filter_by_assignee_and_unassigned<S: Store + 'static>(s: ContractStore<S>) {
    let (w, _s) = world(s).await;
    let assigned = w.open(&w.alex, "Assigned one").await;
    let free = w.open(&w.alex, "Unassigned one").await;
    let sam = World::<S>::agent_id(&w.sam);
    let view = w.app.assign(&w.admin, by_id(&assigned), Some(sam), None).await.unwrap();
    assert_eq!(view.summary.assignee.as_ref().map(|a| a.name.as_str()), Some("Sam Agent"));
    let page = w
        .app
        .list_tickets(&w.admin, TicketQuery { assignee: Some(AssigneeFilter::Agent(sam)), ..query() })
        .await
        .unwrap();
    assert_eq!(numbers(&page), [assigned.summary.ticket.number.get()]);
    assert_eq!(page.items[0].assignee.as_ref().map(|a| a.id), Some(sam.as_uuid()));
    let page =
        w.app.list_tickets(&w.admin, TicketQuery { assignee: Some(AssigneeFilter::Unassigned), ..query() }).await;
    assert_eq!(numbers(&page.unwrap()), [free.summary.ticket.number.get()]);
}

/// `tag` filters on one tag.
pub async fn lists_filter_by_tag<S: Store + 'static>(s: ContractStore<S>) {
    let (w, _s) = world(s).await;
    let tagged = w.open(&w.alex, "Tagged").await;
    w.open(&w.alex, "Not tagged").await;
    let tags = Tags::parse(&["vip", "refund"]).unwrap();
    w.app
        .triage(&w.admin, by_id(&tagged), TriageInput { tags: Some(tags), ..TriageInput::default() }, None)
        .await
        .unwrap();
    let tag = supportdesk_domain::Tag::parse("refund").unwrap();
    let page = w.app.list_tickets(&w.admin, TicketQuery { tag: Some(tag), ..query() }).await.unwrap();
    assert_eq!(numbers(&page), [tagged.summary.ticket.number.get()]);
    let tag = supportdesk_domain::Tag::parse("ref").unwrap();
    let page = w.app.list_tickets(&w.admin, TicketQuery { tag: Some(tag), ..query() }).await.unwrap();
    assert_eq!(page.total, 0, "tags match whole, not by prefix");
}

fn search(q: &str) -> TicketQuery {
    TicketQuery { text: Some(SearchText::parse(q).unwrap()), sort: TicketSort::Relevance, ..query() }
}

/// Opens a ticket for `customer` with this exact subject (and a neutral description).
async fn open_with_subject<S: Store + 'static>(w: &World<S>, customer: &Principal, subject: &str) -> TicketView {
    let mut input = World::<S>::input("Opened for a search case");
    input.subject = Some(Subject::parse(subject).unwrap());
    w.try_open(customer, input).await.unwrap()
}

/// The numbers a staff (or customer) search finds, in its order.
async fn found<S: Store + 'static>(w: &World<S>, who: &Principal, q: &str) -> Vec<i64> {
    numbers(&w.app.list_tickets(who, search(q)).await.unwrap())
}

/// The text of a match's highlights, read by characters as the API promises.
fn highlighted(found: &crate::SearchMatch) -> Vec<String> {
    let chars: Vec<char> = found.snippet.chars().collect();
    found.highlights.iter().map(|(start, end)| chars[*start..*end].iter().collect()).collect()
}

/// `q` finds words by prefix in the subject, the messages, the notes, the customer's name
/// and email, and the order id, and says where it matched.
pub async fn search_finds_words_by_prefix_in_every_field_for_staff<S: Store + 'static>(s: ContractStore<S>) {
    let (w, _s) = world(s).await;
    let kettle = open_with_subject(&w, &w.alex, "Blue kettle arrived broken").await.summary.ticket.number.get();
    let mut input = World::<S>::about_order(World::<S>::input("Wrong size"), "ORD-7781");
    input.subject = Some(Subject::parse("Wrong size").unwrap());
    let other = w.try_open(&w.blake, input).await.unwrap();
    let id = by_id(&other);
    w.app.agent_reply(&w.sam, id, reply("We will send the replacement today"), None, None).await.unwrap();
    let mut note = reply("The customer seems upset about delays");
    note.internal = true;
    w.app.agent_reply(&w.sam, id, note, None, None).await.unwrap();
    let other = other.summary.ticket.number.get();

    assert_eq!(found(&w, &w.admin, "kett").await, [kettle], "subject, by prefix");
    assert_eq!(found(&w, &w.admin, "replace").await, [other], "a message");
    assert_eq!(found(&w, &w.admin, "upset").await, [other], "an internal note");
    assert_eq!(found(&w, &w.admin, "blake").await, [other], "the customer's name");
    assert_eq!(found(&w, &w.admin, "blake@example.com").await, [other], "the customer's email");
    assert_eq!(found(&w, &w.admin, "ORD-77").await, [other], "the order id");
    assert_eq!(found(&w, &w.admin, "7781").await, [other], "a word of the order id");
    assert_eq!(found(&w, &w.admin, "ettle").await, Vec::<i64>::new(), "words match from their start");

    let page = w.app.list_tickets(&w.admin, search("upset")).await.unwrap();
    let matched = page.items[0].search_match.clone().unwrap();
    assert_eq!(matched.field, crate::MatchField::Note);
    assert_eq!(matched.snippet, "The customer seems upset about delays");
    assert_eq!(highlighted(&matched), ["upset"]);
    let page = w.app.list_tickets(&w.admin, search("kettle broken")).await.unwrap();
    let matched = page.items[0].search_match.clone().unwrap();
    assert_eq!(matched.field, crate::MatchField::Subject);
    assert_eq!(highlighted(&matched), ["kettle", "broken"]);
    let plain = w.app.list_tickets(&w.admin, query()).await.unwrap();
    assert!(plain.items.iter().all(|i| i.search_match.is_none()), "no match info without q");
}

/// A quoted phrase matches its words in a row, exactly; `-word` excludes the tickets that
/// contain it anywhere.
pub async fn search_matches_phrases_exactly_and_excludes_words<S: Store + 'static>(s: ContractStore<S>) {
    let (w, _s) = world(s).await;
    let in_a_row = open_with_subject(&w, &w.alex, "The kettle arrived broken").await.summary.ticket.number.get();
    let apart = open_with_subject(&w, &w.alex, "Arrived today, broken kettle").await;
    let fine = open_with_subject(&w, &w.blake, "Kettle works fine").await.summary.ticket.number.get();
    let apart_number = apart.summary.ticket.number.get();

    assert_eq!(found(&w, &w.admin, "\"arrived broken\"").await, [in_a_row]);
    assert_eq!(found(&w, &w.admin, "\"arrived brok\"").await, Vec::<i64>::new(), "a phrase's words are whole");
    let mut both = found(&w, &w.admin, "arrived broken").await;
    both.sort_unstable();
    assert_eq!(both, [in_a_row, apart_number], "bare words in any order");
    assert_eq!(found(&w, &w.admin, "kettle -broken").await, [fine]);
    assert_eq!(found(&w, &w.admin, "kettle -\"arrived broken\"").await.len(), 2);
    // An excluded word in a later message removes the ticket as well.
    w.app
        .agent_reply(
            &w.sam,
            TicketRef::Number(supportdesk_domain::TicketNumber::new(fine).unwrap()),
            reply("Refund sent"),
            None,
            None,
        )
        .await
        .unwrap();
    assert_eq!(found(&w, &w.admin, "kettle -refund").await.len(), 2);
    assert!(!found(&w, &w.admin, "kettle -refund").await.contains(&fine));
}

/// Case and accents do not matter, in the query or in the text; `ß` is `ss`.
pub async fn search_folds_case_and_accents<S: Store + 'static>(s: ContractStore<S>) {
    let (w, _s) = world(s).await;
    let cafe = open_with_subject(&w, &w.alex, "Café an der Straße").await;
    w.app
        .customer_reply(
            &w.alex,
            by_id(&cafe),
            MessageBody::parse("Die CRÈME BRÛLÉE war kalt").unwrap(),
            vec![],
            None,
            None,
        )
        .await
        .unwrap();
    let cafe = cafe.summary.ticket.number.get();
    open_with_subject(&w, &w.blake, "Something else entirely").await;
    for q in ["cafe", "CAFÉ", "Cafe", "strasse", "STRASSE", "straße", "creme brulee", "crème", "BRULEE"] {
        assert_eq!(found(&w, &w.admin, q).await, [cafe], "q={q}");
        assert_eq!(found(&w, &w.alex, q).await, [cafe], "q={q} for the customer");
    }
    let page = w.app.list_tickets(&w.admin, search("brulee")).await.unwrap();
    let matched = page.items[0].search_match.clone().unwrap();
    assert_eq!(matched.field, crate::MatchField::Message);
    assert_eq!(highlighted(&matched), ["BRÛLÉE"], "offsets count characters of the original text");
}

/// A customer's search covers their own tickets' subjects and public messages: never an
/// internal note (not even to exclude), never the customer fields, never another customer's
/// ticket.
pub async fn customers_search_only_their_own_subjects_and_public_messages<S: Store + 'static>(s: ContractStore<S>) {
    let (w, _s) = world(s).await;
    let own = open_with_subject(&w, &w.alex, "Kettle leaks water").await;
    let mut note = reply("Secretive remark about a refund");
    note.internal = true;
    w.app.agent_reply(&w.sam, by_id(&own), note, None, None).await.unwrap();
    w.app.agent_reply(&w.sam, by_id(&own), reply("A courier will collect it"), None, None).await.unwrap();
    open_with_subject(&w, &w.blake, "Kettle leaks too").await;
    let own = own.summary.ticket.number.get();

    assert_eq!(found(&w, &w.alex, "kettle").await, [own], "not another customer's ticket");
    assert_eq!(found(&w, &w.alex, "courier").await, [own], "public messages");
    assert_eq!(found(&w, &w.alex, "secretive").await, Vec::<i64>::new(), "notes are invisible");
    assert_eq!(found(&w, &w.alex, "kettle -refund").await, [own], "an invisible note excludes nothing");
    assert_eq!(found(&w, &w.alex, "alex").await, Vec::<i64>::new(), "customer fields are staff-only");
    assert_eq!(found(&w, &w.admin, "secretive").await, [own], "staff do find the note");
    let page = w.app.list_tickets(&w.alex, search("kettle courier")).await.unwrap();
    let matched = page.items[0].search_match.clone().unwrap();
    assert_ne!(matched.field, crate::MatchField::Note);
    assert!(!matched.snippet.contains("Secretive"));
}

/// A search never finds another tenant's tickets.
pub async fn search_never_crosses_tenants<S: Store + 'static>(s: ContractStore<S>) {
    let (w, _s) = world(s).await;
    let alpha = open_with_subject(&w, &w.alex, "Kettle in alpha").await.summary.ticket.number.get();
    let beta = open_with_subject(&w, &w.casey, "Kettle in beta").await.summary.ticket.number.get();
    let page = w.app.list_tickets(&w.admin, search("kettle")).await.unwrap();
    assert_eq!((numbers(&page), page.total), (vec![alpha], 1));
    let page = w.app.list_tickets(&w.beta_admin, search("kettle")).await.unwrap();
    assert_eq!((numbers(&page), page.total), (vec![beta], 1));
    assert!(found(&w, &w.admin, "beta").await.is_empty());
}

/// What a write adds is found as soon as it returns: a reply, a new subject, a customer's
/// new name.
pub async fn search_finds_what_a_write_added_at_once<S: Store + 'static>(s: ContractStore<S>) {
    let (w, _s) = world(s).await;
    let created = open_with_subject(&w, &w.alex, "Parcel missing").await;
    let number = created.summary.ticket.number.get();
    assert!(found(&w, &w.admin, "zebra").await.is_empty());
    w.app
        .customer_reply(
            &w.alex,
            by_id(&created),
            MessageBody::parse("The zebra pattern is wrong").unwrap(),
            vec![],
            None,
            None,
        )
        .await
        .unwrap();
    assert_eq!(found(&w, &w.admin, "zebra").await, [number]);
    assert_eq!(found(&w, &w.alex, "zebra").await, [number]);
    let triage = TriageInput { subject: Some(Subject::parse("Giraffe delivered").unwrap()), ..TriageInput::default() };
    w.app.triage(&w.admin, by_id(&created), triage, None).await.unwrap();
    assert_eq!(found(&w, &w.admin, "giraffe").await, [number]);
    assert!(found(&w, &w.admin, "parcel").await.is_empty(), "the old subject is gone");
    let profile = CustomerProfile::parse("Alexandra Quill", Some("quill@example.com"), None).unwrap();
    w.app.upsert_customer(&w.admin, World::<S>::customer_id(&w.alex), profile).await.unwrap();
    assert_eq!(found(&w, &w.admin, "quill").await, [number]);
}

/// Without `sort` a search comes best match first; with `sort`, in that order.
pub async fn search_orders_by_relevance_unless_sorted<S: Store + 'static>(s: ContractStore<S>) {
    let (w, _s) = world(s).await;
    let in_subject = open_with_subject(&w, &w.alex, "Kettle").await.summary.ticket.number.get();
    let in_message = open_with_subject(&w, &w.blake, "Another question about my order").await;
    w.app
        .agent_reply(&w.sam, by_id(&in_message), reply("Which kettle do you mean? We sell several."), None, None)
        .await
        .unwrap();
    let in_message = in_message.summary.ticket.number.get();
    assert_eq!(found(&w, &w.admin, "kettle").await, [in_subject, in_message]);
    let newest = TicketQuery { sort: TicketSort::CreatedDesc, ..search("kettle") };
    assert_eq!(numbers(&w.app.list_tickets(&w.admin, newest).await.unwrap()), [in_message, in_subject]);
}

/// A search by relevance pages through its matches best first and counts them on every
/// page; another filter narrows it; a `q` that is a number finds its ticket by relevance
/// too.
pub async fn search_by_relevance_pages_counts_and_narrows<S: Store + 'static>(s: ContractStore<S>) {
    let (w, _s) = world(s).await;
    let broken = open_with_subject(&w, &w.alex, "Broken kettle").await.summary.ticket.number.get();
    let asked = open_with_subject(&w, &w.blake, "Another question about my order").await;
    w.app.agent_reply(&w.sam, by_id(&asked), reply("Which kettle do you mean?"), None, None).await.unwrap();
    let asked = asked.summary.ticket.number.get();
    let mut urgent = World::<S>::input("Opened for a search case");
    urgent.subject = Some(Subject::parse("Kettle lid").unwrap());
    urgent.priority = Priority::High;
    let lid = w.try_open(&w.alex, urgent).await.unwrap().summary.ticket.number.get();
    let other = open_with_subject(&w, &w.blake, "Unrelated").await.summary.ticket.number.get();
    let page = |number: i64| TicketQuery { page: PageRequest::new(number, 2).unwrap(), ..search("kettle") };
    let mut pages = Vec::new();
    for number in 1..=3 {
        let listed = w.app.list_tickets(&w.admin, page(number)).await.unwrap();
        pages.push((numbers(&listed), listed.total));
    }
    // Two subjects of two words tie, newest first; a word in a reply ranks after them.
    assert_eq!(pages, [(vec![lid, broken], 3), (vec![asked], 3), (vec![], 3)]);
    let high = TicketQuery { priorities: vec![Priority::High], ..search("kettle") };
    let narrowed = w.app.list_tickets(&w.admin, high).await.unwrap();
    assert_eq!((numbers(&narrowed), narrowed.total), (vec![lid], 1));
    assert_eq!(found(&w, &w.admin, &format!("#{other:06}")).await, [other]);
}

/// `q` that is a ticket number finds that ticket, in any spelling.
pub async fn lists_filter_by_ticket_number_text<S: Store + 'static>(s: ContractStore<S>) {
    let (w, _s) = world(s).await;
    w.open(&w.alex, "First").await;
    let second = w.open(&w.alex, "Second").await;
    for spelling in ["2", "#000002", "000002"] {
        let q = TicketQuery { text: Some(SearchText::parse(spelling).unwrap()), ..query() };
        let page = w.app.list_tickets(&w.admin, q).await.unwrap();
        assert_eq!(numbers(&page), [second.summary.ticket.number.get()], "q={spelling}");
        let matched = page.items[0].search_match.clone().unwrap();
        assert_eq!((matched.field, matched.snippet.as_str()), (crate::MatchField::Number, "#000002"));
    }
}

/// A page is the requested slice, and the total counts every match.
pub async fn paging_returns_the_requested_slice_and_the_total<S: Store + 'static>(s: ContractStore<S>) {
    let (w, _s) = world(s).await;
    for i in 0..7 {
        w.open(&w.alex, &format!("Ticket number {i}")).await;
    }
    let page2 = TicketQuery { sort: TicketSort::CreatedAsc, page: PageRequest::new(2, 3).unwrap(), ..query() };
    let page = w.app.list_tickets(&w.admin, page2).await.unwrap();
    assert_eq!(numbers(&page), [4, 5, 6]);
    assert_eq!(page.total, 7);
    assert_eq!(page.request.page(), 2);
    assert_eq!(page.request.size(), 3);
    let last = TicketQuery { sort: TicketSort::CreatedAsc, page: PageRequest::new(3, 3).unwrap(), ..query() };
    assert_eq!(numbers(&w.app.list_tickets(&w.admin, last).await.unwrap()), [7]);
}

/// A page past the end is empty and still reports the total.
pub async fn a_page_past_the_end_is_empty_but_keeps_the_total<S: Store + 'static>(s: ContractStore<S>) {
    let (w, _s) = world(s).await;
    w.open(&w.alex, "Only one").await;
    let far = TicketQuery { page: PageRequest::new(5, 20).unwrap(), ..query() };
    let page = w.app.list_tickets(&w.admin, far).await.unwrap();
    assert!(page.items.is_empty());
    assert_eq!(page.total, 1);
}

/// Every sort orders as documented: created, last activity, priority, both ways.
pub async fn lists_sort_by_every_sort_key<S: Store + 'static>(s: ContractStore<S>) {
    let (w, _s) = world(s).await;
    let mut created = Vec::new();
    for (i, priority) in [Priority::High, Priority::Low, Priority::Urgent].into_iter().enumerate() {
        let mut input = World::<S>::input(&format!("Sorted ticket {i}"));
        input.priority = priority;
        created.push(w.try_open(&w.alex, input).await.unwrap());
    }
    // The first ticket becomes the most recently active.
    w.app
        .customer_reply(&w.alex, by_id(&created[0]), MessageBody::parse("Any news?").unwrap(), vec![], None, None)
        .await
        .unwrap();
    let expected: [(TicketSort, [i64; 3]); 8] = [
        (TicketSort::CreatedAsc, [1, 2, 3]),
        (TicketSort::CreatedDesc, [3, 2, 1]),
        (TicketSort::ActivityAsc, [2, 3, 1]),
        (TicketSort::ActivityDesc, [1, 3, 2]),
        (TicketSort::PriorityAsc, [2, 1, 3]),
        (TicketSort::PriorityDesc, [3, 1, 2]),
        (TicketSort::UpdatedAsc, [2, 3, 1]),
        (TicketSort::UpdatedDesc, [1, 3, 2]),
    ];
    for (sort, order) in expected {
        let page = w.app.list_tickets(&w.admin, TicketQuery { sort, ..query() }).await.unwrap();
        assert_eq!(numbers(&page), order, "sort {}", sort.as_str());
    }
}

/// `customer`'s `second` is refused, naming `first` (their own), and nothing is saved.
async fn refused_while_unfinished<S: Store + 'static>(
    w: &World<S>,
    customer: &Principal,
    first: &TicketView,
    second: crate::OpenTicketInput,
) {
    let before = w.app.list_tickets(&w.admin, query()).await.unwrap().total;
    let refused = w.try_open(customer, second).await;
    match refused {
        Err(AppError::OpenTicketExists { existing_id, existing_number }) => {
            assert_eq!(existing_id, first.summary.ticket.id);
            assert_eq!(existing_number, first.summary.ticket.number);
        }
        other => panic!("expected OpenTicketExists, got {other:?}"),
    }
    let page = w.app.list_tickets(&w.admin, query()).await.unwrap();
    assert_eq!(page.total, before, "the refused ticket was not saved");
}

/// A customer's second unfinished ticket for the same order is refused, naming the first.
pub async fn one_unfinished_ticket_per_order<S: Store + 'static>(s: ContractStore<S>) {
    let (w, _s) = world(s).await;
    let first = w.try_open(&w.alex, World::<S>::about_order(World::<S>::input("Late"), "ORD-9")).await.unwrap();
    w.move_to(&first, Status::Answered).await;
    let again = World::<S>::about_order(World::<S>::input("Late again"), "ORD-9");
    refused_while_unfinished(&w, &w.alex, &first, again).await;
}

/// A customer's second unfinished ticket for the same delivery is refused, naming the first.
pub async fn one_unfinished_ticket_per_delivery<S: Store + 'static>(s: ContractStore<S>) {
    let (w, _s) = world(s).await;
    let mut input = World::<S>::input("Courier lost it");
    input.delivery_id = Some(ExternalRef::parse("DLV-1").unwrap());
    let first = w.try_open(&w.alex, input.clone()).await.unwrap();
    w.move_to(&first, Status::InProgress).await;
    refused_while_unfinished(&w, &w.alex, &first, input).await;
}

/// Another customer's unfinished ticket for the same order or delivery neither blocks a
/// customer's ticket nor is named to them; their own second ticket is refused naming only
/// their own first.
pub async fn another_customers_ticket_for_the_same_order_neither_blocks_nor_leaks<S: Store + 'static>(
    s: ContractStore<S>,
) {
    let (w, _s) = world(s).await;
    let mut input = World::<S>::about_order(World::<S>::input("Where is my parcel"), "ORD-SHARED");
    input.delivery_id = Some(ExternalRef::parse("DLV-SHARED").unwrap());
    let alex_first = w.try_open(&w.alex, input.clone()).await.unwrap();
    // The same order alone, the same delivery alone, and both: none is Alex's business.
    let mut delivery_only = World::<S>::input("Delivery only");
    delivery_only.delivery_id = input.delivery_id.clone();
    let blake_first = w.try_open(&w.blake, input.clone()).await.unwrap();
    assert_ne!(blake_first.summary.ticket.id, alex_first.summary.ticket.id);
    assert_eq!(blake_first.summary.ticket.customer_id, World::<S>::customer_id(&w.blake));
    refused_while_unfinished(&w, &w.blake, &blake_first, input.clone()).await;
    refused_while_unfinished(&w, &w.blake, &blake_first, delivery_only.clone()).await;
    refused_while_unfinished(&w, &w.alex, &alex_first, delivery_only).await;
    // Blake's view of the order shows his own ticket only.
    let order = Some(ExternalRef::parse("ORD-SHARED").unwrap());
    let mine = w.app.list_tickets(&w.blake, TicketQuery { order_id: order, ..query() }).await.unwrap();
    assert_eq!(mine.items.len(), 1);
    assert_eq!(mine.items[0].ticket.id, blake_first.summary.ticket.id);
}

/// Once resolved (or closed), the order may get a new ticket.
pub async fn a_resolved_ticket_frees_its_order_for_a_new_ticket<S: Store + 'static>(s: ContractStore<S>) {
    let (w, _s) = world(s).await;
    let input = World::<S>::about_order(World::<S>::input("Late"), "ORD-5");
    let first = w.try_open(&w.alex, input.clone()).await.unwrap();
    w.move_to(&first, Status::Resolved).await;
    let second = w.try_open(&w.alex, input.clone()).await.unwrap();
    w.move_to(&second, Status::Closed).await;
    let third = w.try_open(&w.alex, input).await.unwrap();
    assert_eq!(third.summary.ticket.number.get(), 3);
}

/// Reopening a resolved ticket is refused while a newer ticket of the same customer holds
/// its order, by staff and by the customer (replying or reopening) alike.
pub async fn reopening_is_refused_when_the_order_has_a_newer_unfinished_ticket<S: Store + 'static>(
    s: ContractStore<S>,
) {
    let (w, _s) = world(s).await;
    let input = World::<S>::about_order(World::<S>::input("Late"), "ORD-6");
    let first = w.try_open(&w.alex, input.clone()).await.unwrap();
    w.move_to(&first, Status::Resolved).await;
    let second = w.try_open(&w.alex, input).await.unwrap();
    let second_id = second.summary.ticket.id;
    let names_second = |error: Option<&AppError>| matches!(error, Some(AppError::OpenTicketExists { existing_id, .. }) if *existing_id == second_id);
    let reopened = w.app.set_status(&w.admin, by_id(&first), Status::Open, None, None).await;
    assert!(names_second(reopened.as_ref().err()), "got {reopened:?}");
    let by_customer = w.app.customer_set_status(&w.alex, by_id(&first), Status::Open, None).await;
    assert!(names_second(by_customer.as_ref().err()), "got {by_customer:?}");
    let body = MessageBody::parse("It broke again").unwrap();
    let replied = w.app.customer_reply(&w.alex, by_id(&first), body, vec![], None, None).await;
    assert!(names_second(replied.as_ref().err()), "got {replied:?}");
    let first_now = w.app.get_ticket(&w.admin, by_id(&first)).await.unwrap();
    assert_eq!(first_now.summary.ticket.status, Status::Resolved);
    assert_eq!(first_now.messages.len(), 1, "the refused reply was not saved");
}

/// Another customer's unfinished ticket for the same order does not stop a reopen.
pub async fn reopening_is_not_blocked_by_another_customers_ticket_for_the_order<S: Store + 'static>(
    s: ContractStore<S>,
) {
    let (w, _s) = world(s).await;
    let input = World::<S>::about_order(World::<S>::input("Late"), "ORD-7");
    let alex = w.try_open(&w.alex, input.clone()).await.unwrap();
    w.move_to(&alex, Status::Resolved).await;
    let blake = w.try_open(&w.blake, input).await.unwrap();
    let reopened = w.app.customer_set_status(&w.alex, by_id(&alex), Status::Open, None).await.unwrap();
    assert_eq!(reopened.summary.ticket.status, Status::Open);
    w.move_to(&alex, Status::Resolved).await;
    let reopened = w.app.set_status(&w.admin, by_id(&alex), Status::Open, None, None).await.unwrap();
    assert_eq!(reopened.summary.ticket.status, Status::Open);
    let blake_now = w.app.get_ticket(&w.blake, by_id(&blake)).await.unwrap();
    assert_eq!(blake_now.summary.ticket.status, Status::Open);
}

/// Twenty concurrent creates for one order by two customers: exactly one ticket each, and
/// every refusal names the refused customer's own ticket.
pub async fn twenty_concurrent_creates_for_one_order_give_one_ticket_per_customer<S: Store + 'static>(
    s: ContractStore<S>,
) {
    let (w, _s) = world(s).await;
    let w = Arc::new(w);
    let mut tasks = Vec::new();
    for i in 0..20 {
        let w = w.clone();
        tasks.push(tokio::spawn(async move {
            let customer = if i % 2 == 0 { w.alex.clone() } else { w.blake.clone() };
            let input = World::<S>::about_order(World::<S>::input(&format!("Race {i}")), "ORD-RACE");
            (customer.id, w.try_open(&customer, input).await)
        }));
    }
    let mut won = std::collections::HashMap::new();
    let mut refusals = Vec::new();
    for task in tasks {
        match task.await.unwrap() {
            (customer, Ok(view)) => assert!(won.insert(customer, view.summary.ticket.id).is_none(), "two won"),
            (customer, Err(AppError::OpenTicketExists { existing_id, .. })) => refusals.push((customer, existing_id)),
            (_, Err(other)) => panic!("unexpected error {other:?}"),
        }
    }
    assert_eq!((won.len(), refusals.len()), (2, 18));
    for (customer, named) in refusals {
        assert_eq!(Some(&named), won.get(&customer), "a refusal names the customer's own ticket");
    }
    let page = w.app.list_tickets(&w.admin, query()).await.unwrap();
    assert_eq!(page.total, 2);
}

/// What the customer sees of a ticket (the public version and times) is stored and read
/// back; internal notes and tag changes leave it, and the customer's list order, alone.
pub async fn internal_notes_and_tags_leave_the_customers_version_times_and_order_alone<S: Store + 'static>(
    s: ContractStore<S>,
) {
    let (w, _s) = world(s).await;
    let older = w.open(&w.alex, "Older ticket").await;
    let newer = w.open(&w.alex, "Newer ticket").await;
    // A public reply on the older one makes it the customer's most recently active.
    w.move_to(&older, Status::Answered).await;
    let seen = w.app.get_ticket(&w.alex, by_id(&newer)).await.unwrap().summary.ticket;
    let activity = TicketQuery { sort: TicketSort::ActivityDesc, ..query() };
    let order_before = numbers(&w.app.list_tickets(&w.alex, activity.clone()).await.unwrap());
    assert_eq!(order_before, [1, 2]);
    // Staff-only work on the newer one, later.
    let mut note = reply("Carrier says it is lost");
    note.internal = true;
    w.app.agent_reply(&w.sam, by_id(&newer), note, None, None).await.unwrap();
    let triage = TriageInput { tags: Some(Tags::parse(&["lost"]).unwrap()), ..TriageInput::default() };
    w.app.triage(&w.sam, by_id(&newer), triage, None).await.unwrap();
    let after = w.app.get_ticket(&w.alex, by_id(&newer)).await.unwrap().summary.ticket;
    assert_eq!(after.version, seen.version + 2, "staff see two changes");
    assert_eq!(after.public_version, seen.public_version);
    assert_eq!(after.public_updated_at, seen.public_updated_at);
    assert_eq!(after.public_last_activity_at, seen.public_last_activity_at);
    assert_eq!(after.public_last_agent_message_at, seen.public_last_agent_message_at);
    assert_eq!(numbers(&w.app.list_tickets(&w.alex, activity.clone()).await.unwrap()), order_before);
    // Staff's own queue does move the newer ticket up.
    assert_eq!(numbers(&w.app.list_tickets(&w.admin, activity.clone()).await.unwrap()), [2, 1]);
    // A public reply is the customer's business.
    w.app.agent_reply(&w.sam, by_id(&newer), reply("Found it"), None, None).await.unwrap();
    let replied = w.app.get_ticket(&w.alex, by_id(&newer)).await.unwrap().summary.ticket;
    assert_eq!(replied.public_version, seen.public_version + 1);
    assert_eq!(replied.public_last_agent_message_at, Some(replied.public_last_activity_at));
    assert_eq!(numbers(&w.app.list_tickets(&w.alex, activity).await.unwrap()), [2, 1]);
}

/// A customer's `If-Match` is their public version: a staff-only change in between does
/// not fail it, and a stale one reports the public version as current.
pub async fn a_customers_if_match_is_compared_with_the_public_version<S: Store + 'static>(s: ContractStore<S>) {
    let (w, _s) = world(s).await;
    let created = w.open(&w.alex, "Matched").await;
    let mut note = reply("Internal only");
    note.internal = true;
    w.app.agent_reply(&w.sam, by_id(&created), note, None, None).await.unwrap();
    let stale =
        w.app.customer_reply(&w.alex, by_id(&created), MessageBody::parse("Hi").unwrap(), vec![], Some(2), None);
    assert!(matches!(stale.await, Err(AppError::PreconditionFailed { current: 1 })));
    let body = MessageBody::parse("Any news?").unwrap();
    w.app.customer_reply(&w.alex, by_id(&created), body, vec![], Some(1), None).await.unwrap();
    let closed = w.app.customer_set_status(&w.alex, by_id(&created), Status::Closed, Some(2)).await.unwrap();
    assert_eq!((closed.summary.ticket.public_version, closed.summary.ticket.version), (3, 4));
}

/// A change decided on an old version is refused by the store and writes nothing.
pub async fn a_stale_version_is_refused_and_changes_nothing<S: Store + 'static>(s: ContractStore<S>) {
    let (w, s) = world(s).await;
    let created = w.open(&w.alex, "Versioned").await;
    let ticket = created.summary.ticket.clone();
    let actor = w.admin.actor();
    let ctx = CommandContext { actor: &actor, policy: TenantPolicy::default(), now: ticket.created_at, ids: &UuidV7 };
    let first = ticket.set_status(&ctx, Status::InProgress, None).unwrap().unwrap();
    let second = ticket.set_status(&ctx, Status::Resolved, None).unwrap().unwrap();
    s.store.save_change(&first, None).await.unwrap();
    let stale = s.store.save_change(&second, None).await;
    assert!(matches!(stale, Err(StoreError::VersionConflict)), "got {stale:?}");
    let now = s.store.load_ticket(&w.alpha, TicketRef::Id(ticket.id)).await.unwrap().unwrap();
    assert_eq!(now.status, Status::InProgress);
    assert_eq!(now.version, 2);
    let events = s.store.events(&w.alpha, ticket.id).await.unwrap();
    assert_eq!(events.len(), 3, "created, message_added, one status_changed");
    // Through the use case, a stale If-Match is a precondition failure.
    let refused = w.app.set_status(&w.admin, by_id(&created), Status::Open, None, Some(1)).await;
    assert!(matches!(refused, Err(AppError::PreconditionFailed { current: 2 })), "got {refused:?}");
}

/// Many updates decided on the same version: exactly one is saved.
pub async fn concurrent_updates_from_one_version_let_exactly_one_win<S: Store + 'static>(s: ContractStore<S>) {
    let (w, s) = world(s).await;
    let created = w.open(&w.alex, "Contended").await;
    let ticket = created.summary.ticket.clone();
    let mut tasks = Vec::new();
    for i in 0..10 {
        let store = s.store.clone();
        let ticket = ticket.clone();
        let admin = w.admin.clone();
        tasks.push(tokio::spawn(async move {
            let actor = admin.actor();
            let ctx =
                CommandContext { actor: &actor, policy: TenantPolicy::default(), now: ticket.created_at, ids: &UuidV7 };
            let note = MessageBody::parse(&format!("note {i}")).unwrap();
            let change = ticket
                .agent_reply(
                    &ctx,
                    supportdesk_domain::AgentReply {
                        body: note,
                        internal: true,
                        attachments: vec![],
                        status: None,
                        resolution_note: None,
                    },
                )
                .unwrap();
            store.save_change(&change, None).await
        }));
    }
    let mut won = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(()) => won += 1,
            Err(StoreError::VersionConflict) => {}
            Err(other) => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(won, 1);
    let view = w.app.get_ticket(&w.admin, by_id(&created)).await.unwrap();
    assert_eq!(view.summary.ticket.version, 2);
    assert_eq!(view.messages.len(), 2);
}

/// Without `If-Match`, concurrent replies retry past each other and all land.
pub async fn concurrent_replies_without_a_version_all_land<S: Store + 'static>(s: ContractStore<S>) {
    let (w, _s) = world(s).await;
    let created = w.open(&w.alex, "Busy ticket").await;
    let w = Arc::new(w);
    let mut tasks = Vec::new();
    for i in 0..8 {
        let w = w.clone();
        let id = by_id(&created);
        tasks.push(tokio::spawn(async move {
            let mut note = reply(&format!("Note {i}"));
            note.internal = true;
            w.app.agent_reply(&w.sam, id, note, None, None).await
        }));
    }
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    let view = w.app.get_ticket(&w.admin, by_id(&created)).await.unwrap();
    assert_eq!(view.messages.len(), 9);
    assert_eq!(view.summary.ticket.version, 9);
}

/// A create retried with the same key returns the first ticket and creates nothing.
pub async fn an_idempotent_create_replays_the_first_ticket<S: Store + 'static>(s: ContractStore<S>) {
    let (w, _s) = world(s).await;
    let first = w.app.open_ticket(&w.alex, World::<S>::input("Once"), idem("key-1", "body-a")).await.unwrap();
    let again = w.app.open_ticket(&w.alex, World::<S>::input("Once"), idem("key-1", "body-a")).await.unwrap();
    assert!(!first.replayed);
    assert!(again.replayed);
    assert_eq!(first.value.summary.ticket.id, again.value.summary.ticket.id);
    assert_eq!(w.app.list_tickets(&w.admin, query()).await.unwrap().total, 1);
}

/// The same key with another request body is refused and creates nothing.
pub async fn an_idempotency_key_with_another_body_is_refused<S: Store + 'static>(s: ContractStore<S>) {
    let (w, _s) = world(s).await;
    w.app.open_ticket(&w.alex, World::<S>::input("Once"), idem("key-2", "body-a")).await.unwrap();
    let other = w.app.open_ticket(&w.alex, World::<S>::input("Other"), idem("key-2", "body-b")).await;
    assert!(matches!(other, Err(AppError::IdempotencyKeyReused)), "got {other:?}");
    assert_eq!(w.app.list_tickets(&w.admin, query()).await.unwrap().total, 1);
}

/// Ten racing retries with one key create one ticket and all answer with it.
pub async fn ten_concurrent_retries_with_one_key_create_one_ticket<S: Store + 'static>(s: ContractStore<S>) {
    let (w, _s) = world(s).await;
    let w = Arc::new(w);
    let mut tasks = Vec::new();
    for _ in 0..50 {
        let w = w.clone();
        tasks.push(tokio::spawn(async move {
            let input = World::<S>::about_order(World::<S>::input("Retried"), "ORD-IDEM");
            w.app.open_ticket(&w.alex, input, idem("retry-key", "same-body")).await
        }));
    }
    let mut ids = HashSet::new();
    let mut fresh = 0;
    for task in tasks {
        let outcome = task.await.unwrap().unwrap();
        ids.insert(outcome.value.summary.ticket.id);
        if !outcome.replayed {
            fresh += 1;
        }
    }
    assert_eq!(ids.len(), 1);
    assert_eq!(fresh, 1);
    assert_eq!(w.app.list_tickets(&w.admin, query()).await.unwrap().total, 1);
}

/// A reply retried with the same key returns the first message and adds nothing.
pub async fn an_idempotent_reply_replays_the_first_message<S: Store + 'static>(s: ContractStore<S>) {
    let (w, _s) = world(s).await;
    let created = w.open(&w.alex, "Replied").await;
    w.move_to(&created, Status::Answered).await;
    let body = || MessageBody::parse("Thanks, still waiting").unwrap();
    let first =
        w.app.customer_reply(&w.alex, by_id(&created), body(), vec![], None, idem("r-1", "reply")).await.unwrap();
    let again =
        w.app.customer_reply(&w.alex, by_id(&created), body(), vec![], None, idem("r-1", "reply")).await.unwrap();
    assert!(again.replayed);
    assert_eq!(first.value, again.value);
    assert_eq!(first.value.status, Status::Open);
    let view = w.app.get_ticket(&w.admin, by_id(&created)).await.unwrap();
    assert_eq!(view.messages.len(), 3);
}

/// Two principals may use the same key without seeing each other's results.
pub async fn idempotency_keys_belong_to_one_principal<S: Store + 'static>(s: ContractStore<S>) {
    let (w, _s) = world(s).await;
    let alex = w.app.open_ticket(&w.alex, World::<S>::input("Alex"), idem("shared", "x")).await.unwrap();
    let blake = w.app.open_ticket(&w.blake, World::<S>::input("Blake"), idem("shared", "y")).await.unwrap();
    assert!(!blake.replayed);
    assert_ne!(alex.value.summary.ticket.id, blake.value.summary.ticket.id);
}

/// Nothing of one tenant's tickets is visible from another: by id, by number, in lists,
/// events and messages.
pub async fn tickets_of_another_tenant_are_invisible<S: Store + 'static>(s: ContractStore<S>) {
    let (w, s) = world(s).await;
    let alpha = w.open(&w.alex, "Alpha only").await;
    let id = alpha.summary.ticket.id;
    let beta = &w.beta;
    assert!(s.store.load_ticket(beta, TicketRef::Id(id)).await.unwrap().is_none());
    assert!(s.store.load_ticket(beta, TicketRef::Number(alpha.summary.ticket.number)).await.unwrap().is_none());
    assert!(s.store.ticket_view(beta, TicketRef::Id(id), crate::Visibility::Staff).await.unwrap().is_none());
    assert!(s.store.events(beta, id).await.unwrap().is_empty());
    assert!(s.store.message(beta, alpha.messages[0].id).await.unwrap().is_none());
    assert_eq!(s.store.list_tickets(beta, &query()).await.unwrap().total, 0);
    let as_beta = w.app.get_ticket(&w.beta_admin, TicketRef::Id(id)).await;
    assert!(matches!(as_beta, Err(AppError::NotFound(_))), "got {as_beta:?}");
    let reply = w.app.agent_reply(&w.beta_admin, TicketRef::Id(id), reply("Hello"), None, None).await;
    assert!(matches!(reply, Err(AppError::NotFound(_))), "got {reply:?}");
}

/// Categories, customers, agents and settings are per tenant.
pub async fn categories_accounts_and_settings_of_another_tenant_are_invisible<S: Store + 'static>(s: ContractStore<S>) {
    let (w, s) = world(s).await;
    let order = s.store.find_category(&w.alpha, &CategoryKey::parse("order").unwrap()).await.unwrap().unwrap();
    assert!(s.store.find_category(&w.beta, &CategoryKey::Id(order.id)).await.unwrap().is_none());
    let casey_from_alpha = w.app.get_customer(&w.admin, World::<S>::customer_id(&w.casey)).await;
    assert!(matches!(casey_from_alpha, Err(AppError::NotFound(_))));
    let agents = w.app.list_agents(&w.beta_admin).await.unwrap();
    assert_eq!(agents.iter().map(|a| a.name.as_str()).collect::<Vec<_>>(), ["Bea Admin"]);
    let strict =
        TenantPolicy { allow_customer_close: false, reopen_closed_on_customer_reply: true, ..TenantPolicy::default() };
    w.app.set_tenant_policy(&w.admin, strict).await.unwrap();
    assert_eq!(w.app.tenant_policy(&w.beta_admin).await.unwrap(), TenantPolicy::default());
    let assign_foreign =
        w.app.assign(&w.admin, TicketRef::Number(supportdesk_domain::TicketNumber::new(1).unwrap()), None, None).await;
    assert!(matches!(assign_foreign, Err(AppError::NotFound(_))));
    let sam = World::<S>::agent_id(&w.sam);
    let beta_ticket = w.open(&w.casey, "Beta ticket").await;
    let cross = w.app.assign(&w.beta_admin, by_id(&beta_ticket), Some(sam), None).await;
    assert!(matches!(cross, Err(AppError::NotFound(_))), "an alpha agent cannot be assigned in beta: {cross:?}");
}

/// A customer never sees internal notes, nor another customer's ticket.
pub async fn customers_see_neither_internal_notes_nor_other_customers_tickets<S: Store + 'static>(s: ContractStore<S>) {
    let (w, _s) = world(s).await;
    let created = w.open(&w.alex, "Private").await;
    let mut note = reply("Customer seems upset");
    note.internal = true;
    w.app.agent_reply(&w.sam, by_id(&created), note, None, None).await.unwrap();
    w.app.agent_reply(&w.sam, by_id(&created), reply("We are looking into it"), None, None).await.unwrap();
    let as_alex = w.app.get_ticket(&w.alex, by_id(&created)).await.unwrap();
    assert_eq!(as_alex.messages.len(), 2);
    assert!(as_alex.messages.iter().all(|m| !m.internal));
    let as_staff = w.app.get_ticket(&w.sam, by_id(&created)).await.unwrap();
    assert_eq!(as_staff.messages.len(), 3);
    let as_blake = w.app.get_ticket(&w.blake, by_id(&created)).await;
    assert!(matches!(as_blake, Err(AppError::NotFound(_))));
    let blake_reply =
        w.app.customer_reply(&w.blake, by_id(&created), MessageBody::parse("Hi").unwrap(), vec![], None, None).await;
    assert!(matches!(blake_reply, Err(AppError::NotFound(_))));
}

/// The trail lists every change, oldest first, with actors and data.
pub async fn the_audit_trail_records_every_change_in_order<S: Store + 'static>(s: ContractStore<S>) {
    let (w, _s) = world(s).await;
    let created = w.open(&w.alex, "Audited").await;
    let id = by_id(&created);
    let sam = World::<S>::agent_id(&w.sam);
    w.app.assign(&w.admin, id, Some(sam), None).await.unwrap();
    let triage = TriageInput { priority: Some(Priority::High), ..TriageInput::default() };
    w.app.triage(&w.sam, id, triage, None).await.unwrap();
    let mut resolve = reply("Fixed it");
    resolve.status = Some(Status::Resolved);
    resolve.resolution_note = Some(ResolutionNote::parse("Refunded").unwrap());
    w.app.agent_reply(&w.sam, id, resolve, None, None).await.unwrap();
    w.app.assign(&w.admin, id, None, None).await.unwrap();
    let events = w.app.ticket_events(&w.admin, id).await.unwrap();
    let kinds: Vec<&str> = events.iter().map(|e| e.data.kind()).collect();
    assert_eq!(
        kinds,
        [
            "created",
            "message_added",
            "assigned",
            "status_changed",
            "triaged",
            "message_added",
            "status_changed",
            "status_changed",
            "unassigned"
        ]
    );
    assert!(events.windows(2).all(|pair| pair[0].created_at <= pair[1].created_at));
    assert_eq!(events[2].actor.name, "Ada Admin");
    assert_eq!(events[4].actor.name, "Sam Agent");
    match &events[7].data {
        supportdesk_domain::EventData::StatusChanged { from, to, resolution_note } => {
            assert_eq!((*from, *to), (Status::Answered, Status::Resolved));
            assert_eq!(resolution_note.as_deref(), Some("Refunded"));
        }
        other => panic!("expected status_changed, got {other:?}"),
    }
}

/// A new tenant gets the six default categories, once, even when set up concurrently.
pub async fn a_new_tenant_gets_the_six_default_categories_once<S: Store + 'static>(s: ContractStore<S>) {
    let (w, s) = world(s).await;
    let gamma = supportdesk_domain::TenantKey::parse("gamma").unwrap();
    let mut tasks = Vec::new();
    for _ in 0..6 {
        let store = s.store.clone();
        let defaults = w.app.default_categories(&gamma);
        let gamma = gamma.clone();
        tasks.push(tokio::spawn(
            async move { crate::TenantStore::ensure_tenant(store.as_ref(), &gamma, &defaults).await },
        ));
    }
    let mut created = 0;
    for task in tasks {
        if task.await.unwrap().unwrap() {
            created += 1;
        }
    }
    assert_eq!(created, 1);
    let categories = s.store.list_categories(&gamma, CategoryFilter::default()).await.unwrap();
    let slugs: Vec<&str> = categories.iter().map(|c| c.slug.as_str()).collect();
    assert_eq!(slugs, ["order", "product", "account", "technical", "payment", "general"]);
}

/// Slugs are unique per tenant; deactivated categories stay but cannot be chosen.
pub async fn category_slugs_are_unique_per_tenant<S: Store + 'static>(s: ContractStore<S>) {
    let (w, _s) = world(s).await;
    let new = |slug: &str, parent| NewCategory {
        slug: Slug::parse(slug).unwrap(),
        name: CategoryName::parse("Returns").unwrap(),
        parent_id: parent,
        position: 10,
        active: true,
    };
    let order = w.app.list_categories(&w.admin, None).await.unwrap().into_iter().find(|c| c.slug.as_str() == "order");
    let returns = w.app.create_category(&w.admin, new("returns", order.map(|c| c.id))).await.unwrap();
    let again = w.app.create_category(&w.admin, new("returns", None)).await;
    assert!(matches!(again, Err(AppError::Conflict(Taken::Slug))), "got {again:?}");
    w.app.create_category(&w.beta_admin, new("returns", None)).await.unwrap();
    let taken = w
        .app
        .update_category(
            &w.admin,
            returns.id,
            crate::CategoryPatch { slug: Some(Slug::parse("order").unwrap()), ..crate::CategoryPatch::default() },
        )
        .await;
    assert!(matches!(taken, Err(AppError::Conflict(Taken::Slug))), "got {taken:?}");
    let children = w.app.list_categories(&w.alex, returns.parent_id).await.unwrap();
    assert_eq!(children.iter().map(|c| c.slug.as_str()).collect::<Vec<_>>(), ["returns"]);
    w.app.deactivate_category(&w.admin, returns.id).await.unwrap();
    let visible = w.app.list_categories(&w.alex, None).await.unwrap();
    assert!(visible.iter().all(|c| c.slug.as_str() != "returns"));
    let staff = w.app.list_categories(&w.admin, None).await.unwrap();
    assert!(staff.iter().any(|c| c.slug.as_str() == "returns" && !c.active));
    let mut input = World::<S>::input("Return this");
    input.category = CategoryKey::parse("returns").unwrap();
    assert!(matches!(w.try_open(&w.alex, input).await, Err(AppError::Validation(_))));
}

/// A login email is unique within a tenant, across customers and agents.
pub async fn login_emails_are_unique_per_tenant<S: Store + 'static>(s: ContractStore<S>) {
    let (w, _s) = world(s).await;
    // Tenants other than `default` take registrations once their admin allows it.
    let register_robin = |tenant: &supportdesk_domain::TenantKey| RegisterInput {
        tenant: tenant.clone(),
        email: Email::parse("robin@example.com").unwrap(),
        password: Password::parse("long enough password").unwrap(),
        name: PersonName::parse("Robin").unwrap(),
    };
    let closed = w.app.register(register_robin(&w.alpha)).await;
    assert!(matches!(closed, Err(AppError::Forbidden(_))), "got {closed:?}");
    let nowhere = w.app.register(register_robin(&supportdesk_domain::TenantKey::parse("nowhere").unwrap())).await;
    assert!(matches!(nowhere, Err(AppError::NotFound(_))), "got {nowhere:?}");
    for admin in [&w.admin, &w.beta_admin] {
        let policy = w.app.tenant_policy(admin).await.unwrap();
        let settings = w.app.update_tenant_settings(admin, policy, Some(true)).await.unwrap();
        assert!(settings.allow_registration);
    }
    let register = |tenant: &supportdesk_domain::TenantKey, email: &str| RegisterInput {
        tenant: tenant.clone(),
        email: Email::parse(email).unwrap(),
        password: Password::parse("long enough password").unwrap(),
        name: PersonName::parse("Robin").unwrap(),
    };
    let robin = w.app.register(register(&w.alpha, "robin@example.com")).await.unwrap();
    let twice = w.app.register(register(&w.alpha, "ROBIN@example.com")).await;
    assert!(matches!(twice, Err(AppError::Conflict(Taken::Email))), "got {twice:?}");
    let agent_email = w.app.register(register(&w.alpha, "sam@alpha.example")).await;
    assert!(matches!(agent_email, Err(AppError::Conflict(Taken::Email))), "got {agent_email:?}");
    w.app.register(register(&w.beta, "robin@example.com")).await.unwrap();
    let login =
        w.app.login(&w.alpha, &Email::parse("robin@example.com").unwrap(), "long enough password").await.unwrap();
    assert_eq!((login.id, login.role), (robin.id.as_uuid(), Role::Customer));
    let wrong = w.app.login(&w.alpha, &Email::parse("robin@example.com").unwrap(), "wrong password!").await;
    assert!(matches!(wrong, Err(AppError::InvalidCredentials)));
}

/// Agents read back as written, and an update changes their login too.
pub async fn agents_round_trip_and_update_with_their_login<S: Store + 'static>(s: ContractStore<S>) {
    let (w, _s) = world(s).await;
    let kim = w
        .app
        .create_agent(
            &w.admin,
            NewAgent {
                email: Email::parse("kim@alpha.example").unwrap(),
                name: PersonName::parse("Kim").unwrap(),
                password: Password::parse("first password").unwrap(),
                role: Role::Agent,
                permissions: Some(vec![supportdesk_domain::Permission::TicketsRead]),
                active: true,
            },
        )
        .await
        .unwrap();
    let listed = w.app.list_agents(&w.admin).await.unwrap();
    assert!(listed.contains(&kim));
    let patch = AgentPatch {
        email: Some(Email::parse("kim.new@alpha.example").unwrap()),
        password: Some(Password::parse("second password").unwrap()),
        ..AgentPatch::default()
    };
    w.app.update_agent(&w.admin, kim.id, patch).await.unwrap();
    let tenant = &w.alpha;
    let old = w.app.login(tenant, &Email::parse("kim@alpha.example").unwrap(), "first password").await;
    assert!(matches!(old, Err(AppError::InvalidCredentials)));
    let new = w.app.login(tenant, &Email::parse("kim.new@alpha.example").unwrap(), "second password").await.unwrap();
    assert_eq!(new.permissions, [supportdesk_domain::Permission::TicketsRead]);
    let deactivate = AgentPatch { active: Some(false), ..AgentPatch::default() };
    w.app.update_agent(&w.admin, kim.id, deactivate).await.unwrap();
    let inactive = w.app.login(tenant, &Email::parse("kim.new@alpha.example").unwrap(), "second password").await;
    assert!(matches!(inactive, Err(AppError::InvalidCredentials)));
    let ticket = w.open(&w.alex, "For Kim").await;
    let assign = w.app.assign(&w.admin, by_id(&ticket), Some(kim.id), None).await;
    assert!(matches!(assign, Err(AppError::NotFound(_))), "inactive agents cannot be assigned");
    let unknown = w.app.update_agent(&w.admin, AgentId::from_uuid(Uuid::now_v7()), AgentPatch::default()).await;
    assert!(matches!(unknown, Err(AppError::NotFound(_))));
}

/// Upsert replaces a profile and keeps `created_at`; provisioning never overwrites.
pub async fn customer_profiles_upsert_and_provision<S: Store + 'static>(s: ContractStore<S>) {
    let (w, _s) = world(s).await;
    let id = supportdesk_domain::CustomerId::from_uuid(UuidV7.next_uuid());
    let profile = |name: &str| CustomerProfile::parse(name, Some("dana@example.com"), None).unwrap();
    let first = w.app.upsert_customer(&w.admin, id, profile("Dana")).await.unwrap();
    let second = w.app.upsert_customer(&w.admin, id, profile("Dana Smith")).await.unwrap();
    assert_eq!(second.name.as_str(), "Dana Smith");
    assert_eq!(second.created_at, first.created_at);
    let from_token = Principal::customer(w.alpha.clone(), id.as_uuid()).named("Someone Else");
    let provisioned = w.app.provision_customer(&from_token).await.unwrap();
    assert_eq!(provisioned.name.as_str(), "Dana Smith");
    let read = w.app.get_customer(&w.admin, id).await.unwrap();
    assert_eq!(read, second);
    // A token for an unknown customer provisions them on first use.
    let newcomer = Principal::customer(w.alpha.clone(), Uuid::now_v7()).named("Newcomer");
    let ticket = w.open(&newcomer, "First time here").await;
    assert_eq!(ticket.summary.customer.name, "Newcomer");
}

/// The customer directory finds customers by a prefix of a word of their name (words in
/// order, case and accents folded) or of their email, by name then id, never another
/// tenant's; the keys follow a changed profile; agents without `tickets:read` see nothing.
pub async fn the_customer_directory_finds_by_name_and_email_prefix<S: Store + 'static>(s: ContractStore<S>) {
    let (w, _s) = world(s).await;
    let add = |tenant: &Principal, name: &str, email: Option<&str>| {
        let (app, tenant, profile) = (&w.app, tenant.clone(), CustomerProfile::parse(name, email, None).unwrap());
        async move {
            let id = supportdesk_domain::CustomerId::from_uuid(UuidV7.next_uuid());
            app.upsert_customer(&tenant, id, profile).await.unwrap().id
        }
    };
    let muller = add(&w.admin, "Jana Müller", Some("Jana.Mueller@Example.com")).await;
    let mulligan = add(&w.admin, "Ava Mulligan", Some("ava@shop.example")).await;
    let percent = add(&w.admin, "Per Cent", Some("100%_sure@example.com")).await;
    let other_tenant = add(&w.beta_admin, "Jana Müller", Some("jana@beta.example")).await;
    let find = |q: &str| {
        let (app, admin) = (&w.app, w.admin.clone());
        let text = Some(supportdesk_domain::search::DirectoryQuery::parse(q).unwrap());
        async move {
            let page = app.list_customers(&admin, CustomerQuery { text, ..CustomerQuery::default() }).await.unwrap();
            page.items.iter().map(|c| c.id).collect::<Vec<_>>()
        }
    };
    assert_eq!(find("mul").await, vec![mulligan, muller], "a word's prefix, by name key: ava… before jana…");
    assert_eq!(find("MÜLL").await, vec![mulligan, muller], "case and accents fold");
    assert_eq!(find("jana mu").await, vec![muller], "words in order");
    assert_eq!(find("mu jana").await, Vec::new(), "not in another order");
    assert_eq!(find("jana.mueller@ex").await, vec![muller], "an email prefix, any case");
    assert_eq!(find("100%_").await, vec![percent], "wildcards match literally");
    assert_eq!(find("100__").await, Vec::new());
    assert_eq!(find("ller").await, Vec::new(), "prefixes only");
    assert!(!find("jana").await.contains(&other_tenant), "never another tenant's");
    // Every customer of the tenant without `q`, the world's own included, by name.
    let all = w.app.list_customers(&w.admin, CustomerQuery::default()).await.unwrap();
    let names: Vec<String> = all.items.iter().map(|c| directory_name_key(c.name.as_str())).collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted);
    assert!(all.items.iter().all(|c| c.tenant == w.alpha));
    assert_eq!(all.total, all.items.len() as u64);
    // A changed profile is found by its new name only.
    let renamed = CustomerProfile::parse("Jana Schmidt", Some("jana@example.com"), None).unwrap();
    w.app.upsert_customer(&w.admin, muller, renamed).await.unwrap();
    assert_eq!(find("müller").await, Vec::new());
    assert_eq!(find("schmi").await, vec![muller]);
    assert_eq!(find("jana@").await, vec![muller]);
    // Customers and agents without `tickets:read` have no directory.
    let refused = w.app.list_customers(&w.alex, CustomerQuery::default()).await;
    assert!(matches!(refused, Err(AppError::Forbidden(_))), "got {refused:?}");
}

/// Walking the directory by cursor, three at a time, meets every customer that existed
/// throughout exactly once while others are added between the pages; a cursor is refused
/// on another lookup, on another tenant, and forged.
pub async fn a_directory_walk_by_cursor_neither_repeats_nor_skips<S: Store + 'static>(s: ContractStore<S>) {
    let (w, _s) = world(s).await;
    let add = |name: String| {
        let (app, admin) = (&w.app, w.admin.clone());
        async move {
            let profile = CustomerProfile::parse(&name, None, None).unwrap();
            let id = supportdesk_domain::CustomerId::from_uuid(UuidV7.next_uuid());
            app.upsert_customer(&admin, id, profile).await.unwrap().id
        }
    };
    let mut stable = HashSet::new();
    for i in 0..20 {
        // Some names alike, so the id breaks ties.
        stable.insert(add(format!("Walker {}", i % 7)).await);
    }
    let size = PageRequest::new(1, 3).unwrap();
    let walk = CustomerQuery { page: size, ..CustomerQuery::default() };
    let (mut seen, mut cursor, mut added) = (Vec::new(), None, 0);
    loop {
        let page = w.app.list_customers(&w.admin, CustomerQuery { cursor, ..walk.clone() }).await.unwrap();
        assert!(page.items.len() <= 3);
        seen.extend(page.items.iter().map(|c| c.id));
        // Between the pages, names before, among and after the walk's.
        for name in ["Aaron", "Walker 3", "Zoe"] {
            if added < 30 {
                add(format!("{name} {added}")).await;
                added += 1;
            }
        }
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    let unique: HashSet<_> = seen.iter().copied().collect();
    assert_eq!(unique.len(), seen.len(), "no customer twice");
    assert!(stable.is_subset(&unique), "every customer that existed throughout");

    let first = w.app.list_customers(&w.admin, walk.clone()).await.unwrap();
    let next = first.next_cursor.unwrap();
    let lookup = Some(supportdesk_domain::search::DirectoryQuery::parse("walker").unwrap());
    let other_lookup = CustomerQuery { text: lookup, cursor: Some(next.clone()), ..walk.clone() };
    for (who, query) in [
        (&w.admin, other_lookup),
        (&w.beta_admin, CustomerQuery { cursor: Some(next.clone()), ..walk.clone() }),
        (&w.admin, CustomerQuery { cursor: Some(format!("{next}x")), ..walk.clone() }),
    ] {
        let refused = w.app.list_customers(who, query).await;
        assert!(matches!(refused, Err(AppError::Validation(_))), "got {refused:?}");
    }
}

/// The policy reads back as saved, and customers are held to it.
pub async fn tenant_settings_round_trip<S: Store + 'static>(s: ContractStore<S>) {
    let (w, _s) = world(s).await;
    assert_eq!(w.app.tenant_policy(&w.admin).await.unwrap(), TenantPolicy::default());
    let strict = TenantPolicy {
        allow_customer_close: false,
        reopen_closed_on_customer_reply: true,
        auto_close_resolved_after_days: 365,
    };
    w.app.set_tenant_policy(&w.admin, strict).await.unwrap();
    assert_eq!(w.app.tenant_policy(&w.admin).await.unwrap(), strict);
    let too_long = TenantPolicy { auto_close_resolved_after_days: 366, ..strict };
    let refused = w.app.set_tenant_policy(&w.admin, too_long).await;
    assert!(matches!(refused, Err(AppError::Validation(_))), "got {refused:?}");
    assert_eq!(w.app.tenant_policy(&w.admin).await.unwrap(), strict, "a refused policy changes nothing");
    let created = w.open(&w.alex, "Policy").await;
    let close = w.app.customer_set_status(&w.alex, by_id(&created), Status::Closed, None).await;
    assert!(matches!(close, Err(AppError::Forbidden(_))), "got {close:?}");
    w.move_to(&created, Status::Closed).await;
    let body = MessageBody::parse("Reopen please").unwrap();
    let reply = w.app.customer_reply(&w.alex, by_id(&created), body, vec![], None, None).await.unwrap();
    assert_eq!(reply.value.status, Status::Open);
}

/// Tenants the operator creates exist with their name; creating one twice changes nothing;
/// only `default` takes registrations out of the box.
pub async fn tenants_are_created_once_with_their_name_and_registration_switch<S: Store + 'static>(s: ContractStore<S>) {
    let (w, _s) = world(s).await;
    let shop = supportdesk_domain::TenantKey::parse("shop-9").unwrap();
    assert!(w.app.find_tenant(&shop).await.unwrap().is_none());
    let (created, fresh) = w.app.create_tenant(&shop, "Shop Nine").await.unwrap();
    assert!(fresh);
    assert_eq!((created.name.as_str(), created.allow_registration), ("Shop Nine", false));
    let (again, fresh) = w.app.create_tenant(&shop, "Renamed").await.unwrap();
    assert!(!fresh);
    assert_eq!(again.name, "Shop Nine");
    let (default, _) = w.app.create_tenant(&supportdesk_domain::TenantKey::default(), "Default").await.unwrap();
    assert!(default.allow_registration);
    let categories = w.store.list_categories(&shop, CategoryFilter::default()).await.unwrap();
    assert_eq!(categories.len(), 6);
}

/// Signing keys are found by kid whatever the tenant, listed and deleted only by their own.
pub async fn signing_keys_belong_to_their_tenant<S: Store + 'static>(s: ContractStore<S>) {
    let (w, _s) = world(s).await;
    let key = w.app.create_signing_key(&w.admin, true).await.unwrap();
    let found = w.app.signing_key(&key.kid).await.unwrap().unwrap();
    assert_eq!(found, key);
    assert_eq!(w.app.list_signing_keys(&w.admin).await.unwrap(), vec![key.clone()]);
    assert!(w.app.list_signing_keys(&w.beta_admin).await.unwrap().is_empty());
    let foreign = w.app.delete_signing_key(&w.beta_admin, &key.kid).await;
    assert!(matches!(foreign, Err(AppError::NotFound(_))), "got {foreign:?}");
    let duplicate = w.store.insert_signing_key(&key).await;
    assert!(matches!(duplicate, Err(StoreError::Duplicate(Taken::SigningKeyId))), "got {duplicate:?}");
    // Sam may not manage settings, so makes no keys at all.
    let staff = w.app.create_signing_key(&w.sam, true).await;
    assert!(matches!(staff, Err(AppError::Forbidden(_))), "got {staff:?}");
    w.app.delete_signing_key(&w.admin, &key.kid).await.unwrap();
    assert!(w.store.signing_key(&key.kid).await.unwrap().is_none());
}

/// An API key is stored by its hash only, acts with exactly its permissions under its name,
/// records its use and stops when deleted.
pub async fn api_keys_are_found_by_hash_and_act_with_their_permissions<S: Store + 'static>(s: ContractStore<S>) {
    let (w, _s) = world(s).await;
    let input = crate::NewApiKey {
        name: PersonName::parse("Storefront sync").unwrap(),
        permissions: vec![supportdesk_domain::Permission::TicketsRead],
        expires_at: None,
    };
    let issued = w.app.create_api_key(&w.admin, input.clone()).await.unwrap();
    assert!(issued.secret.expose().starts_with(crate::API_KEY_PREFIX));
    assert!(w.store.api_key_by_hash(issued.secret.expose()).await.unwrap().is_none());
    let principal = w.app.authenticate_api_key(issued.secret.expose()).await.unwrap();
    assert_eq!((principal.tenant.clone(), principal.id), (w.alpha.clone(), issued.key.id));
    assert_eq!(principal.permissions, vec![supportdesk_domain::Permission::TicketsRead]);
    assert_eq!(principal.display_name(), "Storefront sync");
    assert_eq!(principal.credential, crate::Credential::ApiKey);
    let listed = w.app.list_api_keys(&w.admin).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert!(listed[0].last_used_at.is_some());
    assert!(w.app.list_api_keys(&w.beta_admin).await.unwrap().is_empty());
    // Sam lacks agents:manage; nobody grants what they lack.
    assert!(matches!(w.app.create_api_key(&w.sam, input).await, Err(AppError::Forbidden(_))));
    let foreign = w.app.delete_api_key(&w.beta_admin, issued.key.id).await;
    assert!(matches!(foreign, Err(AppError::NotFound(_))), "got {foreign:?}");
    w.app.delete_api_key(&w.admin, issued.key.id).await.unwrap();
    assert!(w.store.api_key_by_hash(&crate::token_hash(issued.secret.expose())).await.unwrap().is_none());
}

/// A logged-out token is found by its hash until pruned after it expires.
pub async fn logged_out_tokens_are_revoked_until_they_expire<S: Store + 'static>(s: ContractStore<S>) {
    let (w, _s) = world(s).await;
    let now = time::OffsetDateTime::now_utc();
    w.store.revoke_token(&w.alpha, "a", now - time::Duration::minutes(1)).await.unwrap();
    w.store.revoke_token(&w.alpha, "b", now + time::Duration::hours(1)).await.unwrap();
    w.store.revoke_token(&w.alpha, "b", now + time::Duration::hours(1)).await.unwrap();
    assert!(w.store.is_token_revoked("a").await.unwrap());
    assert!(!w.store.is_token_revoked("c").await.unwrap());
    assert_eq!(w.store.prune_revoked_tokens(now).await.unwrap(), 1);
    assert!(!w.store.is_token_revoked("a").await.unwrap());
    assert!(w.store.is_token_revoked("b").await.unwrap());
}

/// Revoking sessions, a password change, a permission change and a deactivation each end
/// an agent's earlier tokens; a change of name does not.
pub async fn security_changes_end_an_agents_sessions<S: Store + 'static>(s: ContractStore<S>) {
    let (w, _s) = world(s).await;
    let id = AgentId::from_uuid(w.sam.id);
    let generation = |session: Option<crate::AgentSession>| session.unwrap().generation;
    let start = generation(w.store.agent_session(&w.alpha, id).await.unwrap());
    let rename = AgentPatch { name: Some(PersonName::parse("Samuel").unwrap()), ..AgentPatch::default() };
    w.app.update_agent(&w.admin, id, rename).await.unwrap();
    assert_eq!(generation(w.store.agent_session(&w.alpha, id).await.unwrap()), start);
    let patches = [
        AgentPatch { password: Some(Password::parse("another long password").unwrap()), ..AgentPatch::default() },
        AgentPatch { permissions: Some(vec![supportdesk_domain::Permission::TicketsRead]), ..AgentPatch::default() },
        AgentPatch { active: Some(false), ..AgentPatch::default() },
    ];
    let mut expected = start;
    for patch in patches {
        w.app.update_agent(&w.admin, id, patch).await.unwrap();
        expected += 1;
        let session = w.store.agent_session(&w.alpha, id).await.unwrap().unwrap();
        assert_eq!(session.generation, expected);
        assert!(session.revoked_at.is_some());
    }
    w.app.revoke_agent_sessions(&w.admin, id).await.unwrap();
    assert_eq!(generation(w.store.agent_session(&w.alpha, id).await.unwrap()), expected + 1);
    assert!(w.store.agent_session(&w.beta, id).await.unwrap().is_none());
    let missing = w.store.revoke_agent_sessions(&w.beta, id, time::OffsetDateTime::now_utc()).await;
    assert!(matches!(missing, Err(StoreError::NotFound)), "got {missing:?}");
}

/// The last active admin of a tenant is neither deactivated nor demoted, also when two
/// admins try to step down at once: exactly one of them may.
pub async fn the_last_active_admin_stays_also_under_racing_demotions<S: Store + 'static>(s: ContractStore<S>) {
    let (w, _s) = world(s).await;
    let admin_id = AgentId::from_uuid(w.admin.id);
    for patch in [
        AgentPatch { active: Some(false), ..AgentPatch::default() },
        AgentPatch { role: Some(Role::Agent), ..AgentPatch::default() },
    ] {
        let refused = w.app.update_agent(&w.admin, admin_id, patch).await;
        assert!(matches!(refused, Err(AppError::LastAdmin)), "got {refused:?}");
    }
    let second = w
        .app
        .create_agent(
            &w.admin,
            NewAgent {
                email: Email::parse("second@alpha.example").unwrap(),
                name: PersonName::parse("Second Admin").unwrap(),
                password: Password::parse("long enough password").unwrap(),
                role: Role::Admin,
                permissions: None,
                active: true,
            },
        )
        .await
        .unwrap();
    let app = Arc::new(w.app);
    let step_down = |id: AgentId| {
        let app = app.clone();
        let admin = w.admin.clone();
        tokio::spawn(async move {
            app.update_agent(&admin, id, AgentPatch { active: Some(false), ..AgentPatch::default() }).await
        })
    };
    let (first, other) = (step_down(admin_id), step_down(second.id));
    let results = [first.await.unwrap(), other.await.unwrap()];
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1, "{results:?}");
    assert!(results.iter().any(|r| matches!(r, Err(AppError::LastAdmin))), "{results:?}");
    assert!(w.store.has_admin(&w.alpha).await.unwrap());
}

/// Follows the feed of `principal`'s tenant, `page` events at a time, until `expected`
/// events came (waiting for them: on PostgreSQL any transaction in flight on the cluster
/// holds the feed back until it ends) and a read finds nothing more.
async fn follow<S: Store + 'static>(
    w: &World<S>,
    principal: &Principal,
    page: usize,
    expected: usize,
) -> Vec<crate::FeedEvent> {
    let mut seen = Vec::new();
    let mut request = crate::FeedRequest::from_start(page);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let wait = if seen.len() < expected { std::time::Duration::from_secs(2) } else { std::time::Duration::ZERO };
        let got = w.app.event_feed(principal, &request.clone().waiting(wait)).await.unwrap();
        if got.events.is_empty() && (seen.len() >= expected || std::time::Instant::now() > deadline) {
            return seen;
        }
        request = request.after(got.next);
        seen.extend(got.events);
    }
}

/// Every event of a tenant appears once, oldest first, with the ticket as the change left
/// it and, for a message, the message; following page by page sees them all.
pub async fn the_feed_returns_every_event_of_the_tenant_once_in_order_with_its_ticket<S: Store + 'static>(
    s: ContractStore<S>,
) {
    let (w, _s) = world(s).await;
    let first = w.open(&w.alex, "Parcel lost").await;
    let second = w.open(&w.blake, "Wrong size").await;
    w.app.agent_reply(&w.sam, by_id(&first), reply("We are looking into it"), None, None).await.unwrap();
    let all = follow(&w, &w.admin, 2, 6).await;
    let kinds: Vec<&str> = all.iter().map(|e| e.kind()).collect();
    assert_eq!(kinds, ["created", "message_added", "created", "message_added", "message_added", "status_changed"]);
    let positions: Vec<_> = all.iter().map(|e| e.position).collect();
    let mut sorted = positions.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(positions, sorted, "positions increase strictly");
    assert_eq!(ticket_part(&all[0]).ticket.number, first.summary.ticket.number);
    assert_eq!(ticket_part(&all[0]).ticket.status, Status::Open);
    assert_eq!(ticket_part(&all[2]).ticket.id, second.summary.ticket.id);
    let reply_event = &all[4];
    assert_eq!(ticket_part(reply_event).ticket.status, Status::Answered);
    assert_eq!(ticket_part(reply_event).ticket.version, first.summary.ticket.version + 1);
    assert_eq!(ticket_part(reply_event).message.as_ref().unwrap().body.as_str(), "We are looking into it");
    let again =
        w.app.event_feed(&w.admin, &crate::FeedRequest::from_start(500).after(all.last().map(|e| e.position))).await;
    assert!(again.unwrap().events.is_empty(), "nothing after the last position");
}

/// A feed filtered by kind keeps only those kinds; a cursor resumes right after the event
/// it came from.
pub async fn the_feed_keeps_only_the_asked_kinds_and_resumes_after_a_cursor<S: Store + 'static>(s: ContractStore<S>) {
    let (w, _s) = world(s).await;
    w.open(&w.alex, "One").await;
    w.open(&w.blake, "Two").await;
    w.open(&w.alex, "Three").await;
    follow(&w, &w.admin, 500, 6).await;
    let created = crate::FeedRequest::parse(None, Some(500), Some("ticket.created"), None).unwrap();
    let page = w.app.event_feed(&w.admin, &created).await.unwrap();
    assert_eq!(page.events.len(), 3);
    assert!(page.events.iter().all(|e| e.kind() == "created"));
    let first_two = w.app.event_feed(&w.admin, &crate::FeedRequest::from_start(2)).await.unwrap();
    let cursor = first_two.next.unwrap().to_cursor();
    let rest = crate::FeedRequest::parse(Some(&cursor), Some(500), None, None).unwrap();
    let rest = w.app.event_feed(&w.admin, &rest).await.unwrap();
    assert_eq!(rest.events.len(), 4);
    assert_eq!(ticket_part(&rest.events[0]).ticket.number.get(), 2);
}

/// Each tenant's feed holds its own events only.
pub async fn the_feed_of_a_tenant_never_shows_another_tenants_events<S: Store + 'static>(s: ContractStore<S>) {
    let (w, _s) = world(s).await;
    w.open(&w.alex, "Alpha's").await;
    w.open(&w.casey, "Beta's").await;
    let alpha = follow(&w, &w.admin, 500, 2).await;
    let beta = follow(&w, &w.beta_admin, 500, 2).await;
    assert_eq!(alpha.len(), 2);
    assert_eq!(beta.len(), 2);
    assert!(alpha.iter().all(|e| e.tenant == w.alpha));
    assert!(beta.iter().all(|e| e.tenant == w.beta));
}

fn endpoint(tenant: &supportdesk_domain::TenantKey, events: crate::EventSelection) -> crate::WebhookEndpoint {
    let now = time::OffsetDateTime::now_utc().replace_nanosecond(0).unwrap();
    crate::WebhookEndpoint {
        id: Uuid::now_v7(),
        tenant: tenant.clone(),
        url: crate::WebhookUrl::parse("https://shop.example/hooks").unwrap(),
        events,
        active: true,
        description: "orders".into(),
        secret: crate::WebhookSecret::generate(),
        failing_since: None,
        disabled_at: None,
        created_at: now,
        updated_at: now,
    }
}

fn now() -> time::OffsetDateTime {
    time::OffsetDateTime::now_utc().replace_nanosecond(0).unwrap()
}

/// An endpoint gets the events committed after it was added, of its tenant and types only,
/// each once however often the fan-out runs.
pub async fn a_new_endpoint_gets_one_delivery_per_later_event_of_its_tenant_and_types<S: Store + 'static>(
    s: ContractStore<S>,
) {
    let (w, _s) = world(s).await;
    w.open(&w.alex, "Before the endpoint").await;
    let all = endpoint(&w.alpha, crate::EventSelection::All);
    let created_only = endpoint(&w.alpha, crate::EventSelection::Only(vec!["created"]));
    w.store.insert_webhook(&all).await.unwrap();
    w.store.insert_webhook(&created_only).await.unwrap();
    let later = w.open(&w.blake, "After the endpoint").await;
    w.open(&w.casey, "Another tenant's").await;
    let mut made = 0;
    for _ in 0..50 {
        made += w.store.fan_out(now(), 100).await.unwrap();
        if made == 3 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(made, 3, "two events to one endpoint, one to the other");
    assert_eq!(w.store.fan_out(now(), 100).await.unwrap(), 0, "nothing twice");
    let to_all = w.store.list_deliveries(&w.alpha, all.id, None, 100).await.unwrap();
    assert_eq!(to_all.len(), 2);
    assert!(to_all.iter().all(|d| d.status == crate::DeliveryStatus::Pending && d.attempts == 0));
    let claimed = w.store.claim_deliveries(now(), now() + std::time::Duration::from_secs(60), 100).await.unwrap();
    assert_eq!(claimed.len(), 3);
    assert!(claimed.iter().all(|c| ticket_part(&c.event).ticket.id == later.summary.ticket.id));
    let to_created = claimed.iter().filter(|c| c.endpoint.id == created_only.id).collect::<Vec<_>>();
    assert_eq!(to_created.len(), 1);
    assert_eq!(to_created[0].event.kind(), "created");
    assert!(w.store.list_deliveries(&w.beta, all.id, None, 100).await.unwrap().is_empty());
}

/// A claimed delivery is not handed out again while its lease runs; after it runs out it
/// is; a manual retry makes a finished one due again.
pub async fn a_leased_delivery_is_handed_out_once_until_its_lease_runs_out<S: Store + 'static>(s: ContractStore<S>) {
    let (w, _s) = world(s).await;
    let hook = endpoint(&w.alpha, crate::EventSelection::Only(vec!["created"]));
    w.store.insert_webhook(&hook).await.unwrap();
    w.open(&w.alex, "One").await;
    for _ in 0..50 {
        if w.store.fan_out(now(), 100).await.unwrap() > 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let t0 = now();
    let lease = std::time::Duration::from_secs(30);
    let first = w.store.claim_deliveries(t0, t0 + lease, 10).await.unwrap();
    assert_eq!(first.len(), 1);
    assert!(w
        .store
        .claim_deliveries(t0 + std::time::Duration::from_secs(10), t0 + lease, 10)
        .await
        .unwrap()
        .is_empty());
    let again = w.store.claim_deliveries(t0 + std::time::Duration::from_secs(31), t0 + lease * 3, 10).await.unwrap();
    assert_eq!(again.len(), 1, "a lease that ran out frees the delivery");
    let mut done = again[0].delivery.clone();
    done.attempts = 1;
    done.status = crate::DeliveryStatus::Succeeded;
    done.next_attempt_at = None;
    w.store.record_attempts(&[(done.clone(), true)], t0).await.unwrap();
    assert!(w.store.claim_deliveries(t0 + lease * 4, t0 + lease * 5, 10).await.unwrap().is_empty());
    let retried = w.store.retry_delivery(&w.alpha, hook.id, done.id, t0 + lease * 4).await.unwrap().unwrap();
    assert_eq!(retried.status, crate::DeliveryStatus::Pending);
    assert_eq!(w.store.claim_deliveries(t0 + lease * 4, t0 + lease * 5, 10).await.unwrap().len(), 1);
    assert!(w.store.retry_delivery(&w.beta, hook.id, done.id, t0).await.unwrap().is_none(), "not another tenant's");
}

/// Deliveries fanned out with a lease go to their creator only, ready to send, up to the
/// number asked for (the rest are created for anyone to claim); nobody claims them before
/// the lease runs out; recorded outcomes land on the right deliveries with every field and
/// free the lease; an unrecorded one is claimed once its lease ran out.
pub async fn fanned_out_deliveries_are_leased_to_their_creator<S: Store + 'static>(s: ContractStore<S>) {
    let (w, _s) = world(s).await;
    let hook = endpoint(&w.alpha, crate::EventSelection::Only(vec!["created"]));
    w.store.insert_webhook(&hook).await.unwrap();
    let mut opened = Vec::new();
    for subject in ["Kettle", "Parcel", "Refund", "Invoice"] {
        opened.push(w.open(&w.alex, subject).await.summary.ticket.id);
    }
    let t0 = now();
    let lease = std::time::Duration::from_secs(30);
    let mut leased = Vec::new();
    for _ in 0..50 {
        leased.extend(w.store.fan_out_leased(t0, t0 + lease, 100, 3 - leased.len()).await.unwrap());
        if leased.len() == 3 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(leased.len(), 3, "as many leased as asked for");
    leased.sort_by_key(|c| ticket_part(&c.event).ticket.number);
    for (claim, ticket) in leased.iter().zip(&opened) {
        assert_eq!(ticket_part(&claim.event).ticket.id, *ticket);
        assert_eq!(claim.endpoint.id, hook.id);
        assert_eq!(claim.delivery.status, crate::DeliveryStatus::Pending);
    }
    for _ in 0..50 {
        if w.store.list_deliveries(&w.alpha, hook.id, None, 10).await.unwrap().len() == 4 {
            break;
        }
        w.store.fan_out(t0, 100).await.unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(w.store.fan_out_leased(t0, t0 + lease, 100, 10).await.unwrap().is_empty(), "nothing twice");
    let unleased = w.store.list_deliveries(&w.alpha, hook.id, None, 10).await.unwrap();
    let unleased = unleased.iter().find(|d| leased.iter().all(|c| c.delivery.id != d.id)).unwrap();

    let mut succeeded = leased[0].delivery.clone();
    succeeded.attempts = 1;
    succeeded.status = crate::DeliveryStatus::Succeeded;
    succeeded.response_status = Some(204);
    succeeded.duration_ms = Some(12);
    succeeded.next_attempt_at = None;
    let mut failed = leased[1].delivery.clone();
    failed.attempts = 1;
    failed.response_status = Some(500);
    failed.duration_ms = Some(340);
    failed.error = Some("HTTP 500: try later".to_owned());
    failed.next_attempt_at = Some(t0 + std::time::Duration::from_secs(5));
    let marks = w.store.record_attempts(&[(succeeded.clone(), true), (failed.clone(), false)], t0).await.unwrap();
    assert_eq!(marks, vec![None, Some(t0)], "the failure marks the endpoint failing since then");
    let log = w.store.list_deliveries(&w.alpha, hook.id, None, 10).await.unwrap();
    let stored = |id: Uuid| log.iter().find(|d| d.id == id).cloned().unwrap();
    let (got_succeeded, got_failed) = (stored(succeeded.id), stored(failed.id));
    assert_eq!(
        (got_succeeded.status, got_succeeded.attempts, got_succeeded.response_status, got_succeeded.duration_ms),
        (crate::DeliveryStatus::Succeeded, 1, Some(204), Some(12))
    );
    assert_eq!((got_succeeded.error, got_succeeded.next_attempt_at), (None, None));
    assert_eq!(
        (got_failed.status, got_failed.attempts, got_failed.response_status, got_failed.duration_ms),
        (crate::DeliveryStatus::Pending, 1, Some(500), Some(340))
    );
    assert_eq!(got_failed.error.as_deref(), Some("HTTP 500: try later"));
    assert_eq!(got_failed.next_attempt_at, failed.next_attempt_at);

    // The recorded failure's lease is freed and it is due; the one created unleased is
    // anyone's; the third leased one is still its creator's.
    let during = t0 + std::time::Duration::from_secs(10);
    let mut claimed: Vec<Uuid> =
        w.store.claim_deliveries(during, during + lease, 10).await.unwrap().iter().map(|c| c.delivery.id).collect();
    claimed.sort();
    let mut expected = vec![failed.id, unleased.id];
    expected.sort();
    assert_eq!(claimed, expected);
    let after = t0 + lease + std::time::Duration::from_secs(1);
    let reclaimed = w.store.claim_deliveries(after, after + lease, 10).await.unwrap();
    let ids: Vec<Uuid> = reclaimed.iter().map(|c| c.delivery.id).collect();
    assert_eq!(ids, vec![leased[2].delivery.id], "the unrecorded one, once its lease ran out");
}

/// A disabled endpoint's pending deliveries are not claimed; enabled again, they are.
pub async fn a_disabled_endpoints_deliveries_wait_until_it_is_enabled<S: Store + 'static>(s: ContractStore<S>) {
    let (w, _s) = world(s).await;
    let mut hook = endpoint(&w.alpha, crate::EventSelection::All);
    w.store.insert_webhook(&hook).await.unwrap();
    w.open(&w.alex, "One").await;
    for _ in 0..50 {
        if w.store.fan_out(now(), 100).await.unwrap() > 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    hook.active = false;
    w.store.update_webhook(&hook).await.unwrap();
    let t0 = now();
    let lease = std::time::Duration::from_secs(30);
    assert!(w.store.claim_deliveries(t0, t0 + lease, 10).await.unwrap().is_empty(), "nothing sent while disabled");
    hook.active = true;
    w.store.update_webhook(&hook).await.unwrap();
    let claimed = w.store.claim_deliveries(t0, t0 + lease, 10).await.unwrap();
    assert!(!claimed.is_empty(), "enabled again, its deliveries go out");
    assert!(claimed.iter().all(|c| c.endpoint.id == hook.id));
}

/// Disabling an endpoint by the failure rule writes its `webhook.disabled` event with it:
/// once (a second disable finds it inactive and writes nothing), in the tenant's feed only,
/// and fanned out to an endpoint subscribed to everything but not to one for ticket events.
pub async fn disabling_an_endpoint_writes_one_webhook_disabled_event<S: Store + 'static>(s: ContractStore<S>) {
    let (w, _s) = world(s).await;
    let failing = endpoint(&w.alpha, crate::EventSelection::Only(vec!["created"]));
    let watching = endpoint(&w.alpha, crate::EventSelection::All);
    let tickets_only = endpoint(&w.alpha, crate::EventSelection::Only(vec!["created"]));
    for hook in [&failing, &watching, &tickets_only] {
        w.store.insert_webhook(hook).await.unwrap();
    }
    let t0 = now();
    let since = t0 - std::time::Duration::from_secs(86_400);
    let event = crate::TenantEvent {
        id: supportdesk_domain::EventId::from_uuid(UuidV7.next_uuid()),
        actor: supportdesk_domain::Actor::system(),
        data: crate::TenantEventData::WebhookDisabled {
            webhook_id: failing.id,
            url: failing.url.as_str().to_owned(),
            failing_since: since,
        },
        created_at: t0,
    };
    assert!(w.store.disable_webhook(&w.alpha, failing.id, t0, &event).await.unwrap());
    let stored = w.store.webhook(&w.alpha, failing.id).await.unwrap().unwrap();
    assert!(!stored.active);
    assert_eq!(stored.disabled_at, Some(t0));
    let mut again = event.clone();
    again.id = supportdesk_domain::EventId::from_uuid(UuidV7.next_uuid());
    assert!(!w.store.disable_webhook(&w.alpha, failing.id, t0, &again).await.unwrap(), "already inactive");
    assert!(!w.store.disable_webhook(&w.beta, watching.id, t0, &again).await.unwrap(), "not another tenant's");

    // PostgreSQL shows an event once no older transaction of the cluster is in flight.
    let feed = follow(&w, &w.admin, 100, 1).await;
    assert_eq!(feed.len(), 1, "one event, written with the disable");
    assert_eq!(feed[0].item, crate::FeedItem::Tenant(event.clone()));
    assert_eq!(feed[0].kind(), "webhook_disabled");
    assert!(w.store.feed(&w.alpha, None, &["created"], 100).await.unwrap().is_empty());
    assert_eq!(w.store.feed(&w.alpha, None, &["webhook_disabled"], 100).await.unwrap().len(), 1);
    assert!(w.store.feed(&w.beta, None, &[], 100).await.unwrap().is_empty());

    let mut made = 0;
    for _ in 0..50 {
        made += w.store.fan_out(now(), 100).await.unwrap();
        if made > 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(made, 1, "to the endpoint subscribed to everything only");
    let claimed = w.store.claim_deliveries(now(), now() + std::time::Duration::from_secs(30), 10).await.unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!(claimed[0].endpoint.id, watching.id);
    assert_eq!(claimed[0].event.item, crate::FeedItem::Tenant(event));
}

/// An attempt's outcome reads back; the endpoint is failing from its first failure until a
/// success.
pub async fn an_attempt_is_recorded_and_failing_since_lasts_until_a_success<S: Store + 'static>(s: ContractStore<S>) {
    let (w, _s) = world(s).await;
    let hook = endpoint(&w.alpha, crate::EventSelection::All);
    w.store.insert_webhook(&hook).await.unwrap();
    w.open(&w.alex, "One").await;
    for _ in 0..50 {
        if w.store.fan_out(now(), 100).await.unwrap() > 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(w.store.pending_deliveries().await.unwrap(), 2, "the opening's two events wait");
    let t0 = now();
    let claimed = w.store.claim_deliveries(t0, t0 + std::time::Duration::from_secs(30), 1).await.unwrap();
    let mut d = claimed[0].delivery.clone();
    d.attempts = 1;
    d.response_status = Some(500);
    d.duration_ms = Some(12);
    d.error = Some("HTTP 500".into());
    d.next_attempt_at = Some(t0 + std::time::Duration::from_secs(5));
    assert_eq!(w.store.record_attempts(&[(d.clone(), false)], t0).await.unwrap(), [Some(t0)]);
    assert_eq!(w.store.pending_deliveries().await.unwrap(), 2, "a failed attempt waits for its retry");
    let later = t0 + std::time::Duration::from_secs(60);
    assert_eq!(
        w.store.record_attempts(&[(d.clone(), false)], later).await.unwrap(),
        [Some(t0)],
        "failing since the first failure"
    );
    let log = w.store.list_deliveries(&w.alpha, hook.id, None, 10).await.unwrap();
    let stored = log.iter().find(|x| x.id == d.id).unwrap();
    assert_eq!((stored.attempts, stored.response_status, stored.duration_ms), (1, Some(500), Some(12)));
    assert_eq!(stored.error.as_deref(), Some("HTTP 500"));
    assert_eq!(stored.next_attempt_at, d.next_attempt_at);
    assert_eq!(w.store.record_attempts(&[(d.clone(), true)], later).await.unwrap(), [None]);
    assert_eq!(w.store.webhook(&w.alpha, hook.id).await.unwrap().unwrap().failing_since, None);
    // Several outcomes in one step apply in order: a failure, then a success, of one endpoint.
    let mut failed = d.clone();
    failed.attempts = 2;
    let mut succeeded = d.clone();
    succeeded.attempts = 3;
    succeeded.status = crate::DeliveryStatus::Succeeded;
    succeeded.response_status = Some(204);
    succeeded.error = None;
    succeeded.next_attempt_at = None;
    let marks = w.store.record_attempts(&[(failed, false), (succeeded, true)], later).await.unwrap();
    assert_eq!(marks, [Some(later), None]);
    let log = w.store.list_deliveries(&w.alpha, hook.id, None, 10).await.unwrap();
    let stored = log.iter().find(|x| x.id == d.id).unwrap();
    assert_eq!(
        (stored.attempts, stored.status, stored.response_status),
        (3, crate::DeliveryStatus::Succeeded, Some(204))
    );
    assert_eq!(w.store.pending_deliveries().await.unwrap(), 1, "the delivered one is no longer pending");
    assert!(w.store.record_attempts(&[], later).await.unwrap().is_empty());
}

/// Endpoints read back as written, change, list per tenant and go with their deliveries.
pub async fn endpoints_update_list_and_delete_with_their_deliveries<S: Store + 'static>(s: ContractStore<S>) {
    let (w, _s) = world(s).await;
    let mut hook = endpoint(&w.alpha, crate::EventSelection::Only(vec!["created", "assigned"]));
    w.store.insert_webhook(&hook).await.unwrap();
    assert_eq!(w.store.webhook(&w.alpha, hook.id).await.unwrap().as_ref(), Some(&hook));
    assert!(w.store.webhook(&w.beta, hook.id).await.unwrap().is_none());
    hook.active = false;
    hook.description = "paused".into();
    hook.disabled_at = Some(now());
    w.store.update_webhook(&hook).await.unwrap();
    assert_eq!(w.store.list_webhooks(&w.alpha).await.unwrap(), vec![hook.clone()]);
    assert!(w.store.list_webhooks(&w.beta).await.unwrap().is_empty());
    let mut stranger = hook.clone();
    stranger.tenant = w.beta.clone();
    assert!(matches!(w.store.update_webhook(&stranger).await, Err(StoreError::NotFound)));
    assert!(!w.store.delete_webhook(&w.beta, hook.id).await.unwrap());
    assert!(w.store.delete_webhook(&w.alpha, hook.id).await.unwrap());
    assert!(w.store.webhook(&w.alpha, hook.id).await.unwrap().is_none());
}

/// Settings and templates read back as saved, per tenant; none before.
pub async fn mail_settings_and_templates_read_back_per_tenant<S: Store + 'static>(s: ContractStore<S>) {
    let (w, _s) = world(s).await;
    assert_eq!(w.store.mail_settings(&w.alpha).await.unwrap(), None);
    let settings = crate::MailSettings {
        enabled: vec![crate::NotificationKind::TicketCreated, crate::NotificationKind::NewTicket],
        tenant_address: Some(Email::parse("support@alpha.example").unwrap()),
    };
    w.store.save_mail_settings(&w.alpha, &settings).await.unwrap();
    w.store.save_mail_settings(&w.alpha, &settings).await.unwrap();
    assert_eq!(w.store.mail_settings(&w.alpha).await.unwrap(), Some(settings));
    assert_eq!(w.store.mail_settings(&w.beta).await.unwrap(), None);
    let kind = crate::NotificationKind::AgentReply;
    assert_eq!(w.store.mail_template(&w.alpha, kind).await.unwrap(), None);
    let mut template = kind.default_template();
    template.subject = "Re: {{ ticket.subject }}".into();
    w.store.save_mail_template(&w.alpha, &template).await.unwrap();
    template.html = "<p>{{ message.body }}</p>".into();
    w.store.save_mail_template(&w.alpha, &template).await.unwrap();
    assert_eq!(w.store.mail_template(&w.alpha, kind).await.unwrap(), Some(template));
    assert_eq!(w.store.mail_template(&w.beta, kind).await.unwrap(), None);
}

/// The first fan-out positions each tenant at the end of its feed; later events of the
/// asked kinds are queued once each; a claimed delivery is leased once.
pub async fn mail_is_queued_once_per_later_event_and_leased_once<S: Store + 'static>(s: ContractStore<S>) {
    let (w, _s) = world(s).await;
    w.open(&w.alex, "Before mail").await;
    w.store.fan_out_mail(now(), &crate::MAIL_EVENT_KINDS, 100).await.unwrap();
    let ticket = w.open(&w.alex, "After mail").await;
    w.app.agent_reply(&w.sam, by_id(&ticket), reply("On it"), None, None).await.unwrap();
    let mut made = 0;
    for _ in 0..50 {
        made += w.store.fan_out_mail(now(), &crate::MAIL_EVENT_KINDS, 100).await.unwrap();
        if made >= 4 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(made, 4, "created, message_added, message_added, status_changed");
    assert_eq!(w.store.fan_out_mail(now(), &crate::MAIL_EVENT_KINDS, 100).await.unwrap(), 0);
    assert_eq!(w.store.pending_mail().await.unwrap(), 4);
    let t0 = now();
    let lease = std::time::Duration::from_secs(30);
    let claimed = w.store.claim_mail(t0, t0 + lease, 100).await.unwrap();
    assert_eq!(claimed.len(), 4);
    assert!(claimed.iter().all(|c| ticket_part(&c.event).ticket.id == ticket.summary.ticket.id));
    assert!(w.store.claim_mail(t0, t0 + lease, 100).await.unwrap().is_empty());
    let mut done = claimed[0].delivery.clone();
    done.attempts = 1;
    done.status = crate::DeliveryStatus::Failed;
    done.error = Some("refused".into());
    done.next_attempt_at = None;
    w.store.record_mail_attempt(&done).await.unwrap();
    assert_eq!(w.store.pending_mail().await.unwrap(), 3, "the failed one is no longer pending");
    let later = t0 + lease * 2;
    let again = w.store.claim_mail(later, later + lease, 100).await.unwrap();
    assert_eq!(again.len(), 3, "the failed one is not handed out again; the others' leases ran out");
}

fn office_week() -> supportdesk_domain::WeeklyHours {
    use supportdesk_domain::{ClockTime, WeeklyHours};
    WeeklyHours::weekdays(ClockTime::parse("09:00").unwrap(), ClockTime::parse("17:00").unwrap()).unwrap()
}

/// Business hours and SLA policies read back as written, per tenant; policies list in the
/// order they are tried; hours a policy uses cannot be deleted; bad references are refused.
pub async fn business_hours_and_sla_policies_round_trip_per_tenant<S: Store + 'static>(s: ContractStore<S>) {
    use supportdesk_domain::{OpenInterval, SlaMatch, WeeklyHours};
    let (w, _s) = world(s).await;
    let hours = w
        .app
        .create_business_hours(
            &w.admin,
            crate::BusinessHoursInput {
                name: Some("Berlin office".into()),
                time_zone: Some("Europe/Berlin".into()),
                week: Some(office_week()),
                holidays: Some(vec![time::macros::date!(2026 - 12 - 25), time::macros::date!(2026 - 12 - 24)]),
            },
        )
        .await
        .unwrap();
    assert_eq!(w.store.business_hours(&w.alpha, hours.id).await.unwrap().as_ref(), Some(&hours));
    assert!(w.store.business_hours(&w.beta, hours.id).await.unwrap().is_none());
    assert!(w.app.list_business_hours(&w.beta_admin).await.unwrap().is_empty());
    let split: [Vec<OpenInterval>; 7] = std::array::from_fn(|day| {
        if day == 5 {
            vec![OpenInterval::parse("08:00", "12:00").unwrap(), OpenInterval::parse("13:00", "24:00").unwrap()]
        } else {
            vec![]
        }
    });
    let changed = w
        .app
        .update_business_hours(
            &w.admin,
            hours.id,
            crate::BusinessHoursInput {
                time_zone: Some("America/New_York".into()),
                week: Some(WeeklyHours::new(split).unwrap()),
                ..crate::BusinessHoursInput::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(changed.name, "Berlin office");
    assert_eq!(w.app.list_business_hours(&w.admin).await.unwrap(), vec![changed.clone()]);

    let policy = |name: &str, position: i32| crate::SlaPolicyInput {
        name: Some(name.into()),
        position: Some(position),
        first_response_minutes: Some(60),
        resolution_minutes: Some(480),
        ..crate::SlaPolicyInput::default()
    };
    let general = w.app.create_sla_policy(&w.admin, policy("General", 10)).await.unwrap();
    let urgent = w
        .app
        .create_sla_policy(
            &w.admin,
            crate::SlaPolicyInput {
                matches: Some(SlaMatch { priority: Some(Priority::Urgent), ..SlaMatch::default() }),
                next_response_minutes: Some(Some(30)),
                business_hours_id: Some(Some(hours.id)),
                pause_while_answered: Some(false),
                ..policy("Urgent", 1)
            },
        )
        .await
        .unwrap();
    assert_eq!(w.store.sla_policy(&w.alpha, urgent.id).await.unwrap().as_ref(), Some(&urgent));
    assert_eq!(w.app.list_sla_policies(&w.admin).await.unwrap(), vec![urgent.clone(), general.clone()]);
    assert!(w.app.list_sla_policies(&w.beta_admin).await.unwrap().is_empty());
    let moved = w
        .app
        .update_sla_policy(
            &w.admin,
            general.id,
            crate::SlaPolicyInput { position: Some(0), next_response_minutes: Some(None), ..Default::default() },
        )
        .await
        .unwrap();
    assert_eq!(w.app.list_sla_policies(&w.admin).await.unwrap(), vec![moved, urgent.clone()]);

    // The calendar is in use; another tenant cannot touch it; a bad reference is refused.
    assert!(matches!(w.app.delete_business_hours(&w.admin, hours.id).await, Err(AppError::InUse(_))));
    assert!(matches!(w.app.delete_business_hours(&w.beta_admin, hours.id).await, Err(AppError::NotFound(_))));
    let foreign = crate::SlaPolicyInput { business_hours_id: Some(Some(hours.id)), ..policy("Foreign", 0) };
    assert!(matches!(w.app.create_sla_policy(&w.beta_admin, foreign).await, Err(AppError::Validation(_))));
    let zero = crate::SlaPolicyInput { first_response_minutes: Some(0), ..policy("Zero", 0) };
    assert!(matches!(w.app.create_sla_policy(&w.admin, zero).await, Err(AppError::Validation(_))));
    assert!(matches!(w.app.delete_sla_policy(&w.beta_admin, urgent.id).await, Err(AppError::NotFound(_))));
    w.app.delete_sla_policy(&w.admin, urgent.id).await.unwrap();
    w.app.delete_business_hours(&w.admin, hours.id).await.unwrap();
    assert!(w.app.list_business_hours(&w.admin).await.unwrap().is_empty());
    assert_eq!(w.app.list_sla_policies(&w.admin).await.unwrap().len(), 1);
    assert!(matches!(w.app.list_sla_policies(&w.sam).await, Err(AppError::Forbidden(_))));
}

/// A policy of `minutes` to the first response (next response twice that, resolution ten
/// times), 24/7, matching `priority` (all when `None`).
async fn sla_policy<S: Store + 'static>(
    w: &World<S>,
    name: &str,
    position: i32,
    priority: Option<Priority>,
    minutes: i32,
) -> crate::SlaPolicy {
    let input = crate::SlaPolicyInput {
        name: Some(name.into()),
        position: Some(position),
        matches: Some(supportdesk_domain::SlaMatch { priority, ..Default::default() }),
        first_response_minutes: Some(minutes),
        next_response_minutes: Some(Some(minutes * 2)),
        resolution_minutes: Some(minutes * 10),
        ..Default::default()
    };
    w.app.create_sla_policy(&w.admin, input).await.unwrap()
}

fn minutes(n: i64) -> time::Duration {
    time::Duration::minutes(n)
}

/// The first matching policy applies at open; replies and status changes move its clocks in
/// the change's own write; a triage to another priority switches the policy; the clocks read
/// back from the store exactly.
pub async fn a_tickets_sla_is_set_at_open_and_moves_with_every_change<S: Store + 'static>(s: ContractStore<S>) {
    let (w, _s) = world(s).await;
    let urgent = sla_policy(&w, "Urgent", 0, Some(Priority::Urgent), 30).await;
    let general = sla_policy(&w, "General", 1, None, 60).await;
    let created = w.open(&w.alex, "Parcel lost").await;
    let opened_at = created.summary.ticket.created_at;
    let sla = created.summary.ticket.sla.unwrap();
    assert_eq!(sla.policy_id, general.id, "the first policy that matches, by position");
    assert_eq!(sla.state.first_response_due_at, Some(opened_at + minutes(60)));
    assert_eq!(sla.state.resolution_due_at, Some(opened_at + minutes(600)));
    assert_eq!(sla.state.next_response_due_at, None);
    let stored = w.app.get_ticket(&w.admin, by_id(&created)).await.unwrap();
    assert_eq!(stored.summary.ticket.sla, Some(sla), "saved with the ticket");

    w.app.agent_reply(&w.admin, by_id(&created), reply("On it"), None, None).await.unwrap();
    let answered = w.app.get_ticket(&w.admin, by_id(&created)).await.unwrap().summary.ticket;
    let state = answered.sla.unwrap().state;
    assert_eq!(state.first_response_due_at, None, "met by the public reply");
    assert_eq!(state.paused_since, Some(answered.last_agent_message_at.unwrap()), "answered pauses resolution");

    w.app
        .customer_reply(&w.alex, by_id(&created), MessageBody::parse("Still missing").unwrap(), vec![], None, None)
        .await
        .unwrap();
    let reopened = w.app.get_ticket(&w.admin, by_id(&created)).await.unwrap().summary.ticket;
    let state = reopened.sla.unwrap().state;
    let wrote = reopened.last_customer_message_at.unwrap();
    assert_eq!(state.paused_since, None, "the customer's reply resumes it");
    assert_eq!(state.next_response_due_at, Some(wrote + minutes(120)));
    let paused = wrote - answered.last_agent_message_at.unwrap();
    assert_eq!(state.resolution_due_at, Some(opened_at + minutes(600) + paused), "later by the time paused");

    let triage = crate::TriageInput { priority: Some(Priority::Urgent), ..Default::default() };
    w.app.triage(&w.admin, by_id(&created), triage, None).await.unwrap();
    let triaged = w.app.get_ticket(&w.admin, by_id(&created)).await.unwrap().summary.ticket;
    let sla = triaged.sla.unwrap();
    assert_eq!(sla.policy_id, urgent.id, "matched again after triage");
    assert_eq!(sla.state.next_response_due_at, Some(wrote + minutes(60)), "the new policy's clock, same start");
    assert_eq!(sla.state.resolution_due_at, Some(opened_at + minutes(300) + paused));

    // Its policy deleted, the ticket's next change matches the policies again.
    w.app.delete_sla_policy(&w.admin, urgent.id).await.unwrap();
    let note = AgentReplyInput { internal: true, ..reply("Checking with the carrier") };
    w.app.agent_reply(&w.admin, by_id(&created), note, None, None).await.unwrap();
    let noted = w.app.get_ticket(&w.admin, by_id(&created)).await.unwrap().summary.ticket;
    let sla = noted.sla.unwrap();
    assert_eq!(sla.policy_id, general.id);
    assert_eq!(sla.state.next_response_due_at, Some(wrote + minutes(120)));

    // Without a matching policy a ticket has none; another tenant's policies never apply.
    let casey = w.open(&w.casey, "Beta ticket").await;
    assert_eq!(casey.summary.ticket.sla, None);
}

/// The queue filters by due time and recorded breach and sorts by the soonest due time,
/// tickets without one last.
pub async fn the_queue_sorts_by_due_time_and_filters_by_due_and_breach<S: Store + 'static>(s: ContractStore<S>) {
    let (w, _s) = world(s).await;
    sla_policy(&w, "Urgent", 0, Some(Priority::Urgent), 30).await;
    sla_policy(&w, "High", 1, Some(Priority::High), 60).await;
    let open = |priority: Priority, hint: &'static str| {
        let app = &w.app;
        let alex = &w.alex;
        async move {
            let mut input = World::<S>::input(hint);
            input.priority = priority;
            app.open_ticket(alex, input, None).await.unwrap().value
        }
    };
    let normal = open(Priority::Normal, "No policy here").await;
    let high = open(Priority::High, "High priority").await;
    let urgent = open(Priority::Urgent, "Urgent thing").await;
    let by_due = TicketQuery { sort: TicketSort::DueAsc, ..query() };
    let page = w.app.list_tickets(&w.admin, by_due.clone()).await.unwrap();
    let expect = |views: &[&TicketView]| views.iter().map(|v| v.summary.ticket.number.get()).collect::<Vec<_>>();
    assert_eq!(numbers(&page), expect(&[&urgent, &high, &normal]));
    let soon = urgent.summary.ticket.created_at + minutes(45);
    let due_soon = TicketQuery { due_before: Some(soon), ..by_due.clone() };
    assert_eq!(numbers(&w.app.list_tickets(&w.admin, due_soon).await.unwrap()), expect(&[&urgent]));
    let breached = TicketQuery { sla_breached: true, ..query() };
    assert_eq!(w.app.list_tickets(&w.admin, breached.clone()).await.unwrap().total, 0);

    let later = high.summary.ticket.created_at + minutes(61);
    assert_eq!(w.app.detect_sla_breaches(later, 100).await.unwrap(), 2, "both first responses");
    let page = w.app.list_tickets(&w.admin, breached).await.unwrap();
    assert_eq!(numbers(&page), expect(&[&urgent, &high]), "newest first");
    assert_eq!(page.total, 2);
    // A breached clock keeps its due time for the sort until it is met.
    assert_eq!(numbers(&w.app.list_tickets(&w.admin, by_due).await.unwrap()), expect(&[&urgent, &high, &normal]));
}

/// Breach detection reports each overdue running clock once, with a `sla_breached` event
/// by the system in the ticket's trail and the feed, and marks the ticket; a paused or met
/// clock is never reported; a clock stopped late is reported by the change that stops it.
pub async fn breach_detection_reports_each_overdue_clock_once_with_an_event<S: Store + 'static>(s: ContractStore<S>) {
    use supportdesk_domain::{EventData, SlaMetric};
    let (w, _s) = world(s).await;
    sla_policy(&w, "General", 0, None, 10).await;
    let ticket = w.open(&w.alex, "Where is my parcel").await;
    let opened_at = ticket.summary.ticket.created_at;
    assert_eq!(w.app.detect_sla_breaches(opened_at + minutes(10), 100).await.unwrap(), 0, "due, not late");
    let late = opened_at + minutes(11);
    assert_eq!(w.app.detect_sla_breaches(late, 100).await.unwrap(), 1);
    assert_eq!(w.app.detect_sla_breaches(late, 100).await.unwrap(), 0, "reported once");
    let after = w.app.get_ticket(&w.admin, by_id(&ticket)).await.unwrap().summary.ticket;
    let sla = after.sla.unwrap();
    assert!(sla.state.breached.first_response);
    assert!(!sla.state.breached.resolution);
    assert_eq!(after.version, ticket.summary.ticket.version + 1, "a change staff can see");
    assert_eq!(after.public_version, ticket.summary.ticket.public_version, "customers see nothing");
    let breaches: Vec<_> = w
        .app
        .ticket_events(&w.admin, by_id(&ticket))
        .await
        .unwrap()
        .into_iter()
        .filter_map(|e| match e.data {
            EventData::SlaBreached { metric, due_at } => Some((metric, due_at, e.actor.kind)),
            _ => None,
        })
        .collect();
    assert_eq!(
        breaches,
        vec![(SlaMetric::FirstResponse, opened_at + minutes(10), supportdesk_domain::AuthorType::System)]
    );
    // In the feed (so webhooks and mail see it), once other transactions settled.
    let feed: Vec<_> = follow(&w, &w.admin, 100, 3).await.into_iter().filter(|e| e.kind() == "sla_breached").collect();
    assert_eq!(feed.len(), 1, "in the feed, so webhooks and mail see it");
    assert_eq!(ticket_part(&feed[0]).ticket.id, ticket.summary.ticket.id);

    // Answered pauses the resolution clock: nothing is due while it waits on the customer.
    w.app.agent_reply(&w.admin, by_id(&ticket), reply("Sent again"), None, None).await.unwrap();
    assert_eq!(w.app.detect_sla_breaches(opened_at + minutes(10_000), 100).await.unwrap(), 0);
}

/// A due job is leased to one claimer; while its lease runs nobody else gets it; a finished
/// job is due again at its next run time; an expired lease is taken over, and the old
/// owner's finish then changes nothing.
pub async fn a_due_job_is_leased_to_one_claimer_until_its_lease_runs_out<S: Store + 'static>(s: ContractStore<S>) {
    let store = s.store.clone();
    let now = crate::Clock::now(&crate::SystemClock);
    let names: &[&'static str] = &["job-a", "job-b"];
    store.ensure_jobs(names, now).await.unwrap();
    store.ensure_jobs(names, now + time::Duration::hours(1)).await.unwrap();
    let lease = now + time::Duration::minutes(5);
    let claims = futures_join_claims(&store, names, now, lease).await;
    let claimed: Vec<&String> = claims.iter().flatten().collect();
    assert_eq!(claimed.len(), 2, "two due jobs, eight claimers: each job once, got {claims:?}");
    assert_ne!(claimed[0], claimed[1]);
    assert_eq!(store.claim_job(names, "late", now, lease).await.unwrap(), None, "both are leased");
    assert_eq!(store.claim_job(&["job-c"], "late", now, lease).await.unwrap(), None, "unknown names are not due");

    let a = String::from("job-a");
    let holder_of_a = claims.iter().position(|c| c.as_ref() == Some(&a)).unwrap();
    let owner = format!("owner-{holder_of_a}");
    assert!(!store.finish_job("job-a", "someone-else", now, None).await.unwrap(), "only the holder finishes");
    let next = now + time::Duration::minutes(1);
    assert!(store.finish_job("job-a", &owner, next, None).await.unwrap());
    assert_eq!(store.claim_job(names, "late", now, lease).await.unwrap(), None, "not due before its next run");
    assert_eq!(store.claim_job(names, "late", next, lease).await.unwrap(), Some(a.clone()));

    // job-b's holder died: after its lease, another process takes it over.
    let after_lease = lease + time::Duration::seconds(1);
    let taken = store.claim_job(&["job-b"], "rescuer", after_lease, after_lease + time::Duration::minutes(5)).await;
    assert_eq!(taken.unwrap().as_deref(), Some("job-b"));
    let b_holder = claims.iter().position(|c| c.as_deref() == Some("job-b")).unwrap();
    let finished_late = store.finish_job("job-b", &format!("owner-{b_holder}"), now, Some("slow")).await.unwrap();
    assert!(!finished_late, "the first holder lost the job to the rescuer");
    assert!(store.finish_job("job-b", "rescuer", after_lease, None).await.unwrap());
}

async fn futures_join_claims<S: Store + 'static>(
    store: &Arc<S>,
    names: &'static [&'static str],
    now: time::OffsetDateTime,
    lease: time::OffsetDateTime,
) -> Vec<Option<String>> {
    let tasks: Vec<_> = (0..8)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move { store.claim_job(names, &format!("owner-{i}"), now, lease).await.unwrap() })
        })
        .collect();
    let mut claims = Vec::new();
    for task in tasks {
        claims.push(task.await.unwrap());
    }
    claims
}

/// With `autoCloseResolvedAfterDays`, the job closes a resolved ticket as the system once
/// the days have passed (with the `status_changed` event), leaves a ticket the customer
/// wrote to after its resolution, another tenant without the setting and a fresh
/// resolution alone, and never closes a ticket twice.
pub async fn resolved_tickets_are_closed_by_the_system_once_due<S: Store + 'static>(s: ContractStore<S>) {
    let (w, _s) = world(s).await;
    let clock = Arc::new(crate::AdjustableClock::new());
    let app = crate::App::builder(w.store.clone()).clock(clock.clone()).build();
    let policy = TenantPolicy { auto_close_resolved_after_days: 3, ..TenantPolicy::default() };
    w.app.set_tenant_policy(&w.admin, policy).await.unwrap();

    let quiet = w.open(&w.alex, "Quiet after resolution").await;
    w.move_to(&quiet, Status::Resolved).await;
    let written = w.open(&w.blake, "Customer wrote again").await;
    w.move_to(&written, Status::Resolved).await;
    let body = MessageBody::parse("Actually it is still broken").unwrap();
    w.app.customer_reply(&w.blake, by_id(&written), body, vec![], None, None).await.unwrap();
    w.move_to(&written, Status::Resolved).await;
    let other_tenant = w.open(&w.casey, "Beta has no auto-close").await;
    let beta_ref = by_id(&other_tenant);
    w.app.set_status(&w.beta_admin, beta_ref, Status::Resolved, None, None).await.unwrap();

    assert_eq!(app.auto_close_resolved(100).await.unwrap(), 0, "nothing is due yet");
    clock.advance(std::time::Duration::from_secs(3 * 86_400 - 3600));
    assert_eq!(app.auto_close_resolved(100).await.unwrap(), 0, "an hour early");
    // The second resolution of `written` is as old as the first: the customer's message came
    // before it, so it is due too. A fresh resolution is not.
    let fresh = w.open(&w.alex, "Resolved later").await;
    clock.advance(std::time::Duration::from_secs(3600));
    app.set_status(&w.admin, by_id(&fresh), Status::Resolved, None, None).await.unwrap();
    assert_eq!(app.auto_close_resolved(1).await.unwrap(), 1, "the batch limit holds");
    assert_eq!(app.auto_close_resolved(100).await.unwrap(), 1);
    assert_eq!(app.auto_close_resolved(100).await.unwrap(), 0, "nothing is closed twice");

    for view in [&quiet, &written] {
        let now = w.app.get_ticket(&w.admin, by_id(view)).await.unwrap();
        assert_eq!(now.summary.ticket.status, Status::Closed);
        let trail = w.app.ticket_events(&w.admin, by_id(view)).await.unwrap();
        let last = trail.last().unwrap();
        assert_eq!(last.actor, supportdesk_domain::Actor::system());
        assert_eq!(
            last.data,
            supportdesk_domain::EventData::StatusChanged {
                from: Status::Resolved,
                to: Status::Closed,
                resolution_note: None
            }
        );
    }
    let fresh_now = w.app.get_ticket(&w.admin, by_id(&fresh)).await.unwrap();
    assert_eq!(fresh_now.summary.ticket.status, Status::Resolved, "resolved three days after the others");
    let beta_now = w.app.get_ticket(&w.beta_admin, beta_ref).await.unwrap();
    assert_eq!(beta_now.summary.ticket.status, Status::Resolved, "beta has auto-close off");
}

/// A customer who writes to a resolved ticket reopens it, so it is not closed.
pub async fn a_ticket_reopened_by_the_customer_is_not_auto_closed<S: Store + 'static>(s: ContractStore<S>) {
    let (w, _s) = world(s).await;
    let clock = Arc::new(crate::AdjustableClock::new());
    let app = crate::App::builder(w.store.clone()).clock(clock.clone()).build();
    let policy = TenantPolicy { auto_close_resolved_after_days: 1, ..TenantPolicy::default() };
    w.app.set_tenant_policy(&w.admin, policy).await.unwrap();
    let ticket = w.open(&w.alex, "Reopened by reply").await;
    w.move_to(&ticket, Status::Resolved).await;
    let body = MessageBody::parse("Not fixed, sorry").unwrap();
    w.app.customer_reply(&w.alex, by_id(&ticket), body, vec![], None, None).await.unwrap();
    clock.advance(std::time::Duration::from_secs(10 * 86_400));
    assert_eq!(app.auto_close_resolved(100).await.unwrap(), 0);
    let now = w.app.get_ticket(&w.admin, by_id(&ticket)).await.unwrap();
    assert_eq!(now.summary.ticket.status, Status::Open);
}

/// The runner runs every due job once per interval and resumes after a crash: a job whose
/// holder died is run by another runner once the lease ran out.
pub async fn the_job_runner_runs_due_jobs_and_takes_over_expired_leases<S: Store + 'static>(s: ContractStore<S>) {
    let (w, _s) = world(s).await;
    let clock = Arc::new(crate::AdjustableClock::new());
    let app = crate::App::builder(w.store.clone()).clock(clock.clone()).build();
    let policy = TenantPolicy { auto_close_resolved_after_days: 1, ..TenantPolicy::default() };
    w.app.set_tenant_policy(&w.admin, policy).await.unwrap();
    let ticket = w.open(&w.alex, "Closed by the runner").await;
    w.move_to(&ticket, Status::Resolved).await;

    let runner = crate::JobRunner::new(crate::standard_jobs(), "one");
    assert_eq!(app.run_due_jobs(&runner).await.unwrap(), crate::standard_jobs().len(), "every job is due at first");
    assert_eq!(app.run_due_jobs(&runner).await.unwrap(), 0, "then none until its interval");
    // A process claims auto-close and dies: its lease blocks the job until it runs out.
    clock.advance(std::time::Duration::from_secs(86_400 + 60));
    let now = crate::Clock::now(clock.as_ref());
    let dead = w.store.claim_job(&["auto-close"], "dead", now, now + time::Duration::minutes(5)).await.unwrap();
    assert_eq!(dead.as_deref(), Some("auto-close"));
    let other = crate::JobRunner::new(crate::standard_jobs(), "two");
    app.run_due_jobs(&other).await.unwrap();
    let still = w.app.get_ticket(&w.admin, by_id(&ticket)).await.unwrap();
    assert_eq!(still.summary.ticket.status, Status::Resolved, "leased by the dead process");
    clock.advance(std::time::Duration::from_secs(301));
    assert!(app.run_due_jobs(&other).await.unwrap() >= 1);
    let closed = w.app.get_ticket(&w.admin, by_id(&ticket)).await.unwrap();
    assert_eq!(closed.summary.ticket.status, Status::Closed, "taken over after the lease");
}

/// A customer's rating of a resolution reads back exactly (rating, comment, time) in the
/// staff view and the trail; a second rating of the same resolution is refused and changes
/// nothing; after a reopen and a new resolution the customer may rate again.
pub async fn a_satisfaction_rating_is_stored_once_per_resolution<S: Store + 'static>(s: ContractStore<S>) {
    let (w, _s) = world(s).await;
    let ticket = w.open(&w.alex, "Rate me").await;
    let early = w.app.rate_satisfaction(&w.alex, by_id(&ticket), supportdesk_domain::Rating::Good, None, None).await;
    assert!(matches!(early, Err(AppError::NotResolved(Status::Open))), "got {early:?}");
    w.move_to(&ticket, Status::Resolved).await;
    let comment = supportdesk_domain::SatisfactionComment::parse("Fast, thank you").unwrap();
    let rated = w
        .app
        .rate_satisfaction(&w.alex, by_id(&ticket), supportdesk_domain::Rating::Good, Some(comment.clone()), None)
        .await
        .unwrap();
    let stored = rated.summary.ticket.satisfaction.clone().unwrap();
    assert_eq!((stored.rating, stored.comment.clone()), (supportdesk_domain::Rating::Good, Some(comment)));
    let staff = w.app.get_ticket(&w.admin, by_id(&ticket)).await.unwrap();
    assert_eq!(staff.summary.ticket.satisfaction, Some(stored.clone()), "reads back exactly");
    let listed = w.app.list_tickets(&w.admin, query()).await.unwrap();
    let in_list = listed.items.iter().find(|s| s.ticket.id == ticket.summary.ticket.id).unwrap();
    assert_eq!(in_list.ticket.satisfaction, Some(stored.clone()), "lists carry it too");
    let trail = w.app.ticket_events(&w.admin, by_id(&ticket)).await.unwrap();
    assert_eq!(
        trail.last().unwrap().data,
        supportdesk_domain::EventData::SatisfactionRated {
            rating: supportdesk_domain::Rating::Good,
            comment: Some("Fast, thank you".into())
        }
    );
    let twice = w.app.rate_satisfaction(&w.alex, by_id(&ticket), supportdesk_domain::Rating::Bad, None, None).await;
    assert!(matches!(twice, Err(AppError::AlreadyRated)), "got {twice:?}");
    let by_other = w.app.rate_satisfaction(&w.blake, by_id(&ticket), supportdesk_domain::Rating::Bad, None, None).await;
    assert!(matches!(by_other, Err(AppError::NotFound(_))), "got {by_other:?}");
    w.move_to(&ticket, Status::Closed).await;
    let closed = w.app.rate_satisfaction(&w.alex, by_id(&ticket), supportdesk_domain::Rating::Bad, None, None).await;
    assert!(matches!(closed, Err(AppError::AlreadyRated)), "closing is the same resolution: {closed:?}");
    w.move_to(&ticket, Status::Open).await;
    w.move_to(&ticket, Status::Resolved).await;
    let again = w.app.rate_satisfaction(&w.alex, by_id(&ticket), supportdesk_domain::Rating::Bad, None, None).await;
    let again = again.unwrap().summary.ticket.satisfaction.unwrap();
    assert_eq!((again.rating, again.comment), (supportdesk_domain::Rating::Bad, None));
    let staff = w.app.get_ticket(&w.admin, by_id(&ticket)).await.unwrap();
    assert_eq!(staff.summary.ticket.satisfaction.unwrap().rating, supportdesk_domain::Rating::Bad);
}

fn macro_input(name: &str) -> crate::MacroInput {
    crate::MacroInput {
        name: name.to_owned(),
        body: "Hello {{customer.name}}, ticket {{ ticket.number }} is solved. Regards, {{agent.name}}".to_owned(),
        internal: false,
        status: Some(Status::Resolved),
        priority: Some(Priority::High),
        add_tags: Tags::parse(&["solved", "macro"]).unwrap(),
        assign_to_self: true,
    }
}

/// Macros read back exactly, list by name, change, delete, and stay in their tenant.
pub async fn macros_are_created_listed_changed_and_deleted_per_tenant<S: Store + 'static>(s: ContractStore<S>) {
    let (w, _s) = world(s).await;
    let second = w.app.create_macro(&w.admin, macro_input("Zeta: solved")).await.unwrap();
    let first = w.app.create_macro(&w.admin, macro_input("Alpha: solved")).await.unwrap();
    let listed = w.app.list_macros(&w.sam).await.unwrap();
    assert_eq!(listed, vec![first.clone(), second.clone()], "by name, read back exactly");
    assert!(w.app.list_macros(&w.beta_admin).await.unwrap().is_empty(), "another tenant sees none");
    let hidden = w.app.get_macro(&w.beta_admin, first.id).await;
    assert!(matches!(hidden, Err(AppError::NotFound(_))), "got {hidden:?}");
    let patch = crate::MacroPatch {
        internal: Some(true),
        status: Some(None),
        add_tags: Some(Tags::default()),
        ..crate::MacroPatch::default()
    };
    let changed = w.app.update_macro(&w.admin, first.id, patch).await.unwrap();
    assert!(changed.internal && changed.status.is_none() && changed.add_tags.is_empty());
    assert_eq!((changed.priority, changed.name.as_str()), (Some(Priority::High), "Alpha: solved"), "the rest stays");
    assert_eq!(w.app.get_macro(&w.sam, first.id).await.unwrap(), changed);
    let refused = w.app.create_macro(&w.sam, macro_input("Not allowed")).await;
    assert!(matches!(refused, Err(AppError::Forbidden(_))), "got {refused:?}");
    let bad = crate::MacroInput { body: "{{ customer.email }}".into(), ..macro_input("Bad") };
    assert!(matches!(w.app.create_macro(&w.admin, bad).await, Err(AppError::Validation(_))));
    let beta_delete = w.app.delete_macro(&w.beta_admin, first.id).await;
    assert!(matches!(beta_delete, Err(AppError::NotFound(_))), "got {beta_delete:?}");
    w.app.delete_macro(&w.admin, first.id).await.unwrap();
    assert_eq!(w.app.list_macros(&w.admin).await.unwrap(), vec![second]);
}

/// Applying a macro replies with its rendered body, resolves, sets the priority, adds tags
/// and assigns the agent in one change (one version); a retry with the same key replays;
/// a stale version changes nothing.
pub async fn a_macro_is_applied_in_one_change_and_replays_with_its_key<S: Store + 'static>(s: ContractStore<S>) {
    let (w, _s) = world(s).await;
    let chosen = w.app.create_macro(&w.admin, macro_input("Solved")).await.unwrap();
    let ticket = w.open(&w.alex, "Macro target").await;
    let number = ticket.summary.ticket.number.get();
    let stale = w.app.apply_macro(&w.admin, by_id(&ticket), chosen.id, Some(7), None).await;
    assert!(matches!(stale, Err(AppError::PreconditionFailed { current: 1 })), "got {stale:?}");
    let applied = w.app.apply_macro(&w.admin, by_id(&ticket), chosen.id, Some(1), idem("m-1", "f")).await.unwrap();
    assert!(!applied.replayed);
    assert_eq!(
        applied.value.message.body.as_str(),
        format!("Hello Alex, ticket {number} is solved. Regards, Ada Admin")
    );
    assert_eq!(applied.value.status, Status::Resolved);
    let after = w.app.get_ticket(&w.admin, by_id(&ticket)).await.unwrap();
    let t = &after.summary.ticket;
    assert_eq!(t.version, 2, "one change");
    assert_eq!((t.status, t.priority), (Status::Resolved, Priority::High));
    assert_eq!(t.tags.iter_str().collect::<Vec<_>>(), ["solved", "macro"]);
    assert_eq!(t.assignee_id, Some(World::<S>::agent_id(&w.admin)));
    let replay = w.app.apply_macro(&w.admin, by_id(&ticket), chosen.id, Some(1), idem("m-1", "f")).await.unwrap();
    assert!(replay.replayed);
    assert_eq!(replay.value.message.id, applied.value.message.id);
    assert_eq!(w.app.get_ticket(&w.admin, by_id(&ticket)).await.unwrap().summary.ticket.version, 2);
    let trail = w.app.ticket_events(&w.admin, by_id(&ticket)).await.unwrap();
    assert_eq!(trail.len(), 2 + 5, "created, message, then the macro's five events");

    let replier = Principal::agent(
        w.alpha.clone(),
        w.sam.id,
        vec![supportdesk_domain::Permission::TicketsRead, supportdesk_domain::Permission::TicketsReply],
    );
    let refused = w.app.apply_macro(&replier, by_id(&ticket), chosen.id, None, None).await;
    assert!(matches!(refused, Err(AppError::Forbidden(_))), "a replier may not resolve or assign: {refused:?}");
    let after_refusal = w.app.get_ticket(&w.admin, by_id(&ticket)).await.unwrap();
    assert_eq!(after_refusal.summary.ticket.version, 2, "a refused macro changes nothing");
    let gone = w.app.apply_macro(&w.admin, by_id(&ticket), Uuid::now_v7(), None, None).await;
    assert!(matches!(gone, Err(AppError::NotFound(_))), "got {gone:?}");

    // A caller that is no stored agent (an API key) applies under its own name, and cannot
    // be assigned.
    let bot =
        Principal::agent(w.alpha.clone(), Uuid::now_v7(), supportdesk_domain::Permission::AGENT_DEFAULTS.to_vec())
            .named("Shop bot");
    let note = crate::MacroInput {
        name: "Seen".into(),
        body: "Seen by {{agent.name}}".into(),
        internal: true,
        status: None,
        priority: None,
        add_tags: Tags::default(),
        assign_to_self: false,
    };
    let note = w.app.create_macro(&w.admin, note).await.unwrap();
    let by_bot = w.app.apply_macro(&bot, by_id(&ticket), note.id, None, None).await.unwrap();
    assert_eq!(by_bot.value.message.body.as_str(), "Seen by Shop bot");
    assert!(by_bot.value.message.internal);
    let assigning = w.app.apply_macro(&bot, by_id(&ticket), chosen.id, None, None).await;
    assert!(matches!(assigning, Err(AppError::NotFound(crate::Missing::Assignee))), "got {assigning:?}");
}

/// Reads a list to its end by cursor, `size` items a page; returns the pages.
async fn walk<S: Store + 'static>(
    w: &World<S>,
    who: &Principal,
    list: TicketQuery,
) -> Vec<crate::Page<crate::TicketSummary>> {
    let mut pages = Vec::new();
    let mut cursor = None;
    loop {
        let page = w.app.list_tickets(who, TicketQuery { cursor: cursor.take(), ..list.clone() }).await.unwrap();
        cursor = page.next_cursor.clone();
        pages.push(page);
        if cursor.is_none() {
            return pages;
        }
        assert!(pages.len() < 1_000, "the walk does not end");
    }
}

/// Reading a list to its end by cursor, for every sort (the staff's and the customer's),
/// never repeats or skips a ticket that existed throughout and did not change, while 100
/// tickets are inserted and others change between the pages; `total` stays the whole
/// list's; the last page has no cursor.
pub async fn a_cursor_walk_neither_repeats_nor_skips_while_tickets_are_inserted<S: Store + 'static>(
    s: ContractStore<S>,
) {
    let (w, _s) = world(s).await;
    let priorities = [Priority::Low, Priority::Normal, Priority::High, Priority::Urgent];
    let mut stable = Vec::new();
    for i in 0..40 {
        let mut input = World::<S>::input(&format!("Walked ticket {i}"));
        input.priority = priorities[i % 4];
        stable.push(w.try_open(&w.alex, input).await.unwrap().summary.ticket.id);
    }
    // The walks: every sort of the queue, and the customer's own list by activity and change.
    let mut walks: Vec<(Principal, TicketQuery)> = TicketSort::ALL
        .iter()
        .map(|sort| (w.admin.clone(), TicketQuery { sort: *sort, page: PageRequest::new(1, 6).unwrap(), ..query() }))
        .collect();
    for sort in [TicketSort::ActivityDesc, TicketSort::UpdatedAsc, TicketSort::CreatedDesc] {
        walks.push((w.alex.clone(), TicketQuery { sort, page: PageRequest::new(1, 6).unwrap(), ..query() }));
    }
    let mut cursors: Vec<Option<Option<String>>> = vec![Some(None); walks.len()];
    let mut seen: Vec<Vec<uuid::Uuid>> = vec![Vec::new(); walks.len()];
    let mut changed = HashSet::new();
    let (mut inserted, mut round) = (0, 0);
    while cursors.iter().any(Option::is_some) {
        for (i, (who, list)) in walks.iter().enumerate() {
            let Some(cursor) = cursors[i].take() else { continue };
            let page = w.app.list_tickets(who, TicketQuery { cursor, ..list.clone() }).await.unwrap();
            assert!(page.items.len() <= 6);
            assert!(page.total >= 40, "the total is the whole list's: {}", page.total);
            seen[i].extend(page.items.iter().map(|s| s.ticket.id.as_uuid()));
            cursors[i] = page.next_cursor.map(Some);
        }
        // Between the pages: five new tickets (the first 100 only), one changed priority
        // and one reply, on tickets the walks have not necessarily reached.
        for _ in 0..5 {
            if inserted < 100 {
                let mut input = World::<S>::input(&format!("Inserted ticket {inserted}"));
                input.priority = priorities[inserted % 4];
                w.try_open(&w.alex, input).await.unwrap();
                inserted += 1;
            }
        }
        if round < stable.len() / 2 {
            let moved = stable[(round * 7) % stable.len()];
            let triage = TriageInput { priority: Some(priorities[(round + 1) % 4]), ..TriageInput::default() };
            w.app.triage(&w.admin, TicketRef::Id(moved), triage, None).await.unwrap();
            let replied = stable[(round * 7 + 3) % stable.len()];
            w.app.agent_reply(&w.sam, TicketRef::Id(replied), reply("Still on it"), None, None).await.unwrap();
            changed.extend([moved.as_uuid(), replied.as_uuid()]);
        }
        round += 1;
        assert!(round < 200, "the walks do not end");
    }
    assert_eq!(inserted, 100, "100 tickets were inserted during the walks");
    for (i, (_, list)) in walks.iter().enumerate() {
        for id in &stable {
            let id = id.as_uuid();
            if changed.contains(&id) {
                continue;
            }
            let times = seen[i].iter().filter(|s| **s == id).count();
            assert_eq!(times, 1, "sort {} saw an unchanged ticket {times} times", list.sort.as_str());
        }
        let distinct: HashSet<_> = seen[i].iter().filter(|id| !changed.contains(*id)).collect();
        assert_eq!(
            distinct.len(),
            seen[i].iter().filter(|id| !changed.contains(*id)).count(),
            "sort {} repeated an unchanged ticket",
            list.sort.as_str()
        );
    }
    // Without writes in between, a walk is exactly the list, in order, each once.
    for sort in TicketSort::ALL {
        let list = TicketQuery { sort, page: PageRequest::new(1, 7).unwrap(), ..query() };
        let pages = walk(&w, &w.admin, list.clone()).await;
        let walked: Vec<_> = pages.iter().flat_map(|p| p.items.iter().map(|s| s.ticket.id)).collect();
        let all = TicketQuery { sort, page: PageRequest::new(1, 100).unwrap(), ..query() };
        let mut whole: Vec<_> = w.app.list_tickets(&w.admin, all.clone()).await.unwrap().items;
        let rest = TicketQuery { page: PageRequest::new(2, 100).unwrap(), ..all };
        whole.extend(w.app.list_tickets(&w.admin, rest).await.unwrap().items);
        let whole: Vec<_> = whole.iter().map(|s| s.ticket.id).collect();
        assert_eq!(walked, whole, "sort {}", sort.as_str());
        assert!(pages.last().unwrap().next_cursor.is_none());
        assert!(pages.iter().all(|p| p.total == 140), "sort {}", sort.as_str());
    }
}

/// A cursor works only on the list it was made for: another tenant, another caller kind,
/// another customer, other filters or another sort, a forged or garbled cursor, and a
/// cursor together with a page are refused on `cursor` (or `page`), changing nothing.
pub async fn cursors_are_refused_on_another_list_and_when_forged<S: Store + 'static>(s: ContractStore<S>) {
    let (w, _s) = world(s).await;
    for i in 0..5 {
        w.open(&w.alex, &format!("Alex ticket {i}")).await;
        w.open(&w.blake, &format!("Blake ticket {i}")).await;
        w.open(&w.casey, &format!("Casey ticket {i}")).await;
    }
    let open = TicketQuery { statuses: vec![Status::Open], page: PageRequest::new(1, 2).unwrap(), ..query() };
    let first = w.app.list_tickets(&w.admin, open.clone()).await.unwrap();
    let cursor = first.next_cursor.clone().unwrap();
    let refused_on = |result: Result<crate::Page<crate::TicketSummary>, AppError>, field: &str| match result {
        Err(AppError::Validation(errors)) => assert!(errors.iter().any(|e| e.field == field), "{errors:?}"),
        other => panic!("expected a 400 on {field}, got {other:?}"),
    };
    // Its own list reads on.
    let next = w.app.list_tickets(&w.admin, TicketQuery { cursor: Some(cursor.clone()), ..open.clone() }).await;
    assert_eq!(next.unwrap().items.len(), 2);
    let with = |q: TicketQuery| TicketQuery { cursor: Some(cursor.clone()), ..q };
    let other_status = TicketQuery { statuses: vec![Status::Closed], ..open.clone() };
    refused_on(w.app.list_tickets(&w.admin, with(other_status)).await, "cursor");
    let other_sort = TicketQuery { sort: TicketSort::CreatedAsc, ..open.clone() };
    refused_on(w.app.list_tickets(&w.admin, with(other_sort)).await, "cursor");
    let other_priority = TicketQuery { priorities: vec![Priority::High], ..open.clone() };
    refused_on(w.app.list_tickets(&w.admin, with(other_priority)).await, "cursor");
    refused_on(w.app.list_tickets(&w.beta_admin, with(open.clone())).await, "cursor");
    refused_on(w.app.list_tickets(&w.alex, with(open.clone())).await, "cursor");
    // A customer's cursor is another customer's list.
    let mine = TicketQuery { page: PageRequest::new(1, 2).unwrap(), ..query() };
    let alex_cursor = w.app.list_tickets(&w.alex, mine.clone()).await.unwrap().next_cursor.unwrap();
    let alex_list = TicketQuery { cursor: Some(alex_cursor.clone()), ..mine.clone() };
    assert_eq!(w.app.list_tickets(&w.alex, alex_list.clone()).await.unwrap().items.len(), 2);
    refused_on(w.app.list_tickets(&w.blake, alex_list).await, "cursor");
    // Garbled and forged cursors.
    let mut flipped = cursor.clone().into_bytes();
    let middle = flipped.len() / 2;
    flipped[middle] = if flipped[middle] == b'A' { b'B' } else { b'A' };
    let flipped = String::from_utf8(flipped).unwrap();
    for bad in ["", "not-a-cursor", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", &cursor[..cursor.len() - 3], &flipped] {
        let forged = TicketQuery { cursor: Some(bad.to_owned()), ..open.clone() };
        refused_on(w.app.list_tickets(&w.admin, forged).await, "cursor");
    }
    // A cursor and a page together.
    let both = TicketQuery { page: PageRequest::new(2, 2).unwrap(), ..with(open.clone()) };
    refused_on(w.app.list_tickets(&w.admin, both).await, "page");
}

/// `page` reaches the first 10,000 items (`page * size`); past them the request is refused
/// and names `cursor`. A search by relevance pages by an offset cursor, bounded the same way.
pub async fn pages_reach_ten_thousand_items_and_a_search_pages_by_offset_cursor<S: Store + 'static>(
    s: ContractStore<S>,
) {
    let (w, _s) = world(s).await;
    assert!(PageRequest::new(100, 100).is_ok());
    assert!(PageRequest::new(500, 20).is_ok());
    for (page, size) in [(101, 100), (501, 20), (10_001, 1), (1_000_000, 1)] {
        let refused = PageRequest::new(page, size).unwrap_err();
        assert_eq!(refused.field, "page", "page {page} size {size}");
        assert!(refused.rule.to_string().contains("cursor"), "{refused:?}");
    }
    for i in 0..7 {
        w.open(&w.alex, &format!("Broken kettle number {i}")).await;
    }
    let search = TicketQuery {
        text: Some(SearchText::parse("kettle").unwrap()),
        sort: TicketSort::Relevance,
        page: PageRequest::new(1, 3).unwrap(),
        ..query()
    };
    let pages = walk(&w, &w.admin, search.clone()).await;
    let walked: Vec<_> = pages.iter().flat_map(|p| p.items.iter().map(|s| s.ticket.id)).collect();
    let all = TicketQuery { page: PageRequest::new(1, 10).unwrap(), ..search };
    let whole: Vec<_> = w.app.list_tickets(&w.admin, all).await.unwrap().items.iter().map(|s| s.ticket.id).collect();
    assert_eq!(walked, whole);
    assert_eq!(pages.iter().map(|p| p.items.len()).collect::<Vec<_>>(), [3, 3, 1]);
}

/// A clock the case sets to each moment it needs.
struct SetClock(std::sync::Mutex<time::OffsetDateTime>);

impl SetClock {
    fn at(&self, at: time::OffsetDateTime) {
        *self.0.lock().unwrap() = at;
    }
}

impl crate::Clock for SetClock {
    fn now(&self) -> time::OffsetDateTime {
        *self.0.lock().unwrap()
    }
}

/// The summary counts each fact on its day with exact figures: first response and resolution
/// times in business minutes across a weekend for a policy with business hours and in
/// wall-clock minutes otherwise, reopenings, SLA attainment and ratings of the tickets
/// resolved; grouped by day, week, agent and priority; tenant-isolated; `tickets:read` only.
pub async fn the_report_summary_counts_business_minutes_across_a_weekend<S: Store + 'static>(s: ContractStore<S>) {
    use supportdesk_domain::{ClockTime, Rating, ReportGroupBy, WeeklyHours};
    use time::macros::{date, datetime};
    let (w, _s) = world(s).await;
    let clock = Arc::new(SetClock(std::sync::Mutex::new(datetime!(2026-12-01 08:00 UTC))));
    let app = crate::App::builder(w.store.clone()).clock(clock.clone()).build();
    let week = WeeklyHours::weekdays(ClockTime::parse("09:00").unwrap(), ClockTime::parse("17:00").unwrap()).unwrap();
    let hours = crate::BusinessHoursInput {
        name: Some("Office".into()),
        time_zone: Some("UTC".into()),
        week: Some(week),
        holidays: None,
    };
    let office = app.create_business_hours(&w.admin, hours).await.unwrap();
    let urgent = crate::SlaPolicyInput {
        name: Some("Urgent, office hours".into()),
        position: Some(0),
        matches: Some(supportdesk_domain::SlaMatch { priority: Some(Priority::Urgent), ..Default::default() }),
        first_response_minutes: Some(60),
        resolution_minutes: Some(600),
        business_hours_id: Some(Some(office.id)),
        ..Default::default()
    };
    app.create_sla_policy(&w.admin, urgent).await.unwrap();
    let general = crate::SlaPolicyInput {
        name: Some("General, 24/7".into()),
        position: Some(1),
        first_response_minutes: Some(60),
        resolution_minutes: Some(600),
        ..Default::default()
    };
    app.create_sla_policy(&w.admin, general).await.unwrap();
    let open = |customer: &Principal, hint: &str, priority: Priority| {
        let mut input = World::<S>::input(hint);
        input.priority = priority;
        let (app, customer) = (&app, customer.clone());
        async move { app.open_ticket(&customer, input, None).await.unwrap().value }
    };
    let resolve = |at| AgentReplyInput { status: Some(Status::Resolved), ..reply(at) };

    // Before the range: opened Thursday, answered and resolved Friday noon (24 h, both late).
    clock.at(datetime!(2026-12-03 12:00 UTC));
    let t0 = open(&w.alex, "Opened on Thursday", Priority::Normal).await;
    // Friday 09:00: answered in 10 minutes, resolved in 20, reopened by the customer Monday.
    clock.at(datetime!(2026-12-04 09:00 UTC));
    let t4 = open(&w.blake, "Opened Friday morning", Priority::Normal).await;
    clock.at(datetime!(2026-12-04 09:10 UTC));
    app.agent_reply(&w.admin, by_id(&t4), reply("Here you go"), None, None).await.unwrap();
    clock.at(datetime!(2026-12-04 09:20 UTC));
    app.set_status(&w.admin, by_id(&t4), Status::Resolved, None, None).await.unwrap();
    clock.at(datetime!(2026-12-04 12:00 UTC));
    app.agent_reply(&w.admin, by_id(&t0), resolve("Solved a day later"), None, None).await.unwrap();
    // Friday 16:00, urgent, office hours: answered Monday 10:00 (120 business minutes, late),
    // resolved Monday 12:00 (240 business minutes), rated good.
    clock.at(datetime!(2026-12-04 16:00 UTC));
    let t1 = open(&w.alex, "Urgent on Friday afternoon", Priority::Urgent).await;
    app.assign(&w.admin, by_id(&t1), Some(World::<S>::agent_id(&w.sam)), None).await.unwrap();
    // Saturday 10:00, 24/7: answered in 30 minutes, resolved in 60, rated bad.
    clock.at(datetime!(2026-12-05 10:00 UTC));
    let t2 = open(&w.blake, "Opened on Saturday", Priority::Normal).await;
    let beta = open(&w.casey, "Another tenant on Saturday", Priority::Normal).await;
    clock.at(datetime!(2026-12-05 10:30 UTC));
    app.agent_reply(&w.admin, by_id(&t2), reply("Looking"), None, None).await.unwrap();
    app.agent_reply(&w.beta_admin, by_id(&beta), resolve("Beta solved"), None, None).await.unwrap();
    clock.at(datetime!(2026-12-05 11:00 UTC));
    app.set_status(&w.admin, by_id(&t2), Status::Resolved, None, None).await.unwrap();
    app.rate_satisfaction(&w.blake, by_id(&t2), Rating::Bad, None, None).await.unwrap();
    // Sunday 08:00: nobody answers.
    clock.at(datetime!(2026-12-06 08:00 UTC));
    open(&w.alex, "Opened on Sunday", Priority::Normal).await;
    clock.at(datetime!(2026-12-07 08:00 UTC));
    let body = MessageBody::parse("It broke again").unwrap();
    app.customer_reply(&w.blake, by_id(&t4), body, vec![], None, None).await.unwrap();
    clock.at(datetime!(2026-12-07 10:00 UTC));
    app.agent_reply(&w.sam, by_id(&t1), reply("Sorry for the wait"), None, None).await.unwrap();
    clock.at(datetime!(2026-12-07 12:00 UTC));
    app.set_status(&w.sam, by_id(&t1), Status::Resolved, None, None).await.unwrap();
    app.rate_satisfaction(&w.alex, by_id(&t1), Rating::Good, None, None).await.unwrap();

    let stored = app.get_ticket(&w.admin, by_id(&t1)).await.unwrap().summary.ticket.metrics;
    assert_eq!((stored.first_response_minutes, stored.resolution_minutes), (Some(120), Some(240)), "business time");
    let stored = app.get_ticket(&w.admin, by_id(&t4)).await.unwrap().summary.ticket.metrics;
    assert_eq!((stored.resolution_minutes, stored.reopen_count), (None, 1));
    assert_eq!(stored.reopened_at, Some(datetime!(2026-12-07 08:00 UTC)));

    let summary = |group_by| {
        let app = &app;
        let admin = w.admin.clone();
        async move {
            let query =
                crate::ReportQuery { from: Some(date!(2026 - 12 - 04)), to: Some(date!(2026 - 12 - 07)), group_by };
            app.report_summary(&admin, query).await.unwrap()
        }
    };
    // (key, created, resolved, reopened, first response, resolution, attainment, good, bad)
    type Line =
        (Option<String>, u64, u64, u64, (Option<i64>, Option<i64>), (Option<i64>, Option<i64>), Option<f64>, u64, u64);
    let line = |row: &supportdesk_domain::ReportRow| -> Line {
        (
            row.key.and_then(|k| k.text()),
            row.created,
            row.resolved,
            row.reopened,
            (row.first_response.median, row.first_response.p90),
            (row.resolution.median, row.resolution.p90),
            row.sla_attainment,
            row.satisfaction_good,
            row.satisfaction_bad,
        )
    };
    let key = |k: &str| Some(k.to_owned());
    let by_day = summary(ReportGroupBy::Day).await;
    let rows: Vec<Line> = by_day.rows.iter().map(line).collect();
    assert_eq!(
        rows,
        vec![
            (key("2026-12-04"), 2, 1, 0, (Some(10), Some(120)), (Some(1440), Some(1440)), Some(0.0), 0, 0),
            (key("2026-12-05"), 1, 1, 0, (Some(30), Some(30)), (Some(60), Some(60)), Some(1.0), 0, 1),
            (key("2026-12-06"), 1, 0, 0, (None, None), (None, None), None, 0, 0),
            (key("2026-12-07"), 0, 1, 1, (None, None), (Some(240), Some(240)), Some(0.0), 1, 0),
        ]
    );
    assert_eq!(
        line(&by_day.total),
        (None, 4, 3, 1, (Some(30), Some(120)), (Some(240), Some(1440)), Some(1.0 / 3.0), 1, 1)
    );
    let by_week: Vec<Line> = summary(ReportGroupBy::Week).await.rows.iter().map(line).collect();
    assert_eq!(
        by_week,
        vec![
            (key("2026-W49"), 4, 2, 0, (Some(30), Some(120)), (Some(60), Some(1440)), Some(0.5), 0, 1),
            (key("2026-W50"), 0, 1, 1, (None, None), (Some(240), Some(240)), Some(0.0), 1, 0),
        ]
    );
    let sam = World::<S>::agent_id(&w.sam).to_string();
    let by_agent: Vec<Line> = summary(ReportGroupBy::Agent).await.rows.iter().map(line).collect();
    assert_eq!(
        by_agent,
        vec![
            (None, 3, 2, 1, (Some(10), Some(30)), (Some(60), Some(1440)), Some(0.5), 0, 1),
            (Some(sam), 1, 1, 0, (Some(120), Some(120)), (Some(240), Some(240)), Some(0.0), 1, 0),
        ],
        "unassigned first"
    );
    let by_priority: Vec<Option<String>> =
        summary(ReportGroupBy::Priority).await.rows.iter().map(|r| r.key.and_then(|k| k.text())).collect();
    assert_eq!(by_priority, [key("urgent"), key("normal")], "most urgent first");

    let beta_query = crate::ReportQuery {
        from: Some(date!(2026 - 12 - 04)),
        to: Some(date!(2026 - 12 - 07)),
        group_by: ReportGroupBy::Day,
    };
    let beta_total = app.report_summary(&w.beta_admin, beta_query).await.unwrap().total;
    assert_eq!((beta_total.created, beta_total.resolved), (1, 1), "each tenant counts its own");
    assert!(matches!(app.report_summary(&w.alex, beta_query).await, Err(AppError::Forbidden(_))));
    let reversed = crate::ReportQuery { from: Some(date!(2026 - 12 - 08)), ..beta_query };
    let refused = app.report_summary(&w.admin, reversed).await;
    assert!(matches!(&refused, Err(AppError::Validation(e)) if e[0].field == "to"), "got {refused:?}");
    let defaults = crate::ReportQuery { from: None, to: None, group_by: ReportGroupBy::Day };
    let last_30 = app.report_summary(&w.admin, defaults).await.unwrap();
    assert_eq!((last_30.range.from(), last_30.range.to()), (date!(2026 - 11 - 08), date!(2026 - 12 - 07)));
    assert_eq!(last_30.rows.len(), 30);
}
