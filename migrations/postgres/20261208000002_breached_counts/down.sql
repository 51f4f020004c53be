DROP TRIGGER tickets_breached_counted ON tickets;
DROP FUNCTION count_breached_tickets();
DROP FUNCTION add_to_breached_count(TEXT, TEXT, SMALLINT, BIGINT);
DROP TABLE breached_counts;
