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
-- Rows written before this migration stay as they were (the key-encryption key is not in
-- the database, so SQL cannot seal them): see docs/after-disclosure.md.
CREATE TABLE document_keys (
    request_id TEXT PRIMARY KEY NOT NULL REFERENCES requests (id),
    wrapped    BYTEA NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
