-- Full-text search for `q` (api-v1.1.md section 4; docs/storage.md, "Search").
--
-- One row per ticket holding its searchable text as the service folds it (lower case, no
-- accents, words of letters and digits joined by spaces: supportdesk_domain::search), one
-- column per field. The service writes the row in the same transaction as the ticket and
-- its messages, so a search is never stale after a 201 or a 200.
--
-- ticket_fts is an FTS5 external-content index over it, kept in step by the triggers below
-- (so anything that writes ticket_search, the bench seeder and `supportdesk admin reindex`
-- included, keeps the index right). unicode61 with prefix indexes for 2 and 3 characters
-- (docs/storage.md has the comparison with trigram); remove_diacritics 2 folds what the
-- service left, on both sides alike.
--
-- Tickets written before this migration are not searchable until `supportdesk admin
-- reindex` runs (the folding is the service's, not SQL's).
CREATE TABLE ticket_search (
    seq INTEGER PRIMARY KEY,
    tenant TEXT NOT NULL,
    ticket_id TEXT NOT NULL,
    subject TEXT NOT NULL DEFAULT '',
    -- Every public message, in thread order.
    messages TEXT NOT NULL DEFAULT '',
    -- Every internal note, in thread order: staff search it, customers never.
    notes TEXT NOT NULL DEFAULT '',
    -- The customer's name and email.
    customer TEXT NOT NULL DEFAULT '',
    -- The order id and the delivery id.
    refs TEXT NOT NULL DEFAULT '',
    CONSTRAINT ticket_search_ticket_key UNIQUE (tenant, ticket_id)
);

CREATE VIRTUAL TABLE ticket_fts USING fts5(
    subject, messages, notes, customer, refs,
    content = 'ticket_search',
    content_rowid = 'seq',
    tokenize = 'unicode61 remove_diacritics 2',
    prefix = '2 3'
);

CREATE TRIGGER ticket_search_inserted AFTER INSERT ON ticket_search BEGIN
    INSERT INTO ticket_fts (rowid, subject, messages, notes, customer, refs)
        VALUES (new.seq, new.subject, new.messages, new.notes, new.customer, new.refs);
END;

CREATE TRIGGER ticket_search_deleted AFTER DELETE ON ticket_search BEGIN
    INSERT INTO ticket_fts (ticket_fts, rowid, subject, messages, notes, customer, refs)
        VALUES ('delete', old.seq, old.subject, old.messages, old.notes, old.customer, old.refs);
END;

CREATE TRIGGER ticket_search_updated AFTER UPDATE ON ticket_search BEGIN
    INSERT INTO ticket_fts (ticket_fts, rowid, subject, messages, notes, customer, refs)
        VALUES ('delete', old.seq, old.subject, old.messages, old.notes, old.customer, old.refs);
    INSERT INTO ticket_fts (rowid, subject, messages, notes, customer, refs)
        VALUES (new.seq, new.subject, new.messages, new.notes, new.customer, new.refs);
END;
