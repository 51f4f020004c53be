-- Webhook endpoints and their deliveries (api-v1.1.md section 2).
CREATE TABLE webhook_endpoints (
    tenant TEXT NOT NULL REFERENCES tenants (key),
    id TEXT NOT NULL,
    url TEXT NOT NULL,
    -- "*" or a comma list of event kinds (created,message_added,...).
    events TEXT NOT NULL,
    active BOOLEAN NOT NULL,
    description TEXT NOT NULL,
    -- Needed in clear to sign; shown once to the admin.
    secret TEXT NOT NULL,
    -- The feed position this endpoint's deliveries have been created up to.
    cursor_txid INTEGER NOT NULL,
    cursor_seq INTEGER NOT NULL,
    failing_since TEXT,
    disabled_at TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (tenant, id)
);

CREATE TABLE webhook_deliveries (
    tenant TEXT NOT NULL,
    id TEXT NOT NULL,
    endpoint_id TEXT NOT NULL,
    event_id TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
    attempts INTEGER NOT NULL,
    response_status INTEGER,
    duration_ms INTEGER,
    error TEXT,
    next_attempt_at TEXT,
    lease_until TEXT,
    created_at TEXT NOT NULL,
    PRIMARY KEY (tenant, id),
    CONSTRAINT webhook_deliveries_once UNIQUE (tenant, endpoint_id, event_id),
    FOREIGN KEY (tenant, endpoint_id) REFERENCES webhook_endpoints (tenant, id) ON DELETE CASCADE
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_log ON webhook_deliveries (tenant, endpoint_id, id);
