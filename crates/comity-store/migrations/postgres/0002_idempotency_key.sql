-- A client's Idempotency-Key (draft-ietf-httpapi-idempotency-key-header), so that a
-- retried submission finds the request it already created instead of creating another.
-- Keys are scoped to the issuing authority; requests without a key are not constrained.
ALTER TABLE requests ADD COLUMN idempotency_key TEXT NULL;

CREATE UNIQUE INDEX requests_by_idempotency_key
    ON requests (authority, idempotency_key)
    WHERE idempotency_key IS NOT NULL;
