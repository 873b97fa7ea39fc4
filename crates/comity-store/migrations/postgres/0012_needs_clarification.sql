-- Issue 13, item 9: screening may conclude that the authority must supply a missing
-- element (`needs_clarification`, Regulation (EU) 2023/1543 Art 10(5), Annex III) before
-- anyone reviews the request. Changing a constraint writes no row, so the append-only
-- triggers are not involved.
ALTER TABLE screenings DROP CONSTRAINT screenings_verdict_check;
ALTER TABLE screenings ADD CONSTRAINT screenings_verdict_check
    CHECK (verdict IN ('admissible', 'needs_review', 'needs_clarification', 'inadmissible'));
