-- Email notifications: per-tenant settings and templates, and the mail outbox fed from
-- the event feed (api-v1.1.md section 2).
CREATE TABLE notification_settings (
    tenant TEXT COLLATE "C" PRIMARY KEY REFERENCES tenants (key),
    -- Comma list of enabled kinds.
    enabled TEXT COLLATE "C" NOT NULL,
    tenant_address TEXT
);

CREATE TABLE notification_templates (
    tenant TEXT COLLATE "C" NOT NULL REFERENCES tenants (key),
    kind TEXT COLLATE "C" NOT NULL
        CHECK (kind IN ('ticket_created', 'agent_reply', 'ticket_resolved', 'customer_reply', 'new_ticket')),
    subject TEXT NOT NULL,
    text_body TEXT NOT NULL,
    html_body TEXT NOT NULL,
    PRIMARY KEY (tenant, kind)
);

-- The feed position each tenant's mail has been queued up to.
CREATE TABLE mail_positions (
    tenant TEXT COLLATE "C" PRIMARY KEY,
    cursor_txid BIGINT NOT NULL,
    cursor_seq BIGINT NOT NULL
);

CREATE TABLE mail_deliveries (
    tenant TEXT COLLATE "C" NOT NULL,
    id TEXT COLLATE "C" NOT NULL,
    event_id TEXT COLLATE "C" NOT NULL,
    status TEXT COLLATE "C" NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
    attempts INTEGER NOT NULL,
    error TEXT,
    next_attempt_at TIMESTAMP,
    lease_until TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (tenant, id),
    CONSTRAINT mail_deliveries_once UNIQUE (tenant, event_id)
);
CREATE INDEX mail_deliveries_due ON mail_deliveries (next_attempt_at) WHERE status = 'pending';
