-- Whistle schema, SQL Server dialect.
CREATE TABLE dbo.county (
    id        nvarchar(64)  NOT NULL CONSTRAINT pk_county PRIMARY KEY,
    name      nvarchar(200) NOT NULL,
    name_en   nvarchar(200) NOT NULL
);

CREATE TABLE dbo.townships (
    id        nvarchar(64)  NOT NULL CONSTRAINT pk_townships PRIMARY KEY,
    name      nvarchar(200) NOT NULL,
    name_en   nvarchar(200) NOT NULL
);

CREATE TABLE dbo.agencies (
    code      nvarchar(64)  NOT NULL CONSTRAINT pk_agencies PRIMARY KEY,
    name      nvarchar(200) NOT NULL,
    name_en   nvarchar(200) NOT NULL
);

CREATE TABLE dbo.branches (
    id          nvarchar(140) NOT NULL CONSTRAINT pk_branches PRIMARY KEY,
    agency_code nvarchar(64)  NOT NULL CONSTRAINT fk_branches_agency REFERENCES dbo.agencies (code),
    township_id nvarchar(64)  NOT NULL CONSTRAINT fk_branches_township REFERENCES dbo.townships (id),
    name        nvarchar(200) NOT NULL,
    name_en     nvarchar(200) NOT NULL,
    position    int           NOT NULL
);

CREATE TABLE dbo.matters (
    code        nvarchar(64)  NOT NULL CONSTRAINT pk_matters PRIMARY KEY,
    name        nvarchar(200) NOT NULL,
    name_en     nvarchar(200) NOT NULL,
    category    nvarchar(100) NOT NULL,
    category_en nvarchar(100) NOT NULL,
    position    int           NOT NULL,
    active      bit           NOT NULL CONSTRAINT df_matters_active DEFAULT 1
);

CREATE TABLE dbo.matter_agencies (
    matter_code nvarchar(64) NOT NULL CONSTRAINT fk_matter_agencies_matter REFERENCES dbo.matters (code),
    agency_code nvarchar(64) NOT NULL CONSTRAINT fk_matter_agencies_agency REFERENCES dbo.agencies (code),
    role        nvarchar(16) NOT NULL,
    position    int          NOT NULL,
    CONSTRAINT pk_matter_agencies PRIMARY KEY (matter_code, agency_code)
);

CREATE TABLE dbo.matter_limits (
    matter_code            nvarchar(64) NOT NULL CONSTRAINT fk_matter_limits_matter REFERENCES dbo.matters (code),
    urgency                nvarchar(16) NOT NULL,
    report_within_minutes  int          NOT NULL,
    resolve_within_minutes int          NOT NULL,
    CONSTRAINT pk_matter_limits PRIMARY KEY (matter_code, urgency)
);

CREATE TABLE dbo.users (
    user_name     nvarchar(100) NOT NULL CONSTRAINT pk_users PRIMARY KEY,
    display_name  nvarchar(200) NOT NULL,
    role          nvarchar(16)  NOT NULL,
    org_id        nvarchar(140) NOT NULL,
    password_hash nvarchar(400) NOT NULL,
    is_demo       bit           NOT NULL CONSTRAINT df_users_is_demo DEFAULT 0
);

CREATE TABLE dbo.whistles (
    id              nvarchar(40)   NOT NULL CONSTRAINT pk_whistles PRIMARY KEY,
    township_id     nvarchar(64)   NOT NULL,
    matter_code     nvarchar(64)   NOT NULL,
    urgency         nvarchar(16)   NOT NULL,
    title           nvarchar(100)  NOT NULL,
    description     nvarchar(2000) NOT NULL,
    address         nvarchar(200)  NOT NULL,
    latitude        float          NULL,
    longitude       float          NULL,
    status          nvarchar(16)   NOT NULL,
    raised_by_user  nvarchar(100)  NOT NULL,
    raised_by_name  nvarchar(200)  NOT NULL,
    raised_at       datetimeoffset(7) NOT NULL,
    updated_at      datetimeoffset(7) NOT NULL,
    version         int            NOT NULL CONSTRAINT df_whistles_version DEFAULT 0
);
CREATE INDEX ix_whistles_township ON dbo.whistles (township_id, raised_at);
CREATE INDEX ix_whistles_raised ON dbo.whistles (raised_at);

CREATE TABLE dbo.whistle_extra_agencies (
    whistle_id  nvarchar(40) NOT NULL CONSTRAINT fk_whistle_extra_agencies_whistle REFERENCES dbo.whistles (id),
    agency_code nvarchar(64) NOT NULL,
    CONSTRAINT pk_whistle_extra_agencies PRIMARY KEY (whistle_id, agency_code)
);

CREATE TABLE dbo.assignments (
    id              nvarchar(40)   NOT NULL CONSTRAINT pk_assignments PRIMARY KEY,
    whistle_id      nvarchar(40)   NOT NULL CONSTRAINT fk_assignments_whistle REFERENCES dbo.whistles (id),
    agency_code     nvarchar(64)   NOT NULL,
    branch_id       nvarchar(140)  NULL,
    role            nvarchar(16)   NOT NULL,
    status          nvarchar(16)   NOT NULL,
    dispatched_at   datetimeoffset(7) NOT NULL,
    report_by       datetimeoffset(7) NOT NULL,
    resolve_by      datetimeoffset(7) NOT NULL,
    reported_at     datetimeoffset(7) NULL,
    resolved_at     datetimeoffset(7) NULL,
    declined_at     datetimeoffset(7) NULL,
    eta_minutes     int            NULL,
    note            nvarchar(2000) NULL,
    decline_reason  nvarchar(2000) NULL,
    rating          nvarchar(32)   NULL,
    rating_comment  nvarchar(2000) NULL,
    position        int            NOT NULL
);
CREATE UNIQUE INDEX ux_assignments_whistle_agency ON dbo.assignments (whistle_id, agency_code);
CREATE INDEX ix_assignments_branch ON dbo.assignments (branch_id, status);
CREATE INDEX ix_assignments_agency ON dbo.assignments (agency_code, status);

CREATE TABLE dbo.timeline (
    sequence      bigint IDENTITY(1, 1) NOT NULL CONSTRAINT pk_timeline PRIMARY KEY,
    whistle_id    nvarchar(40)   NOT NULL,
    assignment_id nvarchar(40)   NULL,
    type          nvarchar(40)   NOT NULL,
    occurred_at   datetimeoffset(7) NOT NULL,
    actor_user    nvarchar(100)  NOT NULL,
    actor_name    nvarchar(200)  NOT NULL,
    actor_org     nvarchar(140)  NOT NULL,
    note          nvarchar(2000) NULL,
    payload       nvarchar(max)  NOT NULL
);
CREATE INDEX ix_timeline_whistle ON dbo.timeline (whistle_id, sequence);

CREATE TABLE dbo.timeline_audience (
    group_name nvarchar(160) NOT NULL,
    sequence   bigint        NOT NULL,
    CONSTRAINT pk_timeline_audience PRIMARY KEY (group_name, sequence)
);

CREATE TABLE dbo.outbox (
    id            bigint IDENTITY(1, 1) NOT NULL CONSTRAINT pk_outbox PRIMARY KEY,
    message_id    nvarchar(36)     NOT NULL,
    message_type  nvarchar(200)    NOT NULL,
    body          nvarchar(max)    NOT NULL,
    created_at    datetimeoffset(7) NOT NULL,
    sent_at       datetimeoffset(7) NULL,
    locked_by     nvarchar(64)     NULL,
    locked_until  datetimeoffset(7) NULL,
    attempts      int              NOT NULL CONSTRAINT df_outbox_attempts DEFAULT 0
);
CREATE INDEX ix_outbox_unsent ON dbo.outbox (sent_at, id);

CREATE TABLE dbo.inbox (
    message_id   nvarchar(36)     NOT NULL,
    consumer     nvarchar(200)    NOT NULL,
    processed_at datetimeoffset(7) NOT NULL,
    CONSTRAINT pk_inbox PRIMARY KEY (message_id, consumer)
);

CREATE TABLE dbo.idempotency_keys (
    user_name       nvarchar(100) NOT NULL,
    idempotency_key nvarchar(200) NOT NULL,
    whistle_id      nvarchar(40)  NOT NULL,
    created_at      datetimeoffset(7) NOT NULL,
    CONSTRAINT pk_idempotency_keys PRIMARY KEY (user_name, idempotency_key)
);
