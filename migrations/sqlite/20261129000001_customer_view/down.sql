-- Fails when a customer-scoped order or delivery now has several unfinished tickets of
-- different customers: resolve those first.
DROP INDEX tickets_customer_public_activity;
ALTER TABLE tickets DROP COLUMN public_last_agent_message_at;
ALTER TABLE tickets DROP COLUMN public_last_activity_at;
ALTER TABLE tickets DROP COLUMN public_updated_at;
ALTER TABLE tickets DROP COLUMN public_version;
DROP INDEX tickets_one_unfinished_per_customer_order;
DROP INDEX tickets_one_unfinished_per_customer_delivery;
CREATE UNIQUE INDEX tickets_one_unfinished_per_order ON tickets (tenant, order_id)
    WHERE status IN ('open', 'in_progress', 'answered') AND order_id IS NOT NULL;
CREATE UNIQUE INDEX tickets_one_unfinished_per_delivery ON tickets (tenant, delivery_id)
    WHERE status IN ('open', 'in_progress', 'answered') AND delivery_id IS NOT NULL;
