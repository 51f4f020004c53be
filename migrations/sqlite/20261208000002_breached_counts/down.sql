DROP TRIGGER tickets_breached_entered;
DROP TRIGGER tickets_breached_left;
DROP TRIGGER tickets_breached_inserted;
DROP TABLE breached_counts;
