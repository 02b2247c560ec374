-- Issue 11: a session ends with its account (security stamp, in every token), sign-in lockout per account and
-- client address under a wider per-account ceiling, password age, and a second factor (TOTP).
-- users.failed_sign_ins / locked_until now count the account-wide ceiling (failures since failures_since).
ALTER TABLE users ADD COLUMN security_stamp TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN failures_since TEXT NULL;
ALTER TABLE users ADD COLUMN password_changed_at TEXT NULL;
ALTER TABLE users ADD COLUMN totp_secret TEXT NULL;
ALTER TABLE users ADD COLUMN totp_pending_secret TEXT NULL;
ALTER TABLE users ADD COLUMN totp_last_step INTEGER NOT NULL DEFAULT 0;
UPDATE users SET security_stamp = lower(hex(randomblob(16))), password_changed_at = created_at, failed_sign_ins = 0, locked_until = NULL;

-- Failed sign-ins of one account from one client address; these lock that account for that address only.
CREATE TABLE sign_in_failures (
    user_name       TEXT NOT NULL,
    remote_address  TEXT NOT NULL,
    failures        INTEGER NOT NULL,
    last_failure_at TEXT NOT NULL,
    locked_until    TEXT NULL,
    PRIMARY KEY (user_name, remote_address)
);
