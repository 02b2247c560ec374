-- Issue 11 (等保 2.0 level 3): the audit trail becomes tamper-evident, and administrative powers are split.
-- Roles: the new roles sysadmin, secadmin and auditadmin need no column (users.role holds one role per account);
-- existing supervisor accounts stay supervisors and lose the administrative powers, which the code gives the new roles.
--
-- Audit chain: each row is sealed after it commits by the one audit sealer at a time (AuditChain): it gets the
-- next chain_position, the hash of the row before it (prev_hash) and its own hash, SHA-256 over the row's fields
-- and prev_hash. Rows written before this migration are sealed by the first run, in id order.
ALTER TABLE audit_log ADD COLUMN chain_position INTEGER NULL;
ALTER TABLE audit_log ADD COLUMN prev_hash TEXT NULL;
ALTER TABLE audit_log ADD COLUMN hash TEXT NULL;
CREATE UNIQUE INDEX ux_audit_log_chain_position ON audit_log (chain_position) WHERE chain_position IS NOT NULL;
CREATE INDEX ix_audit_log_unsealed ON audit_log (id) WHERE hash IS NULL;
CREATE INDEX ix_audit_log_user ON audit_log (user_name, at);

-- The chain's two ends: the checkpoint (the position and hash the pruned part ended on) and the head (the last
-- sealed row). One row.
CREATE TABLE audit_chain (
    id                  INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
    checkpoint_position INTEGER NOT NULL,
    checkpoint_hash     TEXT NOT NULL,
    head_position       INTEGER NOT NULL,
    head_hash           TEXT NOT NULL,
    sealed_at           TEXT NULL,
    pruned_at           TEXT NULL
);
INSERT INTO audit_chain (id, checkpoint_position, checkpoint_hash, head_position, head_hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000', 0, '0000000000000000000000000000000000000000000000000000000000000000');
