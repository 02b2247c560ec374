-- Issue 8: coordination meetings (协调会议), their summons, and the decisions that become assignments.
CREATE TABLE meetings (
    id              TEXT NOT NULL PRIMARY KEY,
    township_id     TEXT NULL,            -- null: a county-wide meeting called by a supervisor
    kind            TEXT NOT NULL,        -- regular | ad-hoc | on-site
    title           TEXT NOT NULL,
    agenda          TEXT NOT NULL,
    place           TEXT NOT NULL,
    starts_at       TEXT NOT NULL,
    ends_at         TEXT NOT NULL,
    confirm_by      TEXT NOT NULL,
    whistle_id      TEXT NULL,            -- the whistle an on-site joint meeting is about
    series_id       TEXT NULL,            -- the occurrences of one recurring meeting share it
    status          TEXT NOT NULL,        -- scheduled | held | cancelled
    organizer_user  TEXT NOT NULL,
    organizer_name  TEXT NOT NULL,
    organizer_org   TEXT NOT NULL,
    minutes         TEXT NULL,
    minutes_at      TEXT NULL,
    created_at      TEXT NOT NULL,
    version         INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX ix_meetings_township ON meetings (township_id, starts_at);
CREATE INDEX ix_meetings_starts ON meetings (starts_at);

CREATE TABLE meeting_summons (
    id            TEXT NOT NULL PRIMARY KEY,
    meeting_id    TEXT NOT NULL REFERENCES meetings (id),
    agency_code   TEXT NOT NULL,
    branch_id     TEXT NULL,
    status        TEXT NOT NULL,          -- summoned | confirmed | declined
    attendee      TEXT NULL,              -- who will come
    reason        TEXT NULL,              -- why the unit cannot come
    responded_at  TEXT NULL,
    attendance    TEXT NULL,              -- present | late | absent, recorded at the meeting
    checked_in_at TEXT NULL,
    position      INTEGER NOT NULL
);
CREATE INDEX ix_meeting_summons_meeting ON meeting_summons (meeting_id);
CREATE INDEX ix_meeting_summons_branch ON meeting_summons (branch_id);
CREATE INDEX ix_meeting_summons_agency ON meeting_summons (agency_code);

CREATE TABLE meeting_decisions (
    id            TEXT NOT NULL PRIMARY KEY,
    meeting_id    TEXT NOT NULL REFERENCES meetings (id),
    text          TEXT NOT NULL,
    agency_code   TEXT NOT NULL,
    branch_id     TEXT NULL,
    due_at        TEXT NOT NULL,
    whistle_id    TEXT NOT NULL,
    assignment_id TEXT NOT NULL,
    created_at    TEXT NOT NULL
);
CREATE INDEX ix_meeting_decisions_meeting ON meeting_decisions (meeting_id);

ALTER TABLE whistles ADD COLUMN meeting_id TEXT NULL;
