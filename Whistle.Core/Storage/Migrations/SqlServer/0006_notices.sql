-- Issue 7: outbound notices to chat-group robots (WeCom, DingTalk, Feishu) and signed webhooks.
CREATE TABLE dbo.notice_channels (
    id          nvarchar(64)   NOT NULL CONSTRAINT pk_notice_channels PRIMARY KEY,
    unit_kind   nvarchar(16)   NOT NULL,
    unit_id     nvarchar(140)  NOT NULL,
    kind        nvarchar(16)   NOT NULL,
    url         nvarchar(2000) NOT NULL,
    secret      nvarchar(200)  NULL,
    events      nvarchar(400)  NOT NULL,
    created_at  datetimeoffset(7) NOT NULL,
    updated_at  datetimeoffset(7) NOT NULL
);
CREATE INDEX ix_notice_channels_unit ON dbo.notice_channels (unit_kind, unit_id);

CREATE TABLE dbo.notice_deliveries (
    id               nvarchar(40)   NOT NULL CONSTRAINT pk_notice_deliveries PRIMARY KEY,
    channel_id       nvarchar(64)   NOT NULL,
    sequence         bigint         NOT NULL,
    event_type       nvarchar(64)   NOT NULL,
    event_json       nvarchar(max)  NOT NULL,
    status           nvarchar(16)   NOT NULL,
    attempts         int            NOT NULL CONSTRAINT df_notice_deliveries_attempts DEFAULT 0,
    next_attempt_at  datetimeoffset(7) NULL,
    last_error       nvarchar(2000) NULL,
    sent_at          datetimeoffset(7) NULL,
    created_at       datetimeoffset(7) NOT NULL
);
CREATE UNIQUE INDEX ux_notice_deliveries_channel_sequence ON dbo.notice_deliveries (channel_id, sequence);
CREATE INDEX ix_notice_deliveries_due ON dbo.notice_deliveries (status, next_attempt_at);

CREATE TABLE dbo.notice_attempts (
    id            bigint IDENTITY(1,1) NOT NULL CONSTRAINT pk_notice_attempts PRIMARY KEY,
    delivery_id   nvarchar(40)   NOT NULL,
    attempt       int            NOT NULL,
    attempted_at  datetimeoffset(7) NOT NULL,
    status_code   int            NULL,
    error         nvarchar(2000) NULL,
    duration_ms   int            NOT NULL
);
CREATE INDEX ix_notice_attempts_delivery ON dbo.notice_attempts (delivery_id, attempt);
