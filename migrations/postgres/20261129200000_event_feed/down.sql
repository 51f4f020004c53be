DROP INDEX events_feed;
ALTER TABLE events DROP COLUMN ticket_version, DROP COLUMN ticket_assignee_id,
    DROP COLUMN ticket_customer_id, DROP COLUMN ticket_priority, DROP COLUMN ticket_status,
    DROP COLUMN ticket_subject, DROP COLUMN ticket_number, DROP COLUMN format, DROP COLUMN txid;
