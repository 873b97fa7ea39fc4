-- Issue 13, item 5: a clarification answered with an amended, newly signed document.
--
-- Every version of a request's document, by the event that brought it: 1 for the receipt,
-- and the event that answered a clarification for each amendment. The event's audit-log
-- entry commits to its document and signature, as the receipt's always did; `requests`
-- keeps the latest, which every read and decision uses. Append-only, like events.
CREATE TABLE documents (
    request_id TEXT NOT NULL REFERENCES requests (id),
    seq        INTEGER NOT NULL,
    document   TEXT NOT NULL,
    signature  TEXT NULL,
    jti        TEXT NULL,
    PRIMARY KEY (request_id, seq)
);

-- A signed amendment's jti is used once per request: a replayed amendment changes nothing.
CREATE UNIQUE INDEX documents_jti ON documents (request_id, jti) WHERE jti IS NOT NULL;

INSERT INTO documents (request_id, seq, document, signature, jti)
    SELECT id, 1, document, signature, jti FROM requests;

CREATE FUNCTION documents_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'documents are append-only' USING ERRCODE = 'integrity_constraint_violation';
END;
$$;

CREATE TRIGGER documents_no_update_or_delete BEFORE UPDATE OR DELETE ON documents
    FOR EACH ROW EXECUTE FUNCTION documents_append_only();

CREATE TRIGGER documents_no_truncate BEFORE TRUNCATE ON documents
    FOR EACH STATEMENT EXECUTE FUNCTION documents_append_only();
