-- Issue 11: robot URLs and secrets are credentials. notice_channels.url and .secret now hold Data Protection payloads
-- ('dp1:' + the protected text; rows written earlier in clear are encrypted when an instance starts), and the key
-- ring that encrypts them lives here, where every Api and Dispatcher instance reads it.
CREATE TABLE data_protection_keys (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    friendly_name  TEXT NOT NULL,            -- key-<guid> (Data Protection's name for it)
    xml            TEXT NOT NULL,            -- the key element, as Data Protection wrote it
    created_at     TEXT NOT NULL
);
