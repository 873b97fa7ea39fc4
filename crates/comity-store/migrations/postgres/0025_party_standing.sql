-- Issue 16, items 6 and 7: the register grows up. A party's details are changed in its
-- row with a `party.updated` fact in the journal (old and new), and its standing is folded
-- from `party.deactivated`, `party.reactivated`, `party.suspended` and
-- `party.suspension_lifted` facts. A party's suspensions are numbered; these indexes keep
-- each number to one suspension and one lifting, however many operators act at once, and
-- an authority's contact to one removal.
CREATE UNIQUE INDEX journal_suspensions ON journal (party, subject) WHERE kind = 'party.suspended';
CREATE UNIQUE INDEX journal_suspensions_lifted ON journal (party, subject) WHERE kind = 'party.suspension_lifted';
CREATE UNIQUE INDEX journal_contacts_removed ON journal (party, subject) WHERE kind = 'contact.removed';
