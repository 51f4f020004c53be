-- Email notifications: per-tenant settings and templates, and the mail outbox fed from
-- the event feed (api-v1.1.md section 2).
CREATE TABLE notification_settings (
    tenant TEXT PRIMARY KEY REFERENCES tenants (key),
    -- Comma list of enabled kinds.
    enabled TEXT NOT NULL,
    tenant_address TEXT
);

CREATE TABLE notification_templates (
    tenant TEXT NOT NULL REFERENCES tenants (key),
    kind TEXT NOT NULL
        CHECK (kind IN ('ticket_created', 'agent_reply', 'ticket_resolved', 'customer_reply', 'new_ticket')),
    subject TEXT NOT NULL,
    text_body TEXT NOT NULL,
    html_body TEXT NOT NULL,
    PRIMARY KEY (tenant, kind)
);

-- The feed position each tenant's mail has been queued up to.
CREATE TABLE mail_positions (
    tenant TEXT PRIMARY KEY,
    cursor_txid INTEGER NOT NULL,
    cursor_seq INTEGER NOT NULL
);

CREATE TABLE mail_deliveries (
    tenant TEXT NOT NULL,
    id TEXT NOT NULL,
    event_id TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
    attempts INTEGER NOT NULL,
    error TEXT,
    next_attempt_at TEXT,
    lease_until TEXT,
    created_at TEXT NOT NULL,
    PRIMARY KEY (tenant, id),
    CONSTRAINT mail_deliveries_once UNIQUE (tenant, event_id)
);
CREATE INDEX mail_deliveries_due ON mail_deliveries (next_attempt_at) WHERE status = 'pending';
