-- How many tickets each tenant has in each status, so that a queue's `meta.total` is a sum
-- of a few rows instead of a count over the matching tickets (docs/storage.md). Every write
-- that creates a ticket or moves its status adjusts it in the same transaction, as its last
-- statement, so its row lock is held only until the commit. Each status's count is spread
-- over 8 shards (the ticket number modulo 8), so that concurrent status changes seldom wait
-- on one row.
CREATE TABLE ticket_counts (
    tenant TEXT COLLATE "C" NOT NULL,
    status TEXT COLLATE "C" NOT NULL
        CHECK (status IN ('open', 'in_progress', 'answered', 'resolved', 'closed')),
    shard SMALLINT NOT NULL CHECK (shard BETWEEN 0 AND 7),
    tickets BIGINT NOT NULL,
    PRIMARY KEY (tenant, status, shard)
);

INSERT INTO ticket_counts (tenant, status, shard, tickets)
SELECT tenant, status, (number % 8)::SMALLINT, COUNT(*) FROM tickets GROUP BY tenant, status, number % 8;
