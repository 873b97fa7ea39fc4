-- Issue 17: the registers' version. Every write that changes what a register answers (a
-- party registered or changed, a key, a standing, a contact, an endpoint, a recipient, a
-- production key, an API token) adds one to it in its own transaction. A server keeps
-- what it has read of the registers, and reads this one number at the start of each
-- authenticated use case: a key revoked or a party suspended through another server (or
-- the command line) is refused by the next request anywhere, not after a cache expires.
CREATE TABLE register_version (
    id INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
    version BIGINT NOT NULL
);
INSERT INTO register_version (id, version) VALUES (1, 0);
