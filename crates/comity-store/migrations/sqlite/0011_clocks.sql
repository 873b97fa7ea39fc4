-- Issue 13: clocks that act.
--
-- One row per deadline of a request (`comity_core::ClockKind`): set with the screening or
-- the act that sets it, in that act's transaction, and closed exactly once, by the write
-- that records what its passing did (a `clock.expired` fact in the journal, and the move
-- it made). The close is guarded by `closed_at IS NULL` and the due time the sweeper read,
-- so of two sweepers (two servers, or a server and `comity deadlines --apply`) exactly one
-- acts. Every due time follows from the log: a screening report's deadlines, a
-- `preservation.extended` fact, a document's nondisclosure, a production's retention.
CREATE TABLE clocks (
    request_id TEXT NOT NULL REFERENCES requests (id),
    kind       TEXT NOT NULL CHECK (kind IN ('respond_by', 'validation', 'objection_window',
                                             'preservation_end', 'nondisclosure_end', 'retention')),
    due_at     TEXT NOT NULL,
    set_at     TEXT NOT NULL,
    closed_at  TEXT NULL,
    outcome    TEXT NULL,
    PRIMARY KEY (request_id, kind),
    CHECK ((closed_at IS NULL) = (outcome IS NULL))
);

-- The sweep reads the running clocks that are due, soonest first.
CREATE INDEX clocks_running ON clocks (due_at) WHERE closed_at IS NULL;
