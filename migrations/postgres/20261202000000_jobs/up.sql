-- Timed work (api-v1.1.md section 3, "Automation"): the tenant setting that closes resolved
-- tickets, and the job table the runner leases jobs from.
ALTER TABLE tenants ADD COLUMN auto_close_resolved_after_days INTEGER NOT NULL DEFAULT 0
    CHECK (auto_close_resolved_after_days BETWEEN 0 AND 365);

-- One row per job name: when it is due next, and who holds it until when. A claim takes a
-- due row whose lease is free or ran out (FOR UPDATE SKIP LOCKED).
CREATE TABLE jobs (
    name TEXT COLLATE "C" PRIMARY KEY,
    next_run_at TIMESTAMP NOT NULL,
    lease_owner TEXT,
    lease_until TIMESTAMP,
    last_error TEXT
);

-- The auto-close job's scan: a tenant's resolved tickets, oldest resolution first.
CREATE INDEX tickets_resolved ON tickets (tenant, resolved_at) WHERE status = 'resolved';
