-- The trust registers (issue 5): institutions, auditors and operators; signed
-- submissions; the journal of trust facts; accounts, sessions, tokens and verification
-- links. Times are TEXT as in 0001; secrets are never stored in the clear.

-- Two more registers and the institution a party belongs to. SQLite cannot change a
-- CHECK constraint, so the table is rebuilt (nothing references it by foreign key).
CREATE TABLE parties_new (
    id          TEXT PRIMARY KEY NOT NULL,
    role        TEXT NOT NULL CHECK (role IN ('authority', 'provider', 'reviewer', 'auditor', 'operator')),
    country     TEXT NOT NULL,
    kind        TEXT NULL,
    name        TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    -- Parties of one institution are one side for separation of duties.
    institution TEXT NULL
);
INSERT INTO parties_new (id, role, country, kind, name, created_at)
    SELECT id, role, country, kind, name, created_at FROM parties;
DROP TABLE parties;
ALTER TABLE parties_new RENAME TO parties;
CREATE INDEX parties_by_role ON parties (role, id);

-- A signed submission is kept as evidence, and its jti can never be used again by the
-- same authority: the unique index is what refuses a replay, not a check in code.
ALTER TABLE requests ADD COLUMN signature TEXT NULL;
ALTER TABLE requests ADD COLUMN jti TEXT NULL;
-- The authority that validated the request, if another did (Regulation (EU) 2023/1543
-- Art 4): it is on the issuing side, and sees the request as the issuer does.
ALTER TABLE requests ADD COLUMN validator TEXT NULL;
CREATE INDEX requests_by_validator ON requests (validator, received_at DESC, id DESC) WHERE validator IS NOT NULL;
CREATE UNIQUE INDEX requests_by_jti ON requests (authority, jti) WHERE jti IS NOT NULL;

-- Facts auditors must be able to check: keys added, rotated and revoked, contacts,
-- reviewer assignments, accounts and tokens created, refused signatures. Append-only;
-- every row has an audit-log entry committing to `content`.
CREATE TABLE journal (
    seq        INTEGER PRIMARY KEY NOT NULL CHECK (seq >= 1),
    at         TEXT NOT NULL,
    kind       TEXT NOT NULL,
    actor      TEXT NOT NULL,
    party      TEXT NULL,
    subject    TEXT NOT NULL,
    request_id TEXT NULL,
    content    TEXT NOT NULL
);
CREATE INDEX journal_by_subject ON journal (subject, kind);
CREATE INDEX journal_by_party ON journal (party, kind);
CREATE INDEX journal_by_request ON journal (request_id, kind);
CREATE INDEX journal_by_kind ON journal (kind, subject);
-- What may be registered once only.
CREATE UNIQUE INDEX journal_key_ids ON journal (subject) WHERE kind = 'key.added';
CREATE UNIQUE INDEX journal_contacts ON journal (party, subject) WHERE kind = 'contact.added';
CREATE UNIQUE INDEX journal_assignments ON journal (request_id, subject) WHERE kind = 'reviewer.assigned';

CREATE TRIGGER journal_no_update BEFORE UPDATE ON journal
BEGIN
    SELECT RAISE(ABORT, 'the journal is append-only');
END;
CREATE TRIGGER journal_no_delete BEFORE DELETE ON journal
BEGIN
    SELECT RAISE(ABORT, 'the journal is append-only');
END;

-- People. password_hash is argon2id (PHC string); totp_sealed is the TOTP secret sealed
-- with the server key, which is not in this database.
CREATE TABLE users (
    username       TEXT PRIMARY KEY NOT NULL,
    org            TEXT NOT NULL REFERENCES parties (id),
    role           TEXT NOT NULL,
    name           TEXT NOT NULL,
    password_hash  TEXT NOT NULL,
    totp_sealed    BLOB NOT NULL,
    totp_last_step INTEGER NULL,
    created_at     TEXT NOT NULL,
    disabled_at    TEXT NULL
);

-- Failed logins by attempted name, whether or not an account has it.
CREATE TABLE login_throttle (
    name         TEXT PRIMARY KEY NOT NULL,
    failures     INTEGER NOT NULL,
    last_failure TEXT NOT NULL,
    locked_until TEXT NULL
);

-- Sessions by the SHA-256 of their id.
CREATE TABLE sessions (
    id_hash    BLOB PRIMARY KEY NOT NULL CHECK (length(id_hash) = 32),
    username   TEXT NOT NULL REFERENCES users (username),
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    ended_at   TEXT NULL
);

-- API tokens by their public id; the secret only as SHA-256.
CREATE TABLE api_tokens (
    id          TEXT PRIMARY KEY NOT NULL,
    org         TEXT NOT NULL REFERENCES parties (id),
    role        TEXT NOT NULL,
    label       TEXT NOT NULL,
    secret_hash BLOB NOT NULL CHECK (length(secret_hash) = 32),
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    revoked_at  TEXT NULL
);

-- One-time links for an authority's contact to confirm an emergency request.
CREATE TABLE verification_links (
    secret_hash BLOB PRIMARY KEY NOT NULL CHECK (length(secret_hash) = 32),
    request_id  TEXT NOT NULL REFERENCES requests (id),
    contact     TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    used_at     TEXT NULL
);

-- Each authority's track record, kept up to date in the transaction of every intake and
-- move, so that showing it beside a request costs one row, not a count over the
-- authority's whole history. It is derived from requests and events (and rebuilt from them
-- here for requests received before it existed).
CREATE TABLE authority_records (
    authority   TEXT PRIMARY KEY,
    requests    BIGINT NOT NULL DEFAULT 0,
    rejected    BIGINT NOT NULL DEFAULT 0,
    emergencies BIGINT NOT NULL DEFAULT 0,
    held        BIGINT NOT NULL DEFAULT 0,
    confirmed   BIGINT NOT NULL DEFAULT 0
);
INSERT INTO authority_records (authority, requests, rejected, emergencies, held, confirmed)
SELECT r.authority,
    COUNT(*),
    SUM(CASE WHEN EXISTS (SELECT 1 FROM events e WHERE e.request_id = r.id AND e.to_state = 'rejected') THEN 1 ELSE 0 END),
    SUM(CASE WHEN r.emergency THEN 1 ELSE 0 END),
    SUM(CASE WHEN EXISTS (SELECT 1 FROM events e WHERE e.request_id = r.id AND e.to_state = 'pending_verification') THEN 1 ELSE 0 END),
    SUM(CASE WHEN EXISTS (SELECT 1 FROM events e WHERE e.request_id = r.id
        AND e.from_state = 'pending_verification' AND e.to_state = 'under_review') THEN 1 ELSE 0 END)
FROM requests r GROUP BY r.authority;
