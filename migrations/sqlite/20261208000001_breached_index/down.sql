DROP INDEX tickets_status_sla_breached;
DROP INDEX tickets_sla_breached;
CREATE INDEX tickets_sla_breached ON tickets (tenant, created_at, id) WHERE sla_breached;
CREATE INDEX tickets_status_sla_breached ON tickets (tenant, status, created_at, id) WHERE sla_breached;
