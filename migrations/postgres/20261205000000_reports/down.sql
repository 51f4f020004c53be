DROP INDEX tickets_report_reopened;
DROP INDEX tickets_report_resolved;
DROP INDEX tickets_report_created;
ALTER TABLE tickets DROP COLUMN sla_met;
ALTER TABLE tickets DROP COLUMN reopen_count;
ALTER TABLE tickets DROP COLUMN reopened_at;
ALTER TABLE tickets DROP COLUMN resolution_at;
ALTER TABLE tickets DROP COLUMN resolution_minutes;
ALTER TABLE tickets DROP COLUMN first_response_minutes;
