-- Tenant events have no ticket to keep them under the old NOT NULL rules: they go.
ALTER TABLE events DROP CONSTRAINT events_subject;
DELETE FROM events WHERE ticket_id IS NULL;
ALTER TABLE events ALTER COLUMN ticket_id SET NOT NULL;
ALTER TABLE events ALTER COLUMN ticket_number SET DEFAULT 0, ALTER COLUMN ticket_number SET NOT NULL;
ALTER TABLE events ALTER COLUMN ticket_subject SET DEFAULT '', ALTER COLUMN ticket_subject SET NOT NULL;
ALTER TABLE events ALTER COLUMN ticket_status SET DEFAULT 'open', ALTER COLUMN ticket_status SET NOT NULL;
ALTER TABLE events ALTER COLUMN ticket_priority SET DEFAULT 1, ALTER COLUMN ticket_priority SET NOT NULL;
ALTER TABLE events ALTER COLUMN ticket_customer_id SET DEFAULT '', ALTER COLUMN ticket_customer_id SET NOT NULL;
ALTER TABLE events ALTER COLUMN ticket_version SET DEFAULT 0, ALTER COLUMN ticket_version SET NOT NULL;
