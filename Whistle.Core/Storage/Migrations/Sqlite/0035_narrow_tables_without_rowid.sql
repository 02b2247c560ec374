-- Issue 15: the three narrow tables keyed by their primary key alone, stored as that key (WITHOUT ROWID) instead of a
-- rowid table beside an index of the key. Each row written was two b-tree inserts (the rowid table's and the key's
-- index), now one; every read of them is by the key. timeline_audience is 3–4 rows an event (the county, the township,
-- the agency, the branch) and its key's index alone was a fifth of the pages a commit wrote to the log at 400
-- whistles/s (docs/benchmarks/2026-12-04-frames.md); the inbox a row a consumed message; idempotency_keys a row a raise
-- sent with a key. The rows are copied as they are; no column, key or query changes.
CREATE TABLE timeline_audience_new (
    group_name TEXT NOT NULL,
    sequence   INTEGER NOT NULL,
    PRIMARY KEY (group_name, sequence)
) WITHOUT ROWID;
INSERT INTO timeline_audience_new (group_name, sequence) SELECT group_name, sequence FROM timeline_audience;
DROP TABLE timeline_audience;
ALTER TABLE timeline_audience_new RENAME TO timeline_audience;

CREATE TABLE inbox_new (
    message_id   TEXT NOT NULL,
    consumer     TEXT NOT NULL,
    processed_at TEXT NOT NULL,
    PRIMARY KEY (message_id, consumer)
) WITHOUT ROWID;
INSERT INTO inbox_new (message_id, consumer, processed_at) SELECT message_id, consumer, processed_at FROM inbox;
DROP TABLE inbox;
ALTER TABLE inbox_new RENAME TO inbox;

CREATE TABLE idempotency_keys_new (
    user_name       TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    whistle_id      TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    PRIMARY KEY (user_name, idempotency_key)
) WITHOUT ROWID;
INSERT INTO idempotency_keys_new (user_name, idempotency_key, whistle_id, created_at)
    SELECT user_name, idempotency_key, whistle_id, created_at FROM idempotency_keys;
DROP TABLE idempotency_keys;
ALTER TABLE idempotency_keys_new RENAME TO idempotency_keys;
