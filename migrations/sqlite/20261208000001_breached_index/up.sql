-- Breached queues (`GET /admin/tickets?slaBreached=true`) on SQLite.
--
-- The partial indexes `... WHERE sla_breached` of 20261201000001_ticket_sla hold only the
-- breached tickets, but without statistics every index that starts with `tenant` looks
-- alike to SQLite's planner (and a sampled ANALYZE, `analysis_limit`, estimates them all
-- alike too), so the queue's count walked every ticket of the tenant through another index
-- and read each row for its flag: 5 ms at 10,000 tickets in `make bench`. With the flag as
-- an index column after `tenant`, the filter `sla_breached = TRUE` is a second equality,
-- and the planner picks these indexes by their shape alone; both stay covering for the
-- count and ordered for the queue's default sort. PostgreSQL keeps its partial indexes:
-- it folds `= TRUE` into the bare column and proves their predicate.
DROP INDEX tickets_sla_breached;
DROP INDEX tickets_status_sla_breached;
CREATE INDEX tickets_sla_breached ON tickets (tenant, sla_breached, created_at, id);
CREATE INDEX tickets_status_sla_breached ON tickets (tenant, status, sla_breached, created_at, id);
