-- Issue 14: evidence. Photos and files with a whistle, a report, a resolution, a later note or a meeting's minutes.
-- attachments holds what is known of each file (AttachmentStore is its only writer); the bytes live behind
-- IAttachmentContent, by default in attachment_chunks (rows of at most 256 KiB, read and written one at a time).
-- As the baseline: text with CHECK lengths (the other dialects' nvarchar sizes), bigint integers, timestamptz moments.
CREATE TABLE attachments (
    id               text        NOT NULL PRIMARY KEY CHECK (char_length(id) <= 40),
    whistle_id       text        NULL CHECK (char_length(whistle_id) <= 40),
    meeting_id       text        NULL CHECK (char_length(meeting_id) <= 40),
    assignment_id    text        NULL CHECK (char_length(assignment_id) <= 40),
    purpose          text        NULL CHECK (char_length(purpose) <= 16),
    file_name        text        NOT NULL CHECK (char_length(file_name) <= 200),
    media_kind       text        NOT NULL CHECK (char_length(media_kind) <= 16),
    content_type     text        NOT NULL CHECK (char_length(content_type) <= 100),
    size_bytes       bigint      NOT NULL,
    sha256           text        NOT NULL CHECK (char_length(sha256) <= 64),
    width            bigint      NULL,
    height           bigint      NULL,
    display_bytes    bigint      NULL,
    thumbnail_bytes  bigint      NULL,
    source_url       text        NULL CHECK (char_length(source_url) <= 2000),
    uploaded_by_user text        NOT NULL CHECK (char_length(uploaded_by_user) <= 100),
    uploaded_by_name text        NOT NULL CHECK (char_length(uploaded_by_name) <= 200),
    uploaded_by_org  text        NOT NULL CHECK (char_length(uploaded_by_org) <= 140),
    uploaded_at      timestamptz NOT NULL,
    linked_at        timestamptz NULL,
    added_sequence   bigint      NULL,
    note             text        NULL CHECK (char_length(note) <= 2000),
    deleted_at       timestamptz NULL,
    deleted_by_user  text        NULL CHECK (char_length(deleted_by_user) <= 100),
    deleted_by_name  text        NULL CHECK (char_length(deleted_by_name) <= 200)
);
CREATE INDEX ix_attachments_whistle ON attachments (whistle_id, uploaded_at);
CREATE INDEX ix_attachments_meeting ON attachments (meeting_id);
CREATE INDEX ix_attachments_drafts ON attachments (linked_at, uploaded_at);

CREATE TABLE attachment_chunks (
    content_key  text   NOT NULL CHECK (char_length(content_key) <= 80),
    chunk_index  bigint NOT NULL,
    data         bytea  NOT NULL,
    PRIMARY KEY (content_key, chunk_index)
);
