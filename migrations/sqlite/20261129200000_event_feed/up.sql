-- The events become the outbox and the tenant-wide feed (docs/decisions.md, "The feed
-- position"). SQLite has one writer and `seq` is assigned inside the write transaction,
-- so commit order is seq order: txid stays 0 and the feed is ordered by seq alone.
ALTER TABLE events ADD COLUMN txid INTEGER NOT NULL DEFAULT 0;

-- The format of `data` (the store's own serialised form, docs/storage.md); 1 is the first.
ALTER TABLE events ADD COLUMN format INTEGER NOT NULL DEFAULT 1;

-- The ticket as the event left it, for the public event shape.
ALTER TABLE events ADD COLUMN ticket_number INTEGER NOT NULL DEFAULT 0;
ALTER TABLE events ADD COLUMN ticket_subject TEXT NOT NULL DEFAULT '';
ALTER TABLE events ADD COLUMN ticket_status TEXT NOT NULL DEFAULT 'open';
ALTER TABLE events ADD COLUMN ticket_priority INTEGER NOT NULL DEFAULT 1;
ALTER TABLE events ADD COLUMN ticket_customer_id TEXT NOT NULL DEFAULT '';
ALTER TABLE events ADD COLUMN ticket_assignee_id TEXT;
ALTER TABLE events ADD COLUMN ticket_version INTEGER NOT NULL DEFAULT 0;

-- Older events get the ticket as it is now: the best that can be known.
UPDATE events SET ticket_number = t.number, ticket_subject = t.subject, ticket_status = t.status,
    ticket_priority = t.priority, ticket_customer_id = t.customer_id,
    ticket_assignee_id = t.assignee_id, ticket_version = t.version
FROM tickets t WHERE t.tenant = events.tenant AND t.id = events.ticket_id;

CREATE INDEX events_feed ON events (tenant, txid, seq);
