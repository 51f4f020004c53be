-- Business hours and SLA policies (api-v1.1.md section 3).
CREATE TABLE business_hours (
    tenant TEXT NOT NULL REFERENCES tenants (key),
    id TEXT NOT NULL,
    name TEXT NOT NULL,
    -- An IANA zone name.
    time_zone TEXT NOT NULL,
    -- Seven ';'-separated days, Monday first, each a ',' list of HH:MM-HH:MM.
    week TEXT NOT NULL,
    -- A ',' list of YYYY-MM-DD.
    holidays TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (tenant, id)
);

CREATE TABLE sla_policies (
    tenant TEXT NOT NULL REFERENCES tenants (key),
    id TEXT NOT NULL,
    name TEXT NOT NULL,
    position INTEGER NOT NULL,
    match_priority TEXT,
    match_category_id TEXT,
    match_source TEXT,
    first_response_minutes INTEGER NOT NULL,
    next_response_minutes INTEGER,
    resolution_minutes INTEGER NOT NULL,
    -- Checked by the application on delete (409 while used).
    business_hours_id TEXT,
    pause_while_answered BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (tenant, id)
);
