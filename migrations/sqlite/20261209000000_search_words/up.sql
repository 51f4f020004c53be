-- Every word of the search index, once (SQLite only): a word typed as a prefix (`parc`)
-- is looked up here and searched as the words it starts (`"parcel" OR "parcels"`), which
-- FTS5 streams newest first; FTS5's own prefix query merges every entry of those words
-- first (30 ms for a word in 1,000,000 tickets). Kept by the store in each write's
-- transaction; words are never removed (a word that no longer occurs costs one more OR).
CREATE TABLE search_words (
    word TEXT PRIMARY KEY NOT NULL
) WITHOUT ROWID;

CREATE VIRTUAL TABLE temp.search_vocabulary USING fts5vocab(main, ticket_fts, row);
INSERT INTO search_words (word) SELECT term FROM temp.search_vocabulary;
DROP TABLE temp.search_vocabulary;
