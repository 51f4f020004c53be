-- How many breached tickets (`sla_breached`) each tenant has in each status, so that the
-- total of a breached queue (`slaBreached=true`, alone or with `status`) is a sum of a few
-- rows, as `ticket_counts` gives the queues theirs, instead of a count of up to 10,000
-- index entries that grows with the data (docs/storage.md). Kept by triggers, because a
-- ticket's flag changes in several writes (breach detection, a change of policy, a
-- reopening) and the store does not read the old row: a row enters the count when it
-- becomes breached or, breached, changes status; it leaves it when it stops being breached
-- or leaves its status. Spread over the same 8 shards as `ticket_counts`.
CREATE TABLE breached_counts (
    tenant TEXT NOT NULL,
    status TEXT NOT NULL
        CHECK (status IN ('open', 'in_progress', 'answered', 'resolved', 'closed')),
    shard SMALLINT NOT NULL CHECK (shard BETWEEN 0 AND 7),
    tickets BIGINT NOT NULL,
    PRIMARY KEY (tenant, status, shard)
);

INSERT INTO breached_counts (tenant, status, shard, tickets)
SELECT tenant, status, number % 8, COUNT(*) FROM tickets WHERE sla_breached GROUP BY tenant, status, number % 8;

CREATE TRIGGER tickets_breached_inserted AFTER INSERT ON tickets WHEN new.sla_breached BEGIN
    INSERT INTO breached_counts (tenant, status, shard, tickets) VALUES (new.tenant, new.status, new.number % 8, 1)
        ON CONFLICT (tenant, status, shard) DO UPDATE SET tickets = tickets + 1;
END;

CREATE TRIGGER tickets_breached_left AFTER UPDATE OF sla_breached, status ON tickets
    WHEN old.sla_breached AND (NOT new.sla_breached OR old.status <> new.status) BEGIN
    UPDATE breached_counts SET tickets = tickets - 1
        WHERE tenant = old.tenant AND status = old.status AND shard = old.number % 8;
END;

CREATE TRIGGER tickets_breached_entered AFTER UPDATE OF sla_breached, status ON tickets
    WHEN new.sla_breached AND (NOT old.sla_breached OR old.status <> new.status) BEGIN
    INSERT INTO breached_counts (tenant, status, shard, tickets) VALUES (new.tenant, new.status, new.number % 8, 1)
        ON CONFLICT (tenant, status, shard) DO UPDATE SET tickets = tickets + 1;
END;
