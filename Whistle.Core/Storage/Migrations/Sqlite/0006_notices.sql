-- Issue 7: outbound notices to chat-group robots (WeCom, DingTalk, Feishu) and signed webhooks.
CREATE TABLE notice_channels (
    id          TEXT NOT NULL PRIMARY KEY,
    unit_kind   TEXT NOT NULL,            -- agency | branch
    unit_id     TEXT NOT NULL,            -- the agency's code or the branch's id
    kind        TEXT NOT NULL,            -- wecom | dingtalk | feishu | webhook
    url         TEXT NOT NULL,
    secret      TEXT NULL,                -- never returned by the API
    events      TEXT NOT NULL,            -- comma-separated event types
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX ix_notice_channels_unit ON notice_channels (unit_kind, unit_id);

CREATE TABLE notice_deliveries (
    id               TEXT NOT NULL PRIMARY KEY,
    channel_id       TEXT NOT NULL,
    sequence         INTEGER NOT NULL,     -- the timeline event delivered
    event_type       TEXT NOT NULL,
    event_json       TEXT NOT NULL,
    status           TEXT NOT NULL,        -- pending | sent | failed
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  TEXT NULL,
    last_error       TEXT NULL,
    sent_at          TEXT NULL,
    created_at       TEXT NOT NULL
);
CREATE UNIQUE INDEX ux_notice_deliveries_channel_sequence ON notice_deliveries (channel_id, sequence);
CREATE INDEX ix_notice_deliveries_due ON notice_deliveries (status, next_attempt_at);

CREATE TABLE notice_attempts (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    delivery_id   TEXT NOT NULL,
    attempt       INTEGER NOT NULL,
    attempted_at  TEXT NOT NULL,
    status_code   INTEGER NULL,
    error         TEXT NULL,
    duration_ms   INTEGER NOT NULL
);
CREATE INDEX ix_notice_attempts_delivery ON notice_attempts (delivery_id, attempt);
