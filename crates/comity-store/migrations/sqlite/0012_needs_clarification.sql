-- Issue 13, item 9: screening may conclude that the authority must supply a missing
-- element (`needs_clarification`, Regulation (EU) 2023/1543 Art 10(5), Annex III) before
-- anyone reviews the request. SQLite cannot change a CHECK constraint, so the table is
-- rebuilt with every row, its indexes and its append-only triggers; nothing references
-- it. Dropping a table fires no DELETE trigger.
CREATE TABLE screenings_new (
    request_id   TEXT NOT NULL REFERENCES requests (id),
    at           TEXT NOT NULL,
    pack_id      TEXT NOT NULL,
    pack_version TEXT NOT NULL,
    pack_hash    TEXT NOT NULL,
    verdict      TEXT NOT NULL
        CHECK (verdict IN ('admissible', 'needs_review', 'needs_clarification', 'inadmissible')),
    report       TEXT NOT NULL,
    seq          INTEGER NULL
);
INSERT INTO screenings_new (request_id, at, pack_id, pack_version, pack_hash, verdict, report, seq)
    SELECT request_id, at, pack_id, pack_version, pack_hash, verdict, report, seq FROM screenings;
DROP TABLE screenings;
ALTER TABLE screenings_new RENAME TO screenings;

CREATE INDEX screenings_by_request ON screenings (request_id, at);
CREATE UNIQUE INDEX screenings_by_seq ON screenings (request_id, seq);

CREATE TRIGGER screenings_no_update BEFORE UPDATE ON screenings
BEGIN
    SELECT RAISE(ABORT, 'screenings are append-only');
END;

CREATE TRIGGER screenings_no_delete BEFORE DELETE ON screenings
BEGIN
    SELECT RAISE(ABORT, 'screenings are append-only');
END;
