-- Every screening of a request, with the pack version and hash that judged it, so a
-- later change of a pack never changes how a past request was judged. Append-only.
CREATE TABLE screenings (
    request_id   TEXT NOT NULL REFERENCES requests (id),
    at           TIMESTAMPTZ NOT NULL,
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

CREATE FUNCTION screenings_append_only() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'screenings are append-only';
END;
$$;

CREATE TRIGGER screenings_no_update_or_delete BEFORE UPDATE OR DELETE ON screenings
    FOR EACH ROW EXECUTE FUNCTION screenings_append_only();

CREATE TRIGGER screenings_no_truncate BEFORE TRUNCATE ON screenings
    FOR EACH STATEMENT EXECUTE FUNCTION screenings_append_only();
