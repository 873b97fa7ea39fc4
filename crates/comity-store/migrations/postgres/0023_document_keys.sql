-- Issue 15, item 3: request documents encrypted at rest, and crypto-shredded at the end of
-- their retention.
--
-- Each request gets its own data key; the documents' rows (requests.document and
-- .signature, documents.document and .signature) keep what it sealed, as
-- "sealed:v1:<base64>", never the document. The key is kept here only wrapped by the
-- key-encryption key, which lives outside the database (the data directory's server key,
-- or an external KMS), so a copy of the database alone opens nothing. The documents' rows
-- are append-only (the log commits to them); this table is not: deleting a row destroys
-- the only key that opens them, which is how a document is destroyed once its retention
-- has ended. Each deletion is recorded, in its transaction, as a documents.shredded fact.
--
-- Rows written before this migration cannot be sealed here (the key-encryption key is not
-- in the database): the server seals them once when it starts (`App::seal_in_clear`). The
-- documents' rows stay append-only but for that one change: a version kept in the clear
-- may be replaced by itself sealed, and nothing else (the log's commitment to the
-- document, which `comity log verify` checks after opening it, says whether it is itself).
CREATE TABLE document_keys (
    request_id TEXT PRIMARY KEY NOT NULL REFERENCES requests (id),
    wrapped    BYTEA NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);

DROP TRIGGER documents_no_update_or_delete ON documents;

CREATE TRIGGER documents_no_delete BEFORE DELETE ON documents
    FOR EACH ROW EXECUTE FUNCTION documents_append_only();

CREATE TRIGGER documents_no_update BEFORE UPDATE ON documents
    FOR EACH ROW WHEN (NOT (
        OLD.document NOT LIKE 'sealed:%' AND NEW.document LIKE 'sealed:v1:%'
        AND (OLD.signature IS NULL) = (NEW.signature IS NULL)
        AND (NEW.signature IS NULL OR NEW.signature LIKE 'sealed:v1:%')
        AND NEW.request_id = OLD.request_id AND NEW.seq = OLD.seq
        AND NEW.jti IS NOT DISTINCT FROM OLD.jti
    ))
    EXECUTE FUNCTION documents_append_only();
