-- Events that belong to no ticket (`webhook.disabled`) join the outbox and the feed: their
-- ticket and the ticket's snapshot are NULL. SQLite cannot drop NOT NULL in place, so the
-- table is rebuilt with the same rows, positions (seq) and indexes.
CREATE TABLE events_new (
    seq INTEGER PRIMARY KEY,
    tenant TEXT NOT NULL,
    id TEXT NOT NULL,
    ticket_id TEXT,
    actor_type TEXT NOT NULL CHECK (actor_type IN ('customer', 'agent', 'system')),
    actor_id TEXT NOT NULL,
    actor_name TEXT NOT NULL,
    actor_image_url TEXT,
    kind TEXT NOT NULL,
    data TEXT NOT NULL,
    created_at TEXT NOT NULL,
    txid INTEGER NOT NULL DEFAULT 0,
    format INTEGER NOT NULL DEFAULT 1,
    ticket_number INTEGER,
    ticket_subject TEXT,
    ticket_status TEXT,
    ticket_priority INTEGER,
    ticket_customer_id TEXT,
    ticket_assignee_id TEXT,
    ticket_version INTEGER,
    CONSTRAINT events_id_key UNIQUE (tenant, id),
    -- A ticket event carries its ticket and snapshot; a tenant event neither.
    CONSTRAINT events_subject CHECK (
        (ticket_id IS NULL AND ticket_number IS NULL AND ticket_version IS NULL)
        OR (ticket_id IS NOT NULL AND ticket_number IS NOT NULL AND ticket_subject IS NOT NULL
            AND ticket_status IS NOT NULL AND ticket_priority IS NOT NULL
            AND ticket_customer_id IS NOT NULL AND ticket_version IS NOT NULL)
    ),
    FOREIGN KEY (tenant, ticket_id) REFERENCES tickets (tenant, id) DEFERRABLE INITIALLY DEFERRED
);
INSERT INTO events_new (seq, tenant, id, ticket_id, actor_type, actor_id, actor_name, actor_image_url, kind, data,
    created_at, txid, format, ticket_number, ticket_subject, ticket_status, ticket_priority, ticket_customer_id,
    ticket_assignee_id, ticket_version)
SELECT seq, tenant, id, ticket_id, actor_type, actor_id, actor_name, actor_image_url, kind, data,
    created_at, txid, format, ticket_number, ticket_subject, ticket_status, ticket_priority, ticket_customer_id,
    ticket_assignee_id, ticket_version
FROM events;
DROP TABLE events;
ALTER TABLE events_new RENAME TO events;
CREATE INDEX events_ticket ON events (tenant, ticket_id, seq);
CREATE INDEX events_feed ON events (tenant, txid, seq);
