-- Reports (api-v1.1.md section 3, docs/storage.md "Reports"): what each ticket's history
-- measured, written by the same transaction as the change that fixed it, so a 30-day summary
-- reads one covering index range per kind of fact instead of replaying events.
-- - first_response_minutes: working minutes from opening to the first public agent reply;
-- - resolution_minutes: working minutes from opening to the current resolution;
-- - resolution_at: when the current resolution happened (resolved_at, or closed_at for a
--   ticket closed without being resolved); NULL while unfinished;
-- - reopened_at, reopen_count: the latest reopening and how many there were;
-- - sla_met: NULL without an SLA policy, else whether no clock breached.
ALTER TABLE tickets ADD COLUMN first_response_minutes BIGINT;
ALTER TABLE tickets ADD COLUMN resolution_minutes BIGINT;
ALTER TABLE tickets ADD COLUMN resolution_at TEXT;
ALTER TABLE tickets ADD COLUMN reopened_at TEXT;
ALTER TABLE tickets ADD COLUMN reopen_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tickets ADD COLUMN sla_met BOOLEAN;
-- Tickets written before this migration: wall-clock minutes (business hours are not known
-- to SQL), no reopenings.
UPDATE tickets SET
    first_response_minutes = CASE WHEN first_responded_at IS NOT NULL
        THEN CAST(ROUND((julianday(first_responded_at) - julianday(created_at)) * 86400) AS INTEGER) / 60 END,
    resolution_at = CASE WHEN status IN ('resolved', 'closed') THEN COALESCE(resolved_at, closed_at) END,
    sla_met = CASE WHEN sla IS NOT NULL THEN NOT sla_breached END;
UPDATE tickets SET resolution_minutes =
    CAST(ROUND((julianday(resolution_at) - julianday(created_at)) * 86400) AS INTEGER) / 60
    WHERE resolution_at IS NOT NULL;
CREATE INDEX tickets_report_created
    ON tickets (tenant, created_at, first_response_minutes, assignee_id, category_id, priority);
CREATE INDEX tickets_report_resolved
    ON tickets (tenant, resolution_at, resolution_minutes, sla_met, satisfaction_rating, assignee_id, category_id, priority)
    WHERE resolution_at IS NOT NULL;
CREATE INDEX tickets_report_reopened
    ON tickets (tenant, reopened_at, assignee_id, category_id, priority)
    WHERE reopened_at IS NOT NULL;
