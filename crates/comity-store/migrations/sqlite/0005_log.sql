-- The audit log (see comity-log and docs/log.md). Append-only, like events.

-- Every entry, at its index in the tree. `entry` is the exact bytes hashed into the tree;
-- the salt of its commitment stays here so a party holding the content can prove which
-- entry is theirs. The subject says which row the commitment is to.
CREATE TABLE log_entries (
    idx          INTEGER PRIMARY KEY NOT NULL CHECK (idx >= 0),
    entry        BLOB NOT NULL,
    salt         BLOB NOT NULL CHECK (length(salt) = 32),
    request_id   TEXT NULL,
    -- event, screening, party, read or checkpoint.
    subject_kind TEXT NOT NULL,
    -- The event's, screening's or checkpoint's sequence number.
    subject_seq  INTEGER NULL,
    -- The party's id, or what a read showed.
    subject_id   TEXT NULL
);

CREATE INDEX log_entries_by_request ON log_entries (request_id, subject_kind, subject_seq);
CREATE INDEX log_entries_by_subject_id ON log_entries (subject_kind, subject_id);

-- The tree's stored hashes (tlog_tiles' stored-hash order): every complete node.
CREATE TABLE log_hashes (
    idx  INTEGER PRIMARY KEY NOT NULL CHECK (idx >= 0),
    hash BLOB NOT NULL CHECK (length(hash) = 32)
);

-- Signed checkpoints, C2SP signed notes. The log records each as a `log.checkpoint`
-- entry inside the tree it signs.
CREATE TABLE log_checkpoints (
    seq  INTEGER PRIMARY KEY NOT NULL CHECK (seq >= 1),
    size INTEGER NOT NULL UNIQUE,
    note BLOB NOT NULL,
    at   TEXT NOT NULL
);

-- Witnesses' cosignature lines, appended to the note when it is served.
CREATE TABLE log_cosignatures (
    seq  INTEGER NOT NULL REFERENCES log_checkpoints (seq),
    line TEXT NOT NULL,
    PRIMARY KEY (seq, line)
);

-- A request's screenings are numbered, so that each log entry names one.
ALTER TABLE screenings ADD COLUMN seq INTEGER NULL;
CREATE UNIQUE INDEX screenings_by_seq ON screenings (request_id, seq);

CREATE TRIGGER log_entries_no_update BEFORE UPDATE ON log_entries
BEGIN
    SELECT RAISE(ABORT, 'the log is append-only');
END;
CREATE TRIGGER log_entries_no_delete BEFORE DELETE ON log_entries
BEGIN
    SELECT RAISE(ABORT, 'the log is append-only');
END;
CREATE TRIGGER log_hashes_no_update BEFORE UPDATE ON log_hashes
BEGIN
    SELECT RAISE(ABORT, 'the log is append-only');
END;
CREATE TRIGGER log_hashes_no_delete BEFORE DELETE ON log_hashes
BEGIN
    SELECT RAISE(ABORT, 'the log is append-only');
END;
CREATE TRIGGER log_checkpoints_no_update BEFORE UPDATE ON log_checkpoints
BEGIN
    SELECT RAISE(ABORT, 'the log is append-only');
END;
CREATE TRIGGER log_checkpoints_no_delete BEFORE DELETE ON log_checkpoints
BEGIN
    SELECT RAISE(ABORT, 'the log is append-only');
END;
