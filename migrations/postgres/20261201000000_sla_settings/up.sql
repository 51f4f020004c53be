-- Business hours and SLA policies (api-v1.1.md section 3).
CREATE TABLE business_hours (
    tenant TEXT COLLATE "C" NOT NULL REFERENCES tenants (key),
    id TEXT COLLATE "C" NOT NULL,
    name TEXT NOT NULL,
    -- An IANA zone name.
    time_zone TEXT COLLATE "C" NOT NULL,
    -- Seven ';'-separated days, Monday first, each a ',' list of HH:MM-HH:MM.
    week TEXT COLLATE "C" NOT NULL,
    -- A ',' list of YYYY-MM-DD.
    holidays TEXT COLLATE "C" NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (tenant, id)
);

CREATE TABLE sla_policies (
    tenant TEXT COLLATE "C" NOT NULL REFERENCES tenants (key),
    id TEXT COLLATE "C" NOT NULL,
    name TEXT NOT NULL,
    position INTEGER NOT NULL,
    match_priority TEXT COLLATE "C",
    match_category_id TEXT COLLATE "C",
    match_source TEXT COLLATE "C",
    first_response_minutes INTEGER NOT NULL,
    next_response_minutes INTEGER,
    resolution_minutes INTEGER NOT NULL,
    -- Checked by the application on delete (409 while used).
    business_hours_id TEXT COLLATE "C",
    pause_while_answered BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (tenant, id)
);
