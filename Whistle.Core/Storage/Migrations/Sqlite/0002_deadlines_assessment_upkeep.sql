-- Issue 4: the escalation chain's next step per assignment, reassignment, county settings, audit trail.
ALTER TABLE assignments ADD COLUMN next_step_at TEXT NULL;
ALTER TABLE assignments ADD COLUMN next_step_kind TEXT NULL;
ALTER TABLE assignments ADD COLUMN next_step_level INTEGER NULL;
ALTER TABLE assignments ADD COLUMN reminder_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE assignments ADD COLUMN escalation_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE assignments ADD COLUMN last_escalated_at TEXT NULL;
ALTER TABLE assignments ADD COLUMN previous_assignment_id TEXT NULL;
CREATE INDEX ix_assignments_next_step ON assignments (next_step_at);
CREATE INDEX ix_assignments_dispatched ON assignments (dispatched_at);

-- Reassignment may return a duty to an agency that declined it earlier: the guard against a
-- second dispatch is the whistle's status and the inbox, no longer this index.
DROP INDEX ux_assignments_whistle_agency;
CREATE INDEX ix_assignments_whistle_agency ON assignments (whistle_id, agency_code);

ALTER TABLE county ADD COLUMN reminder_share REAL NOT NULL DEFAULT 0.5;
ALTER TABLE county ADD COLUMN repeat_every_minutes INTEGER NOT NULL DEFAULT 30;
ALTER TABLE county ADD COLUMN weight_response REAL NOT NULL DEFAULT 0.4;
ALTER TABLE county ADD COLUMN weight_resolution REAL NOT NULL DEFAULT 0.3;
ALTER TABLE county ADD COLUMN weight_satisfaction REAL NOT NULL DEFAULT 0.3;
ALTER TABLE county ADD COLUMN file_hash TEXT NULL;
ALTER TABLE county ADD COLUMN catalog_version INTEGER NOT NULL DEFAULT 0;

CREATE TABLE audit_log (
    id           INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    at           TEXT NOT NULL,
    user_name    TEXT NOT NULL,
    display_name TEXT NOT NULL,
    entity       TEXT NOT NULL,
    entity_key   TEXT NOT NULL,
    action       TEXT NOT NULL,
    before_json  TEXT NULL,
    after_json   TEXT NULL
);
CREATE INDEX ix_audit_log_at ON audit_log (at);
