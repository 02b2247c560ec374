-- Issue 4: the escalation chain's next step per assignment, reassignment, county settings, audit trail.
ALTER TABLE dbo.assignments ADD
    next_step_at           datetimeoffset(7) NULL,
    next_step_kind         nvarchar(16)      NULL,
    next_step_level        int               NULL,
    reminder_count         int               NOT NULL CONSTRAINT df_assignments_reminder_count DEFAULT 0,
    escalation_count       int               NOT NULL CONSTRAINT df_assignments_escalation_count DEFAULT 0,
    last_escalated_at      datetimeoffset(7) NULL,
    previous_assignment_id nvarchar(40)      NULL;
GO
CREATE INDEX ix_assignments_next_step ON dbo.assignments (next_step_at) WHERE next_step_at IS NOT NULL;
CREATE INDEX ix_assignments_dispatched ON dbo.assignments (dispatched_at);

-- Reassignment may return a duty to an agency that declined it earlier: the guard against a
-- second dispatch is the whistle's status and the inbox, no longer this index.
DROP INDEX ux_assignments_whistle_agency ON dbo.assignments;
CREATE INDEX ix_assignments_whistle_agency ON dbo.assignments (whistle_id, agency_code);

ALTER TABLE dbo.county ADD
    reminder_share       float         NOT NULL CONSTRAINT df_county_reminder_share DEFAULT 0.5,
    repeat_every_minutes int           NOT NULL CONSTRAINT df_county_repeat_every_minutes DEFAULT 30,
    weight_response      float         NOT NULL CONSTRAINT df_county_weight_response DEFAULT 0.4,
    weight_resolution    float         NOT NULL CONSTRAINT df_county_weight_resolution DEFAULT 0.3,
    weight_satisfaction  float         NOT NULL CONSTRAINT df_county_weight_satisfaction DEFAULT 0.3,
    file_hash            nvarchar(64)  NULL,
    catalog_version      int           NOT NULL CONSTRAINT df_county_catalog_version DEFAULT 0;

CREATE TABLE dbo.audit_log (
    id           bigint IDENTITY(1, 1) NOT NULL CONSTRAINT pk_audit_log PRIMARY KEY,
    at           datetimeoffset(7) NOT NULL,
    user_name    nvarchar(100)  NOT NULL,
    display_name nvarchar(200)  NOT NULL,
    entity       nvarchar(32)   NOT NULL,
    entity_key   nvarchar(140)  NOT NULL,
    action       nvarchar(16)   NOT NULL,
    before_json  nvarchar(max)  NULL,
    after_json   nvarchar(max)  NULL
);
CREATE INDEX ix_audit_log_at ON dbo.audit_log (at);
