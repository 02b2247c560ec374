-- Issue 15: ix_outbox_stream_key (0021) served no query. The relays take a stream as stream_key modulo
-- Whistle:Outbox:Streams and find the streams held through the unsent rows (ix_outbox_unsent), never by a stream's key
-- (pg_stat_user_indexes after a bench run: 0 scans). Yet every outbox row wrote an entry into it at its insert and again
-- at each update that was not heap-only — always when it is marked sent, since sent_at is the column of a partial
-- index's predicate: some 5 of the ~60 index entries a whistle writes.
DROP INDEX IF EXISTS ix_outbox_stream_key;
