-- Issue 15, item 4: remedies. The authority's attestation that it deleted the data a remedy
-- case recalled is due on a clock of its own kind.
ALTER TABLE clocks DROP CONSTRAINT clocks_kind_check;
ALTER TABLE clocks ADD CONSTRAINT clocks_kind_check CHECK (kind IN ('respond_by', 'validation',
    'objection_window', 'preservation_end', 'nondisclosure_end', 'retention', 'disposal_attestation',
    'recall'));
