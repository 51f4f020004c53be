-- The customer directory (`GET /admin/customers?q=`, api-v1.1.md section 4): each
-- customer's name as the service folds it for search (accents and case removed, words of
-- letters and digits joined by single spaces: supportdesk_domain::search::index_text) and
-- the email in lower case, written by the store with every write of the customer. SQL
-- cannot fold as the service does, so the rows that exist now are keyed by the store when
-- it starts (`name_key = ''` marks a row not keyed yet; a name with no letter or digit
-- keys to '' too and is simply keyed again, at no harm).
ALTER TABLE customers ADD COLUMN name_key TEXT NOT NULL DEFAULT '';
ALTER TABLE customers ADD COLUMN email_key TEXT NOT NULL DEFAULT '';
-- The directory's order (name, then id) and its keyset pages; a name prefix is a range of it.
CREATE INDEX customers_name_key ON customers (tenant, name_key, id);
-- An email prefix is a range of this one.
CREATE INDEX customers_email_key ON customers (tenant, email_key);
