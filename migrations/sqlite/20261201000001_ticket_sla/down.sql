DROP INDEX tickets_sla_alert;
DROP INDEX tickets_status_sla_breached;
DROP INDEX tickets_sla_breached;
DROP INDEX tickets_status_sla_due;
DROP INDEX tickets_sla_due;
ALTER TABLE tickets DROP COLUMN sla_breached;
ALTER TABLE tickets DROP COLUMN sla_alert_at;
ALTER TABLE tickets DROP COLUMN sla_due_at;
ALTER TABLE tickets DROP COLUMN sla;
