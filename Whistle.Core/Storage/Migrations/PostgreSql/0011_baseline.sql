-- Whistle schema, PostgreSQL dialect: the baseline, the schema as the released migrations 0001-0011 leave it on SQLite and
-- SQL Server (a new provider starts here; later migrations are shared or written per dialect under their own numbers).
-- Text is text with a CHECK on its length where the others bound it (nvarchar(n) on SQL Server): the same limits, one
-- rule for every provider, read by Data/When_a_value_meets_its_column. Moments are timestamptz (UTC, microseconds;
-- the code binds DateTimeOffset in UTC: DateTimeOffsetHandler). Integers are bigint: the code's row types read what
-- SQLite gives (a 64-bit INTEGER), and Dapper fills a positional record only from exactly its types. Booleans are
-- smallint 0/1, as portable SQL compares them with 0 and 1 (the code binds them as numbers). Keys the database numbers are identity columns; their values
-- may commit out of order, which is why the timeline's writers take an advisory lock (PostgreSqlDialect.UnderLock).

CREATE TABLE county (
    id text NOT NULL PRIMARY KEY CHECK (char_length(id) <= 64),
    name text NOT NULL CHECK (char_length(name) <= 200),
    name_en text NOT NULL CHECK (char_length(name_en) <= 200),
    reminder_share double precision NOT NULL DEFAULT 0.5,
    repeat_every_minutes bigint NOT NULL DEFAULT 30,
    weight_response double precision NOT NULL DEFAULT 0.4,
    weight_resolution double precision NOT NULL DEFAULT 0.3,
    weight_satisfaction double precision NOT NULL DEFAULT 0.3,
    file_hash text NULL CHECK (char_length(file_hash) <= 64),
    catalog_version bigint NOT NULL DEFAULT 0
);

CREATE TABLE townships (
    id text NOT NULL PRIMARY KEY CHECK (char_length(id) <= 64),
    name text NOT NULL CHECK (char_length(name) <= 200),
    name_en text NOT NULL CHECK (char_length(name_en) <= 200)
);

CREATE TABLE agencies (
    code text NOT NULL PRIMARY KEY CHECK (char_length(code) <= 64),
    name text NOT NULL CHECK (char_length(name) <= 200),
    name_en text NOT NULL CHECK (char_length(name_en) <= 200)
);

CREATE TABLE branches (
    id text NOT NULL PRIMARY KEY CHECK (char_length(id) <= 140),
    agency_code text NOT NULL REFERENCES agencies (code) CHECK (char_length(agency_code) <= 64),
    township_id text NOT NULL REFERENCES townships (id) CHECK (char_length(township_id) <= 64),
    name text NOT NULL CHECK (char_length(name) <= 200),
    name_en text NOT NULL CHECK (char_length(name_en) <= 200),
    position bigint NOT NULL
);

CREATE TABLE matters (
    code text NOT NULL PRIMARY KEY CHECK (char_length(code) <= 64),
    name text NOT NULL CHECK (char_length(name) <= 200),
    name_en text NOT NULL CHECK (char_length(name_en) <= 200),
    category text NOT NULL CHECK (char_length(category) <= 100),
    category_en text NOT NULL CHECK (char_length(category_en) <= 100),
    position bigint NOT NULL,
    active smallint NOT NULL DEFAULT 1 CHECK (active IN (0, 1))
);

CREATE TABLE matter_agencies (
    matter_code text NOT NULL REFERENCES matters (code) CHECK (char_length(matter_code) <= 64),
    agency_code text NOT NULL REFERENCES agencies (code) CHECK (char_length(agency_code) <= 64),
    role text NOT NULL CHECK (char_length(role) <= 16),
    position bigint NOT NULL,
    PRIMARY KEY (matter_code, agency_code)
);

CREATE TABLE matter_limits (
    matter_code text NOT NULL REFERENCES matters (code) CHECK (char_length(matter_code) <= 64),
    urgency text NOT NULL CHECK (char_length(urgency) <= 16),
    report_within_minutes bigint NOT NULL,
    resolve_within_minutes bigint NOT NULL,
    PRIMARY KEY (matter_code, urgency)
);

CREATE TABLE users (
    user_name text NOT NULL PRIMARY KEY CHECK (char_length(user_name) <= 100),
    display_name text NOT NULL CHECK (char_length(display_name) <= 200),
    role text NOT NULL CHECK (char_length(role) <= 16),
    org_id text NOT NULL CHECK (char_length(org_id) <= 140),
    password_hash text NOT NULL CHECK (char_length(password_hash) <= 400),
    is_demo smallint NOT NULL DEFAULT 0 CHECK (is_demo IN (0, 1)),
    disabled smallint NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
    failed_sign_ins bigint NOT NULL DEFAULT 0,
    locked_until timestamptz NULL,
    created_at timestamptz NULL,
    created_by text NULL CHECK (char_length(created_by) <= 100),
    security_stamp text NOT NULL DEFAULT '' CHECK (char_length(security_stamp) <= 64),
    failures_since timestamptz NULL,
    password_changed_at timestamptz NULL,
    totp_secret text NULL CHECK (char_length(totp_secret) <= 1000),
    totp_pending_secret text NULL CHECK (char_length(totp_pending_secret) <= 1000),
    totp_last_step bigint NOT NULL DEFAULT 0
);

CREATE TABLE sign_in_failures (
    user_name text NOT NULL CHECK (char_length(user_name) <= 100),
    remote_address text NOT NULL CHECK (char_length(remote_address) <= 64),
    failures bigint NOT NULL,
    last_failure_at timestamptz NOT NULL,
    locked_until timestamptz NULL,
    PRIMARY KEY (user_name, remote_address)
);

CREATE TABLE whistles (
    id text NOT NULL PRIMARY KEY CHECK (char_length(id) <= 40),
    township_id text NOT NULL CHECK (char_length(township_id) <= 64),
    matter_code text NOT NULL CHECK (char_length(matter_code) <= 64),
    urgency text NOT NULL CHECK (char_length(urgency) <= 16),
    title text NOT NULL CHECK (char_length(title) <= 100),
    description text NOT NULL CHECK (char_length(description) <= 2000),
    address text NOT NULL CHECK (char_length(address) <= 200),
    latitude double precision NULL,
    longitude double precision NULL,
    status text NOT NULL CHECK (char_length(status) <= 16),
    raised_by_user text NOT NULL CHECK (char_length(raised_by_user) <= 100),
    raised_by_name text NOT NULL CHECK (char_length(raised_by_name) <= 200),
    raised_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    version bigint NOT NULL DEFAULT 0,
    meeting_id text NULL CHECK (char_length(meeting_id) <= 40)
);

CREATE TABLE whistle_extra_agencies (
    whistle_id text NOT NULL REFERENCES whistles (id) CHECK (char_length(whistle_id) <= 40),
    agency_code text NOT NULL CHECK (char_length(agency_code) <= 64),
    PRIMARY KEY (whistle_id, agency_code)
);

CREATE TABLE assignments (
    id text NOT NULL PRIMARY KEY CHECK (char_length(id) <= 40),
    whistle_id text NOT NULL REFERENCES whistles (id) CHECK (char_length(whistle_id) <= 40),
    agency_code text NOT NULL CHECK (char_length(agency_code) <= 64),
    branch_id text NULL CHECK (char_length(branch_id) <= 140),
    role text NOT NULL CHECK (char_length(role) <= 16),
    status text NOT NULL CHECK (char_length(status) <= 16),
    dispatched_at timestamptz NOT NULL,
    report_by timestamptz NOT NULL,
    resolve_by timestamptz NOT NULL,
    reported_at timestamptz NULL,
    resolved_at timestamptz NULL,
    declined_at timestamptz NULL,
    eta_minutes bigint NULL,
    note text NULL CHECK (char_length(note) <= 2000),
    decline_reason text NULL CHECK (char_length(decline_reason) <= 2000),
    rating text NULL CHECK (char_length(rating) <= 32),
    rating_comment text NULL CHECK (char_length(rating_comment) <= 2000),
    position bigint NOT NULL,
    next_step_at timestamptz NULL,
    next_step_kind text NULL CHECK (char_length(next_step_kind) <= 16),
    next_step_level bigint NULL,
    reminder_count bigint NOT NULL DEFAULT 0,
    escalation_count bigint NOT NULL DEFAULT 0,
    last_escalated_at timestamptz NULL,
    previous_assignment_id text NULL CHECK (char_length(previous_assignment_id) <= 40),
    reassigned_at timestamptz NULL
);

CREATE TABLE timeline (
    sequence bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    whistle_id text NOT NULL CHECK (char_length(whistle_id) <= 40),
    assignment_id text NULL CHECK (char_length(assignment_id) <= 40),
    type text NOT NULL CHECK (char_length(type) <= 40),
    occurred_at timestamptz NOT NULL,
    actor_user text NOT NULL CHECK (char_length(actor_user) <= 100),
    actor_name text NOT NULL CHECK (char_length(actor_name) <= 200),
    actor_org text NOT NULL CHECK (char_length(actor_org) <= 140),
    note text NULL CHECK (char_length(note) <= 2000),
    payload text NOT NULL
);

CREATE TABLE timeline_audience (
    group_name text NOT NULL CHECK (char_length(group_name) <= 160),
    sequence bigint NOT NULL,
    PRIMARY KEY (group_name, sequence)
);

CREATE TABLE outbox (
    id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    message_id text NOT NULL CHECK (char_length(message_id) <= 36),
    message_type text NOT NULL CHECK (char_length(message_type) <= 200),
    body text NOT NULL,
    created_at timestamptz NOT NULL,
    sent_at timestamptz NULL,
    locked_by text NULL CHECK (char_length(locked_by) <= 64),
    locked_until timestamptz NULL,
    attempts bigint NOT NULL DEFAULT 0,
    trace_parent text NULL CHECK (char_length(trace_parent) <= 64),
    set_aside_at timestamptz NULL,
    last_error text NULL CHECK (char_length(last_error) <= 2000)
);

CREATE TABLE inbox (
    message_id text NOT NULL CHECK (char_length(message_id) <= 36),
    consumer text NOT NULL CHECK (char_length(consumer) <= 200),
    processed_at timestamptz NOT NULL,
    PRIMARY KEY (message_id, consumer)
);

CREATE TABLE idempotency_keys (
    user_name text NOT NULL CHECK (char_length(user_name) <= 100),
    idempotency_key text NOT NULL CHECK (char_length(idempotency_key) <= 200),
    whistle_id text NOT NULL CHECK (char_length(whistle_id) <= 40),
    created_at timestamptz NOT NULL,
    PRIMARY KEY (user_name, idempotency_key)
);

CREATE TABLE audit_log (
    id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    at timestamptz NOT NULL,
    user_name text NOT NULL CHECK (char_length(user_name) <= 100),
    display_name text NOT NULL CHECK (char_length(display_name) <= 200),
    entity text NOT NULL CHECK (char_length(entity) <= 32),
    entity_key text NOT NULL CHECK (char_length(entity_key) <= 140),
    action text NOT NULL CHECK (char_length(action) <= 64),
    before_json text NULL,
    after_json text NULL,
    remote_address text NULL CHECK (char_length(remote_address) <= 64),
    chain_position bigint NULL,
    prev_hash text NULL CHECK (char_length(prev_hash) <= 64),
    hash text NULL CHECK (char_length(hash) <= 64)
);

CREATE TABLE audit_chain (
    id bigint NOT NULL PRIMARY KEY CHECK (id = 1),
    checkpoint_position bigint NOT NULL,
    checkpoint_hash text NOT NULL CHECK (char_length(checkpoint_hash) <= 64),
    head_position bigint NOT NULL,
    head_hash text NOT NULL CHECK (char_length(head_hash) <= 64),
    sealed_at timestamptz NULL,
    pruned_at timestamptz NULL
);

CREATE TABLE meetings (
    id text NOT NULL PRIMARY KEY CHECK (char_length(id) <= 40),
    township_id text NULL CHECK (char_length(township_id) <= 64),
    kind text NOT NULL CHECK (char_length(kind) <= 16),
    title text NOT NULL CHECK (char_length(title) <= 100),
    agenda text NOT NULL CHECK (char_length(agenda) <= 2000),
    place text NOT NULL CHECK (char_length(place) <= 200),
    starts_at timestamptz NOT NULL,
    ends_at timestamptz NOT NULL,
    confirm_by timestamptz NOT NULL,
    whistle_id text NULL CHECK (char_length(whistle_id) <= 40),
    series_id text NULL CHECK (char_length(series_id) <= 40),
    status text NOT NULL CHECK (char_length(status) <= 16),
    organizer_user text NOT NULL CHECK (char_length(organizer_user) <= 100),
    organizer_name text NOT NULL CHECK (char_length(organizer_name) <= 200),
    organizer_org text NOT NULL CHECK (char_length(organizer_org) <= 140),
    minutes text NULL,
    minutes_at timestamptz NULL,
    created_at timestamptz NOT NULL,
    version bigint NOT NULL DEFAULT 0
);

CREATE TABLE meeting_summons (
    id text NOT NULL PRIMARY KEY CHECK (char_length(id) <= 40),
    meeting_id text NOT NULL REFERENCES meetings (id) CHECK (char_length(meeting_id) <= 40),
    agency_code text NOT NULL CHECK (char_length(agency_code) <= 64),
    branch_id text NULL CHECK (char_length(branch_id) <= 140),
    status text NOT NULL CHECK (char_length(status) <= 16),
    attendee text NULL CHECK (char_length(attendee) <= 200),
    reason text NULL CHECK (char_length(reason) <= 2000),
    responded_at timestamptz NULL,
    attendance text NULL CHECK (char_length(attendance) <= 16),
    checked_in_at timestamptz NULL,
    position bigint NOT NULL
);

CREATE TABLE meeting_decisions (
    id text NOT NULL PRIMARY KEY CHECK (char_length(id) <= 40),
    meeting_id text NOT NULL REFERENCES meetings (id) CHECK (char_length(meeting_id) <= 40),
    text text NOT NULL CHECK (char_length(text) <= 2000),
    agency_code text NOT NULL CHECK (char_length(agency_code) <= 64),
    branch_id text NULL CHECK (char_length(branch_id) <= 140),
    due_at timestamptz NOT NULL,
    whistle_id text NOT NULL CHECK (char_length(whistle_id) <= 40),
    assignment_id text NOT NULL CHECK (char_length(assignment_id) <= 40),
    created_at timestamptz NOT NULL
);

CREATE TABLE notice_channels (
    id text NOT NULL PRIMARY KEY CHECK (char_length(id) <= 64),
    unit_kind text NOT NULL CHECK (char_length(unit_kind) <= 16),
    unit_id text NOT NULL CHECK (char_length(unit_id) <= 140),
    kind text NOT NULL CHECK (char_length(kind) <= 16),
    url text NOT NULL,
    secret text NULL,
    events text NOT NULL CHECK (char_length(events) <= 400),
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
);

CREATE TABLE notice_deliveries (
    id text NOT NULL PRIMARY KEY CHECK (char_length(id) <= 40),
    channel_id text NOT NULL CHECK (char_length(channel_id) <= 64),
    sequence bigint NOT NULL,
    event_type text NOT NULL CHECK (char_length(event_type) <= 64),
    event_json text NOT NULL,
    status text NOT NULL CHECK (char_length(status) <= 16),
    attempts bigint NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NULL,
    last_error text NULL CHECK (char_length(last_error) <= 2000),
    sent_at timestamptz NULL,
    created_at timestamptz NOT NULL
);

CREATE TABLE notice_attempts (
    id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    delivery_id text NOT NULL CHECK (char_length(delivery_id) <= 40),
    attempt bigint NOT NULL,
    attempted_at timestamptz NOT NULL,
    status_code bigint NULL,
    error text NULL CHECK (char_length(error) <= 2000),
    duration_ms bigint NOT NULL
);

CREATE TABLE data_protection_keys (
    id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    friendly_name text NOT NULL CHECK (char_length(friendly_name) <= 200),
    xml text NOT NULL,
    created_at timestamptz NOT NULL
);

CREATE INDEX ix_whistles_township ON whistles (township_id, raised_at);
CREATE INDEX ix_whistles_raised ON whistles (raised_at);
CREATE INDEX ix_assignments_branch ON assignments (branch_id, status);
CREATE INDEX ix_assignments_agency ON assignments (agency_code, status);
CREATE INDEX ix_assignments_next_step ON assignments (next_step_at) WHERE next_step_at IS NOT NULL;
CREATE INDEX ix_assignments_dispatched ON assignments (dispatched_at);
CREATE INDEX ix_assignments_whistle_agency ON assignments (whistle_id, agency_code);
CREATE INDEX ix_timeline_whistle ON timeline (whistle_id, sequence);
CREATE INDEX ix_outbox_unsent ON outbox (id) WHERE sent_at IS NULL;
CREATE INDEX ix_outbox_sent ON outbox (sent_at) WHERE sent_at IS NOT NULL;
CREATE INDEX ix_audit_log_at ON audit_log (at);
CREATE INDEX ix_audit_log_entity ON audit_log (entity, entity_key);
CREATE UNIQUE INDEX ux_audit_log_chain_position ON audit_log (chain_position) WHERE chain_position IS NOT NULL;
CREATE INDEX ix_audit_log_unsealed ON audit_log (id) WHERE hash IS NULL;
CREATE INDEX ix_audit_log_user ON audit_log (user_name, at);
CREATE INDEX ix_meetings_township ON meetings (township_id, starts_at);
CREATE INDEX ix_meetings_starts ON meetings (starts_at);
CREATE INDEX ix_meeting_summons_meeting ON meeting_summons (meeting_id);
CREATE INDEX ix_meeting_summons_branch ON meeting_summons (branch_id);
CREATE INDEX ix_meeting_summons_agency ON meeting_summons (agency_code);
CREATE INDEX ix_meeting_decisions_meeting ON meeting_decisions (meeting_id);
CREATE INDEX ix_notice_channels_unit ON notice_channels (unit_kind, unit_id);
CREATE UNIQUE INDEX ux_notice_deliveries_channel_sequence ON notice_deliveries (channel_id, sequence);
CREATE INDEX ix_notice_deliveries_due ON notice_deliveries (status, next_attempt_at);
CREATE INDEX ix_notice_attempts_delivery ON notice_attempts (delivery_id, attempt);

INSERT INTO audit_chain (id, checkpoint_position, checkpoint_hash, head_position, head_hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000', 0, '0000000000000000000000000000000000000000000000000000000000000000');
