-- Macros (api-v1.1.md section 3): a tenant's canned replies with actions.
CREATE TABLE macros (
    tenant TEXT COLLATE "C" NOT NULL REFERENCES tenants (key),
    id TEXT COLLATE "C" NOT NULL,
    name TEXT NOT NULL,
    body TEXT NOT NULL,
    internal BOOLEAN NOT NULL,
    status TEXT COLLATE "C" CHECK (status IN ('open', 'in_progress', 'resolved', 'closed')),
    -- The priority's rank 0..3, as on tickets.
    priority SMALLINT CHECK (priority BETWEEN 0 AND 3),
    -- Comma list, as on tickets.
    add_tags TEXT COLLATE "C" NOT NULL,
    assign_to_self BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (tenant, id)
);
CREATE INDEX macros_name ON macros (tenant, name, id);
