-- The sequencer's row, as on PostgreSQL (0005_log.sql): the tree's size, which every append
-- updates, so that both backends read the log's size the same way and their schemas match.
-- SQLite's one writer is the sequencer already; this row only records the size. NOT NULL is
-- spelled out because SQLite, unlike PostgreSQL, lets a primary key that is not an INTEGER
-- hold NULL.
CREATE TABLE log_head (
    one  BOOLEAN PRIMARY KEY NOT NULL DEFAULT TRUE CHECK (one),
    size BIGINT NOT NULL CHECK (size >= 0)
);
-- A database migrating forward starts from the entries it already holds.
INSERT INTO log_head (one, size) SELECT TRUE, COALESCE(MAX(idx) + 1, 0) FROM log_entries;
