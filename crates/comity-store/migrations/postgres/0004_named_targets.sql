-- Every target an authority, or a case, has named, with the latest request that named
-- it. The anti-bulk rule adds up an authority's distinct targets over a rolling period;
-- reading this table is a bounded index range (the newest rows, up to the pack's limit),
-- where reading the requests themselves grew with the authority's whole history.
CREATE TABLE named_targets (
    -- 'authority:<party id>' or 'reference:<case reference>'
    scope         TEXT NOT NULL,
    selector_type TEXT NOT NULL,
    value         TEXT NOT NULL,
    last_request  TEXT NOT NULL REFERENCES requests (id),
    last_seen     TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (scope, selector_type, value)
);

CREATE INDEX named_targets_recent ON named_targets (scope, last_seen);

-- Replaced by named_targets.
DROP INDEX requests_by_authority_received;
DROP INDEX requests_by_reference_received;
