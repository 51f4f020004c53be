-- Macros (api-v1.1.md section 3): a tenant's canned replies with actions.
CREATE TABLE macros (
    tenant TEXT NOT NULL REFERENCES tenants (key),
    id TEXT NOT NULL,
    name TEXT NOT NULL,
    body TEXT NOT NULL,
    internal INTEGER NOT NULL,
    status TEXT CHECK (status IN ('open', 'in_progress', 'resolved', 'closed')),
    -- The priority's rank 0..3, as on tickets.
    priority INTEGER CHECK (priority BETWEEN 0 AND 3),
    -- Comma list, as on tickets.
    add_tags TEXT NOT NULL,
    assign_to_self INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (tenant, id)
);
CREATE INDEX macros_name ON macros (tenant, name, id);
