-- Events that belong to no ticket (`webhook.disabled`) join the outbox and the feed: their
-- ticket and the ticket's snapshot are NULL.
ALTER TABLE events ALTER COLUMN ticket_id DROP NOT NULL;
ALTER TABLE events ALTER COLUMN ticket_number DROP NOT NULL, ALTER COLUMN ticket_number DROP DEFAULT;
ALTER TABLE events ALTER COLUMN ticket_subject DROP NOT NULL, ALTER COLUMN ticket_subject DROP DEFAULT;
ALTER TABLE events ALTER COLUMN ticket_status DROP NOT NULL, ALTER COLUMN ticket_status DROP DEFAULT;
ALTER TABLE events ALTER COLUMN ticket_priority DROP NOT NULL, ALTER COLUMN ticket_priority DROP DEFAULT;
ALTER TABLE events ALTER COLUMN ticket_customer_id DROP NOT NULL, ALTER COLUMN ticket_customer_id DROP DEFAULT;
ALTER TABLE events ALTER COLUMN ticket_version DROP NOT NULL, ALTER COLUMN ticket_version DROP DEFAULT;
-- A ticket event carries its ticket and snapshot; a tenant event neither.
ALTER TABLE events ADD CONSTRAINT events_subject CHECK (
    (ticket_id IS NULL AND ticket_number IS NULL AND ticket_version IS NULL)
    OR (ticket_id IS NOT NULL AND ticket_number IS NOT NULL AND ticket_subject IS NOT NULL
        AND ticket_status IS NOT NULL AND ticket_priority IS NOT NULL
        AND ticket_customer_id IS NOT NULL AND ticket_version IS NOT NULL)
);
