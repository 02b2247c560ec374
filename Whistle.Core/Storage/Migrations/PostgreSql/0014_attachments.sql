-- Issue 14: evidence. Photos and files with a whistle, a report, a resolution, a later note or a meeting's minutes.
-- attachments holds what is known of each file (AttachmentStore is its only writer); the bytes live behind
-- IAttachmentContent, by default in attachment_chunks (rows of at most 256 KiB, read and written one at a time).
CREATE TABLE attachments (
    id               varchar(40)   NOT NULL PRIMARY KEY,
    whistle_id       varchar(40)   NULL,
    meeting_id       varchar(40)   NULL,
    assignment_id    varchar(40)   NULL,
    purpose          varchar(16)   NULL,
    file_name        varchar(200)  NOT NULL,
    media_kind       varchar(16)   NOT NULL,
    content_type     varchar(100)  NOT NULL,
    size_bytes       bigint         NOT NULL,
    sha256           varchar(64)   NOT NULL,
    width            int            NULL,
    height           int            NULL,
    display_bytes    bigint         NULL,
    thumbnail_bytes  bigint         NULL,
    source_url       varchar(2000) NULL,
    uploaded_by_user varchar(100)  NOT NULL,
    uploaded_by_name varchar(200)  NOT NULL,
    uploaded_by_org  varchar(140)  NOT NULL,
    uploaded_at      timestamptz NOT NULL,
    linked_at        timestamptz NULL,
    added_sequence   bigint         NULL,
    note             varchar(2000) NULL,
    deleted_at       timestamptz NULL,
    deleted_by_user  varchar(100)  NULL,
    deleted_by_name  varchar(200)  NULL
);
CREATE INDEX ix_attachments_whistle ON attachments (whistle_id, uploaded_at);
CREATE INDEX ix_attachments_meeting ON attachments (meeting_id);
CREATE INDEX ix_attachments_drafts ON attachments (linked_at, uploaded_at);

CREATE TABLE attachment_chunks (
    content_key  varchar(80)   NOT NULL,
    chunk_index  int            NOT NULL,
    data         bytea NOT NULL,
    PRIMARY KEY (content_key, chunk_index)
);
