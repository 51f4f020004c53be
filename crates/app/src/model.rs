//! What the use cases read and write besides the domain's own types: views joined for
//! display, list queries and pages, idempotency records, logins.

use supportdesk_domain::search::{directory_email_key, directory_name_key, DirectoryQuery};
use supportdesk_domain::{
    AgentId, AuditEvent, Category, CategoryId, Customer, CustomerId, Email, ExternalRef, InvalidValue, Message,
    MessageId, Priority, Role, Rule, Source, Status, Tag, TenantKey, Ticket, TicketId,
};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::search::{SearchMatch, SearchText};

/// A customer or agent as shown next to a ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonSummary {
    /// Their id.
    pub id: Uuid,
    /// Their display name.
    pub name: String,
    /// Their email, if known.
    pub email: Option<String>,
    /// Their avatar, if any.
    pub image_url: Option<String>,
}

/// A category as shown on a ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CategorySummary {
    /// Its id.
    pub id: CategoryId,
    /// Its slug.
    pub slug: String,
    /// Its name.
    pub name: String,
}

impl From<&Category> for CategorySummary {
    fn from(category: &Category) -> Self {
        Self { id: category.id, slug: category.slug.to_string(), name: category.name.to_string() }
    }
}

/// A ticket with the names it refers to: one list item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketSummary {
    /// The ticket.
    pub ticket: Ticket,
    /// Its customer.
    pub customer: PersonSummary,
    /// Its category.
    pub category: CategorySummary,
    /// Its assignee, if any.
    pub assignee: Option<PersonSummary>,
    /// Where a `q` search matched it; `None` outside a search.
    pub search_match: Option<SearchMatch>,
}

/// A ticket with its thread: the detail view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketView {
    /// The ticket and its names.
    pub summary: TicketSummary,
    /// Its messages, oldest first; internal notes only for agents.
    pub messages: Vec<Message>,
}

/// Who may see what of a ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Visibility {
    /// Staff of the tenant: every ticket, internal notes included.
    Staff,
    /// A customer: their own tickets, public messages only.
    Customer(CustomerId),
}

impl Visibility {
    /// Whether internal notes are shown.
    pub fn shows_internal_notes(self) -> bool {
        matches!(self, Visibility::Staff)
    }

    /// The customer the view is limited to, if any.
    pub fn customer(self) -> Option<CustomerId> {
        match self {
            Visibility::Staff => None,
            Visibility::Customer(id) => Some(id),
        }
    }
}

/// The order of a ticket list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TicketSort {
    /// Oldest first.
    CreatedAsc,
    /// Newest first (the default).
    #[default]
    CreatedDesc,
    /// Least recently active first.
    ActivityAsc,
    /// Most recently active first.
    ActivityDesc,
    /// Lowest priority first.
    PriorityAsc,
    /// Most urgent first.
    PriorityDesc,
    /// Least recently changed first (`updatedAt`): with `updatedSince`, an export's order.
    UpdatedAsc,
    /// Most recently changed first.
    UpdatedDesc,
    /// Soonest SLA due time first (of the clocks running); tickets without one last.
    DueAsc,
    /// Best match first ([`SearchQuery::score`](supportdesk_domain::search::SearchQuery::score)
    /// in every store; the Diesel store ranks the newest 1,000 matches), newest first among
    /// equals: the order of a `q` search without `sort`. Without `q`, newest first.
    Relevance,
}

impl TicketSort {
    /// Every sort of a list without `q`, for tests and documentation.
    pub const ALL: [TicketSort; 9] = [
        TicketSort::CreatedAsc,
        TicketSort::CreatedDesc,
        TicketSort::ActivityAsc,
        TicketSort::ActivityDesc,
        TicketSort::PriorityAsc,
        TicketSort::PriorityDesc,
        TicketSort::UpdatedAsc,
        TicketSort::UpdatedDesc,
        TicketSort::DueAsc,
    ];

    /// Parses `createdAt`, `-createdAt`, `lastActivityAt`, `-lastActivityAt`, `priority`,
    /// `-priority`, `relevance`.
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        Ok(match raw.trim() {
            "createdAt" => TicketSort::CreatedAsc,
            "-createdAt" => TicketSort::CreatedDesc,
            "lastActivityAt" => TicketSort::ActivityAsc,
            "-lastActivityAt" => TicketSort::ActivityDesc,
            "priority" => TicketSort::PriorityAsc,
            "-priority" => TicketSort::PriorityDesc,
            "updatedAt" => TicketSort::UpdatedAsc,
            "-updatedAt" => TicketSort::UpdatedDesc,
            "dueAt" => TicketSort::DueAsc,
            "relevance" => TicketSort::Relevance,
            _ => {
                return Err(InvalidValue::new(
                    "sort",
                    Rule::OneOf(
                        "createdAt, -createdAt, lastActivityAt, -lastActivityAt, priority, -priority, updatedAt, -updatedAt, \
                         dueAt, relevance",
                    ),
                ))
            }
        })
    }

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            TicketSort::CreatedAsc => "createdAt",
            TicketSort::CreatedDesc => "-createdAt",
            TicketSort::ActivityAsc => "lastActivityAt",
            TicketSort::ActivityDesc => "-lastActivityAt",
            TicketSort::PriorityAsc => "priority",
            TicketSort::PriorityDesc => "-priority",
            TicketSort::UpdatedAsc => "updatedAt",
            TicketSort::UpdatedDesc => "-updatedAt",
            TicketSort::DueAsc => "dueAt",
            TicketSort::Relevance => "relevance",
        }
    }
}

/// Which page of a list: `page` >= 1, `size` 1..=100, `page * size` at most
/// [`PageRequest::MAX_OFFSET_ITEMS`] (further on, a list is read by cursor).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    page: u32,
    size: u32,
    /// How many items come before this page: `(page - 1) * size`, or what an offset cursor
    /// (a relevance-sorted search) said.
    offset: u64,
}

impl PageRequest {
    /// The largest page size.
    pub const MAX_SIZE: u32 = 100;
    /// The page size when none is asked for.
    pub const DEFAULT_SIZE: u32 = 20;
    /// How far `page` reaches: `page * size` at most this; beyond it, a list is read by
    /// cursor (whose cost does not grow with the position).
    pub const MAX_OFFSET_ITEMS: u64 = 10_000;

    /// Checks the bounds; out-of-range values are refused, not clamped. A page past
    /// [`PageRequest::MAX_OFFSET_ITEMS`] is refused on `page`, pointing to `cursor`.
    pub fn new(page: i64, size: i64) -> Result<Self, InvalidValue> {
        let max_page = i64::try_from(Self::MAX_OFFSET_ITEMS).unwrap_or(i64::MAX);
        let page = u64::try_from(page)
            .ok()
            .filter(|p| *p >= 1)
            .ok_or(InvalidValue::new("page", Rule::Range { min: 1, max: max_page }))?;
        let size = u32::try_from(size)
            .ok()
            .filter(|s| (1..=Self::MAX_SIZE).contains(s))
            .ok_or(InvalidValue::new("size", Rule::Range { min: 1, max: i64::from(Self::MAX_SIZE) }))?;
        let too_far = || {
            InvalidValue::new(
                "page",
                Rule::Format("within the first 10000 items (page * size <= 10000): read further with cursor"),
            )
        };
        if page.saturating_mul(u64::from(size)) > Self::MAX_OFFSET_ITEMS {
            return Err(too_far());
        }
        let page = u32::try_from(page).map_err(|_| too_far())?;
        Ok(Self { page, size, offset: u64::from(page - 1) * u64::from(size) })
    }

    /// `size` items after the first `offset`: the page an offset cursor names (a
    /// relevance-sorted search, whose order has no key to continue from).
    pub fn at_offset(offset: u64, size: u32) -> Self {
        let size = size.clamp(1, Self::MAX_SIZE);
        let page = u32::try_from(offset / u64::from(size) + 1).unwrap_or(u32::MAX);
        Self { page, size, offset }
    }

    /// The page number, from 1.
    pub fn page(self) -> u32 {
        self.page
    }

    /// Items per page.
    pub fn size(self) -> u32 {
        self.size
    }

    /// How many items a store reads for this page: one more than the page, so that the use
    /// case knows whether another page follows (the extra item is not shown).
    pub fn fetch(self) -> u32 {
        self.size + 1
    }

    /// How many items come before this page.
    pub fn offset(self) -> u64 {
        self.offset
    }
}

impl Default for PageRequest {
    fn default() -> Self {
        Self { page: 1, size: Self::DEFAULT_SIZE, offset: 0 }
    }
}

/// One page of a list, and how many items match in all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    /// The items of this page.
    pub items: Vec<T>,
    /// Which page this is.
    pub request: PageRequest,
    /// How many items match: exact, unless `total_is_capped`. With a cursor, still the whole
    /// list's (not what is left after the cursor).
    pub total: u64,
    /// Whether the store stopped counting at [`Page::TOTAL_CAP`], so that `total` is the cap
    /// and at least that many items match (`totalIsCapped` tells clients).
    pub total_is_capped: bool,
    /// The opaque cursor of the next page; `None` at the end. Set by the use case (stores
    /// leave it `None`).
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// Past this many matches a store may stop counting (see `docs/storage.md`).
    pub const TOTAL_CAP: u64 = 10_000;

    /// A page whose total was counted exactly.
    pub fn exact(items: Vec<T>, request: PageRequest, total: u64) -> Self {
        Self { items, request, total, total_is_capped: false, next_cursor: None }
    }

    /// A page whose total was counted up to [`Page::TOTAL_CAP`] at most: a count that
    /// reached the cap says only that at least that many match.
    ///
    /// ```
    /// # use supportdesk_app::{Page, PageRequest};
    /// let page = Page::<u8>::counted_up_to_cap(vec![], PageRequest::default(), 25_000);
    /// assert_eq!((page.total, page.total_is_capped), (Page::<u8>::TOTAL_CAP, true));
    /// ```
    pub fn counted_up_to_cap(items: Vec<T>, request: PageRequest, counted: u64) -> Self {
        let total_is_capped = counted >= Self::TOTAL_CAP;
        Self { items, request, total: counted.min(Self::TOTAL_CAP), total_is_capped, next_cursor: None }
    }
}

/// The sort value of a list item, as a cursor remembers it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SortKey {
    /// A time: created, last activity or last change.
    At(OffsetDateTime),
    /// A priority.
    Priority(Priority),
    /// An SLA due time; `None` (no clock running) sorts after every time.
    Due(Option<OffsetDateTime>),
}

impl SortKey {
    /// Orders two values of the same kind ascending (`Due(None)` last); `None` for values of
    /// different kinds, which no list compares.
    pub fn compare(&self, other: &SortKey) -> Option<std::cmp::Ordering> {
        use std::cmp::Ordering;
        match (self, other) {
            (SortKey::At(a), SortKey::At(b)) => Some(a.cmp(b)),
            (SortKey::Priority(a), SortKey::Priority(b)) => Some(a.cmp(b)),
            (SortKey::Due(a), SortKey::Due(b)) => Some(match (a, b) {
                (Some(x), Some(y)) => x.cmp(y),
                (Some(_), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                (None, None) => Ordering::Equal,
            }),
            _ => None,
        }
    }
}

/// Where a keyset page starts: after the item with this sort value and this id (the
/// tie-breaker), in the list's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TicketPosition {
    /// The last item's sort value.
    pub key: SortKey,
    /// The last item's id.
    pub id: TicketId,
}

/// A page of the customer directory (`GET /admin/customers`): every customer of the
/// tenant, or those `text` finds, by name key then id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CustomerQuery {
    /// The lookup (`q`); `None`: every customer.
    pub text: Option<DirectoryQuery>,
    /// Which page.
    pub page: PageRequest,
    /// The opaque cursor the caller sent (the use case turns it into `after`).
    pub cursor: Option<String>,
    /// A keyset page: only customers after this one in the order.
    pub after: Option<CustomerPosition>,
}

/// Where a page of the directory starts: after the customer with this name key and id.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CustomerPosition {
    /// The last customer's [`directory_name_key`].
    pub name_key: String,
    /// The last customer's id (the tie-breaker).
    pub id: CustomerId,
}

impl CustomerQuery {
    /// Whether `customer` passes the lookup (paging aside): the rule SQL adapters express in
    /// their queries; the memory store uses this.
    pub fn matches(&self, customer: &Customer) -> bool {
        let email_key = directory_email_key(customer.email.as_ref().map(|e| e.as_str()));
        self.text.as_ref().is_none_or(|q| q.matches(&directory_name_key(customer.name.as_str()), &email_key))
    }

    /// Whether `customer` comes after the cursor's position (always, without one).
    pub fn is_after_position(&self, customer: &Customer) -> bool {
        self.after.as_ref().is_none_or(|after| {
            (directory_name_key(customer.name.as_str()).as_str(), customer.id) > (after.name_key.as_str(), after.id)
        })
    }

    /// The lookup in a canonical form, that a cursor is signed over.
    pub fn cursor_filters(&self) -> String {
        format!("{:?}", self.text)
    }
}

/// Whom a list is limited to by assignee.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssigneeFilter {
    /// Tickets of this agent.
    Agent(AgentId),
    /// Tickets of nobody.
    Unassigned,
}

/// A ticket list: every filter of the customer list and the agent queue. `None` and empty
/// lists mean "any".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TicketQuery {
    /// Only this customer's tickets (always set for customers).
    pub customer_id: Option<CustomerId>,
    /// Only these statuses; empty means all.
    pub statuses: Vec<Status>,
    /// Only this category.
    pub category_id: Option<CategoryId>,
    /// Only these priorities; empty means all.
    pub priorities: Vec<Priority>,
    /// Only this source.
    pub source: Option<Source>,
    /// Only this order.
    pub order_id: Option<ExternalRef>,
    /// Only this delivery.
    pub delivery_id: Option<ExternalRef>,
    /// Only tickets changed at or after this instant (`updatedAt`; a customer's list uses
    /// the time of the last change they can see): with `sort=updatedAt`, an export.
    pub updated_since: Option<OffsetDateTime>,
    /// Only this assignee, or only unassigned tickets.
    pub assignee: Option<AssigneeFilter>,
    /// Only tickets with this tag.
    pub tag: Option<Tag>,
    /// Full-text search (`q`), or the ticket number it names.
    pub text: Option<SearchText>,
    /// Only tickets with a recorded SLA breach (any clock).
    pub sla_breached: bool,
    /// Only tickets whose soonest running SLA clock is due before this instant.
    pub due_before: Option<OffsetDateTime>,
    /// The order.
    pub sort: TicketSort,
    /// The page.
    pub page: PageRequest,
    /// The opaque cursor the client sent (`?cursor=`), unchecked: the use case checks it and
    /// sets `after` (or `page`, for an offset cursor). Stores ignore it.
    pub cursor: Option<String>,
    /// Only tickets after this one in the list's order: a keyset page (set by the use case
    /// from a checked cursor; the stores' keyset conditions read it).
    pub after: Option<TicketPosition>,
    /// A customer's own list: `lastActivityAt` means the activity the customer can see
    /// (`Ticket::public_last_activity_at`), so that internal notes never reorder it. The
    /// use case sets it from the principal.
    pub customer_view: bool,
}

impl TicketQuery {
    /// The statuses the query filters on, when it filters on nothing else (empty: every
    /// status). Its total is then a sum of per-status counts, which a store can keep
    /// exactly and read cheaply whatever the number of tickets (the agents' queues).
    pub fn status_only(&self) -> Option<&[Status]> {
        (self.no_filter_but_status_and_breach() && !self.sla_breached).then_some(self.statuses.as_slice())
    }

    /// The statuses of a breached queue (`sla_breached` and statuses, no other filter): its
    /// total is a sum of per-status counts of breached tickets, which a store can keep like
    /// those of [`TicketQuery::status_only`].
    pub fn breached_status_only(&self) -> Option<&[Status]> {
        (self.no_filter_but_status_and_breach() && self.sla_breached).then_some(self.statuses.as_slice())
    }

    /// Whether the query filters on nothing but its statuses and the breach flag.
    fn no_filter_but_status_and_breach(&self) -> bool {
        self.customer_id.is_none()
            && self.category_id.is_none()
            && self.priorities.is_empty()
            && self.delivery_id.is_none()
            && self.updated_since.is_none()
            && self.source.is_none()
            && self.order_id.is_none()
            && self.assignee.is_none()
            && self.tag.is_none()
            && self.text.is_none()
            && self.due_before.is_none()
    }

    /// Whether `ticket` passes every filter but `text` (paging and sort aside), which needs
    /// the thread ([`crate::SearchDocument`]). The memory store uses this; SQL adapters
    /// express the same rules in their queries.
    pub fn matches(&self, ticket: &Ticket) -> bool {
        self.customer_id.is_none_or(|id| id == ticket.customer_id)
            && (self.statuses.is_empty() || self.statuses.contains(&ticket.status))
            && self.category_id.is_none_or(|id| id == ticket.category_id)
            && (self.priorities.is_empty() || self.priorities.contains(&ticket.priority))
            && self.source.is_none_or(|s| s == ticket.source)
            && self.order_id.as_ref().is_none_or(|o| ticket.order_id.as_ref() == Some(o))
            && self.delivery_id.as_ref().is_none_or(|d| ticket.delivery_id.as_ref() == Some(d))
            && self.updated_since.is_none_or(|since| self.updated(ticket) >= since)
            && self.assignee.is_none_or(|a| match a {
                AssigneeFilter::Agent(id) => ticket.assignee_id == Some(id),
                AssigneeFilter::Unassigned => ticket.assignee_id.is_none(),
            })
            && self.tag.as_ref().is_none_or(|t| ticket.tags.contains(t))
            && (!self.sla_breached || ticket.sla.is_some_and(|sla| sla.state.breached.any()))
            && self.due_before.is_none_or(|before| Self::due_at(ticket).is_some_and(|due| due < before))
    }

    /// The activity time this list sorts by: the customer's or the staff's.
    fn activity(&self, ticket: &Ticket) -> OffsetDateTime {
        if self.customer_view {
            ticket.public_last_activity_at
        } else {
            ticket.last_activity_at
        }
    }

    /// The change time this list filters and sorts by: the customer's or the staff's.
    fn updated(&self, ticket: &Ticket) -> OffsetDateTime {
        if self.customer_view {
            ticket.public_updated_at
        } else {
            ticket.updated_at
        }
    }

    /// The SLA due time the queue sorts and filters by: the soonest of the running clocks.
    pub fn due_at(ticket: &Ticket) -> Option<OffsetDateTime> {
        ticket.sla.and_then(|sla| sla.state.due_at())
    }

    /// The list's filters and sort in one canonical text (page and cursor aside): a cursor is
    /// signed with it, so that it is refused on a list with other filters or another order.
    pub fn cursor_filters(&self) -> String {
        let list = TicketQuery { page: PageRequest::default(), cursor: None, after: None, ..self.clone() };
        format!("{list:?}")
    }

    /// The value `ticket` sorts by in this list ([`TicketSort::Relevance`]: its creation time,
    /// though a search's cursor is an offset).
    pub fn sort_key(&self, ticket: &Ticket) -> SortKey {
        match self.sort {
            TicketSort::CreatedAsc | TicketSort::CreatedDesc | TicketSort::Relevance => SortKey::At(ticket.created_at),
            TicketSort::ActivityAsc | TicketSort::ActivityDesc => SortKey::At(self.activity(ticket)),
            TicketSort::UpdatedAsc | TicketSort::UpdatedDesc => SortKey::At(self.updated(ticket)),
            TicketSort::PriorityAsc | TicketSort::PriorityDesc => SortKey::Priority(ticket.priority),
            TicketSort::DueAsc => SortKey::Due(Self::due_at(ticket)),
        }
    }

    /// Where a page that ends with `ticket` leaves off.
    pub fn position_of(&self, ticket: &Ticket) -> TicketPosition {
        TicketPosition { key: self.sort_key(ticket), id: ticket.id }
    }

    /// Whether the sort runs from the largest value down.
    pub fn descending(&self) -> bool {
        matches!(
            self.sort,
            TicketSort::CreatedDesc
                | TicketSort::ActivityDesc
                | TicketSort::PriorityDesc
                | TicketSort::UpdatedDesc
                | TicketSort::Relevance
        )
    }

    /// Whether `ticket` comes after [`TicketQuery::after`] in this list's order (always, when
    /// there is no such position): the keyset condition, as the memory store applies it.
    pub fn is_after_position(&self, ticket: &Ticket) -> bool {
        let Some(after) = &self.after else { return true };
        let Some(ordering) = self.sort_key(ticket).compare(&after.key) else { return false };
        let ordering = ordering.then_with(|| ticket.id.cmp(&after.id));
        if self.descending() {
            ordering == std::cmp::Ordering::Less
        } else {
            ordering == std::cmp::Ordering::Greater
        }
    }

    /// Orders two tickets as `sort` says; ties break on the id (time-ordered), the same way.
    /// [`TicketSort::Relevance`] orders newest first here: the relevance itself is the
    /// store's to weigh first.
    pub fn compare(&self, a: &Ticket, b: &Ticket) -> std::cmp::Ordering {
        use std::cmp::Ordering;
        let (ordering, descending): (Ordering, bool) = match self.sort {
            TicketSort::CreatedAsc => (a.created_at.cmp(&b.created_at), false),
            TicketSort::CreatedDesc => (a.created_at.cmp(&b.created_at), true),
            TicketSort::ActivityAsc => (self.activity(a).cmp(&self.activity(b)), false),
            TicketSort::ActivityDesc => (self.activity(a).cmp(&self.activity(b)), true),
            TicketSort::PriorityAsc => (a.priority.cmp(&b.priority), false),
            TicketSort::PriorityDesc => (a.priority.cmp(&b.priority), true),
            TicketSort::UpdatedAsc => (self.updated(a).cmp(&self.updated(b)), false),
            TicketSort::UpdatedDesc => (self.updated(a).cmp(&self.updated(b)), true),
            // `None` sorts after every time: tickets without a due time come last.
            TicketSort::DueAsc => match (Self::due_at(a), Self::due_at(b)) {
                (Some(x), Some(y)) => (x.cmp(&y), false),
                (Some(_), None) => (Ordering::Less, false),
                (None, Some(_)) => (Ordering::Greater, false),
                (None, None) => (Ordering::Equal, false),
            },
            TicketSort::Relevance => (a.created_at.cmp(&b.created_at), true),
        };
        let ordering = ordering.then_with(|| a.id.cmp(&b.id));
        if descending {
            ordering.reverse()
        } else {
            ordering
        }
    }
}

/// A client-chosen key that makes a POST safe to retry: 1..=255 visible ASCII characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    /// Checks the key.
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        let ok = (1..=255).contains(&raw.len()) && raw.bytes().all(|b| b.is_ascii_graphic());
        if ok {
            Ok(Self(raw.to_owned()))
        } else {
            Err(InvalidValue::new("Idempotency-Key", Rule::Format("1 to 255 visible ASCII characters")))
        }
    }

    /// The key.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A request made idempotent: its key, and a fingerprint of what was asked (the same key
/// with another fingerprint is refused).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Idempotency {
    /// The client's key.
    pub key: IdempotencyKey,
    /// A digest of the operation and its input, e.g. SHA-256 of method, path and body.
    pub fingerprint: String,
}

/// What an idempotent request produced, stored atomically with its write so a retry can
/// answer the same.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyRecord {
    /// The tenant.
    pub tenant: TenantKey,
    /// The caller (customer or agent id) the key belongs to.
    pub principal_id: Uuid,
    /// The key.
    pub key: IdempotencyKey,
    /// The fingerprint of the first request.
    pub fingerprint: String,
    /// The ticket it created or replied to.
    pub ticket_id: TicketId,
    /// The message it added, for replies.
    pub message_id: Option<MessageId>,
    /// The ticket's status right after the first request.
    pub status: Status,
    /// When the first request was made; records live 24 hours.
    pub created_at: OffsetDateTime,
}

impl IdempotencyRecord {
    /// How long a key is remembered.
    pub const LIFETIME: time::Duration = time::Duration::hours(24);
}

/// A login: the credentials of a customer or agent account of the service itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Login {
    /// The tenant.
    pub tenant: TenantKey,
    /// The login email, unique in the tenant.
    pub email: Email,
    /// The customer's or agent's id.
    pub principal_id: Uuid,
    /// Their role.
    pub role: Role,
    /// The Argon2id PHC string.
    pub password_hash: String,
}

/// Which categories to list.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CategoryFilter {
    /// Include deactivated categories (staff only).
    pub include_inactive: bool,
    /// Only the children of this category.
    pub parent_id: Option<CategoryId>,
}

/// A category named by id or by slug, as clients may name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CategoryKey {
    /// By UUID.
    Id(CategoryId),
    /// By slug.
    Slug(supportdesk_domain::Slug),
}

impl CategoryKey {
    /// A UUID, else a slug.
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        if let Ok(id) = CategoryId::parse(raw) {
            return Ok(CategoryKey::Id(id));
        }
        supportdesk_domain::Slug::parse(raw)
            .map(CategoryKey::Slug)
            .map_err(|_| InvalidValue::new("category", Rule::Format("a category slug or id")))
    }
}

/// An audit event of a ticket, as the trail lists it.
pub type TicketEvent = AuditEvent;
