-- Issue 7: the W3C traceparent of the activity that wrote an outbox row, so that the relay's publish
-- continues the same trace (HTTP → outbox → bus → dispatcher → push is one trace per whistle).
ALTER TABLE dbo.outbox ADD trace_parent varchar(64) NULL;
