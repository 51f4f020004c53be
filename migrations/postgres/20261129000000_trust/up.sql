-- Trust (api-v1.1.md section 1): operator-created tenants with a name and a registration
-- switch, per-tenant signing keys, API keys, revocable staff sessions and logged-out tokens.
-- migrations/sqlite/ holds the same change for SQLite.

ALTER TABLE tenants ADD COLUMN name TEXT COLLATE "C" NOT NULL DEFAULT '';
-- New tenants do not take registrations until an admin allows it; the tenants that exist
-- already kept taking them before this migration, so they keep doing so.
ALTER TABLE tenants ADD COLUMN allow_registration BOOLEAN NOT NULL DEFAULT FALSE;
UPDATE tenants SET allow_registration = TRUE, name = key;

-- A staff token is checked against these on every request (docs/decisions.md, "Authorization"): a token of
-- the service's own carries the generation it was issued under; any other token must have
-- been issued (iat) after sessions_revoked_at.
ALTER TABLE agents ADD COLUMN session_generation BIGINT NOT NULL DEFAULT 0;
ALTER TABLE agents ADD COLUMN sessions_revoked_at TIMESTAMP;

-- HS256 keys shops sign their own tokens with; the token names its key in the header's kid.
-- The secret is kept as it is: HMAC verification needs it.
CREATE TABLE signing_keys (
    kid TEXT COLLATE "C" PRIMARY KEY,
    tenant TEXT COLLATE "C" NOT NULL,
    secret TEXT COLLATE "C" NOT NULL,
    allow_staff BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX signing_keys_tenant ON signing_keys (tenant, created_at, kid);

-- Integration keys: only a SHA-256 of the key is kept (the key is 256 random bits, so a
-- fast hash is enough); prefix is its first characters, to tell keys apart in lists.
CREATE TABLE api_keys (
    tenant TEXT COLLATE "C" NOT NULL,
    id TEXT COLLATE "C" NOT NULL,
    name TEXT COLLATE "C" NOT NULL,
    prefix TEXT COLLATE "C" NOT NULL,
    key_hash TEXT COLLATE "C" NOT NULL,
    -- Comma-separated permission names, as agents.permissions.
    permissions TEXT COLLATE "C" NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP,
    last_used_at TIMESTAMP,
    PRIMARY KEY (tenant, id),
    CONSTRAINT api_keys_hash_key UNIQUE (key_hash)
);
CREATE INDEX api_keys_created ON api_keys (tenant, created_at, id);

-- Tokens ended by POST /auth/logout, by SHA-256; kept until the token would have expired.
CREATE TABLE revoked_tokens (
    token_hash TEXT COLLATE "C" PRIMARY KEY,
    tenant TEXT COLLATE "C" NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
CREATE INDEX revoked_tokens_expires ON revoked_tokens (expires_at);

-- Keys of the service itself, made at random on first start and shared by every server
-- process on the database: `login-tokens` signs the tokens of POST /auth/login, so that
-- holding SUPPORTDESK_JWT_SECRET (which a single shop may) never lets anyone mint them.
CREATE TABLE service_secrets (
    name TEXT COLLATE "C" PRIMARY KEY,
    secret TEXT COLLATE "C" NOT NULL,
    created_at TIMESTAMP NOT NULL
);
