-- Issue 17: several servers on one database must share its keys. The first server to
-- start keeps its log's verifier key and a check sealed with its server key here; every
-- later one compares, and refuses to start, saying why, when its keys differ.
CREATE TABLE deployment (
    name  TEXT NOT NULL PRIMARY KEY,
    value TEXT NOT NULL
);
