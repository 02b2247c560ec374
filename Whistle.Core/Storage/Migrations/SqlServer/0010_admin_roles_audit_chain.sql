-- Issue 11 (等保 2.0 level 3): the audit trail becomes tamper-evident, and administrative powers are split.
-- Roles: the new roles sysadmin, secadmin and auditadmin need no column (users.role holds one role per account);
-- existing supervisor accounts stay supervisors and lose the administrative powers, which the code gives the new roles.
--
-- Audit chain: each row is sealed after it commits by the one audit sealer at a time (AuditChain, under the
-- application lock 'whistle-audit-chain'): it gets the next chain_position, the hash of the row before it
-- (prev_hash) and its own hash, SHA-256 over the row's fields and prev_hash. Rows written before this migration
-- are sealed by the first run, in id order.
-- Actions longer than 16 characters ('attendance-recorded', 'second-factor-enrolled', 'locked-out-everywhere')
-- did not fit the column: widened first.
ALTER TABLE dbo.audit_log ALTER COLUMN action nvarchar(64) NOT NULL;
ALTER TABLE dbo.audit_log ADD
    chain_position bigint   NULL,
    prev_hash      char(64) NULL,
    hash           char(64) NULL;
GO
CREATE UNIQUE INDEX ux_audit_log_chain_position ON dbo.audit_log (chain_position) WHERE chain_position IS NOT NULL;
CREATE INDEX ix_audit_log_unsealed ON dbo.audit_log (id) WHERE hash IS NULL;
CREATE INDEX ix_audit_log_user ON dbo.audit_log (user_name, at);

-- The chain's two ends: the checkpoint (the position and hash the pruned part ended on) and the head (the last
-- sealed row). One row.
CREATE TABLE dbo.audit_chain (
    id                  int               NOT NULL CONSTRAINT pk_audit_chain PRIMARY KEY CONSTRAINT ck_audit_chain_one CHECK (id = 1),
    checkpoint_position bigint            NOT NULL,
    checkpoint_hash     char(64)          NOT NULL,
    head_position       bigint            NOT NULL,
    head_hash           char(64)          NOT NULL,
    sealed_at           datetimeoffset(7) NULL,
    pruned_at           datetimeoffset(7) NULL
);
INSERT INTO dbo.audit_chain (id, checkpoint_position, checkpoint_hash, head_position, head_hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000', 0, '0000000000000000000000000000000000000000000000000000000000000000');
