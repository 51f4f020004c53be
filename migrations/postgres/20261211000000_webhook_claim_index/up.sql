-- The webhook worker's claim looked up each active endpoint's deliveries through
-- `webhook_deliveries_log` and filtered the pending ones: every claim read the endpoint's
-- whole delivery log (and its dead row versions), 40 to 130 ms at a few thousand
-- deliveries, which capped the worker near 500 deliveries a second. This index holds only
-- the pending deliveries of each endpoint, in the order they are due.
CREATE INDEX webhook_deliveries_pending ON webhook_deliveries (tenant, endpoint_id, next_attempt_at)
    WHERE status = 'pending';

-- A queue table: every delivery is updated twice (its lease, its outcome). Vacuum it after
-- a thousand dead rows rather than after a fifth of the table.
ALTER TABLE webhook_deliveries SET (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 1000);
