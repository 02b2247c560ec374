-- "One open follow-up per relation" held by the database, not only by the office's check-then-insert (two requests at
-- once both found none open and both inserted): a unique index over the relation of the follow-ups not closed
-- (a filtered index on SQL Server, a partial one on SQLite and PostgreSQL). Written by County/FollowUpStore, which
-- answers the refused insert with its 409 follow-up-open. A pair the race already made keeps its first follow-up (the
-- one whose chain ran first); the later one is closed at its own raising time, so that the index can be built.
UPDATE {schema}mechanism_followups
SET status = 'closed', closed_at = raised_at, next_step_at = NULL, next_step_kind = NULL, next_step_level = NULL, row_version = row_version + 1
WHERE status IN ('open', 'answered')
  AND EXISTS (
      SELECT 1 FROM {schema}mechanism_followups o
      WHERE o.relation_id = mechanism_followups.relation_id AND o.status IN ('open', 'answered')
        AND (o.raised_at < mechanism_followups.raised_at OR (o.raised_at = mechanism_followups.raised_at AND o.id < mechanism_followups.id)));
{go}
CREATE UNIQUE INDEX ux_mechanism_followups_open ON {schema}mechanism_followups (relation_id) WHERE status IN ('open', 'answered');
