-- pg_trgm stays installed: other schemas of the database may use it.
DROP TABLE idempotency_keys;
DROP TABLE events;
DROP TABLE messages;
DROP TABLE ticket_tags;
DROP TABLE tickets;
DROP TABLE logins;
DROP TABLE agents;
DROP TABLE customers;
DROP TABLE categories;
DROP TABLE tenants;
