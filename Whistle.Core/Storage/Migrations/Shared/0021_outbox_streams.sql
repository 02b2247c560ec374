-- Issue 15: the outbox is partitioned into streams. Each row carries the stream key of the whistle it belongs to (a
-- stable hash of the whistle's id, 0–65535; 0 for messages of no whistle); the relays take stream key modulo
-- Whistle:Outbox:Streams as the stream, claim streams independently, and keep order within a stream (so per whistle).
ALTER TABLE {schema}outbox {add-column} stream_key {bigint} NOT NULL DEFAULT 0;
{go}
CREATE INDEX ix_outbox_stream_key ON {schema}outbox (stream_key, id);
{go}
