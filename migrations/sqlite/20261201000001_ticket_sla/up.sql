-- Each ticket's SLA (api-v1.1.md section 3, docs/workflow.md). `sla` is the policy and
-- its clocks as the store writes them (NULL: no policy applies); the other columns are
-- derived from it in the same write, for the queue and for breach detection:
-- - sla_due_at: the soonest due time of a running clock, or 9999-12-31 when none runs, so
--   an ascending walk of tickets_sla_due lists tickets without one last on both backends;
-- - sla_alert_at: the soonest due time of a running clock not yet reported as breached;
-- - sla_breached: whether any clock's breach was recorded.
ALTER TABLE tickets ADD COLUMN sla TEXT;
ALTER TABLE tickets ADD COLUMN sla_due_at TIMESTAMP NOT NULL DEFAULT '9999-12-31 00:00:00';
ALTER TABLE tickets ADD COLUMN sla_alert_at TIMESTAMP;
ALTER TABLE tickets ADD COLUMN sla_breached BOOLEAN NOT NULL DEFAULT FALSE;

-- sort=dueAt and dueBefore, alone and within a status queue.
CREATE INDEX tickets_sla_due ON tickets (tenant, sla_due_at, id);
CREATE INDEX tickets_status_sla_due ON tickets (tenant, status, sla_due_at, id);
-- slaBreached=true in the default order (newest first), alone and within a status queue
-- (partial: only breached tickets are in them).
CREATE INDEX tickets_sla_breached ON tickets (tenant, created_at, id) WHERE sla_breached;
CREATE INDEX tickets_status_sla_breached ON tickets (tenant, status, created_at, id) WHERE sla_breached;
-- Breach detection, across tenants.
CREATE INDEX tickets_sla_alert ON tickets (sla_alert_at) WHERE sla_alert_at IS NOT NULL;
