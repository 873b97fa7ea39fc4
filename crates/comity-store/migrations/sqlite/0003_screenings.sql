-- Every screening of a request, with the pack version and hash that judged it, so a
-- later change of a pack never changes how a past request was judged. Append-only.
CREATE TABLE screenings (
    request_id   TEXT NOT NULL REFERENCES requests (id),
    at           TEXT NOT NULL,
    pack_id      TEXT NOT NULL,
    pack_version TEXT NOT NULL,
    pack_hash    TEXT NOT NULL,
    verdict      TEXT NOT NULL CHECK (verdict IN ('admissible', 'needs_review', 'inadmissible')),
    report       TEXT NOT NULL
);

CREATE INDEX screenings_by_request ON screenings (request_id, at);

-- The anti-bulk rule reads an authority's, or a case's, recent requests.
CREATE INDEX requests_by_authority_received ON requests (authority, received_at);
CREATE INDEX requests_by_reference_received ON requests (reference, received_at);

CREATE TRIGGER screenings_no_update BEFORE UPDATE ON screenings
BEGIN
    SELECT RAISE(ABORT, 'screenings are append-only');
END;

CREATE TRIGGER screenings_no_delete BEFORE DELETE ON screenings
BEGIN
    SELECT RAISE(ABORT, 'screenings are append-only');
END;
