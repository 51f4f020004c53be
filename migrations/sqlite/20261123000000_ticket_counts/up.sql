-- How many tickets each tenant has in each status, so that a queue's `meta.total` is a sum
-- of a few rows instead of a count over the matching tickets (docs/storage.md). Every write
-- that creates a ticket or moves its status adjusts it in the same transaction, as its last
-- statement. Each status's count is spread over 8 shards (the ticket number modulo 8): on
-- PostgreSQL concurrent status changes then seldom wait on one row lock; on SQLite, with its
-- single writer, the shards cost a sum over 8 rows.
CREATE TABLE ticket_counts (
    tenant TEXT NOT NULL,
    status TEXT NOT NULL
        CHECK (status IN ('open', 'in_progress', 'answered', 'resolved', 'closed')),
    shard SMALLINT NOT NULL CHECK (shard BETWEEN 0 AND 7),
    tickets BIGINT NOT NULL,
    PRIMARY KEY (tenant, status, shard)
);

INSERT INTO ticket_counts (tenant, status, shard, tickets)
SELECT tenant, status, number % 8, COUNT(*) FROM tickets GROUP BY tenant, status, number % 8;
