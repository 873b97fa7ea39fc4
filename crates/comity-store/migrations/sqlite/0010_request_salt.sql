-- Issue 12, finding 3: the public log names no request, party or actor in the clear.
--
-- Each request gets a random 32-byte salt; its `comity-log-entry/v2` entries name it only
-- by SHA-256("comity-log-request/v2" ‖ 0x00 ‖ salt ‖ id), a tag that those who may see
-- the request can compute and nobody else can (docs/log.md). NULL is never written; it is
-- allowed only because SQLite cannot add a NOT NULL column without a default.
ALTER TABLE requests ADD COLUMN log_salt BLOB NULL CHECK (log_salt IS NULL OR length(log_salt) = 32);
-- The requests of a database from before get theirs now: their v1 entries keep naming
-- them in the clear, their later entries are tagged. randomblob() is SQLite's CSPRNG
-- (ChaCha20 seeded from the operating system).
UPDATE requests SET log_salt = randomblob(32) WHERE log_salt IS NULL;

-- Who acted, for a v2 entry, whose commitment covers the actor instead of naming it. A
-- read has no other row, so this is where verification finds its actor again. NULL for
-- a v1 entry, which names its actor itself.
ALTER TABLE log_entries ADD COLUMN actor TEXT NULL;
