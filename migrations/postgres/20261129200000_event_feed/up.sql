-- The events become the outbox and the tenant-wide feed (docs/decisions.md, "The feed
-- position").
--
-- txid: the 64-bit id of the transaction that wrote the event. The feed is ordered by
-- (txid, seq) and only shows events whose txid is below the oldest transaction still in
-- flight (pg_snapshot_xmin), so an event that commits late can never sort before a position
-- a follower has already passed. Events written before this migration keep txid 0.
ALTER TABLE events ADD COLUMN txid BIGINT NOT NULL DEFAULT 0;
ALTER TABLE events ALTER COLUMN txid SET DEFAULT (pg_current_xact_id()::text::bigint);

-- The format of `data` (the store's own serialised form, docs/storage.md); 1 is the first.
ALTER TABLE events ADD COLUMN format SMALLINT NOT NULL DEFAULT 1;

-- The ticket as the event left it, for the public event shape.
ALTER TABLE events ADD COLUMN ticket_number BIGINT NOT NULL DEFAULT 0;
ALTER TABLE events ADD COLUMN ticket_subject TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE events ADD COLUMN ticket_status TEXT COLLATE "C" NOT NULL DEFAULT 'open';
ALTER TABLE events ADD COLUMN ticket_priority SMALLINT NOT NULL DEFAULT 1;
ALTER TABLE events ADD COLUMN ticket_customer_id TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE events ADD COLUMN ticket_assignee_id TEXT COLLATE "C";
ALTER TABLE events ADD COLUMN ticket_version BIGINT NOT NULL DEFAULT 0;

-- Older events get the ticket as it is now: the best that can be known.
UPDATE events SET ticket_number = t.number, ticket_subject = t.subject, ticket_status = t.status,
    ticket_priority = t.priority, ticket_customer_id = t.customer_id,
    ticket_assignee_id = t.assignee_id, ticket_version = t.version
FROM tickets t WHERE t.tenant = events.tenant AND t.id = events.ticket_id;

CREATE INDEX events_feed ON events (tenant, txid, seq);
