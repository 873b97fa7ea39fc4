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
    wrapped     BYTEA NOT NULL
);
INSERT INTO package_keys (production, wrapped)
    SELECT DISTINCT subject, ''::bytea FROM journal WHERE kind = 'production.sealed';

-- The authority's attestation of disposal is due on a clock of its own kind.
ALTER TABLE clocks DROP CONSTRAINT clocks_kind_check;
ALTER TABLE clocks ADD CONSTRAINT clocks_kind_check CHECK (kind IN ('respond_by', 'validation',
    'objection_window', 'preservation_end', 'nondisclosure_end', 'retention', 'disposal_attestation'));
