-- Full-text search for `q` (api-v1.1.md section 4; docs/storage.md, "Search").
--
-- One row per ticket holding its searchable text as the service folds it (lower case, no
-- accents, words of letters and digits joined by spaces: supportdesk_domain::search), one
-- column per field, written in the same transaction as the ticket and its messages. The
-- same table as on SQLite; here `document` is its tsvector, computed by PostgreSQL:
--
-- * the `simple` configuration (no stemming, no stop words): the words are already folded
--   by the service, so `unaccent` is not needed and the extension is not required;
-- * a weight per field: A subject, B public messages, C internal notes, D customer and ids.
--   A customer's query asks for weights A and B only, so notes never match for them;
-- * a '-' lexeme between fields, which no query can name (queries hold only letters and
--   digits), so a phrase never runs from one field into the next.
--
-- Tickets written before this migration are not searchable until `supportdesk admin
-- reindex` runs.
CREATE TABLE ticket_search (
    tenant TEXT COLLATE "C" NOT NULL,
    ticket_id TEXT COLLATE "C" NOT NULL,
    subject TEXT NOT NULL DEFAULT '',
    messages TEXT NOT NULL DEFAULT '',
    notes TEXT NOT NULL DEFAULT '',
    customer TEXT NOT NULL DEFAULT '',
    refs TEXT NOT NULL DEFAULT '',
    document tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('simple'::regconfig, subject), 'A')
        || '''-'':1'::tsvector
        || setweight(to_tsvector('simple'::regconfig, messages), 'B')
        || '''-'':1'::tsvector
        || setweight(to_tsvector('simple'::regconfig, notes), 'C')
        || '''-'':1'::tsvector
        || setweight(to_tsvector('simple'::regconfig, customer), 'D')
        || '''-'':1'::tsvector
        || setweight(to_tsvector('simple'::regconfig, refs), 'D')
    ) STORED,
    PRIMARY KEY (tenant, ticket_id)
);

CREATE INDEX ticket_search_document ON ticket_search USING gin (document);
