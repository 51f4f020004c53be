DROP INDEX customers_email_key;
DROP INDEX customers_name_key;
ALTER TABLE customers DROP COLUMN email_key;
ALTER TABLE customers DROP COLUMN name_key;
