DROP INDEX tickets_resolved;
DROP TABLE jobs;
ALTER TABLE tenants DROP COLUMN auto_close_resolved_after_days;
