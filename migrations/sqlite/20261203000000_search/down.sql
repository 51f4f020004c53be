DROP TRIGGER ticket_search_updated;
DROP TRIGGER ticket_search_deleted;
DROP TRIGGER ticket_search_inserted;
DROP TABLE ticket_fts;
DROP TABLE ticket_search;
