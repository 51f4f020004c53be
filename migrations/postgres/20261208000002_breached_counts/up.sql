-- How many breached tickets (`sla_breached`) each tenant has in each status, so that the
-- total of a breached queue (`slaBreached=true`, alone or with `status`) is a sum of a few
-- rows, as `ticket_counts` gives the queues theirs, instead of a count of up to 10,000
-- index entries that grows with the data (docs/storage.md). Kept by a trigger, because a
-- ticket's flag changes in several writes (breach detection, a change of policy, a
-- reopening) and the store does not read the old row: a row enters the count when it
-- becomes breached or, breached, changes status; it leaves it when it stops being breached
-- or leaves its status. Spread over the same 8 shards as `ticket_counts`; when a ticket
-- leaves one count row and enters another, the two are taken in the order of their status
-- names, so concurrent moves never wait on each other in a cycle.
CREATE TABLE breached_counts (
    tenant TEXT COLLATE "C" NOT NULL,
    status TEXT COLLATE "C" NOT NULL
        CHECK (status IN ('open', 'in_progress', 'answered', 'resolved', 'closed')),
    shard SMALLINT NOT NULL CHECK (shard BETWEEN 0 AND 7),
    tickets BIGINT NOT NULL,
    PRIMARY KEY (tenant, status, shard)
);

INSERT INTO breached_counts (tenant, status, shard, tickets)
SELECT tenant, status, (number % 8)::SMALLINT, COUNT(*) FROM tickets WHERE sla_breached
GROUP BY tenant, status, number % 8;

CREATE FUNCTION add_to_breached_count(at_tenant TEXT, at_status TEXT, at_shard SMALLINT, delta BIGINT)
RETURNS void LANGUAGE sql AS $$
    INSERT INTO breached_counts (tenant, status, shard, tickets) VALUES (at_tenant, at_status, at_shard, delta)
    ON CONFLICT (tenant, status, shard) DO UPDATE SET tickets = breached_counts.tickets + EXCLUDED.tickets;
$$;

CREATE FUNCTION count_breached_tickets() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    leaving BOOLEAN := TG_OP = 'UPDATE' AND OLD.sla_breached
        AND (NOT NEW.sla_breached OR OLD.status <> NEW.status);
    entering BOOLEAN := NEW.sla_breached
        AND (TG_OP = 'INSERT' OR NOT OLD.sla_breached OR OLD.status <> NEW.status);
BEGIN
    IF leaving AND entering AND NEW.status < OLD.status THEN
        PERFORM add_to_breached_count(NEW.tenant, NEW.status, (NEW.number % 8)::SMALLINT, 1);
        PERFORM add_to_breached_count(OLD.tenant, OLD.status, (OLD.number % 8)::SMALLINT, -1);
    ELSE
        IF leaving THEN
            PERFORM add_to_breached_count(OLD.tenant, OLD.status, (OLD.number % 8)::SMALLINT, -1);
        END IF;
        IF entering THEN
            PERFORM add_to_breached_count(NEW.tenant, NEW.status, (NEW.number % 8)::SMALLINT, 1);
        END IF;
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER tickets_breached_counted AFTER INSERT OR UPDATE OF sla_breached, status ON tickets
    FOR EACH ROW EXECUTE FUNCTION count_breached_tickets();
