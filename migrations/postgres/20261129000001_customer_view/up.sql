-- The customer learns nothing staff-only (api-v1.1.md, section 1).
--
-- 1. One unfinished ticket per (tenant, customer, order) and per (tenant, customer,
--    delivery): another customer's ticket for the same order reference neither blocks a
--    customer nor is named to them. Several server processes on one database stay correct:
--    the constraint is the index.
DROP INDEX tickets_one_unfinished_per_order;
DROP INDEX tickets_one_unfinished_per_delivery;
CREATE UNIQUE INDEX tickets_one_unfinished_per_customer_order ON tickets (tenant, customer_id, order_id)
    WHERE status IN ('open', 'in_progress', 'answered') AND order_id IS NOT NULL;
CREATE UNIQUE INDEX tickets_one_unfinished_per_customer_delivery ON tickets (tenant, customer_id, delivery_id)
    WHERE status IN ('open', 'in_progress', 'answered') AND delivery_id IS NOT NULL;

-- 2. The customer's version and times, moved only by changes the customer can see (not by
--    internal notes or tags). Existing tickets start from the staff values, so the ETags and
--    times customers hold stay valid.
ALTER TABLE tickets
    ADD COLUMN public_version BIGINT,
    ADD COLUMN public_updated_at TIMESTAMP,
    ADD COLUMN public_last_activity_at TIMESTAMP,
    ADD COLUMN public_last_agent_message_at TIMESTAMP;
UPDATE tickets SET
    public_version = version,
    public_updated_at = updated_at,
    public_last_activity_at = last_activity_at,
    public_last_agent_message_at = last_agent_message_at;
ALTER TABLE tickets
    ALTER COLUMN public_version SET NOT NULL,
    ALTER COLUMN public_updated_at SET NOT NULL,
    ALTER COLUMN public_last_activity_at SET NOT NULL,
    ADD CONSTRAINT tickets_public_version_check CHECK (public_version >= 1);

-- The customer's own list sorted by `lastActivityAt` (their activity).
CREATE INDEX tickets_customer_public_activity ON tickets (tenant, customer_id, public_last_activity_at, id);
