-- Issue 16, item 8: policy packs reviewable by civil society. comity keeps the exact text of
-- every pack version it has judged with, as a `pack.adopted` fact in the journal (so that
-- the audit log commits to it, with the time it was first seen), once per hash: two
-- servers starting together with a new pack record it once.
CREATE UNIQUE INDEX journal_pack_versions ON journal (subject) WHERE kind = 'pack.adopted';

-- How many requests each pack version judged, counted from the screenings.
CREATE INDEX screenings_by_pack ON screenings (pack_id, pack_hash, request_id);
