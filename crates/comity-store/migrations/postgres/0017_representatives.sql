-- Issue 13, item 6: the person concerned appeals through a representative registered for
-- the request (a lawyer, a data protection authority), a party of a register of its own.
ALTER TABLE parties DROP CONSTRAINT parties_role_check;
ALTER TABLE parties ADD CONSTRAINT parties_role_check
    CHECK (role IN ('authority', 'provider', 'reviewer', 'auditor', 'operator', 'representative'));
