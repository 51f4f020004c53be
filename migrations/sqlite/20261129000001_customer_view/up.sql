-- The customer learns nothing staff-only (api-v1.1.md, section 1).
--
-- 1. One unfinished ticket per (tenant, customer, order) and per (tenant, customer,
--    delivery): another customer's ticket for the same order reference neither blocks a
--    customer nor is named to them.
DROP INDEX tickets_one_unfinished_per_order;
DROP INDEX tickets_one_unfinished_per_delivery;
CREATE UNIQUE INDEX tickets_one_unfinished_per_customer_order ON tickets (tenant, customer_id, order_id)
    WHERE status IN ('open', 'in_progress', 'answered') AND order_id IS NOT NULL;
CREATE UNIQUE INDEX tickets_one_unfinished_per_customer_delivery ON tickets (tenant, customer_id, delivery_id)
    WHERE status IN ('open', 'in_progress', 'answered') AND delivery_id IS NOT NULL;

-- 2. The customer's version and times, moved only by changes the customer can see (not by
--    internal notes or tags). Existing tickets start from the staff values, so the ETags and
--    times customers hold stay valid. SQLite adds a NOT NULL column only with a default; the
--    service always writes the value, so the default is never read.
ALTER TABLE tickets ADD COLUMN public_version BIGINT NOT NULL DEFAULT 1 CHECK (public_version >= 1);
ALTER TABLE tickets ADD COLUMN public_updated_at TEXT NOT NULL DEFAULT '1970-01-01 00:00:00';
ALTER TABLE tickets ADD COLUMN public_last_activity_at TEXT NOT NULL DEFAULT '1970-01-01 00:00:00';
ALTER TABLE tickets ADD COLUMN public_last_agent_message_at TEXT;
UPDATE tickets SET
    public_version = version,
    public_updated_at = updated_at,
    public_last_activity_at = last_activity_at,
    public_last_agent_message_at = last_agent_message_at;

-- The customer's own list sorted by `lastActivityAt` (their activity).
CREATE INDEX tickets_customer_public_activity ON tickets (tenant, customer_id, public_last_activity_at, id);
