-- Issue 15: ix_outbox_stream_key (0021) served no query. The relays take a stream as stream_key modulo
-- Whistle:Outbox:Streams and find the streams held through the unsent rows (ix_outbox_unsent), never by a stream's key;
-- every outbox row only wrote an entry into it, and removed it again when the row was cleaned up.
DROP INDEX IF EXISTS ix_outbox_stream_key ON dbo.outbox;
