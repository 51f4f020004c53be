DROP INDEX tickets_delivery;
DROP INDEX tickets_updated;
