-- The trust registers (issue 5): institutions, auditors and operators; signed
-- submissions; the journal of trust facts; accounts, sessions, tokens and verification
-- links. Secrets are never stored in the clear.

-- Two more registers and the institution a party belongs to.
ALTER TABLE parties DROP CONSTRAINT parties_role_check;
ALTER TABLE parties ADD CONSTRAINT parties_role_check
    CHECK (role IN ('authority', 'provider', 'reviewer', 'auditor', 'operator'));
-- Parties of one institution are one side for separation of duties.
ALTER TABLE parties ADD COLUMN institution TEXT NULL;

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
    seq        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at         TIMESTAMPTZ NOT NULL,
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

CREATE TRIGGER journal_append_only BEFORE UPDATE OR DELETE ON journal
    FOR EACH ROW EXECUTE FUNCTION log_append_only();
CREATE TRIGGER journal_no_truncate BEFORE TRUNCATE ON journal
    FOR EACH STATEMENT EXECUTE FUNCTION log_append_only();

-- People. password_hash is argon2id (PHC string); totp_sealed is the TOTP secret sealed
-- with the server key, which is not in this database.
CREATE TABLE users (
    username       TEXT PRIMARY KEY,
    org            TEXT NOT NULL REFERENCES parties (id),
    role           TEXT NOT NULL,
    name           TEXT NOT NULL,
    password_hash  TEXT NOT NULL,
    totp_sealed    BYTEA NOT NULL,
    totp_last_step BIGINT NULL,
    created_at     TIMESTAMPTZ NOT NULL,
    disabled_at    TIMESTAMPTZ NULL
);

-- Failed logins by attempted name, whether or not an account has it.
CREATE TABLE login_throttle (
    name         TEXT PRIMARY KEY,
    failures     INTEGER NOT NULL,
    last_failure TIMESTAMPTZ NOT NULL,
    locked_until TIMESTAMPTZ NULL
);

-- Sessions by the SHA-256 of their id.
CREATE TABLE sessions (
    id_hash    BYTEA PRIMARY KEY CHECK (length(id_hash) = 32),
    username   TEXT NOT NULL REFERENCES users (username),
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    ended_at   TIMESTAMPTZ NULL
);

-- API tokens by their public id; the secret only as SHA-256.
CREATE TABLE api_tokens (
    id          TEXT PRIMARY KEY,
    org         TEXT NOT NULL REFERENCES parties (id),
    role        TEXT NOT NULL,
    label       TEXT NOT NULL,
    secret_hash BYTEA NOT NULL CHECK (length(secret_hash) = 32),
    created_at  TIMESTAMPTZ NOT NULL,
    expires_at  TIMESTAMPTZ NOT NULL,
    revoked_at  TIMESTAMPTZ NULL
);

-- One-time links for an authority's contact to confirm an emergency request.
CREATE TABLE verification_links (
    secret_hash BYTEA PRIMARY KEY CHECK (length(secret_hash) = 32),
    request_id  TEXT NOT NULL REFERENCES requests (id),
    contact     TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    expires_at  TIMESTAMPTZ NOT NULL,
    used_at     TIMESTAMPTZ NULL
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
