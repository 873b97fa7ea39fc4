-- Issue 13, item 8: telling parties. The outbox of notices, fed from the audit log.
--
-- One row per audit-log entry a party must act on and endpoint of that party (a webhook
-- for its systems, an e-mail address for its people; `endpoint.added` facts in the
-- journal). Rows are written by the one transaction that also moves `notice_cursor` past
-- the entries they tell of, and `notices_once` keeps a second feeding of the same entries
-- from writing any twice: a notice is written exactly once, and a crash between feeding
-- and delivering loses none. A worker takes a due notice by setting `leased_until`, so
-- two workers (two servers on one database) never deliver one at once; it records each
-- attempt: delivered, due again at `next_attempt_at`, or dead (kept for an operator).
CREATE TABLE notices (
    id              INTEGER PRIMARY KEY NOT NULL CHECK (id >= 1),
    log_index       INTEGER NOT NULL REFERENCES log_entries (idx),
    party           TEXT NOT NULL REFERENCES parties (id),
    channel         TEXT NOT NULL CHECK (channel IN ('webhook', 'email')),
    address         TEXT NOT NULL,
    event           TEXT NOT NULL,
    request_id      TEXT NOT NULL REFERENCES requests (id),
    state           TEXT NOT NULL,
    happened_at     TEXT NOT NULL,
    clock           TEXT NULL,
    clock_outcome   TEXT NULL,
    status          TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'dead')),
    attempts        INTEGER NOT NULL CHECK (attempts >= 0),
    next_attempt_at TEXT NOT NULL,
    leased_until    TEXT NULL,
    last_error      TEXT NULL,
    delivered_at    TEXT NULL,
    created_at      TEXT NOT NULL
);
CREATE UNIQUE INDEX notices_once ON notices (log_index, party, channel, address);
CREATE INDEX notices_due ON notices (next_attempt_at) WHERE status = 'pending';
CREATE INDEX notices_by_status ON notices (status, id);

-- The first audit-log entry not yet turned into notices. Notices begin with the log as it
-- stands when this migration runs: what happened before is not told again.
CREATE TABLE notice_cursor (
    id         INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    next_index INTEGER NOT NULL CHECK (next_index >= 0)
);
INSERT INTO notice_cursor (id, next_index) SELECT 1, COUNT(*) FROM log_entries;
