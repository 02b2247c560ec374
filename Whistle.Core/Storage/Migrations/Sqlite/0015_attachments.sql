-- Issue 14: evidence. Photos and files with a whistle, a report, a resolution, a later note or a meeting's minutes.
-- attachments holds what is known of each file (AttachmentStore is its only writer); the bytes live behind
-- IAttachmentContent, by default in attachment_chunks (rows of at most 256 KiB, read and written one at a time).
CREATE TABLE attachments (
    id               TEXT NOT NULL PRIMARY KEY,
    whistle_id       TEXT NULL,            -- the whistle it belongs to (named at upload, or set when a raise links it)
    meeting_id       TEXT NULL,            -- or the meeting whose minutes it belongs to
    assignment_id    TEXT NULL,            -- the duty whose report or resolution it shows
    purpose          TEXT NULL,            -- raise | report | resolution | note | minutes; null while a draft
    file_name        TEXT NOT NULL,        -- sanitised
    media_kind       TEXT NOT NULL,        -- image | pdf | document | link
    content_type     TEXT NOT NULL,        -- judged from the content, never the client's word
    size_bytes       INTEGER NOT NULL,     -- the stored original (re-encoded for an image)
    sha256           TEXT NOT NULL,
    width            INTEGER NULL,
    height           INTEGER NULL,
    display_bytes    INTEGER NULL,         -- images: the display copy (long side 1600 px, JPEG)
    thumbnail_bytes  INTEGER NULL,         -- images: the thumbnail (long side 320 px, JPEG)
    source_url       TEXT NULL,            -- link: an Open311 client's media_url, kept as a reference, never fetched
    uploaded_by_user TEXT NOT NULL,
    uploaded_by_name TEXT NOT NULL,
    uploaded_by_org  TEXT NOT NULL,
    uploaded_at      TEXT NOT NULL,
    linked_at        TEXT NULL,            -- null: a draft, readable by its uploader only, removed after DraftLifetime
    added_sequence   INTEGER NULL,         -- the AttachmentAdded timeline event
    note             TEXT NULL,            -- the later note it came with
    deleted_at       TEXT NULL,
    deleted_by_user  TEXT NULL,
    deleted_by_name  TEXT NULL
);
CREATE INDEX ix_attachments_whistle ON attachments (whistle_id, uploaded_at);
CREATE INDEX ix_attachments_meeting ON attachments (meeting_id);
CREATE INDEX ix_attachments_drafts ON attachments (linked_at, uploaded_at);

CREATE TABLE attachment_chunks (
    content_key  TEXT NOT NULL,
    chunk_index  INTEGER NOT NULL,
    data         BLOB NOT NULL,
    PRIMARY KEY (content_key, chunk_index)
);
