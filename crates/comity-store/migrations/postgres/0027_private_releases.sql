-- Issue 16, item 4: differential-privacy releases of the transparency report's fine
-- breakdown. Each release is a `transparency.released` fact numbered from 1; this index keeps
-- a number to one release, so that two operators releasing at once cannot both spend what
-- is left of the privacy budget: the second one's append fails, and it reads the budget
-- again.
CREATE UNIQUE INDEX journal_private_releases ON journal (subject) WHERE kind = 'transparency.released';
