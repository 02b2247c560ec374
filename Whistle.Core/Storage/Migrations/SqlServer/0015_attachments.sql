-- Issue 14: evidence. Photos and files with a whistle, a report, a resolution, a later note or a meeting's minutes.
-- attachments holds what is known of each file (AttachmentStore is its only writer); the bytes live behind
-- IAttachmentContent, by default in attachment_chunks (rows of at most 256 KiB, read and written one at a time).
CREATE TABLE dbo.attachments (
    id               nvarchar(40)   NOT NULL CONSTRAINT pk_attachments PRIMARY KEY,
    whistle_id       nvarchar(40)   NULL,
    meeting_id       nvarchar(40)   NULL,
    assignment_id    nvarchar(40)   NULL,
    purpose          nvarchar(16)   NULL,
    file_name        nvarchar(200)  NOT NULL,
    media_kind       nvarchar(16)   NOT NULL,
    content_type     nvarchar(100)  NOT NULL,
    size_bytes       bigint         NOT NULL,
    sha256           nvarchar(64)   NOT NULL,
    width            int            NULL,
    height           int            NULL,
    display_bytes    bigint         NULL,
    thumbnail_bytes  bigint         NULL,
    source_url       nvarchar(2000) NULL,
    uploaded_by_user nvarchar(100)  NOT NULL,
    uploaded_by_name nvarchar(200)  NOT NULL,
    uploaded_by_org  nvarchar(140)  NOT NULL,
    uploaded_at      datetimeoffset(7) NOT NULL,
    linked_at        datetimeoffset(7) NULL,
    added_sequence   bigint         NULL,
    note             nvarchar(2000) NULL,
    deleted_at       datetimeoffset(7) NULL,
    deleted_by_user  nvarchar(100)  NULL,
    deleted_by_name  nvarchar(200)  NULL
);
CREATE INDEX ix_attachments_whistle ON dbo.attachments (whistle_id, uploaded_at);
CREATE INDEX ix_attachments_meeting ON dbo.attachments (meeting_id);
CREATE INDEX ix_attachments_drafts ON dbo.attachments (linked_at, uploaded_at);

CREATE TABLE dbo.attachment_chunks (
    content_key  nvarchar(80)   NOT NULL,
    chunk_index  int            NOT NULL,
    data         varbinary(max) NOT NULL,
    CONSTRAINT pk_attachment_chunks PRIMARY KEY (content_key, chunk_index)
);
