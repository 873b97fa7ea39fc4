-- authority_records.authority is the table's key and, as on PostgreSQL, never NULL. 0006
-- left out NOT NULL here, and SQLite, unlike PostgreSQL, lets a primary key that is not an
-- INTEGER hold NULL (the schema-parity test found it). SQLite cannot add NOT NULL to a
-- column, so the table is rebuilt; nothing references it. comity never wrote a NULL
-- authority; a row without one would count no authority's requests, and is not copied.
CREATE TABLE authority_records_new (
    authority   TEXT PRIMARY KEY NOT NULL,
    requests    BIGINT NOT NULL DEFAULT 0,
    rejected    BIGINT NOT NULL DEFAULT 0,
    emergencies BIGINT NOT NULL DEFAULT 0,
    held        BIGINT NOT NULL DEFAULT 0,
    confirmed   BIGINT NOT NULL DEFAULT 0
);
INSERT INTO authority_records_new (authority, requests, rejected, emergencies, held, confirmed)
    SELECT authority, requests, rejected, emergencies, held, confirmed FROM authority_records
    WHERE authority IS NOT NULL;
DROP TABLE authority_records;
ALTER TABLE authority_records_new RENAME TO authority_records;
