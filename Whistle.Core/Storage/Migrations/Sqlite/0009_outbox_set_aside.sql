-- Issue 11: an outbox row no relay can read (an unknown message type after a rolling upgrade) is set aside
-- after Whistle:Outbox:MaxAttempts claims instead of stopping the stream for everyone; why, for the operator.
ALTER TABLE outbox ADD COLUMN set_aside_at TEXT NULL;
ALTER TABLE outbox ADD COLUMN last_error TEXT NULL;
