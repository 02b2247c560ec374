-- Issue 11: a session ends with its account (security stamp, in every token), sign-in lockout per account and
-- client address under a wider per-account ceiling, password age, and a second factor (TOTP).
-- users.failed_sign_ins / locked_until now count the account-wide ceiling (failures since failures_since).
ALTER TABLE dbo.users ADD
    security_stamp      nvarchar(64)      NOT NULL CONSTRAINT df_users_security_stamp DEFAULT '',
    failures_since      datetimeoffset(7) NULL,
    password_changed_at datetimeoffset(7) NULL,
    totp_secret         nvarchar(1000)    NULL,
    totp_pending_secret nvarchar(1000)    NULL,
    totp_last_step      bigint            NOT NULL CONSTRAINT df_users_totp_last_step DEFAULT 0;
GO
UPDATE dbo.users SET security_stamp = LOWER(REPLACE(CONVERT(nvarchar(36), NEWID()), '-', '')), password_changed_at = created_at, failed_sign_ins = 0, locked_until = NULL;
GO
-- Failed sign-ins of one account from one client address; these lock that account for that address only.
CREATE TABLE dbo.sign_in_failures (
    user_name       nvarchar(100)     NOT NULL,
    remote_address  nvarchar(64)      NOT NULL,
    failures        int               NOT NULL,
    last_failure_at datetimeoffset(7) NOT NULL,
    locked_until    datetimeoffset(7) NULL,
    CONSTRAINT pk_sign_in_failures PRIMARY KEY (user_name, remote_address)
);
