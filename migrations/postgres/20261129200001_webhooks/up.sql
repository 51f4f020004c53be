-- Webhook endpoints and their deliveries (api-v1.1.md section 2).
CREATE TABLE webhook_endpoints (
    tenant TEXT COLLATE "C" NOT NULL REFERENCES tenants (key),
    id TEXT COLLATE "C" NOT NULL,
    url TEXT NOT NULL,
    -- "*" or a comma list of event kinds (created,message_added,...).
    events TEXT COLLATE "C" NOT NULL,
    active BOOLEAN NOT NULL,
    description TEXT NOT NULL,
    -- Needed in clear to sign; shown once to the admin.
    secret TEXT COLLATE "C" NOT NULL,
    -- The feed position this endpoint's deliveries have been created up to.
    cursor_txid BIGINT NOT NULL,
    cursor_seq BIGINT NOT NULL,
    failing_since TIMESTAMP,
    disabled_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (tenant, id)
);

CREATE TABLE webhook_deliveries (
    tenant TEXT COLLATE "C" NOT NULL,
    id TEXT COLLATE "C" NOT NULL,
    endpoint_id TEXT COLLATE "C" NOT NULL,
    event_id TEXT COLLATE "C" NOT NULL,
    status TEXT COLLATE "C" NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
    attempts INTEGER NOT NULL,
    response_status INTEGER,
    duration_ms BIGINT,
    error TEXT,
    next_attempt_at TIMESTAMP,
    lease_until TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (tenant, id),
    CONSTRAINT webhook_deliveries_once UNIQUE (tenant, endpoint_id, event_id),
    FOREIGN KEY (tenant, endpoint_id) REFERENCES webhook_endpoints (tenant, id) ON DELETE CASCADE
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_log ON webhook_deliveries (tenant, endpoint_id, id);
