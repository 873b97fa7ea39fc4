-- Login attempts by (attempted name, client network), not by name alone (issue 12,
-- finding 2): five failures from one address locked a name for everyone, its owner
-- included. An attempt is counted before its password is checked, and cleared when it
-- succeeds; idle pairs are forgotten (see comity_core::trust::LOGIN_ATTEMPTS_RESET_HOURS).
-- The old counts per name are dropped: they only ever delayed, and would now lock nobody.
DROP TABLE IF EXISTS login_throttle;
CREATE TABLE IF NOT EXISTS login_attempts (
    name         TEXT NOT NULL,
    client       TEXT NOT NULL,
    attempts     INTEGER NOT NULL,
    last_attempt TIMESTAMPTZ NOT NULL,
    locked_until TIMESTAMPTZ NULL,
    PRIMARY KEY (name, client)
);
CREATE INDEX IF NOT EXISTS login_attempts_by_last_attempt ON login_attempts (last_attempt);
