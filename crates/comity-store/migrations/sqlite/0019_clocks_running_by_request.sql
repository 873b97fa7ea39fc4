-- Issue 14: the inbox orders each person's requests by the running deadline due first. For
-- each request in scope it asks for the kind of its soonest running clock (reads.rs,
-- `inbox`); this index answers that from the index alone, the first entry under the
-- request, instead of reading each of its clock rows. Partial, like `clocks_running`: a
-- closed clock is never asked for again.
CREATE INDEX clocks_running_by_request ON clocks (request_id, due_at, kind) WHERE closed_at IS NULL;
