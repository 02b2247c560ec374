-- Issue 11: an outbox row no relay can read (an unknown message type after a rolling upgrade) is set aside
-- after Whistle:Outbox:MaxAttempts claims instead of stopping the stream for everyone; why, for the operator.
ALTER TABLE dbo.outbox ADD set_aside_at datetimeoffset(7) NULL, last_error nvarchar(2000) NULL;
