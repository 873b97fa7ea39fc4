-- Issue 15, item 3: productions' packages at rest, and their crypto-shredding.
--
-- comity's stored copy of each sealed package is encrypted under a data key of its own
-- (an age X25519 identity, comity_app::production::at_rest). The data key is kept only
-- here, sealed by the server key (XChaCha20-Poly1305, bound to the production's id), which
-- lives in the data directory, never in the database. At the retention date the row is
-- deleted in the transaction that logs `production.shredded`: with it goes the only way to
-- read the stored package. A row is never updated.
--
-- A package sealed before this migration was kept in the clear: it gets an empty key, which
-- says so (its file is read as it is, and shredded at its date like the others).
CREATE TABLE package_keys (
    production  TEXT PRIMARY KEY NOT NULL,
    wrapped     BLOB NOT NULL
);
INSERT INTO package_keys (production, wrapped)
    SELECT DISTINCT subject, X'' FROM journal WHERE kind = 'production.sealed';

-- The authority's attestation of disposal is due on a clock of its own kind
-- (`disposal_attestation`). SQLite cannot change a CHECK constraint, so `clocks` is
-- rebuilt as it was with the new kind allowed, and its indexes made again. Nothing
-- references it.
CREATE TABLE clocks_new (
    request_id TEXT NOT NULL REFERENCES requests (id),
    kind       TEXT NOT NULL CHECK (kind IN ('respond_by', 'validation', 'objection_window',
                                             'preservation_end', 'nondisclosure_end', 'retention',
                                             'disposal_attestation')),
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
