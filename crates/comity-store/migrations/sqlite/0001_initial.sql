-- comity's first schema, SQLite flavour.
--
-- Timestamps are TEXT in RFC 3339, UTC, always with six fractional digits and a "Z"
-- (1970-01-01T00:00:00.000000Z): fixed width, so comparing the strings compares the
-- times, and ORDER BY received_at is time order.

-- The three registers share one table, so one primary key keeps ids unique across them.
CREATE TABLE parties (
    id         TEXT PRIMARY KEY NOT NULL,
    role       TEXT NOT NULL CHECK (role IN ('authority', 'provider', 'reviewer')),
    country    TEXT NOT NULL,
    -- authority_type for authorities, reviewer kind for reviewers, NULL for providers.
    kind       TEXT NULL,
    name       TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE INDEX parties_by_role ON parties (role, id);

-- No foreign keys to parties: the server validates parties before intake, and the
-- store stays a plain record of what was received.
CREATE TABLE requests (
    id          TEXT PRIMARY KEY NOT NULL,
    state       TEXT NOT NULL,
    version     INTEGER NOT NULL,
    received_at TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    authority   TEXT NOT NULL,
    provider    TEXT NOT NULL,
    instrument  TEXT NOT NULL,
    kind        TEXT NOT NULL,
    emergency   BOOLEAN NOT NULL,
    reference   TEXT NOT NULL,
    document    TEXT NOT NULL
);

-- Listing is always newest first; each filter gets an index that already has that order,
-- so a page is an index range scan, not a sort.
CREATE INDEX requests_by_received ON requests (received_at DESC, id DESC);
CREATE INDEX requests_by_state ON requests (state, received_at DESC, id DESC);
CREATE INDEX requests_by_authority ON requests (authority, received_at DESC, id DESC);
CREATE INDEX requests_by_provider ON requests (provider, received_at DESC, id DESC);

CREATE TABLE events (
    request_id TEXT NOT NULL REFERENCES requests (id),
    seq        INTEGER NOT NULL,
    from_state TEXT NULL,
    to_state   TEXT NOT NULL,
    actor      TEXT NOT NULL,
    at         TEXT NOT NULL,
    reason     TEXT NOT NULL,
    PRIMARY KEY (request_id, seq)
);

-- Events are the record of what happened to a request; they are never changed. These
-- triggers are the first defence against an UPDATE or DELETE, whoever sends it.
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN
    SELECT RAISE(ABORT, 'events are append-only');
END;

CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN
    SELECT RAISE(ABORT, 'events are append-only');
END;
