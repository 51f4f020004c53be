-- supportdesk schema, SQLite dialect. migrations/postgres/ holds the same schema for
-- PostgreSQL; keep the two in step (the same tables, columns, constraints and indexes).
--
-- Conventions (docs/storage.md explains each):
-- * Every table carries the tenant key, and every key and index starts with it.
-- * Ids are UUIDs as lowercase hyphenated TEXT.
-- * Timestamps are TEXT as Diesel writes them ('YYYY-MM-DD HH:MM:SS.ffffff', UTC): the
--   integral part is fixed-width and the fraction has no trailing zeros, so text order is
--   time order and an index on them serves ORDER BY.
-- * Enums are TEXT with a CHECK; priority is its rank 0..3 so it sorts in index order.
-- * Booleans are 0/1 integers, as Diesel reads and writes them.
-- * Text compares with the default BINARY collation: byte order, as PostgreSQL's "C".

CREATE TABLE tenants (
    key TEXT PRIMARY KEY,
    -- The last ticket number handed out; bumped as the last statement before the ticket
    -- insert, so its row lock is held as briefly as possible.
    last_number BIGINT NOT NULL DEFAULT 0 CHECK (last_number >= 0),
    allow_customer_close BOOLEAN NOT NULL DEFAULT 1 CHECK (allow_customer_close IN (0, 1)),
    reopen_closed_on_customer_reply BOOLEAN NOT NULL DEFAULT 0 CHECK (reopen_closed_on_customer_reply IN (0, 1)),
    created_at TEXT NOT NULL
);

CREATE TABLE categories (
    tenant TEXT NOT NULL,
    id TEXT NOT NULL,
    slug TEXT NOT NULL,
    name TEXT NOT NULL,
    parent_id TEXT,
    active BOOLEAN NOT NULL,
    position INTEGER NOT NULL,
    PRIMARY KEY (tenant, id),
    CONSTRAINT categories_slug_key UNIQUE (tenant, slug)
);
CREATE INDEX categories_position ON categories (tenant, position, name);
CREATE INDEX categories_parent ON categories (tenant, parent_id);

CREATE TABLE customers (
    tenant TEXT NOT NULL,
    id TEXT NOT NULL,
    name TEXT NOT NULL,
    email TEXT,
    image_url TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (tenant, id)
);

CREATE TABLE agents (
    tenant TEXT NOT NULL,
    id TEXT NOT NULL,
    email TEXT NOT NULL,
    name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('agent', 'admin')),
    -- Comma-separated permission names, e.g. 'tickets:read,tickets:reply'.
    permissions TEXT NOT NULL,
    active BOOLEAN NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (tenant, id)
);
CREATE INDEX agents_name ON agents (tenant, name, id);

-- One row per login email of a tenant, whoever it belongs to (customer or agent).
CREATE TABLE logins (
    tenant TEXT NOT NULL,
    email TEXT NOT NULL,
    principal_id TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('customer', 'agent', 'admin')),
    password_hash TEXT NOT NULL,
    PRIMARY KEY (tenant, email)
);
CREATE INDEX logins_principal ON logins (tenant, principal_id);

CREATE TABLE tickets (
    tenant TEXT NOT NULL,
    id TEXT NOT NULL,
    number BIGINT NOT NULL CHECK (number >= 1),
    customer_id TEXT NOT NULL,
    category_id TEXT NOT NULL,
    subject TEXT NOT NULL,
    -- The subject lower-cased by the service (Unicode-aware, unlike SQLite's lower()), for `q`.
    subject_search TEXT NOT NULL,
    status TEXT NOT NULL
        CHECK (status IN ('open', 'in_progress', 'answered', 'resolved', 'closed')),
    priority SMALLINT NOT NULL CHECK (priority BETWEEN 0 AND 3),
    source TEXT NOT NULL
        CHECK (source IN ('api', 'customer_portal', 'storefront', 'email', 'phone', 'chat')),
    order_id TEXT,
    delivery_id TEXT,
    assignee_id TEXT,
    -- Comma-separated tags in their order, for reading; ticket_tags is for filtering.
    tags TEXT NOT NULL DEFAULT '',
    resolution_note TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    last_activity_at TEXT NOT NULL,
    last_customer_message_at TEXT,
    last_agent_message_at TEXT,
    first_responded_at TEXT,
    resolved_at TEXT,
    closed_at TEXT,
    version BIGINT NOT NULL CHECK (version >= 1),
    PRIMARY KEY (tenant, id),
    CONSTRAINT tickets_number_key UNIQUE (tenant, number)
);

-- The invariants: at most one unfinished ticket per order and per delivery of a tenant.
CREATE UNIQUE INDEX tickets_one_unfinished_per_order ON tickets (tenant, order_id)
    WHERE status IN ('open', 'in_progress', 'answered') AND order_id IS NOT NULL;
CREATE UNIQUE INDEX tickets_one_unfinished_per_delivery ON tickets (tenant, delivery_id)
    WHERE status IN ('open', 'in_progress', 'answered') AND delivery_id IS NOT NULL;

-- One index per filter and sort of the queue and the customer list (docs/storage.md).
-- The trailing id makes each serve "ORDER BY x, id" (the tie-break) without a sort.
CREATE INDEX tickets_created ON tickets (tenant, created_at, id);
CREATE INDEX tickets_status_created ON tickets (tenant, status, created_at, id);
CREATE INDEX tickets_activity ON tickets (tenant, last_activity_at, id);
CREATE INDEX tickets_status_activity ON tickets (tenant, status, last_activity_at, id);
CREATE INDEX tickets_priority ON tickets (tenant, priority, id);
CREATE INDEX tickets_status_priority ON tickets (tenant, status, priority, id);
CREATE INDEX tickets_customer_created ON tickets (tenant, customer_id, created_at, id);
CREATE INDEX tickets_category_created ON tickets (tenant, category_id, created_at, id);
CREATE INDEX tickets_assignee_created ON tickets (tenant, assignee_id, created_at, id);
CREATE INDEX tickets_source_created ON tickets (tenant, source, created_at, id);
CREATE INDEX tickets_order ON tickets (tenant, order_id);

CREATE TABLE ticket_tags (
    tenant TEXT NOT NULL,
    ticket_id TEXT NOT NULL,
    tag TEXT NOT NULL,
    PRIMARY KEY (tenant, ticket_id, tag),
    FOREIGN KEY (tenant, ticket_id) REFERENCES tickets (tenant, id) DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX ticket_tags_tag ON ticket_tags (tenant, tag, ticket_id);

-- seq (the rowid) keeps insertion order, so a thread reads back in the order it was
-- written even when two messages share a timestamp.
CREATE TABLE messages (
    seq INTEGER PRIMARY KEY,
    tenant TEXT NOT NULL,
    id TEXT NOT NULL,
    ticket_id TEXT NOT NULL,
    author_type TEXT NOT NULL CHECK (author_type IN ('customer', 'agent', 'system')),
    author_id TEXT NOT NULL,
    author_name TEXT NOT NULL,
    author_image_url TEXT,
    body TEXT NOT NULL,
    internal BOOLEAN NOT NULL,
    -- JSON array of {fileName, url, contentType, sizeBytes}.
    attachments TEXT NOT NULL,
    created_at TEXT NOT NULL,
    CONSTRAINT messages_id_key UNIQUE (tenant, id),
    -- Deferred: a ticket's first message is written before the ticket row, so the ticket
    -- insert (and the counter bump before it) come last in the transaction.
    FOREIGN KEY (tenant, ticket_id) REFERENCES tickets (tenant, id) DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX messages_ticket ON messages (tenant, ticket_id, seq);

CREATE TABLE events (
    seq INTEGER PRIMARY KEY,
    tenant TEXT NOT NULL,
    id TEXT NOT NULL,
    ticket_id TEXT NOT NULL,
    actor_type TEXT NOT NULL CHECK (actor_type IN ('customer', 'agent', 'system')),
    actor_id TEXT NOT NULL,
    actor_name TEXT NOT NULL,
    actor_image_url TEXT,
    kind TEXT NOT NULL,
    -- JSON {"type": kind, "data": {...}} as the API shows it.
    data TEXT NOT NULL,
    created_at TEXT NOT NULL,
    CONSTRAINT events_id_key UNIQUE (tenant, id),
    FOREIGN KEY (tenant, ticket_id) REFERENCES tickets (tenant, id) DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX events_ticket ON events (tenant, ticket_id, seq);

CREATE TABLE idempotency_keys (
    tenant TEXT NOT NULL,
    principal_id TEXT NOT NULL,
    key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    ticket_id TEXT NOT NULL,
    message_id TEXT,
    status TEXT NOT NULL
        CHECK (status IN ('open', 'in_progress', 'answered', 'resolved', 'closed')),
    created_at TEXT NOT NULL,
    PRIMARY KEY (tenant, principal_id, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
