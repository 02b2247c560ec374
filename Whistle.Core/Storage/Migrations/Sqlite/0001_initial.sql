-- Whistle schema, SQLite dialect. Times are ISO-8601 UTC text; booleans are 0/1.
CREATE TABLE county (
    id        TEXT NOT NULL PRIMARY KEY,
    name      TEXT NOT NULL,
    name_en   TEXT NOT NULL
);

CREATE TABLE townships (
    id        TEXT NOT NULL PRIMARY KEY,
    name      TEXT NOT NULL,
    name_en   TEXT NOT NULL
);

CREATE TABLE agencies (
    code      TEXT NOT NULL PRIMARY KEY,
    name      TEXT NOT NULL,
    name_en   TEXT NOT NULL
);

CREATE TABLE branches (
    id          TEXT NOT NULL PRIMARY KEY,
    agency_code TEXT NOT NULL REFERENCES agencies (code),
    township_id TEXT NOT NULL REFERENCES townships (id),
    name        TEXT NOT NULL,
    name_en     TEXT NOT NULL,
    position    INTEGER NOT NULL
);

CREATE TABLE matters (
    code        TEXT NOT NULL PRIMARY KEY,
    name        TEXT NOT NULL,
    name_en     TEXT NOT NULL,
    category    TEXT NOT NULL,
    category_en TEXT NOT NULL,
    position    INTEGER NOT NULL,
    active      INTEGER NOT NULL DEFAULT 1
);

CREATE TABLE matter_agencies (
    matter_code TEXT NOT NULL REFERENCES matters (code),
    agency_code TEXT NOT NULL REFERENCES agencies (code),
    role        TEXT NOT NULL,
    position    INTEGER NOT NULL,
    PRIMARY KEY (matter_code, agency_code)
);

CREATE TABLE matter_limits (
    matter_code            TEXT NOT NULL REFERENCES matters (code),
    urgency                TEXT NOT NULL,
    report_within_minutes  INTEGER NOT NULL,
    resolve_within_minutes INTEGER NOT NULL,
    PRIMARY KEY (matter_code, urgency)
);

CREATE TABLE users (
    user_name     TEXT NOT NULL PRIMARY KEY,
    display_name  TEXT NOT NULL,
    role          TEXT NOT NULL,
    org_id        TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    is_demo       INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE whistles (
    id              TEXT NOT NULL PRIMARY KEY,
    township_id     TEXT NOT NULL,
    matter_code     TEXT NOT NULL,
    urgency         TEXT NOT NULL,
    title           TEXT NOT NULL,
    description     TEXT NOT NULL,
    address         TEXT NOT NULL,
    latitude        REAL NULL,
    longitude       REAL NULL,
    status          TEXT NOT NULL,
    raised_by_user  TEXT NOT NULL,
    raised_by_name  TEXT NOT NULL,
    raised_at       TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    version         INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX ix_whistles_township ON whistles (township_id, raised_at);
CREATE INDEX ix_whistles_raised ON whistles (raised_at);

CREATE TABLE whistle_extra_agencies (
    whistle_id  TEXT NOT NULL REFERENCES whistles (id),
    agency_code TEXT NOT NULL,
    PRIMARY KEY (whistle_id, agency_code)
);

CREATE TABLE assignments (
    id              TEXT NOT NULL PRIMARY KEY,
    whistle_id      TEXT NOT NULL REFERENCES whistles (id),
    agency_code     TEXT NOT NULL,
    branch_id       TEXT NULL,
    role            TEXT NOT NULL,
    status          TEXT NOT NULL,
    dispatched_at   TEXT NOT NULL,
    report_by       TEXT NOT NULL,
    resolve_by      TEXT NOT NULL,
    reported_at     TEXT NULL,
    resolved_at     TEXT NULL,
    declined_at     TEXT NULL,
    eta_minutes     INTEGER NULL,
    note            TEXT NULL,
    decline_reason  TEXT NULL,
    rating          TEXT NULL,
    rating_comment  TEXT NULL,
    position        INTEGER NOT NULL
);
-- One duty per agency per whistle: a redelivered WhistleRaised can never dispatch twice.
CREATE UNIQUE INDEX ux_assignments_whistle_agency ON assignments (whistle_id, agency_code);
CREATE INDEX ix_assignments_branch ON assignments (branch_id, status);
CREATE INDEX ix_assignments_agency ON assignments (agency_code, status);

-- The append-only timeline; its key is the global sequence of the push contract.
CREATE TABLE timeline (
    sequence      INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    whistle_id    TEXT NOT NULL,
    assignment_id TEXT NULL,
    type          TEXT NOT NULL,
    occurred_at   TEXT NOT NULL,
    actor_user    TEXT NOT NULL,
    actor_name    TEXT NOT NULL,
    actor_org     TEXT NOT NULL,
    note          TEXT NULL,
    payload       TEXT NOT NULL
);
CREATE INDEX ix_timeline_whistle ON timeline (whistle_id, sequence);

-- Who may see each timeline event: one row per SignalR group.
CREATE TABLE timeline_audience (
    group_name TEXT NOT NULL,
    sequence   INTEGER NOT NULL,
    PRIMARY KEY (group_name, sequence)
);

CREATE TABLE outbox (
    id            INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    message_id    TEXT NOT NULL,
    message_type  TEXT NOT NULL,
    body          TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    sent_at       TEXT NULL,
    locked_by     TEXT NULL,
    locked_until  TEXT NULL,
    attempts      INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX ix_outbox_unsent ON outbox (sent_at, id);

CREATE TABLE inbox (
    message_id   TEXT NOT NULL,
    consumer     TEXT NOT NULL,
    processed_at TEXT NOT NULL,
    PRIMARY KEY (message_id, consumer)
);

CREATE TABLE idempotency_keys (
    user_name       TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    whistle_id      TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    PRIMARY KEY (user_name, idempotency_key)
);
