-- Issue 8: coordination meetings (协调会议), their summons, and the decisions that become assignments.
CREATE TABLE dbo.meetings (
    id              nvarchar(40)   NOT NULL CONSTRAINT pk_meetings PRIMARY KEY,
    township_id     nvarchar(64)   NULL,
    kind            nvarchar(16)   NOT NULL,
    title           nvarchar(100)  NOT NULL,
    agenda          nvarchar(2000) NOT NULL,
    place           nvarchar(200)  NOT NULL,
    starts_at       datetimeoffset(7) NOT NULL,
    ends_at         datetimeoffset(7) NOT NULL,
    confirm_by      datetimeoffset(7) NOT NULL,
    whistle_id      nvarchar(40)   NULL,
    series_id       nvarchar(40)   NULL,
    status          nvarchar(16)   NOT NULL,
    organizer_user  nvarchar(100)  NOT NULL,
    organizer_name  nvarchar(200)  NOT NULL,
    organizer_org   nvarchar(140)  NOT NULL,
    minutes         nvarchar(max)  NULL,
    minutes_at      datetimeoffset(7) NULL,
    created_at      datetimeoffset(7) NOT NULL,
    version         int            NOT NULL CONSTRAINT df_meetings_version DEFAULT 0
);
CREATE INDEX ix_meetings_township ON dbo.meetings (township_id, starts_at);
CREATE INDEX ix_meetings_starts ON dbo.meetings (starts_at);

CREATE TABLE dbo.meeting_summons (
    id            nvarchar(40)   NOT NULL CONSTRAINT pk_meeting_summons PRIMARY KEY,
    meeting_id    nvarchar(40)   NOT NULL CONSTRAINT fk_meeting_summons_meeting REFERENCES dbo.meetings (id),
    agency_code   nvarchar(64)   NOT NULL,
    branch_id     nvarchar(140)  NULL,
    status        nvarchar(16)   NOT NULL,
    attendee      nvarchar(200)  NULL,
    reason        nvarchar(2000) NULL,
    responded_at  datetimeoffset(7) NULL,
    attendance    nvarchar(16)   NULL,
    checked_in_at datetimeoffset(7) NULL,
    position      int            NOT NULL
);
CREATE INDEX ix_meeting_summons_meeting ON dbo.meeting_summons (meeting_id);
CREATE INDEX ix_meeting_summons_branch ON dbo.meeting_summons (branch_id);
CREATE INDEX ix_meeting_summons_agency ON dbo.meeting_summons (agency_code);

CREATE TABLE dbo.meeting_decisions (
    id            nvarchar(40)   NOT NULL CONSTRAINT pk_meeting_decisions PRIMARY KEY,
    meeting_id    nvarchar(40)   NOT NULL CONSTRAINT fk_meeting_decisions_meeting REFERENCES dbo.meetings (id),
    text          nvarchar(2000) NOT NULL,
    agency_code   nvarchar(64)   NOT NULL,
    branch_id     nvarchar(140)  NULL,
    due_at        datetimeoffset(7) NOT NULL,
    whistle_id    nvarchar(40)   NOT NULL,
    assignment_id nvarchar(40)   NOT NULL,
    created_at    datetimeoffset(7) NOT NULL
);
CREATE INDEX ix_meeting_decisions_meeting ON dbo.meeting_decisions (meeting_id);

ALTER TABLE dbo.whistles ADD meeting_id nvarchar(40) NULL;
