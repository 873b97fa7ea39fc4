-- Issue 17, item 1: every server of one database serves every package and signs with every
-- provider's production key, so both live in the database, not in one server's data
-- directory.
--
-- comity's copy of each sealed package, in chunks of about 1 MiB written and read one at a
-- time, so a package of any size moves through bounded memory. The bytes are exactly what
-- the file `productions/<id>.age` held before: the package encrypted again under the
-- production's own data key (package_keys), so these rows open with nothing the database
-- holds alone. They are written while the production is sealed, before its data key is
-- kept; deleted with that key when it is crypto-shredded; deleted when its sealing fails;
-- and, for a sealing a crash interrupted, deleted by the sweep once no chunk has been
-- written for an hour (comity_app::production::stored). A package sealed before this
-- migration has no rows here: its file is read, as before.
CREATE TABLE package_chunks (
    production  TEXT NOT NULL,
    seq         INTEGER NOT NULL CHECK (seq >= 0),
    written_at  TIMESTAMPTZ NOT NULL,
    bytes       BYTEA NOT NULL,
    PRIMARY KEY (production, seq)
);
-- Encrypted bytes do not compress: TOAST stores them out of line without trying.
ALTER TABLE package_chunks ALTER COLUMN bytes SET STORAGE EXTERNAL;

-- Each provider's private production key, sealed by the server key as TOTP secrets are
-- (XChaCha20-Poly1305, bound to the provider and the key id), beside its public half's
-- `production_key.added` fact, written in the one transaction. A copy of the database alone
-- signs nothing. A row is never updated; a new key is a new row.
CREATE TABLE production_private_keys (
    provider  TEXT NOT NULL,
    kid       TEXT NOT NULL,
    sealed    BYTEA NOT NULL,
    PRIMARY KEY (provider, kid)
);
