-- Issue 13, item 6: the person concerned appeals through a representative registered for
-- the request (a lawyer, a data protection authority), a party of a register of its own.
--
-- SQLite cannot change a CHECK constraint, so `parties` is rebuilt. Since 0013 the
-- outbox's `notices` reference it by foreign key, and a migration runs in a transaction,
-- where `PRAGMA foreign_keys` cannot be turned off; so the check is deferred to the
-- commit instead: dropping the table counts the notices it leaves without a party, and
-- writing each party back under the same id counts them off again. A party lost on the
-- way would fail the commit (https://sqlite.org/foreignkeys.html#fk_deferred).
PRAGMA defer_foreign_keys = ON;
CREATE TABLE parties_old AS SELECT * FROM parties;
DROP TABLE parties;
CREATE TABLE parties (
    id          TEXT PRIMARY KEY NOT NULL,
    role        TEXT NOT NULL CHECK (role IN ('authority', 'provider', 'reviewer', 'auditor', 'operator', 'representative')),
    country     TEXT NOT NULL,
    kind        TEXT NULL,
    name        TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    -- Parties of one institution are one side for separation of duties.
    institution TEXT NULL
);
INSERT INTO parties (id, role, country, kind, name, created_at, institution)
    SELECT id, role, country, kind, name, created_at, institution FROM parties_old;
DROP TABLE parties_old;
CREATE INDEX parties_by_role ON parties (role, id);
