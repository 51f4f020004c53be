DROP TABLE service_secrets;
DROP TABLE revoked_tokens;
DROP TABLE api_keys;
DROP TABLE signing_keys;
ALTER TABLE agents DROP COLUMN sessions_revoked_at;
ALTER TABLE agents DROP COLUMN session_generation;
ALTER TABLE tenants DROP COLUMN allow_registration;
ALTER TABLE tenants DROP COLUMN name;
