-- Issue 5: accounts that supervisors manage (disable, lockout after failed sign-ins), and an audit trail of every action.
ALTER TABLE users ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN failed_sign_ins INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN locked_until TEXT NULL;
ALTER TABLE users ADD COLUMN created_at TEXT NULL;
ALTER TABLE users ADD COLUMN created_by TEXT NULL;

ALTER TABLE audit_log ADD COLUMN remote_address TEXT NULL;
CREATE INDEX ix_audit_log_entity ON audit_log (entity, entity_key);
