-- Issue 13: with several servers on one database, one sweeps the deadlines at a time.
--
-- A lease per duty (`sweeper`): a server acts only while it holds the lease, taken for a
-- while and renewed as it goes; a server that dies loses it when it runs out. Exactly-once
-- does not rest on the lease (each clock is closed in the transaction that acts on it);
-- the lease keeps servers from doing the same work twice.
CREATE TABLE leases (
    name   TEXT NOT NULL PRIMARY KEY,
    holder TEXT NOT NULL,
    held_until TEXT NOT NULL
);
