-- `sort=updatedAt` and `updatedSince` (issue 14's export): the tenant's tickets in the order
-- they last changed, walked from an index instead of sorted.
CREATE INDEX tickets_updated ON tickets (tenant, updated_at, id);
-- A delivery's tickets (`deliveryId`), as `tickets_order` serves `orderId`.
CREATE INDEX tickets_delivery ON tickets (tenant, delivery_id) WHERE delivery_id IS NOT NULL;
