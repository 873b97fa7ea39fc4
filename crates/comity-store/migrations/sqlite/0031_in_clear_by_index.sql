-- Issue 17: a server's start no longer reads every request.
--
-- Each start looks for request documents and anti-bulk targets still kept in the clear
-- from before they were sealed at rest (issue 15, migration 0023), and seals them. Without
-- an index, that look read every request's document and every target: a full scan at
-- each start, growing with the store (at a million requests, gigabytes read before the
-- server listens). These partial indexes hold only the rows still in the clear, so the
-- look is an index lookup, and once everything is sealed the indexes are empty. Their
-- conditions are the queries' own (`reads::in_clear`, `reads::clear_targets`) word for
-- word, which is what lets both databases use them.
CREATE INDEX requests_in_clear ON requests (id) WHERE document NOT LIKE 'sealed:%';
CREATE INDEX named_targets_in_clear ON named_targets (scope, selector_type, value)
    WHERE value NOT LIKE 'hmac-sha256:%';
