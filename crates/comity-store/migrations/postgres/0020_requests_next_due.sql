-- Issue 14: the inbox, soonest running deadline first, served by an index (bench/inbox.sh).
--
-- Each request carries its soonest running clock: its kind and its due time. Both are
-- written by the same statement (writes.rs, `note_next_due`) in the transaction of every
-- write that sets, moves or closes one of its clocks, so they never disagree with
-- `clocks`. A request with no running clock has no kind and the far-future due time below
-- (rows.rs, `NO_DEADLINE`), never NULL: then one index per scope holds the whole order
-- (due time, then newest first), and a page is a range of it, not a sort of the scope.
ALTER TABLE requests ADD COLUMN next_kind TEXT NULL;
ALTER TABLE requests ADD COLUMN next_due TIMESTAMPTZ NOT NULL DEFAULT '9999-12-31 23:59:59.999999+00';

UPDATE requests SET
    next_kind = (SELECT k.kind FROM clocks k WHERE k.request_id = requests.id AND k.closed_at IS NULL
                 ORDER BY k.due_at, k.kind LIMIT 1),
    next_due = COALESCE((SELECT MIN(k.due_at) FROM clocks k WHERE k.request_id = requests.id
                         AND k.closed_at IS NULL), '9999-12-31 23:59:59.999999+00');

-- One per scope the inbox reads (`comity_app::App::scoped_query`): the provider's legal
-- team, the issuing authority (and the one that validated), and everything (operators).
-- A reviewer's scope is the few requests it is assigned to, sorted as they are.
CREATE INDEX requests_inbox_by_provider ON requests (provider, next_due, received_at DESC, id DESC);
CREATE INDEX requests_inbox_by_authority ON requests (authority, next_due, received_at DESC, id DESC);
CREATE INDEX requests_inbox_by_validator ON requests (validator, next_due, received_at DESC, id DESC)
    WHERE validator IS NOT NULL;
CREATE INDEX requests_inbox ON requests (next_due, received_at DESC, id DESC);
