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
    wrapped    BLOB NOT NULL,
    created_at TEXT NOT NULL
);

DROP TRIGGER documents_no_update;

CREATE TRIGGER documents_no_update BEFORE UPDATE ON documents
WHEN NOT (
    old.document NOT LIKE 'sealed:%' AND new.document LIKE 'sealed:v1:%'
    AND (old.signature IS NULL) = (new.signature IS NULL)
    AND (new.signature IS NULL OR new.signature LIKE 'sealed:v1:%')
    AND new.request_id = old.request_id AND new.seq = old.seq AND new.jti IS old.jti
)
BEGIN
    SELECT RAISE(ABORT, 'documents are append-only');
END;
