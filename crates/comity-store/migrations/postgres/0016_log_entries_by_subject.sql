-- Issue 13: every request now has journal facts of its own (the reviewer the law assigns,
-- the deadlines that pass), and reading a request's journal joins each fact to its log
-- entry by (subject_kind, subject_seq). Without this index the join read every journal
-- entry of the log for each fact: intake fell to 0.28 of the build before and a read of a
-- request to 0.17 once some thousands were stored (docs/benchmarks.md, "Review (issue 13)").
CREATE INDEX log_entries_by_subject_seq ON log_entries (subject_kind, subject_seq);
