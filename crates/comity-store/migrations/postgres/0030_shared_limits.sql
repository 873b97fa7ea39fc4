-- Issue 17: limits that hold across several servers on one database.
--
-- A client network's credential failures, for every server: a leaky bucket kept as the
-- instant it will have drained (microseconds since the Unix epoch), which is its level
-- (that instant less now, over the time one failure takes to drain) in one column. A
-- failure is added by one upsert that drains and adds at once, `drained_at_us =
-- max(drained_at_us, now) + step`, so failures that servers add at the same moment all
-- count, and no clock is read in SQL. Servers read the buckets not yet drained about once
-- a second; drained rows are deleted.
CREATE TABLE failure_buckets (
    network TEXT NOT NULL PRIMARY KEY,
    drained_at_us BIGINT NOT NULL
);
CREATE INDEX failure_buckets_by_drained_at ON failure_buckets (drained_at_us);

-- Each running server's heartbeat, renewed about once a second: a server seen within the
-- last few seconds is live. Each enforces its share of the per-client request rate, the
-- rate over the live servers, so that a client spread over them by the balancer gets the
-- rate configured in total.
CREATE TABLE server_heartbeats (
    server TEXT NOT NULL PRIMARY KEY,
    seen_at_us BIGINT NOT NULL
);
