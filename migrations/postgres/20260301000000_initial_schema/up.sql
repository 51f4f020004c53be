-- supportdesk schema, PostgreSQL dialect. migrations/sqlite/ holds the same schema for SQLite.
--
-- Conventions (docs/storage.md explains each):
-- * Every table carries the tenant key, and every key and index starts with it.
-- * Ids are UUIDs as lowercase hyphenated TEXT (portable through Diesel's MultiConnection).
-- * Timestamps are TIMESTAMP (without time zone) holding UTC, to the microsecond.
-- * Enums are TEXT with a CHECK; priority is its rank 0..3 so it sorts in index order.
-- * Every text column uses the "C" collation: byte order, the same as SQLite and as Rust's
--   String ordering, whatever the database's default locale.

CREATE TABLE tenants (
    key TEXT COLLATE "C" PRIMARY KEY,
    -- The last ticket number handed out; bumped as the last statement before the ticket
    -- insert, so its row lock is held as briefly as possible.
    last_number BIGINT NOT NULL DEFAULT 0 CHECK (last_number >= 0),
    allow_customer_close BOOLEAN NOT NULL DEFAULT TRUE,
    reopen_closed_on_customer_reply BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE categories (
    tenant TEXT COLLATE "C" NOT NULL,
    id TEXT COLLATE "C" NOT NULL,
    slug TEXT COLLATE "C" NOT NULL,
    name TEXT COLLATE "C" NOT NULL,
    parent_id TEXT COLLATE "C",
    active BOOLEAN NOT NULL,
    position INTEGER NOT NULL,
    PRIMARY KEY (tenant, id),
    CONSTRAINT categories_slug_key UNIQUE (tenant, slug)
);
CREATE INDEX categories_position ON categories (tenant, position, name);
CREATE INDEX categories_parent ON categories (tenant, parent_id);

CREATE TABLE customers (
    tenant TEXT COLLATE "C" NOT NULL,
    id TEXT COLLATE "C" NOT NULL,
    name TEXT COLLATE "C" NOT NULL,
    email TEXT COLLATE "C",
    image_url TEXT COLLATE "C",
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (tenant, id)
);

CREATE TABLE agents (
    tenant TEXT COLLATE "C" NOT NULL,
    id TEXT COLLATE "C" NOT NULL,
    email TEXT COLLATE "C" NOT NULL,
    name TEXT COLLATE "C" NOT NULL,
    role TEXT COLLATE "C" NOT NULL CHECK (role IN ('agent', 'admin')),
    -- Comma-separated permission names, e.g. 'tickets:read,tickets:reply'.
    permissions TEXT COLLATE "C" NOT NULL,
    active BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (tenant, id)
);
CREATE INDEX agents_name ON agents (tenant, name, id);

-- One row per login email of a tenant, whoever it belongs to (customer or agent).
CREATE TABLE logins (
    tenant TEXT COLLATE "C" NOT NULL,
    email TEXT COLLATE "C" NOT NULL,
    principal_id TEXT COLLATE "C" NOT NULL,
    role TEXT COLLATE "C" NOT NULL CHECK (role IN ('customer', 'agent', 'admin')),
    password_hash TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (tenant, email)
);
CREATE INDEX logins_principal ON logins (tenant, principal_id);

CREATE TABLE tickets (
    tenant TEXT COLLATE "C" NOT NULL,
    id TEXT COLLATE "C" NOT NULL,
    number BIGINT NOT NULL CHECK (number >= 1),
    customer_id TEXT COLLATE "C" NOT NULL,
    category_id TEXT COLLATE "C" NOT NULL,
    subject TEXT COLLATE "C" NOT NULL,
    -- The subject lower-cased by the service (Unicode-aware, unlike SQLite's lower()), for `q`.
    subject_search TEXT COLLATE "C" NOT NULL,
    status TEXT COLLATE "C" NOT NULL
        CHECK (status IN ('open', 'in_progress', 'answered', 'resolved', 'closed')),
    priority SMALLINT NOT NULL CHECK (priority BETWEEN 0 AND 3),
    source TEXT COLLATE "C" NOT NULL
        CHECK (source IN ('api', 'customer_portal', 'storefront', 'email', 'phone', 'chat')),
    order_id TEXT COLLATE "C",
    delivery_id TEXT COLLATE "C",
    assignee_id TEXT COLLATE "C",
    -- Comma-separated tags in their order, for reading; ticket_tags is for filtering.
    tags TEXT COLLATE "C" NOT NULL DEFAULT '',
    resolution_note TEXT COLLATE "C",
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    last_activity_at TIMESTAMP NOT NULL,
    last_customer_message_at TIMESTAMP,
    last_agent_message_at TIMESTAMP,
    first_responded_at TIMESTAMP,
    resolved_at TIMESTAMP,
    closed_at TIMESTAMP,
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
    tenant TEXT COLLATE "C" NOT NULL,
    ticket_id TEXT COLLATE "C" NOT NULL,
    tag TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (tenant, ticket_id, tag),
    FOREIGN KEY (tenant, ticket_id) REFERENCES tickets (tenant, id) DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX ticket_tags_tag ON ticket_tags (tenant, tag, ticket_id);

-- seq keeps insertion order, so a thread reads back in the order it was written even when
-- two messages share a timestamp.
CREATE TABLE messages (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant TEXT COLLATE "C" NOT NULL,
    id TEXT COLLATE "C" NOT NULL,
    ticket_id TEXT COLLATE "C" NOT NULL,
    author_type TEXT COLLATE "C" NOT NULL CHECK (author_type IN ('customer', 'agent', 'system')),
    author_id TEXT COLLATE "C" NOT NULL,
    author_name TEXT COLLATE "C" NOT NULL,
    author_image_url TEXT COLLATE "C",
    body TEXT COLLATE "C" NOT NULL,
    internal BOOLEAN NOT NULL,
    -- JSON array of {fileName, url, contentType, sizeBytes}.
    attachments TEXT COLLATE "C" NOT NULL,
    created_at TIMESTAMP NOT NULL,
    CONSTRAINT messages_id_key UNIQUE (tenant, id),
    -- Deferred: a ticket's first message is written before the ticket row, so the ticket
    -- insert (and the counter bump before it) come last in the transaction.
    FOREIGN KEY (tenant, ticket_id) REFERENCES tickets (tenant, id) DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX messages_ticket ON messages (tenant, ticket_id, seq);

CREATE TABLE events (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant TEXT COLLATE "C" NOT NULL,
    id TEXT COLLATE "C" NOT NULL,
    ticket_id TEXT COLLATE "C" NOT NULL,
    actor_type TEXT COLLATE "C" NOT NULL CHECK (actor_type IN ('customer', 'agent', 'system')),
    actor_id TEXT COLLATE "C" NOT NULL,
    actor_name TEXT COLLATE "C" NOT NULL,
    actor_image_url TEXT COLLATE "C",
    kind TEXT COLLATE "C" NOT NULL,
    -- JSON {"type": kind, "data": {...}} as the API shows it.
    data TEXT COLLATE "C" NOT NULL,
    created_at TIMESTAMP NOT NULL,
    CONSTRAINT events_id_key UNIQUE (tenant, id),
    FOREIGN KEY (tenant, ticket_id) REFERENCES tickets (tenant, id) DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX events_ticket ON events (tenant, ticket_id, seq);

CREATE TABLE idempotency_keys (
    tenant TEXT COLLATE "C" NOT NULL,
    principal_id TEXT COLLATE "C" NOT NULL,
    key TEXT COLLATE "C" NOT NULL,
    fingerprint TEXT COLLATE "C" NOT NULL,
    ticket_id TEXT COLLATE "C" NOT NULL,
    message_id TEXT COLLATE "C",
    status TEXT COLLATE "C" NOT NULL
        CHECK (status IN ('open', 'in_progress', 'answered', 'resolved', 'closed')),
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (tenant, principal_id, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

-- The `q` filter matches a substring of the lower-cased subject (LIKE '%text%'), which no
-- B-tree can serve. A trigram index can (20 ms instead of seconds at 1,000,000 tickets);
-- it needs the pg_trgm extension (in contrib, "trusted" since PostgreSQL 13). Where the
-- extension is unavailable or not permitted, the schema is complete without the index and
-- `q` scans instead, as on SQLite.
DO $$
BEGIN
    CREATE EXTENSION IF NOT EXISTS pg_trgm;
    CREATE INDEX tickets_subject_trgm ON tickets USING gin (subject_search gin_trgm_ops);
EXCEPTION WHEN insufficient_privilege OR undefined_file OR undefined_object OR feature_not_supported THEN
    RAISE NOTICE 'pg_trgm is unavailable (%): the q filter will scan instead of using an index', SQLERRM;
END
$$;
