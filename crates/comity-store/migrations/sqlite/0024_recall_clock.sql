-- Issue 15, item 4: remedies. The authority's attestation that it deleted the data a remedy
-- case recalled is due on a clock of its own kind (`recall`). SQLite cannot change a CHECK
-- constraint, so `clocks` is rebuilt as it was with the new kind allowed, and its indexes
-- made again (as in 0022). Nothing references it.
CREATE TABLE clocks_new (
    request_id TEXT NOT NULL REFERENCES requests (id),
    kind       TEXT NOT NULL CHECK (kind IN ('respond_by', 'validation', 'objection_window',
                                             'preservation_end', 'nondisclosure_end', 'retention',
                                             'disposal_attestation', 'recall')),
    due_at     TEXT NOT NULL,
    set_at     TEXT NOT NULL,
    closed_at  TEXT NULL,
    outcome    TEXT NULL,
    PRIMARY KEY (request_id, kind),
    CHECK ((closed_at IS NULL) = (outcome IS NULL))
);
INSERT INTO clocks_new (request_id, kind, due_at, set_at, closed_at, outcome)
    SELECT request_id, kind, due_at, set_at, closed_at, outcome FROM clocks;
DROP TABLE clocks;
ALTER TABLE clocks_new RENAME TO clocks;
CREATE INDEX clocks_running ON clocks (due_at) WHERE closed_at IS NULL;
CREATE INDEX clocks_running_by_request ON clocks (request_id, due_at, kind) WHERE closed_at IS NULL;
