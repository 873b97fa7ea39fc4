-- The audit log (see comity-log and docs/log.md). Append-only, like events.

-- Every entry, at its index in the tree. `entry` is the exact bytes hashed into the tree;
-- the salt of its commitment stays here so a party holding the content can prove which
-- entry is theirs. The subject says which row the commitment is to.
CREATE TABLE log_entries (
    idx          BIGINT PRIMARY KEY CHECK (idx >= 0),
    entry        BYTEA NOT NULL,
    salt         BYTEA NOT NULL CHECK (length(salt) = 32),
    request_id   TEXT NULL,
    -- event, screening, party, read or checkpoint.
    subject_kind TEXT NOT NULL,
    -- The event's, screening's or checkpoint's sequence number.
    subject_seq  BIGINT NULL,
    -- The party's id, or what a read showed.
    subject_id   TEXT NULL
);

CREATE INDEX log_entries_by_request ON log_entries (request_id, subject_kind, subject_seq);
CREATE INDEX log_entries_by_subject_id ON log_entries (subject_kind, subject_id);

-- The tree's stored hashes (tlog_tiles' stored-hash order): every complete node.
CREATE TABLE log_hashes (
    idx  BIGINT PRIMARY KEY CHECK (idx >= 0),
    hash BYTEA NOT NULL CHECK (length(hash) = 32)
);

-- The sequencer's row: the tree's size. Every transaction that appends locks it, so one
-- process at a time extends the tree, whatever number of servers share the database.
CREATE TABLE log_head (
    one  BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (one),
    size BIGINT NOT NULL CHECK (size >= 0)
);
INSERT INTO log_head (one, size) VALUES (TRUE, 0);

-- Signed checkpoints, C2SP signed notes. The log records each as a `log.checkpoint`
-- entry inside the tree it signs.
CREATE TABLE log_checkpoints (
    seq  BIGINT PRIMARY KEY CHECK (seq >= 1),
    size BIGINT NOT NULL UNIQUE,
    note BYTEA NOT NULL,
    at   TIMESTAMPTZ NOT NULL
);

-- Witnesses' cosignature lines, appended to the note when it is served.
CREATE TABLE log_cosignatures (
    seq  BIGINT NOT NULL REFERENCES log_checkpoints (seq),
    line TEXT NOT NULL,
    PRIMARY KEY (seq, line)
);

-- A request's screenings are numbered, so that each log entry names one.
ALTER TABLE screenings ADD COLUMN seq INTEGER NULL;
CREATE UNIQUE INDEX screenings_by_seq ON screenings (request_id, seq);

CREATE FUNCTION log_append_only() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the log is append-only' USING ERRCODE = 'integrity_constraint_violation';
END;
$$;

CREATE TRIGGER log_entries_append_only BEFORE UPDATE OR DELETE ON log_entries
    FOR EACH ROW EXECUTE FUNCTION log_append_only();
CREATE TRIGGER log_entries_no_truncate BEFORE TRUNCATE ON log_entries
    FOR EACH STATEMENT EXECUTE FUNCTION log_append_only();
CREATE TRIGGER log_hashes_append_only BEFORE UPDATE OR DELETE ON log_hashes
    FOR EACH ROW EXECUTE FUNCTION log_append_only();
CREATE TRIGGER log_hashes_no_truncate BEFORE TRUNCATE ON log_hashes
    FOR EACH STATEMENT EXECUTE FUNCTION log_append_only();
CREATE TRIGGER log_checkpoints_append_only BEFORE UPDATE OR DELETE ON log_checkpoints
    FOR EACH ROW EXECUTE FUNCTION log_append_only();
CREATE TRIGGER log_checkpoints_no_truncate BEFORE TRUNCATE ON log_checkpoints
    FOR EACH STATEMENT EXECUTE FUNCTION log_append_only();
