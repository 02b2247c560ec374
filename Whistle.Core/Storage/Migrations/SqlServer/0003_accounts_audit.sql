-- Issue 5: accounts that supervisors manage (disable, lockout after failed sign-ins), and an audit trail of every action.
ALTER TABLE dbo.users ADD
    disabled        bit               NOT NULL CONSTRAINT df_users_disabled DEFAULT 0,
    failed_sign_ins int               NOT NULL CONSTRAINT df_users_failed_sign_ins DEFAULT 0,
    locked_until    datetimeoffset(7) NULL,
    created_at      datetimeoffset(7) NULL,
    created_by      nvarchar(100)     NULL;

ALTER TABLE dbo.audit_log ADD remote_address nvarchar(64) NULL;
GO
CREATE INDEX ix_audit_log_entity ON dbo.audit_log (entity, entity_key);
